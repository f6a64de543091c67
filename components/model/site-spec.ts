/**
 * The pure part of a site's container: its environment (the original
 * scripts' contract) and its routes' host names. No Pulumi resources here,
 * so all of it is unit-tested as plain data.
 */
import { SimplePaasInputError } from "./rules";

/** Where the site's files appear inside its container. */
export const CONTAINER_PATHS = {
  shared: "/shared",
  secrets: "/etc/secrets",
  dbPasswordFile: "/etc/secrets/db_pass",
  hashSaltFile: "/etc/secrets/hash_salt",
  secretEnvDir: "/etc/secrets/env",
  dbCaFile: "/etc/secrets/db_ca.pem",
} as const;

/** Names the platform sets; a site's own `env`/`secretEnv` may not take them. */
export const PLATFORM_ENV_NAMES: ReadonlySet<string> = new Set([
  "SITE_NAME", "DATABASE_NAME", "DATABASE_USER", "DATABASE_HOST", "DATABASE_PORT", "DATABASE_PASSWORD_FILE",
  "HASH_SALT_FILE", "PRIVATE_DIR", "PUBLIC_DIR", "SHARED_DIR", "TMP_DIR", "VIRTUAL_HOST", "LETSENCRYPT_HOST",
  "MEMCACHE_HOST", "MEMCACHE_PORT", "REVERSE_PROXY", "REVERSE_PROXY_ADDRESSES", "SITE_URL", "DATABASE_TLS", "DATABASE_TLS_CA_FILE",
]);

export interface SiteEnvInput {
  site: string;
  dbName: string;
  dbUser: string;
  dbHost: string;
  dbPort: number;
  /** TLS to an external database: `verify` or `required`; the CA's file when there is one. */
  dbTls?: { mode: "verify" | "required"; caFile?: string };
  hostNames: string[];
  /** The proxy's HTTPS port, in SITE_URL when it is not 443. */
  httpsPort: number;
  /** The one address forwarded headers are trusted from: the proxy's on the site's own network. */
  proxyAddress: string;
  memcached?: { host: string; port: number };
  env: Record<string, string>;
  secretEnvNames: string[];
  /** Another name for the hash salt: its file's path, or with `plain` the salt itself (which SimpleSite adds, as a secret). */
  hashSaltEnv?: HashSaltEnv;
}

export interface HashSaltEnv {
  name: string;
  plain: boolean;
}

/** The env name a site's `hashSalt` option gives the salt under, if any. */
export function hashSaltEnv(option: { env?: string; plain?: boolean } | undefined): HashSaltEnv | undefined {
  if (option === undefined) return undefined;
  const plain = option.plain ?? false;
  const name = option.env ?? (plain ? "HASH_SALT" : undefined);
  return name === undefined ? undefined : { name, plain };
}

/**
 * The container's environment. Secrets are never values here: the database
 * password, the hash salt and every secretEnv entry are files under
 * /etc/secrets, named by `*_FILE` variables.
 */
export function renderSiteEnv(input: SiteEnvInput): string[] {
  const problems = siteEnvNameProblems(`sites.${input.site}`, input.env, input.secretEnvNames, input.hashSaltEnv?.name);
  if (problems.length > 0) throw new SimplePaasInputError(problems);
  const platform: Record<string, string> = {
    SITE_NAME: input.site,
    SITE_URL: `https://${input.hostNames[0]}${input.httpsPort === 443 ? "" : `:${input.httpsPort}`}`,
    DATABASE_NAME: input.dbName,
    DATABASE_USER: input.dbUser,
    DATABASE_HOST: input.dbHost,
    DATABASE_PORT: String(input.dbPort),
    DATABASE_PASSWORD_FILE: CONTAINER_PATHS.dbPasswordFile,
    HASH_SALT_FILE: CONTAINER_PATHS.hashSaltFile,
    SHARED_DIR: CONTAINER_PATHS.shared,
    PUBLIC_DIR: `${CONTAINER_PATHS.shared}/public`,
    PRIVATE_DIR: `${CONTAINER_PATHS.shared}/private`,
    TMP_DIR: `${CONTAINER_PATHS.shared}/tmp`,
    VIRTUAL_HOST: input.hostNames.join(","),
    REVERSE_PROXY: "true",
    REVERSE_PROXY_ADDRESSES: input.proxyAddress,
  };
  if (input.dbTls) {
    platform.DATABASE_TLS = input.dbTls.mode;
    if (input.dbTls.caFile) platform.DATABASE_TLS_CA_FILE = input.dbTls.caFile;
  }
  if (input.memcached) {
    platform.MEMCACHE_HOST = input.memcached.host;
    platform.MEMCACHE_PORT = String(input.memcached.port);
  }
  const secretFiles = Object.fromEntries(
    [...input.secretEnvNames].sort().map((n) => [`${n}_FILE`, `${CONTAINER_PATHS.secretEnvDir}/${n}`]),
  );
  const salt = input.hashSaltEnv && !input.hashSaltEnv.plain ? { [input.hashSaltEnv.name]: CONTAINER_PATHS.hashSaltFile } : {};
  const all = { ...platform, ...secretFiles, ...salt, ...input.env };
  return Object.keys(all).sort().map((k) => `${k}=${all[k]}`);
}

/**
 * Env names of a site that would take a name the platform sets, or hide a
 * secret's `NAME_FILE`; `field` is the site's field, e.g. `sites.blog`.
 * Also run by the stack config before any resource exists.
 */
export function siteEnvNameProblems(field: string, env: Record<string, string>, secretEnvNames: readonly string[], saltEnvName?: string): string[] {
  const problems: string[] = [];
  if (saltEnvName !== undefined) {
    const taken = PLATFORM_ENV_NAMES.has(saltEnvName) ? "is set by simple-paas itself"
      : saltEnvName in env ? "is also in env"
      : secretEnvNames.some((n) => n === saltEnvName || `${n}_FILE` === saltEnvName) ? "is also a secretEnv name or its _FILE"
      : undefined;
    if (taken) problems.push(`${field}.hashSalt.env: ${JSON.stringify(saltEnvName)} ${taken}; choose another name`);
  }
  for (const n of Object.keys(env)) {
    if (PLATFORM_ENV_NAMES.has(n)) problems.push(`${field}.env.${n}: ${JSON.stringify(n)} is set by simple-paas itself; choose another name`);
  }
  for (const n of secretEnvNames) {
    for (const taken of [n, `${n}_FILE`]) {
      if (PLATFORM_ENV_NAMES.has(taken)) problems.push(`${field}.secretEnv.${n}: ${JSON.stringify(taken)} is set by simple-paas itself; choose another name`);
      else if (taken !== n && taken in env) problems.push(`${field}.secretEnv.${n}: ${JSON.stringify(taken)} is also in env; the secret's file would be hidden`);
    }
  }
  return problems;
}

export const NO_HOST_NAME_RULE = "a site needs at least one domain, or a host with a stagingDomain";

/** Every host name a site answers on: its live domains, then the staging alias. */
export function siteHostNames(site: string, domains: string[], stagingDomain: string | undefined, staging: boolean): string[] {
  const names = [...domains];
  if (staging && stagingDomain !== undefined) names.push(`${site}.${stagingDomain}`);
  if (names.length === 0) {
    throw new SimplePaasInputError([`sites.${site}.domains: [] ${NO_HOST_NAME_RULE}`]);
  }
  return names;
}
