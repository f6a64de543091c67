import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { containerName, findRecorded, installRecordingMocks, isSecretOutput, mockRegistryDigest, recorded, resetRecorded, settle, valueOf } from "../support/mocks";
import { HostBootstrap, SimpleSite } from "../../components";
import { shellQuote } from "../../components/render/shell";
import { scriptValue } from "../support/script-values";

/** How a line of a script reads inside the `bash -c '...'` command text. */
const inScript = (text: string): string => shellQuote(text).slice(1, -1);

describe("an external MySQL/MariaDB server instead of the host's (mocks)", () => {
  before(() => installRecordingMocks());
  beforeEach(() => resetRecorded());

  it("installs no MariaDB, points the host's steps and the sites at the external server, and keeps its password secret", async () => {
    const host = new HostBootstrap("ext", {
      database: { external: { host: "db.internal.example.com", port: 3307, adminUser: "paas_admin", adminPassword: pulumi.secret("ext-admin-pw") } },
    });
    const site = new SimpleSite("shop", { host, name: "shop", image: "nginx:1.27", domains: ["shop.example.com"] });
    await valueOf(site.containerName);
    await settle();
    assert.equal(recorded.filter((r) => r.type === "random:index/randomPassword:RandomPassword" && r.name === "ext-mysql-admin-password").length, 0,
      "no admin password is generated: the given one is used");
    const servicesScript = findRecorded("command:local:Command", "ext-services").inputs.create as string;
    assert.ok(servicesScript.includes(inScript("readonly SP_DB_HOST='db.internal.example.com'")));
    assert.ok(servicesScript.includes(inScript("readonly SP_ADMIN_USER='paas_admin'")));
    const packages = findRecorded("command:local:Command", "ext-packages").inputs.create as string;
    assert.doesNotMatch(packages, /mariadb-server/, "the host gets no MariaDB server");
    assert.match(packages, /mariadb-client/, "but the client for dumps and restores");
    const database = findRecorded("command:local:Command", "shop-database").inputs.create as string;
    assert.ok(database.includes(inScript("readonly SP_DB_HOST_PATTERN='%'")), "the external server cannot know the site's network");
    assert.ok(servicesScript.includes(inScript("readonly SP_DB_TLS='verify'")), "TLS to the external server, verified, by default");
    const env: string[] = findRecorded("docker:index/container:Container", containerName("shop")).inputs.envs;
    assert.ok(env.includes("DATABASE_TLS=verify"));
    assert.ok(env.includes("DATABASE_HOST=db.internal.example.com"));
    assert.ok(env.includes("DATABASE_PORT=3307"));
    const services = (host.ready[0] as unknown as { stdin: pulumi.Output<string> }).stdin;
    assert.equal(await isSecretOutput(services), true);
    assert.equal(await valueOf(services), "ext-admin-pw\n");
  });
});

describe("one host, many sites (mocks)", () => {
  before(() => installRecordingMocks());

  it("refuses a second site with the same name or a domain another site already has, before creating it", () => {
    const host = new HostBootstrap("shared", { stagingDomain: "staging.example.com" });
    new SimpleSite("one", { host, name: "one", image: "nginx:1.27", domains: ["one.example.com"] });
    assert.throws(() => new SimpleSite("two", { host, name: "two", image: "nginx:1.27", domains: ["one.example.com"] }),
      /sites\.two\.domains: "one\.example\.com" is already routed to site one/);
    assert.throws(() => new SimpleSite("two-b", { host, name: "two", image: "nginx:1.27", domains: ["two.example.com", "one.staging.example.com"] }),
      /"one\.staging\.example\.com" is already routed to site one/);
    assert.throws(() => new SimpleSite("one-again", { host, name: "one", image: "nginx:1.27", domains: ["other.example.com"] }),
      /sites\.one\.name: "one" is already a site on this host/);
    new SimpleSite("three", { host, name: "three", image: "nginx:1.27", domains: ["three.example.com"] });
  });
});

/** The script inside `bash -c '<script>' name`, as the host receives it. */
function scriptOf(invocation: string): string {
  const m = /^bash -c '([\s\S]*)' '[^']*'$/.exec(invocation);
  if (!m) throw new Error(`not a bash invocation: ${invocation.slice(0, 80)}`);
  return m[1].replace(/'\\''/g, "'");
}

