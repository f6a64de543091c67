import { spawnSync } from "node:child_process";
import * as assert from "node:assert/strict";

/** Fails the test with shellcheck's findings when the script has any. */
export function assertShellcheckClean(script: string, label: string): void {
  const r = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], {
    input: script,
    encoding: "utf8",
  });
  if (r.error) throw new Error(`shellcheck could not run (install Debian's shellcheck): ${r.error.message}`);
  assert.equal(r.status, 0, `shellcheck findings in ${label}:\n${r.stdout}${r.stderr}`);
}
