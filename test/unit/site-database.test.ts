import * as assert from "node:assert/strict";
import { renderSiteDatabaseRemovalScript, renderSiteDatabaseScript, SiteDatabaseInput } from "../../components/render/site-database";
import { assertShellcheckClean } from "../support/shellcheck";

function dbInput(overrides: Partial<SiteDatabaseInput> = {}): SiteDatabaseInput {
  return {
    site: "blog", configDir: "/srv/it's a dir/etc", dbName: "blog", dbUser: "blog",
    userHostPattern: "172.30.0.0/255.255.255.0", generation: "2026-11-30", ...overrides,
  };
}

describe("site database scripts (rendering)", () => {
  it("are shellcheck clean: the step, its removal and the removal that deletes the data", () => {
    assertShellcheckClean(renderSiteDatabaseScript(dbInput()), "site database");
    assertShellcheckClean(renderSiteDatabaseRemovalScript(dbInput()), "site database removal");
    assertShellcheckClean(renderSiteDatabaseRemovalScript({ ...dbInput(), deleteData: { dataDir: "/sites/blog/data", finalBackupDone: "/etc/simple-paas/sites/blog/backup/final-backup-done" } }), "site database removal with data");
  });

  it("carry the host generation in the step's text, and nothing secret", () => {
    const script = renderSiteDatabaseScript(dbInput());
    assert.match(script, /^# host generation: 2026-11-30$/m);
    assert.match(script, /^readonly SP_ADMIN_CNF='\/srv\/it'\\''s a dir\/etc\/mysql-admin\.cnf'$/m);
    assert.match(script, /IFS= read -r password/, "the password comes on stdin");
    assert.doesNotMatch(renderSiteDatabaseRemovalScript(dbInput()), /rm -rf/, "no data deleted without deleteData");
  });

  it("refuse names the SQL would have to quote, and a generation of two lines", () => {
    const cases: [Partial<SiteDatabaseInput>, RegExp][] = [
      [{ dbName: "blog`; DROP" }, /dbName "blog`; DROP" must be \[a-z\]\[a-z0-9_\]\*, at most 64 characters/],
      [{ dbUser: "o'blog" }, /dbUser "o'blog"/],
      [{ userHostPattern: "a' OR '1" }, /userHostPattern/],
      [{ configDir: "etc" }, /configDir/],
      [{ generation: "1\n2" }, /generation/],
    ];
    for (const [overrides, expected] of cases) assert.throws(() => renderSiteDatabaseScript(dbInput(overrides)), expected);
    assert.throws(() => renderSiteDatabaseRemovalScript({ ...dbInput(), deleteData: { dataDir: "data", finalBackupDone: "/x" } }), /deleteData\.dataDir/);
  });
});
