/**
 * The files and the check that a remote host needs on the machine running
 * Pulumi: its SSH key and its pinned host key as the files the system's ssh
 * reads (docker's ssh:// connection), and a first contact that fails in
 * seconds, with what to check, when the host does not answer or does not
 * present the pinned key. Pure: input -> bash text
 * (host-scripts/local-ssh-files.sh, ssh-reachable.sh).
 */
import { renderHostScript } from "./host-script";
import { localSshFiles } from "../model/naming";
import { HOST_ADDRESS, LINUX_NAME, SSH_HOST_KEY, requireInteger, requireRule } from "../model/rules";

export interface RemoteHost {
  host: string;
  port: number;
  user: string;
  /** The host's public key, as in authorized_keys: `ssh-ed25519 AAAA...`. */
  hostKey: string;
  /** Who owns the files on this machine: project.stack.component (naming.ts localSshFiles). */
  owner: string;
}

function check(input: RemoteHost): void {
  requireRule("connection.host", input.host, HOST_ADDRESS);
  requireInteger("connection.port", input.port, 1, 65535);
  requireRule("connection.user", input.user, LINUX_NAME);
  requireRule("connection.hostKey", input.hostKey, SSH_HOST_KEY);
}

/** The line of a known_hosts file that pins `hostKey` for the host and port, as ssh looks it up. */
export function knownHostsLine(input: Pick<RemoteHost, "host" | "port" | "hostKey">): string {
  const [type, key] = input.hostKey.trim().split(/\s+/);
  const name = input.port === 22 ? input.host : `[${input.host}]:${input.port}`;
  return `${name} ${type} ${key}`;
}

/**
 * Writes the SSH key from stdin and the pinned host key (stdout: the key
 * file's path); with `remove`, deletes both.
 */
export function renderLocalSshFilesScript(input: RemoteHost, action: "write" | "remove"): string {
  check(input);
  const files = localSshFiles(input);
  return renderHostScript({
    purpose: `${action === "write" ? "write" : "remove"} the SSH key and the pinned host key for ${input.host}:${input.port}`,
    tag: "local-ssh-files",
    values: {
      SP_AS_ROOT: "no",
      SP_KEY_FILE_REL: files.keyFromHome,
      SP_KNOWN_HOSTS_FILE_REL: files.knownHostsFromHome,
      SP_KNOWN_HOSTS_LINE: knownHostsLine(input),
      SP_ACTION: action,
    },
    file: "local-ssh-files.sh",
  });
}

export function renderReachabilityCheckScript(input: RemoteHost): string {
  check(input);
  const files = localSshFiles(input);
  return renderHostScript({
    purpose: `check that ${input.user}@${input.host} port ${input.port} answers over SSH with its pinned host key`,
    tag: "ssh-reachable",
    values: {
      SP_AS_ROOT: "no",
      SP_HOST: input.host,
      SP_PORT: input.port,
      SP_USER: input.user,
      SP_KEY_FILE_REL: files.keyFromHome,
      SP_KNOWN_HOSTS_FILE_REL: files.knownHostsFromHome,
    },
    file: "ssh-reachable.sh",
  });
}
