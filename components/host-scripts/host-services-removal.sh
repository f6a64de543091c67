# shellcheck shell=bash
# Undoes the services step when the host is destroyed: the admin account
# simple-paas made on the host's own MariaDB (an external server's account
# is the operator's and stays) and its client option file. Runs after every
# site's final backup and database removal, which need them. The firewall
# stays: it protects the host as long as site networks may exist.
#
# Values: SP_ADMIN_USER SP_ADMIN_CNF SP_DB_MODE

if [ "$SP_DB_MODE" != local ]; then
  sp_log "external server: its admin account $SP_ADMIN_USER stays"
elif mysqladmin --protocol=socket ping >/dev/null 2>&1; then
  user=$(sp_sql_quote "$SP_ADMIN_USER")
  printf '%s\n' "SET SESSION sql_mode = '';" "DROP USER IF EXISTS $user@'127.0.0.1';" "DROP USER IF EXISTS $user@'localhost';" |
    mysql --protocol=socket -u root -N -B
  sp_changed "admin account $SP_ADMIN_USER: dropped"
else
  sp_log "MariaDB is not running here: no admin account to drop"
fi
if [ -e "$SP_ADMIN_CNF" ]; then
  rm -f -- "$SP_ADMIN_CNF"
  sp_changed "$SP_ADMIN_CNF: removed"
fi
sp_finish
