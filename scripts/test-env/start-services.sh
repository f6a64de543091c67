#!/usr/bin/env bash
# Starts, idempotently, the real services the simple-paas integration and e2e
# tests use, and writes the facts they need to a sourceable env file:
#
#   ${SP_TEST_STATE_DIR:-/var/lib/simple-paas-test}/env
#
# Services: dockerd, MariaDB, cron (shared with the host; left running), and
# three private ones whose state lives in the state dir: a docker registry
# with htpasswd auth on 127.0.0.1:5000, pebble (Let's Encrypt's ACME test
# server) on :14000, and an sshd on 127.0.0.1:2222. Anything already running
# and answering is left alone. One status line per service on stdout;
# progress and errors on stderr. Stop with stop-services.sh.
#
# `--docker-only` starts dockerd alone and writes no env file (what
# scripts/local-up.sh needs to build the local stack's images).
#
# Environment:
#   SP_TEST_STATE_DIR          state dir (default /var/lib/simple-paas-test)
#   SP_TEST_PEBBLE_EXTRA_IPS   extra IP SANs of pebble's listener certificate,
#                              comma or space separated (default 172.30.0.1,
#                              the gateway of the e2e sites network)
set -euo pipefail

readonly STATE_DIR="${SP_TEST_STATE_DIR:-/var/lib/simple-paas-test}"
readonly EXTRA_IPS_RAW="${SP_TEST_PEBBLE_EXTRA_IPS:-172.30.0.1}"

readonly REGISTRY_ADDR="127.0.0.1:5000"
# Public images (the proxy's), pulled without a login like from Docker Hub.
readonly PUBLIC_REGISTRY_ADDR="127.0.0.1:5001"
readonly REGISTRY_USER="sp-test"
readonly PEBBLE_PORT="14000"
readonly PEBBLE_MGMT_PORT="15000"
readonly SSH_HOST="127.0.0.1"
readonly SSH_PORT="2222"
readonly SSH_USER="root"
readonly MARIADB_SOCKET="/run/mysqld/mysqld.sock"

readonly LOG_TAG="start-services"
# shellcheck source=scripts/test-env/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Prints the last lines of a log file to stderr (for failure messages).
show_log() {
  local file="$1"
  if [[ -f "${file}" ]]; then
    log "last lines of ${file}:"
    tail -n 30 "${file}" >&2 || true
  fi
}

# wait_until DESCRIPTION TIMEOUT_SECONDS LOGFILE COMMAND...
# Runs COMMAND every half second until it succeeds; dies after the timeout.
wait_until() {
  local what="$1" timeout_s="$2" logfile="$3"
  shift 3
  local deadline=$((SECONDS + timeout_s))
  while ! "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      show_log "${logfile}"
      die "timed out after ${timeout_s}s waiting for ${what}"
    fi
    sleep 0.5
  done
}

# write_if_changed FILE MODE: writes stdin to FILE (atomically) only when the
# content differs. Returns 0 when it wrote, 1 when FILE was already current.
write_if_changed() {
  local file="$1" mode="$2" tmp
  tmp="$(mktemp "${file}.XXXXXX")"
  cat >"${tmp}"
  if [[ -f "${file}" ]] && cmp -s "${tmp}" "${file}"; then
    rm -f "${tmp}"
    chmod "${mode}" "${file}"
    return 1
  fi
  chmod "${mode}" "${tmp}"
  mv -f "${tmp}" "${file}"
  return 0
}

# pid_alive PIDFILE COMM: the pid in PIDFILE runs a process named COMM (and
# is no zombie: without an init system nobody reaps orphaned daemons).
pid_alive() {
  local pidfile="$1" comm="$2" pid stat
  [[ -s "${pidfile}" ]] || return 1
  pid="$(tr -dc '0-9' <"${pidfile}")"
  [[ -n "${pid}" ]] || return 1
  stat="$(cat "/proc/${pid}/stat" 2>/dev/null)" || return 1
  [[ "${stat}" == *"(${comm}) "[RSDIWTtPK]* ]]
}

