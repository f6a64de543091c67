/**
 * Each fault case records how often it was tried and what the operator
 * sees into test-results/fault-cases.json, once every assertion of the case
 * has passed (a fault the platform did not survive fails its test first,
 * and the case is then missing from the file); docs/RELIABILITY.md's table
 * is made from it.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const FILE = path.resolve(__dirname, "..", "..", "test-results", "fault-cases.json");

export function recordFault(name: string, tries: number, operatorSees: string): void {
  fs.mkdirSync(path.dirname(FILE), { recursive: true });
  const all: Record<string, { tries: number; operatorSees: string; at: string }> = fs.existsSync(FILE) ? JSON.parse(fs.readFileSync(FILE, "utf8")) : {};
  all[name] = { tries, operatorSees, at: new Date().toISOString() };
  fs.writeFileSync(FILE, `${JSON.stringify(all, null, 2)}\n`);
  console.log(`      fault: ${name}: tried ${tries}, held`);
}
