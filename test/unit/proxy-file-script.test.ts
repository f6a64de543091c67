import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { renderProxyMainConfig, renderSiteRoutes } from "../../components/render/caddyfile";
import { renderProxyFileRemovalScript, renderProxyFileScript, renderProxyLinkScript } from "../../components/render/proxy-file-script";
import { assertShellcheckClean } from "../support/shellcheck";
import { runBash } from "../support/run";

const proxy = { acmeEmail: "ops@example.com", acmeCa: "https://172.30.0.1:14000/dir", acmeCaRootInContainer: "/etc/ssl/certs/ca-certificates.crt", tls: "acme" as const, maxBodySize: "100MB", upstreamTimeout: "300s" };

/** Caddy itself judges the configuration: Debian's caddy binary, `caddy validate`. */
function caddyValidate(main: string, sites: Record<string, string>): { status: number; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-caddy-"));
  fs.mkdirSync(path.join(dir, "sites"));
  fs.writeFileSync(path.join(dir, "Caddyfile"), main);
  for (const [name, text] of Object.entries(sites)) fs.writeFileSync(path.join(dir, "sites", `${name}.caddy`), text);
  const r = spawnSync("caddy", ["validate", "--config", path.join(dir, "Caddyfile"), "--adapter", "caddyfile"], {
    cwd: dir, encoding: "utf8", env: { ...process.env, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, HOME: dir },
  });
  fs.rmSync(dir, { recursive: true, force: true });
  if (r.error) throw new Error(`caddy could not run (install Debian's caddy): ${r.error.message}`);
  return { status: r.status ?? -1, output: r.stdout + r.stderr };
}

