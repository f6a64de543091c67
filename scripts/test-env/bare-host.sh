#!/usr/bin/env bash
# A "bare new host" for end-to-end tests: a fresh Debian 12 system with
# nothing installed but openssh-server, in a docker container, reached over
# SSH on a loopback port. The project's host scripts (run over SSH, as Pulumi
# runs them) install docker.io, MariaDB, restic, cron... in it from Debian's
# packages, and run containers in it.
#
# Usage: bare-host.sh build [--force] | start | stop [--purge] | status
#   build  builds the image simple-paas-test/bare-host:bookworm (debootstrap
#          minbase + openssh-server; skipped when up to date; --force rebuilds
#          it from the cached debootstrap tarball)
#   start  builds if needed, starts the container simple-paas-bare-host (or
#          keeps the running one), waits for SSH, starts the reverse tunnels
#          and prints the facts as sourceable NAME='value' lines on stdout
#          (also written to STATE/bare-host/env):
#            BARE_HOST_SSH_HOST, _SSH_PORT, _SSH_USER (root), _SSH_KEY_FILE,
#            _KNOWN_HOSTS, _HTTP_PORT, _HTTPS_PORT, _BACKUP_DIR, _CONTAINER,
#            _REGISTRY (as seen inside), _PEBBLE_PORT (inside, all addresses)
#   stop   the host is gone: stops the tunnels, removes the container and its
#          /var/lib/docker volume; keeps the backups dir (--purge empties it)
#   status prints the state; exit 0 running and healthy, 3 not running,
#          1 running but unhealthy
#
# What the host looks like from here and from inside:
#   ssh root@127.0.0.1 -p 2223     its sshd (root, key only; GatewayPorts
#                                  clientspecified, AllowTcpForwarding yes)
#   127.0.0.1:28080 / :28443       its ports 18080 / 18443 (the proxy's)
#   inside 127.0.0.1:5000          the test registry (reverse tunnel)
#   inside 127.0.0.1:5001          the public registry, no login (reverse tunnel)
#   inside 0.0.0.0:14000           pebble (reverse tunnel), so containers on an
#                                  inner network reach it at their gateway
#                                  (https://172.30.0.1:14000/dir)
#   inside /var/backups/simple-paas  STATE/bare-host/backups on this machine
#                                  (survives stop; the sites' restic repos)
#   inside /var/lib/docker         docker volume simple-paas-bare-host-docker
#   inside apt                     this machine's apt sources (read-only mount)
# PID 1 is docker-init (tini, reaps orphans) running sshd -D.
#
# Needs root, dockerd and the services of start-services.sh (the env file:
# SSH key, registry, pebble). --privileged fails on the test machines (no
# CAP_SYS_RESOURCE), so the container gets every other capability, no
# seccomp/apparmor profile, all devices and the cgroup hierarchy read-write.
#
# Environment:
#   SP_TEST_STATE_DIR      state dir (default /var/lib/simple-paas-test)
#   SP_TEST_DEBIAN_MIRROR  mirror for debootstrap (default http://deb.debian.org/debian)
#   SP_TEST_APT_SOURCES    apt sources file mounted inside
#                          (default /etc/apt/sources.list.d/debian.sources)
set -euo pipefail

readonly STATE_DIR="${SP_TEST_STATE_DIR:-/var/lib/simple-paas-test}"
readonly MIRROR="${SP_TEST_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
readonly APT_SOURCES="${SP_TEST_APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}"
readonly SUITE="bookworm"
readonly INCLUDE="openssh-server"
readonly RECIPE="1" # bump to force the image to be rebuilt

readonly IMAGE="simple-paas-test/bare-host:bookworm"
readonly CONTAINER="simple-paas-bare-host"
readonly VOLUME="simple-paas-bare-host-docker"
readonly NETWORK="simple-paas-bare-host"
# Not 172.17/16 (the inner docker's default pools) nor 172.30/24 (the sites network).
readonly SUBNET="192.168.231.0/24"
readonly CONFIG_LABEL="simple-paas-test.bare-host.config"

