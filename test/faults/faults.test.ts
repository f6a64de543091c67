/**
 * Faults, for real: the platform of the e2e tests (the real engine, three
 * sites on this machine) under what an operator fears — an image that never
 * gets healthy, backups killed with SIGKILL, a repository gone, a full disk,
 * MariaDB stopped, stale locks, concurrent backups, a backup while a site's
 * data is deleted, `pulumi up` killed mid-create, a docker daemon change
 * under load, a damaged repository, a new generation on a live host, images
 * piling up. Each case counts its tries; docs/RELIABILITY.md is the table.
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { runBash, sh } from "../support/run";
import {
  Platform, SITES, assertCertificatesReady, createPlatform, disposePlatform, eventually, httpsGet, pebbleRoots, printDiagnostics, rootSql, siteConfig,
  startLoad,
} from "../e2e/platform-fixture";
import { recordFault } from "./record";

const resticEnv = (site: string) => `RESTIC_PASSWORD_FILE=/etc/simple-paas/sites/${site}/backup/restic_pass RESTIC_REPOSITORY=/var/backups/simple-paas/${site}`;
const snapshots = (site: string): { short_id: string; tags?: string[] }[] => JSON.parse(sh(`${resticEnv(site)} restic snapshots --json`));
const treeHash = (site: string) => sh(`cd /sites/${site}/data && find public private -type f -print0 | sort -z | xargs -0 -r sha256sum`);

/** The address of this machine that is not loopback: traffic to it is NATed by docker's rules, never by its userland proxy. */
function hostAddress(): string {
  const a = sh("ip -4 -o addr show scope global | awk '$2 !~ /^(docker|br-|spb-|veth)/ {split($4, a, \"/\"); print a[1]; exit}'").trim();
  if (!a) throw new Error("this machine has no non-loopback address");
  return a;
}

