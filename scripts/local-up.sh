#!/usr/bin/env bash
# `npm run up`: `pulumi up` of the `local` stack (this machine is the host),
# working on a machine that has no Pulumi CLI and cannot pull images:
#   1. uses `pulumi` from the PATH, or builds the engine from Go modules
#      (scripts/pulumi-toolchain.sh; minutes the first time, with progress);
#   2. builds the local images the local stack names (scripts/test-env/);
#   3. logs in to a local state backend and selects/creates the stack;
#   4. runs `pulumi up` with any extra arguments (e.g. `npm run up -- --yes`).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
state_home="${SIMPLE_PAAS_HOME:-$HOME/.simple-paas}"
log() { printf '[simple-paas up] %s\n' "$*" >&2; }

if ! command -v pulumi >/dev/null 2>&1; then
  log "no pulumi on the PATH: building the engine and plugins from Go modules (cached after the first time)"
  # A failed build stops here (set -e), with the toolchain's own list of what it could not build.
  toolchain_env="$(bash scripts/pulumi-toolchain.sh --print-env)"
  eval "$toolchain_env"
fi
export PULUMI_SKIP_UPDATE_CHECK=true

log "installing and starting docker and the local image build prerequisites"
bash scripts/test-env/install-packages.sh
bash scripts/test-env/start-services.sh
log "building the local stack's images (demo site, Caddy) from Debian packages"
bash scripts/test-env/build-images.sh

if [ -z "${PULUMI_BACKEND_URL:-}" ] && ! pulumi whoami >/dev/null 2>&1; then
  mkdir -p "$state_home/state"
  export PULUMI_BACKEND_URL="file://$state_home/state"
  log "state backend: $PULUMI_BACKEND_URL"
fi
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  if [ ! -f "$state_home/passphrase" ]; then
    (umask 077 && mkdir -p "$state_home" && head -c 32 /dev/urandom | base64 >"$state_home/passphrase")
    log "generated a secrets passphrase in $state_home/passphrase (keep a copy off this machine)"
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE="$state_home/passphrase"
fi

pulumi stack select local --create --non-interactive >&2
exec pulumi up "$@"
