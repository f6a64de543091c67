# shellcheck shell=bash
# Removes a site's routes file and reloads the proxy; used when a site is
# destroyed. The file goes back when the proxy refuses the reload, and a
# retry reloads even when the file is already gone, so a destroy never ends
# with the proxy still routing the site.
#
# Values (render/proxy-file-script.ts): SP_PROXY SP_LOCK_FILE SP_TARGET

sp_proxy_lock
removed=""
if [ -f "$SP_TARGET" ]; then
  removed="$(mktemp "$SP_TARGET.removed.XXXXXX")"
  mv -f -- "$SP_TARGET" "$removed"
  sp_changed "removed: $SP_TARGET"
fi
if sp_proxy_running; then
  if ! sp_proxy_reload; then
    if [ -n "$removed" ]; then mv -f -- "$removed" "$SP_TARGET"; fi
    sp_die "the proxy refused its config without $SP_TARGET; the file is back in place"
  fi
else
  sp_log "proxy container $SP_PROXY is not running; it reads its files when it starts"
fi
if [ -n "$removed" ]; then rm -f -- "$removed"; fi
sp_finish
