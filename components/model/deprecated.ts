/**
 * The argument forms earlier releases took, still accepted from TypeScript
 * (deprecated in 0.2.0, see CHANGELOG): `false` for "off" where the
 * component package (any Pulumi language) needs one type per field. Each is
 * turned into its current form here, once, with a warning that names the
 * field and the form to use.
 */
import * as pulumi from "@pulumi/pulumi";
import type { BackupTarCopy, HealthCheck, SiteBackupOptions, SiteBackupSettings } from "./args";

/** SiteBackupOptions as TypeScript may still write it: `tar: false` (deprecated: leave `tar` out). */
export type SiteBackupOptionsInput = Omit<SiteBackupOptions, "tar"> & {
  /** `false` is deprecated: leave `tar` out. */
  tar?: BackupTarCopy | false;
};

/** SiteBackupSettings as TypeScript may still write it (`tar: false`). */
export type SiteBackupSettingsInput = Omit<SiteBackupSettings, "tar"> & SiteBackupOptionsInput;

/** A site's `backup` as TypeScript may still write it: `false` (deprecated: `{ enabled: false }`). */
export type SiteBackupArg = SiteBackupSettingsInput | false;

/** A site's `healthCheck` as TypeScript may still write it: `false` (deprecated: `{ enabled: false }`). */
export type HealthCheckArg = HealthCheck | false;

type Warn = (message: string) => void;
const defaultWarn: Warn = (message) => pulumi.log.warn(message);

function deprecated(warn: Warn, field: string, old: string, now: string): void {
  warn(`${field}: ${old} is deprecated (simple-paas 0.2.0); write ${now}`);
}

/** The current form of a health check; `undefined` when it is off. */
export function currentHealthCheck(value: HealthCheckArg | undefined, field: string, warn: Warn = defaultWarn): HealthCheck | undefined {
  if (value === false) {
    deprecated(warn, field, "`false`", "`{ enabled: false }`");
    return undefined;
  }
  if (value?.enabled === false) return undefined;
  const { enabled: _enabled, ...check } = value ?? {};
  return check;
}

/** The current form of a site's backups; `undefined` when there are none. */
export function currentSiteBackup(value: SiteBackupArg | undefined, field: string, warn: Warn = defaultWarn): SiteBackupOptions | undefined {
  if (value === false) {
    deprecated(warn, field, "`false`", "`{ enabled: false }`");
    return undefined;
  }
  if (value?.enabled === false) return undefined;
  const { enabled: _enabled, ...options } = value ?? {};
  return currentBackupOptions(options, field, warn);
}

/** SiteBackupOptions without `tar: false`. */
export function currentBackupOptions(value: SiteBackupOptionsInput, field: string, warn: Warn = defaultWarn): SiteBackupOptions {
  const { tar, ...rest } = value;
  if (tar === false) {
    deprecated(warn, `${field}.tar`, "`false`", "no `tar` at all");
    return rest;
  }
  return tar === undefined ? rest : { ...rest, tar };
}

/** Whether a site's `backup` (either form) turns backups off. */
export function backupDisabled(value: { enabled?: boolean } | false | undefined): boolean {
  return value === false || value?.enabled === false;
}
