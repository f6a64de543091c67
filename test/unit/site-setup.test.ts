import * as assert from "node:assert/strict";
import { renderSiteSetupScript, renderSiteTeardownScript, SiteSetupInput } from "../../components/render/site-setup";
import { hostScriptFile } from "../../components/render/host-script-files";
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
    dbUser: "blog_db",
    secretEnvNames: ["SMTP_PASSWORD", "API_KEY"],
    dbClient: { mode: "socket" },
    ...overrides,
  };
}

/** The value a rendered script gives NAME, unquoted. */
function valueOf(script: string, name: string): string {
  const m = new RegExp(`^readonly ${name}=('(?:[^']|'\\\\'')*')$`, "m").exec(script);
  if (!m) throw new Error(`no value ${name}`);
  return m[1].slice(1, -1).replace(/'\\''/g, "'");
}

describe("site setup scripts (rendering)", () => {
  it("are shellcheck clean, with and without secret env names, a CA or an external server", () => {
    assertShellcheckClean(renderSiteSetupScript(siteInput()), "site setup");
    assertShellcheckClean(renderSiteSetupScript(siteInput({ secretEnvNames: [] })), "site setup without secret env");
    assertShellcheckClean(renderSiteSetupScript(siteInput({
      dbCaPem: "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----", dbClient: { mode: "tcp", host: "db.example.net", port: 3306, tls: "verify", caFile: "/etc/simple-paas/mysql-ca.pem" },
    })), "site setup, external database");
    assertShellcheckClean(renderSiteTeardownScript(siteInput()), "site teardown");
  });

  it("creates a system user without login shell or home creation, serialised with other sites", () => {
    const script = renderSiteSetupScript(siteInput());
    assert.equal(valueOf(script, "SP_USER"), "sp-blog");
    assert.equal(valueOf(script, "SP_SITE_DIR"), `${ODD}/sites/blog`);
    assert.match(script, /groupadd --system "\$SP_GROUP"/);
    assert.match(script, /useradd --system --gid "\$SP_GROUP" --home-dir "\$SP_SITE_DIR" --no-create-home --shell \/usr\/sbin\/nologin "\$SP_USER"/);
    assert.match(script, /flock -w 120 9/);
  });

  it("creates the site's dirs as root where the site cannot write, and the data dir's subdirs as the site's own user", () => {
    const script = renderSiteSetupScript(siteInput());
    for (const line of [
      `sp_ensure_dir "$SP_SITE_DIR" 0750 root "$SP_GROUP"`,
      `sp_ensure_dir "$SP_DATA_DIR" 3770 "$SP_USER" "$SP_GROUP"`,
      `sp_ensure_dir "$SP_DUMP_DIR" 0700 root root`,
      `sp_ensure_dir "$SP_SECRETS_DIR" 0750 root "$SP_GROUP"`,
      `    as_site mkdir -- "$path"`,
      `    as_site chmod 2770 -- "$path" || sp_die "cannot set the mode of $path"`,
      `    chown -h -- "$uid:$gid" "$path"`,
    ]) {
      assert.ok(script.split("\n").includes(line), line);
    }
    assert.match(script, /^readonly -a SP_DATA_SUBDIRS=\('public' 'private' 'sql' 'tmp'\)$/m);
    assert.equal(valueOf(script, "SP_DUMP_DIR"), `${ODD}/sites/blog/dump`);
    assert.match(script, /as_site\(\) \{ setpriv --reuid="\$uid" --regid="\$gid" --clear-groups -- "\$@"; \}/);
    // Root acts by path only where the site cannot write: no chmod of a path in the data dir by root.
    const body = hostScriptFile("site-setup.sh");
    assert.ok(script.endsWith(body));
    const dataDirLines = body.split("\n").filter((l) => /\$path|\$SP_DATA_DIR\//.test(l) && /\bchmod\b/.test(l));
    assert.ok(dataDirLines.length > 0);
    for (const l of dataDirLines) assert.match(l, /as_site chmod/, l);
    // And the prelude's helpers refuse to act by path in a directory someone else can write.
    assert.match(script, /sp_parent_safe\(\) \{/);
  });

  it("writes the secret files 0440 root:<group> from the JSON on stdin, and nothing else to stdout", () => {
    const script = renderSiteSetupScript(siteInput());
    assert.match(script, /^secrets_json=\$\(cat\)$/m);
    assert.match(script, /sp_write_file "\$3" 0440 root "\$SP_GROUP"/);
    assert.match(script, /^sp_secret '\.dbPassword' '' "\$SP_SECRETS_DIR\/db_pass"$/m);
    assert.match(script, /^sp_secret '\.hashSalt' '' "\$SP_SECRETS_DIR\/hash_salt"$/m);
    assert.match(script, /^umask 077$/m);
    // names sorted, so the check against jq's sorted keys is exact
    assert.match(script, /^readonly -a SP_WANTED_ENV=\('API_KEY' 'SMTP_PASSWORD'\)$/m);
    assert.equal(valueOf(script, "SP_WANTED_ENV_JSON"), '["API_KEY","SMTP_PASSWORD"]');
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

  it("writes site.env with the keys of HOST-LAYOUT.md, values quoted, and how sp reaches the site's database", () => {
    const script = renderSiteSetupScript(siteInput());
    assert.equal(valueOf(script, "SP_SITE_ENV_FILE"), `${ODD}/etc/sites/blog/site.env`);
    assert.deepEqual(valueOf(script, "SP_SITE_ENV").trimEnd().split("\n"), [
      "SP_SITE='blog'",
      `SP_DATA_DIR=${QUOTED_ODD}/sites/blog/data'`,
      `SP_DUMP_DIR=${QUOTED_ODD}/sites/blog/dump'`,
      "SP_DB_NAME='blog_db'",
      "SP_DB_USER='blog_db'",
      "SP_USER='sp-blog'",
      "SP_GROUP='sp-blog'",
      "SP_DB_CLIENT='socket'",
    ]);
    const ext = renderSiteSetupScript(siteInput({ dbClient: { mode: "tcp", host: "db.example.net", port: 3307, tls: "verify", caFile: "/etc/simple-paas/mysql-ca.pem" } }));
    assert.match(valueOf(ext, "SP_SITE_ENV"), /^SP_DB_CLIENT='tcp'\nSP_DB_HOST='db\.example\.net'\nSP_DB_PORT='3307'\nSP_DB_TLS='verify'\nSP_DB_CA_FILE='\/etc\/simple-paas\/mysql-ca\.pem'$/m);
  });

  it("teardown removes config, cron files and route but keeps backup/, data and the user", () => {
    const script = renderSiteTeardownScript(siteInput());
    assert.equal(valueOf(script, "SP_SITE_CONFIG_DIR"), `${ODD}/etc/sites/blog`);
    assert.match(script, /if \[ "\$entry" = "\$SP_SITE_CONFIG_DIR\/backup" \]; then continue; fi/);
    assert.ok(script.includes(`readonly -a SP_FILES=('/etc/cron.d/simple-paas-blog' '/etc/cron.d/simple-paas-blog-backup' ${QUOTED_ODD}/etc/proxy/sites/blog.caddy')`));
    assert.doesNotMatch(script, /userdel|groupdel|DROP /);
    for (const line of script.split("\n").filter((l) => /\brm\b/.test(l))) {
      assert.doesNotMatch(line, /SP_DATA_DIR|sites\/blog\/data/, line);
    }
  });

  it("rejects names that would make unsafe paths, naming the field, the value and the rule", () => {
    assert.throws(() => renderSiteSetupScript(siteInput({ site: "../etc" })), /site: "\.\.\/etc" must be 1-32 characters of a-z/);
    assert.throws(() => renderSiteTeardownScript(siteInput({ site: "" })), /site: ""/);
    assert.throws(() => renderSiteSetupScript(siteInput({ secretEnvNames: ["A/B"] })), /secretEnvNames\[0\]: "A\/B"/);
    assert.throws(() => renderSiteSetupScript(siteInput({ linuxUser: "Root user" })), /linuxUser: "Root user"/);
    assert.throws(() => renderSiteSetupScript(siteInput({ dataDir: "data" })), /dataDir: "data" must be an absolute path/);
    assert.throws(() => renderSiteSetupScript(siteInput({ dbName: "a\nb" })), /dbName/);
    assert.throws(() => renderSiteSetupScript(siteInput({ site: "a--b" })), /site: "a--b"/, "the one site-name rule, '--' included");
  });
});
