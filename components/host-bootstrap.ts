import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as random from "@pulumi/random";
import type { HostBootstrapArgs } from "./model/args";
import { forDockerObject, forImage } from "./model/generation";
import { HostSettings, resolveSettings, toSetupInput } from "./model/host-settings";
import { posix } from "node:path";
import { hostLogrotateConfigFile, hostLogrotateStateFile, proxyLockFile } from "./model/naming";
import { hostBootstrapSchema } from "./model/schemas";
import { SimplePaasInputError, parseOrThrow } from "./model/rules";
import { SiteNetwork, SiteNetworkAllocator } from "./model/site-network";
import { renderProxyMainConfig } from "./render/caddyfile";
import { renderHostCronFile } from "./render/cron-file";
import { DAEMON_LOG_DIR } from "./render/host-script";
import { logrotateCommand, renderHostLogrotateConfig } from "./render/logrotate";
import { renderHostPackagesScript, renderInstallFileScript, renderRemoveFilesScript } from "./render/packages-script";
import { renderProxyFileScript } from "./render/proxy-file-script";
import { renderHostServicesRemovalScript, renderHostServicesScript } from "./render/services-script";
import { renderSpCommand } from "./render/sp-command";
import { clearLeftoverHooks } from "./leftovers";
import { DockerEndpoint, reachRemoteHost } from "./remote-host";
import { HostCommand, HostStepArgs, HostTarget, runOnHost } from "./host-step";
import { Transform, transform } from "./transform";

export type { HostBootstrapArgs, HostConnection } from "./model/args";
export type { HostSettings } from "./model/host-settings";

/** What `transform` can adjust: each kind of child HostBootstrap makes. */
export interface HostBootstrapTransform {
  /** Every host step (command resource). */
  step?: Transform<HostStepArgs>;
  network?: Transform<docker.NetworkArgs>;
  proxy?: Transform<docker.ContainerArgs>;
  proxyImage?: Transform<docker.RemoteImageArgs>;
  memcachedImage?: Transform<docker.RemoteImageArgs>;
  dockerProvider?: Transform<docker.ProviderArgs>;
}

export interface HostBootstrapComponentArgs extends HostBootstrapArgs {
  /** Adjust the resources HostBootstrap makes (see transform.ts). */
  transform?: HostBootstrapTransform;
}

/**
 * Prepares one Linux host (local or over SSH) for simple-paas sites: docker,
 * MariaDB, restic, cron, the proxy's network and the firewall between the
 * sites and the host, the reverse proxy with automatic HTTPS, the `sp`
 * operator command and the host's schedule.
 *
 * @example
 * const host = new HostBootstrap("host", { stagingDomain: "staging.example.com", proxy: { acmeEmail: "ops@example.com" } });
 * new SimpleSite("blog", { host, name: "blog", image: "ghcr.io/acme/blog:1.2.0", domains: ["blog.example.com"] });
 */
export class HostBootstrap extends pulumi.ComponentResource {
  /** Docker provider bound to this host's engine. */
  readonly docker: docker.Provider;
  /** How to reach this host's docker engine; sites with a private registry make their own provider from it. */
  readonly dockerEndpoint: DockerEndpoint;
  /** The proxy's network (MariaDB listens on its gateway). */
  readonly network: docker.Network;
  /** The reverse proxy container. */
  readonly proxy: docker.Container;
  /** Resolved settings sites build on. */
  readonly settings: HostSettings;
  /** Everything a site must wait for. */
  readonly ready: pulumi.Resource[];
  /** Where the host's steps run, for the sites' own steps. */
  readonly target: HostTarget;
  /** Host names (and site names) the sites on this host have taken: one proxy cannot route a name to two sites. */
  private readonly claimed = new Map<string, string>();
  private readonly networks: SiteNetworkAllocator;
  private memcachedImageResource?: docker.RemoteImage;
  private readonly transforms: HostBootstrapTransform;
  private readonly resourcePrefix: string;

