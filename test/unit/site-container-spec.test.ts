/**
 * components/model/site-spec.ts and render/container-health.ts: the site
 * container's environment (the original scripts' contract), its host names
 * and its health check.
 */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { CONTAINER_PATHS, PLATFORM_ENV_NAMES, SiteEnvInput, hashSaltEnv, renderSiteEnv, siteHostNames } from "../../components/model/site-spec";
import { goDuration, renderHealthCheck } from "../../components/render/container-health";
import { SimplePaasInputError } from "../../components/model/rules";

const RUNS = { numRuns: 200 };

function baseInput(extra: Partial<SiteEnvInput> = {}): SiteEnvInput {
  return {
    site: "blog",
    dbName: "blog",
    dbUser: "blog",
    dbHost: "172.30.0.1",
    dbPort: 3306,
    hostNames: ["blog.example.com", "blog.staging.example.com"],
    httpsPort: 443,
    proxyAddress: "172.31.4.18",
    env: {},
    secretEnvNames: [],
    ...extra,
  };
}

function asMap(env: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env) {
    const i = e.indexOf("=");
    assert.ok(i > 0, `not NAME=value: ${e}`);
    assert.ok(!m.has(e.slice(0, i)), `duplicate ${e.slice(0, i)}`);
    m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof SimplePaasInputError) return err.problems;
    throw err;
  }
  assert.fail("expected a SimplePaasInputError");
}

