/**
 * What every benchmark shares: the figures (median, min–max of a list of
 * samples), the machine they were taken on, peak memory of the processes a
 * command starts, and bench/results.json, which each benchmark adds its
 * section to (bench/report.ts turns it into bench/results.md).
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const BENCH_DIR = __dirname;
export const RESULTS_JSON = path.join(BENCH_DIR, "results.json");

export function intEnv(name: string, def: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return def;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < min) throw new Error(`${name}=${raw}: expected a whole number >= ${min}`);
  return Number(raw);
}

export interface Figure {
  /** What was measured, in the unit given. */
  name: string;
  unit: string;
  samples: number[];
  median: number;
  min: number;
  max: number;
  /** The floor's figure and median / floor median, where there is a floor. */
  floor?: { name: string; samples: number[]; median: number; min: number; max: number };
  ratio?: number;
  /** Ratios of the pairs (same round), min–median–max: holds when the machine's speed drifts. */
  pairRatios?: { median: number; min: number; max: number };
  target?: string;
  met?: boolean;
  note?: string;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

export function figure(name: string, unit: string, samples: number[], extra: Partial<Figure> = {}): Figure {
  return { name, unit, samples: samples.map((x) => round(x)), median: round(median(samples)), min: round(Math.min(...samples)), max: round(Math.max(...samples)), ...extra };
}

/** A figure against its floor, both measured in the same rounds (A B A B …). */
export function againstFloor(name: string, unit: string, samples: number[], floorName: string, floorSamples: number[], extra: Partial<Figure> = {}): Figure {
  const pairs = samples.map((x, i) => x / floorSamples[i]);
  return figure(name, unit, samples, {
    floor: { name: floorName, samples: floorSamples.map((x) => round(x)), median: round(median(floorSamples)), min: round(Math.min(...floorSamples)), max: round(Math.max(...floorSamples)) },
    ratio: round(median(samples) / median(floorSamples), 2),
    pairRatios: { median: round(median(pairs), 2), min: round(Math.min(...pairs), 2), max: round(Math.max(...pairs), 2) },
    ...extra,
  });
}

function run(cmd: string): string {
  const r = spawnSync("bash", ["-c", cmd], { encoding: "utf8" });
  return `${r.stdout ?? ""}`.trim();
}

/** The machine: cores, memory, disk, kernel and the versions of what the figures depend on. */
export function describeMachine(dir = "/"): Record<string, string> {
  return {
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    disk: run(`df -h --output=source,size,avail ${JSON.stringify(dir)} | tail -n 1`),
    kernel: os.release(),
    node: process.version,
    docker: run("docker version --format '{{.Server.Version}}' 2>/dev/null"),
    mariadb: run("mysql -N -B -e 'SELECT VERSION()' 2>/dev/null"),
    restic: run("restic version 2>/dev/null | head -n1"),
    loadAverageAtStart: os.loadavg().map((x) => x.toFixed(2)).join(" "),
  };
}

/** Adds (or replaces) one benchmark's section of bench/results.json. */
export function saveSection(key: string, section: Record<string, unknown>): void {
  const all = fs.existsSync(RESULTS_JSON) ? JSON.parse(fs.readFileSync(RESULTS_JSON, "utf8")) : {};
  all[key] = { ...section, at: new Date().toISOString() };
  fs.writeFileSync(RESULTS_JSON, `${JSON.stringify(all, null, 2)}\n`);
}

/**
 * Samples the resident memory of every process descended from this one
 * (the engine, its language host and plugins, the program) while `fn` runs;
 * returns the largest sum seen (MiB).
 */
export async function peakTreeMemory<T>(fn: () => Promise<T>, everyMs = 200): Promise<{ value: T; peakMiB: number }> {
  let peak = 0;
  const sample = () => {
    const rows = run("ps -e -o pid=,ppid=,rss=").split("\n").map((l) => l.trim().split(/\s+/).map(Number));
    const children = new Map<number, number[]>();
    for (const [pid, ppid] of rows) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    const rss = new Map(rows.map(([pid, , r]) => [pid, r]));
    let sum = 0;
    const todo = [...(children.get(process.pid) ?? [])];
    while (todo.length) {
      const pid = todo.pop()!;
      sum += rss.get(pid) ?? 0;
      todo.push(...(children.get(pid) ?? []));
    }
    peak = Math.max(peak, sum / 1024);
  };
  const timer = setInterval(sample, everyMs);
  try {
    const value = await fn();
    return { value, peakMiB: peak };
  } finally {
    clearInterval(timer);
  }
}

export interface LoadResult {
  samples: { at: number; ms: number; status: number; error: string }[];
}

/** bench/load.js in another process: RATE requests/s to HOST until stop(). */
export function startLoad(hostName: string, port: number, ca: string, rate = 20): { stop: () => Promise<LoadResult> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-bench-load-"));
  fs.writeFileSync(path.join(dir, "ca.pem"), ca);
  const child = spawn(process.execPath, [path.join(BENCH_DIR, "load.js"), hostName, String(port), path.join(dir, "ca.pem"), path.join(dir, "stop"), String(rate)]);
  let out = "";
  child.stdout.on("data", (c) => { out += c; });
  child.stderr.on("data", (c) => process.stderr.write(c));
  const done = new Promise<void>((resolve) => child.on("close", () => resolve()));
  return {
    async stop() {
      fs.writeFileSync(path.join(dir, "stop"), "");
      await done;
      fs.rmSync(dir, { recursive: true, force: true });
      return { samples: JSON.parse(out.trim() || "[]") };
    },
  };
}

export function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}
