import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { localSshKeyFile, renderReachabilityCheckScript } from "../../components/render/ssh-check";
import { runBash } from "../support/run";
import { assertShellcheckClean } from "../support/shellcheck";

describe("the SSH reachability check of a remote host", () => {
  it("is shellcheck clean and names the key file from the host and port", () => {
    assert.equal(localSshKeyFile({ host: "web1.example.com", port: 2222 }), "$HOME/.simple-paas/ssh/web1.example.com-2222.key");
    assert.equal(localSshKeyFile({ host: "::1" }), "$HOME/.simple-paas/ssh/__1-22.key");
    assertShellcheckClean(renderReachabilityCheckScript({ host: "web1.example.com", port: 22, user: "root", keyFile: localSshKeyFile({ host: "web1.example.com" }) }), "reachability check");
    assert.throws(() => renderReachabilityCheckScript({ host: "h", port: 22, user: "root", keyFile: "/tmp/$(reboot).key" }), /keyFile/);
  });

  it("fails at once against a port nobody listens on, naming the host and what to check", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "sp-ssh-check-"));
    try {
      fs.mkdirSync(path.join(home, ".simple-paas", "ssh"), { recursive: true });
      fs.writeFileSync(path.join(home, ".simple-paas", "ssh", "127.0.0.1-1.key"), "not a key\n", { mode: 0o600 });
      const r = runBash(renderReachabilityCheckScript({ host: "127.0.0.1", port: 1, user: "root", keyFile: localSshKeyFile({ host: "127.0.0.1", port: 1 }) }),
        { env: { ...process.env, HOME: home } });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^cannot reach the host 127\.0\.0\.1 over SSH \(port 1, user root\): .*Connection refused/m);
      assert.match(r.stderr, /simple-paas:host\.connection names its address and port/);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
