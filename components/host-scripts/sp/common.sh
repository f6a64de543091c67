# shellcheck shell=bash
# shellcheck disable=SC2034 # variables shared with the other parts of sp (the assembled sp is checked whole)
# Shared functions of the `sp` command: errors and exit codes, the exit
# trap that records failed events, loading and checking the settings files
# of docs/HOST-LAYOUT.md, the per-site lock, restic and MariaDB wrappers,
# the status file and the event log.
#
# A part of the `sp` command (components/render/sp-command.ts puts CONF_DIR
# and SP_SELF in front of the parts); this header ends at the first blank line.

readonly SITE_RE='^[a-z][a-z0-9-]{0,31}$'
readonly SITE_LABEL='simple-paas.site'
readonly MYSQL_CNF="$CONF_DIR/mysql-admin.cnf"

FAIL_MSG=""      # reason of the failure, set by die, recorded by on_exit
USAGE_ERROR=0
EV_ACTION=""     # backup|prune|restore while one runs: on_exit records a failure
EV_SITE=""       # the site of that event
EV_DONE=0
CLEANUP_PATHS=() # temp files and dirs, removed on exit
STOPPED=()       # containers a restore stopped: started again on exit
WORK=""
STAGE=""

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
# records a failed backup/prune/restore, maps failures to exit code 1.
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
    if [[ "$EV_ACTION" == backup ]]; then write_backup_status failed "" "$msg"; fi
    log_event "$EV_ACTION" failed "$msg"
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

check_site_name() {
  [[ "$1" =~ $SITE_RE ]] || usage_error "invalid site name '$1': must match $SITE_RE"
}

