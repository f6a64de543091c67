# shellcheck shell=bash
# The host's second step, once the proxy's docker network exists: the
# MariaDB admin account and its client option file, MariaDB listening on
# 127.0.0.1 and that network's gateway only, the firewall between the sites
# and the host, and host.env. stdin: the admin password (one line).
#
# Values (render/services-script.ts): SP_CONFIG_DIR SP_GATEWAY SP_NETWORK
# SP_NETWORK_SUBNET SP_ADMIN_USER SP_ADMIN_CNF SP_DB_MODE SP_DB_HOST
# SP_DB_PORT SP_DB_TLS SP_DB_CA_FILE SP_DB_CA_PEM SP_MARIADB_CNF_FILE
# SP_MARIADB_CNF SP_MARIADB_WANT SP_AFTER_DOCKER_DROPIN SP_HOST_ENV_FILE
# SP_HOST_ENV SP_FIREWALL_FILE SP_FIREWALL_SCRIPT SP_FIREWALL_UNIT

[ -d "$SP_CONFIG_DIR" ] || sp_die "$SP_CONFIG_DIR is missing: run the host packages script first"
if [ -z "$(ip -4 -o addr show to "$SP_GATEWAY/32")" ]; then
  sp_die "no interface has $SP_GATEWAY: create the docker network $SP_NETWORK ($SP_NETWORK_SUBNET) first"
fi

admin_password=""
IFS= read -r admin_password || true
[ -n "$admin_password" ] || sp_die "expected the MariaDB admin password on stdin (one line)"

# A server of the operator's that must be spoken to over TLS: its CA, if given.
if [ -n "$SP_DB_CA_FILE" ]; then
  printf '%s' "$SP_DB_CA_PEM" | sp_write_file "$SP_DB_CA_FILE" 0644 root root
fi

# Option files undo \\ and \" inside double quotes; a # there is no comment.
sp_cnf_quote() {
  local v=${1//\\/\\\\}
  v=${v//\"/\\\"}
  printf '"%s"' "$v"
}
{
  printf '[client]\n'
  printf 'user = %s\n' "$(sp_cnf_quote "$SP_ADMIN_USER")"
  printf 'password = %s\n' "$(sp_cnf_quote "$admin_password")"
  printf 'host = %s\n' "$(sp_cnf_quote "$SP_DB_HOST")"
  printf 'port = %s\n' "$SP_DB_PORT"
  # Passwords (IDENTIFIED BY) and dumps cross the network to an external server: never in clear.
  case "$SP_DB_TLS" in
    verify)
      printf 'ssl\nssl-verify-server-cert\n'
      if [ -n "$SP_DB_CA_FILE" ]; then printf 'ssl-ca = %s\n' "$(sp_cnf_quote "$SP_DB_CA_FILE")"; fi ;;
    required) printf 'ssl\n' ;;
    off) ;;
    *) sp_die "SP_DB_TLS must be verify, required or off, not '$SP_DB_TLS'" ;;
  esac
} | sp_write_file "$SP_ADMIN_CNF" 0600 root root

host_dropin() {
  local unit="$1" dir="/etc/systemd/system/$1.service.d"
  if sp_is_systemd; then
    sp_ensure_dir "$dir" 0755 root root
    printf '%s' "$SP_AFTER_DOCKER_DROPIN" | sp_write_file "$dir/simple-paas.conf" 0644 root root
    if [ "$SP_FILE_CHANGED" = 1 ]; then systemctl daemon-reload; fi
    sp_log "$unit starts after docker"
  fi
}

