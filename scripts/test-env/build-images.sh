#!/usr/bin/env bash
# Builds the local docker images the simple-paas tests use. Nothing can be
# pulled from a registry on the test machines, so everything is made from
# Debian packages:
#
#   simple-paas-test/busybox:1         Debian's static busybox, CMD busybox httpd on :80
#   simple-paas-test/minbase:bookworm  debootstrap --variant=minbase bookworm with
#                                      python3, python3-pymysql, caddy, curl, ca-certificates, memcached
#   simple-paas-test/site-app:v1, :v2  test/fixtures/site-app (Python app on :8080, www-data)
#   simple-paas-test/caddy:2.6         Debian's caddy, laid out like the official caddy:2 image
#   simple-paas-test/memcached:1.6     Debian's memcached, run as `memcached ...` like the official image
#
# and pushes site-app:v1/:v2 to the test registry as 127.0.0.1:5000/site-app:v1/:v2,
# caddy and memcached to the public (login-less) one.
# Needs dockerd and the registry (scripts/test-env/start-services.sh).
#
# Idempotent: an image is skipped when it exists and was built from the same
# inputs (recorded in the label simple-paas-test.inputs); a push is skipped
# when the registry already holds the same manifest. The debootstrap result
# is cached as a tarball in the state dir.
#
# Usage: build-images.sh [--force] [--refresh-rootfs] [--local]
#   --force           rebuild every image (the cached rootfs tarball is reused)
#   --refresh-rootfs  also run debootstrap again
#   --local           the local stack's images instead (scripts/local-up.sh):
#                     simple-paas-local/{minbase:bookworm,site-app:v1,caddy:2.6,memcached:1.6},
#                     nothing pushed, no test registry or env file needed
# Environment:
#   SP_TEST_STATE_DIR     state dir (default /var/lib/simple-paas-test)
#   SP_TEST_DEBIAN_MIRROR mirror for debootstrap (default http://deb.debian.org/debian)
set -euo pipefail

readonly STATE_DIR="${SP_TEST_STATE_DIR:-/var/lib/simple-paas-test}"
readonly MIRROR="${SP_TEST_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
readonly SUITE="bookworm"
readonly MINBASE_INCLUDE="python3,python3-pymysql,caddy,curl,ca-certificates,memcached"
readonly RECIPE="1" # bump to force every image to be rebuilt

# --local: the local stack's own images (scripts/local-up.sh), apart from
# the tests' so that neither removes or replaces the other's.
prefix="simple-paas-test"
for arg in "$@"; do
  if [[ "${arg}" == --local ]]; then prefix="simple-paas-local"; fi
done
readonly IMG_BUSYBOX="${prefix}/busybox:1"
readonly IMG_MINBASE="${prefix}/minbase:bookworm"
readonly IMG_SITE_APP="${prefix}/site-app"
readonly IMG_CADDY="${prefix}/caddy:2.6"
readonly IMG_MEMCACHED="${prefix}/memcached:1.6"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly REPO_DIR="${SCRIPT_DIR}/../.."
readonly SITE_APP_DIR="${REPO_DIR}/test/fixtures/site-app"

readonly LOG_TAG="build-images"
# shellcheck source=scripts/test-env/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

force=""
refresh_rootfs=""
push="yes"
local_stack=""
for arg in "$@"; do
  case "${arg}" in
    --force) force="yes" ;;
    --refresh-rootfs) force="yes"; refresh_rootfs="yes" ;;
    # The local stack's images (scripts/local-up.sh): minbase, site-app:v1 and
    # caddy under simple-paas-local/, no registry, no env file of the tests.
    --local) push=""; local_stack="yes" ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '${arg}' (use --force, --refresh-rootfs, --local)" ;;
  esac
done

[[ "$(id -u)" == "0" ]] || die "must run as root"
need_commands docker debootstrap tar curl flock sha256sum
[[ -x /bin/busybox ]] || die "/bin/busybox not found: install busybox-static"
[[ -f "${SITE_APP_DIR}/Dockerfile" && -f "${SITE_APP_DIR}/app.py" ]] || die "missing ${SITE_APP_DIR}/{Dockerfile,app.py}"
timeout 10 docker info >/dev/null 2>&1 || die "docker does not answer: run scripts/test-env/start-services.sh first"

