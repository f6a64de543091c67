/**
 * The real Pulumi engine, built from Go modules, with every provider the
 * project uses, against real services: a container from a locally built
 * image pulled through a registry that needs a login, a database + user +
 * grant on MariaDB, a local command and a random password.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { TestProject } from "../support/engine";
import { sh } from "../support/run";
import { ensureServices } from "../support/services";

const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as mysql from "@pulumi/mysql";
import * as command from "@pulumi/command";
import * as random from "@pulumi/random";

const cfg = new pulumi.Config();
const suffix = cfg.require("suffix");
const registry = new docker.Provider("registry", {
  host: "unix:///var/run/docker.sock",
  registryAuth: [{ address: cfg.require("registry"), username: cfg.require("registryUser"), password: cfg.requireSecret("registryPassword") }],
});
const image = new docker.RemoteImage("app", { name: cfg.require("registry") + "/site-app:v1" }, { provider: registry });
const container = new docker.Container("app", {
  name: "sp-smoke-" + suffix,
  image: image.imageId,
  user: "www-data",
  ports: [{ internal: 8080, external: cfg.requireNumber("port"), ip: "127.0.0.1" }],
}, { provider: registry });

const db = new mysql.Provider("db", { endpoint: "127.0.0.1:3306", username: cfg.require("adminUser"), password: cfg.requireSecret("adminPassword") });
const password = new random.RandomPassword("db", { length: 24, special: false });
const database = new mysql.Database("smoke", { name: "smoke_" + suffix }, { provider: db });
const user = new mysql.User("smoke", { user: "smoke_" + suffix, host: "localhost", plaintextPassword: password.result }, { provider: db });
new mysql.Grant("smoke", { user: user.user, host: user.host, database: database.name, privileges: ["ALL PRIVILEGES"] }, { provider: db });
const marker = new command.local.Command("marker", {
  create: "printf made > \\"$MARKER\\"",
  delete: "rm -f \\"$MARKER\\"",
  environment: { MARKER: cfg.require("marker") },
});

export const containerName = container.name;
export const dbPassword = password.result;
export const markerOut = marker.stdout;
`;

describe("the Pulumi engine built from Go modules (smoke test)", function () {
  this.timeout(90 * 60_000);
  const suffix = crypto.randomBytes(3).toString("hex");
  const adminUser = `smoke_admin_${suffix}`;
  const adminPassword = crypto.randomBytes(12).toString("hex");
  const port = 18000 + crypto.randomInt(1000);
  let project: TestProject | undefined;
  let marker = "";

  before(() => {
    const env = ensureServices();
    sh(`mysql`, { stdin: `CREATE USER '${adminUser}'@'localhost' IDENTIFIED BY '${adminPassword}'; GRANT ALL PRIVILEGES ON *.* TO '${adminUser}'@'localhost' WITH GRANT OPTION;\nCREATE USER '${adminUser}'@'127.0.0.1' IDENTIFIED BY '${adminPassword}'; GRANT ALL PRIVILEGES ON *.* TO '${adminUser}'@'127.0.0.1' WITH GRANT OPTION;` });
    // The image must come through the registry, not from the local cache.
    sh(`docker image rm -f ${env.registry}/site-app:v1 >/dev/null 2>&1 || true; docker logout ${env.registry} >/dev/null 2>&1 || true`);
    project = new TestProject("smoke", {
      "Pulumi.yaml": "name: sp-smoke\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n",
      "index.ts": PROGRAM,
      "tsconfig.json": JSON.stringify({ compilerOptions: { target: "ES2022", module: "commonjs", strict: true, esModuleInterop: true, skipLibCheck: true } }),
    });
    marker = `${project.dir}/marker`;
    project.setConfig("suffix", suffix);
    project.setConfig("registry", env.registry);
    project.setConfig("registryUser", env.registryUser);
    project.setConfig("registryPassword", fs.readFileSync(env.registryPasswordFile, "utf8").trim(), true);
    project.setConfig("port", String(port));
    project.setConfig("adminUser", adminUser);
    project.setConfig("adminPassword", adminPassword, true);
    project.setConfig("marker", marker);
  });

  after(() => {
    if (project) {
      project.run(["destroy", "--yes", "--skip-preview"]);
      project.dispose();
    }
    sh(`mysql`, { stdin: `DROP USER IF EXISTS '${adminUser}'@'localhost'; DROP USER IF EXISTS '${adminUser}'@'127.0.0.1'; DROP DATABASE IF EXISTS smoke_${suffix}; DROP USER IF EXISTS 'smoke_${suffix}'@'localhost';` });
  });

  it("pulumi up creates a container that answers, a database only its user sees, a command and a password", () => {
    project!.up();
    const out = project!.outputs();
    assert.equal(out.containerName, `sp-smoke-${suffix}`);
    assert.equal(sh(`docker inspect -f '{{.State.Running}}' sp-smoke-${suffix}`).trim(), "true");
    let body = "";
    for (let i = 0; i < 50 && !body.includes("site-app version v1"); i++) {
      body = sh(`curl -s --max-time 2 http://127.0.0.1:${port}/ || true; sleep 0.2`);
    }
    assert.match(body, /site-app version v1/);
    const dbPassword = String(out.dbPassword);
    assert.equal(dbPassword.length, 24);
    const dbs = sh(`MYSQL_PWD="$P" mysql -u smoke_${suffix} -N -e 'SHOW DATABASES'`, { env: { ...process.env, P: dbPassword } });
    assert.deepEqual(dbs.trim().split("\n").filter((d) => d !== "information_schema"), [`smoke_${suffix}`]);
    assert.equal(fs.readFileSync(marker, "utf8"), "made");
    assert.equal(out.markerOut, "");
  });

  it("a second pulumi up changes nothing", () => {
    const steps = project!.previewSteps();
    const changes = steps.filter((s) => s.op !== "same");
    assert.deepEqual(changes, [], `no changes expected: ${JSON.stringify(changes)}`);
    project!.mustRun(["up", "--yes", "--expect-no-changes"]);
  });

  it("pulumi destroy removes everything it made", () => {
    project!.destroy();
    assert.equal(sh(`docker ps -a --filter name=^sp-smoke-${suffix}$ --format '{{.Names}}'`).trim(), "");
    assert.equal(sh(`mysql -N -e "SHOW DATABASES LIKE 'smoke_${suffix}'"`).trim(), "");
    assert.equal(sh(`mysql -N -e "SELECT COUNT(*) FROM mysql.user WHERE user = 'smoke_${suffix}'"`).trim(), "0");
    assert.equal(fs.existsSync(marker), false);
  });
});
