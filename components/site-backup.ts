import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { HostBootstrap } from "./host-bootstrap";
import { HostCommand, HostTarget, runOnHost } from "./host-command";
import { checkCredentials, siteBackupOptionsSchema } from "./input-schemas";
import { defaultRepository, finalBackupDoneFile, siteBackupConfigDir, siteConfigDir, siteCronLog } from "./naming";
import { BackupSettings, renderBackupConfigScript } from "./render/backup-config";
import { renderSiteCronFile } from "./render/cron-file";
import { hostGenerationFile, renderInstallFileScript } from "./render/host-setup";
import { scriptHeader, shellCommand, shellQuote } from "./render/shell";
import { parseOrThrow, siteName } from "./validation";

export interface SiteBackupOptions {
  /**
   * Any restic repository: a path on the host, `sftp:user@host:/path`,
   * `s3:...`, `b2:bucket:path`, `rest:...`.
   * @default "/var/backups/simple-paas/<site>" (keep a copy off the host!)
   */
  repository?: string;
  /** Backend credentials as restic reads them from its environment, e.g. `{ B2_ACCOUNT_ID, B2_ACCOUNT_KEY }`. Secrets. */
  credentials?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * The repository password. @default a generated one, kept in Pulumi state.
   * Set it (or `keyMaterial` on the host program) when backups must survive `pulumi destroy`.
   */
  password?: pulumi.Input<string>;
  /** When to back up (cron). @default "@hourly" */
  schedule?: string;
  /** When to forget, prune and check (cron). @default "30 3 * * *" */
  pruneSchedule?: string;
  /** Retention. @default { last: 7, hourly: 24, daily: 7, weekly: 5, monthly: 12, yearly: 1 } — snapshots tagged `manual` are always kept */
  keep?: Partial<BackupSettings["keep"]>;
  /** Also write `.tar.gz` archives (dump + files) to `dir`, keeping the newest `keep`. @default false */
  tar?: false | { dir: string; keep?: number };
  /** Restore the latest snapshot when the site is created on a host where its data is empty. @default true */
  restoreOnCreate?: boolean;
  /** Back up one last time before the site is destroyed (the destroy fails if that backup fails). @default true */
  finalBackupOnDestroy?: boolean;
}

export interface SiteBackupArgs extends SiteBackupOptions {
  host: HostBootstrap;
  /** The site's name (a SimpleSite's `name`). */
  site: string;
  /**
   * The site's data dirs and database: the restore waits for them, and the
   * final backup runs before they go.
   */
  siteResources?: pulumi.Resource[];
}

export const DEFAULT_KEEP: BackupSettings["keep"] = { last: 7, hourly: 24, daily: 7, weekly: 5, monthly: 12, yearly: 1 };

