#!/usr/bin/env bash
# Build the Pulumi engine (CLI + Node.js language host) and the resource
# plugins this project uses (command, random, docker) with this machine's Go
# toolchain, so that `pulumi up` runs without downloading anything.
#
#   bash scripts/pulumi-toolchain.sh               build what is missing, install the
#                                                  plugins into PULUMI_HOME, print the bin dir
#   bash scripts/pulumi-toolchain.sh --check       exit 0 only if everything is built and installed
#   bash scripts/pulumi-toolchain.sh --print-env   print `export ...` lines for eval
#
# Sources: the CLI from the Go module proxy (github.com/pulumi/pulumi/pkg/v3);
# the language host and the providers from the source archives in
# ${SIMPLE_PAAS_ENGINE_SRC:-<repo>/../shared/engine-src} (checked against its
# SHA256SUMS before anything is built); their dependencies from the proxy.
# Versions come from node_modules/@pulumi/*/package.json (what the npm SDKs
# request). Output goes to
#   ${SIMPLE_PAAS_TOOLCHAIN_DIR:-$HOME/.cache/simple-paas/toolchain}/<key>/
# with bin/ (pulumi, pulumi-language-nodejs), plugins/ (pulumi-resource-NAME),
# pulumi-home/ (PULUMI_HOME) and work/ (unpacked sources, build logs).
# The YAML and Python language hosts (for the component package, see README
# "From Pulumi YAML (or any language)") are built into the same dir but are not
# part of its key: each has its own marker (bin/.pulumi-language-NAME.source,
# the archive's checksum), so an existing cache just gains them. Like the
# Node.js host they sit beside the CLI in bin/, where the engine looks for the
# language hosts it bundles (no "using pulumi-language-yaml from $PATH"
# warning; `pulumi plugin install language yaml` refuses bundled hosts).
# SIMPLE_PAAS_TOOLCHAIN_CLEAN_GO_CACHE=1 runs `go clean -cache` after a build.
# How and why: docs/ENGINE.md.
set -euo pipefail
# The whole script is one brace group, read completely before it runs, so
# editing this file during a long build does not disturb that build.
{

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"

# Resource plugins, in build order. Their versions are read at run time.
PROVIDERS=(command random docker)

# Part of the cache key: bump it when the recipe below changes.
RECIPE_REV=1

# Per provider version: the upstream tree that provider/go.mod replaces with
# ../upstream (unpacked beside provider/, the provider's patches/*.patch
# applied with `patch -p1`). A version without a row fails loudly.
declare -A UPSTREAM=(
  [docker@5.0.0]=terraform-provider-docker-619686ddb44a
  [docker@5.1.0]=terraform-provider-docker-5074970c71ce
)
# Per provider version: `go mod edit` arguments for requirements the module
# proxy refuses at the provider's own pins (see docs/ENGINE.md).
declare -A GOMOD_EDITS=(
  [docker@5.0.0]="-require=github.com/pulumi/pulumi-terraform-bridge/v3@v3.133.0
    -require=github.com/pulumi/pulumi/pkg/v3@v3.246.0 -require=github.com/pulumi/pulumi/sdk/v3@v3.246.0
    -replace=github.com/pulumi/pulumi/pkg/v3=github.com/pulumi/pulumi/pkg/v3@v3.246.0
    -replace=github.com/pulumi/pulumi/sdk/v3=github.com/pulumi/pulumi/sdk/v3@v3.246.0"
)
# Replaced with unpacked archives in every provider that uses the Terraform
# bridge (the proxy refuses the versions the bridge pins): MODULE ARCHIVE DIR.
BRIDGE_REPLACES=(
  "github.com/pulumi/pulumi-yaml pulumi-yaml-294c561f47f4 ."
  "github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3 pulumi-language-dotnet-6a2eb2585b50 pulumi-language-dotnet"
)

# Language hosts besides Node.js: NAME ARCHIVE VERSION. Not in the cache key
# (adding them must not rebuild the CLI); their markers hold the archive checksum.
EXTRA_LANGHOSTS=(
  "yaml pulumi-yaml-294c561f47f4 1.37.1-0.20260717123218-294c561f47f4"
  "python pulumi-language-python-v@PULUMI_VERSION@ @PULUMI_VERSION@"
)

PULUMI_MOD="github.com/pulumi/pulumi"
CLI_VERSION_PKG="$PULUMI_MOD/sdk/v3/go/common/version"
CLIPBOARD_REPLACE="github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e"

MODE=build
for arg in "$@"; do
  case "$arg" in
    --check) MODE=check ;;
    --print-env) MODE=print-env ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "pulumi-toolchain: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

