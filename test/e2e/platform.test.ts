/**
 * `pulumi up` of the host program with three sites on this machine, then
 * HTTPS through the proxy with pebble's certificates, isolation, idempotence,
 * a zero-downtime image update, and `pulumi destroy`.
 */
import * as assert from "node:assert/strict";
import { sh } from "../support/run";
import {
  Platform, SITES, cleanSlate, STAGING, createPlatform, eventually, httpGet, httpsGet, pebbleRoots, rootSql, siteConfig, siteDomains,
} from "./platform-fixture";

describe("the platform on this machine (real engine, three sites)", function () {
  this.timeout(60 * 60_000);
  let platform: Platform;
  let roots = "";

  before(() => {
    platform = createPlatform("platform");
    platform.project.up();
    roots = pebbleRoots(platform.env);
  });

  after(() => {
    if (!platform) return;
    platform.project.run(["destroy", "--yes", "--skip-preview"]);
    platform.project.dispose();
    cleanSlate();
  });

  it("serves every site on each of its domains and its staging alias over HTTPS with a pebble certificate", async () => {
    for (const site of SITES) {
      for (const host of [...siteDomains(site), `${site}.${STAGING}`]) {
        const answer = await eventually(() => httpsGet(host, "/", roots), 60, 1000);
        assert.equal(answer.status, 200, `${host}: ${answer.body}`);
        assert.match(answer.body, /site-app version v1/);
        assert.match(answer.certIssuer ?? "", /Pebble/i, `${host} has a certificate issued by pebble`);
      }
    }
  });

  it("redirects HTTP to HTTPS", async () => {
    const answer = await httpGet("alpha.test", "/some/page");
    assert.ok([301, 302, 307, 308].includes(answer.status), `status ${answer.status}`);
    assert.match(String(answer.headers.location), /^https:\/\/alpha\.test(:\d+)?\/some\/page$/);
  });

  it("gives each site its own database through the password file, and the files it serves from /shared", async () => {
    const posted = await httpsGet("alpha.test", "/db?note=first", roots, { method: "POST" });
    assert.equal(posted.status, 200, posted.body);
    const rows = await httpsGet("alpha.test", "/db", roots);
    assert.match(rows.body, /first/);
    sh(`echo 'hello from alpha files' > /sites/alpha/data/public/hello.txt`);
    const file = await httpsGet("alpha.test", "/file/hello.txt", roots);
    assert.equal(file.body.trim(), "hello from alpha files");
  });

  it("isolates sites: A's database credentials cannot read B's database, A's container cannot read B's files", async () => {
    const alphaPassword = sh("cat /etc/simple-paas/sites/alpha/secrets/db_pass");
    const alphaContainer = sh(`docker ps --filter label=simple-paas.site=alpha --format '{{.Names}}' | head -n1`).trim();
    // From inside alpha's container (its network, its credentials): beta's database is refused.
    const probe = sh(`docker exec ${alphaContainer} python3 -c '
import pymysql, sys
c = pymysql.connect(host="172.30.0.1", user="alpha", password=open("/etc/secrets/db_pass").read(), database="alpha")
cur = c.cursor()
try:
    cur.execute("SELECT * FROM beta.visits")
    print("READ")
except Exception as e:
    print("DENIED", e.args[0])
try:
    pymysql.connect(host="172.30.0.1", user="alpha", password=open("/etc/secrets/db_pass").read(), database="beta")
    print("CONNECTED")
except Exception as e:
    print("DENIED", e.args[0])
'`);
    assert.match(probe, /^DENIED 1142\nDENIED 1044\n$/, probe);
    assert.ok(alphaPassword.length >= 32);
    sh(`echo secret-of-beta > /sites/beta/data/private/secret.txt; chown beta:beta /sites/beta/data/private/secret.txt`);
    const read = sh(`docker exec ${alphaContainer} sh -c 'cat /sites/beta/data/private/secret.txt 2>&1 || true; ls /shared/../ 2>&1 || true'`);
    assert.doesNotMatch(read, /secret-of-beta/);
  });

  it("gives neither the proxy nor any site the Docker socket", () => {
    const mounts = sh(`docker inspect -f '{{.Name}} {{range .Mounts}}{{.Source}} {{end}}' $(docker ps -q --filter label=simple-paas.site) simple-paas-proxy`);
    assert.doesNotMatch(mounts, /docker\.sock/);
    assert.equal(mounts.trim().split("\n").length, SITES.length + 1);
  });

  it("changes nothing on a second pulumi up", () => {
    const changes = platform.project.previewSteps().filter((s) => s.op !== "same");
    assert.deepEqual(changes.map((c) => `${c.op} ${c.urn}`), []);
  });

  it("replaces only the updated site's container when its image changes (preview)", () => {
    platform.setSites([siteConfig("alpha", "v2"), siteConfig("beta"), siteConfig("gamma")]);
    const changes = platform.project.previewSteps().filter((s) => s.op !== "same");
    const replaced = changes.filter((c) => c.op === "create-replacement" || c.op === "replace" || c.op === "delete-replaced");
    assert.ok(replaced.length > 0, JSON.stringify(changes));
    for (const c of changes) assert.match(c.urn, /alpha/, `only alpha changes: ${c.op} ${c.urn}`);
    assert.ok(changes.some((c) => /docker:index\/container:Container::alpha-container/.test(c.urn)));
  });

  it("updates with zero failed requests under load, and the new version answers afterwards", async () => {
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    // A bounded load loop: about 20 requests/s, stopping by itself after at most 10 minutes.
    const load = (async () => {
      const deadline = Date.now() + 10 * 60_000;
      while (!stop && Date.now() < deadline) {
        const started = Date.now();
        try {
          const a = await httpsGet("alpha.test", "/", roots);
          if (a.status === 200) ok++;
          else failures.push(`status ${a.status}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
        await new Promise((r) => setTimeout(r, Math.max(0, 50 - (Date.now() - started))));
      }
    })();
    await new Promise((r) => setTimeout(r, 2000));
    let update;
    try {
      update = await platform.project.runAsync(["up", "--yes", "--skip-preview"]);
    } finally {
      await new Promise((r) => setTimeout(r, 2000));
      stop = true;
      await load;
    }
    assert.equal(update.status, 0, update.stdout + update.stderr);
    assert.deepEqual(failures, [], `${failures.length} failed of ${ok + failures.length}`);
    assert.ok(ok > 20, `the load ran (${ok} requests)`);
    const after = await httpsGet("alpha.test", "/", roots);
    assert.match(after.body, /site-app version v2/);
    assert.equal(sh(`docker ps --filter label=simple-paas.site=alpha --format '{{.Names}}' | wc -l`).trim(), "1");
  });

  it("pulumi destroy takes final backups and removes containers and databases, keeping the repositories", () => {
    platform.project.destroy();
    assert.equal(sh(`docker ps -a --filter label=simple-paas.site --format '{{.Names}}'`).trim(), "");
    assert.equal(rootSql("SHOW DATABASES LIKE 'alpha'").trim(), "");
    const snapshots = sh(`RESTIC_PASSWORD_FILE=/etc/simple-paas/sites/alpha/backup/restic_pass restic -r /var/backups/simple-paas/alpha snapshots --json --tag kind=final`);
    assert.ok(JSON.parse(snapshots).length >= 1, "a final snapshot exists");
  });
});
