/**
 * Runs the rendered site setup/teardown scripts for real for two sites on a
 * host prepared by the real host scripts, then proves the isolation between
 * the sites with real MariaDB logins and real Linux permission checks.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { renderSiteSetupScript, renderSiteTeardownScript, SiteSetupInput } from "../../components/render/site-setup";
import { runBash, sh } from "../support/run";
import { adminSql, assertOk, HostFixture, IT_NETWORK, setUpHost, sourceEnvFile, tearDownHost } from "./host-fixture";

interface TestSite {
  input: SiteSetupInput;
  secrets: { dbPassword: string; hashSalt: string; secretEnv: Record<string, string> };
}

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
    },
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
 * process's network namespace (a container on the sites' network), so the
 * connection comes from a container address as a site's would. (From the
 * host itself to the gateway it would not: docker's MASQUERADE rule for the
 * subnet rewrites the source to the host's main address.)
 */
function siteSql(cnf: string, host: string, sql: string, netnsPid?: string) {
  const mysql = ["mysql", `--defaults-extra-file=${cnf}`, "--protocol=tcp", `--host=${host}`, "-N", "-B", "-e", sql];
  const argv = netnsPid === undefined ? mysql : ["nsenter", `--net=/proc/${netnsPid}/ns/net`, ...mysql];
  return spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
}

const CLIENT_IMAGE = "simple-paas-it/netns:1";
const CLIENT_CONTAINER = "simple-paas-it-db-client";

/** A container on the sites' network that only sleeps: its network namespace is where the site's client runs. */
function startNetworkClient(root: string): string {
  const dir = path.join(root, "netns-image");
  fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
  fs.copyFileSync("/bin/busybox", path.join(dir, "bin", "busybox")); // Debian's static busybox
  fs.chmodSync(path.join(dir, "bin", "busybox"), 0o755);
  sh(`tar -C ${JSON.stringify(dir)} -c . | docker import - ${CLIENT_IMAGE} >/dev/null`);
  sh(`docker rm -f ${CLIENT_CONTAINER} >/dev/null 2>&1 || true`);
  sh(`docker run -d --network ${IT_NETWORK.name} --name ${CLIENT_CONTAINER} ${CLIENT_IMAGE} /bin/busybox sleep 900 >/dev/null`);
  return sh(`docker inspect -f '{{.State.Pid}}' ${CLIENT_CONTAINER}`).trim();
}

function stopNetworkClient(): void {
  sh(`docker rm -f ${CLIENT_CONTAINER} >/dev/null 2>&1 || true; docker rmi ${CLIENT_IMAGE} >/dev/null 2>&1 || true`);
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
  const subnetPattern = IT_NETWORK.subnet.replace(/\.0\/24$/, ".%"); // 172.31.250.%

  before(() => {
    f = setUpHost();
    a = makeSite(f, "it-a");
    b = makeSite(f, "it-b");
  });

  after(() => {
    const errors: string[] = [];
    for (const site of [a, b].filter(Boolean)) {
      try {
        adminSql(f, `DROP DATABASE IF EXISTS ${site.input.dbName}; DROP USER IF EXISTS '${site.input.dbUser}'@'${subnetPattern}';`);
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
      [path.join(sitesRoot, "it-a", "data")]: "2770 sp-it-a:sp-it-a",
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
    const siteEnvKeys = ["SP_SITE", "SP_DATA_DIR", "SP_DB_NAME", "SP_DB_USER", "SP_USER", "SP_GROUP"];
    assert.deepEqual(sourceEnvFile(path.join(configDir, "sites", "it-a", "site.env"), siteEnvKeys), {
      SP_SITE: "it-a", SP_DATA_DIR: a.input.dataDir, SP_DB_NAME: "sp_it_it_a", SP_DB_USER: "sp_it_it_a", SP_USER: "sp-it-a", SP_GROUP: "sp-it-a",
    });
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

  it("rejects a secrets JSON that does not match the listed names, before changing anything", () => {
    const r = runBash(renderSiteSetupScript(a.input), { stdin: JSON.stringify({ ...a.secrets, secretEnv: {} }) });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /ERROR: secretEnv on stdin has \[\], expected \["API_KEY"\]/);
    assert.equal(r.stdout, "");
  });

  it("each site's DB user reaches its own database from the docker network and nothing else", () => {
    for (const site of [a, b]) {
      const pw = fs.readFileSync(path.join(f.input.configDir, "sites", site.input.site, "secrets", "db_pass"), "utf8");
      const literal = `'${pw.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
      // What the component does with the mysql provider: database, user restricted to the network, grant on its database only.
      adminSql(f, [
        `CREATE DATABASE IF NOT EXISTS ${site.input.dbName};`,
        `CREATE USER IF NOT EXISTS '${site.input.dbUser}'@'${subnetPattern}' IDENTIFIED BY ${literal};`,
        `GRANT ALL PRIVILEGES ON ${site.input.dbName}.* TO '${site.input.dbUser}'@'${subnetPattern}';`,
        `CREATE TABLE IF NOT EXISTS ${site.input.dbName}.t (v VARCHAR(20)); INSERT INTO ${site.input.dbName}.t VALUES ('${site.input.site}');`,
      ].join("\n"));
    }
    const cnfA = siteCnf(f, a);
    const pid = startNetworkClient(f.root);
    try {
      const own = siteSql(cnfA, IT_NETWORK.gateway, `SELECT CURRENT_USER(); SELECT v FROM ${a.input.dbName}.t;`, pid);
      assert.equal(own.status, 0, own.stderr);
      assert.equal(own.stdout, `${a.input.dbUser}@${subnetPattern}\nit-a\n`);
      const other = siteSql(cnfA, IT_NETWORK.gateway, `SELECT v FROM ${b.input.dbName}.t;`, pid);
      assert.notEqual(other.status, 0);
      assert.match(other.stderr, /ERROR 1142 .*SELECT command denied to user 'sp_it_it_a'@'172\.31\.250\.\d+' for table/);
      const use = siteSql(cnfA, IT_NETWORK.gateway, `USE ${b.input.dbName};`, pid);
      assert.match(use.stderr, /ERROR 1044 .*Access denied for user 'sp_it_it_a'@'172\.31\.250\.%' to database 'sp_it_it_b'/);
      const cnfB = siteCnf(f, b);
      const ownB = siteSql(cnfB, IT_NETWORK.gateway, `SELECT v FROM ${b.input.dbName}.t;`, pid);
      assert.equal(ownB.stdout, "it-b\n", ownB.stderr);
    } finally {
      stopNetworkClient();
    }
    // Outside the network (here: the host over loopback) the site's user cannot log in at all.
    const loopback = siteSql(cnfA, "127.0.0.1", "SELECT 1;");
    assert.match(loopback.stderr, /ERROR (1045|1698) .*Access denied for user 'sp_it_it_a'@'127\.0\.0\.1'/);
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
