/**
 * The per-site host scripts: setup (Linux user/group, directories, secret
 * files, site.env) and teardown. Paths and modes follow
 * docs/HOST-LAYOUT.md. Pure: input -> bash text (host-scripts/site-setup.sh
 * and site-teardown.sh with their values).
 */
import { posix } from "node:path";
import { renderHostScript } from "./host-script";
import { renderEnvFile } from "./shell";
import type { HostSettings } from "../model/host-settings";
import { databaseCaFile, siteCronFiles } from "../model/naming";
import type { SitePlan } from "../model/site-plan";
import { ABSOLUTE_PATH, ENV_NAME, HOST_ADDRESS, LINUX_NAME, SITE_DB_IDENTIFIER, SITE_NAME, requireRule } from "../model/rules";

export interface SiteSetupInput {
  site: string;
  sitesRoot: string;
  configDir: string;
  /** The site's Linux user and group, the site name itself (model/naming.ts siteLinuxUser). */
  linuxUser: string;
  linuxGroup: string;
  /** `<sitesRoot>/<site>/data`, mounted at /shared in the container. */
  dataDir: string;
  dbName: string;
  dbUser: string;
  /** Names of the secret env values that come on stdin with the other secrets. */
  secretEnvNames: string[];
  /** The CA of an external database server the site speaks TLS to, written beside its secrets. */
  dbCaPem?: string;
  /**
   * How `sp` reaches the site's own database account to import a dump: the
   * host's MariaDB over its unix socket, or an external server over TCP
   * (TLS as the host's settings say).
   */
  dbClient: { mode: "socket" } | { mode: "tcp"; host: string; port: number; tls: "verify" | "required" | "off"; caFile?: string };
}

/** The setup script's input for a site's plan on its host. */
export function siteSetupInput(settings: HostSettings, plan: SitePlan): SiteSetupInput {
  const db = settings.database;
  return {
    site: plan.site, sitesRoot: settings.paths.sitesRoot, configDir: settings.paths.configDir,
    linuxUser: plan.linuxUser, linuxGroup: plan.linuxUser, dataDir: plan.paths.dataDir,
    dbName: plan.dbName, dbUser: plan.dbUser, secretEnvNames: plan.secretEnvNames,
    dbCaPem: db.tls === "off" ? undefined : db.caPem,
    dbClient: db.mode === "local" ? { mode: "socket" } : {
      mode: "tcp", host: db.containerHost, port: db.port, tls: db.tls,
      caFile: db.caPem ? databaseCaFile(settings.paths.configDir) : undefined,
    },
  };
}

/** The site's uid and gid on the host, from the setup script's last line (`{"uid":N,"gid":N}`). */
export function parseSiteSetupIds(stdout: string): { uid: number; gid: number } {
  const line = stdout.trim().split("\n").pop() ?? "";
  const parsed = JSON.parse(line) as { uid: unknown; gid: unknown };
  if (typeof parsed.uid !== "number" || typeof parsed.gid !== "number") {
    throw new Error(`site setup printed ${JSON.stringify(line)}, expected {"uid":N,"gid":N}`);
  }
  return { uid: parsed.uid, gid: parsed.gid };
}

/** Subdirectories of the data dir. */
export const SITE_DATA_SUBDIRS = ["public", "private", "sql", "tmp"] as const;

/** The per-site files and directories both scripts talk about. */
export function sitePaths(input: Pick<SiteSetupInput, "site" | "sitesRoot" | "configDir">) {
  const siteConfigDir = posix.join(input.configDir, "sites", input.site);
  return {
    siteDir: posix.join(input.sitesRoot, input.site),
    dumpDir: posix.join(input.sitesRoot, input.site, "dump"),
    siteConfigDir,
    secretsDir: posix.join(siteConfigDir, "secrets"),
    secretEnvDir: posix.join(siteConfigDir, "secrets", "env"),
    siteEnv: posix.join(siteConfigDir, "site.env"),
    proxyRoute: posix.join(input.configDir, "proxy", "sites", `${input.site}.caddy`),
  };
}

