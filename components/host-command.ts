/**
 * Runs a rendered script on the host, locally or over SSH, through
 * @pulumi/command. The script travels as the command text (it holds no
 * secrets); secrets travel on stdin, which Pulumi keeps secret in state and
 * never puts on a command line or in the environment.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { bashInvocation, generationComment } from "./render/shell";

/** How to reach a remote host. Omit it to run on the machine that runs Pulumi. */
export interface HostConnection {
  /** Address or name of the host. */
  host: string;
  /** @default 22 */
  port?: number;
  /** @default "root" */
  user?: string;
  /** Private key (PEM/OpenSSH) for the user, a Pulumi secret. */
  privateKey: pulumi.Input<string>;
}

/** Where a script runs, and which incarnation of the host it is for. */
export interface HostTarget {
  connection?: HostConnection;
  /**
   * Changes when the host is new or was wiped (HostBootstrapArgs.generation):
   * every step then runs again, since a command's past run is all Pulumi
   * knows of it and `--refresh` cannot see a wiped host's files.
   */
  generation: string;
}

export interface HostScript {
  /** The script text a renderer produced. */
  script: string;
  /** A short name that shows up as `$0` in the host's process list and errors. */
  scriptName: string;
  /** Data (often secret) piped to the script's stdin. */
  stdin?: pulumi.Input<string>;
  /** Script run when the resource is deleted. */
  deleteScript?: string;
  /**
   * How a new host generation re-runs the step. "replace" (the default):
   * the step is replaced, its delete script runs first. "update": the
   * script runs again in place and the delete script does not run; for
   * steps whose delete destroys what a re-run must keep (the script text
   * must then change with the generation: its renderer writes it in).
   */
  onNewGeneration?: "replace" | "update";
}

export type HostCommand = command.local.Command | command.remote.Command;

export function runOnHost(
  name: string,
  target: HostTarget,
  spec: HostScript,
  opts: pulumi.CustomResourceOptions,
): HostCommand {
  const connection = target.connection;
  // A new generation replaces the step: it runs from scratch on the new host.
  const triggers = spec.onNewGeneration === "update" ? undefined : [target.generation];
  if (spec.onNewGeneration === "update" && !spec.script.includes(`\n${generationComment(target.generation)}\n`)) {
    throw new Error(`${name}: a step that re-runs in place on a new host generation must carry ${JSON.stringify(generationComment(target.generation))} in its script`);
  }
  // A step that undoes itself on delete must undo the old run before the new
  // one: both write the same files on the host.
  if (spec.deleteScript !== undefined) opts = { deleteBeforeReplace: true, ...opts };
  const create = bashInvocation(spec.script, spec.scriptName);
  const del = spec.deleteScript === undefined ? undefined : bashInvocation(spec.deleteScript, `${spec.scriptName}-delete`);
  if (connection === undefined) {
    return new command.local.Command(
      name,
      { create, delete: del, stdin: spec.stdin, triggers, addPreviousOutputInEnv: false },
      opts,
    );
  }
  return new command.remote.Command(
    name,
    {
      connection: {
        host: connection.host,
        port: connection.port ?? 22,
        user: connection.user ?? "root",
        privateKey: pulumi.secret(connection.privateKey),
        // Fail in seconds, not minutes, when the host does not answer (the
        // provider's defaults: 10 attempts of up to 15 s each).
        dialErrorLimit: 3,
        perDialTimeout: 10,
      },
      create,
      delete: del,
      stdin: spec.stdin,
      triggers,
      addPreviousOutputInEnv: false,
    },
    opts,
  );
}