# stop_pidfile PIDFILE EXEC: stops our own daemon instance, if running.
stop_pidfile() {
  local pidfile="$1" exe="$2"
  start-stop-daemon --stop --quiet --oknodo --retry TERM/10/KILL/5 \
    --pidfile "${pidfile}" --exec "${exe}" 9>&-
  rm -f "${pidfile}"
}

# --------------------------------------------------------------------------
# preconditions

[[ "$(id -u)" == "0" ]] || die "must run as root"
check_state_dir

docker_only=""
if [[ "${1:-}" == --docker-only ]]; then docker_only="yes"; fi
needed=(dockerd docker start-stop-daemon flock)
if [[ -z "${docker_only}" ]]; then
  needed+=(mariadbd mysqladmin cron docker-registry htpasswd pebble openssl curl sshd ssh ssh-keygen)
fi
for cmd in "${needed[@]}"; do
  command -v "${cmd}" >/dev/null 2>&1 \
    || [[ -x "/usr/sbin/${cmd}" ]] \
    || die "'${cmd}' not found: run scripts/test-env/install-packages.sh first"
done

extra_ips=()
read -r -a extra_ips <<<"${EXTRA_IPS_RAW//,/ }"
for ip in "${extra_ips[@]}"; do
  [[ "${ip}" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ || "${ip}" =~ ^[0-9A-Fa-f:]+:[0-9A-Fa-f:]*$ ]] \
    || die "SP_TEST_PEBBLE_EXTRA_IPS: '${ip}' is not an IP address"
done

install -d -m 0755 "${STATE_DIR}"
exec 9>"${STATE_DIR}/.start.lock"
flock -w 600 9 || die "another start-services.sh still holds ${STATE_DIR}/.start.lock after 600s"

# --------------------------------------------------------------------------
# dockerd, MariaDB, cron: started the way a host of the product starts them
# (components/host-scripts/lib/services.sh: systemctl where systemd runs,
# start-stop-daemon elsewhere, logs in the state dir), so the tests run on
# daemons started by the product's own code. The lock on fd 9 is closed for
# the daemons, or they would hold it for their lifetime.

sp_log() { log "$*"; }
sp_die() { die "$*"; }
SP_DAEMON_LOG_DIR="${STATE_DIR}/daemons"
# shellcheck source=components/host-scripts/lib/services.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../components/host-scripts/lib/services.sh"

docker_ok() { timeout 10 docker info >/dev/null 2>&1; }
mariadb_ok() { timeout 10 mysqladmin --connect-timeout=2 ping >/dev/null 2>&1; }
cron_ok() {
  local f
  for f in /run/crond.pid /var/run/crond.pid; do
    if pid_alive "${f}" cron; then return 0; fi
  done
  return 1
}

# start_daemon NAME CHECK SECONDS: starts NAME unless CHECK already passes,
# then waits until it does.
start_daemon() {
  local name="$1" check="$2" seconds="$3"
  if "${check}"; then
    status "${name}" "already running"
    return
  fi
  if [[ "${name}" == mariadb ]] && ! sp_is_systemd && [[ ! -d /var/lib/mysql/mysql ]]; then
    install -d -m 0750 "${SP_DAEMON_LOG_DIR}"
    log "initializing /var/lib/mysql (mariadb-install-db)"
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql >>"${SP_DAEMON_LOG_DIR}/mariadb.log" 2>&1 9>&- \
      || { show_log "${SP_DAEMON_LOG_DIR}/mariadb.log"; die "mariadb-install-db failed"; }
  fi
  sp_service start "${name}" 9>&-
  wait_until "${name} to answer" "${seconds}" "${SP_DAEMON_LOG_DIR}/${name}.log" "${check}"
  status "${name}" started
}

# --------------------------------------------------------------------------
# private docker registry on 127.0.0.1:5000 with htpasswd auth

readonly REG_DIR="${STATE_DIR}/registry"
readonly REG_PASSWORD_FILE="${REG_DIR}/password"
readonly REG_PIDFILE="${REG_DIR}/registry.pid"

