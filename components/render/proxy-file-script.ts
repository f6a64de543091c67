/**
 * The steps that change the reverse proxy: install a file of it (a site's
 * routes, with the readiness gate, the drain and the certificate wait; or
 * the main Caddyfile), remove a site's routes, and connect the proxy to a
 * site's network. Pure: options -> bash text (host-scripts/proxy-file.sh,
 * proxy-file-removal.sh, proxy-link.sh with lib/proxy.sh). The files'
 * content comes from render/caddyfile.ts, on the step's stdin.
 */
import { renderHostScript } from "./host-script";
import { caddyToken } from "./caddyfile";
import { ABSOLUTE_PATH, DOCKER_ID, DOCKER_NAME, requireRule } from "../model/rules";

/** How long a route step waits at most for requests still on a replaced upstream (then the old container may go). */
export const DRAIN_SECONDS = 30;

/** How long a route step waits at most for a new container to be ready (healthy, or answering) before it moves traffic. */
export const READY_SECONDS = 120;

/** The file the first-account step writes; a leading digit is never a site name. */
export const FIRST_ACCOUNT_ROUTES_FILE = "0-first-acme-account.caddy";

/** Where and how long a route step waits for the proxy to serve its site's certificates. */
export interface CertificateProbe {
  /** Every host name of the site. */
  hostNames: string[];
  /** Address on the host where the proxy's HTTPS port answers (its bind address, or loopback). */
  address: string;
  /** The proxy's published HTTPS port. */
  port: number;
  /** Upper bound of each wait, in seconds; 0 skips waiting (and the first-account step). */
  seconds: number;
  /**
   * The proxy obtains certificates by ACME. Then the first routes file on a
   * proxy is preceded by one that names a single host: Caddy registers an
   * ACME account per concurrent order while it has none stored, and the key
   * and registration it keeps can end up from different accounts, after which
   * every order fails ("JWS verification error"). One order creates one.
   */
  acme: boolean;
}

export interface ProxyFileOptions {
  /** The file to write (a site's routes file, or the main Caddyfile). */
  path: string;
  proxyContainer: string;
  /** The host's proxy lock file: one reload at a time. */
  lockFile: string;
  /** A site's route step: wait for its certificates after the reload. */
  awaitCertificates?: CertificateProbe;
  /** How long the readiness gate waits for a new upstream. @default READY_SECONDS */
  readySeconds?: number;
  /** The pids limit the step sets on a site's container before it is routed to (the docker provider has no such argument). */
  upstreamPidsLimit?: number;
  /** Where the step records the image it moved traffic to (a site's deployments, for `sp prune-images`). */
  historyFile?: string;
  /** The image reference the site is deployed by (its `image`), recorded with the image: the repository `sp prune-images` may remove names from. */
  imageRef?: string;
}

function proxyValues(opts: Omit<ProxyFileOptions, "awaitCertificates">) {
  requireRule("path", opts.path, ABSOLUTE_PATH);
  requireRule("lockFile", opts.lockFile, ABSOLUTE_PATH);
  requireRule("proxyContainer", opts.proxyContainer, DOCKER_NAME);
  return { SP_PROXY: opts.proxyContainer, SP_LOCK_FILE: opts.lockFile, SP_TARGET: opts.path };
}

/**
 * Writes a routes (or main) file from stdin and reloads the proxy (see
 * host-scripts/proxy-file.sh): traffic moves only to an upstream the step
 * has seen ready; a file Caddy refuses is put back and the step fails.
 */
export function renderProxyFileScript(opts: ProxyFileOptions): string {
  const probe = opts.awaitCertificates;
  const waits = probe !== undefined && probe.seconds > 0 && probe.hostNames.length > 0;
  const firstAccount = waits && probe.acme && probe.hostNames.length >= 2 ? probe.hostNames[probe.hostNames.length - 1] : "";
  return renderHostScript({
    purpose: `install ${opts.path} and reload the reverse proxy`,
    tag: `proxy-file ${opts.path.replace(/^.*\//, "")}`,
    values: {
      ...proxyValues(opts),
      SP_READY_SECONDS: opts.readySeconds ?? READY_SECONDS,
      SP_PIDS_LIMIT: opts.upstreamPidsLimit ?? "",
      SP_HISTORY_FILE: opts.historyFile ?? "",
      SP_IMAGE_REF: opts.imageRef ?? "",
      SP_DRAIN_SECONDS: DRAIN_SECONDS,
      SP_PROBE_NAMES: waits ? probe.hostNames : [],
      SP_PROBE_ADDRESS: waits ? (probe.address.includes(":") ? `[${probe.address}]` : probe.address) : "",
      SP_PROBE_PORT: waits ? probe.port : 0,
      SP_PROBE_SECONDS: waits ? probe.seconds : 0,
      // The last name: the staging alias when there is one, a name the operator's own DNS covers.
      SP_FIRST_ACCOUNT_NAME: firstAccount === "" ? "" : caddyToken(firstAccount),
      SP_FIRST_ACCOUNT_FILE: FIRST_ACCOUNT_ROUTES_FILE,
    },
    libraries: ["proxy"],
    file: "proxy-file.sh",
  });
}

/**
 * Removes a site's routes file and reloads the proxy; used when a site is
 * destroyed (see host-scripts/proxy-file-removal.sh).
 */
export function renderProxyFileRemovalScript(opts: Omit<ProxyFileOptions, "awaitCertificates" | "readySeconds" | "upstreamPidsLimit" | "historyFile" | "imageRef">): string {
  return renderHostScript({
    purpose: `remove ${opts.path} and reload the reverse proxy`,
    tag: `proxy-file-removal ${opts.path.replace(/^.*\//, "")}`,
    values: proxyValues(opts),
    libraries: ["proxy"],
    file: "proxy-file-removal.sh",
  });
}

/** Connects the proxy to a site's network at `address` (or disconnects it): host-scripts/proxy-link.sh. */
/**
 * Connects the proxy to a site's network, or disconnects it. `ids` (connect
 * only) are the docker ids of the proxy and the network this run joins: a
 * new proxy or network (a new generation) changes the text, so the step
 * runs again in place.
 */
export function renderProxyLinkScript(opts: {
  proxyContainer: string; network: string; address: string; action: "connect" | "disconnect"; ids?: { proxy: string; network: string };
}): string {
  requireRule("proxyContainer", opts.proxyContainer, DOCKER_NAME);
  requireRule("network", opts.network, DOCKER_NAME);
  if (opts.action === "connect" && opts.ids === undefined) throw new Error("proxy link: connect needs the ids of the proxy and the network");
  if (opts.ids) {
    requireRule("ids.proxy", opts.ids.proxy, DOCKER_ID);
    requireRule("ids.network", opts.ids.network, DOCKER_ID);
  }
  return renderHostScript({
    purpose: `${opts.action} the reverse proxy and the network ${opts.network}`,
    tag: `proxy-link ${opts.network}`,
    values: {
      SP_PROXY: opts.proxyContainer, SP_NETWORK: opts.network, SP_ADDRESS: opts.address, SP_ACTION: opts.action,
      SP_PROXY_ID: opts.ids?.proxy ?? "", SP_NETWORK_ID: opts.ids?.network ?? "",
    },
    file: "proxy-link.sh",
  });
}