env_file="${STATE_DIR}/env"
REGISTRY=""
PUBLIC_REGISTRY=""
REGISTRY_USER=""
REGISTRY_PASSWORD_FILE=""
if [[ -n "${push}" ]]; then
  [[ -f "${env_file}" ]] || die "${env_file} missing: run scripts/test-env/start-services.sh first"
  # shellcheck source=/dev/null
  . "${env_file}"
  [[ -n "${REGISTRY}" && -n "${REGISTRY_USER}" && -r "${REGISTRY_PASSWORD_FILE}" ]] \
    || die "${env_file} lacks REGISTRY/REGISTRY_USER/REGISTRY_PASSWORD_FILE"
  [[ -n "${PUBLIC_REGISTRY}" ]] || die "${env_file} lacks PUBLIC_REGISTRY: run scripts/test-env/start-services.sh again"
fi

readonly CACHE_DIR="${STATE_DIR}/images"
install -d -m 0755 "${CACHE_DIR}"
exec 9>"${STATE_DIR}/.build.lock"
flock -w 1800 9 || die "another build-images.sh still holds ${STATE_DIR}/.build.lock after 1800s"

# The legacy builder uses local images for FROM without asking a registry.
export DOCKER_BUILDKIT=0

started=${SECONDS}
trap cleanup_tmp_dirs EXIT

built=()

# --------------------------------------------------------------------------
# busybox: Debian's static binary + applet links, busybox httpd on :80

build_busybox() {
  local inputs root applet old_id
  inputs="$({ echo "busybox ${RECIPE} 2"; sha256sum /bin/busybox; } | sha)"
  if up_to_date "${IMG_BUSYBOX}" "${inputs}"; then
    log "${IMG_BUSYBOX}: up to date"
    return
  fi
  log "${IMG_BUSYBOX}: building from /bin/busybox"
  old_id="$(image_id "${IMG_BUSYBOX}" 2>/dev/null || true)"
  new_tmp
  root="${NEW_TMP}/rootfs"
  mkdir -p "${root}"/{bin,etc,root,tmp,var/www,proc,sys,dev,usr}
  cp /bin/busybox "${root}/bin/busybox"
  while read -r applet; do
    [[ "${applet}" == "busybox" || -z "${applet}" ]] && continue
    ln -sf busybox "${root}/bin/${applet}"
  done < <("${root}/bin/busybox" --list)
  ln -s bin "${root}/sbin"
  ln -s ../bin "${root}/usr/bin"
  ln -s ../bin "${root}/usr/sbin"
  chmod 1777 "${root}/tmp"
  chmod 0700 "${root}/root"
  printf '%s\n' \
    'root:x:0:0:root:/root:/bin/sh' \
    'www-data:x:33:33:www-data:/var/www:/bin/false' \
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"${root}/etc/passwd"
  printf '%s\n' 'root:x:0:' 'www-data:x:33:' 'nogroup:x:65534:' >"${root}/etc/group"
  printf 'simple-paas-test busybox httpd\n' >"${root}/var/www/index.html"
  # busybox httpd as PID 1 ignores SIGTERM (docker stop would wait 10 s):
  # a shell with a trap in front of it exits at once.
  local httpd_cmd="trap 'exit 0' TERM INT; /bin/busybox httpd -f -v -p 80 -h /var/www & wait"
  tar --numeric-owner --owner=0 --group=0 -C "${root}" -c . \
    | docker import \
      -c 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'EXPOSE 80' \
      -c "LABEL ${INPUTS_LABEL}=${inputs}" \
      -c "CMD [\"/bin/sh\", \"-c\", \"${httpd_cmd}\"]" \
      -m "simple-paas test busybox" - "${IMG_BUSYBOX}" >/dev/null
  drop_replaced "${old_id}"
  built+=("${IMG_BUSYBOX}")
}

# --------------------------------------------------------------------------
# minbase: debootstrap once, cache the rootfs tarball, docker import

