/**
 * The same host program over SSH, through the real engine: sshd on a
 * loopback address (this machine as the "remote" host), `command.remote`
 * for every host step and docker over `ssh://`.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { HostProgramStack } from "../support/engine";
import { sh } from "../support/run";
import { Platform, createPlatform, disposePlatform, eventually, printDiagnostics, assertCertificatesReady, httpsGet, pebbleRoots, siteConfig, testSshHostKey } from "./platform-fixture";

describe("a remote host over SSH", function () {
  this.timeout(45 * 60_000);
  let platform: Platform;

  before(async () => {
    platform = await createPlatform("remote", { connection: true });
    await platform.setSites([siteConfig("alpha")]);
  });

  afterEach(function () { printDiagnostics(this.currentTest, platform?.env); });
  after(() => disposePlatform(platform));

  it("prepares the host and serves a site with every host step run over SSH", async () => {
    // Count sshd sessions from the test key: each host step opens one.
    const authLog = `${platform.env.stateDir}/ssh/sshd.log`;
    const before = sh(`grep -c 'Accepted publickey' ${authLog} 2>/dev/null || true`).trim();
    await platform.up();
    const resources = await platform.stack.resources();
    assert.ok(resources.filter((r) => r.type === "command:remote:Command").length >= 10, "host steps are remote commands");
    assert.deepEqual(resources.filter((r) => r.type === "command:local:Command").map((r) => r.name).sort(), ["host-reachable", "host-ssh-key"],
      "only the SSH key for docker and the reachability check run locally");
    assert.match(String(resources.find((r) => r.name === "host-reachable")?.outputs.stderr), /: host 127\.0\.0\.1 answers over SSH with the pinned host key \(port \d+, user root\)$/m);
    const dockerProvider = resources.find((r) => r.type === "pulumi:providers:docker" && r.name === "host-docker")!;
    assert.equal(dockerProvider.outputs.host, `ssh://root@${platform.env.sshHost}:${platform.env.sshPort}`);
    const after = sh(`grep -c 'Accepted publickey' ${authLog} 2>/dev/null || true`).trim();
    assert.ok(Number(after) > Number(before || "0"), `sshd accepted the sessions (${before} -> ${after})`);
    const roots = pebbleRoots(platform.env);
    await assertCertificatesReady(platform, ["alpha"]);
    const page = await eventually(() => httpsGet("alpha.test", "/", roots).then((r) => { if (r.status !== 200) throw new Error(r.body); return r; }));
    assert.match(page.body, /site-app version v1/);
  });

  it("fails within seconds against a host that does not answer, naming it and what to check", async () => {
    const port = 1; // nothing listens on port 1 here
    const unreachable = await HostProgramStack.create("unreachable", {
      host: { connection: { host: "127.0.0.1", port, user: "root", hostKey: testSshHostKey(platform.env) } },
      sites: [siteConfig("alpha")],
    }, {
      sshPrivateKey: fs.readFileSync(platform.env.sshKeyFile, "utf8"), backupKey: "k",
      secrets: { alpha: { registryPassword: "x", env: { API_TOKEN: "t" } } },
    });
    const started = Date.now();
    try {
      await assert.rejects(unreachable.up(), (err: Error) => {
        assert.match(err.message, /cannot reach the host 127\.0\.0\.1 over SSH \(port 1, user root\): .*Connection refused/);
        assert.match(err.message, /simple-paas:host\.connection names its address and port/);
        return true;
      });
      console.log(`      an unreachable host failed the up after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const resources = await unreachable.resources();
      assert.deepEqual(resources.filter((r) => r.type.startsWith("command:remote") || r.type.startsWith("docker:")).map((r) => r.name), [],
        "nothing was attempted on the host");
    } finally {
      await unreachable.destroy();
      await unreachable.dispose();
    }
  });

  it("sends nothing to a host that does not show the pinned host key: the up stops at the first contact", async () => {
    // Another key than the test sshd's (a man in the middle, or a host rebuilt at the same address).
    const other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    const authLog = `${platform.env.stateDir}/ssh/sshd.log`;
    const accepted = () => Number(sh(`grep -c 'Accepted publickey' ${authLog} 2>/dev/null || true`).trim() || "0");
    const impostor = await HostProgramStack.create("impostor", {
      host: { connection: { host: platform.env.sshHost, port: platform.env.sshPort, user: platform.env.sshUser, hostKey: other } },
      sites: [siteConfig("alpha")],
    }, {
      sshPrivateKey: fs.readFileSync(platform.env.sshKeyFile, "utf8"), backupKey: "k",
      secrets: { alpha: { registryPassword: "x", env: { API_TOKEN: "t" } } },
    });
    const before = accepted();
    try {
      await assert.rejects(impostor.up(), (err: Error) => {
        assert.match(err.message, /did not present the host key pinned in simple-paas:host\.connection\.hostKey: .*nothing was sent to it/);
        return true;
      });
      assert.equal(accepted(), before, "the client never authenticated, so no key or secret reached the host");
      const resources = await impostor.resources();
      assert.deepEqual(resources.filter((r) => r.type.startsWith("command:remote") || r.type.startsWith("docker:")).map((r) => r.name), [],
        "nothing was attempted on the host");
    } finally {
      await impostor.destroy();
      await impostor.dispose();
    }
  });

  it("changes nothing on a second up", async () => {
    assert.deepEqual(await platform.preview(), []);
    const second = await platform.up();
    const changed = Object.entries(second.result.summary.resourceChanges ?? {}).filter(([op]) => op !== "same");
    assert.deepEqual(changed, [], second.output);
  });
});
