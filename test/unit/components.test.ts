import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { containerName, findRecorded, graph, installRecordingMocks, isSecretOutput, recordGraph, recorded, resetGraph, resetRecorded, settle, valueOf } from "../support/mocks";
import { HostBootstrap, SimpleSite, SiteBackup } from "../../components";
import { checkCredentials } from "../../components/model/schemas";
import { siteScheduleMinute } from "../../components/model/schedules";
import { assertShellcheckClean } from "../support/shellcheck";
import { shellQuote } from "../../components/render/shell";

/** How a line of a script reads inside the `bash -c '...'` command text. */
const inScript = (text: string): string => shellQuote(text).slice(1, -1);

const CMD = "command:local:Command";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFhTest0nlyKeyForUnitTestsAAAAAAAAAAAAAAAAAA";
const REMOTE_CMD = "command:remote:Command";

function newHost(name = "host", extra: Partial<ConstructorParameters<typeof HostBootstrap>[1]> = {}): HostBootstrap {
  return new HostBootstrap(name, { stagingDomain: "staging.example.com", memcached: { enabled: true }, ...extra }, { transformations: [recordGraph] });
}

/** The script inside `bash -c '<script>' name`, as the host receives it. */
function scriptOf(invocation: string): string {
  const m = /^bash -c '([\s\S]*)' '[^']*'$/.exec(invocation);
  if (!m) throw new Error(`not a bash invocation: ${invocation.slice(0, 80)}`);
  return m[1].replace(/'\\''/g, "'");
}

function graphEntry(name: string | RegExp) {
  const e = graph.find((g) => (typeof name === "string" ? g.name === name : name.test(g.name)));
  if (!e) throw new Error(`${name} not in graph: ${graph.map((g) => g.name).join(", ")}`);
  return e;
}