readonly BH_SSH_HOST="127.0.0.1"
readonly BH_SSH_PORT="2223"
readonly BH_SSH_USER="root"
readonly HTTP_PORT="28080"
readonly HTTPS_PORT="28443"
readonly INNER_HTTP_PORT="18080"
readonly INNER_HTTPS_PORT="18443"
readonly INNER_BACKUP_DIR="/var/backups/simple-paas"

readonly BH_DIR="${STATE_DIR}/bare-host"
readonly BACKUP_DIR="${BH_DIR}/backups"
readonly KNOWN_HOSTS="${BH_DIR}/known_hosts"
readonly TUNNEL_PIDFILE="${BH_DIR}/tunnel.pid"
readonly TUNNEL_LOG="${BH_DIR}/tunnel.log"
readonly FACTS_FILE="${BH_DIR}/env"
readonly CACHE_DIR="${STATE_DIR}/images"

readonly LOG_TAG="bare-host"
# shellcheck source=scripts/test-env/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --------------------------------------------------------------------------
# preconditions

cmd="${1:-}"
[[ -n "${cmd}" ]] || { usage >&2; exit 2; }
shift
force=""
purge=""
for arg in "$@"; do
  case "${cmd} ${arg}" in
    "build --force") force="yes" ;;
    "stop --purge") purge="yes" ;;
    *) die "unknown argument '${arg}' for '${cmd}' (see --help)" ;;
  esac
done
case "${cmd}" in
  build | start | stop | status) ;;
  -h | --help | help) usage; exit 0 ;;
  *) die "unknown command '${cmd}' (use build, start, stop [--purge], status)" ;;
esac

[[ "$(id -u)" == "0" ]] || die "must run as root"
check_state_dir
need_commands docker ssh ssh-keygen flock tar sha256sum setsid timeout
timeout 10 docker info >/dev/null 2>&1 || die "docker does not answer: run scripts/test-env/start-services.sh first"

install -d -m 0700 "${BH_DIR}"
install -d -m 0755 "${CACHE_DIR}"
exec 9>"${BH_DIR}/.lock"
flock -w 1800 9 || die "another bare-host.sh still holds ${BH_DIR}/.lock after 1800s"

started=${SECONDS}
trap cleanup_tmp_dirs EXIT

# --------------------------------------------------------------------------
# build

# Only what differs from Debian's defaults (root by key only is the default,
# said explicitly). First value wins in sshd_config, and Debian's includes
# sshd_config.d/*.conf at its top.
sshd_conf() {
  cat <<'EOF'
# simple-paas test bare host
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AllowTcpForwarding yes
GatewayPorts clientspecified
HostKey /etc/ssh/ssh_host_ed25519_key
EOF
}

