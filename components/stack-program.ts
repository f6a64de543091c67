/**
 * What index.ts does, as a function: stack config in, one host and its sites
 * out. Kept here so tests run the very program `pulumi up` runs.
 */
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { HostBootstrap } from "./host-bootstrap";
import { hasDigest, pinToDigest, registryLookupAddress } from "./model/image-pin";
import { SimpleSite } from "./simple-site";
import { deriveResticPassword } from "./site-backup";
import { SiteConfig, parseStackConfig } from "./model/stack-config";

export interface HostProgramSecrets {
  sshPrivateKey?: pulumi.Output<string>;
  backupKey?: pulumi.Output<string>;
  secrets?: pulumi.Output<Record<string, unknown>>;
}

export interface HostProgram {
  host: HostBootstrap;
  sites: SimpleSite[];
}

/**
 * The stack config with every `pull: always` site's image pinned to the
 * digest its tag names in the registry now (asked through a docker
 * provider of the site's own, `<site>-image-lookup`, on every preview and
 * up). Run before buildHostProgram; the program is then an async one.
 */
export async function pinAlwaysPulledImages(
  raw: { host?: unknown; backup?: unknown; sites?: unknown },
  secrets: HostProgramSecrets,
): Promise<{ host?: unknown; backup?: unknown; sites?: unknown }> {
  const config = parseStackConfig(raw);
  if (!config.sites.some((s) => s.pull === "always")) return raw;
  const sites = await Promise.all(config.sites.map(async (site) => {
    if (site.pull !== "always" || hasDigest(site.image)) return site;
    const provider = new docker.Provider(`${site.name}-image-lookup`, {
      // Only the registry is asked; the host's docker is not needed (nor reachable from here, for a remote host).
      disableDockerDaemonCheck: true,
      registryAuth: site.registry && [{
        address: registryLookupAddress(site.registry.server), username: site.registry.username,
        password: secretValue(secrets.secrets, [site.name, "registryPassword"]),
      }],
    });
    const found = await docker.getRegistryImage({ name: site.image }, { provider });
    return { ...site, image: pinToDigest(site.image, found.sha256Digest) };
  }));
  return { ...config, sites };
}

export function buildHostProgram(
  raw: { host?: unknown; backup?: unknown; sites?: unknown },
  secrets: HostProgramSecrets,
): HostProgram {
  const config = parseStackConfig(raw);
  const { connection, database, ...hostRest } = config.host;
  if (connection && !secrets.sshPrivateKey) {
    throw new Error("simple-paas:sshPrivateKey: (missing) must be set as a secret when simple-paas:host.connection is set");
  }
  if (!secrets.backupKey) {
    pulumi.log.warn(
      "simple-paas:backupKey is not set: each site's restic password is generated and lives only in this stack's state; " +
        "`pulumi destroy` forgets it. Set it with `pulumi config set --secret simple-paas:backupKey <key>` and keep a copy off the host.",
    );
  }
  const host = new HostBootstrap("host", {
    ...hostRest,
    connection: connection && secrets.sshPrivateKey ? { ...connection, privateKey: secrets.sshPrivateKey } : undefined,
    database: database && {
      ...database,
      external: database.external && {
        ...database.external,
        adminPassword: secretValue(secrets.secrets, ["database", "adminPassword"]),
      },
    },
  });
  const sites = config.sites.map((site) => buildSite(site, host, config.backup, secrets));
  return { host, sites };
}

function buildSite(site: SiteConfig, host: HostBootstrap, backupDefaults: Record<string, unknown>, secrets: HostProgramSecrets): SimpleSite {
  const { registry, secretEnv, backup, hashSalt, pull: _pull, ...rest } = site;
  const siteSecret = (...path: string[]) => secretValue(secrets.secrets, [site.name, ...path]);
  return new SimpleSite(site.name, {
    ...rest,
    host,
    registry: registry && { ...registry, password: siteSecret("registryPassword") },
    secretEnv: secretEnv && Object.fromEntries(secretEnv.map((n) => [n, siteSecret("env", n)])),
    hashSalt: hashSalt && {
      env: hashSalt.env, plain: hashSalt.plain,
      ...(hashSalt.fromSecrets ? { value: siteSecret("hashSalt") } : {}),
    },
    backup: backup === false ? false : {
      ...backupDefaults,
      ...backup,
      // A site's keep refines the stack's keep rather than replacing it.
      keep: { ...(backupDefaults.keep as object | undefined), ...backup?.keep },
      password: secrets.backupKey ? deriveResticPassword(secrets.backupKey, site.name) : undefined,
      adopt: backup?.adopt && { ...backup.adopt, password: siteSecret("adoptPassword") },
      credentials: secrets.secrets?.apply((s) => readCredentials(s, site.name)),
    },
  });
}

/** A value from `simple-paas:secrets`; a missing one fails the preview naming its path. */
function secretValue(all: pulumi.Output<Record<string, unknown>> | undefined, path: string[]): pulumi.Output<string> {
  const field = `simple-paas:secrets.${path.join(".")}`;
  if (!all) return pulumi.output(Promise.reject(new Error(`${field}: (missing) must be set as a secret`)));
  return pulumi.secret(all.apply((s) => {
    let v: unknown = s;
    for (const p of path) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[p] : undefined;
    if (typeof v !== "string" || v.length === 0) throw new Error(`${field}: must be set to a non-empty string (a secret)`);
    return v;
  }));
}

function readCredentials(all: Record<string, unknown>, site: string): Record<string, string> {
  const own = (all[site] as Record<string, unknown> | undefined)?.backupCredentials;
  const shared = all.backupCredentials;
  return { ...(shared as Record<string, string> | undefined), ...(own as Record<string, string> | undefined) };
}
