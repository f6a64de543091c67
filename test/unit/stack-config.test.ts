/**
 * parseStackConfig: the whole `simple-paas:*` stack configuration is checked
 * before any resource exists, and every problem names field, value and rule.
 */
import * as assert from "node:assert/strict";
import { parseStackConfig } from "../../components/model/stack-config";
import { SimplePaasInputError } from "../../components/model/rules";

type Raw = Parameters<typeof parseStackConfig>[0];

function site(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, image: "ghcr.io/acme/site-app:1.0.0", domains: [`${name}.example.com`], ...extra };
}

function problemsOf(raw: Raw): string[] {
  try {
    parseStackConfig(raw);
  } catch (err) {
    if (err instanceof SimplePaasInputError) return err.problems;
    throw err;
  }
  assert.fail(`expected the config to be rejected: ${JSON.stringify(raw)}`);
}

/** Exactly one problem, starting with `<field>: <JSON value> ` and then matching `rule`. */
function assertOneProblem(raw: Raw, field: string, value: unknown, rule: RegExp): void {
  const problems = problemsOf(raw);
  assert.equal(problems.length, 1, problems.join("\n"));
  const prefix = `${field}: ${JSON.stringify(value)} `;
  assert.ok(problems[0].startsWith(prefix), `expected ${JSON.stringify(problems[0])} to start with ${JSON.stringify(prefix)}`);
  assert.match(problems[0].slice(prefix.length), rule);
}

