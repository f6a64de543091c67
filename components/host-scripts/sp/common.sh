# shellcheck shell=bash
# shellcheck disable=SC2034 # variables shared with the other parts of sp (the assembled sp is checked whole)
# Shared functions of the `sp` command: errors and exit codes, the exit
# trap that records failed events, loading and checking the settings files
# of docs/HOST-LAYOUT.md, the per-site lock, restic and MariaDB wrappers,
# the status files, the heartbeat and the event log.
#
# A part of the `sp` command (components/render/sp-command.ts puts CONF_DIR,
# SP_SITE_PATTERN and SP_SELF in front of the parts); this header ends at
# the first blank line.

readonly SITE_LABEL='simple-paas.site'
readonly MYSQL_CNF="$CONF_DIR/mysql-admin.cnf"

FAIL_MSG=""      # reason of the failure, set by die, recorded by on_exit
USAGE_ERROR=0
EV_ACTION=""     # backup|prune|restore|drill while one runs: on_exit records a failure
EV_SITE=""       # the site of that event
EV_DONE=0
CLEANUP_PATHS=() # temp files and dirs, removed on exit
STOPPED=()       # containers a restore stopped: started again on exit
WORK=""
STAGE=""
LOCK_WAITED=0    # lock_site had to wait for another process of the site

warn() { printf 'sp: %s\n' "$*" >&2; }
die() {
  FAIL_MSG="$*"
  printf 'sp: error: %s\n' "$*" >&2
  exit 1
}
usage_error() {
  USAGE_ERROR=1
  printf 'sp: %s\nRun "sp help" for usage.\n' "$*" >&2
  exit 2
}

