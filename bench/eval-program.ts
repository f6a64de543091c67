/**
 * One evaluation of the host program (components/stack-program.ts, what
 * index.ts runs) with N sites under Pulumi's mocks, in a process of its own:
 * prints {"ms": ..., "maxRssMiB": ..., "resources": ...} — the time from the
 * call to every resource registered and every site's container name known.
 *   npx ts-node --transpile-only bench/eval-program.ts N
 */
import * as pulumi from "@pulumi/pulumi";
import { installRecordingMocks, recorded, settle, valueOf } from "../test/support/mocks";

async function main(): Promise<void> {
  const n = Number(process.argv[2]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`usage: eval-program.ts N (sites), not ${process.argv[2]}`);
  installRecordingMocks();
  const { buildHostProgram } = await import("../components/stack-program");
  const sites = Array.from({ length: n }, (_, i) => ({
    name: `site${i + 1}`, image: `registry.example.com/site${i + 1}:v1`, domains: [`site${i + 1}.example.com`, `www.site${i + 1}.example.com`],
    healthCheck: { path: "/health" }, env: { GREETING: "hello" }, cron: [{ schedule: "*/5 * * * *", command: "php cron.php" }],
  }));
  const start = process.hrtime.bigint();
  const program = buildHostProgram({ host: { stagingDomain: "staging.example.com" }, backup: { schedule: "@hourly" }, sites }, { backupKey: pulumi.secret("bench-key") });
  await Promise.all(program.sites.map((s) => valueOf(s.containerName)));
  await settle();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(`${JSON.stringify({ ms, maxRssMiB: process.resourceUsage().maxRSS / 1024, resources: recorded.length })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
