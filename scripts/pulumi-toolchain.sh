#!/usr/bin/env bash
# Build the Pulumi engine (CLI + Node.js language host) and the resource
# plugins this project uses from their Go modules, with this machine's Go
# toolchain, so that `pulumi up` runs without downloading anything.
#
#   bash scripts/pulumi-toolchain.sh               build what is missing, install the
#                                                  plugins into PULUMI_HOME, print the bin dir
#   bash scripts/pulumi-toolchain.sh --check       exit 0 only if everything is built
#   bash scripts/pulumi-toolchain.sh --print-env   print `export ...` lines for eval
#   bash scripts/pulumi-toolchain.sh --langhost-fallback
#        (or SIMPLE_PAAS_LANGHOST_FALLBACK=1) if the pinned language host module
#        is refused by the module proxy, build the language host from the newest
#        served sdk/v3 release that still contains it (see docs/ENGINE.md)
#
# Versions come from node_modules/@pulumi/*/package.json (what the npm SDKs
# request). Output goes to
#   ${SIMPLE_PAAS_TOOLCHAIN_DIR:-$HOME/.cache/simple-paas/toolchain}/<key>/
# with bin/ (pulumi, pulumi-language-nodejs), plugins/ (pulumi-resource-NAME),
# pulumi-home/ (default PULUMI_HOME) and work/ (generated wrapper modules, logs).
# Go's module and build caches stay in their default places.
# How and why: docs/ENGINE.md.
set -euo pipefail
# The whole script is one brace group, read completely before it runs, so
# editing this file during a long build does not disturb that build.
{

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"
TEMPLATES="$SCRIPT_DIR/toolchain"

# Resource plugins, in build order. Their versions are read at run time.
PROVIDERS=(command docker mysql random)

# Providers' local `replace` targets (`=> ./shim`, `=> ../upstream`), which a
# module zip cannot carry. Key: "NAME@VERSION|MODULE" (checked first) or
# "NAME|MODULE". Value: "shim:DIR" (a folder under scripts/toolchain/shims)
# or "MODULE VERSION" (a module from the proxy). Upstream pins are per
# provider version: a version bump without a row here fails loudly.
declare -A LOCAL_REPLACE=(
  ["random|github.com/terraform-providers/terraform-provider-random/shim"]="shim:random"
  ["docker|github.com/terraform-providers/terraform-provider-docker/shim"]="shim:docker"
  ["docker@5.2.0|github.com/terraform-providers/terraform-provider-docker"]="github.com/kreuzwerker/terraform-provider-docker v0.0.0-20260916201441-96d331c98ff4"
  ["mysql@3.3.2|github.com/terraform-providers/terraform-provider-mysql"]="github.com/terraform-providers/terraform-provider-mysql v1.9.0"
)

# Fallback for the Node.js language host (opt-in, see --langhost-fallback):
# the newest sdk/v3 release served here whose zip still has the host as a
# package (it became a module of its own after that).
LANGHOST_FALLBACK_SDK="v3.68.0"

PULUMI_MOD="github.com/pulumi/pulumi"
LANGHOST_MOD="$PULUMI_MOD/sdk/nodejs/cmd/pulumi-language-nodejs/v3"
CLI_VERSION_PKG="$PULUMI_MOD/sdk/v3/go/common/version"

MODE=build
LANGHOST_FALLBACK="${SIMPLE_PAAS_LANGHOST_FALLBACK:-0}"
for arg in "$@"; do
  case "$arg" in
    --check) MODE=check ;;
    --print-env) MODE=print-env ;;
    --langhost-fallback) LANGHOST_FALLBACK=1 ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
declare -A VERSION=()
KEY="pulumi-$PULUMI_VERSION"
for p in "${PROVIDERS[@]}"; do
  VERSION[$p]="$(npm_version "$p")"
  KEY+="-$p-${VERSION[$p]}"
done

CACHE_ROOT="${SIMPLE_PAAS_TOOLCHAIN_DIR:-$HOME/.cache/simple-paas/toolchain}"
OUT="$CACHE_ROOT/$KEY"
BIN="$OUT/bin"
PLUGINS="$OUT/plugins"
WORK="$OUT/work"
export PULUMI_HOME="${PULUMI_HOME:-$OUT/pulumi-home}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export GOTOOLCHAIN=local

plugin_installed() { # NAME VERSION
  local dir="$PULUMI_HOME/plugins/resource-$1-v$2"
  [[ -x "$dir/pulumi-resource-$1" && ! -e "$dir.partial" ]]
}

