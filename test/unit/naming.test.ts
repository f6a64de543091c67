/**
 * components/naming.ts: subnet math, stable JSON and the container-name hash.
 */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import {
  DEFAULT_HOST_PATHS, describeSubnet, mysqlHostPatternForSubnet, siteContainerName, siteCronFile, siteDataDir, siteDbName,
  siteLinuxUser, siteRouteFile, siteSecretsDir, stableJson,
} from "../../components/model/naming";
import { RESERVED_SITE_NAMES } from "../../components/model/rules";

const RUNS = { numRuns: 200 };

describe("naming: subnets", () => {
  it("describes a /24", () => {
    assert.deepEqual(describeSubnet("172.30.0.0/24"), { network: "172.30.0.0", netmask: "255.255.255.0", gateway: "172.30.0.1", prefix: 24 });
    assert.equal(mysqlHostPatternForSubnet("172.30.0.0/24"), "172.30.0.0/255.255.255.0");
  });

  it("describes a /16", () => {
    assert.deepEqual(describeSubnet("10.20.0.0/16"), { network: "10.20.0.0", netmask: "255.255.0.0", gateway: "10.20.0.1", prefix: 16 });
    assert.equal(mysqlHostPatternForSubnet("10.20.0.0/16"), "10.20.0.0/255.255.0.0");
  });

  it("masks a /20 given with a non-aligned address", () => {
    assert.deepEqual(describeSubnet("192.168.17.5/20"), { network: "192.168.16.0", netmask: "255.255.240.0", gateway: "192.168.16.1", prefix: 20 });
    assert.equal(mysqlHostPatternForSubnet("192.168.17.5/20"), "192.168.16.0/255.255.240.0");
  });

  it("handles first octets >= 128 (no sign trouble) and the 8 and 28 bounds", () => {
    assert.deepEqual(describeSubnet("255.255.255.240/28"), { network: "255.255.255.240", netmask: "255.255.255.240", gateway: "255.255.255.241", prefix: 28 });
    assert.deepEqual(describeSubnet("200.1.2.3/8"), { network: "200.0.0.0", netmask: "255.0.0.0", gateway: "200.0.0.1", prefix: 8 });
  });

  it("property: network, netmask and gateway agree with independent arithmetic", () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(fc.property(fc.tuple(octet, octet, octet, octet), fc.integer({ min: 8, max: 28 }), (o, prefix) => {
      const ip = o.reduce((acc, x) => acc * 256 + x, 0);
      const size = 2 ** (32 - prefix);
      const network = Math.floor(ip / size) * size;
      const mask = 2 ** 32 - size;
      const text = (n: number) => [2 ** 24, 2 ** 16, 2 ** 8, 1].map((d) => Math.floor(n / d) % 256).join(".");
      const d = describeSubnet(`${o.join(".")}/${prefix}`);
      assert.deepEqual(d, { network: text(network), netmask: text(mask), gateway: text(network + 1), prefix });
      assert.equal(mysqlHostPatternForSubnet(`${o.join(".")}/${prefix}`), `${text(network)}/${text(mask)}`);
    }), RUNS);
  });
});

/** Rebuilds `value` with every object's keys in an order chosen by `seed` (values untouched). */
function reorderKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => reorderKeys(v, seed + i + 1));
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    let s = seed >>> 0;
    for (let i = entries.length - 1; i > 0; i--) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const j = s % (i + 1);
      [entries[i], entries[j]] = [entries[j], entries[i]];
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) Object.defineProperty(out, k, { value: reorderKeys(v, s + 7), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

describe("naming: stableJson", () => {
  it("sorts keys at every level and drops undefined members", () => {
    assert.equal(stableJson({ b: 1, a: { d: [2, { f: 1, e: null }], c: "x" }, u: undefined }), '{"a":{"c":"x","d":[2,{"e":null,"f":1}]},"b":1}');
    assert.equal(stableJson([undefined, 1]), "[null,1]");
    assert.equal(stableJson(undefined), "null");
    assert.equal(stableJson("a\"b"), '"a\\"b"');
  });

  it("property: the result does not depend on key order", () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), fc.integer(), (v, seed) => {
      assert.equal(stableJson(reorderKeys(v, seed)), stableJson(v));
    }), RUNS);
  });

  it("property: the result is JSON for the same value", () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
      assert.deepEqual(JSON.parse(stableJson(v)), JSON.parse(JSON.stringify(v)));
    }), RUNS);
  });

  it("property: objects with different contents give different text", () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }), (a, b) => {
      const same = JSON.stringify(JSON.parse(stableJson(a))) === JSON.stringify(JSON.parse(stableJson(b)));
      assert.equal(stableJson(a) === stableJson(b), same);
    }), RUNS);
  });
});

const siteNameArb = fc
  .stringMatching(/^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/)
  .filter((s) => !s.includes("--") && !RESERVED_SITE_NAMES.has(s));

