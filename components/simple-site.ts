import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as random from "@pulumi/random";
import type { HostBootstrap } from "./host-bootstrap";
import { HostCommand, runOnHost } from "./host-step";
import type { SiteOptions } from "./model/args";
import { HealthCheckArg, SiteBackupArg, currentHealthCheck, currentSiteBackup } from "./model/deprecated";
import { forContainerName, forDockerObject, forImage } from "./model/generation";
import { SITE_LABEL, proxyLockFile, siteImageHistoryFile, siteContainerName, siteContainerResourceName, siteCronFile, siteCronLog, siteRouteFile } from "./model/naming";
import { parseOrThrow } from "./model/rules";
import { checkSecretNotEmpty, simpleSiteSchema } from "./model/schemas";
import { SitePlan, planSite } from "./model/site-plan";
import { CONTAINER_PATHS, siteHostNames } from "./model/site-spec";
import { renderSiteRoutes } from "./render/caddyfile";
import { renderHealthCheck } from "./render/container-health";
import { renderSiteCronFile } from "./render/cron-file";
import { renderInstallFileScript, renderRemoveFilesScript } from "./render/packages-script";
import { renderProxyFileRemovalScript, renderProxyFileScript, renderProxyLinkScript } from "./render/proxy-file-script";
import { renderSiteDatabaseRemovalScript, renderSiteDatabaseScript } from "./render/site-database";
import { parseSiteSetupIds, renderSiteSetupScript, renderSiteTeardownScript, siteSetupInput } from "./render/site-setup";
import { clearLeftoverHooks } from "./leftovers";
import { SiteBackup } from "./site-backup";
import { Transform, transform } from "./transform";
import type { HostStepArgs } from "./host-step";

export type { SiteOptions } from "./model/args";

/** What `transform` can adjust: each kind of child SimpleSite makes. */
export interface SimpleSiteTransform {
  /** Every host step (command resource) of the site. */
  step?: Transform<HostStepArgs>;
  container?: Transform<docker.ContainerArgs>;
  image?: Transform<docker.RemoteImageArgs>;
  network?: Transform<docker.NetworkArgs>;
  memcached?: Transform<docker.ContainerArgs>;
}

export interface SimpleSiteArgs extends Omit<SiteOptions, "healthCheck" | "backup"> {
  /** The host the site runs on. */
  host: HostBootstrap;
  /**
   * Health check over HTTP (`path`) or a command; `{ enabled: false }`
   * disables it. `false` is the deprecated form of `{ enabled: false }`.
   * @default { path: "/" }
   */
  healthCheck?: HealthCheckArg;
  /**
   * Backups (a SiteBackup child). `{ enabled: false }` disables them; `false`
   * is its deprecated form (and `tar: false` of leaving `tar` out).
   * @default {} (hourly, local repository)
   */
  backup?: SiteBackupArg;
  /** Adjust the resources SimpleSite makes (see transform.ts). */
  transform?: SimpleSiteTransform;
}

/**
 * One website on a HostBootstrap host: its own Linux user/group and data
 * dirs, database + user + grant, its own docker network (the proxy, the
 * site and its memcached, nothing else), the container (no capabilities
 * but those it names, limited, health-checked), its routes on the reverse
 * proxy, its scheduled jobs and backups. A new image starts beside the old
 * container; the proxy moves to it once the route step has seen it ready,
 * and only then does the old one go.
 *
 * @example
 * const blog = new SimpleSite("blog", { host, name: "blog", image: "ghcr.io/acme/blog:1.2.0", domains: ["blog.example.com"] });
 * export const url = blog.urls[0];
 */
/** How long `up` waits for a new container to get healthy (HealthCheck.waitSeconds). */
const DEFAULT_HEALTH_WAIT_SECONDS = 180;

export class SimpleSite extends pulumi.ComponentResource {
  /** https:// URLs of every host name the site answers on (with the proxy's HTTPS port unless it is 443). */
  readonly urls: string[];
  readonly containerName: pulumi.Output<string>;
  readonly databaseName: string;
  readonly dataDir: string;
  readonly container: docker.Container;
  /** The site's own docker network. */
  readonly network: docker.Network;
  /** The host-side step that makes the database, its user and the user's grant. */
  readonly database: HostCommand;
  readonly backup?: SiteBackup;
  /** Everything SimpleSite works out before it makes anything (model/site-plan.ts). */
  readonly plan: SitePlan;