  constructor(name: string, args: HostBootstrapComponentArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
    super("simple-paas:index:HostBootstrap", name, {}, opts);
    const { transform: transforms = {}, ...hostArgs } = args;
    parseOrThrow(hostBootstrapSchema, hostArgs, "host");
    const parent = this;
    const settings = resolveSettings(hostArgs, `${pulumi.getProject()}.${pulumi.getStack()}.${name}`);
    const connection = settings.connection;
    this.settings = settings;
    this.transforms = transforms;
    this.resourcePrefix = name;
    this.networks = new SiteNetworkAllocator(settings.network.name, settings.network.sitesPool);
    const target: HostTarget = { connection, generation: settings.generation, transform: transforms.step };
    this.target = target;
    const setupInput = toSetupInput(hostArgs, settings);

    // A remote host: its key and pinned host key as files for docker's ssh, and a check that the host answers with that key.
    const remote = connection && reachRemoteHost(name, connection, settings.generation, transforms.step, parent);
    const reachable = remote?.reachable;
    const packages = installPackages();
    this.dockerEndpoint = remote?.dockerEndpoint ?? { host: "unix:///var/run/docker.sock" };
    this.docker = createDockerProvider();
    this.network = createNetwork();
    const adminPassword = createAdminPassword();
    const services = configureServices();
    const spCommand = installSpCommand();
    const schedule = installHostSchedule();
    const proxyConfig = writeProxyConfig();
    this.proxy = createProxy();
    this.ready = [services, spCommand, schedule, proxyConfig, this.proxy];

    this.registerOutputs({ networkName: this.network.name, proxyContainer: this.proxy.name, sitesRoot: settings.paths.sitesRoot });

    function installPackages(): HostCommand {
      return runOnHost(`${name}-packages`, target, {
        script: renderHostPackagesScript(setupInput),
        scriptName: "simple-paas-host-packages",
      }, { parent, dependsOn: reachable ? [reachable] : [] });
    }

    function createDockerProvider(): docker.Provider {
      const [n, a, o] = transform(transforms.dockerProvider, `${name}-docker`, parent.dockerEndpoint as docker.ProviderArgs, { parent });
      return new docker.Provider(n, a, o);
    }

    function createNetwork(): docker.Network {
      // The generation label makes a new generation create the network again
      // (a wiped host has none, and the engine is not asked to refresh).
      const [n, a, o] = transform(transforms.network, `${name}-network`, {
        name: settings.network.name,
        driver: "bridge",
        ipamConfigs: [{ subnet: settings.network.subnet, gateway: settings.network.gateway }],
        ...forDockerObject(settings.generation),
      } as docker.NetworkArgs, {
        parent, provider: parent.docker, dependsOn: [packages], deleteBeforeReplace: true,
        hooks: clearLeftoverHooks(connection, "network", { key: "simple-paas.generation", value: settings.generation }),
      });
      return new docker.Network(n, a, o);
    }

    function createAdminPassword(): pulumi.Output<string> {
      if (hostArgs.database?.external) return pulumi.secret(hostArgs.database.external.adminPassword);
      return pulumi.secret(new random.RandomPassword(`${name}-mysql-admin-password`, { length: 32, special: false }, { parent }).result);
    }

    function configureServices(): HostCommand {
      return runOnHost(`${name}-services`, target, {
        script: renderHostServicesScript(setupInput),
        scriptName: "simple-paas-host-services",
        stdin: pulumi.secret(pulumi.interpolate`${adminPassword}\n`),
        deleteScript: renderHostServicesRemovalScript(setupInput),
      }, { parent, dependsOn: [parent.network] });
    }

    function installSpCommand(): HostCommand {
      return runOnHost(`${name}-sp-command`, target, {
        script: renderInstallFileScript({ path: settings.paths.spPath, mode: "0755", owner: "root", group: "root" }),
        scriptName: "simple-paas-install-sp",
        stdin: renderSpCommand({ configDir: settings.paths.configDir }),
      }, { parent, dependsOn: [services] });
    }

    /** The host's own cron jobs: unused site images removed, keeping what a rollback needs; the host's logs rotated. */
    function installHostSchedule(): HostCommand {
      const logDir = posix.dirname(settings.paths.logFile);
      const conf = hostLogrotateConfigFile(settings.paths);
      const rotation = runOnHost(`${name}-log-rotation`, target, {
        script: renderInstallFileScript({ path: conf, mode: "0644", owner: "root", group: "root" }),
        scriptName: "simple-paas-host-log-rotation",
        stdin: renderHostLogrotateConfig({ logDirs: [logDir, DAEMON_LOG_DIR], ...settings.hostLogs }),
        deleteScript: renderRemoveFilesScript("remove the host's log rotation", [conf, hostLogrotateStateFile(settings.paths)]),
      }, { parent, dependsOn: [spCommand] });
      return runOnHost(`${name}-schedule`, target, {
        script: renderInstallFileScript({ path: "/etc/cron.d/simple-paas-host", mode: "0644", owner: "root", group: "root" }),
        scriptName: "simple-paas-host-schedule",
        stdin: renderHostCronFile({
          spPath: settings.paths.spPath, logDir, imagePrune: settings.imagePrune,
          logRotation: logrotateCommand(conf, hostLogrotateStateFile(settings.paths)),
        }),
        deleteScript: renderRemoveFilesScript("remove the host's cron jobs", ["/etc/cron.d/simple-paas-host"]),
      }, { parent, dependsOn: [spCommand, rotation] });
    }

    function writeProxyConfig(): HostCommand {
      const proxyDir = `${settings.paths.configDir}/proxy`;
      const caRoot = hostArgs.proxy?.acmeCaRootPem;
      const caRootStep = caRoot === undefined ? [] : [runOnHost(`${name}-proxy-ca-root`, target, {
        script: renderInstallFileScript({ path: `${proxyDir}/acme-ca-root.pem`, mode: "0644", owner: "root", group: "root" }),
        scriptName: "simple-paas-proxy-ca-root",
        stdin: caRoot,
      }, { parent, dependsOn: [services] })];
      return runOnHost(`${name}-proxy-config`, target, {
        script: renderProxyFileScript({ path: `${proxyDir}/Caddyfile`, proxyContainer: settings.proxyContainer, lockFile: proxyLockFile(settings.paths) }),
        scriptName: "simple-paas-proxy-config",
        stdin: renderProxyMainConfig(settings.proxy),
      }, { parent, dependsOn: [services, ...caRootStep] });
    }

    function createProxy(): docker.Container {
      const [imageName, imageArgs, imageOpts] = transform(transforms.proxyImage, `${name}-proxy-image`, {
        name: hostArgs.proxy?.image ?? "caddy:2.8",
        keepLocally: true,
        ...forImage(settings.generation),
      } as docker.RemoteImageArgs, { parent, provider: parent.docker, dependsOn: [packages] });
      const image = new docker.RemoteImage(imageName, imageArgs, imageOpts);
      const data = new docker.Volume(`${name}-proxy-data`, { name: `${settings.proxyContainer}-data` }, {
        parent, provider: parent.docker, dependsOn: [packages], retainOnDelete: true,
      });
      const ip = hostArgs.proxy?.bindAddress;
      const [n, a, o] = transform(transforms.proxy, `${name}-proxy`, {
        name: settings.proxyContainer,
        image: image.imageId,
        restart: "unless-stopped",
        command: ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"],
        envs: ["XDG_DATA_HOME=/data", "XDG_CONFIG_HOME=/config"],
        ports: [
          { internal: 80, external: hostArgs.proxy?.httpPort ?? 80, ip },
          { internal: 443, external: hostArgs.proxy?.httpsPort ?? 443, ip },
        ],
        networksAdvanced: [{ name: parent.network.name }],
        // The proxy reads its routes from files the host writes: it never gets the Docker socket.
        volumes: [
          { hostPath: `${settings.paths.configDir}/proxy`, containerPath: "/etc/caddy", readOnly: true },
          { volumeName: data.name, containerPath: "/data" },
        ],
        securityOpts: ["no-new-privileges:true"],
        logDriver: "json-file",
        logOpts: { "max-size": settings.dockerLogs.maxSize, "max-file": String(settings.dockerLogs.maxFiles) },
        labels: [
          { label: "simple-paas.role", value: "proxy" },
          // The proxy's own network is in its args; the sites' networks it joins are the sites' steps'.
          { label: "simple-paas.network", value: settings.network.name },
          ...forDockerObject(settings.generation).labels,
        ],
      } as docker.ContainerArgs, {
        parent, provider: parent.docker, dependsOn: [proxyConfig], deleteBeforeReplace: true,
        // Each site's route step connects the proxy to the site's network (render/proxy-file-script.ts).
        // A new log rotation reaches the proxy when it is next replaced: replacing it for that would stop every site.
        ignoreChanges: ["networksAdvanced", "logOpts"],
        hooks: clearLeftoverHooks(connection, "container", { key: "simple-paas.role", value: "proxy" }),
      });
      return new docker.Container(n, a, o);
    }
  }

