/**
 * The arguments of the components, documented field by field (these
 * comments are the reference the README points at). Plain types only: the
 * components add what only they have (SimpleSiteArgs.host).
 */
import type * as pulumi from "@pulumi/pulumi";

/** How to reach a remote host. Omit it to run on the machine that runs Pulumi. */
export interface HostConnection {
  /** Address or name of the host. */
  host: string;
  /** @default 22 */
  port?: number;
  /** @default "root" */
  user?: string;
  /** Private key (PEM/OpenSSH) for the user, a Pulumi secret. */
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
  host: string;
  /** @default 3306 */
  port?: number;
  /** An account that may create databases and users and grant on them. */
  adminUser: string;
  /** Its password, a Pulumi secret. */
  adminPassword: pulumi.Input<string>;
  /**
   * TLS to the server: the admin account's passwords (`IDENTIFIED BY`) and
   * every dump cross the network. On and verified by default.
   */
  tls?: {
    /** @default true */
    enabled?: boolean;
    /** Check the server's certificate and name. @default true */
    verify?: boolean;
    /** PEM of the CA that signs the server's certificate (else the system's CAs). */
    caPem?: string;
  };
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
  network?: { name?: string; subnet?: string; sitesPool?: string };
  /**
   * MariaDB. By default it is installed on the host and listens on 127.0.0.1
   * and the proxy network's gateway only (the firewall lets each site's
   * network reach that port). `external` uses an existing server instead.
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
    external?: ExternalDatabase;
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
  /**
   * Memcached: each site that wants one gets its own (a container on the
   * site's own network, reachable by that site alone), offered as
   * MEMCACHE_HOST/MEMCACHE_PORT. `enabled` gives every site one unless the
   * site says otherwise. @default { enabled: false, memoryMb: 64, image: "memcached:1.6" }
   */
  memcached?: { enabled?: boolean; memoryMb?: number; image?: string };
  /** Docker's json-file log rotation. @default { maxSize: "10m", maxFiles: 3 } */
  dockerLogs?: { maxSize?: string; maxFiles?: number };
  /**
   * Unused site images are removed on this schedule, keeping for each site
   * the images of its newest `keep` deployments (what a rollback needs).
   * @default { schedule: "40 4 * * *", keep: 2 }
   */
  imagePrune?: { schedule?: string; keep?: number };
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
  /** Backend credentials as restic reads them from its environment, e.g. `{ B2_ACCOUNT_ID, B2_ACCOUNT_KEY }`. Secrets. */
  credentials?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * The repository password. @default a generated one, kept in Pulumi state.
   * Set it (or the host program's `backupKey`) when backups must survive `pulumi destroy`.
   */
  password?: pulumi.Input<string>;
  /** When to back up (cron). @default "@hourly" */
  schedule?: string;
  /** When to forget, prune and check (cron). @default "30 3 * * *" */
  pruneSchedule?: string;
  /** Retention. @default { last: 7, hourly: 24, daily: 7, weekly: 5, monthly: 12, yearly: 1 } — snapshots tagged `manual` are always kept */
  keep?: { last?: number; hourly?: number; daily?: number; weekly?: number; monthly?: number; yearly?: number };
  /** Also write `.tar.gz` archives (dump + files) to `dir`, keeping the newest `keep`. @default false */
  tar?: false | { dir: string; keep?: number };
  /** Restore the latest snapshot when the site is created on a host where its data is empty. @default true */
  restoreOnCreate?: boolean;
  /** Back up one last time before the site is destroyed (the destroy fails if that backup fails). @default true */
  finalBackupOnDestroy?: boolean;
  /**
   * Restore drills: the latest snapshot restored where the site cannot see
   * it, its files compared by hash and its database by tables and rows with
   * what the snapshot holds, and `restic check --read-data-subset`. `sp
   * status` fails on a failed or overdue drill; `sp drill SITE` runs one now.
   * @default { enabled: true, schedule: "@weekly", readDataPercent: 5 }
   */
  drill?: { enabled?: boolean; schedule?: string; readDataPercent?: number };
  /**
   * A healthchecks-style URL (a secret): pinged after each good backup and
   * drill, and at `<url>/fail` with the reason after a failed one.
   */
  heartbeatUrl?: pulumi.Input<string>;
}

/** Capabilities a site may add back (every other is dropped; these are docker's defaults without NET_RAW and MKNOD). */
export const SITE_CAPABILITIES = [
  "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
] as const;
export type SiteCapability = (typeof SITE_CAPABILITIES)[number];

/** A site's container limits when it names none. */
export const DEFAULT_SITE_LIMITS = { memoryMb: 1024, pids: 512 } as const;

/** One website (SimpleSite), without the host it runs on. */
export interface SiteOptions {
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
  /**
   * Health check over HTTP (`path`) or a command; `false` disables it (the
   * route step then waits for the container to answer HTTP on its port).
   * Traffic moves to a new container only once it is healthy.
   * @default { path: "/" }
   */
  healthCheck?: false | { path?: string; command?: string[]; intervalSeconds?: number; retries?: number };
  /**
   * Limits. @default { memoryMb: 1024, pids: 512 } (cpus: no limit)
   * @example { memoryMb: 512, cpus: 1, pids: 256 }
   */
  resources?: { memoryMb?: number; cpus?: number; pids?: number };
  /** Scheduled commands run in the site's container (its env and volumes), like the original sp_cron. */
  cron?: { schedule: string; command: string }[];
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
  memcached?: { enabled?: boolean; memoryMb?: number };
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