# HTTP status of GET /v2/ with our credentials (000 when nothing answers).
registry_code() {
  printf 'user = "%s:%s"\n' "${REGISTRY_USER}" "$(cat "${REG_PASSWORD_FILE}")" \
    | curl -sS -K - -o /dev/null -w '%{http_code}' --max-time 5 "http://${REGISTRY_ADDR}/v2/" 2>/dev/null \
    || true
}
registry_ok() { [[ "$(registry_code)" == "200" ]]; }

start_registry() {
  local logfile="${REG_DIR}/registry.log" changed="" code
  install -d -m 0700 "${REG_DIR}"
  install -d -m 0755 "${REG_DIR}/data"
  (
    umask 077
    [[ -s "${REG_PASSWORD_FILE}" ]] || openssl rand -hex 24 >"${REG_PASSWORD_FILE}"
    [[ -s "${REG_DIR}/http-secret" ]] || openssl rand -hex 32 >"${REG_DIR}/http-secret"
  )
  chmod 0600 "${REG_PASSWORD_FILE}" "${REG_DIR}/http-secret"
  if ! htpasswd -v -i "${REG_DIR}/htpasswd" "${REGISTRY_USER}" <"${REG_PASSWORD_FILE}" >/dev/null 2>&1; then
    htpasswd -B -i -n "${REGISTRY_USER}" <"${REG_PASSWORD_FILE}" 2>/dev/null \
      | sed '/^$/d' | write_if_changed "${REG_DIR}/htpasswd" 0600 || true
    changed="htpasswd"
  fi
  if write_if_changed "${REG_DIR}/config.yml" 0600 <<EOF; then changed="${changed} config"; fi
# written by simple-paas scripts/test-env/start-services.sh
version: 0.1
log:
  level: info
  fields:
    service: simple-paas-test-registry
storage:
  filesystem:
    rootdirectory: "${REG_DIR}/data"
  delete:
    enabled: true
http:
  addr: "${REGISTRY_ADDR}"
  secret: "$(cat "${REG_DIR}/http-secret")"
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: simple-paas-test
    path: "${REG_DIR}/htpasswd"
EOF

  if pid_alive "${REG_PIDFILE}" docker-registry; then
    if [[ -z "${changed}" ]] && registry_ok; then
      status registry "already running on ${REGISTRY_ADDR}"
      verify_registry_login
      return
    fi
    log "restarting registry (changed:${changed:- not answering})"
    stop_pidfile "${REG_PIDFILE}" /usr/bin/docker-registry
  fi
  code="$(registry_code)"
  if [[ "${code}" != "000" ]]; then
    die "something that is not our registry answers on ${REGISTRY_ADDR} (HTTP ${code} with our credentials); stop it first"
  fi
  log "starting docker-registry (log: ${logfile})"
  start-stop-daemon --start --background --make-pidfile --pidfile "${REG_PIDFILE}" \
    --output "${logfile}" --chdir "${REG_DIR}" \
    --exec /usr/bin/docker-registry -- serve "${REG_DIR}/config.yml" 9>&-
  wait_until "the registry on ${REGISTRY_ADDR} to accept our credentials" 30 "${logfile}" registry_ok
  status registry "started on ${REGISTRY_ADDR}"
  verify_registry_login
}

# docker login/logout with a throwaway client config, so the caller's
# ~/.docker/config.json is never touched (tests log in themselves).
verify_registry_login() {
  local cfg rc=0
  cfg="$(mktemp -d)"
  if ! DOCKER_CONFIG="${cfg}" timeout 30 docker login "${REGISTRY_ADDR}" \
    --username "${REGISTRY_USER}" --password-stdin <"${REG_PASSWORD_FILE}" >/dev/null 2>"${cfg}/err"; then
    cat "${cfg}/err" >&2
    rc=1
  else
    DOCKER_CONFIG="${cfg}" docker logout "${REGISTRY_ADDR}" >/dev/null
  fi
  rm -rf "${cfg}"
  ((rc == 0)) || die "docker login ${REGISTRY_ADDR} failed (is dockerd treating 127.0.0.0/8 as insecure?)"
}

# --------------------------------------------------------------------------
# public docker registry on 127.0.0.1:5001: no login, like Docker Hub

