/**
 * One schema per component input (model/args.ts), built from the rules in
 * rules.ts. Only plain (non-Output) values can be checked at preview;
 * secrets arrive as Inputs and are checked when known (checkSecretNotEmpty,
 * checkCredentials).
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CronExpressionParser } from "cron-parser";
import {
  DOCKER_LOG_SIZE, DOCKER_NAME, GENERATION, HOST_ADDRESS, MYSQL_ADMIN_USER, SSH_HOST_KEY, absolutePath, cronSchedule, domain, envName,
  imageRef, ipv4Subnet, port, registryServer, siteName,
} from "./rules";
import { cidrRange, DOCKER_ADDRESS_POOLS } from "./host-setup-input";
import { parseRepository } from "./repository";
import { CONTAINER_PATHS } from "./site-spec";
import { SITE_CAPABILITIES } from "./args";
import { backupDisabled } from "./deprecated";

const secretInput = z.custom<pulumi.Input<string>>(
  (v) => typeof v === "string" || pulumi.Output.isInstance(v) || v instanceof Promise,
  { message: "must be a string or a Pulumi secret" },
);

/** A secret that must not be empty: checked now when it is a plain string, when known otherwise (checkSecretNotEmpty). */
const nonEmptySecretInput = z.custom<pulumi.Input<string>>(
  (v) => (typeof v === "string" ? v.length > 0 : pulumi.Output.isInstance(v) || v instanceof Promise),
  { message: "must not be empty" },
);

const dockerName = z.string().refine(DOCKER_NAME.test, { message: DOCKER_NAME.text });
const sizeWithUnit = z.string().regex(/^[0-9]+(B|KB|MB|GB|KiB|MiB|GiB)$/, { message: "must be a size like 100MB" });
const duration = z.string().regex(/^[0-9]+(ms|s|m|h)$/, { message: "must be a duration like 300s or 5m" });
const hostAddress = z.string().refine(HOST_ADDRESS.test, { message: HOST_ADDRESS.text });

export const hostConnectionSchema = z.strictObject({
  host: z.string().regex(/^[A-Za-z0-9.-]+$/, { message: "must be a host name or IPv4 address" }),
  port: port.optional(),
  user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { message: "must be a Linux user name" }).optional(),
  privateKey: secretInput,
  hostKey: z.string({ message: `is required: ${SSH_HOST_KEY.text}` }).refine(SSH_HOST_KEY.test, { message: SSH_HOST_KEY.text }),
});

/** An existing MySQL/MariaDB server used instead of the host's own. */
export const externalDatabaseSchema = z.strictObject({
  host: hostAddress,
  port: port.optional(),
  // What the host scripts can write into mysql-admin.cnf and SQL as they are.
  adminUser: z.string().refine(MYSQL_ADMIN_USER.test, { message: MYSQL_ADMIN_USER.text }),
  adminPassword: secretInput,
  tls: z.strictObject({
    enabled: z.boolean().optional(),
    verify: z.boolean().optional(),
    caPem: z.string().includes("BEGIN CERTIFICATE", { message: "must be a PEM certificate" }).optional(),
  }).optional(),
});

export const hostDatabaseSchema = z.strictObject({
  adminUser: z.string().regex(/^[a-z_][a-z0-9_]{0,31}$/, { message: "must be a MySQL user name of a-z, 0-9, _" }).optional(),
  port: port.optional(),
  external: externalDatabaseSchema.optional(),
});

/** A subnet simple-paas gives docker itself: clear of the pools docker hands out on its own. */
const clearOfDockerPools = (schema: z.ZodString) => schema.superRefine((value, ctx) => {
  if (!ipv4Subnet.safeParse(value).success) return; // ipv4Subnet has said so
  const [first, last] = cidrRange(value);
  for (const pool of DOCKER_ADDRESS_POOLS) {
    const [poolFirst, poolLast] = cidrRange(pool.base);
    if (first <= poolLast && poolFirst <= last) ctx.addIssue({ code: "custom", message: `must not overlap docker's own address pool ${pool.base}` });
  }
});

/** Where the sites' own /28 networks come from: at least a /24 (16 sites), at most a /12. */
const sitesPool = clearOfDockerPools(ipv4Subnet).refine((v) => {
  const bits = Number(v.split("/")[1]);
  return !(bits > 24 || bits < 12);
}, { message: "must have a prefix length from 12 to 24 (each site takes a /28)" });

