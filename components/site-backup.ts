import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { HostBootstrap } from "./host-bootstrap";
import { HostCommand, HostStepArgs, runOnHost } from "./host-step";
import { SiteBackupOptionsInput, currentBackupOptions } from "./model/deprecated";
import { hostGenerationFile } from "./model/host-setup-input";
import { defaultRepository, finalBackupDoneFile, siteDbName, siteBackupConfigDir, siteBackupCronFile, siteConfigDir, siteCronLog } from "./model/naming";
import { parseOrThrow, siteName } from "./model/rules";
import { defaultSiteSchedules } from "./model/schedules";
import { checkCredentials, checkSecretNotEmpty, longestCronGapSeconds, siteBackupOptionsSchema } from "./model/schemas";
import { BackupSettings, renderBackupConfigScript } from "./render/backup-config";
import { renderSiteCronFile } from "./render/cron-file";
import { renderInstallFileScript, renderRemoveFilesScript } from "./render/packages-script";
import { renderAdoptScript, renderArmFinalBackupScript, renderFinalBackupScript, renderRestoreOnCreateScript } from "./render/site-backup-steps";
import type { Transform } from "./transform";

export type { SiteBackupOptions } from "./model/args";

/** SiteBackupOptions plus what only a SiteBackup has; `tar: false` is the deprecated form of leaving `tar` out. */
export interface SiteBackupArgs extends SiteBackupOptionsInput {
  host: HostBootstrap;
  /** The site's name (a SimpleSite's `name`). */
  site: string;
  /**
   * The site's data dirs and database: the restore waits for them, and the
   * final backup runs before they go.
   */
  siteResources?: pulumi.Resource[];
  /** Adjust the host steps SiteBackup makes (see transform.ts). */
  transform?: { step?: Transform<HostStepArgs> };
}

export const DEFAULT_KEEP: BackupSettings["keep"] = { last: 7, hourly: 24, daily: 7, weekly: 5, monthly: 12, yearly: 1 };
/** A drill's defaults; its schedule defaults to one spread by the site's name (defaultSiteSchedules). */
export const DEFAULT_DRILL = { enabled: true, readDataPercent: 5 } as const;

/** How long after its scheduled time a backup or drill may still be running or late before `sp status` calls it overdue. */
export const OVERDUE_GRACE_SECONDS = 30 * 60;

/**
 * A site's safety net: its own restic repository and password, scheduled
 * SQL dump + files backups, retention, restore drills, restore of the latest
 * snapshot when the site is created on an empty host, and a final backup on
 * destroy. Nothing here ever deletes a repository or a snapshot.
 *
 * SimpleSite creates one for you (its `backup` argument); create it yourself
 * only for sites managed some other way, and pass `dependsOn` on the site's
 * data and database so the restore finds them.
 *
 * @example
 * new SiteBackup("blog-backup", { host, site: "blog", repository: "sftp:backup@vault:/srv/restic/blog" });
 */
export class SiteBackup extends pulumi.ComponentResource {
  /** The repository's password (secret). */
  readonly password: pulumi.Output<string>;
  /** Where the snapshots go. */
  readonly repository: string;
  /** The restore that runs on creation; the site's container waits for it. */
  readonly restore?: HostCommand;
  /** Arms the final backup that runs when the site is destroyed. */
  readonly finalBackup?: HostCommand;

