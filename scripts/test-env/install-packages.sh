#!/usr/bin/env bash
# Installs every Debian package the simple-paas integration and e2e tests use.
# Idempotent: when everything is installed already it only runs dpkg-query.
# Must run as root on Debian 12 (bookworm).
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

readonly PACKAGES=(
  # services the tests start
  docker.io
  cgroupfs-mount
  iptables
  mariadb-server
  mariadb-client
  cron
  logrotate
  caddy
  pebble
  openssh-server
  openssh-client
  docker-registry
  memcached
  # tools
  restic
  shellcheck
  apache2-utils
  busybox-static
  debootstrap
  debian-archive-keyring
  gpgv
  wget
  xz-utils
  jq
  curl
  openssl
  iproute2
  ca-certificates
  procps
  psmisc
  util-linux
)

# `--local-stack`: only what scripts/local-up.sh needs before `pulumi up`
# (docker to build the local images, debootstrap for their base); the
# host's own packages come from HostBootstrap's packages step.
readonly LOCAL_STACK_PACKAGES=(
  docker.io cgroupfs-mount iptables debootstrap debian-archive-keyring gpgv
  ca-certificates curl util-linux
)

readonly LOG_TAG="install-packages"
# shellcheck source=scripts/test-env/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ "$(id -u)" != "0" ]]; then
  die "must run as root (apt-get install)"
fi
command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script needs Debian"

wanted=("${PACKAGES[@]}")
case "${1:-}" in
  --local-stack) wanted=("${LOCAL_STACK_PACKAGES[@]}") ;;
  "") ;;
  *) die "unknown argument '$1' (use --local-stack or nothing)" ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "${pkg}" 2>/dev/null || true)"
  if [[ "${status}" != "installed" ]]; then
    missing+=("${pkg}")
  fi
done

if [[ "${#missing[@]}" -eq 0 ]]; then
  log "all ${#wanted[@]} packages already installed"
  exit 0
fi

log "missing: ${missing[*]}"

# Keep package maintainer scripts from starting daemons (docker-registry on
# :5000, sshd on :22, ...): start-services.sh starts exactly what the tests
# need, configured for them. Only remove the policy file if we created it.
policy="/usr/sbin/policy-rc.d"
created_policy=""
cleanup() {
  if [[ -n "${created_policy}" ]]; then
    rm -f "${policy}"
  fi
}
trap cleanup EXIT
if [[ ! -e "${policy}" ]]; then
  printf '#!/bin/sh\n# temporary, written by simple-paas install-packages.sh\nexit 101\n' >"${policy}"
  chmod 0755 "${policy}"
  created_policy="yes"
fi

apt_opts=(-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
log "apt-get update"
apt-get "${apt_opts[@]}" update
log "apt-get install ${missing[*]}"
apt-get "${apt_opts[@]}" install -y --no-install-recommends "${wanted[@]}"

still_missing=()
for pkg in "${wanted[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "${pkg}" 2>/dev/null || true)"
  if [[ "${status}" != "installed" ]]; then
    still_missing+=("${pkg}")
  fi
done
if [[ "${#still_missing[@]}" -ne 0 ]]; then
  die "still not installed after apt-get install: ${still_missing[*]}"
fi
log "installed: ${missing[*]}"
