# shellcheck shell=bash
# On the machine running Pulumi: the remote host's SSH key (from stdin) and
# the host key pinned for it, as the files the system's ssh reads (docker's
# ssh:// connection and the reachability check use them). 0600, under
# ~/.simple-paas/ssh. Prints the key file's path on stdout. With
# SP_ACTION=remove, removes both.
#
# Values (render/ssh-check.ts): SP_KEY_FILE_REL SP_KNOWN_HOSTS_FILE_REL
# SP_KNOWN_HOSTS_LINE SP_ACTION SP_AS_ROOT

key="$HOME/$SP_KEY_FILE_REL"
known="$HOME/$SP_KNOWN_HOSTS_FILE_REL"
if [ "$SP_ACTION" = remove ]; then
  rm -f -- "$key" "$known"
  sp_finish
  exit 0
fi
umask 077
mkdir -p -- "$(dirname -- "$key")"
key_text=$(cat)
[ -n "$key_text" ] || sp_die "expected the SSH private key on stdin"
printf '%s\n' "$key_text" | sp_write_file "$key" 0600 "$(id -un)" "$(id -gn)"
# Only this key is trusted for the host: StrictHostKeyChecking=yes reads it.
printf '%s\n' "$SP_KNOWN_HOSTS_LINE" | sp_write_file "$known" 0600 "$(id -un)" "$(id -gn)"
sp_finish
printf '%s\n' "$key" >&3
