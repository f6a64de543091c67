# shellcheck shell=bash
# Starting and restarting the host's daemons: on systemd hosts through
# systemctl, elsewhere (containers, CI machines without an init) directly
# with start-stop-daemon, detached and logging under SP_DAEMON_LOG_DIR.
# `--background` also closes our stdio in the daemon: a command resource (or
# a test) waiting for the script's output would otherwise hang.

sp_is_systemd() { [ "$(cat /proc/1/comm 2>/dev/null || true)" = systemd ]; }

# sp_service start|restart NAME [ARGS for the direct start...]
sp_service() {
  local action="$1" name="$2" unit exe pidfile
  shift 2
  local -a args=("$@") makepid=()
  # Processes are matched by pid file *and* executable: matching by the
  # executable alone would also stop (or count as running) the same binary
  # inside containers or a second instance. docker, MariaDB and cron write
  # their own pid files; memcached gets one from start-stop-daemon.
  case "$name" in
    docker) unit=docker.service; exe=/usr/sbin/dockerd; pidfile=/var/run/docker.pid ;; # starts its own containerd without systemd
    mariadb) unit=mariadb.service; exe=/usr/sbin/mariadbd; pidfile=/run/mysqld/mysqld.pid; args=(--user=mysql --pid-file=/run/mysqld/mysqld.pid) ;;
    cron) unit=cron.service; exe=/usr/sbin/cron; pidfile=/var/run/crond.pid; args=(-f) ;;
    memcached) unit=memcached.service; exe=/usr/bin/memcached; pidfile=/run/simple-paas-memcached.pid; makepid=(--make-pidfile) ;;
    *) sp_die "unknown service $name" ;;
  esac
  if [ "$action" = restart ]; then sp_log "restarting $name"; else sp_log "ensuring $name runs"; fi
  if sp_is_systemd; then
    if [ "$action" = restart ]; then
      systemctl enable --quiet "$unit"
      systemctl restart "$unit"
    else
      systemctl enable --quiet --now "$unit"
    fi
    return 0
  fi
  if [ "$action" = restart ]; then
    start-stop-daemon --stop --oknodo --retry TERM/120 --pidfile "$pidfile" --exec "$exe"
  fi
  if [ "$name" = mariadb ]; then install -d -o mysql -g root -m 0755 /run/mysqld; fi
  # Without an init nothing may have mounted the cgroup hierarchies dockerd needs.
  if [ "$name" = docker ] && ! grep -qE '^cgroup2? ' /proc/mounts && command -v cgroupfs-mount >/dev/null; then
    cgroupfs-mount
  fi
  install -d -m 0750 "$SP_DAEMON_LOG_DIR"
  start-stop-daemon --start --oknodo --background "${makepid[@]}" --pidfile "$pidfile" \
    --output "$SP_DAEMON_LOG_DIR/$name.log" --exec "$exe" -- "${args[@]}" 3>&-
}

# sp_wait LABEL SECONDS COMMAND...: bounded wait until COMMAND succeeds.
sp_wait() {
  local label="$1" seconds="$2" i
  shift 2
  for ((i = 0; i < seconds; i++)); do
    if "$@" >/dev/null 2>&1; then
      sp_log "$label is ready"
      return 0
    fi
    sleep 1
  done
  sp_die "$label is not ready after ${seconds}s"
}
