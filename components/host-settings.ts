/**
 * HostBootstrap's arguments resolved once into plain settings: the paths,
 * network, database and proxy that sites build on (HostSettings), and the
 * input of the host scripts (HostSetupInput). Defaults live here.
 */
import type { HostBootstrapArgs } from "./host-bootstrap";
import { HostConnection } from "./host-command";
import { DEFAULT_HOST_PATHS, HostPaths, describeSubnet, mysqlHostPatternForSubnet } from "./naming";
import { HostSetupInput } from "./render/host-setup";
import { MEMCACHED_PORT } from "./render/host-services";
import { ProxyConfigInput } from "./render/proxy-config";

/** What a site needs to know about its host; plain values, resolved once. */
export interface HostSettings {
  paths: HostPaths;
  generation: string;
  connection?: HostConnection;
  network: { name: string; subnet: string; gateway: string };
  database: { containerHost: string; port: number; userHostPattern: string };
  memcached?: { host: string; port: number };
  proxyContainer: string;
  proxy: ProxyConfigInput;
  /** The port the proxy serves HTTPS on (sites' URLs name it when it is not 443). */
  httpsPort: number;
  /** Where a route step reaches the proxy's HTTPS port on the host, and how long it waits for certificates. */
  certificateProbe: { address: string; port: number; seconds: number };
  stagingDomain?: string;
  /** json-file log rotation of the daemon, the proxy and every site container. */
  dockerLogs: { maxSize: string; maxFiles: number };
}

/** The defaults applied to validated arguments. */
export function resolveSettings(args: HostBootstrapArgs): HostSettings {
  const paths: HostPaths = {
    ...DEFAULT_HOST_PATHS,
    sitesRoot: args.sitesRoot ?? DEFAULT_HOST_PATHS.sitesRoot,
    configDir: args.configDir ?? DEFAULT_HOST_PATHS.configDir,
    backupRoot: args.backupRoot ?? DEFAULT_HOST_PATHS.backupRoot,
  };
  const subnet = args.network?.subnet ?? "172.30.0.0/24";
  const { gateway } = describeSubnet(subnet);
  const external = args.database?.external;
  return {
    paths,
    generation: args.generation ?? "1",
    connection: args.connection,
    network: { name: args.network?.name ?? "simple-paas", subnet, gateway },
    database: external
      ? { containerHost: external.host, port: external.port ?? 3306, userHostPattern: "%" }
      : { containerHost: gateway, port: args.database?.port ?? 3306, userHostPattern: mysqlHostPatternForSubnet(subnet) },
    memcached: args.memcached?.enabled ? { host: gateway, port: MEMCACHED_PORT } : undefined,
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
  };
}

/** The proxy's HTTPS port as the host itself reaches it: its bind address, or loopback when it listens on every address. */
function probeAddress(bindAddress: string | undefined): string {
  if (bindAddress === undefined || bindAddress === "0.0.0.0") return "127.0.0.1";
  if (bindAddress === "::") return "::1";
  return bindAddress;
}

/** The input of the host scripts (render/host-setup.ts). */
export function toSetupInput(args: HostBootstrapArgs, s: HostSettings): HostSetupInput {
  const external = args.database?.external;
  return {
    sitesRoot: s.paths.sitesRoot,
    configDir: s.paths.configDir,
    backupRoot: s.paths.backupRoot,
    statusDir: s.paths.statusDir,
    logFile: s.paths.logFile,
    network: s.network,
    proxyContainer: s.proxyContainer,
    database: external
      ? { mode: "external", adminUser: external.adminUser, host: external.host, port: external.port ?? 3306 }
      : { mode: "local", adminUser: args.database?.adminUser ?? "simple_paas_admin", port: s.database.port },
    memcached: { enabled: args.memcached?.enabled ?? false, memoryMb: args.memcached?.memoryMb ?? 64 },
    dockerLogs: s.dockerLogs,
    generation: s.generation,
  };
}
