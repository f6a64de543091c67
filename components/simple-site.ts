import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as random from "@pulumi/random";
import type { HostBootstrap } from "./host-bootstrap";
import { HostCommand, HostTarget, runOnHost } from "./host-command";
import { checkSecretNotEmpty, simpleSiteSchema } from "./input-schemas";
import {
  SITE_LABEL, finalBackupDoneFile, siteContainerName, siteContainerResourceName, siteCronFile, siteCronLog, siteDataDir, siteDbName, siteLinuxUser, siteRouteFile, siteSecretsDir,
  proxyLockFile,
} from "./naming";
import { renderSiteCronFile } from "./render/cron-file";
import { renderInstallFileScript } from "./render/host-setup";
import { renderProxyFileRemovalScript, renderProxyFileScript, renderSiteRoutes } from "./render/proxy-config";
import { scriptHeader, shellCommand } from "./render/shell";
import { renderSiteDatabaseRemovalScript, renderSiteDatabaseScript } from "./render/site-database";
import { renderSiteSetupScript, renderSiteTeardownScript } from "./render/site-setup";
import { SiteBackup, SiteBackupOptions } from "./site-backup";
import { CONTAINER_PATHS, renderHealthCheck, renderSiteEnv, siteHostNames } from "./site-container-spec";
import { parseOrThrow } from "./validation";

export interface SimpleSiteArgs {
  /** The host the site runs on. */
  host: HostBootstrap;
  /** Site name: a DNS label, MySQL identifier and Linux user at once (a-z, 0-9, '-', at most 32). @example "blog" */
  name: string;
  /** Image reference. @example "registry.example.com/acme/blog:1.4.2" */
  image: string;
  /** Credentials for a private registry (password is a secret, must not be empty). */
  registry?: { server: string; username: string; password: pulumi.Input<string> };
  /** Live domains. @example ["blog.example.com", "www.blog.example.com"] */
  domains?: string[];
  /** Also answer on `<name>.<host stagingDomain>` when the host has one. @default true */
  staging?: boolean;
  /** Port the site listens on inside its container. @default 80 */
  port?: number;
  /** Plain environment. Names: [A-Z_][A-Z0-9_]*. */
  env?: Record<string, string>;
  /** Secret values, given to the container as files: `/etc/secrets/env/NAME`, named by `NAME_FILE`. */
  secretEnv?: Record<string, pulumi.Input<string>>;
  /** Health check over HTTP (`path`) or a command; `false` disables it. @default { path: "/" } */
  healthCheck?: false | { path?: string; command?: string[]; intervalSeconds?: number; retries?: number };
  /** Limits. @example { memoryMb: 512, cpus: 1 } */
  resources?: { memoryMb?: number; cpus?: number };
  /** Scheduled commands run in the site's container (its env and volumes), like the original sp_cron. */
  cron?: { schedule: string; command: string }[];
  /** User inside the container; the group is always the site's own. @default "www-data" */
  runAs?: string;
  /** Also mount the data dir's `public` at this path (it is always at /shared/public). @example "/var/www/html/sites/default/files" */
  publicMountPath?: string;
  /**
   * Protect the database step (the database, and with deleteDataOnDestroy the
   * data dir) from deletion by Pulumi: destroying the site then fails. @default false
   */
  protect?: boolean;
  /**
   * When the site is destroyed, after its final backup, also drop its
   * database and delete its data dir (its backups stay). Needs the final
   * backup (`backup` not false, `finalBackupOnDestroy` not false).
   * @default false: the database and the data dir stay on the host
   */
  deleteDataOnDestroy?: boolean;
  /** Backups (a SiteBackup child). `false` disables them. @default {} (hourly, local repository) */
  backup?: false | SiteBackupOptions;
}

/**
 * One website on a HostBootstrap host: its own Linux user/group and data
 * dirs, database + user + grant, the container (non-root, health-checked,
 * limited), its routes on the reverse proxy, its scheduled jobs and backups.
 * A new image starts beside the old container; the proxy moves to it once
 * it is healthy, and only then does the old one go.
 *
 * @example
 * const blog = new SimpleSite("blog", { host, name: "blog", image: "ghcr.io/acme/blog:1.2.0", domains: ["blog.example.com"] });
 * export const url = blog.urls[0];
 */
export class SimpleSite extends pulumi.ComponentResource {
  /** https:// URLs of every host name the site answers on (with the proxy's HTTPS port unless it is 443). */
  readonly urls: string[];
  readonly containerName: pulumi.Output<string>;
  readonly databaseName: string;
  readonly dataDir: string;
  readonly container: docker.Container;
  /** The host-side step that makes the database, its user and the user's grant. */
  readonly database: HostCommand;
  readonly backup?: SiteBackup;

