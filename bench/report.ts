/**
 * bench/results.json → bench/results.md (every figure with its samples,
 * floor, ratio and target; the machine; the recovery's timeline) and the
 * README's benchmark table (between `<!-- bench:begin -->` and
 * `<!-- bench:end -->`). Run by bench/run.ts; alone: `npx ts-node bench/report.ts`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { BENCH_DIR, Figure, RESULTS_JSON } from "./lib";

const README = path.join(BENCH_DIR, "..", "README.md");
const TITLES: Record<string, string> = {
  platform: "The platform at size: backups, recovery of a wiped host, updates under load, overhead (bench/platform.bench.ts)",
  scale: "Deploys at scale (bench/scale.bench.ts)",
  bareHost: "Recovery onto a bare new host (bench/bare-host.bench.ts)",
};

const num = (x: number | undefined) =>
  x === undefined || Number.isNaN(x) ? "–" : Number.isInteger(x) || Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(x >= 10 ? 1 : 2);

function row(f: Figure): string {
  const floor = f.floor ? `${num(f.floor.median)} (${f.floor.name})` : "";
  const ratio = f.ratio !== undefined ? `${f.ratio.toFixed(2)}×${f.pairRatios ? ` (pairs ${f.pairRatios.min.toFixed(2)}–${f.pairRatios.max.toFixed(2)})` : ""}` : "";
  const target = f.target ? `${f.target}: ${f.met === undefined ? "–" : f.met ? "met" : "**missed**"}` : "";
  return `| ${f.name} | ${num(f.median)} ${f.unit} | ${num(f.min)}–${num(f.max)} | ${floor} | ${ratio} | ${target} |`;
}

function table(figures: Figure[]): string[] {
  return ["| figure | median | min–max | floor (median) | ratio | target |", "|---|---:|---:|---|---:|---|", ...figures.map(row)];
}

export function writeReport(): void {
  const all = JSON.parse(fs.readFileSync(RESULTS_JSON, "utf8")) as Record<string, Record<string, unknown>>;
  const out: string[] = [
    "# Benchmarks",
    "",
    "Written by `npm run bench` from bench/results.json. Every figure is the median of the rounds (the samples are in results.json);",
    "a floor is the same work done with the raw tools in the same run, and its ratio is median / floor median (pairs: the ratio of each",
    "round's pair, which holds when the machine's speed drifts). The single-site backup/restore figures are in",
    "[backup-single-site.md](backup-single-site.md).",
    "",
  ];
  for (const [key, section] of Object.entries(all)) {
    const machine = section.machine as Record<string, string> | undefined;
    out.push(`## ${TITLES[key] ?? key}`, "", `Run ${section.at}${section.partial ? " (partial: the run stopped before its end)" : ""}, ${section.repeat} rounds.`, "");
    if (machine) out.push(`Machine: ${Object.entries(machine).map(([k, v]) => `${k} ${v}`).join("; ")}.`, "");
    if (section.data) out.push(`Data: ${Object.entries(section.data as object).map(([k, v]) => `${k} ${v}`).join(", ")}.`, "");
    if (section.cache) out.push(`Caches: ${section.cache}.`, "");
    out.push(...table(section.figures as Figure[]), "");
    for (const f of section.figures as Figure[]) if (f.note) out.push(`- ${f.name}: ${f.note}`);
    for (const n of (section.notes as string[] | undefined) ?? []) out.push(`- ${n}`);
    if (section.note) out.push(`- ${section.note}`);
    if (section.overhead) {
      const o = section.overhead as { windowSeconds: number; containers: Record<string, Record<string, number>>; cron: Record<string, number>; note: string };
      out.push("", `### Overhead at rest (${o.windowSeconds} s)`, "", "| what | count | memory each (MiB) | memory all (MiB) | CPU each (%) | CPU all (%) |", "|---|---:|---:|---:|---:|---:|");
      for (const [role, c] of Object.entries(o.containers)) out.push(`| ${role} container${role === "site" ? " (the site's own, for scale)" : ""} | ${c.containers} | ${c.memoryMiBEach} | ${c.memoryMiBAll} | ${c.cpuPercentEach} | ${c.cpuPercentAll} |`);
      out.push(`| cron | ${o.cron.processes} | ${o.cron.rssMiB} | ${o.cron.rssMiB} | ${o.cron.cpuPercent} | ${o.cron.cpuPercent} |`, "", o.note);
    }
    if (section.recoveryTimeline) {
      out.push("", "### Where a recovery's `up` spends its time (first round; bench/recovery-timeline.txt has every step)", "", "```", ...(section.recoveryTimeline as string[]), "```");
    }
    out.push("");
  }
  fs.writeFileSync(path.join(BENCH_DIR, "results.md"), out.join("\n"));
  const readme = fs.readFileSync(README, "utf8");
  const begin = "<!-- bench:begin -->";
  const end = "<!-- bench:end -->";
  if (readme.includes(begin) && readme.includes(end)) {
    const headline = Object.values(all).flatMap((s) => (s.figures as Figure[]).filter((f) => f.target !== undefined || f.floor !== undefined));
    const text = [begin, `From bench/results.json (${Object.values(all).map((s) => String(s.at).slice(0, 10)).sort().pop()}); every figure in [bench/results.md](bench/results.md).`, "", ...table(headline), end].join("\n");
    fs.writeFileSync(README, readme.slice(0, readme.indexOf(begin)) + text + readme.slice(readme.indexOf(end) + end.length));
  }
}

if (require.main === module) writeReport();
