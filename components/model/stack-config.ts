/**
 * The host program's stack configuration (`simple-paas:host`,
 * `simple-paas:sites`, `simple-paas:backup`), validated as a whole before
 * any resource exists. Secrets are not in these keys: they live in their
 * own secret keys (see README, "Configuration reference") and are joined
 * in by index.ts.
 */
import { z } from "zod";
import {
  checkDeleteDataNeedsFinalBackup, externalDatabaseSchema, hostBootstrapSchema, hostConnectionSchema, hostDatabaseSchema, siteBackupOptionsSchema,
  simpleSiteFieldsSchema,
} from "./schemas";
import { hashSaltEnv, NO_HOST_NAME_RULE, siteEnvNameProblems } from "./site-spec";
import { assertUnique, envName, parseOrThrow, SimplePaasInputError } from "./rules";

// The host's and sites' own schemas, without the secrets (they have their own keys).
const hostConfigSchema = hostBootstrapSchema.extend({
  connection: hostConnectionSchema.omit({ privateKey: true }).optional(),
  database: hostDatabaseSchema.extend({ external: externalDatabaseSchema.omit({ adminPassword: true }).optional() }).optional(),
});

// The stack's backup defaults apply to every site: a repository to adopt is one site's alone.
const backupConfigSchema = siteBackupOptionsSchema.omit({ credentials: true, password: true, adopt: true });
const siteBackupConfigSchema = siteBackupOptionsSchema.omit({ credentials: true, password: true }).extend({
  /** The password is in `simple-paas:secrets` → `<site>.adoptPassword`. */
  adopt: siteBackupOptionsSchema.shape.adopt.unwrap().omit({ password: true }).optional(),
});

const siteConfigSchema = simpleSiteFieldsSchema
  .omit({ host: true, registry: true, secretEnv: true, backup: true, hashSalt: true })
  .extend({
    registry: simpleSiteFieldsSchema.shape.registry.unwrap().omit({ password: true }).optional(),
    /** Names of secret env values; the values are in `simple-paas:secrets` → `<site>.env.<NAME>`. */
    secretEnv: z.array(envName).optional(),
    /** `always`: every preview and up asks the registry what the tag names now (stack-program.ts, pinAlwaysPulledImages). */
    pull: z.enum(["once", "always"]).optional(),
    /** `fromSecrets: true`: the salt is in `simple-paas:secrets` → `<site>.hashSalt`. */
    hashSalt: z.strictObject({ fromSecrets: z.boolean().optional(), env: envName.optional(), plain: z.boolean().optional() }).optional(),
    backup: z.union([z.literal(false), siteBackupConfigSchema.extend({ enabled: z.boolean().optional() })]).optional(),
  })
  .superRefine(checkDeleteDataNeedsFinalBackup);

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
  // What SimpleSite would reject only once the host and the sites before it exist.
  const problems = config.sites.flatMap((s, i) => [
    ...siteEnvNameProblems(fieldPrefix(i), s.env ?? {}, s.secretEnv ?? [], hashSaltEnv(s.hashSalt)?.name),
    ...((s.domains ?? []).length === 0 && (staging === undefined || s.staging === false)
      ? [`${fieldPrefix(i)}.domains: [] ${NO_HOST_NAME_RULE}`] : []),
  ]);
  if (problems.length > 0) throw new SimplePaasInputError(problems);
  return config;
}
