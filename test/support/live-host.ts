/**
 * Runs the host program's resources for real on this machine without the
 * Pulumi engine, which cannot be built here (docs/ENGINE.md: the module
 * proxy refuses the provider modules). Pulumi's mocks hand each resource's
 * resolved inputs to this executor, in the order the SDK registers them
 * (inputs and dependsOn resolved first, as under the engine), and it does
 * what the provider would:
 *
 *   command:local/remote:Command  the very `create` text through /bin/sh -c
 *                                 (locally or over ssh), stdin as given
 *   docker Network/Volume/RemoteImage/Container   the docker CLI
 *   mysql Database/User/Grant     SQL with the provider's admin account
 *   random RandomPassword         a random value, kept across runs
 *
 * It keeps a small state (ids, outputs, delete actions) so that a second
 * run finds what exists, an update can replace a container beside the old
 * one, and `destroy()` undoes everything in reverse order, running the
 * components' delete scripts. This is test machinery, not a provider: what
 * it proves is that the scripts, images, routes and SQL the components
 * produce work on a real host.
 */
import * as pulumi from "@pulumi/pulumi";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

interface Done {
  type: string;
  name: string;
  id: string;
  state: Record<string, unknown>;
  /** The inputs it was last applied with. */
  inputs?: string;
  undo?: () => void;
}

