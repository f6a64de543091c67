/**
 * The host's first step (packages, directories, docker's daemon settings,
 * the daemons) and the generic "install this file" and "remove these
 * files" scripts. Pure: input -> bash text (host-scripts/host-packages.sh,
 * install-file.sh, remove-files.sh with their values). Paths and files
 * follow docs/HOST-LAYOUT.md.
 */
import { posix } from "node:path";
import { DAEMON_LOG_DIR, renderHostScript } from "./host-script";
import { checkHostSetupInput, DOCKER_ADDRESS_POOLS, hostGenerationFile, type HostSetupInput } from "../model/host-setup-input";
import { ABSOLUTE_PATH, FILE_MODE, LINUX_NAME, requireRule } from "../model/rules";

/** Packages every host gets; the MariaDB server when the database is local. */
const BASE_PACKAGES = ["docker.io", "restic", "cron", "logrotate", "jq", "curl", "ca-certificates", "openssl", "mariadb-client", "iproute2", "iptables", "util-linux"];

/** The settings simple-paas merges into /etc/docker/daemon.json. */
export function dockerDaemonSettings(input: HostSetupInput): Record<string, unknown> {
  return {
    "log-driver": "json-file",
    // docker wants the log options as strings
    "log-opts": { "max-size": input.dockerLogs.maxSize, "max-file": String(input.dockerLogs.maxFiles) },
    "default-address-pools": DOCKER_ADDRESS_POOLS,
    // Containers keep running while dockerd restarts (a daemon.json change, a docker upgrade).
    "live-restore": true,
  };
}

/** The host directories and their modes. */
export function hostDirectories(input: HostSetupInput): Array<[string, string]> {
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
  const seen = new Set<string>();
  return dirs.filter(([dir]) => !seen.has(dir) && seen.add(dir) !== undefined);
}

/**
 * Installs the packages, configures and starts docker, cron and (local mode)
 * MariaDB, and creates the host directories. No stdin; stdout unused.
 */
export function renderHostPackagesScript(input: HostSetupInput): string {
  checkHostSetupInput(input);
  const local = input.database.mode === "local";
  const dirs = hostDirectories(input);
  return renderHostScript({
    purpose: "simple-paas host packages: apt packages, docker daemon settings, daemons, directories",
    tag: "host-packages",
    libraries: ["services"],
    values: {
      SP_GENERATION: input.generation,
      SP_GENERATION_FILE: hostGenerationFile(input.configDir),
      SP_FORCE_GENERATION: input.forceNewGeneration ? "yes" : "no",
      SP_PACKAGES: [...BASE_PACKAGES, ...(local ? ["mariadb-server"] : [])],
      SP_DIRS: dirs.map(([dir]) => dir),
      SP_DIR_MODES: dirs.map(([, mode]) => mode),
      SP_DOCKER_SETTINGS: JSON.stringify(dockerDaemonSettings(input)),
      SP_LOCAL_DATABASE: local ? "yes" : "no",
    },
    file: "host-packages.sh",
  });
}

export interface InstallFileOptions {
  path: string;
  mode: string;
  owner: string;
  group: string;
}

/**
 * A script that writes its stdin to `path` atomically (temp file + mv) with
 * the given mode and owner, leaving the file alone when the content is
 * already there. Used for the `sp` command, Caddyfiles and cron files. Logs
 * progress and then one last line, `changed` or `unchanged`, on stderr.
 */
export function renderInstallFileScript(opts: InstallFileOptions): string {
  requireRule("path", opts.path, ABSOLUTE_PATH);
  requireRule("mode", opts.mode, FILE_MODE);
  requireRule("owner", opts.owner, LINUX_NAME);
  requireRule("group", opts.group, LINUX_NAME);
  return renderHostScript({
    purpose: `simple-paas install file ${opts.path}`,
    tag: "install-file",
    values: { SP_PATH: opts.path, SP_MODE: opts.mode.padStart(4, "0").slice(-4), SP_OWNER: opts.owner, SP_GROUP: opts.group },
    file: "install-file.sh",
  });
}

/** Removes files a step installed, when the step is deleted (a file already gone is fine). */
export function renderRemoveFilesScript(purpose: string, files: string[]): string {
  files.forEach((f, i) => requireRule(`files[${i}]`, f, ABSOLUTE_PATH));
  return renderHostScript({ purpose, tag: "remove-files", values: { SP_FILES: files }, file: "remove-files.sh" });
}
