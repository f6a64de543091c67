/**
 * The `sp` operator command, installed at /usr/local/bin/sp by the host
 * bootstrap: list, status, logs, shell, exec, backup, prune, snapshots,
 * restore, tar-restore. It reads the files of docs/HOST-LAYOUT.md under
 * `configDir`; `sp help` documents subcommands, decisions and exit codes.
 *
 * Pure: the same text is put on hosts and executed by the integration
 * tests. The bash lives in components/host-scripts/sp/*.sh, one file per
 * group of subcommands; this module puts CONF_DIR and SP_SELF in front.
 */
import { hostScriptFile } from "./host-script-files";
import { scriptHeader, shellQuote } from "./shell";
import { SITE_NAME_PATTERN } from "../model/rules";

/** The parts of `sp`, in the order they are put together. */
export const SP_PARTS = [
  "sp/common.sh", "sp/tools.sh", "sp/containers.sh", "sp/backup.sh", "sp/database-import.sh", "sp/restore.sh", "sp/adopt.sh", "sp/drill.sh", "sp/images.sh", "sp/main.sh",
] as const;

export interface SpCommandOptions {
  /** Where host.env, mysql-admin.cnf and sites/<site>/ are, e.g. /etc/simple-paas. */
  configDir: string;
}

export function renderSpCommand(opts: SpCommandOptions): string {
  const { configDir } = opts;
  if (!configDir.startsWith("/") || /[\n\r\0]/.test(configDir)) {
    throw new Error(`sp command: configDir ${JSON.stringify(configDir)} must be an absolute path on one line`);
  }
  const prelude = [
    "# shellcheck disable=SC2016 # the path is literal, even if it holds a $",
    `readonly CONF_DIR=${shellQuote(configDir)}`,
    // The one rule for site names (model/rules.ts), with "no '--'" checked apart.
    `readonly SP_SITE_PATTERN=${shellQuote(SITE_NAME_PATTERN)}`,
    // backup --all runs each site in a new process of this very script.
    'SP_SELF="$(readlink -f -- "${BASH_SOURCE[0]}")"',
    "readonly SP_SELF",
    "# Root writes dumps, archives and status files: private unless chmod says otherwise.",
    "umask 077",
    "# A glob that matches nothing expands to nothing (site and archive lists).",
    "shopt -s nullglob",
    "",
  ].join("\n");
  return [
    scriptHeader("simple-paas operator command: list, status, logs, shell, exec, backup, prune, snapshots, restore, drill, prune-images"),
    prelude,
    ...SP_PARTS.map(hostScriptFile),
    'main "$@"\n',
  ].join("\n");
}
