/**
 * The input of the host scripts (render/packages-script.ts,
 * render/services-script.ts) and its checks: what the renderers cannot
 * quote into something meaningful is rejected with a message naming the
 * field, the value and the rule (the rules of rules.ts).
 */
import {
  ABSOLUTE_PATH, DOCKER_LOG_SIZE, DOCKER_NAME, GENERATION, HOST_ADDRESS, MYSQL_ADMIN_USER, Rule, requireInteger, requireRule,
} from "./rules";

/** How the host's steps speak to an external database server. */
export type DatabaseTls = "verify" | "required" | "off";

export interface HostSetupInput {
  /** Root of the sites' directories, e.g. `/sites`. */
  sitesRoot: string;
  /** simple-paas configuration, e.g. `/etc/simple-paas`. */
  configDir: string;
  /** Parent of the default per-site restic repositories (0700), e.g. `/var/backups/simple-paas`. */
  backupRoot: string;
  /** Last-backup status files, e.g. `/var/lib/simple-paas/backup-status`. */
  statusDir: string;
  /** Backup/prune/restore event log, e.g. `/var/log/simple-paas/backup.log`. */
  logFile: string;
  /** Docker network of the sites, e.g. simple-paas / 172.30.0.0/24 / 172.30.0.1. */
  network: { name: string; subnet: string; gateway: string };
  /** Name of the reverse proxy container, e.g. `simple-paas-proxy`. */
  proxyContainer: string;
  /** MariaDB on this host, or an external server the admin account already exists on. */
  database:
    | { mode: "local"; adminUser: string; port: number }
    | { mode: "external"; adminUser: string; host: string; port: number; tls: DatabaseTls; caPem?: string };
  /** json-file log rotation defaults of the docker daemon, e.g. `10m` / 3. */
  dockerLogs: { maxSize: string; maxFiles: number };
  /** Which incarnation of the host this is (HostBootstrapArgs.generation), kept in `<configDir>/host-generation`. */
  generation: string;
  /** Run a new generation's steps on a host that still runs sites under another one (HostBootstrapArgs.forceNewGeneration). */
  forceNewGeneration: boolean;
}

/** Where the packages step records the host's generation. */
export function hostGenerationFile(configDir: string): string {
  return `${configDir.replace(/\/+$/, "")}/host-generation`;
}

/**
 * Address pools for networks docker allocates itself (the default bridge,
 * networks made without a subnet): many /24s instead of the default handful
 * of /16s, so docker does not run out of networks on a busy host.
 */
export const DOCKER_ADDRESS_POOLS: ReadonlyArray<{ base: string; size: number }> = [
  { base: "172.17.0.0/16", size: 24 },
];

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** [first, last] address of an IPv4 CIDR, as integers. */
export function cidrRange(cidr: string): [number, number] {
  const [ip, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  const first = Math.floor(ipv4ToInt(ip) / size) * size;
  return [first, first + size - 1];
}

const IPV4_ADDRESS: Rule = { test: (v) => IPV4.test(v), text: "must be an IPv4 address" };

/** Rejects input the scripts cannot quote into something meaningful, naming field, value and rule. */
export function checkHostSetupInput(input: HostSetupInput): void {
  for (const field of ["sitesRoot", "configDir", "backupRoot", "statusDir", "logFile"] as const) requireRule(field, input[field], ABSOLUTE_PATH);
  requireRule("generation", input.generation, GENERATION);
  requireRule("network.name", input.network.name, DOCKER_NAME);
  requireRule("proxyContainer", input.proxyContainer, DOCKER_NAME);
  const [ip, bits] = input.network.subnet.split("/");
  if (!IPV4.test(ip ?? "") || !/^(\d|[12]\d|3[0-2])$/.test(bits ?? "")) {
    throw new Error(`network.subnet ${JSON.stringify(input.network.subnet)} must be an IPv4 CIDR like 172.30.0.0/24`);
  }
  requireRule("network.gateway", input.network.gateway, IPV4_ADDRESS);
  const [first, last] = cidrRange(input.network.subnet);
  const gateway = ipv4ToInt(input.network.gateway);
  if (gateway <= first || gateway >= last) {
    throw new Error(`network.gateway ${input.network.gateway} must be a host address inside network.subnet ${input.network.subnet}`);
  }
  for (const pool of DOCKER_ADDRESS_POOLS) {
    const [poolFirst, poolLast] = cidrRange(pool.base);
    if (first <= poolLast && poolFirst <= last) {
      throw new Error(`network.subnet ${input.network.subnet} must not overlap docker's address pool ${pool.base}`);
    }
  }
  requireRule("database.adminUser", input.database.adminUser, MYSQL_ADMIN_USER);
  requireInteger("database.port", input.database.port, 1, 65535);
  if (input.database.mode === "external") requireRule("database.host", input.database.host, HOST_ADDRESS);
  requireRule("dockerLogs.maxSize", input.dockerLogs.maxSize, DOCKER_LOG_SIZE);
  requireInteger("dockerLogs.maxFiles", input.dockerLogs.maxFiles, 1, 1000);
}
