/**
 * Backups, restores and disaster recovery for real: `sp` on the host the
 * real engine set up, cron running the schedule, MariaDB stopped mid-way, a
 * wiped host brought back by the README's runbook (timed against restic and
 * the SQL imports done by hand), and destroy + up.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { sh } from "../support/run";
import { Platform, SITES, createPlatform, disposePlatform, dropSiteDatabases, eventually, printDiagnostics, assertCertificatesReady, httpsGet, pebbleRoots, rootSql, siteConfig } from "./platform-fixture";
import { rawRestoreSeconds, report } from "./recovery-timing";

function resticSnapshots(site: string): { id: string; short_id: string; tags?: string[]; paths: string[] }[] {
  return JSON.parse(sh(`RESTIC_PASSWORD_FILE=/etc/simple-paas/sites/${site}/backup/restic_pass restic -r /var/backups/simple-paas/${site} snapshots --json`));
}

function treeHash(dir: string): string {
  return sh(`cd ${JSON.stringify(dir)} && find public private -type f -print0 | sort -z | xargs -0 -r sha256sum`);
}

function sp(args: string): string {
  return sh(`/usr/local/bin/sp ${args}`);
}

describe("backups, restores and disaster recovery", function () {
  this.timeout(60 * 60_000);
  let platform: Platform;
  let roots = "";

  before(async () => {
    platform = await createPlatform("recovery", { backup: { tar: { dir: "/var/backups/simple-paas-tar", keep: 2 } } });
    await platform.up();
    roots = pebbleRoots(platform.env);
    await assertCertificatesReady(platform, SITES);
  });

  afterEach(function () { printDiagnostics(this.currentTest, platform?.env); });
  after(() => disposePlatform(platform));

  async function writeContent(site: string, note: string): Promise<void> {
    const r = await eventually(() => httpsGet(`${site}.test`, `/db?note=${note}`, roots, { method: "POST" }));
    assert.equal(r.status, 200, r.body);
    fs.writeFileSync(`/sites/${site}/data/public/${note}.txt`, `${note}\n`);
    sh(`chown ${site}:${site} /sites/${site}/data/public/${note}.txt`);
  }

  it("backs up with sp backup --all and from the cron schedule: files + dump, tmp excluded, shown by sp status", async () => {
    for (const site of SITES) await writeContent(site, `before-${site}`);
    fs.writeFileSync("/sites/alpha/data/tmp/scratch.txt", "not backed up\n");
    sp("backup --all");
    for (const site of SITES) {
      const snaps = resticSnapshots(site);
      assert.equal(snaps.length, 1, `${site} has one snapshot`);
      assert.ok(snaps[0].tags?.includes(`site=${site}`));
    }
    const files = sh(`RESTIC_PASSWORD_FILE=/etc/simple-paas/sites/alpha/backup/restic_pass restic -r /var/backups/simple-paas/alpha ls latest`);
    assert.match(files, /^\/dump\/alpha\.sql$/m);
    assert.match(files, /^\/data\/public\/before-alpha\.txt$/m);
    assert.doesNotMatch(files, /scratch\.txt/);
    const status = sp("status");
    for (const site of SITES) assert.match(status, new RegExp(`^${site} .*result=ok`, "m"));
    // The schedule: the cron entry the component installed, run by the real cron daemon.
    const cronLine = fs.readFileSync("/etc/cron.d/simple-paas-beta-backup", "utf8").split("\n").find((l) => /backup/.test(l) && !l.startsWith("#"))!;
    fs.writeFileSync("/etc/cron.d/simple-paas-e2e-now", cronLine.replace(/^@hourly|^\S+ \S+ \S+ \S+ \S+/, "* * * * *") + "\n");
    try {
      await eventually(async () => {
        const kinds = resticSnapshots("beta").flatMap((s) => s.tags ?? []);
        if (!kinds.includes("kind=scheduled")) throw new Error("no scheduled snapshot yet");
      }, 150, 1000);
    } finally {
      fs.rmSync("/etc/cron.d/simple-paas-e2e-now", { force: true });
    }
  });

  it("fails a backup while MariaDB is stopped, says so in sp status, and keeps the earlier snapshots", () => {
    const before = resticSnapshots("gamma").length;
    sh("mysqladmin shutdown");
    try {
      const r = sh("/usr/local/bin/sp backup gamma; echo EXIT=$?");
      assert.match(r, /EXIT=1/);
    } finally {
      sh("install -d -o mysql -g root /run/mysqld; start-stop-daemon --start --oknodo --background --pidfile /run/mysqld/mysqld.pid --exec /usr/sbin/mariadbd -- --user=mysql --pid-file=/run/mysqld/mysqld.pid; for i in $(seq 60); do mysqladmin ping >/dev/null 2>&1 && break; sleep 1; done");
    }
    assert.match(sh("/usr/local/bin/sp status gamma; true"), /result=failed/);
    assert.match(fs.readFileSync("/var/log/simple-paas/backup.log", "utf8"), /gamma.*fail/i);
    assert.equal(resticSnapshots("gamma").length, before);
    sp("backup gamma");
    assert.match(sp("status gamma"), /result=ok/);
  });

  it("prunes with retention and checks the repository; the tar option gives a restorable archive", () => {
    sp("prune --all");
    const archives = fs.readdirSync("/var/backups/simple-paas-tar").filter((f) => f.startsWith("alpha-"));
    assert.ok(archives.length >= 1 && archives.length <= 2, archives.join(","));
    const listing = sh(`tar -tzf /var/backups/simple-paas-tar/${archives.sort().pop()}`);
    assert.match(listing, /^dump\/alpha\.sql$/m);
  });

  it("restores the latest and a chosen older snapshot: files and rows equal to the snapshot's", async () => {
    const first = resticSnapshots("alpha")[0].short_id;
    const hashAtFirst = treeHash("/sites/alpha/data");
    await writeContent("alpha", "second");
    sp("backup alpha");
    const hashAtSecond = treeHash("/sites/alpha/data");
    const rowsAtSecond = rootSql("SELECT note FROM alpha.visits ORDER BY id");
    await writeContent("alpha", "after");
    sp("restore alpha --yes");
    assert.equal(treeHash("/sites/alpha/data"), hashAtSecond);
    assert.equal(rootSql("SELECT note FROM alpha.visits ORDER BY id"), rowsAtSecond);
    sp(`restore alpha ${first} --yes`);
    assert.equal(treeHash("/sites/alpha/data"), hashAtFirst);
    assert.doesNotMatch(rootSql("SELECT note FROM alpha.visits"), /second/);
    const page = await eventually(() => httpsGet("alpha.test", "/db", roots).then((r) => { if (r.status !== 200) throw new Error(r.body); return r; }));
    assert.match(page.body, /before-alpha/);
  });

  it("runs every sp subcommand with real effects", () => {
    assert.match(sp("list"), /^alpha /m);
    assert.match(sp("exec beta sh -c 'echo $DATABASE_NAME; id -u'"), /^beta\n33\n$/);
    assert.match(sh("/usr/local/bin/sp logs gamma --tail 50 2>&1"), /GET \/health/, "the container's own log lines");
    assert.match(sp("snapshots gamma"), /kind=manual/);
    assert.match(sh("/usr/local/bin/sp shell alpha </dev/null; echo EXIT=$?"), /EXIT=2/, "a shell needs a terminal");
    // A tar archive restores too: take one, change the site, restore the archive.
    sp("backup gamma");
    const archive = fs.readdirSync("/var/backups/simple-paas-tar").filter((f) => f.startsWith("gamma-")).sort().pop()!;
    const filesAtArchive = treeHash("/sites/gamma/data");
    const rowsAtArchive = rootSql("SELECT note FROM gamma.visits ORDER BY id");
    fs.writeFileSync("/sites/gamma/data/public/later.txt", "later\n");
    rootSql("INSERT INTO gamma.visits (note) VALUES ('later')");
    sp(`tar-restore gamma ${archive} --yes`);
    assert.equal(treeHash("/sites/gamma/data"), filesAtArchive);
    assert.equal(rootSql("SELECT note FROM gamma.visits ORDER BY id"), rowsAtArchive);
    assert.match(sh("/usr/local/bin/sp nonsense; echo EXIT=$?"), /EXIT=2/);
  });

  it("brings every site back after the host is wiped, with the README's runbook (new generation, pulumi up; no refresh)", async () => {
    // Some data: a few MB of files and a few thousand rows per site.
    for (const site of SITES) {
      sh(`head -c 8M /dev/urandom >/sites/${site}/data/public/blob.bin && chown ${site}:${site} /sites/${site}/data/public/blob.bin`);
      const rows = Array.from({ length: 4000 }, (_, i) => `('bulk-${i}-${"x".repeat(100)}')`).join(",");
      rootSql(`INSERT INTO ${site}.visits (note) VALUES ${rows}`);
    }
    for (const site of SITES) sp(`backup ${site}`);
    const expected = Object.fromEntries(SITES.map((s) => [s, { files: treeHash(`/sites/${s}/data`), rows: rootSql(`SELECT note FROM ${s}.visits ORDER BY id`) }]));
    const floor = rawRestoreSeconds();
    const finalSnapshots = (s: string) => resticSnapshots(s).filter((snap) => snap.tags?.includes("kind=final")).length;
    const finalsBefore = SITES.map(finalSnapshots);
    // The wipe: containers, images, the network, the proxy's volume, site databases and users, the
    // admin account, /sites, /etc/simple-paas, cron files, sp. The repositories survive.
    sh(`docker rm -f $(docker ps -aq --filter label=simple-paas.site) $(docker ps -aq --filter label=simple-paas.memcached) simple-paas-proxy`);
    sh(`for n in $(docker network ls -q --filter label=simple-paas.generation); do docker network rm "$n"; done; docker volume rm simple-paas-proxy-data`);
    sh(`docker image rm ${platform.env.registry}/site-app:v1 ${platform.env.publicRegistry}/caddy:2.6 ${platform.env.publicRegistry}/memcached:1.6`);
    dropSiteDatabases(SITES);
    rootSql("DROP USER 'simple_paas_admin'@'127.0.0.1'; DROP USER 'simple_paas_admin'@'localhost';");
    sh("rm -rf /sites /etc/simple-paas /etc/cron.d/simple-paas-* /usr/local/bin/sp /var/lib/simple-paas");
    const gone = Date.now();
    // The runbook: a new host generation, then `pulumi up`.
    await platform.setHost({ ...platform.host, generation: "2" });
    await platform.up();
    for (const site of SITES) {
      const page = await eventually(() => httpsGet(`${site}.test`, "/db", roots).then((r) => { if (r.status !== 200) throw new Error(r.body); return r; }), 120, 500);
      assert.match(page.body, new RegExp(`before-${site}`));
    }
    const recovered = (Date.now() - gone) / 1000;
    report("wiped host", recovered, floor);
    assert.deepEqual(SITES.map(finalSnapshots), finalsBefore, "no final backup of the empty new sites was taken (it would have become the latest)");
    for (const site of SITES) {
      assert.equal(treeHash(`/sites/${site}/data`), expected[site].files);
      assert.equal(rootSql(`SELECT note FROM ${site}.visits ORDER BY id`), expected[site].rows);
    }
  });

  it("loses no data through pulumi destroy and pulumi up", async () => {
    await writeContent("beta", "last-words");
    const rows = rootSql("SELECT note FROM beta.visits ORDER BY id");
    await platform.destroy();
    assert.equal(rootSql("SHOW DATABASES LIKE 'beta'").trim(), "");
    assert.ok(!fs.existsSync("/sites/beta/data/public/last-words.txt"), "destroy deleted the data (deleteDataOnDestroy): up must restore it");
    await platform.setSites(SITES.map((s) => siteConfig(s)));
    await platform.up();
    assert.equal(rootSql("SELECT note FROM beta.visits ORDER BY id"), rows);
    const file = await eventually(() => httpsGet("beta.test", "/file/last-words.txt", roots).then((r) => { if (r.status !== 200) throw new Error(r.body); return r; }));
    assert.equal(file.body, "last-words\n");
  });
});
