import * as assert from "node:assert/strict";
import { renderSiteSetupScript, renderSiteTeardownScript, SiteSetupInput } from "../../components/render/site-setup";
import { assertShellcheckClean } from "../support/shellcheck";

const ODD = "/srv/it's a dir";
const QUOTED_ODD = `'/srv/it'\\''s a dir`;

function siteInput(overrides: Partial<SiteSetupInput> = {}): SiteSetupInput {
  return {
    site: "blog",
    sitesRoot: `${ODD}/sites`,
    configDir: `${ODD}/etc`,
    linuxUser: "sp-blog",
    linuxGroup: "sp-blog",
    dataDir: `${ODD}/sites/blog/data`,
    dbName: "blog_db",
    dbUser: "o'blog",
    secretEnvNames: ["SMTP_PASSWORD", "API_KEY"],
    ...overrides,
  };
}

describe("site setup scripts (rendering)", () => {
  it("are shellcheck clean, with and without secret env names", () => {
    assertShellcheckClean(renderSiteSetupScript(siteInput()), "site setup");
    assertShellcheckClean(renderSiteSetupScript(siteInput({ secretEnvNames: [] })), "site setup without secret env");
    assertShellcheckClean(renderSiteTeardownScript(siteInput()), "site teardown");
  });

  it("creates a system user without login shell or home creation, serialised with other sites", () => {
    const script = renderSiteSetupScript(siteInput());
    assert.match(script, /^readonly SP_USER='sp-blog'$/m);
    assert.ok(script.includes(`readonly SP_SITE_DIR=${QUOTED_ODD}/sites/blog'`));
    assert.match(script, /groupadd --system "\$SP_GROUP"/);
    assert.match(script, /useradd --system --gid "\$SP_GROUP" --home-dir "\$SP_SITE_DIR" --no-create-home --shell \/usr\/sbin\/nologin "\$SP_USER"/);
    assert.match(script, /flock -w 120 9/);
  });

  it("creates the directories of HOST-LAYOUT.md with their owners and modes", () => {
    const script = renderSiteSetupScript(siteInput());
    for (const line of [
      `sp_ensure_dir "$SP_SITE_DIR" 0750 root "$SP_GROUP"`,
      `sp_ensure_dir "$SP_DATA_DIR" 2770 "$SP_USER" "$SP_GROUP"`,
      ...["public", "private", "sql", "tmp"].map((d) => `sp_ensure_dir "$SP_DATA_DIR"/${d} 2770 "$SP_USER" "$SP_GROUP"`),
      `sp_ensure_dir ${QUOTED_ODD}/etc/sites/blog' 0755 root root`,
      `sp_ensure_dir "$SP_SECRETS_DIR" 0750 root "$SP_GROUP"`,
    ]) {
      assert.ok(script.split("\n").includes(line), line);
    }
    assert.ok(script.includes(`readonly SP_DATA_DIR=${QUOTED_ODD}/sites/blog/data'`));
  });

  it("writes the secret files 0440 root:<group> from the JSON on stdin, and nothing else to stdout", () => {
    const script = renderSiteSetupScript(siteInput());
    assert.match(script, /^secrets_json=\$\(cat\)$/m);
    assert.match(script, /sp_write_file "\$3" 0440 root "\$SP_GROUP"/);
    assert.match(script, /^sp_secret '\.dbPassword' '' "\$SP_SECRETS_DIR\/db_pass"$/m);
    assert.match(script, /^sp_secret '\.hashSalt' '' "\$SP_SECRETS_DIR\/hash_salt"$/m);
    assert.match(script, /^umask 077$/m);
    // names sorted, so the check against jq's sorted keys is exact
    assert.match(script, /^wanted_env=\('API_KEY' 'SMTP_PASSWORD'\)$/m);
    assert.match(script, /^readonly SP_WANTED_ENV_JSON='\["API_KEY","SMTP_PASSWORD"\]'$/m);
    // stdout is fd 3 after `exec 3>&1 1>&2`, used exactly once: the JSON line
    assert.match(script, /^exec 3>&1 1>&2$/m);
    assert.deepEqual(script.match(/>&3/g), [">&3"]);
    assert.match(script, /^printf '\{"uid":%s,"gid":%s\}\\n' "\$uid" "\$gid" >&3$/m);
  });

  it("never puts a secret on a command line: the JSON only flows through printf (a builtin) into jq", () => {
    const script = renderSiteSetupScript(siteInput());
    const uses = script.split("\n").filter((l) => l.includes("$secrets_json"));
    assert.ok(uses.length >= 4);
    for (const line of uses) {
      assert.match(line, /^(secrets_json=|.*printf '%s' "\$secrets_json" \| jq )/, line);
    }
    assert.doesNotMatch(script, /set -x/);
  });

  it("writes site.env with the keys of HOST-LAYOUT.md, values quoted", () => {
    const script = renderSiteSetupScript(siteInput());
    const m = /sp_write_file ('[^\n]*site\.env') '0600' 'root' 'root' <<'SP_EOF'\n([\s\S]*?)\nSP_EOF/.exec(script);
    assert.ok(m, "site.env here-document");
    assert.equal(m[1], `${QUOTED_ODD}/etc/sites/blog/site.env'`);
    assert.deepEqual(m[2].split("\n"), [
      "SP_SITE='blog'",
      `SP_DATA_DIR=${QUOTED_ODD}/sites/blog/data'`,
      "SP_DB_NAME='blog_db'",
      `SP_DB_USER='o'\\''blog'`,
      "SP_USER='sp-blog'",
      "SP_GROUP='sp-blog'",
    ]);
  });

  it("teardown removes config, cron file and route but keeps backup/, data and the user", () => {
    const script = renderSiteTeardownScript(siteInput());
    assert.ok(script.includes(`readonly SP_SITE_CONFIG_DIR=${QUOTED_ODD}/etc/sites/blog'`));
    assert.match(script, /if \[ "\$entry" = "\$SP_SITE_CONFIG_DIR\/backup" \]; then continue; fi/);
    assert.ok(script.includes(`for file in '/etc/cron.d/simple-paas-blog' ${QUOTED_ODD}/etc/proxy/sites/blog.caddy'; do`));
    assert.doesNotMatch(script, /userdel|groupdel|DROP /);
    for (const line of script.split("\n").filter((l) => /\brm\b/.test(l))) {
      assert.doesNotMatch(line, /SP_DATA_DIR|sites\/blog\/data/, line);
    }
  });

  it("rejects names that would make unsafe paths, naming the field", () => {
    assert.throws(() => renderSiteSetupScript(siteInput({ site: "../etc" })), /^Error: site "\.\.\/etc" must be \[a-z\]/);
    assert.throws(() => renderSiteTeardownScript(siteInput({ site: "" })), /site ""/);
    assert.throws(() => renderSiteSetupScript(siteInput({ secretEnvNames: ["A/B"] })), /secretEnvNames\[\] "A\/B"/);
    assert.throws(() => renderSiteSetupScript(siteInput({ linuxUser: "Root user" })), /linuxUser "Root user"/);
    assert.throws(() => renderSiteSetupScript(siteInput({ dataDir: "data" })), /dataDir "data" must be an absolute path/);
    assert.throws(() => renderSiteSetupScript(siteInput({ dbName: "a\nb" })), /dbName/);
  });
});
