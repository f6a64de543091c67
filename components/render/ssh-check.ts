/**
 * The check that a remote host answers over SSH before anything is done on
 * it, run on the machine running Pulumi: one attempt with a short timeout
 * and a message that says what to look at, instead of the SSH provider's
 * retries and a bare "connection refused" minutes later.
 */
import { scriptHeader, shellQuote } from "./shell";

/**
 * Where the key for a remote host lives on the machine running Pulumi
 * (`$HOME` expands in the shell; the host part is reduced to safe characters).
 */
export function localSshKeyFile(connection: { host: string; port?: number }): string {
  return `$HOME/.simple-paas/ssh/${connection.host.replace(/[^A-Za-z0-9.-]/g, "_")}-${connection.port ?? 22}.key`;
}

export interface ReachabilityCheckInput {
  host: string;
  port: number;
  user: string;
  /** localSshKeyFile(): the known_hosts file sits beside it. */
  keyFile: string;
}

export function renderReachabilityCheckScript(input: ReachabilityCheckInput): string {
  if (!/^\$HOME\/[A-Za-z0-9._/-]+\.key$/.test(input.keyFile)) throw new Error(`keyFile ${JSON.stringify(input.keyFile)} must be a localSshKeyFile() path`);
  const where = `${input.user}@${input.host} port ${input.port}`;
  return `${scriptHeader(`check that ${where} answers over SSH`)}
key="${input.keyFile}"
known="\${key%.key}.known_hosts"
readonly SP_HOST=${shellQuote(input.host)}
readonly SP_PORT=${shellQuote(input.port)}
readonly SP_USER=${shellQuote(input.user)}
if ! out=$(timeout 30 ssh -i "$key" -p "$SP_PORT" -o BatchMode=yes -o ConnectTimeout=10 -o ConnectionAttempts=1 \\
  -o IdentitiesOnly=yes -o UserKnownHostsFile="$known" -o StrictHostKeyChecking=accept-new \\
  -- "$SP_USER@$SP_HOST" true 2>&1); then
  echo "cannot reach the host $SP_HOST over SSH (port $SP_PORT, user $SP_USER): \${out:-ssh timed out}" >&2
  echo "check that the host is up and reachable from this machine, that simple-paas:host.connection names its address and port, and that the key in simple-paas:sshPrivateKey is authorized for $SP_USER; a host rebuilt at the same address (new host key) needs a new simple-paas:host.generation (or remove $known)" >&2
  exit 1
fi
echo "host $SP_HOST answers over SSH (port $SP_PORT, user $SP_USER)" >&2
`;
}