# Lists what is missing, one item per line; empty when complete.
missing() {
  [[ -x "$BIN/pulumi" ]] || echo "bin/pulumi"
  [[ -x "$BIN/pulumi-language-nodejs" ]] || echo "bin/pulumi-language-nodejs"
  local p
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

command -v go >/dev/null || die "go is required"
mkdir -p "$BIN" "$PLUGINS" "$WORK" "$PULUMI_HOME"
# One build per cache dir at a time.
exec 9>"$OUT/.lock"
if ! flock -n 9; then
  log "another build holds $OUT/.lock, waiting..."
  flock 9
fi

T0=$SECONDS
FAILED=()

# Run CMD in DIR with its output appended to DIR/build.log, printing a
# heartbeat to stderr every 30 s; on failure, show the log's tail.
run_logged() { # LABEL DIR CMD...
  local label="$1" dir="$2"; shift 2
  local start=$SECONDS next=$((SECONDS + 30)) pid rc=0
  (cd "$dir" && "$@") >>"$dir/build.log" 2>&1 9>&- &
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
    log "$label failed (exit $rc) after $((SECONDS - start))s; last lines of $dir/build.log:"
    tail -n 25 "$dir/build.log" | sed 's/^/    /' >&2
  fi
  return "$rc"
}

# `go mod download -json MOD@QUERY` -> one field (dotted path) of its JSON,
# or "ERROR: <go's error text>". The Origin of a tag is printed even when the
# download itself fails (e.g. a checksum DB miss), so Origin.Hash is read
# regardless of an error.
mod_field() { # MOD@QUERY FIELD
  local json
  json="$(cd "$WORK" && { go mod download -json "$1" 2>/dev/null || true; })"
  node -e '
    const [json, field] = process.argv.slice(1);
    let j; try { j = JSON.parse(json); } catch (e) { console.log("ERROR: no answer from go mod download"); process.exit(0); }
    let v = j; for (const k of field.split(".")) v = v == null ? undefined : v[k];
    if (j.Error && field !== "Origin.Hash") console.log("ERROR: " + j.Error.replace(/\s*\n\s*/g, " "));
    else if (v !== undefined && v !== "") console.log(v);
    else console.log("ERROR: " + (j.Error || "no " + field).replace(/\s*\n\s*/g, " "));
  ' "$json" "$2"
}

# The remote and local replace directives of a go.mod file, one per line:
# "OLD_PATH OLD_VERSION|- NEW_PATH NEW_VERSION|-".
replaces_of() { # GOMOD_FILE
  go mod edit -json "$1" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      for (const r of JSON.parse(s).Replace || [])
        console.log([r.Old.Path, r.Old.Version || "-", r.New.Path, r.New.Version || "-"].join(" "));
    });'
}

# The go directive of a go.mod file, at least 1.24 (the `tool` directive).
go_directive() { # GOMOD_FILE
  go mod edit -json "$1" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      const v = JSON.parse(s).Go || "1.24", n = v.split(".").map(Number);
      console.log(n[0] > 1 || n[1] >= 24 ? v : "1.24");
    });'
}

required_version() { # GOMOD_FILE MODULE
  go mod edit -json "$1" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      const r = (JSON.parse(s).Require || []).find(x => x.Path === process.argv[1]);
      console.log(r ? r.Version : "");
    });' "$2"
}

# Start a wrapper module in WORK/NAME: go.mod with the dependency's go
# directive, its requirement, and its remote replaces repeated.
new_wrapper() { # NAME DEP_GOMOD
  local dir="$WORK/$1"
  rm -rf "$dir"; mkdir -p "$dir"
  printf 'module simplepaas.local/toolchain/%s\n\ngo %s\n' "$1" "$(go_directive "$2")" >"$dir/go.mod"
  local old oldv new newv
  while read -r old oldv new newv; do
    [[ "$newv" == "-" ]] && continue # local replace: handled by the caller
    if [[ "$oldv" == "-" ]]; then
      (cd "$dir" && go mod edit -replace="$old=$new@$newv")
    else
      (cd "$dir" && go mod edit -replace="$old@$oldv=$new@$newv")
    fi
  done < <(replaces_of "$2")
  echo "$dir"
}

install_binary() { # BUILT DEST
  chmod 0755 "$1"
  mv -f "$1" "$2"
}

fmt_size() { du -h "$1" | cut -f1; }

