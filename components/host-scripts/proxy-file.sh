# shellcheck shell=bash
# Installs a file of the reverse proxy from stdin (a site's routes, or the
# main Caddyfile) and reloads the proxy (Caddy leaves an unchanged config
# alone). A stopped proxy reads its files when it starts.
#
# A site's routes move traffic only to a container this step has seen
# ready: healthy by its docker health check, or, without one, running and
# answering HTTP on its port. Otherwise the step fails, says why, and the
# previous routes stay (so does the container they name: Pulumi removes
# the old container only after a successful update).
# After a reload that moved a site to another upstream, the step waits
# (bounded) until the old container has no connection left, and then for
# the proxy to serve the site's certificates (it never fails on those).
#
# Values (render/proxy-file-script.ts): SP_PROXY SP_LOCK_FILE SP_TARGET
# SP_READY_SECONDS SP_PIDS_LIMIT SP_HISTORY_FILE SP_IMAGE_REF SP_DRAIN_SECONDS SP_PROBE_NAMES SP_PROBE_ADDRESS
# SP_PROBE_PORT SP_PROBE_SECONDS SP_FIRST_ACCOUNT_NAME SP_FIRST_ACCOUNT_FILE

sp_proxy_lock
mkdir -p -- "$(dirname -- "$SP_TARGET")"
tmp="$(mktemp "$SP_TARGET.XXXXXX")"
SP_CLEANUP_FILES+=("$tmp")
first_account=""
first_account_loaded=""
previous=""
cat >"$tmp"
chmod 0644 "$tmp"

