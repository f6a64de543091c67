/**
 * The arguments of the components, documented field by field (these
 * comments are the reference the README points at, and the descriptions
 * of the component package's schema). Plain types only: the components add
 * what only they have (SimpleSiteArgs.host). Every object is a named
 * interface and there are no unions, so the package's schema (any Pulumi
 * language, see components/package.ts) can carry them; `@default` becomes
 * the schema's default and `@secret` marks a secret. The forms earlier
 * releases took (`false` for "off") live in deprecated.ts.
 */
import type * as pulumi from "@pulumi/pulumi";

/** How to reach a remote host. Omit it to run on the machine that runs Pulumi. */
export interface HostConnection {
  /** Address or name of the host. */
  host: string;
  /** SSH port. @default 22 */
  port?: number;
  /** The user to log in as (root, or one that may run everything as root). @default "root" */
  user?: string;
  /** Private key (PEM/OpenSSH) for the user, a Pulumi secret. @secret */
  privateKey: pulumi.Input<string>;
  /**
   * The host's SSH public key, as one line of authorized_keys
   * (`ssh-ed25519 AAAA...`; on the host: `cat /etc/ssh/ssh_host_ed25519_key.pub`).
   * Every connection checks it before anything, a secret above all, is sent;
   * there is no trust on first use. A rebuilt host has a new key: set it with
   * the new generation.
   * @example "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm3... root@web1"
   */
  hostKey: string;
}

/** An existing MySQL/MariaDB server used instead of the host's own (the original's scale-out path). */
export interface ExternalDatabase {
  /** Address or name of the server, as the host and the sites reach it. */
  host: string;
  /** The server's port. @default 3306 */
  port?: number;
  /** An account that may create databases and users and grant on them. */
  adminUser: string;
  /** Its password, a Pulumi secret. @secret */
  adminPassword: pulumi.Input<string>;
  /**
   * TLS to the server: the admin account's passwords (`IDENTIFIED BY`) and
   * every dump cross the network. On and verified by default.
   */
  tls?: ExternalDatabaseTls;
}

/** TLS to an external database server. */
export interface ExternalDatabaseTls {
  /** Use TLS. @default true */
  enabled?: boolean;
  /** Check the server's certificate and name. @default true */
  verify?: boolean;
  /** PEM of the CA that signs the server's certificate (else the system's CAs). */
  caPem?: string;
}

/** The host's networks (see HostBootstrapArgs.network). */
export interface HostNetwork {
  /** The proxy's own docker network. @default "simple-paas" */
  name?: string;
  /** Its subnet; MariaDB listens on its gateway. @default "172.30.0.0/24" */
  subnet?: string;
  /** Where each site's own network (a /28) is taken from. @default "172.31.0.0/16" */
  sitesPool?: string;
}

/** MariaDB on the host, or an external server (see HostBootstrapArgs.database). */
export interface HostDatabase {
  /**
   * Admin account simple-paas creates (password generated, secret) and keeps
   * in `<configDir>/mysql-admin.cnf` for the host-side steps that make each
   * site's database and user. @default "simple_paas_admin"
   */
  adminUser?: string;
  /** The port the host's MariaDB listens on. @default 3306 */
  port?: number;
  /** An existing MySQL/MariaDB server used instead of the host's own. */
  external?: ExternalDatabase;
}

/** How the proxy gets its certificates. */
export const ProxyTls = {
  /** From an ACME CA (Let's Encrypt unless `acmeCa` says otherwise): needs public DNS. */
  Acme: "acme",
  /** Caddy's own CA (no public DNS needed; browsers do not trust it). */
  Internal: "internal",
} as const;
export type ProxyTls = (typeof ProxyTls)[keyof typeof ProxyTls];

