# shellcheck shell=bash
# shellcheck disable=SC2034 # variables shared with the other parts of sp (the assembled sp is checked whole)
# The tools `sp` goes through: restic on a site's repository, the MariaDB
# client as the admin account, a command as the site's own user (as_site),
# and the records it keeps: status files, the heartbeat, the event log.
#
# A part of the `sp` command (components/render/sp-command.ts); this header
# ends at the first blank line.

# Removes the restic locks of processes that are gone (a killed backup's).
unlock_stale() {
  if [[ "${REPO_STATE:-}" == ok ]]; then restic_site unlock >&2 2>/dev/null || true; fi
}

# restic on the site's repository. restic.env (backend credentials) is
# sourced in this subshell only and never printed.
restic_site() { restic_repo "$SP_RESTIC_REPOSITORY" "$SITE_DIR/backup/restic_pass" "$@"; }

# restic_repo REPOSITORY PASSWORD_FILE ARGS...: restic on any repository of
# the site (its own; sp adopt's source), with the site's backend credentials.
restic_repo() {
  (
    unset RESTIC_PASSWORD RESTIC_PASSWORD_COMMAND
    if [[ -f "$SITE_DIR/backup/restic.env" ]]; then
      # shellcheck source=/dev/null
      source "$SITE_DIR/backup/restic.env"
    fi
    export RESTIC_REPOSITORY="$1"
    export RESTIC_PASSWORD_FILE="$2"
    shift 2
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
  if (( rc == 12 )) || [[ "$lower" == *"wrong password"* ]]; then die_wrong_password; fi
  die "cannot open the restic repository $SP_RESTIC_REPOSITORY (restic exit $rc): $(tail -n 1 <<<"$out")"
}

die_wrong_password() {
  die "the restic repository $SP_RESTIC_REPOSITORY exists but $SITE_DIR/backup/restic_pass does not open it: it was made with another password. Set the key it was made with (simple-paas:backupKey, or the site's backup.password) and run pulumi up again; or move the repository away to start a new one (its snapshots stay unreadable without that key)"
}

# Like check_repo, but a local repository is known by its config file alone:
# opening one derives its key (scrypt, ~0.7 s), which the backup that follows
# does anyway and reports a wrong password itself. Sets REPO_STATE to ok
# (unopened) or missing; anything else at the path, and other backends, go
# through check_repo.
probe_repo() {
  local dir=""
  case "$SP_RESTIC_REPOSITORY" in
    local:/*) dir="${SP_RESTIC_REPOSITORY#local:}" ;;
    /*) dir="$SP_RESTIC_REPOSITORY" ;;
  esac
  if [[ -n "$dir" && -f "$dir/config" && ! -L "$dir/config" ]]; then REPO_STATE=ok; return 0; fi
  if [[ -n "$dir" && ! -e "$dir" && ! -L "$dir" ]]; then REPO_STATE=missing; return 0; fi
  check_repo
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

# write_status KIND RESULT SNAPSHOT MESSAGE: the last backup (KIND backup,
# file STATUS_DIR/SITE) or drill (STATUS_DIR/SITE.drill), keeping the time
# of the last good one across failures.
write_status() {
  local kind="$1" file="$SP_STATUS_DIR/$EV_SITE" tmp now good="" SP_LAST_GOOD_TIME=""
  if [[ "$kind" == drill ]]; then file="$file.drill"; fi
  now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  if [[ -f "$file" ]]; then
    # shellcheck source=/dev/null
    good="$(source "$file" && printf '%s' "${SP_LAST_GOOD_TIME:-}")" || good=""
  fi
  if [[ "$2" == ok ]]; then good="$now"; fi
  mkdir -p -- "$SP_STATUS_DIR"
  tmp="$(mktemp "$file.XXXXXX")"
  {
    env_line SP_LAST_TIME "$now"
    env_line SP_LAST_RESULT "$2"
    env_line SP_LAST_SNAPSHOT "$3"
    env_line SP_LAST_MESSAGE "${4//$'\n'/ }"
    env_line SP_LAST_GOOD_TIME "$good"
  } >"$tmp"
  chmod 0644 -- "$tmp"
  mv -f -- "$tmp" "$file"
}

# heartbeat ok|fail MESSAGE: pings the site's heartbeat URL (a secret file,
# given to curl in a config on stdin, never on its command line): the URL
# on success, URL/fail with the reason on failure. Never fails the caller.
heartbeat() {
  local file="${SITE_DIR:-/nonexistent}/backup/heartbeat_url" url
  [[ -n "${SITE_DIR:-}" && -s "$file" ]] || return 0
  url="$(cat -- "$file")"
  if [[ "$1" == fail ]]; then url="${url%/}/fail"; fi
  printf 'url = "%s"\n' "${url//\"/\\\"}" |
    timeout 20 curl -fsS -m 15 --retry 2 -o /dev/null -K - --data-raw "${2:0:1000}" 2>&1 | sed 's/^/sp: heartbeat: /' >&2 || true
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

# as_site CMD...: CMD as the site's Linux user and group, no other group,
# no new privileges: whatever a site wrote is handled with a site's rights.
as_site() {
  local uid gid
  uid="$(id -u -- "$SP_USER")" || die "there is no user $SP_USER"
  gid="$(getent group "$SP_GROUP" | cut -d: -f3)"
  [[ -n "$gid" ]] || die "there is no group $SP_GROUP"
  setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs -- "$@"
}
