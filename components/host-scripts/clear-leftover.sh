# shellcheck shell=bash
# Run right before Pulumi creates a docker object with a fixed name (a
# beforeCreate hook): an object of that name that Pulumi is about to create
# cannot be in its state, so one that exists was left by an interrupted
# `pulumi up`. It is removed when it carries simple-paas's label for it;
# anything else of that name is the operator's, and the create fails on it
# with a message naming it.
#
# Values (render/leftover-script.ts): SP_KIND (container|network) SP_NAME
# SP_KIND_LABELS_FIELD SP_LABEL SP_LABEL_VALUE SP_AS_ROOT

label=$(docker "$SP_KIND" inspect -f "{{index .${SP_KIND_LABELS_FIELD} \"$SP_LABEL\"}}" "$SP_NAME" 2>/dev/null) || {
  sp_log "no leftover $SP_KIND $SP_NAME"
  exit 0
}
if [ "$label" != "$SP_LABEL_VALUE" ]; then
  sp_die "a $SP_KIND named $SP_NAME exists and is not simple-paas's ($SP_LABEL='$label', not '$SP_LABEL_VALUE'): rename or remove it, then run pulumi up again"
fi
case "$SP_KIND" in
  container) docker rm -f "$SP_NAME" >/dev/null ;;
  network) docker network rm "$SP_NAME" >/dev/null ;;
  *) sp_die "unknown kind $SP_KIND" ;;
esac
sp_changed "removed the $SP_KIND $SP_NAME that an interrupted pulumi up left behind"
sp_finish
