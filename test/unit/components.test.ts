import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { containerName, findRecorded, graph, installRecordingMocks, isSecretOutput, recordGraph, recorded, resetGraph, resetRecorded, settle, valueOf } from "../support/mocks";
import { HostBootstrap, SimpleSite, SiteBackup } from "../../components";
import { checkCredentials } from "../../components/model/schemas";
import { assertShellcheckClean } from "../support/shellcheck";
import { shellQuote } from "../../components/render/shell";

/** How a line of a script reads inside the `bash -c '...'` command text. */
const inScript = (text: string): string => shellQuote(text).slice(1, -1);

const CMD = "command:local:Command";
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
    assert.deepEqual(host.settings.database, { containerHost: "172.30.0.1", port: 3306, userHostPattern: "172.30.0.0/255.255.255.0" });
    assert.deepEqual(host.settings.memcached, { host: "172.30.0.1", port: 11211 });
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
    newHost("remote", { connection: { host: "127.0.0.1", port: 2222, user: "root", privateKey: pulumi.secret("KEY") } });
    await settle();
    const remote = recorded.filter((r) => r.type === REMOTE_CMD).map((r) => r.name);
    assert.ok(remote.includes("remote-packages") && remote.includes("remote-services"), remote.join(","));
    const docker = findRecorded("pulumi:providers:docker", "remote-docker").inputs;
    assert.equal(docker.host, "ssh://root@127.0.0.1:2222");
    const services = graphEntry("remote-services").resource as pulumi.CustomResource & { connection: pulumi.Output<{ privateKey?: string }> };
    assert.equal(await isSecretOutput(services.connection), true);
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
    assert.ok(create.includes(inScript(`readonly SP_DB_ACCOUNT=${shellQuote("'blog'@'172.30.0.0/255.255.255.0'")}`)), "user blog on the sites network");
    assert.ok(create.includes("CHARACTER SET $SP_DB_CHARSET COLLATE $SP_DB_COLLATION"));
    assert.ok(create.includes(inScript("# host generation: 1\n")));
    // A new generation re-runs it in place: a replacement would drop the user first.
    assert.equal(await valueOf(step.triggers), undefined);
    const del = await valueOf(step.delete);
    assert.match(del, /DROP USER IF EXISTS/);
    assert.doesNotMatch(del, /DROP DATABASE/, "the database stays unless deleteDataOnDestroy");
  });

  it("drops the database and the data dir on destroy only with deleteDataOnDestroy, and never without a final backup", async () => {
    newSite(newHost(), { deleteDataOnDestroy: true });
    await settle();
    const step = graphEntry("blog-database").resource as pulumi.CustomResource & { delete: pulumi.Output<string> };
    const del = await valueOf(step.delete);
    assert.match(del, /DROP DATABASE IF EXISTS/);
    assert.ok(del.includes(inScript("readonly SP_DATA_DIR='/sites/blog/data'")));
    resetRecorded();
    assert.throws(() => new SimpleSite("nobackup", { host: newHost("h2"), name: "nobackup", image: "nginx:1.27", deleteDataOnDestroy: true, backup: false }),
      /sites\.nobackup\.deleteDataOnDestroy: true must not be true without the final backup/);
    assert.throws(() => new SimpleSite("nofinal", {
      host: newHost("h3"), name: "nofinal", image: "nginx:1.27", deleteDataOnDestroy: true, backup: { finalBackupOnDestroy: false },
    }), /sites\.nofinal\.deleteDataOnDestroy/);
    assert.equal(recorded.filter((r) => r.name.startsWith("nobackup") || r.name.startsWith("nofinal")).length, 0);
  });

  it("runs the container non-root on the sites network with health check, limits, log rotation and no secrets in env", async () => {
    newSite(newHost(), { resources: { memoryMb: 256, cpus: 0.5 } });
    await settle();
    const c = findRecorded("docker:index/container:Container", containerName("blog")).inputs;
    assert.equal(c.user, "www-data:1002");
    assert.equal(c.restart, "unless-stopped");
    assert.deepEqual(c.networksAdvanced, [{ name: "simple-paas" }]);
    assert.equal(c.memory, 256);
    assert.equal(c.cpus, "0.5");
    assert.equal(c.logOpts["max-size"], "10m");
    assert.match(c.healthcheck.tests[1], /127\.0\.0\.1:8080\//);
    assert.match(c.name, /^sp-blog-[0-9a-f]{10}$/);
    const env: string[] = c.envs;
    for (const e of ["DATABASE_NAME=blog", "DATABASE_USER=blog", "DATABASE_HOST=172.30.0.1", "DATABASE_PORT=3306",
      "DATABASE_PASSWORD_FILE=/etc/secrets/db_pass", "HASH_SALT_FILE=/etc/secrets/hash_salt", "PRIVATE_DIR=/shared/private",
      "MEMCACHE_HOST=172.30.0.1", "MEMCACHE_PORT=11211", "API_TOKEN_FILE=/etc/secrets/env/API_TOKEN"]) {
      assert.ok(env.includes(e), `env has ${e}: ${env.join(" ")}`);
    }
    assert.doesNotMatch(JSON.stringify(c), /mock-secret|token-value/);
    assert.deepEqual(c.volumes.map((v: { containerPath: string }) => v.containerPath), ["/shared", "/etc/secrets"]);
    assert.equal(c.volumes[1].readOnly, true);
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
    assert.match(byDefault, /^ *probe_address='127\.0\.0\.1'$/m);
    assert.match(byDefault, /^ *probe_port='443'$/m);
    assert.match(byDefault, /^ *probe_seconds='30'$/m);
    assert.match(byDefault, /^ *pending=\('one\.example\.com' 'one\.staging\.example\.com'\)$/m);
    assert.match(byDefault, /^ *first_name='one\.staging\.example\.com'$/m, "a new proxy's first site routes its staging alias alone first");
    assertShellcheckClean(byDefault, "route script with the certificate wait");
    resetRecorded();
    const ipv6 = await routeScript({ proxy: { bindAddress: "::", httpsPort: 8443, certificateWaitSeconds: 45 } }, "two");
    assert.match(ipv6, /^ *probe_address='\[::1\]'$/m);
    assert.match(ipv6, /^ *probe_port='8443'$/m);
    assert.match(ipv6, /^ *probe_seconds='45'$/m);
    resetRecorded();
    assert.match(await routeScript({ proxy: { bindAddress: "10.0.0.5" } }, "three"), /^ *probe_address='10\.0\.0\.5'$/m);
    resetRecorded();
    assert.doesNotMatch(await routeScript({ proxy: { certificateWaitSeconds: 0 } }, "four"), /probe_|openssl/);
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
    const inPlace: string[] = [];
    for (const c of commands) {
      if (c.inputs.triggers === undefined) {
        // Re-run in place (an update): the generation is in the script text.
        assert.ok((c.inputs.create as string).includes(inScript("\n# host generation: 2026-11-26\n")), `${c.name} carries the generation in its script`);
        inPlace.push(c.name);
      } else {
        assert.equal(c.inputs.triggers[0], "2026-11-26", `${c.name} carries the generation`);
      }
    }
    assert.deepEqual(inPlace, ["gsite-database"], "only the database step re-runs in place (its removal drops the user)");
    // Docker objects a wiped host no longer has are made again too, without a refresh.
    const network = findRecorded("docker:index/network:Network", "gen-network").inputs;
    assert.deepEqual(network.labels, [{ label: "simple-paas.generation", value: "2026-11-26" }]);
    for (const image of ["gen-proxy-image", "gsite-image"]) {
      assert.deepEqual(findRecorded("docker:index/remoteImage:RemoteImage", image).inputs.pullTriggers, ["2026-11-26"], `${image} is pulled again`);
    }
    assert.deepEqual(findRecorded("docker:index/container:Container", "gen-proxy").inputs.labels,
      [{ label: "simple-paas.role", value: "proxy" }, { label: "simple-paas.generation", value: "2026-11-26" }]);
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
    assert.match(cron, /^@hourly root .*backup.*solo/m);
    assert.match(cron, /^30 3 \* \* \* root .*prune.*solo/m);
    const final = findRecorded(CMD, "solo-final-backup").inputs;
    assert.match(scriptOf(final.delete), /^'\/usr\/local\/bin\/sp' 'backup' 'solo' '--final'$/m);
    assert.match(scriptOf(final.delete), /if \[ ! -x '\/usr\/local\/bin\/sp' \] \|\| \[ ! -f '\/etc\/simple-paas\/sites\/solo\/site\.env' \]; then/);
    const restore = findRecorded(CMD, "solo-restore-on-create").inputs;
    assert.match(scriptOf(restore.create), /^'\/usr\/local\/bin\/sp' 'restore' 'solo' '--if-fresh'$/m);
    const config = findRecorded(CMD, "solo-config").inputs;
    assert.match(config.create, /SP_TAR_DIR=.*\/var\/backups\/tar\/solo/);
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
      assert.doesNotMatch(String(r.inputs.delete ?? ""), /restic[^\n]*(forget|prune)|rm -rf/, `${r.name} deletes nothing of the repository`);
    }
  });
});
});