/** The reverse proxy (Caddy) with automatic HTTPS. */
export interface ProxyOptions {
  /** The Caddy image. @default "caddy:2.8" */
  image?: string;
  /** ACME account e-mail. */
  acmeEmail?: string;
  /** ACME directory; @default Let's Encrypt production. @example "https://acme-staging-v02.api.letsencrypt.org/directory" */
  acmeCa?: string;
  /** PEM of the root that signs the ACME server's own certificate (private ACME servers). */
  acmeCaRootPem?: string;
  /** `internal` uses Caddy's own CA (no public DNS needed). @default "acme" */
  tls?: ProxyTls;
  /** The host port for HTTP (redirects to HTTPS, ACME challenges). @default 80 */
  httpPort?: number;
  /** The host port for HTTPS. @default 443 */
  httpsPort?: number;
  /** Host address the ports are published on. @default all addresses */
  bindAddress?: string;
  /** Largest request body the proxy passes on. @default "100MB" */
  maxBodySize?: string;
  /** How long the proxy waits for a site's answer. @default "300s" */
  upstreamTimeout?: string;
  /**
   * How long a site's route step waits for the proxy to serve the site's
   * certificates (it never fails on it; it says which names have none yet).
   * 0 skips the wait. @default 30
   */
  certificateWaitSeconds?: number;
}

/** The host's memcached defaults (see HostBootstrapArgs.memcached). */
export interface HostMemcached {
  /** Give every site its own memcached unless the site says otherwise. @default false */
  enabled?: boolean;
  /** Memory of each site's memcached. @default 64 */
  memoryMb?: number;
  /** The memcached image. @default "memcached:1.6" */
  image?: string;
}

/** Docker's json-file log rotation. */
export interface DockerLogs {
  /** Size at which a log file is rotated. @default "10m" */
  maxSize?: string;
  /** Rotated files kept. @default 3 */
  maxFiles?: number;
}

/** Removal of unused site images (see HostBootstrapArgs.imagePrune). */
export interface ImagePrune {
  /** When (cron). @default "40 4 * * *" */
  schedule?: string;
  /** Images kept per site: those of its newest deployments. @default 2 */
  keep?: number;
}

/** Rotation of the host's own logs. */
export interface HostLogs {
  /** Rotate a log once it is bigger than this many MiB. @default 10 */
  maxSizeMb?: number;
  /** Rotated (gzipped) copies kept per log. @default 5 */
  keep?: number;
  /** Rotated copies older than this many days go. @default 30 */
  maxAgeDays?: number;
}

export interface HostBootstrapArgs {
  /**
   * The host to prepare. Omit it to prepare the machine that runs Pulumi.
   * @example { host: "203.0.113.10", user: "root", privateKey: config.requireSecret("sshKey"), hostKey: "ssh-ed25519 AAAA..." }
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
  /**
   * Networks. `name`/`subnet`: the proxy's own network (MariaDB listens on
   * its gateway). `sitesPool`: where each site's own network (a /28) is
   * taken from; sites reach neither each other nor the host beyond their
   * database. @default { name: "simple-paas", subnet: "172.30.0.0/24", sitesPool: "172.31.0.0/16" }
   */
  network?: HostNetwork;
  /**
   * MariaDB. By default it is installed on the host and listens on 127.0.0.1
   * and the proxy network's gateway only (the firewall lets each site's
   * network reach that port). `external` uses an existing server instead.
   */
  database?: HostDatabase;
  /** The reverse proxy (Caddy) with automatic HTTPS. */
  proxy?: ProxyOptions;
  /**
   * Memcached: each site that wants one gets its own (a container on the
   * site's own network, reachable by that site alone), offered as
   * MEMCACHE_HOST/MEMCACHE_PORT. `enabled` gives every site one unless the
   * site says otherwise. @default { enabled: false, memoryMb: 64, image: "memcached:1.6" }
   */
  memcached?: HostMemcached;
  /** Docker's json-file log rotation. @default { maxSize: "10m", maxFiles: 3 } */
  dockerLogs?: DockerLogs;
  /**
   * Unused site images are removed on this schedule, keeping for each site
   * the images of its newest `keep` deployments (what a rollback needs).
   * @default { schedule: "40 4 * * *", keep: 2 }
   */
  imagePrune?: ImagePrune;
  /**
   * Rotation of the host's own logs (`/var/log/simple-paas/*.log`: backups,
   * each site's cron jobs, the host's jobs and daemons), by logrotate every
   * 10 minutes. @default { maxSizeMb: 10, keep: 5, maxAgeDays: 30 }
   */
  hostLogs?: HostLogs;
  /**
   * Which incarnation of the host this is. Change it (any new value) when the
   * host is new or was wiped, then `pulumi up` (no refresh): every step on the
   * host runs again and each site restores its latest backup. See the
   * disaster-recovery runbook. @default "1"
   */
  generation?: string;
  /**
   * A new generation on a host that still runs sites under another one is
   * refused (every step's removal would run first and take the sites down);
   * `true` runs it anyway. @default false
   */
  forceNewGeneration?: boolean;
}

