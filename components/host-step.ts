/**
 * Runs a rendered script on the host, locally or over SSH, through
 * @pulumi/command. The script travels as the command text (it holds no
 * secrets); secrets travel on stdin, which Pulumi keeps secret in state and
 * never puts on a command line or in the environment. Over SSH, every
 * connection first checks the host's pinned key.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { HostConnection } from "./model/args";
import { forStep } from "./model/generation";
import { bashInvocation } from "./render/shell";
import { Transform, transform } from "./transform";

export type { HostConnection } from "./model/args";

/** Where a script runs, and which incarnation of the host it is for. */
export interface HostTarget {
  connection?: HostConnection;
  /** HostBootstrapArgs.generation: see model/generation.ts. */
  generation: string;
  /** Applied to every host step's arguments (the components' `transform.step`). */
  transform?: Transform<HostStepArgs>;
}

export interface HostScript {
  /** The script text a renderer produced. */
  script: pulumi.Input<string>;
  /** A short name that shows up as `$0` in the host's process list and errors. */
  scriptName: string;
  /** Data (often secret) piped to the script's stdin. */
  stdin?: pulumi.Input<string>;
  /** Script run when the resource is deleted (not for a new host generation: model/generation.ts). */
  deleteScript?: string;
}

/** The arguments a host step is made with, for `transform.step`. */
export type HostStepArgs = command.local.CommandArgs & { connection?: command.types.input.remote.ConnectionArgs };

export type HostCommand = command.local.Command | command.remote.Command;

export function runOnHost(
  name: string,
  target: HostTarget,
  spec: HostScript,
  opts: pulumi.CustomResourceOptions,
): HostCommand {
  const connection = target.connection;
  // A step that undoes itself on delete must undo the old run before the new
  // one (a replacement a transform asks for): both write the same files.
  if (spec.deleteScript !== undefined) opts = { deleteBeforeReplace: true, ...opts };
  const create = pulumi.output(spec.script).apply((script) => bashInvocation(script, spec.scriptName, forStep(target.generation).args));
  const del = spec.deleteScript === undefined ? undefined : bashInvocation(spec.deleteScript, `${spec.scriptName}-delete`);
  const args: HostStepArgs = { create, delete: del, stdin: spec.stdin, addPreviousOutputInEnv: false };
  if (connection === undefined) {
    const [n, a, o] = transform(target.transform, name, args, opts);
    return new command.local.Command(n, a, o);
  }
  args.connection = {
    host: connection.host,
    port: connection.port ?? 22,
    user: connection.user ?? "root",
    privateKey: pulumi.secret(connection.privateKey),
    // Nothing is sent to a host that does not show the pinned key.
    hostKey: connection.hostKey,
    // Fail in seconds, not minutes, when the host does not answer (the
    // provider's defaults: 10 attempts of up to 15 s each).
    dialErrorLimit: 3,
    perDialTimeout: 10,
  };
  const [n, a, o] = transform(target.transform, name, args, opts);
  const { connection: conn, ...rest } = a;
  return new command.remote.Command(n, { ...rest, connection: conn! }, o);
}