build_minbase() {
  local inputs tarball rootfs old_id
  inputs="$(echo "minbase ${RECIPE} ${SUITE} ${MINBASE_INCLUDE}" | sha)"
  if up_to_date "${IMG_MINBASE}" "${inputs}"; then
    log "${IMG_MINBASE}: up to date"
    return
  fi
  tarball="${CACHE_DIR}/minbase-${SUITE}-${inputs}.tar"
  if [[ -n "${refresh_rootfs}" ]]; then
    rm -f "${tarball}"
  fi
  if [[ ! -s "${tarball}" ]]; then
    new_tmp
    rootfs="${NEW_TMP}/rootfs"
    log "${IMG_MINBASE}: debootstrap ${SUITE} from ${MIRROR} (about 2 minutes; log: ${CACHE_DIR}/debootstrap.log)"
    debootstrap_rootfs "${IMG_MINBASE}" "${MINBASE_INCLUDE}" "${rootfs}" "${CACHE_DIR}/debootstrap.log"
    # Slim it down like Debian's official images; no host leftovers.
    chroot "${rootfs}" apt-get clean
    fresh_rootfs "${rootfs}"
    [[ -x "${rootfs}/usr/bin/caddy" && -x "${rootfs}/usr/bin/python3" && -x "${rootfs}/usr/bin/curl" ]] \
      || die "debootstrap result lacks caddy, python3 or curl"
    cache_rootfs "${rootfs}" "${tarball}" "minbase-${SUITE}-*.tar"
  else
    log "${IMG_MINBASE}: using cached rootfs ${tarball}"
  fi
  old_id="$(image_id "${IMG_MINBASE}" 2>/dev/null || true)"
  docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
    -c "LABEL ${INPUTS_LABEL}=${inputs}" \
    -c 'CMD ["/bin/bash"]' \
    -m "simple-paas test debian ${SUITE} minbase" "${tarball}" "${IMG_MINBASE}" >/dev/null
  drop_replaced "${old_id}"
  built+=("${IMG_MINBASE}")
}

# --------------------------------------------------------------------------
# site-app:v1 / :v2

build_site_app() {
  local version="$1" image="${IMG_SITE_APP}:$1" inputs old_id
  inputs="$({
    echo "site-app ${RECIPE} ${version}"
    image_id "${IMG_MINBASE}"
    cat "${SITE_APP_DIR}/Dockerfile" "${SITE_APP_DIR}/app.py"
  } | sha)"
  if up_to_date "${image}" "${inputs}"; then
    log "${image}: up to date"
    return
  fi
  log "${image}: docker build ${SITE_APP_DIR}"
  old_id="$(image_id "${image}" 2>/dev/null || true)"
  docker build --pull=false --force-rm \
    --build-arg "BASE_IMAGE=${IMG_MINBASE}" --build-arg "VERSION=${version}" \
    --label "${INPUTS_LABEL}=${inputs}" \
    -t "${image}" "${SITE_APP_DIR}" >&2
  drop_replaced "${old_id}"
  built+=("${image}")
}

# --------------------------------------------------------------------------
# caddy:2.6 like the official caddy:2 image (config /etc/caddy/Caddyfile, state /data)

caddy_dockerfile() {
  cat <<EOF
FROM ${IMG_MINBASE}
ENV XDG_DATA_HOME=/data XDG_CONFIG_HOME=/config
RUN mkdir -p /data/caddy /config/caddy /etc/caddy /usr/share/caddy /srv \\
 && test -f /etc/caddy/Caddyfile \\
 && caddy version
LABEL org.opencontainers.image.title="simple-paas test caddy (Debian's caddy, laid out like caddy:2)"
EXPOSE 80 443 443/udp 2019
WORKDIR /srv
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
EOF
}

build_caddy() {
  local inputs old_id
  inputs="$({
    echo "caddy ${RECIPE}"
    image_id "${IMG_MINBASE}"
    caddy_dockerfile
  } | sha)"
  if up_to_date "${IMG_CADDY}" "${inputs}"; then
    log "${IMG_CADDY}: up to date"
    return
  fi
  log "${IMG_CADDY}: docker build"
  old_id="$(image_id "${IMG_CADDY}" 2>/dev/null || true)"
  caddy_dockerfile | docker build --pull=false --force-rm \
    --label "${INPUTS_LABEL}=${inputs}" -t "${IMG_CADDY}" - >&2
  drop_replaced "${old_id}"
  built+=("${IMG_CADDY}")
}

# --------------------------------------------------------------------------
# memcached:1.6 from the minbase's Debian memcached

memcached_dockerfile() {
  cat <<EOF
FROM ${IMG_MINBASE}
RUN memcached --version
LABEL org.opencontainers.image.title="simple-paas test memcached (Debian's memcached)"
EXPOSE 11211
USER 11211:11211
CMD ["memcached"]
EOF
}

