#!/usr/bin/env bash
# `npm run up` / `npm run down`: the `local` stack (this machine is the host)
# on a machine that may have no Pulumi CLI and cannot pull images.
#
#   bash scripts/local-up.sh up [--yes] [pulumi up flags...]
#   bash scripts/local-up.sh down [--yes] [pulumi destroy flags...]
#   bash scripts/local-up.sh preview [pulumi preview flags...]
#
# 1. uses `pulumi` from the PATH, or builds the engine and plugins from the
#    Go toolchain (scripts/pulumi-toolchain.sh; minutes the first time, one
#    progress line per binary; cached after that);
# 2. installs and starts what the local stack needs and builds its two
#    local images (scripts/test-env/);
# 3. keeps everything it writes out of the repository, in
#    ${SIMPLE_PAAS_HOME:-~/.simple-paas}: the state backend, the secrets
#    passphrase, the stack's backup key and the project folder whose program
#    is this repository's index.ts and whose stack config is
#    stacks/Pulumi.local.yaml (copied each run), so `git status` stays clean;
# 4. asks before changing anything when it has a terminal; without one it
#    needs --yes;
# 5. ends `up` with the sites' URLs.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state_home="${SIMPLE_PAAS_HOME:-$HOME/.simple-paas}"
project="$state_home/local"
log() { printf '[simple-paas] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

action="${1:-}"
[ "$#" -gt 0 ] && shift
case "$action" in
  up | down | preview) ;;
  *) die "usage: bash scripts/local-up.sh up|down|preview [--yes] [pulumi flags...]" ;;
esac
# preview and down need a stack that `up` made: on a machine where nothing
# was set up they say so and change nothing (no engine build, no files).
if [ "$action" != up ] && [ -z "${PULUMI_BACKEND_URL:-}" ] \
  && ! compgen -G "$state_home/state/.pulumi/stacks/*/local.json" >/dev/null; then
  die "the local stack was never set up on this machine (no state in $state_home/state): run \`npm run up\` first; nothing changed"
fi
yes=0
for arg in "$@"; do
  if [ "$arg" = "--yes" ] || [ "$arg" = "-y" ]; then yes=1; fi
done
if [ "$action" != preview ] && [ "$yes" = 0 ] && ! { [ -t 0 ] && [ -t 1 ]; }; then
  die "no terminal to ask on: run \`npm run $action -- --yes\` to $action the local stack without a confirmation"
fi

if [ "$action" = up ] && [ "$yes" = 0 ]; then
  printf '%s\n' "This installs the npm packages if they are missing, builds the Pulumi engine if there is no pulumi" \
    "(cached in ~/.cache/simple-paas), installs Debian's docker.io and debootstrap, starts dockerd, builds the" \
    "local stack's images (simple-paas-local/*), then runs pulumi up (which shows its plan and asks again)." >&2
  read -r -p "Go on? [y/N] " answer
  case "$answer" in y | Y | yes) ;; *) die "nothing changed" ;; esac
fi

# A fresh clone has no node_modules: the program and the toolchain's version
# pins need them.
bash "$repo/scripts/ensure-node-modules.sh"

if command -v pulumi >/dev/null 2>&1; then
  log "using $(command -v pulumi) ($(pulumi version 2>/dev/null || echo 'unknown version'))"
else
  log "no pulumi on the PATH: building the Pulumi engine and plugins (cached after the first time)"
  # A failed build stops here (set -e), with the toolchain's list of what it could not build.
  bash "$repo/scripts/pulumi-toolchain.sh" >/dev/null
  # shellcheck source=scripts/pulumi-offline-env.sh
  . "$repo/scripts/pulumi-offline-env.sh"
fi
export PULUMI_SKIP_UPDATE_CHECK=true

if [ "$action" = up ]; then
  log "installing docker and debootstrap, starting docker, building the local stack's images (demo site, Caddy)"
  bash "$repo/scripts/test-env/install-packages.sh" --local-stack
  # Their state (dockerd's log, the debootstrap cache) lives with the local
  # stack's, never in the test services' /var/lib/simple-paas-test.
  SP_TEST_STATE_DIR="$state_home/images" bash "$repo/scripts/test-env/start-services.sh" --docker-only >&2
  SP_TEST_STATE_DIR="$state_home/images" bash "$repo/scripts/test-env/build-images.sh" --local >&2
fi

umask 077
mkdir -p "$state_home/state" "$project"
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  export PULUMI_BACKEND_URL="file://$state_home/state"
fi
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  if [ ! -s "$state_home/passphrase" ]; then
    head -c 32 /dev/urandom | base64 >"$state_home/passphrase"
    log "generated the stack's secrets passphrase: $state_home/passphrase (keep a copy off this machine)"
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE="$state_home/passphrase"
fi
# The key every site's restic password derives from: with it, `pulumi
# destroy` followed by `npm run up` opens the old repositories again.
if [ ! -s "$state_home/backup-key" ]; then
  head -c 32 /dev/urandom | base64 >"$state_home/backup-key"
  log "generated the local stack's backup key: $state_home/backup-key (keep a copy off this machine)"
fi

# The project: this repository's program and stacks/Pulumi.local.yaml, run
# from $project so the stack's encryption salt and secrets stay there.
cat >"$project/Pulumi.yaml" <<EOF
# Written by simple-paas scripts/local-up.sh: the program is $repo/index.ts.
name: simple-paas
runtime:
  name: nodejs
  options:
    typescript: false
main: program.js
EOF
cat >"$project/program.js" <<EOF
// Written by simple-paas scripts/local-up.sh.
require($(node -p 'JSON.stringify(process.argv[1])' "$repo/node_modules/ts-node")).register({
  transpileOnly: true, project: $(node -p 'JSON.stringify(process.argv[1])' "$repo/tsconfig.json"),
});
module.exports = require($(node -p 'JSON.stringify(process.argv[1])' "$repo/index.ts"));
EOF
printf '{"name":"simple-paas-local","private":true,"main":"program.js"}\n' >"$project/package.json"
ln -sfn "$repo/node_modules" "$project/node_modules"
# The repository's stack config, plus what only this machine's copy holds.
{
  cat "$repo/stacks/Pulumi.local.yaml"
  if [ -s "$state_home/encryptionsalt" ]; then printf 'encryptionsalt: %s\n' "$(cat "$state_home/encryptionsalt")"; fi
} >"$project/Pulumi.local.yaml"

cd "$project"
if [ "$action" = up ]; then
  pulumi stack select local --create --non-interactive >&2
else
  pulumi stack select local --non-interactive >&2
fi
salt="$(sed -n 's/^encryptionsalt: //p' Pulumi.local.yaml)"
[ -n "$salt" ] || die "pulumi wrote no encryptionsalt into $project/Pulumi.local.yaml"
printf '%s\n' "$salt" >"$state_home/encryptionsalt"
# On stdin, never on a command line.
pulumi config set --secret simple-paas:backupKey <"$state_home/backup-key"

case "$action" in
  up)
    pulumi up "$@"
    log "the local stack's sites:"
    # shellcheck disable=SC2016 # JavaScript, not shell
    pulumi stack output sites --json | node -e '
      let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
        for (const site of JSON.parse(s)) for (const url of site.urls) console.log(`  ${site.name}: ${url}`);
      });'
    log "(the proxy signs with its own CA (tls: internal): curl -k, or trust the root in the simple-paas-proxy-data volume)"
    ;;
  down)
    pulumi destroy "$@"
    log "destroyed; the sites' backups stay in /var/backups/simple-paas"
    ;;
  preview)
    pulumi preview "$@"
    ;;
esac