describe("reverse proxy config", () => {
  it("renders global ACME options, body limit and the sites import", () => {
    const main = renderProxyMainConfig(proxy);
    assert.match(main, /^\temail ops@example\.com$/m);
    assert.match(main, /^\tacme_ca https:\/\/172\.30\.0\.1:14000\/dir$/m);
    assert.match(main, /^\tacme_ca_root \/etc\/ssl\/certs\/ca-certificates\.crt$/m);
    assert.match(main, /max_size 100MB/);
    assert.match(main, /^import sites\/\*\.caddy$/m);
    assert.doesNotMatch(renderProxyMainConfig({ ...proxy, acmeEmail: undefined, acmeCa: undefined, acmeCaRootInContainer: undefined }), /email|acme_ca/);
    assert.match(renderProxyMainConfig({ ...proxy, tls: "internal" }), /^\tlocal_certs$/m);
  });

  it("routes every host name of a site to its current container", () => {
    const routes = renderSiteRoutes({ site: "blog", hostNames: ["blog.example.com", "blog.staging.example.com"], upstream: "sp-blog-0123456789:8080" }, proxy);
    assert.match(routes, /^blog\.example\.com, blog\.staging\.example\.com \{$/m);
    assert.match(routes, /reverse_proxy sp-blog-0123456789:8080 \{/);
    assert.match(routes, /read_timeout 300s/);
    assert.match(routes, /^\t\t\tkeepalive 2s$/m, "idle upstream connections close soon, so the drain counts only running requests");
    assert.throws(() => renderSiteRoutes({ site: "x", hostNames: [], upstream: "a:1" }, proxy), /no host names/);
  });

  it("is valid Caddy configuration, as Caddy itself says", () => {
    const main = renderProxyMainConfig(proxy);
    const site = renderSiteRoutes({ site: "blog", hostNames: ["blog.example.com"], upstream: "sp-blog-0123456789:80" }, proxy);
    const ok = caddyValidate(main, { blog: site });
    assert.equal(ok.status, 0, ok.output);
    const internal = caddyValidate(renderProxyMainConfig({ ...proxy, tls: "internal", acmeCa: undefined, acmeCaRootInContainer: undefined }), { blog: site });
    assert.equal(internal.status, 0, `tls internal (the local stack): ${internal.output}`);
    const withoutSites = caddyValidate(main, {});
    assert.equal(withoutSites.status, 0, `a host with no sites yet: ${withoutSites.output}`);
    const broken = caddyValidate(main, { bad: "blog.example.com {\n\treverse_proxy {\n" });
    assert.notEqual(broken.status, 0, "caddy rejects a broken file (so the check can fail)");
  });

  it("renders install and removal scripts that pass shellcheck and quote odd paths", () => {
    const odd = { path: "/etc/simple paas/proxy/sites/it's.caddy", proxyContainer: "simple-paas-proxy", lockFile: "/etc/simple paas/proxy's.lock" };
    const probe = { hostNames: ["blog.example.com", "www.blog.example.com"], address: "::1", port: 8443, seconds: 30 };
    assertShellcheckClean(renderProxyFileScript(odd), "proxy file script");
    assertShellcheckClean(renderProxyFileScript({ ...odd, awaitCertificates: { ...probe, acme: true } }), "route script, ACME");
    assertShellcheckClean(renderProxyFileScript({ ...odd, awaitCertificates: { ...probe, acme: false } }), "route script, internal CA");
    assertShellcheckClean(renderProxyFileRemovalScript(odd), "proxy removal script");
    const ids = { proxy: "a".repeat(64), network: "b".repeat(64) };
    assertShellcheckClean(renderProxyLinkScript({ proxyContainer: "simple-paas-proxy", network: "simple-paas-blog", address: "172.31.0.18", action: "connect", ids }), "proxy link");
    assertShellcheckClean(renderProxyLinkScript({ proxyContainer: "simple-paas-proxy", network: "simple-paas-blog", address: "172.31.0.18", action: "disconnect" }), "proxy unlink");
    assert.throws(() => renderProxyLinkScript({ proxyContainer: "simple-paas-proxy", network: "simple-paas-blog", address: "172.31.0.18", action: "connect" }), /needs the ids/);
    assert.throws(() => renderProxyLinkScript({ proxyContainer: "p", network: "n", address: "172.31.0.18", action: "connect", ids: { ...ids, proxy: "p; reboot" } }),
      /ids\.proxy: "p; reboot" must be a docker object id/);
    assert.match(renderProxyFileScript(odd), /^readonly SP_TARGET='\/etc\/simple paas\/proxy\/sites\/it'\\''s\.caddy'$/m);
    assert.match(renderProxyFileScript(odd), /^readonly SP_LOCK_FILE='\/etc\/simple paas\/proxy'\\''s\.lock'$/m);
    assert.match(renderProxyFileScript({ ...odd, awaitCertificates: { ...probe, acme: true } }), /^readonly SP_PROBE_ADDRESS='\[::1\]'$/m);
    // The first-account step only where certificates come from ACME.
    const first = (o: Parameters<typeof renderProxyFileScript>[0]) => /^readonly SP_FIRST_ACCOUNT_NAME='(.*)'$/m.exec(renderProxyFileScript(o))![1];
    assert.equal(first({ ...odd, awaitCertificates: { ...probe, acme: true } }), "www.blog.example.com", "the last name (the staging alias when there is one)");
    assert.equal(first({ ...odd, awaitCertificates: { ...probe, hostNames: ["blog.example.com"], acme: true } }), "", "one name: one order, one account");
    assert.equal(first({ ...odd, awaitCertificates: { ...probe, acme: false } }), "");
    assert.equal(first({ ...odd, awaitCertificates: { ...probe, acme: true, seconds: 0 } }), "");
  });

  it("changes nothing and fails when the docker daemon cannot be reached (executed for real)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-proxy-"));
    const target = path.join(dir, "sites", "blog.caddy");
    fs.mkdirSync(path.dirname(target));
    fs.writeFileSync(target, "routes v1\n");
    const opts = { path: target, proxyContainer: "simple-paas-proxy", lockFile: path.join(dir, "proxy.lock") };
    // A daemon socket nobody listens on: the real docker CLI's own failure.
    const env = { ...process.env, DOCKER_HOST: `unix://${path.join(dir, "no-docker.sock")}` };
    const install = runBash(renderProxyFileScript(opts), { stdin: "routes v2\n", env });
    assert.equal(install.status, 1, install.stderr);
    assert.match(install.stderr, /cannot reach the docker daemon to reload the proxy; nothing changed/);
    assert.equal(fs.readFileSync(target, "utf8"), "routes v1\n");
    const removal = runBash(renderProxyFileRemovalScript(opts), { env });
    assert.equal(removal.status, 1, removal.stderr);
    assert.equal(fs.readFileSync(target, "utf8"), "routes v1\n");
    assert.deepEqual(fs.readdirSync(path.dirname(target)), ["blog.caddy"], "no temp files left behind");
    assert.equal(fs.existsSync(opts.lockFile), false, "not even the lock: it fails before anything");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
