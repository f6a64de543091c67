# shellcheck shell=bash
# A site's final backup, the removal of the step that armed it (so it runs
# before the site's data and database steps are removed). A site that is
# not set up on this host (a new or wiped host) has nothing to back up, and
# neither has a host of another generation: when a new generation replaces
# the step, its removal runs on the new host, where the site is still empty
# (a snapshot of that would become the latest, and the restore would bring
# back nothing). Anywhere else a failed backup fails the destroy, so
# nothing is lost silently; a final backup taken now is what lets the
# removal that follows delete the site's data (SP_DONE_FILE).
#
# Values (render/site-backup-steps.ts): SP_SP_PATH SP_SITE SP_SITE_ENV_FILE
# SP_GENERATION SP_GENERATION_FILE SP_DONE_FILE

rm -f -- "$SP_DONE_FILE"
if [ ! -x "$SP_SP_PATH" ] || [ ! -f "$SP_SITE_ENV_FILE" ]; then
  sp_log "site $SP_SITE is not set up on this host (new or wiped): no final backup to take"
  exit 0
fi
if [ "$(cat -- "$SP_GENERATION_FILE" 2>/dev/null || true)" != "$SP_GENERATION" ]; then
  sp_log "this host is not generation $SP_GENERATION any more (new or wiped): no final backup of $SP_SITE to take"
  exit 0
fi
"$SP_SP_PATH" backup "$SP_SITE" --final
date -u +%Y-%m-%dT%H:%M:%SZ >"$SP_DONE_FILE"
sp_finish
