/**
 * The host programs kept as bash files (components/host-scripts/): each
 * passes shellcheck as a file, its header is comments only, and the text a
 * host gets is the file's body.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { HOST_SCRIPTS_DIR, hostScriptFile } from "../../components/render/host-script-files";

function shellFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? shellFiles(path.join(dir, e.name)) : e.name.endsWith(".sh") ? [path.join(dir, e.name)] : []);
}

describe("host script files", () => {
  const files = shellFiles(HOST_SCRIPTS_DIR);

  it("exist", () => {
    assert.ok(files.length >= 5, `found ${files.join(", ")}`);
  });

  for (const file of files) {
    const relative = path.relative(HOST_SCRIPTS_DIR, file);
    it(`${relative} passes shellcheck as a file`, () => {
      const r = spawnSync("shellcheck", ["--severity=style", "--external-sources", path.basename(file)], { cwd: path.dirname(file), encoding: "utf8" });
      if (r.error) throw new Error(`shellcheck could not run (install Debian's shellcheck): ${r.error.message}`);
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    });

    it(`${relative}: the body a host gets is the file without its comment header`, () => {
      const text = fs.readFileSync(file, "utf8");
      const body = hostScriptFile(relative);
      assert.ok(text.endsWith(body) && text.length > body.length, "the body is the end of the file");
      assert.match(text.slice(0, text.length - body.length), /^# shellcheck shell=bash\n(#[^\n]*\n)*\n$/);
    });
  }
});
