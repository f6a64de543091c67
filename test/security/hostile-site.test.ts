/**
 * A hostile site, for real: the platform of the e2e tests (the real engine,
 * three sites on this machine), where `alpha` is compromised. From a shell
 * in alpha's container, as alpha's user, it tries to reach the host, the
 * other sites and their data; it plants dumps for root to import and races
 * symlinks against every path root touches in its data dir. Each case
 * counts its tries and asserts the outcome that matters. docs/SECURITY.md
 * is the table of these cases.
 */
import * as assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { renderSiteSetupScript } from "../../components/render/site-setup";
import { renderSiteDatabaseRemovalScript } from "../../components/render/site-database";
import { runBash, sh } from "../support/run";
import {
  Platform, SITES, assertCertificatesReady, createPlatform, disposePlatform, eventually, httpsGet, pebbleRoots, printDiagnostics, rootSql, siteConfig,
} from "../e2e/platform-fixture";
import { recordCase } from "./record";

/** The container of a site the proxy routes to (its newest running one). */
function containerOf(site: string): string {
  return sh(`docker ps --filter label=simple-paas.site=${site} --format '{{.Names}}' | head -n 1`).trim();
}

/** A shell script in the site's container, as its own user; stdout, stderr and status. */
function inSite(site: string, script: string, timeoutMs = 120_000) {
  const r = spawnSync("docker", ["exec", "-i", containerOf(site), "sh", "-s"], { input: script, encoding: "utf8", timeout: timeoutMs });
  return { status: r.status ?? -1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** Python in the site's container (the site image has python3). */
function pyInSite(site: string, code: string, timeoutMs = 120_000): string {
  const r = spawnSync("docker", ["exec", "-i", containerOf(site), "python3", "-"], { input: code, encoding: "utf8", timeout: timeoutMs });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`;
}

function envOf(site: string): Record<string, string> {
  const lines = sh(`docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' ${containerOf(site)}`).trim().split("\n");
  return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

/** Where root keeps a canary: the symlinks point here; it must stay root's, 0600, unchanged. */
const CANARY_DIR = "/root/sp-security-canary";
const CANARY = `${CANARY_DIR}/secret.txt`;
function canaryState(): string {
  return sh(`stat -c '%u:%g %a %s' ${CANARY} ${CANARY_DIR}; sha256sum ${CANARY}`);
}

/** TCP connect from inside a site's container: "open" or the error. */
function connectFrom(site: string, host: string, port: number): string {
  return pyInSite(site, `
import socket
s = socket.socket(); s.settimeout(3)
try:
    s.connect((${JSON.stringify(host)}, ${port})); print("open")
except Exception as e:
    print("closed", type(e).__name__)
`).trim();
}

describe("a hostile site (alpha) on a shared host", function () {
  this.timeout(90 * 60_000);
  let platform: Platform;
  let roots = "";
  let listener: ChildProcess | undefined;

  before(async () => {
    platform = await createPlatform("security");
    await platform.up();
    roots = pebbleRoots(platform.env);
    await assertCertificatesReady(platform, SITES);
    fs.mkdirSync(CANARY_DIR, { recursive: true, mode: 0o700 });
    fs.writeFileSync(CANARY, "root's own\n", { mode: 0o600 });
    // Something on the host listening on every address, as an operator's service would.
    listener = spawn("python3", ["-c", "import socket,time\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('0.0.0.0',17777));s.listen(50)\nwhile True:\n c,_=s.accept();c.close()"]);
    await new Promise((r) => setTimeout(r, 500));
  });

  afterEach(function () { printDiagnostics(this.currentTest, platform?.env); });
  after(async () => {
    listener?.kill();
    fs.rmSync(CANARY_DIR, { recursive: true, force: true });
    sh("rm -f /tmp/sp-pwned*");
    await disposePlatform(platform);
  });

  it("runs as an unprivileged user without capabilities, its process count and memory limited", () => {
    const out = inSite("alpha", "id -u; grep CapEff /proc/self/status; cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max").out;
    const [uid, capEff, pidsMax] = out.trim().split("\n");
    assert.equal(uid, "33");
    assert.match(capEff, /^CapEff:\s+0000000000000000$/);
    assert.equal(pidsMax, "512");
    assert.equal(sh(`docker inspect -f '{{.HostConfig.Memory}}' ${containerOf("alpha")}`).trim(), String(1024 * 1024 * 1024));
    recordCase("no root, no capabilities, limits", 1);
  });

  it("cannot mount, open raw sockets or see (let alone trace) a process outside its container", () => {
    const out = pyInSite("alpha", `
import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
r = libc.mount(b"none", b"/tmp", b"tmpfs", 0, None); print("mount", r, os.strerror(ctypes.get_errno()))
try:
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); print("raw open")
except Exception as e:
    print("raw", type(e).__name__)
pids = [p for p in os.listdir("/proc") if p.isdigit()]
print("pids", len(pids))
PTRACE_ATTACH = 16
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
r = libc.ptrace(PTRACE_ATTACH, ${process.pid}, None, None); print("ptrace-host", r, os.strerror(ctypes.get_errno()))
`);
    assert.match(out, /^mount -1 Operation not permitted$/m);
    assert.match(out, /^raw PermissionError$/m);
    assert.match(out, /^ptrace-host -1 No such process$/m, "the host's processes are not in its pid namespace");
    assert.ok(Number(/^pids (\d+)$/m.exec(out)![1]) < 10, out);
    recordCase("mount, raw sockets, ptrace of a host process", 3);
  });

  it("a fork bomb stops at its pids limit, and filling memory stops at its limit; the other sites go on serving", async () => {
    const bomb = pyInSite("alpha", `
import os, signal, time
n = 0
kids = []
try:
    for _ in range(5000):
        pid = os.fork()
        if pid == 0:
            time.sleep(20); os._exit(0)
        kids.append(pid); n += 1
except OSError as e:
    print("stopped", n, e.errno)
# The bomb's pids back before the next attack (an exec in the container needs one).
for k in kids: os.kill(k, signal.SIGKILL)
for k in kids: os.waitpid(k, 0)
`, 180_000);
    const forked = Number(/^stopped (\d+) 11$/m.exec(bomb)?.[1] ?? "NaN");
    assert.ok(forked > 0 && forked < 512, `forks stopped at the limit (EAGAIN): ${bomb}`);
    for (const site of ["beta", "gamma"]) assert.equal((await httpsGet(`${site}.test`, "/", roots)).status, 200, `${site} serves during the fork bomb`);
    const hog = pyInSite("alpha", `
chunks = []
try:
    while True: chunks.append(bytearray(64 * 1024 * 1024))
except MemoryError:
    print("memory error")
`, 180_000);
    assert.ok(!/^alive$/m.test(hog), hog);
    for (const site of ["beta", "gamma"]) assert.equal((await httpsGet(`${site}.test`, "/", roots)).status, 200, `${site} serves after alpha filled its memory`);
    await eventually(() => httpsGet("alpha.test", "/health", roots).then((r) => { if (r.status !== 200) throw new Error(String(r.status)); }), 60, 1000);
    // And alpha recovers whole: docker's health check (an exec, which needs a free pid) passes again.
    await eventually(async () => {
      const health = sh(`docker inspect -f '{{.State.Health.Status}}' ${containerOf("alpha")}`).trim();
      if (health !== "healthy") throw new Error(`alpha is ${health}`);
    }, 120, 1000);
    recordCase("fork bomb (pids limit 512), memory fill (1 GiB limit)", 2);
  });

  it("reaches no other site: not its container, not its memcached, not by name", () => {
    const beta = envOf("beta");
    const betaIp = sh(`docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' ${containerOf("beta")}`).trim();
    let tries = 0;
    for (const [host, port] of [[betaIp, 8080], [beta.MEMCACHE_HOST, 11211], [containerOf("beta"), 8080]] as const) {
      tries++;
      const seen = connectFrom("alpha", host, port);
      assert.match(seen, /^closed /, `alpha -> ${host}:${port}: ${seen}`);
    }
    // Its own memcached answers, and only it: a key alpha writes is not in beta's.
    const alpha = envOf("alpha");
    const mc = (site: string, command: string) => pyInSite(site, `
import socket
s = socket.create_connection((${JSON.stringify(site === "alpha" ? alpha.MEMCACHE_HOST : beta.MEMCACHE_HOST)}, 11211), timeout=3)
s.sendall(${JSON.stringify(command)}.encode()); print(s.recv(200).decode().split("\\r\\n")[0])
`).trim();
    assert.equal(mc("alpha", "set session 0 0 6\r\nstolen\r\n"), "STORED");
    assert.equal(mc("beta", "set session 0 0 4\r\nbeta\r\n"), "STORED");
    assert.equal(mc("alpha", "get session\r\n"), "VALUE session 0 6", "alpha sees its own value");
    assert.equal(mc("beta", "get session\r\n"), "VALUE session 0 4", "beta's value untouched by alpha's write");
    tries += 2;
    recordCase("another site's container port, memcached, name", tries);
  });

  it("reaches nothing of the host but its database port and the proxy's HTTP(S) on its own network", () => {
    const alpha = envOf("alpha");
    const ownGateway = sh(`docker network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' simple-paas-alpha`).trim();
    const hostAddress = sh("ip -4 -o addr show scope global | awk '$2 !~ /^(docker|br-|spb-|veth)/ {split($4, a, \"/\"); print a[1]; exit}'").trim() || "127.0.0.1";
    const targets: [string, number, RegExp][] = [
      [alpha.DATABASE_HOST, 3306, /^open$/],
      [alpha.REVERSE_PROXY_ADDRESSES, 443, /^open$/],
      [alpha.DATABASE_HOST, 17777, /^closed /],
      [ownGateway, 17777, /^closed /],
      [ownGateway, 3306, /^closed /],
      [hostAddress, 17777, /^closed /],
      ["127.0.0.1", 17777, /^closed /],
    ];
    for (const [host, port, expected] of targets) assert.match(connectFrom("alpha", host, port), expected, `alpha -> ${host}:${port}`);
    recordCase("host ports other than the database (an operator's service on 0.0.0.0)", targets.length - 2);
  });

  it("reads no other site's database, even with its password, and no file or secret of it", () => {
    const betaPassword = fs.readFileSync("/etc/simple-paas/sites/beta/secrets/db_pass", "utf8");
    const out = pyInSite("alpha", `
import pymysql, os
own = open("/etc/secrets/db_pass").read()
host = os.environ["DATABASE_HOST"]
def attempt(label, **kw):
    try:
        c = pymysql.connect(host=host, connect_timeout=5, **kw); cur = c.cursor(); cur.execute("SELECT COUNT(*) FROM beta.visits"); print(label, "READ")
    except Exception as e:
        print(label, "DENIED", e.args[0])
attempt("own-account", user="alpha", password=own, database="alpha")
attempt("beta-password", user="beta", password=${JSON.stringify(betaPassword)}, database="beta")
for p in ["/sites/beta/data", "/etc/simple-paas/sites/beta/secrets/db_pass", "/proc/1/root/etc/shadow"]:
    try:
        open(p).read() if not p.endswith("data") else os.listdir(p); print(p, "READ")
    except Exception as e:
        print(p, "DENIED", type(e).__name__)
`);
    assert.match(out, /^own-account DENIED 1142$/m);
    assert.match(out, /^beta-password DENIED 1045$/m, "beta's account only logs in from beta's network");
    assert.doesNotMatch(out, / READ$/m);
    recordCase("another site's database (own account, and its leaked password), files, secrets", 5);
  });

  it("cannot make another site believe a forged client address (X-Forwarded-For)", async () => {
    // Through the proxy (on alpha's own network), as any client could: the proxy sets the header itself.
    const viaProxy = pyInSite("alpha", `
import socket, ssl, os
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection((os.environ["REVERSE_PROXY_ADDRESSES"], 443), timeout=10), server_hostname="beta.test")
s.sendall(b"GET /client HTTP/1.1\\r\\nHost: beta.test\\r\\nX-Forwarded-For: 6.6.6.6\\r\\nX-Real-IP: 6.6.6.6\\r\\nConnection: close\\r\\n\\r\\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk: break
    data += chunk
print(data.split(b"\\r\\n\\r\\n", 1)[1].decode())
`);
    const seen = JSON.parse(viaProxy.trim());
    assert.notEqual(seen.client, "6.6.6.6", viaProxy);
    assert.doesNotMatch(seen.xff, /6\.6\.6\.6/, "the proxy replaced the forged header");
    // Straight to beta's container, posing as its proxy: beta is not reachable at all (above).
    const direct = await httpsGet("beta.test", "/client", roots);
    assert.notEqual(JSON.parse(direct.body).client, "6.6.6.6");
    recordCase("forged X-Forwarded-For (through the proxy; directly: unreachable)", 2);
  });

  /** Writes a file into alpha's data dir as alpha's container user would (uid 33, alpha's group). */
  function writeAsAlpha(file: string, content: string): void {
    const gid = sh("getent group alpha | cut -d: -f3").trim();
    const r = spawnSync("setpriv", ["--reuid=33", `--regid=${gid}`, "--clear-groups", "--", "sh", "-c", 'cat >"$1"', "sh", file], { input: content, encoding: "utf8" });
    assert.equal(r.status, 0, `writing ${file} as alpha: ${r.stderr}`);
  }

  const PAYLOADS: Record<string, string> = {
    "\\! (shell)": "\\! touch /tmp/sp-pwned-bang\n",
    "system": "system touch /tmp/sp-pwned-system\n",
    "GRANT": "GRANT ALL PRIVILEGES ON *.* TO 'alpha'@'%' WITH GRANT OPTION;\nCREATE USER 'sp_pwned'@'%' IDENTIFIED BY 'x';\n",
    "SOURCE": "source /etc/shadow\n",
    "LOAD DATA": "CREATE TABLE stolen (line TEXT);\nLOAD DATA LOCAL INFILE '/etc/shadow' INTO TABLE stolen;\nLOAD DATA INFILE '/etc/shadow' INTO TABLE stolen;\n",
  };

  function assertNothingGained(what: string): void {
    assert.deepEqual(sh("ls /tmp | grep '^sp-pwned' || true").trim(), "", `${what}: no command ran on the host`);
    assert.equal(rootSql("SELECT COUNT(*) FROM mysql.user WHERE User = 'alpha' AND (Super_priv = 'Y' OR Grant_priv = 'Y' OR Select_priv = 'Y' OR File_priv = 'Y')").trim(), "0",
      `${what}: no global privilege`);
    assert.deepEqual(rootSql("SELECT DISTINCT Db FROM mysql.db WHERE User = 'alpha' AND Db NOT LIKE 'spdrill%'").trim().split("\n"), ["alpha"], `${what}: grants on its own database only`);
    assert.equal(rootSql("SELECT COUNT(*) FROM mysql.user WHERE User = 'sp_pwned'").trim(), "0", `${what}: no new account`);
    const stolen = rootSql("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = 'stolen'").trim();
    if (stolen !== "0") assert.equal(rootSql("SELECT COUNT(*) FROM alpha.stolen").trim(), "0", `${what}: no file of the host read into the database`);
  }

  it("plants dumps for root: the import runs sandboxed as alpha's own account and gains nothing (earlier releases' layout)", () => {
    sh("/usr/local/bin/sp backup alpha");
    const good = JSON.parse(sh("RESTIC_PASSWORD_FILE=/etc/simple-paas/sites/alpha/backup/restic_pass restic -r /var/backups/simple-paas/alpha snapshots --json --latest 1")).pop().short_id;
    let tries = 0;
    for (const [label, payload] of Object.entries(PAYLOADS)) {
      // What a snapshot of an earlier release held: the data dir with the dump in the site's own sql/.
      writeAsAlpha("/sites/alpha/data/sql/alpha.sql", `-- planted\n${payload}-- Dump completed\n`);
      assert.equal(fs.readFileSync("/sites/alpha/data/sql/alpha.sql", "utf8").split("\n")[1], payload.split("\n")[0], `${label}: the payload is a line of its own`);
      sh("cd /sites/alpha/data && RESTIC_PASSWORD_FILE=/etc/simple-paas/sites/alpha/backup/restic_pass restic -r /var/backups/simple-paas/alpha backup --quiet --tag site=alpha --tag kind=manual --exclude /sites/alpha/data/tmp .");
      const snap = JSON.parse(sh("RESTIC_PASSWORD_FILE=/etc/simple-paas/sites/alpha/backup/restic_pass restic -r /var/backups/simple-paas/alpha snapshots --json --latest 1")).pop().short_id;
      const r = runBash(`/usr/local/bin/sp restore alpha ${snap} --yes`);
      tries++;
      assertNothingGained(label);
      assert.notEqual(r.status, 0, `${label}: the import of a planted dump fails loudly:\n${r.stderr}`);
      assert.match(r.stderr, /the import of the dump into alpha failed \(as the site's own account, sandboxed\)/, label);
    }
    sh("rm -f /sites/alpha/data/sql/alpha.sql");
    // Put alpha back as it was.
    sh(`/usr/local/bin/sp restore alpha ${good} --yes`);
    recordCase("planted dump (\\!, system, GRANT, SOURCE, LOAD DATA) through sp restore, earlier layout", tries);
  });

  it("database objects that try to break out of a dump restore as data, through sp restore and a re-created site", async () => {
    // The app makes its table (visits) on its first GET /db.
    assert.equal((await httpsGet("alpha.test", "/db", roots)).status, 200);
    // As alpha's own database account: names, comments, rows and a procedure body that end a line with \\! ...
    const out = pyInSite("alpha", `
import pymysql
c = pymysql.connect(host=__import__("os").environ["DATABASE_HOST"], user="alpha", password=open("/etc/secrets/db_pass").read(), database="alpha", autocommit=True)
cur = c.cursor()
cur.execute("CREATE TABLE IF NOT EXISTS hostile (\`x\\n\\\\! touch /tmp/sp-pwned-name\\nz\` TEXT COMMENT 'a\\n\\\\! touch /tmp/sp-pwned-comment\\n')")
cur.execute("INSERT INTO visits (note) VALUES (%s)", ("\\n\\\\! touch /tmp/sp-pwned-row\\n",))
cur.execute("DROP PROCEDURE IF EXISTS p")
cur.execute("CREATE PROCEDURE p() BEGIN SELECT 1; /*\\n\\\\! touch /tmp/sp-pwned-proc\\n*/ END")
print("planted")
`);
    assert.match(out, /planted/, out);
    sh("/usr/local/bin/sp backup alpha");
    // The dump root reads back holds the column's name across lines: one of them starts with \! (what a client without quote tracking would run).
    assert.match(fs.readFileSync("/sites/alpha/dump/alpha.sql", "utf8"), /^\\! touch \/tmp\/sp-pwned-name$/m);
    sh("/usr/local/bin/sp restore alpha --yes");
    assertNothingGained("restore");
    assert.match(rootSql("SELECT note FROM alpha.visits WHERE note LIKE '%sp-pwned-row%'"), /sp-pwned-row/, "the row came back as data");
    // The recovery path: the site goes (its data with it) and comes back from its snapshots (restore-on-create).
    await platform.setSites(platform.sites.filter((s) => s.name !== "alpha"));
    await platform.up();
    await platform.setSites([siteConfig("alpha"), ...platform.sites]);
    await platform.up();
    assertNothingGained("re-created site");
    assert.match(rootSql("SELECT note FROM alpha.visits WHERE note LIKE '%sp-pwned-row%'"), /sp-pwned-row/);
    recordCase("hostile names, comments, rows, procedure bodies through backup + restore and a re-created site", 2);
  });

  it("table names that would inject SQL and shell into the restore drill are counted as tables, nothing more", () => {
    // Names a site may give its tables (64 characters at most): one ends the drill's count query and
    // grants alpha everything; one makes the count print an array subscript with a command in it.
    const names = ["x", "x`;GRANT ALL ON*.*TO alpha@localhost#", "x` HAVING 0 UNION SELECT 'a[$(touch /tmp/sp-pwned-drill)]'#"];
    const out = pyInSite("alpha", `
import pymysql
c = pymysql.connect(host=__import__("os").environ["DATABASE_HOST"], user="alpha", password=open("/etc/secrets/db_pass").read(), database="alpha", autocommit=True)
cur = c.cursor()
for n in ${JSON.stringify(names)}:
    cur.execute("CREATE TABLE IF NOT EXISTS \`%s\` (v INT)" % n.replace("\`", "\`\`"))
    cur.execute("INSERT INTO \`%s\` VALUES (1)" % n.replace("\`", "\`\`"))
print("planted")
`);
    assert.match(out, /planted/, out);
    sh("/usr/local/bin/sp backup alpha");
    const drill = runBash("/usr/local/bin/sp drill alpha");
    assertNothingGained("drill");
    assert.equal(drill.status, 0, `the drill of alpha passes, the hostile tables counted as tables:\n${drill.stderr}`);
    assert.match(sh("/usr/local/bin/sp status alpha || true"), /drill=ok/);
    assert.equal(rootSql("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'spdrill%'").trim(), "0", "the scratch database is gone");
    pyInSite("alpha", `
import pymysql
c = pymysql.connect(host=__import__("os").environ["DATABASE_HOST"], user="alpha", password=open("/etc/secrets/db_pass").read(), database="alpha", autocommit=True)
for n in ${JSON.stringify(names)}:
    c.cursor().execute("DROP TABLE \`%s\`" % n.replace("\`", "\`\`"))
`);
    recordCase("table names injecting SQL and shell into the restore drill", 1);
  });

  it("a CACHEDIR.TAG linked to a FIFO (or a device of the host) is never opened by the backup", () => {
    // restic reads a dir's tag when it meets a file in that dir: public/ holds one beside the tag.
    const r = inSite("alpha", "mkfifo /shared/private/fifo && ln -s /sites/alpha/data/private/fifo /shared/public/CACHEDIR.TAG && echo x >/shared/public/beside-the-tag.txt && echo planted");
    assert.match(r.out, /planted/, r.out);
    try {
      const backup = runBash("timeout 120 /usr/local/bin/sp backup alpha");
      assert.equal(backup.status, 0, `the backup ends and succeeds (124: it blocked opening the FIFO as root):\n${backup.stderr}`);
    } finally {
      sh("rm -f /sites/alpha/data/public/CACHEDIR.TAG /sites/alpha/data/public/beside-the-tag.txt /sites/alpha/data/private/fifo");
    }
    recordCase("a cache tag linked to a FIFO, for root's backup to open", 1);
  });

  it("cannot swap its data dir's public/ (or any subdir) for a link to another site's files: the data dir is sticky", () => {
    const own = sh("stat -c %a /sites/alpha/data").trim();
    assert.equal(own, "3770", "alpha's data dir: setgid and sticky");
    const r = inSite("alpha", [
      "cd /shared || exit 9",
      "for d in public private sql tmp; do",
      "  if mv -T \"$d\" \"$d.old\" 2>/dev/null; then echo \"renamed $d\"; mv -T \"$d.old\" \"$d\"; fi",
      "  ln -s /sites/beta/data/public \"$d.link\" && if mv -Tf \"$d.link\" \"$d\" 2>/dev/null; then echo \"replaced $d\"; fi; rm -f \"$d.link\"",
      "  if rmdir \"$d\" 2>/dev/null; then echo \"removed $d\"; mkdir \"$d\"; fi",
      "done",
      "echo tried",
    ].join("\n"));
    assert.equal(r.out.trim(), "tried", `every rename, replacement and removal refused:\n${r.out}`);
    for (const d of ["public", "private", "sql", "tmp"]) {
      assert.ok(fs.lstatSync(`/sites/alpha/data/${d}`).isDirectory(), `${d} is still alpha's directory`);
    }
    recordCase("its public/ swapped for a link to another site's files (dockerd would mount it at the next restart)", 4);
  });

  /**
   * A racer as alpha's container user on the host, in alpha's data dir
   * (the same rights the container has there), replacing every entry root
   * touches with a link to root's canary, as fast as it can.
   */
  function startRacer(dataDir: string): ChildProcess {
    const gid = sh("getent group alpha | cut -d: -f3").trim();
    const names = ["public", "private", "sql", "tmp", "public/x", "sql/alpha.sql", "tmp/y"];
    const loop = `while :; do for n in ${names.join(" ")}; do rm -rf "${dataDir}/$n.r" 2>/dev/null; ln -s ${CANARY} "${dataDir}/$n.r" 2>/dev/null; ` +
      `mv -Tf "${dataDir}/$n.r" "${dataDir}/$n" 2>/dev/null; ln -sfn ${CANARY_DIR} "${dataDir}/$n" 2>/dev/null; done; done`;
    return spawn("setpriv", ["--reuid=33", `--regid=${gid}`, "--clear-groups", "--", "sh", "-c", loop], { stdio: "ignore" });
  }

  async function race(label: string, tries: number, attempt: (i: number) => void): Promise<void> {
    const before = canaryState();
    const racer = startRacer("/sites/alpha/data");
    try {
      for (let i = 0; i < tries; i++) attempt(i);
    } finally {
      racer.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(canaryState(), before, `${label}: root's canary is untouched (owner, mode, content)`);
    assert.equal(sh(`find /root /etc /var/lib/simple-paas -user 33 -print -quit 2>/dev/null`).trim(), "", `${label}: nothing of root's was given to the site`);
    recordCase(`symlinks raced against ${label}`, tries);
  }

  it("symlinks raced against backup (100 tries)", async () => {
    await race("sp backup", 100, () => { runBash("/usr/local/bin/sp backup alpha"); });
  });

  it("symlinks raced against restore (100 tries)", async () => {
    await race("sp restore", 100, () => { runBash("/usr/local/bin/sp restore alpha --yes"); });
  });

  it("symlinks raced against the site's setup step (100 tries)", async () => {
    const setup = renderSiteSetupScript({
      site: "alpha", sitesRoot: "/sites", configDir: "/etc/simple-paas", linuxUser: "alpha", linuxGroup: "alpha", dataDir: "/sites/alpha/data",
      dbName: "alpha", dbUser: "alpha", secretEnvNames: ["API_TOKEN"], dbClient: { mode: "socket" },
    });
    const secrets = JSON.stringify({ dbPassword: fs.readFileSync("/etc/simple-paas/sites/alpha/secrets/db_pass", "utf8"), hashSalt: "s", secretEnv: { API_TOKEN: "token-of-alpha" } });
    await race("site setup", 100, () => { runBash(setup, { stdin: secrets }); });
    sh("find /sites/alpha/data -maxdepth 1 -name '*.sp-displaced-*' -exec rm -rf {} +");
  });

  it("symlinks raced against data removal (100 tries, on a scratch copy of the layout)", async () => {
    const scratchSite = "/sites/alpha-scratch";
    const script = renderSiteDatabaseRemovalScript({
      site: "alpha", configDir: "/etc/simple-paas", dbName: "sp_scratch_never", dbUser: "sp_scratch_never", userHostPattern: "10.255.255.0/255.255.255.240",
      deleteData: {
        dataDir: `${scratchSite}/data`, dumpDir: `${scratchSite}/dump`, finalBackupDone: `${scratchSite}/final-backup-done`,
        lockFile: "/var/lib/simple-paas/backup-status/alpha-scratch.lock", removedMark: "/var/lib/simple-paas/backup-status/alpha-scratch.removed",
      },
    });
    const gid = sh("getent group alpha | cut -d: -f3").trim();
    const before = canaryState();
    let tries = 0;
    for (let i = 0; i < 100; i++) {
      // Afresh each time: a removal the racer outran (rm -rf meets entries it keeps making) leaves links behind.
      sh(`rm -rf --one-file-system ${scratchSite} && install -d -m 0750 -g ${gid} ${scratchSite} && install -d -m 2770 -o alpha -g ${gid} ${scratchSite}/data ${scratchSite}/data/public && date >${scratchSite}/final-backup-done`);
      const racer = startRacer(`${scratchSite}/data`);
      try {
        runBash(script);
        tries++;
      } finally {
        racer.kill("SIGKILL");
      }
    }
    sh(`rm -rf ${scratchSite} /var/lib/simple-paas/backup-status/alpha-scratch.*`);
    assert.equal(canaryState(), before, "root's canary survives every removal");
    recordCase("symlinks raced against data removal (deleteDataOnDestroy)", tries);
  });

  it("after all that, alpha still restores and every site serves", async () => {
    sh("/usr/local/bin/sp backup alpha && /usr/local/bin/sp restore alpha --yes");
    for (const site of SITES) {
      await eventually(() => httpsGet(`${site}.test`, "/health", roots).then((r) => { if (r.status !== 200) throw new Error(String(r.status)); }), 60, 1000);
    }
    assertNothingGained("at the end");
  });
});

