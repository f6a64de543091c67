/**
 * The host's own logs rotated for real: the logrotate config HostBootstrap
 * installs and the line of the host's cron file that runs it, executed as
 * cron would (the command part of the emitted line), against logs filled
 * past the size cap, rotated more often than `keep`, and rotated copies
 * aged past `maxAgeDays`; a writer that keeps its log open goes on writing
 * into the emptied log.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderHostCronFile } from "../../components/render/cron-file";
import { logrotateCommand, renderHostLogrotateConfig } from "../../components/render/logrotate";
import { runBash } from "../support/run";

describe("the host's log rotation (logrotate, run from the host's cron line)", () => {
  let dir: string;
  let logs: string;
  let rotate: () => void;
  const MiB = 1024 * 1024;

  before(function () {
    assert.ok(fs.existsSync("/usr/sbin/logrotate"), "logrotate is installed (scripts/test-env/install-packages.sh)");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-logrotate-"));
    logs = path.join(dir, "log");
    fs.mkdirSync(logs, { mode: 0o750 });
    const conf = path.join(dir, "logrotate.conf");
    fs.writeFileSync(conf, renderHostLogrotateConfig({ logDirs: [logs, logs], maxSizeMb: 1, keep: 2, maxAgeDays: 3 }), { mode: 0o644 });
    const cron = renderHostCronFile({
      spPath: "/usr/local/bin/sp", logDir: logs, imagePrune: { schedule: "40 4 * * *", keep: 2 },
      logRotation: logrotateCommand(conf, path.join(dir, "logrotate.state")),
    });
    const line = cron.split("\n").find((l) => l.includes("/usr/sbin/logrotate"));
    assert.ok(line, cron);
    const m = /^(\*\/10 \* \* \* \*) root (.*)$/.exec(line!);
    assert.ok(m, `every 10 minutes, as root: ${line}`);
    // What cron runs: the command part, by SHELL=/bin/bash (no % in it to unescape).
    assert.doesNotMatch(m![2], /%/);
    rotate = () => {
      const r = runBash(m![2]);
      assert.equal(r.status, 0, r.stderr);
    };
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const log = (name: string) => path.join(logs, name);
  const fill = (name: string, bytes: number) => fs.appendFileSync(log(name), Buffer.alloc(bytes, "x\n"));
  // cron-host.log: the cron line's own output (empty; notifempty leaves it).
  const listing = () => fs.readdirSync(logs).filter((f) => f !== "cron-host.log").sort();

  it("rotates a log past its size cap into a gzipped copy and leaves a small one alone", () => {
    fill("backup.log", 2 * MiB);
    fill("cron-blog.log", 1000);
    rotate();
    assert.deepEqual(listing(), ["backup.log", "backup.log.1.gz", "cron-blog.log"]);
    assert.equal(fs.readFileSync(log("cron-host.log"), "utf8"), "", "logrotate had nothing to say");
    assert.equal(fs.statSync(log("backup.log")).size, 0, "emptied in place (copytruncate)");
    assert.equal(fs.statSync(log("cron-blog.log")).size, 1000);
    const gz = runBash(`gzip -dc ${JSON.stringify(log("backup.log.1.gz"))} | wc -c`);
    assert.equal(gz.stdout.trim(), String(2 * MiB), "the copy holds the whole log");
  });

  it("keeps at most `keep` rotated copies, however often it fills", () => {
    for (let i = 0; i < 4; i++) {
      fill("backup.log", 2 * MiB);
      rotate();
    }
    assert.deepEqual(listing(), ["backup.log", "backup.log.1.gz", "backup.log.2.gz", "cron-blog.log"]);
  });

  it("removes rotated copies older than maxAgeDays at the next rotation", () => {
    const old = new Date(Date.now() - 10 * 86_400_000);
    for (const f of ["backup.log.1.gz", "backup.log.2.gz"]) fs.utimesSync(log(f), old, old);
    fill("backup.log", 2 * MiB);
    rotate();
    // Without maxage, the 10 days old .1 would have become .2.
    assert.deepEqual(listing(), ["backup.log", "backup.log.1.gz", "cron-blog.log"]);
  });

  it("leaves a writer that keeps its log open writing into the emptied log", async () => {
    const file = log("daemon.log");
    const writer = spawn("bash", ["-c", `exec 3>>${JSON.stringify(file)}; head -c ${2 * MiB} /dev/zero >&3; echo ready; while read -r line; do echo "$line" >&3; done`], { stdio: ["pipe", "pipe", "inherit"] });
    try {
      await new Promise<void>((resolve) => writer.stdout!.once("data", () => resolve()));
      rotate();
      assert.ok(fs.existsSync(log("daemon.log.1.gz")));
      writer.stdin!.write("after the rotation\n");
      writer.stdin!.end();
      await new Promise((resolve) => writer.once("close", resolve));
      assert.equal(fs.readFileSync(file, "utf8"), "after the rotation\n", "appends at the new end: no hole of the old size");
    } finally {
      writer.kill();
    }
  });
});
