# shellcheck shell=bash
# On the machine running Pulumi, before anything is done on a remote host:
# one SSH attempt with a short timeout, checking the host's key against the
# pinned one, and a message that says what to look at, instead of the SSH
# provider's retries and a bare "connection refused" minutes later.
#
# Values (render/ssh-check.ts): SP_HOST SP_PORT SP_USER SP_KEY_FILE_REL
# SP_KNOWN_HOSTS_FILE_REL SP_AS_ROOT

key="$HOME/$SP_KEY_FILE_REL"
known="$HOME/$SP_KNOWN_HOSTS_FILE_REL"
if ! out=$(timeout 30 ssh -i "$key" -p "$SP_PORT" -o BatchMode=yes -o ConnectTimeout=10 -o ConnectionAttempts=1 \
  -o IdentitiesOnly=yes -o UserKnownHostsFile="$known" -o StrictHostKeyChecking=yes -o GlobalKnownHostsFile=/dev/null \
  -- "$SP_USER@$SP_HOST" true 2>&1); then
  case "$out" in
    *"REMOTE HOST IDENTIFICATION HAS CHANGED"* | *"Host key verification failed"* | *"No ED25519 host key is known"* | *"host key"*"not known"*)
      sp_die "the host $SP_HOST (port $SP_PORT) did not present the host key pinned in simple-paas:host.connection.hostKey: ${out//$'\n'/ } -- nothing was sent to it. If the host was rebuilt, read its new key on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) or from your provider's console, and set it; never copy it from a connection you cannot trust" ;;
  esac
  sp_die "cannot reach the host $SP_HOST over SSH (port $SP_PORT, user $SP_USER): ${out:-ssh timed out}. Check that the host is up and reachable from this machine, that simple-paas:host.connection names its address and port, and that the key in simple-paas:sshPrivateKey is authorized for $SP_USER"
fi
sp_log "host $SP_HOST answers over SSH with the pinned host key (port $SP_PORT, user $SP_USER)"
