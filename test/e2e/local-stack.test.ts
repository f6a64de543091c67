/**
 * The README's quick start, through the real engine: `npm run up -- --yes`
 * (scripts/local-up.sh) brings up the `local` stack (this machine is the
 * host, the demo site), a preview then reports no changes, `npm run down`
 * followed by `npm run up` brings the demo site's rows and files back from
 * its backup, and a last `npm run down` leaves no container, network,
 * database or database user behind. The repository's tree stays clean.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { sh } from "../support/run";
import { ensureToolchain } from "../support/engine";
import { HttpAnswer, eventually, hostDiagnostics, rootSql } from "./platform-fixture";
import * as https from "node:https";

const REPO = path.resolve(__dirname, "..", "..");

/** The images `npm run up` builds for the local stack (stacks/Pulumi.local.yaml and their base). */
const LOCAL_STACK_IMAGES = ["simple-paas-local/site-app:v1", "simple-paas-local/caddy:2.6", "simple-paas-local/memcached:1.6", "simple-paas-local/minbase:bookworm"];

/**
 * The environment of `npm run` as on a machine where the tests never ran:
 * the test services' state dir (their env file: registry, pebble, sshd) is
 * an empty directory, and the toolchain's bin dir stays off the PATH, so the
 * script must find or build the engine itself.
 */
function userEnv(home: string, emptyTestState: string): NodeJS.ProcessEnv {
  return { ...process.env, SIMPLE_PAAS_HOME: home, SP_TEST_STATE_DIR: emptyTestState };
}

/** `npm run up|down|preview` as a user runs it, without a terminal. */
function npmRunRaw(env: NodeJS.ProcessEnv, args: string[]) {
  const r = spawnSync("npm", ["run", "--silent", ...args], {
    cwd: REPO, encoding: "utf8", timeout: 20 * 60_000, maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"], env,
  });
  return { status: r.status, signal: r.signal, out: `${r.stdout}${r.stderr}` };
}

let runEnv: NodeJS.ProcessEnv = process.env;

/** `npm run ...` that must succeed; throws with its output (and the host's state) when it fails. */
function npmRun(args: string[]): string {
  const r = npmRunRaw(runEnv, args);
  if (r.status !== 0) throw new Error(`npm run ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.out}\n${hostDiagnostics()}`);
  return r.out;
}

function dockerAnswers(): boolean {
  return spawnSync("timeout", ["10", "docker", "info"], { stdio: "ignore" }).status === 0;
}

/** One request to the demo site on the proxy's loopback port; Caddy's internal CA signs it. */
function demoGet(urlPath: string, method = "GET"): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: "127.0.0.1", port: 8443, path: urlPath, method, servername: "demo.localhost", headers: { host: "demo.localhost" },
      rejectUnauthorized: false, timeout: 5000, agent: false,
    }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => { body += c; });
      res.on("end", () => {
        const issuer = (res.socket as import("node:tls").TLSSocket).getPeerCertificate?.()?.issuer?.CN;
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers, certIssuer: Array.isArray(issuer) ? issuer.join(",") : issuer });
      });
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

const ok = (p: Promise<HttpAnswer>) => p.then((r) => { if (r.status !== 200) throw new Error(`${r.status}: ${r.body}`); return r; });

function leftovers(): string[] {
  const found: string[] = [];
  if (!dockerAnswers()) return found;
  if (sh("docker ps -aq --filter label=simple-paas.site=demo").trim()) found.push("the demo container");
  if (sh("docker ps -aq --filter name=^simple-paas-proxy$").trim()) found.push("the proxy container");
  if (sh("docker network ls -q --filter label=simple-paas.generation").trim()) found.push("a simple-paas network");
  if (sh("docker ps -aq --filter label=simple-paas.memcached").trim()) found.push("a memcached container");
  if (spawnSync("mysqladmin", ["--protocol=socket", "ping"], { stdio: "ignore" }).status !== 0) return found;
  if (rootSql("SHOW DATABASES LIKE 'demo'").trim()) found.push("the demo database");
  if (rootSql("SELECT COUNT(*) FROM mysql.user WHERE User IN ('demo', 'simple_paas_admin')").trim() !== "0") found.push("a database user");
  return found;
}

