/**
 * Runs the rendered site setup/teardown scripts for real for two sites on a
 * host prepared by the real host scripts, then proves the isolation between
 * the sites with real MariaDB logins and real Linux permission checks.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { renderSiteDatabaseRemovalScript, renderSiteDatabaseScript } from "../../components/render/site-database";
import { renderSiteSetupScript, renderSiteTeardownScript, SiteSetupInput } from "../../components/render/site-setup";
import { runBash, sh } from "../support/run";
import { adminSql, assertOk, HostFixture, IT_ADMIN_USER, IT_NETWORK, setUpHost, sourceEnvFile, tearDownHost } from "./host-fixture";

interface TestSite {
  input: SiteSetupInput;
  secrets: { dbPassword: string; hashSalt: string; secretEnv: Record<string, string> };
  /** The site's own docker network, as SimpleSite makes it (a /28 on a bridge the host firewall knows). */
  network: { name: string; subnet: string; bridge: string; pattern: string };
}

/** Two sites' networks apart from the e2e ones (172.31.0.0/16). */
const SITE_NETWORKS: Record<string, TestSite["network"]> = {
  "it-a": { name: "simple-paas-it-a", subnet: "172.29.251.16/28", bridge: "spb-9901", pattern: "172.29.251.16/255.255.255.240" },
  "it-b": { name: "simple-paas-it-b", subnet: "172.29.251.32/28", bridge: "spb-9902", pattern: "172.29.251.32/255.255.255.240" },
};

function makeSite(f: HostFixture, name: string): TestSite {
  const db = `sp_it_${name.replace(/-/g, "_")}`;
  return {
    input: {
      site: name,
      sitesRoot: f.input.sitesRoot,
      configDir: f.input.configDir,
      linuxUser: `sp-${name}`,
      linuxGroup: `sp-${name}`,
      dataDir: path.join(f.input.sitesRoot, name, "data"),
      dbName: db,
      dbUser: db,
      secretEnvNames: ["API_KEY", "OLD_TOKEN"],
      dbClient: { mode: "socket" },
    },
    network: SITE_NETWORKS[name],
    secrets: {
      dbPassword: `db pw of ${name} 'q' "dq" \\ ${Math.random().toString(36).slice(2)}`,
      hashSalt: `salt\n${name}`,
      secretEnv: { API_KEY: `key-${name}`, OLD_TOKEN: "" },
    },
  };
}

function setup(site: TestSite) {
  return runBash(renderSiteSetupScript(site.input), { stdin: JSON.stringify(site.secrets) });
}

function ids(stdout: string): { uid: number; gid: number } {
  assert.match(stdout, /^\{"uid":\d+,"gid":\d+\}\n$/, "stdout is exactly one JSON line");
  return JSON.parse(stdout);
}

/** Runs a command as a site's Linux user (its groups from /etc/group), without a shell. */
function asUser(user: string, args: string[]) {
  return spawnSync("setpriv", ["--reuid", user, "--regid", user, "--init-groups", "--", ...args], { encoding: "utf8" });
}

/** A client option file for a site's DB user, so its password stays off command lines. */
function siteCnf(f: HostFixture, site: TestSite): string {
  const file = path.join(f.root, `${site.input.site}.cnf`);
  const quoted = site.secrets.dbPassword.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
  fs.writeFileSync(file, `[client]\nuser="${site.input.dbUser}"\npassword="${quoted}"\n`, { mode: 0o600 });
  return file;
}

/**
 * Runs the host's mysql client as a site's DB user. `netnsPid`: inside that
 * process's network namespace (a container on the site's own network), so
 * the connection comes from a container address as a site's would, through
 * the host's firewall.
 */
function siteSql(cnf: string, host: string, sql: string, netnsPid?: string) {
  const mysql = ["mysql", `--defaults-extra-file=${cnf}`, "--protocol=tcp", `--host=${host}`, "-N", "-B", "-e", sql];
  const argv = netnsPid === undefined ? mysql : ["nsenter", `--net=/proc/${netnsPid}/ns/net`, ...mysql];
  return spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
}

const CLIENT_IMAGE = "simple-paas-it/netns:1";
const CLIENT_CONTAINER = "simple-paas-it-db-client";

