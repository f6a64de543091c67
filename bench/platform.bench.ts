/**
 * The platform at a realistic size, through the real engine (the e2e
 * fixture: index.ts run by the real CLI and providers, this machine as the
 * host, pebble as the ACME server), each scenario against its floor in the
 * same run:
 *
 *   overhead  what the platform itself runs at rest (proxy, memcached, cron)
 *   backups   `sp backup --all` vs raw mysqldump + restic backup, site by
 *             site: full (new repositories), incremental with nothing
 *             changed, incremental with 1 % of files and rows changed
 *   recovery  a wiped host (packages stay) back by the README's runbook
 *             (new generation, `pulumi up`) until every site serves its
 *             restored data, vs restic restore + SQL import of the same
 *             snapshots by hand, in parallel; with the `up`'s timeline
 *   update    one site's image update under ~20 requests/s: failed
 *             requests and p50/p99 latency, vs the original scripts'
 *             stop / rm / run of the container, the same way
 *
 * BENCH_SITES (10) sites, BENCH_FILES_MB (1024) of files in all (a few
 * large, many small), BENCH_SQL_MB (200) of rows in all, BENCH_REPEAT (5)
 * rounds of each. Pairs alternate which side goes first. The page cache is
 * warm for both sides (the same files and repositories are read in every
 * round); nothing is dropped. Run as root: `npm run bench -- platform`.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { EngineEvent } from "@pulumi/pulumi/automation";
import {
  HTTPS_PORT, Platform, assertNoChanges, createPlatform, disposePlatform, dropSiteDatabases, eventually, httpsGet, pebbleRoots, rootSql,
} from "../test/e2e/platform-fixture";
import { sh } from "../test/support/run";
import { BENCH_DIR, Figure, againstFloor, describeMachine, figure, intEnv, log, median, percentile, saveSection, startLoad } from "./lib";

const N = intEnv("BENCH_SITES", 10, 1);
const FILES_MB = intEnv("BENCH_FILES_MB", 1024, 1);
const SQL_MB = intEnv("BENCH_SQL_MB", 200, 1);
const REPEAT = intEnv("BENCH_REPEAT", 5, 1);
const SITES = Array.from({ length: N }, (_, i) => `site${String(i + 1).padStart(2, "0")}`);
const RAW_REPOS = "/var/backups/sp-bench-raw";
const RAW_DUMPS = "/var/tmp/sp-bench-raw-dumps";
const DUMP_FLAGS = "--single-transaction --routines --triggers --events --hex-blob --skip-dump-date --default-character-set=utf8mb4";

const seconds = (fn: () => void): number => {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
};

/** Per site: two large files (30 % of its share each) and small ones of 4–60 KiB for the rest; random bytes. */
function writeFiles(site: string, bytes: number): number {
  const dir = `/sites/${site}/data/public/bench`;
  fs.mkdirSync(dir, { recursive: true });
  let left = bytes;
  const large = Math.floor(bytes * 0.3);
  for (const n of [1, 2]) {
    fs.writeFileSync(`${dir}/large-${n}.bin`, crypto.randomBytes(large));
    left -= large;
  }
  let count = 2;
  for (let i = 0; left > 0; i++) {
    const size = Math.min(left, 4096 + crypto.randomInt(56 * 1024));
    const sub = `${dir}/d${Math.floor(i / 200)}`;
    if (i % 200 === 0) fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(`${sub}/f${i}.bin`, crypto.randomBytes(size));
    left -= size;
    count++;
  }
  sh(`chown -R ${site}:${site} ${dir}`);
  return count;
}

function smallFiles(site: string): string[] {
  return sh(`find /sites/${site}/data/public/bench -name 'f*.bin' | sort`).trim().split("\n");
}

