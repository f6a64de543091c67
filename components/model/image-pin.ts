/**
 * Pure helpers for `pull: always`: which address the registry's API is
 * asked at, and the reference that pins a looked-up digest. A re-pushed tag
 * then changes the site's image reference, so it rolls out like any new
 * image (a new container beside the old one, then the switch).
 */

/** Loopback registries are spoken to over plain HTTP, as docker itself does; every other over HTTPS. */
export function registryLookupAddress(server: string): string {
  const host = server.replace(/:[0-9]+$/, "");
  const loopback = host === "localhost" || /^127\.[0-9]+\.[0-9]+\.[0-9]+$/.test(host);
  return loopback ? `http://${server}` : server;
}

/** True when the reference already names a digest: nothing to look up. */
export function hasDigest(image: string): boolean {
  return /@sha256:[a-f0-9]{64}$/.test(image);
}

/** `registry/name:tag` + `sha256:…` → `registry/name@sha256:…` (the tag says nothing a digest does not). */
export function pinToDigest(image: string, digest: string): string {
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new Error(`the registry gave ${JSON.stringify(digest)} for ${image}, not a sha256 digest`);
  const withoutDigest = image.replace(/@sha256:[a-f0-9]{64}$/, "");
  // A ':' after the last '/' starts the tag; one before it is the registry's port.
  const slash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.indexOf(":", slash + 1);
  const name = colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
  return `${name}@${digest}`;
}
