# shellcheck shell=bash
# The host's first step: installs the packages, creates the host's
# directories, merges simple-paas's settings into docker's daemon.json and
# starts docker, cron and (a local database) MariaDB. No stdin; stdout unused.
#
# Values (render/packages-script.ts): SP_GENERATION SP_GENERATION_FILE
# SP_FORCE_GENERATION SP_PACKAGES SP_DIRS SP_DIR_MODES SP_DOCKER_SETTINGS
# SP_LOCAL_DATABASE SP_CONFIG_DIR

# A new generation is for a new or wiped host (the runbook). On a host that
# still runs this stack's sites under another generation, each step's
# removal would run first and take the live host down: refuse, before
# anything changes, unless told to (SP_FORCE_GENERATION).
recorded_generation=""
if [ -f "$SP_GENERATION_FILE" ]; then recorded_generation=$(head -n 1 -- "$SP_GENERATION_FILE"); fi
if [ -n "$recorded_generation" ] && [ "$recorded_generation" != "$SP_GENERATION" ] && command -v docker >/dev/null 2>&1; then
  running_sites=$(docker ps --filter label=simple-paas.site --format '{{.Label "simple-paas.site"}}' 2>/dev/null | sort -u | tr '\n' ' ' || true)
  if [ -n "$running_sites" ] && [ "$SP_FORCE_GENERATION" != yes ]; then
    sp_die "this host runs generation $recorded_generation with the sites ${running_sites% }: a new generation ($SP_GENERATION) is for a new or wiped host, and would take every site down while each step runs again. Set simple-paas:host.generation back to $recorded_generation; or, to rebuild this host in place anyway, also set simple-paas:host.forceNewGeneration to true. Nothing was changed."
  fi
  if [ -n "$running_sites" ]; then sp_log "forced: generation $recorded_generation -> $SP_GENERATION on a host that runs ${running_sites% }"; fi
fi

sp_log "checking packages"
missing=()
for pkg in "${SP_PACKAGES[@]}"; do
  # shellcheck disable=SC2016 # ${db:Status-Status} is dpkg-query's field syntax, not a shell expansion
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [ "$status" != installed ]; then missing+=("$pkg"); fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  sp_log "all packages installed: ${SP_PACKAGES[*]}"
else
  apt_log="$SP_DAEMON_LOG_DIR/apt.log"
  sp_log "installing ${missing[*]} (log: $apt_log)"
  install -d -m 0750 "$SP_DAEMON_LOG_DIR"
  export DEBIAN_FRONTEND=noninteractive
  # Output to a log, not our stderr: without systemd, maintainer scripts start
  # daemons that would inherit our pipes and keep the caller waiting.
  # DPkg::Lock::Timeout waits for a concurrent apt (unattended-upgrades).
  if ! { apt-get -q -o DPkg::Lock::Timeout=600 update &&
    apt-get -q -y -o DPkg::Lock::Timeout=600 install "${missing[@]}"; } </dev/null >>"$apt_log" 2>&1 3>&-; then
    tail -n 30 "$apt_log" >&2 || true
    sp_die "apt-get failed installing ${missing[*]} (see $apt_log)"
  fi
  sp_changed "installed ${missing[*]}"
fi

for i in "${!SP_DIRS[@]}"; do
  sp_ensure_dir "${SP_DIRS[$i]}" "${SP_DIR_MODES[$i]}" root root
done
# Which incarnation of the host this is: steps armed for another one (a
# final backup from before the host was wiped) know they are not on it.
printf '%s\n' "$SP_GENERATION" | sp_write_file "$SP_GENERATION_FILE" 0644 root root

# Merge our settings into daemon.json with jq, keeping whatever else the
# operator configured; compare as JSON so formatting alone changes nothing.
sp_ensure_dir /etc/docker 0755 root root
current='{}'
if [ -e /etc/docker/daemon.json ]; then
  current=$(jq -S . /etc/docker/daemon.json) || sp_die "/etc/docker/daemon.json is not valid JSON; fix it first"
  if [ -z "$current" ]; then current='{}'; fi
fi
merged=$(printf '%s' "$current" | jq -S --argjson want "$SP_DOCKER_SETTINGS" '. * $want') ||
  sp_die "cannot merge into /etc/docker/daemon.json: it must hold a JSON object"
docker_settings_changed=0
# Log options only apply to containers created later (simple-paas's own
# containers carry theirs) and live-restore comes with a reload: neither
# needs dockerd restarted. Anything else (address pools, another log
# driver) does; live-restore keeps the containers running through it, but
# docker makes its NAT rules afresh as it starts, so new connections are
# refused for a moment.
restart_relevant() { jq -S 'del(."log-opts", ."live-restore")'; }
docker_restart_needed=0
if [ "$(printf '%s' "$merged" | restart_relevant)" != "$(printf '%s' "$current" | restart_relevant)" ]; then docker_restart_needed=1; fi
if [ "$merged" = "$current" ]; then
  sp_log "/etc/docker/daemon.json: unchanged"
  sp_ensure_attrs /etc/docker/daemon.json 0644 root root
else
  printf '%s\n' "$merged" | sp_write_file /etc/docker/daemon.json 0644 root root
  docker_settings_changed=1
fi

docker_up() { docker info >/dev/null 2>&1; }
live_restore_on() { [ "$(docker info --format '{{.LiveRestoreEnabled}}' 2>/dev/null || true)" = true ]; }
if [ "$docker_settings_changed" = 1 ] && docker_up; then
  # live-restore keeps the containers running while dockerd restarts; a
  # daemon started without it takes it from a reload (SIGHUP) first.
  if ! live_restore_on; then
    sp_log "turning on docker's live-restore (a reload) before the restart"
    if sp_is_systemd; then systemctl reload docker.service; else kill -HUP "$(cat /var/run/docker.pid)"; fi
    sp_wait "docker live-restore" 30 live_restore_on
  fi
  if [ "$docker_restart_needed" = 1 ]; then
    sp_service restart docker
  else
    sp_log "docker: the new log options apply to containers made from now on; no restart"
    sp_service start docker
  fi
else
  sp_service start docker
fi
sp_wait docker 120 docker_up

sp_service start cron
cron_up() {
  if sp_is_systemd; then systemctl is-active --quiet cron.service; else start-stop-daemon --status --exec /usr/sbin/cron; fi
}
sp_wait cron 30 cron_up

if [ "$SP_LOCAL_DATABASE" = yes ]; then
  sp_service start mariadb
  # "mysqld is alive" even when root may not log in: ping only needs a server.
  sp_wait mariadb 120 mysqladmin --protocol=socket ping
else
  sp_log "database: external, no local MariaDB"
fi
sp_finish
