/**
 * The proxy's file scripts against the real docker daemon: with no proxy
 * container they install or remove the file and say the proxy reads it when
 * it starts; with a running Caddy (its own CA, `tls internal`) a route step
 * reloads it and waits, bounded, for each name's certificate, the first
 * routes file is preceded by a one-name file (the first-account step),
 * steps started together reload one at a time, and traffic moves only to
 * an upstream the step has seen ready. (Caddy with an ACME server: test/e2e.)
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderProxyMainConfig, renderSiteRoutes } from "../../components/render/caddyfile";
import { CertificateProbe, FIRST_ACCOUNT_ROUTES_FILE, renderProxyFileRemovalScript, renderProxyFileScript } from "../../components/render/proxy-file-script";
import { runBash, sh } from "../support/run";
import { ensureServices, TEST_IMAGES } from "../support/services";

const PROXY = "simple-paas-it-proxy";
const NETWORK = "simple-paas-it-proxy-net";
/** A site container the routes point at: busybox httpd on :80, healthy. */
const UPSTREAM = "sp-it-upstream";
const HTTPS_PORT = 18543;

function routesFor(site: string, hostNames: string[], upstream = `${UPSTREAM}:80`): string {
  return renderSiteRoutes({ site, hostNames, upstream }, { upstreamTimeout: "300s" });
}

/** Runs a script in the background; resolves with its exit status, stderr and when it ended. */
function runBashAsync(script: string, stdin: string): Promise<{ status: number; stderr: string; endedAt: number }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", script]);
    let stderr = "";
    child.stderr.on("data", (c) => { stderr += c; });
    child.on("close", (code) => resolve({ status: code ?? -1, stderr, endedAt: Date.now() }));
    child.stdin.end(stdin);
  });
}