/** Rejects input whose paths or names the scripts must not act on. */
function checkSiteSetupInput(input: SiteSetupInput): void {
  requireRule("site", input.site, SITE_NAME);
  for (const field of ["sitesRoot", "configDir", "dataDir"] as const) requireRule(field, input[field], ABSOLUTE_PATH);
  requireRule("linuxUser", input.linuxUser, LINUX_NAME);
  requireRule("linuxGroup", input.linuxGroup, LINUX_NAME);
  input.secretEnvNames.forEach((name, i) => requireRule(`secretEnvNames[${i}]`, name, ENV_NAME));
  requireRule("dbName", input.dbName, SITE_DB_IDENTIFIER);
  requireRule("dbUser", input.dbUser, SITE_DB_IDENTIFIER);
  if (input.dbClient.mode === "tcp") requireRule("dbClient.host", input.dbClient.host, HOST_ADDRESS);
}

/**
 * Creates or repairs the site's user, group, directories and secret files.
 * stdin: `{"dbPassword": "...", "hashSalt": "...", "secretEnv": {"NAME": "value"}}`.
 * stdout: exactly one line, `{"uid":N,"gid":N}`; progress on stderr.
 */
export function renderSiteSetupScript(input: SiteSetupInput): string {
  checkSiteSetupInput(input);
  const p = sitePaths(input);
  const wanted = [...new Set(input.secretEnvNames)].sort();
  return renderHostScript({
    purpose: `simple-paas site setup: ${input.site}`,
    tag: `site-setup ${input.site}`,
    values: {
      SP_SITES_CONF_DIR: posix.join(input.configDir, "sites"),
      SP_USER: input.linuxUser,
      SP_GROUP: input.linuxGroup,
      SP_SITE_DIR: p.siteDir,
      SP_DATA_DIR: input.dataDir,
      SP_DATA_SUBDIRS: [...SITE_DATA_SUBDIRS],
      SP_DUMP_DIR: p.dumpDir,
      SP_SITE_CONFIG_DIR: p.siteConfigDir,
      SP_SECRETS_DIR: p.secretsDir,
      SP_SECRET_ENV_DIR: p.secretEnvDir,
      SP_WANTED_ENV: wanted,
      SP_WANTED_ENV_JSON: JSON.stringify(wanted),
      SP_DB_CA_PEM: input.dbCaPem === undefined ? "" : input.dbCaPem.endsWith("\n") ? input.dbCaPem : `${input.dbCaPem}\n`,
      SP_SITE_ENV_FILE: p.siteEnv,
      SP_SITE_ENV: renderEnvFile({
        SP_SITE: input.site,
        SP_DATA_DIR: input.dataDir,
        SP_DUMP_DIR: p.dumpDir,
        SP_DB_NAME: input.dbName,
        SP_DB_USER: input.dbUser,
        SP_USER: input.linuxUser,
        SP_GROUP: input.linuxGroup,
        SP_DB_CLIENT: input.dbClient.mode,
        ...(input.dbClient.mode === "tcp" ? {
          SP_DB_HOST: input.dbClient.host,
          SP_DB_PORT: input.dbClient.port,
          SP_DB_TLS: input.dbClient.tls,
          SP_DB_CA_FILE: input.dbClient.caFile ?? "",
        } : {}),
      }),
      SP_CREATED_FILE: posix.join(p.siteConfigDir, "created"),
    },
    file: "site-setup.sh",
  });
}

/**
 * Removes the site's configuration after its final backup and after its
 * container is gone (see site-teardown.sh): it keeps the data dir, the
 * backup credentials and the Linux user/group. No stdin; stdout unused.
 */
export function renderSiteTeardownScript(input: SiteSetupInput): string {
  checkSiteSetupInput(input);
  const p = sitePaths(input);
  return renderHostScript({
    purpose: `simple-paas site teardown: ${input.site}`,
    tag: `site-teardown ${input.site}`,
    values: {
      SP_SITE_CONFIG_DIR: p.siteConfigDir,
      SP_DATA_DIR: input.dataDir,
      SP_USER: input.linuxUser,
      SP_FILES: [...siteCronFiles(input.site), p.proxyRoute],
    },
    file: "site-teardown.sh",
  });
}
