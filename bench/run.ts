/**
 * `npm run bench [-- NAME ...]`: runs the benchmarks named (all by default,
 * in this order), each in a process of its own, then writes
 * bench/results.md and the README's table from bench/results.json.
 *
 *   backup     sp backup / sp restore of one site vs the raw tools (bench/backup.bench.ts)
 *   platform   backups, recovery, updates under load and overhead at size (bench/platform.bench.ts)
 *   scale      evaluation, preview, up and one site's update with 1–100 sites (bench/scale.bench.ts)
 *   bare-host  recovery onto a bare new host at size (bench/bare-host.bench.ts)
 *
 * Never part of `npm test`. As root, on a machine with nothing else running.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { writeReport } from "./report";

const BENCHES: Record<string, string> = {
  backup: "backup.bench.ts",
  platform: "platform.bench.ts",
  scale: "scale.bench.ts",
  "bare-host": "bare-host.bench.ts",
};

function main(): void {
  const names = process.argv.slice(2).filter((a) => a !== "--");
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length) {
    console.error(`npm run bench: unknown benchmark ${unknown.join(", ")}; known: ${Object.keys(BENCHES).join(", ")}`);
    process.exit(2);
  }
  for (const name of names.length ? names : Object.keys(BENCHES)) {
    const started = Date.now();
    process.stderr.write(`=== bench ${name}\n`);
    const r = spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", path.join(__dirname, BENCHES[name])], { stdio: "inherit" });
    if (r.status !== 0) {
      console.error(`bench ${name} failed (${r.status ?? r.signal}); bench/results.json keeps the sections of the others`);
      process.exit(1);
    }
    process.stderr.write(`=== bench ${name}: ${((Date.now() - started) / 60_000).toFixed(1)} min\n`);
  }
  writeReport();
}

main();
