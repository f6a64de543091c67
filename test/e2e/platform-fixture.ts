/**
 * The platform for real: the repository's own host program (index.ts) in a
 * throwaway Pulumi project, with this machine as the host, three sites from
 * the local registry (with a login), pebble as the ACME server, and the
 * proxy published on loopback ports.
 */
import * as fs from "node:fs";
import * as https from "node:https";
import * as http from "node:http";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { TestProject } from "../support/engine";
import { sh } from "../support/run";
import { TestEnv, ensureServices } from "../support/services";

const repoRoot = path.resolve(__dirname, "..", "..");

export const HTTP_PORT = 18080;
export const HTTPS_PORT = 18443;
export const STAGING = "staging.test";
export const SITES = ["alpha", "beta", "gamma"] as const;
export type SiteName = (typeof SITES)[number];

export function siteDomains(site: string): string[] {
  return [`${site}.test`, `www.${site}.test`];
}

export interface Platform {
  env: TestEnv;
  project: TestProject;
  /** The whole config `simple-paas:sites` as written; tests may change and re-apply it. */
  sites: Record<string, unknown>[];
  setSites(sites: Record<string, unknown>[]): void;
}

export function siteConfig(site: string, tag = "v1", extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: site,
    image: `127.0.0.1:5000/site-app:${tag}`,
    registry: { server: "127.0.0.1:5000", username: "sp-test" },
    domains: siteDomains(site),
    port: 8080,
    healthCheck: { path: "/health", intervalSeconds: 1 },
    env: { GREETING: `hello ${site}` },
    secretEnv: ["API_TOKEN"],
    ...extra,
  };
}

/**
 * Removes what earlier e2e runs left of the test sites on this machine
 * (repositories, data, status), so each test file starts from a clean host.
 */
export function cleanSlate(): void {
  const sites = SITES.join(",");
  sh(`docker rm -f $(docker ps -aq --filter label=simple-paas.site) >/dev/null 2>&1 || true`);
  sh(`rm -rf /var/backups/simple-paas/{${sites}} /var/backups/simple-paas-tar /sites/{${sites}} /var/lib/simple-paas/backup-status/{${sites}}*`);
  sh(`rm -rf /etc/simple-paas/sites/{${sites}} /etc/simple-paas/proxy/sites/{${sites}}.caddy /etc/cron.d/simple-paas-{${sites}}*`);
}

/** Creates the project with the host program and the e2e stack config (no `up` yet). */
export function createPlatform(name: string, opts: { connection?: boolean; backup?: Record<string, unknown> } = {}): Platform {
  const env = ensureServices();
  cleanSlate();
  const dir = fs.mkdtempSync(path.join("/tmp", `sp-e2e-${name}-`));
  fs.copyFileSync(path.join(repoRoot, "index.ts"), path.join(dir, "index.ts"));
  fs.copyFileSync(path.join(repoRoot, "tsconfig.json"), path.join(dir, "tsconfig.json"));
  fs.symlinkSync(path.join(repoRoot, "components"), path.join(dir, "components"));
  const project = new TestProject(name, {
    "Pulumi.yaml": "name: simple-paas-e2e\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n",
  }, { dir, stack: "e2e" });
  const gateway = "172.30.0.1";
  const host: Record<string, unknown> = {
    stagingDomain: STAGING,
    memcached: { enabled: true },
    proxy: {
      image: "simple-paas-test/caddy:2.6",
      acmeEmail: "ops@example.com",
      acmeCa: `https://${gateway}:${env.pebblePort}/dir`,
      acmeCaRootPem: fs.readFileSync(env.pebbleCaCert, "utf8"),
      httpPort: HTTP_PORT,
      httpsPort: HTTPS_PORT,
      bindAddress: "127.0.0.1",
    },
  };
  if (opts.connection) host.connection = { host: env.sshHost, port: env.sshPort, user: env.sshUser };
  writeObjectConfig(project, "simple-paas:host", host);
  writeObjectConfig(project, "simple-paas:backup", { schedule: "@hourly", pruneSchedule: "30 3 * * *", ...(opts.backup ?? {}) });
  project.setConfig("simple-paas:backupKey", "e2e-backup-key-kept-off-the-host", true);
  const registryPassword = fs.readFileSync(env.registryPasswordFile, "utf8").trim();
  const secrets: Record<string, unknown> = {};
  for (const s of SITES) secrets[s] = { registryPassword, env: { API_TOKEN: `token-of-${s}` } };
  writeObjectConfig(project, "simple-paas:secrets", secrets, true);
  if (opts.connection) project.setConfig("simple-paas:sshPrivateKey", fs.readFileSync(env.sshKeyFile, "utf8"), true);
  const platform: Platform = {
    env, project, sites: SITES.map((s) => siteConfig(s)),
    setSites(sites) {
      platform.sites = sites;
      writeObjectConfig(project, "simple-paas:sites", sites);
    },
  };
  platform.setSites(platform.sites);
  return platform;
}

/**
 * Structured config: plain objects go straight into the stack file (as a
 * user would write them); secrets leaf by leaf with `config set --secret --path`.
 */
function writeObjectConfig(project: TestProject, key: string, value: unknown, secret = false): void {
  if (secret) {
    const leaves = (v: unknown, at: string): [string, string][] =>
      v !== null && typeof v === "object"
        ? Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => leaves(x, `${at}.${k}`))
        : [[at, String(v)]];
    for (const [p, v] of leaves(value, key)) project.mustRun(["config", "set", "--secret", "--path", p, v]);
    return;
  }
  const file = path.join(project.dir, `Pulumi.${project.stack}.yaml`);
  const doc = (fs.existsSync(file) ? parse(fs.readFileSync(file, "utf8")) : null) ?? {};
  doc.config = { ...(doc.config ?? {}), [key]: value };
  fs.writeFileSync(file, stringify(doc));
}

export interface HttpAnswer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  certIssuer?: string;
}

/** One HTTPS request to the proxy for `hostName`, verified against pebble's issuing root. */
export function httpsGet(hostName: string, urlPath: string, ca: string, opts: { method?: string } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: "127.0.0.1", port: HTTPS_PORT, path: urlPath, method: opts.method ?? "GET", servername: hostName,
      headers: { host: hostName }, ca, timeout: 5000, agent: false,
    }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => { body += c; });
      res.on("end", () => {
        const cert = (res.socket as import("node:tls").TLSSocket).getPeerCertificate?.();
        const issuer = cert?.issuer?.CN;
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers, certIssuer: Array.isArray(issuer) ? issuer.join(",") : issuer });
      });
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

export function httpGet(hostName: string, urlPath: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: HTTP_PORT, path: urlPath, headers: { host: hostName }, timeout: 5000, agent: false }, (res) => {
      let body = "";
      res.on("data", (c) => { body += c; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/** Pebble's current issuing root (it changes each time pebble starts). */
export function pebbleRoots(env: TestEnv): string {
  return sh(`curl -s --cacert ${JSON.stringify(env.pebbleCaCert)} ${env.pebbleManagementUrl}/roots/0`);
}

/** Retries `fn` until it stops throwing, at most `tries` times `delayMs` apart. */
export async function eventually<T>(fn: () => Promise<T>, tries = 60, delayMs = 1000): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      return await fn();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
  throw last;
}

/** Runs SQL as root over the host's unix socket. */
export function rootSql(sql: string): string {
  return sh("mysql -N -B", { stdin: sql });
}
