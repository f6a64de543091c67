/**
 * How simple-paas names things on a host, from a (validated) site name.
 * One module so the components, the `sp` command's files and the tests all
 * agree; see docs/HOST-LAYOUT.md.
 */
import { createHash } from "node:crypto";

export interface HostPaths {
  sitesRoot: string;
  configDir: string;
  backupRoot: string;
  statusDir: string;
  logFile: string;
  spPath: string;
}

export const DEFAULT_HOST_PATHS: HostPaths = {
  sitesRoot: "/sites",
  configDir: "/etc/simple-paas",
  backupRoot: "/var/backups/simple-paas",
  statusDir: "/var/lib/simple-paas/backup-status",
  logFile: "/var/log/simple-paas/backup.log",
  spPath: "/usr/local/bin/sp",
};

/** The site's Linux user and group: the site name itself, as the original scripts did. */
export function siteLinuxUser(site: string): string {
  return site;
}

/** Database and database user: MySQL identifiers have no '-', so it becomes '_' (site names have no '_'). */
export function siteDbName(site: string): string {
  return site.replace(/-/g, "_");
}

/** The host's log rotation config (render/logrotate.ts) and logrotate's state for it. */
export function hostLogrotateConfigFile(paths: Pick<HostPaths, "configDir">): string {
  return `${paths.configDir}/logrotate.conf`;
}

export function hostLogrotateStateFile(paths: Pick<HostPaths, "statusDir">): string {
  return `${paths.statusDir}/logrotate.state`;
}

export function siteDataDir(paths: Pick<HostPaths, "sitesRoot">, site: string): string {
  return `${paths.sitesRoot}/${site}/data`;
}

export function siteConfigDir(paths: Pick<HostPaths, "configDir">, site: string): string {
  return `${paths.configDir}/sites/${site}`;
}

export function siteSecretsDir(paths: Pick<HostPaths, "configDir">, site: string): string {
  return `${siteConfigDir(paths, site)}/secrets`;
}

export function siteBackupConfigDir(paths: Pick<HostPaths, "configDir">, site: string): string {
  return `${siteConfigDir(paths, site)}/backup`;
}

/**
 * Written by a site's final backup when it has taken one; the removal that
 * deletes the site's data (deleteDataOnDestroy) requires it, and uses it up.
 */
export function finalBackupDoneFile(paths: Pick<HostPaths, "configDir">, site: string): string {
  return `${siteBackupConfigDir(paths, site)}/final-backup-done`;
}

export function siteRouteFile(paths: Pick<HostPaths, "configDir">, site: string): string {
  return `${paths.configDir}/proxy/sites/${site}.caddy`;
}

/** The lock every proxy reload on the host takes, so steps Pulumi runs in parallel reload one at a time. */
export function proxyLockFile(paths: Pick<HostPaths, "configDir">): string {
  return `${paths.configDir}/proxy.lock`;
}

/** Where a site's cron jobs (and scheduled backups) write their output; `sp` keeps SP_LOG_FILE to one line per event. */
export function siteCronLog(paths: Pick<HostPaths, "logFile">, site: string): string {
  return `${paths.logFile.replace(/\/[^/]*$/, "")}/cron-${site}.log`;
}

export function defaultRepository(paths: Pick<HostPaths, "backupRoot">, site: string): string {
  return `${paths.backupRoot}/${site}`;
}

/** The docker label every site container carries; `sp` finds containers by it. */
export const SITE_LABEL = "simple-paas.site";

/**
 * The container's name carries a short hash of everything that makes docker
 * replace it (image, env, mounts, limits ...), as Kamal puts the version in
 * its container names: a new container can then start beside the old one,
 * and traffic moves before the old one goes.
 */
export function siteContainerName(site: string, spec: unknown): string {
  return `sp-${site}-${specDigest(spec)}`;
}

/**
 * The Pulumi name of a site's container resource, with a hash of the parts
 * of its spec known before anything runs. The docker provider replaces a
 * container by deleting it first (its names are fixed), which would drop
 * every request until the new one is up; a container under a new resource
 * name is created instead, and the engine deletes the old resource only at
 * the end of the update, after the proxy has moved to the new one.
 */
