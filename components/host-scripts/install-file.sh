# shellcheck shell=bash
# Writes stdin to SP_PATH atomically (temp file + mv) with SP_MODE and the
# owner SP_OWNER:SP_GROUP, leaving the file alone when the content is
# already there: the `sp` command, Caddyfiles, cron files. Logs progress,
# then one last line, `changed` or `unchanged`, on stderr.
#
# Values: SP_PATH SP_MODE SP_OWNER SP_GROUP

# Only a missing parent is created; an existing one keeps its own mode.
if [ ! -d "$(dirname -- "$SP_PATH")" ]; then sp_ensure_dir "$(dirname -- "$SP_PATH")" 0755 root root; fi
sp_write_file "$SP_PATH" "$SP_MODE" "$SP_OWNER" "$SP_GROUP"
sp_finish
if [ "$SP_CHANGES" -eq 0 ]; then echo unchanged >&2; else echo changed >&2; fi
