/**
 * Writes a site's backup settings and secrets on the host (see
 * docs/HOST-LAYOUT.md): backup.env (plain settings, part of the script),
 * restic_pass and restic.env (secrets, read from stdin as JSON).
 */
import { renderHostScript } from "./host-script";
import { renderEnvFile } from "./shell";
import { ABSOLUTE_PATH, requireRule } from "../model/rules";

export interface BackupSettings {
  repository: string;
  keep: { last: number; hourly: number; daily: number; weekly: number; monthly: number; yearly: number };
  /** keepDays: archives older than this go; keep: at most this many (0: no limit). */
  tar?: { dir: string; keepDays: number; keep: number };
  /** How old the last good backup may be before `sp status` calls it overdue (from the schedule). */
  maxAgeSeconds?: number;
  /** Restore drills: how old the last good one may be, and the share of the repository's data `restic check` reads. */
  drill?: { maxAgeSeconds: number; readDataPercent: number };
  /** A repository of the original scripts whose snapshots `sp adopt` copies in (its password comes on stdin). */
  adopt?: { repository: string; snapshotPath: string; dumpFile: string };
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
    SP_TAR_KEEP_DAYS: settings.tar?.keepDays ?? 0,
    SP_BACKUP_MAX_AGE: settings.maxAgeSeconds ?? "",
    SP_DRILL: settings.drill ? "yes" : "no",
    SP_DRILL_MAX_AGE: settings.drill?.maxAgeSeconds ?? "",
    SP_DRILL_READ_DATA_PERCENT: settings.drill?.readDataPercent ?? 0,
    SP_ADOPT_REPOSITORY: settings.adopt?.repository ?? "",
    SP_ADOPT_PATH: settings.adopt?.snapshotPath ?? "",
    SP_ADOPT_DUMP: settings.adopt?.dumpFile ?? "",
  });
}

/** What a credential's name must be: restic.env is sourced by bash as `export NAME='value'`. */
const CREDENTIAL_NAME_PATTERN = "^[A-Z_][A-Z0-9_]*$";

/**
 * stdin: `{"resticPassword": "...", "credentials": {"NAME": "value"}, "heartbeatUrl": "...", "adoptPassword": "..."}`
 * (see host-scripts/backup-config.sh).
 */
export function renderBackupConfigScript(opts: { backupConfigDir: string; settings: BackupSettings }): string {
  requireRule("backupConfigDir", opts.backupConfigDir, ABSOLUTE_PATH);
  return renderHostScript({
    purpose: "write a site's backup settings and secrets",
    tag: "backup-config",
    values: {
      SP_BACKUP_CONFIG_DIR: opts.backupConfigDir,
      SP_BACKUP_ENV: renderBackupEnv(opts.settings),
      SP_CREDENTIAL_NAME_PATTERN: CREDENTIAL_NAME_PATTERN,
    },
    file: "backup-config.sh",
  });
}
