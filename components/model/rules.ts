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

/**
 * A rule a value must follow, for the checks that are not a zod schema: the
 * renderers' guards (a renderer may be called without the components) and
 * the shapes written into host scripts. The schemas below use the same
 * tests, so each rule is written once.
 */
export interface Rule {
  readonly test: (value: string) => boolean;
  /** What the value must be, completing "FIELD: VALUE ...". */
  readonly text: string;
}

/** Throws a SimplePaasInputError naming the field, the value and the rule unless `value` follows `rule`. */
export function requireRule(field: string, value: unknown, rule: Rule): void {
  if (typeof value !== "string" || !rule.test(value)) {
    throw new SimplePaasInputError([`${field}: ${JSON.stringify(value)} ${rule.text}`]);
  }
}

/** Throws unless `value` is an integer from `min` to `max`. */
export function requireInteger(field: string, value: unknown, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new SimplePaasInputError([`${field}: ${JSON.stringify(value)} must be an integer from ${min} to ${max}`]);
  }
}

function patternRule(pattern: RegExp, text: string): Rule {
  return { test: (v) => pattern.test(v), text };
}

/**
 * The one shape of a site name, as a regular expression both JavaScript and
 * bash's `[[ =~ ]]` read the same way (with "no '--'" checked apart).
 */
export const SITE_NAME_PATTERN = "^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$";

export const SITE_NAME_RULE =
  "must be 1-32 characters of a-z, 0-9 and '-', start with a letter and not end with '-' " +
  "(a DNS label, a MySQL identifier once '-' becomes '_', and a Linux user name), and not a reserved name";

/** A site name's shape (reserved names apart). */
export const SITE_NAME: Rule = {
  test: (v) => new RegExp(SITE_NAME_PATTERN).test(v) && !v.includes("--"),
  text: SITE_NAME_RULE,
};

export const siteName = z.string().superRefine((value, ctx) => {
  if (!SITE_NAME.test(value)) {
    ctx.addIssue({ code: "custom", message: SITE_NAME_RULE });
  } else if (RESERVED_SITE_NAMES.has(value)) {
    ctx.addIssue({ code: "custom", message: `is reserved (a system account or a name simple-paas uses)` });
  }
});

/** Which incarnation of a host this is (HostBootstrapArgs.generation). */
export const GENERATION = patternRule(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_', '-'");
/** A docker object's name (networks, containers). */
export const DOCKER_NAME = patternRule(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, "must be a docker object name: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 63 characters");
/** A Linux user or group name. */
export const LINUX_NAME = patternRule(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a Linux user name ([a-z_][a-z0-9_-]*, at most 32 characters)");
/** A database or database user name simple-paas makes (a site name with '_' for '-'): written into SQL as it is. */
export const SITE_DB_IDENTIFIER = patternRule(/^[a-z][a-z0-9_]{0,63}$/, "must be [a-z][a-z0-9_]*, at most 64 characters");
/** A MySQL account name the host scripts can write into option files and SQL as it is. */
export const MYSQL_ADMIN_USER = patternRule(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$/, "must be a MySQL user name of 1-80 characters of A-Z, a-z, 0-9, '_', '.', '-'");
/** A host name or IP address written into scripts and option files. */
export const HOST_ADDRESS = patternRule(/^[A-Za-z0-9_.:-]+$/, "must be a host name or IP address");
/** An environment variable name (also a file name under secrets/env). */
export const ENV_NAME = patternRule(/^[A-Z_][A-Z0-9_]*$/, "must match [A-Z_][A-Z0-9_]* (upper-case letters, digits, '_', not starting with a digit)");
/** Docker's ids are 64 hex digits; Pulumi's mocks (our users' unit tests) make up others: any plain token passes. */
export const DOCKER_ID = patternRule(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, "must be a docker object id (letters, digits, '_', '.', ':', '-')");
/** docker's json-file log size. */
export const DOCKER_LOG_SIZE = patternRule(/^[1-9][0-9]*[kmg]$/, "must be a docker size like 10m (k, m or g)");
/** An SSH host's public key as in authorized_keys or `ssh-keyscan`: type and base64 key, a comment allowed. */
export const SSH_HOST_KEY = patternRule(
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\n\r]*)?$/,
  "must be the host's public key as one line of authorized_keys, e.g. \"ssh-ed25519 AAAAC3Nz...\" (on the host: cat /etc/ssh/ssh_host_ed25519_key.pub)",
);
/** A file mode in octal. */
export const FILE_MODE = patternRule(/^0?[0-7]{3,4}$/, "must be an octal mode like 0644");

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

export const envName = z.string().refine(ENV_NAME.test, { message: ENV_NAME.text });

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

/** A path on the host that scripts use as it is. */
export const ABSOLUTE_PATH: Rule = {
  test: (value) => value.startsWith("/") && value !== "/" && !value.endsWith("/") && !/[\0-\x1f\x7f]/.test(value)
    && !value.split("/").slice(1).some((s) => s === "" || s === "." || s === ".."),
  text: "must be an absolute path without '..', '.', '//' segments, control characters or a trailing '/'",
};

export const absolutePath = z.string().refine(ABSOLUTE_PATH.test, { message: ABSOLUTE_PATH.text });

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
  // Each URL runs to the next "://": a password (after "//user:") runs to the
  // last '@' of its URL, whatever it holds ('@', '/', spaces).
  let out = "";
  let rest = value;
  for (let start = rest.indexOf("://"); start >= 0; start = rest.indexOf("://")) {
    const next = rest.indexOf("://", start + 3);
    const url = rest.slice(start + 3, next < 0 ? rest.length : next);
    const user = /^[^/@:\s]*:/.exec(url);
    const at = url.lastIndexOf("@");
    const masked = user && at > user[0].length - 1 ? `${user[0]}***${url.slice(at)}` : url;
    out += rest.slice(0, start + 3) + masked;
    rest = rest.slice(next < 0 ? rest.length : next);
  }
  return out + rest;
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
