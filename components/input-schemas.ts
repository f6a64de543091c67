/**
 * One schema per component input, built from the rules in validation.ts.
 * Only plain (non-Output) values can be checked at preview; secrets arrive
 * as Inputs and are checked when known (see checkSecretNotEmpty).
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
  absolutePath, cronSchedule, domain, envName, imageRef, ipv4Subnet, port, registryServer, siteName,
} from "./validation";
import { cidrRange, DOCKER_ADDRESS_POOLS } from "./render/host-setup-input";
import { CONTAINER_PATHS } from "./site-container-spec";

const secretInput = z.custom<pulumi.Input<string>>(
  (v) => typeof v === "string" || pulumi.Output.isInstance(v) || v instanceof Promise,
  { message: "must be a string or a Pulumi secret" },
);

/** A secret that must not be empty: checked now when it is a plain string, when known otherwise (checkSecretNotEmpty). */
const nonEmptySecretInput = z.custom<pulumi.Input<string>>(
  (v) => (typeof v === "string" ? v.length > 0 : pulumi.Output.isInstance(v) || v instanceof Promise),
  { message: "must not be empty" },
);

const dockerName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, {
  message: "must be a docker object name: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 63 characters",
});

const sizeWithUnit = z.string().regex(/^[0-9]+(B|KB|MB|GB|KiB|MiB|GiB)$/, { message: "must be a size like 100MB" });
const duration = z.string().regex(/^[0-9]+(ms|s|m|h)$/, { message: "must be a duration like 300s or 5m" });

export const hostConnectionSchema = z.strictObject({
  host: z.string().regex(/^[A-Za-z0-9.-]+$/, { message: "must be a host name or IPv4 address" }),
  port: port.optional(),
  user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { message: "must be a Linux user name" }).optional(),
  privateKey: secretInput,
});

/** An existing MySQL/MariaDB server used instead of the host's own. */
export const externalDatabaseSchema = z.strictObject({
  host: z.string().regex(/^[A-Za-z0-9.-]+$/, { message: "must be a host name or IPv4 address" }),
  port: port.optional(),
  // What the host scripts can write into mysql-admin.cnf and SQL as they are.
  adminUser: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$/, { message: "must be a MySQL user name of 1-80 characters of A-Z, a-z, 0-9, '_', '.', '-'" }),
  adminPassword: secretInput,
});

export const hostDatabaseSchema = z.strictObject({
  adminUser: z.string().regex(/^[a-z_][a-z0-9_]{0,31}$/, { message: "must be a MySQL user name of a-z, 0-9, _" }).optional(),
  port: port.optional(),
  external: externalDatabaseSchema.optional(),
});

/** The sites network's subnet: also clear of the pools docker hands out itself. */
const sitesSubnet = ipv4Subnet.superRefine((value, ctx) => {
  if (!ipv4Subnet.safeParse(value).success) return; // ipv4Subnet has said so
  const [first, last] = cidrRange(value);
  for (const pool of DOCKER_ADDRESS_POOLS) {
    const [poolFirst, poolLast] = cidrRange(pool.base);
    if (first <= poolLast && poolFirst <= last) ctx.addIssue({ code: "custom", message: `must not overlap docker's own address pool ${pool.base}` });
  }
});

export const hostBootstrapSchema = z.strictObject({
  connection: hostConnectionSchema.optional(),
  generation: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_', '-'" }).optional(),
  sitesRoot: absolutePath.optional(),
  configDir: absolutePath.optional(),
  backupRoot: absolutePath.optional(),
  stagingDomain: domain.optional(),
  network: z.strictObject({ name: dockerName.optional(), subnet: sitesSubnet.optional() }).optional(),
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
  memcached: z.strictObject({ enabled: z.boolean(), memoryMb: z.number().int().min(16).max(65536).optional() }).optional(),
  dockerLogs: z
    .strictObject({
      maxSize: z.string().regex(/^[1-9][0-9]*[kmg]$/, { message: "must be a docker size like 10m" }).optional(),
      maxFiles: z.number().int().min(1).max(100).optional(),
    })
    .optional(),
});

export const siteCronJobSchema = z.strictObject({ schedule: cronSchedule, command: z.string().min(1).regex(/^[^\n\r]*$/, { message: "must be one line" }) });

const KEEP_NAMES = ["last", "hourly", "daily", "weekly", "monthly", "yearly"] as const;

export const siteBackupOptionsSchema = z.strictObject({
  repository: z
    .string()
    .min(1)
    .regex(/^[^\s'"]+$/, { message: "must be a restic repository (a path or URL without spaces or quotes)" })
    // The repository is a plain output and shows in logs: a password belongs in `credentials`.
    .refine((v) => !/:\/\/[^/@]*:[^/@]*@/.test(v), { message: "must not hold a password (user:password@); put it in credentials" })
    .optional(),
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
  tar: z.union([z.literal(false), z.strictObject({ dir: absolutePath, keep: z.number().int().min(1).max(1000).optional() })]).optional(),
  restoreOnCreate: z.boolean().optional(),
  finalBackupOnDestroy: z.boolean().optional(),
});

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
  healthCheck: z
    .union([
      z.literal(false),
      z.strictObject({
        path: z.string().regex(/^\/[A-Za-z0-9._~!$&()*+,;=:@%/?-]*$/, { message: "must be an absolute URL path" }).optional(),
        command: z.array(z.string()).min(1).optional(),
        intervalSeconds: z.number().int().min(1).optional(),
        retries: z.number().int().min(1).optional(),
      }),
    ])
    .optional(),
  resources: z.strictObject({ memoryMb: z.number().int().min(6).optional(), cpus: z.number().positive().max(256).optional() }).optional(),
  cron: z.array(siteCronJobSchema).optional(),
  runAs: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$|^[0-9]+$/, { message: "must be a user name or uid inside the image" }).optional(),
  publicMountPath: absolutePath
    .refine((p) => p !== CONTAINER_PATHS.shared && p !== CONTAINER_PATHS.secrets && !p.startsWith(`${CONTAINER_PATHS.secrets}/`), {
      message: `must not be ${CONTAINER_PATHS.shared} or ${CONTAINER_PATHS.secrets} (or inside it): simple-paas mounts those itself`,
    })
    .optional(),
  protect: z.boolean().optional(),
  deleteDataOnDestroy: z.boolean().optional(),
  backup: z.union([z.literal(false), siteBackupOptionsSchema]).optional(),
});

/** Deleting a site's data on destroy is only safe once a final backup has it. */
export function checkDeleteDataNeedsFinalBackup(
  site: { deleteDataOnDestroy?: boolean; backup?: false | { finalBackupOnDestroy?: boolean } },
  ctx: z.RefinementCtx,
): void {
  if (site.deleteDataOnDestroy === true && (site.backup === false || site.backup?.finalBackupOnDestroy === false)) {
    ctx.addIssue({
      code: "custom", path: ["deleteDataOnDestroy"], input: site.deleteDataOnDestroy,
      message: "must not be true without the final backup (backup false or backup.finalBackupOnDestroy false): the data would be gone with no copy",
    });
  }
}

export const simpleSiteSchema = simpleSiteFieldsSchema.superRefine(checkDeleteDataNeedsFinalBackup);

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