# Runs on every exit: starts what a restore stopped, removes temp files,
# records a failed backup/prune/restore/drill, maps failures to exit code 1.
on_exit() {
  local rc=$? msg
  set +e
  if (( ${#STOPPED[@]} )); then
    warn "starting the stopped containers of '${SP_SITE:-}' again"
    docker start "${STOPPED[@]}" >&2
  fi
  if (( ${#CLEANUP_PATHS[@]} )); then rm -rf -- "${CLEANUP_PATHS[@]}"; fi
  if [[ -n "$EV_ACTION" && "$EV_DONE" != 1 ]]; then
    msg="${FAIL_MSG:-stopped with exit status $rc}"
    case "$EV_ACTION" in
      backup) write_status backup failed "" "$msg" ;;
      drill) write_status drill failed "" "$msg" ;;
    esac
    log_event "$EV_ACTION" failed "$msg"
    case "$EV_ACTION" in backup | drill) heartbeat fail "$EV_ACTION of $EV_SITE failed: $msg" ;; esac
  fi
  if (( rc != 0 )); then
    if (( USAGE_ERROR )); then exit 2; fi
    exit 1
  fi
}
trap on_exit EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# begin_event ACTION SITE: from here on, leaving without EV_DONE=1 is
# recorded as a failure of ACTION (status file, log line).
begin_event() {
  EV_ACTION="$1"
  EV_SITE="$2"
  EV_DONE=0
  WORK="$(mktemp -d)"
  CLEANUP_PATHS+=("$WORK")
}

# The one rule for site names (model/rules.ts SITE_NAME), checked before a name becomes part of a path.
check_site_name() {
  [[ "$1" =~ $SP_SITE_PATTERN && "$1" != *--* ]] || usage_error "invalid site name '$1': must match $SP_SITE_PATTERN without '--'"
}

# Settings files hold only NAME='value' lines written by root (HOST-LAYOUT.md).
source_env() {
  [[ -f "$1" && -r "$1" && ! -L "$1" ]] || die "cannot read $1"
  # shellcheck source=/dev/null
  source "$1"
}

need_vars() {
  local file="$1" name
  shift
  for name in "$@"; do
    [[ -n "${!name:-}" ]] || die "$file does not set $name"
  done
}

load_host() {
  source_env "$CONF_DIR/host.env"
  need_vars "$CONF_DIR/host.env" SP_STATUS_DIR SP_LOG_FILE
  : "${SP_BACKUP_TIMEOUT:=3600}" "${SP_LOCK_WAIT:=3600}"
  [[ "$SP_BACKUP_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "SP_BACKUP_TIMEOUT must be a number of seconds"
  [[ "$SP_LOCK_WAIT" =~ ^[0-9]+$ ]] || die "SP_LOCK_WAIT must be a number of seconds"
}

plain_path() { [[ "$1" =~ ^/[A-Za-z0-9._/-]+$ && "$1" != *..* ]]; }

# Loads site.env; the name is checked before it becomes part of a path.
load_site() {
  local site="$1" f
  check_site_name "$site"
  SITE_DIR="$CONF_DIR/sites/$site"
  f="$SITE_DIR/site.env"
  [[ -f "$f" ]] || die "unknown site '$site': there is no $f (see: sp list)"
  unset SP_SITE SP_DATA_DIR SP_DUMP_DIR SP_DB_NAME SP_DB_USER SP_USER SP_GROUP SP_DB_HOST SP_DB_PORT SP_DB_BIND SP_DB_TLS SP_DB_CA_FILE
  source_env "$f"
  need_vars "$f" SP_SITE SP_DATA_DIR SP_DUMP_DIR SP_DB_NAME SP_DB_USER SP_USER SP_GROUP
  [[ "$SP_SITE" == "$site" ]] || die "$f names the site '$SP_SITE', not '$site'"
  plain_path "$SP_DATA_DIR" || die "$f: SP_DATA_DIR '$SP_DATA_DIR' is not a plain absolute path"
  plain_path "$SP_DUMP_DIR" || die "$f: SP_DUMP_DIR '$SP_DUMP_DIR' is not a plain absolute path"
  # Both in the site's dir, which is root's: what is in it cannot be swapped by the site.
  SP_SITE_HOME="$(dirname -- "$SP_DATA_DIR")"
  [[ "$(dirname -- "$SP_DUMP_DIR")" == "$SP_SITE_HOME" ]] || die "$f: SP_DATA_DIR and SP_DUMP_DIR must be in the same directory"
  [[ "$SP_DB_NAME" =~ ^[A-Za-z0-9_]{1,64}$ && "$SP_DB_USER" =~ ^[A-Za-z0-9_]{1,80}$ ]] || die "$f: SP_DB_NAME/SP_DB_USER are not plain names"
  [[ "$SP_USER" =~ ^[a-z_][a-z0-9_-]{0,31}$ && "$SP_GROUP" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || die "$f: SP_USER/SP_GROUP are not plain user/group names"
}

load_backup() {
  local f="$SITE_DIR/backup/backup.env"
  [[ -f "$f" ]] || die "site '$SP_SITE' has no backups configured (there is no $f)"
  unset SP_RESTIC_REPOSITORY SP_KEEP_LAST SP_KEEP_HOURLY SP_KEEP_DAILY SP_KEEP_WEEKLY SP_KEEP_MONTHLY SP_KEEP_YEARLY SP_TAR_DIR SP_TAR_KEEP SP_TAR_KEEP_DAYS SP_ADOPT_REPOSITORY SP_ADOPT_PATH SP_ADOPT_DUMP \
    SP_BACKUP_MAX_AGE SP_DRILL SP_DRILL_MAX_AGE SP_DRILL_READ_DATA_PERCENT
  source_env "$f"
  need_vars "$f" SP_RESTIC_REPOSITORY
  [[ -f "$SITE_DIR/backup/restic_pass" ]] || die "there is no $SITE_DIR/backup/restic_pass"
}

# The host's, the site's and its backup settings.
load_site_backup() {
  load_host
  load_site "$1"
  load_backup
}

# begin_site_event ACTION SITE: like load_site_backup, but a broken site
# config already shows up as a failed ACTION (status file, log line).
begin_site_event() {
  load_host
  check_site_name "$2"
  begin_event "$1" "$2"
  load_site "$2"
  load_backup
}

# Names of the configured sites (a directory with a site.env), sorted.
configured_sites() {
  local dir name
  for dir in "$CONF_DIR"/sites/*/; do
    name="$(basename -- "$dir")"
    if [[ "$name" =~ $SP_SITE_PATTERN && -f "$dir/site.env" ]]; then printf '%s\n' "$name"; fi
  done
}

# One backup, prune, restore or drill of a site at a time, whoever starts
# it, and never while the site's data is being deleted; the lock (fd 9) is
# held until this process exits. lock_site [WAIT [skip]]: waits at most
# WAIT seconds (default SP_LOCK_WAIT), then dies, or with "skip" logs that
# this ACTION did not run, writes no status (the one that holds the lock
# will) and exits 1. Sets LOCK_WAITED when it had to wait.
lock_site() {
  local lock="$SP_STATUS_DIR/$SP_SITE.lock" wait="${1:-$SP_LOCK_WAIT}" mode="${2:-die}" msg
  mkdir -p -- "$SP_STATUS_DIR"
  exec 9>>"$lock"
  LOCK_WAITED=0
  if ! flock -n 9; then
    LOCK_WAITED=1
    warn "another backup, prune, restore or drill of '$SP_SITE' is running: waiting up to ${wait}s"
    if ! flock -w "$wait" 9; then
      msg="another backup, prune, restore or drill of '$SP_SITE' still runs after ${wait}s"
      [[ "$mode" == skip ]] || die "gave up waiting for the lock $lock: $msg"
      log_event "$EV_ACTION" skipped "$msg: this one did not run"
      EV_DONE=1
      FAIL_MSG="skipped"
      exit 1
    fi
  fi
  if [[ -f "$SP_STATUS_DIR/$SP_SITE.removed" && ! -d "$SP_DATA_DIR" ]]; then
    warn "'$SP_SITE' was removed at $(cat -- "$SP_STATUS_DIR/$SP_SITE.removed"): its data is gone, nothing to do"
    EV_DONE=1
    exit 0
  fi
  clean_stale
}

# Once this process holds the site's lock, no other of the site's runs:
# what a killed run (kill -9, a power cut) left is stale and goes (temp
# dumps and archives, import option files), and so do the restic locks of
# processes that are gone (restic unlock keeps those of live ones).
clean_stale() {
  local d
  for d in "$SP_DUMP_DIR" "${SP_TAR_DIR:-}"; do
    if [[ -n "$d" && -d "$d" && ! -L "$d" ]]; then find "$d" -maxdepth 1 -name '.*sp-tmp*' -delete 2>/dev/null || true; fi
    if [[ -n "$d" && -d "$d" && ! -L "$d" ]]; then find "$d" -maxdepth 1 -name ".$SP_SITE.tar.gz.*" -delete 2>/dev/null || true; fi
  done
  find /run -maxdepth 1 -name "simple-paas-import-$SP_SITE.*" -exec rm -rf {} + 2>/dev/null || true
  find "$SP_SITE_HOME" -maxdepth 1 \( -name '.sp-restore.*' -o -name '.sp-drill.*' \) -exec rm -rf {} + 2>/dev/null || true
}
