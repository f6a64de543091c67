/**
 * Writes a site's backup settings and secrets on the host (see
 * docs/HOST-LAYOUT.md): backup.env (plain settings, part of the script),
 * restic_pass and restic.env (secrets, read from stdin as JSON).
 */
import { renderEnvFile, scriptHeader, shellQuote } from "./shell";

export interface BackupSettings {
  repository: string;
  keep: { last: number; hourly: number; daily: number; weekly: number; monthly: number; yearly: number };
  tar?: { dir: string; keep: number };
}

export function renderBackupEnv(settings: BackupSettings): string {
  return renderEnvFile({
    SP_RESTIC_REPOSITORY: settings.repository,
    SP_KEEP_LAST: settings.keep.last,
    SP_KEEP_HOURLY: settings.keep.hourly,
    SP_KEEP_DAILY: settings.keep.daily,
    SP_KEEP_WEEKLY: settings.keep.weekly,
    SP_KEEP_MONTHLY: settings.keep.monthly,
    SP_KEEP_YEARLY: settings.keep.yearly,
    SP_TAR_DIR: settings.tar?.dir ?? "",
    SP_TAR_KEEP: settings.tar?.keep ?? 0,
  });
}

/** What a credential's name must be: restic.env is sourced by bash as `export NAME='value'`. */
const CREDENTIAL_NAME_PATTERN = "^[A-Z_][A-Z0-9_]*$";

/**
 * stdin: `{"resticPassword": "...", "credentials": {"NAME": "value"}}`.
 * The whole input is checked before any file is touched, so a bad one
 * (an empty password) fails without replacing the files of an earlier run.
 * Files are written with umask 077 through a temp file, so a reader never
 * sees a half-written secret and nobody but root ever can.
 */
export function renderBackupConfigScript(opts: { backupConfigDir: string; settings: BackupSettings }): string {
  const backupEnv = renderBackupEnv(opts.settings);
  return [
    scriptHeader("write a site's backup settings and secrets"),
    "umask 077",
    `dir=${shellQuote(opts.backupConfigDir)}`,
    'mkdir -p "$dir"',
    'chmod 0700 "$dir"',
    'input="$(cat)"',
    "# Check everything first: never print the input, it holds the secrets.",
    `if ! jq -e --arg re ${shellQuote(CREDENTIAL_NAME_PATTERN)} '`,
    '  type == "object"',
    '  and (.resticPassword | type == "string" and length > 0)',
    '  and ((.credentials // {}) | type == "object" and all(keys[]; test($re)) and all(.[]; type == "string"))\' <<<"$input" >/dev/null 2>&1; then',
    `  echo ${shellQuote(`stdin must be a JSON object with a non-empty string resticPassword and credentials of string values named ${CREDENTIAL_NAME_PATTERN}; nothing was written`)} >&2`,
    "  exit 1",
    "fi",
    "# install_file TARGET: stdin -> TARGET (0600 root), only when it differs.",
    "install_file() {",
    '  local target="$1" tmp',
    '  tmp="$(mktemp "$target.XXXXXX")"',
    '  cat >"$tmp"',
    '  if [ -f "$target" ] && cmp -s "$tmp" "$target"; then rm -f "$tmp"; echo "unchanged: $target" >&2',
    '  else chmod 0600 "$tmp"; mv "$tmp" "$target"; echo "changed: $target" >&2; fi',
    "}",
    // A quoted here-document: the settings are data, nothing in them is expanded.
    `install_file "$dir/backup.env" <<'SIMPLE_PAAS_BACKUP_ENV'`,
    backupEnv + "SIMPLE_PAAS_BACKUP_ENV",
    `jq -er '.resticPassword | select(type == "string" and length > 0)' <<<"$input" | install_file "$dir/restic_pass"`,
    // @sh quotes each value for the shell, so restic.env can be sourced safely.
    `jq -r '(.credentials // {}) | to_entries[] | "export \\(.key)=\\(.value | @sh)"' <<<"$input" | install_file "$dir/restic.env"`,
    "",
  ].join("\n");
}