if [ "$SP_DB_MODE" = local ]; then
  printf '%s' "$SP_MARIADB_CNF" | sp_write_file "$SP_MARIADB_CNF_FILE" 0644 root root
  mariadb_cnf_changed=$SP_FILE_CHANGED
  host_dropin mariadb

  # What the running server does, compared with what we want: a restart
  # happens only when they differ or our option file just changed.
  sp_root_sql() { mysql --protocol=socket -u root -N -B "$@"; }
  mariadb_state() {
    sp_root_sql -e 'SELECT CONCAT_WS(0x20, @@GLOBAL.bind_address, @@GLOBAL.port, IF(@@GLOBAL.skip_name_resolve, 1, 0))' 2>/dev/null || true
  }
  mariadb_before=$(mariadb_state)
  if [ "$mariadb_before" != "$SP_MARIADB_WANT" ] || [ "$mariadb_cnf_changed" = 1 ]; then
    sp_service restart mariadb
    sp_wait mariadb 120 mysqladmin --protocol=socket ping
    mariadb_after=$(mariadb_state)
    [ "$mariadb_after" = "$SP_MARIADB_WANT" ] ||
      sp_die "MariaDB runs with '$mariadb_after' (bind-address port skip-name-resolve), not '$SP_MARIADB_WANT': does another option file or option override $SP_MARIADB_CNF_FILE?"
    sp_changed "mariadb restarted: '${mariadb_before:-not running}' -> '$mariadb_after'"
  else
    sp_log "mariadb: listening as configured ($mariadb_before)"
  fi

  admin_sql() {
    local user pw host
    user=$(sp_sql_quote "$SP_ADMIN_USER")
    pw=$(sp_sql_quote "$admin_password")
    printf '%s\n' "SET SESSION sql_mode = '';"
    for host in 127.0.0.1 localhost; do
      printf '%s\n' \
        "CREATE USER IF NOT EXISTS $user@'$host' IDENTIFIED BY $pw;" \
        "ALTER USER $user@'$host' IDENTIFIED BY $pw;" \
        "GRANT ALL PRIVILEGES ON *.* TO $user@'$host' WITH GRANT OPTION;"
    done
  }
  # The account is right when it logs in with the password over TCP
  # (@127.0.0.1) and the socket (@localhost) and holds every privilege.
  admin_ok() {
    local host grants
    for host in 127.0.0.1 localhost; do
      # --host overrides the option file's; "localhost" means the socket.
      grants=$(mysql --defaults-extra-file="$SP_ADMIN_CNF" --host="$host" --connect-timeout=10 \
        -N -B -e 'SHOW GRANTS FOR CURRENT_USER()' 2>/dev/null) || return 1
      case "$grants" in
        *"GRANT ALL PRIVILEGES ON *.* TO "*" WITH GRANT OPTION"*) ;;
        *) return 1 ;;
      esac
    done
  }
  if admin_ok; then
    sp_log "admin account $SP_ADMIN_USER: unchanged"
  else
    # SQL on stdin: the password never appears on a command line.
    admin_sql | sp_root_sql
    admin_ok || sp_die "admin account $SP_ADMIN_USER still cannot log in after it was set up"
    sp_changed "admin account $SP_ADMIN_USER@127.0.0.1 and @localhost: created or updated"
  fi
else
  # The operator's server: the admin account is theirs; we only check it works (over TLS unless told otherwise).
  if err=$(mysql --defaults-extra-file="$SP_ADMIN_CNF" --connect-timeout=10 -N -B -e 'SELECT 1' 2>&1 >/dev/null); then
    sp_log "admin account $SP_ADMIN_USER logs in to $SP_DB_HOST:$SP_DB_PORT (TLS: $SP_DB_TLS)"
  else
    sp_die "admin account $SP_ADMIN_USER cannot log in to $SP_DB_HOST:$SP_DB_PORT (TLS: $SP_DB_TLS): ${err:-no error text}"
  fi
fi

# Earlier releases ran one memcached for every site on the network's
# gateway, without authentication; each site now has its own (a container
# on the site's network). Stop the shared one if simple-paas configured it.
if [ -f /etc/memcached.conf ] && grep -q '^# Generated by simple-paas' /etc/memcached.conf; then
  if sp_is_systemd; then
    systemctl disable --quiet --now memcached.service || true
  else
    start-stop-daemon --stop --oknodo --retry TERM/30 --pidfile /run/simple-paas-memcached.pid --exec /usr/bin/memcached
  fi
  rm -f -- /etc/memcached.conf /etc/systemd/system/memcached.service.d/simple-paas.conf
  sp_changed "the shared memcached of earlier releases: stopped and unconfigured"
fi

# The firewall between the sites and the host (every site's network is a
# bridge named spb-*): its boot-time copy, then the rules themselves.
printf '%s' "$SP_FIREWALL_SCRIPT" | sp_write_file "$SP_FIREWALL_FILE" 0755 root root
if sp_is_systemd; then
  printf '%s' "$SP_FIREWALL_UNIT" | sp_write_file /etc/systemd/system/simple-paas-firewall.service 0644 root root
  if [ "$SP_FILE_CHANGED" = 1 ]; then systemctl daemon-reload; fi
  systemctl enable --quiet simple-paas-firewall.service
fi
if ! fw_out=$("$SP_FIREWALL_FILE" 2>&1); then
  printf '%s\n' "$fw_out" >&2
  sp_die "the firewall rules between the sites and the host could not be applied"
fi
sp_log "$fw_out"

printf '%s' "$SP_HOST_ENV" | sp_write_file "$SP_HOST_ENV_FILE" 0644 root root
sp_finish