export function siteContainerResourceName(resourcePrefix: string, spec: unknown): string {
  return `${resourcePrefix}-container-${specDigest(spec)}`;
}

function specDigest(spec: unknown): string {
  return createHash("sha256").update(stableJson(spec)).digest("hex").slice(0, 10);
}

/** JSON with sorted keys, so equal specs hash equally whatever the key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** `172.30.0.0/24` -> `{ network: "172.30.0.0", netmask: "255.255.255.0", gateway: "172.30.0.1" }`. */
export function describeSubnet(cidr: string): { network: string; netmask: string; gateway: string; prefix: number } {
  const [address, prefixText] = cidr.split("/");
  const prefix = Number(prefixText);
  const ip = address.split(".").reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (ip & mask) >>> 0;
  const toText = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
  return { network: toText(network), netmask: toText(mask), gateway: toText(network + 1), prefix };
}

/** The MariaDB host pattern that admits exactly the sites network: `172.30.0.0/255.255.255.0`. */
export function mysqlHostPatternForSubnet(cidr: string): string {
  const { network, netmask } = describeSubnet(cidr);
  return `${network}/${netmask}`;
}

/** Every site's docker network is a bridge whose name starts with this (the host firewall matches it). */
export const SITE_BRIDGE_PREFIX = "spb-";

/** `<sitesRoot>/<site>`: root's, readable by the site's group; holds `data` (the site's) and `dump` (root's only). */
export function siteDir(paths: Pick<HostPaths, "sitesRoot">, site: string): string {
  return `${paths.sitesRoot}/${site}`;
}

/**
 * Where the site's database dump is written and read: root's alone, never
 * inside the data dir (the site could replace a dump there between the dump
 * and restic, or before a restore imports it).
 */
export function siteDumpDir(paths: Pick<HostPaths, "sitesRoot">, site: string): string {
  return `${siteDir(paths, site)}/dump`;
}

/**
 * The files the machine running Pulumi keeps for a remote host, relative to
 * its $HOME (each step expands $HOME where it runs): the SSH key and a
 * known_hosts file that holds only the pinned host key. `owner` names the
 * stack and component that own them, so two stacks (or two components) that
 * reach the same host and port never write over, or delete, each other's.
 */
export function localSshFiles(connection: { host: string; port?: number; owner: string }): { keyFromHome: string; knownHostsFromHome: string } {
  const part = (s: string): string => s.replace(/[^A-Za-z0-9.-]/g, "_");
  const base = `.simple-paas/ssh/${part(connection.host)}-${connection.port ?? 22}.${part(connection.owner)}`;
  return { keyFromHome: `${base}.key`, knownHostsFromHome: `${base}.known_hosts` };
}

export function siteCronFile(site: string): string {
  return `/etc/cron.d/simple-paas-${site}`;
}

export function siteBackupCronFile(site: string): string {
  return `/etc/cron.d/simple-paas-${site}-backup`;
}

/** Every cron file a site may have: its own jobs and its backups. */
export function siteCronFiles(site: string): string[] {
  return [siteCronFile(site), siteBackupCronFile(site)];
}

/** The lock one site's backup, prune, restore, drill and data removal take (sp's lock_site). */
export function siteLockFile(paths: Pick<HostPaths, "statusDir">, site: string): string {
  return `${paths.statusDir}/${site}.lock`;
}

/** Written, under the site's lock, when a site's data was deleted: a backup that waited for the lock says so and stops. */
export function siteRemovedMark(paths: Pick<HostPaths, "statusDir">, site: string): string {
  return `${paths.statusDir}/${site}.removed`;
}

/** Where the host's services step writes a given CA of an external database server. */
export function databaseCaFile(configDir: string): string {
  return `${configDir}/mysql-ca.pem`;
}

/** The images a site's route step moved traffic to, oldest first: what `sp prune-images` keeps for a rollback. */
export function siteImageHistoryFile(paths: Pick<HostPaths, "statusDir">, site: string): string {
  return `${paths.statusDir}/${site}.images`;
}
