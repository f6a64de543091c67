/**
 * The input rules in components/validation.ts (and the component schemas
 * built from them): every rejection names the field, the JSON-quoted value
 * and the rule; every accepted value is safe for what it becomes on the host.
 */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { z } from "zod";
import { simpleSiteSchema } from "../../components/model/schemas";
import { siteDbName } from "../../components/model/naming";
import {
  RESERVED_SITE_NAMES, SITE_NAME_RULE, SimplePaasInputError, absolutePath, cronSchedule, domain, envName, imageRef,
  ipv4Subnet, parseOrThrow, siteName,
} from "../../components/model/rules";

const RUNS = { numRuns: 200 };

/** The problems parseOrThrow reports, failing the test when it accepts the value or throws anything else. */
function problemsOf(schema: z.ZodType, value: unknown, field: string): string[] {
  try {
    parseOrThrow(schema, value, field);
  } catch (err) {
    if (err instanceof SimplePaasInputError) return err.problems;
    throw err;
  }
  assert.fail(`expected ${JSON.stringify(value)} to be rejected as ${field}`);
}

function accepts(schema: z.ZodType, value: unknown): void {
  assert.deepEqual(parseOrThrow(schema, value, "field"), value);
}

/** Asserts exactly one problem of the form `<field>: <JSON value> <rule>`, the rule matching `rule`. */
function assertRejected(schema: z.ZodType, value: string, field: string, rule: RegExp): void {
  const problems = problemsOf(schema, value, field);
  assert.equal(problems.length, 1, problems.join("\n"));
  const prefix = `${field}: ${JSON.stringify(value)} `;
  assert.ok(problems[0].startsWith(prefix), `expected ${JSON.stringify(problems[0])} to start with ${JSON.stringify(prefix)}`);
  assert.match(problems[0].slice(prefix.length), rule);
}

const ACCEPTED_NAME_PATTERN = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;
const isAcceptedName = (s: string) => ACCEPTED_NAME_PATTERN.test(s) && !s.includes("--") && !RESERVED_SITE_NAMES.has(s);
const acceptedSiteName = fc.stringMatching(ACCEPTED_NAME_PATTERN).filter(isAcceptedName);

describe("validation: site names", () => {
  const field = "simple-paas:sites[1].name";
  const NAME_RULE = /^must be 1-32 characters of a-z, 0-9 and '-', start with a letter and not end with '-'/;

  it("reports field, quoted value and rule in the documented form", () => {
    assert.deepEqual(problemsOf(siteName, "My Site", field), [`${field}: "My Site" ${SITE_NAME_RULE}`]);
    assert.throws(
      () => parseOrThrow(siteName, "My Site", field),
      (e: Error) => e.message === `simple-paas: invalid input:\n  - ${field}: "My Site" ${SITE_NAME_RULE}`,
    );
  });

  const rejected: [string, string][] = [
    ["spaces", "my site"],
    ["uppercase", "Blog"],
    ["dots", "my.site"],
    ["leading digit", "1blog"],
    ["leading hyphen", "-blog"],
    ["trailing hyphen", "blog-"],
    ["double hyphen", "my--blog"],
    ["underscore", "my_blog"],
    ["over 32 chars", "a".repeat(33)],
    ["empty", ""],
    ["non-ASCII", "blög"],
  ];
  for (const [what, value] of rejected) {
    it(`rejects ${what}: ${JSON.stringify(value)}`, () => {
      assertRejected(siteName, value, field, NAME_RULE);
    });
  }

  it("accepts exactly 32 characters", () => {
    accepts(siteName, "a".repeat(32));
  });

  for (const value of ["root", "mysql", "www-data", "daemon", "backup", "information-schema", "sp", "nobody", "docker"]) {
    it(`rejects the reserved name ${JSON.stringify(value)}`, () => {
      assertRejected(siteName, value, field, /^is reserved \(a system account or a name simple-paas uses\)$/);
    });
  }

  it("names the type when the value is not a string", () => {
    assertRejected(siteName, 42 as unknown as string, field, /expected string, received number/);
  });

  it("property: every string of the documented shape, without '--' and not reserved, is accepted", () => {
    fc.assert(fc.property(acceptedSiteName, (name) => {
      assert.equal(parseOrThrow(siteName, name, field), name);
    }), RUNS);
  });

  it("property: every other string is rejected with field, quoted value and rule", () => {
    const anyString = fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[a-z0-9._ -]{0,40}$/), fc.string({ unit: "grapheme", maxLength: 10 }));
    fc.assert(fc.property(anyString.filter((s) => !isAcceptedName(s)), (value) => {
      const problems = problemsOf(siteName, value, field);
      assert.equal(problems.length, 1);
      assert.ok(problems[0].startsWith(`${field}: ${JSON.stringify(value)} `), problems[0]);
      assert.match(problems[0], RESERVED_SITE_NAMES.has(value) ? /is reserved/ : /must be 1-32 characters/);
    }), RUNS);
  });

  it("property: an accepted name is a DNS label, a Linux user name and maps to an unquoted MySQL identifier of <= 32 chars", () => {
    fc.assert(fc.property(acceptedSiteName, (name) => {
      parseOrThrow(siteName, name, field);
      assert.match(name, /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "DNS label");
      assert.match(name, /^[a-z_][a-z0-9_-]{0,31}$/, "Linux user name");
      const db = siteDbName(name);
      assert.match(db, /^[a-z][a-z0-9_]*$/, "MySQL identifier");
      assert.ok(db.length <= 32, `${db} longer than 32`);
    }), RUNS);
  });

  it("property: siteDbName is injective over accepted names", () => {
    fc.assert(fc.property(fc.uniqueArray(acceptedSiteName, { minLength: 2, maxLength: 20 }), (names) => {
      assert.equal(new Set(names.map(siteDbName)).size, names.length);
    }), RUNS);
    // Names that differ only where one has '-' are the pairs that could collide.
    assert.notEqual(siteDbName("my-blog"), siteDbName("myblog"));
    assert.equal(siteDbName("my-new-blog"), "my_new_blog");
  });
});

