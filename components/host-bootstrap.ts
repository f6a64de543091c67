import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as random from "@pulumi/random";
import * as command from "@pulumi/command";
import { HostConnection, HostCommand, HostTarget, runOnHost } from "./host-command";
import { hostBootstrapSchema } from "./input-schemas";
import { HostSettings, resolveSettings, toSetupInput } from "./host-settings";
import { renderHostPackagesScript, renderHostServicesRemovalScript, renderHostServicesScript, renderInstallFileScript } from "./render/host-setup";
import { renderProxyFileScript, renderProxyMainConfig } from "./render/proxy-config";
import { GENERATION_LABEL, proxyLockFile } from "./naming";
import { renderSpCommand } from "./render/sp-command";
import { localSshKeyFile, renderReachabilityCheckScript } from "./render/ssh-check";
import { bashInvocation } from "./render/shell";
import { SimplePaasInputError, parseOrThrow } from "./validation";

export type { HostSettings } from "./host-settings";

export interface HostBootstrapArgs {
  /**
   * The host to prepare. Omit it to prepare the machine that runs Pulumi.
   * @example { host: "203.0.113.10", user: "root", privateKey: config.requireSecret("sshKey") }
   */
  connection?: HostConnection;
  /** Where site data lives. @default "/sites" */
  sitesRoot?: string;
  /** Where simple-paas keeps its configuration and secrets. @default "/etc/simple-paas" */
  configDir?: string;
  /** Parent of the default per-site restic repositories. @default "/var/backups/simple-paas" */
  backupRoot?: string;
  /**
   * A domain whose subdomains point at this host: every site also answers on
   * `<site>.<stagingDomain>`. @example "staging.example.com"
   */
  stagingDomain?: string;
  /** The docker network the proxy and every site join. @default { name: "simple-paas", subnet: "172.30.0.0/24" } */
  network?: { name?: string; subnet?: string };
  /**
   * MariaDB. By default it is installed on the host and listens on 127.0.0.1
   * and the sites network's gateway only. `external` uses an existing server
   * instead (the original's scale-out path).
   */
  database?: {
    /**
     * Admin account simple-paas creates (password generated, secret) and keeps
     * in `<configDir>/mysql-admin.cnf` for the host-side steps that make each
     * site's database and user. @default "simple_paas_admin"
     */
    adminUser?: string;
    /** @default 3306 */
    port?: number;
    external?: { host: string; port?: number; adminUser: string; adminPassword: pulumi.Input<string> };
  };
  /** The reverse proxy (Caddy) with automatic HTTPS. */
  proxy?: {
    /** @default "caddy:2.8" */
    image?: string;
    /** ACME account e-mail. */
    acmeEmail?: string;
    /** ACME directory; @default Let's Encrypt production. @example "https://acme-staging-v02.api.letsencrypt.org/directory" */
    acmeCa?: string;
    /** PEM of the root that signs the ACME server's own certificate (private ACME servers). */
    acmeCaRootPem?: string;
    /** `internal` uses Caddy's own CA (no public DNS needed). @default "acme" */
    tls?: "acme" | "internal";
    /** @default 80 */
    httpPort?: number;
    /** @default 443 */
    httpsPort?: number;
    /** Host address the ports are published on. @default all addresses */
    bindAddress?: string;
    /** @default "100MB" */
    maxBodySize?: string;
    /** @default "300s" */
    upstreamTimeout?: string;
    /**
     * How long a site's route step waits for the proxy to serve the site's
     * certificates (it never fails on it; it says which names have none yet).
     * 0 skips the wait. @default 30
     */
    certificateWaitSeconds?: number;
  };
  /** Memcached on the sites network's gateway, offered to sites as MEMCACHE_HOST/PORT. @default disabled */
  memcached?: { enabled: boolean; memoryMb?: number };
  /** Docker's json-file log rotation. @default { maxSize: "10m", maxFiles: 3 } */
  dockerLogs?: { maxSize?: string; maxFiles?: number };
  /**
   * Which incarnation of the host this is. Change it (any new value) when the
   * host is new or was wiped, then `pulumi up` (no refresh): every step on the
   * host runs again and each site restores its latest backup. See the
   * disaster-recovery runbook. @default "1"
   */
  generation?: string;
}

