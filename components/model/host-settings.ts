/**
 * HostBootstrap's arguments resolved once into plain settings: the paths,
 * networks, database, proxy and schedules that sites build on
 * (HostSettings), and the input of the host scripts (HostSetupInput).
 * Every default lives here.
 */
import type { HostBootstrapArgs, HostConnection } from "./args";
import { DEFAULT_GENERATION } from "./generation";
import type { DatabaseTls, HostSetupInput } from "./host-setup-input";
import { DEFAULT_HOST_PATHS, HostPaths, describeSubnet } from "./naming";
import { DEFAULT_HOST_LOG_ROTATION } from "../render/logrotate";

export interface ProxyConfigInput {
  /** ACME account e-mail; omitted -> Caddy registers without one. */
  acmeEmail?: string;
  /** ACME directory URL; omitted -> Let's Encrypt (Caddy's default). */
  acmeCa?: string;
  /** Path inside the proxy container of a PEM root that signs the ACME server (test CAs like pebble). */
  acmeCaRootInContainer?: string;
  /** `acme` (default) or `internal`: Caddy's own local CA, for hosts with no public DNS. */
  tls: "acme" | "internal";
  /** Largest request body, e.g. `100MB` (the original proxy.conf's client_max_body_size). */
  maxBodySize: string;
  /** How long to wait for a slow upstream response, e.g. `300s`. */
  upstreamTimeout: string;
}

/** What a site needs to know about its host; plain values, resolved once. */
export interface HostSettings {
  paths: HostPaths;
  generation: string;
  /** The remote host, and who owns its SSH files here (naming.ts localSshFiles). */
  connection?: HostConnection & { owner: string };
  /** The proxy's network; `sitesPool` is where each site's own network comes from. */
  network: { name: string; subnet: string; gateway: string; sitesPool: string };
  /**
   * Where the sites find the database: the proxy network's gateway (the
   * firewall lets each site's network reach that port) or an external server.
   */
  database: { mode: "local" | "external"; containerHost: string; port: number; tls: DatabaseTls; caPem?: string };
  /** Every site's memcached unless it says otherwise. */
  memcached: { enabled: boolean; memoryMb: number; image: string };
  proxyContainer: string;
  proxy: ProxyConfigInput;
  /** The port the proxy serves HTTPS on (sites' URLs name it when it is not 443). */
  httpsPort: number;
  /** Where a route step reaches the proxy's HTTPS port on the host, and how long it waits for certificates. */
  certificateProbe: { address: string; port: number; seconds: number };
  stagingDomain?: string;
  /** json-file log rotation of the daemon, the proxy and every site container. */
  dockerLogs: { maxSize: string; maxFiles: number };
  /** When unused site images are removed, and how many deployments' images each site keeps. */
  imagePrune: { schedule: string; keep: number };
  /** Rotation of the host's own logs (render/logrotate.ts). */
  hostLogs: { maxSizeMb: number; keep: number; maxAgeDays: number };
}

export const DEFAULT_NETWORK = { name: "simple-paas", subnet: "172.30.0.0/24", sitesPool: "172.31.0.0/16" } as const;
export const DEFAULT_MEMCACHED = { enabled: false, memoryMb: 64, image: "memcached:1.6" } as const;
export const DEFAULT_IMAGE_PRUNE = { schedule: "40 4 * * *", keep: 2 } as const;

/**
 * The defaults applied to validated arguments. `owner` names the stack and
 * component (project.stack.component) that own a remote host's SSH files.
 */
