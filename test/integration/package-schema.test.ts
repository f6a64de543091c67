/**
 * The component package's schema as the engine serves it (`pulumi package
 * get-schema` of this repository, the toolchain's CLI): no docker, no host.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { ensureToolchain } from "../support/engine";

interface Prop { description?: string; secret?: boolean; default?: unknown }

describe("component package schema (pulumi package get-schema)", function () {
  this.timeout(10 * 60_000);
  let schema: { types: Record<string, { properties?: Record<string, Prop> }>; resources: Record<string, { inputProperties: Record<string, Prop> }> };

  before(() => {
    const toolchain = ensureToolchain();
    const r = spawnSync("pulumi", ["package", "get-schema", path.resolve(__dirname, "..", "..")], {
      env: { ...process.env, ...toolchain.env }, encoding: "utf8", cwd: "/tmp", timeout: 5 * 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    schema = JSON.parse(r.stdout);
  });

  it("serves HostWithSites only (the other components take a HostBootstrap object)", () => {
    assert.deepEqual(Object.keys(schema.resources), ["simple-paas:index:HostWithSites"]);
  });

  it("describes every argument", () => {
    const missing: string[] = [];
    for (const [t, ty] of Object.entries(schema.types)) for (const [k, p] of Object.entries(ty.properties ?? {})) if (!p.description) missing.push(`${t}.${k}`);
    for (const [k, p] of Object.entries(schema.resources["simple-paas:index:HostWithSites"].inputProperties)) if (!p.description) missing.push(`HostWithSites.${k}`);
    assert.deepEqual(missing, []);
  });

  it("marks the secrets secret and carries defaults", () => {
    const prop = (t: string, k: string) => schema.types[`simple-paas:index:${t}`].properties![k];
    for (const [t, k] of [["HostConnection", "privateKey"], ["ExternalDatabase", "adminPassword"], ["RegistryCredentials", "password"],
      ["SiteOptions", "secretEnv"], ["SiteBackupSettings", "password"], ["SiteBackupSettings", "credentials"], ["SiteBackupOptions", "heartbeatUrl"], ["SiteHashSalt", "value"], ["AdoptedRepository", "password"]]) {
      assert.equal(prop(t, k).secret, true, `${t}.${k}`);
    }
    assert.equal(schema.resources["simple-paas:index:HostWithSites"].inputProperties.backupKey.secret, true);
    assert.equal(prop("HostConnection", "port").default, 22);
    assert.equal(prop("HealthCheck", "enabled").default, true);
    assert.match(prop("HostBootstrapArgs", "network").description!, /Default: \{ name: "simple-paas"/);
  });
});
