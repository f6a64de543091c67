/**
 * The real services integration and e2e tests run against (dockerd, MariaDB,
 * cron, a private registry, pebble, sshd) and the local test images.
 *
 * `ensureServices()` runs scripts/test-env/{install-packages,start-services,
 * build-images}.sh once per process (each is idempotent and fast when there
 * is nothing to do) and returns the facts from the env file
 * `${SP_TEST_STATE_DIR:-/var/lib/simple-paas-test}/env`.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface TestEnv {
  /** State dir of the test services (keys, passwords, logs, registry storage). */
  stateDir: string;
  /** Registry host:port, `127.0.0.1:5000`; images `${registry}/site-app:v1` and `:v2`. */
  registry: string;
  registryUser: string;
  /** File holding the registry password (for `docker login --password-stdin`). */
  registryPasswordFile: string;
  /** Registry without a login (`127.0.0.1:5001`), like Docker Hub: `${publicRegistry}/caddy:2.6` is the proxy image. */
  publicRegistry: string;
  /** `https://127.0.0.1:14000/dir`; containers use `https://<network gateway>:${pebblePort}/dir`. */
  pebbleDirectoryUrl: string;
  /** CA of pebble's listener certificate (Caddy's `acme_ca_root`). */
  pebbleCaCert: string;
  /** `https://127.0.0.1:15000`; `/roots/0` is the root that signs issued certificates. */
  pebbleManagementUrl: string;
  pebblePort: number;
  /** IPs besides 127.0.0.1 in pebble's listener certificate (e.g. `172.30.0.1`). */
  pebbleExtraIps: string[];
  sshHost: string;
  sshPort: number;
  sshUser: string;
  sshKeyFile: string;
  /** known_hosts with the test sshd's host key (for StrictHostKeyChecking=yes). */
  sshKnownHostsFile: string;
  mariadbSocket: string;
}

/** Local images made by build-images.sh. */
export const TEST_IMAGES = {
  busybox: "simple-paas-test/busybox:1",
  minbase: "simple-paas-test/minbase:bookworm",
  siteAppV1: "simple-paas-test/site-app:v1",
  siteAppV2: "simple-paas-test/site-app:v2",
  caddy: "simple-paas-test/caddy:2.6",
  memcached: "simple-paas-test/memcached:1.6",
} as const;

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const SCRIPTS_DIR = path.join(REPO_ROOT, "scripts", "test-env");

export function testStateDir(): string {
  return process.env.SP_TEST_STATE_DIR || "/var/lib/simple-paas-test";
}

function runScript(script: string, timeoutMs: number): void {
  const file = path.join(SCRIPTS_DIR, script);
  const started = Date.now();
  // stdout (status lines) goes to our stderr too, so progress shows without
  // mixing into the mocha reporter's output.
  const r = spawnSync("bash", [file], {
    stdio: ["ignore", 2, "inherit"],
    env: process.env,
    timeout: timeoutMs,
  });
  if (r.error) {
    throw new Error(`${script} could not run or timed out after ${timeoutMs / 1000}s: ${r.error.message}`);
  }
  if (r.status !== 0) {
    const how = r.signal ? `was killed by ${r.signal}` : `exited with ${r.status}`;
    throw new Error(`scripts/test-env/${script} ${how} after ${Math.round((Date.now() - started) / 1000)}s (its output is above)`);
  }
}

/**
 * Parses `NAME='value'` lines (values single-quoted, `'\''` for a quote;
 * comments and blank lines allowed), as written by start-services.sh and
 * described in docs/HOST-LAYOUT.md.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`env file line ${i + 1}: not NAME=value: ${raw}`);
    let value = "";
    const s = m[2];
    for (let j = 0; j < s.length; ) {
      const c = s[j];
      if (c === "'") {
        const end = s.indexOf("'", j + 1);
        if (end < 0) throw new Error(`env file line ${i + 1}: unterminated quote: ${raw}`);
        value += s.slice(j + 1, end);
        j = end + 1;
      } else if (c === "\\" && j + 1 < s.length) {
        value += s[j + 1];
        j += 2;
      } else if (/[A-Za-z0-9_./:@%+,=-]/.test(c)) {
        value += c;
        j += 1;
      } else {
        throw new Error(`env file line ${i + 1}: unsupported character ${JSON.stringify(c)}: ${raw}`);
      }
    }
    out[m[1]] = value;
  });
  return out;
}

/**
 * Readers of required values from parsed env lines: `need` (non-empty) and
 * `port`; `missing(name)` says what is wrong where, for the error.
 */
export function envFacts(vars: Record<string, string>, missing: (name: string) => string) {
  const need = (name: string): string => {
    const v = vars[name];
    if (v === undefined || v === "") throw new Error(missing(name));
    return v;
  };
  const port = (name: string): number => {
    const n = Number(need(name));
    if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${name} is not a port: ${vars[name]}`);
    return n;
  };
  return { need, port };
}

/** Reads the env file start-services.sh wrote (without starting anything). */
export function readTestEnv(stateDir: string = testStateDir()): TestEnv {
  const file = path.join(stateDir, "env");
  const vars = parseEnvFile(fs.readFileSync(file, "utf8"));
  const { need, port } = envFacts(vars, (name) => `${file} lacks ${name}; re-run scripts/test-env/start-services.sh`);
  return {
    stateDir: need("SP_TEST_STATE_DIR"),
    registry: need("REGISTRY"),
    registryUser: need("REGISTRY_USER"),
    registryPasswordFile: need("REGISTRY_PASSWORD_FILE"),
    publicRegistry: need("PUBLIC_REGISTRY"),
    pebbleDirectoryUrl: need("PEBBLE_DIRECTORY_URL"),
    pebbleCaCert: need("PEBBLE_CA_CERT"),
    pebbleManagementUrl: need("PEBBLE_MANAGEMENT_URL"),
    pebblePort: port("PEBBLE_PORT"),
    pebbleExtraIps: (vars.PEBBLE_EXTRA_IPS ?? "").split(/\s+/).filter((s) => s !== ""),
    sshHost: need("SSH_HOST"),
    sshPort: port("SSH_PORT"),
    sshUser: need("SSH_USER"),
    sshKeyFile: need("SSH_KEY_FILE"),
    sshKnownHostsFile: need("SSH_KNOWN_HOSTS_FILE"),
    mariadbSocket: need("MARIADB_SOCKET"),
  };
}

let cached: TestEnv | undefined;

/**
 * Installs (if needed), starts and builds everything once per process and
 * returns the test environment. Throws, with the scripts' output on stderr,
 * when anything fails. Needs root.
 */
export function ensureServices(): TestEnv {
  if (cached) return cached;
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new Error("the integration/e2e test services need root (apt-get, dockerd, sshd on :2222)");
  }
  runScript("install-packages.sh", 30 * 60_000);
  runScript("start-services.sh", 10 * 60_000);
  runScript("build-images.sh", 30 * 60_000);
  cached = readTestEnv();
  return cached;
}

/** The registry password (for `docker login --password-stdin`). */
export function registryPassword(env: TestEnv): string {
  return fs.readFileSync(env.registryPasswordFile, "utf8").trim();
}
