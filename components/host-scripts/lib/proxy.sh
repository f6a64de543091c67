# shellcheck shell=bash
# What the steps that change the reverse proxy's files share: docker must
# answer before anything changes, one reload at a time on the host (a lock),
# and Caddy validates a config before it swaps, so a refused file is put
# back and the step fails.
#
# Values: SP_PROXY (the proxy container) SP_LOCK_FILE

# "no proxy container" must mean that, not "docker is down": a file the
# proxy never validated would then be read at its next start.
if ! docker version --format '{{.Server.Version}}' >/dev/null; then
  sp_die "cannot reach the docker daemon to reload the proxy; nothing changed"
fi

# Pulumi runs independent sites' steps in parallel, and each reload would
# cancel the certificate orders the other just started: one reload (and its
# waits) at a time. Every holder is bounded by its own waits, so this one
# waits as long as it takes.
sp_proxy_lock() {
  mkdir -p -- "$(dirname -- "$SP_LOCK_FILE")"
  exec 9>>"$SP_LOCK_FILE"
  if ! flock -n 9; then
    sp_log "waiting for $SP_LOCK_FILE: another step is reloading the proxy"
    flock 9
  fi
}

sp_proxy_running() { [ "$(docker container inspect -f '{{.State.Running}}' "$SP_PROXY" 2>/dev/null || true)" = true ]; }

sp_proxy_reload() { docker exec "$SP_PROXY" caddy reload --config /etc/caddy/Caddyfile --adapter caddyfile >&2; }

# The upstreams (container:port) a routes file names, one a line, sorted.
sp_upstreams_of() {
  sed -n 's/^[[:space:]]*reverse_proxy[[:space:]]\{1,\}\([^[:space:]{]\{1,\}\).*/\1/p' "$1" | sort -u
}
