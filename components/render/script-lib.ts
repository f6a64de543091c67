/**
 * Bash building blocks shared by the host and site scripts (host-setup.ts,
 * site-setup.ts), and the small input checks their renderers run.
 *
 * Every rendered script starts with `scriptPrelude()`, so all of them log the
 * same way, write files the same way (temp file + mv, compare first so a
 * second run reports "unchanged"), and end with one summary line.
 */
import { scriptHeader, shellQuote } from "./shell";

/** Where daemons started without systemd write their stdout/stderr. */
export const DAEMON_LOG_DIR = "/var/log/simple-paas";

/**
 * Header, logging, change accounting and file/dir helpers.
 *
 * - stdout is redirected to stderr for the whole script (`exec 3>&1 1>&2`):
 *   command resources keep stdout as an output, so only a deliberate
 *   `>&3` may reach it (site-setup prints its JSON that way).
 * - `lastpipe` lets `producer | sp_write_file ...` run the writer in this
 *   shell, so its change count and temp-file cleanup are not lost in a
 *   subshell, while `pipefail` still fails on a broken producer.
 */
export function scriptPrelude(purpose: string, tag: string): string {
  return `${scriptHeader(purpose)}
exec 3>&1 1>&2
shopt -s lastpipe
umask 022

readonly SP_TAG=${shellQuote(tag)}
sp_log() { printf 'simple-paas %s: %s\\n' "$SP_TAG" "$*" >&2; }
sp_die() { sp_log "ERROR: $*"; exit 1; }
sp_changes=0
sp_changed() { sp_changes=$((sp_changes + 1)); sp_log "$*"; }
sp_finish() {
  if [ "$sp_changes" -eq 0 ]; then sp_log "done: nothing changed"; else sp_log "done: $sp_changes change(s)"; fi
}

# A temp file left by a failed write is removed on exit.
sp_tmp=""
trap 'if [ -n "$sp_tmp" ]; then rm -f -- "$sp_tmp"; fi' EXIT

[ "$(id -u)" = 0 ] || sp_die "must run as root"

# sp_ensure_attrs PATH MODE OWNER GROUP: fixes owner/mode that drifted.
# Refuses symlinks: several of these paths sit in directories a site can
# write to, and chown/chmod through a planted link would hand it any file.
sp_ensure_attrs() {
  local path="$1" mode="$2" owner="$3" group="$4" want have
  [ ! -L "$path" ] || sp_die "$path is a symlink; refusing to change it"
  want="$(printf '%o' "$((8#$mode))") $owner $group"
  have=$(stat -c '%a %U %G' -- "$path")
  if [ "$have" != "$want" ]; then
    chown -h -- "$owner:$group" "$path"
    # A leading 0 more: GNU chmod keeps a directory's setgid bit otherwise.
    chmod -- "0$mode" "$path"
    sp_changed "$path: owner/mode $have -> $want"
  fi
}

# sp_ensure_dir PATH MODE OWNER GROUP
sp_ensure_dir() {
  if [ -L "$1" ] || { [ -e "$1" ] && [ ! -d "$1" ]; }; then
    sp_die "$1 exists and is not a directory"
  fi
  if [ -d "$1" ]; then
    sp_ensure_attrs "$@"
  else
    mkdir -p -- "$1"
    chown -h -- "$3:$4" "$1"
    chmod -- "0$2" "$1"
    sp_changed "$1: created ($2 $3:$4)"
  fi
}

# sp_write_file PATH MODE OWNER GROUP < CONTENT
# Atomic (temp file in the same directory, then mv) and only when the content
# differs; sets SP_FILE_CHANGED=1 when it wrote. Never logs the content.
# shellcheck disable=SC2034 # SP_FILE_CHANGED is read by the scripts that restart on change
SP_FILE_CHANGED=0
# shellcheck disable=SC2034 # the same variable, set in here
sp_write_file() {
  local path="$1" mode="$2" owner="$3" group="$4" dir
  dir=$(dirname -- "$path")
  [ -d "$dir" ] || sp_die "directory $dir does not exist"
  [ ! -L "$path" ] || sp_die "$path is a symlink; refusing to write through it"
  [ ! -d "$path" ] || sp_die "$path is a directory"
  sp_tmp=$(mktemp -- "$dir/.sp-write.XXXXXX") # mktemp creates it 0600
  cat >"$sp_tmp"
  if [ -f "$path" ] && cmp -s -- "$sp_tmp" "$path"; then
    rm -f -- "$sp_tmp"
    sp_tmp=""
    SP_FILE_CHANGED=0
    sp_log "$path: unchanged"
    sp_ensure_attrs "$path" "$mode" "$owner" "$group"
  else
    chown -- "$owner:$group" "$sp_tmp"
    chmod -- "0$mode" "$sp_tmp"
    mv -f -- "$sp_tmp" "$path"
    sp_tmp=""
    SP_FILE_CHANGED=1
    sp_changed "$path: written"
  fi
}
`;
}

/**
 * Starting and restarting the host's daemons, on systemd hosts through
 * systemctl and elsewhere (containers, CI machines without an init) directly
 * with start-stop-daemon, detached and logging under DAEMON_LOG_DIR.
 * `--background` also closes our stdio in the daemon: a command resource
 * (or a test) waiting for the script's output would otherwise hang.
 */