/** Rewrites 1 % of a site's small files (same sizes) and updates 1 % of its rows. */
function changeOnePercent(site: string, rows: number): void {
  const files = smallFiles(site);
  for (let i = 0; i < Math.ceil(files.length / 100); i++) {
    const f = files[crypto.randomInt(files.length)];
    fs.writeFileSync(f, crypto.randomBytes(fs.statSync(f).size));
  }
  rootSql(`UPDATE \`${site}\`.visits SET note = CONCAT('changed-', MD5(RAND())) WHERE id % 100 = ${crypto.randomInt(100)} LIMIT ${Math.ceil(rows / 100)}`);
}

function treeHash(site: string): string {
  return crypto.createHash("sha256").update(sh(`cd /sites/${site}/data && find public private -type f -print0 | sort -z | xargs -0 -r sha256sum`)).digest("hex");
}

function rowsHash(site: string): string {
  return rootSql(`CHECKSUM TABLE \`${site}\`.visits EXTENDED`).trim().split(/\s+/).pop() ?? "";
}

const resticEnv = (site: string) => `RESTIC_PASSWORD_FILE=/etc/simple-paas/sites/${site}/backup/restic_pass`;

/** The raw side of a backup: for each site in turn, the same dump and the same restic backup by hand. */
function rawBackupAll(init: boolean): void {
  const script = SITES.map((s) => [
    init ? `${resticEnv(s)} restic -r ${RAW_REPOS}/${s} init >/dev/null` : "",
    `mkdir -p ${RAW_DUMPS}/${s}/dump`,
    `mysqldump ${DUMP_FLAGS} ${s} >${RAW_DUMPS}/${s}/dump/${s}.sql`,
    `${resticEnv(s)} restic -r ${RAW_REPOS}/${s} backup --quiet --exclude-if-present CACHEDIR.TAG --exclude /sites/${s}/data/tmp /sites/${s}/data ${RAW_DUMPS}/${s}/dump`,
  ].filter(Boolean).join("\n")).join("\n");
  sh(`set -euo pipefail\n${script}`);
}

/** The floor of a recovery: restic restore of every site's latest snapshot + its SQL import, by hand, all sites at once. */
function rawRestoreAll(): number {
  const work = fs.mkdtempSync("/var/tmp/sp-bench-restore-");
  const perSite = SITES.map((s) => [
    `(set -euo pipefail`,
    `${resticEnv(s)} restic -r /var/backups/simple-paas/${s} restore latest --target ${work}/${s} --quiet`,
    `mysql -e 'CREATE DATABASE raw_${s}'`,
    `mysql raw_${s} <${work}/${s}/dump/${s}.sql) &`,
  ].join("\n"));
  const script = `set -euo pipefail\n${perSite.join("\n")}\nfor job in $(jobs -p); do wait "$job"; done`;
  try {
    return seconds(() => sh(script));
  } finally {
    sh(`mysql -e '${SITES.map((s) => `DROP DATABASE IF EXISTS raw_${s};`).join(" ")}'`);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The wipe of test/e2e/recovery.test.ts: everything of the platform on the host but the repositories and the packages. */
function wipeHost(platform: Platform): void {
  sh(`docker rm -f $(docker ps -aq --filter label=simple-paas.site) $(docker ps -aq --filter label=simple-paas.memcached) simple-paas-proxy`);
  sh(`for n in $(docker network ls -q --filter label=simple-paas.generation); do docker network rm "$n"; done; docker volume rm simple-paas-proxy-data`);
  sh(`docker image rm ${platform.env.registry}/site-app:v1 ${platform.env.publicRegistry}/caddy:2.6 ${platform.env.publicRegistry}/memcached:1.6`);
  dropSiteDatabases(SITES);
  rootSql("DROP USER 'simple_paas_admin'@'127.0.0.1'; DROP USER 'simple_paas_admin'@'localhost';");
  sh("rm -rf /sites /etc/simple-paas /etc/cron.d/simple-paas-* /usr/local/bin/sp /var/lib/simple-paas");
}

/**
 * Polls every site until it serves its restored marker file; seconds from `since` to each site's first good
 * answer. The restore (files and rows) is done before the site's container starts; the rows are checked after.
 */
async function firstServes(roots: string, since: number, stop: { done: boolean }): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  await Promise.all(SITES.map(async (s) => {
    while (!stop.done) {
      try {
        // A small file: /db would send all of the site's rows every time.
        const r = await httpsGet(`${s}.test`, "/file/bench-marker.txt", roots, { timeoutMs: 3000 });
        if (r.status === 200 && r.body === `marker-${s}\n`) { out[s] = (Date.now() - since) / 1000; return; }
      } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 200));
    }
  }));
  return out;
}

