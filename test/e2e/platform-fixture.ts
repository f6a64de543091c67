/**
 * The platform for real: the repository's own host program (index.ts) run
 * by the real Pulumi engine and providers (test/support/engine.ts), with
 * this machine (or a host over SSH) as the host, three sites from the local
 * registry (with a login), pebble as the ACME server, and the proxy
 * published on loopback ports.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as http from "node:http";
import { UpResult } from "@pulumi/pulumi/automation";
import { HostProgramStack, Run } from "../support/engine";
import { sh } from "../support/run";
import { TestEnv, ensureServices } from "../support/services";


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
  stack: HostProgramStack;
  host: Record<string, unknown>;
  /** The sites the platform was made with (SITES unless given): what its clean slate clears. */
  siteNames: readonly string[];
  /** `simple-paas:sites` as written; tests change it and run `up` again. */
  sites: Record<string, unknown>[];
  setSites(sites: Record<string, unknown>[]): Promise<void>;
  /** Replaces `simple-paas:host` (e.g. a new generation). */
  setHost(host: Record<string, unknown>): Promise<void>;
  /**
   * `pulumi up` of the host program, then `pulumi preview`, which must
   * report no changes (else this throws with the steps it would take).
   */
  up(): Promise<Run<UpResult>>;
  /** The steps `pulumi preview` would take (`replace TYPE::NAME`); empty when nothing would change. */
  preview(): Promise<string[]>;
  /** `pulumi destroy`. */
  destroy(): Promise<string>;
  /** What a command resource printed on stderr at its last run (from the stack's state). */
  stderrOf(resourceName: string): Promise<string>;
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
    // Destroy leaves nothing of the site on the host but its backups; `up` brings it back from them.
    deleteDataOnDestroy: true,
    ...extra,
  };
}

/**
 * Removes what earlier e2e runs left of the test sites on this machine
 * (repositories, data, status), so each test file starts from a clean host.
 */
export function cleanSlate(siteNames: readonly string[] = SITES): void {
  // A one-name brace list would not expand: {alpha} stays as written.
  const sites = siteNames.length === 1 ? `${siteNames[0]},${siteNames[0]}` : siteNames.join(",");
  sh(`docker rm -f $(docker ps -aq --filter label=simple-paas.site) simple-paas-proxy >/dev/null 2>&1 || true`);
  // The proxy keeps its ACME account in this volume (kept on destroy, as for Let's Encrypt); pebble forgets accounts when it restarts.
  sh(`docker volume rm simple-paas-proxy-data >/dev/null 2>&1 || true`);
  // Site images must come through the registry with its login, not from the local cache.
  sh(`docker image rm 127.0.0.1:5000/site-app:v1 127.0.0.1:5000/site-app:v2 >/dev/null 2>&1 || true`);
  sh(`rm -rf /var/backups/simple-paas/{${sites}} /var/backups/simple-paas-tar /sites/{${sites}} /var/lib/simple-paas/backup-status/{${sites}}*`);
  sh(`rm -rf /etc/simple-paas/sites/{${sites}} /etc/simple-paas/proxy/sites/{${sites}}.caddy /etc/cron.d/simple-paas-{${sites}}*`);
  // Memcached containers and the sites' own networks (the proxy may still be on them).
  sh(`docker rm -f $(docker ps -aq --filter label=simple-paas.memcached) >/dev/null 2>&1 || true`);
  for (const site of siteNames) sh(`docker network rm simple-paas-${site} >/dev/null 2>&1 || true`);
  // The host's network, left by a suite whose destroy did not run (a killed run): its create would fail on the name.
  sh(`docker network rm simple-paas >/dev/null 2>&1 || true`);
  dropSiteDatabases(siteNames);
}

