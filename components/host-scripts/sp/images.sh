# shellcheck shell=bash
# shellcheck disable=SC2034 # variables shared with the other parts of sp (the assembled sp is checked whole)
# `sp prune-images`: removes the site images nothing needs any more. Each
# route step records, per site, the image it moved traffic to and the
# reference it was deployed by (STATUS_DIR/SITE.images: "TIME ID REF",
# oldest first); an image is removed when it was a site's, no container
# uses it (running or stopped), and it is not among the newest KEEP of any
# site's deployments (what a rollback needs). Only the references simple-
# paas deployed by are removed (docker deletes the image with its last
# one); images simple-paas never deployed are not touched.
#
# A part of the `sp` command; this header ends at the first blank line.

# sp prune-images [--keep N] [--dry-run]
cmd_prune_images() {
  local keep_count=2 dry=0 file id used kept_ids=() candidates=() removed=0 not_removable=0
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
    while read -r ref; do
      [[ -n "$ref" ]] || continue
      # Only while the reference still names this image (a re-pushed tag names another).
      if [[ "$(docker image inspect -f '{{.Id}}' "$ref" 2>/dev/null)" == "$id" ]]; then
        if docker image rm "$ref" >/dev/null 2>&1; then removed=$((removed + 1)); else not_removable=$((not_removable + 1)); fi
      fi
    done < <(cat -- "$SP_STATUS_DIR"/*.images | awk -v id="$id" '$2 == id && NF >= 3 {print $3}' | sort -u)
  done
  if (( ! dry )); then
    docker image prune -f >/dev/null 2>&1 || true
    log_event prune-images ok "removed=$removed kept-per-site=$keep_count not-removable=$not_removable"
  fi
}
