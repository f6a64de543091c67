# shellcheck shell=bash
# shellcheck disable=SC2034 # variables shared with the other parts of sp (the assembled sp is checked whole)
# `sp backup|prune|snapshots`: SQL dump, restic snapshot, optional tar
# archive, status file and log line; retention and check.
#
# A part of the `sp` command (components/render/sp-command.ts puts CONF_DIR
# and SP_SELF in front of the parts); this header ends at the first blank line.

check_tag() {
  [[ "$1" =~ ^[A-Za-z0-9][A-Za-z0-9_.:=-]{0,63}$ && "$1" != site=* && "$1" != kind=* ]] ||
    usage_error "invalid tag '$1': letters, digits and _.:=- only; site= and kind= are set by sp"
}

# Sets SITES from "SITE" or --all (every site with a backup.env).
pick_sites() {
  local action="$1" all="$2" site="$3" name
  if (( all )); then
    [[ -z "$site" ]] || usage_error "$action: give a SITE or --all, not both"
    load_host
    SITES=()
    while IFS= read -r name; do
      if [[ -f "$CONF_DIR/sites/$name/backup/backup.env" ]]; then SITES+=("$name"); fi
    done < <(configured_sites)
    if (( ${#SITES[@]} == 0 )); then warn "no site has backups configured"; fi
  else
    [[ -n "$site" ]] || usage_error "$action: missing SITE (or --all)"
    check_site_name "$site"
    load_site_backup "$site"
    SITES=("$site")
  fi
}

# Runs "sp _ACTION-one SITE ARGS..." for each of SITES in a process of its
# own (own lock, traps and settings) under a timeout; goes on after a
# failure, exits 1 at the end if any failed.
run_per_site() {
  local action="$1" site rc failed=()
  shift
  for site in "${SITES[@]}"; do
    rc=0
    timeout --kill-after=60 "$SP_BACKUP_TIMEOUT" bash "$SP_SELF" "_$action-one" "$site" "$@" || rc=$?
    if (( rc == 124 || rc == 137 )); then record_timeout "$action" "$site"; fi
    if (( rc != 0 )); then failed+=("$site"); fi
  done
  if (( ${#failed[@]} )); then
    FAIL_MSG="$action failed for: ${failed[*]}"
    warn "$FAIL_MSG"
    exit 1
  fi
}

record_timeout() {
  local EV_SITE="$2" msg="timed out after ${SP_BACKUP_TIMEOUT}s"
  if [[ "$1" == backup ]]; then write_status backup failed "" "$msg"; fi
  log_event "$1" failed "$msg"
}

# sp backup SITE|--all [--scheduled|--final] [--tag TAG]...
cmd_backup() {
  local all=0 kind=manual site="" tags=()
  while (( $# )); do
    case "$1" in
      --all) all=1 ;;
      --scheduled | --final)
        [[ "$kind" == manual || "$kind" == "${1#--}" ]] || usage_error "backup: --scheduled and --final exclude each other"
        kind="${1#--}" ;;
      --tag)
        (( $# >= 2 )) || usage_error "backup: --tag needs a value"
        check_tag "$2"
        tags+=("$2")
        shift ;;
      --tag=*)
        check_tag "${1#--tag=}"
        tags+=("${1#--tag=}") ;;
      -*) usage_error "backup: unknown option '$1'" ;;
      *)
        [[ -z "$site" ]] || usage_error "backup: one SITE (or --all)"
        site="$1" ;;
    esac
    shift
  done
  pick_sites backup "$all" "$site"
  run_per_site backup "$kind" "${tags[@]}"
}

# _backup-one SITE KIND [TAG...]: dump, restic, tar, status, log, heartbeat.
backup_one() {
  local kind="$2" tag tag_args=() tar_note="" started wait
  [[ "$kind" =~ ^(manual|scheduled|final)$ ]] || usage_error "_backup-one: bad kind '$kind'"
  begin_site_event backup "$1"
  shift 2
  for tag in "$@"; do tag_args+=(--tag "$tag"); done
  started="$(date +%s)"
  # Wait for another backup of the site at most until shortly before this
  # one's own timeout; giving up leaves the status to the one that runs.
  wait=$(( SP_BACKUP_TIMEOUT > 120 ? SP_BACKUP_TIMEOUT - 60 : SP_BACKUP_TIMEOUT / 2 ))
  if (( SP_LOCK_WAIT < wait )); then wait=$SP_LOCK_WAIT; fi
  if [[ "$kind" == scheduled ]]; then lock_scheduled_slot "$wait"; fi
  lock_site "$wait" skip
  if (( LOCK_WAITED )) && [[ "$kind" != final ]] && good_backup_since "$started"; then
    log_event backup skipped "another backup of $SP_SITE finished while this one waited for it (at $GOOD_TIME, snapshot $GOOD_SNAPSHOT)"
    EV_DONE=1
    return 0
  fi
  dump_database
  restic_backup "$kind" "${tag_args[@]}"
  if [[ -n "${SP_TAR_DIR:-}" ]]; then
    tar_backup "$kind"
    if [[ -n "$TAR_FILE" ]]; then tar_note=" archive=$TAR_FILE"; fi
  fi
  write_status backup ok "$SNAPSHOT" "kind=$kind snapshot=$SNAPSHOT$tar_note"
  log_event backup ok "kind=$kind snapshot=$SNAPSHOT$tar_note"
  EV_DONE=1
  heartbeat ok "backup of $SP_SITE: snapshot $SNAPSHOT"
}

# Scheduled backups run one at a time on the host, as the original
# scripts' hourly loop did: sites whose schedules meet (the same minute, or
# one schedule given to all) queue instead of running every dump and
# restic at once. The slot (fd 8) is taken before the site's lock and held
# until this process exits; an operator's and a final backup never wait
# for it. A backup waits for it at most 10 minutes (or WAIT, if shorter)
# and then runs beside the others: one site whose backup hangs (its own
# tables locked, a slow backend) delays the others, never stops them.
lock_scheduled_slot() {
  local wait="$1"
  if (( wait > 600 )); then wait=600; fi
  mkdir -p -- "$SP_STATUS_DIR"
  exec 8>>"$SP_STATUS_DIR/scheduled-backups.lock"
  if ! flock -n 8; then
    warn "another site's scheduled backup is running: waiting up to ${wait}s for it"
    if ! flock -w "$wait" 8; then
      warn "other sites' scheduled backups still run after ${wait}s: this one runs beside them"
    fi
  fi
}

# good_backup_since EPOCH: the last good backup finished after EPOCH; sets GOOD_TIME and GOOD_SNAPSHOT.
good_backup_since() {
  local SP_LAST_GOOD_TIME="" SP_LAST_SNAPSHOT="" SP_LAST_RESULT=""
  [[ -f "$SP_STATUS_DIR/$SP_SITE" ]] || return 1
  # shellcheck source=/dev/null
  source "$SP_STATUS_DIR/$SP_SITE"
  [[ -n "$SP_LAST_GOOD_TIME" && "$SP_LAST_RESULT" == ok ]] || return 1
  (( $(date -d "$SP_LAST_GOOD_TIME" +%s) >= $1 )) || return 1
  GOOD_TIME="$SP_LAST_GOOD_TIME"
  GOOD_SNAPSHOT="$SP_LAST_SNAPSHOT"
}

dump_is_complete() { [[ "$(tail -n 1 -- "$1")" == "-- Dump completed"* ]]; }

# The site database (only its tables, routines, triggers, events; no
# CREATE DATABASE, so it imports into a database of any name) into the
# dump dir, which is root's alone (the site cannot replace the dump between
# here and restic, or before a restore), through a temp file: a failed or
# cut dump never replaces the last good one, and fails the backup before
# restic runs.
dump_database() {
  local dir="$SP_DUMP_DIR" tmp rc=0 bin=mariadb-dump
  if [[ ! -e "$dir" ]]; then install -d -m 0700 -o root -g root -- "$dir"; fi
  [[ -d "$dir" && ! -L "$dir" && "$(stat -c '%u %a' -- "$dir")" == "0 700" ]] || die "database dump: $dir is not a directory of root's alone (0700)"
  [[ -r "$MYSQL_CNF" ]] || die "database dump: cannot read $MYSQL_CNF"
  command -v mariadb-dump >/dev/null 2>&1 || bin=mysqldump
  tmp="$(mktemp "$dir/.$SP_DB_NAME.sql.sp-tmp.XXXXXX")"
  CLEANUP_PATHS+=("$tmp")
  "$bin" --defaults-extra-file="$MYSQL_CNF" --single-transaction --routines --triggers --events \
    --hex-blob --skip-dump-date --default-character-set=utf8mb4 "$SP_DB_NAME" >"$tmp" 2>"$WORK/dump.err" || rc=$?
  cat -- "$WORK/dump.err" >&2
  (( rc == 0 )) || die "database dump failed ($bin exit $rc): $(tail -n 1 -- "$WORK/dump.err")"
  dump_is_complete "$tmp" || die "database dump of $SP_DB_NAME is cut short (no 'Dump completed' line)"
  chmod 0600 -- "$tmp"
  mv -f -- "$tmp" "$dir/$SP_DB_NAME.sql"
}

# restic backup of the site's data dir (tmp/ and cache dirs left out) and
# dump dir, relative to the site's dir: the snapshot holds data/ and dump/
# at its root whatever the host's paths (the layout sp restore calls 2;
# snapshots of earlier releases hold data's public/ private/ sql/ at their
# root). Sets SNAPSHOT.
restic_backup() {
  local kind="$1" rc=0
  shift
  probe_repo
  if [[ "$REPO_STATE" == missing ]]; then
    warn "creating the restic repository $SP_RESTIC_REPOSITORY"
    restic_site init >&2 || die "restic init of $SP_RESTIC_REPOSITORY failed"
  fi
  # Cache dirs by the tag's presence alone: restic checks it with lstat. With
  # --exclude-caches it opens the tag to read its signature, following a link
  # the site planted (a FIFO blocks the backup; a device root should not open).
  (cd -- "$SP_SITE_HOME" && restic_site backup --json --quiet --exclude-if-present CACHEDIR.TAG --exclude "$SP_DATA_DIR/tmp" \
    --exclude '*.sp-tmp.*' --tag "site=$SP_SITE" --tag "kind=$kind" --tag layout=2 "$@" \
    "$(basename -- "$SP_DATA_DIR")" "$(basename -- "$SP_DUMP_DIR")") >"$WORK/backup.json" 2>"$WORK/backup.err" || rc=$?
  cat -- "$WORK/backup.json" "$WORK/backup.err" >&2
  # probe_repo did not open the repository: a wrong password shows here first.
  if (( rc == 12 )) || grep -qi "wrong password" "$WORK/backup.err"; then die_wrong_password; fi
  SNAPSHOT="$(sed -n 's/.*"snapshot_id":"\([0-9a-f]*\)".*/\1/p' "$WORK/backup.json" | tail -n 1)"
  (( rc != 3 )) || die "restic could not read some files: snapshot ${SNAPSHOT:-?} is incomplete"
  (( rc == 0 )) || die "restic backup failed (exit $rc)"
  [[ -n "$SNAPSHOT" ]] || die "restic backup reported no snapshot id"
  SNAPSHOT="${SNAPSHOT:0:8}"
}

# The data dir (tmp/ left out) and the dump as SITE-<UTC time>.tar.gz,
# written through a temp file. A scheduled backup writes one only when the
# site has none of the same UTC day yet (an hourly schedule would otherwise
# write 24 full copies a day); an operator's or a final backup always does.
# Then archives older than SP_TAR_KEEP_DAYS days go (by the time in their
# name, which a restore or copy does not change), and beyond the newest
# SP_TAR_KEEP when that is set. Sets TAR_FILE ("" when none was written).
tar_backup() {
  local kind="$1" tmp rc=0 archives today cutoff stamp
  [[ "${SP_TAR_KEEP_DAYS:-}" =~ ^[1-9][0-9]*$ ]] || die "SP_TAR_KEEP_DAYS must be a positive number, not '${SP_TAR_KEEP_DAYS:-}'"
  [[ "${SP_TAR_KEEP:-0}" =~ ^[0-9]+$ ]] || die "SP_TAR_KEEP must be a number (0: no limit), not '${SP_TAR_KEEP:-}'"
  [[ "$SP_TAR_DIR" == /* ]] || die "SP_TAR_DIR must be an absolute path, not '$SP_TAR_DIR'"
  if [[ ! -d "$SP_TAR_DIR" ]]; then
    mkdir -p -- "$SP_TAR_DIR"
    chmod 0700 -- "$SP_TAR_DIR"
  fi
  TAR_FILE=""
  today="$(date -u +%Y%m%d)"
  # nullglob is on.
  archives=("$SP_TAR_DIR/$SP_SITE-$today"T[0-9][0-9][0-9][0-9][0-9][0-9]Z.tar.gz)
  if [[ "$kind" != scheduled ]] || (( ${#archives[@]} == 0 )); then
    TAR_FILE="$SP_TAR_DIR/$SP_SITE-$(date -u +%Y%m%dT%H%M%SZ).tar.gz"
    tmp="$(mktemp "$SP_TAR_DIR/.$SP_SITE.tar.gz.XXXXXX")"
    CLEANUP_PATHS+=("$tmp")
    # GNU tar exits 1 when a file changed while it was read (a live site);
    # restic takes such files as they are, so does this. Worse fails.
    # It stores links as links (no -h): it never reads what a link points at.
    tar -C "$SP_SITE_HOME" --anchored --exclude="./$(basename -- "$SP_DATA_DIR")/tmp" --exclude="$(basename -- "$SP_DATA_DIR")/tmp" \
      --no-anchored --exclude='*.sp-tmp.*' --exclude-caches \
      --warning=no-file-changed -czf "$tmp" "$(basename -- "$SP_DATA_DIR")" "$(basename -- "$SP_DUMP_DIR")" || rc=$?
    (( rc <= 1 )) || die "tar of $SP_DATA_DIR and $SP_DUMP_DIR failed (exit $rc)"
    chmod 0600 -- "$tmp"
    mv -f -- "$tmp" "$TAR_FILE"
  fi
  # The UTC timestamps sort by name, as strings and as times.
  cutoff="$(date -u -d "-$SP_TAR_KEEP_DAYS days" +%Y%m%dT%H%M%SZ)"
  archives=("$SP_TAR_DIR/$SP_SITE"-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z.tar.gz)
  while (( ${#archives[@]} )); do
    stamp="${archives[0]##*-}"
    if [[ "${stamp%.tar.gz}" < "$cutoff" ]] || (( ${SP_TAR_KEEP:-0} > 0 && ${#archives[@]} > ${SP_TAR_KEEP:-0} )); then
      rm -f -- "${archives[0]}"
      archives=("${archives[@]:1}")
    else
      break
    fi
  done
}

# sp prune SITE|--all
cmd_prune() {
  local all=0 site=""
  while (( $# )); do
    case "$1" in
      --all) all=1 ;;
      -*) usage_error "prune: unknown option '$1'" ;;
      *)
        [[ -z "$site" ]] || usage_error "prune: one SITE (or --all)"
        site="$1" ;;
    esac
    shift
  done
  pick_sites prune "$all" "$site"
  run_per_site prune
}

# _prune-one SITE: forget by the site's retention over all its snapshots
# as one group (a restored site on a new host continues the same history),
# always keeping manual and final ones; prune; check.
prune_one() {
  local keep=() name var value
  begin_site_event prune "$1"
  lock_site
  for name in last hourly daily weekly monthly yearly; do
    var="SP_KEEP_${name^^}"
    value="${!var:-0}"
    [[ "$value" =~ ^[0-9]+$ ]] || die "$var must be a number, not '$value'"
    if (( 10#$value > 0 )); then keep+=("--keep-$name" "$((10#$value))"); fi
  done
  # Without a keep rule, --keep-tag alone would forget every scheduled snapshot.
  (( ${#keep[@]} )) || die "every SP_KEEP_* of '$SP_SITE' is 0: refusing to prune"
  check_repo
  if [[ "$REPO_STATE" == missing ]]; then
    log_event prune ok "no repository yet: nothing to prune"
    EV_DONE=1
    return 0
  fi
  unlock_stale
  restic_site forget --tag "site=$SP_SITE" --group-by '' "${keep[@]}" \
    --keep-tag manual --keep-tag kind=manual --keep-tag kind=final --keep-tag kind=adopted --prune >&2 || die "restic forget --prune failed"
  restic_site check >&2 || die "restic check found problems in $SP_RESTIC_REPOSITORY"
  log_event prune ok "${keep[*]}"
  EV_DONE=1
}

# sp snapshots SITE: the site's snapshots, on stdout.
cmd_snapshots() {
  (( $# == 1 )) || usage_error "usage: sp snapshots SITE"
  load_site_backup "$1"
  check_repo
  if [[ "$REPO_STATE" == missing ]]; then
    warn "no snapshots: there is no restic repository at $SP_RESTIC_REPOSITORY yet"
    return 0
  fi
  restic_site snapshots --tag "site=$SP_SITE"
}