log() { printf 'pulumi-toolchain: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v node >/dev/null || die "node is required (to read node_modules/@pulumi/*/package.json)"

# pulumi.version of a resource SDK (what it asks the engine for), or the
# package version of @pulumi/pulumi.
npm_version() {
  local pkg="$REPO_DIR/node_modules/@pulumi/$1/package.json"
  [[ -f "$pkg" ]] || die "$pkg is missing: run npm ci first"
  node -e '
    const p = require(process.argv[1]);
    const v = (p.pulumi && p.pulumi.version) || p.version;
    if (!v) process.exit(1);
    console.log(String(v).replace(/^v/, ""));
  ' "$pkg"
}

PULUMI_VERSION="$(npm_version pulumi)"
EXTRA_LANGHOSTS=("${EXTRA_LANGHOSTS[@]//@PULUMI_VERSION@/$PULUMI_VERSION}")
declare -A VERSION=()
for p in "${PROVIDERS[@]}"; do VERSION[$p]="$(npm_version "$p")"; done

# --- source archives ----------------------------------------------------------
SRC="${SIMPLE_PAAS_ENGINE_SRC:-$REPO_DIR/../shared/engine-src}"
[[ -d "$SRC" ]] || die "source archive folder $SRC not found (set SIMPLE_PAAS_ENGINE_SRC)"
SRC="$(cd "$SRC" && pwd)"
[[ -f "$SRC/SHA256SUMS" ]] || die "$SRC/SHA256SUMS not found"

# The archives this build uses, with what each is for.
declare -A ARCHIVE_FOR=()
LANGHOST_ARCHIVE="pulumi-language-nodejs-v$PULUMI_VERSION"
ARCHIVE_FOR[$LANGHOST_ARCHIVE]="pulumi-language-nodejs v$PULUMI_VERSION"
for p in "${PROVIDERS[@]}"; do
  ARCHIVE_FOR["pulumi-$p-v${VERSION[$p]}"]="pulumi-resource-$p ${VERSION[$p]}"
  up="${UPSTREAM[$p@${VERSION[$p]}]:-}"
  [[ -z "$up" ]] || ARCHIVE_FOR[$up]="../upstream of pulumi-resource-$p ${VERSION[$p]}"
done
for r in "${BRIDGE_REPLACES[@]}"; do
  read -r _ a _ <<<"$r"
  ARCHIVE_FOR[$a]="replace target of ${r%% *} (bridged providers)"
done
mapfile -t ARCHIVES < <(printf '%s\n' "${!ARCHIVE_FOR[@]}" | sort)

# A missing archive or checksum line stops everything, in every mode.
bad=()
for a in "${ARCHIVES[@]}"; do
  if [[ ! -f "$SRC/$a.tar.gz" ]]; then
    have="$(cd "$SRC" && find . -maxdepth 1 -name "${a%-*}-*.tar.gz" -printf '%f ' )"
    bad+=("$a.tar.gz (for ${ARCHIVE_FOR[$a]}) is not in $SRC${have:+; there is: $have}")
  elif ! awk -v f="$a.tar.gz" '{ n = $2; sub(/^\*/, "", n) } n == f { found = 1 } END { exit !found }' "$SRC/SHA256SUMS"; then
    bad+=("$a.tar.gz (for ${ARCHIVE_FOR[$a]}) has no line in $SRC/SHA256SUMS")
  fi
done
if (( ${#bad[@]} > 0 )); then
  log "error: missing source archives for the requested versions:"
  printf '  - %s\n' "${bad[@]}" >&2
  exit 1
fi
# The SHA256SUMS lines of the archives used, sorted by name.
SUMS="$(for a in "${ARCHIVES[@]}"; do
  awk -v f="$a.tar.gz" '{ n = $2; sub(/^\*/, "", n) } n == f { print $1 "  " n; exit }' "$SRC/SHA256SUMS"
done)"

# The extra language hosts' archives: missing ones are reported by --check and
# the build, never part of the key.
extra_sum() { # ARCHIVE -> its SHA256SUMS line, or nothing
  awk -v f="$1.tar.gz" '{ n = $2; sub(/^\*/, "", n) } n == f { print $1 "  " n; exit }' "$SRC/SHA256SUMS"
}

# Cache key: the versions, plus a short hash of the recipe revision and the
# checksums of the archives used.
KEY="pulumi-$PULUMI_VERSION"
for p in "${PROVIDERS[@]}"; do KEY+="-$p-${VERSION[$p]}"; done
KEY+="-$(printf 'recipe %s\n%s\n' "$RECIPE_REV" "$SUMS" | sha256sum | cut -c1-12)"

CACHE_ROOT="${SIMPLE_PAAS_TOOLCHAIN_DIR:-$HOME/.cache/simple-paas/toolchain}"
OUT="$CACHE_ROOT/$KEY"
BIN="$OUT/bin"
PLUGINS="$OUT/plugins"
WORK="$OUT/work"
export PULUMI_HOME="$OUT/pulumi-home"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export GOTOOLCHAIN=local GOWORK=off GOFLAGS="-mod=mod -buildvcs=false"

plugin_dir() { echo "$PULUMI_HOME/plugins/resource-$1-v$2"; }
# Installed, not half-way, and the same file as plugins/pulumi-resource-NAME.
plugin_installed() { # NAME VERSION
  local dir; dir="$(plugin_dir "$1" "$2")"
  [[ -x "$dir/pulumi-resource-$1" && ! -e "$dir.partial" ]] &&
    cmp -s "$dir/pulumi-resource-$1" "$PLUGINS/pulumi-resource-$1"
}

# An extra language host is built from ARCHIVE when its marker holds that
# archive's checksum line (a new archive rebuilds it, nothing else).
extra_langhost_built() { # NAME ARCHIVE
  [[ -x "$BIN/pulumi-language-$1" && -f "$BIN/.pulumi-language-$1.source" ]] &&
    [[ "$(cat "$BIN/.pulumi-language-$1.source")" == "$(extra_sum "$2")" ]]
}

# Lists what is missing, one item per line; empty when complete.
missing() {
  [[ -x "$BIN/pulumi" ]] || echo "bin/pulumi"
  [[ -x "$BIN/pulumi-language-nodejs" ]] || echo "bin/pulumi-language-nodejs"
  local p r name a ver
  # shellcheck disable=SC2034 # ver is only in the message
  for r in "${EXTRA_LANGHOSTS[@]}"; do
    read -r name a ver <<<"$r"
    extra_langhost_built "$name" "$a" || echo "bin/pulumi-language-$name ($a, $ver)"
  done
  for p in "${PROVIDERS[@]}"; do
    if [[ ! -x "$PLUGINS/pulumi-resource-$p" ]]; then
      echo "plugins/pulumi-resource-$p"
    elif ! plugin_installed "$p" "${VERSION[$p]}"; then
      echo "PULUMI_HOME plugin resource $p ${VERSION[$p]}"
    fi
  done
}

print_env() {
  # shellcheck disable=SC2016 # $PATH is expanded by the eval, not here
  printf 'export PATH=%q:"$PATH"\n' "$BIN"
  printf 'export PULUMI_HOME=%q\n' "$PULUMI_HOME"
}

case "$MODE" in
  check)
    m="$(missing)"
    if [[ -z "$m" ]]; then log "complete: $OUT"; exit 0; fi
    log "incomplete ($OUT), missing:"
    while IFS= read -r line; do log "  missing: $line"; done <<<"$m"
    exit 1 ;;
  print-env)
    m="$(missing)"
    [[ -z "$m" ]] || log "warning: toolchain incomplete, run: bash scripts/pulumi-toolchain.sh"
    print_env
    exit 0 ;;
esac

for tool in go tar patch sha256sum flock cmp; do
  command -v "$tool" >/dev/null || die "$tool is required"
done

# Refuse archives that do not match SHA256SUMS, before anything is built.
if ! failed="$(cd "$SRC" && printf '%s\n' "$SUMS" | sha256sum -c --quiet - 2>&1)"; then
  log "error: source archives in $SRC do not match SHA256SUMS; refusing to build:"
  printf '%s\n' "$failed" | sed 's/^/    /' >&2
  exit 1
fi
log "source archives verified against $SRC/SHA256SUMS (${#ARCHIVES[@]} used)"

mkdir -p "$BIN" "$PLUGINS" "$WORK" "$PULUMI_HOME"
# One build per cache dir at a time.
exec 9>"$OUT/.lock"
if ! flock -n 9; then
  log "another build holds $OUT/.lock, waiting..."
  flock 9
fi

T0=$SECONDS
FAILED=()
BUILT=0

# Run CMD in DIR with its output appended to LOG, printing a heartbeat to
# stderr every 30 s; on failure, show the log's tail.
run_logged() { # LABEL LOG DIR CMD...
  local label="$1" logf="$2" dir="$3"; shift 3
  local start=$SECONDS next=$((SECONDS + 30)) pid rc=0
  printf '\n$ (in %s) %s\n' "$dir" "$*" >>"$logf"
  (cd "$dir" && "$@") >>"$logf" 2>&1 9>&- &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if (( SECONDS >= next )); then
      log "  ... $label: $((SECONDS - start))s"
      next=$((next + 30))
    fi
  done
  wait "$pid" || rc=$?
  if (( rc != 0 )); then
    log "$label failed (exit $rc) after $((SECONDS - start))s; last lines of $logf:"
    tail -n 25 "$logf" | sed 's/^/    /' >&2
  fi
  return "$rc"
}

# Unpack ARCHIVE (a folder of the same name) into DEST; files made writable.
# shellcheck disable=SC2317 # run via run_logged
unpack() { # ARCHIVE DEST
  mkdir -p "$2" && tar -xzf "$SRC/$1.tar.gz" -C "$2" && chmod -R u+w "$2/$1"
}

# The replace targets of the bridged providers, unpacked once per cache dir.
DEPS="$WORK/deps"
# shellcheck disable=SC2317 # run via run_logged
unpack_deps() {
  local r mod a sub
  for r in "${BRIDGE_REPLACES[@]}"; do
    read -r mod a sub <<<"$r"
    [[ -f "$DEPS/$a/.unpacked" ]] && continue
    rm -rf "${DEPS:?}/$a"
    unpack "$a" "$DEPS" || return 1
    [[ -f "$DEPS/$a/$sub/go.mod" ]] || { echo "no $sub/go.mod in $a ($mod)"; return 1; }
    touch "$DEPS/$a/.unpacked"
  done
}

install_binary() { # BUILT DEST
  chmod 0755 "$1" && mv -f "$1" "$2"
}

fmt_size() { du -h "$1" | cut -f1; }

# A fresh work dir for one binary: WORK/NAME with build.log.
new_workdir() { # NAME
  local w="$WORK/$1"
  rm -rf "$w" && mkdir -p "$w" && : >"$w/build.log" && echo "$w"
}

# --- pulumi CLI (module proxy) ------------------------------------------------
# shellcheck disable=SC2317 # run via run_logged
cli_module() { # VERSION (in the wrapper dir)
  printf 'module simplepaas.local/toolchain/pulumi-cli\n\ngo 1.24\n' >go.mod &&
    printf '//go:build tools\n\npackage tools\n\nimport _ "%s/pkg/v3/cmd/pulumi"\n' "$PULUMI_MOD" >tools.go &&
    go mod edit -replace="$CLIPBOARD_REPLACE" &&
    go get "$PULUMI_MOD/pkg/v3@$1" &&
    go mod tidy
}

build_cli() {
  local v="v$PULUMI_VERSION" w start=$SECONDS
  if [[ -x "$BIN/pulumi" ]] && [[ "$("$BIN/pulumi" version 2>/dev/null || true)" == "$v" ]]; then
    log "pulumi CLI $v: present"; return 0
  fi
  log "building pulumi CLI $v from the module proxy ($PULUMI_MOD/pkg/v3@$v)..."
  w="$(new_workdir pulumi-cli)" || return 1
  run_logged "pulumi CLI: go mod" "$w/build.log" "$w" cli_module "$v" || return 1
  run_logged "pulumi CLI: go build" "$w/build.log" "$w" go build \
    -ldflags "-s -w -X $CLI_VERSION_PKG.Version=$v" -o "$w/pulumi" "$PULUMI_MOD/pkg/v3/cmd/pulumi" || return 1
  install_binary "$w/pulumi" "$BIN/pulumi" || return 1
  echo "module proxy: $PULUMI_MOD/pkg/v3@$v" >"$BIN/.pulumi.source"
  BUILT=1
  log "built pulumi CLI $v in $((SECONDS - start))s ($(fmt_size "$BIN/pulumi"))"
}

# --- Node.js language host (archive) ------------------------------------------
# shellcheck disable=SC2317 # run via run_logged
langhost_module() { # VERSION (in sdk/nodejs/cmd/pulumi-language-nodejs)
  go mod edit -dropreplace="$PULUMI_MOD/pkg/v3" -dropreplace="$PULUMI_MOD/sdk/v3" \
    -require="$PULUMI_MOD/pkg/v3@$1" -require="$PULUMI_MOD/sdk/v3@$1"
}

build_langhost() {
  local v="v$PULUMI_VERSION" a="$LANGHOST_ARCHIVE" w d start=$SECONDS
  if [[ -x "$BIN/pulumi-language-nodejs" ]]; then
    log "pulumi-language-nodejs $v: present"; return 0
  fi
  log "building pulumi-language-nodejs $v from $a.tar.gz..."
  w="$(new_workdir pulumi-language-nodejs)" || return 1
  run_logged "pulumi-language-nodejs: unpack" "$w/build.log" "$w" unpack "$a" "$w/src" || return 1
  d="$w/src/$a/sdk/nodejs/cmd/pulumi-language-nodejs"
  run_logged "pulumi-language-nodejs: go.mod" "$w/build.log" "$d" langhost_module "$v" || return 1
  run_logged "pulumi-language-nodejs: go build" "$w/build.log" "$d" go build \
    -ldflags "-s -w -X $CLI_VERSION_PKG.Version=$v" -o "$w/pulumi-language-nodejs" . || return 1
  install_binary "$w/pulumi-language-nodejs" "$BIN/pulumi-language-nodejs" || return 1
  echo "$a.tar.gz" >"$BIN/.pulumi-language-nodejs.source"
  BUILT=1
  log "built pulumi-language-nodejs $v in $((SECONDS - start))s ($(fmt_size "$BIN/pulumi-language-nodejs"))"
}

# --- resource plugins (archives) ----------------------------------------------
# Prepares TOP/provider for `go build`: ../upstream with patches, version
# pins, replaces for the bridge, schema-embed.json.
# shellcheck disable=SC2317 # run via run_logged
provider_prepare() { # NAME VERSION TOP (in TOP/provider)
  local name="$1" ver="$2" top="$3" up edits r mod a sub pf cmd="cmd/pulumi-resource-$1"
  if grep -q '=> \.\./upstream' go.mod; then
    up="${UPSTREAM[$name@$ver]:-}"
    [[ -n "$up" ]] || { echo "provider/go.mod replaces ../upstream, but no UPSTREAM row for $name@$ver"; return 1; }
    unpack "$up" "$top" && mv "$top/$up" "$top/upstream" || return 1
    if [[ -d "$top/patches" ]]; then
      for pf in "$top"/patches/*.patch; do
        [[ -e "$pf" ]] || continue
        echo "applying ${pf##*/}"
        (cd "$top/upstream" && patch -p1 --batch --forward <"$pf") || return 1
      done
    fi
  fi
  edits="${GOMOD_EDITS[$name@$ver]:-}"
  if [[ -n "$edits" ]]; then
    local -a args
    read -ra args <<<"$(tr '\n' ' ' <<<"$edits")"
    go mod edit "${args[@]}" || return 1
  fi
  if grep -q 'github.com/pulumi/pulumi-terraform-bridge/' go.mod; then
    for r in "${BRIDGE_REPLACES[@]}"; do
      read -r mod a sub <<<"$r"
      go mod edit -replace="$mod=$DEPS/$a/$sub" || return 1
    done
  fi
  [[ -d "$cmd" ]] || { echo "no $cmd"; return 1; }
  if grep -qs 'schema-embed.json' "$cmd"/*.go; then
    node -e '
      const fs = require("fs");
      const s = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      s.version = process.argv[3];
      fs.writeFileSync(process.argv[2], JSON.stringify(s));
    ' "$cmd/schema.json" "$cmd/schema-embed.json" "$ver" || return 1
  fi
  echo "go.mod after edits:"; grep -n '=>' go.mod || echo "(no replace directives)"
}

build_provider() { # NAME
  local name="$1" ver="${VERSION[$1]}" a="pulumi-$1-v${VERSION[$1]}" w top d modpath start=$SECONDS
  if [[ -x "$PLUGINS/pulumi-resource-$name" ]]; then log "pulumi-resource-$name $ver: present"; return 0; fi
  log "building pulumi-resource-$name $ver from $a.tar.gz${UPSTREAM[$name@$ver]:+ + ${UPSTREAM[$name@$ver]}.tar.gz}..."
  w="$(new_workdir "pulumi-resource-$name")" || return 1
  run_logged "pulumi-resource-$name: unpack" "$w/build.log" "$w" unpack "$a" "$w/src" || return 1
  top="$w/src/$a"; d="$top/provider"
  if grep -q 'github.com/pulumi/pulumi-terraform-bridge/' "$d/go.mod"; then
    run_logged "bridge replace targets: unpack" "$w/build.log" "$WORK" unpack_deps || return 1
  fi
  run_logged "pulumi-resource-$name: prepare" "$w/build.log" "$d" provider_prepare "$name" "$ver" "$top" || return 1
  modpath="$(awk '$1 == "module" { print $2; exit }' "$d/go.mod")"
  run_logged "pulumi-resource-$name: go build" "$w/build.log" "$d" go build \
    -ldflags "-s -w -X $modpath/pkg/version.Version=v$ver" -o "$w/pulumi-resource-$name" "./cmd/pulumi-resource-$name" || return 1
  install_binary "$w/pulumi-resource-$name" "$PLUGINS/pulumi-resource-$name" || return 1
  echo "$a.tar.gz${UPSTREAM[$name@$ver]:+ ${UPSTREAM[$name@$ver]}.tar.gz}" >"$PLUGINS/.pulumi-resource-$name.source"
  BUILT=1
  log "built pulumi-resource-$name $ver in $((SECONDS - start))s ($(fmt_size "$PLUGINS/pulumi-resource-$name"))"
}

install_plugin() { # NAME
  local name="$1" ver="${VERSION[$1]}" dir
  plugin_installed "$name" "$ver" && return 0
  dir="$(plugin_dir "$name" "$ver")"
  log "installing plugin resource $name $ver into $PULUMI_HOME"
  rm -rf "$dir" "$dir.partial" "$dir.lock"
  "$BIN/pulumi" plugin install resource "$name" "$ver" --file "$PLUGINS/pulumi-resource-$name" >&2 || return 1
  plugin_installed "$name" "$ver"
}

# --- other language hosts (archives; not part of the cache key) --------------
# shellcheck disable=SC2317 # run via run_logged
build_extra_langhost() { # NAME ARCHIVE VERSION
  local name="$1" a="$2" ver="$3" w d sum start=$SECONDS
  sum="$(extra_sum "$a")"
  if [[ -z "$sum" || ! -f "$SRC/$a.tar.gz" ]]; then
    log "pulumi-language-$name: $a.tar.gz or its SHA256SUMS line is missing in $SRC"; return 1
  fi
  if extra_langhost_built "$name" "$a"; then log "pulumi-language-$name $ver: present"; return 0; fi
  if ! (cd "$SRC" && printf '%s\n' "$sum" | sha256sum -c --quiet - >/dev/null 2>&1); then
    log "pulumi-language-$name: $a.tar.gz does not match SHA256SUMS; refusing to build"; return 1
  fi
  log "building pulumi-language-$name $ver from $a.tar.gz..."
  w="$(new_workdir "pulumi-language-$name")" || return 1
  run_logged "pulumi-language-$name: unpack" "$w/build.log" "$w" unpack "$a" "$w/src" || return 1
  local pkg ldflags
  case "$name" in
    yaml) # the module proxy serves everything it needs
      d="$w/src/$a"; pkg="./cmd/pulumi-language-yaml"
      ldflags="-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$ver" ;;
    python) # as the Node.js host: the proxy refuses this module, so pin pkg/sdk instead of the replaces
      d="$w/src/$a/sdk/python/cmd/pulumi-language-python"; pkg="."
      ldflags="-s -w -X $CLI_VERSION_PKG.Version=v$ver"
      run_logged "pulumi-language-python: go.mod" "$w/build.log" "$d" langhost_module "v$ver" || return 1 ;;
    *) log "no recipe for pulumi-language-$name"; return 1 ;;
  esac
  run_logged "pulumi-language-$name: go build" "$w/build.log" "$d" go build \
    -ldflags "$ldflags" -o "$w/pulumi-language-$name" "$pkg" || return 1
  install_binary "$w/pulumi-language-$name" "$BIN/pulumi-language-$name" || return 1
  if [[ "$name" == python ]]; then
    # The Python host runs this shim from beside itself.
    install_binary "$w/src/$a/sdk/python/cmd/pulumi-language-python-exec" "$BIN/pulumi-language-python-exec" || return 1
  fi
  printf '%s\n' "$sum" >"$BIN/.pulumi-language-$name.source"
  BUILT=1
  log "built pulumi-language-$name $ver in $((SECONDS - start))s ($(fmt_size "$BIN/pulumi-language-$name"))"
}

log "toolchain dir: $OUT"
build_cli || FAILED+=("pulumi CLI v$PULUMI_VERSION")
build_langhost || FAILED+=("pulumi-language-nodejs v$PULUMI_VERSION")
for p in "${PROVIDERS[@]}"; do
  build_provider "$p" || { FAILED+=("pulumi-resource-$p ${VERSION[$p]}"); continue; }
  if [[ -x "$BIN/pulumi" ]]; then
    install_plugin "$p" || FAILED+=("plugin install $p ${VERSION[$p]}")
  else
    FAILED+=("plugin install $p ${VERSION[$p]} (no CLI)")
  fi
done

for r in "${EXTRA_LANGHOSTS[@]}"; do
  read -r name a ver <<<"$r"
  build_extra_langhost "$name" "$a" "$ver" || FAILED+=("pulumi-language-$name $ver")
done

if (( ${#FAILED[@]} > 0 )); then
  log "done in $((SECONDS - T0))s; NOT built:"
  printf '  - %s\n' "${FAILED[@]}" >&2
  log "what was built is in $OUT (logs: $WORK/*/build.log; see docs/ENGINE.md)"
  exit 1
fi
if [[ "$BUILT" == 1 && "${SIMPLE_PAAS_TOOLCHAIN_CLEAN_GO_CACHE:-0}" == 1 ]]; then
  log "SIMPLE_PAAS_TOOLCHAIN_CLEAN_GO_CACHE=1: go clean -cache"
  go clean -cache
fi
log "complete in $((SECONDS - T0))s: $OUT"
echo "$BIN"
exit
}