/** A site's restic backups. */
export interface SiteBackupOptions {
  /**
   * Any restic repository: a path on the host, `sftp:user@host:/path`,
   * `s3:...`, `b2:bucket:path`, `rest:...`. Never with a password in it
   * (put it in `credentials`).
   * @default "/var/backups/simple-paas/<site>" (keep a copy off the host!)
   */
  repository?: string;
  /** Backend credentials as restic reads them from its environment, e.g. `{ B2_ACCOUNT_ID, B2_ACCOUNT_KEY }`. Secrets. @secret */
  credentials?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * The repository password. @default a generated one, kept in Pulumi state.
   * Set it (or the host program's `backupKey`) when backups must survive `pulumi destroy`.
   * @secret
   */
  password?: pulumi.Input<string>;
  /**
   * When to back up (cron). Give every site `@hourly` and they all start at
   * :00 (they then run one after another).
   * @default hourly, at a minute spread by the site's name (e.g. "17 * * * *")
   */
  schedule?: string;
  /** When to forget, prune and check (cron). @default daily in the 3 o'clock hour, half an hour from the site's backup minute */
  pruneSchedule?: string;
  /** Retention. @default { last: 7, hourly: 24, daily: 7, weekly: 5, monthly: 12, yearly: 1 } — snapshots tagged `manual` are always kept */
  keep?: BackupRetention;
  /** Also write `.tar.gz` archives (dump + files) to `dir`: one a day, kept `keepDays` days. @default none */
  tar?: BackupTarCopy;
  /** Restore the latest snapshot when the site is created on a host where its data is empty. @default true */
  restoreOnCreate?: boolean;
  /** Back up one last time before the site is destroyed (the destroy fails if that backup fails). @default true */
  finalBackupOnDestroy?: boolean;
  /**
   * The site's restic repository from the original scripts: when the site
   * is created (and when this setting changes) its snapshots are copied
   * into the site's repository, tagged as the site's, before the restore on
   * creation runs; `sp adopt SITE` copies what is new there since. The
   * source is only read. @default none
   */
  adopt?: AdoptedRepository;
  /**
   * Restore drills: the latest snapshot restored where the site cannot see
   * it, its files compared by hash and its database by tables and rows with
   * what the snapshot holds, and `restic check --read-data-subset`. `sp
   * status` fails on a failed or overdue drill; `sp drill SITE` runs one now.
   * @default { enabled: true, schedule: Sundays in the 4 o'clock hour at a minute spread by the site's name, readDataPercent: 5 }
   */
  drill?: RestoreDrill;
  /**
   * A healthchecks-style URL (a secret): pinged after each good backup and
   * drill, and at `<url>/fail` with the reason after a failed one. @secret
   */
  heartbeatUrl?: pulumi.Input<string>;
}

/** A repository of the original scripts, whose snapshots a site takes over. */
export interface AdoptedRepository {
  /** Where it is: a path (e.g. `/sites/blog/data/restic`) or a restic URL (`b2:bucket:blog`); its backend credentials are the site's `credentials`. */
  repository: string;
  /** Its password (the original scripts kept one per site). @secret */
  password: pulumi.Input<string>;
  /** Where the data dir's content (public/ private/ sql/) is in its snapshots. @default "/shared" (the scripts backed up inside the site's container) */
  snapshotPath?: string;
  /** The database dump in the data dir, as the original scripts wrote it. @default "sql/<database name>.sql" */
  dumpFile?: string;
}

/** How many snapshots `sp prune` keeps, per kind (snapshots tagged `manual` are always kept). */
export interface BackupRetention {
  /** The newest snapshots. @default 7 */
  last?: number;
  /** One per hour, for this many hours. @default 24 */
  hourly?: number;
  /** One per day, for this many days. @default 7 */
  daily?: number;
  /** One per week, for this many weeks. @default 5 */
  weekly?: number;
  /** One per month, for this many months. @default 12 */
  monthly?: number;
  /** One per year, for this many years. @default 1 */
  yearly?: number;
}

/** Daily `.tar.gz` copies (dump + files) in a directory on the host, beside the restic snapshots. */
export interface BackupTarCopy {
  /** Absolute path on the host. */
  dir: string;
  /**
   * Days an archive is kept. Scheduled backups write one archive a day (the
   * day's first backup); `sp backup SITE` always writes one. @default 7
   */
  keepDays?: number;
  /** At most this many archives, the newest kept. @default no limit but keepDays */
  keep?: number;
}

/** Restore drills (see SiteBackupOptions.drill). */
export interface RestoreDrill {
  /** Run drills. @default true */
  enabled?: boolean;
  /** When (cron). @default Sundays in the 4 o'clock hour, a quarter hour from the site's backup minute */
  schedule?: string;
  /** Share of the repository's data `restic check` reads each drill, in percent. @default 5 */
  readDataPercent?: number;
}

/** A site's backups: SiteBackupOptions, and whether there are any. */
export interface SiteBackupSettings extends SiteBackupOptions {
  /** `false`: the site has no backups (no SiteBackup child). @default true */
  enabled?: boolean;
}

/** A capability a site may add back (every other is dropped; these are docker's defaults without NET_RAW and MKNOD). */
export const SiteCapability = {
  AUDIT_WRITE: "AUDIT_WRITE", CHOWN: "CHOWN", DAC_OVERRIDE: "DAC_OVERRIDE", FOWNER: "FOWNER", FSETID: "FSETID", KILL: "KILL",
  NET_BIND_SERVICE: "NET_BIND_SERVICE", SETFCAP: "SETFCAP", SETGID: "SETGID", SETPCAP: "SETPCAP", SETUID: "SETUID", SYS_CHROOT: "SYS_CHROOT",
} as const;
export type SiteCapability = (typeof SiteCapability)[keyof typeof SiteCapability];
/** Capabilities a site may add back, as a list. */
export const SITE_CAPABILITIES = Object.values(SiteCapability) as [SiteCapability, ...SiteCapability[]];

/** A site's container limits when it names none. */
export const DEFAULT_SITE_LIMITS = { memoryMb: 1024, pids: 512 } as const;

/** One website (SimpleSite), without the host it runs on. */
export interface SiteOptions {
  /** Site name: a DNS label, MySQL identifier and Linux user at once (a-z, 0-9, '-', at most 32). @example "blog" */
  name: string;
  /** Image reference. @example "registry.example.com/acme/blog:1.4.2" */
  image: string;
  /** Credentials for a private registry (password is a secret, must not be empty). */
  registry?: RegistryCredentials;
  /** Live domains. @example ["blog.example.com", "www.blog.example.com"] */
  domains?: string[];
  /** Also answer on `<name>.<host stagingDomain>` when the host has one. @default true */
  staging?: boolean;
  /** Port the site listens on inside its container. @default 80 */
  port?: number;
  /** Plain environment. Names: [A-Z_][A-Z0-9_]*. @default {} */
  env?: Record<string, string>;
  /** Secret values, given to the container as files: `/etc/secrets/env/NAME`, named by `NAME_FILE`. @secret */
  secretEnv?: Record<string, pulumi.Input<string>>;
  /**
   * The site's hash salt, always in the file `HASH_SALT_FILE` names. A site
   * moved from elsewhere (the original scripts gave it as plain `HASH_SALT`)
   * brings its own, so its users' stored hashes and sessions stay valid.
   * @default a generated one (64 letters and digits)
   */
  hashSalt?: SiteHashSalt;
  /**
   * Health check over HTTP (`path`) or a command; `{ enabled: false }`
   * disables it (the route step then waits for the container to answer HTTP
   * on its port). Traffic moves to a new container only once it is healthy.
   * @default { path: "/" }
   */
  healthCheck?: HealthCheck;
  /**
   * Limits. @default { memoryMb: 1024, pids: 512 } (cpus: no limit)
   * @example { memoryMb: 512, cpus: 1, pids: 256 }
   */
  resources?: SiteResources;
  /** Scheduled commands run in the site's container (its env and volumes), like the original sp_cron. @default [] */
  cron?: SiteCronJob[];
  /**
   * User inside the container; the group is always the site's own. Root
   * (`root` or `0`) only with `allowRoot`. @default "www-data"
   */
  runAs?: string;
  /**
   * Let the container run as root (an image whose entrypoint drops to
   * another user itself). It still has no capabilities but `capAdd`'s.
   * @default false
   */
  allowRoot?: boolean;
  /**
   * Capabilities the container gets back; every other one is dropped. Only
   * AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, NET_BIND_SERVICE,
   * SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT. @default []
   * @example ["SETUID", "SETGID"] (an entrypoint that starts as root and drops to www-data)
   */
  capAdd?: SiteCapability[];
  /**
   * The site's own memcached (a container on its network, nobody else's):
   * MEMCACHE_HOST/MEMCACHE_PORT. @default the host's memcached.enabled
   */
  memcached?: SiteMemcached;
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
   * backup (backups enabled, `finalBackupOnDestroy` not false).
   * @default false: the database and the data dir stay on the host
   */
  deleteDataOnDestroy?: boolean;
  /** Backups (a SiteBackup child). `{ enabled: false }` disables them. @default {} (hourly, local repository) */
  backup?: SiteBackupSettings;
}

/** A private registry's credentials. */
export interface RegistryCredentials {
  /** The registry's host name (and port). @example "registry.example.com" */
  server: string;
  /** The user to log in as. */
  username: string;
  /** Its password or token (must not be empty). @secret */
  password: pulumi.Input<string>;
}

/** A site's container health check. */
export interface HealthCheck {
  /** `false`: no health check (the route step then waits for the container to answer HTTP on its port). @default true */
  enabled?: boolean;
  /** HTTP path asked on the site's port. @default "/" */
  path?: string;
  /** A command run in the container instead of the HTTP request. @example ["php", "/healthz.php"] */
  command?: string[];
  /** Seconds between checks. @default 5 */
  intervalSeconds?: number;
  /** Failed checks before the container is unhealthy. @default 3 */
  retries?: number;
  /**
   * How long `pulumi up` waits for a new container to get healthy before it
   * fails the update (the old container keeps serving). Docker's own wait
   * does not stop early on an unhealthy container: a site that starts fast
   * fails a bad image sooner with less. @default 180
   */
  waitSeconds?: number;
}

/** A site's container limits. */
export interface SiteResources {
  /** Memory (and memory+swap) in MiB. @default 1024 */
  memoryMb?: number;
  /** CPUs (may be fractional). @default no limit */
  cpus?: number;
  /** Processes and threads. @default 512 */
  pids?: number;
}

/** A site's hash salt and the name its image reads it by. */
export interface SiteHashSalt {
  /** The salt. @default a generated one (64 letters and digits), kept in Pulumi state @secret */
  value?: pulumi.Input<string>;
  /**
   * Also give the salt under this env name: the file's path, or with
   * `plain` the salt itself. @default none; "HASH_SALT" with `plain`
   */
  env?: string;
  /**
   * Put the salt itself in the env var (for images that read only a plain
   * `HASH_SALT`, as the original scripts gave it). It is then visible to
   * `docker inspect` on the host and to anything that can read the site's
   * process environment; the file is the safer way. @default false
   */
  plain?: boolean;
}

/** A command run in the site's container on a schedule. */
export interface SiteCronJob {
  /** When (cron). @example "@hourly" */
  schedule: string;
  /** The command (run by a shell in the site's container). @example "php cron.php" */
  command: string;
}

/** A site's own memcached. */
export interface SiteMemcached {
  /** Give the site its own memcached. @default the host's memcached.enabled */
  enabled?: boolean;
  /** Its memory. @default the host's memcached.memoryMb */
  memoryMb?: number;
}
