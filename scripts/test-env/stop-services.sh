#!/usr/bin/env bash
# Stops what scripts/test-env/start-services.sh started: the test registry,
# pebble and the test sshd. With --all also dockerd, MariaDB and cron (which
# other things on the host may use). Idempotent: stopping a stopped service
# is fine. State (keys, passwords, registry storage, env file) is kept.
#
# Usage: stop-services.sh [--all]
# Environment: SP_TEST_STATE_DIR (default /var/lib/simple-paas-test)
set -euo pipefail

readonly STATE_DIR="${SP_TEST_STATE_DIR:-/var/lib/simple-paas-test}"

readonly LOG_TAG="stop-services"
# shellcheck source=scripts/test-env/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

all=""
for arg in "$@"; do
  case "${arg}" in
    --all) all="yes" ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '${arg}' (use --all)" ;;
  esac
done
[[ "$(id -u)" == "0" ]] || die "must run as root"

# stop_daemon NAME PIDFILE EXEC [TIMEOUT]: TERM, wait, then KILL.
stop_daemon() {
  local name="$1" pidfile="$2" exe="$3" timeout_s="${4:-15}" rc=0
  if [[ ! -s "${pidfile}" ]]; then
    status "${name}" "not running"
    return
  fi
  start-stop-daemon --stop --quiet --retry "TERM/${timeout_s}/KILL/5" \
    --pidfile "${pidfile}" --exec "${exe}" || rc=$?
  case "${rc}" in
    0) status "${name}" "stopped" ;;
    1) status "${name}" "not running" ;;
    *) die "could not stop ${name} (pid file ${pidfile}, start-stop-daemon exit ${rc})" ;;
  esac
  rm -f "${pidfile}"
}

stop_daemon registry "${STATE_DIR}/registry/registry.pid" /usr/bin/docker-registry
stop_daemon pubreg "${STATE_DIR}/public-registry/registry.pid" /usr/bin/docker-registry
stop_daemon pebble "${STATE_DIR}/pebble/pebble.pid" /usr/bin/pebble
stop_daemon sshd "${STATE_DIR}/ssh/sshd.pid" /usr/sbin/sshd

if [[ -z "${all}" ]]; then
  exit 0
fi

if have_systemd; then
  systemctl stop cron.service && status cron "stopped (systemd)"
  systemctl stop mariadb.service && status mariadb "stopped (systemd)"
  systemctl stop docker.service docker.socket && status docker "stopped (systemd)"
  exit 0
fi

cron_pidfile="/run/crond.pid"
[[ -s "${cron_pidfile}" ]] || cron_pidfile="/var/run/crond.pid"
stop_daemon cron "${cron_pidfile}" /usr/sbin/cron

# The system instance only (by its configured pid file): other mariadbd
# processes (own datadirs, containers) run the same binary. TERM lets InnoDB
# shut down cleanly; KILL only as the last resort.
mariadb_pidfile="$({ my_print_defaults --mysqld 2>/dev/null || true; } | sed -n 's/^--pid[-_]file=//p' | tail -n 1)"
stop_daemon mariadb "${mariadb_pidfile:-/run/mysqld/mysqld.pid}" /usr/sbin/mariadbd 60

# dockerd stops its containers (10 s grace each, in parallel) and containerd.
stop_daemon docker /var/run/docker.pid /usr/sbin/dockerd 90
