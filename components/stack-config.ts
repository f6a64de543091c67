/**
 * The host program's stack configuration (`simple-paas:host`,
 * `simple-paas:sites`, `simple-paas:backup`), validated as a whole before
 * any resource exists. Secrets are not in these keys: they live in their
 * own secret keys (see README, "Configuration reference") and are joined
 * in by index.ts.
 */
import { z } from "zod";
import { hostBootstrapSchema, siteBackupOptionsSchema, simpleSiteSchema } from "./input-schemas";
import { assertUnique, envName, parseOrThrow } from "./validation";

const hostConfigSchema = hostBootstrapSchema.extend({
  connection: z
    .strictObject({
      host: z.string().regex(/^[A-Za-z0-9.:-]+$/, { message: "must be a host name or IP address" }),
      port: z.number().int().min(1).max(65535).optional(),
      user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { message: "must be a Linux user name" }).optional(),
    })
    .optional(),
  database: z
    .strictObject({
      adminUser: z.string().optional(),
      port: z.number().int().optional(),
      providerEndpoint: z.string().optional(),
      providerProxy: z.string().optional(),
      external: z.strictObject({ host: z.string(), port: z.number().int().optional(), adminUser: z.string() }).optional(),
    })
    .optional(),
});

const backupConfigSchema = siteBackupOptionsSchema.omit({ credentials: true, password: true });

const siteConfigSchema = simpleSiteSchema
  .omit({ host: true, registry: true, secretEnv: true, backup: true })
  .extend({
    registry: z.strictObject({ server: z.string(), username: z.string().min(1) }).optional(),
    /** Names of secret env values; the values are in `simple-paas:secrets` → `<site>.env.<NAME>`. */
    secretEnv: z.array(envName).optional(),
    backup: z.union([z.literal(false), backupConfigSchema]).optional(),
  });

export const stackConfigSchema = z.strictObject({
  host: hostConfigSchema.default({}),
  backup: backupConfigSchema.default({}),
  sites: z.array(siteConfigSchema).default([]),
});

export type StackConfig = z.output<typeof stackConfigSchema>;
export type SiteConfig = StackConfig["sites"][number];

/** Validates the whole stack config; throws one error listing every problem (field, value, rule). */
export function parseStackConfig(raw: { host?: unknown; backup?: unknown; sites?: unknown }): StackConfig {
  const config = parseOrThrow(stackConfigSchema, raw, "simple-paas:");
  // Component-level rules the component would also enforce, checked across sites first.
  const fieldPrefix = (i: number) => `simple-paas:sites[${i}]`;
  assertUnique(config.sites, (s) => s.name, (i) => `${fieldPrefix(i)}.name`, "site name is");
  const staging = config.host.stagingDomain;
  const domains = config.sites.flatMap((s, i) => [
    ...(s.domains ?? []).map((d, j) => ({ d, field: `${fieldPrefix(i)}.domains[${j}]` })),
    ...(staging !== undefined && s.staging !== false ? [{ d: `${s.name}.${staging}`, field: `${fieldPrefix(i)} (staging alias)` }] : []),
  ]);
  assertUnique(domains, (x) => x.d, (k) => domains[k].field, "domain is");
  return config;
}
