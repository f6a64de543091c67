# shellcheck shell=bash
# shellcheck disable=SC2034 # variables shared with the other parts of sp (the assembled sp is checked whole)
# `sp restore|tar-restore`: a staged restore beside the data dir, ownership
# fixed in the stage, swapped in by renames, the database recreated from
# the dump by the site's own account in a sandboxed client; the site's
# running containers are stopped meanwhile.
#
# A part of the `sp` command (components/render/sp-command.ts puts CONF_DIR
# and SP_SELF in front of the parts); this header ends at the first blank line.

require_data_dir() {
  [[ -d "$SP_DATA_DIR" && ! -L "$SP_DATA_DIR" ]] || die "the data dir $SP_DATA_DIR of '$SP_SITE' does not exist"
}

# True when public/, private/ or sql/ hold anything but directories.
data_has_files() {
  local d dirs=() found
  for d in public private sql; do
    if [[ -e "$SP_DATA_DIR/$d" ]]; then dirs+=("$SP_DATA_DIR/$d"); fi
  done
  (( ${#dirs[@]} )) || return 1
  found="$(find "${dirs[@]}" -mindepth 1 ! -type d -print -quit)" || die "cannot search $SP_DATA_DIR"
  [[ -n "$found" ]]
}

# Sets DB_TABLES: tables and views of the site database (0 when it does not
# exist). Dies rather than guessing when MariaDB does not answer.
count_db_tables() {
  DB_TABLES="$(mysql_admin -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$SP_DB_NAME'")" ||
    die "cannot ask MariaDB for the tables of $SP_DB_NAME"
  [[ "$DB_TABLES" =~ ^[0-9]+$ ]] || die "unexpected answer from MariaDB: $DB_TABLES"
}

site_has_data() {
  if data_has_files; then return 0; fi
  count_db_tables
  (( DB_TABLES > 0 ))
}

# A dir of root's alone in the site's dir (root's too): same filesystem as
# the data dir, so the swap is renames.
make_stage() {
  STAGE="$(mktemp -d "$SP_SITE_HOME/.sp-restore.XXXXXX")"
  CLEANUP_PATHS+=("$STAGE")
  mkdir -- "$STAGE/new" "$STAGE/old"
}

# Sets SNAPSHOT to the full id of SPEC (latest: the newest snapshot tagged
# site=SITE), or to "" when there is none.
resolve_snapshot() {
  local json args=(--tag "site=$SP_SITE")
  if [[ "$1" != latest ]]; then args=("$1"); fi
  json="$(restic_site snapshots --json "${args[@]}" 2>"$WORK/snapshots.err")" || {
    cat -- "$WORK/snapshots.err" >&2
    # probe_repo did not open the repository: a wrong password shows here first.
    if grep -qi "wrong password" "$WORK/snapshots.err"; then die_wrong_password; fi
    die "cannot list the snapshots of $SP_RESTIC_REPOSITORY"
  }
  # restic lists snapshots oldest first.
  SNAPSHOT="$(grep -oE '"id":"[0-9a-f]{64}"' <<<"$json" | tail -n 1 | cut -d '"' -f 4)" || SNAPSHOT=""
}

stop_site_containers() {
  local out
  out="$(docker ps -q --filter "label=$SITE_LABEL=$SP_SITE")" ||
    die "cannot list the containers of '$SP_SITE' (is docker running?); nothing was changed"
  if [[ -n "$out" ]]; then
    mapfile -t STOPPED <<<"$out"
    warn "stopping the running containers of '$SP_SITE' during the restore"
    docker stop "${STOPPED[@]}" >&2 || die "cannot stop the containers of '$SP_SITE'"
  fi
}

start_site_containers() {
  local ids=("${STOPPED[@]}")
  STOPPED=()
  if (( ${#ids[@]} )); then
    docker start "${ids[@]}" >&2 || die "restored, but cannot start the containers of '$SP_SITE' again: ${ids[*]}"
  fi
}

# STAGED_DATA / STAGED_DUMP: where a staged backup ($1) keeps the data dir's
# public/ private/ sql/ and the dump. Layout 2 (this release's snapshots
# and archives) holds data/ and dump/; layout 1 (earlier releases) holds
# public/ private/ sql/ at its root, the dump in sql/; an adopted snapshot
# of the original scripts holds them at SP_ADOPT_PATH, the dump at
# SP_ADOPT_DUMP in there.
locate_staged() {
  local src="$1"
  if [[ -d "$src/data" && ! -L "$src/data" ]]; then
    STAGED_DATA="$src/data"
    STAGED_DUMP="$src/dump/$SP_DB_NAME.sql"
    return 0
  fi
  if [[ -n "${SP_ADOPT_PATH:-}" && -d "$src$SP_ADOPT_PATH" ]]; then
    # A snapshot of the original scripts (sp adopt): the data dir's content at SP_ADOPT_PATH,
    # the dump at SP_ADOPT_DUMP in it. No link on the way there: the path is the stage's own.
    [[ "$(cd -- "$src$SP_ADOPT_PATH" && pwd -P)" == "$(cd -- "$src" && pwd -P)$SP_ADOPT_PATH" ]] ||
      die "the snapshot's $SP_ADOPT_PATH goes through a symbolic link; nothing was changed"
    STAGED_DATA="$src$SP_ADOPT_PATH"
    STAGED_DUMP="$STAGED_DATA/$SP_ADOPT_DUMP"
  else
    STAGED_DATA="$src"
    STAGED_DUMP="$src/sql/$SP_DB_NAME.sql"
  fi
  # Out of what becomes the site's sql/ before anything moves: the dump is read from root's stage only,
  # never through a link on the way to it (the backup's sql/ or dump/ could be one).
  if [[ -f "$STAGED_DUMP" && ! -L "$STAGED_DUMP" ]]; then
    [[ "$(realpath -e -- "$STAGED_DUMP")" == "$(realpath -e -- "$src")/"* ]] ||
      die "the backup's dump ${STAGED_DUMP#"$src"} is reached through a symbolic link; nothing was changed"
    CLEANUP_PATHS+=("$src.dump.sql")
    mv -- "$STAGED_DUMP" "$src.dump.sql"
    STAGED_DUMP="$src.dump.sql"
  fi
}

# Ownership and modes are fixed in the stage, a dir of root's alone that no
# site can reach: nothing there can be swapped for a link meanwhile. -h:
# a link from the backup is changed itself, never followed.
prepare_staged_files() {
  local d
  for d in public private sql; do
    if [[ -e "$STAGED_DATA/$d" || -L "$STAGED_DATA/$d" ]]; then
      [[ -d "$STAGED_DATA/$d" && ! -L "$STAGED_DATA/$d" ]] || die "the backup's $d is not a directory; nothing was changed"
    else
      mkdir -- "$STAGED_DATA/$d"
    fi
    chown -R -P -h -- "$SP_USER:$SP_GROUP" "$STAGED_DATA/$d" || die "cannot give the restored $d/ to $SP_USER:$SP_GROUP"
    find "$STAGED_DATA/$d" -type d -exec chmod 2770 {} + || die "cannot set the modes of the restored $d/"
  done
}

# Renames the staged public/ private/ sql/ into the data dir (tmp/ and
# anything else stay); puts the old ones back if a rename fails. Renames
# only: the data dir is the site's, and a rename acts on the entry itself.
swap_data_dirs() {
  local d bad="" moved=()
  for d in public private sql; do
    if [[ -e "$SP_DATA_DIR/$d" || -L "$SP_DATA_DIR/$d" ]]; then
      mv -T -- "$SP_DATA_DIR/$d" "$STAGE/old/$d" || { bad="$d"; break; }
    fi
    mv -T -- "$STAGED_DATA/$d" "$SP_DATA_DIR/$d" || { bad="$d"; break; }
    moved+=("$d")
  done
  [[ -n "$bad" ]] || return 0
  for d in public private sql; do
    if [[ -e "$STAGE/old/$d" || -L "$STAGE/old/$d" ]]; then
      if [[ -e "$SP_DATA_DIR/$d" || -L "$SP_DATA_DIR/$d" ]]; then mv -T -- "$SP_DATA_DIR/$d" "$STAGE/new-undone-$d"; fi
      mv -T -- "$STAGE/old/$d" "$SP_DATA_DIR/$d"
    fi
  done
  die "could not put the restored $bad/ in place; the previous files are back"
}

# Puts a staged backup ($1, either layout) in place: the files when $2 is
# 1, the database when $3 is 1. Running containers are stopped meanwhile
# and started again, also after a failure (on_exit).
apply_restore() {
  local src="$1" files="$2" db="$3"
  locate_staged "$src"
  if (( db )); then
    [[ -f "$STAGED_DUMP" && ! -L "$STAGED_DUMP" ]] || die "the backup holds no dump of $SP_DB_NAME; nothing was changed"
    dump_is_complete "$STAGED_DUMP" || die "the dump of $SP_DB_NAME in the backup is cut short; nothing was changed"
    plan_db_recreate
  fi
  if (( files )); then prepare_staged_files; fi
  stop_site_containers
  if (( files )); then swap_data_dirs; fi
  if (( db )); then
    import_dump "$STAGED_DUMP"
    # The dump dir holds the dump this database came from, as a backup would.
    install -d -m 0700 -o root -g root -- "$SP_DUMP_DIR"
    cp -- "$STAGED_DUMP" "$SP_DUMP_DIR/.$SP_DB_NAME.sql.sp-tmp.restored"
    mv -f -- "$SP_DUMP_DIR/.$SP_DB_NAME.sql.sp-tmp.restored" "$SP_DUMP_DIR/$SP_DB_NAME.sql"
  fi
  start_site_containers
}

# parse_restore_args ACTION ARGS...: --yes (-y), for restore also
# --if-fresh, and at most two operands. Sets RA_YES, RA_FRESH, RA_1, RA_2.
parse_restore_args() {
  local action="$1"
  shift
  RA_YES=0 RA_FRESH=0 RA_1="" RA_2=""
  while (( $# )); do
    case "$1" in
      --yes | -y) RA_YES=1 ;;
      --if-fresh)
        [[ "$action" == restore ]] || usage_error "$action: unknown option '$1'"
        RA_FRESH=1 ;;
      -*) usage_error "$action: unknown option '$1'" ;;
      *)
        if [[ -z "$RA_1" ]]; then RA_1="$1"
        elif [[ -z "$RA_2" ]]; then RA_2="$1"
        else usage_error "$action: too many arguments"
        fi ;;
    esac
    shift
  done
}

# Settings of SITE, its data dir, then its lock.
prepare_restore() {
  load_site_backup "$1"
  require_data_dir
  lock_site
}

# A restore over files or tables needs --yes (exit 2 otherwise).
confirm_replace() {
  if (( ! RA_YES )) && site_has_data; then
    usage_error "$1: '$SP_SITE' has files in public/ private/ sql/ or tables in $SP_DB_NAME, which the restore replaces: add --yes"
  fi
}

# SNAPSHOT into a new stage, at $STAGE/new.
stage_snapshot() {
  make_stage
  restic_site restore "$SNAPSHOT" --target "$STAGE/new" >&2 || die "restic restore of ${SNAPSHOT:0:8} failed; nothing was changed"
}

# sp restore SITE [SNAPSHOT] [--yes] | sp restore SITE --if-fresh
cmd_restore() {
  parse_restore_args restore "$@"
  local site="$RA_1" spec="$RA_2"
  [[ -n "$site" ]] || usage_error "restore: missing SITE"
  check_site_name "$site"
  if (( RA_FRESH )); then
    [[ -z "$spec" ]] || usage_error "restore: --if-fresh always restores the latest snapshot; give no SNAPSHOT"
    restore_if_fresh "$site"
    return
  fi
  spec="${spec:-latest}"
  [[ "$spec" =~ ^(latest|[0-9a-f]{8,64})$ ]] || usage_error "restore: SNAPSHOT must be latest or a snapshot id (8-64 hex digits), not '$spec'"
  prepare_restore "$site"
  confirm_replace restore
  begin_event restore "$SP_SITE"
  probe_repo
  [[ "$REPO_STATE" == ok ]] || die "there is no restic repository at $SP_RESTIC_REPOSITORY"
  resolve_snapshot "$spec"
  [[ -n "$SNAPSHOT" ]] || die "no snapshot '$spec' of '$site' in $SP_RESTIC_REPOSITORY"
  stage_snapshot
  apply_restore "$STAGE/new" 1 1
  log_event restore ok "snapshot=${SNAPSHOT:0:8}"
  EV_DONE=1
}

# Disaster recovery on site creation: the latest snapshot, only into what
# is empty (files when public/ private/ sql/ hold none, the database when
# it has no tables). No repository or no snapshot: nothing to do.
restore_if_fresh() {
  local files=0 db=0
  prepare_restore "$1"
  begin_event restore "$SP_SITE"
  if ! data_has_files; then files=1; fi
  count_db_tables
  if (( DB_TABLES == 0 )); then db=1; fi
  if (( ! files && ! db )); then
    warn "nothing to restore: '$SP_SITE' has files and database tables"
    EV_DONE=1
    return 0
  fi
  probe_repo
  if [[ "$REPO_STATE" == missing ]]; then
    warn "nothing to restore: there is no restic repository at $SP_RESTIC_REPOSITORY"
    EV_DONE=1
    return 0
  fi
  resolve_snapshot latest
  if [[ -z "$SNAPSHOT" ]]; then
    warn "nothing to restore: no snapshot of '$SP_SITE' in $SP_RESTIC_REPOSITORY"
    EV_DONE=1
    return 0
  fi
  stage_snapshot
  apply_restore "$STAGE/new" "$files" "$db"
  log_event restore ok "snapshot=${SNAPSHOT:0:8} if-fresh files=$files database=$db"
  EV_DONE=1
}

# sp tar-restore SITE ARCHIVE [--yes]: like restore, from a tar backup
# (a path, or a file name in SP_TAR_DIR).
cmd_tar_restore() {
  parse_restore_args tar-restore "$@"
  local site="$RA_1" archive="$RA_2"
  [[ -n "$site" && -n "$archive" ]] || usage_error "usage: sp tar-restore SITE ARCHIVE [--yes]"
  check_site_name "$site"
  load_site_backup "$site"
  if [[ "$archive" != */* && -n "${SP_TAR_DIR:-}" && -f "$SP_TAR_DIR/$archive" ]]; then archive="$SP_TAR_DIR/$archive"; fi
  [[ -f "$archive" ]] || die "there is no archive $archive"
  require_data_dir
  lock_site
  confirm_replace tar-restore
  begin_event restore "$SP_SITE"
  make_stage
  tar -xzf "$archive" -C "$STAGE/new" --no-same-owner || die "cannot extract $archive; nothing was changed"
  apply_restore "$STAGE/new" 1 1
  log_event restore ok "archive=$archive"
  EV_DONE=1
}
