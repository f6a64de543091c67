# shellcheck shell=bash
# A step whose work is in its removal (the final backup): its creation only
# says what it arms.
#
# Values: SP_NOTE

sp_log "$SP_NOTE"