describe("validation: domains", () => {
  const field = "simple-paas:sites[0].domains[0]";
  const RULE = /^must be a lowercase fully qualified domain name: .*at least two labels, at most 253 characters, no trailing dot$/;

  for (const value of ["example.com", "www.example.com", "a.b.c.example.co.uk", "xn--bcher-kva.example", "123.example.com", "a-b.example.com", "example.c0m"]) {
    it(`accepts ${value}`, () => accepts(domain, value));
  }

  const rejected: [string, string][] = [
    ["uppercase", "Example.com"],
    ["trailing dot", "example.com."],
    ["single label", "localhost"],
    ["label over 63 chars", `${"a".repeat(64)}.example.com`],
    ["underscore", "my_site.example.com"],
    ["leading hyphen", "-blog.example.com"],
    ["trailing hyphen in a label", "blog-.example.com"],
    ["empty label", "blog..example.com"],
    ["leading dot", ".example.com"],
    ["all-numeric (an IP address)", "192.168.1.10"],
    ["space", "my site.example.com"],
    ["scheme", "https://example.com"],
    ["over 253 chars", [..."abcd"].map((c) => c.repeat(63)).join(".")],
    ["empty", ""],
  ];
  for (const [what, value] of rejected) {
    it(`rejects ${what}`, () => assertRejected(domain, value, field, RULE));
  }

  it("accepts exactly 253 characters", () => {
    const d = ["a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61)].join(".");
    assert.equal(d.length, 253);
    accepts(domain, d);
  });

  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
  const fqdn = fc
    .tuple(fc.array(label, { minLength: 1, maxLength: 4 }), fc.stringMatching(/^[a-z]{2,12}$/))
    .map(([labels, tld]) => [...labels, tld].join("."))
    .filter((d) => d.length <= 253);

  it("property: generated lowercase FQDNs are accepted", () => {
    fc.assert(fc.property(fqdn, (d) => accepts(domain, d)), RUNS);
  });

  it("property: upper-casing any letter or adding a trailing dot gets the value rejected", () => {
    fc.assert(fc.property(fqdn.filter((d) => /[a-z]/.test(d)), fc.nat(), fc.boolean(), (d, n, trailingDot) => {
      let bad: string;
      if (trailingDot) bad = `${d}.`;
      else {
        const letters = [...d].map((c, i) => (/[a-z]/.test(c) ? i : -1)).filter((i) => i >= 0);
        const at = letters[n % letters.length];
        bad = d.slice(0, at) + d[at].toUpperCase() + d.slice(at + 1);
      }
      assertRejected(domain, bad, field, RULE);
    }), RUNS);
  });
});

describe("validation: env names", () => {
  const field = "simple-paas:sites[0].env.foo";
  const RULE = /^must match \[A-Z_\]\[A-Z0-9_\]\* \(upper-case letters, digits, '_', not starting with a digit\)$/;

  for (const value of ["FOO", "_FOO", "API_KEY_2", "_", "A"]) it(`accepts ${value}`, () => accepts(envName, value));
  for (const [what, value] of [["lowercase", "api_key"], ["leading digit", "2FA_KEY"], ["dash", "API-KEY"], ["empty", ""], ["space", "API KEY"], ["equals", "A=B"]]) {
    it(`rejects ${what}: ${JSON.stringify(value)}`, () => assertRejected(envName, value, field, RULE));
  }

  it("property: every [A-Z_][A-Z0-9_]* name is accepted", () => {
    fc.assert(fc.property(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,40}$/), (name) => accepts(envName, name)), RUNS);
  });
});