/** Drops the sites' databases and every account of their users (the site's network, the socket). */
export function dropSiteDatabases(sites: readonly string[]): void {
  const names = sites.map((u) => `'${u}'`).join(",");
  const drops = sh("mysql -N -B", { stdin: `SELECT CONCAT('DROP USER ', QUOTE(User), '@', QUOTE(Host), ';') FROM mysql.user WHERE User IN (${names});` });
  sh("mysql", { stdin: `${sites.map((u) => `DROP DATABASE IF EXISTS \`${u}\`;`).join("\n")}\n${drops}` });
}

/** The host key of the test sshd, as its pinned known_hosts has it ("ssh-ed25519 AAAA..."). */
export function testSshHostKey(env: TestEnv): string {
  const line = fs.readFileSync(env.sshKnownHostsFile, "utf8").split("\n").find((l) => / ssh-ed25519 /.test(l));
  if (!line) throw new Error(`no ssh-ed25519 key in ${env.sshKnownHostsFile}`);
  return line.split(" ").slice(1, 3).join(" ");
}

/** Undoes a test file's platform (destroy, stack removed) and clears what is left of the test sites. */
export async function disposePlatform(platform: Platform | undefined): Promise<void> {
  try {
    await platform?.destroy();
    await platform?.stack.dispose();
  } finally {
    cleanSlate(platform?.siteNames);
  }
}

/** The e2e host: this machine (or the test sshd's), three sites, pebble as the ACME server (no `up` yet). */
export async function createPlatform(
  name: string,
  opts: {
    connection?: boolean; backup?: Record<string, unknown>; sites?: readonly string[]; memcached?: boolean;
    /** More of each site's secrets (simple-paas:secrets.<site>), e.g. a hashSalt or an adoptPassword. */
    siteSecrets?: Record<string, Record<string, unknown>>;
  } = {},
): Promise<Platform> {
  const env = ensureServices();
  const siteNames = opts.sites ?? SITES;
  cleanSlate(siteNames);
  const gateway = "172.30.0.1";
  const host: Record<string, unknown> = {
    stagingDomain: STAGING,
    // Each site's own memcached, from the registry without a login (as memcached:1.6 from Docker Hub).
    memcached: { enabled: opts.memcached ?? true, image: `${env.publicRegistry}/memcached:1.6` },
    proxy: {
      // From a registry without a login, as the default caddy image comes from Docker Hub.
      image: `${env.publicRegistry}/caddy:2.6`,
      acmeEmail: "ops@example.com",
      acmeCa: `https://${gateway}:${env.pebblePort}/dir`,
      acmeCaRootPem: fs.readFileSync(env.pebbleCaCert, "utf8"),
      httpPort: HTTP_PORT,
      httpsPort: HTTPS_PORT,
      bindAddress: "127.0.0.1",
      // One ACME retry (Caddy tries again after a minute) fits in the route step's wait.
      certificateWaitSeconds: 90,
    },
  };
  if (opts.connection) host.connection = { host: env.sshHost, port: env.sshPort, user: env.sshUser, hostKey: testSshHostKey(env) };
  const backup = { schedule: "@hourly", pruneSchedule: "30 3 * * *", ...(opts.backup ?? {}) };
  const registryPassword = fs.readFileSync(env.registryPasswordFile, "utf8").trim();
  const secrets: Record<string, unknown> = {};
  for (const s of siteNames) secrets[s] = { registryPassword, env: { API_TOKEN: `token-of-${s}` }, ...opts.siteSecrets?.[s] };
  const programSecrets = {
    sshPrivateKey: opts.connection ? fs.readFileSync(env.sshKeyFile, "utf8") : undefined,
    backupKey: "e2e-backup-key-kept-off-the-host",
    secrets,
  };
  const sites = siteNames.map((s) => siteConfig(s));
  const stack = await HostProgramStack.create(name, { host, backup, sites }, programSecrets);
  const platform: Platform = {
    env, stack, host, sites, siteNames,
    async setSites(next) {
      platform.sites = next;
      await stack.setConfig({ host: platform.host, backup, sites: next }, programSecrets);
    },
    async setHost(next) {
      platform.host = next;
      await stack.setConfig({ host: next, backup, sites: platform.sites }, programSecrets);
    },
    async up() {
      const run = await stack.up();
      await assertNoChanges(platform, "after pulumi up");
      return run;
    },
    preview: async () => (await stack.preview()).steps,
    destroy: () => stack.destroy(),
    stderrOf: async (resourceName) => String((await stack.resourceOutputs(resourceName))?.stderr ?? ""),
  };
  return platform;
}

/** `pulumi preview` must report no changes. */
export async function assertNoChanges(platform: Platform, when: string): Promise<void> {
  const preview = await platform.stack.preview();
  if (preview.steps.length > 0) {
    throw new Error(`${when}, pulumi preview still reports changes:\n${preview.steps.join("\n")}\n--- preview output\n${preview.output}`);
  }
}

export interface HttpAnswer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  certIssuer?: string;
}