# --- pulumi CLI ---------------------------------------------------------------
build_cli() {
  local v="v$PULUMI_VERSION"
  if [[ -x "$BIN/pulumi" ]] && [[ "$("$BIN/pulumi" version 2>/dev/null || true)" == "$v" ]]; then
    log "pulumi CLI $v: present"; return 0
  fi
  local start=$SECONDS gomod dir
  log "building pulumi CLI $v (takes a few minutes)..."
  gomod="$(mod_field "$PULUMI_MOD/pkg/v3@$v" GoMod)"
  if [[ "$gomod" == ERROR:* ]]; then log "pulumi CLI: module refused: ${gomod#ERROR: }"; return 1; fi
  dir="$(new_wrapper pulumi-cli "$gomod")"
  # pkg/go.mod: `sdk/v3 => ../sdk` (local) becomes sdk/v3 at the same version.
  (cd "$dir" && go mod edit -require="$PULUMI_MOD/pkg/v3@$v" -require="$PULUMI_MOD/sdk/v3@$v" \
      -tool="$PULUMI_MOD/pkg/v3/cmd/pulumi")
  run_logged "pulumi CLI: go mod tidy" "$dir" go mod tidy || return 1
  run_logged "pulumi CLI: go build" "$dir" go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X $CLI_VERSION_PKG.Version=$v" -o "$dir/pulumi" "$PULUMI_MOD/pkg/v3/cmd/pulumi" || return 1
  install_binary "$dir/pulumi" "$BIN/pulumi"
  log "built pulumi CLI $v in $((SECONDS - start))s ($(fmt_size "$BIN/pulumi"))"
}

# --- Node.js language host ----------------------------------------------------
build_langhost() {
  local v="v$PULUMI_VERSION"
  if [[ -x "$BIN/pulumi-language-nodejs" ]]; then
    log "pulumi-language-nodejs: present ($(cat "$BIN/.pulumi-language-nodejs.source" 2>/dev/null || echo unknown source))"
    return 0
  fi
  local start=$SECONDS commit pseudo gomod dir
  log "building pulumi-language-nodejs for $v..."
  # The commit behind the release tag vX (root, +incompatible), else pkg/vX.
  commit="$(mod_field "$PULUMI_MOD@$v+incompatible" Origin.Hash)"
  [[ "$commit" != ERROR:* ]] || commit="$(mod_field "$PULUMI_MOD/pkg/v3@$v" Origin.Hash)"
  if [[ "$commit" == ERROR:* ]]; then log "pulumi-language-nodejs: no commit for tag $v: ${commit#ERROR: }"; return 1; fi
  pseudo="$(mod_field "$LANGHOST_MOD@$commit" Version)"
  if [[ "$pseudo" == ERROR:* ]]; then
    log "pulumi-language-nodejs: the module proxy does not serve $LANGHOST_MOD@$commit:"
    log "    ${pseudo#ERROR: }"
    if [[ "$LANGHOST_FALLBACK" == 1 ]]; then
      build_langhost_fallback; return
    fi
    log "    (--langhost-fallback builds the host from sdk/v3@$LANGHOST_FALLBACK_SDK instead; see docs/ENGINE.md)"
    return 1
  fi
  gomod="$(mod_field "$LANGHOST_MOD@$pseudo" GoMod)"
  dir="$(new_wrapper pulumi-language-nodejs "$gomod")"
  # Its go.mod replaces pkg and sdk with ../ folders: pin both to the CLI's version.
  (cd "$dir" && go mod edit -require="$LANGHOST_MOD@$pseudo" -require="$PULUMI_MOD/pkg/v3@$v" \
      -require="$PULUMI_MOD/sdk/v3@$v" -tool="$LANGHOST_MOD")
  run_logged "pulumi-language-nodejs: go mod tidy" "$dir" go mod tidy || return 1
  run_logged "pulumi-language-nodejs: go build" "$dir" go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X $CLI_VERSION_PKG.Version=$v" -o "$dir/pulumi-language-nodejs" "$LANGHOST_MOD" || return 1
  install_binary "$dir/pulumi-language-nodejs" "$BIN/pulumi-language-nodejs"
  echo "$LANGHOST_MOD@$pseudo" >"$BIN/.pulumi-language-nodejs.source"
  log "built pulumi-language-nodejs $pseudo in $((SECONDS - start))s ($(fmt_size "$BIN/pulumi-language-nodejs"))"
}