const networkSchema = z.strictObject({ name: dockerName.optional(), subnet: clearOfDockerPools(ipv4Subnet).optional(), sitesPool: sitesPool.optional() })
  .superRefine((n, ctx) => {
    if (n.subnet === undefined && n.sitesPool === undefined) return;
    const subnet = n.subnet ?? "172.30.0.0/24";
    const pool = n.sitesPool ?? "172.31.0.0/16";
    if (!ipv4Subnet.safeParse(subnet).success || !ipv4Subnet.safeParse(pool).success) return;
    const [a1, a2] = cidrRange(subnet);
    const [b1, b2] = cidrRange(pool);
    if (a1 <= b2 && b1 <= a2) ctx.addIssue({ code: "custom", path: ["sitesPool"], input: pool, message: `must not overlap network.subnet ${subnet}` });
  });

export const hostBootstrapSchema = z.strictObject({
  connection: hostConnectionSchema.optional(),
  generation: z.string().refine(GENERATION.test, { message: GENERATION.text }).optional(),
  forceNewGeneration: z.boolean().optional(),
  sitesRoot: absolutePath.optional(),
  configDir: absolutePath.optional(),
  backupRoot: absolutePath.optional(),
  stagingDomain: domain.optional(),
  network: networkSchema.optional(),
  database: hostDatabaseSchema.optional(),
  proxy: z
    .strictObject({
      image: imageRef.optional(),
      acmeEmail: z.email({ message: "must be an e-mail address" }).optional(),
      acmeCa: z.url({ protocol: /^https$/, message: "must be an https:// ACME directory URL" }).optional(),
      acmeCaRootPem: z.string().includes("BEGIN CERTIFICATE", { message: "must be a PEM certificate" }).optional(),
      tls: z.enum(["acme", "internal"]).optional(),
      httpPort: port.optional(),
      httpsPort: port.optional(),
      bindAddress: z.union([z.ipv4(), z.ipv6()], { message: "must be an IP address" }).optional(),
      maxBodySize: sizeWithUnit.optional(),
      upstreamTimeout: duration.optional(),
      certificateWaitSeconds: z.number().int().min(0).max(600).optional(),
    })
    .optional(),
  memcached: z.strictObject({
    enabled: z.boolean().optional(),
    memoryMb: z.number().int().min(16).max(65536).optional(),
    image: imageRef.optional(),
  }).optional(),
  dockerLogs: z
    .strictObject({
      maxSize: z.string().refine(DOCKER_LOG_SIZE.test, { message: DOCKER_LOG_SIZE.text }).optional(),
      maxFiles: z.number().int().min(1).max(100).optional(),
    })
    .optional(),
  imagePrune: z.strictObject({ schedule: cronSchedule.optional(), keep: z.number().int().min(1).max(100).optional() }).optional(),
  hostLogs: z.strictObject({
    maxSizeMb: z.number().int().min(1).max(100_000).optional(),
    keep: z.number().int().min(1).max(1000).optional(),
    maxAgeDays: z.number().int().min(1).max(3650).optional(),
  }).optional(),
});

export const siteCronJobSchema = z.strictObject({ schedule: cronSchedule, command: z.string().min(1).regex(/^[^\n\r]*$/, { message: "must be one line" }) });

const KEEP_NAMES = ["last", "hourly", "daily", "weekly", "monthly", "yearly"] as const;

/** A restic repository, parsed by backend (model/repository.ts); the value is never quoted back with a password. */
export const repositorySchema = z.string().superRefine((value, ctx) => {
  const parsed = parseRepository(value);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.problem, input: parsed.shown ?? value });
});