build_image() {
  local inputs raw_key tarball rootfs old_id
  raw_key="$(echo "bare-host-debootstrap ${SUITE} ${INCLUDE}" | sha)"
  inputs="$({ echo "bare-host ${RECIPE} ${raw_key}"; sshd_conf; } | sha)"
  if up_to_date "${IMAGE}" "${inputs}"; then
    log "${IMAGE}: up to date"
    return
  fi
  need_commands debootstrap
  tarball="${CACHE_DIR}/bare-host-${SUITE}-${raw_key}.tar"
  new_tmp
  rootfs="${NEW_TMP}/rootfs"
  if [[ ! -s "${tarball}" ]]; then
    log "${IMAGE}: debootstrap --variant=minbase --include=${INCLUDE} ${SUITE} from ${MIRROR} (about 2 minutes; log: ${CACHE_DIR}/bare-host-debootstrap.log)"
    debootstrap_rootfs "${IMAGE}" "${INCLUDE}" "${rootfs}" "${CACHE_DIR}/bare-host-debootstrap.log"
    [[ -x "${rootfs}/usr/sbin/sshd" ]] || die "debootstrap result lacks /usr/sbin/sshd"
    cache_rootfs "${rootfs}" "${tarball}" "bare-host-${SUITE}-*.tar"
  else
    log "${IMAGE}: using cached debootstrap ${tarball}"
    mkdir -p "${rootfs}"
    tar --numeric-owner -C "${rootfs}" -xf "${tarball}"
  fi

  # A fresh host: no apt lists or caches, no host keys (each start makes new
  # ones), apt sources from the mount (this machine's mirror).
  fresh_rootfs "${rootfs}" "${rootfs}"/etc/ssh/ssh_host_* "${rootfs}"/etc/apt/sources.list
  install -d -m 0755 "${rootfs}/run/sshd" "${rootfs}/etc/ssh/sshd_config.d"
  sshd_conf >"${rootfs}/etc/ssh/sshd_config.d/simple-paas-test.conf"
  chmod 0644 "${rootfs}/etc/ssh/sshd_config.d/simple-paas-test.conf"

  old_id="$(image_id "${IMAGE}" 2>/dev/null || true)"
  tar --numeric-owner -C "${rootfs}" -c . \
    | docker import \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
      -c "LABEL ${INPUTS_LABEL}=${inputs}" \
      -c 'EXPOSE 22' \
      -c 'CMD ["/usr/sbin/sshd", "-D", "-e"]' \
      -m "simple-paas test bare host: debian ${SUITE} minbase + ${INCLUDE}" - "${IMAGE}" >/dev/null
  drop_replaced "${old_id}"
  # sshd accepts the configuration (with a throwaway host key)
  docker run --rm --network none --entrypoint /bin/sh "${IMAGE}" -c \
    'ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key && /usr/sbin/sshd -t' >&2 \
    || die "sshd -t fails in ${IMAGE}"
  log "${IMAGE}: built ($(docker image ls --format '{{.Size}}' "${IMAGE}"))"
}

# --------------------------------------------------------------------------
# helpers for start/stop/status

container_state() {
  docker container inspect --format '{{.State.Status}}' "${CONTAINER}" 2>/dev/null || true
}

container_label() {
  docker container inspect --format "{{ index .Config.Labels \"${CONFIG_LABEL}\" }}" "${CONTAINER}" 2>/dev/null || true
}

# The test env (SSH key, registry, pebble) written by start-services.sh.
SSH_KEY_FILE=""
REGISTRY=""
PUBLIC_REGISTRY=""
PEBBLE_PORT=""
load_test_env() {
  local env_file="${STATE_DIR}/env"
  [[ -f "${env_file}" ]] || die "${env_file} missing: run scripts/test-env/start-services.sh first"
  local vars
  # In a shell of its own: its names must not clash with ours.
  vars="$(bash -c 'set -eu; . "$1"; printf "%s\n" "${SSH_KEY_FILE:-}" "${REGISTRY:-}" "${PEBBLE_PORT:-}" "${PUBLIC_REGISTRY:-}"' _ "${env_file}")" \
    || die "cannot read ${env_file}"
  { read -r SSH_KEY_FILE; read -r REGISTRY; read -r PEBBLE_PORT; read -r PUBLIC_REGISTRY; } <<<"${vars}"
  [[ "${PUBLIC_REGISTRY}" =~ ^127\.0\.0\.1:[0-9]+$ ]] || die "${env_file}: PUBLIC_REGISTRY '${PUBLIC_REGISTRY}' is not 127.0.0.1:PORT (run start-services.sh again)"
  [[ -n "${SSH_KEY_FILE}" && -r "${SSH_KEY_FILE}" ]] || die "${env_file}: SSH_KEY_FILE missing or unreadable"
  [[ "${REGISTRY}" =~ ^127\.0\.0\.1:[0-9]+$ ]] || die "${env_file}: REGISTRY '${REGISTRY}' is not 127.0.0.1:PORT"
  [[ "${PEBBLE_PORT}" =~ ^[0-9]+$ ]] || die "${env_file}: PEBBLE_PORT missing"
}

ssh_opts() {
  SSH_OPTS=(-i "${SSH_KEY_FILE}" -p "${BH_SSH_PORT}" -o IdentitiesOnly=yes -o BatchMode=yes
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="${KNOWN_HOSTS}" -o ConnectTimeout=5
    -o LogLevel=ERROR)
}
SSH_OPTS=()