/** Shaped like the spec SimpleSite hashes: image, imageId, user, env, volumes, health, limits, port. */
const specArb = fc.record({
  image: fc.constantFrom("nginx:1.27", "ghcr.io/acme/blog:1.2.0", "site-app:v1"),
  imageId: fc.stringMatching(/^sha256:[0-9a-f]{64}$/),
  user: fc.constantFrom("1001:1002", "33:33", "root"),
  env: fc.array(fc.stringMatching(/^[A-Z_]{1,8}=[ -~]{0,12}$/), { maxLength: 6 }),
  volumes: fc.array(fc.record({ hostPath: fc.stringMatching(/^\/[a-z]{1,8}$/), containerPath: fc.stringMatching(/^\/[a-z]{1,8}$/), readOnly: fc.boolean() }), { maxLength: 3 }),
  health: fc.record({ tests: fc.array(fc.string({ maxLength: 10 }), { minLength: 1, maxLength: 3 }), interval: fc.constantFrom("5s", "10s"), retries: fc.integer({ min: 1, max: 5 }) }),
  limits: fc.record({ memoryMb: fc.option(fc.integer({ min: 6, max: 4096 }), { nil: undefined }), cpus: fc.option(fc.double({ min: 0.1, max: 8, noNaN: true }), { nil: undefined }) }),
  port: fc.integer({ min: 1, max: 65535 }),
});
type Spec = typeof specArb extends fc.Arbitrary<infer T> ? T : never;

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

describe("naming: siteContainerName", () => {
  it("is sp-<site>-<10 hex>", () => {
    assert.match(siteContainerName("blog", { image: "nginx" }), /^sp-blog-[0-9a-f]{10}$/);
  });

  it("property: equal specs give equal names, whatever the key order", () => {
    fc.assert(fc.property(siteNameArb, specArb, fc.integer(), (site, spec, seed) => {
      const copy = JSON.parse(JSON.stringify(spec)) as Spec;
      assert.equal(siteContainerName(site, reorderKeys(copy, seed)), siteContainerName(site, spec));
    }), RUNS);
  });

  it("property: changing any field of the spec changes the name", () => {
    const change = fc.tuple(specArb, specArb, fc.constantFrom<keyof Spec>("image", "imageId", "user", "env", "volumes", "health", "limits", "port"));
    fc.assert(fc.property(siteNameArb, change, (site, [spec, other, key]) => {
      const changed = { ...spec, [key]: other[key] };
      fc.pre(stableJson(changed[key]) !== stableJson(spec[key]));
      assert.notEqual(siteContainerName(site, changed), siteContainerName(site, spec), `changing ${key} kept the name`);
    }), RUNS);
  });

  it("changes for small edits deep inside the spec", () => {
    const spec = {
      image: "nginx:1.27", imageId: `sha256:${"a".repeat(64)}`, user: "1001:1002", env: ["A=1", "B=2"],
      volumes: [{ hostPath: "/sites/blog/data", containerPath: "/shared", readOnly: false }],
      health: { tests: ["CMD-SHELL", "curl -f http://127.0.0.1/"], interval: "5s", retries: 3 }, limits: { memoryMb: 256 }, port: 80,
    };
    const base = siteContainerName("blog", spec);
    const variants = [
      { ...spec, env: ["A=1", "B=3"] },
      { ...spec, env: ["B=2", "A=1"] },
      { ...spec, volumes: [{ ...spec.volumes[0], readOnly: true }] },
      { ...spec, health: { ...spec.health, retries: 4 } },
      { ...spec, limits: { memoryMb: 257 } },
      { ...spec, limits: {} },
      { ...spec, port: 8080 },
      { ...spec, port: "80" },
    ];
    for (const v of variants) assert.notEqual(siteContainerName("blog", v), base, JSON.stringify(v));
    assert.notEqual(siteContainerName("shop", spec), base);
  });

  it("property: names fit docker's container name rules and a DNS label", () => {
    fc.assert(fc.property(siteNameArb, specArb, (site, spec) => {
      const name = siteContainerName(site, spec);
      assert.match(name, DOCKER_NAME);
      assert.match(name, /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
      assert.ok(name.startsWith(`sp-${site}-`));
    }), RUNS);
  });
});

describe("naming: host paths and identities", () => {
  it("derives paths and names from the site name", () => {
    assert.equal(siteLinuxUser("my-blog"), "my-blog");
    assert.equal(siteDbName("my-blog"), "my_blog");
    assert.equal(siteDataDir(DEFAULT_HOST_PATHS, "blog"), "/sites/blog/data");
    assert.equal(siteSecretsDir(DEFAULT_HOST_PATHS, "blog"), "/etc/simple-paas/sites/blog/secrets");
    assert.equal(siteRouteFile(DEFAULT_HOST_PATHS, "blog"), "/etc/simple-paas/proxy/sites/blog.caddy");
    assert.equal(siteCronFile("blog"), "/etc/cron.d/simple-paas-blog");
  });

  it("property: cron.d file names use only characters run-parts accepts", () => {
    // cron ignores /etc/cron.d files whose names contain anything but [A-Za-z0-9_-].
    fc.assert(fc.property(siteNameArb, (site) => {
      assert.match(siteCronFile(site).slice("/etc/cron.d/".length), /^[A-Za-z0-9_-]+$/);
    }), RUNS);
  });
});