/** Creates a site's own network as SimpleSite does (unless it exists). */
function ensureSiteNetwork(n: TestSite["network"]): void {
  if (spawnSync("docker", ["network", "inspect", n.name], { stdio: "ignore" }).status === 0) return;
  sh(`docker network create --subnet ${n.subnet} -o com.docker.network.bridge.name=${n.bridge} ${n.name} >/dev/null`);
}

/** A container on a site's own network that only sleeps: its network namespace is where the site's client runs. */
function startNetworkClient(root: string, site: TestSite): string {
  const dir = path.join(root, "netns-image");
  fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
  fs.copyFileSync("/bin/busybox", path.join(dir, "bin", "busybox")); // Debian's static busybox
  fs.chmodSync(path.join(dir, "bin", "busybox"), 0o755);
  sh(`tar -C ${JSON.stringify(dir)} -c . | docker import - ${CLIENT_IMAGE} >/dev/null`);
  sh(`docker rm -f ${CLIENT_CONTAINER} >/dev/null 2>&1 || true`);
  ensureSiteNetwork(site.network);
  sh(`docker run -d --network ${site.network.name} --name ${CLIENT_CONTAINER} ${CLIENT_IMAGE} /bin/busybox sleep 900 >/dev/null`);
  return sh(`docker inspect -f '{{.State.Pid}}' ${CLIENT_CONTAINER}`).trim();
}

function stopNetworkClient(): void {
  sh(`docker rm -f ${CLIENT_CONTAINER} >/dev/null 2>&1 || true; docker rmi ${CLIENT_IMAGE} >/dev/null 2>&1 || true`);
}

/** The database's name as a grant holds it ("_" escaped as "\\_": no wildcard), printed by mysql -B (which doubles "\\"). */
function escapedDb(site: TestSite): string {
  return site.input.dbName.replace(/_/g, "\\\\_");
}

function mode(p: string): string {
  const st = fs.statSync(p);
  return `${(st.mode & 0o7777).toString(8)} ${sh(`stat -c '%U:%G' ${JSON.stringify(p)}`).trim()}`;
}

