import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderBackupConfigScript, renderBackupEnv } from "../../components/render/backup-config";
import { assertShellcheckClean } from "../support/shellcheck";
import { runBash, sh } from "../support/run";

const settings = {
  repository: "sftp:backup@vault:/srv/restic/it's",
  keep: { last: 7, hourly: 24, daily: 7, weekly: 5, monthly: 12, yearly: 1 },
  tar: { dir: "/var/backups/tar", keepDays: 14, keep: 3 },
};

describe("backup config", () => {
  it("renders backup.env with every setting quoted", () => {
    const env = renderBackupEnv(settings);
    assert.match(env, /^SP_RESTIC_REPOSITORY='sftp:backup@vault:\/srv\/restic\/it'\\''s'$/m);
    assert.match(env, /^SP_KEEP_HOURLY='24'$/m);
    assert.match(env, /^SP_TAR_DIR='\/var\/backups\/tar'$/m);
    assert.match(renderBackupEnv({ ...settings, tar: undefined }), /^SP_TAR_DIR=''$/m);
    // Sourcing it gives back the exact values.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sp-env-")), "backup.env");
    fs.writeFileSync(file, env);
    const out = sh(`. ${JSON.stringify(file)}; printf '%s|%s|%s' "$SP_RESTIC_REPOSITORY" "$SP_TAR_KEEP" "$SP_TAR_KEEP_DAYS"`);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    assert.equal(out, "sftp:backup@vault:/srv/restic/it's|3|14");
  });

  it("passes shellcheck and carries no secret in its text", () => {
    const script = renderBackupConfigScript({ backupConfigDir: "/etc/simple-paas/sites/blog/backup", settings });
    assertShellcheckClean(script, "backup config script");
    assert.doesNotMatch(script, /resticPassword"\s*:/);
  });

  it("writes backup.env, restic_pass and a sourceable restic.env with mode 0600, idempotently (executed for real)", () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sp-backup-config-")), "backup");
    const script = renderBackupConfigScript({ backupConfigDir: dir, settings });
    const stdin = JSON.stringify({ resticPassword: "pw with 'quotes' and $dollar", credentials: { B2_ACCOUNT_KEY: "k'e y$1" } });
    const first = runBash(script, { stdin });
    assert.equal(first.status, 0, first.stderr);
    assert.doesNotMatch(first.stdout + first.stderr, /quotes|k'e y/, "no secret in the output");
    for (const f of ["backup.env", "restic_pass", "restic.env"]) {
      assert.equal((fs.statSync(path.join(dir, f)).mode & 0o777).toString(8), "600", f);
    }
    assert.equal(fs.readFileSync(path.join(dir, "restic_pass"), "utf8").trimEnd(), "pw with 'quotes' and $dollar");
    assert.equal(sh(`. ${JSON.stringify(path.join(dir, "restic.env"))}; printf '%s' "$B2_ACCOUNT_KEY"`), "k'e y$1");
    const second = runBash(script, { stdin });
    assert.equal(second.status, 0);
    assert.doesNotMatch(second.stderr, /(^|\n)changed: /, `second run changes nothing: ${second.stderr}`);
    const noPassword = runBash(script, { stdin: JSON.stringify({ resticPassword: "" }) });
    assert.notEqual(noPassword.status, 0, "an empty restic password fails loudly");
    assert.match(noPassword.stderr, /nothing was written/);
    assert.equal(fs.readFileSync(path.join(dir, "restic_pass"), "utf8").trimEnd(), "pw with 'quotes' and $dollar",
      "a failed run leaves the earlier password in place");
    // restic.env is sourced by bash: a name that is not a plain variable name would be code.
    for (const credentials of [{ "X=1; touch /tmp/pwned; Y": "v" }, { lower: "v" }, { B2_ACCOUNT_KEY: 42 }]) {
      const bad = runBash(script, { stdin: JSON.stringify({ resticPassword: "pw", credentials }) });
      assert.notEqual(bad.status, 0, JSON.stringify(credentials));
      assert.doesNotMatch(bad.stderr, /pwned|"v"|42/, "the input is not echoed");
    }
    assert.equal(sh(`. ${JSON.stringify(path.join(dir, "restic.env"))}; printf '%s' "$B2_ACCOUNT_KEY"`), "k'e y$1", "restic.env kept");
    const leftovers = fs.readdirSync(dir).filter((f) => !["backup.env", "restic_pass", "restic.env"].includes(f));
    assert.deepEqual(leftovers, [], "no temp files left behind");
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });
});

describe("final backup script", () => {
  it("passes shellcheck, backs up a set-up site and skips one that is not on this host or on a host of another generation", () => {
    const { renderFinalBackupScript } = require("../../components/render/site-backup-steps") as typeof import("../../components/render/site-backup-steps");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-final-"));
    const fakeSp = path.join(dir, "sp");
    fs.writeFileSync(fakeSp, `#!/bin/sh\necho "$@" > ${JSON.stringify(path.join(dir, "called"))}\n`, { mode: 0o755 });
    const siteEnv = path.join(dir, "site.env");
    const generationFile = path.join(dir, "host-generation");
    fs.writeFileSync(generationFile, "7\n");
    const doneFile = path.join(dir, "final-backup-done");
    fs.writeFileSync(doneFile, "left from an earlier destroy\n");
    const script = renderFinalBackupScript({ spPath: fakeSp, site: "blog", siteEnvFile: siteEnv, generation: "7", generationFile, doneFile });
    assertShellcheckClean(script, "final backup script");
    const skipped = runBash(script);
    assert.equal(skipped.status, 0);
    assert.match(skipped.stderr, /not set up on this host/);
    assert.equal(fs.existsSync(doneFile), false, "a skipped final backup leaves no mark (the data must then stay)");
    assert.equal(fs.existsSync(path.join(dir, "called")), false);
    fs.writeFileSync(siteEnv, "SP_SITE='blog'\n");
    assert.equal(runBash(script).status, 0);
    assert.equal(fs.readFileSync(path.join(dir, "called"), "utf8"), "backup blog --final\n");
    assert.match(fs.readFileSync(doneFile, "utf8"), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/, "a final backup taken leaves its mark");
    // The host was rebuilt as generation 8: the site there is new and empty, its snapshot would be the latest.
    fs.rmSync(path.join(dir, "called"));
    fs.writeFileSync(generationFile, "8\n");
    const otherGeneration = runBash(script);
    assert.equal(otherGeneration.status, 0);
    assert.match(otherGeneration.stderr, /this host is not generation 7 any more \(new or wiped\): no final backup of blog to take/);
    assert.equal(fs.existsSync(path.join(dir, "called")), false);
    assert.equal(fs.existsSync(doneFile), false, "no mark from a host of another generation");
    fs.writeFileSync(generationFile, "7\n");
    fs.writeFileSync(fakeSp, "#!/bin/sh\nexit 3\n", { mode: 0o755 });
    assert.equal(runBash(script).status, 3, "a failed final backup fails the destroy");
    assert.equal(fs.existsSync(doneFile), false, "and leaves no mark");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
