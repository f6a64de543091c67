/**
 * Executes the very `sp` text renderSpCommand returns against a real
 * MariaDB and real restic repositories. MariaDB is a private instance
 * (own datadir, socket and loopback port, started like the host's), so
 * stopping it for the outage case and creating users never touches the
 * shared server other tests use. docker is a logging stand-in (see
 * DOCKER_STUB): the real container paths are covered by the e2e tests.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { renderSpCommand } from "../../components/render/sp-command";
import { renderEnvFile } from "../../components/render/shell";
import { runBash, sh, type RunResult } from "../support/run";

const DOCKER_STUB = `#!/bin/bash
# Test stand-in for docker. $SP_DOCKER_STUB/containers: "site id name state
# health" lines, newest first. Every call is appended to $SP_DOCKER_STUB/calls.
set -euo pipefail
stub="$SP_DOCKER_STUB"
printf '%s\\n' "$*" >>"$stub/calls"
cmd="$1"; shift
if [[ "$cmd" == container ]]; then cmd="$1"; shift; fi
touch "$stub/containers"
case "$cmd" in
  info) exit 0 ;;
  ps)
    all=0 quiet=0 site=""
    while (( $# )); do
      case "$1" in -a) all=1 ;; -q) quiet=1 ;; --filter) site="\${2#label=simple-paas.site=}"; shift ;; --format) shift ;; esac
      shift
    done
    while read -r s id name state health; do
      if [[ "$s" != "$site" ]] || { (( ! all )) && [[ "$state" != running ]]; }; then continue; fi
      if (( quiet )); then echo "$id"; else echo "$name $state"; fi
    done <"$stub/containers" ;;
  inspect) awk -v id="\${!#}" '$2 == id { print "/" $3, $4, $5 }' "$stub/containers" ;;
  exec) while [[ "$1" == -* ]]; do shift; done; shift; exec "$@" ;;
  stop | start) printf '%s\\n' "$@" ;;
  logs) echo "logs $*" ;;
  *) echo "stub docker: $cmd not supported" >&2; exit 1 ;;
esac
`;

const rand = crypto.randomBytes(3).toString("hex");
const A = `alpha-${rand}`; // broken on purpose (wrong restic password): sorts first for --all
const B = `blog-${rand}`;
const S = `spare-${rand}`; // never backed up
const db = (site: string) => site.replace(/-/g, "_");

describe("sp backup, prune and restore (real MariaDB and restic)", function () {
  this.timeout(10 * 60_000);
  let tmp: string;
  let sock: string;
  let port: number;
  let sp: string;
  let env: NodeJS.ProcessEnv;
  const secret = `restic-env-secret-${rand}`;
  /** Sites a test makes for itself (their users go in after()). */
  const extraSites: string[] = [];
  const dir = (...p: string[]) => path.join(tmp, ...p);
  const data = (site: string, ...p: string[]) => dir("sites", site, "data", ...p);
  const run = (...args: string[]): RunResult => runBash(sp, { args, env, timeoutMs: 5 * 60_000 });
  const ok = (...args: string[]): RunResult => {
    const r = run(...args);
    assert.equal(r.status, 0, `sp ${args.join(" ")} exited ${r.status}\n${r.stderr}`);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(secret), "restic.env must never be printed");
    return r;
  };
  const sql = (query: string, database = "") =>
    sh(`mariadb --no-defaults --socket=${sock} -uroot -N -B -e ${JSON.stringify(query)} ${database}`);
  const rows = (site: string) => sql("SELECT id, title, HEX(body) FROM posts ORDER BY id", db(site));
  const startMariadb = () => {
    sh(`start-stop-daemon --start --oknodo --background --pidfile ${dir("mysql-run", "pid")} --exec /usr/sbin/mariadbd -- ` +
      `--no-defaults --user=mysql --datadir=${dir("mysql")} --socket=${sock} --port=${port} --bind-address=127.0.0.1 ` +
      `--pid-file=${dir("mysql-run", "pid")} --skip-log-bin --log-error=${dir("mysql-run", "err.log")}`);
    sh(`for i in $(seq 1 120); do mysqladmin --no-defaults --socket=${sock} ping >/dev/null 2>&1 && exit 0; sleep 0.5; done; cat ${dir("mysql-run", "err.log")} >&2; exit 1`);
  };
  const resticEnv = (site: string) => ({
    ...process.env, RESTIC_REPOSITORY: dir("repos", site), RESTIC_PASSWORD_FILE: dir("conf", "sites", site, "backup", "restic_pass"),
    RESTIC_CACHE_DIR: dir("cache"),
  });
  const snapshots = (site: string): { short_id: string; tags: string[] }[] =>
    JSON.parse(sh("restic snapshots --json", { env: resticEnv(site) }));
  const status = (site: string, kind = "") => sh(`. ${dir("status", site + kind)}; printf '%s|%s|%s|%s' "$SP_LAST_RESULT" "$SP_LAST_SNAPSHOT" "$SP_LAST_MESSAGE" "$SP_LAST_GOOD_TIME"`).split("|");
  const dump = (site: string) => dir("sites", site, "dump", `${db(site)}.sql`);
  /** "sha256  path" of every file in public/ private/ sql/ but cache contents (never backed up). */
  const tree = (site: string) =>
    sh(`cd ${data(site)} && find public private sql -type f ! -path public/cache/page -print0 | sort -z | xargs -0r sha256sum`);
  const change = (site: string) => {
    fs.writeFileSync(data(site, "public", "index.html"), `changed ${Math.random()}`);
    fs.writeFileSync(data(site, "public", "added.txt"), "added");
    fs.rmSync(data(site, "private", "it's a key"), { force: true });
    sql(`UPDATE posts SET title = 'changed' WHERE id = 1; INSERT INTO posts VALUES (${Date.now() % 100000 + 10}, 'new', NULL); DELETE FROM posts WHERE id = 2`, db(site));
  };

  function makeSite(site: string, opts: { tar?: boolean; keepLast?: number }) {
    const user = `sp-${site}`;
    sh(`groupadd --system ${user} && useradd --system --no-create-home --gid ${user} --shell /usr/sbin/nologin ${user}`);
    sh(`install -d -m 0750 -g ${user} ${dir("sites", site)} && install -d -m 2770 -o ${user} -g ${user} ${data(site)} ` +
      ["public", "private", "sql", "tmp"].map((d) => data(site, d)).join(" "));
    const conf = dir("conf", "sites", site);
    fs.mkdirSync(path.join(conf, "backup"), { recursive: true, mode: 0o700 });
    fs.mkdirSync(path.join(conf, "secrets"), { recursive: true, mode: 0o750 });
    // The private server listens on a loopback port: the site's account is reached over TCP (on a host, over the socket).
    fs.writeFileSync(path.join(conf, "site.env"), renderEnvFile({
      SP_SITE: site, SP_DATA_DIR: data(site), SP_DUMP_DIR: dir("sites", site, "dump"), SP_DB_NAME: db(site), SP_DB_USER: db(site), SP_USER: user, SP_GROUP: user,
      SP_DB_CLIENT: "tcp", SP_DB_HOST: "127.0.0.1", SP_DB_PORT: port, SP_DB_TLS: "off", SP_DB_CA_FILE: "",
    }), { mode: 0o600 });
    fs.writeFileSync(path.join(conf, "backup", "backup.env"), renderEnvFile({
      SP_RESTIC_REPOSITORY: dir("repos", site), SP_KEEP_LAST: opts.keepLast ?? 3, SP_KEEP_HOURLY: 0, SP_KEEP_DAILY: 7,
      SP_KEEP_WEEKLY: 0, SP_KEEP_MONTHLY: 0, SP_KEEP_YEARLY: 0, SP_TAR_DIR: opts.tar ? dir("tar") : "", SP_TAR_KEEP: 2, SP_TAR_KEEP_DAYS: 7,
      SP_BACKUP_MAX_AGE: 5400, SP_DRILL: "yes", SP_DRILL_MAX_AGE: 606600, SP_DRILL_READ_DATA_PERCENT: 50,
    }), { mode: 0o600 });
    fs.writeFileSync(path.join(conf, "backup", "restic_pass"), crypto.randomBytes(24).toString("hex"), { mode: 0o600 });
    fs.writeFileSync(path.join(conf, "backup", "restic.env"), `export RESTIC_CACHE_DIR='${dir("cache")}'\nexport SP_TEST_SECRET='${secret}'\n`, { mode: 0o600 });
    const pw = crypto.randomBytes(12).toString("hex");
    sql(`CREATE DATABASE ${db(site)} CHARACTER SET latin1 COLLATE latin1_swedish_ci; ` +
      `CREATE USER '${db(site)}'@'127.0.0.1' IDENTIFIED BY '${pw}'; GRANT ALL ON ${db(site)}.* TO '${db(site)}'@'127.0.0.1'; ` +
      `CREATE TABLE ${db(site)}.posts (id INT PRIMARY KEY, title VARCHAR(100), body BLOB); ` +
      `INSERT INTO ${db(site)}.posts VALUES (1, 'hello', NULL), (2, 'it''s', UNHEX('00FF0A27')); ` +
      `CREATE PROCEDURE ${db(site)}.post_count() SELECT COUNT(*) FROM ${db(site)}.posts`);
    fs.writeFileSync(path.join(conf, "secrets", "db_pass"), pw, { mode: 0o440 });
    fs.writeFileSync(data(site, "public", "index.html"), "<h1>hello</h1>");
    fs.writeFileSync(data(site, "public", "logo.bin"), crypto.randomBytes(4096));
    fs.writeFileSync(data(site, "private", "it's a key"), "k");
    fs.writeFileSync(data(site, "tmp", "session"), "scratch");
    fs.mkdirSync(data(site, "public", "cache"));
    fs.writeFileSync(data(site, "public", "cache", "CACHEDIR.TAG"), "Signature: 8a477f597d28d172789f06886806bc55\n");
    fs.writeFileSync(data(site, "public", "cache", "page"), "cached");
    sh(`chown -R ${user}:${user} ${data(site)}`);
  }

  before(async () => {
    for (const bin of ["mariadbd", "mariadb-install-db", "restic", "flock"]) {
      sh(`command -v ${bin} || test -x /usr/sbin/${bin} || { echo "${bin} missing: run scripts/test-env/install-packages.sh" >&2; exit 1; }`);
    }
    tmp = fs.mkdtempSync("/tmp/sp-backup-test-");
    fs.chmodSync(tmp, 0o755); // mariadbd runs as mysql
    sock = dir("mysql-run", "sock");
    port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    sh(`install -d -o mysql -g mysql -m 0750 ${dir("mysql")} ${dir("mysql-run")} && mariadb-install-db --no-defaults --user=mysql --datadir=${dir("mysql")} --auth-root-authentication-method=socket >/dev/null`);
    startMariadb();
    const adminPw = crypto.randomBytes(16).toString("hex");
    sql(`CREATE USER 'spadmin'@'127.0.0.1' IDENTIFIED BY '${adminPw}'; GRANT ALL ON *.* TO 'spadmin'@'127.0.0.1' WITH GRANT OPTION`);
    fs.mkdirSync(dir("conf", "sites"), { recursive: true });
    fs.writeFileSync(dir("conf", "mysql-admin.cnf"), `[client]\nuser=spadmin\npassword=${adminPw}\nhost=127.0.0.1\nport=${port}\n`, { mode: 0o600 });
    fs.writeFileSync(dir("conf", "host.env"), renderEnvFile({
      SP_SITES_ROOT: dir("sites"), SP_CONFIG_DIR: dir("conf"), SP_NETWORK: "simple-paas", SP_PROXY_CONTAINER: "simple-paas-proxy",
      SP_STATUS_DIR: dir("status"), SP_LOG_FILE: dir("log", "backup.log"),
    }));
    fs.mkdirSync(dir("bin"));
    fs.mkdirSync(dir("docker"));
    fs.writeFileSync(dir("bin", "docker"), DOCKER_STUB, { mode: 0o755 });
    env = { ...process.env, PATH: `${dir("bin")}:${process.env.PATH}`, SP_DOCKER_STUB: dir("docker") };
    sp = renderSpCommand({ configDir: dir("conf") });
    makeSite(A, {});
    makeSite(B, { tar: true, keepLast: 1 });
    makeSite(S, {});
    // alpha's repository exists, but with another password than alpha's restic_pass.
    fs.writeFileSync(dir("other-pass"), "not alpha's password");
    sh("restic init", { env: { ...resticEnv(A), RESTIC_PASSWORD_FILE: dir("other-pass") } });
  });

  after(() => {
    if (!tmp) return;
    runBash(`mysqladmin --no-defaults --socket=${sock} shutdown 2>/dev/null || true`);
    for (const site of [A, B, S, ...extraSites]) runBash(`userdel sp-${site} 2>/dev/null; groupdel sp-${site} 2>/dev/null; true`);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  let first = ""; // snapshot of the first backup of B
  let firstTree = "";
  let firstRows = "";

  it("backs up the dump (in the site's dump dir, root's alone) and the files (not tmp/, not caches) and records ok with the snapshot id", () => {
    const r = ok("backup", B);
    const snaps = snapshots(B);
    assert.equal(snaps.length, 1);
    first = snaps[0].short_id;
    assert.deepEqual(snaps[0].tags, [`site=${B}`, "kind=manual", "layout=2"]);
    const files = sh("restic ls latest", { env: resticEnv(B) }).split("\n");
    for (const f of [`/dump/${db(B)}.sql`, "/data/public/index.html", "/data/public/logo.bin", "/data/private/it's a key", "/data/public/cache/CACHEDIR.TAG"]) {
      assert.ok(files.includes(f), `${f} in the snapshot`);
    }
    assert.ok(!files.some((f) => f.startsWith("/data/tmp") || f === "/data/public/cache/page" || f.includes(".sp-tmp.")), files.join("\n"));
    const text = fs.readFileSync(dump(B), "utf8");
    assert.match(text, /CREATE TABLE `posts`/);
    assert.match(text, /PROCEDURE `post_count`/);
    assert.doesNotMatch(text, /CREATE DATABASE/);
    assert.equal(sh(`stat -c '%U %a' ${dump(B)}`).trim(), "root 600");
    assert.equal(sh(`stat -c '%U %a' ${dir("sites", B, "dump")}`).trim(), "root 700", "the site cannot replace the dump");
    assert.deepEqual(fs.readdirSync(data(B, "sql")), [], "nothing of root's in the site's own sql/");
    const [result, snapshot, message, good] = status(B);
    assert.deepEqual([result, snapshot, message], ["ok", first, `kind=manual snapshot=${first} archive=${fs.readdirSync(dir("tar")).map((f) => dir("tar", f))[0]}`]);
    assert.match(good, /^\d{4}-\d\d-\d\dT/);
    assert.match(fs.readFileSync(dir("log", "backup.log"), "utf8"), new RegExp(`site=${B} action=backup result=ok kind=manual snapshot=${first}`));
    assert.match(r.stderr, /creating the restic repository/);
    firstTree = tree(B);
    firstRows = rows(B);
  });

  it("restores the latest snapshot (the dump imported by the site's own account, sandboxed): same file hashes, same rows, tmp/ kept, ownership and grants intact", () => {
    change(B);
    fs.writeFileSync(data(B, "tmp", "upload"), "in flight");
    const refused = run("restore", B);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /add --yes/);
    assert.notEqual(tree(B), firstTree, "nothing restored without --yes");
    ok("restore", B, "--yes");
    assert.equal(tree(B), firstTree);
    assert.equal(rows(B), firstRows);
    assert.equal(fs.readFileSync(data(B, "tmp", "upload"), "utf8"), "in flight");
    assert.ok(!fs.existsSync(data(B, "public", "cache", "page")), "cache contents are not backed up");
    assert.equal(sh(`find ${data(B, "public")} ${data(B, "private")} ${data(B, "sql")} ! -user sp-${B} | wc -l`).trim(), "0");
    assert.equal(sh(`stat -c %a ${data(B, "public")}`).trim(), "2770");
    assert.match(sql(`SHOW CREATE DATABASE ${db(B)}`), /latin1_swedish_ci/);
    const pw = fs.readFileSync(dir("conf", "sites", B, "secrets", "db_pass"), "utf8");
    assert.equal(sh(`mariadb --no-defaults -h127.0.0.1 -P${port} -u${db(B)} -p${pw} -N -B -e 'CALL post_count()' ${db(B)}`).trim(), "2");
    assert.equal(sh(`ls -a ${dir("sites", B)}`).includes(".sp-restore"), false, "staging dir removed");
    assert.deepEqual(fs.readdirSync("/run").filter((f) => f.startsWith("simple-paas-import")), [], "the import's option file removed");
  });

  it("restores a chosen older snapshot", () => {
    change(B);
    ok("backup", B, "--scheduled");
    const secondTree = tree(B);
    const secondRows = rows(B);
    const second = snapshots(B)[1].short_id;
    change(B);
    ok("restore", B, first, "--yes");
    assert.equal(tree(B), firstTree);
    assert.equal(rows(B), firstRows);
    ok("restore", B, second, "--yes");
    assert.equal(tree(B), secondTree);
    assert.equal(rows(B), secondRows);
  });

  it("fails a backup when MariaDB is down: exit 1, logged, status failed, no new snapshot, old dump kept", () => {
    const before = snapshots(B).length;
    const dumpBefore = fs.readFileSync(dump(B));
    sh(`mysqladmin --no-defaults --socket=${sock} shutdown`);
    try {
      const r = run("backup", B);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /database dump failed/);
      const [result, snap, message, good] = status(B);
      assert.deepEqual([result, snap], ["failed", ""]);
      assert.match(message, /database dump failed .*connect/);
      assert.match(good, /^\d{4}-/, "the last good backup's time stays");
      assert.match(fs.readFileSync(dir("log", "backup.log"), "utf8"), new RegExp(`site=${B} action=backup result=failed database dump failed`));
      assert.equal(snapshots(B).length, before);
      assert.deepEqual(fs.readFileSync(dump(B)), dumpBefore);
      assert.deepEqual(fs.readdirSync(dir("sites", B, "dump")), [`${db(B)}.sql`], "no temp dump left");
    } finally {
      startMariadb();
    }
    const st = run("status", B);
    assert.equal(st.status, 1);
    assert.match(st.stdout, /result=failed/);
    assert.match(st.stdout, /^  blog-\w+: the last backup failed: database dump failed/m);
  });

  it("fails a backup that outlives SP_BACKUP_TIMEOUT; one that cannot get the site's lock says it was skipped and leaves the status alone", () => {
    fs.writeFileSync(dir("bin", "mariadb-dump"), "#!/bin/sh\nsleep 60\n", { mode: 0o755 });
    try {
      const r = runBash(sp, { args: ["backup", B], env: { ...env, SP_BACKUP_TIMEOUT: "2" } });
      assert.equal(r.status, 1);
      assert.deepEqual(status(B).slice(0, 2), ["failed", ""]);
      assert.match(status(B)[2], /timed out after 2s/);
    } finally {
      fs.rmSync(dir("bin", "mariadb-dump"));
    }
    // The lock held by someone else (cron's backup) for longer than SP_LOCK_WAIT.
    fs.writeFileSync(dir("sp"), sp);
    const before = status(B);
    const r = runBash(`flock ${dir("status", `${B}.lock`)} bash ${dir("sp")} backup ${B}`, { env: { ...env, SP_LOCK_WAIT: "1" } });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /action=backup result=skipped another backup, prune, restore or drill of '.*' still runs after 1s: this one did not run/);
    assert.deepEqual(status(B), before, "the status is the one that holds the lock's to write");
  });

  it("two backups of one site at once: the second waits, and as the first succeeded meanwhile it is skipped, saying so", async () => {
    ok("backup", B);
    fs.writeFileSync(dir("sp"), sp);
    // The first holds the lock for a while (its dump is slow); the second starts meanwhile.
    fs.writeFileSync(dir("bin", "mariadb-dump"), `#!/bin/sh\nsleep 3\nexec /usr/bin/mariadb-dump "$@"\n`, { mode: 0o755 });
    try {
      const spawn = (await import("node:child_process")).spawn;
      const start = () => new Promise<{ code: number; err: string }>((resolve) => {
        const c = spawn("bash", [dir("sp"), "backup", B], { env });
        let err = "";
        c.stderr.on("data", (d) => { err += d; });
        c.on("close", (code) => resolve({ code: code ?? -1, err }));
      });
      const one = start();
      await new Promise((r) => setTimeout(r, 1000));
      const two = start();
      const [r1, r2] = await Promise.all([one, two]);
      assert.equal(r1.code, 0, r1.err);
      assert.equal(r2.code, 0, r2.err);
      assert.match(r2.err, /action=backup result=skipped another backup of .* finished while this one waited for it/);
      assert.equal(status(B)[0], "ok");
    } finally {
      fs.rmSync(dir("bin", "mariadb-dump"));
    }
  });

  it("runs scheduled backups of different sites one at a time, waiting a bounded time; an operator's backup never waits for them", () => {
    fs.writeFileSync(dir("sp"), sp);
    const slot = dir("status", "scheduled-backups.lock");
    // Another site's scheduled backup holds the slot for longer than this one may wait (a site whose dump
    // hangs on its own locked tables): this one runs beside it rather than not at all.
    const before = status(B);
    let r = runBash(`flock ${slot} bash ${dir("sp")} backup ${B} --scheduled`, { env: { ...env, SP_LOCK_WAIT: "1" } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /other sites' scheduled backups still run after 1s: this one runs beside them/);
    assert.equal(status(B)[0], "ok");
    assert.notDeepEqual(status(B), before, "a new backup");
    // An operator's backup does not queue behind them.
    r = runBash(`flock ${slot} bash ${dir("sp")} backup ${B}`, { env: { ...env, SP_LOCK_WAIT: "1" } });
    assert.equal(r.status, 0, r.stderr);
    // The slot is released while this one waits: its dump starts only after that.
    fs.writeFileSync(dir("bin", "mariadb-dump"), `#!/bin/sh\ndate +%s%N > ${dir("dump-started")}\nexec /usr/bin/mariadb-dump "$@"\n`, { mode: 0o755 });
    try {
      r = runBash(`flock ${slot} sh -c 'sleep 2; date +%s%N > ${dir("slot-released")}' & sleep 0.5; bash ${dir("sp")} backup ${B} --scheduled; rc=$?; wait; exit $rc`, { env });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /another site's scheduled backup is running: waiting up to \d+s for it/);
      const released = BigInt(fs.readFileSync(dir("slot-released"), "utf8").trim());
      const dumped = BigInt(fs.readFileSync(dir("dump-started"), "utf8").trim());
      assert.ok(dumped >= released, "the dump ran after the other backup let go of the slot");
      assert.equal(status(B)[0], "ok");
    } finally {
      fs.rmSync(dir("bin", "mariadb-dump"));
    }
  });

  it("writes a tar archive a day for scheduled backups (any number for an operator's) and removes those older than SP_TAR_KEEP_DAYS", () => {
    const envFile = dir("conf", "sites", B, "backup", "backup.env");
    const settings = fs.readFileSync(envFile, "utf8");
    assert.match(settings, /^SP_TAR_KEEP='2'$/m);
    fs.writeFileSync(envFile, settings.replace(/^SP_TAR_KEEP='2'$/m, "SP_TAR_KEEP='0'"));
    try {
      for (const a of fs.readdirSync(dir("tar"))) fs.rmSync(dir("tar", a));
      const stamp = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
      const old = `${B}-${stamp(8)}.tar.gz`, recent = `${B}-${stamp(6)}.tar.gz`;
      fs.writeFileSync(dir("tar", old), "8 days old");
      fs.writeFileSync(dir("tar", recent), "6 days old");
      const archives = () => fs.readdirSync(dir("tar")).filter((a) => a.endsWith(".tar.gz")).sort();
      let r = ok("backup", B, "--scheduled");
      assert.match(r.stderr, /archive=/, "the day's first scheduled backup writes one");
      const afterFirst = archives();
      assert.equal(afterFirst.length, 2, afterFirst.join(" "));
      assert.equal(afterFirst[0], recent, "8 days old is beyond SP_TAR_KEEP_DAYS=7; 6 days old is kept");
      r = ok("backup", B, "--scheduled");
      assert.doesNotMatch(r.stderr, /archive=/);
      assert.deepEqual(archives(), afterFirst, "a second scheduled backup the same day writes none");
      ok("backup", B);
      assert.equal(archives().length, 3, "an operator's backup always writes one");
    } finally {
      fs.writeFileSync(envFile, settings);
    }
  });

  it("adopts the original scripts' repository: copies and tags its snapshots once, restores them (files, rows, charsets), drills, and prune keeps them", () => {
    const O = `orig-${rand}`;
    extraSites.push(O);
    makeSite(O, {});
    // The original layout: the data dir backed up where the site's container saw it, the dump in sql/, one repository per site.
    const shared = dir("orig", "shared");
    for (const d of ["public", "private", "sql", "tmp"]) fs.mkdirSync(path.join(shared, d), { recursive: true });
    fs.writeFileSync(dir("orig", "pass"), "the original scripts' password");
    const origEnv = { ...process.env, RESTIC_REPOSITORY: dir("orig", "restic"), RESTIC_PASSWORD_FILE: dir("orig", "pass"), RESTIC_CACHE_DIR: dir("cache") };
    sh("restic init", { env: origEnv });
    sql("CREATE DATABASE o_src; " +
      "CREATE TABLE o_src.posts (id INT PRIMARY KEY, title VARCHAR(100)) CHARACTER SET latin1 COLLATE latin1_swedish_ci; " +
      "CREATE TABLE o_src.notes (id INT PRIMARY KEY, body TEXT) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; " +
      "INSERT INTO o_src.posts VALUES (1, 'caf\u00e9'); INSERT INTO o_src.notes VALUES (1, 'Gr\u00fc\u00dfe \u2713')");
    const state = (database: string) => sql("SELECT id, HEX(title) FROM posts ORDER BY id; SELECT id, HEX(body) FROM notes ORDER BY id", database);
    const origTree = () => sh(`cd ${shared} && find public private sql -type f ! -name '*.sql' -print0 | sort -z | xargs -0r sha256sum`);
    const snapshot = (tags: string[]) => {
      sh(`mariadb-dump --no-defaults --socket=${sock} -uroot --single-transaction o_src > ${path.join(shared, "sql", `${db(O)}.sql`)}`);
      sh(`restic backup --quiet ${shared} --exclude ${path.join(shared, "tmp")} ${tags.map((t) => `--tag ${t}`).join(" ")}`, { env: origEnv });
      return { tree: origTree(), rows: state("o_src") };
    };
    fs.writeFileSync(path.join(shared, "public", "index.html"), "<h1>the original</h1>");
    fs.writeFileSync(path.join(shared, "private", "upload.bin"), crypto.randomBytes(50_000));
    fs.writeFileSync(path.join(shared, "tmp", "session"), "not backed up");
    const first = snapshot(["manual"]);
    fs.writeFileSync(path.join(shared, "public", "index.html"), "<h1>the original, later</h1>");
    fs.writeFileSync(path.join(shared, "public", "new.txt"), "new");
    sql("INSERT INTO o_src.posts VALUES (2, 'na\u00efve'); UPDATE o_src.notes SET body = 'Gr\u00fc\u00df Gott \u2713' WHERE id = 1");
    const second = snapshot([]);
    assert.notEqual(first.rows, second.rows);

    const conf = dir("conf", "sites", O, "backup");
    fs.appendFileSync(path.join(conf, "backup.env"), renderEnvFile({
      SP_ADOPT_REPOSITORY: dir("orig", "restic"), SP_ADOPT_PATH: shared, SP_ADOPT_DUMP: `sql/${db(O)}.sql`,
    }));
    fs.copyFileSync(dir("orig", "pass"), path.join(conf, "adopt_pass"));
    // Read-only to sp adopt (a read-only bind mount of it): restic writes no lock, nothing, into the site's old repository.
    fs.writeFileSync(dir("sp-adopt"), sp);
    const readOnly = `mount --bind ${dir("orig", "restic")} ${dir("orig", "restic")} && mount -o remount,ro,bind ${dir("orig", "restic")} && bash ${dir("sp-adopt")} adopt ${O}`;
    let r = runBash(`unshare -m --propagation private bash -c ${JSON.stringify(readOnly)}`, { env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /action=adopt result=ok from=.* copied=2 tagged=2 future=0 source-snapshots=2/);
    const adopted = snapshots(O);
    assert.equal(adopted.length, 2);
    for (const sn of adopted) for (const t of [`site=${O}`, "kind=adopted", "layout=original"]) assert.ok(sn.tags.includes(t), `${sn.short_id}: ${sn.tags}`);
    assert.equal(adopted.filter((sn) => sn.tags.includes("manual")).length, 1, "the original's own tags stay");
    r = ok("adopt", O);
    assert.match(r.stderr, /copied=0 tagged=0 future=0 source-snapshots=2/, "nothing twice");
    assert.equal(snapshots(O).length, 2);
    // A snapshot dated in the future would stay "latest" for ever: it is not copied.
    sh(`restic backup --quiet --time "2099-01-01 00:00:00" ${shared} --exclude ${path.join(shared, "tmp")}`, { env: origEnv });
    r = ok("adopt", O);
    assert.match(r.stderr, /not copied, dated in the future: [0-9a-f]{8}/);
    assert.match(r.stderr, /copied=0 tagged=0 future=1 source-snapshots=3/);
    assert.equal(snapshots(O).length, 2);

    const siteTree = () => sh(`cd ${data(O)} && find public private sql -type f -print0 | sort -z | xargs -0r sha256sum`);
    const collation = (table: string) => sql(`SELECT TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${db(O)}' AND TABLE_NAME = '${table}'`).trim();
    ok("restore", O, "--yes");
    assert.equal(siteTree(), second.tree, "latest: the original's newest snapshot");
    assert.equal(state(db(O)), second.rows);
    assert.equal(collation("posts"), "latin1_swedish_ci");
    assert.equal(collation("notes"), "utf8mb4_unicode_ci");
    const older = adopted.find((sn) => sn.tags.includes("manual"))!;
    ok("restore", O, older.short_id, "--yes");
    assert.equal(siteTree(), first.tree);
    assert.equal(state(db(O)), first.rows);
    ok("drill", O);
    ok("prune", O);
    assert.equal(snapshots(O).length, 2, "prune keeps what was adopted");
    // On a new host the old repository is gone with the old host; what was copied is enough.
    fs.renameSync(dir("orig", "restic"), dir("orig", "restic.away"));
    r = ok("adopt", O);
    assert.match(r.stderr, /orig\/restic is gone, and its snapshots were adopted before: nothing to copy/);
    fs.renameSync(dir("orig", "restic.away"), dir("orig", "restic"));
    fs.writeFileSync(path.join(conf, "adopt_pass"), "not the original password");
    r = run("adopt", O);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot list the snapshots of .*orig\/restic with .*adopt_pass/);
    sql("DROP DATABASE o_src");
  });

  it("an adopted snapshot whose data path is a link (a site could write the original's repository) is refused: nothing is given to the site", () => {
    // The original scripts ran restic inside the site's container: a compromised site knew its password and could
    // write its repository. Its snapshot's /shared is a link to a directory of root's on the host.
    const E = `evil-${rand}`;
    extraSites.push(E);
    makeSite(E, {});
    const target = dir("evil", "roots-dir");
    fs.mkdirSync(path.join(target, "public"), { recursive: true });
    fs.writeFileSync(path.join(target, "public", "config"), "root's");
    // With a complete dump, so that nothing but the link stops the restore.
    fs.mkdirSync(path.join(target, "sql"));
    fs.writeFileSync(path.join(target, "sql", `${db(E)}.sql`), "CREATE TABLE planted (id INT);\n-- Dump completed on 2026-01-01\n");
    fs.symlinkSync(target, dir("evil", "shared"));
    fs.writeFileSync(dir("evil", "pass"), "the site knew this one");
    const evilEnv = { ...process.env, RESTIC_REPOSITORY: dir("evil", "restic"), RESTIC_PASSWORD_FILE: dir("evil", "pass"), RESTIC_CACHE_DIR: dir("cache") };
    sh("restic init", { env: evilEnv });
    sh(`restic backup --quiet ${dir("evil", "shared")}`, { env: evilEnv });
    const conf = dir("conf", "sites", E, "backup");
    fs.appendFileSync(path.join(conf, "backup.env"), renderEnvFile({
      SP_ADOPT_REPOSITORY: dir("evil", "restic"), SP_ADOPT_PATH: dir("evil", "shared"), SP_ADOPT_DUMP: `sql/${db(E)}.sql`,
    }));
    fs.copyFileSync(dir("evil", "pass"), path.join(conf, "adopt_pass"));
    ok("adopt", E);
    const filesBefore = tree(E);
    const rowsBefore = rows(E);
    const r = run("restore", E, "--yes");
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /the snapshot's .*evil\/shared goes through a symbolic link; nothing was changed/);
    assert.equal(sh(`stat -c '%u:%g' ${target} ${path.join(target, "public")} ${path.join(target, "public", "config")} ${path.join(target, "sql", `${db(E)}.sql`)}`),
      "0:0\n0:0\n0:0\n0:0\n", "root's directory is not given to the site");
    assert.equal(fs.readFileSync(path.join(target, "public", "config"), "utf8"), "root's");
    assert.equal(tree(E), filesBefore);
    assert.equal(rows(E), rowsBefore);
  });

  it("refuses a dump reached through a link in an adopted snapshot, and an original repository holding a link or a FIFO", () => {
    const L = `links-${rand}`;
    extraSites.push(L);
    makeSite(L, {});
    // root's file, named as the site's dump, that the snapshot's sql/ (a link) points at.
    const rootsDir = dir("links", "roots-sql");
    fs.mkdirSync(rootsDir, { recursive: true });
    const rootsDump = path.join(rootsDir, `${db(L)}.sql`);
    fs.writeFileSync(rootsDump, "CREATE TABLE planted (id INT);\n-- Dump completed on 2026-01-01\n");
    const shared = dir("links", "shared");
    fs.mkdirSync(path.join(shared, "public"), { recursive: true });
    fs.writeFileSync(path.join(shared, "public", "index.html"), "mine");
    fs.symlinkSync(rootsDir, path.join(shared, "sql"));
    const repo = dir("links", "restic");
    fs.writeFileSync(dir("links", "pass"), "the site knew this one");
    const linksEnv = { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: dir("links", "pass"), RESTIC_CACHE_DIR: dir("cache") };
    sh("restic init", { env: linksEnv });
    sh(`restic backup --quiet ${shared}`, { env: linksEnv });
    const conf = dir("conf", "sites", L, "backup");
    fs.appendFileSync(path.join(conf, "backup.env"), renderEnvFile({ SP_ADOPT_REPOSITORY: repo, SP_ADOPT_PATH: shared, SP_ADOPT_DUMP: `sql/${db(L)}.sql` }));
    fs.copyFileSync(dir("links", "pass"), path.join(conf, "adopt_pass"));
    ok("adopt", L);
    const filesBefore = tree(L);
    let r = run("restore", L, "--yes");
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`the backup's dump /.*/sql/${db(L)}\\.sql is reached through a symbolic link; nothing was changed`));
    assert.equal(fs.readFileSync(rootsDump, "utf8").split("\n")[0], "CREATE TABLE planted (id INT);", "root's file is where it was");
    assert.equal(tree(L), filesBefore);
    // The repository itself with a link (its locks/ swapped for one, which restic would chmod through) or a FIFO in it.
    fs.renameSync(path.join(repo, "locks"), dir("links", "locks.real"));
    fs.symlinkSync(dir("links", "locks.real"), path.join(repo, "locks"));
    r = run("adopt", L);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /restic holds .*\/restic\/locks, neither a file nor a directory \(a restic repository holds only those\); nothing was copied/);
    fs.rmSync(path.join(repo, "locks"));
    fs.renameSync(dir("links", "locks.real"), path.join(repo, "locks"));
    sh(`mkfifo ${path.join(repo, "data", "fifo")}`);
    r = run("adopt", L);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /holds .*\/data\/fifo, neither a file nor a directory/);
  });

  it("prunes by retention but keeps manual and final snapshots, then checks", () => {
    ok("backup", B, "--final");
    ok("backup", B, "--scheduled");
    ok("backup", B, "--scheduled", "--tag", "nightly");
    const before = snapshots(B);
    ok("prune", B);
    const after = snapshots(B);
    const kinds = [...new Set(after.map((s) => s.tags.find((t) => t.startsWith("kind="))))].sort();
    assert.deepEqual(kinds, ["kind=final", "kind=manual", "kind=scheduled"]);
    assert.equal(after.filter((s) => s.tags.includes("kind=scheduled")).length, 1, "--keep-last 1 of the scheduled ones");
    assert.ok(after.some((s) => s.short_id === first), "the first (manual) snapshot is kept");
    assert.deepEqual(after.find((s) => s.tags.includes("kind=scheduled"))?.tags, [`site=${B}`, "kind=scheduled", "layout=2", "nightly"]);
    assert.ok(before.length > after.length);
    assert.match(fs.readFileSync(dir("log", "backup.log"), "utf8"), new RegExp(`site=${B} action=prune result=ok --keep-last 1 --keep-daily 7`));
  });

  it("--if-fresh: nothing without repository or snapshots, a no-op with data, a restore into an empty site", () => {
    let r = ok("restore", S, "--if-fresh");
    assert.match(r.stderr, /nothing to restore: '.*' has files and database tables/);
    fs.rmSync(data(S), { recursive: true });
    sh(`install -d -m 2770 -o sp-${S} -g sp-${S} ${data(S)} ` + ["public", "private", "sql", "tmp"].map((d) => data(S, d)).join(" "));
    sql(`DROP DATABASE ${db(S)}; CREATE DATABASE ${db(S)}`);
    r = ok("restore", S, "--if-fresh");
    assert.match(r.stderr, /nothing to restore: there is no restic repository/);
    sh("restic init", { env: resticEnv(S) });
    r = ok("restore", S, "--if-fresh");
    assert.match(r.stderr, /nothing to restore: no snapshot/);

    const latestTree = tree(B);
    const latestRows = rows(B);
    fs.writeFileSync(data(B, "public", "marker"), "not in any snapshot");
    r = ok("restore", B, "--if-fresh");
    assert.match(r.stderr, /nothing to restore/);
    assert.ok(fs.existsSync(data(B, "public", "marker")));
    fs.rmSync(data(B, "public", "marker"));
    sh(`rm -rf ${data(B, "public")}/* ${data(B, "private")}/* ${data(B, "sql")}/* ${dir("sites", B, "dump")}/* && mkdir ${data(B, "public", "empty-dir")}`);
    sql(`DROP DATABASE ${db(B)}; CREATE DATABASE ${db(B)}`);
    ok("restore", B, "--if-fresh");
    assert.equal(tree(B), latestTree);
    assert.equal(rows(B), latestRows);
    // Files only: the database has tables, so it is left alone.
    sql("UPDATE posts SET title = 'kept' WHERE id = 1", db(B));
    sh(`rm -rf ${data(B, "public")}/* ${data(B, "private")}/* ${data(B, "sql")}/*`);
    ok("restore", B, "--if-fresh");
    assert.equal(tree(B), latestTree);
    assert.match(rows(B), /^1\tkept/m);
  });

  it("writes rotated tar archives (0600, no tmp/) that tar-restore puts back", () => {
    ok("backup", B);
    const archives = fs.readdirSync(dir("tar"));
    assert.equal(archives.length, 2, "SP_TAR_KEEP=2");
    archives.forEach((a) => assert.match(a, new RegExp(`^${B}-\\d{8}T\\d{6}Z\\.tar\\.gz$`)));
    const newest = archives.sort().at(-1)!;
    assert.equal(sh(`stat -c %a ${dir("tar", newest)}`).trim(), "600");
    const listing = sh(`tar -tzf ${dir("tar", newest)}`);
    assert.doesNotMatch(listing, /^data\/tmp\/|cache\/page/m);
    assert.match(listing, new RegExp(`^dump/${db(B)}\\.sql$`, "m"));
    const archivedTree = tree(B);
    const archivedRows = rows(B);
    change(B);
    assert.equal(run("tar-restore", B, newest).status, 2);
    ok("tar-restore", B, newest, "--yes");
    assert.equal(tree(B), archivedTree);
    assert.equal(rows(B), archivedRows);
  });

  it("backup --all goes on past a failing site (wrong password: never re-initialised) and exits 1", () => {
    const config = fs.readFileSync(dir("repos", A, "config"));
    const before = snapshots(B).length;
    const r = run("backup", "--all", "--scheduled");
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`backup failed for: ${A}$`, "m"));
    assert.match(r.stderr, /exists but .*restic_pass does not open it: it was made with another password\. Set the key it was made with \(simple-paas:backupKey/);
    assert.deepEqual(fs.readFileSync(dir("repos", A, "config")), config);
    assert.equal(status(A)[0], "failed");
    assert.equal(snapshots(B).length, before + 1);
    assert.equal(status(B)[0], "ok");
    // A restore finds out at its first restic call too (the repository is known by its config file, not opened first).
    const restore = run("restore", A, "--yes");
    assert.equal(restore.status, 1);
    assert.match(restore.stderr, /exists but .*restic_pass does not open it: it was made with another password/);
  });

  it("status, exec and restore with a (stand-in) running container", () => {
    fs.writeFileSync(dir("docker", "containers"), `${B} c2 ${B}-v2 running healthy\n${B} c1 ${B}-v1 exited none\n`);
    const st = run("status", B);
    assert.match(st.stdout, new RegExp(`^${B} container=${B}-v2 state=running health=healthy last-backup=\\S+ result=ok`));
    assert.match(ok("list").stdout, new RegExp(`^${B}\\s+${B}-v2,${B}-v1\\s+running$`, "m"));
    const ex = run("exec", B, "sh", "-c", "echo out; exit 7");
    assert.equal(ex.status, 7);
    assert.equal(ex.stdout, "out\n");
    fs.writeFileSync(dir("docker", "calls"), "");
    ok("restore", B, "--yes");
    assert.deepEqual(fs.readFileSync(dir("docker", "calls"), "utf8").split("\n").filter((l) => /^(stop|start|exec)/.test(l)), ["stop c2", "start c2"]);
    fs.writeFileSync(dir("docker", "containers"), `${B} c2 ${B}-v2 running unhealthy\n`);
    assert.equal(run("status", B).status, 1);
  });

  it("restores a snapshot of an earlier release (data's public/ private/ sql/ at its root, the dump in sql/)", () => {
    const before = tree(B);
    const beforeRows = rows(B);
    // What sp backup wrote before this release: the dump in the site's sql/, the data dir backed up as ".".
    sh(`cp ${dump(B)} ${data(B, "sql", `${db(B)}.sql`)} && chown sp-${B}:sp-${B} ${data(B, "sql", `${db(B)}.sql`)}`);
    sh(`cd ${data(B)} && restic backup --quiet --tag site=${B} --tag kind=manual --exclude ${data(B, "tmp")} .`, { env: resticEnv(B) });
    fs.rmSync(data(B, "sql", `${db(B)}.sql`));
    const oldLayout = snapshots(B).at(-1)!.short_id;
    change(B);
    ok("restore", B, oldLayout, "--yes");
    assert.equal(rows(B), beforeRows);
    assert.equal(tree(B), before, "the files as they were (the dump goes to the dump dir, not the site's sql/)");
  });

  it("a restore drill proves the latest snapshot: files as listed, the dump imports and dumps again the same, rows counted, data read", () => {
    ok("backup", B);
    const r = ok("drill", B);
    assert.match(r.stderr, /restoring snapshot \w{8} of .* \(verified\)/);
    const [result, snapshot, message] = status(B, ".drill");
    assert.equal(result, "ok");
    assert.equal(snapshot, snapshots(B).at(-1)!.short_id);
    assert.match(message, /files=\d+ tables=1 rows=\d+ read-data=50%/);
    assert.match(fs.readFileSync(dir("log", "backup.log"), "utf8"), new RegExp(`site=${B} action=drill result=ok`));
    assert.equal(sql(`SHOW DATABASES LIKE 'spdrill%${db(B)}'`).trim(), "", "the scratch database is gone");
    assert.equal(sh(`ls -a ${dir("sites", B)} | grep -c sp-drill || true`).trim(), "0", "and the scratch files");
    assert.match(run("status", B).stdout, /last-drill=\S+ drill=ok/);
  });

  it("sp status fails on an overdue backup or drill, and on a site never backed up once it is older than its schedule allows", () => {
    const conf = dir("conf", "sites", S, "backup", "backup.env");
    const original = fs.readFileSync(conf, "utf8");
    const statusBefore = fs.existsSync(dir("status", S)) ? fs.readFileSync(dir("status", S)) : undefined;
    try {
      fs.rmSync(dir("status", S), { force: true });
      fs.writeFileSync(conf, original.replace(/^SP_BACKUP_MAX_AGE=.*$/m, "SP_BACKUP_MAX_AGE='60'"));
      fs.writeFileSync(dir("conf", "sites", S, "created"), "2026-01-01T00:00:00Z\n");
      fs.writeFileSync(dir("docker", "containers"), `${S} c9 ${S}-v1 running healthy\n`);
      const never = run("status", S);
      assert.equal(never.status, 1, never.stdout);
      assert.match(never.stdout, new RegExp(`^  ${S}: no good backup since the site was set up \\(\\d+ min ago; its schedule allows 1 min\\)$`, "m"));
      assert.match(never.stdout, new RegExp(`^  ${S}: no good restore drill since the site was set up`, "m"));
      fs.writeFileSync(dir("conf", "sites", S, "created"), `${new Date().toISOString().slice(0, 19)}Z\n`);
      assert.doesNotMatch(run("status", S).stdout, /no good backup/, "a new site is not overdue yet");
      // A last good backup older than the schedule allows.
      fs.writeFileSync(dir("status", S), "SP_LAST_TIME='2026-01-01T00:00:00Z'\nSP_LAST_RESULT='ok'\nSP_LAST_SNAPSHOT='abcd1234'\nSP_LAST_MESSAGE=''\nSP_LAST_GOOD_TIME='2026-01-01T00:00:00Z'\n");
      fs.writeFileSync(dir("conf", "sites", S, "created"), "2026-01-01T00:00:00Z\n");
      const stale = run("status", S);
      assert.equal(stale.status, 1);
      assert.match(stale.stdout, new RegExp(`^  ${S}: the last good backup \\(2026-01-01T00:00:00Z\\) is older than its schedule allows`, "m"));
    } finally {
      fs.writeFileSync(conf, original);
      if (statusBefore) fs.writeFileSync(dir("status", S), statusBefore);
      fs.writeFileSync(dir("docker", "containers"), "");
    }
  });

  it("pings the site's heartbeat URL after a good backup, and URL/fail with the reason after a failed one", async () => {
    // A heartbeat receiver in a process of its own (sp runs synchronously here): one line per request.
    const seenFile = dir("heartbeats");
    fs.writeFileSync(dir("heartbeat-server.js"), `
      const http = require("http"); const fs = require("fs");
      const server = http.createServer((req, res) => { let body = ""; req.on("data", (c) => body += c);
        req.on("end", () => { fs.appendFileSync(${JSON.stringify(seenFile)}, req.method + " " + req.url + " " + body + "\\n"); res.end("OK"); }); });
      server.listen(0, "127.0.0.1", () => console.log(server.address().port));`);
    const { spawn } = await import("node:child_process");
    const receiver = spawn(process.execPath, [dir("heartbeat-server.js")], { stdio: ["ignore", "pipe", "inherit"] });
    const port = await new Promise<number>((resolve) => receiver.stdout.once("data", (d) => resolve(Number(String(d).trim()))));
    const server = { close: (cb: () => void) => { receiver.once("exit", cb); receiver.kill(); } };
    const seenLines = () => (fs.existsSync(seenFile) ? fs.readFileSync(seenFile, "utf8").trim().split("\n") : []);
    const token = crypto.randomBytes(8).toString("hex");
    const url = `http://127.0.0.1:${port}/ping/${token}`;
    fs.writeFileSync(dir("conf", "sites", B, "backup", "heartbeat_url"), url, { mode: 0o600 });
    try {
      const good = run("backup", B);
      assert.equal(good.status, 0, good.stderr);
      assert.doesNotMatch(good.stderr + good.stdout, new RegExp(token), "the URL (a secret) is not printed");
      fs.writeFileSync(dir("bin", "mariadb-dump"), "#!/bin/sh\necho 'no server' >&2; exit 2\n", { mode: 0o755 });
      const bad = run("backup", B);
      assert.equal(bad.status, 1);
    } finally {
      fs.rmSync(dir("bin", "mariadb-dump"), { force: true });
      fs.rmSync(dir("conf", "sites", B, "backup", "heartbeat_url"));
      await new Promise((r) => server.close(() => r(undefined)));
    }
    const seen = seenLines();
    assert.equal(seen.length, 2, seen.join("\n"));
    assert.match(seen[0], new RegExp(`^POST /ping/${token} backup of ${B}: snapshot \\w{8}$`));
    assert.match(seen[1], new RegExp(`^POST /ping/${token}/fail backup of ${B} failed: database dump failed`));
  });

  it("a drill that finds a damaged pack fails loudly: the status says so and sp status exits 1", () => {
    ok("backup", S);
    ok("drill", S);
    // Flip bytes in the middle of every data pack of S's repository.
    for (const pack of sh(`find ${dir("repos", S, "data")} -type f`).trim().split("\n")) {
      const buf = fs.readFileSync(pack);
      for (let i = Math.floor(buf.length / 2); i < Math.floor(buf.length / 2) + 64 && i < buf.length; i++) buf[i] ^= 0xff;
      fs.chmodSync(pack, 0o600);
      fs.writeFileSync(pack, buf);
    }
    const r = run("drill", S);
    assert.equal(r.status, 1, r.stderr);
    const [result, , message] = status(S, ".drill");
    assert.equal(result, "failed");
    assert.match(message, /restic restore --verify of \w+ failed|restic check .* found problems|does not import|differ/);
    assert.match(fs.readFileSync(dir("log", "backup.log"), "utf8"), new RegExp(`site=${S} action=drill result=failed`));
    fs.writeFileSync(dir("docker", "containers"), `${S} c9 ${S}-v1 running healthy\n`);
    try {
      const st = run("status", S);
      assert.equal(st.status, 1);
      assert.match(st.stdout, new RegExp(`^  ${S}: the last restore drill failed: `, "m"));
    } finally {
      fs.writeFileSync(dir("docker", "containers"), "");
    }
  });
});
