# shellcheck shell=bash
# Helpers shared by the scripts in scripts/test-env/, sourced right after their
# `set -euo pipefail`:
#
#   readonly LOG_TAG="bare-host"   # log lines read "[bare-host] ..."
#   # shellcheck source=scripts/test-env/lib.sh
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# The image and rootfs helpers use the sourcing script's CACHE_DIR, SUITE,
# MIRROR and force (set by its --force).

# --------------------------------------------------------------------------
# messages and checks

log() { printf '[%s] %s\n' "${LOG_TAG}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# status NAME TEXT: one "NAME: TEXT" status line on stdout.
status() { printf '%-10s %s\n' "$1:" "$2"; }

# The script's help: its header comment, from line 2 to `set -euo pipefail`.
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

# Single-quotes a value for a sourceable NAME='value' line.
shq() {
  local v="$1"
  printf "'%s'" "${v//\'/\'\\\'\'}"
}

have_systemd() { [[ -d /run/systemd/system ]]; }

# need_commands CMD...: dies unless every CMD is on the PATH.
need_commands() {
  local c
  for c in "$@"; do
    command -v "${c}" >/dev/null 2>&1 || die "'${c}' not found: run scripts/test-env/install-packages.sh first"
  done
}

# STATE_DIR is absolute and plain: it goes into docker -v arguments and into
# YAML, JSON and sshd_config files.
check_state_dir() {
  [[ "${STATE_DIR}" == /* ]] || die "SP_TEST_STATE_DIR must be an absolute path, got '${STATE_DIR}'"
  [[ "${STATE_DIR}" =~ ^[A-Za-z0-9._/-]+$ ]] || die "SP_TEST_STATE_DIR may only contain [A-Za-z0-9._/-], got '${STATE_DIR}'"
}

# --------------------------------------------------------------------------
# temporary directories under CACHE_DIR (the script sets
# `trap cleanup_tmp_dirs EXIT`)

TMP_DIRS=()
cleanup_tmp_dirs() {
  local d m
  for d in "${TMP_DIRS[@]}"; do
    [[ -d "${d}" ]] || continue
    # never rm -rf through a mount debootstrap may have left behind
    while read -r m; do
      umount -l "${m}" 2>/dev/null || true
    done < <(awk -v p="${d}/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r)
    rm -rf --one-file-system "${d}"
  done
}
# Makes a temporary directory (removed on exit) and names it in NEW_TMP.
# shellcheck disable=SC2034 # NEW_TMP is read by the sourcing script
NEW_TMP=""
new_tmp() {
  NEW_TMP="$(mktemp -d "${CACHE_DIR}/tmp.XXXXXX")"
  TMP_DIRS+=("${NEW_TMP}")
}

# --------------------------------------------------------------------------
# images built from recorded inputs

readonly INPUTS_LABEL="simple-paas-test.inputs"

sha() { sha256sum | cut -c1-16; }

# The inputs hash an existing image was built from ("" when there is none).
image_inputs() {
  docker image inspect --format "{{ index .Config.Labels \"${INPUTS_LABEL}\" }}" "$1" 2>/dev/null || true
}

# up_to_date IMAGE INPUTS: the image exists, was built from INPUTS, no --force.
up_to_date() {
  [[ -z "${force:-}" && "$(image_inputs "$1")" == "$2" ]]
}

image_id() { docker image inspect --format '{{.Id}}' "$1"; }

# drop_replaced OLD_ID: removes the image a rebuild replaced, once untagged
# (kept while a container or a child image still uses it).
drop_replaced() {
  local old="$1"
  [[ -n "${old}" ]] || return 0
  if [[ "$(docker image inspect --format '{{len .RepoTags}}' "${old}" 2>/dev/null || echo 1)" == "0" ]]; then
    docker rmi "${old}" >/dev/null 2>&1 || true
  fi
}

# --------------------------------------------------------------------------
# Debian root filesystems

# debootstrap_rootfs IMAGE INCLUDE ROOTFS LOGFILE: debootstrap --variant=minbase
# SUITE plus the packages INCLUDE into ROOTFS from MIRROR, its output in
# LOGFILE; on failure shows the end of the logs and dies.
debootstrap_rootfs() {
  local image="$1" include="$2" rootfs="$3" logfile="$4" t0=${SECONDS}
  if ! timeout 1200 debootstrap --variant=minbase --include="${include}" \
    "${SUITE}" "${rootfs}" "${MIRROR}" >"${logfile}" 2>&1 9>&-; then
    tail -n 30 "${logfile}" >&2 || true
    [[ -f "${rootfs}/debootstrap/debootstrap.log" ]] && tail -n 30 "${rootfs}/debootstrap/debootstrap.log" >&2
    die "debootstrap failed (full log: ${logfile})"
  fi
  log "${image}: debootstrap took $((SECONDS - t0))s"
}

# fresh_rootfs ROOTFS [PATH...]: no apt lists, caches or downloaded packages,
# docs, logs or temporary files (nor the PATHs) in ROOTFS; an empty
# resolv.conf and the hostname localhost.
fresh_rootfs() {
  local r="$1"
  shift
  rm -rf "${r}"/var/lib/apt/lists/* "${r}"/var/cache/apt/*.bin "${r}"/var/cache/apt/archives/*.deb \
    "${r}"/usr/share/doc/* "${r}"/usr/share/man/* "${r}"/usr/share/info/* \
    "${r}"/var/log/*.log "${r}"/var/log/apt/* "${r}"/tmp/* "${r}"/var/tmp/* "$@"
  : >"${r}/etc/resolv.conf"
  printf 'localhost\n' >"${r}/etc/hostname"
}

# cache_rootfs ROOTFS TARBALL GLOB: saves ROOTFS (without the contents of
# /proc, /sys and /dev) as TARBALL and deletes the other tarballs GLOB matches
# in CACHE_DIR (made from other inputs).
cache_rootfs() {
  local rootfs="$1" tarball="$2" glob="$3"
  tar --numeric-owner -C "${rootfs}" \
    --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' \
    -cf "${tarball}.tmp" .
  mv -f "${tarball}.tmp" "${tarball}"
  find "${CACHE_DIR}" -maxdepth 1 -name "${glob}" ! -name "$(basename "${tarball}")" -delete
}
