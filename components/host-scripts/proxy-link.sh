# shellcheck shell=bash
# Connects the reverse proxy to a site's own docker network at a fixed
# address (the one the site trusts for forwarded headers), or disconnects
# it when the step is deleted. The proxy is the only container besides the
# site's own (and its memcached) on that network. Idempotent.
#
# Values (render/proxy-file-script.ts): SP_PROXY SP_NETWORK SP_ADDRESS SP_ACTION

docker version --format '{{.Server.Version}}' >/dev/null || sp_die "cannot reach the docker daemon"
current=$(docker container inspect -f "{{with index .NetworkSettings.Networks \"$SP_NETWORK\"}}{{.IPAddress}}{{end}}" "$SP_PROXY" 2>/dev/null) ||
  { if [ "$SP_ACTION" = disconnect ]; then sp_log "no proxy container $SP_PROXY: nothing to disconnect"; sp_finish; exit 0; fi
    sp_die "there is no proxy container $SP_PROXY"; }
if [ "$SP_ACTION" = disconnect ]; then
  if [ -n "$current" ]; then
    docker network disconnect "$SP_NETWORK" "$SP_PROXY"
    sp_changed "proxy $SP_PROXY: disconnected from $SP_NETWORK"
  else
    sp_log "proxy $SP_PROXY: not on $SP_NETWORK"
  fi
  sp_finish
  exit 0
fi
if [ "$current" = "$SP_ADDRESS" ]; then
  sp_log "proxy $SP_PROXY: on $SP_NETWORK as $SP_ADDRESS"
else
  if [ -n "$current" ]; then docker network disconnect "$SP_NETWORK" "$SP_PROXY"; fi
  docker network connect --ip "$SP_ADDRESS" "$SP_NETWORK" "$SP_PROXY"
  sp_changed "proxy $SP_PROXY: on $SP_NETWORK as $SP_ADDRESS"
fi
sp_finish
