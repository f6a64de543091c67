/**
 * Disaster recovery onto a bare new host, through the real engine: a fresh
 * Debian 12 system with nothing but openssh-server (a container made from a
 * debootstrap minbase, scripts/test-env/bare-host.sh), reached over SSH on a
 * loopback port. HostBootstrap installs docker, MariaDB, restic, cron and
 * the proxy there from Debian's packages; three sites get data and backups
 * (their repositories on a disk that outlives the host); the host is then
 * destroyed and a new, empty one takes its place; a new generation and
 * `pulumi up` bring every site back.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { spawnSync } from "node:child_process";
import { BareHost, startBareHost, stopBareHost } from "../support/bare-host";
import { HostProgramStack } from "../support/engine";
import { TestEnv, ensureServices } from "../support/services";
import { SITES, STAGING, eventually, hostDiagnostics, httpsGet, pebbleRoots, siteConfig } from "./platform-fixture";

describe("a bare new host: installed over SSH from nothing, then rebuilt from its backups", function () {
  this.timeout(90 * 60_000);
  let env: TestEnv;
  let bare: BareHost;
  let stack: HostProgramStack | undefined;
  let host: Record<string, unknown>;
  let roots = "";

  /** The bare host's SSH key as the config pins it (a new host has a new one). */
  const hostKeyOf = (b: BareHost) => {
    const line = fs.readFileSync(b.knownHostsFile, "utf8").split("\n").find((l) => / ssh-ed25519 /.test(l));
    if (!line) throw new Error(`no ssh-ed25519 key in ${b.knownHostsFile}`);
    return line.split(" ").slice(1, 3).join(" ");
  };

  /** A command on the bare host, over SSH (its host key checked). */
  function onHost(command: string, stdin = ""): string {
    const r = spawnSync("ssh", [
      "-i", bare.sshKeyFile, "-p", String(bare.sshPort), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
      "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${bare.knownHostsFile}`, `${bare.sshUser}@${bare.sshHost}`, command,
    ], { input: stdin, encoding: "utf8", timeout: 10 * 60_000, maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`on the bare host: ${command} failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  const serve = (site: string, path: string, method = "GET") =>
    httpsGet(`${site}.test`, path, roots, { method, port: bare.httpsPort }).then((r) => { if (r.status !== 200) throw new Error(`${r.status} ${r.body}`); return r; });

  function diagnostics(): string {
    try {
      return [
        "--- bare host: docker ps -a", onHost("docker ps -a --format '{{.Names}} {{.Status}}' 2>&1 || true"),
        "--- bare host: proxy log", onHost("docker logs --tail 60 simple-paas-proxy 2>&1 || true"),
        "--- bare host: its sshd's log", spawnSync("docker", ["logs", "--tail", "60", bare.container], { encoding: "utf8" }).stderr,
        hostDiagnostics(env.stateDir),
      ].join("\n");
    } catch (e) {
      return `(no diagnostics from the bare host: ${(e as Error).message})`;
    }
  }

  before(async () => {
    env = ensureServices();
    stopBareHost({ purge: true });
    bare = startBareHost();
    host = {
      connection: { host: bare.sshHost, port: bare.sshPort, user: bare.sshUser, hostKey: hostKeyOf(bare) },
      stagingDomain: STAGING,
      memcached: { enabled: true, image: `${env.publicRegistry}/memcached:1.6` },
      proxy: {
        // Both registries and pebble reach the bare host through its SSH tunnels, at the addresses a real host would use.
        image: `${env.publicRegistry}/caddy:2.6`,
        acmeEmail: "ops@example.com",
        acmeCa: `https://172.30.0.1:${bare.pebblePort}/dir`,
        acmeCaRootPem: fs.readFileSync(env.pebbleCaCert, "utf8"),
        httpPort: bare.innerHttpPort,
        httpsPort: bare.innerHttpsPort,
        certificateWaitSeconds: 90,
      },
    };
    const registryPassword = fs.readFileSync(env.registryPasswordFile, "utf8").trim();
    stack = await HostProgramStack.create("barehost", { host, backup: {}, sites: SITES.map((s) => siteConfig(s)) }, {
      sshPrivateKey: fs.readFileSync(env.sshKeyFile, "utf8"),
      backupKey: "e2e-bare-host-backup-key",
      secrets: Object.fromEntries(SITES.map((s) => [s, { registryPassword, env: { API_TOKEN: `token-of-${s}` } }])),
    });
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(`--- diagnostics for "${this.currentTest.title}"\n${diagnostics()}`);
  });

  after(async () => {
    try {
      if (stack) {
        await stack.destroy().catch((e) => console.log(`destroy of the bare host stack failed: ${(e as Error).message}`));
        await stack.dispose();
      }
    } finally {
      stopBareHost({ purge: true });
    }
  });

  async function upWithoutChanges(): Promise<void> {
    await stack!.up();
    const preview = await stack!.preview();
    assert.deepEqual(preview.steps, [], `after pulumi up, a preview still reports changes:\n${preview.output}`);
  }

  it("installs everything on a host that has only sshd, and serves three sites over HTTPS", async () => {
    assert.throws(() => onHost("command -v docker"), /failed/, "the host starts without docker");
    const started = Date.now();
    await upWithoutChanges();
    console.log(`      bare host set up from nothing in ${((Date.now() - started) / 60_000).toFixed(1)} min (packages, services, proxy, three sites)`);
    roots = pebbleRoots(env);
    for (const site of SITES) {
      const page = await eventually(() => serve(site, "/"), 90, 1000);
      assert.match(page.body, /site-app version v1/);
      assert.match(page.certIssuer ?? "", /Pebble/i);
    }
  });

  it("brings every site's rows and files back onto a new bare host, from repositories that outlived the old one", async () => {
    const expected: Record<string, { rows: string; files: string }> = {};
    for (const site of SITES) {
      await serve(site, `/db?note=bare-${site}`, "POST");
      onHost(`head -c 2M /dev/urandom >/sites/${site}/data/public/bare.bin && echo bare-${site} >/sites/${site}/data/public/bare.txt && chown ${site}:${site} /sites/${site}/data/public/bare.*`);
    }
    onHost("sp backup --all");
    for (const site of SITES) {
      expected[site] = {
        rows: onHost(`mysql -N -B -e 'SELECT note FROM ${site}.visits ORDER BY id'`),
        files: onHost(`cd /sites/${site}/data && find public private -type f -print0 | sort -z | xargs -0 -r sha256sum`),
      };
      assert.match(expected[site].rows, new RegExp(`bare-${site}`));
    }
    // The host is gone: container and its disk. Only the backup disk stays.
    stopBareHost();
    const gone = Date.now();
    bare = startBareHost();
    assert.throws(() => onHost("command -v docker"), /failed/, "the new host has nothing installed");
    // The runbook: a new generation (and the new host's key), then pulumi up.
    host = { ...host, generation: "2", connection: { ...(host.connection as object), hostKey: hostKeyOf(bare) } };
    await stack!.setConfig({ host, backup: {}, sites: SITES.map((s) => siteConfig(s)) }, {
      sshPrivateKey: fs.readFileSync(env.sshKeyFile, "utf8"),
      backupKey: "e2e-bare-host-backup-key",
      secrets: Object.fromEntries(SITES.map((s) => [s, {
        registryPassword: fs.readFileSync(env.registryPasswordFile, "utf8").trim(), env: { API_TOKEN: `token-of-${s}` },
      }])),
    });
    await stack!.up();
    for (const site of SITES) {
      const page = await eventually(() => serve(site, "/db"), 120, 500);
      assert.match(page.body, new RegExp(`bare-${site}`));
    }
    const minutes = (Date.now() - gone) / 60_000;
    console.log(`      bare host rebuilt: host gone -> every site serves its restored content in ${minutes.toFixed(1)} min (a new Debian with only sshd; packages from Debian's mirror)`);
    for (const site of SITES) {
      assert.equal(onHost(`mysql -N -B -e 'SELECT note FROM ${site}.visits ORDER BY id'`), expected[site].rows, `${site}: rows`);
      assert.equal(onHost(`cd /sites/${site}/data && find public private -type f -print0 | sort -z | xargs -0 -r sha256sum`), expected[site].files, `${site}: files`);
    }
    const preview = await stack!.preview();
    assert.deepEqual(preview.steps, [], `after the rebuild, a preview still reports changes:\n${preview.output}`);
  });
});
