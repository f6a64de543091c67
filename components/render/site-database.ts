/**
 * The host-side step that gives a site its database, its database user and
 * the user's grant on that database alone, and the step's removal. It runs
 * where the host's other steps run (locally or over SSH), as the admin
 * account in `<configDir>/mysql-admin.cnf`, so nothing on the machine running
 * Pulumi talks to MariaDB. (Why not @pulumi/mysql: README, "Libraries".)
 * Pure: input -> bash text (host-scripts/site-database.sh and
 * site-database-removal.sh with their values).
 */
import { posix } from "node:path";
import { renderHostScript } from "./host-script";
import { generationValues } from "../model/generation";
import { ABSOLUTE_PATH, GENERATION, Rule, SITE_DB_IDENTIFIER, SITE_NAME, requireRule } from "../model/rules";

/** A site database's character set and collation: 4-byte UTF-8, what current CMSs expect. */
export const SITE_DB_CHARSET = "utf8mb4";
export const SITE_DB_COLLATION = "utf8mb4_unicode_ci";

export interface SiteDatabaseInput {
  site: string;
  /** Where mysql-admin.cnf is (HostBootstrap's configDir). */
  configDir: string;
  dbName: string;
  dbUser: string;
  /** The `host` part of the user: the site's network (`172.31.0.16/255.255.255.240`) or `%` for an external server. */
  userHostPattern: string;
  /**
   * Host generation (HostBootstrapArgs.generation). Part of the script text so
   * a new generation runs the step again as an update; a replacement would
   * run the removal first.
   */
  generation: string;
}

export interface SiteDatabaseRemovalInput extends Omit<SiteDatabaseInput, "generation"> {
  /**
   * Also drop the database and delete the data and dump dirs
   * (SimpleSiteArgs.deleteDataOnDestroy), but only when `finalBackupDone`
   * exists: the site's final backup writes it once it has its snapshot (it
   * skips a host of another generation). Done under the site's lock.
   */
  deleteData?: { dataDir: string; dumpDir: string; finalBackupDone: string; lockFile: string; removedMark: string };
}

const USER_HOST_PATTERN: Rule = {
  test: (v) => /^(%|[0-9.]+\/[0-9.]+|[A-Za-z0-9.%_-]+)$/.test(v),
  text: "must be %, ADDRESS/NETMASK or a host name pattern",
};

function checkInput(input: Omit<SiteDatabaseInput, "generation">): void {
  requireRule("site", input.site, SITE_NAME);
  requireRule("configDir", input.configDir, ABSOLUTE_PATH);
  // Identifiers are written into SQL as they are (backquoted): keep them plain.
  requireRule("dbName", input.dbName, SITE_DB_IDENTIFIER);
  requireRule("dbUser", input.dbUser, SITE_DB_IDENTIFIER);
  requireRule("userHostPattern", input.userHostPattern, USER_HOST_PATTERN);
}

function adminValues(input: Omit<SiteDatabaseInput, "generation">) {
  return {
    SP_ADMIN_CNF: posix.join(input.configDir, "mysql-admin.cnf"),
    SP_DB_NAME: input.dbName,
    SP_DB_USER: input.dbUser,
    SP_DB_HOST_PATTERN: input.userHostPattern,
    // The host's own server: the account over its unix socket too, for sp's sandboxed imports.
    SP_DB_SOCKET_ACCOUNT: input.userHostPattern === "%" ? "no" : "yes",
  };
}

/**
 * Creates or updates the site's database, user and grant. stdin: the
 * user's password (one line). stdout unused. Idempotent.
 */
export function renderSiteDatabaseScript(input: SiteDatabaseInput): string {
  checkInput(input);
  requireRule("generation", input.generation, GENERATION);
  return renderHostScript({
    purpose: `simple-paas site database: ${input.site}`,
    tag: `site-database ${input.site}`,
    libraries: ["sql", "admin-sql"],
    values: {
      ...generationValues(input.generation),
      ...adminValues(input),
      SP_DB_CHARSET: SITE_DB_CHARSET,
      SP_DB_COLLATION: SITE_DB_COLLATION,
    },
    file: "site-database.sh",
  });
}

/**
 * Removes the site's database user (its grant goes with it). The database
 * stays unless `deleteData` says the site's data is meant to go (see
 * site-database-removal.sh). On a host where simple-paas is not set up (new
 * or wiped), there is nothing to remove.
 */
export function renderSiteDatabaseRemovalScript(input: SiteDatabaseRemovalInput): string {
  checkInput(input);
  const d = input.deleteData;
  if (d) for (const field of ["dataDir", "dumpDir", "finalBackupDone", "lockFile", "removedMark"] as const) requireRule(`deleteData.${field}`, d[field], ABSOLUTE_PATH);
  return renderHostScript({
    purpose: `simple-paas site database removal: ${input.site}`,
    tag: `site-database-removal ${input.site}`,
    libraries: ["sql", "admin-sql"],
    values: {
      SP_SITE: input.site,
      ...adminValues(input),
      SP_DELETE_DATA: d ? "yes" : "no",
      SP_DATA_DIR: d?.dataDir ?? "",
      SP_DUMP_DIR: d?.dumpDir ?? "",
      SP_FINAL_DONE: d?.finalBackupDone ?? "",
      SP_LOCK_FILE: d?.lockFile ?? "",
      SP_REMOVED_MARK: d?.removedMark ?? "",
    },
    file: "site-database-removal.sh",
  });
}
