/**
 * Drives the real Pulumi engine (the CLI, the Node.js language host and the
 * provider plugins that scripts/pulumi-toolchain.sh builds) through the
 * Automation API: a LocalWorkspace on a throwaway project whose program is
 * the repository's own index.ts, a file:// state backend in that project's
 * folder and the passphrase secrets provider. Nothing here stands in for
 * the engine or a provider.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  ConfigMap, EngineEvent, LocalWorkspace, PreviewResult, PulumiCommand, Stack, UpResult,
} from "@pulumi/pulumi/automation";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface Toolchain {
  /** The folder holding bin/pulumi and bin/pulumi-language-nodejs (PulumiCommand's root). */
  root: string;
  binDir: string;
  pulumiHome: string;
  /** What scripts/pulumi-offline-env.sh sets (PATH, PULUMI_HOME, no update checks or plugin downloads): the engine's environment. */
  env: Record<string, string>;
}

let toolchain: Toolchain | undefined;

/**
 * Builds the engine and plugins when they are missing (cached; minutes the
 * first time, with progress on stderr) and returns where they are, with the
 * environment scripts/pulumi-offline-env.sh gives a shell: the tests run the
 * engine exactly as a user's shell would.
 */
export function ensureToolchain(): Toolchain {
  if (toolchain) return toolchain;
  const script = path.join(REPO_ROOT, "scripts", "pulumi-toolchain.sh");
  const build = spawnSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 60 * 60_000 });
  if (build.status !== 0) throw new Error(`scripts/pulumi-toolchain.sh failed (${build.status ?? build.signal}); its output is above`);
  const offline = spawnSync("bash", ["-c", 'source "$1" && env -0', "offline-env", path.join(REPO_ROOT, "scripts", "pulumi-offline-env.sh")], {
    encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" },
  });
  const env = Object.fromEntries(offline.stdout.split("\0").filter((l) => /^(PATH|PULUMI_[A-Z_]+)=/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  const binDir = (env.PATH ?? "").split(":")[0];
  if (offline.status !== 0 || !fs.existsSync(path.join(binDir, "pulumi")) || env.PULUMI_HOME === undefined) {
    throw new Error(`scripts/pulumi-offline-env.sh gave no usable PATH or PULUMI_HOME (exit ${offline.status}): ${JSON.stringify(env)}`);
  }
  env.PATH = `${binDir}:${process.env.PATH ?? ""}`;
  toolchain = { root: path.dirname(binDir), binDir, pulumiHome: env.PULUMI_HOME, env };
  return toolchain;
}

/** A value of an exported deployment: secrets come as `{ <sig>: ..., plaintext: "<JSON>" }` with --show-secrets. */
function revealed(value: unknown): unknown {
  if (value !== null && typeof value === "object" && "plaintext" in value) {
    return JSON.parse(String((value as { plaintext: unknown }).plaintext));
  }
  return value;
}

/** What one operation did: its result, everything the CLI printed, and the engine's events. */
export interface Run<T> {
  result: T;
  output: string;
  events: EngineEvent[];
}

/** The engine's step events in order, with their times: what ran when (diagnostics). */
export function timelineOf(events: EngineEvent[]): string {
  return events.flatMap((e) => {
    const pre = e.resourcePreEvent?.metadata;
    const out = e.resOutputsEvent?.metadata;
    const m = pre ?? out;
    if (!m || m.op === "same") return [];
    const at = new Date(e.timestamp * 1000).toISOString().slice(11, 23);
    return [`${at} ${pre ? "start" : "done "} ${m.op} ${m.urn.slice(m.urn.lastIndexOf("::") + 2)}`];
  }).join("\n");
}

/** A resource step as the engine reported it: `replace docker:index/container:Container::alpha-container`. */
export function stepsOf(events: EngineEvent[]): string[] {
  const steps: string[] = [];
  for (const e of events) {
    const meta = e.resourcePreEvent?.metadata;
    if (!meta || meta.op === "same" || meta.op === "read") continue;
    const urn = meta.urn;
    const [type, name] = [meta.type, urn.slice(urn.lastIndexOf("::") + 2)];
    steps.push(`${meta.op} ${type}::${name}`);
  }
  return steps;
}

export interface HostProgramConfig {
  host: Record<string, unknown>;
  backup?: Record<string, unknown>;
  sites: Record<string, unknown>[];
}

export interface HostProgramSecrets {
  sshPrivateKey?: string;
  backupKey?: string;
  secrets?: Record<string, unknown>;
}

/**
 * A stack of the repository's host program (index.ts), as a user runs it
 * with `pulumi up`, in a throwaway project folder.
 */
export class HostProgramStack {
  readonly dir: string;
  private constructor(readonly stack: Stack, dir: string) {
    this.dir = dir;
  }

  static async create(name: string, config: HostProgramConfig, secrets: HostProgramSecrets): Promise<HostProgramStack> {
    const tc = ensureToolchain();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sp-e2e-${name}-`));
    fs.mkdirSync(path.join(dir, ".state"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), [
      "name: simple-paas-e2e",
      "description: the simple-paas host program (index.ts of the repository) under test",
      "runtime:",
      "  name: nodejs",
      "  options:",
      "    typescript: false",
      "main: program.js",
      "",
    ].join("\n"));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "simple-paas-e2e", private: true, main: "program.js" }));
    // The repository's index.ts, compiled on the fly like `pulumi up` in the repository does.
    fs.writeFileSync(path.join(dir, "program.js"), [
      `require(${JSON.stringify(path.join(REPO_ROOT, "node_modules", "ts-node"))}).register({`,
      `  transpileOnly: true, project: ${JSON.stringify(path.join(REPO_ROOT, "tsconfig.json"))},`,
      "});",
      `module.exports = require(${JSON.stringify(path.join(REPO_ROOT, "index.ts"))});`,
      "",
    ].join("\n"));
    // One copy of @pulumi/pulumi for the language host and the program.
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
    const ws = await LocalWorkspace.create({
      workDir: dir,
      pulumiHome: tc.pulumiHome,
      pulumiCommand: await PulumiCommand.get({ root: tc.root }),
      envVars: {
        ...tc.env,
        PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}`,
        PULUMI_CONFIG_PASSPHRASE: "simple-paas-e2e-passphrase",
      },
    });
    const stack = await Stack.create(name, ws);
    const h = new HostProgramStack(stack, dir);
    await h.setConfig(config, secrets);
    return h;
  }

  async setConfig(config: HostProgramConfig, secrets: HostProgramSecrets = {}): Promise<void> {
    const values: ConfigMap = {
      "simple-paas:host": { value: JSON.stringify(config.host) },
      "simple-paas:backup": { value: JSON.stringify(config.backup ?? {}) },
      "simple-paas:sites": { value: JSON.stringify(config.sites) },
    };
    if (secrets.sshPrivateKey !== undefined) values["simple-paas:sshPrivateKey"] = { value: secrets.sshPrivateKey, secret: true };
    if (secrets.backupKey !== undefined) values["simple-paas:backupKey"] = { value: secrets.backupKey, secret: true };
    if (secrets.secrets !== undefined) values["simple-paas:secrets"] = { value: JSON.stringify(secrets.secrets), secret: true };
    await this.stack.setAllConfig(values);
  }

  /**
   * `pulumi up`. One failure is met the way an operator would meet it: when
   * the only error is an SSH connection to the host that dropped as a step
   * started (`EOF: running "..."` from command.remote, which does not retry a
   * dropped session; seen about once in ten ups against the bare test host
   * in a container), `up` runs once more, saying so. Every step is
   * idempotent; whatever else fails, fails the test.
   */
  async up(): Promise<Run<UpResult>> {
    let output = "";
    const events: EngineEvent[] = [];
    const once = () => this.stack.up({ color: "never", onOutput: (o) => { output += o; }, onEvent: (e) => events.push(e) });
    try {
      return { result: await once(), output, events };
    } catch (err) {
      const errors = output.split("\n").filter((l) => /^\s+error: /.test(l) && !/error: update failed$/.test(l));
      if (errors.length === 0 || !errors.every((l) => /error: EOF: running "/.test(l))) {
        throw new Error(`pulumi up failed:\n${output}\n${(err as Error).message}`);
      }
      console.log(`      pulumi up: an SSH connection to the host dropped as a step started (${errors.length} step(s)); running pulumi up again`);
      try {
        return { result: await once(), output, events };
      } catch (again) {
        throw new Error(`pulumi up failed twice:\n${output}\n${(again as Error).message}`);
      }
    }
  }

  /** `pulumi cancel`: removes the lock an `up` that was killed left on the stack (what an operator runs then). */
  async cancel(): Promise<void> {
    await this.stack.cancel();
  }

  /** `pulumi refresh --clear-pending-creates`: drops the pending creates a killed `up` left in the state. */
  async refreshClearingPendingCreates(): Promise<void> {
    await this.stack.refresh({ color: "never", clearPendingCreates: true });
  }

  /** `pulumi preview`: the steps it would take (empty when nothing would change). */
  async preview(): Promise<Run<PreviewResult> & { steps: string[] }> {
    let output = "";
    const events: EngineEvent[] = [];
    try {
      const result = await this.stack.preview({ color: "never", onOutput: (o) => { output += o; }, onEvent: (e) => events.push(e) });
      return { result, output, events, steps: stepsOf(events) };
    } catch (err) {
      throw new Error(`pulumi preview failed:\n${output}\n${(err as Error).message}`);
    }
  }

  async destroy(): Promise<string> {
    let output = "";
    try {
      await this.stack.destroy({ color: "never", onOutput: (o) => { output += o; } });
      return output;
    } catch (err) {
      throw new Error(`pulumi destroy failed:\n${output}\n${(err as Error).message}`);
    }
  }

  /** Every resource in the stack's state: type, name and outputs (secrets shown). */
  async resources(): Promise<{ type: string; name: string; outputs: Record<string, unknown> }[]> {
    const deployment = await this.stack.exportStack();
    const resources = (deployment.deployment as { resources?: { urn: string; type: string; outputs?: Record<string, unknown> }[] }).resources ?? [];
    return resources.map((r) => ({
      type: r.type,
      name: r.urn.slice(r.urn.lastIndexOf("::") + 2),
      outputs: Object.fromEntries(Object.entries(r.outputs ?? {}).map(([k, v]) => [k, revealed(v)])),
    }));
  }

  /** The outputs of one resource in the stack's state (secrets shown), by its name. */
  async resourceOutputs(name: string): Promise<Record<string, unknown> | undefined> {
    return (await this.resources()).find((r) => r.name === name)?.outputs;
  }

  async stackOutputs(): Promise<Record<string, unknown>> {
    const outputs = await this.stack.outputs();
    return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
  }

  /** Removes the stack's state and the project folder (after destroy). */
  async dispose(): Promise<void> {
    try {
      await this.stack.workspace.removeStack(this.stack.name, { force: true });
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
