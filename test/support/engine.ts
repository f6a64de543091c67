/**
 * Drives the real Pulumi engine (built from Go modules by
 * scripts/pulumi-toolchain.sh) against a throwaway project: a file:// state
 * backend in a temp dir, the passphrase secrets provider, no update checks,
 * no plugin downloads.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const repoRoot = path.resolve(__dirname, "..", "..");
let engineEnv: NodeJS.ProcessEnv | undefined;

/** Builds (or reuses) the engine and returns the environment that runs it offline. */
export function ensureEngine(): NodeJS.ProcessEnv {
  if (engineEnv) return engineEnv;
  const r = spawnSync("bash", [path.join(repoRoot, "scripts", "pulumi-toolchain.sh"), "--print-env"], {
    encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 80 * 60_000,
  });
  if (r.status !== 0) throw new Error(`pulumi-toolchain.sh failed (${r.status})`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const line of r.stdout.split("\n")) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    // The values are single-quoted or plain; PATH may reference $PATH.
    let value = m[2].replace(/^'(.*)'$/, "$1").replace(/^"(.*)"$/, "$1");
    value = value.replace(/\$\{?PATH\}?/g, process.env.PATH ?? "");
    env[m[1]] = value;
  }
  Object.assign(env, {
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_CONFIG_PASSPHRASE: "simple-paas-test-passphrase",
  });
  engineEnv = env;
  return env;
}

export interface EngineResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** A throwaway Pulumi project with its own state backend. */
export class TestProject {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly stack: string;

  constructor(name: string, files: Record<string, string>, opts: { dir?: string; stack?: string } = {}) {
    this.dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `sp-e2e-${name}-`));
    this.stack = opts.stack ?? "test";
    const state = path.join(this.dir, ".state");
    fs.mkdirSync(state, { recursive: true });
    this.env = { ...ensureEngine(), PULUMI_BACKEND_URL: `file://${state}`, PULUMI_HOME: ensureEngine().PULUMI_HOME };
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(this.dir, file)), { recursive: true });
      fs.writeFileSync(path.join(this.dir, file), text);
    }
    if (!fs.existsSync(path.join(this.dir, "node_modules"))) {
      fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(this.dir, "node_modules"));
    }
    this.mustRun(["stack", "init", this.stack]);
  }

  run(args: string[], timeoutMs = 20 * 60_000): EngineResult {
    const r = spawnSync("pulumi", [...args, "--non-interactive"], {
      cwd: this.dir, env: this.env, encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) throw r.error;
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** Like run, without blocking the event loop (for tests that do other work meanwhile). */
  runAsync(args: string[], timeoutMs = 20 * 60_000): Promise<EngineResult> {
    return new Promise((resolve, reject) => {
      const child = spawn("pulumi", [...args, "--non-interactive"], { cwd: this.dir, env: this.env });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c) => { stdout += c; });
      child.stderr.on("data", (c) => { stderr += c; });
      const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
      child.on("error", reject);
      child.on("close", (code) => { clearTimeout(timer); resolve({ status: code ?? -1, stdout, stderr }); });
    });
  }

  mustRun(args: string[], timeoutMs?: number): string {
    const r = this.run(args, timeoutMs);
    if (r.status !== 0) throw new Error(`pulumi ${args.join(" ")} failed (${r.status})\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  setConfig(key: string, value: string, secret = false): void {
    this.mustRun(["config", "set", ...(secret ? ["--secret"] : []), "--", key, value]);
  }

  up(extra: string[] = []): string {
    return this.mustRun(["up", "--yes", "--skip-preview", ...extra]);
  }

  /** `pulumi preview --json`: the step list, to assert what would change. */
  previewSteps(extra: string[] = []): { op: string; urn: string }[] {
    const out = this.mustRun(["preview", "--json", ...extra]);
    const parsed = JSON.parse(out) as { steps?: { op: string; urn: string }[] };
    return parsed.steps ?? [];
  }

  outputs(): Record<string, unknown> {
    return JSON.parse(this.mustRun(["stack", "output", "--json", "--show-secrets"])) as Record<string, unknown>;
  }

  destroy(): string {
    return this.mustRun(["destroy", "--yes", "--skip-preview"]);
  }

  /** Removes the stack's state and the temp dir (after destroy). */
  dispose(): void {
    this.run(["stack", "rm", "--yes", "--force"]);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
