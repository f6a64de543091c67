import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Executes the very text a renderer produced with bash, as a host would. */
export function runBash(
  script: string,
  opts: { stdin?: string; env?: NodeJS.ProcessEnv; args?: string[]; timeoutMs?: number } = {},
): RunResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-script-"));
  const file = path.join(dir, "script.sh");
  fs.writeFileSync(file, script, { mode: 0o700 });
  try {
    const r = spawnSync("bash", [file, ...(opts.args ?? [])], {
      input: opts.stdin ?? "",
      env: opts.env ?? process.env,
      encoding: "utf8",
      timeout: opts.timeoutMs ?? 10 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) throw r.error;
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a command and throws with its output when it fails. */
export function sh(command: string, opts: { stdin?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): string {
  const r = spawnSync("bash", ["-c", command], {
    input: opts.stdin ?? "",
    env: opts.env ?? process.env,
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 10 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`command failed (${r.status}): ${command}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  return r.stdout;
}