describe("renderSiteEnv", () => {
  it("renders the original scripts' contract, sorted, without memcached", () => {
    assert.deepEqual(renderSiteEnv(baseInput()), [
      "DATABASE_HOST=172.30.0.1",
      "DATABASE_NAME=blog",
      "DATABASE_PASSWORD_FILE=/etc/secrets/db_pass",
      "DATABASE_PORT=3306",
      "DATABASE_USER=blog",
      "HASH_SALT_FILE=/etc/secrets/hash_salt",
      "PRIVATE_DIR=/shared/private",
      "PUBLIC_DIR=/shared/public",
      "REVERSE_PROXY=true",
      "REVERSE_PROXY_ADDRESSES=172.31.4.18",
      "SHARED_DIR=/shared",
      "SITE_NAME=blog",
      "SITE_URL=https://blog.example.com",
      "TMP_DIR=/shared/tmp",
      "VIRTUAL_HOST=blog.example.com,blog.staging.example.com",
    ]);
  });

  it("names the proxy's HTTPS port in SITE_URL when it is not 443, and tells the site how to reach an external database over TLS", () => {
    const env = asMap(renderSiteEnv(baseInput({ httpsPort: 8443, dbTls: { mode: "verify", caFile: CONTAINER_PATHS.dbCaFile } })));
    assert.equal(env.get("SITE_URL"), "https://blog.example.com:8443");
    assert.equal(env.get("DATABASE_TLS"), "verify");
    assert.equal(env.get("DATABASE_TLS_CA_FILE"), "/etc/secrets/db_ca.pem");
    assert.equal(asMap(renderSiteEnv(baseInput())).has("DATABASE_TLS"), false);
  });

  it("passes database settings through (dashes become underscores before this point)", () => {
    const env = asMap(renderSiteEnv(baseInput({ site: "my-blog", dbName: "my_blog", dbUser: "my_blog", dbHost: "db.internal", dbPort: 3307 })));
    assert.equal(env.get("DATABASE_NAME"), "my_blog");
    assert.equal(env.get("DATABASE_USER"), "my_blog");
    assert.equal(env.get("DATABASE_HOST"), "db.internal");
    assert.equal(env.get("DATABASE_PORT"), "3307");
    assert.equal(env.get("DATABASE_PASSWORD_FILE"), "/etc/secrets/db_pass");
    assert.equal(env.get("HASH_SALT_FILE"), CONTAINER_PATHS.hashSaltFile);
    assert.equal(env.get("PRIVATE_DIR"), "/shared/private");
    assert.equal(env.get("SITE_NAME"), "my-blog");
  });

  it("sets MEMCACHE_HOST and MEMCACHE_PORT only when memcached is given", () => {
    const without = asMap(renderSiteEnv(baseInput()));
    assert.equal([...without.keys()].filter((k) => k.startsWith("MEMCACHE")).length, 0);
    const withMemcached = asMap(renderSiteEnv(baseInput({ memcached: { host: "memcached", port: 11211 } })));
    assert.equal(withMemcached.get("MEMCACHE_HOST"), "memcached");
    assert.equal(withMemcached.get("MEMCACHE_PORT"), "11211");
    assert.equal([...withMemcached.keys()].filter((k) => k.startsWith("MEMCACHE")).length, 2);
  });

  it("turns secretEnv names into NAME_FILE=/etc/secrets/env/NAME, never values", () => {
    const rendered = renderSiteEnv(baseInput({ secretEnvNames: ["STRIPE_KEY", "API_TOKEN"] }));
    const env = asMap(rendered);
    assert.equal(env.get("API_TOKEN_FILE"), "/etc/secrets/env/API_TOKEN");
    assert.equal(env.get("STRIPE_KEY_FILE"), "/etc/secrets/env/STRIPE_KEY");
    assert.equal(env.has("API_TOKEN"), false);
    assert.equal(env.has("STRIPE_KEY"), false);
    assert.deepEqual(rendered, [...rendered].sort());
  });

  it("adds the site's own env unchanged", () => {
    const env = asMap(renderSiteEnv(baseInput({ env: { APP_ENV: "production", EMPTY: "", WITH_EQUALS: "a=b" } })));
    assert.equal(env.get("APP_ENV"), "production");
    assert.equal(env.get("EMPTY"), "");
    assert.equal(env.get("WITH_EQUALS"), "a=b");
  });

  it("rejects a user env that clashes with a platform name, with a clear message", () => {
    assert.deepEqual(problemsOf(() => renderSiteEnv(baseInput({ env: { APP_ENV: "x", DATABASE_HOST: "evil" } }))), [
      `sites.blog.env.DATABASE_HOST: "DATABASE_HOST" is set by simple-paas itself; choose another name`,
    ]);
    assert.throws(
      () => renderSiteEnv(baseInput({ env: { SITE_URL: "x" } })),
      (e: Error) => e instanceof SimplePaasInputError && e.message === `simple-paas: invalid input:\n  - sites.blog.env.SITE_URL: "SITE_URL" is set by simple-paas itself; choose another name`,
    );
  });

  it("rejects MEMCACHE_* from the user even without memcached", () => {
    assert.deepEqual(problemsOf(() => renderSiteEnv(baseInput({ env: { MEMCACHE_HOST: "x" } }))), [
      `sites.blog.env.MEMCACHE_HOST: "MEMCACHE_HOST" is set by simple-paas itself; choose another name`,
    ]);
  });

  it("rejects secretEnv names that are, or whose _FILE variable is, a platform name", () => {
    assert.deepEqual(problemsOf(() => renderSiteEnv(baseInput({ secretEnvNames: ["DATABASE_PASSWORD", "SITE_NAME"] }))), [
      `sites.blog.secretEnv.DATABASE_PASSWORD: "DATABASE_PASSWORD_FILE" is set by simple-paas itself; choose another name`,
      `sites.blog.secretEnv.SITE_NAME: "SITE_NAME" is set by simple-paas itself; choose another name`,
    ]);
  });

  it("property: every platform name is refused as a user env name, listing each clash", () => {
    const names = [...PLATFORM_ENV_NAMES];
    fc.assert(fc.property(fc.uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: 4 }), (clashing) => {
      const env = Object.fromEntries([["MY_VAR", "1"], ...clashing.map((n) => [n, "x"])]);
      const problems = problemsOf(() => renderSiteEnv(baseInput({ env })));
      assert.deepEqual(problems, clashing.map((n) => `sites.blog.env.${n}: ${JSON.stringify(n)} is set by simple-paas itself; choose another name`));
    }), RUNS);
  });

  it("property: user env and secretEnv never override a platform value or each other", () => {
    const name = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,12}$/);
    fc.assert(fc.property(fc.dictionary(name, fc.string({ maxLength: 8 }), { maxKeys: 5 }), fc.uniqueArray(name, { maxLength: 4 }), (env, secrets) => {
      // env NAME_FILE next to secretEnv NAME has its own (failing) test below.
      fc.pre(!Object.keys(env).some((k) => secrets.some((s) => `${s}_FILE` === k)));
      const clash = [...Object.keys(env), ...secrets, ...secrets.map((s) => `${s}_FILE`)].some((n) => PLATFORM_ENV_NAMES.has(n));
      let rendered: string[];
      try {
        rendered = renderSiteEnv(baseInput({ env, secretEnvNames: secrets }));
      } catch (err) {
        assert.ok(err instanceof SimplePaasInputError);
        assert.ok(clash, `rejected without a clash: ${err.message}`);
        return;
      }
      assert.ok(!clash, "a clash was accepted");
      const m = asMap(rendered);
      assert.equal(m.get("DATABASE_PASSWORD_FILE"), "/etc/secrets/db_pass");
      assert.equal(m.get("HASH_SALT_FILE"), "/etc/secrets/hash_salt");
      for (const s of secrets) assert.equal(m.get(`${s}_FILE`), `/etc/secrets/env/${s}`, `${s}_FILE was overridden`);
      for (const [k, v] of Object.entries(env)) assert.equal(m.get(k), v);
    }), RUNS);
  });

  // A plain env NAME_FILE silently replaces the path of secretEnv NAME, so the secret is never reachable.
  it("gives the hash salt's file under a name the site asks for; a plain salt's name is left to SimpleSite", () => {
    assert.equal(hashSaltEnv(undefined), undefined);
    assert.equal(hashSaltEnv({}), undefined, "no name asked for: HASH_SALT_FILE only");
    assert.deepEqual(hashSaltEnv({ plain: true }), { name: "HASH_SALT", plain: true }, "plain means the original scripts' HASH_SALT");
    assert.deepEqual(hashSaltEnv({ env: "APP_SALT_FILE" }), { name: "APP_SALT_FILE", plain: false });
    const byFile = asMap(renderSiteEnv(baseInput({ hashSaltEnv: { name: "APP_SALT_FILE", plain: false } })));
    assert.equal(byFile.get("APP_SALT_FILE"), CONTAINER_PATHS.hashSaltFile);
    assert.equal(byFile.get("HASH_SALT_FILE"), CONTAINER_PATHS.hashSaltFile, "the platform's name stays");
    const plain = asMap(renderSiteEnv(baseInput({ hashSaltEnv: { name: "HASH_SALT", plain: true } })));
    assert.equal(plain.has("HASH_SALT"), false, "never a value here: SimpleSite adds it as a secret");
  });

  it("refuses a hash salt name that a platform, env or secretEnv name already takes", () => {
    const cases: [Partial<SiteEnvInput>, RegExp][] = [
      [{ hashSaltEnv: { name: "SITE_URL", plain: true } }, /^sites\.blog\.hashSalt\.env: "SITE_URL" is set by simple-paas itself; choose another name$/],
      [{ hashSaltEnv: { name: "HASH_SALT", plain: true }, env: { HASH_SALT: "old" } }, /^sites\.blog\.hashSalt\.env: "HASH_SALT" is also in env/],
      [{ hashSaltEnv: { name: "API_KEY_FILE", plain: false }, secretEnvNames: ["API_KEY"] }, /^sites\.blog\.hashSalt\.env: "API_KEY_FILE" is also a secretEnv name or its _FILE/],
    ];
    for (const [extra, rule] of cases) {
      const problems = problemsOf(() => renderSiteEnv(baseInput(extra)));
      assert.equal(problems.length, 1, problems.join("\n"));
      assert.match(problems[0], rule);
    }
  });

  it("rejects an env NAME_FILE that would hide secretEnv NAME", () => {
    const problems = problemsOf(() => renderSiteEnv(baseInput({ env: { API_KEY_FILE: "/tmp/not-the-secret" }, secretEnvNames: ["API_KEY"] })));
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0], /API_KEY_FILE/);
  });
});

