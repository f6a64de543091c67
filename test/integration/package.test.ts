/**
 * The library as another stack gets it: `npm pack`, install the tarball into
 * a fresh project, and build all three components from `simple-paas` there
 * under Pulumi's mocks.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sh } from "../support/run";


const CONSUMER = `
const pulumi = require("@pulumi/pulumi");
const registered = [];
pulumi.runtime.setMocks({
  newResource(args) {
    registered.push(args.type + "/" + args.name);
    const state = { ...args.inputs };
    if (args.name.endsWith("-setup")) state.stdout = '{"uid":1001,"gid":1001}';
    if (args.type === "docker:index/remoteImage:RemoteImage") state.imageId = "sha256:" + "b".repeat(64);
    return { id: args.name + "-id", state };
  },
  call(args) { return args.inputs; },
}, "consumer", "test", false);

const { HostBootstrap, SimpleSite, SiteBackup, SimplePaasInputError } = require("simple-paas");
const host = new HostBootstrap("host", { stagingDomain: "staging.example.com" });
const site = new SimpleSite("blog", { host, name: "blog", image: "nginx:1.27", domains: ["blog.example.com"] });
new SiteBackup("extra", { host, site: "extra", repository: "/srv/restic/extra" });
let rejected = "";
try { new SimpleSite("bad", { host, name: "Bad Name", image: "nginx", domains: ["x.example.com"] }); } catch (e) { rejected = e instanceof SimplePaasInputError ? e.message : "wrong error"; }
site.containerName.apply((name) => {
  setTimeout(() => {
    console.log(JSON.stringify({ name, urls: site.urls, rejected, registered: registered.sort() }));
  }, 200);
});
`;

describe("the packed library in another project", function () {
  this.timeout(10 * 60_000);
  let work = "";

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "sp-pack-"));
  });

  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("installs from its tarball and builds HostBootstrap, SimpleSite and SiteBackup under mocks", () => {
    const tarball = sh(`npm pack --silent --pack-destination ${JSON.stringify(work)}`, { timeoutMs: 5 * 60_000 }).trim().split("\n").pop()!;
    const listing = sh(`tar -tzf ${JSON.stringify(path.join(work, tarball))}`);
    assert.match(listing, /package\/dist\/components\/index\.js/);
    assert.match(listing, /package\/dist\/components\/index\.d\.ts/);
    assert.match(listing, /package\/dist\/components\/host-scripts\/sp\/backup\.sh/, "ships the host script files");
    assert.doesNotMatch(listing, /package\/test\/|package\/stacks\//, "ships the library only");

    const consumer = path.join(work, "consumer");
    fs.mkdirSync(consumer);
    fs.writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
    fs.writeFileSync(path.join(consumer, "main.js"), CONSUMER);
    sh(`cd ${JSON.stringify(consumer)} && npm install --no-audit --no-fund --prefer-offline ${JSON.stringify(path.join(work, tarball))} >/dev/null 2>&1`, { timeoutMs: 8 * 60_000 });

    const result = JSON.parse(sh(`cd ${JSON.stringify(consumer)} && node main.js`).trim().split("\n").pop()!);
    assert.match(result.name, /^sp-blog-[0-9a-f]{10}$/);
    assert.deepEqual(result.urls, ["https://blog.example.com", "https://blog.staging.example.com"]);
    assert.match(result.rejected, /sites\.Bad Name\.name: "Bad Name" must be 1-32 characters/);
    for (const expected of [
      "simple-paas:index:HostBootstrap/host", "simple-paas:index:SimpleSite/blog", "simple-paas:index:SiteBackup/extra",
      "command:local:Command/blog-database", "command:local:Command/extra-final-backup",
    ]) {
      assert.ok(result.registered.includes(expected), `registered ${expected}`);
    }
    assert.ok(result.registered.some((r: string) => /^docker:index\/container:Container\/blog-container-[0-9a-f]{10}$/.test(r)), "the site's container");
  });
});
