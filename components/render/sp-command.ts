/**
 * The `sp` operator command, installed at /usr/local/bin/sp by the host
 * bootstrap: list, status, logs, shell, exec, backup, prune, snapshots,
 * restore, tar-restore. It reads the files of docs/HOST-LAYOUT.md under
 * `configDir`; `sp help` documents subcommands, decisions and exit codes.
 *
 * Pure: the same text is put on hosts and executed by the integration
 * tests. The bash lives in ./sp/*.ts, one module per group of subcommands.
 */
import { scriptHeader, shellQuote } from "./shell";
import { spBackupCommands } from "./sp/backup";
import { spCommonFunctions } from "./sp/common";
import { spContainerCommands } from "./sp/containers";
import { spUsageAndMain } from "./sp/help";
import { spRestoreCommands } from "./sp/restore";

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
    scriptHeader("simple-paas operator command: list, status, logs, shell, exec, backup, prune, snapshots, restore"),
    prelude,
    spCommonFunctions(),
    spContainerCommands(),
    spBackupCommands(),
    spRestoreCommands(),
    spUsageAndMain(),
    'main "$@"\n',
  ].join("\n");
}