# on_host COMMAND...: runs COMMAND in the bare host over SSH.
on_host() {
  timeout 30 ssh "${SSH_OPTS[@]}" "${BH_SSH_USER}@${BH_SSH_HOST}" "$@" </dev/null 9>&-
}

# The pid of our tunnel, when it runs (pid file, and an ssh with our known_hosts).
tunnel_pid() {
  local pid
  [[ -s "${TUNNEL_PIDFILE}" ]] || return 1
  pid="$(tr -dc '0-9' <"${TUNNEL_PIDFILE}")"
  [[ -n "${pid}" ]] && is_tunnel_process "${pid}" || return 1
  printf '%s\n' "${pid}"
}

# is_tunnel_process PID: an ssh -N whose command line names our known_hosts
# file (not a zombie).
is_tunnel_process() {
  local pid="$1" stat args
  stat="$(cat "/proc/${pid}/stat" 2>/dev/null)" || return 1
  [[ "${stat}" == *"(ssh) "[RSDIWTtPK]* ]] || return 1
  args="$(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null)" || return 1
  [[ "${args}" == *" -N "* && "${args}" == *"UserKnownHostsFile=${KNOWN_HOSTS} "* ]]
}

# Hex of IP:PORT as in /proc/net/tcp (IPv4, little-endian address).
proc_net_addr() {
  local ip="$1" port="$2" a b c d
  IFS=. read -r a b c d <<<"${ip}"
  printf '%02X%02X%02X%02X:%04X' "${d}" "${c}" "${b}" "${a}" "${port}"
}

