# shellcheck shell=bash
# Removes the files of SP_FILES (a cron file, a known_hosts file ...) when
# a step that installed them is deleted; a file already gone is fine.
#
# Values: SP_FILES

for file in "${SP_FILES[@]}"; do
  if [ -e "$file" ] || [ -L "$file" ]; then
    rm -f -- "$file"
    sp_changed "$file: removed"
  else
    sp_log "$file: already gone"
  fi
done
sp_finish
