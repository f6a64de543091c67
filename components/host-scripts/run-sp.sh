# shellcheck shell=bash
# Runs the host's `sp` command with SP_ARGS (the restore a site's creation
# runs, the step that arms its final backup ...), its exit status the step's.
#
# Values: SP_SP_PATH SP_ARGS

[ -x "$SP_SP_PATH" ] || sp_die "$SP_SP_PATH is missing: the host's sp step has not run"
"$SP_SP_PATH" "${SP_ARGS[@]}"
