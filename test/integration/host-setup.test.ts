/**
 * Runs the rendered host scripts for real: apt/dpkg, dockerd, MariaDB, cron
 * and the firewall on this machine (started by the packages script itself
 * when nothing runs them yet, as on a fresh host without systemd).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderHostPackagesScript, renderInstallFileScript } from "../../components/render/packages-script";
import { MARIADB_SERVER_CNF, renderHostServicesScript } from "../../components/render/services-script";
import { runBash, sh } from "../support/run";
import { adminSql, assertOk, HostFixture, IT_ADMIN_USER, IT_NETWORK, runServices, setUpHost, sourceEnvFile, tearDownHost } from "./host-fixture";

/** The host daemon's pid from its pid file: other instances of the same binary (tests, containers) don't count. */
const PID_FILES: Record<string, string> = {
  dockerd: "/var/run/docker.pid",
  mariadbd: "/run/mysqld/mysqld.pid",
};
function pidOf(name: string): string {
  const file = PID_FILES[name];
  if (!file) throw new Error(`no pid file known for ${name}`);
  const pid = fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : "";
  assert.ok(pid !== "" && fs.existsSync(`/proc/${pid}`), `${name} runs (pid file ${file}: ${JSON.stringify(pid)})`);
  return pid;
}

function mtimes(files: string[]): Record<string, number> {
  return Object.fromEntries(files.map((f) => [f, fs.statSync(f).mtimeMs]));
}

/** Local addresses listening on a TCP port, per `ss`. */
function listeners(port: number): string[] {
  return sh(`ss -ltnH 'sport = :${port}'`).split("\n").filter((l) => l.trim() !== "").map((l) => l.trim().split(/\s+/)[3]);
}