build_langhost_fallback() {
  local sv="$LANGHOST_FALLBACK_SDK" start=$SECONDS gomod dir pkg
  pkg="$PULUMI_MOD/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
  log "WARNING: building the language host from sdk/v3@$sv (NOT $PULUMI_VERSION): --langhost-fallback"
  gomod="$(mod_field "$PULUMI_MOD/sdk/v3@$sv" GoMod)"
  if [[ "$gomod" == ERROR:* ]]; then log "fallback: ${gomod#ERROR: }"; return 1; fi
  dir="$(new_wrapper pulumi-language-nodejs "$gomod")"
  (cd "$dir" && go mod edit -require="$PULUMI_MOD/sdk/v3@$sv" -tool="$pkg")
  run_logged "pulumi-language-nodejs (fallback): go mod tidy" "$dir" go mod tidy || return 1
  run_logged "pulumi-language-nodejs (fallback): go build" "$dir" go build -trimpath \
    -ldflags "-s -w -X $CLI_VERSION_PKG.Version=$sv" -o "$dir/pulumi-language-nodejs" "$pkg" || return 1
  install_binary "$dir/pulumi-language-nodejs" "$BIN/pulumi-language-nodejs"
  echo "FALLBACK $PULUMI_MOD/sdk/v3@$sv (pinned $LANGHOST_MOD at v$PULUMI_VERSION was refused)" \
    >"$BIN/.pulumi-language-nodejs.source"
  log "built pulumi-language-nodejs from sdk/v3@$sv in $((SECONDS - start))s ($(fmt_size "$BIN/pulumi-language-nodejs"))"
}

# --- resource plugins ---------------------------------------------------------
# The commit behind the release tag vX.Y.Z of github.com/pulumi/pulumi-NAME:
# from the root tag (a +incompatible module for major >= 2) or the sdk tag.
release_commit() { # NAME VERSION
  local repo="github.com/pulumi/pulumi-$1" v="v$2" major="${2%%.*}" cand hash
  local -a cands
  if (( major >= 2 )); then
    cands=("$repo@$v+incompatible" "$repo/sdk/v$major@$v")
  else
    cands=("$repo@$v" "$repo/sdk@$v")
  fi
  for cand in "${cands[@]}"; do
    hash="$(mod_field "$cand" Origin.Hash)"
    if [[ "$hash" != ERROR:* ]]; then echo "$hash"; return 0; fi
  done
  echo "ERROR: the module proxy serves no module at tag $v (tried ${cands[*]}; last: ${hash#ERROR: })"
}