/** One HTTPS request to the proxy for `hostName`, verified against pebble's issuing root. */
export function httpsGet(hostName: string, urlPath: string, ca: string, opts: { method?: string; port?: number; timeoutMs?: number } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: "127.0.0.1", port: opts.port ?? HTTPS_PORT, path: urlPath, method: opts.method ?? "GET", servername: hostName,
      headers: { host: hostName }, ca, timeout: opts.timeoutMs ?? 5000, agent: false,
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

/** Every host name the proxy serves for `sites`: their domains and staging aliases. */
export function hostNamesOf(sites: readonly string[]): string[] {
  return sites.flatMap((s) => [...siteDomains(s), `${s}.${STAGING}`]);
}

/**
 * Checks that each site's route step saw the proxy serve every one of the
 * site's names (`certificate ready: NAME`, printed by the step's bounded
 * wait); otherwise fails with what the steps printed and the proxy's log.
 */
export async function assertCertificatesReady(platform: Platform, sites: readonly string[]): Promise<void> {
  const problems: string[] = [];
  for (const site of sites) {
    const stderr = await platform.stderrOf(`${site}-route`);
    const missing = hostNamesOf([site]).filter((name) => !stderr.split("\n").some((l) => l.endsWith(`: certificate ready: ${name}`)));
    if (stderr === "") problems.push(`${site}-route has not run`);
    else if (missing.length > 0) problems.push(`${site}-route reported no certificate for ${missing.join(", ")}:\n${stderr}`);
  }
  if (problems.length > 0) throw new Error(`${problems.join("\n")}\n${hostDiagnostics(platform.env.stateDir)}`);
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

/**
 * A bounded load loop in another process, so the engine's run and the load do not share an event loop:
 * about 20 requests/s to `hostName` at `address` (loopback: docker's userland proxy; the machine's own
 * address: docker's NAT, as from outside) until `stop()` or at most `max` requests.
 */
export function startLoad(hostName: string, ca: string, opts: { address?: string; max?: number } = {}): { stop: () => Promise<{ ok: number; failed: string[] }> } {
  const address = opts.address ?? "127.0.0.1";
  const dir = fs.mkdtempSync("/tmp/sp-load-");
  fs.writeFileSync(`${dir}/ca.pem`, ca);
  const script = `ok=0
for i in $(seq 1 ${opts.max ?? 1200}); do
  [ -e ${dir}/stop ] && break
  if curl -fsS --max-time 5 --cacert ${dir}/ca.pem --resolve ${hostName}:${HTTPS_PORT}:${address} https://${hostName}:${HTTPS_PORT}/ -o /dev/null 2>${dir}/last-error; then ok=$((ok + 1)); else echo "request $i at $(date +%T.%N): $(cat ${dir}/last-error)"; fi
  sleep 0.05
done
echo "ok=$ok"`;
  const child = spawn("bash", ["-c", script]);
  let out = "";
  child.stdout.on("data", (c) => { out += c; });
  const done = new Promise<void>((resolve) => child.on("close", () => resolve()));
  return {
    async stop() {
      fs.writeFileSync(`${dir}/stop`, "");
      await done;
      fs.rmSync(dir, { recursive: true, force: true });
      const lines = out.trim().split("\n");
      const ok = Number(/ok=(\d+)/.exec(lines[lines.length - 1] ?? "")?.[1] ?? 0);
      return { ok, failed: lines.filter((l) => l.startsWith("request ")) };
    },
  };
}

/**
 * What a failed e2e test needs to be understood from a CI log alone: the
 * containers, the proxy's own log (certificate issuance, reloads) and pebble's.
 */
export function hostDiagnostics(stateDir?: string): string {
  const run = (cmd: string): string => {
    const r = spawnSync("bash", ["-c", cmd], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
    return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim();
  };
  const parts = [
    "--- docker ps -a", run("docker ps -a --format '{{.Names}} {{.Status}} {{.Image}}'"),
    "--- proxy log (last 80 lines)", run("docker logs --tail 80 simple-paas-proxy 2>&1"),
  ];
  if (stateDir) parts.push("--- pebble log (last 40 lines)", run(`tail -n 40 ${JSON.stringify(`${stateDir}/pebble/pebble.log`)}`));
  return parts.join("\n");
}

/** For afterEach: prints hostDiagnostics when the test that just ran failed. */
export function printDiagnostics(test: Mocha.Test | undefined, env: TestEnv | undefined): void {
  if (test?.state !== "failed") return;
  console.log(`--- diagnostics for "${test.title}"\n${hostDiagnostics(env?.stateDir)}`);
}

/** Runs SQL as root over the host's unix socket. */
export function rootSql(sql: string): string {
  return sh("mysql -N -B", { stdin: sql });
}