/** Each step's start and end in the engine's events, as seconds from the first event. */
function stepsTimeline(events: EngineEvent[]): { name: string; op: string; start: number; end: number }[] {
  const starts = new Map<string, { op: string; at: number }>();
  const steps: { name: string; op: string; start: number; end: number }[] = [];
  const t0 = events.find((e) => e.timestamp)?.timestamp ?? 0;
  for (const e of events) {
    const pre = e.resourcePreEvent?.metadata;
    const out = e.resOutputsEvent?.metadata;
    if (pre && pre.op !== "same") starts.set(pre.urn, { op: pre.op, at: e.timestamp - t0 });
    if (out && out.op !== "same" && starts.has(out.urn)) {
      const s = starts.get(out.urn)!;
      steps.push({ name: out.urn.slice(out.urn.lastIndexOf("::") + 2), op: s.op, start: s.at, end: e.timestamp - t0 });
    }
  }
  return steps.sort((a, b) => a.start - b.start);
}

/** Steps by role (the name without the site): how long each took (median over sites) and when the role's first started and last ended. */
function timelineByRole(steps: ReturnType<typeof stepsTimeline>): string[] {
  const roles = new Map<string, { d: number[]; first: number; last: number }>();
  for (const s of steps) {
    const role = s.name.replace(/^site\d+/, "SITE").replace(/-[0-9a-f]{6,}$/, "");
    const r = roles.get(role) ?? { d: [], first: Infinity, last: 0 };
    r.d.push(s.end - s.start);
    r.first = Math.min(r.first, s.start);
    r.last = Math.max(r.last, s.end);
    roles.set(role, r);
  }
  return [...roles.entries()].sort((a, b) => a[1].first - b[1].first).map(([role, r]) =>
    `${role.padEnd(36)} n=${String(r.d.length).padStart(2)} each ${median(r.d).toFixed(1).padStart(5)} s (max ${Math.max(...r.d).toFixed(1)}), from ${r.first.toFixed(1)} to ${r.last.toFixed(1)} s`);
}

