import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { localSshFiles } from "../../components/model/naming";
import { knownHostsLine, renderLocalSshFilesScript, renderReachabilityCheckScript } from "../../components/render/ssh-check";
import { runBash } from "../support/run";
import { assertShellcheckClean } from "../support/shellcheck";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFhTest0nlyKeyForUnitTestsAAAAAAAAAAAAAAAAAA root@web1";

describe("a remote host's SSH files and reachability check", () => {
  it("names the key and the pinned known_hosts from the host and port, and pins the key as ssh looks it up", () => {
    assert.deepEqual(localSshFiles({ host: "web1.example.com", port: 2222, owner: "sites.prod.web1" }), {
      keyFromHome: ".simple-paas/ssh/web1.example.com-2222.sites.prod.web1.key",
      knownHostsFromHome: ".simple-paas/ssh/web1.example.com-2222.sites.prod.web1.known_hosts",
    });
    assert.equal(localSshFiles({ host: "::1", owner: "p/s x" }).keyFromHome, ".simple-paas/ssh/__1-22.p_s_x.key");
    assert.equal(knownHostsLine({ host: "web1.example.com", port: 22, hostKey: HOST_KEY }), "web1.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFhTest0nlyKeyForUnitTestsAAAAAAAAAAAAAAAAAA");
    assert.equal(knownHostsLine({ host: "10.0.0.1", port: 2222, hostKey: HOST_KEY }).split(" ")[0], "[10.0.0.1]:2222");
    const remote = { host: "web1.example.com", port: 22, user: "root", hostKey: HOST_KEY, owner: "sites.prod.web1" };
    for (const script of [renderReachabilityCheckScript(remote), renderLocalSshFilesScript(remote, "write"), renderLocalSshFilesScript(remote, "remove")]) {
      assertShellcheckClean(script, "ssh files / reachability");
    }
    assert.match(renderReachabilityCheckScript(remote), /-o StrictHostKeyChecking=yes/);
    assert.doesNotMatch(renderReachabilityCheckScript(remote), /accept-new/);
    assert.throws(() => renderReachabilityCheckScript({ ...remote, hostKey: "AAAA not a key" }), /connection\.hostKey: "AAAA not a key" must be the host's public key/);
    assert.throws(() => renderReachabilityCheckScript({ ...remote, host: "h; reboot" }), /connection\.host/);
  });

  it("writes the key from stdin and a known_hosts with the pinned key alone, as the user running Pulumi", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "sp-ssh-files-"));
    try {
      const remote = { host: "127.0.0.1", port: 2222, user: "root", hostKey: HOST_KEY, owner: "sites.prod.web1" };
      const r = runBash(renderLocalSshFilesScript(remote, "write"), { stdin: "PRIVATE KEY TEXT\n", env: { ...process.env, HOME: home } });
      assert.equal(r.status, 0, r.stderr);
      const key = path.join(home, ".simple-paas", "ssh", "127.0.0.1-2222.sites.prod.web1.key");
      assert.equal(r.stdout, `${key}\n`);
      assert.equal(fs.readFileSync(key, "utf8"), "PRIVATE KEY TEXT\n");
      assert.equal(fs.statSync(key).mode & 0o777, 0o600);
      assert.equal(fs.readFileSync(key.replace(/\.key$/, ".known_hosts"), "utf8"), `[127.0.0.1]:2222 ${HOST_KEY.split(" ").slice(0, 2).join(" ")}\n`);
      assert.doesNotMatch(r.stderr, /PRIVATE KEY TEXT/);
      // Another stack reaching the same host and port keeps its own files: removing one stack's leaves the other's.
      const other = { ...remote, owner: "sites.staging.web1" };
      assert.equal(runBash(renderLocalSshFilesScript(other, "write"), { stdin: "OTHER KEY\n", env: { ...process.env, HOME: home } }).status, 0);
      assert.equal(runBash(renderLocalSshFilesScript(remote, "remove"), { env: { ...process.env, HOME: home } }).status, 0);
      assert.equal(fs.existsSync(key), false);
      assert.equal(fs.readFileSync(path.join(home, ".simple-paas", "ssh", "127.0.0.1-2222.sites.staging.web1.key"), "utf8"), "OTHER KEY\n");
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it("fails at once against a port nobody listens on, naming the host and what to check", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "sp-ssh-check-"));
    try {
      fs.mkdirSync(path.join(home, ".simple-paas", "ssh"), { recursive: true });
      fs.writeFileSync(path.join(home, ".simple-paas", "ssh", "127.0.0.1-1.t.dev.web1.key"), "not a key\n", { mode: 0o600 });
      const r = runBash(renderReachabilityCheckScript({ host: "127.0.0.1", port: 1, user: "root", hostKey: HOST_KEY, owner: "t.dev.web1" }), { env: { ...process.env, HOME: home } });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /cannot reach the host 127\.0\.0\.1 over SSH \(port 1, user root\): .*Connection refused/);
      assert.match(r.stderr, /simple-paas:host\.connection names its address and port/);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
