/**
 * `npm run bench`: simple-paas backup and restore against the raw tools by
 * hand, measured in the same run on the same data, reporting the ratio.
 * Speed is never asserted in the tests; it is measured here.
 *
 * A site is prepared like test/integration/sp-backup.test.ts does (temp
 * configDir/sitesRoot/statusDir with host.env, site.env, backup.env,
 * restic_pass, mysql-admin.cnf), but on this machine's MariaDB (default
 * socket) with an admin account created for the run, a Linux user/group
 * `benchsite`, a database `bench_site` of BENCH_ROWS rows and a data dir of
 * BENCH_FILES files. The very `sp` text of renderSpCommand() is written to
 * a temp file and run with bash. Each phase runs BENCH_REPEAT rounds,
 * alternating which side goes first:
 *
 *   1. backup, first: both repositories new (removed before every round);
 *      sp creates its own, the raw side runs `restic init` (timed).
 *   2. backup, incremental: on the repositories of the last first-round,
 *      after BENCH_CHANGED_FILES files rewritten, BENCH_ADDED_FILES added,
 *      BENCH_CHANGED_ROWS rows updated and BENCH_ADDED_ROWS inserted.
 *   3. restore latest: `sp restore SITE latest --yes` (staged restore,
 *      swap, ownership, database recreated) vs `restic restore latest
 *      --target DIR` + `mysql DB < dump`.
 *
 * Everything it creates (database, admin account, Linux user and group,
 * temp dir) is removed at the end, also after a failure or Ctrl-C.
 *
 *   BENCH_ROWS=200000 BENCH_FILES=2000 BENCH_DATA_MB=50 BENCH_REPEAT=5 npm run bench
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderSpCommand } from "../components/render/sp-command";
import { renderEnvFile, shellQuote } from "../components/render/shell";
import { sh } from "../test/support/run";

function intEnv(name: string, def: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return def;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < min) throw new Error(`${name}=${raw}: expected a whole number >= ${min}`);
  return Number(raw);
}

const ROWS = intEnv("BENCH_ROWS", 200_000, 1);
const FILES = intEnv("BENCH_FILES", 2_000, 1);
const DATA_MB = intEnv("BENCH_DATA_MB", 50, 1);
const REPEAT = intEnv("BENCH_REPEAT", 5, 1);
const CHANGED_FILES = Math.min(intEnv("BENCH_CHANGED_FILES", 20, 0), FILES);
const ADDED_FILES = intEnv("BENCH_ADDED_FILES", 5, 0);
const CHANGED_ROWS = Math.min(intEnv("BENCH_CHANGED_ROWS", 1_000, 0), ROWS);
const ADDED_ROWS = intEnv("BENCH_ADDED_ROWS", 100, 0);
const SEED = process.env.BENCH_SEED ?? "simple-paas-bench-1";
/** `real` (the docker CLI, as on a host: sp restore lists the site's containers) or `stub`. */
const DOCKER_MODE = process.env.BENCH_DOCKER ?? "auto";

const SITE = "benchsite"; // also the Linux user and group, as on a host
const DB = "bench_site";
const ADMIN = `bench_admin_${crypto.randomBytes(3).toString("hex")}`;
const DUMP_FLAGS = "--single-transaction --routines --triggers --events --hex-blob --skip-dump-date --default-character-set=utf8mb4";
const RESULTS = path.join(__dirname, "backup-single-site.md");

// ---------------------------------------------------------------- helpers

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

/**
 * Other work on the machine (a test run) may restart MariaDB or dockerd:
 * a command that failed because one was away is waited for and run again
 * (a measured round as a whole, both sides); anything else fails the run.
 */
