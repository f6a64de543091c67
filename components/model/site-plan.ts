/**
 * A site's plan: everything SimpleSite makes, worked out from its
 * (validated) arguments and its host's settings before any resource
 * exists — names, paths, its network's addresses, its environment, limits
 * and memcached. Pure, so the stack program, the components and the tests
 * see the same plan.
 */
import { DEFAULT_SITE_LIMITS, SiteCapability, SiteOptions } from "./args";
import type { HostSettings } from "./host-settings";
import {
  finalBackupDoneFile, siteBackupConfigDir, siteDataDir, siteDbName, siteDir, siteDumpDir, siteLinuxUser, siteLockFile, siteRemovedMark,
  siteSecretsDir,
} from "./naming";
import type { SiteNetwork } from "./site-network";
import { CONTAINER_PATHS, HashSaltEnv, hashSaltEnv, renderSiteEnv, siteHostNames } from "./site-spec";

/** The port every site's memcached listens on (on its own address of the site's network). */
export const MEMCACHED_PORT = 11211;

export interface SitePlan {
  site: string;
  dbName: string;
  dbUser: string;
  linuxUser: string;
  paths: {
    siteDir: string;
    dataDir: string;
    dumpDir: string;
    secretsDir: string;
    backupConfigDir: string;
    finalBackupDone: string;
    lockFile: string;
    removedMark: string;
  };
  network: SiteNetwork;
  hostNames: string[];
  urls: string[];
  port: number;
  /** The container's environment, `NAME=value` sorted; a plain hash salt is not in it (SimpleSite adds it as a secret). */
  env: string[];
  hashSaltEnv?: HashSaltEnv;
  secretEnvNames: string[];
  /** The database user's host part: the site's own network, or `%` on an external server. */
  dbHostPattern: string;
  runAs: string;
  limits: { memoryMb: number; cpus?: number; pids: number };
  capAdd: SiteCapability[];
  memcached?: { memoryMb: number; address: string; port: number };
}

export function planSite(settings: HostSettings, args: Omit<SiteOptions, "healthCheck" | "backup">, network: SiteNetwork): SitePlan {
  const site = args.name;
  const dbName = siteDbName(site);
  const hostNames = siteHostNames(site, args.domains ?? [], settings.stagingDomain, args.staging ?? true);
  const memcachedWanted = args.memcached?.enabled ?? settings.memcached.enabled;
  const memcached = memcachedWanted
    ? { memoryMb: args.memcached?.memoryMb ?? settings.memcached.memoryMb, address: network.memcachedAddress, port: MEMCACHED_PORT }
    : undefined;
  const secretEnvNames = Object.keys(args.secretEnv ?? {}).sort();
  const saltEnv = hashSaltEnv(args.hashSalt);
  const db = settings.database;
  const env = renderSiteEnv({
    site, dbName, dbUser: dbName, dbHost: db.containerHost, dbPort: db.port,
    dbTls: db.tls === "off" ? undefined : { mode: db.tls, caFile: db.caPem ? CONTAINER_PATHS.dbCaFile : undefined },
    hostNames, httpsPort: settings.httpsPort, proxyAddress: network.proxyAddress,
    memcached: memcached && { host: memcached.address, port: memcached.port },
    env: args.env ?? {}, secretEnvNames, hashSaltEnv: saltEnv,
  });
  const paths = settings.paths;
  return {
    site,
    dbName,
    dbUser: dbName,
    linuxUser: siteLinuxUser(site),
    paths: {
      siteDir: siteDir(paths, site),
      dataDir: siteDataDir(paths, site),
      dumpDir: siteDumpDir(paths, site),
      secretsDir: siteSecretsDir(paths, site),
      backupConfigDir: siteBackupConfigDir(paths, site),
      finalBackupDone: finalBackupDoneFile(paths, site),
      lockFile: siteLockFile(paths, site),
      removedMark: siteRemovedMark(paths, site),
    },
    network,
    hostNames,
    urls: hostNames.map((h) => `https://${h}${settings.httpsPort === 443 ? "" : `:${settings.httpsPort}`}`),
    port: args.port ?? 80,
    env,
    secretEnvNames,
    hashSaltEnv: saltEnv,
    dbHostPattern: db.mode === "external" ? "%" : network.dbHostPattern,
    runAs: args.runAs ?? "www-data",
    limits: {
      memoryMb: args.resources?.memoryMb ?? DEFAULT_SITE_LIMITS.memoryMb,
      cpus: args.resources?.cpus,
      pids: args.resources?.pids ?? DEFAULT_SITE_LIMITS.pids,
    },
    capAdd: [...(args.capAdd ?? [])].sort(),
    memcached,
  };
}
