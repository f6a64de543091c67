/**
 * How the machine running Pulumi reaches a remote host: the SSH key and the
 * pinned host key as files for docker's `ssh://` connection, a first
 * contact that fails in seconds when the host does not answer with that
 * key, and the docker endpoint that uses both.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { forStep } from "./model/generation";
import type { HostSettings } from "./model/host-settings";
import { localSshFiles } from "./model/naming";
import { RemoteHost, renderLocalSshFilesScript, renderReachabilityCheckScript } from "./render/ssh-check";
import { bashInvocation } from "./render/shell";
import type { HostStepArgs } from "./host-step";
import { Transform, transform } from "./transform";

export interface DockerEndpoint {
  host: string;
  sshOpts?: pulumi.Output<string[]>;
}

export interface RemoteHostAccess {
  /** The first contact; every step on the host waits for it. */
  reachable: command.local.Command;
  dockerEndpoint: DockerEndpoint;
}

export function reachRemoteHost(
  name: string, conn: NonNullable<HostSettings["connection"]>, generation: string,
  stepTransform: Transform<HostStepArgs> | undefined, parent: pulumi.Resource,
): RemoteHostAccess {
  const remote: RemoteHost = { host: conn.host, port: conn.port ?? 22, user: conn.user ?? "root", hostKey: conn.hostKey, owner: conn.owner };
  const files = writeLocalSshFiles();
  return { reachable: checkReachable(), dockerEndpoint: dockerEndpoint() };

  /**
   * The docker provider reaches a remote engine through the system's ssh,
   * which needs the key as a file, and checks the host's key against a
   * known_hosts file that holds the pinned key alone. Both are written
   * (0600) under ~/.simple-paas/ssh on the machine running Pulumi; the
   * private key comes on stdin, never on a command line.
   */
  function writeLocalSshFiles(): command.local.Command {
    const [n, a, o] = transform(stepTransform, `${name}-ssh-key`, {
      create: bashInvocation(renderLocalSshFilesScript(remote, "write"), "simple-paas-ssh-files", forStep(generation).args),
      delete: bashInvocation(renderLocalSshFilesScript(remote, "remove"), "simple-paas-ssh-files-delete"),
      stdin: pulumi.secret(pulumi.output(conn.privateKey).apply((k) => (k.endsWith("\n") ? k : `${k}\n`))),
      addPreviousOutputInEnv: false,
    } as HostStepArgs, { parent, deleteBeforeReplace: true });
    return new command.local.Command(n, a, o);
  }

  /**
   * Fails the first step on a new host (or generation) within seconds, with
   * what to check, when the host does not answer over SSH or does not
   * present the pinned host key.
   */
  function checkReachable(): command.local.Command {
    const [n, a, o] = transform(stepTransform, `${name}-reachable`, {
      // Its script names the files, not the key: a new key runs it again through its trigger.
      create: bashInvocation(renderReachabilityCheckScript(remote), "simple-paas-host-reachable", forStep(generation).args),
      triggers: [conn.hostKey],
      addPreviousOutputInEnv: false,
    } as HostStepArgs, { parent, dependsOn: [files] });
    return new command.local.Command(n, a, o);
  }

  function dockerEndpoint(): DockerEndpoint {
    const names = localSshFiles(remote);
    return {
      host: `ssh://${remote.user}@${remote.host}:${remote.port}`,
      // The key file's path is an output of the step that writes it, so the provider waits for it.
      sshOpts: files.stdout.apply((keyPath) => {
        const home = keyPath.trim().slice(0, -names.keyFromHome.length);
        return [
          "-i", keyPath.trim(), "-o", `UserKnownHostsFile=${home}${names.knownHostsFromHome}`,
          "-o", "StrictHostKeyChecking=yes", "-o", "GlobalKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
        ];
      }),
    };
  }
}
