/**
 * The host program with three sites on this machine: HTTPS through the proxy
 * with pebble's certificates, isolation, idempotence, a zero-downtime image
 * update, and destroy, all through the real Pulumi engine; every `up` is
 * followed by a preview that must report no changes (platform.up()).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { renderProxyFileScript } from "../../components/render/proxy-file-script";
import { timelineOf } from "../support/engine";
import { runBash, sh } from "../support/run";
import {
  Platform, SITES, STAGING, createPlatform, disposePlatform, printDiagnostics, assertCertificatesReady, httpGet, httpsGet, pebbleRoots, rootSql, siteConfig, siteDomains, startLoad,
} from "./platform-fixture";

describe("the platform on this machine (three sites)", function () {
  this.timeout(60 * 60_000);
  let platform: Platform;
  let roots = "";

  before(async () => {
    platform = await createPlatform("platform");
    await platform.up();
    roots = pebbleRoots(platform.env);
    await assertCertificatesReady(platform, SITES);
  });

  afterEach(function () { printDiagnostics(this.currentTest, platform?.env); });
  after(() => disposePlatform(platform));

  it("registers the ACME account of a new proxy from one route step, with one name first", async () => {
    const stderrs = await Promise.all(SITES.map((site) => platform.stderrOf(`${site}-route`)));
    const firstAccount = SITES.filter((_, i) => /: first site on this proxy: /m.test(stderrs[i]));
    assert.equal(firstAccount.length, 1, `exactly one route step registers the ACME account: ${firstAccount.join(",")}`);
  });

  it("serves every site on each of its domains and its staging alias over HTTPS with a pebble certificate", async () => {
    for (const site of SITES) {
      for (const host of [...siteDomains(site), `${site}.${STAGING}`]) {
        const answer = await httpsGet(host, "/", roots);
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

  it("gives each site its database through the password file, and serves files from /shared", async () => {
    const posted = await httpsGet("alpha.test", "/db?note=first", roots, { method: "POST" });
    assert.equal(posted.status, 200, posted.body);
    const rows = await httpsGet("alpha.test", "/db", roots);
    assert.match(rows.body, /first/);
    sh(`echo 'hello from alpha files' > /sites/alpha/data/public/hello.txt`);
    const file = await httpsGet("alpha.test", "/file/hello.txt", roots);
    assert.equal(file.body.trim(), "hello from alpha files");
  });

  it("isolates sites: A's credentials cannot read B's database, A's container cannot read B's files", () => {
    const alphaContainer = sh(`docker ps --filter label=simple-paas.site=alpha --format '{{.Names}}' | head -n1`).trim();
    const probe = sh(`docker exec -i ${alphaContainer} python3 -`, { stdin: `
import pymysql
pw = open("/etc/secrets/db_pass").read()
c = pymysql.connect(host="172.30.0.1", user="alpha", password=pw, database="alpha")
cur = c.cursor()
try:
    cur.execute("SELECT * FROM beta.visits")
    print("READ")
except Exception as e:
    print("DENIED", e.args[0])
try:
    pymysql.connect(host="172.30.0.1", user="alpha", password=pw, database="beta")
    print("CONNECTED")
except Exception as e:
    print("DENIED", e.args[0])
` });
    assert.match(probe, /^DENIED 1142\nDENIED 1044\n$/, probe);
    sh(`echo secret-of-beta > /sites/beta/data/private/secret.txt; chown beta:beta /sites/beta/data/private/secret.txt`);
    // Alpha's container has only its own data mounted; even the host path of beta's is not there.
    const read = sh(`docker exec ${alphaContainer} sh -c 'cat /sites/beta/data/private/secret.txt 2>&1; cat /shared/../beta/data/private/secret.txt 2>&1; true'`);
    assert.doesNotMatch(read, /secret-of-beta/);
    // And as alpha's own Linux user on the host, beta's files stay closed.
    const asAlpha = sh(`setpriv --reuid=alpha --regid=alpha --init-groups cat /sites/beta/data/private/secret.txt 2>&1 || true`);
    assert.match(asAlpha, /Permission denied/);
  });

  it("keeps the working routes when the proxy refuses a new routes file", async () => {
    const file = "/etc/simple-paas/proxy/sites/alpha.caddy";
    const before = fs.readFileSync(file, "utf8");
    const r = runBash(renderProxyFileScript({ path: file, proxyContainer: "simple-paas-proxy", lockFile: "/etc/simple-paas/proxy.lock" }), { stdin: "alpha.test {\n\treverse_proxy {\n" });
    assert.notEqual(r.status, 0, "a refused config fails the step");
    assert.match(r.stderr, /previous version is back in place/);
    assert.equal(fs.readFileSync(file, "utf8"), before);
    assert.deepEqual(fs.readdirSync("/etc/simple-paas/proxy/sites").filter((f) => f.includes(".previous.")), []);
    const answer = await httpsGet("alpha.test", "/", roots);
    assert.equal(answer.status, 200);
  });

  it("gives neither the proxy nor any site the Docker socket", () => {
    const mounts = sh(`docker inspect -f '{{.Name}} {{range .Mounts}}{{.Source}} {{end}}' $(docker ps -q --filter label=simple-paas.site) simple-paas-proxy`);
    assert.doesNotMatch(mounts, /docker\.sock/);
    assert.equal(mounts.trim().split("\n").length, SITES.length + 1);
  });

  it("changes nothing on a second up", async () => {
    assert.deepEqual(await platform.preview(), []);
    const second = await platform.up();
    const changed = Object.entries(second.result.summary.resourceChanges ?? {}).filter(([op]) => op !== "same");
    assert.deepEqual(changed, [], second.output);
  });

  it("plans a new container beside the updated site's old one, deleted last, and touches no other site (preview)", async () => {
    await platform.setSites([siteConfig("alpha", "v2"), siteConfig("beta"), siteConfig("gamma")]);
    const steps = await platform.preview();
    // Not a replacement: the docker provider deletes a container before replacing it (fixed names).
    assert.equal(steps.filter((s) => /^create docker:index\/container:Container::alpha-container-[0-9a-f]{10}$/.test(s)).length, 1, steps.join("\n"));
    assert.equal(steps.filter((s) => /^delete docker:index\/container:Container::alpha-container-[0-9a-f]{10}$/.test(s)).length, 1, steps.join("\n"));
    assert.deepEqual(steps.filter((s) => /Container::/.test(s) && !/^(create|delete) /.test(s)), [], "no container is replaced in place");
    for (const step of steps) assert.match(step, /::alpha-/, `only alpha changes: ${step}`);
  });

  it("updates with zero failed requests under load, and the new version answers afterwards", async () => {
    const load = startLoad("alpha.test", roots);
    // A 20 s request on the old version, in flight when the proxy moves to the new one.
    const slow = httpsGet("alpha.test", "/slow?seconds=20", roots, { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 2000));
    let timeline = "";
    try {
      timeline = timelineOf((await platform.up()).events);
    } finally {
      await new Promise((r) => setTimeout(r, 2000));
    }
    const result = await load.stop();
    assert.deepEqual(result.failed, [], `${result.failed.length} failed of ${result.ok + result.failed.length}; the engine's steps:\n${timeline}`);
    assert.ok(result.ok > 20, `the load ran (${result.ok} requests)`);
    const slowAnswer = await slow;
    assert.equal(slowAnswer.status, 200, `the long request on the old container finished: ${slowAnswer.body}`);
    assert.equal(slowAnswer.body, "slow done by version v1\n");
    // The route step waited for the requests on the old container before Pulumi removed it.
    assert.match(await platform.stderrOf("alpha-route"), /: drained: no connection left to the old upstream sp-alpha-[0-9a-f]+:8080$/m);
    const after = await httpsGet("alpha.test", "/", roots);
    assert.match(after.body, /site-app version v2/);
    assert.equal(sh(`docker ps -a --filter label=simple-paas.site=alpha --format '{{.Names}}' | wc -l`).trim(), "1", "the old container is gone");
  });

  it("pull: always — a re-pushed tag shows in the preview and rolls out beside the old container with zero failed requests", async () => {
    const { registry, registryUser, registryPasswordFile } = platform.env;
    const rolling = `${registry}/site-app:rolling`;
    // What a CI pipeline does: build, then push the same tag again (with a throwaway client login, as build-images.sh does).
    const cfg = fs.mkdtempSync("/tmp/sp-docker-config-");
    try {
      sh(`DOCKER_CONFIG=${cfg} docker login ${registry} --username ${registryUser} --password-stdin <${registryPasswordFile} >/dev/null 2>&1`);
      const push = (version: string) =>
        sh(`docker tag simple-paas-test/site-app:${version} ${rolling} && DOCKER_CONFIG=${cfg} docker push -q ${rolling} >/dev/null && docker image rm ${rolling} >/dev/null`);
      push("v1");
      await platform.setSites([siteConfig("alpha", "v2"), siteConfig("beta", "rolling", { pull: "always" }), siteConfig("gamma")]);
      await platform.up();
      assert.match((await httpsGet("beta.test", "/", roots)).body, /site-app version v1/);
      push("v2");
      const steps = await platform.preview();
      assert.equal(steps.filter((s) => /^create docker:index\/container:Container::beta-container-[0-9a-f]{10}$/.test(s)).length, 1, steps.join("\n"));
      assert.equal(steps.filter((s) => /^delete docker:index\/container:Container::beta-container-[0-9a-f]{10}$/.test(s)).length, 1, steps.join("\n"));
      assert.deepEqual(steps.filter((s) => /Container::/.test(s) && !/^(create|delete) /.test(s)), [], "no container is replaced in place");
      for (const step of steps) assert.match(step, /::beta-/, `only beta changes: ${step}`);
      const load = startLoad("beta.test", roots);
      let timeline = "";
      try {
        timeline = timelineOf((await platform.up()).events);
      } finally {
        await new Promise((r) => setTimeout(r, 2000));
      }
      const result = await load.stop();
      assert.deepEqual(result.failed, [], `${result.failed.length} failed of ${result.ok + result.failed.length}; the engine's steps:\n${timeline}`);
      assert.ok(result.ok > 20, `the load ran (${result.ok} requests)`);
      assert.match((await httpsGet("beta.test", "/", roots)).body, /site-app version v2/);
      // The rollback history names the exact image, not the moving tag.
      const history = fs.readFileSync("/var/lib/simple-paas/backup-status/beta.images", "utf8").trim().split("\n");
      assert.match(history.at(-1)!, new RegExp(` ${registry.replace(/\./g, "\\.")}/site-app@sha256:[0-9a-f]{64}$`), history.join("\n"));
    } finally {
      fs.rmSync(cfg, { recursive: true, force: true });
    }
  });

  it("destroy takes final backups, then removes containers, network, databases, users and data (deleteDataOnDestroy), keeping the repositories", async () => {
    await platform.destroy();
    assert.equal(sh(`docker ps -a --filter label=simple-paas.site --format '{{.Names}}'`).trim(), "");
    assert.equal(sh(`docker ps -a --filter name=simple-paas-proxy --format '{{.Names}}'`).trim(), "");
    assert.equal(sh(`docker network ls --filter label=simple-paas.generation --format '{{.Name}}'`).trim(), "", "the proxy's network and every site's");
    assert.equal(sh(`docker ps -a --filter label=simple-paas.memcached --format '{{.Names}}'`).trim(), "", "the sites' memcached");
    for (const site of SITES) {
      assert.equal(rootSql(`SHOW DATABASES LIKE '${site}'`).trim(), "", `database ${site} dropped`);
      assert.equal(rootSql(`SELECT COUNT(*) FROM mysql.user WHERE User = '${site}'`).trim(), "0", `user ${site} dropped`);
      assert.ok(!fs.existsSync(`/sites/${site}/data`), `data dir of ${site} deleted`);
    }
    const snapshots = sh(`RESTIC_PASSWORD_FILE=/etc/simple-paas/sites/alpha/backup/restic_pass restic -r /var/backups/simple-paas/alpha snapshots --json --tag kind=final`);
    assert.ok(JSON.parse(snapshots).length >= 1, "a final snapshot exists");
  });
});