describe("the local stack from the README (npm run up / down)", function () {
  this.timeout(60 * 60_000);
  let home = "";
  let emptyTestState = "";
  let gitStatus = "";

  before(() => {
    // The engine is a cache every suite shares (built from ../shared/engine-src);
    // nothing else of the test environment is started or read here.
    ensureToolchain();
    home = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sp-local-")), "home");
    emptyTestState = fs.mkdtempSync(path.join(os.tmpdir(), "sp-no-test-env-"));
    runEnv = userEnv(home, emptyTestState);
    // A demo site or repository left by an earlier run (made with another backup key).
    if (leftovers().length > 0) sh("docker rm -f $(docker ps -aq --filter label=simple-paas.site=demo) $(docker ps -aq --filter label=simple-paas.memcached=demo) simple-paas-proxy 2>/dev/null || true; docker network rm simple-paas simple-paas-demo 2>/dev/null || true");
    sh("rm -rf /var/backups/simple-paas/demo /sites/demo /etc/simple-paas/sites/demo");
    // As on a machine where the local stack's images were never built.
    if (dockerAnswers()) sh(`docker rmi -f ${LOCAL_STACK_IMAGES.join(" ")} 2>/dev/null || true`);
    gitStatus = sh("git status --porcelain", { env: { ...process.env, GIT_DIR: path.join(REPO, ".git"), GIT_WORK_TREE: REPO } });
  });

  after(() => {
    try {
      if (leftovers().length > 0) npmRun(["down", "--", "--yes"]);
    } finally {
      fs.rmSync(path.dirname(home), { recursive: true, force: true });
      fs.rmSync(emptyTestState, { recursive: true, force: true });
    }
  });

  for (const action of ["preview", "down"]) {
    it(`npm run ${action} where nothing was set up says so, exits 1 and changes nothing`, () => {
      const r = npmRunRaw(runEnv, action === "down" ? ["down", "--", "--yes"] : ["preview"]);
      assert.equal(r.status, 1, r.out);
      assert.match(r.out, /the local stack was never set up on this machine \(no state in \S+\): run `npm run up` first; nothing changed/);
      assert.equal(fs.existsSync(home), false, `nothing was created (${home})`);
      assert.deepEqual(fs.readdirSync(emptyTestState), [], "nothing written where the test services keep their state");
    });
  }

  it("refuses to change anything without a terminal unless given --yes, and says how", () => {
    const r = npmRunRaw(runEnv, ["up"]);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /no terminal to ask on: run `npm run up -- --yes`/);
    assert.equal(fs.existsSync(home), false, "nothing was created");
  });

  it("npm run up on a machine where nothing ran before serves the demo site over HTTPS, prints its URL, and a preview then shows no changes", async () => {
    for (const image of LOCAL_STACK_IMAGES) {
      assert.equal(spawnSync("docker", ["image", "inspect", image], { stdio: "ignore" }).status, 1, `${image} is not there before the first up`);
    }
    const out = npmRun(["up", "--", "--yes"]);
    assert.match(out, /simple-paas-local\/site-app:v1: docker build/, "the demo image was built by npm run up itself");
    assert.deepEqual(fs.readdirSync(emptyTestState), [], "the test services' state dir was never written");
    assert.match(out, /^ {2}demo: https:\/\/demo\.localhost:8443$/m, "ends with the site's URL");
    const page = await eventually(() => ok(demoGet("/")), 60, 1000);
    assert.match(page.body, /site-app version v1/);
    assert.match(page.certIssuer ?? "", /Caddy Local Authority/);
    const preview = npmRun(["preview", "--", "--expect-no-changes"]);
    assert.doesNotMatch(preview, /error/i, preview);
    assert.ok(fs.existsSync(path.join(home, "backup-key")) && fs.existsSync(path.join(home, "passphrase")), "key and passphrase kept beside the state");
    assert.equal(sh("git status --porcelain", { env: { ...process.env, GIT_DIR: path.join(REPO, ".git"), GIT_WORK_TREE: REPO } }), gitStatus,
      "the repository's tree is as it was");
  });

  it("npm run down, then npm run up, brings the demo site's rows and files back from its backup", async () => {
    assert.equal((await ok(demoGet("/db?note=kept-through-destroy", "POST"))).status, 200);
    fs.writeFileSync("/sites/demo/data/public/kept.txt", "kept\n");
    const down = npmRun(["down", "--", "--yes"]);
    assert.match(down, /destroyed; the sites' backups stay/);
    assert.deepEqual(leftovers(), [], "down leaves nothing but the backups");
    assert.equal(fs.existsSync("/sites/demo/data"), false, "the demo data dir went with it (deleteDataOnDestroy)");
    npmRun(["up", "--", "--yes"]);
    const rows = await eventually(() => ok(demoGet("/db")), 60, 1000);
    assert.match(rows.body, /kept-through-destroy/);
    assert.equal((await ok(demoGet("/file/kept.txt"))).body, "kept\n");
  });

  it("a last npm run down leaves no container, network, database or user behind", () => {
    npmRun(["down", "--", "--yes"]);
    assert.deepEqual(leftovers(), []);
  });

  it("an up whose backup key does not open the demo's repository stops at its restore, naming the repository and what to do", async () => {
    const rightKey = fs.readFileSync(path.join(home, "backup-key"), "utf8");
    fs.writeFileSync(path.join(home, "backup-key"), "not the key the repository was made with\n");
    const started = Date.now();
    assert.throws(() => npmRun(["up", "--", "--yes"]), (err: Error) => {
      assert.match(err.message, /the restic repository \/var\/backups\/simple-paas\/demo exists but \S+restic_pass does not open it: it was made with another password\. Set the key it was made with \(simple-paas:backupKey/);
      return true;
    });
    console.log(`      the up with the wrong key failed after ${((Date.now() - started) / 1000).toFixed(0)} s (packages and host steps included)`);
    assert.equal(sh("docker ps -aq --filter label=simple-paas.site=demo").trim(), "", "no container started over an unrestored site");
    // What the message says to do: the right key back, up again.
    fs.writeFileSync(path.join(home, "backup-key"), rightKey);
    npmRun(["up", "--", "--yes"]);
    const rows = await eventually(() => ok(demoGet("/db")), 60, 1000);
    assert.match(rows.body, /kept-through-destroy/);
    npmRun(["down", "--", "--yes"]);
    assert.deepEqual(leftovers(), []);
  });
});