# The reverse tunnels listen inside the bare host.
tunnels_listen() {
  local tcp
  tcp="$(on_host cat /proc/net/tcp 2>/dev/null)" || return 1
  awk -v a="$(proc_net_addr 127.0.0.1 "${REGISTRY##*:}")" -v b="$(proc_net_addr 0.0.0.0 "${PEBBLE_PORT}")" \
    -v c="$(proc_net_addr 127.0.0.1 "${PUBLIC_REGISTRY##*:}")" '
    $4 == "0A" && $2 == a { fa = 1 }
    $4 == "0A" && $2 == b { fb = 1 }
    $4 == "0A" && $2 == c { fc = 1 }
    END { exit !(fa && fb && fc) }' <<<"${tcp}"
}

stop_tunnels() {
  local pid p n=0
  local pids=()
  if pid="$(tunnel_pid)"; then pids+=("${pid}"); fi
  # strays (a pid file lost): exactly our command line, never by name alone
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    [[ "${p}" == "${pid:-}" ]] && continue
    if is_tunnel_process "${p}"; then pids+=("${p}"); fi
  done
  rm -f "${TUNNEL_PIDFILE}"
  [[ "${#pids[@]}" -gt 0 ]] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for p in "${pids[@]}"; do
    while is_tunnel_process "${p}" && ((n < 50)); do
      sleep 0.1
      n=$((n + 1))
    done
    if is_tunnel_process "${p}"; then kill -KILL "${p}" 2>/dev/null || true; fi
  done
  log "tunnels stopped (pid ${pids[*]})"
}

start_tunnels() {
  local pid deadline reg_port="${REGISTRY##*:}" pub_port="${PUBLIC_REGISTRY##*:}"
  if pid="$(tunnel_pid)" && tunnels_listen; then
    log "tunnels already up (pid ${pid})"
    return
  fi
  stop_tunnels
  log "starting reverse tunnels: inside 127.0.0.1:${reg_port} -> registry ${REGISTRY}, inside 127.0.0.1:${pub_port} -> public registry ${PUBLIC_REGISTRY}, inside 0.0.0.0:${PEBBLE_PORT} -> pebble 127.0.0.1:${PEBBLE_PORT} (log: ${TUNNEL_LOG})"
  # Own session, no inherited pipes: it outlives this script (and the test
  # process's spawnSync, which would wait for an open stdout).
  setsid ssh "${SSH_OPTS[@]}" -N \
    -o ExitOnForwardFailure=yes -o ServerAliveInterval=10 -o ServerAliveCountMax=3 \
    -R "127.0.0.1:${reg_port}:127.0.0.1:${reg_port}" \
    -R "127.0.0.1:${pub_port}:127.0.0.1:${pub_port}" \
    -R "0.0.0.0:${PEBBLE_PORT}:127.0.0.1:${PEBBLE_PORT}" \
    "${BH_SSH_USER}@${BH_SSH_HOST}" </dev/null >>"${TUNNEL_LOG}" 2>&1 9>&- &
  pid=$!
  printf '%s\n' "${pid}" >"${TUNNEL_PIDFILE}"
  deadline=$((SECONDS + 20))
  until tunnels_listen; do
    if ! is_tunnel_process "${pid}"; then
      tail -n 20 "${TUNNEL_LOG}" >&2 || true
      die "the tunnel ssh exited (log: ${TUNNEL_LOG})"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 20 "${TUNNEL_LOG}" >&2 || true
      die "the tunnels do not listen inside the bare host after 20s (log: ${TUNNEL_LOG})"
    fi
    sleep 0.5
  done
  log "tunnels up (pid ${pid})"
}

# --------------------------------------------------------------------------
# start

# What the container is made from; a running one with other settings is refused.
run_config() {
  {
    image_inputs "${IMAGE}"
    echo "${BH_SSH_PORT} ${HTTP_PORT} ${HTTPS_PORT} ${BACKUP_DIR} ${APT_SOURCES} ${SUBNET} ${SSH_KEY_FILE}"
    cat "${SSH_KEY_FILE}.pub"
  } | sha
}

create_container() {
  local tmp mounts=() config="$1" pub
  log "creating ${CONTAINER} from ${IMAGE}"
  [[ -r "${APT_SOURCES}" ]] || die "apt sources ${APT_SOURCES} not found (set SP_TEST_APT_SOURCES)"
  mounts+=(-v "${APT_SOURCES}:/etc/apt/sources.list.d/$(basename "${APT_SOURCES}"):ro")
  install -d -m 0700 "${BACKUP_DIR}"
  if ! docker network inspect "${NETWORK}" >/dev/null 2>&1; then
    docker network create --subnet "${SUBNET}" "${NETWORK}" >/dev/null \
      || die "docker network create --subnet ${SUBNET} ${NETWORK} failed"
  fi
  docker volume create "${VOLUME}" >/dev/null

  docker create --name "${CONTAINER}" --hostname bare-host \
    --label "${CONFIG_LABEL}=${config}" \
    --init \
    --cap-add=ALL --cap-drop=SYS_RESOURCE \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --device-cgroup-rule='a *:* rwm' \
    -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    -v "${VOLUME}:/var/lib/docker" \
    -v "${BACKUP_DIR}:${INNER_BACKUP_DIR}" \
    "${mounts[@]}" \
    --network "${NETWORK}" \
    -p "${BH_SSH_HOST}:${BH_SSH_PORT}:22" \
    -p "127.0.0.1:${HTTP_PORT}:${INNER_HTTP_PORT}" \
    -p "127.0.0.1:${HTTPS_PORT}:${INNER_HTTPS_PORT}" \
    "${IMAGE}" >/dev/null || die "docker create ${CONTAINER} failed"

  # A new host key and root's authorized_keys, copied in before sshd starts;
  # known_hosts is written from the key, so clients check it strictly.
  new_tmp
  tmp="${NEW_TMP}"
  mkdir -p "${tmp}/root/etc/ssh" "${tmp}/root/root/.ssh"
  ssh-keygen -q -t ed25519 -N '' -C "simple-paas bare host" -f "${tmp}/root/etc/ssh/ssh_host_ed25519_key"
  pub="$(cat "${SSH_KEY_FILE}.pub")"
  printf '%s\n' "${pub}" >"${tmp}/root/root/.ssh/authorized_keys"
  chmod 0700 "${tmp}/root/root/.ssh"
  chmod 0600 "${tmp}/root/root/.ssh/authorized_keys" "${tmp}/root/etc/ssh/ssh_host_ed25519_key"
  chmod 0644 "${tmp}/root/etc/ssh/ssh_host_ed25519_key.pub"
  tar --numeric-owner --owner=0 --group=0 -C "${tmp}/root" -c \
    ./etc/ssh/ssh_host_ed25519_key ./etc/ssh/ssh_host_ed25519_key.pub ./root/.ssh \
    | docker cp - "${CONTAINER}:/" || die "docker cp of the host key into ${CONTAINER} failed"
  printf '[%s]:%s %s\n' "${BH_SSH_HOST}" "${BH_SSH_PORT}" "$(cut -d' ' -f1,2 "${tmp}/root/etc/ssh/ssh_host_ed25519_key.pub")" \
    >"${KNOWN_HOSTS}.tmp"
  chmod 0644 "${KNOWN_HOSTS}.tmp"
  mv -f "${KNOWN_HOSTS}.tmp" "${KNOWN_HOSTS}"

  docker start "${CONTAINER}" >/dev/null || die "docker start ${CONTAINER} failed"
}

wait_for_ssh() {
  local deadline=$((SECONDS + 60))
  until on_host true >/dev/null 2>&1; do
    if [[ "$(container_state)" != "running" ]]; then
      docker logs --tail 30 "${CONTAINER}" >&2 || true
      die "${CONTAINER} is not running ($(container_state)); its log is above"
    fi
    if ((SECONDS >= deadline)); then
      docker logs --tail 30 "${CONTAINER}" >&2 || true
      on_host true || true
      die "ssh ${BH_SSH_USER}@${BH_SSH_HOST} -p ${BH_SSH_PORT} does not answer after 60s"
    fi
    sleep 0.5
  done
}

# PID 1 is docker-init and reaps an orphan that exits.
check_init() {
  local out
  out="$(on_host '
    cat /proc/1/comm
    sh -c "sleep 0.2 & exit 0"
    sleep 1
    grep -l "^State:[[:space:]]*Z" /proc/[0-9]*/status 2>/dev/null | wc -l')" \
    || die "could not check PID 1 over ssh"
  [[ "$(sed -n 1p <<<"${out}")" == "docker-init" ]] \
    || die "PID 1 in ${CONTAINER} is '$(sed -n 1p <<<"${out}")', not docker-init (does docker run --init work here?)"
  [[ "$(sed -n 2p <<<"${out}")" == "0" ]] || die "PID 1 in ${CONTAINER} leaves zombies"
}

write_facts() {
  local tmp
  tmp="$(mktemp "${FACTS_FILE}.XXXXXX")"
  cat >"${tmp}" <<EOF
# simple-paas bare host, written by scripts/test-env/bare-host.sh start
BARE_HOST_SSH_HOST=$(shq "${BH_SSH_HOST}")
BARE_HOST_SSH_PORT=$(shq "${BH_SSH_PORT}")
BARE_HOST_SSH_USER=$(shq "${BH_SSH_USER}")
BARE_HOST_SSH_KEY_FILE=$(shq "${SSH_KEY_FILE}")
BARE_HOST_KNOWN_HOSTS=$(shq "${KNOWN_HOSTS}")
BARE_HOST_HTTP_PORT=$(shq "${HTTP_PORT}")
BARE_HOST_HTTPS_PORT=$(shq "${HTTPS_PORT}")
BARE_HOST_BACKUP_DIR=$(shq "${BACKUP_DIR}")
BARE_HOST_CONTAINER=$(shq "${CONTAINER}")
BARE_HOST_REGISTRY=$(shq "${REGISTRY}")
BARE_HOST_PEBBLE_PORT=$(shq "${PEBBLE_PORT}")
EOF
  chmod 0644 "${tmp}"
  mv -f "${tmp}" "${FACTS_FILE}"
  cat "${FACTS_FILE}"
}

cmd_start() {
  local state config t0
  load_test_env
  [[ -r "${SSH_KEY_FILE}.pub" ]] || ssh-keygen -y -f "${SSH_KEY_FILE}" >"${SSH_KEY_FILE}.pub"
  ssh_opts
  build_image
  config="$(run_config)"
  state="$(container_state)"
  if [[ "${state}" == "running" ]]; then
    [[ "$(container_label)" == "${config}" ]] \
      || die "${CONTAINER} runs with other settings or an older image; 'bare-host.sh stop' first (that destroys the host)"
    [[ -s "${KNOWN_HOSTS}" ]] || die "${KNOWN_HOSTS} is missing for the running ${CONTAINER}; 'bare-host.sh stop' first"
    log "${CONTAINER} already running"
    wait_for_ssh
  else
    if [[ -n "${state}" ]]; then
      log "WARNING: ${CONTAINER} exists but is ${state} (its daemons are gone): replacing it with a new host"
      remove_host
    fi
    t0=${SECONDS}
    create_container "${config}"
    wait_for_ssh
    check_init
    log "${CONTAINER} up, ssh answers ($((SECONDS - t0))s)"
  fi
  start_tunnels
  write_facts
  log "done in $((SECONDS - started))s"
}

# --------------------------------------------------------------------------
# stop

# Removes the container, its docker volume and network, and the empty cgroups
# its inner containers leave in this machine's hierarchy (the cgroup mount is
# this machine's, so the inner dockerd created them under /docker/ID).
remove_host() {
  local ids=() id d
  if [[ "$(container_state)" == "running" ]]; then
    mapfile -t ids < <(docker exec "${CONTAINER}" sh -c 'ls /var/lib/docker/containers 2>/dev/null' 2>/dev/null || true)
  fi
  if [[ -n "$(container_state)" ]]; then
    docker rm -f "${CONTAINER}" >/dev/null || die "docker rm -f ${CONTAINER} failed"
    log "container ${CONTAINER} removed"
  fi
  for id in "${ids[@]}"; do
    [[ "${id}" =~ ^[0-9a-f]{64}$ ]] || continue
    for d in /sys/fs/cgroup/*/docker/"${id}"; do
      if [[ -d "${d}" ]]; then rmdir "${d}" 2>/dev/null || true; fi
    done
  done
  if docker volume inspect "${VOLUME}" >/dev/null 2>&1; then
    docker volume rm "${VOLUME}" >/dev/null || die "docker volume rm ${VOLUME} failed"
    log "volume ${VOLUME} removed"
  fi
  if docker network inspect "${NETWORK}" >/dev/null 2>&1; then
    docker network rm "${NETWORK}" >/dev/null || log "WARNING: docker network rm ${NETWORK} failed (still in use?)"
  fi
  rm -f "${KNOWN_HOSTS}" "${FACTS_FILE}"
}

cmd_stop() {
  stop_tunnels
  remove_host
  if [[ -n "${purge}" && -d "${BACKUP_DIR}" ]]; then
    find "${BACKUP_DIR}" -mindepth 1 -maxdepth 1 -exec rm -rf --one-file-system -- {} +
    log "emptied ${BACKUP_DIR}"
  fi
  printf 'bare-host: stopped (backups %s: %s)\n' "${BACKUP_DIR}" "$(if [[ -n "${purge}" ]]; then echo emptied; else echo kept; fi)"
}

# --------------------------------------------------------------------------
# status

cmd_status() {
  local state pid rc=0
  state="$(container_state)"
  status image "$(if [[ -n "$(image_inputs "${IMAGE}")" ]]; then echo "${IMAGE}"; else echo "not built"; fi)"
  if [[ "${state}" != "running" ]]; then
    status container "${state:-absent}"
    if pid="$(tunnel_pid)"; then status tunnels "stray pid ${pid}"; fi
    return 3
  fi
  status container "running (${CONTAINER}, ssh ${BH_SSH_HOST}:${BH_SSH_PORT}, http 127.0.0.1:${HTTP_PORT}, https 127.0.0.1:${HTTPS_PORT})"
  load_test_env
  ssh_opts
  if on_host true >/dev/null 2>&1; then
    status ssh "answers"
  else
    status ssh "does not answer"
    rc=1
  fi
  if pid="$(tunnel_pid)" && tunnels_listen; then
    status tunnels "up (pid ${pid})"
  else
    status tunnels "down ('bare-host.sh start' restarts them)"
    rc=1
  fi
  status backups "${BACKUP_DIR}"
  return "${rc}"
}

# --------------------------------------------------------------------------

case "${cmd}" in
  build) build_image ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
esac
