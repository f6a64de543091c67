/**
 * The same host program over SSH: sshd on a loopback address (this machine
 * as the "remote" host), `command.remote` for every host step and docker
 * over `ssh://`.
 */
import * as assert from "node:assert/strict";
import { sh } from "../support/run";
import { Platform, cleanSlate, createPlatform, eventually, httpsGet, pebbleRoots, siteConfig } from "./platform-fixture";

describe("a remote host over SSH (real engine)", function () {
  this.timeout(45 * 60_000);
  let platform: Platform;

  before(() => {
    platform = createPlatform("remote", { connection: true });
    platform.setSites([siteConfig("alpha")]);
  });

  after(() => {
    if (!platform) return;
    platform.project.run(["destroy", "--yes", "--skip-preview"]);
    platform.project.dispose();
    cleanSlate();
  });

  it("prepares the host and serves a site with every host step run over SSH", async () => {
    // Count sshd sessions from the test key: each host step opens one.
    const authLog = `${platform.env.stateDir}/ssh/sshd.log`;
    const before = sh(`grep -c 'Accepted publickey' ${authLog} 2>/dev/null || true`).trim();
    platform.project.up();
    const state = JSON.parse(platform.project.mustRun(["stack", "export"])) as { deployment: { resources: { type: string; urn: string }[] } };
    const types = state.deployment.resources.map((r) => r.type);
    assert.ok(types.filter((t) => t === "command:remote:Command").length >= 10, "host steps are remote commands");
    assert.equal(types.filter((t) => t === "command:local:Command").length, 1, "only the step that writes the SSH key for docker runs locally");
    const dockerProvider = state.deployment.resources.find((r) => r.type === "pulumi:providers:docker" && /host-docker/.test(r.urn)) as unknown as { inputs: { host: string } };
    assert.equal(dockerProvider.inputs.host, `ssh://root@${platform.env.sshHost}:${platform.env.sshPort}`);
    const after = sh(`grep -c 'Accepted publickey' ${authLog} 2>/dev/null || true`).trim();
    assert.ok(Number(after) > Number(before || "0"), `sshd accepted the sessions (${before} -> ${after})`);
    const roots = pebbleRoots(platform.env);
    const page = await eventually(() => httpsGet("alpha.test", "/", roots).then((r) => { if (r.status !== 200) throw new Error(r.body); return r; }));
    assert.match(page.body, /site-app version v1/);
  });

  it("changes nothing on a second pulumi up", () => {
    const changes = platform.project.previewSteps().filter((s) => s.op !== "same");
    assert.deepEqual(changes.map((c) => `${c.op} ${c.urn}`), []);
  });
});
