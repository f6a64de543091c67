/**
 * Disaster recovery onto a bare new host at size: the bare-host container
 * of the e2e suite (a Debian 12 with only sshd, scripts/test-env/bare-host.sh;
 * its backups dir outlives it), BENCH_SITES (10) sites with BENCH_FILES_MB
 * (1024) of files in all (two large files a site, the rest in 32 KiB
 * pieces) and BENCH_SQL_MB (200) of rows. Each of BENCH_REPEAT (5) rounds:
 * the host is destroyed and a new empty one started; the README's runbook
 * (new generation, the new host key, `pulumi up`) installs the packages,
 * the services and every site; timed from "host gone" to every site
 * serving its restored data. The floor: restic restore + SQL import of the
 * same snapshots, in parallel, on the old host before it goes (in the
 * first round; the snapshots do not change).
 *
 * Run as root: `npm run bench -- bare-host`.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { BareHost, startBareHost, stopBareHost } from "../test/support/bare-host";
import { HostProgramStack } from "../test/support/engine";
import { ensureServices } from "../test/support/services";
import { STAGING, httpsGet, pebbleRoots, siteConfig } from "../test/e2e/platform-fixture";
import { Figure, describeMachine, figure, intEnv, log, median, saveSection } from "./lib";

const N = intEnv("BENCH_SITES", 10, 1);
const FILES_MB = intEnv("BENCH_FILES_MB", 1024, 1);
const SQL_MB = intEnv("BENCH_SQL_MB", 200, 1);
const REPEAT = intEnv("BENCH_REPEAT", 5, 1);
const SITES = Array.from({ length: N }, (_, i) => `site${String(i + 1).padStart(2, "0")}`);

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("npm run bench -- bare-host runs as root");
  const env = ensureServices();
  const machine = describeMachine();
  let bare: BareHost;
  const hostKeyOf = (b: BareHost) => fs.readFileSync(b.knownHostsFile, "utf8").split("\n").find((l) => / ssh-ed25519 /.test(l))!.split(" ").slice(1, 3).join(" ");
  const onHost = (command: string): string => {
    const r = spawnSync("ssh", ["-i", bare.sshKeyFile, "-p", String(bare.sshPort), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
      "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${bare.knownHostsFile}`, `${bare.sshUser}@${bare.sshHost}`, command],
    { encoding: "utf8", timeout: 30 * 60_000, maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`on the bare host: ${command.slice(0, 200)} failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  stopBareHost({ purge: true });
  bare = startBareHost();
  const registryPassword = fs.readFileSync(env.registryPasswordFile, "utf8").trim();
  let host: Record<string, unknown> = {
    connection: { host: bare.sshHost, port: bare.sshPort, user: bare.sshUser, hostKey: hostKeyOf(bare) },
    stagingDomain: STAGING,
    memcached: { enabled: true, image: `${env.publicRegistry}/memcached:1.6` },
    proxy: {
      image: `${env.publicRegistry}/caddy:2.6`, acmeEmail: "ops@example.com", acmeCa: `https://172.30.0.1:${bare.pebblePort}/dir`,
      acmeCaRootPem: fs.readFileSync(env.pebbleCaCert, "utf8"), httpPort: bare.innerHttpPort, httpsPort: bare.innerHttpsPort, certificateWaitSeconds: 90,
    },
  };
  const secrets = () => ({
    sshPrivateKey: fs.readFileSync(env.sshKeyFile, "utf8"),
    backupKey: "bench-bare-host-backup-key",
    secrets: Object.fromEntries(SITES.map((s) => [s, { registryPassword, env: { API_TOKEN: `token-of-${s}` } }])),
  });
  const sites = SITES.map((s) => siteConfig(s));
  // No scheduled backup or prune fires during the run (they would compete with what is measured).
  const backup = { schedule: "0 4 1 1 *", pruneSchedule: "30 4 1 1 *" };
  const stack = await HostProgramStack.create("benchbare", { host, backup, sites }, secrets());
  const figures: Figure[] = [];
  try {
    log(`bare host: first up, ${N} sites`);
    let t = Date.now();
    await stack.up();
    const firstUp = (Date.now() - t) / 1000;
    const roots = pebbleRoots(env);
    const served = async (site: string, marker: string) => {
      try {
        // A small file: /db would send all of the site's rows every time.
        const r = await httpsGet(`${site}.test`, "/file/bench-marker.txt", roots, { port: bare.httpsPort, timeoutMs: 3000 });
        return r.status === 200 && r.body === `${marker}\n`;
      } catch {
        return false;
      }
    };
    log("data");
    const perSiteRows = Math.round((SQL_MB * 1e6) / N / 120);
    const perSiteMiB = Math.floor(FILES_MB / N);
    const large = Math.floor(perSiteMiB * 0.3);
    for (const s of SITES) {
      const r = await httpsGet(`${s}.test`, `/db?note=marker-${s}`, roots, { method: "POST", port: bare.httpsPort });
      if (r.status !== 200) throw new Error(`${s}: ${r.status} ${r.body}`);
      onHost([
        "set -euo pipefail",
        `d=/sites/${s}/data/public/bench && mkdir -p "$d/small"`,
        `head -c ${large}M /dev/urandom >"$d/large-1.bin"; head -c ${large}M /dev/urandom >"$d/large-2.bin"`,
        `head -c ${perSiteMiB - 2 * large}M /dev/urandom | split -b 32k -a 5 - "$d/small/f"`,
        `echo marker-${s} >/sites/${s}/data/public/bench-marker.txt`,
        `chown -R ${s}:${s} "$d" /sites/${s}/data/public/bench-marker.txt`,
        `mysql -e "INSERT INTO \\\`${s}\\\`.visits (note) SELECT CONCAT('bench-', seq, '-', MD5(seq), MD5(seq + 1), MD5(seq + 2)) FROM \\\`${s}\\\`.seq_1_to_${perSiteRows}"`,
      ].join("\n"));
    }
    onHost("sp backup --all");
    const dataMiB = Math.round(Number(onHost(`du -sb ${SITES.map((s) => `/sites/${s}/data`).join(" ")} | awk '{s+=$1} END {print s}'`)) / 2 ** 20);
    const expected = Object.fromEntries(SITES.map((s) => [s, onHost(`cd /sites/${s}/data && find public private -type f -print0 | sort -z | xargs -0 -r sha256sum | sha256sum; mysql -N -B -e 'CHECKSUM TABLE ${s}.visits EXTENDED'`)]));
    log("floor: restic restore + SQL import on the old host, in parallel");
    const floorScript = [
      "set -euo pipefail", "w=$(mktemp -d /var/tmp/floor.XXXXXX)", "start=$(date +%s.%N)",
      ...SITES.map((s) => `(RESTIC_PASSWORD_FILE=/etc/simple-paas/sites/${s}/backup/restic_pass restic -r /var/backups/simple-paas/${s} restore latest --target "$w/${s}" --quiet && mysql -e 'CREATE DATABASE raw_${s}' && mysql raw_${s} <"$w/${s}/dump/${s}.sql") &`),
      "for j in $(jobs -p); do wait \"$j\"; done", "end=$(date +%s.%N)", `mysql -e '${SITES.map((s) => `DROP DATABASE raw_${s};`).join(" ")}'`, 'rm -rf "$w"', 'echo "$start $end"',
    ].join("\n");
    const floors: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      const [a, b] = onHost(floorScript).trim().split(" ").map(Number);
      floors.push(b - a);
    }
    const recovered: number[] = [];
    const ups: number[] = [];
    for (let round = 0; round < REPEAT; round++) {
      log(`round ${round + 1}: host gone`);
      stopBareHost();
      const gone = Date.now();
      bare = startBareHost();
      host = { ...host, generation: String(round + 2), connection: { ...(host.connection as object), hostKey: hostKeyOf(bare) } };
      await stack.setConfig({ host, backup, sites }, secrets());
      await stack.up();
      ups.push((Date.now() - gone) / 1000);
      for (const s of SITES) {
        for (let i = 0; !(await served(s, `marker-${s}`)); i++) {
          if (i > 600) throw new Error(`round ${round + 1}: ${s} never served its restored data`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      recovered.push((Date.now() - gone) / 1000);
      const preview = await stack.preview();
      if (preview.steps.length) throw new Error(`round ${round + 1}: the preview after the rebuild reports changes:\n${preview.steps.join("\n")}`);
      for (const s of SITES) {
        const now = onHost(`cd /sites/${s}/data && find public private -type f -print0 | sort -z | xargs -0 -r sha256sum | sha256sum; mysql -N -B -e 'CHECKSUM TABLE ${s}.visits EXTENDED'`);
        if (now !== expected[s]) throw new Error(`round ${round + 1}: ${s}'s files or rows differ from the snapshot's`);
      }
    }
    figures.push(figure(`bare new host, ${N} sites (${dataMiB} MiB): host gone → every site serves its restored data, packages included`, "s", recovered,
      { target: "under 180 s", met: median(recovered) < 180, floor: figure("restic restore + SQL import by hand, in parallel, on the old host", "s", floors), ratio: Number((median(recovered) / median(floors)).toFixed(2)) }));
    figures.push(figure("bare new host: host gone → `pulumi up` finished", "s", ups));
    saveSection("bareHost", { machine, figures, data: { sites: N, dataMiB, rowsPerSite: perSiteRows }, firstUpSeconds: firstUp, repeat: REPEAT,
      note: "the new host's packages come from this machine's Debian mirror; the test images from the local registries through SSH tunnels" });
    log("done");
  } finally {
    await stack.destroy().catch((e) => log(`destroy: ${(e as Error).message.slice(0, 300)}`));
    await stack.dispose();
    stopBareHost({ purge: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