readonly PUB_DIR="${STATE_DIR}/public-registry"
readonly PUB_PIDFILE="${PUB_DIR}/registry.pid"

public_registry_ok() {
  [[ "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "http://${PUBLIC_REGISTRY_ADDR}/v2/" 2>/dev/null || true)" == "200" ]]
}

start_public_registry() {
  local logfile="${PUB_DIR}/registry.log" changed=""
  install -d -m 0755 "${PUB_DIR}" "${PUB_DIR}/data"
  if write_if_changed "${PUB_DIR}/config.yml" 0644 <<EOF; then changed="config"; fi
# written by simple-paas scripts/test-env/start-services.sh
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: "${PUB_DIR}/data"
http:
  addr: "${PUBLIC_REGISTRY_ADDR}"
EOF
  if pid_alive "${PUB_PIDFILE}" docker-registry; then
    if [[ -z "${changed}" ]] && public_registry_ok; then
      status pubreg "already running on ${PUBLIC_REGISTRY_ADDR}"
      return
    fi
    stop_pidfile "${PUB_PIDFILE}" /usr/bin/docker-registry
  fi
  start-stop-daemon --start --background --make-pidfile --pidfile "${PUB_PIDFILE}" \
    --output "${logfile}" --chdir "${PUB_DIR}" \
    --exec /usr/bin/docker-registry -- serve "${PUB_DIR}/config.yml" 9>&-
  wait_until "the public registry on ${PUBLIC_REGISTRY_ADDR}" 30 "${logfile}" public_registry_ok
  status pubreg "started on ${PUBLIC_REGISTRY_ADDR}"
}

# --------------------------------------------------------------------------
# pebble, Let's Encrypt's ACME test server, with a throwaway listener CA

readonly PB_DIR="${STATE_DIR}/pebble"
readonly PB_CA_KEY="${PB_DIR}/ca.key"
readonly PB_CA_CERT="${PB_DIR}/ca.pem"
readonly PB_KEY="${PB_DIR}/listener.key"
readonly PB_CERT="${PB_DIR}/listener.pem"
readonly PB_PIDFILE="${PB_DIR}/pebble.pid"
readonly PB_DIR_URL="https://127.0.0.1:${PEBBLE_PORT}/dir"
readonly PB_MGMT_URL="https://127.0.0.1:${PEBBLE_MGMT_PORT}"

pebble_ok() {
  curl -sS -f --max-time 5 --cacert "${PB_CA_CERT}" "${PB_DIR_URL}" 2>/dev/null | grep -q newNonce
}

# Makes the CA and the listener certificate; sets PB_CERT_NEW=yes when it
# (re)made the listener certificate.
PB_CERT_NEW=""
pebble_certs() {
  local sans="DNS:localhost,IP:127.0.0.1" ip tmp
  for ip in "${extra_ips[@]}"; do
    sans="${sans},IP:${ip}"
  done
  if [[ ! -s "${PB_CA_KEY}" || ! -s "${PB_CA_CERT}" ]] \
    || ! openssl x509 -in "${PB_CA_CERT}" -noout -checkend 2592000 >/dev/null 2>&1; then
    log "making pebble's listener CA"
    (umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "${PB_CA_KEY}" 2>/dev/null)
    openssl req -x509 -new -sha256 -days 3650 -key "${PB_CA_KEY}" -out "${PB_CA_CERT}" \
      -subj "/CN=simple-paas test pebble listener CA" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    chmod 0644 "${PB_CA_CERT}"
    rm -f "${PB_CERT}"
  fi
  if [[ -s "${PB_KEY}" && -s "${PB_CERT}" && "$(cat "${PB_DIR}/listener.sans" 2>/dev/null)" == "${sans}" ]] \
    && openssl verify -CAfile "${PB_CA_CERT}" "${PB_CERT}" >/dev/null 2>&1 \
    && openssl x509 -in "${PB_CERT}" -noout -checkend 2592000 >/dev/null 2>&1; then
    return 0
  fi
  log "making pebble's listener certificate for ${sans}"
  (umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "${PB_KEY}" 2>/dev/null)
  tmp="$(mktemp -d)"
  openssl req -new -sha256 -key "${PB_KEY}" -subj "/CN=localhost" -out "${tmp}/csr.pem" 2>/dev/null
  printf '%s\n' \
    "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" \
    "subjectAltName=${sans}" >"${tmp}/ext.cnf"
  openssl x509 -req -sha256 -days 825 -in "${tmp}/csr.pem" -CA "${PB_CA_CERT}" -CAkey "${PB_CA_KEY}" \
    -CAcreateserial -CAserial "${PB_DIR}/ca.srl" -extfile "${tmp}/ext.cnf" -out "${PB_CERT}" 2>/dev/null
  rm -rf "${tmp}"
  chmod 0644 "${PB_CERT}"
  printf '%s' "${sans}" >"${PB_DIR}/listener.sans"
  PB_CERT_NEW="yes"
}

start_pebble() {
  local logfile="${PB_DIR}/pebble.log" changed=""
  install -d -m 0755 "${PB_DIR}"
  pebble_certs
  if [[ -n "${PB_CERT_NEW}" ]]; then changed="certificate"; fi
  if write_if_changed "${PB_DIR}/config.json" 0644 <<EOF; then changed="${changed} config"; fi
{
  "pebble": {
    "listenAddress": "0.0.0.0:${PEBBLE_PORT}",
    "managementListenAddress": "127.0.0.1:${PEBBLE_MGMT_PORT}",
    "certificate": "${PB_CERT}",
    "privateKey": "${PB_KEY}",
    "httpPort": 5002,
    "tlsPort": 5001,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false
  }
}
EOF
  if pid_alive "${PB_PIDFILE}" pebble; then
    if [[ -z "${changed}" ]] && pebble_ok; then
      status pebble "already running, ${PB_DIR_URL}"
      return
    fi
    log "restarting pebble (changed:${changed:- not answering})"
    stop_pidfile "${PB_PIDFILE}" /usr/bin/pebble
  fi
  if curl -sk --max-time 5 -o /dev/null "https://127.0.0.1:${PEBBLE_PORT}/dir" 2>/dev/null; then
    die "something that is not our pebble answers on port ${PEBBLE_PORT}; stop it first"
  fi
  log "starting pebble (log: ${logfile})"
  env PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 \
    start-stop-daemon --start --background --make-pidfile --pidfile "${PB_PIDFILE}" \
    --output "${logfile}" --chdir "${PB_DIR}" \
    --exec /usr/bin/pebble -- -config "${PB_DIR}/config.json" 9>&-
  wait_until "pebble's directory at ${PB_DIR_URL} (TLS verified with ${PB_CA_CERT})" 30 "${logfile}" pebble_ok
  status pebble "started, ${PB_DIR_URL}"
}

# --------------------------------------------------------------------------
# sshd on 127.0.0.1:2222, root by key only

readonly SSH_DIR="${STATE_DIR}/ssh"
readonly SSH_KEY_FILE="${SSH_DIR}/id_ed25519"
readonly SSH_HOST_KEY="${SSH_DIR}/ssh_host_ed25519_key"
readonly SSH_KNOWN_HOSTS="${SSH_DIR}/known_hosts"
readonly SSHD_PIDFILE="${SSH_DIR}/sshd.pid"
readonly SSHD_CONFIG="${SSH_DIR}/sshd_config"

ssh_ok() {
  timeout 15 ssh -i "${SSH_KEY_FILE}" -p "${SSH_PORT}" \
    -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="${SSH_KNOWN_HOSTS}" \
    -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=5 -o LogLevel=ERROR \
    "${SSH_USER}@${SSH_HOST}" true </dev/null
}

start_sshd() {
  local logfile="${SSH_DIR}/sshd.log" changed="" pub
  install -d -m 0700 "${SSH_DIR}"
  [[ -s "${SSH_HOST_KEY}" ]] || ssh-keygen -q -t ed25519 -N '' -C "simple-paas-test sshd" -f "${SSH_HOST_KEY}"
  [[ -s "${SSH_KEY_FILE}" ]] || ssh-keygen -q -t ed25519 -N '' -C "simple-paas-test client" -f "${SSH_KEY_FILE}"

  install -d -m 0700 /root/.ssh
  touch /root/.ssh/authorized_keys
  chmod 0600 /root/.ssh/authorized_keys
  pub="$(cat "${SSH_KEY_FILE}.pub")"
  grep -qxF -- "${pub}" /root/.ssh/authorized_keys || printf '%s\n' "${pub}" >>/root/.ssh/authorized_keys

  write_if_changed "${SSH_KNOWN_HOSTS}" 0644 <<EOF || true
[${SSH_HOST}]:${SSH_PORT} $(cut -d' ' -f1,2 "${SSH_HOST_KEY}.pub")
EOF

  if write_if_changed "${SSHD_CONFIG}" 0600 <<EOF; then changed="config"; fi
# written by simple-paas scripts/test-env/start-services.sh
Port ${SSH_PORT}
ListenAddress ${SSH_HOST}
HostKey ${SSH_HOST_KEY}
PidFile ${SSHD_PIDFILE}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes yes
X11Forwarding no
PrintMotd no
# Pulumi opens many sessions at once; the defaults (10:30:100) drop some.
MaxStartups 100:30:200
MaxSessions 100
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
EOF
  # Privilege separation directory (normally made by the init system).
  install -d -m 0755 /run/sshd
  /usr/sbin/sshd -t -f "${SSHD_CONFIG}" || die "sshd -t rejects ${SSHD_CONFIG}"

  if pid_alive "${SSHD_PIDFILE}" sshd; then
    if [[ -z "${changed}" ]] && ssh_ok >/dev/null 2>&1; then
      status sshd "already running on ${SSH_HOST}:${SSH_PORT}"
      return
    fi
    log "restarting sshd (changed:${changed:- not answering})"
    stop_pidfile "${SSHD_PIDFILE}" /usr/sbin/sshd
  fi
  log "starting sshd (log: ${logfile})"
  /usr/sbin/sshd -f "${SSHD_CONFIG}" -E "${logfile}" </dev/null >>"${SSH_DIR}/sshd.out" 2>&1 9>&- \
    || { show_log "${logfile}"; die "sshd failed to start"; }
  wait_until "ssh ${SSH_USER}@${SSH_HOST} -p ${SSH_PORT} true" 30 "${logfile}" ssh_ok
  status sshd "started on ${SSH_HOST}:${SSH_PORT}"
}

# --------------------------------------------------------------------------

start_daemon docker docker_ok 60
if [[ -n "${docker_only}" ]]; then exit 0; fi
start_daemon mariadb mariadb_ok 60
start_daemon cron cron_ok 15
start_registry
start_public_registry
start_pebble
start_sshd

env_file="${STATE_DIR}/env"
if write_if_changed "${env_file}" 0644 <<EOF; then log "wrote ${env_file}"; fi
# simple-paas test environment, written by scripts/test-env/start-services.sh
SP_TEST_STATE_DIR=$(shq "${STATE_DIR}")
REGISTRY=$(shq "${REGISTRY_ADDR}")
REGISTRY_USER=$(shq "${REGISTRY_USER}")
REGISTRY_PASSWORD_FILE=$(shq "${REG_PASSWORD_FILE}")
PUBLIC_REGISTRY=$(shq "${PUBLIC_REGISTRY_ADDR}")
PEBBLE_DIRECTORY_URL=$(shq "${PB_DIR_URL}")
PEBBLE_CA_CERT=$(shq "${PB_CA_CERT}")
PEBBLE_MANAGEMENT_URL=$(shq "${PB_MGMT_URL}")
PEBBLE_PORT=$(shq "${PEBBLE_PORT}")
PEBBLE_EXTRA_IPS=$(shq "${extra_ips[*]}")
SSH_HOST=$(shq "${SSH_HOST}")
SSH_PORT=$(shq "${SSH_PORT}")
SSH_USER=$(shq "${SSH_USER}")
SSH_KEY_FILE=$(shq "${SSH_KEY_FILE}")
SSH_KNOWN_HOSTS_FILE=$(shq "${SSH_KNOWN_HOSTS}")
MARIADB_SOCKET=$(shq "${MARIADB_SOCKET}")
EOF
status env "${env_file}"