  constructor(name: string, args: SimpleSiteArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("simple-paas:index:SimpleSite", name, {}, opts);
    const { transform: transforms = {}, host, ...siteArgs } = args;
    parseOrThrow(simpleSiteSchema, { ...siteArgs, host }, `sites.${typeof args.name === "string" ? args.name : "?"}`);
    const parent = this;
    const { settings } = host;
    const target = { ...host.target, transform: transforms.step ?? host.target.transform };
    const site = args.name;
    const hostNames = siteHostNames(site, args.domains ?? [], settings.stagingDomain, args.staging ?? true);
    const plan = planSite(settings, siteArgs, host.claimSite(site, hostNames));
    this.plan = plan;
    this.urls = plan.urls;
    this.databaseName = plan.dbName;
    this.dataDir = plan.paths.dataDir;
    const setupInput = siteSetupInput(settings, plan);
    const healthCheck = currentHealthCheck(args.healthCheck, `sites.${site}.healthCheck`);
    const backupOptions = currentSiteBackup(args.backup, `sites.${site}.backup`);

    const dbPassword = pulumi.secret(new random.RandomPassword(`${name}-db-password`, { length: 32, special: false }, { parent }).result);
    const hashSalt = args.hashSalt?.value !== undefined
      ? pulumi.secret(checkSecretNotEmpty(args.hashSalt.value, `sites.${site}.hashSalt.value`))
      : pulumi.secret(new random.RandomPassword(`${name}-hash-salt`, { length: 64, special: false }, { parent }).result);
    this.network = createNetwork();
    const proxyLink = connectProxy();
    const setup = setUpSiteOnHost();
    const ids = setup.stdout.apply(parseSiteSetupIds);
    this.database = createDatabase();
    if (backupOptions !== undefined) {
      this.backup = new SiteBackup(`${name}-backup`, { ...backupOptions, host, site, siteResources: [setup, this.database], transform: { step: target.transform } }, { parent });
    }
    const jobs = installJobs();
    const memcached = plan.memcached ? createMemcached() : undefined;
    const image = pullImage();
    this.container = createContainer();
    this.containerName = this.container.name;
    routeTraffic();
    this.registerOutputs({ urls: this.urls, containerName: this.containerName, databaseName: plan.dbName, dataDir: this.dataDir });

    /** The site's own network: a bridge no other site is on, a /28 of the host's sites pool. */
    function createNetwork(): docker.Network {
      const net = plan.network;
      const [n, a, o] = transform(transforms.network, `${name}-network`, {
        name: net.name,
        driver: "bridge",
        options: { "com.docker.network.bridge.name": net.bridge },
        ipamConfigs: [{ subnet: net.subnet, gateway: net.gateway, ipRange: net.ipRange }],
        labels: [{ label: SITE_LABEL, value: site }, ...forDockerObject(settings.generation).labels],
      } as docker.NetworkArgs, {
        parent, provider: host.docker, dependsOn: host.ready, deleteBeforeReplace: true,
        hooks: clearLeftoverHooks(settings.connection, "network", { key: SITE_LABEL, value: site }),
      });
      return new docker.Network(n, a, o);
    }

    /** The proxy joins the site's network at the one address the site trusts for forwarded headers; a new proxy joins again. */
    function connectProxy(): HostCommand {
      const link = { proxyContainer: settings.proxyContainer, network: plan.network.name, address: plan.network.proxyAddress };
      return runOnHost(`${name}-proxy-link`, target, {
        script: pulumi.all([host.proxy.id, parent.network.id]).apply(([proxy, network]) =>
          renderProxyLinkScript({ ...link, action: "connect", ids: { proxy, network } })),
        scriptName: `simple-paas-proxy-link-${site}`,
        deleteScript: renderProxyLinkScript({ ...link, action: "disconnect" }),
      }, { parent, dependsOn: [host.proxy, parent.network] });
    }

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
     * Database, user (the site's own network only) and grant on this
     * database alone, made on the host as its admin account. A new host
     * generation re-runs it in place: its removal drops the user (and, with
     * deleteDataOnDestroy, the data), which only the site's removal may do.
     */
    function createDatabase(): HostCommand {
      const dbInput = { site, configDir: settings.paths.configDir, dbName: plan.dbName, dbUser: plan.dbUser, userHostPattern: plan.dbHostPattern };
      return runOnHost(`${name}-database`, target, {
        script: renderSiteDatabaseScript({ ...dbInput, generation: settings.generation }),
        scriptName: `simple-paas-site-database-${site}`,
        stdin: pulumi.secret(pulumi.interpolate`${dbPassword}\n`),
        deleteScript: renderSiteDatabaseRemovalScript({
          ...dbInput,
          deleteData: args.deleteDataOnDestroy ? {
            dataDir: plan.paths.dataDir, dumpDir: plan.paths.dumpDir, finalBackupDone: plan.paths.finalBackupDone,
            lockFile: plan.paths.lockFile, removedMark: plan.paths.removedMark,
          } : undefined,
        }),
      }, { parent, dependsOn: [setup], protect: args.protect });
    }

    function installJobs(): HostCommand | undefined {
      if ((args.cron ?? []).length === 0) return undefined;
      const path = siteCronFile(site);
      return runOnHost(`${name}-cron`, target, {
        script: renderInstallFileScript({ path, mode: "0644", owner: "root", group: "root" }),
        scriptName: `simple-paas-site-cron-${site}`,
        stdin: renderSiteCronFile({ site, spPath: settings.paths.spPath, logFile: siteCronLog(settings.paths, site), jobs: args.cron ?? [] }),
        deleteScript: renderRemoveFilesScript("remove a site's cron jobs", [path]),
      }, { parent, dependsOn: [setup] });
    }

    /** The site's own memcached: on its network, at an address only the site's containers reach. */
    function createMemcached(): docker.Container {
      const m = plan.memcached!;
      const memcachedImage = host.memcachedImage();
      const [n, a, o] = transform(transforms.memcached, `${name}-memcached`, {
        name: `${plan.network.name}-memcached`,
        image: memcachedImage.imageId,
        command: ["memcached", "-m", String(m.memoryMb), "-p", String(m.port), "-c", "1024", "-U", "0"],
        user: "11211:11211",
        restart: "unless-stopped",
        networksAdvanced: [{ name: parent.network.name, ipv4Address: m.address }],
        memory: m.memoryMb + 32,
        memorySwap: m.memoryMb + 32,
        capabilities: { drops: ["ALL"] },
        readOnly: true,
        securityOpts: ["no-new-privileges:true"],
        logDriver: "json-file",
        logOpts: { "max-size": settings.dockerLogs.maxSize, "max-file": String(settings.dockerLogs.maxFiles) },
        labels: [{ label: "simple-paas.role", value: "memcached" }, { label: "simple-paas.memcached", value: site }, ...forDockerObject(settings.generation).labels],
      } as docker.ContainerArgs, {
        parent, provider: host.docker, dependsOn: [parent.network], deleteBeforeReplace: true,
        // A new log rotation reaches it when it is next replaced (replacing it empties the site's cache).
        ignoreChanges: ["logOpts"],
        hooks: clearLeftoverHooks(settings.connection, "container", { key: "simple-paas.memcached", value: site }),
      });
      return new docker.Container(n, a, o);
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
      const [n, a, o] = transform(transforms.image, `${name}-image`, {
        name: args.image, keepLocally: true, ...forImage(settings.generation),
      } as docker.RemoteImageArgs, { parent, provider, dependsOn: host.ready });
      return new docker.RemoteImage(n, a, o);
    }

    function createContainer(): docker.Container {
      const { waitSeconds = DEFAULT_HEALTH_WAIT_SECONDS, ...check } = healthCheck ?? {};
      const health = healthCheck === undefined ? undefined : renderHealthCheck({ port: plan.port, ...check });
      const user = ids.apply((i) => `${plan.runAs}:${i.gid}`);
      const volumes = [
        { hostPath: plan.paths.dataDir, containerPath: CONTAINER_PATHS.shared },
        { hostPath: plan.paths.secretsDir, containerPath: CONTAINER_PATHS.secrets, readOnly: true },
        ...(args.publicMountPath ? [{ hostPath: `${plan.paths.dataDir}/public`, containerPath: args.publicMountPath }] : []),
      ];
      const limits = { memory: plan.limits.memoryMb, cpus: plan.limits.cpus?.toString(), pids: plan.limits.pids };
      // The host's rotation (HostBootstrapArgs.dockerLogs), as for the proxy.
      const logOpts = { "max-size": settings.dockerLogs.maxSize, "max-file": String(settings.dockerLogs.maxFiles) };
      // The site's own names lead to the proxy on its network: requests to itself never leave the host.
      const hosts = plan.hostNames.map((h) => ({ host: h, ip: plan.network.proxyAddress }));
      // A plain salt goes in as a secret (the container's env is then a secret in state); only its name is in the spec,
      // so a new salt value alone replaces the container in place rather than putting a hash of it in a resource name.
      const saltPlain = plan.hashSaltEnv?.plain ? plan.hashSaltEnv.name : undefined;
      const envs = saltPlain === undefined ? plan.env
        : pulumi.secret(hashSalt.apply((salt) => [...plan.env, `${saltPlain}=${salt}`].sort()));
      const spec = {
        image: args.image, env: plan.env, ...(saltPlain === undefined ? {} : { saltPlain }), volumes, health, limits, logOpts, port: plan.port, network: plan.network.name,
        capAdd: plan.capAdd, hosts, ...forContainerName(settings.generation),
      };
      // Everything that makes docker replace the container goes into its name.
      const containerName = pulumi.all([image.imageId, user]).apply(([imageId, u]) =>
        // layout: names differ from those of the releases that replaced containers in place.
        siteContainerName(site, { layout: 3, imageId, user: u, ...spec }));
      const restoreStep = parent.backup?.restore ? [parent.backup.restore] : [];
      const resourceName = siteContainerResourceName(name, { runAs: plan.runAs, ...spec });
      const [n, a, o] = transform(transforms.container, resourceName, {
        name: containerName,
        image: image.imageId,
        user,
        envs,
        restart: "unless-stopped",
        networksAdvanced: [{ name: parent.network.name }],
        hosts,
        volumes,
        healthcheck: health,
        wait: health !== undefined,
        waitTimeout: waitSeconds,
        memory: limits.memory,
        memorySwap: limits.memory,
        cpus: limits.cpus,
        // Nothing but what the site names (render/proxy-file-script.ts sets its pids limit before traffic moves).
        capabilities: { drops: ["ALL"], adds: plan.capAdd },
        securityOpts: ["no-new-privileges:true"],
        logDriver: "json-file",
        logOpts,
        labels: [{ label: SITE_LABEL, value: site }],
        destroyGraceSeconds: 30,
      } as docker.ContainerArgs, {
        parent, provider: host.docker,
        dependsOn: [setup, parent.database, proxyLink, ...restoreStep, ...(jobs ? [jobs] : []), ...(memcached ? [memcached] : [])],
        hooks: clearLeftoverHooks(settings.connection, "container", { key: SITE_LABEL, value: site }),
      });
      return new docker.Container(n, a, o);
    }

    function routeTraffic(): HostCommand {
      const path = siteRouteFile(settings.paths, site);
      return runOnHost(`${name}-route`, target, {
        script: renderProxyFileScript({
          path, proxyContainer: settings.proxyContainer, lockFile: proxyLockFile(settings.paths),
          awaitCertificates: { hostNames: plan.hostNames, ...settings.certificateProbe, acme: settings.proxy.tls === "acme" },
          upstreamPidsLimit: plan.limits.pids,
          historyFile: siteImageHistoryFile(settings.paths, site), imageRef: args.image,
        }),
        scriptName: `simple-paas-route-${site}`,
        stdin: parent.container.name.apply((c) => renderSiteRoutes({ site, hostNames: plan.hostNames, upstream: `${c}:${plan.port}` }, settings.proxy)),
        deleteScript: renderProxyFileRemovalScript({ path, proxyContainer: settings.proxyContainer, lockFile: proxyLockFile(settings.paths) }),
      }, { parent, dependsOn: [parent.container] });
    }
  }
}