/**
 * \`sp_sql_quote VALUE\`: a SQL string literal of VALUE (the scripts reset
 * sql_mode, so backslashes are escapes), for values that only the host
 * knows, such as a password read from stdin.
 */
export const SQL_QUOTE_FUNCTION = `sp_sql_quote() {
  local v=\${1//\\\\/\\\\\\\\}
  v=\${v//\\'/\\'\\'}
  printf "'%s'" "$v"
}`;

export function serviceFunctions(): string {
  return `
sp_is_systemd() { [ "$(cat /proc/1/comm 2>/dev/null || true)" = systemd ]; }

# sp_service start|restart NAME [ARGS for the direct start...]
sp_service() {
  local action="$1" name="$2" unit exe pidfile
  shift 2
  local -a args=("$@") makepid=()
  # Processes are matched by pid file *and* executable: matching by the
  # executable alone would also stop (or count as running) the same binary
  # inside containers or a second instance. docker, MariaDB and cron write
  # their own pid files; memcached gets one from start-stop-daemon.
  case "$name" in
    docker) unit=docker.service; exe=/usr/sbin/dockerd; pidfile=/var/run/docker.pid ;; # starts its own containerd without systemd
    mariadb) unit=mariadb.service; exe=/usr/sbin/mariadbd; pidfile=/run/mysqld/mysqld.pid; args=(--user=mysql --pid-file=/run/mysqld/mysqld.pid) ;;
    cron) unit=cron.service; exe=/usr/sbin/cron; pidfile=/var/run/crond.pid; args=(-f) ;;
    memcached) unit=memcached.service; exe=/usr/bin/memcached; pidfile=/run/simple-paas-memcached.pid; makepid=(--make-pidfile) ;;
    *) sp_die "unknown service $name" ;;
  esac
  if [ "$action" = restart ]; then sp_log "restarting $name"; else sp_log "ensuring $name runs"; fi
  if sp_is_systemd; then
    if [ "$action" = restart ]; then
      systemctl enable --quiet "$unit"
      systemctl restart "$unit"
    else
      systemctl enable --quiet --now "$unit"
    fi
    return 0
  fi
  if [ "$action" = restart ]; then
    start-stop-daemon --stop --oknodo --retry TERM/120 --pidfile "$pidfile" --exec "$exe"
  fi
  if [ "$name" = mariadb ]; then install -d -o mysql -g root -m 0755 /run/mysqld; fi
  # Without an init nothing may have mounted the cgroup hierarchies dockerd needs.
  if [ "$name" = docker ] && ! grep -qE '^cgroup2? ' /proc/mounts && command -v cgroupfs-mount >/dev/null; then
    cgroupfs-mount
  fi
  install -d -m 0750 ${shellQuote(DAEMON_LOG_DIR)}
  start-stop-daemon --start --oknodo --background "\${makepid[@]}" --pidfile "$pidfile" \\
    --output ${shellQuote(DAEMON_LOG_DIR)}"/$name.log" --exec "$exe" -- "\${args[@]}" 3>&-
}

# sp_wait LABEL SECONDS COMMAND...: bounded wait until COMMAND succeeds.
sp_wait() {
  local label="$1" seconds="$2" i
  shift 2
  for ((i = 0; i < seconds; i++)); do
    if "$@" >/dev/null 2>&1; then
      sp_log "$label is ready"
      return 0
    fi
    sleep 1
  done
  sp_die "$label is not ready after \${seconds}s"
}
`;
}

/** Throws unless `value` is an absolute path without newlines, naming the field. */
export function requireAbsolutePath(field: string, value: string): void {
  if (!value.startsWith("/") || value === "/" || /[\n\r\0]/.test(value) || value.endsWith("/")) {
    throw new Error(`${field} ${JSON.stringify(value)} must be an absolute path other than "/", without a trailing slash or newlines`);
  }
}

/** Throws unless `value` matches `rule`, naming the field, value and rule. */
export function requireMatch(field: string, value: string, rule: RegExp, ruleText: string): void {
  if (!rule.test(value)) {
    throw new Error(`${field} ${JSON.stringify(value)} must be ${ruleText}`);
  }
}

/** Throws unless `value` is an integer in [min, max]. */
export function requireInt(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${field} ${JSON.stringify(value)} must be an integer from ${min} to ${max}`);
  }
}

/**
 * Renders `sp_write_file ... <<'EOF'` for non-secret text known at render
 * time: a quoted here-document is taken literally, so the file content reads
 * as itself in the script. `content` must end with a newline (a
 * here-document always does); the delimiter is one no line of it equals.
 */
export function writeKnownFile(path: string, mode: string, owner: string, group: string, content: string): string {
  if (!content.endsWith("\n")) throw new Error(`content for ${path} must end with a newline`);
  const lines = new Set(content.split("\n"));
  let delimiter = "SP_EOF";
  while (lines.has(delimiter)) delimiter += "_";
  const args = [path, mode, owner, group].map(shellQuote).join(" ");
  return `sp_write_file ${args} <<'${delimiter}'\n${content}${delimiter}`;
}
