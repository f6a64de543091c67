# shellcheck shell=bash
# shellcheck disable=SC2034 # variables shared with the other parts of sp (the assembled sp is checked whole)
# `sp drill SITE [--scheduled]`: proves that the latest snapshot restores.
#  1. restic restores it, verifying every file's content against the
#     snapshot (--verify), into a dir of root's alone the site never sees;
#  2. the restored tree (every path, its type, each file's size) must equal
#     what the snapshot lists (restic ls);
#  3. its dump is imported into a scratch database by the site's own
#     account, sandboxed, as the site's Linux user, and dumped again: the
#     second dump must equal the first (every table, row and value), and
#     the tables and rows are counted;
#  4. restic check --read-data-subset reads the configured share of the
#     repository's data.
# The result goes to STATUS_DIR/SITE.drill and the log; `sp status` fails
# on a failed or overdue drill.
#
# A part of the `sp` command; this header ends at the first blank line.

DRILL_DB=""
DRILL_ACCOUNT=""
DRILL_RC=0

# Removes the scratch database and the account's grant on it when the drill ends, however it ends.
drill_cleanup() {
  if [[ -n "$DRILL_DB" ]]; then
    mysql_admin -e "DROP DATABASE IF EXISTS \`$DRILL_DB\`" >/dev/null 2>&1 || true
    if [[ -n "$DRILL_ACCOUNT" ]]; then mysql_admin -e "REVOKE ALL PRIVILEGES ON \`${DRILL_DB//_/\\_}\`.* FROM $DRILL_ACCOUNT" >/dev/null 2>&1 || true; fi
  fi
}

# Lines of "TYPE<TAB>PATH<TAB>SIZE" for what the snapshot lists (sizes of files only).
snapshot_listing() {
  restic_site ls --json "$1" | jq -r 'select(.struct_type == "node")
    | [(if .type == "dir" then "d" elif .type == "file" then "f" elif .type == "symlink" then "l" else .type end),
       .path, (if .type == "file" then (.size // 0 | tostring) else "-" end)] | @tsv' | LC_ALL=C sort
}

# The same for a restored tree.
restored_listing() {
  (cd -- "$1" && find . -mindepth 1 -printf '%y\t/%P\t%s\n') | awk -F'\t' 'BEGIN { OFS = "\t" } { if ($1 != "f") $3 = "-"; print }' | LC_ALL=C sort
}

# A dump without what differs between two dumps of the same data: comments,
# definers, and blank lines (a dump made with other options, such as the
# original scripts' without --routines, has other spacing).
normalized_dump() {
  # shellcheck disable=SC2016 # backquotes of SQL, not of the shell
  sed -E -e '/^-- /d' -e '/^--$/d' -e '/^$/d' -e 's/DEFINER=`[^`]*`@`[^`]*`/DEFINER=X/g' -- "$1"
}

# sp drill SITE [--scheduled]
cmd_drill() {
  local site="" arg
  for arg in "$@"; do
    case "$arg" in
      --scheduled) ;;
      -*) usage_error "drill: unknown option '$arg'" ;;
      *) [[ -z "$site" ]] || usage_error "usage: sp drill SITE [--scheduled]"; site="$arg" ;;
    esac
  done
  [[ -n "$site" ]] || usage_error "usage: sp drill SITE [--scheduled]"
  check_site_name "$site"
  load_host
  timeout --kill-after=60 "$SP_BACKUP_TIMEOUT" bash "$SP_SELF" _drill-one "$site"
}

