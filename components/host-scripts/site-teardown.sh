# shellcheck shell=bash
# Removes a site's configuration after its final backup and after its
# container is gone: everything under <configDir>/sites/<site> but backup/
# (the backup credentials keep the site recoverable), its cron files and
# its proxy route. It keeps the data dir and the Linux user and group, so
# nothing is lost and a later re-creation of the site reuses them (same
# uid/gid, so the files' ownership still fits). No stdin; stdout unused.
#
# Values (render/site-setup.ts): SP_SITE_CONFIG_DIR SP_DATA_DIR SP_USER SP_FILES

if [ -d "$SP_SITE_CONFIG_DIR" ]; then
  for entry in "$SP_SITE_CONFIG_DIR"/* "$SP_SITE_CONFIG_DIR"/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    if [ "$entry" = "$SP_SITE_CONFIG_DIR/backup" ]; then continue; fi
    rm -rf -- "$entry"
    sp_changed "$entry: removed"
  done
  if [ ! -e "$SP_SITE_CONFIG_DIR/backup" ]; then
    rmdir -- "$SP_SITE_CONFIG_DIR"
    sp_changed "$SP_SITE_CONFIG_DIR: removed"
  else
    sp_log "$SP_SITE_CONFIG_DIR/backup: kept"
  fi
else
  sp_log "$SP_SITE_CONFIG_DIR: already gone"
fi
for file in "${SP_FILES[@]}"; do
  sp_remove_file "$file"
done
sp_log "kept $SP_DATA_DIR and user $SP_USER for a later re-creation"
sp_finish