/** Mocks hand secrets over in Pulumi's wire form; the host gets the plain value (on stdin or in a file). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
function unwrapSecrets(value: any): any {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value !== null && typeof value === "object") {
    if (value[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270") return unwrapSecrets(value.value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

function run(cmd: string, args: string[], input = "", env: NodeJS.ProcessEnv = process.env): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { input, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 20 * 60_000 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function must(cmd: string, args: string[], input = "", env?: NodeJS.ProcessEnv): string {
  const r = run(cmd, args, input, env);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ").slice(0, 300)} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export class LiveHost {
  /** Everything created, in creation order (what `destroy` walks backwards). */
  readonly done: Done[] = [];
  /** What the last `up` actually did on the host (ran a script, created or replaced something). */
  changes: string[] = [];
  private readonly passwords = new Map<string, string>();
  private readonly providers = new Map<string, Record<string, any>>();
  private seen = new Set<string>();
  private pending: Promise<unknown>[] = [];
  private dockerHost?: string;
  private dockerSshOpts: string[] = [];
  private sshKeyDir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-live-ssh-"));

  /** Runs `program` as `pulumi up` would create it; resolves when every resource is done. */
  async up(program: () => unknown, opts: { refresh?: boolean } = {}): Promise<void> {
    if (opts.refresh) this.refresh();
    this.seen = new Set();
    this.pending = [];
    this.changes = [];
    const failures: Error[] = [];
    await pulumi.runtime.setMocks({
      newResource: (args) => {
        const p = Promise.resolve().then(() => this.create(args));
        this.pending.push(p.catch((e: Error) => { failures.push(e); }));
        return p;
      },
      call: (args) => args.inputs,
    }, "simple-paas", "live", false);
    program();
    // Registrations come in waves as outputs resolve; wait until no new ones start.
    for (let settled = 0; settled < 3;) {
      const n = this.pending.length;
      await Promise.all(this.pending);
      await new Promise((r) => setTimeout(r, 300));
      settled = this.pending.length === n ? settled + 1 : 0;
    }
    if (failures.length > 0) throw new Error(`up failed:\n${failures.map((f) => f.message).join("\n---\n")}`);
    // Keep `done` in this run's registration order: the SDK registers a resource only after
    // everything it depends on, so walking it backwards deletes dependents first.
    const order = [...this.seen];
    const rank = (d: Done) => { const i = order.indexOf(`${d.type}::${d.name}`); return i < 0 ? Number.MAX_SAFE_INTEGER : i; };
    this.done.sort((a, b) => rank(a) - rank(b));
    this.deleteReplaced();
  }

  /**
   * What `pulumi preview` would report, without touching the host: each
   * declared resource whose inputs differ from what was applied, as
   * `create`, `update` or `replace` (a container under a new name, a
   * command with new triggers).
   */
  async preview(program: () => unknown): Promise<string[]> {
    const steps: string[] = [];
    const pending: Promise<unknown>[] = [];
    await pulumi.runtime.setMocks({
      newResource: (args) => {
        const existing = this.done.find((d) => d.type === args.type && d.name === args.name);
        const inputs = unwrapSecrets(args.inputs) as Record<string, any>;
        if (args.custom || args.type.startsWith("pulumi:providers:")) {
          if (!existing) steps.push(`create ${args.type}::${args.name}`);
          else {
            const kind = this.diff(args.type, existing.state, inputs);
            if (kind) steps.push(`${kind} ${args.type}::${args.name}`);
          }
        }
        const state = existing ? { ...existing.state } : { ...inputs };
        pending.push(Promise.resolve());
        return { id: existing?.id ?? `${args.name}-preview`, state };
      },
      call: (args) => args.inputs,
    }, "simple-paas", "live", true);
    program();
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 100));
    return steps;
  }

  private diff(type: string, before: Record<string, unknown>, after: Record<string, any>): "update" | "replace" | undefined {
    const keys = Object.keys(after).filter((k) => after[k] !== undefined);
    const changed = keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    if (changed.length === 0) return undefined;
    if (type === "docker:index/container:Container" && changed.includes("name")) return "replace";
    if (type.startsWith("command:") && changed.includes("triggers")) return "replace";
    return type.startsWith("command:") ? "update" : "replace";
  }

  /**
   * `--refresh`: forgets the docker and MariaDB objects that no longer exist
   * on the host, so the next `up` creates them again. Like the engine, it
   * cannot see what a command did (see HostBootstrapArgs.generation).
   */
  refresh(): void {
    const exists = (d: Done): boolean => {
      const name = String(d.state.name ?? d.id);
      switch (d.type) {
        case "docker:index/container:Container": return this.dockerRun(["inspect", name]).status === 0;
        case "docker:index/network:Network": return this.dockerRun(["network", "inspect", name]).status === 0;
        case "docker:index/volume:Volume": return this.dockerRun(["volume", "inspect", name]).status === 0;
        case "docker:index/remoteImage:RemoteImage": return this.dockerRun(["image", "inspect", name]).status === 0;
        case "mysql:index/database:Database": return run("mysql", ["-N", "-e", `SHOW DATABASES LIKE '${name}'`]).stdout.trim() !== "";
        case "mysql:index/user:User": return run("mysql", ["-N", "-e", `SELECT 1 FROM mysql.user WHERE User='${d.state.user}' AND Host='${d.state.host}'`]).stdout.trim() !== "";
        case "mysql:index/grant:Grant": return run("mysql", ["-N", "-e", `SHOW GRANTS FOR '${d.state.user}'@'${d.state.host}'`]).status === 0;
        default: return true;
      }
    };
    for (const d of [...this.done]) if (!exists(d)) this.done.splice(this.done.indexOf(d), 1);
  }

  /** Undoes everything in reverse creation order, as `pulumi destroy` does. */
  destroy(): void {
    for (const d of [...this.done].reverse()) d.undo?.();
    this.done.length = 0;
  }

  private async create(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string; state: Record<string, any> }> {
    const key = `${args.type}::${args.name}`;
    this.seen.add(key);
    const inputs = unwrapSecrets(args.inputs) as Record<string, any>;
    if (!args.custom && !args.type.startsWith("pulumi:providers:")) return { id: "", state: {} };
    const existing = this.done.find((d) => d.type === args.type && d.name === args.name);
    const inputsJson = JSON.stringify(inputs);
    const containerGone = args.type === "docker:index/container:Container" &&
      this.dockerRun(["inspect", "-f", "{{.State.Running}}", String(inputs.name)]).stdout.trim() !== "true";
    if (existing && existing.inputs === inputsJson && !containerGone) return { id: existing.id, state: existing.state };
    const result = await this.apply(args, inputs, existing);
    this.changes.push(`${existing ? "update" : "create"} ${key}`);
    if (existing) Object.assign(existing, result, { inputs: inputsJson });
    else this.done.push({ type: args.type, name: args.name, ...result, inputs: inputsJson });
    return { id: result.id, state: result.state };
  }

  private async apply(args: pulumi.runtime.MockResourceArgs, inputs: Record<string, any>, existing?: Done): Promise<Omit<Done, "type" | "name">> {
    const id = existing?.id ?? `${args.name}-${crypto.randomBytes(4).toString("hex")}`;
    switch (args.type) {
      case "pulumi:providers:docker":
      case "pulumi:providers:mysql":
      case "pulumi:providers:command":
      case "pulumi:providers:random": {
        // Provider configuration reaches providers as strings; lists and objects as JSON.
        const config = { ...inputs };
        for (const k of ["sshOpts", "registryAuth"]) if (typeof config[k] === "string") config[k] = JSON.parse(config[k]);
        this.providers.set(id, config);
        if (args.type === "pulumi:providers:docker" && String(config.host ?? "").startsWith("ssh://")) {
          this.dockerHost = config.host;
          this.dockerSshOpts = config.sshOpts ?? [];
        }
        return { id, state: inputs };
      }
      case "random:index/randomPassword:RandomPassword": {
        const value = this.passwords.get(args.name) ?? crypto.randomBytes(64).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, inputs.length ?? 32);
        this.passwords.set(args.name, value);
        return { id, state: { ...inputs, result: value } };
      }
      case "command:local:Command":
      case "command:remote:Command":
        return this.command(args.type, id, inputs, existing);
      case "docker:index/network:Network":
        return this.network(id, inputs);
      case "docker:index/volume:Volume":
        if (!this.docker(["volume", "ls", "-q", "--filter", `name=^${inputs.name}$`]).trim()) this.docker(["volume", "create", inputs.name]);
        return { id: inputs.name, state: inputs };
      case "docker:index/remoteImage:RemoteImage":
        return this.image(id, inputs, args.provider);
      case "docker:index/container:Container":
        return this.container(inputs);
      case "mysql:index/database:Database":
        this.sql(args.provider, `CREATE DATABASE IF NOT EXISTS \`${inputs.name}\``);
        return { id: inputs.name, state: inputs, undo: () => this.sql(args.provider, `DROP DATABASE IF EXISTS \`${inputs.name}\``) };
      case "mysql:index/user:User": {
        const user = `'${inputs.user}'@'${inputs.host}'`;
        this.sql(args.provider, `CREATE USER IF NOT EXISTS ${user} IDENTIFIED BY '${inputs.plaintextPassword}'; ALTER USER ${user} IDENTIFIED BY '${inputs.plaintextPassword}';`);
        return { id: user, state: inputs, undo: () => this.sql(args.provider, `DROP USER IF EXISTS ${user}`) };
      }
      case "mysql:index/grant:Grant": {
        const on = `\`${inputs.database}\`.*`;
        const to = `'${inputs.user}'@'${inputs.host}'`;
        this.sql(args.provider, `GRANT ${inputs.privileges.join(", ")} ON ${on} TO ${to}`);
        return { id: `${to}:${on}`, state: inputs, undo: () => this.sql(args.provider, `REVOKE ALL PRIVILEGES ON ${on} FROM ${to}`, true) };
      }
      default:
        throw new Error(`the live executor does not know ${args.type}`);
    }
  }

  private command(type: string, id: string, inputs: Record<string, any>, existing?: Done): Omit<Done, "type" | "name"> {
    // Unchanged inputs never get here (create() returns early): this is a first run, an update or a replacement.
    const exec = (script: string, stdin: string) => {
      if (type === "command:local:Command") return run("/bin/sh", ["-c", script], stdin);
      const c = inputs.connection;
      const key = path.join(this.sshKeyDir, `${c.host}-${c.port}`);
      fs.writeFileSync(key, c.privateKey.endsWith("\n") ? c.privateKey : `${c.privateKey}\n`, { mode: 0o600 });
      return run("ssh", ["-i", key, "-p", String(c.port), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new",
        "-o", `UserKnownHostsFile=${path.join(this.sshKeyDir, "known_hosts")}`, `${c.user}@${c.host}`, script], stdin);
    };
    // A replacement (new triggers) runs the old delete first when asked to (deleteBeforeReplace, as the components set it).
    if (existing && JSON.stringify(existing.state.triggers) !== JSON.stringify(inputs.triggers) && existing.undo) existing.undo();
    const r = exec(inputs.create, inputs.stdin ?? "");
    if (r.status !== 0) throw new Error(`command failed (${r.status}): ${String(inputs.create).slice(0, 200)}\n${r.stderr}`);
    const del = inputs.delete as string | undefined;
    return {
      id,
      state: { ...inputs, stdout: r.stdout.replace(/\n$/, ""), stderr: r.stderr.replace(/\n$/, "") },
      undo: del ? () => {
        const d = exec(del, "");
        if (d.status !== 0) throw new Error(`delete failed (${d.status}): ${del.slice(0, 200)}\n${d.stderr}`);
      } : undefined,
    };
  }

  /** docker against the provider's engine: over `ssh host docker ...` with the provider's sshOpts for a remote host. */
  private dockerRun(args: string[], input = ""): { status: number; stdout: string; stderr: string } {
    if (!this.dockerHost) return run("docker", args, input);
    const m = /^ssh:\/\/([^@]+)@([^:]+):(\d+)$/.exec(this.dockerHost);
    if (!m) throw new Error(`unsupported docker host ${this.dockerHost}`);
    const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
    return run("ssh", [...this.dockerSshOpts, "-p", m[3], `${m[1]}@${m[2]}`, `docker ${quoted}`], input);
  }

  private docker(args: string[], input = ""): string {
    const r = this.dockerRun(args, input);
    if (r.status !== 0) throw new Error(`docker ${args.join(" ").slice(0, 300)} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  private network(id: string, inputs: Record<string, any>): Omit<Done, "type" | "name"> {
    if (!this.docker(["network", "ls", "-q", "--filter", `name=^${inputs.name}$`]).trim()) {
      const ipam = (inputs.ipamConfigs ?? []).flatMap((c: { subnet: string; gateway: string }) => ["--subnet", c.subnet, "--gateway", c.gateway]);
      this.docker(["network", "create", "--driver", inputs.driver ?? "bridge", ...ipam, inputs.name]);
    }
    return { id, state: inputs, undo: () => { this.dockerRun(["network", "rm", inputs.name]); } };
  }

  private image(id: string, inputs: Record<string, any>, providerRef?: string): Omit<Done, "type" | "name"> {
    const name = inputs.name as string;
    if (this.dockerRun(["image", "inspect", name]).status !== 0) {
      const provider = this.providers.get(String(providerRef ?? "").split("::").pop() ?? "") ?? {};
      const config = fs.mkdtempSync(path.join(os.tmpdir(), "sp-live-docker-"));
      try {
        for (const auth of provider.registryAuth ?? []) {
          must("docker", ["--config", config, "login", "--username", auth.username, "--password-stdin", auth.address], auth.password);
        }
        must("docker", ["--config", config, "pull", name]);
      } finally {
        fs.rmSync(config, { recursive: true, force: true });
      }
    }
    const imageId = this.docker(["image", "inspect", "-f", "{{.Id}}", name]).trim();
    return { id, state: { ...inputs, imageId, repoDigest: imageId } };
  }

  private container(inputs: Record<string, any>): Omit<Done, "type" | "name"> {
    const name = inputs.name as string;
    const running = this.dockerRun(["inspect", "-f", "{{.State.Running}}", name]);
    if (running.status !== 0) {
      const args = ["run", "-d", "--name", name];
      if (inputs.user) args.push("--user", inputs.user);
      if (inputs.restart) args.push("--restart", inputs.restart);
      for (const e of inputs.envs ?? []) args.push("-e", e);
      for (const n of inputs.networksAdvanced ?? []) args.push("--network", n.name);
      for (const v of inputs.volumes ?? []) args.push("-v", `${v.hostPath ?? v.volumeName}:${v.containerPath}${v.readOnly ? ":ro" : ""}`);
      for (const p of inputs.ports ?? []) args.push("-p", `${p.ip ? `${p.ip}:` : ""}${p.external}:${p.internal}`);
      for (const l of inputs.labels ?? []) args.push("--label", `${l.label}=${l.value}`);
      for (const o of inputs.securityOpts ?? []) args.push("--security-opt", o);
      if (inputs.memory) args.push("--memory", `${inputs.memory}m`);
      if (inputs.cpus) args.push("--cpus", inputs.cpus);
      if (inputs.logDriver) args.push("--log-driver", inputs.logDriver);
      for (const [k, v] of Object.entries(inputs.logOpts ?? {})) args.push("--log-opt", `${k}=${v}`);
      const hc = inputs.healthcheck;
      if (hc) {
        args.push("--health-cmd", hc.tests[0] === "CMD-SHELL" ? hc.tests[1] : hc.tests.slice(1).join(" "),
          "--health-interval", hc.interval, "--health-timeout", hc.timeout, "--health-retries", String(hc.retries), "--health-start-period", hc.startPeriod);
      }
      args.push(inputs.image, ...(inputs.command ?? []));
      this.docker(args);
      if (inputs.wait) this.waitHealthy(name, inputs.waitTimeout ?? 180);
    }
    return { id: name, state: inputs, undo: () => { this.dockerRun(["rm", "-f", name]); } };
  }

  private waitHealthy(name: string, seconds: number): void {
    for (let i = 0; i < seconds * 2; i++) {
      const health = this.docker(["inspect", "-f", "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}", name]).trim();
      if (health === "healthy") return;
      if (health === "unhealthy") throw new Error(`container ${name} is unhealthy: ${this.docker(["logs", "--tail", "20", name])}`);
      spawnSync("sleep", ["0.5"]);
    }
    throw new Error(`container ${name} not healthy after ${seconds}s`);
  }

  private sql(providerRef: string | undefined, statement: string, tolerant = false): void {
    const provider = this.providers.get(String(providerRef ?? "").split("::").pop() ?? "");
    if (!provider) throw new Error(`no mysql provider for ${providerRef}`);
    const [host, port] = String(provider.endpoint).split(":");
    const cnf = path.join(this.sshKeyDir, "my.cnf");
    fs.writeFileSync(cnf, `[client]\nuser=${provider.username}\npassword="${provider.password}"\nhost=${host}\nport=${port}\n`, { mode: 0o600 });
    const r = run("mysql", [`--defaults-extra-file=${cnf}`, "-N"], `${statement};\n`);
    if (r.status !== 0 && !tolerant) throw new Error(`SQL failed: ${statement}\n${r.stderr}`);
  }

  /**
   * What the engine does at the end of an update: resources the program no
   * longer declares, and containers replaced by a new name, are deleted.
   */
  private deleteReplaced(): void {
    const gone = this.done.filter((d) => !this.seen.has(`${d.type}::${d.name}`));
    for (const d of gone.reverse()) d.undo?.();
    for (const d of gone) this.done.splice(this.done.indexOf(d), 1);
    for (const d of this.done.filter((x) => x.type === "docker:index/container:Container")) {
      const label = (d.state.labels as { label: string; value: string }[] | undefined)?.find((l) => l.label === "simple-paas.site");
      if (!label) continue;
      const stale = this.docker(["ps", "-a", "--filter", `label=simple-paas.site=${label.value}`, "--format", "{{.Names}}"])
        .split("\n").filter((n) => n && n !== d.state.name);
      for (const n of stale) this.dockerRun(["rm", "-f", n]);
    }
  }
}