describe("validation: cron schedules", () => {
  const field = "simple-paas:sites[0].cron[2].schedule";
  const RULE = /^must be a 5-field cron schedule \(minute hour day-of-month month day-of-week\) or one of @hourly @daily @weekly @monthly @yearly @annually @midnight/;

  for (const value of ["0 3 * * *", "*/15 * * * *", "30 2 * * 1-5", "0 0 1,15 * *", "5 4 * * sun", "0 0 * * 7", "@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually", "@midnight"]) {
    it(`accepts ${JSON.stringify(value)}`, () => accepts(cronSchedule, value));
  }

  const rejected: [string, string][] = [
    ["6 fields (seconds)", "0 0 3 * * *"],
    ["4 fields", "0 3 * *"],
    ["minute 61", "61 * * * *"],
    ["hour 24", "0 24 * * *"],
    ["@reboot", "@reboot"],
    ["an unknown alias", "@every5m"],
    ["empty", ""],
    ["a trailing newline", "0 3 * * *\n"],
    ["an injected second line", "0 3 * * *\n* * * * * root rm -rf /"],
    ["a carriage return", "0 3 * * *\r"],
    ["leading space", " 0 3 * * *"],
    ["trailing space", "0 3 * * * "],
    ["words", "every day"],
  ];
  for (const [what, value] of rejected) {
    it(`rejects ${what}`, () => assertRejected(cronSchedule, value, field, RULE));
  }

  it("names the offending field value when cron-parser finds it out of range", () => {
    assertRejected(cronSchedule, "61 * * * *", field, /got value 61 expected range 0-59/);
  });

  // Schedules go verbatim into /etc/cron.d, read by Debian/Ubuntu's (Vixie) cron, which knows none of
  // the Quartz/Jenkins extensions cron-parser accepts: cron would skip such a line and the job never runs.
  for (const value of ["0 0 L * *", "0 0 ? * *", "0 0 * * 1#2", "H * * * *"]) {
    it(`rejects ${JSON.stringify(value)}, which /etc/cron.d's cron does not understand`, () => {
      assertRejected(cronSchedule, value, field, RULE);
    });
  }

  it("property: 5-field schedules of in-range numbers and '*' are accepted", () => {
    const f = (max: number, min = 0) => fc.oneof(fc.constant("*"), fc.integer({ min, max }).map(String));
    const schedule = fc.tuple(f(59), f(23), f(28, 1), f(12, 1), f(7)).map((p) => p.join(" "));
    fc.assert(fc.property(schedule, (s) => accepts(cronSchedule, s)), RUNS);
  });
});

