/**
 * A beforeCreate hook for docker objects with fixed names (the proxy, site
 * containers and memcached, networks): an interrupted `pulumi up` can leave
 * one that Pulumi forgot, and the next create would fail on its name. The
 * hook runs render/leftover-script.ts where the host is (locally, or over
 * SSH with the pinned host key), so the next `up` converges by itself.
 */
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import type { HostSettings } from "./model/host-settings";
import { localSshFiles } from "./model/naming";
import { LeftoverInput, renderClearLeftoverScript } from "./render/leftover-script";

/** Runs `script` with bash on the host: here, or over SSH (the script on stdin). */
function runScript(connection: HostSettings["connection"], script: string): { status: number | null; output: string } {
  const r = connection === undefined
    ? spawnSync("bash", ["-s"], { input: script, encoding: "utf8", timeout: 120_000 })
    : spawnSync("ssh", [
      "-i", path.join(os.homedir(), localSshFiles(connection).keyFromHome),
      "-o", `UserKnownHostsFile=${path.join(os.homedir(), localSshFiles(connection).knownHostsFromHome)}`,
      "-o", "StrictHostKeyChecking=yes", "-o", "GlobalKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
      "-p", String(connection.port ?? 22), "--", `${connection.user ?? "root"}@${connection.host}`, "bash -s",
    ], { input: script, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? r.error.message : ""}` };
}

/**
 * The hooks option of a docker object with a fixed name. Under Pulumi's
 * mocks (unit tests, ours and our users') there is no engine to call a hook
 * and the mock monitor cannot register one: no hook then.
 */
export function clearLeftoverHooks(connection: HostSettings["connection"], kind: LeftoverInput["kind"], label: LeftoverInput["label"]): pulumi.ResourceHookBinding | undefined {
  if (pulumi.runtime.getMonitor() instanceof MockMonitor) return undefined;
  return { beforeCreate: [clearLeftoverHook(connection, kind, label)] };
}

export function clearLeftoverHook(connection: HostSettings["connection"], kind: LeftoverInput["kind"], label: LeftoverInput["label"]): pulumi.ResourceHookFunction {
  return (args) => {
    const name = args.newInputs?.name;
    if (typeof name !== "string") return;
    const r = runScript(connection, renderClearLeftoverScript({ kind, name, label }));
    if (r.status !== 0) throw new Error(`before creating the ${kind} ${name}: ${r.output.trim()}`);
  };
}
