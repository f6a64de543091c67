/**
 * The raw floor of a recovery, for comparison with the platform's: restic
 * restores of the sites' latest snapshots plus the SQL imports of their
 * dumps, done by hand and in parallel (as the engine restores the sites),
 * into scratch folders and databases. Figures are reported, never asserted.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sh } from "../support/run";
import { SITES } from "./platform-fixture";

/** Seconds that restic restore + mysql import of every site's latest snapshot take by hand on this machine. */
export function rawRestoreSeconds(sites: readonly string[] = SITES): number {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "sp-raw-restore-"));
  const perSite = sites.map((site) => [
    `(set -euo pipefail`,
    `RESTIC_PASSWORD_FILE=/etc/simple-paas/sites/${site}/backup/restic_pass restic -r /var/backups/simple-paas/${site} restore latest --target ${work}/${site} --quiet`,
    `dump=$(find ${work}/${site} -path '*/dump/${site}.sql' | head -n1)`,
    `mysql -e 'CREATE DATABASE raw_${site}'`,
    `mysql raw_${site} <"$dump") &`,
  ].join("\n"));
  const script = `set -euo pipefail\nstart=$(date +%s.%N)\n${perSite.join("\n")}\nfor job in $(jobs -p); do wait "$job"; done\nend=$(date +%s.%N)\necho "$start $end"`;
  try {
    const [start, end] = sh(script).trim().split(" ").map(Number);
    return end - start;
  } finally {
    sh(`mysql -e '${sites.map((s) => `DROP DATABASE IF EXISTS raw_${s};`).join(" ")}'`);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Prints one timing line for the CI log and keeps it in test-results/recovery-timing.txt. */
export function report(scenario: string, recoveredSeconds: number, floorSeconds: number): void {
  const line = `recovery timing (${scenario}): host gone -> every site serves its restored content ${recoveredSeconds.toFixed(1)} s; ` +
    `raw floor (restic restore + SQL import by hand, same snapshots, same run) ${floorSeconds.toFixed(1)} s; ` +
    `ratio ${(recoveredSeconds / floorSeconds).toFixed(1)}x`;
  console.log(`      ${line}`);
  const dir = path.resolve(__dirname, "..", "..", "test-results");
  fs.mkdirSync(dir, { recursive: true });
  fs.appendFileSync(path.join(dir, "recovery-timing.txt"), `${new Date().toISOString()} ${line}\n`);
}