/**
 * Prepares one Linux host (local or over SSH) for simple-paas sites: docker,
 * MariaDB, restic, cron, the sites network, the reverse proxy with
 * automatic HTTPS, and the `sp` operator command.
 *
 * @example
 * const host = new HostBootstrap("host", { stagingDomain: "staging.example.com", proxy: { acmeEmail: "ops@example.com" } });
 * new SimpleSite("blog", { host, name: "blog", image: "ghcr.io/acme/blog:1.2.0", domains: ["blog.example.com"] });
 */
export class HostBootstrap extends pulumi.ComponentResource {
  /** Docker provider bound to this host's engine. */
  readonly docker: docker.Provider;
  /** How to reach this host's docker engine; sites with a private registry make their own provider from it. */
  readonly dockerEndpoint: { host: string; sshOpts?: pulumi.Output<string[]> };
  /** The network every site joins. */
  readonly network: docker.Network;
  /** The reverse proxy container. */
  readonly proxy: docker.Container;
  /** Resolved settings sites build on. */
  readonly settings: HostSettings;
  /** Everything a site must wait for. */
  readonly ready: pulumi.Resource[];
  /** Host names (and site names) the sites on this host have taken: one proxy cannot route a name to two sites. */
  private readonly claimed = new Map<string, string>();

