/**
 * Checks, for real, the services and images scripts/test-env/*.sh provide to
 * the integration and e2e tests.
 */
import * as assert from "node:assert/strict";
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { ensureServices, registryPassword, TEST_IMAGES, TestEnv } from "../support/services";

function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, {
    input: opts.input ?? "",
    env: opts.env ?? process.env,
    encoding: "utf8",
    timeout: 5 * 60_000,
  });
  if (r.error) throw r.error;
  return r;
}

/** Runs a command; throws with its output unless it exits 0. Returns stdout. */
function ok(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = run(cmd, args, opts);
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} exited ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** GETs a URL until it answers (bounded), then returns status and body. */
async function getWhenUp(url: string, timeoutMs = 30_000): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      // short per-try timeout: until the container's network is up, docker-proxy
      // may hold a connection without answering
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return { status: res.status, body: await res.text() };
    } catch (e) {
      last = e;
      await sleep(250);
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000}s: ${String(last)}`);
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text() };
}

/** HTTPS GET with Node's own TLS verification (optionally against `ca`). */
function httpsGet(url: string, ca?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`timeout: ${url}`)));
    req.on("error", reject);
  });
}

describe("test environment (scripts/test-env)", function () {
  this.timeout(45 * 60_000);

  let env: TestEnv;
  const containers: string[] = [];
  const tmpDirs: string[] = [];

  before(function () {
    env = ensureServices();
  });

  after(function () {
    for (const name of containers) run("docker", ["rm", "-f", "-v", name]);
    for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("writes the env file with the facts tests need", function () {
    assert.equal(env.registry, "127.0.0.1:5000");
    assert.equal(env.registryUser, "sp-test");
    assert.equal(env.pebbleDirectoryUrl, "https://127.0.0.1:14000/dir");
    assert.equal(env.pebbleManagementUrl, "https://127.0.0.1:15000");
    assert.deepEqual([env.sshHost, env.sshPort, env.sshUser], ["127.0.0.1", 2222, "root"]);
    for (const f of [env.registryPasswordFile, env.pebbleCaCert, env.sshKeyFile, env.sshKnownHostsFile]) {
      assert.ok(fs.existsSync(f), `${f} exists`);
    }
    assert.equal(fs.statSync(env.registryPasswordFile).mode & 0o077, 0, "registry password file is private");
    assert.ok(registryPassword(env).length >= 32, "registry password is long and random");
  });

  it("runs site-app:v1 as www-data on a published 127.0.0.1 port", async function () {
    const name = `sp-test-env-${process.pid}-${Date.now()}`;
    containers.push(name);
    ok("docker", [
      "run", "-d", "--name", name,
      "--label", "simple-paas-test.owner=test-env.test.ts",
      "-p", "127.0.0.1::8080",
      "-e", "SITE_NAME=test-env",
      TEST_IMAGES.siteAppV1,
    ]);
    const mapping = ok("docker", ["port", name, "8080/tcp"]).trim().split("\n")[0];
    const m = /^127\.0\.0\.1:(\d+)$/.exec(mapping);
    assert.ok(m, `published on 127.0.0.1 only, got ${JSON.stringify(mapping)}`);
    const base = `http://127.0.0.1:${m[1]}`;

    const health = await getWhenUp(`${base}/health`);
    assert.equal(health.status, 200);
    assert.equal(health.body.trim(), "ok");

    const root = await get(`${base}/`);
    assert.equal(root.status, 200);
    assert.match(root.body, /site-app version v1\b/);
    assert.match(root.body, /test-env/);

    const who = await get(`${base}/whoami`);
    assert.equal(who.status, 200);
    const ids = JSON.parse(who.body) as { uid: number; gid: number };
    assert.deepEqual([ids.uid, ids.gid], [33, 33], "runs as www-data (33:33)");
    assert.equal(ok("docker", ["exec", name, "id", "-un"]).trim(), "www-data");

    // isolation helper: an unreadable file answers 403 with the error
    const denied = await get(`${base}/read?path=/etc/shadow`);
    assert.equal(denied.status, 403);
    assert.match(denied.body, /Permission denied/);
  });

  it("needs a docker login to pull 127.0.0.1:5000/site-app:v2 from the registry", function () {
    const image = `${env.registry}/site-app:v2`;
    // A private client config: the machine's ~/.docker/config.json is not used.
    const cfg = fs.mkdtempSync(path.join(os.tmpdir(), "sp-docker-config-"));
    tmpDirs.push(cfg);
    const dockerEnv = { ...process.env, DOCKER_CONFIG: cfg };

    const anonymous = run("docker", ["pull", image], { env: dockerEnv });
    assert.notEqual(anonymous.status, 0, `pull without login must fail:\n${anonymous.stdout}`);
    assert.match(anonymous.stderr, /no basic auth credentials|unauthorized|authentication required/i);

    const wrong = run("docker", ["login", env.registry, "--username", env.registryUser, "--password-stdin"], {
      env: dockerEnv,
      input: "not-the-password\n",
    });
    assert.notEqual(wrong.status, 0, "login with a wrong password must fail");

    ok("docker", ["login", env.registry, "--username", env.registryUser, "--password-stdin"], {
      env: dockerEnv,
      input: registryPassword(env),
    });
    try {
      const pulled = ok("docker", ["pull", image], { env: dockerEnv });
      assert.match(pulled, /Digest: sha256:[0-9a-f]{64}/);
      const version = ok("docker", ["image", "inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", image]);
      assert.match(version, /^APP_VERSION=v2$/m);
    } finally {
      ok("docker", ["logout", env.registry], { env: dockerEnv });
    }
  });

  it("serves pebble's ACME directory over TLS verified with the listener CA", async function () {
    const ca = fs.readFileSync(env.pebbleCaCert);
    const dir = await httpsGet(env.pebbleDirectoryUrl, ca);
    assert.equal(dir.status, 200);
    const directory = JSON.parse(dir.body) as Record<string, unknown>;
    for (const key of ["newNonce", "newAccount", "newOrder"]) {
      assert.equal(typeof directory[key], "string", `directory has ${key}`);
    }
    // the verification is real: without the CA the certificate is rejected
    await assert.rejects(httpsGet(env.pebbleDirectoryUrl), /self[- ]signed|unable to (get|verify)|certificate/i);
    // and the management API hands out the root that signs issued certificates
    const root = await httpsGet(`${env.pebbleManagementUrl}/roots/0`, ca);
    assert.equal(root.status, 200);
    assert.match(root.body, /-----BEGIN CERTIFICATE-----/);
  });

  it("accepts ssh as root with the generated key on 127.0.0.1:2222 only", function () {
    const sshArgs = [
      "-i", env.sshKeyFile,
      "-p", String(env.sshPort),
      "-o", "BatchMode=yes",
      "-o", "IdentitiesOnly=yes",
      "-o", "StrictHostKeyChecking=yes",
      "-o", `UserKnownHostsFile=${env.sshKnownHostsFile}`,
      "-o", "ConnectTimeout=10",
    ];
    ok("ssh", [...sshArgs, `${env.sshUser}@${env.sshHost}`, "true"]);
    assert.equal(ok("ssh", [...sshArgs, `${env.sshUser}@${env.sshHost}`, "id -u"]).trim(), "0");

    // no password logins
    const noKey = run("ssh", [
      "-p", String(env.sshPort),
      "-o", "BatchMode=yes",
      "-o", "PubkeyAuthentication=no",
      "-o", "StrictHostKeyChecking=yes",
      "-o", `UserKnownHostsFile=${env.sshKnownHostsFile}`,
      `${env.sshUser}@${env.sshHost}`, "true",
    ]);
    assert.notEqual(noKey.status, 0, "login without the key must fail");

    const listeners = ok("ss", ["-Hltn", `sport = :${env.sshPort}`])
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => l.trim().split(/\s+/)[3]);
    assert.deepEqual(listeners, [`127.0.0.1:${env.sshPort}`]);
  });

  it("has MariaDB and cron running", function () {
    assert.match(ok("mysqladmin", ["--connect-timeout=5", "ping"]), /alive/);
    assert.equal(ok("mysql", ["-N", "-B", "-e", "SELECT 1"]).trim(), "1");
    const cronPid = ["/run/crond.pid", "/var/run/crond.pid"]
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f, "utf8").trim())[0];
    assert.ok(cronPid, "cron wrote its pid file");
    assert.equal(fs.readFileSync(`/proc/${cronPid}/comm`, "utf8").trim(), "cron");
  });
});