export const siteBackupOptionsSchema = z.strictObject({
  repository: repositorySchema.optional(),
  credentials: z.union([z.record(envName, secretInput), z.custom<pulumi.Output<unknown>>((v) => pulumi.Output.isInstance(v))]).optional(),
  password: secretInput.optional(),
  schedule: cronSchedule.optional(),
  pruneSchedule: cronSchedule.optional(),
  keep: z
    .strictObject({
      last: z.number().int().min(0).optional(),
      hourly: z.number().int().min(0).optional(),
      daily: z.number().int().min(0).optional(),
      weekly: z.number().int().min(0).optional(),
      monthly: z.number().int().min(0).optional(),
      yearly: z.number().int().min(0).optional(),
    })
    // Unset values keep their (non-zero) defaults; every one 0 leaves prune no rule to keep by.
    .refine((keep) => KEEP_NAMES.some((n) => keep[n] !== 0), {
      message: "must keep something: with every value 0, `sp prune` refuses to run (it would forget every scheduled snapshot)",
    })
    .optional(),
  tar: z.union([z.literal(false), z.strictObject({ dir: absolutePath, keepDays: z.number().int().min(1).max(3650).optional(), keep: z.number().int().min(1).max(1000).optional() })]).optional(),
  restoreOnCreate: z.boolean().optional(),
  finalBackupOnDestroy: z.boolean().optional(),
  adopt: z.strictObject({
    repository: repositorySchema,
    password: nonEmptySecretInput,
    snapshotPath: absolutePath.optional(),
    dumpFile: z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, { message: "must be a relative path of letters, digits and ._- (e.g. sql/blog.sql)" })
      .refine((p) => !p.split("/").some((s) => s === "." || s === ".."), { message: "must not contain . or .. segments" }).optional(),
  }).optional(),
  drill: z.strictObject({
    enabled: z.boolean().optional(),
    schedule: cronSchedule.optional(),
    readDataPercent: z.number().min(0).max(100).optional(),
  }).optional(),
  heartbeatUrl: secretInput.optional(),
});

const runAs = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$|^[0-9]+$/, { message: "must be a user name or uid inside the image" });

/** SimpleSite's arguments field by field; simpleSiteSchema adds the rules across fields. */
export const simpleSiteFieldsSchema = z.strictObject({
  host: z.custom<object>((v) => typeof v === "object" && v !== null, { message: "must be a HostBootstrap" }),
  name: siteName,
  image: imageRef,
  registry: z.strictObject({ server: registryServer, username: z.string().min(1), password: nonEmptySecretInput }).optional(),
  domains: z.array(domain).optional(),
  staging: z.boolean().optional(),
  port: port.optional(),
  env: z.record(envName, z.string()).optional(),
  secretEnv: z.record(envName, secretInput).optional(),
  hashSalt: z.strictObject({ value: nonEmptySecretInput.optional(), env: envName.optional(), plain: z.boolean().optional() }).optional(),
  healthCheck: z
    .union([
      z.literal(false),
      z.strictObject({
        enabled: z.boolean().optional(),
        path: z.string().regex(/^\/[A-Za-z0-9._~!$&()*+,;=:@%/?-]*$/, { message: "must be an absolute URL path" }).optional(),
        command: z.array(z.string()).min(1).optional(),
        intervalSeconds: z.number().int().min(1).optional(),
        retries: z.number().int().min(1).optional(),
        waitSeconds: z.number().int().min(5).max(3600).optional(),
      }),
    ])
    .optional(),
  resources: z.strictObject({
    memoryMb: z.number().int().min(6).optional(),
    cpus: z.number().positive().max(256).optional(),
    pids: z.number().int().min(16).max(1_000_000).optional(),
  }).optional(),
  cron: z.array(siteCronJobSchema).optional(),
  runAs: runAs.optional(),
  allowRoot: z.boolean().optional(),
  capAdd: z.array(z.enum(SITE_CAPABILITIES, {
    message: `must be one of ${SITE_CAPABILITIES.join(", ")} (every other capability stays dropped: NET_RAW, SYS_ADMIN, NET_ADMIN, SYS_PTRACE ... would let a site reach past its container)`,
  })).optional(),
  memcached: z.strictObject({ enabled: z.boolean().optional(), memoryMb: z.number().int().min(16).max(65536).optional() }).optional(),
  publicMountPath: absolutePath
    .refine((p) => p !== CONTAINER_PATHS.shared && p !== CONTAINER_PATHS.secrets && !p.startsWith(`${CONTAINER_PATHS.secrets}/`), {
      message: `must not be ${CONTAINER_PATHS.shared} or ${CONTAINER_PATHS.secrets} (or inside it): simple-paas mounts those itself`,
    })
    .optional(),
  protect: z.boolean().optional(),
  deleteDataOnDestroy: z.boolean().optional(),
  backup: z.union([z.literal(false), siteBackupOptionsSchema.extend({ enabled: z.boolean().optional() })]).optional(),
});

