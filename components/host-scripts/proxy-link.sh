# shellcheck shell=bash
# Connects the reverse proxy to a site's own docker network at a fixed
# address (the one the site trusts for forwarded headers), or disconnects
# it when the step is deleted. The proxy is the only container besides the
# site's own (and its memcached) on that network. Idempotent.
#
# Values (render/proxy-file-script.ts): SP_PROXY SP_NETWORK SP_ADDRESS SP_ACTION
# SP_PROXY_ID SP_NETWORK_ID (connect: the very proxy and network to join)

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
# The proxy and the network by name must be the ones Pulumi made (a stray
# object of the same name is not joined).
proxy_id=$(docker container inspect -f '{{.Id}}' "$SP_PROXY")
network_id=$(docker network inspect -f '{{.Id}}' "$SP_NETWORK" 2>/dev/null) || sp_die "there is no network $SP_NETWORK"
[ "$proxy_id" = "$SP_PROXY_ID" ] || sp_die "the container $SP_PROXY is ${proxy_id:0:12}, not the proxy ${SP_PROXY_ID:0:12} this step joins"
[ "$network_id" = "$SP_NETWORK_ID" ] || sp_die "the network $SP_NETWORK is ${network_id:0:12}, not ${SP_NETWORK_ID:0:12}, which this step joins"
if [ "$current" = "$SP_ADDRESS" ]; then
  sp_log "proxy $SP_PROXY: on $SP_NETWORK as $SP_ADDRESS"
else
  if [ -n "$current" ]; then docker network disconnect "$SP_NETWORK" "$SP_PROXY"; fi
  docker network connect --ip "$SP_ADDRESS" "$SP_NETWORK" "$SP_PROXY"
  sp_changed "proxy $SP_PROXY: on $SP_NETWORK as $SP_ADDRESS"
fi
sp_finish