const TRANSIENT = /ERROR 20(02|03|06|13)|Got error: 20(02|03|06|13)|Can't connect to|Lost connection|server has gone away|is docker running|Cannot connect to the Docker daemon|EPIPE/;
let retries = 0;
function waitForServices() {
  sh(`for i in $(seq 1 360); do mysqladmin --protocol=socket -uroot ping >/dev/null 2>&1 && exit 0; sleep 0.5; done; echo "MariaDB does not answer" >&2; exit 1`);
  sh("sleep 2");
}
function retrying<T>(what: string, fn: () => T): T {
  for (let attempt = 1; ; attempt++) {
    try {
      return fn();
    } catch (e) {
      const msg = (e as Error).message;
      if (attempt >= 4 || !TRANSIENT.test(msg)) throw e;
      retries++;
      log(`${what}: MariaDB or docker went away (${msg.match(TRANSIENT)?.[0]}); waiting, then again`);
      waitForServices();
    }
  }
}
const rootSql = (query: string, database = "") =>
  retrying("SQL", () => sh(`mariadb --protocol=socket -uroot -N -B -e ${shellQuote(query)} ${database}`));
const rootSqlStdin = (sql: string, database: string) =>
  retrying("SQL", () => sh(`mariadb --protocol=socket -uroot ${database}`, { stdin: sql }));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmtBytes = (n: number) =>
  n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(2)} GiB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
const du = (p: string) => Number(sh(`du -sb ${shellQuote(p)} | cut -f1`).trim());

/** Deterministic, incompressible bytes (an AES-CTR keystream of the seed): like /dev/urandom, but the same every run. */
const seedKey = crypto.createHash("sha256").update(SEED).digest();
function streamBytes(label: string, n: number): Buffer {
  const iv = crypto.createHash("sha256").update(label).digest().subarray(0, 16);
  const c = crypto.createCipheriv("aes-256-ctr", seedKey, iv);
  return Buffer.concat([c.update(Buffer.alloc(n)), c.final()]);
}
const hashU32 = (label: string) => crypto.createHash("sha256").update(`${SEED}:${label}`).digest().readUInt32BE(0);

/** Runs argv (no shell) and returns the wall-clock seconds; throws when it fails. */
function timed(what: string, argv: string[], env: NodeJS.ProcessEnv, cwd?: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { env, cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal}):\n${r.stderr.slice(-4000)}`);
  return secs;
}

// ---------------------------------------------------------------- state and cleanup

const cleanups: { what: string; run: () => void }[] = [];
let cleanedUp = false;
function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const c of cleanups.reverse()) {
    try {
      c.run();
    } catch (e) {
      log(`cleanup of ${c.what} failed: ${(e as Error).message}`);
    }
  }
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    log(`${sig}: cleaning up`);
    cleanup();
    process.exit(128 + os.constants.signals[sig]);
  });
}

// ---------------------------------------------------------------- preparation

interface Ctx {
  tmp: string;
  dir: (...p: string[]) => string;
  data: (...p: string[]) => string;
  cnf: string;
  pass: string;
  spFile: string;
  spRepo: string;
  rawRepo: string;
  spEnv: NodeJS.ProcessEnv;
  rawEnv: NodeJS.ProcessEnv;
  docker: string;
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("RESTIC_")) env[k] = v;
  return env;
}

function filePath(ctx: Ctx, i: number): string {
  // 90 % public uploads, 10 % private; 100 files a directory.
  const pub = i % 10 !== 0;
  return ctx.data(pub ? "public" : "private", "uploads", String(Math.floor(i / 100)).padStart(3, "0"), `file-${String(i).padStart(6, "0")}.bin`);
}

function fileSizes(): number[] {
  // 0.25x .. 1.75x the mean size, deterministic, summing to BENCH_DATA_MB MiB.
  const total = DATA_MB * 1024 * 1024;
  const w = Array.from({ length: FILES }, (_, i) => 0.25 + 1.5 * (hashU32(`size-${i}`) / 2 ** 32));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((x) => Math.max(1, Math.floor((total * x) / sum)));
}

function writeFiles(ctx: Ctx, sizes: number[]) {
  for (let i = 0; i < sizes.length; i++) {
    const f = filePath(ctx, i);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, streamBytes(`file-${i}-v0`, sizes[i]));
  }
  fs.writeFileSync(ctx.data("public", "index.html"), "<h1>bench</h1>\n");
  sh(`chown -R ${SITE}:${SITE} ${shellQuote(ctx.data())} && find ${shellQuote(ctx.data())} -type d -exec chmod 2770 {} +`);
}

function rowValues(from: number, to: number): string {
  const out: string[] = [];
  const base = Date.UTC(2020, 0, 1);
  for (let i = from; i <= to; i++) {
    const body = crypto.createHash("sha256").update(`${SEED}:row-${i}`).digest("hex");
    const created = new Date(base + i * 60_000).toISOString().slice(0, 19).replace("T", " ");
    out.push(`(${i},'post ${i}: a title of a post','${body}','${created}')`);
  }
  return out.join(",");
}

function makeDatabase(adminPw: string) {
  rootSql(`CREATE DATABASE ${DB} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  cleanups.push({ what: `database ${DB}`, run: () => rootSql(`DROP DATABASE IF EXISTS ${DB}`) });
  rootSql(`CREATE USER '${ADMIN}'@'127.0.0.1' IDENTIFIED BY '${adminPw}'`);
  cleanups.push({ what: `account ${ADMIN}`, run: () => rootSql(`DROP USER IF EXISTS '${ADMIN}'@'127.0.0.1'`) });
  // Only this database: the admin account of a host has ALL ON *.*, which the
  // dump, the drop and the import do not need.
  rootSql(`GRANT ALL PRIVILEGES ON \`${DB.replace(/_/g, "\\_")}\`.* TO '${ADMIN}'@'127.0.0.1'`);
  const parts = [
    "SET autocommit = 0;",
    `CREATE TABLE posts (id INT PRIMARY KEY, title VARCHAR(64) NOT NULL, body CHAR(64) NOT NULL, created DATETIME NOT NULL, KEY (created)) ENGINE=InnoDB;`,
  ];
  for (let i = 1; i <= ROWS; i += 2000) parts.push(`INSERT INTO posts VALUES ${rowValues(i, Math.min(ROWS, i + 1999))};`);
  parts.push("COMMIT;");
  rootSqlStdin(parts.join("\n"), DB);
}

