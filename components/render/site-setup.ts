/**
 * Renders the per-site host scripts: setup (Linux user/group, directories,
 * secret files, site.env) and teardown. Paths and modes follow
 * docs/HOST-LAYOUT.md. Pure functions: input -> bash text.
 */
import { posix } from "node:path";
import { renderEnvFile, shellQuote } from "./shell";
import { requireAbsolutePath, requireMatch, scriptPrelude, writeKnownFile } from "./host-script-lib";

export interface SiteSetupInput {
  /** Site name, validated elsewhere: [a-z][a-z0-9-]*, at most 32 characters. */
  site: string;
  sitesRoot: string;
  configDir: string;
  /** The site's Linux user and group, the site name itself (naming.ts siteLinuxUser). */
  linuxUser: string;
  linuxGroup: string;
  /** `<sitesRoot>/<site>/data`, mounted at /shared in the container. */
  dataDir: string;
  dbName: string;
  dbUser: string;
  /** Names of the secret env values that come on stdin with the other secrets. */
  secretEnvNames: string[];
}

/** Subdirectories of the data dir. */
export const SITE_DATA_SUBDIRS = ["public", "private", "sql", "tmp"] as const;

/** The per-site files and directories both scripts talk about. */
export function sitePaths(input: SiteSetupInput) {
  const siteConfigDir = posix.join(input.configDir, "sites", input.site);
  return {
    siteDir: posix.join(input.sitesRoot, input.site),
    siteConfigDir,
    secretsDir: posix.join(siteConfigDir, "secrets"),
    secretEnvDir: posix.join(siteConfigDir, "secrets", "env"),
    siteEnv: posix.join(siteConfigDir, "site.env"),
    cronFile: `/etc/cron.d/simple-paas-${input.site}`,
    proxyRoute: posix.join(input.configDir, "proxy", "sites", `${input.site}.caddy`),
  };
}