describe("host setup scripts (real services)", function () {
  this.timeout(20 * 60_000);
  let f: HostFixture;

  before(() => { f = setUpHost(); });
  after(() => tearDownHost(f));

  it("the first run sets everything up and never prints the admin password", () => {
    for (const r of [f.packagesRun, f.servicesRun]) {
      assert.ok(!r.stdout.includes(f.adminPassword) && !r.stderr.includes(f.adminPassword));
      assert.equal(r.stdout, "");
    }
    for (const [dir, mode] of [["sites", 0o755], ["etc", 0o755], ["etc/sites", 0o755], ["etc/proxy/sites", 0o755], ["backups", 0o700], ["status", 0o750], ["log", 0o750]] as const) {
      const st = fs.statSync(path.join(f.root, dir));
      assert.equal(st.mode & 0o7777, mode, dir);
      assert.equal(st.uid, 0, dir);
    }
    const cnf = fs.statSync(f.adminCnf);
    assert.equal(cnf.mode & 0o777, 0o600);
    const hostEnvKeys = ["SP_SITES_ROOT", "SP_CONFIG_DIR", "SP_NETWORK", "SP_PROXY_CONTAINER", "SP_STATUS_DIR", "SP_LOG_FILE"];
    assert.deepEqual(sourceEnvFile(path.join(f.input.configDir, "host.env"), hostEnvKeys), {
      SP_SITES_ROOT: f.input.sitesRoot,
      SP_CONFIG_DIR: f.input.configDir,
      SP_NETWORK: IT_NETWORK.name,
      SP_PROXY_CONTAINER: "simple-paas-it-proxy",
      SP_STATUS_DIR: f.input.statusDir,
      SP_LOG_FILE: f.input.logFile,
    });
    const daemon = JSON.parse(fs.readFileSync("/etc/docker/daemon.json", "utf8"));
    assert.equal(daemon["log-driver"], "json-file");
    assert.deepEqual(daemon["log-opts"], { "max-size": "10m", "max-file": "3" });
    assert.equal(daemon["live-restore"], true);
    assert.equal(sh("docker info -f '{{.LoggingDriver}}'").trim(), "json-file");
    assert.equal(sh("docker info -f '{{.LiveRestoreEnabled}}'").trim(), "true", "the running daemon keeps containers through a restart");
  });

  it("a second run of both scripts changes nothing: no file rewritten, no restart", () => {
    const files = [f.adminCnf, path.join(f.input.configDir, "host.env"), MARIADB_SERVER_CNF, "/etc/docker/daemon.json", "/usr/local/sbin/simple-paas-firewall"];
    const before = { mtimes: mtimes(files), mariadb: pidOf("mariadbd"), dockerd: pidOf("dockerd"), rules: sh("iptables -w -S SIMPLE-PAAS-SITES") };
    assert.notEqual(before.mariadb, "");
    const packages = runBash(renderHostPackagesScript(f.input));
    assertOk(packages, "packages script, second run");
    assert.match(packages.stderr, /done: nothing changed\n$/);
    const services = runServices(f, f.adminPassword);
    assertOk(services, "services script, second run");
    assert.match(services.stderr, /admin account sp_it_admin: unchanged/);
    assert.match(services.stderr, /done: nothing changed\n$/);
    assert.deepEqual(
      { mtimes: mtimes(files), mariadb: pidOf("mariadbd"), dockerd: pidOf("dockerd"), rules: sh("iptables -w -S SIMPLE-PAAS-SITES") },
      before,
    );
    assert.equal(sh("iptables -w -S INPUT").split("\n").filter((l) => l.includes("SIMPLE-PAAS-SITES")).length, 1, "one jump, however often it runs");
  });

  it("daemon.json that differs only in formatting is left alone, docker not restarted", () => {
    const original = fs.readFileSync("/etc/docker/daemon.json", "utf8");
    const dockerd = pidOf("dockerd");
    try {
      fs.writeFileSync("/etc/docker/daemon.json", JSON.stringify(JSON.parse(original)));
      const r = runBash(renderHostPackagesScript(f.input));
      assertOk(r, "packages script");
      assert.match(r.stderr, /\/etc\/docker\/daemon\.json: unchanged/);
      assert.equal(pidOf("dockerd"), dockerd);
    } finally {
      fs.writeFileSync("/etc/docker/daemon.json", original);
    }
  });

  it("the admin account logs in with the password over 127.0.0.1 and the socket, with every privilege", () => {
    assert.equal(adminSql(f, "SELECT CURRENT_USER();").trim(), `${IT_ADMIN_USER}@127.0.0.1`);
    const viaSocket = sh(`mysql --defaults-extra-file=${JSON.stringify(f.adminCnf)} --host=localhost -N -B -e 'SELECT CURRENT_USER()'`);
    assert.equal(viaSocket.trim(), `${IT_ADMIN_USER}@localhost`);
    assert.match(adminSql(f, "SHOW GRANTS;"), /^GRANT ALL PRIVILEGES ON \*\.\* TO `sp_it_admin`@`127\.0\.0\.1` .*WITH GRANT OPTION$/m);
  });

  it("a new password on stdin updates the account", () => {
    const next = `${f.adminPassword}-rotated`;
    try {
      const r = runServices(f, next);
      assertOk(r, "services script with a new password");
      assert.match(r.stderr, /mysql-admin\.cnf: written/);
      assert.match(r.stderr, /admin account sp_it_admin@127\.0\.0\.1 and @localhost: created or updated/);
      assert.equal(adminSql(f, "SELECT 1;").trim(), "1");
    } finally {
      assertOk(runServices(f, f.adminPassword), "services script, password back");
    }
  });

  it("MariaDB listens on 127.0.0.1 and the gateway, not on every address", () => {
    const addrs = listeners(3306);
    assert.ok(addrs.includes("127.0.0.1:3306"), addrs.join(" "));
    assert.ok(addrs.includes(`${IT_NETWORK.gateway}:3306`), addrs.join(" "));
    for (const any of ["0.0.0.0:3306", "*:3306", "[::]:3306"]) assert.ok(!addrs.includes(any), addrs.join(" "));
  });

  it("the firewall lets the sites' bridges reach the database port and DNS on the host, and drops the rest", () => {
    const rules = sh("iptables -w -S SIMPLE-PAAS-SITES");
    assert.match(rules, /-A SIMPLE-PAAS-SITES -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT/);
    assert.match(rules, new RegExp(`-A SIMPLE-PAAS-SITES -d ${IT_NETWORK.gateway.replace(/\./g, "\\.")}/32 -p tcp -m tcp --dport 3306 -j ACCEPT`));
    assert.match(rules.trim().split("\n").pop()!, /^-A SIMPLE-PAAS-SITES -j DROP$/);
    assert.match(sh("iptables -w -S INPUT"), /-A INPUT -i spb-\+ -j SIMPLE-PAAS-SITES/);
    assert.match(sh("iptables -w -S SIMPLE-PAAS-SITES-FWD"), /-d 169\.254\.0\.0\/16 -j DROP/);
    assert.match(sh("iptables -w -S DOCKER-USER"), /-A DOCKER-USER -i spb-\+ -j SIMPLE-PAAS-SITES-FWD/);
  });

  it("refuses a new generation while sites of the recorded one run, changing nothing; forced, it goes on", () => {
    sh("docker rm -f sp-it-generation-guard >/dev/null 2>&1 || true");
    sh("docker run -d --name sp-it-generation-guard --label simple-paas.site=guarded simple-paas-test/busybox:1 >/dev/null");
    try {
      const generationFile = path.join(f.input.configDir, "host-generation");
      const refused = runBash(renderHostPackagesScript({ ...f.input, generation: "it-2" }));
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /this host runs generation it-1 with the sites guarded: a new generation \(it-2\) is for a new or wiped host[\s\S]*forceNewGeneration to true\. Nothing was changed\./);
      assert.equal(fs.readFileSync(generationFile, "utf8"), "it-1\n");
      const forced = runBash(renderHostPackagesScript({ ...f.input, generation: "it-2", forceNewGeneration: true }));
      assertOk(forced, "forced new generation");
      assert.match(forced.stderr, /forced: generation it-1 -> it-2 on a host that runs guarded/);
      assert.equal(fs.readFileSync(generationFile, "utf8"), "it-2\n");
    } finally {
      sh("docker rm -f sp-it-generation-guard >/dev/null 2>&1 || true");
      assertOk(runBash(renderHostPackagesScript(f.input)), "packages, generation back");
    }
  });

  it("fails loudly without a password on stdin or without the docker network", () => {
    const noPassword = runBash(renderHostServicesScript(f.input), { stdin: "" });
    assert.notEqual(noPassword.status, 0);
    assert.match(noPassword.stderr, /ERROR: expected the MariaDB admin password on stdin/);
    const otherNet = { ...f.input, network: { name: "absent", subnet: "172.29.251.0/24", gateway: "172.29.251.1" } };
    const noNetwork = runBash(renderHostServicesScript(otherNet), { stdin: "x\n" });
    assert.notEqual(noNetwork.status, 0);
    assert.match(noNetwork.stderr, /ERROR: no interface has 172\.29\.251\.1: create the docker network absent/);
  });

  it("the install-file script writes stdin atomically with mode and owner, and says whether it changed", () => {
    const target = path.join(f.root, "new dir", "it's.txt");
    const script = renderInstallFileScript({ path: target, mode: "0640", owner: "root", group: "adm" });
    const first = runBash(script, { stdin: "hello\nworld" });
    assertOk(first, "install-file");
    assert.match(first.stderr, /\nchanged\n$/);
    assert.equal(fs.readFileSync(target, "utf8"), "hello\nworld");
    const st = fs.statSync(target);
    assert.equal(st.mode & 0o777, 0o640);
    assert.equal(sh(`stat -c %G ${JSON.stringify(target)}`).trim(), "adm");
    const again = runBash(script, { stdin: "hello\nworld" });
    assertOk(again, "install-file again");
    assert.match(again.stderr, /\nunchanged\n$/);
    assert.equal(fs.statSync(target).mtimeMs, st.mtimeMs);
    fs.chmodSync(target, 0o666);
    const drift = runBash(script, { stdin: "hello\nworld" });
    assert.match(drift.stderr, /owner\/mode 666 root adm -> 640 root adm[\s\S]*\nchanged\n$/);
    assert.equal(fs.statSync(target).mode & 0o777, 0o640);
    assert.deepEqual(fs.readdirSync(path.dirname(target)), ["it's.txt"], "no temp file left behind");
  });
});
