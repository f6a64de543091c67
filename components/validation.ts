/**
 * Every rule simple-paas applies to its inputs, in one place, as zod schemas.
 *
 * zod is used rather than hand-written checks because it composes (one
 * schema per input, reused by the components and the stack-config schema in
 * index.ts) and reports the exact path of the offending field. Messages
 * always say field, value and rule: `sites[1].name: "My Site" must be ...`.
 */
import { z } from "zod";
import { CronExpressionParser } from "cron-parser";

/** Thrown for bad input, before any resource is registered. */
export class SimplePaasInputError extends Error {
  constructor(readonly problems: string[]) {
    super(`simple-paas: invalid input:\n  - ${problems.join("\n  - ")}`);
    this.name = "SimplePaasInputError";
  }
}

/**
 * Names a site may not take: they are Linux system accounts on Debian/Ubuntu,
 * MariaDB's own schemas, or names simple-paas uses itself. A site name becomes
 * a Linux user and group, so colliding with these would hand the site an
 * existing account.
 */
export const RESERVED_SITE_NAMES: ReadonlySet<string> = new Set([
  "root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news",
  "uucp", "proxy", "www-data", "backup", "list", "irc", "gnats", "nobody",
  "nogroup", "systemd-network", "systemd-resolve", "systemd-timesync",
  "messagebus", "sshd", "syslog", "tss", "uuidd", "tcpdump", "landscape",
  "pollinate", "lxd", "ubuntu", "debian", "admin", "adm", "sudo", "wheel",
  "staff", "users", "docker", "mysql", "mariadb", "memcache", "memcached",
  "caddy", "nginx", "postfix", "redis", "postgres", "ntp", "chrony", "dnsmasq",
  "information-schema", "performance-schema", "test", "sp", "simple-paas",
  "proxy", "shared", "sites", "restic", "cron", "dhcpcd", "polkitd",
]);

export const SITE_NAME_RULE =
  "must be 1-32 characters of a-z, 0-9 and '-', start with a letter and not end with '-' " +
  "(a DNS label, a MySQL identifier once '-' becomes '_', and a Linux user name), and not a reserved name";

export const siteName = z.string().superRefine((value, ctx) => {
  if (!/^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/.test(value) || value.includes("--")) {
    ctx.addIssue({ code: "custom", message: SITE_NAME_RULE });
  } else if (RESERVED_SITE_NAMES.has(value)) {
    ctx.addIssue({ code: "custom", message: `is reserved (a system account or a name simple-paas uses)` });
  }
});

const DOMAIN_RULE =
  "must be a lowercase fully qualified domain name: labels of a-z, 0-9 and '-' (not at either end), " +
  "1-63 characters each, at least two labels, at most 253 characters, no trailing dot";

function isDomain(value: string): boolean {
  if (value.length > 253) return false;
  const labels = value.split(".");
  if (labels.length < 2) return false;
  return labels.every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l)) && /[a-z]/.test(labels[labels.length - 1]);
}

export const domain = z.string().refine(isDomain, { message: DOMAIN_RULE });

export const envName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, { message: "must match [A-Z_][A-Z0-9_]* (upper-case letters, digits, '_', not starting with a digit)" });

const CRON_RULE =
  "must be a 5-field cron schedule (minute hour day-of-month month day-of-week) or one of @hourly @daily @weekly @monthly @yearly @annually @midnight";
const CRON_ALIASES = new Set(["@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually", "@midnight"]);

// Debian's cron knows numbers, names, '*', ranges, steps and lists; not the
// L, W, #, ? or H extensions that cron-parser and other schedulers accept.
const CRON_ATOM = "(?:\\*|(?:[0-9]+|[a-zA-Z]{3})(?:-(?:[0-9]+|[a-zA-Z]{3}))?)(?:/[0-9]+)?";
const SYSTEM_CRON_FIELD = new RegExp(`^${CRON_ATOM}(?:,${CRON_ATOM})*$`);

export const cronSchedule = z.string().superRefine((value, ctx) => {
  const trimmed = value.trim();
  if (trimmed !== value || /[\n\r]/.test(value)) {
    ctx.addIssue({ code: "custom", message: CRON_RULE });
    return;
  }
  if (CRON_ALIASES.has(value)) return;
  const fields = value.split(/\s+/);
  if (value.startsWith("@") || fields.length !== 5 || !fields.every((f) => SYSTEM_CRON_FIELD.test(f))) {
    ctx.addIssue({ code: "custom", message: CRON_RULE });
    return;
  }
  try {
    CronExpressionParser.parse(value);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: `${CRON_RULE} (${(err as Error).message})` });
  }
});