  constructor(name: string, args: SiteBackupArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("simple-paas:index:SiteBackup", name, {}, opts);
    const { host, site, siteResources = [], transform: transforms, ...given } = args;
    parseOrThrow(siteName, site, "site");
    parseOrThrow(siteBackupOptionsSchema, given, `sites.${site}.backup`);
    const options = currentBackupOptions(given, `sites.${site}.backup`);
    const parent = this;
    const target = { ...host.target, transform: transforms?.step ?? host.target.transform };
    const paths = host.settings.paths;
    const spPath = paths.spPath;
    const defaults = defaultSiteSchedules(site);
    const schedule = args.schedule ?? defaults.backup;
    const drill = { ...DEFAULT_DRILL, ...args.drill, schedule: args.drill?.schedule ?? defaults.drill };
    const settings: BackupSettings = {
      repository: args.repository ?? defaultRepository(paths, site),
      keep: { ...DEFAULT_KEEP, ...args.keep },
      tar: options.tar ? { dir: options.tar.dir, keepDays: options.tar.keepDays ?? 7, keep: options.tar.keep ?? 0 } : undefined,
      maxAgeSeconds: longestCronGapSeconds(schedule) + OVERDUE_GRACE_SECONDS,
      adopt: args.adopt && {
        repository: args.adopt.repository, snapshotPath: args.adopt.snapshotPath ?? "/shared",
        dumpFile: args.adopt.dumpFile ?? `sql/${siteDbName(site)}.sql`,
      },
      drill: drill.enabled ? { maxAgeSeconds: longestCronGapSeconds(drill.schedule) + OVERDUE_GRACE_SECONDS, readDataPercent: drill.readDataPercent } : undefined,
    };
    this.repository = settings.repository;

    this.password = createPassword();
    const config = writeConfig();
    const adopted = args.adopt ? adoptSnapshots() : undefined;
    if (args.restoreOnCreate ?? true) this.restore = restoreIfFresh();
    installSchedule();
    if (args.finalBackupOnDestroy ?? true) this.finalBackup = armFinalBackup();
    this.registerOutputs({ repository: this.repository });

    function createPassword(): pulumi.Output<string> {
      if (args.password !== undefined) return pulumi.secret(args.password);
      return pulumi.secret(new random.RandomPassword(`${name}-restic-password`, { length: 48, special: false }, { parent }).result);
    }

    function writeConfig(): HostCommand {
      const credentials = checkCredentials(args.credentials ?? {}, `sites.${site}.backup.credentials`);
      const heartbeatUrl = args.heartbeatUrl === undefined ? undefined : pulumi.output(args.heartbeatUrl);
      const adoptPassword = args.adopt === undefined ? undefined : checkSecretNotEmpty(args.adopt.password, `sites.${site}.backup.adopt.password`);
      return runOnHost(`${name}-config`, target, {
        script: renderBackupConfigScript({ backupConfigDir: siteBackupConfigDir(paths, site), settings }),
        scriptName: `simple-paas-backup-config-${site}`,
        stdin: pulumi.secret(pulumi.all([parent.password, credentials, heartbeatUrl, adoptPassword]).apply(([resticPassword, creds, url, adopt]) =>
          JSON.stringify({
            resticPassword, credentials: creds, ...(url === undefined ? {} : { heartbeatUrl: url }), ...(adopt === undefined ? {} : { adoptPassword: adopt }),
          }))),
      }, { parent, dependsOn: host.ready });
    }

    function installSchedule(): HostCommand {
      const path = siteBackupCronFile(site);
      return runOnHost(`${name}-schedule`, target, {
        script: renderInstallFileScript({ path, mode: "0644", owner: "root", group: "root" }),
        scriptName: `simple-paas-backup-schedule-${site}`,
        stdin: renderSiteCronFile({
          site, spPath, logFile: siteCronLog(paths, site),
          backupSchedule: schedule,
          pruneSchedule: args.pruneSchedule ?? defaults.prune,
          drillSchedule: drill.enabled ? drill.schedule : undefined,
          jobs: [],
        }),
        deleteScript: renderRemoveFilesScript("remove a site's backup schedule", [path]),
      // After the restore: a scheduled backup of a new host's still empty site would become the
      // latest snapshot, and the restore would then bring back that empty one.
      }, { parent, dependsOn: [config, ...(parent.restore ? [parent.restore] : [])] });
    }

    function restoreIfFresh(): HostCommand {
      return runOnHost(`${name}-restore-on-create`, target, {
        script: renderRestoreOnCreateScript(spPath, site),
        scriptName: `simple-paas-restore-${site}`,
      }, { parent, dependsOn: [config, ...(adopted ? [adopted] : []), ...siteResources] });
    }

    /** Runs again when what it adopts changes (it is in the step's text); `sp adopt SITE` copies what is new since. */
    function adoptSnapshots(): HostCommand {
      return runOnHost(`${name}-adopt`, target, {
        script: renderAdoptScript(spPath, site, settings.adopt!),
        scriptName: `simple-paas-adopt-${site}`,
      // sp reads the site's settings (its setup step writes them) and locks it.
      }, { parent, dependsOn: [config, ...siteResources] });
    }

    function armFinalBackup(): HostCommand {
      return runOnHost(`${name}-final-backup`, target, {
        script: renderArmFinalBackupScript(site),
        scriptName: `simple-paas-final-backup-${site}`,
        deleteScript: renderFinalBackupScript({
          spPath, site, siteEnvFile: `${siteConfigDir(paths, site)}/site.env`,
          generation: host.settings.generation, generationFile: hostGenerationFile(paths.configDir),
          doneFile: finalBackupDoneFile(paths, site),
        }),
      }, { parent, dependsOn: [config, ...siteResources] });
    }
  }
}

/**
 * A restic password derived from a stack-wide key: the same key gives the
 * same password for the same site on any host and after `pulumi destroy`,
 * so the repository stays readable by whoever holds the key.
 */
export function deriveResticPassword(key: pulumi.Input<string>, site: string): pulumi.Output<string> {
  return pulumi.secret(pulumi.output(key).apply((k) =>
    crypto.createHmac("sha256", k).update(`simple-paas/restic/${site}`).digest("base64url")));
}