describe("validation: absolute paths", () => {
  const field = "simple-paas:host.sitesRoot";
  const RULE = /^must be an absolute path without '\.\.', '\.', '\/\/' segments, control characters or a trailing '\/'$/;

  for (const value of ["/sites", "/var/backups/simple-paas", "/srv/a-b_c.d/e", "/.hidden/x", "/a/..b"]) {
    it(`accepts ${value}`, () => accepts(absolutePath, value));
  }
  const rejected: [string, string][] = [
    ["relative", "sites"],
    ["relative with ./", "./sites"],
    ["a '..' segment", "/sites/../etc"],
    ["a trailing '..'", "/sites/.."],
    ["a '.' segment", "/sites/./blog"],
    ["'//'", "/sites//blog"],
    ["a trailing '/'", "/sites/"],
    ["'/' alone", "/"],
    ["empty", ""],
    ["a newline", "/sites\n/etc"],
    ["a NUL", "/sites\0"],
  ];
  for (const [what, value] of rejected) {
    it(`rejects ${what}`, () => assertRejected(absolutePath, value, field, RULE));
  }

  it("property: '/'-joined segments of safe characters are accepted, and adding a '..' segment is rejected", () => {
    const segment = fc.stringMatching(/^[a-zA-Z0-9_-][a-zA-Z0-9_.-]{0,15}$/).filter((s) => s !== "." && s !== "..");
    fc.assert(fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.nat(), (segs, n) => {
      accepts(absolutePath, `/${segs.join("/")}`);
      const bad = [...segs];
      bad.splice(n % (segs.length + 1), 0, "..");
      assertRejected(absolutePath, `/${bad.join("/")}`, field, RULE);
    }), RUNS);
  });
});

describe("validation: image references", () => {
  const field = "simple-paas:sites[0].image";
  const RULE = /^must be a docker image reference: \[registry\[:port\]\/\]name\[:tag\]\[@sha256:<64 hex>\], lowercase name components, tag of \[A-Za-z0-9_.-\] up to 128$/;
  const digest = `sha256:${"0123456789abcdef".repeat(4)}`;

  const valid = [
    "nginx", "nginx:1.25", "library/nginx:1.25-alpine", "ghcr.io/acme/blog:1.2.0", "127.0.0.1:5000/site-app:v1",
    "localhost:5000/site-app", `nginx@${digest}`, `ghcr.io/acme/blog:1.2.0@${digest}`, "registry.example.com/a/b/c:V_1.0",
    "my__image", "my-image", `nginx:${"a".repeat(128)}`,
  ];
  for (const value of valid) it(`accepts ${value.length > 60 ? `${value.slice(0, 60)}...` : value}`, () => accepts(imageRef, value));

  const rejected: [string, string][] = [
    ["uppercase repository", "Nginx"],
    ["uppercase path component", "ghcr.io/Acme/blog:1.0"],
    ["empty", ""],
    ["spaces", "nginx 1.25"],
    ["':' with no tag", "nginx:"],
    ["a tag over 128 chars", `nginx:${"a".repeat(129)}`],
    ["'a//b'", "a//b"],
    ["a tag starting with '.'", "nginx:.1"],
    ["a short digest", "nginx@sha256:abc"],
    ["an uppercase digest", `nginx@sha256:${"A".repeat(64)}`],
    ["a leading '/'", "/nginx"],
    ["a trailing '/'", "nginx/"],
    ["a scheme", "https://ghcr.io/acme/blog"],
    ["over 255 chars", `${"a".repeat(250)}/b:${"c".repeat(10)}`],
  ];
  for (const [what, value] of rejected) it(`rejects ${what}`, () => assertRejected(imageRef, value, field, RULE));

  it("property: [registry/]name[:tag] built from the grammar's parts is accepted", () => {
    const component = fc.stringMatching(/^[a-z0-9]{1,8}([._-][a-z0-9]{1,8}){0,2}$/);
    const registry = fc.oneof(fc.constant(""), fc.constantFrom("ghcr.io/", "registry.example.com:5000/", "127.0.0.1:5000/", "localhost:5000/"));
    const tag = fc.oneof(fc.constant(""), fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/).map((t) => `:${t}`));
    fc.assert(fc.property(registry, fc.array(component, { minLength: 1, maxLength: 3 }), tag, fc.boolean(), (r, path, t, pinned) => {
      accepts(imageRef, `${r}${path.join("/")}${t}${pinned ? `@${digest}` : ""}`);
    }), RUNS);
  });
});

