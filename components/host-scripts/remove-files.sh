# shellcheck shell=bash
# Removes the files of SP_FILES (a cron file, a known_hosts file ...) when
# a step that installed them is deleted; a file already gone is fine.
#
# Values: SP_FILES

for file in "${SP_FILES[@]}"; do
  sp_remove_file "$file"
done
sp_finish
