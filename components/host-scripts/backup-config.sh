# shellcheck shell=bash
# Writes a site's backup settings and secrets (docs/HOST-LAYOUT.md):
# backup.env (plain settings, a value of this script), restic_pass and
# restic.env (secrets, from stdin as JSON:
# {"resticPassword": "...", "credentials": {"NAME": "value"}, "heartbeatUrl": "...",
# "adoptPassword": "..."}).
# The whole input is checked before any file is touched, so a bad one (an
# empty password) fails without replacing the files of an earlier run. Files
# are written 0600 through a temp file, so a reader never sees a
# half-written secret and nobody but root ever can.
#
# Values (render/backup-config.ts): SP_BACKUP_CONFIG_DIR SP_BACKUP_ENV
# SP_CREDENTIAL_NAME_PATTERN

umask 077
sp_ensure_dir "$SP_BACKUP_CONFIG_DIR" 0700 root root
input="$(cat)"
# Check everything first: never print the input, it holds the secrets.
if ! jq -e --arg re "$SP_CREDENTIAL_NAME_PATTERN" '
  type == "object"
  and (.resticPassword | type == "string" and length > 0)
  and ((.credentials // {}) | type == "object" and all(keys[]; test($re)) and all(.[]; type == "string"))
  and ((.heartbeatUrl // "https://x") | type == "string" and test("^https?://[^[:space:]\"]+$"))
  and ((.adoptPassword // "x") | type == "string" and length > 0)' <<<"$input" >/dev/null 2>&1; then
  sp_die "stdin must be a JSON object with a non-empty string resticPassword, credentials of string values named $SP_CREDENTIAL_NAME_PATTERN, an optional http(s) heartbeatUrl and an optional non-empty adoptPassword; nothing was written"
fi
printf '%s' "$SP_BACKUP_ENV" | sp_write_file "$SP_BACKUP_CONFIG_DIR/backup.env" 0600 root root
jq -er '.resticPassword | select(type == "string" and length > 0)' <<<"$input" | sp_write_file "$SP_BACKUP_CONFIG_DIR/restic_pass" 0600 root root
# @sh quotes each value for the shell, so restic.env can be sourced safely.
jq -r '(.credentials // {}) | to_entries[] | "export \(.key)=\(.value | @sh)"' <<<"$input" | sp_write_file "$SP_BACKUP_CONFIG_DIR/restic.env" 0600 root root
# The heartbeat URL is a secret too (it names the check): a file curl reads, never its command line.
if jq -e 'has("heartbeatUrl") and .heartbeatUrl != null' <<<"$input" >/dev/null; then
  jq -j '.heartbeatUrl' <<<"$input" | sp_write_file "$SP_BACKUP_CONFIG_DIR/heartbeat_url" 0600 root root
elif [ -e "$SP_BACKUP_CONFIG_DIR/heartbeat_url" ]; then
  rm -f -- "$SP_BACKUP_CONFIG_DIR/heartbeat_url"
  sp_changed "$SP_BACKUP_CONFIG_DIR/heartbeat_url: removed"
fi
# The password of the original scripts' repository (backup.adopt), for sp adopt.
if jq -e 'has("adoptPassword") and .adoptPassword != null' <<<"$input" >/dev/null; then
  jq -j '.adoptPassword' <<<"$input" | sp_write_file "$SP_BACKUP_CONFIG_DIR/adopt_pass" 0600 root root
elif [ -e "$SP_BACKUP_CONFIG_DIR/adopt_pass" ]; then
  rm -f -- "$SP_BACKUP_CONFIG_DIR/adopt_pass"
  sp_changed "$SP_BACKUP_CONFIG_DIR/adopt_pass: removed"
fi
sp_finish