  constructor(name: string, args: SimpleSiteArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("simple-paas:index:SimpleSite", name, {}, opts);
    parseOrThrow(simpleSiteSchema, args, `sites.${typeof args.name === "string" ? args.name : "?"}`);
    const parent = this;
    const host = args.host;
    const { settings } = host;
    const target: HostTarget = { connection: settings.connection, generation: settings.generation };
    const site = args.name;
    const dbName = siteDbName(site);
    const hostNames = siteHostNames(site, args.domains ?? [], settings.stagingDomain, args.staging ?? true);
    host.claimSite(site, hostNames);
    const port = args.port ?? 80;
    const secretEnvNames = Object.keys(args.secretEnv ?? {}).sort();
    const env = renderSiteEnv({
      site, dbName, dbUser: dbName, dbHost: settings.database.containerHost, dbPort: settings.database.port,
      hostNames, networkSubnet: settings.network.subnet, memcached: settings.memcached,
      env: args.env ?? {}, secretEnvNames,
    });
    const setupInput = {
      site, sitesRoot: settings.paths.sitesRoot, configDir: settings.paths.configDir,
      linuxUser: siteLinuxUser(site), linuxGroup: siteLinuxUser(site), dataDir: siteDataDir(settings.paths, site),
      dbName, dbUser: dbName, secretEnvNames,
    };
    this.urls = hostNames.map((h) => `https://${h}${settings.httpsPort === 443 ? "" : `:${settings.httpsPort}`}`);
    this.databaseName = dbName;
    this.dataDir = setupInput.dataDir;

    const dbPassword = pulumi.secret(new random.RandomPassword(`${name}-db-password`, { length: 32, special: false }, { parent }).result);
    const hashSalt = pulumi.secret(new random.RandomPassword(`${name}-hash-salt`, { length: 64, special: false }, { parent }).result);
    const setup = setUpSiteOnHost();
    const ids = setup.stdout.apply(parseIds);
    this.database = createDatabase();
    if (args.backup !== false) {
      this.backup = new SiteBackup(`${name}-backup`, { ...(args.backup ?? {}), host, site, siteResources: [setup, this.database] }, { parent });
    }
    const jobs = installJobs();
    const image = pullImage();
    this.container = createContainer();
    this.containerName = this.container.name;
    routeTraffic();
    this.registerOutputs({ urls: this.urls, containerName: this.containerName, databaseName: dbName, dataDir: this.dataDir });

    function setUpSiteOnHost(): HostCommand {
      const secretEnv = pulumi.output(args.secretEnv ?? {});
      return runOnHost(`${name}-setup`, target, {
        script: renderSiteSetupScript(setupInput),
        scriptName: `simple-paas-site-setup-${site}`,
        stdin: pulumi.secret(pulumi.all([dbPassword, hashSalt, secretEnv]).apply(([db, salt, secrets]) =>
          JSON.stringify({ dbPassword: db, hashSalt: salt, secretEnv: secrets }))),
        deleteScript: renderSiteTeardownScript(setupInput),
      // Not protected: a new host generation replaces it (its teardown keeps the data dir anyway).
      }, { parent, dependsOn: host.ready });
    }

    /**
     * Database, user (the sites network only) and grant on this database
     * alone, made on the host as its admin account. A new host generation
     * re-runs it in place: its removal drops the user (and, with
     * deleteDataOnDestroy, the data), which only the site's removal may do.
     */
    function createDatabase(): HostCommand {
      const dbInput = { site, configDir: settings.paths.configDir, dbName, dbUser: dbName, userHostPattern: settings.database.userHostPattern };
      return runOnHost(`${name}-database`, target, {
        script: renderSiteDatabaseScript({ ...dbInput, generation: settings.generation }),
        scriptName: `simple-paas-site-database-${site}`,
        stdin: pulumi.secret(pulumi.interpolate`${dbPassword}\n`),
        deleteScript: renderSiteDatabaseRemovalScript({
          ...dbInput,
          deleteData: args.deleteDataOnDestroy ? { dataDir: setupInput.dataDir, finalBackupDone: finalBackupDoneFile(settings.paths, site) } : undefined,
        }),
        onNewGeneration: "update",
      }, { parent, dependsOn: [setup], protect: args.protect });
    }

    function installJobs(): HostCommand | undefined {
      if ((args.cron ?? []).length === 0) return undefined;
      const path = siteCronFile(site);
      return runOnHost(`${name}-cron`, target, {
        script: renderInstallFileScript({ path, mode: "0644", owner: "root", group: "root" }),
        scriptName: `simple-paas-site-cron-${site}`,
        stdin: renderSiteCronFile({ site, spPath: settings.paths.spPath, logFile: siteCronLog(settings.paths, site), jobs: args.cron ?? [] }),
        deleteScript: `${scriptHeader("remove a site's cron jobs")}rm -f ${shellCommand([path])}\n`,
      }, { parent, dependsOn: [setup] });
    }

    function pullImage(): docker.RemoteImage {
      let provider = host.docker;
      if (args.registry) {
        const password = checkSecretNotEmpty(args.registry.password, `sites.${site}.registry.password`);
        provider = new docker.Provider(`${name}-registry`, {
          ...host.dockerEndpoint,
          registryAuth: [{ address: args.registry.server, username: args.registry.username, password: pulumi.secret(password) }],
        }, { parent });
      }
      // A new generation pulls again: a wiped host has no images.
      return new docker.RemoteImage(`${name}-image`, { name: args.image, keepLocally: true, pullTriggers: [settings.generation] }, {
        parent, provider, dependsOn: host.ready,
      });
    }

    function createContainer(): docker.Container {
      const health = args.healthCheck === false ? undefined : renderHealthCheck({ port, ...(args.healthCheck ?? {}) });
      const user = ids.apply((i) => `${args.runAs ?? "www-data"}:${i.gid}`);
      const volumes = [
        { hostPath: setupInput.dataDir, containerPath: CONTAINER_PATHS.shared },
        { hostPath: siteSecretsDir(settings.paths, site), containerPath: CONTAINER_PATHS.secrets, readOnly: true },
        ...(args.publicMountPath ? [{ hostPath: `${setupInput.dataDir}/public`, containerPath: args.publicMountPath }] : []),
      ];
      const limits = { memory: args.resources?.memoryMb, cpus: args.resources?.cpus?.toString() };
      // The host's rotation (HostBootstrapArgs.dockerLogs), as for the proxy.
      const logOpts = { "max-size": settings.dockerLogs.maxSize, "max-file": String(settings.dockerLogs.maxFiles) };
      // Everything that makes docker replace the container goes into its name.
      const containerName = pulumi.all([image.imageId, user]).apply(([imageId, u]) =>
        // layout: names differ from those of the releases that replaced containers in place.
        siteContainerName(site, { layout: 2, image: args.image, imageId, user: u, env, volumes, health, limits, logOpts, port, generation: settings.generation }));
      const restoreStep = parent.backup?.restore ? [parent.backup.restore] : [];
      const resourceName = siteContainerResourceName(name, {
        image: args.image, runAs: args.runAs ?? "www-data", env, volumes, health, limits, logOpts, port, generation: settings.generation,
      });
      return new docker.Container(resourceName, {
        name: containerName,
        image: image.imageId,
        user,
        envs: env,
        restart: "unless-stopped",
        networksAdvanced: [{ name: host.network.name }],
        volumes,
        healthcheck: health,
        wait: health !== undefined,
        waitTimeout: 180,
        memory: limits.memory,
        cpus: limits.cpus,
        securityOpts: ["no-new-privileges:true"],
        logDriver: "json-file",
        logOpts,
        labels: [{ label: SITE_LABEL, value: site }],
        destroyGraceSeconds: 30,
      }, { parent, provider: host.docker, dependsOn: [setup, parent.database, ...restoreStep, ...(jobs ? [jobs] : [])] });
    }

    function routeTraffic(): HostCommand {
      const path = siteRouteFile(settings.paths, site);
      return runOnHost(`${name}-route`, target, {
        script: renderProxyFileScript({
          path, proxyContainer: settings.proxyContainer, lockFile: proxyLockFile(settings.paths),
          awaitCertificates: { hostNames, ...settings.certificateProbe, acme: settings.proxy.tls === "acme" },
        }),
        scriptName: `simple-paas-route-${site}`,
        stdin: parent.container.name.apply((c) => renderSiteRoutes({ site, hostNames, upstream: `${c}:${port}` }, settings.proxy)),
        deleteScript: renderProxyFileRemovalScript({ path, proxyContainer: settings.proxyContainer, lockFile: proxyLockFile(settings.paths) }),
      }, { parent, dependsOn: [parent.container] });
    }
  }
}

function parseIds(stdout: string): { uid: number; gid: number } {
  const line = stdout.trim().split("\n").pop() ?? "";
  const parsed = JSON.parse(line) as { uid: unknown; gid: unknown };
  if (typeof parsed.uid !== "number" || typeof parsed.gid !== "number") {
    throw new Error(`site setup printed ${JSON.stringify(line)}, expected {"uid":N,"gid":N}`);
  }
  return { uid: parsed.uid, gid: parsed.gid };
}
