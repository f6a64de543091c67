# shellcheck shell=bash
# shellcheck disable=SC2034 # variables shared with the other parts of sp (the assembled sp is checked whole)
# `sp adopt SITE`: the snapshots of a repository the original scripts made
# for the site (backup.env's SP_ADOPT_REPOSITORY, opened with adopt_pass,
# its backend credentials from restic.env) copied into the site's own
# repository and tagged site=SITE kind=adopted layout=original, so that
# restore (latest or by id), the restore on creation, drills and prune
# treat them as the site's. Run again, it copies only what is new there: a
# copy keeps its source's id as its "original", which tells what is
# already here.
#
# The source is the site's: those scripts ran restic in its container, with
# its password, and kept a local repository in its data dir. So root only
# reads it: --no-lock (restic writes no lock there, and so never chmods a
# lock the site swapped for a link) and --no-cache (restic names its cache
# dir after the id in the repository's config, which the site could set to
# ../../anywhere). A local one must hold only files and directories (no
# link, FIFO or device to read through), and snapshots dated in the future
# are not copied (one would stay "latest" for ever).
#
# A part of the `sp` command (components/render/sp-command.ts puts CONF_DIR
# and SP_SELF in front of the parts); this header ends at the first blank line.

restic_adopted() { restic_repo "$SP_ADOPT_REPOSITORY" "$SITE_DIR/backup/adopt_pass" "$@"; }

# snapshot_originals JSON: one "ID ORIGINAL TIME" line per snapshot (the original is the id when there is none).
snapshot_originals() { jq -r '.[] | "\(.id) \(.original // .id) \(.time)"'; }

# True when the site's repository holds snapshots adopted earlier.
adopted_before() {
  local json
  probe_repo
  [[ "$REPO_STATE" == ok ]] || return 1
  json="$(restic_site snapshots --json --tag "site=$SP_SITE,kind=adopted")" || die "cannot list the snapshots of $SP_RESTIC_REPOSITORY"
  (( $(jq length <<<"$json") > 0 ))
}

cmd_adopt() {
  (( $# == 1 )) || usage_error "usage: sp adopt SITE"
  check_site_name "$1"
  load_site_backup "$1"
  [[ -n "${SP_ADOPT_REPOSITORY:-}" ]] || die "'$SP_SITE' has no repository to adopt (its backup has no adopt setting)"
  [[ -f "$SITE_DIR/backup/adopt_pass" ]] || die "there is no $SITE_DIR/backup/adopt_pass"
  lock_site
  begin_event adopt "$SP_SITE"
  local source_json own_json id original stamp copied=() tagged=() future=() dir="" odd now
  declare -A have=()
  case "$SP_ADOPT_REPOSITORY" in
    local:/*) dir="${SP_ADOPT_REPOSITORY#local:}" ;;
    /*) dir="$SP_ADOPT_REPOSITORY" ;;
  esac
  # A new host from the backups: the old host's repository went with it, its copies did not.
  if [[ -n "$dir" && ! -e "$dir" ]] && adopted_before; then
    warn "$SP_ADOPT_REPOSITORY is gone, and its snapshots were adopted before: nothing to copy"
    log_event adopt ok "from=$SP_ADOPT_REPOSITORY gone; adopted before"
    EV_DONE=1
    return 0
  fi
  if [[ -n "$dir" ]]; then
    [[ -d "$dir" && ! -L "$dir" ]] || die "$SP_ADOPT_REPOSITORY is not a directory; nothing was copied"
    odd="$(find "$dir" ! -type f ! -type d -print -quit)" || die "cannot read $SP_ADOPT_REPOSITORY"
    [[ -z "$odd" ]] || die "$SP_ADOPT_REPOSITORY holds $odd, neither a file nor a directory (a restic repository holds only those); nothing was copied"
  fi
  source_json="$(restic_adopted --no-lock --no-cache snapshots --json 2>"$WORK/source.err")" || {
    cat -- "$WORK/source.err" >&2
    die "cannot list the snapshots of $SP_ADOPT_REPOSITORY with $SITE_DIR/backup/adopt_pass (the original scripts' password for '$SP_SITE'?)"
  }
  probe_repo
  if [[ "$REPO_STATE" == missing ]]; then
    warn "creating the restic repository $SP_RESTIC_REPOSITORY (with the chunker parameters of $SP_ADOPT_REPOSITORY: copies share their data)"
    restic_site --no-cache init --copy-chunker-params --from-repo "$SP_ADOPT_REPOSITORY" --from-password-file "$SITE_DIR/backup/adopt_pass" >&2 ||
      die "restic init of $SP_RESTIC_REPOSITORY failed"
  fi
  own_json="$(restic_site snapshots --json 2>"$WORK/own.err")" || {
    cat -- "$WORK/own.err" >&2
    if grep -qi "wrong password" "$WORK/own.err"; then die_wrong_password; fi
    die "cannot list the snapshots of $SP_RESTIC_REPOSITORY"
  }
  while read -r id original stamp; do
    if [[ -n "$id" ]]; then have["$original"]=1; fi
  done < <(snapshot_originals <<<"$own_json")
  local todo=() originals=()
  now="$(date +%s)"
  while read -r id original stamp; do
    if [[ -z "$id" ]]; then continue; fi
    if (( $(date -d "$stamp" +%s) > now + 3600 )); then
      future+=("${id:0:8}")
      continue
    fi
    originals+=("$original")
    if [[ -z "${have[$original]:-}" ]]; then todo+=("$id"); fi
  done < <(snapshot_originals <<<"$source_json")
  if (( ${#future[@]} )); then warn "not copied, dated in the future: ${future[*]}"; fi
  if (( ${#todo[@]} )); then
    warn "copying ${#todo[@]} snapshot(s) from $SP_ADOPT_REPOSITORY"
    restic_site --no-lock --no-cache copy --from-repo "$SP_ADOPT_REPOSITORY" --from-password-file "$SITE_DIR/backup/adopt_pass" "${todo[@]}" >&2 ||
      die "restic copy from $SP_ADOPT_REPOSITORY failed"
    copied=("${todo[@]}")
    own_json="$(restic_site snapshots --json)" || die "cannot list the snapshots of $SP_RESTIC_REPOSITORY"
  fi
  # Copies of the source's snapshots not yet tagged as the site's (this run's, or those of a run cut short before it tagged them).
  local wanted=" ${originals[*]:-} "
  while read -r id original stamp; do
    if [[ -n "$id" && "$wanted" == *" $original "* ]]; then tagged+=("$id"); fi
  done < <(jq -r --arg tag "site=$SP_SITE" '[.[] | select((.tags // []) | index($tag) | not)]' <<<"$own_json" | snapshot_originals)
  if (( ${#tagged[@]} )); then
    restic_site tag --add "site=$SP_SITE" --add kind=adopted --add layout=original "${tagged[@]}" >&2 ||
      die "restic tag of the copied snapshots failed"
  fi
  log_event adopt ok "from=$SP_ADOPT_REPOSITORY copied=${#copied[@]} tagged=${#tagged[@]} future=${#future[@]} source-snapshots=$(jq length <<<"$source_json")"
  EV_DONE=1
}