describe("site setup scripts (real users, files and MariaDB)", function () {
  this.timeout(20 * 60_000);
  let f: HostFixture;
  let a: TestSite;
  let b: TestSite;

  before(() => {
    f = setUpHost();
    a = makeSite(f, "it-a");
    b = makeSite(f, "it-b");
  });

  after(() => {
    const errors: string[] = [];
    for (const site of [a, b].filter(Boolean)) {
      try {
        adminSql(f, `DROP DATABASE IF EXISTS ${site.input.dbName}; DROP USER IF EXISTS '${site.input.dbUser}'@'${site.network.pattern}'; DROP USER IF EXISTS '${site.input.dbUser}'@'localhost';`);
        sh(`docker network rm ${site.network.name} >/dev/null 2>&1 || true`);
      } catch (e) { errors.push((e as Error).message); }
      fs.rmSync(`/etc/cron.d/simple-paas-${site.input.site}`, { force: true });
      spawnSync("userdel", [site.input.linuxUser]);
      spawnSync("groupdel", [site.input.linuxGroup]);
    }
    tearDownHost(f);
    if (errors.length) throw new Error(errors.join("\n"));
  });

  it("sets up both sites; a second run changes nothing and reports the same uid/gid", () => {
    for (const site of [a, b]) {
      const first = setup(site);
      assertOk(first, `setup ${site.input.site}`);
      const again = setup(site);
      assertOk(again, `setup ${site.input.site} again`);
      assert.deepEqual(ids(again.stdout), ids(first.stdout));
      assert.match(again.stderr, /done: nothing changed\n$/);
      for (const r of [first, again]) {
        for (const secret of [site.secrets.dbPassword, site.secrets.hashSalt, site.secrets.secretEnv.API_KEY]) {
          assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret), "a secret was printed");
        }
      }
      const { uid, gid } = ids(first.stdout);
      assert.equal(sh(`id -u ${site.input.linuxUser}`).trim(), String(uid));
      assert.equal(sh(`getent group ${site.input.linuxGroup} | cut -d: -f3`).trim(), String(gid));
      const passwd = sh(`getent passwd ${site.input.linuxUser}`).trim().split(":");
      assert.deepEqual([passwd[3], passwd[5], passwd[6]], [String(gid), path.join(f.input.sitesRoot, site.input.site), "/usr/sbin/nologin"]);
    }
  });

  it("creates the directories and secret files with the owners and modes of HOST-LAYOUT.md", () => {
    const { sitesRoot, configDir } = f.input;
    const expected: Record<string, string> = {
      [path.join(sitesRoot, "it-a")]: "750 root:sp-it-a",
      [path.join(sitesRoot, "it-a", "data")]: "3770 sp-it-a:sp-it-a",
      [path.join(sitesRoot, "it-a", "dump")]: "700 root:root",
      ...Object.fromEntries(["public", "private", "sql", "tmp"].map((d) => [path.join(sitesRoot, "it-a", "data", d), "2770 sp-it-a:sp-it-a"])),
      [path.join(configDir, "sites", "it-a", "site.env")]: "600 root:root",
      [path.join(configDir, "sites", "it-a", "secrets")]: "750 root:sp-it-a",
      [path.join(configDir, "sites", "it-a", "secrets", "db_pass")]: "440 root:sp-it-a",
      [path.join(configDir, "sites", "it-a", "secrets", "hash_salt")]: "440 root:sp-it-a",
      [path.join(configDir, "sites", "it-a", "secrets", "env", "API_KEY")]: "440 root:sp-it-a",
    };
    for (const [p, want] of Object.entries(expected)) assert.equal(mode(p), want, p);
    const secrets = path.join(configDir, "sites", "it-a", "secrets");
    assert.equal(fs.readFileSync(path.join(secrets, "db_pass"), "utf8"), a.secrets.dbPassword);
    assert.equal(fs.readFileSync(path.join(secrets, "hash_salt"), "utf8"), a.secrets.hashSalt);
    assert.equal(fs.readFileSync(path.join(secrets, "env", "API_KEY"), "utf8"), "key-it-a");
    assert.equal(fs.readFileSync(path.join(secrets, "env", "OLD_TOKEN"), "utf8"), "");
    const siteEnvKeys = ["SP_SITE", "SP_DATA_DIR", "SP_DUMP_DIR", "SP_DB_NAME", "SP_DB_USER", "SP_USER", "SP_GROUP", "SP_DB_CLIENT"];
    assert.deepEqual(sourceEnvFile(path.join(configDir, "sites", "it-a", "site.env"), siteEnvKeys), {
      SP_SITE: "it-a", SP_DATA_DIR: a.input.dataDir, SP_DUMP_DIR: path.join(sitesRoot, "it-a", "dump"), SP_DB_NAME: "sp_it_it_a",
      SP_DB_USER: "sp_it_it_a", SP_USER: "sp-it-a", SP_GROUP: "sp-it-a", SP_DB_CLIENT: "socket",
    });
    assert.match(fs.readFileSync(path.join(configDir, "sites", "it-a", "created"), "utf8"), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
  });

  it("repairs modes that drifted and removes secret env files no longer listed", () => {
    const dataDir = a.input.dataDir;
    fs.chmodSync(path.join(dataDir, "public"), 0o777);
    a = { ...a, input: { ...a.input, secretEnvNames: ["API_KEY"] }, secrets: { ...a.secrets, secretEnv: { API_KEY: "key-it-a" } } };
    const r = setup(a);
    assertOk(r, "setup with fewer secrets");
    assert.equal(mode(path.join(dataDir, "public")), "2770 sp-it-a:sp-it-a");
    assert.match(r.stderr, /OLD_TOKEN: removed/);
    assert.deepEqual(fs.readdirSync(path.join(f.input.configDir, "sites", "it-a", "secrets", "env")), ["API_KEY"]);
  });

  it("moves aside (as the site's user) a link or a file the site left where a data subdir belongs, and follows none", () => {
    const dataDir = a.input.dataDir;
    const victim = path.join(f.root, "root-only.txt");
    fs.writeFileSync(victim, "root's\n", { mode: 0o600 });
    fs.rmSync(path.join(dataDir, "private"), { recursive: true });
    fs.symlinkSync(victim, path.join(dataDir, "private"));
    fs.rmSync(path.join(dataDir, "tmp"), { recursive: true });
    fs.writeFileSync(path.join(dataDir, "tmp"), "a file\n");
    const r = setup(a);
    assertOk(r, "setup over a planted link");
    assert.match(r.stderr, /private was not a directory: moved to .*private\.sp-displaced-\d+/);
    assert.equal(mode(path.join(dataDir, "private")), "2770 sp-it-a:sp-it-a");
    assert.equal(mode(path.join(dataDir, "tmp")), "2770 sp-it-a:sp-it-a");
    assert.equal(mode(victim), "600 root:root", "the link's target was not touched");
    for (const e of fs.readdirSync(dataDir).filter((n) => n.includes("displaced"))) fs.rmSync(path.join(dataDir, e), { force: true });
  });

  it("rejects a secrets JSON that does not match the listed names, before changing anything", () => {
    const r = runBash(renderSiteSetupScript(a.input), { stdin: JSON.stringify({ ...a.secrets, secretEnv: {} }) });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /ERROR: secretEnv on stdin has \[\], expected \["API_KEY"\]/);
    assert.equal(r.stdout, "");
  });

  function dbInput(site: TestSite) {
    return {
      site: site.input.site, configDir: f.input.configDir, dbName: site.input.dbName, dbUser: site.input.dbUser,
      userHostPattern: site.network.pattern, generation: "1",
    };
  }
  function createDatabase(site: TestSite, password = site.secrets.dbPassword) {
    return runBash(renderSiteDatabaseScript(dbInput(site)), { stdin: `${password}\n` });
  }

  it("the database step makes an utf8mb4 database, a user on the site's network (and over the socket) and its grant; a second run changes nothing", () => {
    for (const site of [a, b]) {
      const first = createDatabase(site);
      assertOk(first, `database ${site.input.site}`);
      assert.equal(first.stdout, "", "stdout unused");
      assert.match(first.stderr, new RegExp(`database ${site.input.dbName}: created \\(utf8mb4, utf8mb4_unicode_ci\\)`));
      assert.match(first.stderr, /: created, with all privileges on /);
      assert.ok(!first.stderr.includes(site.secrets.dbPassword), "the password is never logged");
      const again = createDatabase(site);
      assertOk(again, `database ${site.input.site} again`);
      assert.match(again.stderr, /done: nothing changed\n$/);
      assert.equal(adminSql(f, `SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${site.input.dbName}'`),
        "utf8mb4\tutf8mb4_unicode_ci\n");
      assert.equal(adminSql(f, `SHOW GRANTS FOR '${site.input.dbUser}'@'${site.network.pattern}'`).split("\n").filter((l) => l.startsWith("GRANT ALL")).join("\n"),
        `GRANT ALL PRIVILEGES ON \`${escapedDb(site)}\`.* TO \`${site.input.dbUser}\`@\`${site.network.pattern}\``, "the name's _ escaped: no wildcard");
      assert.equal(adminSql(f, `SHOW GRANTS FOR '${site.input.dbUser}'@'localhost'`).split("\n").filter((l) => l.startsWith("GRANT ALL")).join("\n"),
        `GRANT ALL PRIVILEGES ON \`${escapedDb(site)}\`.* TO \`${site.input.dbUser}\`@\`localhost\``, "the socket account: the same grant, no more");
      adminSql(f, `CREATE TABLE IF NOT EXISTS ${site.input.dbName}.t (v VARCHAR(20)); INSERT INTO ${site.input.dbName}.t VALUES ('${site.input.site}');`);
    }
  });

  it("the database step revokes the unescaped grant of earlier releases (\"_\" matched any character)", () => {
    adminSql(f, `GRANT ALL PRIVILEGES ON \`${a.input.dbName}\`.* TO '${a.input.dbUser}'@'${a.network.pattern}'`);
    const r = createDatabase(a);
    assertOk(r, "database a over an earlier release's grant");
    assert.match(r.stderr, new RegExp(`user ${a.input.dbUser}@${a.network.pattern.replace(/\./g, "\\.")}: the wildcard grant on ${a.input.dbName} .* revoked`));
    assert.equal(adminSql(f, `SELECT Db FROM mysql.db WHERE User = '${a.input.dbUser}' ORDER BY Db`), `${escapedDb(a)}\n${escapedDb(a)}\n`,
      "only the escaped grants stay (the network's and the socket's)");
    assert.match(createDatabase(a).stderr, /done: nothing changed\n$/);
  });

  it("the database step fails loudly without a password on stdin or with an admin account that cannot log in", () => {
    const none = runBash(renderSiteDatabaseScript(dbInput(a)), { stdin: "" });
    assert.equal(none.status, 1);
    assert.match(none.stderr, /ERROR: expected the site's database password on stdin/);
    const otherConfig = path.join(f.root, "no-admin");
    fs.mkdirSync(otherConfig);
    fs.writeFileSync(path.join(otherConfig, "mysql-admin.cnf"), `[client]\nuser = "${IT_ADMIN_USER}"\npassword = "wrong"\nhost = "127.0.0.1"\n`, { mode: 0o600 });
    const wrong = runBash(renderSiteDatabaseScript({ ...dbInput(a), configDir: otherConfig }), { stdin: "pw\n" });
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /ERROR: cannot log in to MariaDB as the admin account of .*no-admin\/mysql-admin\.cnf: .*Access denied/);
    fs.rmSync(path.join(otherConfig, "mysql-admin.cnf"));
    const missing = runBash(renderSiteDatabaseScript({ ...dbInput(a), configDir: otherConfig }), { stdin: "pw\n" });
    assert.match(missing.stderr, /ERROR: .*mysql-admin\.cnf is missing: the host's services step has not run on this host/);
    const removal = runBash(renderSiteDatabaseRemovalScript({ ...dbInput(a), configDir: otherConfig }));
    assertOk(removal, "removal on a host that is not set up");
    assert.match(removal.stderr, /not set up on this host \(new or wiped\), nothing to remove/);
  });

  it("each site's DB user reaches its own database from its own network (through the firewall) and nothing else", () => {
    const cnfA = siteCnf(f, a);
    const pid = startNetworkClient(f.root, a);
    try {
      const own = siteSql(cnfA, IT_NETWORK.gateway, `SELECT CURRENT_USER(); SELECT v FROM ${a.input.dbName}.t;`, pid);
      assert.equal(own.status, 0, own.stderr);
      assert.equal(own.stdout, `${a.input.dbUser}@${a.network.pattern}\nit-a\n`);
      const other = siteSql(cnfA, IT_NETWORK.gateway, `SELECT v FROM ${b.input.dbName}.t;`, pid);
      assert.notEqual(other.status, 0);
      assert.match(other.stderr, /ERROR 1142 .*SELECT command denied to user 'sp_it_it_a'@'172\.29\.251\.\d+' for table/);
      // "_" in its database's name matches no other character: no database of a look-alike name is its.
      const lookAlike = a.input.dbName.replace(/_/g, "x");
      const create = siteSql(cnfA, IT_NETWORK.gateway, `CREATE DATABASE ${lookAlike};`, pid);
      assert.match(create.stderr, new RegExp(`ERROR 1044 .*Access denied for user .* to database '${lookAlike}'`));
      const use = siteSql(cnfA, IT_NETWORK.gateway, `USE ${b.input.dbName};`, pid);
      assert.match(use.stderr, /ERROR 1044 .*Access denied for user 'sp_it_it_a'@'172\.29\.251\.16\/255\.255\.255\.240' to database 'sp_it_it_b'/);
      // Site b's account, password and all, does not log in from site a's network.
      const asB = siteSql(siteCnf(f, b), IT_NETWORK.gateway, "SELECT 1;", pid);
      assert.match(asB.stderr, /ERROR 1045 .*Access denied for user 'sp_it_it_b'@'172\.29\.251\.\d+'/);
    } finally {
      stopNetworkClient();
    }
    const pidB = startNetworkClient(f.root, b);
    try {
      const ownB = siteSql(siteCnf(f, b), IT_NETWORK.gateway, `SELECT v FROM ${b.input.dbName}.t;`, pidB);
      assert.equal(ownB.stdout, "it-b\n", ownB.stderr);
    } finally {
      stopNetworkClient();
    }
    // Outside the network (here: the host over loopback) the site's user cannot log in at all.
    const loopback = siteSql(cnfA, "127.0.0.1", "SELECT 1;");
    assert.match(loopback.stderr, /ERROR (1045|1698) .*Access denied for user 'sp_it_it_a'@'127\.0\.0\.1'/);
  });

  it("a new password from the database step replaces the old one", () => {
    const pid = startNetworkClient(f.root, a);
    try {
      const newPassword = `${a.secrets.dbPassword} changed`;
      assertOk(createDatabase(a, newPassword), "database step with a new password");
      const old = siteSql(siteCnf(f, a), IT_NETWORK.gateway, "SELECT 1;", pid);
      assert.match(old.stderr, /ERROR 1045 .*Access denied/);
      const renewed = siteSql(siteCnf(f, { ...a, secrets: { ...a.secrets, dbPassword: newPassword } }), IT_NETWORK.gateway, `SELECT v FROM ${a.input.dbName}.t;`, pid);
      assert.equal(renewed.stdout, "it-a\n", renewed.stderr);
    } finally {
      assertOk(createDatabase(a), "database step with the first password again");
      stopNetworkClient();
    }
  });

  it("the database step drops the site's user on an older sites network, and no one else's", () => {
    adminSql(f, `CREATE USER '${a.input.dbUser}'@'10.9.0.0/255.255.0.0' IDENTIFIED BY 'x'; CREATE USER '${a.input.dbUser}'@'db-admin.example.com' IDENTIFIED BY 'y';`);
    try {
      const r = createDatabase(a);
      assertOk(r, "database step");
      assert.match(r.stderr, /user sp_it_it_a@'10\.9\.0\.0\/255\.255\.0\.0': dropped/);
      assert.equal(adminSql(f, `SELECT Host FROM mysql.user WHERE User = '${a.input.dbUser}' ORDER BY Host`), `${a.network.pattern}\ndb-admin.example.com\nlocalhost\n`,
        "the operator's own account (not ADDRESS/NETMASK) and the site's socket account stay");
    } finally {
      adminSql(f, `DROP USER IF EXISTS '${a.input.dbUser}'@'10.9.0.0/255.255.0.0'; DROP USER IF EXISTS '${a.input.dbUser}'@'db-admin.example.com';`);
      assertOk(createDatabase(a), "database step");
    }
  });

  it("the database removal drops the user and keeps the database; with deleteData it drops both and the data dir", () => {
    const down = runBash(renderSiteDatabaseRemovalScript(dbInput(b)));
    assertOk(down, "removal");
    assert.equal(adminSql(f, `SELECT COUNT(*) FROM mysql.user WHERE User = '${b.input.dbUser}'`), "0\n");
    assert.equal(adminSql(f, `SELECT v FROM ${b.input.dbName}.t`), "it-b\n", "rows kept");
    assertOk(runBash(renderSiteDatabaseRemovalScript(dbInput(b))), "removal again");
    assertOk(createDatabase(b), "database step after a removal");
    assert.equal(adminSql(f, `SELECT v FROM ${b.input.dbName}.t`), "it-b\n", "the same database again");

    const scratch = path.join(f.root, "scratch-data");
    fs.mkdirSync(path.join(scratch, "public"), { recursive: true });
    fs.writeFileSync(path.join(scratch, "public", "f.txt"), "x");
    const finalBackupDone = path.join(f.root, "final-backup-done");
    const deleteData = {
      dataDir: scratch, dumpDir: path.join(f.root, "scratch-dump"), finalBackupDone,
      lockFile: path.join(f.input.statusDir, "it-b.lock"), removedMark: path.join(f.input.statusDir, "it-b.removed"),
    };
    // No final backup taken (another generation, or none armed): nothing is deleted.
    const kept = runBash(renderSiteDatabaseRemovalScript({ ...dbInput(b), deleteData }));
    assertOk(kept, "removal with deleteData but no final backup");
    assert.match(kept.stderr, /no final backup was taken now .*: database sp_it_it_b and .*scratch-data kept/);
    assert.ok(fs.existsSync(path.join(scratch, "public", "f.txt")), "data kept without a final backup");
    assert.equal(adminSql(f, `SELECT v FROM ${b.input.dbName}.t`), "it-b\n", "rows kept without a final backup");
    assertOk(createDatabase(b), "database step again");
    fs.writeFileSync(finalBackupDone, "2026-11-30T00:00:00Z\n");
    const gone = runBash(renderSiteDatabaseRemovalScript({ ...dbInput(b), deleteData }));
    assertOk(gone, "removal with deleteData");
    assert.ok(!fs.existsSync(finalBackupDone), "the final backup's mark is used up");
    assert.equal(adminSql(f, `SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${b.input.dbName}'`), "0\n");
    assert.ok(!fs.existsSync(scratch), "data dir deleted");
    assert.match(fs.readFileSync(deleteData.removedMark, "utf8"), /^\d{4}-/, "marked removed, under the site's lock");
    fs.rmSync(deleteData.removedMark);
    assertOk(createDatabase(b), "database step after deleteData");
    adminSql(f, `CREATE TABLE ${b.input.dbName}.t (v VARCHAR(20)); INSERT INTO ${b.input.dbName}.t VALUES ('it-b');`);
  });

  it("each site's Linux user reaches its own files and secrets, not the other site's", () => {
    const aData = a.input.dataDir;
    const bData = b.input.dataDir;
    const secretsOf = (s: TestSite) => path.join(f.input.configDir, "sites", s.input.site, "secrets", "db_pass");
    assert.equal(asUser("sp-it-a", ["touch", path.join(aData, "public", "own.txt")]).status, 0);
    assert.equal(asUser("sp-it-a", ["cat", secretsOf(a)]).stdout, fs.readFileSync(secretsOf(a), "utf8"));
    const listOther = asUser("sp-it-a", ["ls", bData]);
    assert.notEqual(listOther.status, 0);
    assert.match(listOther.stderr, /Permission denied/);
    assert.notEqual(asUser("sp-it-a", ["touch", path.join(bData, "public", "x")]).status, 0);
    const readOther = asUser("sp-it-a", ["cat", secretsOf(b)]);
    assert.match(readOther.stderr, /Permission denied/);
    assert.match(asUser("sp-it-a", ["cat", path.join(f.input.configDir, "sites", "it-a", "site.env")]).stderr, /Permission denied/);
  });

  it("teardown keeps the data, backup credentials and user; a re-creation reuses them", () => {
    const siteConf = path.join(f.input.configDir, "sites", "it-a");
    fs.mkdirSync(path.join(siteConf, "backup"), { mode: 0o700 });
    fs.writeFileSync(path.join(siteConf, "backup", "restic_pass"), "keep me", { mode: 0o600 });
    fs.writeFileSync("/etc/cron.d/simple-paas-it-a", "# test cron file, removed by the teardown\n");
    const route = path.join(f.input.configDir, "proxy", "sites", "it-a.caddy");
    fs.writeFileSync(route, "# route\n");
    const before = ids(setup(a).stdout);

    const down = runBash(renderSiteTeardownScript(a.input));
    assertOk(down, "teardown");
    assert.deepEqual(fs.readdirSync(siteConf), ["backup"]);
    assert.equal(fs.readFileSync(path.join(siteConf, "backup", "restic_pass"), "utf8"), "keep me");
    assert.ok(!fs.existsSync("/etc/cron.d/simple-paas-it-a"));
    assert.ok(!fs.existsSync(route));
    assert.ok(fs.existsSync(path.join(a.input.dataDir, "public", "own.txt")));
    assert.equal(sh("id -u sp-it-a").trim(), String(before.uid));

    const again = runBash(renderSiteTeardownScript(a.input));
    assertOk(again, "teardown again");
    assert.match(again.stderr, /done: nothing changed\n$/);

    const recreated = setup(a);
    assertOk(recreated, "setup after teardown");
    assert.deepEqual(ids(recreated.stdout), before);
    assert.ok(fs.existsSync(path.join(siteConf, "secrets", "db_pass")));
  });
});
