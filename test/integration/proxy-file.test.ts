/**
 * The proxy's file scripts against the real docker daemon: with no proxy
 * container they install or remove the file and say the proxy reads it when
 * it starts. (A running Caddy that takes or refuses a file: test/e2e.)
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderProxyFileRemovalScript, renderProxyFileScript } from "../../components/render/proxy-config";
import { runBash } from "../support/run";
import { ensureServices } from "../support/services";

describe("proxy file scripts (real docker daemon)", function () {
  this.timeout(30 * 60_000);
  before(() => { ensureServices(); });

  it("installs the file, reports unchanged on a second run, and removes it, with no proxy container", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-proxy-"));
    const target = path.join(dir, "proxy dir", "sites", "blog.caddy");
    const opts = { path: target, proxyContainer: "simple-paas-proxy-integration-test-absent" };
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
});