describe("siteHostNames", () => {
  it("lists the domains, then the staging alias", () => {
    assert.deepEqual(siteHostNames("blog", ["blog.example.com", "www.blog.example.com"], "staging.example.com", true), [
      "blog.example.com", "www.blog.example.com", "blog.staging.example.com",
    ]);
  });

  it("leaves the alias out when staging is off or the host has no staging domain", () => {
    assert.deepEqual(siteHostNames("blog", ["blog.example.com"], "staging.example.com", false), ["blog.example.com"]);
    assert.deepEqual(siteHostNames("blog", ["blog.example.com"], undefined, true), ["blog.example.com"]);
  });

  it("uses the staging alias alone when the site has no domains", () => {
    assert.deepEqual(siteHostNames("blog", [], "staging.example.com", true), ["blog.staging.example.com"]);
  });

  it("rejects a site with no host name at all", () => {
    const expected = [`sites.blog.domains: [] a site needs at least one domain, or a host with a stagingDomain`];
    assert.deepEqual(problemsOf(() => siteHostNames("blog", [], undefined, true)), expected);
    assert.deepEqual(problemsOf(() => siteHostNames("blog", [], "staging.example.com", false)), expected);
  });

  it("does not modify the domains it is given", () => {
    const domains = ["blog.example.com"];
    siteHostNames("blog", domains, "staging.example.com", true);
    assert.deepEqual(domains, ["blog.example.com"]);
  });
});

