/**
 * Renders the host-side step that gives a site its database, its database
 * user and the user's grant on that database alone, and the step's removal.
 * It runs where the host's other steps run (locally or over SSH), as the
 * admin account in `<configDir>/mysql-admin.cnf`, so nothing on the machine
 * running Pulumi talks to MariaDB. (Why not @pulumi/mysql: README,
 * "Libraries".) The password comes on stdin; SQL goes to the client on
 * stdin too, so no secret is ever on a command line.
 */
import { posix } from "node:path";
import { generationComment, shellQuote } from "./shell";
import { requireAbsolutePath, requireMatch, scriptPrelude, SQL_QUOTE_FUNCTION } from "./host-script-lib";

/** A site database's character set and collation: 4-byte UTF-8, what current CMSs expect. */
export const SITE_DB_CHARSET = "utf8mb4";
export const SITE_DB_COLLATION = "utf8mb4_unicode_ci";

export interface SiteDatabaseInput {
  site: string;
  /** Where mysql-admin.cnf is (HostBootstrap's configDir). */
  configDir: string;
  dbName: string;
  dbUser: string;
  /** The `host` part of the user: the sites network (`172.30.0.0/255.255.255.0`) or `%` for an external server. */
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
   * Also drop the database and delete the data dir (SimpleSiteArgs.deleteDataOnDestroy),
   * but only when `finalBackupDone` exists: the site's final backup writes it
   * once it has its snapshot (it skips a host of another generation).
   */
  deleteData?: { dataDir: string; finalBackupDone: string };
}

function checkInput(input: Omit<SiteDatabaseInput, "generation">): void {
  requireMatch("site", input.site, /^[a-z][a-z0-9-]{0,31}$/, "[a-z][a-z0-9-]* and at most 32 characters");
  requireAbsolutePath("configDir", input.configDir);
  // Identifiers are written into SQL as they are (backquoted): keep them plain.
  requireMatch("dbName", input.dbName, /^[a-z][a-z0-9_]{0,63}$/, "[a-z][a-z0-9_]*, at most 64 characters");
  requireMatch("dbUser", input.dbUser, /^[a-z][a-z0-9_]{0,79}$/, "[a-z][a-z0-9_]*, at most 80 characters");
  requireMatch("userHostPattern", input.userHostPattern, /^(%|[0-9.]+\/[0-9.]+|[A-Za-z0-9.%_-]+)$/,
    "%, ADDRESS/NETMASK or a host name pattern");
}

/** A SQL string literal (sql_mode is reset in the scripts, so backslashes are escapes). */
function sqlString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/** Shared head of both scripts: the admin client and its first login. */
function adminClient(input: Omit<SiteDatabaseInput, "generation">): string {
  const cnf = posix.join(input.configDir, "mysql-admin.cnf");
  return `readonly SP_ADMIN_CNF=${shellQuote(cnf)}
readonly SP_DB_NAME=${shellQuote(input.dbName)}
readonly SP_DB_ACCOUNT=${shellQuote(`${sqlString(input.dbUser)}@${sqlString(input.userHostPattern)}`)}

# The admin account's client; SQL on stdin or -e, never a password.
sp_admin_sql() { mysql --defaults-extra-file="$SP_ADMIN_CNF" --connect-timeout=10 -N -B "$@"; }
sp_admin_login() {
  local err
  if ! err=$(sp_admin_sql -e 'SELECT 1' 2>&1 >/dev/null); then
    sp_die "cannot log in to MariaDB as the admin account of $SP_ADMIN_CNF: \${err:-no error text} (is the server running and the host set up?)"
  fi
}`;
}

/**
 * Creates or updates the site's database, user and grant. stdin: the
 * user's password (one line). stdout unused. Idempotent: a second run
 * changes nothing but (re)setting the same password.
 */
