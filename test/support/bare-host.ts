/**
 * A bare new host for e2e tests: a fresh Debian 12 with only openssh-server,
 * in a container, reached over SSH on 127.0.0.1:2223 (root, the test SSH key).
 * The project's host scripts install everything else in it. See
 * scripts/test-env/bare-host.sh for what it can reach: inside it the test
 * registry is `127.0.0.1:5000` and pebble listens on all its addresses
 * (`https://<inner network gateway>:14000/dir`, e.g. 172.30.0.1) through SSH
 * reverse tunnels; its ports 18080/18443 are `httpPort`/`httpsPort` here.
 *
 * Needs the test services (`ensureServices()` first) and root.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { envFacts, parseEnvFile } from "./services";

export interface BareHost {
  /** `127.0.0.1` */
  sshHost: string;
  /** 2223 */
  sshPort: number;
  /** `root` */
  sshUser: string;
  /** The test SSH key (the same as the test env's `sshKeyFile`). */
  sshKeyFile: string;
  /** known_hosts with this host's key, new at every start (StrictHostKeyChecking=yes). */
  knownHostsFile: string;
  /** Port on 127.0.0.1 that reaches the host's port 18080 (28080). */
  httpPort: number;
  /** Port on 127.0.0.1 that reaches the host's port 18443 (28443). */
  httpsPort: number;
  /** The host's ports these map to: publish the proxy on them, on all addresses. */
  innerHttpPort: number;
  innerHttpsPort: number;
  /** Directory on this machine mounted at /var/backups/simple-paas inside; survives stopBareHost(). */
  backupDir: string;
  /** Docker container name (for `docker exec` when debugging). */
  container: string;
  /** Registry as the host's dockerd sees it (`127.0.0.1:5000`, a tunnel). */
  registry: string;
  /** Pebble's port inside the host, on all its addresses (14000, a tunnel). */
  pebblePort: number;
}

const SCRIPT = path.resolve(__dirname, "..", "..", "scripts", "test-env", "bare-host.sh");

function run(args: string[], timeoutMs: number): string {
  const started = Date.now();
  // Progress (stderr) shows on our stderr; stdout holds the facts.
  const r = spawnSync("bash", [SCRIPT, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env: process.env,
    timeout: timeoutMs,
    encoding: "utf8",
  });
  if (r.error) {
    throw new Error(`bare-host.sh ${args.join(" ")} could not run or timed out after ${timeoutMs / 1000}s: ${r.error.message}`);
  }
  if (r.status !== 0) {
    const how = r.signal ? `was killed by ${r.signal}` : `exited with ${r.status}`;
    throw new Error(
      `scripts/test-env/bare-host.sh ${args.join(" ")} ${how} after ${Math.round((Date.now() - started) / 1000)}s (its output is above)`,
    );
  }
  return r.stdout;
}

/**
 * Starts the bare host (building its image the first time, about 1.5 min;
 * then about 5 s), or keeps the one that runs, and returns its facts.
 * A running host keeps what was installed in it: call stopBareHost() first
 * for a new one.
 */
export function startBareHost(): BareHost {
  const vars = parseEnvFile(run(["start"], 15 * 60_000));
  const { need, port } = envFacts(vars, (name) => `bare-host.sh start printed no ${name}`);
  return {
    sshHost: need("BARE_HOST_SSH_HOST"),
    sshPort: port("BARE_HOST_SSH_PORT"),
    sshUser: need("BARE_HOST_SSH_USER"),
    sshKeyFile: need("BARE_HOST_SSH_KEY_FILE"),
    knownHostsFile: need("BARE_HOST_KNOWN_HOSTS"),
    httpPort: port("BARE_HOST_HTTP_PORT"),
    httpsPort: port("BARE_HOST_HTTPS_PORT"),
    innerHttpPort: 18080,
    innerHttpsPort: 18443,
    backupDir: need("BARE_HOST_BACKUP_DIR"),
    container: need("BARE_HOST_CONTAINER"),
    registry: need("BARE_HOST_REGISTRY"),
    pebblePort: port("BARE_HOST_PEBBLE_PORT"),
  };
}

/**
 * The host is gone: its tunnels, container and /var/lib/docker volume are
 * removed. The backups dir is kept unless `purge` (then emptied).
 * Idempotent.
 */
export function stopBareHost(opts: { purge?: boolean } = {}): void {
  run(opts.purge ? ["stop", "--purge"] : ["stop"], 2 * 60_000);
}
