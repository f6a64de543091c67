/**
 * The same host program over SSH: sshd on a loopback address (this machine
 * as the "remote" host), `command.remote` for every host step and docker
 * over `ssh://` (applied by test/support/live-host.ts).
 */
import * as assert from "node:assert/strict";
import { sh } from "../support/run";
import { Platform, createPlatform, disposePlatform, eventually, printDiagnostics, assertCertificatesReady, httpsGet, pebbleRoots, siteConfig } from "./platform-fixture";

describe("a remote host over SSH", function () {
  this.timeout(45 * 60_000);
  let platform: Platform;

  before(() => {
    platform = createPlatform({ connection: true });
    platform.setSites([siteConfig("alpha")]);
  });

  afterEach(function () { printDiagnostics(this.currentTest, platform?.env); });
  after(() => disposePlatform(platform));

  it("prepares the host and serves a site with every host step run over SSH", async () => {
    // Count sshd sessions from the test key: each host step opens one.
    const authLog = `${platform.env.stateDir}/ssh/sshd.log`;
    const before = sh(`grep -c 'Accepted publickey' ${authLog} 2>/dev/null || true`).trim();
    await platform.up();
    const types = platform.live.done.map((d) => d.type);
    assert.ok(types.filter((t) => t === "command:remote:Command").length >= 10, "host steps are remote commands");
    assert.deepEqual(platform.live.done.filter((d) => d.type === "command:local:Command").map((d) => d.name), ["host-ssh-key"],
      "only the step that writes the SSH key for docker runs locally");
    const dockerProvider = platform.live.done.find((d) => d.type === "pulumi:providers:docker" && d.name === "host-docker")!;
    assert.equal(dockerProvider.state.host, `ssh://root@${platform.env.sshHost}:${platform.env.sshPort}`);
    const after = sh(`grep -c 'Accepted publickey' ${authLog} 2>/dev/null || true`).trim();
    assert.ok(Number(after) > Number(before || "0"), `sshd accepted the sessions (${before} -> ${after})`);
    const roots = pebbleRoots(platform.env);
    assertCertificatesReady(platform, ["alpha"]);
    const page = await eventually(() => httpsGet("alpha.test", "/", roots).then((r) => { if (r.status !== 200) throw new Error(r.body); return r; }));
    assert.match(page.body, /site-app version v1/);
  });

  it("changes nothing on a second up", async () => {
    assert.deepEqual(await platform.preview(), []);
    await platform.up();
    assert.deepEqual(platform.live.changes, []);
  });
});
