# shellcheck shell=bash
# Gives a site its database, its database user and the user's grant on that
# database alone, as the admin account of SP_ADMIN_CNF (over TLS to an
# external server, as the option file says). stdin: the user's password
# (one line). stdout unused. Idempotent: a second run changes nothing but
# (re)setting the same password. SQL and the password go to the client on
# stdin, never on a command line.
#
# Values (render/site-database.ts): SP_GENERATION SP_ADMIN_CNF SP_DB_NAME
# SP_DB_USER SP_DB_HOST_PATTERN SP_DB_SOCKET_ACCOUNT SP_DB_CHARSET SP_DB_COLLATION

# The generation is part of this text so a new one runs the step again, in place.
sp_log "host generation $SP_GENERATION"
password=""
IFS= read -r password || true
[ -n "$password" ] || sp_die "expected the site's database password on stdin (one line)"
[ -f "$SP_ADMIN_CNF" ] || sp_die "$SP_ADMIN_CNF is missing: the host's services step has not run on this host"
sp_admin_login

account="$(sp_sql_quote "$SP_DB_USER")@$(sp_sql_quote "$SP_DB_HOST_PATTERN")"
schema=$(sp_admin_sql -e "SELECT CONCAT_WS(' ', DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = $(sp_sql_quote "$SP_DB_NAME")")
if [ -z "$schema" ]; then
  sp_admin_sql -e "CREATE DATABASE \`$SP_DB_NAME\` CHARACTER SET $SP_DB_CHARSET COLLATE $SP_DB_COLLATION"
  sp_changed "database $SP_DB_NAME: created ($SP_DB_CHARSET, $SP_DB_COLLATION)"
elif [ "$schema" != "$SP_DB_CHARSET $SP_DB_COLLATION" ]; then
  # Only the default for new tables; existing tables keep their own.
  sp_admin_sql -e "ALTER DATABASE \`$SP_DB_NAME\` CHARACTER SET $SP_DB_CHARSET COLLATE $SP_DB_COLLATION"
  sp_changed "database $SP_DB_NAME: default $schema -> $SP_DB_CHARSET $SP_DB_COLLATION"
else
  sp_log "database $SP_DB_NAME: present ($schema)"
fi

existed=$(sp_admin_sql -e "SELECT COUNT(*) FROM mysql.user WHERE User = $(sp_sql_quote "$SP_DB_USER") AND Host = $(sp_sql_quote "$SP_DB_HOST_PATTERN")")
# On the host's own MariaDB, the same account also over the unix socket
# (@localhost), which no container reaches: sp imports a restored dump as
# the site's own account through it, sandboxed, as the site's Linux user.
accounts=("$account")
# "_" in a database name of a GRANT is a wildcard: escaped, the grant is on this database alone.
grant_db=${SP_DB_NAME//_/\\_}
if [ "$SP_DB_SOCKET_ACCOUNT" = yes ]; then accounts+=("$(sp_sql_quote "$SP_DB_USER")@'localhost'"); fi
{
  printf '%s\n' "SET SESSION sql_mode = '';"
  for a in "${accounts[@]}"; do
    printf '%s\n' "CREATE USER IF NOT EXISTS $a IDENTIFIED BY $(sp_sql_quote "$password");"
    printf '%s\n' "ALTER USER $a IDENTIFIED BY $(sp_sql_quote "$password");"
    printf '%s\n' "GRANT ALL PRIVILEGES ON \`$grant_db\`.* TO $a;"
  done
} | sp_admin_sql
# Releases before this one granted the name unescaped: "_" matched any
# character (site shop-1 could create and use shopx1). That grant goes.
if [ "$grant_db" != "$SP_DB_NAME" ]; then
  hosts=("$SP_DB_HOST_PATTERN")
  if [ "$SP_DB_SOCKET_ACCOUNT" = yes ]; then hosts+=(localhost); fi
  for h in "${hosts[@]}"; do
    wildcard=$(sp_admin_sql -e "SELECT COUNT(*) FROM mysql.db WHERE Db = $(sp_sql_quote "$SP_DB_NAME") AND User = $(sp_sql_quote "$SP_DB_USER") AND Host = $(sp_sql_quote "$h")")
    if [ "$wildcard" != 0 ]; then
      sp_admin_sql -e "REVOKE ALL PRIVILEGES ON \`$SP_DB_NAME\`.* FROM $(sp_sql_quote "$SP_DB_USER")@$(sp_sql_quote "$h")"
      sp_changed "user $SP_DB_USER@$h: the wildcard grant on $SP_DB_NAME (\"_\" matching any character) revoked"
    fi
  done
fi
# The same user on another network (ADDRESS/NETMASK, the form simple-paas
# makes; an operator's own accounts stay) keeps no access: one account per site.
sp_admin_sql -e "SELECT QUOTE(Host) FROM mysql.user WHERE User = $(sp_sql_quote "$SP_DB_USER") AND Host <> $(sp_sql_quote "$SP_DB_HOST_PATTERN") AND Host LIKE '%/%'" |
  while IFS= read -r stale_host; do
    sp_admin_sql -e "DROP USER $(sp_sql_quote "$SP_DB_USER")@$stale_host"
    sp_changed "user $SP_DB_USER@$stale_host: dropped (the site's user is $account now)"
  done
if [ "$existed" = 0 ]; then
  sp_changed "user $account: created, with all privileges on $SP_DB_NAME only"
else
  sp_log "user $account: password set, all privileges on $SP_DB_NAME"
fi
sp_finish