describe("proxy file scripts (real docker daemon)", function () {
  this.timeout(30 * 60_000);
  before(() => { ensureServices(); });

  it("installs the file, reports unchanged on a second run, and removes it, with no proxy container", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-proxy-"));
    const target = path.join(dir, "proxy dir", "sites", "blog.caddy");
    const opts = { path: target, proxyContainer: "simple-paas-proxy-integration-test-absent", lockFile: path.join(dir, "proxy.lock") };
    const first = runBash(renderProxyFileScript(opts), { stdin: "routes v1\n" });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stderr, /changed: /);
    assert.match(first.stderr, /is not running; it reads its files when it starts/);
    assert.equal(fs.readFileSync(target, "utf8"), "routes v1\n");
    assert.equal((fs.statSync(target).mode & 0o777).toString(8), "644");
    const second = runBash(renderProxyFileScript(opts), { stdin: "routes v1\n" });
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stderr, /unchanged: /);
    const removed = runBash(renderProxyFileRemovalScript(opts));
    assert.equal(removed.status, 0, removed.stderr);
    assert.equal(fs.existsSync(target), false);
    assert.deepEqual(fs.readdirSync(path.dirname(target)), [], "no temp files left behind");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("with a running Caddy", () => {
    let dir = "";
    let sites = "";
    let lockFile = "";
    const probe = (hostNames: string[], seconds: number, acme = false): CertificateProbe => ({ hostNames, address: "127.0.0.1", port: HTTPS_PORT, seconds, acme });
    const handshake = (name: string) => runBash(`openssl s_client -connect 127.0.0.1:${HTTPS_PORT} -servername ${name} </dev/null`).status;

    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-it-proxy-"));
      sites = path.join(dir, "sites");
      lockFile = path.join(dir, "proxy.lock");
      fs.mkdirSync(sites);
      fs.writeFileSync(path.join(dir, "Caddyfile"), renderProxyMainConfig({ tls: "internal", maxBodySize: "100MB", upstreamTimeout: "300s" }));
      sh(`docker rm -f ${PROXY} ${UPSTREAM} sp-it-unhealthy sp-it-silent >/dev/null 2>&1 || true`);
      sh(`docker network rm ${NETWORK} >/dev/null 2>&1 || true; docker network create ${NETWORK} >/dev/null`);
      sh(`docker run -d --name ${UPSTREAM} --network ${NETWORK} --health-cmd 'wget -q -O /dev/null http://127.0.0.1/' --health-interval 1s ${TEST_IMAGES.busybox}`);
      sh(`docker run -d --name ${PROXY} --network ${NETWORK} -p 127.0.0.1:${HTTPS_PORT}:443 -v ${dir}:/etc/caddy:ro ${TEST_IMAGES.caddy} caddy run --config /etc/caddy/Caddyfile --adapter caddyfile`);
      sh(`for i in $(seq 100); do [ "$(docker inspect -f '{{.State.Health.Status}}' ${UPSTREAM})" = healthy ] && exit 0; sleep 0.2; done; exit 1`);
      sh(`for i in $(seq 100); do docker logs ${PROXY} 2>&1 | grep -q 'serving initial configuration' && exit 0; sleep 0.2; done; docker logs ${PROXY}; exit 1`);
    });
    after(() => {
      sh(`docker rm -f ${PROXY} ${UPSTREAM} sp-it-unhealthy sp-it-silent >/dev/null 2>&1 || true; docker network rm ${NETWORK} >/dev/null 2>&1 || true`);
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("puts the proxy back as it was when it refuses a first site's routes after the one-name step", () => {
      const r = runBash(renderProxyFileScript({
        path: path.join(sites, "bad.caddy"), proxyContainer: PROXY, lockFile, awaitCertificates: probe(["bad.test", "www.bad.test"], 30, true),
      }), { stdin: "bad.test {\n\treverse_proxy {\n" });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /first site on this proxy: www\.bad\.test alone first/);
      assert.match(r.stderr, /certificate ready: www\.bad\.test\n/, "the stand-in was loaded");
      assert.match(r.stderr, /the proxy refused .*bad\.caddy; the previous version is back in place/);
      assert.deepEqual(fs.readdirSync(sites), [], "neither the refused file nor the stand-in stays");
      assert.notEqual(handshake("www.bad.test"), 0, "the proxy no longer runs the stand-in");
    });

    it("routes the first site's last name alone first (ACME), then the whole site, each name's certificate ready", () => {
      const hostNames = ["blog.test", "www.blog.test"];
      const r = runBash(renderProxyFileScript({
        path: path.join(sites, "blog.caddy"), proxyContainer: PROXY, lockFile, awaitCertificates: probe(hostNames, 60, true),
      }), { stdin: routesFor("blog", hostNames) });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /first site on this proxy: www\.blog\.test alone first, so that one ACME account is registered/);
      // The one-name step waited for its name before the whole site went in.
      assert.match(r.stderr, /certificate ready: www\.blog\.test\n[\s\S]*changed: [\s\S]*certificate ready: blog\.test\n.*certificate ready: www\.blog\.test/);
      assert.doesNotMatch(r.stderr, /no certificate for/);
      assert.deepEqual(fs.readdirSync(sites).sort(), ["blog.caddy"], `${FIRST_ACCOUNT_ROUTES_FILE} is gone`);
      // The proxy really serves them (a handshake succeeds), and not a name it has no route for.
      assert.equal(handshake("www.blog.test"), 0);
      assert.notEqual(handshake("not-routed.test"), 0);
    });

    it("skips the first-account step once a routes file exists, and says which names have no certificate when the wait runs out", () => {
      const r = runBash(renderProxyFileScript({
        path: path.join(sites, "shop.caddy"), proxyContainer: PROXY, lockFile,
        awaitCertificates: probe(["not-routed.test", "shop.test"], 3, true),
      }), { stdin: routesFor("shop", ["shop.test"]) });
      assert.equal(r.status, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /first site on this proxy/);
      // Every missing name is tried each round: shop.test is ready long before not-routed.test's wait runs out.
      assert.match(r.stderr, /certificate ready: shop\.test\n[\s\S]*no certificate for not-routed\.test yet after 3s; the proxy keeps trying in the background/);
    });

    it("reloads one step at a time when steps start together (the host's proxy lock)", async () => {
      // The first holds the lock through a 4 s wait for a name the proxy never serves.
      const slow = renderProxyFileScript({ path: path.join(sites, "slow.caddy"), proxyContainer: PROXY, lockFile, awaitCertificates: probe(["never.test"], 4) });
      const quick = renderProxyFileScript({ path: path.join(sites, "quick.caddy"), proxyContainer: PROXY, lockFile, awaitCertificates: probe(["quick.test"], 30) });
      const started = Date.now();
      const first = runBashAsync(slow, routesFor("slow", ["slow.test"]));
      await new Promise((r) => setTimeout(r, 500));
      const second = runBashAsync(quick, routesFor("quick", ["quick.test"]));
      const [a, b] = await Promise.all([first, second]);
      assert.equal(a.status, 0, a.stderr);
      assert.equal(b.status, 0, b.stderr);
      assert.match(a.stderr, /no certificate for never\.test yet after 4s/);
      assert.match(b.stderr, /certificate ready: quick\.test/);
      assert.ok(b.endedAt >= a.endedAt, "the second step ends after the first released the lock");
      assert.ok(b.endedAt - started >= 4000, `the second step waited for the first (${b.endedAt - started} ms)`);
    });

    it("removes a site's routes under the same lock and reloads: its names are no longer served", () => {
      // A proxy that refuses the config without the file (another file is broken): the file goes back.
      fs.writeFileSync(path.join(sites, "broken.caddy"), "broken.test {\n\treverse_proxy {\n");
      const refused = runBash(renderProxyFileRemovalScript({ path: path.join(sites, "quick.caddy"), proxyContainer: PROXY, lockFile }));
      fs.rmSync(path.join(sites, "broken.caddy"));
      assert.equal(refused.status, 1, refused.stderr);
      assert.match(refused.stderr, /the proxy refused its config without .*quick\.caddy; the file is back in place/);
      assert.equal(fs.existsSync(path.join(sites, "quick.caddy")), true);
      assert.equal(handshake("quick.test"), 0, "still served");
      const r = runBash(renderProxyFileRemovalScript({ path: path.join(sites, "quick.caddy"), proxyContainer: PROXY, lockFile }));
      assert.equal(r.status, 0, r.stderr);
      assert.equal(fs.existsSync(path.join(sites, "quick.caddy")), false);
      assert.notEqual(handshake("quick.test"), 0);
      assert.equal(handshake("blog.test"), 0);
      // A retried removal (the file already gone) still reloads: Caddy's admin API logs each load.
      const loads = () => (sh(`docker logs ${PROXY} 2>&1`).match(/"uri":"\/load"/g) ?? []).length;
      const before = loads();
      const again = runBash(renderProxyFileRemovalScript({ path: path.join(sites, "quick.caddy"), proxyContainer: PROXY, lockFile }));
      assert.equal(again.status, 0, `a retried removal succeeds: ${again.stderr}`);
      assert.equal(loads(), before + 1, "and reloads the proxy");
      assert.deepEqual(fs.readdirSync(sites).filter((f) => f.includes(".removed.")), [], "no leftovers");
    });

    it("moves traffic only to an upstream it has seen ready, and sets its pids limit first; else it fails and the routes stay", () => {
      const target = path.join(sites, "gate.caddy");
      const step = (upstream: string, readySeconds = 5) => runBash(renderProxyFileScript({
        path: target, proxyContainer: PROXY, lockFile, readySeconds, upstreamPidsLimit: 256,
      }), { stdin: routesFor("gate", ["gate.test"], upstream) });
      const ok = step(`${UPSTREAM}:80`);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stderr, /ready: sp-it-upstream is healthy/);
      assert.equal(sh(`docker inspect -f '{{.HostConfig.PidsLimit}}' ${UPSTREAM}`).trim(), "256");
      const routed = fs.readFileSync(target, "utf8");
      // A container whose health check fails: refused at once, with its health log.
      sh(`docker run -d --name sp-it-unhealthy --network ${NETWORK} --health-cmd 'exit 1' --health-interval 1s --health-retries 1 ${TEST_IMAGES.busybox}`);
      sh(`for i in $(seq 100); do [ "$(docker inspect -f '{{.State.Health.Status}}' sp-it-unhealthy)" = unhealthy ] && exit 0; sleep 0.2; done; exit 1`);
      const unhealthy = step("sp-it-unhealthy:80");
      assert.equal(unhealthy.status, 1, unhealthy.stderr);
      assert.match(unhealthy.stderr, /the new container sp-it-unhealthy is unhealthy: .*traffic stays where it was/);
      assert.equal(fs.readFileSync(target, "utf8"), routed, "the routes still name the old upstream");
      // No health check and nothing answering on its port: refused after the wait.
      sh(`docker run -d --name sp-it-silent --network ${NETWORK} ${TEST_IMAGES.busybox} sleep 600`);
      const silent = step("sp-it-silent:80", 3);
      assert.equal(silent.status, 1, silent.stderr);
      assert.match(silent.stderr, /the new container sp-it-silent is not ready after 3s \(health: none, HTTP: 000\); traffic stays where it was/);
      assert.equal(fs.readFileSync(target, "utf8"), routed);
      // A container that does not exist (a create that failed).
      const absent = step("sp-it-absent:80");
      assert.match(absent.stderr, /the new container sp-it-absent does not exist; traffic stays where it was/);
      assert.equal(fs.readFileSync(target, "utf8"), routed);
      fs.rmSync(target);
    });
  });
});
