/**
 * The component package from Pulumi YAML, through the real engine: a copy
 * of examples/yaml (its `packages` entry pointed at this repository) brings
 * up a host with two sites, changes nothing on a second preview, backs up
 * with `sp backup`, comes back from its backups after destroy + up, and
 * keeps its secrets secret in state.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { ensureToolchain } from "../support/engine";
import { ensureServices } from "../support/services";
import { sh } from "../support/run";
import { HTTP_PORT, HTTPS_PORT, cleanSlate, eventually, httpsGet, pebbleRoots } from "./platform-fixture";

const REPO = path.resolve(__dirname, "..", "..");
const SITES = ["alpha", "beta"];

describe("Pulumi YAML: HostWithSites through pulumi package add", function () {
  this.timeout(45 * 60_000);
  let dir = "";
  let env: Record<string, string> = {};
  let roots = "";

  function pulumi(args: string[], input?: string): string {
    const r = spawnSync("pulumi", args, { cwd: dir, env: { ...process.env, ...env }, encoding: "utf8", input, timeout: 30 * 60_000 });
    if (r.status !== 0) throw new Error(`pulumi ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  before(() => {
    const services = ensureServices();
    cleanSlate();
    const toolchain = ensureToolchain();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-yaml-"));
    const state = path.join(dir, ".state");
    fs.mkdirSync(state);
    env = { ...toolchain.env, PULUMI_BACKEND_URL: `file://${state}`, PULUMI_CONFIG_PASSPHRASE: "yaml-e2e" };
    fs.copyFileSync(path.join(REPO, "examples", "yaml", "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    // The copy lives elsewhere: add the package from this repository's path, as a consumer does.
    const project = fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8").replace(/^packages:\n  simple-paas: .*\n/m, "");
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), project);
    pulumi(["package", "add", REPO]);
    assert.match(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"), /simple-paas:/);
    pulumi(["stack", "init", "yaml-e2e"]);
    const gateway = "172.30.0.1";
    const plain: Record<string, string> = {
      registry: services.registry, siteImage: `${services.registry}/site-app:v1`,
      proxyImage: `${services.publicRegistry}/caddy:2.6`, memcachedImage: `${services.publicRegistry}/memcached:1.6`,
      acmeCa: `https://${gateway}:${services.pebblePort}/dir`, httpPort: String(HTTP_PORT), httpsPort: String(HTTPS_PORT), bindAddress: "127.0.0.1",
    };
    for (const [k, v] of Object.entries(plain)) pulumi(["config", "set", k, v]);
    pulumi(["config", "set", "acmeCaRootPem", "--"], fs.readFileSync(services.pebbleCaCert, "utf8"));
    pulumi(["config", "set", "--secret", "registryPassword"], fs.readFileSync(services.registryPasswordFile, "utf8").trim());
    pulumi(["config", "set", "--secret", "backupKey"], "yaml-e2e-backup-key-kept-off-the-host");
    roots = pebbleRoots(services);
  });

  after(() => {
    if (!dir) return;
    try { pulumi(["destroy", "--yes", "--skip-preview"]); } catch (e) { console.error(String(e)); }
    cleanSlate();
  });

  async function write(site: string, note: string): Promise<void> {
    const r = await eventually(() => httpsGet(`${site}.test`, `/db?note=${note}`, roots, { method: "POST" }));
    assert.equal(r.status, 200, r.body);
    fs.writeFileSync(`/sites/${site}/data/public/${note}.txt`, `${note}\n`);
    sh(`chown ${site}:${site} /sites/${site}/data/public/${note}.txt`);
  }

  async function assertRestored(site: string, note: string): Promise<void> {
    const r = await eventually(() => httpsGet(`${site}.test`, "/db", roots));
    assert.equal(r.status, 200, r.body);
    assert.match(r.body, new RegExp(note));
    assert.equal(fs.readFileSync(`/sites/${site}/data/public/${note}.txt`, "utf8"), `${note}\n`);
  }

  it("brings up the host and both sites: HTTPS answers, data is written", async () => {
    pulumi(["up", "--yes", "--skip-preview"]);
    const urls = JSON.parse(pulumi(["stack", "output", "urls", "--json"])) as Record<string, string[]>;
    assert.deepEqual(Object.keys(urls).sort(), SITES);
    for (const site of SITES) {
      const r = await eventually(() => httpsGet(`${site}.test`, "/", roots));
      assert.equal(r.status, 200, r.body);
      assert.match(r.body, new RegExp(`^site: ${site}$`, "m"));
      await write(site, `yaml-${site}`);
    }
  });

  /** After every up: a preview that reports no changes (--expect-no-changes fails the command otherwise). */
  function assertNoChanges(): void {
    const out = pulumi(["preview", "--diff", "--expect-no-changes"]);
    assert.doesNotMatch(out, /to (create|update|delete|replace)/);
  }

  it("changes nothing on a second preview", () => assertNoChanges());

  it("keeps the registry password and the backup key secret in state", () => {
    const state = pulumi(["stack", "export"]);
    assert.ok(!state.includes(fs.readFileSync(ensureServices().registryPasswordFile, "utf8").trim()), "registry password in plain text");
    assert.ok(!state.includes("yaml-e2e-backup-key-kept-off-the-host"), "backup key in plain text");
    assert.match(state, /4dabf18193072939515e22adb298388d/);
  });

  it("backs up with sp backup, and destroy + up restores both sites", async () => {
    sh("/usr/local/bin/sp backup --all");
    pulumi(["destroy", "--yes", "--skip-preview"]);
    for (const site of SITES) assert.ok(!fs.existsSync(`/sites/${site}/data/public/yaml-${site}.txt`), `${site}'s data is gone`);
    pulumi(["up", "--yes", "--skip-preview"]);
    assertNoChanges();
    for (const site of SITES) await assertRestored(site, `yaml-${site}`);
  });

  it("destroys everything at the end", () => {
    pulumi(["destroy", "--yes", "--skip-preview"]);
    const resources = JSON.parse(pulumi(["stack", "export"])).deployment.resources ?? [];
    assert.equal(resources.length, 0);
  });
});
