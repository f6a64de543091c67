# shellcheck shell=bash
# shellcheck disable=SC2034 # variables shared with the other parts of sp (the assembled sp is checked whole)
# `sp list|status|logs|shell|exec`: the site's containers, found by their
# docker label; the one the proxy routes to is the site's current container.
#
# A part of the `sp` command (components/render/sp-command.ts puts CONF_DIR
# and SP_SELF in front of the parts); this header ends at the first blank line.

# The site's containers, newest first, into CONTAINERS ("all" includes
# stopped ones).
find_containers() {
  local out args=(ps -q --filter "label=$SITE_LABEL=$1")
  if [[ "$2" == all ]]; then args+=(-a); fi
  out="$(docker "${args[@]}")" || die "cannot list the containers of '$1' (is docker running?)"
  CONTAINERS=()
  if [[ -n "$out" ]]; then mapfile -t CONTAINERS <<<"$out"; fi
}

# The container the proxy routes the site to (its routes file's upstream).
routed_container() {
  local file="$CONF_DIR/proxy/sites/$1.caddy" upstream
  [[ -f "$file" ]] || return 1
  upstream="$(sed -n 's/^[[:space:]]*reverse_proxy[[:space:]]\{1,\}\([^[:space:]{]\{1,\}\).*/\1/p' "$file" | head -n 1)"
  [[ -n "$upstream" ]] || return 1
  printf '%s' "${upstream%:*}"
}

# Sets RUNNING to the site's current container: the one the proxy routes
# to, when it runs; else the newest running one that is not unhealthy.
# During an update there are two, and a new one that never got healthy is
# not where jobs (cron, sp exec) belong. Returns 1 when there is none.
current_container() {
  local routed id health
  if routed="$(routed_container "$1")" && [[ "$(docker container inspect -f '{{.State.Running}}' "$routed" 2>/dev/null)" == true ]]; then
    RUNNING="$routed"
    return 0
  fi
  find_containers "$1" running
  for id in "${CONTAINERS[@]}"; do
    health="$(docker container inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id" 2>/dev/null)" || continue
    if [[ "$health" != unhealthy && "$health" != starting ]]; then RUNNING="$id"; return 0; fi
  done
  return 1
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

# read_status FILE: sets ST_TIME ST_RESULT ST_SNAPSHOT ST_MESSAGE ST_GOOD
# from a status file ("never" and "-" when there is none; the names of
# earlier releases are read too).
read_status() {
  local SP_LAST_TIME="" SP_LAST_RESULT="" SP_LAST_SNAPSHOT="" SP_LAST_MESSAGE="" SP_LAST_GOOD_TIME=""
  local SP_LAST_BACKUP_TIME="" SP_LAST_BACKUP_RESULT="" SP_LAST_BACKUP_SNAPSHOT="" SP_LAST_BACKUP_MESSAGE=""
  if [[ -f "$1" ]]; then
    # shellcheck source=/dev/null
    source "$1"
  fi
  ST_TIME="${SP_LAST_TIME:-${SP_LAST_BACKUP_TIME:-never}}"
  ST_RESULT="${SP_LAST_RESULT:-${SP_LAST_BACKUP_RESULT:--}}"
  ST_SNAPSHOT="${SP_LAST_SNAPSHOT:-${SP_LAST_BACKUP_SNAPSHOT:--}}"
  ST_MESSAGE="${SP_LAST_MESSAGE:-${SP_LAST_BACKUP_MESSAGE:-}}"
  ST_GOOD="$SP_LAST_GOOD_TIME"
  if [[ -z "$ST_GOOD" && "$ST_RESULT" == ok && "$ST_TIME" != never ]]; then ST_GOOD="$ST_TIME"; fi
}

# When the site was set up on this host (the setup step writes it once).
site_created() {
  local f="$CONF_DIR/sites/$1/created"
  if [[ -f "$f" ]]; then date -d "$(cat -- "$f")" +%s 2>/dev/null && return 0; fi
  stat -c %Y -- "$CONF_DIR/sites/$1/site.env"
}