describe("parseStackConfig", () => {
  const validRaw: Raw = {
    host: {
      connection: { host: "203.0.113.10", user: "root", port: 22, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFhTest0nlyKeyForUnitTestsAAAAAAAAAAAAAAAAAA" },
      stagingDomain: "staging.example.com",
      sitesRoot: "/sites",
      network: { name: "simple-paas", subnet: "172.30.0.0/24" },
      proxy: { acmeEmail: "ops@example.com", tls: "acme" },
      memcached: { enabled: true, memoryMb: 64 },
    },
    backup: { schedule: "@hourly", pruneSchedule: "30 3 * * *", keep: { daily: 7 }, tar: { dir: "/var/backups/tar", keep: 3 } },
    sites: [
      site("blog", {
        port: 8080,
        env: { APP_ENV: "production" },
        secretEnv: ["API_KEY"],
        cron: [{ schedule: "*/5 * * * *", command: "php cron.php" }],
        healthCheck: { path: "/healthz" },
        registry: { server: "ghcr.io", username: "acme" },
      }),
      site("shop", { domains: ["shop.example.com", "www.shop.example.com"], staging: false, backup: false }),
    ],
  };

  it("accepts a valid config with two sites and returns it", () => {
    const config = parseStackConfig(validRaw);
    assert.deepEqual(config, validRaw);
  });

  it("fills in defaults for missing keys", () => {
    assert.deepEqual(parseStackConfig({}), { host: {}, backup: {}, sites: [] });
  });

  it("rejects duplicate site names, naming both positions", () => {
    assert.deepEqual(problemsOf({ sites: [site("blog"), site("shop"), site("blog", { domains: ["other.example.com"] })] }), [
      `simple-paas:sites[2].name: "blog" site name is already used by simple-paas:sites[0].name`,
    ]);
  });

  it("rejects the same domain on two sites, naming both positions", () => {
    assert.deepEqual(problemsOf({ sites: [site("blog"), site("shop", { domains: ["shop.example.com", "blog.example.com"] })] }), [
      `simple-paas:sites[1].domains[1]: "blog.example.com" domain is already used by simple-paas:sites[0].domains[0]`,
    ]);
  });

  it("rejects a site domain equal to another site's staging alias", () => {
    const raw: Raw = {
      host: { stagingDomain: "staging.example.com" },
      sites: [site("blog", { domains: ["shop.staging.example.com"] }), site("shop")],
    };
    assert.deepEqual(problemsOf(raw), [
      `simple-paas:sites[1] (staging alias): "shop.staging.example.com" domain is already used by simple-paas:sites[0].domains[0]`,
    ]);
  });

  it("allows that domain when the other site has staging turned off", () => {
    const raw: Raw = {
      host: { stagingDomain: "staging.example.com" },
      sites: [site("blog", { domains: ["shop.staging.example.com"] }), site("shop", { staging: false })],
    };
    assert.equal(parseStackConfig(raw).sites.length, 2);
  });

  it("does not derive staging aliases without host.stagingDomain", () => {
    assert.equal(parseStackConfig({ sites: [site("blog", { domains: ["shop.staging.example.com"] }), site("shop")] }).sites.length, 2);
  });

  it("rejects an invalid site name", () => {
    assertOneProblem({ sites: [site("blog"), site("My Site", { domains: ["my.example.com"] })] }, "simple-paas:sites[1].name", "My Site", /^must be 1-32 characters of a-z/);
  });

  it("rejects an invalid domain", () => {
    assertOneProblem(
      { sites: [site("blog", { domains: ["blog.example.com", "Blog.Example.com"] })] },
      "simple-paas:sites[0].domains[1]", "Blog.Example.com", /^must be a lowercase fully qualified domain name/,
    );
  });

  it("rejects an invalid host.stagingDomain", () => {
    assertOneProblem({ host: { stagingDomain: "staging.example.com." } }, "simple-paas:host.stagingDomain", "staging.example.com.", /no trailing dot$/);
  });

  it("rejects a bad env name in env, naming the rule", () => {
    assertOneProblem(
      { sites: [site("blog", { env: { "app-env": "production" } })] },
      "simple-paas:sites[0].env.app-env", "app-env", /^must match \[A-Z_\]\[A-Z0-9_\]\*/,
    );
  });

  it("rejects a bad env name in secretEnv", () => {
    assertOneProblem(
      { sites: [site("blog", { secretEnv: ["API_KEY", "api_key"] })] },
      "simple-paas:sites[0].secretEnv[1]", "api_key", /^must match \[A-Z_\]\[A-Z0-9_\]\*/,
    );
  });

  it("rejects a bad cron schedule at sites[i].cron[j].schedule", () => {
    const cron = [{ schedule: "@daily", command: "a" }, { schedule: "0 0 * * * *", command: "b" }];
    assertOneProblem(
      { sites: [site("blog"), site("shop", { cron })] },
      "simple-paas:sites[1].cron[1].schedule", "0 0 * * * *", /^must be a 5-field cron schedule/,
    );
  });

  it("rejects a relative host.sitesRoot", () => {
    assertOneProblem({ host: { sitesRoot: "sites" } }, "simple-paas:host.sitesRoot", "sites", /^must be an absolute path/);
  });

  it("rejects '..' in a path", () => {
    assertOneProblem({ host: { backupRoot: "/var/backups/../../etc" } }, "simple-paas:host.backupRoot", "/var/backups/../../etc", /^must be an absolute path without '\.\.'/);
    assertOneProblem(
      { sites: [site("blog", { publicMountPath: "/var/www/../html" })] },
      "simple-paas:sites[0].publicMountPath", "/var/www/../html", /^must be an absolute path without '\.\.'/,
    );
  });

  it("rejects an invalid image", () => {
    assertOneProblem({ sites: [site("blog", { image: "ghcr.io/Acme/blog:1.0" })] }, "simple-paas:sites[0].image", "ghcr.io/Acme/blog:1.0", /^must be a docker image reference/);
  });

  it("rejects a relative backup tar.dir, at top level and per site", () => {
    assertOneProblem({ backup: { tar: { dir: "backups" } } }, "simple-paas:backup.tar.dir", "backups", /^must be an absolute path/);
    assertOneProblem(
      { sites: [site("blog", { backup: { tar: { dir: "./tar" } } })] },
      "simple-paas:sites[0].backup.tar.dir", "./tar", /^must be an absolute path/,
    );
  });

  it("rejects a bad host subnet", () => {
    assertOneProblem({ host: { network: { subnet: "10.0.0.0/30" } } }, "simple-paas:host.network.subnet", "10.0.0.0/30", /prefix length from 8 to 28/);
  });

  it("applies the host's own rules to host.connection and host.database (only the secrets are left out)", () => {
    assertOneProblem({ host: { database: { adminUser: "x'; DROP" } } }, "simple-paas:host.database.adminUser", "x'; DROP", /^must be a MySQL user name/);
    assertOneProblem({ host: { database: { port: 0 } } }, "simple-paas:host.database.port", 0, /^Too small/);
    assert.match(problemsOf({ host: { database: { providerProxy: "socks5://127.0.0.1:1080" } } })[0], /simple-paas:host\.database\.providerProxy: is not a known option/,
      "the mysql provider's tunnel setting is gone: an old stack gets told");
    assertOneProblem(
      { host: { database: { external: { host: "db.example.net", adminUser: "ops admin" } } } },
      "simple-paas:host.database.external.adminUser", "ops admin", /^must be a MySQL user name/,
    );
    assertOneProblem({ host: { connection: { host: "203.0.113.10", port: 70000, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFhTest0nlyKeyForUnitTestsAAAAAAAAAAAAAAAAAA" } } }, "simple-paas:host.connection.port", 70000, /^Too big/);
    assert.match(problemsOf({ host: { database: { external: { host: "db", adminUser: "ops", adminPassword: "pw" } } } })[0],
      /^simple-paas:host\.database\.external\.adminPassword: is not a known option$/, "the password has its own secret key");
    assert.match(problemsOf({ host: { connection: { host: "h", privateKey: "KEY", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFhTest0nlyKeyForUnitTestsAAAAAAAAAAAAAAAAAA" } } })[0], /^simple-paas:host\.connection\.privateKey: is not a known option$/);
  });

  it("rejects a host subnet inside docker's own address pool", () => {
    assertOneProblem({ host: { network: { subnet: "172.17.5.0/24" } } }, "simple-paas:host.network.subnet", "172.17.5.0/24", /^must not overlap docker's own address pool 172\.17\.0\.0\/16$/);
  });

  it("rejects a retention that keeps nothing, and a public mount over a path simple-paas mounts", () => {
    const none = { last: 0, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 };
    assert.deepEqual(problemsOf({ backup: { keep: none } }).map((p) => p.replace(/ \(.*/, "")), ["simple-paas:backup.keep: must keep something: with every value 0, `sp prune` refuses to run"]);
    assert.equal(problemsOf({ sites: [site("blog", { backup: { keep: none } })] }).length, 1);
    assert.equal(parseStackConfig({ backup: { keep: { ...none, daily: 1 } } }).backup.keep?.daily, 1);
    assert.equal(parseStackConfig({ backup: { keep: { last: 0 } } }).backup.keep?.last, 0, "unset values keep their defaults");
    for (const mount of ["/shared", "/etc/secrets", "/etc/secrets/public"]) {
      assertOneProblem({ sites: [site("blog", { publicMountPath: mount })] }, "simple-paas:sites[0].publicMountPath", mount, /^must not be \/shared or \/etc\/secrets/);
    }
    assert.equal(parseStackConfig({ sites: [site("blog", { publicMountPath: "/var/www/html/files" })] }).sites.length, 1);
  });

  it("rejects a bad registry server", () => {
    assertOneProblem(
      { sites: [site("blog", { registry: { server: "https://ghcr.io", username: "acme" } })] },
      "simple-paas:sites[0].registry.server", "https://ghcr.io", /^must be a registry host name/,
    );
  });

  it("rejects, before anything exists, env names the platform sets and a site without any host name", () => {
    assert.deepEqual(problemsOf({
      sites: [
        site("blog"),
        site("shop", { env: { DATABASE_HOST: "evil" }, secretEnv: ["HASH_SALT"] }),
        site("wiki", { domains: [] }),
        site("docs", { domains: [], staging: false }),
      ],
      host: { stagingDomain: "staging.example.com" },
    }), [
      `simple-paas:sites[1].env.DATABASE_HOST: "DATABASE_HOST" is set by simple-paas itself; choose another name`,
      `simple-paas:sites[1].secretEnv.HASH_SALT: "HASH_SALT_FILE" is set by simple-paas itself; choose another name`,
      `simple-paas:sites[3].domains: [] a site needs at least one domain, or a host with a stagingDomain`,
    ]);
    assert.deepEqual(problemsOf({ sites: [site("wiki", { domains: [] })] }), [
      `simple-paas:sites[0].domains: [] a site needs at least one domain, or a host with a stagingDomain`,
    ]);
  });

  describe("unknown keys (strict objects)", () => {
    const cases: [string, Raw, RegExp][] = [
      ["at top level", { host: {}, hosts: {} } as Raw, /^simple-paas:hosts: is not a known option$/],
      ["in host", { host: { stagingdomain: "staging.example.com" } }, /^simple-paas:host\.stagingdomain: is not a known option$/],
      ["in a site", { sites: [site("blog"), site("shop", { domain: ["x.example.com"] })] }, /^simple-paas:sites\[1\]\.domain: is not a known option$/],
      ["in a site's cron entry", { sites: [site("blog", { cron: [{ schedule: "@daily", command: "x", user: "root" }] })] }, /^simple-paas:sites\[0\]\.cron\[0\]\.user: is not a known option$/],
      ["in backup", { backup: { retention: 3 } }, /^simple-paas:backup\.retention: is not a known option$/],
      // Secrets have their own keys; a password in simple-paas:backup is not accepted.
      ["a backup password in the plain config", { backup: { password: "x" } }, /^simple-paas:backup\.password: is not a known option$/],
    ];
    for (const [what, raw, expected] of cases) {
      it(`rejects an unknown key ${what}`, () => {
        const problems = problemsOf(raw);
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(problems[0], expected);
      });
    }
  });

  it("reports problems from several sites and sections in one error", () => {
    const raw: Raw = {
      host: { sitesRoot: "relative" },
      sites: [site("Blog", { domains: ["blog.example.com"] }), site("shop", { image: "" }), site("wiki", { cron: [{ schedule: "@reboot", command: "x" }] })],
    };
    let caught: unknown;
    try {
      parseStackConfig(raw);
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof SimplePaasInputError);
    assert.deepEqual(caught.problems.map((p) => p.slice(0, p.indexOf(" must"))), [
      `simple-paas:host.sitesRoot: "relative"`,
      `simple-paas:sites[0].name: "Blog"`,
      `simple-paas:sites[1].image: ""`,
      `simple-paas:sites[2].cron[0].schedule: "@reboot"`,
    ]);
  });
  describe("moving from the original scripts (issue 17)", () => {
    it("takes a site's salt, pull and adopted repository", () => {
      const parsed = parseStackConfig({ sites: [site("shop", {
        pull: "always", hashSalt: { fromSecrets: true, plain: true },
        backup: { adopt: { repository: "b2:old-backups:shop", snapshotPath: "/shared", dumpFile: "sql/shop.sql" } },
      })] });
      assert.equal(parsed.sites[0].pull, "always");
      assert.deepEqual(parsed.sites[0].hashSalt, { fromSecrets: true, plain: true });
    });

    it("refuses an adopted repository for every site at once", () => {
      assert.deepEqual(problemsOf({ backup: { adopt: { repository: "/x" } }, sites: [site("a")] }), ["simple-paas:backup.adopt: is not a known option"]);
    });

    it("names field, value and rule of a bad pull, salt name or dump path", () => {
      assertOneProblem({ sites: [site("a", { pull: "sometimes" })] }, "simple-paas:sites[0].pull", "sometimes", /expected one of "once"\|"always"/);
      assertOneProblem({ sites: [site("a", { hashSalt: { plain: true }, env: { HASH_SALT: "x" } })] }, "simple-paas:sites[0].hashSalt.env", "HASH_SALT", /is also in env/);
      assertOneProblem({ sites: [site("a", { backup: { adopt: { repository: "/x", dumpFile: "../etc/shadow" } } })] },
        "simple-paas:sites[0].backup.adopt.dumpFile", "../etc/shadow", /must not contain \. or \.\. segments/);
      assertOneProblem({ sites: [site("a", { hashSalt: { env: "SITE_URL" } })] }, "simple-paas:sites[0].hashSalt.env", "SITE_URL", /is set by simple-paas itself/);
    });
  });
});