function latencyFigures(samples: { at: number; ms: number; status: number; error: string }[], from: number, to: number) {
  const inWindow = samples.filter((s) => s.at >= from && s.at <= to);
  const ok = inWindow.filter((s) => s.status === 200);
  // What each failed request got (status 0: no answer), for results.json.
  const failures = inWindow.filter((s) => s.status !== 200).map((s) => `at ${s.at} ms after ${s.ms} ms: ${s.status} ${s.error}`.trim());
  return { requests: inWindow.length, failed: inWindow.length - ok.length, failures, p50: percentile(ok.map((s) => s.ms), 50), p99: percentile(ok.map((s) => s.ms), 99) };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("npm run bench -- platform runs as root (it sets up this machine as a host)");
  const machine = describeMachine("/var/backups");
  const figures: Figure[] = [];
  const notes: string[] = [];
  let platform: Platform | undefined;
  fs.rmSync(RAW_REPOS, { recursive: true, force: true });
  fs.rmSync(RAW_DUMPS, { recursive: true, force: true });
  try {
    log(`platform with ${N} sites`);
    // No scheduled backup or prune fires during the run (they would compete with what is measured).
    platform = await createPlatform("bench", { sites: SITES, backup: { schedule: "0 4 1 1 *", pruneSchedule: "30 4 1 1 *" } });
    const t = Date.now();
    await platform.up();
    notes.push(`first \`pulumi up\` of ${N} sites on a prepared machine, its no-change preview included: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const roots = pebbleRoots(platform.env);

    log(`data: ${FILES_MB} MiB of files, ${SQL_MB} MB of rows`);
    const perSiteRows = Math.round((SQL_MB * 1e6) / N / 120);
    let fileCount = 0;
    for (const s of SITES) {
      const r = await eventually(() => httpsGet(`${s}.test`, `/db?note=marker-${s}`, roots, { method: "POST" }));
      if (r.status !== 200) throw new Error(`${s}: /db answered ${r.status}: ${r.body}`);
      rootSql(`INSERT INTO \`${s}\`.visits (note) SELECT CONCAT('bench-', seq, '-', MD5(seq), MD5(seq + 1), MD5(seq + 2)) FROM \`${s}\`.seq_1_to_${perSiteRows}`);
      fileCount += writeFiles(s, Math.floor((FILES_MB * 2 ** 20) / N));
      fs.writeFileSync(`/sites/${s}/data/public/bench-marker.txt`, `marker-${s}\n`);
      sh(`chown ${s}:${s} /sites/${s}/data/public/bench-marker.txt`);
    }
    const dataBytes = Number(sh(`du -sb ${SITES.map((s) => `/sites/${s}/data`).join(" ")} | awk '{s+=$1} END {print s}'`));
    const dumpBytes = Number(sh(`for s in ${SITES.join(" ")}; do mysqldump ${DUMP_FLAGS} "$s" | wc -c; done | awk '{s+=$1} END {print s}'`));
    const data = { sites: N, files: fileCount, dataMiB: Math.round(dataBytes / 2 ** 20), dumpMB: Math.round(dumpBytes / 1e6), rowsPerSite: perSiteRows };
    log(JSON.stringify(data));

    log("overhead at rest");
    const overhead = measureOverhead();

    log("backups");
    const sp = (args: string) => sh(`/usr/local/bin/sp ${args}`);
    const full = { sp: [] as number[], raw: [] as number[] };
    const same = { sp: [] as number[], raw: [] as number[] };
    const changed = { sp: [] as number[], raw: [] as number[] };
    for (let round = 0; round < REPEAT; round++) {
      const spFirst = round % 2 === 0;
      const spFull = () => { sh(`rm -rf ${SITES.map((s) => `/var/backups/simple-paas/${s}`).join(" ")}`); full.sp.push(seconds(() => sp("backup --all"))); };
      const rawFull = () => { sh(`rm -rf ${RAW_REPOS}`); full.raw.push(seconds(() => rawBackupAll(true))); };
      for (const f of spFirst ? [spFull, rawFull] : [rawFull, spFull]) f();
    }
    for (let round = 0; round < REPEAT; round++) {
      const pair = [() => same.sp.push(seconds(() => sp("backup --all"))), () => same.raw.push(seconds(() => rawBackupAll(false)))];
      for (const f of round % 2 === 0 ? pair : pair.reverse()) f();
    }
    for (let round = 0; round < REPEAT; round++) {
      for (const s of SITES) changeOnePercent(s, perSiteRows);
      const pair = [() => changed.sp.push(seconds(() => sp("backup --all"))), () => changed.raw.push(seconds(() => rawBackupAll(false)))];
      for (const f of round % 2 === 0 ? pair : pair.reverse()) f();
    }
    figures.push(againstFloor(`backup --all, full (new repositories), ${N} sites`, "s", full.sp, "mysqldump + restic init + restic backup, site by site", full.raw, { target: "≤ 1.1× the floor" }));
    figures.push(againstFloor(`backup --all, incremental, nothing changed, ${N} sites`, "s", same.sp, "mysqldump + restic backup, site by site", same.raw, { target: `under 5 s for all ${N}` }));
    figures.push(againstFloor(`backup --all, incremental, 1 % of files and rows changed, ${N} sites`, "s", changed.sp, "mysqldump + restic backup, site by site", changed.raw));
    fs.rmSync(RAW_REPOS, { recursive: true, force: true });
    fs.rmSync(RAW_DUMPS, { recursive: true, force: true });

    log("recovery");
    sp("backup --all");
    const expected = Object.fromEntries(SITES.map((s) => [s, { files: treeHash(s), rows: rowsHash(s) }]));
    const recovered: number[] = [];
    const floors: number[] = [];
    const upDone: number[] = [];
    const perSiteFirst: number[][] = [];
    let generation = 1;
    let timeline: string[] = [];
    for (let round = 0; round < REPEAT; round++) {
      if (round % 2 === 0) floors.push(rawRestoreAll());
      wipeHost(platform);
      const gone = Date.now();
      generation++;
      await platform.setHost({ ...platform.host, generation: String(generation) });
      const stop = { done: false };
      const serving = firstServes(roots, gone, stop);
      const run = await platform.stack.up();
      upDone.push((Date.now() - gone) / 1000);
      const first = await Promise.race([serving, new Promise<Record<string, number>>((r) => setTimeout(() => { stop.done = true; r({}); }, 120_000))]);
      stop.done = true;
      const missing = SITES.filter((s) => first[s] === undefined);
      if (missing.length) throw new Error(`round ${round + 1}: ${missing.join(", ")} never served the restored marker`);
      recovered.push(Math.max(...Object.values(first)));
      perSiteFirst.push(SITES.map((s) => first[s]));
      if (round === 0) {
        const steps = stepsTimeline(run.events);
        timeline = timelineByRole(steps);
        fs.writeFileSync(path.join(BENCH_DIR, "recovery-timeline.txt"), [
          `# The engine's steps of one recovery \`pulumi up\` (${N} sites, ${data.dataMiB} MiB, ${data.dumpMB} MB SQL), seconds from its first event`,
          ...steps.map((s) => `${s.start.toFixed(2).padStart(7)} ${s.end.toFixed(2).padStart(7)} ${(s.end - s.start).toFixed(2).padStart(6)} ${s.op} ${s.name}`),
          "", "# by role", ...timeline, "",
        ].join("\n"));
      }
      await assertNoChanges(platform, `recovery round ${round + 1}`);
      for (const s of SITES) {
        if (treeHash(s) !== expected[s].files) throw new Error(`round ${round + 1}: ${s}'s files differ from the snapshot's`);
        if (rowsHash(s) !== expected[s].rows) throw new Error(`round ${round + 1}: ${s}'s rows differ from the snapshot's`);
      }
      if (round % 2 === 1) floors.push(rawRestoreAll());
    }
    figures.push(againstFloor(`recovery of a wiped host, ${N} sites: host gone → every site serves its restored data`, "s", recovered,
      "restic restore + SQL import of the same snapshots by hand, all sites in parallel", floors, { target: "≤ 1.3× the floor" }));
    figures.push(figure(`recovery of a wiped host: host gone → \`pulumi up\` finished`, "s", upDone));
    const firstPerSite = perSiteFirst.map((r) => median(r));
    figures.push(figure(`recovery: time to first serve, median site of a round`, "s", firstPerSite, { note: `first and last site of each round: ${perSiteFirst.map((r) => `${Math.min(...r).toFixed(1)}–${Math.max(...r).toFixed(1)}`).join(", ")}` }));

    log("updates under load");
    const update = await measureUpdates(platform, roots);
    figures.push(...update.figures);

    for (const f of figures) {
      if (f.target?.startsWith("≤") && f.ratio !== undefined) f.met = f.ratio <= Number(/[\d.]+/.exec(f.target)![0]);
      if (f.target?.startsWith("under")) f.met = f.median < Number(/[\d.]+/.exec(f.target)![0]);
    }
    saveSection("platform", { machine, data, figures, overhead, recoveryTimeline: timeline, updateDetail: update.detail, notes, repeat: REPEAT, cache: "warm for both sides (nothing dropped)" });
    log("done");
  } finally {
    fs.rmSync(RAW_REPOS, { recursive: true, force: true });
    fs.rmSync(RAW_DUMPS, { recursive: true, force: true });
    await disposePlatform(platform);
  }
}