build_provider() { # NAME
  local name="$1" ver="${VERSION[$1]}" major="${VERSION[$1]%%.*}"
  local repo="github.com/pulumi/pulumi-$name" start=$SECONDS
  local commit mod="" pseudo="" gomod srcdir dir cand res
  if [[ -x "$PLUGINS/pulumi-resource-$name" ]]; then log "pulumi-resource-$name $ver: present"; return 0; fi
  log "building pulumi-resource-$name $ver..."
  commit="$(release_commit "$name" "$ver")"
  if [[ "$commit" == ERROR:* ]]; then log "pulumi-resource-$name: ${commit#ERROR: }"; return 1; fi
  # provider/vN, or provider/v(N-1) where a major release kept the old path
  # (checked for docker 5.x), or plain provider for v0/v1.
  local -a cands=()
  if (( major >= 2 )); then cands+=("$repo/provider/v$major" "$repo/provider/v$((major - 1))"); else cands+=("$repo/provider"); fi
  for cand in "${cands[@]}"; do
    res="$(mod_field "$cand@$commit" Version)"
    if [[ "$res" != ERROR:* ]]; then mod="$cand"; pseudo="$res"; break; fi
    log "  $cand@$commit: ${res#ERROR: }"
  done
  if [[ -z "$mod" ]]; then
    log "pulumi-resource-$name: the module proxy serves no provider module at $commit (tag v$ver)"
    return 1
  fi
  gomod="$(mod_field "$mod@$pseudo" GoMod)"
  srcdir="$(mod_field "$mod@$pseudo" Dir)"
  dir="$(new_wrapper "pulumi-resource-$name" "$gomod")"
  (cd "$dir" && go mod edit -require="$mod@$pseudo")

  # Local replaces: shims of our own, or upstream modules at their pins.
  local old oldv new newv target
  while read -r old oldv new newv; do
    [[ "$newv" == "-" ]] || continue
    if [[ "$old" == "$repo/sdk" || "$old" == "$repo/sdk/"* ]]; then
      # its own SDK (`=> ../sdk`): the release tag of that module
      (cd "$dir" && go mod edit -require="$old@v$ver")
      continue
    fi
    target="${LOCAL_REPLACE[$name@$ver|$old]:-${LOCAL_REPLACE[$name|$old]:-}}"
    if [[ -z "$target" ]]; then
      log "pulumi-resource-$name: unhandled local replace '$old => $new' in $mod@$pseudo: add a LOCAL_REPLACE row"
      return 1
    fi
    if [[ "$target" == shim:* ]]; then
      local shim="$dir/shims/${target#shim:}" upstream="${old%/shim}" upv
      mkdir -p "$shim"
      cp "$TEMPLATES/shims/${target#shim:}/"*.go "$shim/"
      upv="$(required_version "$gomod" "$upstream")"
      printf 'module %s\n\ngo %s\n\nrequire %s %s\n' "$old" "$(go_directive "$gomod")" "$upstream" "${upv:-v0.0.0}" >"$shim/go.mod"
      (cd "$dir" && go mod edit -replace="$old=./shims/${target#shim:}")
    else
      (cd "$dir" && go mod edit -replace="$old=${target% *}@${target#* }")
    fi
  done < <(replaces_of "$gomod")

  # The main package: built in place, unless it embeds the gitignored
  # schema-embed.json; then a copy of it goes into the wrapper together with
  # that file, made from the committed schema.json with its version set.
  local cmd="cmd/pulumi-resource-$name" pkg
  [[ -d "$srcdir/$cmd" ]] || { log "pulumi-resource-$name: no $cmd in $mod@$pseudo"; return 1; }
  if grep -qs 'schema-embed.json' "$srcdir/$cmd"/*.go; then
    mkdir -p "$dir/$cmd"
    find "$srcdir/$cmd" -maxdepth 1 -type f ! -name '*_test.go' -exec cp {} "$dir/$cmd/" \;
    chmod -R u+w "$dir/$cmd"
    node -e '
      const fs = require("fs");
      const s = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      s.version = process.argv[3];
      fs.writeFileSync(process.argv[2], JSON.stringify(s));
    ' "$dir/$cmd/schema.json" "$dir/$cmd/schema-embed.json" "$ver"
    pkg="./$cmd"
  else
    pkg="$mod/$cmd"
    (cd "$dir" && go mod edit -tool="$pkg")
  fi
  local ldflags="-s -w -X $mod/pkg/version.Version=$ver"
  [[ "$name" == docker ]] && ldflags+=" -X github.com/terraform-providers/terraform-provider-docker/shim.UpstreamVersion=pulumi-docker-$ver"
  run_logged "pulumi-resource-$name: go mod tidy" "$dir" go mod tidy || return 1
  run_logged "pulumi-resource-$name: go build" "$dir" go build -trimpath \
    -ldflags "$ldflags" -o "$dir/pulumi-resource-$name" "$pkg" || return 1
  install_binary "$dir/pulumi-resource-$name" "$PLUGINS/pulumi-resource-$name"
  echo "$mod@$pseudo" >"$PLUGINS/.pulumi-resource-$name.source"
  log "built pulumi-resource-$name $ver ($mod@$pseudo) in $((SECONDS - start))s ($(fmt_size "$PLUGINS/pulumi-resource-$name"))"
}

install_plugin() { # NAME
  local name="$1" ver="${VERSION[$1]}"
  plugin_installed "$name" "$ver" && return 0
  log "installing plugin resource $name $ver into $PULUMI_HOME"
  "$BIN/pulumi" plugin install resource "$name" "$ver" --file "$PLUGINS/pulumi-resource-$name" >&2
}

log "toolchain dir: $OUT"
build_cli || FAILED+=("pulumi CLI v$PULUMI_VERSION")
build_langhost || FAILED+=("pulumi-language-nodejs v$PULUMI_VERSION")
for p in "${PROVIDERS[@]}"; do
  build_provider "$p" || { FAILED+=("pulumi-resource-$p ${VERSION[$p]}"); continue; }
  if [[ -x "$BIN/pulumi" ]]; then
    install_plugin "$p" || FAILED+=("plugin install $p ${VERSION[$p]}")
  fi
done

if (( ${#FAILED[@]} > 0 )); then
  log "done in $((SECONDS - T0))s; NOT built:"
  printf '  - %s\n' "${FAILED[@]}" >&2
  log "what was built is in $OUT (see docs/ENGINE.md)"
  exit 1
fi
log "complete in $((SECONDS - T0))s: $OUT"
echo "$BIN"
exit
}
