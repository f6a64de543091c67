# shellcheck shell=bash
# The start of every host script simple-paas renders (after its values, SP_TAG
# among them): logging, change accounting and file/dir helpers.
#
# - stdout is redirected to stderr for the whole script (`exec 3>&1 1>&2`):
#   command resources keep stdout as an output, so only a deliberate `>&3`
#   may reach it (site setup prints its JSON that way).
# - `lastpipe` lets `producer | sp_write_file ...` run the writer in this
#   shell, so its change count and temp-file cleanup are not lost in a
#   subshell, while `pipefail` still fails on a broken producer.

exec 3>&1 1>&2
shopt -s lastpipe
umask 022

sp_log() { printf 'simple-paas %s: %s\n' "$SP_TAG" "$*" >&2; }
sp_die() { sp_log "ERROR: $*"; exit 1; }
SP_CHANGES=0
sp_changed() { SP_CHANGES=$((SP_CHANGES + 1)); sp_log "$*"; }
sp_finish() {
  if [ "$SP_CHANGES" -eq 0 ]; then sp_log "done: nothing changed"; else sp_log "done: $SP_CHANGES change(s)"; fi
}

# Temp files are removed on exit: a failed write's, and those a script adds
# to SP_CLEANUP_FILES (scripts add to it rather than set their own trap).
sp_tmp=""
SP_CLEANUP_FILES=()
sp_on_exit() {
  if [ -n "$sp_tmp" ]; then rm -f -- "$sp_tmp"; fi
  if [ "${#SP_CLEANUP_FILES[@]}" -gt 0 ]; then rm -rf -- "${SP_CLEANUP_FILES[@]}"; fi
}
trap sp_on_exit EXIT

# Host steps run as root; a step on the machine running Pulumi says SP_AS_ROOT=no.
[ "${SP_AS_ROOT:-yes}" = no ] || [ "$(id -u)" = 0 ] || sp_die "must run as root"

# sp_parent_safe PATH: the directory PATH is in belongs to root (or to this
# script's user) and nobody else may write to it, so nobody can swap PATH
# for a link between a check and a change. Paths in a site's data dir are
# the site's: what must happen there, the site's own user does.
sp_parent_safe() {
  local parent attrs
  parent=$(dirname -- "$1")
  attrs=$(stat -L -c '%u %a' -- "$parent") || sp_die "cannot read $parent"
  case "${attrs% *}" in 0 | "$(id -u)") ;; *) sp_die "$parent is not root's: refusing to change $1 by its path" ;; esac
  case "${attrs#* }" in *[2367]? | *[2367]) sp_die "$parent can be written by others than its owner: refusing to change $1 by its path" ;; esac
}

# sp_ensure_attrs PATH MODE OWNER GROUP: fixes owner/mode that drifted, by
# path, so only in a directory nobody else can write (sp_parent_safe).
sp_ensure_attrs() {
  local path="$1" mode="$2" owner="$3" group="$4" want have
  sp_parent_safe "$path"
  [ ! -L "$path" ] || sp_die "$path is a symlink; refusing to change it"
  want="$(printf '%o' "$((8#$mode))") $owner $group"
  have=$(stat -c '%a %U %G' -- "$path")
  if [ "$have" != "$want" ]; then
    chown -h -- "$owner:$group" "$path"
    # A leading 0 more: GNU chmod keeps a directory's setgid bit otherwise.
    chmod -- "0$mode" "$path"
    sp_changed "$path: owner/mode $have -> $want"
  fi
}

# sp_ensure_dir PATH MODE OWNER GROUP
sp_ensure_dir() {
  if [ -L "$1" ] || { [ -e "$1" ] && [ ! -d "$1" ]; }; then
    sp_die "$1 exists and is not a directory"
  fi
  if [ -d "$1" ]; then
    sp_ensure_attrs "$@"
  else
    mkdir -p -- "$1"
    sp_parent_safe "$1"
    chown -h -- "$3:$4" "$1"
    chmod -- "0$2" "$1"
    sp_changed "$1: created ($2 $3:$4)"
  fi
}

# sp_remove_file PATH: removes a file a step installed (a link too, never
# its target); one already gone is fine.
sp_remove_file() {
  if [ -e "$1" ] || [ -L "$1" ]; then
    rm -f -- "$1"
    sp_changed "$1: removed"
  else
    sp_log "$1: already gone"
  fi
}

# sp_write_file PATH MODE OWNER GROUP < CONTENT
# Atomic (temp file in the same directory, then mv) and only when the content
# differs; sets SP_FILE_CHANGED=1 when it wrote. Never logs the content.
# shellcheck disable=SC2034 # SP_FILE_CHANGED is read by the scripts that restart on change
SP_FILE_CHANGED=0
# shellcheck disable=SC2034 # the same variable, set in here
sp_write_file() {
  local path="$1" mode="$2" owner="$3" group="$4" dir
  dir=$(dirname -- "$path")
  [ -d "$dir" ] || sp_die "directory $dir does not exist"
  sp_parent_safe "$path"
  [ ! -L "$path" ] || sp_die "$path is a symlink; refusing to write through it"
  [ ! -d "$path" ] || sp_die "$path is a directory"
  sp_tmp=$(mktemp -- "$dir/.sp-write.XXXXXX") # mktemp creates it 0600
  cat >"$sp_tmp"
  if [ -f "$path" ] && cmp -s -- "$sp_tmp" "$path"; then
    rm -f -- "$sp_tmp"
    sp_tmp=""
    SP_FILE_CHANGED=0
    sp_log "$path: unchanged"
    sp_ensure_attrs "$path" "$mode" "$owner" "$group"
  else
    chown -- "$owner:$group" "$sp_tmp"
    chmod -- "0$mode" "$sp_tmp"
    mv -f -- "$sp_tmp" "$path"
    sp_tmp=""
    SP_FILE_CHANGED=1
    sp_changed "$path: written"
  fi
}