  constructor(name: string, args: HostBootstrapArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
    super("simple-paas:index:HostBootstrap", name, {}, opts);
    parseOrThrow(hostBootstrapSchema, args, "host");
    const parent = this;
    const connection = args.connection;
    const settings = resolveSettings(args);
    this.settings = settings;
    const target: HostTarget = { connection, generation: settings.generation };
    const setupInput = toSetupInput(args, settings);

    // A remote host: its key as a file for docker's ssh, and a check that the host answers at all.
    const sshKey = connection === undefined ? undefined : writeLocalSshKey(`${name}-ssh-key`, connection, settings.generation, parent);
    const reachable = connection && sshKey && checkReachable(connection, sshKey);
    const packages = installPackages();
    this.dockerEndpoint = dockerEndpoint();
    this.docker = new docker.Provider(`${name}-docker`, this.dockerEndpoint, { parent });
    this.network = createNetwork();
    const adminPassword = createAdminPassword();
    const services = configureServices();
    const spCommand = installSpCommand();
    const proxyConfig = writeProxyConfig();
    this.proxy = createProxy();
    this.ready = [services, spCommand, proxyConfig, this.proxy];

    this.registerOutputs({ networkName: this.network.name, proxyContainer: this.proxy.name, sitesRoot: settings.paths.sitesRoot });

    function installPackages(): HostCommand {
      return runOnHost(`${name}-packages`, target, {
        script: renderHostPackagesScript(setupInput),
        scriptName: "simple-paas-host-packages",
      }, { parent, dependsOn: reachable ? [reachable] : [] });
    }

    /**
     * Fails the first step on a new host (or generation) within seconds, with
     * what to check, when the host does not answer over SSH; it also takes the
     * host's key into the known_hosts file docker's ssh uses.
     */
    function checkReachable(conn: HostConnection, keyFile: command.local.Command): command.local.Command {
      const script = renderReachabilityCheckScript({ host: conn.host, port: conn.port ?? 22, user: conn.user ?? "root", keyFile: localSshKeyFile(conn) });
      return new command.local.Command(`${name}-reachable`, {
        create: bashInvocation(script, "simple-paas-host-reachable"),
        triggers: [settings.generation],
        addPreviousOutputInEnv: false,
      }, { parent, dependsOn: [keyFile] });
    }

    function dockerEndpoint(): { host: string; sshOpts?: pulumi.Output<string[]> } {
      if (connection === undefined || sshKey === undefined) return { host: "unix:///var/run/docker.sock" };
      return {
        host: `ssh://${connection.user ?? "root"}@${connection.host}:${connection.port ?? 22}`,
        // The key file's path is an output of the step that writes it, so the provider waits for it.
        sshOpts: sshKey.stdout.apply((path) => [
          "-i", path.trim(), "-o", `UserKnownHostsFile=${path.trim().replace(/\.key$/, ".known_hosts")}`,
          "-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes",
        ]),
      };
    }

    function createNetwork(): docker.Network {
      // The generation label makes a new generation create the network again
      // (a wiped host has none, and the engine is not asked to refresh).
      return new docker.Network(`${name}-network`, {
        name: settings.network.name,
        driver: "bridge",
        ipamConfigs: [{ subnet: settings.network.subnet, gateway: settings.network.gateway }],
        labels: [{ label: GENERATION_LABEL, value: settings.generation }],
      }, { parent, provider: parent.docker, dependsOn: [packages], deleteBeforeReplace: true });
    }

    function createAdminPassword(): pulumi.Output<string> {
      if (args.database?.external) return pulumi.secret(args.database.external.adminPassword);
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

    function writeProxyConfig(): HostCommand {
      const proxyDir = `${settings.paths.configDir}/proxy`;
      const caRoot = args.proxy?.acmeCaRootPem;
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
      const image = new docker.RemoteImage(`${name}-proxy-image`, {
        name: args.proxy?.image ?? "caddy:2.8",
        keepLocally: true,
        pullTriggers: [settings.generation],
      }, { parent, provider: parent.docker, dependsOn: [packages] });
      const data = new docker.Volume(`${name}-proxy-data`, { name: `${settings.proxyContainer}-data` }, {
        parent, provider: parent.docker, dependsOn: [packages], retainOnDelete: true,
      });
      const ip = args.proxy?.bindAddress;
      return new docker.Container(`${name}-proxy`, {
        name: settings.proxyContainer,
        image: image.imageId,
        restart: "unless-stopped",
        command: ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"],
        envs: ["XDG_DATA_HOME=/data", "XDG_CONFIG_HOME=/config"],
        ports: [
          { internal: 80, external: args.proxy?.httpPort ?? 80, ip },
          { internal: 443, external: args.proxy?.httpsPort ?? 443, ip },
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
        labels: [{ label: "simple-paas.role", value: "proxy" }, { label: GENERATION_LABEL, value: settings.generation }],
      }, { parent, provider: parent.docker, dependsOn: [proxyConfig], deleteBeforeReplace: true });
    }
  }

  /**
   * Called by each SimpleSite before it creates anything: a site name or a
   * host name already taken by another site on this host is bad input.
   */
  claimSite(site: string, hostNames: string[]): void {
    const problems: string[] = [];
    if (this.claimed.get(`site:${site}`) !== undefined) problems.push(`sites.${site}.name: ${JSON.stringify(site)} is already a site on this host`);
    for (const name of hostNames) {
      const owner = this.claimed.get(name);
      if (owner !== undefined && owner !== site) problems.push(`sites.${site}.domains: ${JSON.stringify(name)} is already routed to site ${owner}`);
    }
    if (problems.length > 0) throw new SimplePaasInputError(problems);
    this.claimed.set(`site:${site}`, site);
    for (const name of hostNames) this.claimed.set(name, site);
  }
}

/**
 * The docker provider reaches a remote engine through the system's ssh, which
 * needs the key as a file: it is written (0600) under ~/.simple-paas/ssh on
 * the machine running Pulumi, fed through stdin so it is never on a command
 * line. Beside it, the host's known_hosts: the host key is taken on first
 * contact and checked after that; a new generation (a new host, with a new
 * key, possibly at the same address) starts it afresh.
 */
function writeLocalSshKey(name: string, connection: HostConnection, generation: string, parent: pulumi.Resource): command.local.Command {
  const file = localSshKeyFile(connection);
  return new command.local.Command(name, {
    // A new generation replaces this step, delete first: known_hosts goes with
    // it, while a rotated key (an update) keeps the host's known key.
    create: `set -eu; umask 077; f="${file}"; mkdir -p "$(dirname "$f")"; cat >"$f"; printf '%s\\n' "$f"`,
    delete: `f="${file}"; rm -f "$f" "\${f%.key}.known_hosts"`,
    stdin: pulumi.secret(pulumi.output(connection.privateKey).apply((k) => (k.endsWith("\n") ? k : `${k}\n`))),
    triggers: [generation],
    addPreviousOutputInEnv: false,
  }, { parent, deleteBeforeReplace: true });
}
