/**
 * Each attack case of the security suite records how often it was tried
 * into test-results/security-cases.json, once every assertion of the case
 * has passed (a defence that did not hold fails its test first, and the
 * case is then missing from the file); docs/SECURITY.md's table is made
 * from it.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const FILE = path.resolve(__dirname, "..", "..", "test-results", "security-cases.json");

export function recordCase(name: string, tries: number): void {
  fs.mkdirSync(path.dirname(FILE), { recursive: true });
  const all: Record<string, { tries: number; at: string }> = fs.existsSync(FILE) ? JSON.parse(fs.readFileSync(FILE, "utf8")) : {};
  all[name] = { tries, at: new Date().toISOString() };
  fs.writeFileSync(FILE, `${JSON.stringify(all, null, 2)}\n`);
  console.log(`      case: ${name}: tried ${tries}, held`);
}