# check_age WHAT MAX_AGE: appends to REASONS when the last good WHAT (per
# ST_*) is older than MAX_AGE seconds, or there was none although the site
# is older than that.
check_age() {
  local what="$1" max="$2" now good
  [[ "$max" =~ ^[1-9][0-9]*$ ]] || return 0
  now="$(date +%s)"
  if [[ -z "$ST_GOOD" ]]; then
    if (( now - CREATED > max )); then REASONS+=("no good $what since the site was set up ($(( (now - CREATED) / 60 )) min ago; its schedule allows $(( max / 60 )) min)"); fi
    return 0
  fi
  good="$(date -d "$ST_GOOD" +%s 2>/dev/null || echo 0)"
  if (( now - good > max )); then REASONS+=("the last good $what ($ST_GOOD) is older than its schedule allows ($(( (now - good) / 60 )) min > $(( max / 60 )) min)"); fi
}

# One status line (and a line per reason); returns 1 when the site needs attention.
site_status() {
  local site="$1" docker_ok="$2" name=- state=missing health=- id
  REASONS=()
  CREATED="$(site_created "$site" 2>/dev/null || date +%s)"
  if (( ! docker_ok )); then
    state=unknown
    REASONS+=("docker does not answer")
  elif current_container "$site"; then
    IFS=' ' read -r name state health < <(docker inspect --format '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$RUNNING" 2>/dev/null || echo "- unknown -")
    name="${name#/}"
  else
    find_containers "$site" all
    if (( ${#CONTAINERS[@]} )); then
      id="${CONTAINERS[0]}"
      IFS=' ' read -r name state health < <(docker inspect --format '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id" 2>/dev/null || echo "- unknown -")
      name="${name#/}"
    fi
  fi
  if (( docker_ok )) && [[ "$state" != running ]]; then REASONS+=("its container is $state"); fi
  if [[ "$health" == unhealthy ]]; then REASONS+=("its container is unhealthy"); fi
  local backup_line="last-backup=off" drill_line=""
  if [[ -f "$CONF_DIR/sites/$site/backup/backup.env" ]]; then
    local SP_BACKUP_MAX_AGE="" SP_DRILL="" SP_DRILL_MAX_AGE=""
    # shellcheck source=/dev/null
    source "$CONF_DIR/sites/$site/backup/backup.env"
    read_status "$SP_STATUS_DIR/$site"
    backup_line="last-backup=$ST_TIME result=$ST_RESULT snapshot=$ST_SNAPSHOT last-good=${ST_GOOD:-never}"
    if [[ "$ST_RESULT" == failed ]]; then REASONS+=("the last backup failed: $ST_MESSAGE"); fi
    check_age backup "$SP_BACKUP_MAX_AGE"
    if [[ "$SP_DRILL" == yes ]]; then
      read_status "$SP_STATUS_DIR/$site.drill"
      drill_line=" last-drill=$ST_TIME drill=$ST_RESULT"
      if [[ "$ST_RESULT" == failed ]]; then REASONS+=("the last restore drill failed: $ST_MESSAGE"); fi
      check_age "restore drill" "$SP_DRILL_MAX_AGE"
    fi
  fi
  printf '%s container=%s state=%s health=%s %s%s\n' "$site" "$name" "$state" "$health" "$backup_line" "$drill_line"
  local reason
  for reason in "${REASONS[@]}"; do printf '  %s: %s\n' "$site" "$reason"; done
  (( ${#REASONS[@]} == 0 ))
}

# sp status [SITE]: exit 1 when any site needs attention (each reason on its own line).
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
  current_container "$1" || die "site '$1' has no running container that is ready"
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
  current_container "$site" || die "site '$site' has no running container that is ready"
  if [[ -t 0 && -t 1 ]]; then flags+=(-t); fi
  exec docker exec "${flags[@]}" "$RUNNING" "$@"
}