export function renderSiteDatabaseScript(input: SiteDatabaseInput): string {
  checkInput(input);
  requireMatch("generation", input.generation, /^[A-Za-z0-9._-]{1,64}$/, "1-64 characters of A-Z, a-z, 0-9, '.', '_', '-'");
  return `${scriptPrelude(`simple-paas site database: ${input.site}`, `site-database ${input.site}`)}
${generationComment(input.generation)}
${adminClient(input)}
readonly SP_DB_CHARSET=${shellQuote(SITE_DB_CHARSET)}
readonly SP_DB_COLLATION=${shellQuote(SITE_DB_COLLATION)}

password=""
IFS= read -r password || true
[ -n "$password" ] || sp_die "expected the site's database password on stdin (one line)"
[ -f "$SP_ADMIN_CNF" ] || sp_die "$SP_ADMIN_CNF is missing: the host's services step has not run on this host"
sp_admin_login

${SQL_QUOTE_FUNCTION}

schema=$(sp_admin_sql -e "SELECT CONCAT_WS(' ', DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '$SP_DB_NAME'")
if [ -z "$schema" ]; then
  sp_admin_sql -e "CREATE DATABASE \\\`$SP_DB_NAME\\\` CHARACTER SET $SP_DB_CHARSET COLLATE $SP_DB_COLLATION"
  sp_changed "database $SP_DB_NAME: created ($SP_DB_CHARSET, $SP_DB_COLLATION)"
elif [ "$schema" != "$SP_DB_CHARSET $SP_DB_COLLATION" ]; then
  # Only the default for new tables; existing tables keep their own.
  sp_admin_sql -e "ALTER DATABASE \\\`$SP_DB_NAME\\\` CHARACTER SET $SP_DB_CHARSET COLLATE $SP_DB_COLLATION"
  sp_changed "database $SP_DB_NAME: default $schema -> $SP_DB_CHARSET $SP_DB_COLLATION"
else
  sp_log "database $SP_DB_NAME: present ($schema)"
fi

existed=$(sp_admin_sql -e ${shellQuote(`SELECT COUNT(*) FROM mysql.user WHERE User = ${sqlString(input.dbUser)} AND Host = ${sqlString(input.userHostPattern)}`)})
# The password only on the client's stdin.
{
  printf '%s\\n' "SET SESSION sql_mode = '';"
  printf '%s\\n' "CREATE USER IF NOT EXISTS $SP_DB_ACCOUNT IDENTIFIED BY $(sp_sql_quote "$password");"
  printf '%s\\n' "ALTER USER $SP_DB_ACCOUNT IDENTIFIED BY $(sp_sql_quote "$password");"
  printf '%s\\n' "GRANT ALL PRIVILEGES ON \\\`$SP_DB_NAME\\\`.* TO $SP_DB_ACCOUNT;"
} | sp_admin_sql
# The same user on another sites network (ADDRESS/NETMASK, the form simple-paas
# makes; an operator's own accounts stay) keeps no access: one account per site.
sp_admin_sql -e ${shellQuote(`SELECT QUOTE(Host) FROM mysql.user WHERE User = ${sqlString(input.dbUser)} AND Host <> ${sqlString(input.userHostPattern)} AND Host LIKE '%/%'`)} |
  while IFS= read -r stale_host; do
    sp_admin_sql -e "DROP USER ${sqlString(input.dbUser)}@$stale_host"
    sp_changed "user ${input.dbUser}@$stale_host: dropped (the site's user is $SP_DB_ACCOUNT now)"
  done
if [ "$existed" = 0 ]; then
  sp_changed "user $SP_DB_ACCOUNT: created, with all privileges on $SP_DB_NAME only"
else
  sp_log "user $SP_DB_ACCOUNT: password set, all privileges on $SP_DB_NAME"
fi
sp_finish
`;
}

/**
 * Removes the site's database user (its grant goes with it). The database
 * stays unless `deleteData` says the site's data is meant to go; then the
 * database is dropped and the data dir deleted too (the final backup ran
 * before: it depends on this step). On a host where simple-paas is not set
 * up (new or wiped), there is nothing to remove.
 */
export function renderSiteDatabaseRemovalScript(input: SiteDatabaseRemovalInput): string {
  checkInput(input);
  if (input.deleteData) {
    requireAbsolutePath("deleteData.dataDir", input.deleteData.dataDir);
    requireAbsolutePath("deleteData.finalBackupDone", input.deleteData.finalBackupDone);
  }
  const dropData = input.deleteData === undefined ? `sp_log "database $SP_DB_NAME: kept"` : `readonly SP_DATA_DIR=${shellQuote(input.deleteData.dataDir)}
readonly SP_FINAL_DONE=${shellQuote(input.deleteData.finalBackupDone)}
if [ ! -f "$SP_FINAL_DONE" ]; then
  sp_log "no final backup was taken now (new or wiped host, or another generation): database $SP_DB_NAME and $SP_DATA_DIR kept"
else
  sp_admin_sql -e "DROP DATABASE IF EXISTS \\\`$SP_DB_NAME\\\`"
  sp_changed "database $SP_DB_NAME: dropped after the final backup (deleteDataOnDestroy)"
  if [ -e "$SP_DATA_DIR" ]; then
    rm -rf --one-file-system -- "$SP_DATA_DIR"
    sp_changed "$SP_DATA_DIR: deleted after the final backup (deleteDataOnDestroy)"
  fi
  rm -f -- "$SP_FINAL_DONE"
fi`;
  return `${scriptPrelude(`simple-paas site database removal: ${input.site}`, `site-database-removal ${input.site}`)}
${adminClient(input)}

if [ ! -f "$SP_ADMIN_CNF" ]; then
  sp_log "$SP_ADMIN_CNF is missing: simple-paas is not set up on this host (new or wiped), nothing to remove"
  exit 0
fi
sp_admin_login
sp_admin_sql -e "DROP USER IF EXISTS $SP_DB_ACCOUNT"
sp_changed "user $SP_DB_ACCOUNT: dropped (if it existed)"
${dropData}
sp_finish
`;
}
