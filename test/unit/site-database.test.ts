import * as assert from "node:assert/strict";
import { renderSiteDatabaseRemovalScript, renderSiteDatabaseScript, SiteDatabaseInput } from "../../components/render/site-database";
import { assertShellcheckClean } from "../support/shellcheck";

function dbInput(overrides: Partial<SiteDatabaseInput> = {}): SiteDatabaseInput {
  return {
    site: "blog", configDir: "/srv/it's a dir/etc", dbName: "blog", dbUser: "blog",
    userHostPattern: "172.31.4.16/255.255.255.240", generation: "2026-11-30", ...overrides,
  };
}

const deleteData = {
  dataDir: "/sites/blog/data", dumpDir: "/sites/blog/dump", finalBackupDone: "/etc/simple-paas/sites/blog/backup/final-backup-done",
  lockFile: "/var/lib/simple-paas/backup-status/blog.lock", removedMark: "/var/lib/simple-paas/backup-status/blog.removed",
};

describe("site database scripts (rendering)", () => {
  it("are shellcheck clean: the step, its removal and the removal that deletes the data", () => {
    assertShellcheckClean(renderSiteDatabaseScript(dbInput()), "site database");
    assertShellcheckClean(renderSiteDatabaseRemovalScript(dbInput()), "site database removal");
    assertShellcheckClean(renderSiteDatabaseRemovalScript({ ...dbInput(), deleteData }), "site database removal with data");
  });

  it("carry the host generation in the step's text, and nothing secret", () => {
    const script = renderSiteDatabaseScript(dbInput());
    assert.match(script, /^readonly SP_GENERATION='2026-11-30'$/m);
    assert.match(script, /^readonly SP_ADMIN_CNF='\/srv\/it'\\''s a dir\/etc\/mysql-admin\.cnf'$/m);
    assert.match(script, /IFS= read -r password/, "the password comes on stdin");
    assert.match(renderSiteDatabaseRemovalScript(dbInput()), /^readonly SP_DELETE_DATA='no'$/m, "no data deleted without deleteData");
  });

  it("on the host's own server, also give the account over the unix socket (sp's sandboxed imports); not on an external one", () => {
    assert.match(renderSiteDatabaseScript(dbInput()), /^readonly SP_DB_SOCKET_ACCOUNT='yes'$/m);
    assert.match(renderSiteDatabaseScript(dbInput({ userHostPattern: "%" })), /^readonly SP_DB_SOCKET_ACCOUNT='no'$/m);
    assert.match(renderSiteDatabaseRemovalScript(dbInput()), /^readonly SP_DB_SOCKET_ACCOUNT='yes'$/m, "the removal drops both");
  });

  it("delete the data only under the site's lock, after marking the site removed", () => {
    const script = renderSiteDatabaseRemovalScript({ ...dbInput(), deleteData });
    assert.match(script, /^readonly SP_LOCK_FILE='\/var\/lib\/simple-paas\/backup-status\/blog\.lock'$/m);
    const lock = script.indexOf('flock -n 8');
    const drop = script.indexOf("DROP DATABASE IF EXISTS");
    const rm = script.indexOf("rm -rf --one-file-system");
    const mark = script.indexOf('>"$SP_REMOVED_MARK"');
    assert.ok(lock > 0 && lock < mark && mark < drop && drop < rm, "lock, mark, drop, delete");
  });

  it("refuse names the SQL would have to quote, and a generation of two lines", () => {
    const cases: [Partial<SiteDatabaseInput>, RegExp][] = [
      [{ dbName: "blog`; DROP" }, /dbName: "blog`; DROP" must be \[a-z\]\[a-z0-9_\]\*, at most 64 characters/],
      [{ dbUser: "o'blog" }, /dbUser: "o'blog"/],
      [{ userHostPattern: "a' OR '1" }, /userHostPattern/],
      [{ configDir: "etc" }, /configDir/],
      [{ generation: "1\n2" }, /generation/],
    ];
    for (const [overrides, expected] of cases) assert.throws(() => renderSiteDatabaseScript(dbInput(overrides)), expected);
    assert.throws(() => renderSiteDatabaseRemovalScript({ ...dbInput(), deleteData: { ...deleteData, dataDir: "data" } }), /deleteData\.dataDir/);
  });
});
