# shellcheck shell=bash
# shellcheck disable=SC2034 # variables shared with the other parts of sp (the assembled sp is checked whole)
# `sp prune-images`: removes the site images nothing needs any more. Each
# route step records, per site, the image it moved traffic to and the
# reference it was deployed by (STATUS_DIR/SITE.images: "TIME ID REF",
# oldest first); an image is removed when it was a site's, no container
# uses it (running or stopped), and it is not among the newest KEEP of any
# site's deployments (what a rollback needs). Its names (tags, digests) in
# the repositories it was deployed from are removed, and docker deletes the
# image with its last name; names in other repositories, and images
# simple-paas never deployed, are not touched.
#
# A part of the `sp` command; this header ends at the first blank line.

# The repository of an image reference: without its @digest or :tag.
repo_of() {
  local r="${1%%@*}"
  if [[ "$r" =~ ^(.*):[^:/]+$ ]]; then r="${BASH_REMATCH[1]}"; fi
  printf '%s' "$r"
}

# sp prune-images [--keep N] [--dry-run]
cmd_prune_images() {
  local keep_count=2 dry=0 file id used ref repos kept_ids=() candidates=() removed=0 not_removable=0
  while (( $# )); do
    case "$1" in
      --keep)
        if (( $# < 2 )) || [[ ! "$2" =~ ^[1-9][0-9]*$ ]]; then usage_error "prune-images: --keep needs a number from 1"; fi
        keep_count="$2"
        shift ;;
      --dry-run) dry=1 ;;
      *) usage_error "prune-images: unknown argument '$1'" ;;
    esac
    shift
  done
  load_host
  EV_SITE="-"
  used="$(docker ps -aq --no-trunc | xargs -r docker inspect -f '{{.Image}}')" || die "cannot list the containers (is docker running?)"
  for file in "$SP_STATUS_DIR"/*.images; do
    # The newest KEEP distinct images of the site's deployments.
    while read -r id; do kept_ids+=("$id"); done < <(awk '{print $2}' "$file" | tac | awk '!seen[$0]++' | head -n "$keep_count")
    while read -r id; do candidates+=("$id"); done < <(awk '{print $2}' "$file" | sort -u)
  done
  for id in $(printf '%s\n' "${candidates[@]}" | sort -u); do
    [[ "$id" =~ ^sha256:[0-9a-f]{64}$ ]] || continue
    if grep -qxF -- "$id" <<<"$used" || printf '%s\n' "${kept_ids[@]}" | grep -qxF -- "$id"; then continue; fi
    docker image inspect "$id" >/dev/null 2>&1 || continue
    if (( dry )); then
      printf 'would remove %s (%s)\n' "$id" "$(cat -- "$SP_STATUS_DIR"/*.images | awk -v id="$id" '$2 == id && NF >= 3 {print $3}' | sort -u | paste -sd, -)"
      continue
    fi
    # Every name the image has now (tags and digests) in a repository it was
    # deployed from: a container made from a digest leaves the tag behind,
    # and docker deletes the image only with its last name. Names in other
    # repositories are not simple-paas's and stay (so does the image then).
    repos="$(cat -- "$SP_STATUS_DIR"/*.images | awk -v id="$id" '$2 == id && NF >= 3 {print $3}' | while read -r ref; do repo_of "$ref"; echo; done | sort -u)"
    while read -r ref; do
      [[ -n "$ref" ]] || continue
      grep -qxF -- "$(repo_of "$ref")" <<<"$repos" || continue
      if docker image rm "$ref" >/dev/null 2>&1; then removed=$((removed + 1)); else not_removable=$((not_removable + 1)); fi
    done < <(docker image inspect -f '{{range .RepoTags}}{{println .}}{{end}}{{range .RepoDigests}}{{println .}}{{end}}' "$id" 2>/dev/null)
  done
  if (( ! dry )); then
    docker image prune -f >/dev/null 2>&1 || true
    log_event prune-images ok "removed=$removed kept-per-site=$keep_count not-removable=$not_removable"
  fi
}