describe("validation: subnets", () => {
  const field = "host.network.subnet";
  const RULE = /^must be an IPv4 network in CIDR form \(no host bits set, no leading zeros\) with a prefix length from 8 to 28, e\.g\. 172\.30\.0\.0\/24/;

  for (const value of ["172.30.0.0/24", "10.0.0.0/8", "192.168.16.0/20", "10.1.2.16/28", "172.16.0.0/12"]) {
    it(`accepts ${value}`, () => accepts(ipv4Subnet, value));
  }
  const rejected: [string, string][] = [
    ["no prefix", "172.30.0.0"],
    ["prefix 7", "10.0.0.0/7"],
    ["prefix 29", "10.0.0.0/29"],
    ["prefix 33", "10.0.0.0/33"],
    ["an octet over 255", "256.1.1.0/24"],
    ["three octets", "172.30.0/24"],
    ["IPv6", "fd00::/64"],
    ["spaces", " 172.30.0.0/24"],
    ["empty", ""],
  ];
  for (const [what, value] of rejected) it(`rejects ${what}`, () => assertRejected(ipv4Subnet, value, field, RULE));

  // HostBootstrap hands the subnet to docker as is (ipamConfigs[].subnet); Docker Engine >= 25 refuses a
  // subnet with host bits set ("invalid subnet 172.30.0.5/24: it should be 172.30.0.0/24"), and Go's IP
  // parser refuses octets with leading zeros. Both should fail at preview, not at `pulumi up`.
  it("rejects a subnet with host bits set", () => {
    assertRejected(ipv4Subnet, "172.30.0.5/24", field, /172\.30\.0\.0\/24|prefix|host bits|network address/);
  });
  it("rejects octets with leading zeros", () => {
    assertRejected(ipv4Subnet, "172.030.0.0/24", field, RULE);
  });
});

describe("validation: parseOrThrow on a SimpleSite input", () => {
  const host = {};

  it("reports every problem at once, each with field, value and rule", () => {
    const input = {
      host,
      name: "My Site",
      image: "Nginx:latest",
      domains: ["ok.example.com", "Bad.example.com"],
      port: "80",
      cron: [{ schedule: "61 * * * *", command: "php cron.php" }],
      publicMountPath: "var/www",
    };
    let caught: unknown;
    try {
      parseOrThrow(simpleSiteSchema, input, "sites.mysite");
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof SimplePaasInputError, String(caught));
    const { problems, message } = caught;
    assert.equal(problems.length, 6, problems.join("\n"));
    const expected: [string, RegExp][] = [
      [`sites.mysite.name: "My Site" `, /must be 1-32 characters/],
      [`sites.mysite.image: "Nginx:latest" `, /must be a docker image reference/],
      [`sites.mysite.domains[1]: "Bad.example.com" `, /must be a lowercase fully qualified domain name/],
      [`sites.mysite.port: "80" `, /expected number, received string/],
      [`sites.mysite.cron[0].schedule: "61 * * * *" `, /must be a 5-field cron schedule/],
      [`sites.mysite.publicMountPath: "var/www" `, /must be an absolute path/],
    ];
    for (const [prefix, rule] of expected) {
      const p = problems.find((x) => x.startsWith(prefix));
      assert.ok(p, `no problem starting with ${prefix} in:\n${problems.join("\n")}`);
      assert.match(p.slice(prefix.length), rule);
      assert.ok(message.includes(`\n  - ${p}`));
    }
    assert.ok(message.startsWith("simple-paas: invalid input:\n  - "));
  });

  it("accepts a complete valid input and returns it", () => {
    const input = {
      host, name: "blog", image: "ghcr.io/acme/blog:1.2.0", domains: ["blog.example.com"], port: 8080,
      env: { APP_ENV: "production" }, secretEnv: { API_KEY: "value" }, cron: [{ schedule: "@hourly", command: "true" }],
      healthCheck: { path: "/healthz", intervalSeconds: 10 }, backup: { schedule: "0 2 * * *", tar: { dir: "/var/backups/blog" } },
    };
    assert.deepEqual(parseOrThrow(simpleSiteSchema, input, "sites.blog"), input);
  });

  it("names the rule of an invalid env name used as a record key", () => {
    const problems = problemsOf(simpleSiteSchema, { host, name: "blog", image: "nginx", env: { "api-key": "v" } }, "sites.blog");
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0], /^sites\.blog\.env(\.api-key|\["api-key"\])?: "api-key" must match \[A-Z_\]\[A-Z0-9_\]\*/);
  });

  it("names an unknown key without echoing the other (secret) values of the object", () => {
    const problems = problemsOf(
      simpleSiteSchema,
      { host, name: "blog", image: "nginx", secretEnv: { API_KEY: "s3cret-value" }, registry: { server: "ghcr.io", username: "u", password: "hunter2" }, domian: ["x.example.com"] },
      "sites.blog",
    );
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0], /domian/);
    assert.doesNotMatch(problems[0], /s3cret-value|hunter2/);
  });
});