export function resolveSettings(args: HostBootstrapArgs, owner: string): HostSettings {
  const paths: HostPaths = {
    ...DEFAULT_HOST_PATHS,
    sitesRoot: args.sitesRoot ?? DEFAULT_HOST_PATHS.sitesRoot,
    configDir: args.configDir ?? DEFAULT_HOST_PATHS.configDir,
    backupRoot: args.backupRoot ?? DEFAULT_HOST_PATHS.backupRoot,
  };
  const subnet = args.network?.subnet ?? DEFAULT_NETWORK.subnet;
  const { gateway } = describeSubnet(subnet);
  const external = args.database?.external;
  return {
    paths,
    generation: args.generation ?? DEFAULT_GENERATION,
    connection: args.connection && { ...args.connection, owner },
    network: { name: args.network?.name ?? DEFAULT_NETWORK.name, subnet, gateway, sitesPool: args.network?.sitesPool ?? DEFAULT_NETWORK.sitesPool },
    database: external
      ? { mode: "external", containerHost: external.host, port: external.port ?? 3306, tls: externalTls(external.tls), caPem: external.tls?.caPem }
      : { mode: "local", containerHost: gateway, port: args.database?.port ?? 3306, tls: "off" },
    memcached: {
      enabled: args.memcached?.enabled ?? DEFAULT_MEMCACHED.enabled,
      memoryMb: args.memcached?.memoryMb ?? DEFAULT_MEMCACHED.memoryMb,
      image: args.memcached?.image ?? DEFAULT_MEMCACHED.image,
    },
    proxyContainer: "simple-paas-proxy",
    proxy: {
      acmeEmail: args.proxy?.acmeEmail,
      acmeCa: args.proxy?.acmeCa,
      acmeCaRootInContainer: args.proxy?.acmeCaRootPem ? "/etc/caddy/acme-ca-root.pem" : undefined,
      tls: args.proxy?.tls ?? "acme",
      maxBodySize: args.proxy?.maxBodySize ?? "100MB",
      upstreamTimeout: args.proxy?.upstreamTimeout ?? "300s",
    },
    httpsPort: args.proxy?.httpsPort ?? 443,
    certificateProbe: {
      address: probeAddress(args.proxy?.bindAddress),
      port: args.proxy?.httpsPort ?? 443,
      seconds: args.proxy?.certificateWaitSeconds ?? 30,
    },
    stagingDomain: args.stagingDomain,
    dockerLogs: { maxSize: args.dockerLogs?.maxSize ?? "10m", maxFiles: args.dockerLogs?.maxFiles ?? 3 },
    imagePrune: { schedule: args.imagePrune?.schedule ?? DEFAULT_IMAGE_PRUNE.schedule, keep: args.imagePrune?.keep ?? DEFAULT_IMAGE_PRUNE.keep },
    hostLogs: {
      maxSizeMb: args.hostLogs?.maxSizeMb ?? DEFAULT_HOST_LOG_ROTATION.maxSizeMb,
      keep: args.hostLogs?.keep ?? DEFAULT_HOST_LOG_ROTATION.keep,
      maxAgeDays: args.hostLogs?.maxAgeDays ?? DEFAULT_HOST_LOG_ROTATION.maxAgeDays,
    },
  };
}

/** An external server is spoken to over verified TLS unless the operator turns it (or its check) off. */
function externalTls(tls: { enabled?: boolean; verify?: boolean } | undefined): DatabaseTls {
  if (tls?.enabled === false) return "off";
  return tls?.verify === false ? "required" : "verify";
}

/** The proxy's HTTPS port as the host itself reaches it: its bind address, or loopback when it listens on every address. */
function probeAddress(bindAddress: string | undefined): string {
  if (bindAddress === undefined || bindAddress === "0.0.0.0") return "127.0.0.1";
  if (bindAddress === "::") return "::1";
  return bindAddress;
}

/** The input of the host scripts (render/packages-script.ts, render/services-script.ts). */
export function toSetupInput(args: HostBootstrapArgs, s: HostSettings): HostSetupInput {
  const external = args.database?.external;
  return {
    sitesRoot: s.paths.sitesRoot,
    configDir: s.paths.configDir,
    backupRoot: s.paths.backupRoot,
    statusDir: s.paths.statusDir,
    logFile: s.paths.logFile,
    network: { name: s.network.name, subnet: s.network.subnet, gateway: s.network.gateway },
    proxyContainer: s.proxyContainer,
    database: external
      ? { mode: "external", adminUser: external.adminUser, host: external.host, port: external.port ?? 3306, tls: s.database.tls, caPem: s.database.caPem }
      : { mode: "local", adminUser: args.database?.adminUser ?? "simple_paas_admin", port: s.database.port },
    dockerLogs: s.dockerLogs,
    generation: s.generation,
    forceNewGeneration: args.forceNewGeneration ?? false,
  };
}
