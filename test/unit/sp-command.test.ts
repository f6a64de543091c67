import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderSpCommand } from "../../components/render/sp-command";
import { renderEnvFile } from "../../components/render/shell";
import { runBash, sh } from "../support/run";
import { assertShellcheckClean } from "../support/shellcheck";

describe("sp command", () => {
  const sp = renderSpCommand({ configDir: "/etc/simple-paas" });
  let tmp: string;
  let configDir: string;
  let spOdd: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sp-command-"));
    // A config dir whose path needs quoting.
    configDir = path.join(tmp, "conf it's $HOME");
    fs.mkdirSync(path.join(configDir, "sites", "blog"), { recursive: true });
    fs.mkdirSync(path.join(configDir, "sites", "shop"), { recursive: true }); // no site.env: not a site
    fs.writeFileSync(path.join(configDir, "host.env"), renderEnvFile({
      SP_SITES_ROOT: path.join(tmp, "sites"),
      SP_CONFIG_DIR: configDir,
      SP_NETWORK: "simple-paas",
      SP_PROXY_CONTAINER: "simple-paas-proxy",
      SP_STATUS_DIR: path.join(tmp, "status"),
      SP_LOG_FILE: path.join(tmp, "log", "backup.log"),
    }));
    fs.writeFileSync(path.join(configDir, "sites", "blog", "site.env"), renderEnvFile({
      SP_SITE: "blog",
      SP_DATA_DIR: path.join(tmp, "sites", "blog", "data"),
      SP_DUMP_DIR: path.join(tmp, "sites", "blog", "dump"),
      SP_DB_NAME: "blog",
      SP_DB_USER: "blog",
      SP_USER: "sp-blog",
      SP_GROUP: "sp-blog",
    }));
    spOdd = renderSpCommand({ configDir });
    // A docker that knows no containers, so no test depends on a daemon.
    const bin = path.join(tmp, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "docker"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const run = (script: string, ...args: string[]) => runBash(script, { args, env, timeoutMs: 60_000 });

  it("passes shellcheck, also with a config dir that needs quoting", () => {
    assertShellcheckClean(sp, "sp");
    assertShellcheckClean(spOdd, "sp (odd config dir)");
  });

  it("is strict bash with the config dir quoted once", () => {
    assert.match(sp, /^#!\/usr\/bin\/env bash\n/);
    assert.match(sp, /^set -euo pipefail$/m);
    assert.match(sp, /^readonly CONF_DIR='\/etc\/simple-paas'$/m);
    assert.equal(sp.split("/etc/simple-paas").length, 2, "the config dir appears only in CONF_DIR");
    assert.match(spOdd, /^readonly CONF_DIR='.*conf it'\\''s \$HOME'$/m);
    assert.ok(sp.endsWith('main "$@"\n'));
    sh("bash -n", { stdin: sp });
  });

  it("refuses a relative or multi-line config dir", () => {
    assert.throws(() => renderSpCommand({ configDir: "etc/simple-paas" }), /absolute/);
    assert.throws(() => renderSpCommand({ configDir: "/etc/x\ny" }), /one line/);
  });

  it("prints help on stdout with exit 0, and usage on stderr with exit 2 without a command", () => {
    for (const arg of ["help", "--help", "-h"]) {
      const r = run(sp, arg);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /sp backup SITE\|--all/);
      assert.match(r.stdout, /Exit codes: 0 ok; 1 failure/);
      assert.match(r.stdout, /Configuration: \/etc\/simple-paas/);
    }
    const none = run(sp);
    assert.equal(none.status, 2);
    assert.equal(none.stdout, "");
    assert.match(none.stderr, /Usage|sp list/);
  });

  it("exits 2 on usage errors, before touching anything", () => {
    const cases: [string[], RegExp][] = [
      [["frobnicate"], /unknown command 'frobnicate'/],
      [["list", "extra"], /usage: sp list/],
      [["status", "a", "b"], /usage: sp status/],
      [["logs"], /usage: sp logs/],
      [["shell"], /usage: sp shell/],
      [["exec", "blog"], /usage: sp exec/],
      [["backup"], /missing SITE/],
      [["backup", "blog", "--all"], /not both/],
      [["backup", "blog", "--scheduled", "--final"], /exclude each other/],
      [["backup", "blog", "--tag"], /needs a value/],
      [["backup", "blog", "--tag", "a,b"], /invalid tag/],
      [["backup", "blog", "--tag", "kind=x"], /invalid tag/],
      [["backup", "blog", "--bogus"], /unknown option/],
      [["prune", "a", "b"], /one SITE/],
      [["snapshots"], /usage: sp snapshots/],
      [["restore"], /missing SITE/],
      [["restore", "blog", "not-an-id"], /SNAPSHOT must be/],
      [["restore", "blog", "abcdef12", "--if-fresh"], /give no SNAPSHOT/],
      [["tar-restore", "blog"], /usage: sp tar-restore/],
      [["exec", "Bad_Name", "true"], /invalid site name 'Bad_Name'/],
      [["backup", "../etc"], /invalid site name/],
      [["restore", "-x"], /unknown option/],
      [["restore", "blog", "latest", "extra"], /restore: too many arguments/],
      [["tar-restore", "blog", "a.tar.gz", "extra"], /tar-restore: too many arguments/],
      [["tar-restore", "blog", "a.tar.gz", "--if-fresh"], /tar-restore: unknown option '--if-fresh'/],
      [["prune", "blog", "--tag", "x"], /prune: unknown option '--tag'/],
    ];
    for (const [args, message] of cases) {
      const r = run(spOdd, ...args);
      assert.equal(r.status, 2, `sp ${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message, `sp ${args.join(" ")}`);
      assert.match(r.stderr, /Run "sp help" for usage/);
    }
  });

  it("exits 1 with a clear message for an unknown site", () => {
    for (const args of [["status", "nope"], ["logs", "nope"], ["exec", "nope", "true"], ["backup", "nope"], ["restore", "nope", "--yes"], ["snapshots", "nope"]]) {
      const r = run(spOdd, ...args);
      assert.equal(r.status, 1, `sp ${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /unknown site 'nope'.*see: sp list/, `sp ${args.join(" ")}`);
    }
  });

  it("exits 1 for a site without backups, and for a missing host.env", () => {
    const r = run(spOdd, "backup", "blog");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /site 'blog' has no backups configured/);
    const none = run(renderSpCommand({ configDir: path.join(tmp, "nowhere") }), "status");
    assert.equal(none.status, 1);
    assert.match(none.stderr, /cannot read .*nowhere\/host\.env/);
  });

  it("lists configured sites only, and reports a site without container", () => {
    const list = run(spOdd, "list");
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /^blog\s+-\s+missing$/m);
    assert.equal(list.stdout.split("\n").filter((l) => l !== "").length, 1);
    const status = run(spOdd, "status");
    assert.equal(status.status, 1, "a site without container needs attention");
    assert.equal(status.stdout, "blog container=- state=missing health=- last-backup=off\n  blog: its container is missing\n", "each reason on a line of its own");
    const exec = run(spOdd, "exec", "blog", "true");
    assert.equal(exec.status, 1);
    assert.match(exec.stderr, /site 'blog' has no running container that is ready/);
    const logs = run(spOdd, "logs", "blog", "--tail", "5");
    assert.equal(logs.status, 1);
    assert.match(logs.stderr, /site 'blog' has no container/);
  });

  it("shows state unknown when docker cannot be reached: list exits 0, status 1", () => {
    const bin = path.join(tmp, "bin-down");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "docker"), "#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n", { mode: 0o755 });
    const down = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const list = runBash(spOdd, { args: ["list"], env: down });
    assert.equal(list.status, 0);
    assert.match(list.stdout, /^blog\s+-\s+unknown$/m);
    assert.match(list.stderr, /cannot reach docker/);
    const status = runBash(spOdd, { args: ["status", "blog"], env: down });
    assert.equal(status.status, 1);
    assert.match(status.stdout, /^blog container=- state=unknown /);
    assert.match(status.stdout, /^  blog: docker does not answer$/m);
  });
});
