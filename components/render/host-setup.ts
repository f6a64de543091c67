/**
 * Renders the two host bootstrap scripts (packages, then services once the
 * docker network exists) and the generic "install this file" script.
 * Pure functions: input -> bash text. The component runs the text with
 * `bash -c` through a command resource; the integration tests run the very
 * same text on a real machine. Paths and files follow docs/HOST-LAYOUT.md.
 */
import { posix } from "node:path";
import { shellQuote } from "./shell";
import { DAEMON_LOG_DIR, requireAbsolutePath, requireMatch, scriptPrelude, serviceFunctions, writeKnownFile } from "./host-script-lib";
import { checkHostSetupInput, DOCKER_ADDRESS_POOLS, hostGenerationFile, type HostSetupInput } from "./host-setup-input";

export { checkHostSetupInput, cidrRange, DOCKER_ADDRESS_POOLS, hostGenerationFile, type HostSetupInput } from "./host-setup-input";
export { renderHostServicesRemovalScript, renderHostServicesScript } from "./host-services";

/** Packages every host gets; MariaDB server and memcached depend on the input. */
const BASE_PACKAGES = ["docker.io", "restic", "cron", "jq", "curl", "ca-certificates", "openssl", "mariadb-client", "iproute2"];

/** The settings simple-paas merges into /etc/docker/daemon.json. */
export function dockerDaemonSettings(input: HostSetupInput): Record<string, unknown> {
  return {
    "log-driver": "json-file",
    // docker wants the log options as strings
    "log-opts": { "max-size": input.dockerLogs.maxSize, "max-file": String(input.dockerLogs.maxFiles) },
    "default-address-pools": DOCKER_ADDRESS_POOLS,
  };
}

/**
 * Installs the packages, configures and starts docker, cron and (local mode)
 * MariaDB, and creates the host directories. No stdin; stdout unused.
 */