function prepare(): Ctx {
  for (const bin of ["mariadb", "mariadb-dump", "mysqldump", "mysql", "restic", "flock", "timeout"]) {
    sh(`command -v ${bin} >/dev/null || { echo "${bin} missing: run scripts/test-env/install-packages.sh" >&2; exit 1; }`);
  }
  if (process.getuid?.() !== 0) throw new Error("run as root: the benchmark creates a Linux user and a MariaDB account");
  if (sh(`getent passwd ${SITE} || true; getent group ${SITE} || true`).trim()) {
    throw new Error(`the user or group ${SITE} exists (left over from an interrupted run?): userdel ${SITE}; groupdel ${SITE}`);
  }
  if (rootSql(`SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${DB}'`).trim() !== "0") {
    throw new Error(`the database ${DB} exists (left over from an interrupted run?): DROP DATABASE ${DB}`);
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sp-bench-"));
  cleanups.push({ what: tmp, run: () => fs.rmSync(tmp, { recursive: true, force: true }) });
  const dir = (...p: string[]) => path.join(tmp, ...p);
  const data = (...p: string[]) => dir("sites", SITE, "data", ...p);

  sh(`groupadd --system ${SITE}`);
  // userdel usually removes the user's own group already.
  cleanups.push({ what: `group ${SITE}`, run: () => sh(`if getent group ${SITE} >/dev/null; then groupdel ${SITE}; fi`) });
  sh(`useradd --system --no-create-home --gid ${SITE} --shell /usr/sbin/nologin ${SITE}`);
  cleanups.push({ what: `user ${SITE}`, run: () => sh(`userdel ${SITE}`) });

  sh(`install -d -m 0750 -g ${SITE} ${dir("sites", SITE)} && install -d -m 2770 -o ${SITE} -g ${SITE} ${data()} ` +
    ["public", "private", "sql", "tmp"].map((d) => data(d)).join(" "));

  const adminPw = crypto.randomBytes(16).toString("hex");
  const conf = dir("conf", "sites", SITE);
  fs.mkdirSync(path.join(conf, "backup"), { recursive: true, mode: 0o700 });
  const cnf = dir("conf", "mysql-admin.cnf");
  fs.writeFileSync(cnf, `[client]\nuser = "${ADMIN}"\npassword = "${adminPw}"\nhost = "127.0.0.1"\nport = 3306\n`, { mode: 0o600 });
  fs.writeFileSync(dir("conf", "host.env"), renderEnvFile({
    SP_SITES_ROOT: dir("sites"), SP_CONFIG_DIR: dir("conf"), SP_NETWORK: "simple-paas", SP_PROXY_CONTAINER: "simple-paas-proxy",
    SP_STATUS_DIR: dir("status"), SP_LOG_FILE: dir("log", "backup.log"),
  }));
  fs.writeFileSync(path.join(conf, "site.env"), renderEnvFile({
    SP_SITE: SITE, SP_DATA_DIR: data(), SP_DB_NAME: DB, SP_DB_USER: DB, SP_USER: SITE, SP_GROUP: SITE,
  }), { mode: 0o600 });
  const spRepo = dir("repos", "sp");
  const rawRepo = dir("repos", "raw");
  fs.writeFileSync(path.join(conf, "backup", "backup.env"), renderEnvFile({
    SP_RESTIC_REPOSITORY: spRepo, SP_KEEP_LAST: 3, SP_KEEP_HOURLY: 0, SP_KEEP_DAILY: 7, SP_KEEP_WEEKLY: 0,
    SP_KEEP_MONTHLY: 0, SP_KEEP_YEARLY: 0, SP_TAR_DIR: "", SP_TAR_KEEP: 2,
  }), { mode: 0o600 });
  const pass = path.join(conf, "backup", "restic_pass");
  fs.writeFileSync(pass, crypto.randomBytes(24).toString("hex"), { mode: 0o600 });
  fs.mkdirSync(dir("repos"));

  const spFile = dir("sp");
  fs.writeFileSync(spFile, renderSpCommand({ configDir: dir("conf") }), { mode: 0o700 });

  // sp restore asks docker for the site's running containers (`docker ps`,
  // read-only). The real CLI when docker answers, as on a host.
  let docker = DOCKER_MODE;
  if (docker === "auto") docker = spawnSync("docker", ["ps", "-q"], { stdio: "ignore", timeout: 20_000 }).status === 0 ? "real" : "stub";
  if (docker !== "real" && docker !== "stub") throw new Error(`BENCH_DOCKER=${DOCKER_MODE}: expected auto, real or stub`);
  const base: NodeJS.ProcessEnv = { ...cleanEnv(), RESTIC_CACHE_DIR: dir("cache") };
  if (docker === "stub") {
    fs.mkdirSync(dir("bin"));
    fs.writeFileSync(dir("bin", "docker"), "#!/bin/sh\n# bench stand-in: no containers\nexit 0\n", { mode: 0o755 });
    base.PATH = `${dir("bin")}:${process.env.PATH}`;
  }
  const spEnv = { ...base };
  const rawEnv = { ...base, RESTIC_REPOSITORY: rawRepo, RESTIC_PASSWORD_FILE: pass };
  const ctx: Ctx = { tmp, dir, data, cnf, pass, spFile, spRepo, rawRepo, spEnv, rawEnv, docker };

  log(`database ${DB}: ${ROWS} rows`);
  makeDatabase(adminPw);
  log(`data dir: ${FILES} files, ${DATA_MB} MiB`);
  writeFiles(ctx, fileSizes());
  return ctx;
}

// ---------------------------------------------------------------- the two sides

const sp = (ctx: Ctx, ...args: string[]) => timed(`sp ${args.join(" ")}`, ["bash", ctx.spFile, ...args], ctx.spEnv);

function rawBackup(ctx: Ctx, init: boolean): number {
  const script = [
    "set -euo pipefail",
    init ? "restic init >/dev/null" : "",
    `mysqldump --defaults-extra-file=${shellQuote(ctx.cnf)} ${DUMP_FLAGS} ${DB} >${shellQuote(ctx.data("sql", `${DB}.sql`))}`,
    `cd ${shellQuote(ctx.data())}`,
    `restic backup --quiet --exclude-caches --exclude ${shellQuote(ctx.data("tmp"))} .`,
  ].filter(Boolean).join("\n");
  return timed("raw backup", ["bash", "-c", script], ctx.rawEnv);
}

function rawRestore(ctx: Ctx, target: string): number {
  const script = [
    "set -euo pipefail",
    `restic restore latest --target ${shellQuote(target)} >/dev/null`,
    `mysql --defaults-extra-file=${shellQuote(ctx.cnf)} ${DB} <${shellQuote(path.join(target, "sql", `${DB}.sql`))}`,
  ].join("\n");
  return timed("raw restore", ["bash", "-c", script], ctx.rawEnv);
}

/**
 * Runs the pair in alternating order (round 0: simple-paas first); again
 * as a whole, after `before`, when MariaDB or docker went away meanwhile.
 */
function pair(what: string, round: number, before: () => void, spRun: () => number, rawRun: () => number): [number, number] {
  return retrying(what, () => {
    before();
    if (round % 2 === 0) {
      const a = spRun();
      return [a, rawRun()];
    }
    const b = rawRun();
    return [spRun(), b];
  });
}

function change(ctx: Ctx, round: number, sizes: number[]) {
  for (let j = 0; j < CHANGED_FILES; j++) {
    const i = (round * 7919 + j * 104_729) % FILES;
    fs.writeFileSync(filePath(ctx, i), streamBytes(`file-${i}-v${round + 1}-${j}`, sizes[i]));
  }
  for (let j = 0; j < ADDED_FILES; j++) {
    fs.writeFileSync(ctx.data("public", "uploads", `added-${round}-${j}.bin`), streamBytes(`added-${round}-${j}`, 64 * 1024));
  }
  sh(`chown -R ${SITE}:${SITE} ${shellQuote(ctx.data("public"))} ${shellQuote(ctx.data("private"))}`);
  const first = ((round * CHANGED_ROWS) % Math.max(1, ROWS - CHANGED_ROWS)) + 1;
  const sql = [`UPDATE posts SET title = 'edited in round ${round}' WHERE id BETWEEN ${first} AND ${first + CHANGED_ROWS - 1};`];
  if (ADDED_ROWS > 0) sql.push(`INSERT INTO posts VALUES ${rowValues(ROWS + round * ADDED_ROWS + 1, ROWS + (round + 1) * ADDED_ROWS)};`);
  rootSqlStdin(sql.join("\n"), DB);
}

const countFiles = (...dirs: string[]) => Number(sh(`find ${dirs.map(shellQuote).join(" ")} -type f | wc -l`).trim());
const countRows = () => Number(rootSql("SELECT COUNT(*) FROM posts", DB).trim());

// ---------------------------------------------------------------- report

interface Row {
  op: string;
  sp: number[];
  raw: number[];
}

function machine(ctx: Ctx, sizes: Record<string, string>, loadStart: string): string {
  const cpu = (fs.readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "unknown").trim();
  const memKb = Number(fs.readFileSync("/proc/meminfo", "utf8").match(/^MemTotal:\s*(\d+)/m)?.[1] ?? 0);
  const lines = [
    `- CPUs (nproc): ${sh("nproc").trim()}; CPU model: ${cpu}`,
    `- memory: ${(memKb / 1024 / 1024).toFixed(1)} GiB; kernel ${os.release()}; node ${process.version}`,
    `- MariaDB: ${rootSql("SELECT VERSION()").trim()} (over TCP 127.0.0.1:3306, as mysql-admin.cnf on a host)`,
    `- restic: ${sh("restic version").trim()}`,
    `- docker for \`sp restore\`'s container lookup: ${ctx.docker === "real" ? "the real docker CLI (`docker ps`)" : "a no-op stand-in"}`,
    `- load average at start / end: ${loadStart} / ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`,
    `- temp dir disk (\`df -h ${ctx.tmp}\`):`,
    "",
    "```",
    sh(`df -h ${shellQuote(ctx.tmp)}`).trimEnd(),
    "```",
    "",
    "Data:",
    "",
    ...Object.entries(sizes).map(([k, v]) => `- ${k}: ${v}`),
  ];
  return lines.join("\n");
}

function report(rows: Row[], machineText: string, ctx: Ctx, resticOpen: number): string {
  const f = (x: number) => x.toFixed(3);
  const table = [
    "| operation | simple-paas median (s) | raw median (s) | ratio |",
    "|---|---:|---:|---:|",
    ...rows.map((r) => {
      const s = median(r.sp);
      const w = median(r.raw);
      return `| ${r.op} (n=${r.sp.length}) | ${f(s)} | ${f(w)} | ${(s / w).toFixed(2)} |`;
    }),
  ];
  const samples = rows.map((r) => `- ${r.op}: simple-paas ${r.sp.map(f).join(", ")}; raw ${r.raw.map(f).join(", ")}`);
  return [
    "# Backup and restore benchmark: simple-paas `sp` vs the raw tools",
    "",
    `Generated by \`npm run bench\` (bench/backup.bench.ts) on ${new Date().toISOString()}, ` +
      `BENCH_ROWS=${ROWS} BENCH_FILES=${FILES} BENCH_DATA_MB=${DATA_MB} BENCH_REPEAT=${REPEAT}. ` +
      "Wall-clock seconds (process.hrtime) of the whole command, median of the rounds; ratio = simple-paas / raw. " +
      "Both sides run in the same process on the same site, alternating which goes first.",
    "",
    ...table,
    "",
    "What each side does:",
    "",
    "- **backup, first**: a new repository each round. simple-paas: `sp backup benchsite` (finds no repository and runs " +
      "`restic init`, then dumps to a temp file, checks the `Dump completed` line, chown/chmod/rename, `restic backup --json` " +
      "with tags and excludes, status file, log line, under a per-site lock and `timeout`). raw: `restic init`, " +
      `\`mysqldump --single-transaction ... ${DB} > data/sql/${DB}.sql\`, \`cd data && restic backup --quiet --exclude-caches --exclude data/tmp .\` ` +
      "(same dump options and excludes, separate repository, same password).",
    `- **backup, incremental**: the same on the repositories of the last first-round, after ${CHANGED_FILES} files rewritten, ` +
      `${ADDED_FILES} files (64 KiB) added, ${CHANGED_ROWS} rows updated and ${ADDED_ROWS} inserted before every round ` +
      "(the dump is rewritten every time, so restic reads it again).",
    "- **restore latest**: simple-paas: `sp restore benchsite latest --yes` (resolves the snapshot, restores beside the data dir, " +
      "lists the site's containers, swaps public/ private/ sql/ in, chown -R + chmod of the directories, DROP + CREATE DATABASE, " +
      "import, removes the old files). raw: `restic restore latest --target <new dir>` + `mysql bench_site < <new dir>/sql/bench_site.sql` " +
      "(nothing put in place, nothing removed).",
    "",
    `For scale: one restic call that only opens the repository (\`restic cat config\`) takes ${f(resticOpen)} s here ` +
      `(median of ${REPEAT}; the key derivation). \`sp backup\` calls restic once more than the raw commands ` +
      "(`restic cat config` to tell a missing repository from a wrong password), `sp restore` twice more " +
      "(that check and `restic snapshots --json` to resolve latest). Difference of the medians: " +
      rows.map((r) => {
        const d = median(r.sp) - median(r.raw);
        return `${r.op} ${d >= 0 ? "+" : ""}${f(d)} s (${(d / resticOpen).toFixed(1)} restic opens)`;
      }).join("; ") + ".",
    "",
    "All samples (s):",
    "",
    ...samples,
    "",
    "## Machine",
    "",
    machineText,
    "",
    `Temp dir ${ctx.tmp} (removed). Other work on the machine at the same time shows in the load average and the spread of the samples; ` +
      `${retries} round(s) or statement(s) were run again because MariaDB or docker was restarted meanwhile.`,
    "",
  ].join("\n");
}

// ---------------------------------------------------------------- main

function main() {
  const loadStart = os.loadavg().map((x) => x.toFixed(2)).join(" ");
  const ctx = prepare();
  const sizes = fileSizes();
  const dumpFile = ctx.data("sql", `${DB}.sql`);
  const rows: Row[] = [
    { op: "backup, first (new repository)", sp: [], raw: [] },
    { op: "backup, incremental", sp: [], raw: [] },
    { op: "restore latest (files + database)", sp: [], raw: [] },
  ];
  const initialBytes = du(ctx.data());
  rootSql("ANALYZE TABLE posts", DB); // fresh statistics for the size below
  const tableBytes = rootSql(`SELECT DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${DB}' AND TABLE_NAME = 'posts'`).trim();

  for (let r = 0; r < REPEAT; r++) {
    const fresh = () => {
      fs.rmSync(ctx.spRepo, { recursive: true, force: true });
      fs.rmSync(ctx.rawRepo, { recursive: true, force: true });
      fs.rmSync(ctx.dir("cache"), { recursive: true, force: true });
    };
    const [a, b] = pair("backup, first", r, fresh, () => sp(ctx, "backup", SITE), () => rawBackup(ctx, true));
    rows[0].sp.push(a);
    rows[0].raw.push(b);
    log(`backup, first, round ${r + 1}/${REPEAT}: simple-paas ${a.toFixed(2)} s, raw ${b.toFixed(2)} s`);
  }
  const dumpBytes = fs.statSync(dumpFile).size;
  const repoFirst = `${fmtBytes(du(ctx.spRepo))} (simple-paas) / ${fmtBytes(du(ctx.rawRepo))} (raw)`;

  for (let r = 0; r < REPEAT; r++) {
    change(ctx, r, sizes);
    const [a, b] = pair("backup, incremental", r, () => undefined, () => sp(ctx, "backup", SITE), () => rawBackup(ctx, false));
    rows[1].sp.push(a);
    rows[1].raw.push(b);
    log(`backup, incremental, round ${r + 1}/${REPEAT}: simple-paas ${a.toFixed(2)} s, raw ${b.toFixed(2)} s`);
  }
  const expectedFiles = countFiles(ctx.data("public"), ctx.data("private"), ctx.data("sql"));
  const expectedRows = countRows();

  for (let r = 0; r < REPEAT; r++) {
    const target = ctx.dir(`raw-restore-${r}`);
    const clear = () => fs.rmSync(target, { recursive: true, force: true });
    const [a, b] = pair("restore", r, clear, () => sp(ctx, "restore", SITE, "latest", "--yes"), () => {
      const t = rawRestore(ctx, target);
      const got = countFiles(target);
      if (got !== expectedFiles) throw new Error(`raw restore: ${got} files, expected ${expectedFiles}`);
      if (countRows() !== expectedRows) throw new Error(`raw restore: ${countRows()} rows, expected ${expectedRows}`);
      return t;
    });
    const got = countFiles(ctx.data("public"), ctx.data("private"), ctx.data("sql"));
    if (got !== expectedFiles) throw new Error(`sp restore: ${got} files, expected ${expectedFiles}`);
    if (countRows() !== expectedRows) throw new Error(`sp restore: ${countRows()} rows, expected ${expectedRows}`);
    fs.rmSync(target, { recursive: true, force: true });
    rows[2].sp.push(a);
    rows[2].raw.push(b);
    log(`restore, round ${r + 1}/${REPEAT}: simple-paas ${a.toFixed(2)} s, raw ${b.toFixed(2)} s`);
  }

  // What one more restic invocation costs here (opening a repository derives
  // the key with scrypt): sp runs restic 2 times for a backup (3 for the
  // first, with init), 3 times for a restore; the raw side once per step.
  const opens = Array.from({ length: REPEAT }, () => timed("restic cat config", ["restic", "cat", "config"], ctx.rawEnv));
  const dataSizes: Record<string, string> = {
    [`database ${DB}`]: `${ROWS.toLocaleString("en")} rows of ~100 bytes at the start (table + index ${fmtBytes(Number(tableBytes))}), ` +
      `${expectedRows.toLocaleString("en")} at the end; dump ${fmtBytes(dumpBytes)}`,
    "data dir": `${FILES.toLocaleString("en")} files (${DATA_MB} MiB of incompressible bytes, 100 files a directory; ${fmtBytes(initialBytes)} in all), ` +
      `${expectedFiles.toLocaleString("en")} files with the dump at the end`,
    "repository after the first backup": repoFirst,
    "repository at the end": `${fmtBytes(du(ctx.spRepo))} (simple-paas) / ${fmtBytes(du(ctx.rawRepo))} (raw)`,
  };
  const text = report(rows, machine(ctx, dataSizes, loadStart), ctx, median(opens));
  fs.writeFileSync(RESULTS, text);
  process.stdout.write(text);
  log(`written to ${RESULTS}`);
}

try {
  main();
} catch (e) {
  process.exitCode = 1;
  log((e as Error).stack ?? String(e));
} finally {
  cleanup();
}
