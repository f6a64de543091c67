/**
 * The host programs that are real bash files (components/host-scripts/):
 * shellchecked as files, shipped in the package beside the compiled code
 * (`npm run build` copies them), and put together here with the values that
 * only TypeScript knows. Each file starts with a header of comment lines
 * (its `# shellcheck shell=bash` directive and what it is for) that ends at
 * the first blank line; the header stays out of the text a host receives.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The folder of the host script files, next to this module's folder in the source tree and in dist/. */
export const HOST_SCRIPTS_DIR = path.join(__dirname, "..", "host-scripts");

const cache = new Map<string, string>();

/** The body of `host-scripts/<relativePath>` without its header. */
export function hostScriptFile(relativePath: string): string {
  const cached = cache.get(relativePath);
  if (cached !== undefined) return cached;
  const file = path.join(HOST_SCRIPTS_DIR, relativePath);
  const text = fs.readFileSync(file, "utf8");
  const end = text.indexOf("\n\n");
  const header = end < 0 ? text : text.slice(0, end + 1);
  if (!header.split("\n").filter((l) => l !== "").every((l) => l.startsWith("#"))) {
    throw new Error(`${file}: the header (up to the first blank line) must be comment lines only`);
  }
  const body = end < 0 ? "" : text.slice(end + 2);
  cache.set(relativePath, body);
  return body;
}