  /**
   * Called by each SimpleSite before it creates anything: a site name or a
   * host name already taken by another site on this host is bad input.
   * Returns the site's own network.
   */
  claimSite(site: string, hostNames: string[]): SiteNetwork {
    const problems: string[] = [];
    if (this.claimed.get(`site:${site}`) !== undefined) problems.push(`sites.${site}.name: ${JSON.stringify(site)} is already a site on this host`);
    for (const name of hostNames) {
      const owner = this.claimed.get(name);
      if (owner !== undefined && owner !== site) problems.push(`sites.${site}.domains: ${JSON.stringify(name)} is already routed to site ${owner}`);
    }
    if (problems.length > 0) throw new SimplePaasInputError(problems);
    this.claimed.set(`site:${site}`, site);
    for (const name of hostNames) this.claimed.set(name, site);
    return this.networks.claim(site);
  }

  /** The memcached image every site's own memcached runs (pulled once for the host). */
  memcachedImage(): docker.RemoteImage {
    if (!this.memcachedImageResource) {
      const [n, a, o] = transform(this.transforms.memcachedImage, `${this.resourcePrefix}-memcached-image`, {
        name: this.settings.memcached.image,
        keepLocally: true,
        ...forImage(this.settings.generation),
      } as docker.RemoteImageArgs, { parent: this, provider: this.docker, dependsOn: this.ready });
      this.memcachedImageResource = new docker.RemoteImage(n, a, o);
    }
    return this.memcachedImageResource;
  }
}