/** Deleting a site's data on destroy is only safe once a final backup has it. */
export function checkDeleteDataNeedsFinalBackup(
  site: { deleteDataOnDestroy?: boolean; backup?: false | { enabled?: boolean; finalBackupOnDestroy?: boolean } },
  ctx: z.RefinementCtx,
): void {
  if (site.deleteDataOnDestroy === true && (backupDisabled(site.backup) || (site.backup !== false && site.backup?.finalBackupOnDestroy === false))) {
    ctx.addIssue({
      code: "custom", path: ["deleteDataOnDestroy"], input: site.deleteDataOnDestroy,
      message: "must not be true without the final backup (backup.enabled false or backup.finalBackupOnDestroy false): the data would be gone with no copy",
    });
  }
}

/** Root inside the container only when the site says so: a root process there is one kernel bug from the host. */
export function checkRootNeedsAllowRoot(site: { runAs?: string; allowRoot?: boolean }, ctx: z.RefinementCtx): void {
  if ((site.runAs === "root" || site.runAs === "0") && site.allowRoot !== true) {
    ctx.addIssue({
      code: "custom", path: ["runAs"], input: site.runAs,
      message: "must not be root unless allowRoot is true: a site runs as a user without privileges (set allowRoot: true for an image that must start as root, and capAdd what it needs)",
    });
  }
}

export const simpleSiteSchema = simpleSiteFieldsSchema.superRefine(checkDeleteDataNeedsFinalBackup).superRefine(checkRootNeedsAllowRoot);

/** Fails at preview when a secret that must not be empty is empty (once its value is known). */
export function checkSecretNotEmpty(value: pulumi.Input<string>, field: string): pulumi.Output<string> {
  return pulumi.output(value).apply((v) => {
    if (typeof v !== "string" || v.length === 0) {
      throw new Error(`simple-paas: invalid input:\n  - ${field}: "" must not be empty`);
    }
    return v;
  });
}

/**
 * Backend credentials that arrive as one Output (the host program reads them
 * from a secret object) are checked once known: names are env names (restic
 * reads them from its environment; restic.env is sourced by bash) and
 * values strings. Only names are quoted back, never values.
 */
export function checkCredentials(value: pulumi.Input<Record<string, pulumi.Input<string>>>, field: string): pulumi.Output<Record<string, string>> {
  return pulumi.output(value).apply((creds: unknown) => {
    if (creds === null || typeof creds !== "object" || Array.isArray(creds)) {
      throw new Error(`simple-paas: invalid input:\n  - ${field}: must be an object of NAME: secret value`);
    }
    const problems: string[] = [];
    for (const [name, v] of Object.entries(creds as Record<string, unknown>)) {
      if (!envName.safeParse(name).success) problems.push(`${field}.${name}: ${JSON.stringify(name)} must match [A-Z_][A-Z0-9_]* (an environment variable name)`);
      else if (typeof v !== "string") problems.push(`${field}.${name}: must be a string (a secret)`);
    }
    if (problems.length > 0) throw new Error(`simple-paas: invalid input:\n  - ${problems.join("\n  - ")}`);
    return creds as Record<string, string>;
  });
}

/**
 * The longest time between two runs of a cron schedule (over the next year
 * of runs, at most 400 of them), in seconds: how old the last good backup or
 * drill may be before `sp status` calls it overdue (plus a grace).
 */
export function longestCronGapSeconds(schedule: string): number {
  // Every site of a host usually has the same schedule: walking 400 runs costs ~20 ms each time.
  const known = cronGaps.get(schedule);
  if (known !== undefined) return known;
  const gap = walkCronGap(schedule);
  cronGaps.set(schedule, gap);
  return gap;
}

const cronGaps = new Map<string, number>();

function walkCronGap(schedule: string): number {
  const it = CronExpressionParser.parse(schedule, { currentDate: new Date("2027-01-01T00:00:00Z"), tz: "UTC" });
  let previous = it.next().getTime();
  let longest = 0;
  const end = previous + 366 * 24 * 3600 * 1000;
  for (let i = 0; i < 400 && previous < end; i++) {
    const next = it.next().getTime();
    longest = Math.max(longest, next - previous);
    previous = next;
  }
  return Math.round(longest / 1000);
}