export function renderHostPackagesScript(input: HostSetupInput): string {
  checkHostSetupInput(input);
  const local = input.database.mode === "local";
  const packages = [...BASE_PACKAGES, ...(local ? ["mariadb-server"] : []), ...(input.memcached.enabled ? ["memcached"] : [])];
  const dirs: Array<[string, string]> = [
    [input.sitesRoot, "0755"],
    [input.configDir, "0755"],
    [posix.join(input.configDir, "sites"), "0755"],
    [posix.join(input.configDir, "proxy"), "0755"],
    [posix.join(input.configDir, "proxy", "sites"), "0755"],
    [input.backupRoot, "0700"],
    // Backup status and logs can carry error text from restic and MariaDB: root (and adm) only.
    [input.statusDir, "0750"],
    [posix.dirname(input.logFile), "0750"],
    [DAEMON_LOG_DIR, "0750"],
  ];
  return `${scriptPrelude("simple-paas host packages: apt packages, docker daemon settings, daemons, directories", "host-packages")}
${serviceFunctions()}
sp_log "checking packages"
packages=(${packages.map(shellQuote).join(" ")})
missing=()
for pkg in "\${packages[@]}"; do
  # shellcheck disable=SC2016 # \${db:Status-Status} is dpkg-query's field syntax, not a shell expansion
  status=$(dpkg-query -W -f='\${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [ "$status" != installed ]; then missing+=("$pkg"); fi
done
if [ "\${#missing[@]}" -eq 0 ]; then
  sp_log "all packages installed: \${packages[*]}"
else
  apt_log=${shellQuote(DAEMON_LOG_DIR)}/apt.log
  sp_log "installing \${missing[*]} (log: $apt_log)"
  install -d -m 0750 ${shellQuote(DAEMON_LOG_DIR)}
  export DEBIAN_FRONTEND=noninteractive
  # Output to a log, not our stderr: without systemd, maintainer scripts start
  # daemons that would inherit our pipes and keep the caller waiting.
  # DPkg::Lock::Timeout waits for a concurrent apt (unattended-upgrades).
  if ! { apt-get -q -o DPkg::Lock::Timeout=600 update &&
    apt-get -q -y -o DPkg::Lock::Timeout=600 install "\${missing[@]}"; } </dev/null >>"$apt_log" 2>&1 3>&-; then
    tail -n 30 "$apt_log" >&2 || true
    sp_die "apt-get failed installing \${missing[*]} (see $apt_log)"
  fi
  sp_changed "installed \${missing[*]}"
fi

${dirs.map(([dir, mode]) => `sp_ensure_dir ${shellQuote(dir)} ${mode} root root`).join("\n")}
# Which incarnation of the host this is: steps armed for another one (a
# final backup from before the host was wiped) know they are not on it.
${writeKnownFile(hostGenerationFile(input.configDir), "0644", "root", "root", `${input.generation}\n`)}

# Merge our settings into daemon.json with jq, keeping whatever else the
# operator configured; compare as JSON so formatting alone changes nothing.
readonly SP_DOCKER_SETTINGS=${shellQuote(JSON.stringify(dockerDaemonSettings(input)))}
sp_ensure_dir /etc/docker 0755 root root
current='{}'
if [ -e /etc/docker/daemon.json ]; then
  current=$(jq -S . /etc/docker/daemon.json) || sp_die "/etc/docker/daemon.json is not valid JSON; fix it first"
  if [ -z "$current" ]; then current='{}'; fi
fi
merged=$(printf '%s' "$current" | jq -S --argjson want "$SP_DOCKER_SETTINGS" '. * $want') ||
  sp_die "cannot merge into /etc/docker/daemon.json: it must hold a JSON object"
docker_settings_changed=0
if [ "$merged" = "$current" ]; then
  sp_log "/etc/docker/daemon.json: unchanged"
  sp_ensure_attrs /etc/docker/daemon.json 0644 root root
else
  printf '%s\\n' "$merged" | sp_write_file /etc/docker/daemon.json 0644 root root
  docker_settings_changed=1
fi

docker_up() { docker info >/dev/null 2>&1; }
if [ "$docker_settings_changed" = 1 ] && docker_up; then
  sp_service restart docker
else
  sp_service start docker
fi
sp_wait docker 120 docker_up

sp_service start cron
cron_up() {
  if sp_is_systemd; then systemctl is-active --quiet cron.service; else start-stop-daemon --status --exec /usr/sbin/cron; fi
}
sp_wait cron 30 cron_up
${local ? mariadbStartSection() : `sp_log "database: external, no local MariaDB"`}
sp_finish
`;
}

function mariadbStartSection(): string {
  return `
sp_service start mariadb
# "mysqld is alive" even when root may not log in: ping only needs a server.
sp_wait mariadb 120 mysqladmin --protocol=socket ping
`;
}

/**
 * A script that writes its stdin to `path` atomically (temp file + mv) with
 * the given mode and owner, leaving the file alone when the content is
 * already there. Used for the `sp` command, Caddyfiles and cron files. Logs
 * progress and then one last line, `changed` or `unchanged`, on stderr.
 */
export function renderInstallFileScript(opts: { path: string; mode: string; owner: string; group: string }): string {
  requireAbsolutePath("path", opts.path);
  requireMatch("mode", opts.mode, /^0?[0-7]{3,4}$/, "an octal mode like 0644");
  requireMatch("owner", opts.owner, /^[a-z_][a-z0-9_-]*\$?$/, "a user name");
  requireMatch("group", opts.group, /^[a-z_][a-z0-9_-]*\$?$/, "a group name");
  const mode = opts.mode.padStart(4, "0").slice(-4);
  return `${scriptPrelude(`simple-paas install file ${opts.path}`, "install-file")}
readonly SP_PATH=${shellQuote(opts.path)}
# Only a missing parent is created; an existing one keeps its own mode.
if [ ! -d "$(dirname -- "$SP_PATH")" ]; then sp_ensure_dir "$(dirname -- "$SP_PATH")" 0755 root root; fi
sp_write_file "$SP_PATH" ${mode} ${shellQuote(opts.owner)} ${shellQuote(opts.group)}
sp_finish
if [ "$sp_changes" -eq 0 ]; then echo unchanged >&2; else echo changed >&2; fi
`;
}