drill_one() {
  local scratch listing_a listing_b files tables rows count subset check_args=() redump account
  begin_site_event drill "$1"
  lock_site
  check_repo
  [[ "$REPO_STATE" == ok ]] || die "there is no restic repository at $SP_RESTIC_REPOSITORY: nothing to drill (has the site been backed up?)"
  unlock_stale
  resolve_snapshot latest
  [[ -n "$SNAPSHOT" ]] || die "no snapshot of '$SP_SITE' in $SP_RESTIC_REPOSITORY: nothing to drill"
  scratch="$(mktemp -d "$SP_SITE_HOME/.sp-drill.XXXXXX")"
  CLEANUP_PATHS+=("$scratch")
  warn "drill: restoring snapshot ${SNAPSHOT:0:8} of '$SP_SITE' into $scratch (verified)"
  restic_site restore "$SNAPSHOT" --target "$scratch" --verify >&2 || die "restic restore --verify of ${SNAPSHOT:0:8} failed"

  listing_a="$WORK/snapshot.tsv"
  listing_b="$WORK/restored.tsv"
  snapshot_listing "$SNAPSHOT" >"$listing_a" || die "cannot list snapshot ${SNAPSHOT:0:8}"
  restored_listing "$scratch" >"$listing_b"
  if ! cmp -s -- "$listing_a" "$listing_b"; then
    diff -- "$listing_a" "$listing_b" | head -n 20 >&2 || true
    die "the restored files of ${SNAPSHOT:0:8} differ from what the snapshot lists ($(diff -- "$listing_a" "$listing_b" | grep -c '^[<>]') lines)"
  fi
  files="$(awk -F'\t' '$1 == "f"' "$listing_b" | wc -l)"

  locate_staged "$scratch"
  [[ -f "$STAGED_DUMP" && ! -L "$STAGED_DUMP" ]] || die "snapshot ${SNAPSHOT:0:8} holds no dump of $SP_DB_NAME"
  dump_is_complete "$STAGED_DUMP" || die "the dump of $SP_DB_NAME in ${SNAPSHOT:0:8} is cut short"
  # "__" is in no site's database name (site names have no "--"), so no
  # site owns this name; "_" is escaped where a grant would read it as a wildcard.
  DRILL_DB="spdrill__$SP_DB_NAME"
  trap 'DRILL_RC=$?; drill_cleanup; (exit "$DRILL_RC"); on_exit' EXIT
  mysql_admin -e "DROP DATABASE IF EXISTS \`$DRILL_DB\`; CREATE DATABASE \`$DRILL_DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" ||
    die "cannot create the scratch database $DRILL_DB"
  make_site_cnf # here, not in the subshell below: its option file is removed on exit
  account="$(site_account)"
  [[ "$account" =~ ^[A-Za-z0-9_]+@[A-Za-z0-9.%/_:-]+$ ]] || die "unexpected account of the site's client: $account"
  DRILL_ACCOUNT="'${account%@*}'@'${account#*@}'"
  mysql_admin -e "GRANT ALL PRIVILEGES ON \`${DRILL_DB//_/\\_}\`.* TO $DRILL_ACCOUNT" || die "cannot grant the site's account the scratch database"
  import_sandboxed "$STAGED_DUMP" "$DRILL_DB" || die "the dump of ${SNAPSHOT:0:8} does not import (as the site's own account, sandboxed)"
  redump="$WORK/redump.sql"
  "$(command -v mariadb-dump || command -v mysqldump)" --defaults-extra-file="$MYSQL_CNF" --single-transaction --routines --triggers --events \
    --hex-blob --skip-dump-date --default-character-set=utf8mb4 "$DRILL_DB" >"$redump" || die "cannot dump the scratch database again"
  if ! cmp -s <(normalized_dump "$STAGED_DUMP") <(normalized_dump "$redump"); then
    diff <(normalized_dump "$STAGED_DUMP") <(normalized_dump "$redump") | head -n 10 >&2 || true
    die "the database of ${SNAPSHOT:0:8} does not come back as it was dumped (a second dump differs)"
  fi
  tables="$(mysql_admin -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DRILL_DB' AND TABLE_TYPE = 'BASE TABLE'")"
  rows=0
  # Table names are the site's to choose: each is quoted as an identifier
  # (backticks doubled), counted by the site's own account, sandboxed, and
  # the answer must be a number before it meets arithmetic.
  while IFS= read -r table; do
    [[ -n "$table" ]] || continue
    count="$(site_client --sandbox --raw -e "SELECT COUNT(*) FROM \`$DRILL_DB\`.\`${table//\`/\`\`}\`" </dev/null)" ||
      die "cannot count the rows of a table of the scratch database"
    [[ "$count" =~ ^[0-9]+$ ]] || die "a row count of the scratch database is not a number"
    rows=$(( rows + count ))
  done < <(mysql_admin --raw -e "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DRILL_DB' AND TABLE_TYPE = 'BASE TABLE'")
  drill_cleanup
  DRILL_DB=""

  subset="${SP_DRILL_READ_DATA_PERCENT:-5}"
  if [[ "$subset" != 0 ]]; then check_args=(--read-data-subset "$subset%"); fi
  restic_site check "${check_args[@]}" >&2 || die "restic check ${check_args[*]} found problems in $SP_RESTIC_REPOSITORY"
  write_status drill ok "${SNAPSHOT:0:8}" "snapshot=${SNAPSHOT:0:8} files=$files tables=$tables rows=$rows read-data=$subset%"
  log_event drill ok "snapshot=${SNAPSHOT:0:8} files=$files tables=$tables rows=$rows read-data=$subset%"
  EV_DONE=1
  heartbeat ok "drill of $SP_SITE: snapshot ${SNAPSHOT:0:8} restores (files=$files tables=$tables rows=$rows)"
}