/**
 * A site's safety net: its own restic repository and password, scheduled
 * SQL dump + files backups, retention, restore of the latest snapshot when
 * the site is created on an empty host, and a final backup on destroy.
 * Nothing here ever deletes a repository or a snapshot.
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
    const { host, site, siteResources = [], ...options } = args;
    parseOrThrow(siteName, site, "site");
    parseOrThrow(siteBackupOptionsSchema, options, `sites.${site}.backup`);
    const parent = this;
    const target: HostTarget = { connection: host.settings.connection, generation: host.settings.generation };
    const spPath = host.settings.paths.spPath;
    const settings: BackupSettings = {
      repository: args.repository ?? defaultRepository(host.settings.paths, site),
      keep: { ...DEFAULT_KEEP, ...args.keep },
      tar: args.tar ? { dir: args.tar.dir, keep: args.tar.keep ?? 7 } : undefined,
    };
    this.repository = settings.repository;

    this.password = createPassword();
    const config = writeConfig();
    installSchedule();
    if (args.restoreOnCreate ?? true) this.restore = restoreIfFresh();
    if (args.finalBackupOnDestroy ?? true) this.finalBackup = armFinalBackup();
    this.registerOutputs({ repository: this.repository });

    function createPassword(): pulumi.Output<string> {
      if (args.password !== undefined) return pulumi.secret(args.password);
      return pulumi.secret(new random.RandomPassword(`${name}-restic-password`, { length: 48, special: false }, { parent }).result);
    }

    function writeConfig(): HostCommand {
      const credentials = checkCredentials(args.credentials ?? {}, `sites.${site}.backup.credentials`);
      return runOnHost(`${name}-config`, target, {
        script: renderBackupConfigScript({ backupConfigDir: siteBackupConfigDir(host.settings.paths, site), settings }),
        scriptName: `simple-paas-backup-config-${site}`,
        stdin: pulumi.secret(pulumi.all([parent.password, credentials]).apply(([resticPassword, creds]) =>
          JSON.stringify({ resticPassword, credentials: creds }))),
      }, { parent, dependsOn: host.ready });
    }

    function installSchedule(): HostCommand {
      const path = `/etc/cron.d/simple-paas-${site}-backup`;
      return runOnHost(`${name}-schedule`, target, {
        script: renderInstallFileScript({ path, mode: "0644", owner: "root", group: "root" }),
        scriptName: `simple-paas-backup-schedule-${site}`,
        stdin: renderSiteCronFile({
          site, spPath, logFile: siteCronLog(host.settings.paths, site),
          backupSchedule: args.schedule ?? "@hourly",
          pruneSchedule: args.pruneSchedule ?? "30 3 * * *",
          jobs: [],
        }),
        deleteScript: `${scriptHeader("remove a site's backup schedule")}rm -f ${shellCommand([path])}\n`,
      }, { parent, dependsOn: [config] });
    }

    function restoreIfFresh(): HostCommand {
      return runOnHost(`${name}-restore-on-create`, target, {
        script: `${scriptHeader("restore a site's latest snapshot when its data is empty")}${shellCommand([spPath, "restore", site, "--if-fresh"])}\n`,
        scriptName: `simple-paas-restore-${site}`,
      }, { parent, dependsOn: [config, ...siteResources] });
    }

    function armFinalBackup(): HostCommand {
      return runOnHost(`${name}-final-backup`, target, {
        script: `${scriptHeader("arm the final backup")}echo ${shellCommand([`final backup of ${site} runs when it is destroyed`])} >&2\n`,
        scriptName: `simple-paas-final-backup-${site}`,
        deleteScript: renderFinalBackupScript({
          spPath, site, siteEnvFile: `${siteConfigDir(host.settings.paths, site)}/site.env`,
          generation: host.settings.generation, generationFile: hostGenerationFile(host.settings.paths.configDir),
          doneFile: finalBackupDoneFile(host.settings.paths, site),
        }),
      }, { parent, dependsOn: [config, ...siteResources] });
    }
  }
}

/**
 * The final backup. A site that is not set up on this host (a new or wiped
 * host, see HostBootstrapArgs.generation) has nothing to back up, and
 * neither has a host of another generation: when a new generation replaces
 * this step, its delete runs on the new host, where the site is still empty
 * (a snapshot of that would become the latest, and the restore would bring
 * back nothing). Anywhere else a failed backup fails the destroy, so
 * nothing is lost silently.
 */
export function renderFinalBackupScript(opts: {
  spPath: string; site: string; siteEnvFile: string; generation: string; generationFile: string; doneFile: string;
}): string {
  return [
    scriptHeader("final backup before a site is destroyed"),
    // Only a final backup taken now lets the removal that follows delete the site's data.
    `rm -f ${shellQuote(opts.doneFile)}`,
    `if [ ! -x ${shellQuote(opts.spPath)} ] || [ ! -f ${shellQuote(opts.siteEnvFile)} ]; then`,
    `  echo ${shellQuote(`site ${opts.site} is not set up on this host (new or wiped): no final backup to take`)} >&2`,
    "  exit 0",
    "fi",
    `if [ "$(cat ${shellQuote(opts.generationFile)} 2>/dev/null || true)" != ${shellQuote(opts.generation)} ]; then`,
    `  echo ${shellQuote(`this host is not generation ${opts.generation} any more (new or wiped): no final backup of ${opts.site} to take`)} >&2`,
    "  exit 0",
    "fi",
    shellCommand([opts.spPath, "backup", opts.site, "--final"]),
    `date -u +%Y-%m-%dT%H:%M:%SZ >${shellQuote(opts.doneFile)}`,
    "",
  ].join("\n");
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