/** Rejects input whose paths or names the scripts must not act on. */
function checkSiteSetupInput(input: SiteSetupInput): void {
  requireMatch("site", input.site, /^[a-z][a-z0-9-]{0,31}$/, "[a-z][a-z0-9-]* and at most 32 characters");
  requireAbsolutePath("sitesRoot", input.sitesRoot);
  requireAbsolutePath("configDir", input.configDir);
  requireAbsolutePath("dataDir", input.dataDir);
  const linuxName = /^[a-z_][a-z0-9_-]{0,31}$/;
  requireMatch("linuxUser", input.linuxUser, linuxName, "a Linux user name ([a-z_][a-z0-9_-]*, at most 32)");
  requireMatch("linuxGroup", input.linuxGroup, linuxName, "a Linux group name ([a-z_][a-z0-9_-]*, at most 32)");
  for (const name of input.secretEnvNames) {
    // Each name becomes a file name under secrets/env.
    requireMatch("secretEnvNames[]", name, /^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
  }
  for (const [field, value] of [["dbName", input.dbName], ["dbUser", input.dbUser]] as const) {
    requireMatch(field, value, /^[^\n\r\0]+$/, "non-empty, without newlines");
  }
}

/**
 * Creates or repairs the site's user, group, directories and secret files.
 * stdin: `{"dbPassword": "...", "hashSalt": "...", "secretEnv": {"NAME": "value"}}`.
 * stdout: exactly one line, `{"uid":N,"gid":N}`; progress on stderr.
 */
export function renderSiteSetupScript(input: SiteSetupInput): string {
  checkSiteSetupInput(input);
  const p = sitePaths(input);
  const siteEnv = renderEnvFile({
    SP_SITE: input.site,
    SP_DATA_DIR: input.dataDir,
    SP_DB_NAME: input.dbName,
    SP_DB_USER: input.dbUser,
    SP_USER: input.linuxUser,
    SP_GROUP: input.linuxGroup,
  });
  const wanted = [...new Set(input.secretEnvNames)].sort();
  return `${scriptPrelude(`simple-paas site setup: ${input.site}`, `site-setup ${input.site}`)}
readonly SP_USER=${shellQuote(input.linuxUser)}
readonly SP_GROUP=${shellQuote(input.linuxGroup)}
readonly SP_SITE_DIR=${shellQuote(p.siteDir)}
readonly SP_DATA_DIR=${shellQuote(input.dataDir)}
readonly SP_SECRETS_DIR=${shellQuote(p.secretsDir)}
readonly SP_SECRET_ENV_DIR=${shellQuote(p.secretEnvDir)}
readonly SP_WANTED_ENV_JSON=${shellQuote(JSON.stringify(wanted))}
wanted_env=(${wanted.map(shellQuote).join(" ")})

[ -d ${shellQuote(posix.join(input.configDir, "sites"))} ] || sp_die "host not set up: run the host packages script first"

# Secrets first: a malformed stdin must fail before anything is created.
secrets_json=$(cat)
printf '%s' "$secrets_json" | jq -e '
  type == "object"
  and (.dbPassword | type == "string" and length > 0)
  and (.hashSalt | type == "string" and length > 0)
  and ((.secretEnv // {}) | type == "object" and all(.[]; type == "string"))' >/dev/null 2>&1 ||
  sp_die 'stdin must be {"dbPassword": "...", "hashSalt": "...", "secretEnv": {"NAME": "value"}} with non-empty strings'
if ! printf '%s' "$secrets_json" | jq -e --argjson want "$SP_WANTED_ENV_JSON" '((.secretEnv // {}) | keys) == $want' >/dev/null; then
  sp_die "secretEnv on stdin has $(printf '%s' "$secrets_json" | jq -c '(.secretEnv // {}) | keys'), expected $SP_WANTED_ENV_JSON"
fi

# useradd/groupadd of sites set up in parallel would race for /etc/passwd.
exec 9>/run/simple-paas-accounts.lock
flock -w 120 9 || sp_die "could not lock /run/simple-paas-accounts.lock within 120s"
if getent group "$SP_GROUP" >/dev/null; then
  sp_log "group $SP_GROUP: exists"
else
  groupadd --system "$SP_GROUP"
  sp_changed "group $SP_GROUP: created"
fi
# A system user without a login shell whose home is the site dir (made below).
if passwd_entry=$(getent passwd "$SP_USER"); then
  IFS=: read -r _ _ _ user_gid _ user_home user_shell <<<"$passwd_entry"
  want_gid=$(getent group "$SP_GROUP" | cut -d: -f3)
  if [ "$user_gid:$user_home:$user_shell" != "$want_gid:$SP_SITE_DIR:/usr/sbin/nologin" ]; then
    usermod --gid "$SP_GROUP" --home "$SP_SITE_DIR" --shell /usr/sbin/nologin "$SP_USER"
    sp_changed "user $SP_USER: group/home/shell repaired"
  else
    sp_log "user $SP_USER: exists"
  fi
else
  useradd --system --gid "$SP_GROUP" --home-dir "$SP_SITE_DIR" --no-create-home --shell /usr/sbin/nologin "$SP_USER"
  sp_changed "user $SP_USER: created"
fi
exec 9>&-
uid=$(id -u "$SP_USER")
gid=$(getent group "$SP_GROUP" | cut -d: -f3)

sp_ensure_dir "$SP_SITE_DIR" 0750 root "$SP_GROUP"
sp_ensure_dir "$SP_DATA_DIR" 2770 "$SP_USER" "$SP_GROUP"
${SITE_DATA_SUBDIRS.map((d) => `sp_ensure_dir "$SP_DATA_DIR"/${d} 2770 "$SP_USER" "$SP_GROUP"`).join("\n")}
sp_ensure_dir ${shellQuote(p.siteConfigDir)} 0755 root root
sp_ensure_dir "$SP_SECRETS_DIR" 0750 root "$SP_GROUP"
sp_ensure_dir "$SP_SECRET_ENV_DIR" 0750 root "$SP_GROUP"

# Secret files: readable by root and the site's group (the container runs as
# www-data:<gid>), exactly the value (no newline added).
umask 077
sp_secret() { printf '%s' "$secrets_json" | jq -j --arg name "$2" "$1" | sp_write_file "$3" 0440 root "$SP_GROUP"; }
sp_secret '.dbPassword' '' "$SP_SECRETS_DIR/db_pass"
sp_secret '.hashSalt' '' "$SP_SECRETS_DIR/hash_salt"
for name in "\${wanted_env[@]}"; do
  # shellcheck disable=SC2016 # $name is a jq variable (--arg), not a shell one
  sp_secret '.secretEnv[$name]' "$name" "$SP_SECRET_ENV_DIR/$name"
done
for file in "$SP_SECRET_ENV_DIR"/* "$SP_SECRET_ENV_DIR"/.[!.]*; do
  [ -e "$file" ] || [ -L "$file" ] || continue
  keep=0
  for name in "\${wanted_env[@]}"; do
    if [ "$SP_SECRET_ENV_DIR/$name" = "$file" ]; then keep=1; fi
  done
  if [ "$keep" = 0 ]; then
    rm -rf -- "$file"
    sp_changed "$file: removed (no longer a secret env name)"
  fi
done
umask 022

${writeKnownFile(p.siteEnv, "0600", "root", "root", siteEnv)}
sp_finish
printf '{"uid":%s,"gid":%s}\\n' "$uid" "$gid" >&3
`;
}

/**
 * Removes the site's configuration after its final backup and after its
 * container is gone: everything under `<configDir>/sites/<site>` except
 * `backup/` (the backup credentials keep the site recoverable), its cron file
 * and its proxy route. It keeps the data dir and the Linux user/group, so
 * nothing is lost and a later re-creation of the site reuses them (same
 * uid/gid, so the files' ownership still fits). No stdin; stdout unused.
 */
export function renderSiteTeardownScript(input: SiteSetupInput): string {
  checkSiteSetupInput(input);
  const p = sitePaths(input);
  return `${scriptPrelude(`simple-paas site teardown: ${input.site}`, `site-teardown ${input.site}`)}
readonly SP_SITE_CONFIG_DIR=${shellQuote(p.siteConfigDir)}
readonly SP_DATA_DIR=${shellQuote(input.dataDir)}
readonly SP_USER=${shellQuote(input.linuxUser)}

if [ -d "$SP_SITE_CONFIG_DIR" ]; then
  for entry in "$SP_SITE_CONFIG_DIR"/* "$SP_SITE_CONFIG_DIR"/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    if [ "$entry" = "$SP_SITE_CONFIG_DIR/backup" ]; then continue; fi
    rm -rf -- "$entry"
    sp_changed "$entry: removed"
  done
  if [ ! -e "$SP_SITE_CONFIG_DIR/backup" ]; then
    rmdir -- "$SP_SITE_CONFIG_DIR"
    sp_changed "$SP_SITE_CONFIG_DIR: removed"
  else
    sp_log "$SP_SITE_CONFIG_DIR/backup: kept"
  fi
else
  sp_log "$SP_SITE_CONFIG_DIR: already gone"
fi
for file in ${shellQuote(p.cronFile)} ${shellQuote(p.proxyRoute)}; do
  if [ -e "$file" ] || [ -L "$file" ]; then
    rm -f -- "$file"
    sp_changed "$file: removed"
  else
    sp_log "$file: already gone"
  fi
done
sp_log "kept $SP_DATA_DIR and user $SP_USER for a later re-creation"
sp_finish
`;
}