# ---- the new upstream is ready before any traffic goes to it
upstream_ready() {
  local upstream="$1" container port deadline health state ip answer
  container=${upstream%:*}
  port=${upstream##*:}
  deadline=$(( $(date +%s) + SP_READY_SECONDS ))
  docker container inspect "$container" >/dev/null 2>&1 || sp_die "the new container $container does not exist; traffic stays where it was"
  # A fork bomb in one site must not take the host's pids: the limit the provider cannot set.
  if [ -n "$SP_PIDS_LIMIT" ]; then
    docker update --pids-limit "$SP_PIDS_LIMIT" "$container" >/dev/null ||
      sp_die "cannot set the pids limit of the new container $container; traffic stays where it was"
  fi
  while :; do
    state=$(docker container inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$container" 2>/dev/null) ||
      sp_die "the new container $container does not exist; traffic stays where it was"
    health=${state#* }
    state=${state%% *}
    [ "$state" = running ] || sp_die "the new container $container is $state, not running ($(docker logs --tail 5 "$container" 2>&1 | tr '\n' ' ')); traffic stays where it was"
    case "$health" in
      healthy)
        sp_log "ready: $container is healthy"
        return 0 ;;
      unhealthy)
        sp_die "the new container $container is unhealthy: $(docker container inspect -f '{{range .State.Health.Log}}{{.Output}} {{end}}' "$container" 2>/dev/null | tr '\n' ' ' | tail -c 400); traffic stays where it was" ;;
      none)
        # No health check: running and answering HTTP on its port, from the host.
        ip=$(docker container inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$container" 2>/dev/null | awk '{print $1}')
        answer=000
        if [ -n "$ip" ]; then answer=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$ip:$port/" 2>/dev/null || true); fi
        if [ -n "$answer" ] && [ "$answer" != 000 ]; then
          sp_log "ready: $container answers HTTP on port $port ($answer)"
          return 0
        fi ;;
    esac
    if [ "$(date +%s)" -ge "$deadline" ]; then
      sp_die "the new container $container is not ready after ${SP_READY_SECONDS}s (health: $health${answer:+, HTTP: $answer}); traffic stays where it was"
    fi
    sleep 1
  done
}
while read -r upstream; do
  [ -n "$upstream" ] || continue
  upstream_ready "$upstream"
done < <(sp_upstreams_of "$tmp")

# ---- certificates: where the proxy's HTTPS port answers, and one deadline for every wait
probe_deadline=$(( $(date +%s) + SP_PROBE_SECONDS ))
# Waits (until the deadline) for a TLS handshake of the proxy for each name,
# trying every name still missing each round; never fails the step.
await_certificates() {
  local pending=("$@") missing name
  while :; do
    missing=()
    for name in "${pending[@]}"; do
      if timeout 5 openssl s_client -connect "$SP_PROBE_ADDRESS:$SP_PROBE_PORT" -servername "$name" </dev/null >/dev/null 2>&1; then
        sp_log "certificate ready: $name"
      else
        missing+=("$name")
      fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then return 0; fi
    if [ "$(date +%s)" -ge "$probe_deadline" ]; then
      for name in "${missing[@]}"; do
        sp_log "no certificate for $name yet after ${SP_PROBE_SECONDS}s; the proxy keeps trying in the background (does its DNS point at this host?)"
      done
      return 0
    fi
    pending=("${missing[@]}")
    sleep 1
  done
}

# ---- the first routes of a proxy that has no ACME account yet: one name alone first
# (Caddy registers an account per concurrent order while it has none stored,
# and can keep the key of one and the registration of another.)
if [ -n "$SP_FIRST_ACCOUNT_NAME" ] && [ ! -e "$SP_TARGET" ] && sp_proxy_running \
  && [ -z "$(find "$(dirname -- "$SP_TARGET")" -maxdepth 1 -name '*.caddy' -print -quit)" ]; then
  first_account="$(dirname -- "$SP_TARGET")/$SP_FIRST_ACCOUNT_FILE"
  SP_CLEANUP_FILES+=("$first_account")
  sp_log "first site on this proxy: $SP_FIRST_ACCOUNT_NAME alone first, so that one ACME account is registered"
  printf '%s {\n\trespond 503\n}\n' "$SP_FIRST_ACCOUNT_NAME" >"$first_account"
  if sp_proxy_reload; then
    first_account_loaded=yes
    await_certificates "$SP_FIRST_ACCOUNT_NAME"
  fi
  rm -f -- "$first_account"
fi

# ---- the file, then the reload
if [ -f "$SP_TARGET" ] && cmp -s "$tmp" "$SP_TARGET"; then
  sp_log "unchanged: $SP_TARGET"
else
  # Keep the file it replaces: a config Caddy refuses must not stay behind to break the next reload.
  if [ -f "$SP_TARGET" ]; then previous="$(mktemp "$SP_TARGET.previous.XXXXXX")"; SP_CLEANUP_FILES+=("$previous"); cp -p -- "$SP_TARGET" "$previous"; fi
  mv -f -- "$tmp" "$SP_TARGET"
  sp_changed "changed: $SP_TARGET"
fi
if ! sp_proxy_running; then
  sp_log "proxy container $SP_PROXY is not running; it reads its files when it starts"
  if [ -n "$previous" ]; then rm -f -- "$previous"; fi
  exit 0
fi
if ! sp_proxy_reload; then
  if [ -n "$previous" ]; then mv -f -- "$previous" "$SP_TARGET"; else rm -f -- "$SP_TARGET"; fi
  # The proxy still runs the one-name stand-in: give it back the files as they were.
  if [ -n "$first_account_loaded" ]; then sp_proxy_reload || true; fi
  sp_die "the proxy refused $SP_TARGET; the previous version is back in place"
fi

# ---- drain: Pulumi removes the old container once the update's other steps
# are done, so wait until no connection is open to it any more. A request the
# old routes accepted an instant before the reload reaches its upstream a
# moment later, hence the first second; after that, the old container's own
# established connections on its port are counted (`ss` in its network
# namespace: Caddy 2.6+ returns from a reload before the old routes' requests
# end, and its admin API forgets their upstream at once).
if [ -n "$previous" ]; then
  gone_upstreams=$(comm -23 <(sp_upstreams_of "$previous") <(sp_upstreams_of "$SP_TARGET"))
  if [ -n "$gone_upstreams" ]; then
    sleep 1
    drain_deadline=$(( $(date +%s) + SP_DRAIN_SECONDS ))
    while read -r upstream; do
      old_container=${upstream%:*}
      old_port=${upstream##*:}
      old_pid=$(docker container inspect -f '{{.State.Pid}}' "$old_container" 2>/dev/null || echo 0)
      if [ "${old_pid:-0}" = 0 ]; then sp_log "old upstream $upstream: no running container"; continue; fi
      while :; do
        open=$(nsenter --net="/proc/$old_pid/ns/net" ss -Htn state established "( sport = :$old_port )" 2>/dev/null | wc -l) || open=unknown
        if [ "$open" = 0 ]; then sp_log "drained: no connection left to the old upstream $upstream"; break; fi
        if [ "$open" = unknown ]; then sp_log "cannot count the connections to $upstream; waited 1s"; break; fi
        if [ "$(date +%s)" -ge "$drain_deadline" ]; then
          sp_log "$open connection(s) still open to the old upstream $upstream after ${SP_DRAIN_SECONDS}s; going on"
          break
        fi
        sleep 0.5
      done
    done <<<"$gone_upstreams"
  fi
  rm -f -- "$previous"
fi
# The site's deployments, for `sp prune-images` (what a rollback needs).
if [ -n "$SP_HISTORY_FILE" ]; then
  while read -r upstream; do
    [ -n "$upstream" ] || continue
    # "ID REF": the container names its image by ID; the reference is the site's own.
    image=$(docker container inspect -f '{{.Image}}' "${upstream%:*}" 2>/dev/null) || continue
    image="$image ${SP_IMAGE_REF:-$(docker container inspect -f '{{.Config.Image}}' "${upstream%:*}" 2>/dev/null)}"
    if [ "$(tail -n 1 -- "$SP_HISTORY_FILE" 2>/dev/null | cut -d' ' -f2-)" != "$image" ]; then
      printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$image" >>"$SP_HISTORY_FILE"
    fi
  done < <(sp_upstreams_of "$SP_TARGET")
fi
if [ "${#SP_PROBE_NAMES[@]}" -gt 0 ] && [ "$SP_PROBE_SECONDS" -gt 0 ]; then
  await_certificates "${SP_PROBE_NAMES[@]}"
fi
sp_finish