/** Memory and CPU of what the platform itself runs, over 60 s at rest. */
function measureOverhead(): Record<string, unknown> {
  const containers = sh(`docker ps --format '{{.ID}} {{.Names}} {{.Label "simple-paas.role"}}'`).trim().split("\n").map((l) => l.split(" "));
  // cgroup v2 (one tree: cpu.stat, memory.stat's anon) or v1 (cpuacct.usage in ns, memory.stat's rss).
  const v2 = fs.existsSync("/sys/fs/cgroup/cgroup.controllers");
  const find = (root: string, id: string) => sh(`find ${root} -maxdepth 4 -type d -name '*${id}*' | head -n 1`).trim();
  const cpuUsec = (id: string) => (v2
    ? Number(/usage_usec (\d+)/.exec(fs.readFileSync(`${find("/sys/fs/cgroup", id)}/cpu.stat`, "utf8"))?.[1])
    : Number(fs.readFileSync(`${find("/sys/fs/cgroup/cpuacct", id)}/cpuacct.usage`, "utf8")) / 1000);
  const anonBytes = (id: string) => (v2
    ? Number(/^anon (\d+)/m.exec(fs.readFileSync(`${find("/sys/fs/cgroup", id)}/memory.stat`, "utf8"))?.[1])
    : Number(/^rss (\d+)/m.exec(fs.readFileSync(`${find("/sys/fs/cgroup/memory", id)}/memory.stat`, "utf8"))?.[1]));
  const cronPids = sh("pgrep -x cron || true").trim().split("\n").filter(Boolean);
  const cronTicks = () => cronPids.reduce((sum, p) => sum + fs.readFileSync(`/proc/${p}/stat`, "utf8").split(" ").slice(13, 15).reduce((a, b) => a + Number(b), 0), 0);
  const cronRssKiB = cronPids.reduce((sum, p) => sum + Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0), 0);
  const rows = containers.map(([id, name, role]) => ({ id: sh(`docker inspect -f '{{.Id}}' ${id}`).trim(), name, role: name === "simple-paas-proxy" ? "proxy" : role || "site" }));
  const before = rows.map((r) => cpuUsec(r.id));
  const cronBefore = cronTicks();
  const windowS = intEnv("BENCH_REST_SECONDS", 60, 5);
  sh(`sleep ${windowS}`);
  const after = rows.map((r) => cpuUsec(r.id));
  const hz = Number(sh("getconf CLK_TCK"));
  const byRole = new Map<string, { n: number; memMiB: number[]; cpuPct: number[] }>();
  rows.forEach((r, i) => {
    const e = byRole.get(r.role) ?? { n: 0, memMiB: [], cpuPct: [] };
    e.n++;
    e.memMiB.push(anonBytes(r.id) / 2 ** 20);
    e.cpuPct.push(((after[i] - before[i]) / 1e6 / windowS) * 100);
    byRole.set(r.role, e);
  });
  const summary = Object.fromEntries([...byRole.entries()].map(([role, e]) => [role, {
    containers: e.n, memoryMiBEach: Number(median(e.memMiB).toFixed(1)), memoryMiBAll: Number(e.memMiB.reduce((a, b) => a + b, 0).toFixed(1)),
    cpuPercentEach: Number(median(e.cpuPct).toFixed(2)), cpuPercentAll: Number(e.cpuPct.reduce((a, b) => a + b, 0).toFixed(2)),
  }]));
  return {
    windowSeconds: windowS,
    containers: summary,
    cron: { processes: cronPids.length, rssMiB: Number((cronRssKiB / 1024).toFixed(1)), cpuPercent: Number((((cronTicks() - cronBefore) / hz / windowS) * 100).toFixed(2)) },
    note: "memory: the cgroup's anonymous memory (no page cache); CPU: the cgroup's usage over the window. `sp` and the host steps run nothing at rest.",
  };
}