describe("renderHealthCheck", () => {
  it("defaults to curl, then wget, on / of the site's port", () => {
    assert.deepEqual(renderHealthCheck({ port: 8080 }), {
      tests: ["CMD-SHELL", "curl -fsS -o /dev/null 'http://127.0.0.1:8080/' || wget -q -O /dev/null 'http://127.0.0.1:8080/' || exit 1"],
      interval: "5s",
      timeout: "5s",
      retries: 3,
      startPeriod: "1m0s",
    });
  });

  it("uses a custom path, interval and retries", () => {
    assert.deepEqual(renderHealthCheck({ port: 80, path: "/healthz?full=1&x=$(y)", intervalSeconds: 30, retries: 5 }), {
      tests: ["CMD-SHELL", "curl -fsS -o /dev/null 'http://127.0.0.1:80/healthz?full=1&x=$(y)' || wget -q -O /dev/null 'http://127.0.0.1:80/healthz?full=1&x=$(y)' || exit 1"],
      interval: "30s",
      timeout: "5s",
      retries: 5,
      startPeriod: "1m0s",
    });
  });

  it("quotes the URL for the shell whatever the path holds", () => {
    const [, test] = renderHealthCheck({ port: 80, path: "/it's" }).tests;
    assert.equal(test, "curl -fsS -o /dev/null 'http://127.0.0.1:80/it'\\''s' || wget -q -O /dev/null 'http://127.0.0.1:80/it'\\''s' || exit 1");
  });

  it("uses a custom command verbatim", () => {
    const check = renderHealthCheck({ port: 80, command: ["CMD", "/usr/local/bin/healthcheck", "--quick"], retries: 2 });
    assert.deepEqual(check.tests, ["CMD", "/usr/local/bin/healthcheck", "--quick"]);
    assert.equal(check.retries, 2);
    assert.equal(check.interval, "5s");
  });

  it("writes durations as the docker provider reads them back (Go's form), so a preview shows no change", () => {
    assert.equal(renderHealthCheck({ port: 80, intervalSeconds: 90 }).interval, "1m30s");
    for (const [seconds, text] of [[0, "0s"], [5, "5s"], [59, "59s"], [60, "1m0s"], [61, "1m1s"], [3600, "1h0m0s"], [3725, "1h2m5s"], [90000, "25h0m0s"]] as const) {
      assert.equal(goDuration(seconds), text, `${seconds}s`);
    }
  });
});