# Settings files hold only NAME='value' lines written by root (HOST-LAYOUT.md).
source_env() {
  [[ -f "$1" && -r "$1" ]] || die "cannot read $1"
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

# Loads site.env; the name is checked before it becomes part of a path.
load_site() {
  local site="$1" f
  check_site_name "$site"
  SITE_DIR="$CONF_DIR/sites/$site"
  f="$SITE_DIR/site.env"
  [[ -f "$f" ]] || die "unknown site '$site': there is no $f (see: sp list)"
  unset SP_SITE SP_DATA_DIR SP_DB_NAME SP_DB_USER SP_USER SP_GROUP
  source_env "$f"
  need_vars "$f" SP_SITE SP_DATA_DIR SP_DB_NAME SP_USER SP_GROUP
  [[ "$SP_SITE" == "$site" ]] || die "$f names the site '$SP_SITE', not '$site'"
  [[ "$SP_DATA_DIR" =~ ^/[A-Za-z0-9._/-]+$ && "$SP_DATA_DIR" != *..* ]] || die "$f: SP_DATA_DIR '$SP_DATA_DIR' is not a plain absolute path"
  [[ "$SP_DB_NAME" =~ ^[A-Za-z0-9_]{1,64}$ ]] || die "$f: SP_DB_NAME '$SP_DB_NAME' is not a plain database name"
  [[ "$SP_USER" =~ ^[a-z_][a-z0-9_-]{0,31}$ && "$SP_GROUP" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || die "$f: SP_USER/SP_GROUP are not plain user/group names"
}

load_backup() {
  local f="$SITE_DIR/backup/backup.env"
  [[ -f "$f" ]] || die "site '$SP_SITE' has no backups configured (there is no $f)"
  unset SP_RESTIC_REPOSITORY SP_KEEP_LAST SP_KEEP_HOURLY SP_KEEP_DAILY SP_KEEP_WEEKLY SP_KEEP_MONTHLY SP_KEEP_YEARLY SP_TAR_DIR SP_TAR_KEEP
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
    if [[ "$name" =~ $SITE_RE && -f "$dir/site.env" ]]; then printf '%s\n' "$name"; fi
  done
}

# One backup, prune or restore of a site at a time, whoever starts it; the
# lock (fd 9) is held until this process exits.
lock_site() {
  local lock="$SP_STATUS_DIR/$SP_SITE.lock"
  mkdir -p -- "$SP_STATUS_DIR"
  exec 9>>"$lock"
  if ! flock -n 9; then
    warn "another backup, prune or restore of '$SP_SITE' is running: waiting up to ${SP_LOCK_WAIT}s"
    flock -w "$SP_LOCK_WAIT" 9 || die "gave up waiting for the lock $lock"
  fi
}

# restic on the site's repository. restic.env (backend credentials) is
# sourced in this subshell only and never printed.
restic_site() {
  (
    unset RESTIC_PASSWORD RESTIC_PASSWORD_COMMAND
    if [[ -f "$SITE_DIR/backup/restic.env" ]]; then
      # shellcheck source=/dev/null
      source "$SITE_DIR/backup/restic.env"
    fi
    export RESTIC_REPOSITORY="$SP_RESTIC_REPOSITORY"
    export RESTIC_PASSWORD_FILE="$SITE_DIR/backup/restic_pass"
    exec restic "$@"
  )
}

# Sets REPO_STATE to ok or missing. Dies when the repository exists but
# cannot be opened (wrong password, unreachable backend): callers may init
# a missing repository, never one that merely failed to open.
check_repo() {
  local out rc=0 lower
  out="$(restic_site cat config 2>&1 >/dev/null)" || rc=$?
  if (( rc == 0 )); then REPO_STATE=ok; return 0; fi
  lower="${out,,}"
  # restic >= 0.17 exits 10 when there is no repository; 0.14 only says so.
  if (( rc == 10 )) || [[ "$lower" == *"is there a repository at the following location"* &&
    ( "$lower" == *"no such file"* || "$lower" == *"does not exist"* || "$lower" == *"not found"* || "$lower" == *"nosuchkey"* ) ]]; then
    REPO_STATE=missing
    return 0
  fi
  printf '%s\n' "$out" >&2
  if (( rc == 12 )) || [[ "$lower" == *"wrong password"* ]]; then
    die "the restic repository $SP_RESTIC_REPOSITORY exists but $SITE_DIR/backup/restic_pass does not open it: it was made with another password. Set the key it was made with (simple-paas:backupKey, or the site's backup.password) and run pulumi up again; or move the repository away to start a new one (its snapshots stay unreadable without that key)"
  fi
  die "cannot open the restic repository $SP_RESTIC_REPOSITORY (restic exit $rc)"
}

# The MariaDB client as the admin account (mysql-admin.cnf, never argv).
mysql_admin() {
  local bin=mariadb
  command -v mariadb >/dev/null 2>&1 || bin=mysql
  [[ -r "$MYSQL_CNF" ]] || die "cannot read $MYSQL_CNF"
  "$bin" --defaults-extra-file="$MYSQL_CNF" --batch --skip-column-names --default-character-set=utf8mb4 "$@"
}

# NAME='value', ' written as '\'' (the env file format of HOST-LAYOUT.md).
env_line() {
  local q="'\''"
  printf "%s='%s'\n" "$1" "${2//\'/$q}"
}

write_backup_status() {
  local file="$SP_STATUS_DIR/$EV_SITE" tmp
  mkdir -p -- "$SP_STATUS_DIR"
  tmp="$(mktemp "$file.XXXXXX")"
  {
    env_line SP_LAST_BACKUP_TIME "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    env_line SP_LAST_BACKUP_RESULT "$1"
    env_line SP_LAST_BACKUP_SNAPSHOT "$2"
    env_line SP_LAST_BACKUP_MESSAGE "${3//$'\n'/ }"
  } >"$tmp"
  chmod 0644 -- "$tmp"
  mv -f -- "$tmp" "$file"
}

# One line per event in SP_LOG_FILE, and on stderr unless stderr is that
# very file (cron appends sp's output to it).
log_event() {
  local line
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) site=$EV_SITE action=$1 result=$2 $3"
  line="${line//$'\n'/ }"
  mkdir -p -- "$(dirname -- "$SP_LOG_FILE")"
  printf '%s\n' "$line" >>"$SP_LOG_FILE"
  if [[ ! /dev/stderr -ef "$SP_LOG_FILE" ]]; then printf 'sp: %s\n' "$line" >&2; fi
}