export const absolutePath = z.string().superRefine((value, ctx) => {
  const rule = "must be an absolute path without '..', '.', '//' segments, control characters or a trailing '/'";
  if (!value.startsWith("/") || value === "/" || value.endsWith("/") || /[\0-\x1f\x7f]/.test(value)) {
    ctx.addIssue({ code: "custom", message: rule });
  } else if (value.split("/").slice(1).some((s) => s === "" || s === "." || s === "..")) {
    ctx.addIssue({ code: "custom", message: rule });
  }
});

/**
 * Docker image references as the distribution reference grammar defines
 * them: [registry[:port]/]path[:tag][@digest], path components lowercase.
 */
const IMAGE_RULE =
  "must be a docker image reference: [registry[:port]/]name[:tag][@sha256:<64 hex>], lowercase name components, tag of [A-Za-z0-9_.-] up to 128";
const imageRefPattern = new RegExp(
  "^" +
    "(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[0-9a-fA-F:]+\\])(?::[0-9]{1,5})?/)?" +
    "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*" +
    "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?" +
    "(?:@sha256:[a-f0-9]{64})?$",
);
export const imageRef = z.string().superRefine((value, ctx) => {
  if (value.length > 255 || !imageRefPattern.test(value)) ctx.addIssue({ code: "custom", message: IMAGE_RULE });
});

export const registryServer = z
  .string()
  .regex(/^[a-zA-Z0-9.-]+(:[0-9]{1,5})?$/, { message: "must be a registry host name with an optional :port, e.g. registry.example.com:5000" });

export const port = z.number().int().min(1).max(65535);

export const ipv4Subnet = z.string().superRefine((value, ctx) => {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  const rule = "must be an IPv4 network in CIDR form (no host bits set, no leading zeros) with a prefix length from 8 to 28, e.g. 172.30.0.0/24";
  const octetsOk = m !== null && m.slice(1, 5).every((o) => Number(o) <= 255 && String(Number(o)) === o);
  if (!octetsOk || Number(m![5]) < 8 || Number(m![5]) > 28) {
    ctx.addIssue({ code: "custom", message: rule });
    return;
  }
  const ip = m!.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
  const hostBits = 2 ** (32 - Number(m![5]));
  if (ip % hostBits !== 0) ctx.addIssue({ code: "custom", message: rule });
});

/** Parses `value` with `schema`, or throws one error naming every bad field, its value and the rule. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, fieldPrefix: string): z.output<T> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  throw new SimplePaasInputError(result.error.issues.map((issue) => describeIssue(issue, fieldPrefix)));
}

function describeIssue(issue: z.core.$ZodIssue, fieldPrefix: string): string {
  const field = formatPath(fieldPrefix, issue.path);
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((k) => `${formatPath(fieldPrefix, [...issue.path, k])}: is not a known option`).join("; ");
  }
  // A bad record key: zod keeps the key rule's own message one level down.
  const message = issue.code === "invalid_key" && issue.issues.length > 0 ? issue.issues[0].message : issue.message;
  // Only plain values are quoted back: objects may hold secrets or Pulumi resources.
  const input = "input" in issue ? issue.input : undefined;
  const shown = typeof input === "string" ? ` ${JSON.stringify(redactUrlPasswords(input))}`
    : typeof input === "number" || typeof input === "boolean" ? ` ${JSON.stringify(input)}` : "";
  return `${field}:${shown} ${message}`;
}

/** Masks the password of any `scheme://user:password@` in a value quoted back in an error: errors reach terminals and CI logs. */
export function redactUrlPasswords(value: string): string {
  // Up to the last "@" before the path: a password may hold "@" or spaces.
  return value.replace(/(:\/\/[^/@:\s]*:)[^/]*@/g, "$1***@");
}

function formatPath(prefix: string, path: PropertyKey[]): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" || out.endsWith(":") ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(input)" : out;
}

/** Throws when a list has duplicates under `key`, naming both positions. */
export function assertUnique<T>(items: readonly T[], key: (item: T) => string, field: (i: number) => string, what: string): void {
  const seen = new Map<string, number>();
  const problems: string[] = [];
  items.forEach((item, i) => {
    const k = key(item);
    const first = seen.get(k);
    if (first !== undefined) problems.push(`${field(i)}: ${JSON.stringify(k)} ${what} already used by ${field(first)}`);
    else seen.set(k, i);
  });
  if (problems.length > 0) throw new SimplePaasInputError(problems);
}