build_memcached() {
  local inputs old_id
  inputs="$({
    echo "memcached ${RECIPE}"
    image_id "${IMG_MINBASE}"
    memcached_dockerfile
  } | sha)"
  if up_to_date "${IMG_MEMCACHED}" "${inputs}"; then
    log "${IMG_MEMCACHED}: up to date"
    return
  fi
  log "${IMG_MEMCACHED}: docker build"
  old_id="$(image_id "${IMG_MEMCACHED}" 2>/dev/null || true)"
  memcached_dockerfile | docker build --pull=false --force-rm \
    --label "${INPUTS_LABEL}=${inputs}" -t "${IMG_MEMCACHED}" - >&2
  drop_replaced "${old_id}"
  built+=("${IMG_MEMCACHED}")
}

# --------------------------------------------------------------------------
# push site-app to the test registry

# Digest of REPO:TAG in the registry ("" when absent).
remote_digest() {
  printf 'user = "%s:%s"\n' "${REGISTRY_USER}" "$(cat "${REGISTRY_PASSWORD_FILE}")" \
    | curl -sS -K - --max-time 10 -o /dev/null -D - \
      -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
      -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
      --head "http://${REGISTRY}/v2/$1/manifests/$2" 2>/dev/null \
    | tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }' || true
}

push_site_app() {
  local to_push=() version target digest repo_digests cfg rc=0
  for version in v1 v2; do
    target="${REGISTRY}/site-app:${version}"
    docker tag "${IMG_SITE_APP}:${version}" "${target}"
    digest="$(remote_digest site-app "${version}")"
    repo_digests="$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "${target}")"
    if [[ -n "${digest}" ]] && grep -qxF "${REGISTRY}/site-app@${digest}" <<<"${repo_digests}"; then
      log "${target}: already in the registry (${digest})"
    else
      to_push+=("${target}")
    fi
  done
  [[ "${#to_push[@]}" -gt 0 ]] || return 0
  # A throwaway client config: the caller's ~/.docker/config.json stays as it was.
  new_tmp
  cfg="${NEW_TMP}"
  DOCKER_CONFIG="${cfg}" timeout 30 docker login "${REGISTRY}" --username "${REGISTRY_USER}" \
    --password-stdin <"${REGISTRY_PASSWORD_FILE}" >&2 || die "docker login ${REGISTRY} failed"
  for target in "${to_push[@]}"; do
    log "${target}: docker push"
    if ! DOCKER_CONFIG="${cfg}" timeout 300 docker push "${target}" >&2; then
      rc=1
      break
    fi
  done
  DOCKER_CONFIG="${cfg}" docker logout "${REGISTRY}" >&2 || true
  ((rc == 0)) || die "docker push ${target} failed"
}

# An image in the public registry (no login), where a new host pulls it
# from: push_public LOCAL_IMAGE NAME TAG.
push_public() {
  local target="${PUBLIC_REGISTRY}/$2:$3" digest
  docker tag "$1" "${target}"
  digest="$(curl -sS --max-time 10 -o /dev/null -D - -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    --head "http://${PUBLIC_REGISTRY}/v2/$2/manifests/$3" 2>/dev/null \
    | tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }' || true)"
  if [[ -n "${digest}" ]] && docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "${target}" | grep -qxF "${PUBLIC_REGISTRY}/$2@${digest}"; then
    log "${target}: already in the public registry (${digest})"
    return 0
  fi
  log "${target}: docker push"
  timeout 300 docker push "${target}" >&2 || die "docker push ${target} failed"
}

# --------------------------------------------------------------------------

if [[ -n "${local_stack}" ]]; then
  build_minbase
  build_site_app v1
  build_caddy
  build_memcached
  images=("${IMG_MINBASE}" "${IMG_SITE_APP}:v1" "${IMG_CADDY}" "${IMG_MEMCACHED}")
else
  build_busybox
  build_minbase
  build_site_app v1
  build_site_app v2
  build_caddy
  build_memcached
  images=("${IMG_BUSYBOX}" "${IMG_MINBASE}" "${IMG_SITE_APP}:v1" "${IMG_SITE_APP}:v2" "${IMG_CADDY}" "${IMG_MEMCACHED}")
fi
if [[ -n "${push}" ]]; then
  push_site_app
  push_public "${IMG_CADDY}" caddy 2.6
  push_public "${IMG_MEMCACHED}" memcached 1.6
  images+=("${REGISTRY}/site-app:v1" "${REGISTRY}/site-app:v2" "${PUBLIC_REGISTRY}/caddy:2.6" "${PUBLIC_REGISTRY}/memcached:1.6")
fi

log "done in $((SECONDS - started))s; built: ${built[*]:-nothing}"
for image in "${images[@]}"; do
  printf '%-40s %s\n' "${image}" "$(docker image ls --format '{{.Size}}' "${image}")"
done