describe("faults survived", function () {
  this.timeout(120 * 60_000);
  let platform: Platform;
  let roots = "";

  before(async () => {
    platform = await createPlatform("faults");
    // Published on every address: the load goes to this machine's own address, as a visitor's would arrive.
    platform.host = { ...platform.host, proxy: { ...(platform.host.proxy as object), bindAddress: undefined } };
    await platform.setHost(platform.host);
    await platform.up();
    roots = pebbleRoots(platform.env);
    await assertCertificatesReady(platform, SITES);
    for (const site of SITES) {
      await eventually(() => httpsGet(`${site}.test`, `/db?note=faults-${site}`, roots, { method: "POST" }).then((r) => { if (r.status !== 200) throw new Error(r.body); }));
      sh(`head -c 1M /dev/urandom >/sites/${site}/data/public/blob.bin && chown ${site}:${site} /sites/${site}/data/public/blob.bin`);
    }
    sh("/usr/local/bin/sp backup --all");
  });

  afterEach(function () { printDiagnostics(this.currentTest, platform?.env); });
  after(() => disposePlatform(platform));

  it("an image that never gets healthy, through two ups under load: no failed request, the old container kept and routed", async () => {
    const oldContainer = sh("docker ps --filter label=simple-paas.site=alpha --format '{{.Names}}'").trim();
    const sick = (platform.sites as Record<string, unknown>[]).map((s) =>
      s.name === "alpha" ? { ...s, image: `${platform.env.registry}/site-app:v2`, healthCheck: { path: "/never-healthy", intervalSeconds: 1, retries: 1, waitSeconds: 20 } } : s);
    await platform.setSites(sick);
    const failures: string[] = [];
    let tries = 0;
    for (const attempt of [1, 2]) {
      const load = startLoad("alpha.test", roots);
      await assert.rejects(platform.stack.up(), (err: Error) => {
        failures.push(err.message);
        return true;
      }, `up ${attempt} fails`);
      const result = await load.stop();
      assert.deepEqual(result.failed, [], `up ${attempt}: ${result.failed.length} failed of ${result.ok + result.failed.length}`);
      assert.ok(result.ok > 10);
      assert.equal(sh(`sed -n 's/.*reverse_proxy \\([^:]*\\):.*/\\1/p' /etc/simple-paas/proxy/sites/alpha.caddy`).trim(), oldContainer, `up ${attempt}: traffic stays on the old container`);
      assert.match(sh(`docker inspect -f '{{.State.Running}}' ${oldContainer}`), /true/, `up ${attempt}: the old container runs`);
      assert.match((await httpsGet("alpha.test", "/", roots)).body, /site-app version v1/);
      tries++;
    }
    // Each up says why, naming the container: it never got healthy (docker's wait on the new container, before any route step).
    for (const failure of failures) {
      assert.match(failure, /docker:index:Container \(alpha-container-[0-9a-f]+\):\s+error: .*container failed to be in healthy state/, failure);
    }
    // Cron and sp exec go where the traffic goes.
    assert.match(sh("/usr/local/bin/sp exec alpha sh -c 'echo $APP_VERSION'"), /^v1$/m);
    await platform.setSites(SITES.map((s) => siteConfig(s)));
    await platform.up();
    recordFault("a site image that never gets healthy, two ups under load", tries, "each up fails, naming the site's container resource that never got healthy; the old container keeps serving (0 failed requests) and stays; sp exec and cron stay on it");
  });

  it("a backup killed with SIGKILL at random points (20 runs): the repository checks, the next backup succeeds, a restore matches", () => {
    let tries = 0;
    for (let i = 0; i < 20; i++) {
      const delay = (Math.random() * 2.5).toFixed(2);
      // sp and everything it started (mariadb-dump, restic, tar) in one process group, killed together.
      runBash(`setsid /usr/local/bin/sp backup beta >/dev/null 2>&1 & pid=$!; sleep ${delay}; kill -9 -- -"$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true`);
      tries++;
    }
    const check = runBash(`${resticEnv("beta")} restic unlock && ${resticEnv("beta")} restic check`);
    assert.equal(check.status, 0, check.stderr);
    sh("/usr/local/bin/sp backup beta");
    const files = treeHash("beta");
    const rows = rootSql("SELECT note FROM beta.visits ORDER BY id");
    sh("/usr/local/bin/sp restore beta --yes");
    assert.equal(treeHash("beta"), files);
    assert.equal(rootSql("SELECT note FROM beta.visits ORDER BY id"), rows);
    assert.deepEqual(fs.readdirSync("/sites/beta/dump").filter((f) => f.includes("sp-tmp")), [], "no temp dump left once the next backup ran");
    recordFault("a backup killed with SIGKILL at a random point", tries, "nothing: the next backup removes the killed one's temp files and stale restic locks; restic check passes; restore equal");
  });

  it("the repository unreachable, and a full disk: the backup fails loudly, sp status names it, the next good backup heals", () => {
    let tries = 0;
    const repo = "/var/backups/simple-paas/gamma";
    // Unreachable: its directory gone (an unmounted backup disk).
    sh(`mv ${repo} ${repo}.away`);
    try {
      sh(`chattr +i /var/backups/simple-paas 2>/dev/null || true`);
      const r = runBash("/usr/local/bin/sp backup gamma");
      assert.equal(r.status, 1);
      tries++;
    } finally {
      sh(`chattr -i /var/backups/simple-paas 2>/dev/null || true; rm -rf ${repo}; mv ${repo}.away ${repo}`);
    }
    // A full disk: the dump dir on a 64 KiB tmpfs.
    const dumpDir = "/sites/gamma/dump";
    const saved = fs.readFileSync(`${dumpDir}/gamma.sql`);
    sh(`mount -t tmpfs -o size=64k,mode=0700 tmpfs ${dumpDir}`);
    try {
      sh(`head -c 60k /dev/zero >${dumpDir}/filler`);
      rootSql(`INSERT INTO gamma.visits (note) VALUES ${Array.from({ length: 200 }, (_, i) => `('full-disk-${i}-${"y".repeat(200)}')`).join(",")}`);
      const r = runBash("/usr/local/bin/sp backup gamma");
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /database dump failed|No space left/);
      const st = runBash("/usr/local/bin/sp status gamma");
      assert.equal(st.status, 1);
      assert.match(st.stdout, /gamma: the last backup failed: /);
      tries++;
    } finally {
      sh(`umount ${dumpDir}`);
    }
    assert.deepEqual(fs.readFileSync(`${dumpDir}/gamma.sql`), saved, "the last good dump is where it was");
    sh("/usr/local/bin/sp backup gamma");
    assert.match(sh("/usr/local/bin/sp status gamma || true"), /result=ok/);
    recordFault("the repository unreachable; a full disk under the dump", tries, "the backup fails (exit 1), status failed with the reason, sp status exits 1 naming it; the last good dump and snapshots stay; the next backup succeeds");
  });

  it("MariaDB stopped, a stale restic lock, two backups at once: each has a clear outcome", async () => {
    let tries = 0;
    sh("mysqladmin shutdown");
    try {
      const r = runBash("/usr/local/bin/sp backup alpha");
      assert.equal(r.status, 1);
      assert.match(r.stderr, /database dump failed/);
      tries++;
    } finally {
      sh("install -d -o mysql -g root /run/mysqld; start-stop-daemon --start --oknodo --background --pidfile /run/mysqld/mysqld.pid --exec /usr/sbin/mariadbd -- --user=mysql --pid-file=/run/mysqld/mysqld.pid; for i in $(seq 60); do mysqladmin ping >/dev/null 2>&1 && break; sleep 1; done");
    }
    // A lock left by a restic that is gone: an exclusive one, as a killed prune leaves.
    const lockId = "f".repeat(64);
    fs.writeFileSync(`/var/backups/simple-paas/alpha/locks/${lockId}`, "");
    sh(`${resticEnv("alpha")} restic backup --quiet /etc/hostname & sleep 0.2; kill -9 %1; true`);
    fs.rmSync(`/var/backups/simple-paas/alpha/locks/${lockId}`);
    sh("/usr/local/bin/sp backup alpha");
    sh("/usr/local/bin/sp prune alpha");
    tries++;
    // Two at once: the second waits; the first succeeded, so it is skipped, saying so. The first's dump
    // takes 3 s more (a slower mariadb-dump first on its PATH), so the second surely starts while it runs.
    const slowBin = fs.mkdtempSync("/tmp/sp-slow-dump-");
    fs.writeFileSync(`${slowBin}/mariadb-dump`, `#!/bin/sh\nsleep 3\nexec /usr/bin/mariadb-dump "$@"\n`, { mode: 0o755 });
    const started = Date.now();
    const [a, b] = await Promise.all([0, 700].map((delay) => new Promise<{ code: number; err: string }>((resolve) => setTimeout(() => {
      const env = delay === 0 ? { ...process.env, PATH: `${slowBin}:${process.env.PATH}` } : process.env;
      const c = spawn("/usr/local/bin/sp", ["backup", "alpha"], { env });
      let err = "";
      c.stderr.on("data", (d) => { err += d; });
      c.on("close", (code) => resolve({ code: code ?? -1, err }));
    }, delay))));
    assert.equal(a.code, 0, a.err);
    assert.equal(b.code, 0, b.err);
    fs.rmSync(slowBin, { recursive: true, force: true });
    assert.match(b.err, /result=skipped another backup of alpha finished while this one waited for it/, "the second one");
    assert.ok(Date.now() - started < 120_000);
    tries++;
    recordFault("MariaDB stopped; a stale restic lock; two backups of one site at once", tries,
      "MariaDB down: the backup fails naming the dump; a stale lock is removed by the next prune/drill (restic unlock); the second of two backups waits, then is skipped with a log line (exit 0), the status is the first's");
  });

  it("a backup while the site's data is deleted: serialised by the site's lock, the latest snapshot is whole", async () => {
    const files = treeHash("gamma");
    const rows = rootSql("SELECT note FROM gamma.visits ORDER BY id");
    // Cron's backups keep coming while the site is destroyed (deleteDataOnDestroy).
    const loop = spawn("bash", ["-c", "for i in $(seq 1 200); do /usr/local/bin/sp backup gamma >/dev/null 2>&1; sleep 0.2; done"]);
    try {
      await platform.setSites(SITES.filter((s) => s !== "gamma").map((s) => siteConfig(s)));
      await platform.up();
    } finally {
      loop.kill();
    }
    assert.ok(!fs.existsSync("/sites/gamma/data"), "the data went");
    // The latest snapshot restores to what the site held: nothing half-deleted became the latest.
    const latest = snapshots("gamma").at(-1)!;
    const scratch = fs.mkdtempSync("/tmp/sp-fault-restore-");
    try {
      sh(`${resticEnv("gamma")} restic restore ${latest.short_id} --target ${scratch}`);
      assert.equal(sh(`cd ${scratch}/data && find public private -type f -print0 | sort -z | xargs -0 -r sha256sum`), files);
      assert.match(fs.readFileSync(`${scratch}/dump/gamma.sql`, "utf8"), /faults-gamma/);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
    assert.match(fs.readFileSync("/var/log/simple-paas/backup.log", "utf8"), /site=gamma action=backup result=(ok|skipped)/);
    await platform.setSites(SITES.map((s) => siteConfig(s)));
    await platform.up();
    assert.equal(rootSql("SELECT note FROM gamma.visits ORDER BY id"), rows, "and it comes back from it");
    recordFault("backups from cron while a site's data is deleted", 1, "the removal waits for a running backup and marks the site removed; a backup that waited says the data is gone; the latest snapshot is whole");
  });

  it("pulumi up killed while it creates a container: the next up converges by itself", async () => {
    let tries = 0;
    for (const target of ["container", "memcached"] as const) {
      const next = (platform.sites as Record<string, unknown>[]).map((s) => s.name === "beta"
        ? target === "container" ? { ...s, env: { GREETING: `hello again ${Date.now()}` } } : { ...s, memcached: { enabled: true, memoryMb: 32 } }
        : s);
      await platform.setSites(next);
      const up = platform.stack.up().catch((e: Error) => e);
      // Kill the engine the moment docker has the new container (created, not yet started by the provider's wait).
      const filter = target === "container" ? "label=simple-paas.site=beta" : "label=simple-paas.memcached=beta";
      const before = sh(`docker ps -aq --filter ${filter} | sort`);
      await eventually(async () => {
        if (sh(`docker ps -aq --filter ${filter} | sort`) === before) throw new Error("not yet");
      }, 600, 100);
      // As a power cut would: the CLI and every process under it (language host, plugins) stopped, then killed, at once.
      // Only this stack's: another lane's engine may run beside it. ([/] keeps pgrep from matching its own shell.)
      sh(`tree() { echo "$1"; for c in $(pgrep -P "$1"); do tree "$c"; done; }
        cli=$(pgrep -f '[/]bin/pulumi up .*--stack faults' | head -n 1); [ -n "$cli" ]
        pids=$(tree "$cli"); kill -STOP $pids; kill -KILL $pids`);
      const killed = await up;
      assert.ok(killed instanceof Error, "the killed up failed");
      tries++;
      // What the operator runs: the killed CLI left its lock on the stack; then the next up removes the
      // leftover of the same name (the create's hook) and converges.
      await platform.stack.cancel();
      // The dead run's pending creates stay in the state (every later up warns) until a refresh drops them.
      await platform.stack.refreshClearingPendingCreates();
      await platform.up();
      await eventually(() => httpsGet("beta.test", "/health", roots).then((r) => { if (r.status !== 200) throw new Error(String(r.status)); }), 60, 1000);
    }
    recordFault("pulumi up killed (SIGKILL) mid-create of a site container, of a memcached container", tries,
      "the killed up leaves the stack locked: `pulumi cancel`, `pulumi refresh --clear-pending-creates`, then the next up removes the half-made object of the same name (a beforeCreate hook; only one with simple-paas's label) and converges; preview then empty");
  });

  it("a dockerLogs change under load: daemon.json written without restarting dockerd, each site's container replaced beside the old one, no request fails", async () => {
    const address = hostAddress();
    const dockerdPid = fs.readFileSync("/var/run/docker.pid", "utf8").trim();
    const load = startLoad("beta.test", roots, { address, max: 2400 });
    platform.host = { ...platform.host, dockerLogs: { maxSize: "20m", maxFiles: 4 } };
    await platform.setHost(platform.host);
    const run = await platform.up();
    const result = await load.stop();
    assert.deepEqual(result.failed, [], `${result.failed.length} failed of ${result.ok + result.failed.length}`);
    assert.ok(result.ok > 10, `the load ran (${result.ok})`);
    assert.equal(JSON.parse(fs.readFileSync("/etc/docker/daemon.json", "utf8"))["log-opts"]["max-size"], "20m");
    assert.equal(fs.readFileSync("/var/run/docker.pid", "utf8").trim(), dockerdPid, "dockerd was not restarted");
    assert.match(run.output, /docker: the new log options apply to containers made from now on; no restart/);
    recordFault("a dockerLogs change while a site serves under load", 1, `0 failed of ${result.ok} requests; dockerd not restarted (log options need none); each site's container replaced beside the old one`);
  });

  it("dockerd restarted under load (an address-pool change, a docker upgrade): live-restore keeps every container running", async () => {
    const containers = sh("docker ps -q --filter label=simple-paas.site; docker ps -q --filter label=simple-paas.memcached; docker ps -q --filter name=^simple-paas-proxy$").trim().split("\n").filter(Boolean);
    const started = () => Object.fromEntries(containers.map((c) => [c, sh(`docker inspect -f '{{.State.StartedAt}} {{.State.Running}}' ${c}`).trim()]));
    assert.ok(containers.length >= 7, `three sites, their memcached and the proxy: ${containers.join(" ")}`);
    const before = started();
    const dockerdPid = fs.readFileSync("/var/run/docker.pid", "utf8").trim();
    const load = startLoad("beta.test", roots, { address: hostAddress(), max: 2400 });
    // As the host's packages step restarts it: the product's own service code.
    const restart = runBash(`sp_log() { echo "$*" >&2; }; sp_die() { echo "$*" >&2; exit 1; }; SP_DAEMON_LOG_DIR=/var/log/simple-paas
      . ${JSON.stringify(path.resolve(__dirname, "../../components/host-scripts/lib/services.sh"))}
      sp_service restart docker
      for i in $(seq 1 120); do docker info >/dev/null 2>&1 && exit 0; sleep 1; done; exit 1`);
    assert.equal(restart.status, 0, `dockerd restarted and answers:\n${restart.stderr}`);
    await eventually(() => httpsGet("beta.test", "/health", roots).then((r) => { if (r.status !== 200) throw new Error(String(r.status)); }), 60, 500);
    const result = await load.stop();
    assert.notEqual(fs.readFileSync("/var/run/docker.pid", "utf8").trim(), dockerdPid, "dockerd did restart");
    assert.deepEqual(started(), before, "every site, memcached and proxy container kept running from the same start");
    // What a restart costs: docker makes its NAT rules afresh as it starts; in that moment a new connection is refused.
    for (const f of result.failed) assert.match(f, /Couldn't connect to server|Connection refused/, `only refused connections, no request cut or answered wrongly: ${f}`);
    assert.ok(result.ok > 10, `the load ran (${result.ok})`);
    recordFault("dockerd restarted while the sites serve under load", 1,
      `every container kept running (live-restore); ${result.failed.length} of ${result.ok + result.failed.length} new connections refused while docker re-made its NAT rules, none cut or answered wrongly`);
  });

  it("a restore drill that finds a damaged pack fails loudly; sp status exits 1 naming it", () => {
    sh("/usr/local/bin/sp drill alpha");
    for (const pack of sh("find /var/backups/simple-paas/alpha/data -type f").trim().split("\n")) {
      const buf = fs.readFileSync(pack);
      for (let i = Math.floor(buf.length / 2); i < Math.floor(buf.length / 2) + 32 && i < buf.length; i++) buf[i] ^= 0xff;
      fs.chmodSync(pack, 0o600);
      fs.writeFileSync(pack, buf);
    }
    const r = runBash("/usr/local/bin/sp drill alpha");
    assert.equal(r.status, 1, r.stderr);
    const st = runBash("/usr/local/bin/sp status alpha");
    assert.equal(st.status, 1);
    assert.match(st.stdout, /alpha: the last restore drill failed: /);
    recordFault("a damaged pack in a site's repository (restore drill)", 1, "sp drill exits 1 with restic's complaint; the drill status is failed; sp status exits 1 with the reason");
  });

  it("a new generation on a host that still runs is refused before anything changes; set back, a preview is empty", async () => {
    const host = platform.host;
    await assert.rejects(async () => {
      await platform.setHost({ ...platform.host, generation: "2" });
      await platform.stack.up();
    }, /this host runs generation 1 with the sites .*: a new generation \(2\) is for a new or wiped host/);
    for (const site of SITES) assert.equal((await httpsGet(`${site}.test`, "/health", roots)).status, 200, `${site} still serves`);
    await platform.setHost(host);
    assert.deepEqual(await platform.preview(), [], "nothing changed on the host");
    recordFault("a new generation on a live host", 1, "refused by the host's first step with what to do (set it back, or forceNewGeneration); nothing changed");
  });

  it("old site images are pruned, keeping the ones in use and each site's previous deployment", async () => {
    const image = (tag: string) => sh(`docker image inspect -f '{{.Id}}' ${platform.env.registry}/site-app:${tag}`).trim();
    await platform.setSites(SITES.map((s) => siteConfig(s, s === "alpha" ? "v2" : "v1")));
    await platform.up();
    await platform.setSites(SITES.map((s) => siteConfig(s)));
    await platform.up();
    const history = fs.readFileSync("/var/lib/simple-paas/backup-status/alpha.images", "utf8").trim().split("\n").map((l) => l.split(" ")[1]);
    assert.deepEqual(history.slice(-2), [image("v2"), image("v1")], "the route step recorded alpha's deployments");
    const dry = sh("/usr/local/bin/sp prune-images --keep 1 --dry-run");
    assert.match(dry, new RegExp(`would remove ${image("v2")}`), "v2 is no container's and not alpha's newest");
    assert.doesNotMatch(dry, new RegExp(image("v1")), "v1 runs");
    sh("/usr/local/bin/sp prune-images --keep 1");
    assert.equal(spawnSync("docker", ["image", "inspect", `${platform.env.registry}/site-app:v2`]).status, 1, "v2 is gone");
    sh("/usr/local/bin/sp prune-images --keep 2");
    assert.match(fs.readFileSync("/etc/cron.d/simple-paas-host", "utf8"), /^40 4 \* \* \* root '\/usr\/local\/bin\/sp' prune-images --keep '2'/m);
    recordFault("site images pile up with every deploy", 1, "sp prune-images (the host's cron, daily) removes site images no container uses beyond each site's newest N deployments (default 2)");
  });
});