/** One site's image update under load, the platform's way (pulumi up) and the original scripts' way (stop, rm, run), alternating. */
async function measureUpdates(platform: Platform, roots: string): Promise<{ figures: Figure[]; detail: Record<string, unknown> }> {
  const site = SITES[0];
  const tags = ["v2", "v1"];
  const ours: ReturnType<typeof latencyFigures>[] = [];
  const theirs: ReturnType<typeof latencyFigures>[] = [];
  const steady: ReturnType<typeof latencyFigures>[] = [];
  // The platform's rounds first: the original's way replaces the container behind the engine's back.
  for (let round = 0; round < REPEAT; round++) {
    const tag = tags[round % 2];
    await platform.setSites(platform.sites.map((s) => (s.name === site ? { ...s, image: `127.0.0.1:5000/site-app:${tag}` } : s)));
    const load = startLoad(`${site}.test`, HTTPS_PORT, roots);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const from = Date.now() - t0;
    await platform.stack.up();
    const to = Date.now() - t0 + 5000;
    await new Promise((r) => setTimeout(r, 5000));
    const { samples } = await load.stop();
    steady.push(latencyFigures(samples, 0, from));
    ours.push(latencyFigures(samples, from, to));
    await assertNoChanges(platform, `update round ${round + 1}`);
  }
  const current = () => sh(`docker ps --filter label=simple-paas.site=${site} --format '{{.Names}}'`).trim();
  const name = current();
  const network = `simple-paas-${site}`;
  for (let round = 0; round < REPEAT; round++) {
    const tag = tags[round % 2];
    // sp_update of the original: pull, then stop, remove and run again under the same name. Both tags
    // are on the host already (the platform's rounds pulled them), so the pull is outside the window for both ways.
    sh(`docker image inspect 127.0.0.1:5000/site-app:${tag} >/dev/null`);
    const load = startLoad(`${site}.test`, HTTPS_PORT, roots);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const from = Date.now() - t0;
    sh(`docker stop ${name} >/dev/null && docker rm ${name} >/dev/null && docker run -d --name ${name} --network ${network} -e SITE_NAME=${site} --restart unless-stopped 127.0.0.1:5000/site-app:${tag} >/dev/null`);
    const to = Date.now() - t0 + 5000;
    await new Promise((r) => setTimeout(r, 5000));
    const { samples } = await load.stop();
    steady.push(latencyFigures(samples, 0, from));
    theirs.push(latencyFigures(samples, from, to));
  }
  // Back under the engine: the hand-run container goes, refresh forgets the engine's (gone) one, up makes it again.
  sh(`docker rm -f ${name} >/dev/null`);
  await platform.stack.stack.refresh({ color: "never" });
  await platform.up();
  const fig = (label: string, xs: ReturnType<typeof latencyFigures>[], pick: (x: ReturnType<typeof latencyFigures>) => number, unit: string, extra: Partial<Figure> = {}) =>
    figure(label, unit, xs.map(pick), extra);
  const steadyP99 = median(steady.map((s) => s.p99));
  return {
    figures: [
      fig("update under ~20 req/s: failed requests (pulumi up, zero-downtime switch)", ours, (x) => x.failed, "requests", { target: "0", note: `of ${ours.map((x) => x.requests).join(", ")}` }),
      fig("update under ~20 req/s: failed requests (original scripts: stop, rm, run)", theirs, (x) => x.failed, "requests", { note: `of ${theirs.map((x) => x.requests).join(", ")}` }),
      fig("update under ~20 req/s: p99 latency during the update (pulumi up)", ours, (x) => x.p99, "ms", { target: `< 2× steady p99 (${steadyP99.toFixed(0)} ms)`, met: median(ours.map((x) => x.p99)) < 2 * steadyP99 }),
      fig("update under ~20 req/s: p50 latency during the update (pulumi up)", ours, (x) => x.p50, "ms"),
      fig("update under ~20 req/s: p99 latency during the update (original scripts)", theirs, (x) => x.p99, "ms"),
      fig("steady state (10 s before each update): p50 latency", steady, (x) => x.p50, "ms"),
      fig("steady state (10 s before each update): p99 latency", steady, (x) => x.p99, "ms"),
    ].map((f) => (f.target === "0" ? { ...f, met: f.max === 0 } : f)),
    detail: { ours, theirs, steady },
  };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