describe("the host program (mocks)", () => {
  before(() => installRecordingMocks());
  beforeEach(() => resetRecorded());

  it("merges a site's backup keep into the stack's keep, and derives restic passwords from backupKey", async () => {
    const { buildHostProgram } = require("../../components/stack-program") as typeof import("../../components/stack-program");
    const program = buildHostProgram(
      { backup: { keep: { daily: 14, yearly: 3 } }, sites: [{ name: "blog", image: "nginx:1.27", domains: ["blog.example.com"], backup: { keep: { weekly: 9 } } }] },
      { backupKey: pulumi.secret("stack-key") },
    );
    await valueOf(program.sites[0].containerName);
    await settle();
    const config = scriptOf(findRecorded("command:local:Command", "blog-backup-config").inputs.create as string);
    const backupEnv = scriptValue(config, "SP_BACKUP_ENV");
    assert.match(backupEnv, /^SP_KEEP_DAILY='14'$/m);
    assert.match(backupEnv, /^SP_KEEP_YEARLY='3'$/m);
    assert.match(backupEnv, /^SP_KEEP_WEEKLY='9'$/m);
    assert.match(backupEnv, /^SP_KEEP_LAST='7'$/m, "unset values keep the built-in default");
    assert.match(backupEnv, /^SP_BACKUP_MAX_AGE='5400'$/m, "@hourly: overdue after an hour and the grace");
    const password = await valueOf(program.sites[0].backup!.password);
    const again = await valueOf((require("../../components") as typeof import("../../components")).deriveResticPassword("stack-key", "blog"));
    assert.equal(password, again, "the same key gives the same password after destroy or on a new host");
    assert.equal(await isSecretOutput(program.sites[0].backup!.password), true);
  });

  it("pull: always pins the site's tag to the digest the registry gives, asked with the site's registry login; other sites stay as written", async () => {
    const { buildHostProgram, pinAlwaysPulledImages } = require("../../components/stack-program") as typeof import("../../components/stack-program");
    const secrets = { backupKey: pulumi.secret("stack-key"), secrets: pulumi.secret({ web: { registryPassword: "pw" } }) as unknown as pulumi.Output<Record<string, unknown>> };
    const raw = { sites: [
      { name: "web", image: "127.0.0.1:5000/site-app:rolling", registry: { server: "127.0.0.1:5000", username: "deploy" }, domains: ["web.example.com"], pull: "always" },
      { name: "pinned", image: "nginx:1.27", domains: ["pinned.example.com"] },
    ] };
    const pinned = await pinAlwaysPulledImages(raw, secrets) as { sites: { name: string; image: string }[] };
    const digest = mockRegistryDigest("127.0.0.1:5000/site-app:rolling");
    assert.equal(pinned.sites[0].image, `127.0.0.1:5000/site-app@${digest}`);
    assert.equal(pinned.sites[1].image, "nginx:1.27");
    const lookup = findRecorded("pulumi:providers:docker", "web-image-lookup").inputs;
    // A provider's inputs reach the engine as strings (objects as JSON).
    assert.equal(String(lookup.disableDockerDaemonCheck), "true");
    // The password makes the whole registryAuth a secret: the engine's secret wrapper around its JSON.
    const wrapped = lookup.registryAuth as { value?: string };
    assert.equal(typeof wrapped, "object", "registryAuth is a secret");
    const auth = wrapped.value!;
    assert.match(auth, /"address":"http:\/\/127\.0\.0\.1:5000"/, `a loopback registry over HTTP: ${auth}`);
    assert.equal(recorded.some((r) => r.name === "pinned-image-lookup"), false, "no lookup for a site without pull: always");
    const program = buildHostProgram(pinned, secrets);
    await valueOf(program.sites[0].containerName);
    await settle();
    assert.equal(findRecorded("docker:index/remoteImage:RemoteImage", "web-image").inputs.name, `127.0.0.1:5000/site-app@${digest}`);
  });

  it("gives a site its own hash salt from simple-paas:secrets, as the plain HASH_SALT its image reads, kept secret", async () => {
    const { buildHostProgram } = require("../../components/stack-program") as typeof import("../../components/stack-program");
    const salt = "the-old-hosts-salt-0123456789";
    const program = buildHostProgram(
      { sites: [{ name: "shop", image: "nginx:1.27", domains: ["shop.example.com"], hashSalt: { fromSecrets: true, plain: true } }] },
      { backupKey: pulumi.secret("stack-key"), secrets: pulumi.secret({ shop: { hashSalt: salt } }) as unknown as pulumi.Output<Record<string, unknown>> },
    );
    await valueOf(program.sites[0].containerName);
    await settle();
    assert.equal(recorded.some((r) => r.name === "shop-hash-salt"), false, "no generated salt");
    const setup = findRecorded("command:local:Command", "shop-setup").inputs;
    // A secret input is recorded as the engine's secret wrapper.
    const stdin = setup.stdin as { value?: string };
    assert.equal(typeof stdin, "object", "the setup's stdin is a secret");
    assert.equal(JSON.parse(stdin.value!).hashSalt, salt, "the salt's file holds the given salt");
    const envs = await valueOf(program.sites[0].container.envs as pulumi.Output<string[]>);
    assert.ok(envs.includes(`HASH_SALT=${salt}`), envs.join(" "));
    assert.ok(envs.includes(`HASH_SALT_FILE=${"/etc/secrets/hash_salt"}`));
    assert.equal(await isSecretOutput(program.sites[0].container.envs as pulumi.Output<string[]>), true, "the env holding the salt is a secret in state");
    const container = recorded.find((r) => r.type === "docker:index/container:Container" && r.name.startsWith("shop-container-"))!;
    assert.doesNotMatch(`${container.name} ${JSON.stringify(container.inputs.name)}`, new RegExp(salt), "the salt is in no name");
  });
});