describe("validation: backup repositories", () => {
  const { siteBackupOptionsSchema } = require("../../components/model/schemas") as typeof import("../../components/model/schemas");
  const { parseOrThrow } = require("../../components/model/rules") as typeof import("../../components/model/rules");
  it("accepts paths and restic URLs, and refuses a password inside the URL, naming field and rule", () => {
    for (const ok of ["/var/backups/simple-paas/blog", "sftp:backup@vault:/srv/restic/blog", "b2:bucket:blog", "rest:https://vault.example.com:8000/blog", "s3:s3.amazonaws.com/bucket/blog"]) {
      parseOrThrow(siteBackupOptionsSchema, { repository: ok }, "backup");
    }
    assert.throws(() => parseOrThrow(siteBackupOptionsSchema, { repository: "rest:https://user:s3cret@vault.example.com/blog" }, "backup"),
      (err: Error) => {
        assert.match(err.message, /backup\.repository: "rest:https:\/\/user:\*\*\*@vault\.example\.com\/blog" must not hold a password/);
        assert.doesNotMatch(err.message, /s3cret/, "the password is not echoed");
        return true;
      });
  });

  it("parses each backend's form: a password is refused wherever the URL grammar puts it, '/' and '@' in it included", () => {
    const refused: [string, RegExp][] = [
      ["rest:https://user:pa/ss@vault.example.com/blog", /must be a rest repository URL|must not hold a password/],
      ["rest:https://user:p@ss@vault.example.com/blog", /must not hold a password/],
      ["s3:https://key:secret@minio.example.com/bucket", /must not hold a password/],
      ["sftp://user:pw@host//srv/restic", /must not hold a password/],
      ["rclone::s3,access_key_id=AK,secret_access_key=SK:bucket", /on-the-fly remote may carry credentials/],
      ["ftp://host/x", /must be a restic repository: an absolute path, or local: sftp: rest:/],
      ["b2:bucket:path@x", /must be b2:bucket:path/],
      ["relative/path", /must be a restic repository/],
      ["/var/backups/../etc", /must be an absolute path without '\.\.'/],
    ];
    for (const [value, rule] of refused) {
      assert.throws(() => parseOrThrow(siteBackupOptionsSchema, { repository: value }, "backup"), (err: Error) => {
        assert.match(err.message, rule, value);
        assert.doesNotMatch(err.message, /pa\/ss|p@ss|secret@|:pw@|SK:/, "no password is echoed");
        return true;
      });
    }
    for (const ok of ["local:/srv/restic/blog", "sftp://backup@vault:2222//srv/restic/blog", "s3:https://minio.example.com:9000/bucket/blog",
      "azure:container:/blog", "gs:bucket:/blog", "swift:container:/blog", "rclone:remote:blog", "sftp:vault:/srv/restic/blog"]) {
      parseOrThrow(siteBackupOptionsSchema, { repository: ok }, "backup");
    }
  });

  it("masks URL passwords in values quoted back, and leaves other values as they are", () => {
    const { redactUrlPasswords: redact } = require("../../components/model/rules") as typeof import("../../components/model/rules");
    assert.equal(redact("rest:https://u:pa/ss@h/a"), "rest:https://u:***@h/a", "a '/' in the password");
    const { redactUrlPasswords } = require("../../components/model/rules") as typeof import("../../components/model/rules");
    assert.equal(redactUrlPasswords("rest:https://u:pw@h:8000/a rest:http://v:p%40ss@g/b"), "rest:https://u:***@h:8000/a rest:http://v:***@g/b");
    assert.equal(redactUrlPasswords("rest:https://u:p@ss@h/a"), "rest:https://u:***@h/a");
    assert.equal(redactUrlPasswords("rest:https://u:p ss@h/a"), "rest:https://u:***@h/a");
    for (const same of ["sftp:backup@vault:/srv/restic/blog", "rest:https://vault.example.com:8000/blog", "https://user@host/x", "/var/backups/a:b@c"]) {
      assert.equal(redactUrlPasswords(same), same);
    }
  });
});
