# shellcheck shell=bash
# shellcheck disable=SC2034 # variables shared with the other parts of sp (the assembled sp is checked whole)
# `sp list|status|logs|shell|exec`: the site's containers, found by their
# docker label; the newest one is the site's current container.
#
# A part of the `sp` command (components/render/sp-command.ts puts CONF_DIR
# and SP_SELF in front of the parts); this header ends at the first blank line.

# The site's containers, newest first, into CONTAINERS ("all" includes
# stopped ones). During a zero-downtime update there are two: the newest wins.
find_containers() {
  local out args=(ps -q --filter "label=$SITE_LABEL=$1")
  if [[ "$2" == all ]]; then args+=(-a); fi
  out="$(docker "${args[@]}")" || die "cannot list the containers of '$1' (is docker running?)"
  CONTAINERS=()
  if [[ -n "$out" ]]; then mapfile -t CONTAINERS <<<"$out"; fi
}

newest_running_container() {
  find_containers "$1" running
  (( ${#CONTAINERS[@]} )) || die "site '$1' has no running container"
  RUNNING="${CONTAINERS[0]}"
}

# sp list: name, container names (newest first), state of the newest.
cmd_list() {
  (( $# == 0 )) || usage_error "usage: sp list"
  local site out name state names first docker_ok=1
  timeout 20 docker info >/dev/null 2>&1 || { docker_ok=0; warn "cannot reach docker: container states unknown"; }
  while IFS= read -r site; do
    names=() state=missing first=1
    if (( ! docker_ok )); then
      state=unknown
    elif out="$(docker ps -a --filter "label=$SITE_LABEL=$site" --format '{{.Names}} {{.State}}')"; then
      while read -r name out; do
        [[ -n "$name" ]] || continue
        names+=("$name")
        if (( first )); then state="$out" first=0; fi
      done <<<"$out"
    else
      state=unknown
    fi
    if (( ${#names[@]} == 0 )); then names=(-); fi
    printf '%-32s %-48s %s\n' "$site" "$(IFS=,; printf '%s' "${names[*]}")" "$state"
  done < <(configured_sites)
}

# Sets BS_TIME, BS_RESULT, BS_SNAPSHOT, BS_MESSAGE from the status file.
read_backup_status() {
  local SP_LAST_BACKUP_TIME=never SP_LAST_BACKUP_RESULT=- SP_LAST_BACKUP_SNAPSHOT="" SP_LAST_BACKUP_MESSAGE=""
  if [[ -f "$SP_STATUS_DIR/$1" ]]; then
    # shellcheck source=/dev/null
    source "$SP_STATUS_DIR/$1"
  fi
  BS_TIME="$SP_LAST_BACKUP_TIME" BS_RESULT="$SP_LAST_BACKUP_RESULT"
  BS_SNAPSHOT="${SP_LAST_BACKUP_SNAPSHOT:--}" BS_MESSAGE="$SP_LAST_BACKUP_MESSAGE"
}

# One status line; returns 1 when the site needs attention.
site_status() {
  local site="$1" docker_ok="$2" out id name=- state=missing health=- bad=0
  if (( ! docker_ok )); then
    state=unknown
  elif out="$(docker ps -a -q --filter "label=$SITE_LABEL=$site")"; then
    id="${out%%$'\n'*}"
    if [[ -n "$id" ]]; then
      out="$(docker inspect --format '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id")" || out="- unknown -"
      read -r name state health <<<"$out"
      name="${name#/}"
    fi
  else
    state=unknown
  fi
  [[ "$state" == running ]] || bad=1
  [[ "$health" != unhealthy ]] || bad=1
  if [[ -f "$CONF_DIR/sites/$site/backup/backup.env" ]]; then
    read_backup_status "$site"
  else
    BS_TIME=off BS_RESULT=- BS_SNAPSHOT=- BS_MESSAGE=""
  fi
  [[ "$BS_RESULT" != failed ]] || bad=1
  printf '%s container=%s state=%s health=%s last-backup=%s result=%s snapshot=%s\n' \
    "$site" "$name" "$state" "$health" "$BS_TIME" "$BS_RESULT" "$BS_SNAPSHOT"
  if [[ "$BS_RESULT" == failed ]]; then printf '  last backup failed: %s\n' "$BS_MESSAGE"; fi
  return "$bad"
}

# sp status [SITE]: exit 1 when any site needs attention.
cmd_status() {
  (( $# <= 1 )) || usage_error "usage: sp status [SITE]"
  local sites=() site docker_ok=1 attention=0
  load_host
  if (( $# == 1 )); then
    load_site "$1"
    sites=("$1")
  else
    mapfile -t sites < <(configured_sites)
  fi
  timeout 20 docker info >/dev/null 2>&1 || { docker_ok=0; warn "cannot reach docker: container states unknown"; }
  for site in "${sites[@]}"; do
    site_status "$site" "$docker_ok" || attention=1
  done
  (( ! attention )) || exit 1
}

cmd_logs() {
  (( $# >= 1 )) || usage_error "usage: sp logs SITE [docker logs options...]"
  local site="$1"
  shift
  load_site "$site"
  find_containers "$site" all
  (( ${#CONTAINERS[@]} )) || die "site '$site' has no container"
  exec docker logs "$@" "${CONTAINERS[0]}"
}

cmd_shell() {
  (( $# == 1 )) || usage_error "usage: sp shell SITE"
  load_site "$1"
  newest_running_container "$1"
  [[ -t 0 && -t 1 ]] || usage_error "sp shell needs a terminal; to run a command: sp exec $1 CMD..."
  exec docker exec -it "$RUNNING" sh
}

# The container has the site's env and volumes; the command's exit code
# passes through (exec). -t only on a terminal, so cron and pipes work.
cmd_exec() {
  (( $# >= 2 )) || usage_error "usage: sp exec SITE CMD [ARG...]"
  local site="$1" flags=(-i)
  shift
  load_site "$site"
  newest_running_container "$site"
  if [[ -t 0 && -t 1 ]]; then flags+=(-t); fi
  exec docker exec "${flags[@]}" "$RUNNING" "$@"
}
