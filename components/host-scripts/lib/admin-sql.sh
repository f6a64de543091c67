# shellcheck shell=bash
# The MariaDB client as the admin account of SP_ADMIN_CNF (an option file
# root alone reads): SQL on stdin or -e, never a password.

sp_admin_sql() { mysql --defaults-extra-file="$SP_ADMIN_CNF" --connect-timeout=10 -N -B "$@"; }
sp_admin_login() {
  local err
  if ! err=$(sp_admin_sql -e 'SELECT 1' 2>&1 >/dev/null); then
    sp_die "cannot log in to MariaDB as the admin account of $SP_ADMIN_CNF: ${err:-no error text} (is the server running and the host set up?)"
  fi
}
