import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { installRecordingMocks, recorded, resetRecorded, settle, valueOf } from "../support/mocks";
import { HostWithSites } from "../../components";
import { currentHealthCheck, currentSiteBackup } from "../../components/model/deprecated";
import { addDocTags } from "../../package/schema-details";

describe("HostWithSites (mocks)", () => {
  before(() => installRecordingMocks());
  beforeEach(() => resetRecorded());

  it("makes one HostBootstrap and a SimpleSite per site under itself, with outputs by site name", async () => {
    const web = new HostWithSites("web", {
      host: { stagingDomain: "staging.example.com" },
      backupKey: pulumi.secret("k"),
      sites: [
        { name: "alpha", image: "nginx:1.27", healthCheck: { enabled: false } },
        { name: "beta", image: "nginx:1.27", backup: { enabled: false } },
      ],
    });
    const urls = await valueOf(web.urls);
    await settle();
    assert.deepEqual(Object.keys(urls).sort(), ["alpha", "beta"]);
    assert.deepEqual(urls.alpha, ["https://alpha.staging.example.com"]);
    assert.equal(web.nodes.sites.length, 2);
    const types = recorded.map((r) => `${r.type}::${r.name}`);
    assert.ok(types.includes("simple-paas:index:HostBootstrap::web"));
    assert.ok(types.includes("simple-paas:index:SimpleSite::web-alpha"));
    assert.ok(types.includes("simple-paas:index:SiteBackup::web-alpha-backup"), "alpha has backups");
    assert.ok(!types.includes("simple-paas:index:SiteBackup::web-beta-backup"), "beta's { enabled: false } turns them off");
  });

  it("refuses a repeated site name before making anything", () => {
    assert.throws(() => new HostWithSites("dup", { sites: [{ name: "a", image: "nginx" }, { name: "a", image: "nginx" }] }), /sites\[1\]\.name/);
  });
});

describe("deprecated argument forms", () => {
  it("false still turns a health check or backups off, with a warning naming the field and the new form", () => {
    const warnings: string[] = [];
    assert.equal(currentHealthCheck(false, "sites.a.healthCheck", (m) => warnings.push(m)), undefined);
    assert.equal(currentSiteBackup(false, "sites.a.backup", (m) => warnings.push(m)), undefined);
    assert.deepEqual(currentSiteBackup({ tar: false, schedule: "@daily" }, "sites.a.backup", (m) => warnings.push(m)), { schedule: "@daily" });
    assert.deepEqual(warnings, [
      "sites.a.healthCheck: `false` is deprecated (simple-paas 0.2.0); write `{ enabled: false }`",
      "sites.a.backup: `false` is deprecated (simple-paas 0.2.0); write `{ enabled: false }`",
      "sites.a.backup.tar: `false` is deprecated (simple-paas 0.2.0); write no `tar` at all",
    ]);
  });

  it("the new forms say the same without a warning", () => {
    const warnings: string[] = [];
    assert.equal(currentHealthCheck({ enabled: false }, "h", (m) => warnings.push(m)), undefined);
    assert.deepEqual(currentHealthCheck({ path: "/up" }, "h", (m) => warnings.push(m)), { path: "/up" });
    assert.equal(currentSiteBackup({ enabled: false }, "b", (m) => warnings.push(m)), undefined);
    assert.deepEqual(warnings, []);
  });
});

describe("package schema details", () => {
  it("adds secret, plain defaults, and other defaults to the description", () => {
    const schema = JSON.stringify({
      name: "p",
      types: { "p:index:T": { properties: { a: { type: "number", description: "A." }, b: { type: "object", description: "B." }, s: { type: "string" } } } },
      resources: { "p:index:C": { inputProperties: { k: { type: "string" } } } },
    });
    const out = JSON.parse(addDocTags(schema, { T: { a: { default: "22" }, b: { default: "{ x: 1 }" }, s: { secret: true } }, CArgs: { k: { secret: true } } }, { C: "CArgs" }));
    assert.equal(out.types["p:index:T"].properties.a.default, 22);
    assert.equal(out.types["p:index:T"].properties.b.description, "B.\n\nDefault: { x: 1 }");
    assert.equal(out.types["p:index:T"].properties.s.secret, true);
    assert.equal(out.resources["p:index:C"].inputProperties.k.secret, true);
  });
});
