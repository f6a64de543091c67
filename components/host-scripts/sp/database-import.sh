# shellcheck shell=bash
# shellcheck disable=SC2034 # variables shared with the other parts of sp (the assembled sp is checked whole)
# How `sp restore` and `sp drill` put a dump into a database: the site's
# own account, from a sandboxed client run as the site's Linux user (a
# dump is data that a site may have written, never a script for root).
#
# A part of the `sp` command (components/render/sp-command.ts); this header
# ends at the first blank line.

# Sets RECREATE_SQL: DROP + CREATE of the site database, keeping its
# character set and collation. Asked before anything changes, so an
# unreachable MariaDB fails the restore while the site is still intact.
plan_db_recreate() {
  local bt=$'\x60' info cs coll
  info="$(mysql_admin -e "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '$SP_DB_NAME'")" ||
    die "cannot ask MariaDB about the database $SP_DB_NAME; nothing was changed"
  RECREATE_SQL="DROP DATABASE IF EXISTS $bt$SP_DB_NAME$bt; CREATE DATABASE $bt$SP_DB_NAME$bt"
  if [[ -n "$info" ]]; then
    read -r cs coll <<<"$info"
    [[ "$cs" =~ ^[A-Za-z0-9_]+$ && "$coll" =~ ^[A-Za-z0-9_]+$ ]] || die "unexpected character set of $SP_DB_NAME: $info"
    RECREATE_SQL+=" CHARACTER SET $cs COLLATE $coll"
  fi
}

# SITE_CNF: the MariaDB client options of the site's own database account
# (its password from the site's secrets), readable by the site's Linux user
# alone, in a dir of root's that it may only pass through. Made once.
SITE_CNF=""
make_site_cnf() {
  local cnf_dir password
  [[ -z "$SITE_CNF" ]] || return 0
  password="$CONF_DIR/sites/$SP_SITE/secrets/db_pass"
  [[ -f "$password" && ! -L "$password" ]] || die "there is no $password"
  cnf_dir="$(mktemp -d "/run/simple-paas-import-$SP_SITE.XXXXXX")"
  CLEANUP_PATHS+=("$cnf_dir")
  chmod 0711 -- "$cnf_dir"
  SITE_CNF="$cnf_dir/client.cnf"
  {
    printf '[client]\nuser = "%s"\n' "$SP_DB_USER"
    printf 'password = "%s"\n' "$(sed 's/\\/\\\\/g; s/"/\\"/g' -- "$password")"
    if [[ "${SP_DB_CLIENT:-socket}" == socket ]]; then
      printf 'protocol = socket\n'
    else
      printf 'host = "%s"\nport = %s\n' "$SP_DB_HOST" "$SP_DB_PORT"
      case "${SP_DB_TLS:-off}" in
        verify) printf 'ssl\nssl-verify-server-cert\n'; if [[ -n "${SP_DB_CA_FILE:-}" ]]; then printf 'ssl-ca = "%s"\n' "$SP_DB_CA_FILE"; fi ;;
        required) printf 'ssl\n' ;;
      esac
    fi
  } >"$SITE_CNF"
  chown -- "$SP_USER:$SP_GROUP" "$SITE_CNF"
  chmod 0400 -- "$SITE_CNF"
}

# The MariaDB client, as the site's Linux user, logged in as the site's own account.
site_client() {
  local bin=mariadb
  command -v mariadb >/dev/null 2>&1 || bin=mysql
  make_site_cnf
  as_site "$bin" --defaults-file="$SITE_CNF" --batch --skip-column-names --default-character-set=utf8mb4 "$@"
}

# The account (user@host) the site's client logs in as.
site_account() {
  site_client -e 'SELECT CURRENT_USER()' || die "the site's own database account cannot log in"
}

# A dump is data, not a script: it may come from a site (a snapshot of an
# earlier release held it in the site's own sql/), so it goes to the site's
# own database account (ALL on its database, nothing else), from a client
# in --sandbox mode (no \!, system, source, tee ...) without LOAD DATA
# LOCAL, run as the site's Linux user. Definers become that account (a
# dump made on another network names another host).
# import_sandboxed DUMP DATABASE: DATABASE must exist; the account must be granted on it.
import_sandboxed() {
  local dump="$1" db="$2" bin=mariadb help
  [[ -f "$dump" && ! -L "$dump" ]] || die "$dump is not a regular file"
  command -v mariadb >/dev/null 2>&1 || bin=mysql
  help="$("$bin" --help 2>/dev/null || true)"
  [[ "$help" == *--sandbox* ]] || die "this MariaDB client has no --sandbox mode: refusing to import a dump without it (upgrade mariadb-client)"
  make_site_cnf
  # shellcheck disable=SC2016 # the inner script's own variables
  as_site bash -c 'set -o pipefail
    sed -E "/^INSERT INTO /!s/DEFINER=\`[^\`]*\`@\`[^\`]*\`/DEFINER=CURRENT_USER/g" |
      "$1" --defaults-file="$2" --sandbox --local-infile=0 --batch --default-character-set=utf8mb4 "$3"' \
    sp-import "$bin" "$SITE_CNF" "$db" <"$dump"
}

# DROP + CREATE as the admin keeps the site user's grants (mysql.db rows
# outlive the database), then the dump goes in as the site's own account.
import_dump() {
  mysql_admin -e "$RECREATE_SQL" || die "cannot recreate the database $SP_DB_NAME"
  import_sandboxed "$1" "$SP_DB_NAME" ||
    die "the import of the dump into $SP_DB_NAME failed (as the site's own account, sandboxed): the database is incomplete, restore again"
}
