# shellcheck shell=bash
# Removes a site's database user (its grant goes with it). The database
# stays unless SP_DELETE_DATA says the site's data is meant to go; then,
# only when the site's final backup was taken in this very run (it writes
# SP_FINAL_DONE), the database is dropped and the data dir deleted, under
# the site's lock, so a backup of the site never runs meanwhile: one that
# waited finds the site removed and says so. On a host where simple-paas is
# not set up (new or wiped), there is nothing to remove.
#
# Values (render/site-database.ts): SP_SITE SP_ADMIN_CNF SP_DB_NAME SP_DB_USER
# SP_DB_HOST_PATTERN SP_DB_SOCKET_ACCOUNT SP_DELETE_DATA SP_DATA_DIR SP_DUMP_DIR SP_FINAL_DONE
# SP_LOCK_FILE SP_REMOVED_MARK

if [ ! -f "$SP_ADMIN_CNF" ]; then
  sp_log "$SP_ADMIN_CNF is missing: simple-paas is not set up on this host (new or wiped), nothing to remove"
  exit 0
fi
sp_admin_login
account="$(sp_sql_quote "$SP_DB_USER")@$(sp_sql_quote "$SP_DB_HOST_PATTERN")"
sp_admin_sql -e "DROP USER IF EXISTS $account"
sp_changed "user $account: dropped (if it existed)"
if [ "$SP_DB_SOCKET_ACCOUNT" = yes ]; then
  sp_admin_sql -e "DROP USER IF EXISTS $(sp_sql_quote "$SP_DB_USER")@'localhost'"
  sp_changed "user $SP_DB_USER@localhost: dropped (if it existed)"
fi

if [ "$SP_DELETE_DATA" != yes ]; then
  sp_log "database $SP_DB_NAME: kept"
elif [ ! -f "$SP_FINAL_DONE" ]; then
  sp_log "no final backup was taken now (new or wiped host, or another generation): database $SP_DB_NAME and $SP_DATA_DIR kept"
else
  # The lock sp backup, prune, restore and drill take for this site.
  mkdir -p -- "$(dirname -- "$SP_LOCK_FILE")"
  exec 8>>"$SP_LOCK_FILE"
  if ! flock -n 8; then
    sp_log "waiting for $SP_LOCK_FILE: a backup, prune, restore or drill of $SP_SITE is running"
    flock -w 3600 8 || sp_die "gave up waiting for $SP_LOCK_FILE after 3600s; nothing was deleted"
  fi
  date -u +%Y-%m-%dT%H:%M:%SZ >"$SP_REMOVED_MARK"
  sp_admin_sql -e "DROP DATABASE IF EXISTS \`$SP_DB_NAME\`"
  sp_changed "database $SP_DB_NAME: dropped after the final backup (deleteDataOnDestroy)"
  for dir in "$SP_DATA_DIR" "$SP_DUMP_DIR"; do
    if [ -e "$dir" ]; then
      rm -rf --one-file-system -- "$dir"
      sp_changed "$dir: deleted after the final backup (deleteDataOnDestroy)"
    fi
  done
  rm -f -- "$SP_FINAL_DONE"
fi
sp_finish
