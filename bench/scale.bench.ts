/**
 * Deploys at scale: a host program with N sites (BENCH_SCALE_SITES,
 * default 1,10,50,100; BENCH_SCALE_ENGINE_SITES for the engine's part,
 * default the same).
 *
 *   evaluation  the host program under Pulumi's mocks, in a process of its
 *               own as `pulumi up` runs index.ts (ts-node), against the SDK
 *               alone registering as many resources (bench/eval-floor.ts)
 *   engine      on this machine as the host, through the real CLI and
 *               providers (the e2e fixture, memcached off): the first `up`,
 *               `pulumi preview`, a no-change `pulumi up`, and one site's
 *               image update (v1 ↔ v2) — time and peak memory of every
 *               process the engine starts (CLI, language host, program,
 *               providers)
 *
 * BENCH_REPEAT (5) runs of each. Run as root: `npm run bench -- scale`.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { createPlatform, disposePlatform, Platform } from "../test/e2e/platform-fixture";
import { BENCH_DIR, Figure, describeMachine, figure, intEnv, log, median, peakTreeMemory, saveSection } from "./lib";

const REPEAT = intEnv("BENCH_REPEAT", 5, 1);
function sizes(name: string, def: string): number[] {
  return (process.env[name] || def).split(",").map((s) => {
    if (!/^[1-9][0-9]*$/.test(s)) throw new Error(`${name}=${process.env[name]}: expected numbers like 1,10,50`);
    return Number(s);
  });
}
/** Sizes of the evaluation under mocks; of the real engine's runs (each takes minutes: 100 sites about half an hour). */
const SIZES = sizes("BENCH_SCALE_SITES", "1,10,50,100");
const ENGINE_SIZES = sizes("BENCH_SCALE_ENGINE_SITES", SIZES.join(","));

function evalOnce(script: string, n: number): { ms: number; maxRssMiB: number } {
  const r = spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", path.join(BENCH_DIR, script), String(n)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${script} ${n} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; peakMiB: number }> {
  const t = process.hrtime.bigint();
  const { peakMiB } = await peakTreeMemory(fn);
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, peakMiB };
}

async function engineAt(n: number, figures: Figure[]): Promise<void> {
  const sites = Array.from({ length: n }, (_, i) => `scale${String(i + 1).padStart(3, "0")}`);
  let platform: Platform | undefined;
  try {
    platform = await createPlatform(`scale${n}`, { sites, memcached: false });
    const p = platform;
    const first = await timed(() => p.stack.up());
    figures.push(figure(`${n} sites: first \`pulumi up\` (every site created)`, "s", [first.seconds], { note: `peak memory ${first.peakMiB.toFixed(0)} MiB; one run` }));
    const previews: { seconds: number; peakMiB: number }[] = [];
    const ups: { seconds: number; peakMiB: number }[] = [];
    const updates: { seconds: number; peakMiB: number }[] = [];
    for (let i = 0; i < REPEAT; i++) {
      previews.push(await timed(async () => {
        const steps = (await p.stack.preview()).steps;
        if (steps.length) throw new Error(`${n} sites: the preview reports changes:\n${steps.join("\n")}`);
      }));
      ups.push(await timed(() => p.stack.up()));
    }
    for (let i = 0; i < REPEAT; i++) {
      const tag = i % 2 === 0 ? "v2" : "v1";
      await p.setSites(p.sites.map((s) => (s.name === sites[0] ? { ...s, image: `127.0.0.1:5000/site-app:${tag}` } : s)));
      updates.push(await timed(() => p.stack.up()));
    }
    const steps = (await p.stack.preview()).steps;
    if (steps.length) throw new Error(`${n} sites: after the updates the preview reports changes:\n${steps.join("\n")}`);
    const add = (label: string, xs: { seconds: number; peakMiB: number }[], extra: Partial<Figure> = {}) => {
      figures.push(figure(`${n} sites: ${label}`, "s", xs.map((x) => x.seconds), extra));
      figures.push(figure(`${n} sites: ${label}, peak memory of the engine's processes`, "MiB", xs.map((x) => x.peakMiB)));
    };
    add("`pulumi preview`, no changes", previews);
    add("`pulumi up`, no changes", ups, n === 50 ? { target: "≤ 20 s" } : {});
    add("one site's image update (`pulumi up`)", updates);
  } finally {
    await disposePlatform(platform);
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("npm run bench -- scale runs as root (it sets up this machine as a host)");
  const machine = describeMachine();
  const figures: Figure[] = [];
  const evalMedians = new Map<number, number>();
  for (const n of SIZES) {
    log(`evaluation, ${n} sites`);
    const ours: { ms: number; maxRssMiB: number }[] = [];
    const floor: { ms: number; maxRssMiB: number }[] = [];
    for (let i = 0; i < REPEAT; i++) {
      const pair = [() => ours.push(evalOnce("eval-program.ts", n)), () => floor.push(evalOnce("eval-floor.ts", n))];
      for (const f of i % 2 === 0 ? pair : pair.reverse()) f();
    }
    const perSite = ours.map((x) => x.ms / n);
    evalMedians.set(n, median(ours.map((x) => x.ms)));
    figures.push({
      ...figure(`${n} sites: program evaluation under mocks (ts-node, as \`pulumi up\` runs index.ts)`, "ms", ours.map((x) => x.ms)),
      floor: figure("the SDK alone registering as many resources", "ms", floor.map((x) => x.ms)),
      ratio: Number((ours.map((x) => x.ms).sort((a, b) => a - b)[Math.floor(REPEAT / 2)] / floor.map((x) => x.ms).sort((a, b) => a - b)[Math.floor(REPEAT / 2)]).toFixed(2)),
    });
    figures.push(figure(`${n} sites: program evaluation divided by the sites`, "ms", perSite));
    figures.push(figure(`${n} sites: program evaluation, peak memory`, "MiB", ours.map((x) => x.maxRssMiB)));
  }
  // What one more site costs: the slope between the smallest size and each larger one (linear if these agree).
  const smallest = Math.min(...SIZES);
  for (const n of SIZES.filter((x) => x > smallest)) {
    const slope = (evalMedians.get(n)! - evalMedians.get(smallest)!) / (n - smallest);
    figures.push(figure(`program evaluation: each site beyond ${smallest} (${smallest} → ${n} sites, from the medians)`, "ms", [slope], { target: "≤ 10 ms a site" }));
  }
  for (const n of ENGINE_SIZES) {
    log(`engine, ${n} sites`);
    await engineAt(n, figures);
    saveSection("scale", { machine, figures, repeat: REPEAT, sizes: SIZES, engineSizes: ENGINE_SIZES, partial: true });
  }
  for (const f of figures) {
    if (f.target === "≤ 10 ms a site") f.met = f.median <= 10;
    if (f.target === "≤ 20 s") f.met = f.median <= 20;
  }
  saveSection("scale", { machine, figures, repeat: REPEAT, sizes: SIZES, engineSizes: ENGINE_SIZES });
  log("done");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