describe("components under recording mocks", () => {
before(() => installRecordingMocks());


describe("HostBootstrap (mocks)", () => {
  beforeEach(() => { resetRecorded(); resetGraph(); });

  it("prepares packages, network, services, sp, proxy and providers as children, in order", async () => {
    const host = newHost();
    await settle();
    for (const [type, name] of [
      [CMD, "host-packages"], ["docker:index/network:Network", "host-network"], [CMD, "host-services"],
      [CMD, "host-sp-command"], [CMD, "host-proxy-config"], ["docker:index/container:Container", "host-proxy"],
      ["pulumi:providers:docker", "host-docker"],
      ["random:index/randomPassword:RandomPassword", "host-mysql-admin-password"],
    ]) {
      findRecorded(type, name);
      assert.equal(graphEntry(name).parent, "host", `${name} is a child of the host`);
    }
    assert.deepEqual(graphEntry("host-network").dependsOn, ["host-packages"]);
    assert.deepEqual(graphEntry("host-services").dependsOn, ["host-network"]);
    assert.ok(graphEntry("host-proxy").dependsOn.includes("host-proxy-config"));
    const network = findRecorded("docker:index/network:Network", "host-network").inputs;
    assert.deepEqual(network.ipamConfigs, [{ subnet: "172.30.0.0/24", gateway: "172.30.0.1" }]);
    assert.deepEqual(host.settings.database, { mode: "local", containerHost: "172.30.0.1", port: 3306, tls: "off" });
    assert.deepEqual(host.settings.memcached, { enabled: true, memoryMb: 64, image: "memcached:1.6" });
    assert.equal(recorded.filter((r) => r.name.includes("memcached")).length, 0, "no memcached of the host's own: each site gets one");
  });

  it("gives the proxy no Docker socket, and publishes 80 and 443", async () => {
    newHost();
    await settle();
    const proxy = findRecorded("docker:index/container:Container", "host-proxy").inputs;
    const mounts = JSON.stringify([proxy.volumes, proxy.mounts ?? []]);
    assert.doesNotMatch(mounts, /docker\.sock/);
    assert.deepEqual(proxy.ports.map((p: { internal: number; external: number }) => [p.internal, p.external]), [[80, 80], [443, 443]]);
    assert.deepEqual(proxy.networksAdvanced, [{ name: "simple-paas" }]);
  });

  it("keeps the admin password secret: on stdin of the services step, never in the script", async () => {
    const host = newHost();
    await settle();
    const services = graphEntry("host-services").resource as pulumi.CustomResource & { stdin: pulumi.Output<string>; create: pulumi.Output<string> };
    assert.equal(await isSecretOutput(services.stdin), true);
    assert.equal(await valueOf(services.stdin), "mock-secret-host-mysql-admin-password\n");
    assert.doesNotMatch(await valueOf(services.create), /mock-secret/);
    assert.equal(recorded.filter((r) => r.type.startsWith("mysql:") || r.type === "pulumi:providers:mysql").length, 0,
      "no mysql provider: the host's steps make the site databases");
    assert.ok(host.ready.length >= 3);
  });

  it("runs every step over SSH with the key as a secret when given a connection", async () => {
    newHost("remote", { connection: { host: "127.0.0.1", port: 2222, user: "root", privateKey: pulumi.secret("KEY"), hostKey: HOST_KEY } });
    await settle();
    const remote = recorded.filter((r) => r.type === REMOTE_CMD).map((r) => r.name);
    assert.ok(remote.includes("remote-packages") && remote.includes("remote-services"), remote.join(","));
    const docker = findRecorded("pulumi:providers:docker", "remote-docker").inputs;
    assert.equal(docker.host, "ssh://root@127.0.0.1:2222");
    const services = graphEntry("remote-services").resource as pulumi.CustomResource & { connection: pulumi.Output<{ privateKey?: string; hostKey?: string }> };
    assert.equal(await isSecretOutput(services.connection), true);
    // Every connection that carries a secret checks the pinned host key first.
    for (const r of recorded.filter((x) => x.type === REMOTE_CMD)) {
      const connection = await valueOf((graphEntry(r.name).resource as unknown as { connection: pulumi.Output<{ hostKey?: string }> }).connection);
      assert.equal(connection.hostKey, HOST_KEY, `${r.name} pins the host key`);
    }
    const rawOpts = findRecorded("pulumi:providers:docker", "remote-docker").inputs.sshOpts;
    const opts: string[] = typeof rawOpts === "string" ? JSON.parse(rawOpts) : rawOpts;
    assert.ok(opts.includes("StrictHostKeyChecking=yes") && !opts.join(" ").includes("accept-new"), opts.join(" "));
    const files = findRecorded(CMD, "remote-ssh-key").inputs.create as string;
    assert.ok(files.includes(inScript(`readonly SP_KNOWN_HOSTS_LINE='[127.0.0.1]:2222 ${HOST_KEY}'`)), "the pinned key is the only one docker's ssh trusts");
    assert.throws(() => newHost("nokey", { connection: { host: "10.0.0.9", privateKey: pulumi.secret("KEY") } as never }),
      /host\.connection\.hostKey: is required: must be the host's public key/);
  });

  it("rejects bad input before creating anything", () => {
    resetRecorded();
    assert.throws(() => new HostBootstrap("bad", { sitesRoot: "sites", network: { subnet: "10.0.0.0/33" } }),
      /host\.sitesRoot: "sites" must be an absolute path[\s\S]*host\.network\.subnet: "10\.0\.0\.0\/33" must be an IPv4 network in CIDR form/);
    assert.equal(recorded.filter((r) => r.name.startsWith("bad")).length, 0);
    // Rules the host scripts would only enforce later, without the field's full name.
    assert.throws(() => new HostBootstrap("bad2", {
      network: { subnet: "172.17.8.0/24" },
      dockerLogs: { maxSize: "0m" },
      database: { external: { host: "db.example.net", adminUser: "ops admin", adminPassword: pulumi.secret("pw") } },
    }), (err: Error) => [
      /host\.network\.subnet: "172\.17\.8\.0\/24" must not overlap docker's own address pool 172\.17\.0\.0\/16/,
      /host\.database\.external\.adminUser: "ops admin" must be a MySQL user name/,
      /host\.dockerLogs\.maxSize: "0m" must be a docker size like 10m/,
    ].every((re) => re.test(err.message)));
    assert.equal(recorded.filter((r) => r.name.startsWith("bad2")).length, 0);
  });
});

describe("SimpleSite (mocks)", () => {
  beforeEach(() => { resetRecorded(); resetGraph(); });

  function newSite(host: HostBootstrap, extra: Partial<ConstructorParameters<typeof SimpleSite>[1]> = {}): SimpleSite {
    return new SimpleSite("blog", {
      host, name: "blog", image: "127.0.0.1:5000/site-app:v1", domains: ["blog.example.com"], port: 8080,
      secretEnv: { API_TOKEN: pulumi.secret("token-value") }, ...extra,
    }, { transformations: [recordGraph] });
  }

  it("is creatable from host, name, image and domains alone", async () => {
    const host = newHost();
    const site = new SimpleSite("min", { host, name: "min", image: "nginx:1.27", domains: ["min.example.com"] });
    await settle();
    assert.deepEqual(site.urls, ["https://min.example.com", "https://min.staging.example.com"]);
    const onPort = new SimpleSite("port", { host: newHost("h8443", { proxy: { httpsPort: 8443 } }), name: "port", image: "nginx:1.27", domains: ["p.example.com"] });
    assert.deepEqual(onPort.urls, ["https://p.example.com:8443", "https://port.staging.example.com:8443"], "a proxy off 443 is part of the URL");
    findRecorded("docker:index/container:Container", containerName("min"));
  });

  it("adopts an original repository after the site's setup and database, and before the restore on creation", async () => {
    const host = newHost();
    new SimpleSite("old", {
      host, name: "old", image: "nginx:1.27", domains: ["old.example.com"],
      backup: { adopt: { repository: "/sites/old/data/restic", password: pulumi.secret("the old one") } },
    }, { transformations: [recordGraph] });
    await settle();
    const adopt = graphEntry("old-backup-adopt");
    for (const dep of ["old-backup-config", "old-setup", "old-database"]) assert.ok(adopt.dependsOn.includes(dep), `adopt depends on ${dep}: ${adopt.dependsOn}`);
    assert.ok(graphEntry("old-backup-restore-on-create").dependsOn.includes("old-backup-adopt"), "the restore sees the adopted snapshots");
    const config = findRecorded(CMD, "old-backup-config").inputs;
    assert.match(config.create as string, /SP_ADOPT_REPOSITORY=\W*\/sites\/old\/data\/restic\W/);
    assert.match(config.create as string, /SP_ADOPT_PATH=\W*\/shared\W/);
    assert.match(config.create as string, /SP_ADOPT_DUMP=\W*sql\/old\.sql\W/);
    assert.doesNotMatch(JSON.stringify(recorded.map((r) => r.inputs.create)), /the old one/, "the password only on stdin");
  });

  it("creates dirs and database before the container, and the restore before the container", async () => {
    const host = newHost();
    newSite(host);
    await settle();
    const container = graphEntry(containerName("blog"));
    assert.equal(container.parent, "blog");
    for (const dep of ["blog-setup", "blog-database", "blog-backup-restore-on-create"]) {
      assert.ok(container.dependsOn.includes(dep), `container depends on ${dep}: ${container.dependsOn}`);
    }
    assert.ok(graphEntry("blog-backup-restore-on-create").dependsOn.includes("blog-setup"));
    assert.ok(graphEntry("blog-backup-restore-on-create").dependsOn.includes("blog-database"));
    assert.ok(graphEntry("blog-backup-final-backup").dependsOn.includes("blog-database"), "final backup runs before the database goes");
    // A scheduled backup between a new host's empty site and its restore would become the latest snapshot.
    assert.ok(graphEntry("blog-backup-schedule").dependsOn.includes("blog-backup-restore-on-create"), "the schedule comes after the restore");
    assert.deepEqual(graphEntry("blog-database").dependsOn, ["blog-setup"]);
    assert.equal(graphEntry("blog-route").dependsOn.length, 1);
    assert.match(graphEntry("blog-route").dependsOn[0], containerName("blog"));
    assert.equal(graphEntry("blog-backup").parent, "blog");
  });

  it("makes the database, a user restricted to the sites network and its grant in one host step, password on stdin", async () => {
    newSite(newHost());
    await settle();
    const step = graphEntry("blog-database").resource as pulumi.CustomResource & {
      stdin: pulumi.Output<string>; create: pulumi.Output<string>; delete: pulumi.Output<string>; triggers: pulumi.Output<unknown>;
    };
    assert.equal(graphEntry("blog-database").parent, "blog");
    assert.equal(await isSecretOutput(step.stdin), true);
    assert.equal(await valueOf(step.stdin), "mock-secret-blog-db-password\n");
    const create = await valueOf(step.create);
    assert.doesNotMatch(create, /mock-secret/);
    assert.ok(create.includes(inScript(`readonly SP_DB_NAME='blog'`)), "database blog");
    const network = (await valueOf((graphEntry("blog-network").resource as unknown as { ipamConfigs: pulumi.Output<{ subnet: string }[]> }).ipamConfigs))[0].subnet;
    const [address] = network.split("/");
    assert.ok(create.includes(inScript(`readonly SP_DB_HOST_PATTERN='${address}/255.255.255.240'`)), "user blog on the site's own network alone");
    assert.ok(create.includes(inScript("readonly SP_DB_SOCKET_ACCOUNT='yes'")), "and over the host's socket, for sp's sandboxed imports");
    assert.ok(create.includes("CHARACTER SET $SP_DB_CHARSET COLLATE $SP_DB_COLLATION"));
    assert.ok(create.includes(inScript("readonly SP_GENERATION='1'\n")));
    // A new generation re-runs it in place: a replacement would drop the user first.
    assert.equal(await valueOf(step.triggers), undefined);
    const del = await valueOf(step.delete);
    assert.match(del, /DROP USER IF EXISTS/);
    assert.ok(del.includes(inScript("readonly SP_DELETE_DATA='no'")), "the database stays unless deleteDataOnDestroy");
  });

  it("drops the database and the data dir on destroy only with deleteDataOnDestroy, and never without a final backup", async () => {
    newSite(newHost(), { deleteDataOnDestroy: true });
    await settle();
    const step = graphEntry("blog-database").resource as pulumi.CustomResource & { delete: pulumi.Output<string> };
    const del = await valueOf(step.delete);
    assert.match(del, /DROP DATABASE IF EXISTS/);
    assert.ok(del.includes(inScript("readonly SP_DELETE_DATA='yes'")));
    assert.ok(del.includes(inScript("readonly SP_DATA_DIR='/sites/blog/data'")));
    assert.ok(del.includes(inScript("readonly SP_LOCK_FILE='/var/lib/simple-paas/backup-status/blog.lock'")), "under the site's lock");
    resetRecorded();
    assert.throws(() => new SimpleSite("nobackup", { host: newHost("h2"), name: "nobackup", image: "nginx:1.27", deleteDataOnDestroy: true, backup: false }),
      /sites\.nobackup\.deleteDataOnDestroy: true must not be true without the final backup/);
    assert.throws(() => new SimpleSite("nofinal", {
      host: newHost("h3"), name: "nofinal", image: "nginx:1.27", deleteDataOnDestroy: true, backup: { finalBackupOnDestroy: false },
    }), /sites\.nofinal\.deleteDataOnDestroy/);
    assert.equal(recorded.filter((r) => r.name.startsWith("nobackup") || r.name.startsWith("nofinal")).length, 0);
  });

  it("runs the container non-root on its own network, without capabilities, with health check, limits, log rotation and no secrets in env", async () => {
    newSite(newHost(), { resources: { memoryMb: 256, cpus: 0.5 } });
    await settle();
    const c = findRecorded("docker:index/container:Container", containerName("blog")).inputs;
    assert.equal(c.user, "www-data:1002");
    assert.equal(c.restart, "unless-stopped");
    assert.deepEqual(c.networksAdvanced, [{ name: "simple-paas-blog" }]);
    assert.deepEqual(c.capabilities, { drops: ["ALL"], adds: [] });
    assert.deepEqual(c.securityOpts, ["no-new-privileges:true"]);
    assert.equal(c.memory, 256);
    assert.equal(c.memorySwap, 256, "no swap beyond the limit");
    assert.equal(c.cpus, "0.5");
    assert.equal(c.logOpts["max-size"], "10m");
    assert.match(c.healthcheck.tests[1], /127\.0\.0\.1:8080\//);
    assert.equal(c.wait, true);
    assert.equal(c.waitTimeout, 180, "up waits 180 s for a new container to get healthy unless healthCheck.waitSeconds says otherwise");
    assert.match(c.name, /^sp-blog-[0-9a-f]{10}$/);
    const env: string[] = c.envs;
    for (const e of ["DATABASE_NAME=blog", "DATABASE_USER=blog", "DATABASE_HOST=172.30.0.1", "DATABASE_PORT=3306",
      "DATABASE_PASSWORD_FILE=/etc/secrets/db_pass", "HASH_SALT_FILE=/etc/secrets/hash_salt", "PRIVATE_DIR=/shared/private",
      "MEMCACHE_PORT=11211", "API_TOKEN_FILE=/etc/secrets/env/API_TOKEN"]) {
      assert.ok(env.includes(e), `env has ${e}: ${env.join(" ")}`);
    }
    assert.doesNotMatch(JSON.stringify(c), /mock-secret|token-value/);
    assert.deepEqual(c.volumes.map((v: { containerPath: string }) => v.containerPath), ["/shared", "/etc/secrets"]);
    assert.equal(c.volumes[1].readOnly, true);
  });

  it("waits healthCheck.waitSeconds for a new container, without changing the container's name or health check", async () => {
    newSite(newHost(), {});
    await settle();
    const before = findRecorded("docker:index/container:Container", containerName("blog")).inputs;
    resetRecorded();
    newSite(newHost(), { healthCheck: { waitSeconds: 20 } });
    await settle();
    const after = findRecorded("docker:index/container:Container", containerName("blog")).inputs;
    assert.equal(after.waitTimeout, 20);
    assert.equal(after.name, before.name, "a new wait replaces nothing");
    assert.deepEqual(after.healthcheck, before.healthcheck);
    assert.throws(() => newSite(newHost(), { healthCheck: { waitSeconds: 2 } }), /healthCheck\.waitSeconds/);
  });

  it("keeps every secret secret", async () => {
    const site = newSite(newHost(), {
      registry: { server: "127.0.0.1:5000", username: "sp-test", password: pulumi.secret("registry-pass") },
      backup: { credentials: { AWS_ACCESS_KEY_ID: pulumi.secret("key-id") } },
    });
    await settle();
    const stdinOf = (n: string) => (graphEntry(n).resource as unknown as { stdin: pulumi.Output<string> }).stdin;
    for (const n of ["blog-setup", "blog-backup-config"]) assert.equal(await isSecretOutput(stdinOf(n)), true, `${n} stdin is secret`);
    const setup = JSON.parse(await valueOf(stdinOf("blog-setup")));
    assert.deepEqual(Object.keys(setup).sort(), ["dbPassword", "hashSalt", "secretEnv"]);
    assert.equal(setup.secretEnv.API_TOKEN, "token-value");
    const backupConfig = JSON.parse(await valueOf(stdinOf("blog-backup-config")));
    assert.equal(backupConfig.credentials.AWS_ACCESS_KEY_ID, "key-id");
    assert.equal(await isSecretOutput(site.backup!.password), true);
    const registry = graphEntry("blog-registry").resource as unknown as { registryAuth: pulumi.Output<unknown> };
    assert.ok(registry, "a registry provider exists");
    const regInputs = findRecorded("pulumi:providers:docker", "blog-registry").inputs;
    assert.match(JSON.stringify(regInputs.registryAuth), /127\.0\.0\.1:5000/);
    for (const r of recorded) {
      if (r.name === "blog-registry") continue;
      const text = JSON.stringify(r.inputs.create ?? "") + JSON.stringify(r.inputs.envs ?? "");
      assert.doesNotMatch(text, /registry-pass|key-id|token-value|mock-secret/, `${r.name} has no secret in its command or env`);
    }
  });

  it("rotates the site's container logs as the host says (dockerLogs), and a change of it gives a new container name", async () => {
    const defaults = newSite(newHost());
    const name1 = await valueOf(defaults.containerName);
    await settle();
    assert.deepEqual(findRecorded("docker:index/container:Container", containerName("blog")).inputs.logOpts, { "max-size": "10m", "max-file": "3" });
    resetRecorded();
    const custom = newSite(newHost("logs", { dockerLogs: { maxSize: "50m", maxFiles: 7 } }));
    const name2 = await valueOf(custom.containerName);
    await settle();
    assert.deepEqual(findRecorded("docker:index/container:Container", containerName("blog")).inputs.logOpts, { "max-size": "50m", "max-file": "7" });
    assert.deepEqual(findRecorded("docker:index/container:Container", "logs-proxy").inputs.logOpts, { "max-size": "50m", "max-file": "7" });
    assert.notEqual(name2, name1, "docker replaces a container whose log options change: it needs a new name to start beside the old one");
  });

  it("names the container after its spec, so a new image gets a new container beside the old one", async () => {
    const host = newHost();
    const a = new SimpleSite("a", { host, name: "a", image: "site-app:v1", domains: ["a.example.com"] });
    const b = new SimpleSite("b", { host, name: "a2", image: "site-app:v2", domains: ["b.example.com"] });
    const [na, nb] = [await valueOf(a.containerName), await valueOf(b.containerName)];
    assert.notEqual(na.slice(-10), nb.slice(-10));
    await settle();
    assert.match(findRecorded(CMD, "a-route").inputs.stdin, new RegExp(`reverse_proxy ${na}:80`));
    assert.match(findRecorded(CMD, "b-route").inputs.stdin, new RegExp(`reverse_proxy ${nb}:80`));
  });

  it("waits in the route step, bounded, for each host name's certificate at the proxy's HTTPS address", async () => {
    const routeScript = async (hostExtra: Partial<ConstructorParameters<typeof HostBootstrap>[1]>, site: string) => {
      const host = newHost(`h-${site}`, hostExtra);
      newSite(host, { name: site, domains: [`${site}.example.com`] });
      await settle();
      return scriptOf(findRecorded(CMD, `blog-route`).inputs.create);
    };
    const byDefault = await routeScript({}, "one");
    assert.match(byDefault, /^readonly SP_PROBE_ADDRESS='127\.0\.0\.1'$/m);
    assert.match(byDefault, /^readonly SP_PROBE_PORT='443'$/m);
    assert.match(byDefault, /^readonly SP_PROBE_SECONDS='30'$/m);
    assert.match(byDefault, /^readonly -a SP_PROBE_NAMES=\('one\.example\.com' 'one\.staging\.example\.com'\)$/m);
    assert.match(byDefault, /^readonly SP_FIRST_ACCOUNT_NAME='one\.staging\.example\.com'$/m, "a new proxy's first site routes its staging alias alone first");
    assert.match(byDefault, /^readonly SP_PIDS_LIMIT='512'$/m, "the route step sets the pids limit the provider cannot");
    assert.match(byDefault, /^readonly SP_HISTORY_FILE='\/var\/lib\/simple-paas\/backup-status\/one\.images'$/m);
    assertShellcheckClean(byDefault, "route script with the certificate wait");
    resetRecorded();
    const ipv6 = await routeScript({ proxy: { bindAddress: "::", httpsPort: 8443, certificateWaitSeconds: 45 } }, "two");
    assert.match(ipv6, /^readonly SP_PROBE_ADDRESS='\[::1\]'$/m);
    assert.match(ipv6, /^readonly SP_PROBE_PORT='8443'$/m);
    assert.match(ipv6, /^readonly SP_PROBE_SECONDS='45'$/m);
    resetRecorded();
    assert.match(await routeScript({ proxy: { bindAddress: "10.0.0.5" } }, "three"), /^readonly SP_PROBE_ADDRESS='10\.0\.0\.5'$/m);
    resetRecorded();
    const none = await routeScript({ proxy: { certificateWaitSeconds: 0 } }, "four");
    assert.match(none, /^readonly SP_PROBE_SECONDS='0'$/m);
    assert.match(none, /^readonly -a SP_PROBE_NAMES=\(\)$/m);
    assert.throws(() => newHost("bad-wait", { proxy: { certificateWaitSeconds: 601 } }), /host\.proxy\.certificateWaitSeconds: 601 /);
  });

  it("installs cron jobs that run in the site's container", async () => {
    newSite(newHost(), { cron: [{ schedule: "*/5 * * * *", command: "php cron.php" }] });
    await settle();
    const cron = graphEntry("blog-cron").resource as unknown as { stdin: pulumi.Output<string> };
    assert.match(await valueOf(cron.stdin), /^\*\/5 \* \* \* \* root .*sp'? '?exec'? '?blog/m);
  });

  it("protects the data dir and database when asked", async () => {
    newSite(newHost(), { protect: true });
    await settle();
    assert.equal(graphEntry("blog-database").protect, true);
    assert.notEqual(graphEntry("blog-setup").protect, true, "setup is replaced by a new generation (the runbook); its teardown keeps the data");
    assert.notEqual(graphEntry(containerName("blog")).protect, true, "the container stays replaceable");
  });

  for (const [label, extra, expected] of [
    ["a name with spaces", { name: "my site" }, /sites\.my site\.name: "my site" must be 1-32 characters/],
    ["an upper-case name", { name: "Blog" }, /name: "Blog" must be/],
    ["a name with a dot", { name: "b.log" }, /name: "b\.log" must be/],
    ["a leading digit", { name: "1blog" }, /name: "1blog" must be/],
    ["a leading hyphen", { name: "-blog" }, /name: "-blog" must be/],
    ["a name over 32 characters", { name: "a".repeat(33) }, /name: "a{33}" must be/],
    ["a reserved name", { name: "mysql" }, /name: "mysql" is reserved/],
    ["an invalid domain", { domains: ["bad_domain.example.com"] }, /domains\[0\]: "bad_domain\.example\.com" must be a lowercase/],
    ["a bad env name", { env: { "bad-name": "x" } }, /env\.bad-name: "bad-name" must match \[A-Z_\]/],
    ["a bad cron schedule", { cron: [{ schedule: "61 * * * *", command: "x" }] }, /cron\[0\]\.schedule: "61 \* \* \* \*" must be a 5-field cron/],
    ["an invalid image", { image: "Not An Image" }, /image: "Not An Image" must be a docker image reference/],
    ["a relative public mount", { publicMountPath: "public" }, /publicMountPath: "public" must be an absolute path/],
    ["a relative tar dir", { backup: { tar: { dir: "../tar" } } }, /backup\.tar\.dir: "\.\.\/tar" must be an absolute path/],
    ["an empty registry password", { registry: { server: "r.example.com", username: "u", password: "" } }, /registry\.password: "" must not be empty/],
  ] as const) {
    it(`rejects ${label} with field, value and rule, creating nothing`, () => {
      const host = newHost();
      resetRecorded();
      assert.throws(() => new SimpleSite("bad", { host, name: "blog", image: "nginx", domains: ["blog.example.com"], ...(extra as object) }), expected);
      assert.equal(recorded.filter((r) => r.name.startsWith("bad")).length, 0);
    });
  }
});

describe("host generation (disaster recovery)", () => {
  beforeEach(() => { resetRecorded(); resetGraph(); });

  it("puts the generation into every step on the host and the container's name, so a new one re-runs them all", async () => {
    const host = newHost("gen", { generation: "2026-11-26" });
    const site = new SimpleSite("gsite", { host, name: "gsite", image: "nginx:1.27", domains: ["g.example.com"] });
    const name2 = await valueOf(site.containerName);
    await settle();
    const commands = recorded.filter((r) => r.type === CMD && (r.name.startsWith("gen-") || r.name.startsWith("gsite-")));
    assert.ok(commands.length >= 10, commands.map((c) => c.name).join(","));
    for (const c of commands) {
      // An update, not a replacement: the command changes, and no removal runs (a new host's key differs from the old one's).
      assert.match(c.inputs.create as string, / 'generation=2026-11-26'$/, `${c.name} carries the generation as its command's argument`);
      assert.equal(c.inputs.triggers, undefined, `${c.name} is not replaced by a new generation`);
      if (c.inputs.delete !== undefined) assert.doesNotMatch(c.inputs.delete as string, /generation=/, `${c.name}'s removal is the same for every generation`);
    }
    // Docker objects a wiped host no longer has are made again too, without a refresh.
    const network = findRecorded("docker:index/network:Network", "gen-network").inputs;
    assert.deepEqual(network.labels, [{ label: "simple-paas.generation", value: "2026-11-26" }]);
    for (const image of ["gen-proxy-image", "gsite-image"]) {
      assert.deepEqual(findRecorded("docker:index/remoteImage:RemoteImage", image).inputs.pullTriggers, ["2026-11-26"], `${image} is pulled again`);
    }
    assert.deepEqual(findRecorded("docker:index/container:Container", "gen-proxy").inputs.labels,
      [{ label: "simple-paas.role", value: "proxy" }, { label: "simple-paas.network", value: "simple-paas" }, { label: "simple-paas.generation", value: "2026-11-26" }]);
    assert.deepEqual(findRecorded("docker:index/network:Network", "gsite-network").inputs.labels,
      [{ label: "simple-paas.site", value: "gsite" }, { label: "simple-paas.generation", value: "2026-11-26" }], "the site's own network too");
    resetRecorded();
    const host1 = newHost("gen1");
    const site1 = new SimpleSite("gsite1", { host: host1, name: "gsite", image: "nginx:1.27", domains: ["g.example.com"] });
    assert.notEqual(await valueOf(site1.containerName), name2);
    assert.throws(() => newHost("bad-gen", { generation: "two words" }), /host\.generation: "two words" must be 1-64 characters/);
  });
});

describe("SiteBackup (mocks)", () => {
  beforeEach(() => { resetRecorded(); resetGraph(); });

  it("has its own generated password, schedule, restore-on-create and a final backup on delete", async () => {
    const host = newHost();
    const backup = new SiteBackup("solo", { host, site: "solo", tar: { dir: "/var/backups/tar/solo", keep: 3 } }, { transformations: [recordGraph] });
    await settle();
    assert.equal(backup.repository, "/var/backups/simple-paas/solo");
    assert.equal(await isSecretOutput(backup.password), true);
    const schedule = graphEntry("solo-schedule").resource as unknown as { stdin: pulumi.Output<string> };
    const cron = await valueOf(schedule.stdin);
    const m = siteScheduleMinute("solo");
    assert.match(cron, new RegExp(`^${m} \\* \\* \\* \\* root .*backup.*solo`, "m"), "hourly, at the site's own minute");
    assert.match(cron, new RegExp(`^${(m + 30) % 60} 3 \\* \\* \\* root .*prune.*solo`, "m"));
    const final = findRecorded(CMD, "solo-final-backup").inputs;
    const finalScript = scriptOf(final.delete);
    assert.match(finalScript, /^readonly SP_SP_PATH='\/usr\/local\/bin\/sp'$/m);
    assert.match(finalScript, /^readonly SP_SITE_ENV_FILE='\/etc\/simple-paas\/sites\/solo\/site\.env'$/m);
    assert.match(finalScript, /^"\$SP_SP_PATH" backup "\$SP_SITE" --final$/m);
    assertShellcheckClean(finalScript, "final backup");
    const restore = findRecorded(CMD, "solo-restore-on-create").inputs;
    assert.match(scriptOf(restore.create), /^readonly -a SP_ARGS=\('restore' 'solo' '--if-fresh'\)$/m);
    assert.match(cron, new RegExp(`^${(m + 15) % 60} 4 \\* \\* 0 root .*drill.*solo.*--scheduled`, "m"), "a restore drill every week by default");
    const config = findRecorded(CMD, "solo-config").inputs;
    assert.match(config.create, /SP_TAR_DIR=.*\/var\/backups\/tar\/solo/);
    assert.match(config.create, /SP_TAR_KEEP_DAYS=\W*7\W/, "archives kept 7 days by default");
    assert.match(config.create, /SP_TAR_KEEP=\W*3\W/);
    assert.match(config.create, /SP_KEEP_LAST=.*7/);
    assert.doesNotMatch(JSON.stringify(recorded.map((r) => [r.inputs.create, r.inputs.delete])), /mock-secret/);
  });

  it("checks credentials that arrive as one Output once known: env names, string values, never echoing a value", async () => {
    // Output.promise(): the value, or the error that fails the preview.
    const settled = (o: pulumi.Output<unknown>) => (o as unknown as { promise(): Promise<unknown> }).promise();
    const check = (creds: Record<string, unknown>) => checkCredentials(pulumi.secret(creds as Record<string, string>), "sites.blog.backup.credentials");
    assert.deepEqual(await settled(check({ B2_ACCOUNT_ID: "id-value" })), { B2_ACCOUNT_ID: "id-value" });
    await assert.rejects(settled(check({ "X=1; touch /tmp/x; Y": "v1" })),
      (err: Error) => /sites\.blog\.backup\.credentials\.X=1; touch \/tmp\/x; Y: .* must match \[A-Z_\]/.test(err.message) && !/v1/.test(err.message));
    await assert.rejects(settled(check({ B2_ACCOUNT_KEY: 42 })),
      (err: Error) => /sites\.blog\.backup\.credentials\.B2_ACCOUNT_KEY: must be a string/.test(err.message) && !/42/.test(err.message));
    await assert.rejects(settled(checkCredentials(pulumi.secret("B2_ACCOUNT_ID=x") as never, "f")), /f: must be an object/);
    // SiteBackup runs its credentials through the check on their way to the host.
    new SiteBackup("creds", { host: newHost(), site: "creds", credentials: pulumi.secret({ B2_ACCOUNT_ID: "id-value" }) }, { transformations: [recordGraph] });
    const stdin = (graphEntry("creds-config").resource as unknown as { stdin: pulumi.Output<string> }).stdin;
    assert.deepEqual(JSON.parse(await valueOf(stdin)).credentials, { B2_ACCOUNT_ID: "id-value" });
  });

  it("never deletes a repository: no step removes snapshots or the repository on delete", async () => {
    newHost();
    new SiteBackup("keep", { host: newHost("h2"), site: "keep" });
    await settle();
    for (const r of recorded.filter((x) => x.name.startsWith("keep-"))) {
      assert.doesNotMatch(String(r.inputs.delete ?? ""), /forget|prune|\/var\/backups\/simple-paas/, `${r.name} deletes nothing of the repository`);
    }
  });
});

describe("isolation of a site (mocks)", () => {
  beforeEach(() => { resetRecorded(); resetGraph(); });

  const site = (host: HostBootstrap, name: string, extra: Record<string, unknown> = {}) =>
    new SimpleSite(name, { host, name, image: "nginx:1.27", domains: [`${name}.example.com`], ...extra }, { transformations: [recordGraph] });

  it("gives each site its own /28 network of the sites pool, with the proxy at a fixed address and bridges the firewall knows", async () => {
    const host = newHost();
    const a = site(host, "alpha");
    const b = site(host, "beta");
    await settle();
    const na = findRecorded("docker:index/network:Network", "alpha-network").inputs;
    const nb = findRecorded("docker:index/network:Network", "beta-network").inputs;
    assert.equal(na.name, "simple-paas-alpha");
    assert.notEqual(na.ipamConfigs[0].subnet, nb.ipamConfigs[0].subnet);
    for (const [n, plan] of [[na, a.plan], [nb, b.plan]] as const) {
      assert.match(n.ipamConfigs[0].subnet, /^172\.31\.\d+\.\d+\/28$/);
      assert.match(n.options["com.docker.network.bridge.name"], /^spb-\d+$/);
      assert.equal(n.ipamConfigs[0].ipRange, plan.network.ipRange, "containers take addresses the proxy and memcached never use");
      const env = findRecorded("docker:index/container:Container", containerName(plan.site)).inputs.envs as string[];
      assert.ok(env.includes(`REVERSE_PROXY_ADDRESSES=${plan.network.proxyAddress}`), "only the proxy is trusted for forwarded headers");
    }
    const link = findRecorded(CMD, "alpha-proxy-link").inputs;
    assert.match(scriptOf(link.create), new RegExp(`^readonly SP_ADDRESS='${a.plan.network.proxyAddress.replace(/\./g, "\\.")}'$`, "m"));
    assert.match(scriptOf(link.delete), /^readonly SP_ACTION='disconnect'$/m);
    assert.equal(link.triggers, undefined, "never replaced: its removal would need the old host");
    const proxyId = await valueOf(host.proxy.id);
    assert.match(scriptOf(link.create), new RegExp(`^readonly SP_PROXY_ID='${proxyId}'$`, "m"), "a new proxy changes the script: the link runs again in place");
    assert.ok(graphEntry(containerName("alpha")).dependsOn.includes("alpha-proxy-link"), "the proxy is on the network before the site starts");
    const hosts = findRecorded("docker:index/container:Container", containerName("alpha")).inputs.hosts;
    assert.deepEqual(hosts, a.plan.hostNames.map((h) => ({ host: h, ip: a.plan.network.proxyAddress })), "a site's own names lead to the proxy on its network");
  });

  it("gives a site that wants memcached its own, on its own network, without capabilities; none to the others", async () => {
    const host = newHost("mh", { memcached: { enabled: false, image: "memcached:1.6.21" } });
    const cached = site(host, "cached", { memcached: { enabled: true, memoryMb: 32 } });
    site(host, "plain");
    await settle();
    const m = findRecorded("docker:index/container:Container", "cached-memcached").inputs;
    assert.deepEqual(m.networksAdvanced, [{ name: "simple-paas-cached", ipv4Address: cached.plan.network.memcachedAddress }]);
    assert.deepEqual(m.capabilities, { drops: ["ALL"] });
    assert.equal(m.readOnly, true);
    assert.deepEqual(m.command.slice(0, 3), ["memcached", "-m", "32"]);
    assert.equal(findRecorded("docker:index/remoteImage:RemoteImage", "mh-memcached-image").inputs.name, "memcached:1.6.21");
    const env = findRecorded("docker:index/container:Container", containerName("cached")).inputs.envs as string[];
    assert.ok(env.includes(`MEMCACHE_HOST=${cached.plan.network.memcachedAddress}`) && env.includes("MEMCACHE_PORT=11211"));
    assert.equal(recorded.filter((r) => r.name === "plain-memcached").length, 0);
    const plainEnv = findRecorded("docker:index/container:Container", containerName("plain")).inputs.envs as string[];
    assert.ok(!plainEnv.some((e) => e.startsWith("MEMCACHE_")));
  });

  it("limits every container by default (memory, pids) and adds back only the capabilities a site names, from a short list", async () => {
    const host = newHost();
    const s = site(host, "caps", { capAdd: ["SETUID", "SETGID"], allowRoot: true, runAs: "root" });
    await settle();
    const c = findRecorded("docker:index/container:Container", containerName("caps")).inputs;
    assert.deepEqual(c.capabilities, { drops: ["ALL"], adds: ["SETGID", "SETUID"] });
    assert.equal(c.memory, 1024);
    assert.equal(s.plan.limits.pids, 512);
    assert.equal(c.user, "root:1002");
    for (const [extra, expected] of [
      [{ capAdd: ["SYS_ADMIN"] }, /sites\.x\.capAdd\[0\]: "SYS_ADMIN" must be one of AUDIT_WRITE, CHOWN/],
      [{ capAdd: ["NET_RAW"] }, /capAdd\[0\]: "NET_RAW" must be one of/],
      [{ runAs: "root" }, /sites\.x\.runAs: "root" must not be root unless allowRoot is true/],
      [{ runAs: "0" }, /sites\.x\.runAs: "0" must not be root unless allowRoot is true/],
      [{ resources: { pids: 2 } }, /sites\.x\.resources\.pids: 2 /],
    ] as const) {
      resetRecorded();
      assert.throws(() => site(host, "x", extra as Record<string, unknown>), expected);
      assert.equal(recorded.filter((r) => r.name.startsWith("x-")).length, 0);
    }
  });

  it("lets a transform adjust a child's arguments and options (an extra label, ignoreChanges)", async () => {
    const host = newHost();
    site(host, "tx", {
      transform: {
        container: (args: { labels?: unknown[] }, opts: pulumi.CustomResourceOptions) => {
          args.labels = [...(args.labels ?? []), { label: "team", value: "web" }];
          opts.ignoreChanges = ["envs"];
        },
        image: { keepLocally: false },
      },
    });
    await settle();
    const c = findRecorded("docker:index/container:Container", containerName("tx")).inputs;
    assert.deepEqual(c.labels, [{ label: "simple-paas.site", value: "tx" }, { label: "team", value: "web" }]);
    assert.equal(findRecorded("docker:index/remoteImage:RemoteImage", "tx-image").inputs.keepLocally, false);
    assert.deepEqual(graphEntry(containerName("tx")).ignoreChanges, ["envs"], "the function's option reached the container");
    assert.equal(graphEntry("tx-memcached").ignoreChanges?.includes("envs"), false, "and no other child");
  });
});
});

