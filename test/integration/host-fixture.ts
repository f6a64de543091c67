/**
 * A real host prepared the way HostBootstrap prepares one: the rendered
 * packages script, then the sites' docker network (the component makes it
 * with the docker provider; here the docker CLI), then the rendered services
 * script. Paths live under a temp dir whose name has a space and a quote.
 * Shared by the host and site integration tests.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { HostSetupInput } from "../../components/model/host-setup-input";
import { renderHostPackagesScript } from "../../components/render/packages-script";
import { MARIADB_SERVER_CNF, renderHostServicesScript } from "../../components/render/services-script";
import { RunResult, runBash, sh } from "../support/run";

/** A subnet of its own, so the test network cannot collide with the e2e ones (172.30.0.0/24, the sites' pool 172.31.0.0/16). */
export const IT_NETWORK = { name: "simple-paas-it", subnet: "172.29.250.0/24", gateway: "172.29.250.1" };
export const IT_ADMIN_USER = "sp_it_admin";

export interface HostFixture {
  root: string;
  input: HostSetupInput;
  adminPassword: string;
  adminCnf: string;
  packagesRun: RunResult;
  servicesRun: RunResult;
}

export function assertOk(r: RunResult, label: string): void {
  assert.equal(r.status, 0, `${label} failed (${r.status})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
}

export function hostInput(root: string): HostSetupInput {
  return {
    sitesRoot: path.join(root, "sites"),
    configDir: path.join(root, "etc"),
    backupRoot: path.join(root, "backups"),
    statusDir: path.join(root, "status"),
    logFile: path.join(root, "log", "backup.log"),
    network: IT_NETWORK,
    proxyContainer: "simple-paas-it-proxy",
    database: { mode: "local", adminUser: IT_ADMIN_USER, port: 3306 },
    dockerLogs: { maxSize: "10m", maxFiles: 3 },
    generation: "it-1",
    forceNewGeneration: false,
  };
}

/** Creates the sites' network unless a network of that name with that subnet exists. */
export function ensureNetwork(): void {
  const r = spawnSync("docker", ["network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}", IT_NETWORK.name], { encoding: "utf8" });
  if (r.status === 0) {
    assert.equal(r.stdout.trim(), `${IT_NETWORK.subnet} ${IT_NETWORK.gateway}`, `leftover network ${IT_NETWORK.name}`);
    return;
  }
  sh(`docker network create --subnet ${IT_NETWORK.subnet} --gateway ${IT_NETWORK.gateway} ${IT_NETWORK.name} >/dev/null`);
}

export function runServices(f: Pick<HostFixture, "input">, password: string): RunResult {
  return runBash(renderHostServicesScript(f.input), { stdin: `${password}\n` });
}

export function setUpHost(): HostFixture {
  // Odd characters on purpose: every path must survive quoting.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "sp it's-"));
  fs.chmodSync(root, 0o755); // site users must traverse it, as they do /sites
  const input = hostInput(root);
  const packagesRun = runBash(renderHostPackagesScript(input));
  assertOk(packagesRun, "packages script");
  ensureNetwork();
  // Quotes, a backslash at the end, a # and spaces: option file and SQL quoting must hold.
  const adminPassword = `it's a "p@ss" #\\x ${Math.random().toString(36).slice(2)} \\`;
  const f: HostFixture = {
    root, input, adminPassword, adminCnf: path.join(input.configDir, "mysql-admin.cnf"),
    packagesRun, servicesRun: { status: -1, stdout: "", stderr: "" },
  };
  f.servicesRun = runServices(f, adminPassword);
  assertOk(f.servicesRun, "services script");
  return f;
}

/** Runs SQL as the admin account (over 127.0.0.1), the SQL on stdin. */
export function adminSql(f: HostFixture, sql: string): string {
  return sh(`mysql --defaults-extra-file=${JSON.stringify(f.adminCnf)} -N -B`, { stdin: sql });
}

/**
 * Removes what the tests made. MariaDB keeps running; only its
 * configuration is put back, so a later start does not try to listen on the
 * gateway of a network that is gone.
 */
export function tearDownHost(f: HostFixture | undefined): void {
  if (!f) return;
  const errors: string[] = [];
  const attempt = (what: string, fn: () => void) => {
    try { fn(); } catch (e) { errors.push(`${what}: ${(e as Error).message}`); }
  };
  attempt("drop admin", () => sh(`mysql --protocol=socket -u root`, {
    stdin: `DROP USER IF EXISTS '${IT_ADMIN_USER}'@'127.0.0.1'; DROP USER IF EXISTS '${IT_ADMIN_USER}'@'localhost';`,
  }));
  attempt("network", () => sh(`docker network rm ${IT_NETWORK.name} >/dev/null 2>&1 || true`));
  attempt("mariadb cnf", () => {
    if (fs.existsSync(MARIADB_SERVER_CNF) && fs.readFileSync(MARIADB_SERVER_CNF, "utf8").includes(IT_NETWORK.gateway)) {
      fs.rmSync(MARIADB_SERVER_CNF);
    }
  });
  attempt("temp dir", () => fs.rmSync(f.root, { recursive: true, force: true }));
  if (errors.length) throw new Error(`cleanup failed:\n${errors.join("\n")}`);
}

/**
 * Sources an env file with bash, as `sp` and cron do, and returns the named
 * values (NUL-separated, so any value survives).
 */
export function sourceEnvFile(file: string, names: string[]): Record<string, string> {
  const r = spawnSync("bash", ["-c", 'set -eu; . "$1"; shift; for n; do printf "%s\\0" "${!n}"; done', "source-env", file, ...names], { encoding: "utf8" });
  assert.equal(r.status, 0, `sourcing ${file}: ${r.stderr}`);
  const values = r.stdout.split("\0").slice(0, names.length);
  return Object.fromEntries(names.map((n, i) => [n, values[i]]));
}
