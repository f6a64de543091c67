# shellcheck shell=bash
# The firewall between the sites and the host, applied by the services step
# and, on systemd hosts, at every boot (simple-paas-firewall.service). Every
# site's docker network is a bridge whose name starts with the prefix of
# SP_FW_BRIDGES; from those bridges the host answers only the database port
# on the proxy network's gateway (a local database) and DNS, and nothing of
# the link-local range (cloud metadata) is forwarded. Sites reach each
# other not at all (docker isolates bridges), the proxy on their own
# network, and the internet. Idempotent; each chain is replaced at once.
#
# Values: SP_FW_BRIDGES (an iptables interface pattern, e.g. spb-+)
# SP_FW_INPUT_CHAIN SP_FW_FORWARD_CHAIN SP_FW_DB_ADDRESS SP_FW_DB_PORT
# (both empty for an external database)

command -v iptables-restore >/dev/null || sp_die "iptables is not installed"

input_rules() {
  printf '*filter\n:%s - [0:0]\n' "$SP_FW_INPUT_CHAIN"
  printf -- '-A %s -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n' "$SP_FW_INPUT_CHAIN"
  if [ -n "$SP_FW_DB_ADDRESS" ]; then
    printf -- '-A %s -p tcp -d %s --dport %s -j ACCEPT\n' "$SP_FW_INPUT_CHAIN" "$SP_FW_DB_ADDRESS" "$SP_FW_DB_PORT"
  fi
  printf -- '-A %s -p udp --dport 53 -j ACCEPT\n' "$SP_FW_INPUT_CHAIN"
  printf -- '-A %s -p tcp --dport 53 -j ACCEPT\n' "$SP_FW_INPUT_CHAIN"
  printf -- '-A %s -j DROP\n' "$SP_FW_INPUT_CHAIN"
  printf ':%s - [0:0]\n' "$SP_FW_FORWARD_CHAIN"
  printf -- '-A %s -d 169.254.0.0/16 -j DROP\n' "$SP_FW_FORWARD_CHAIN"
  printf -- '-A %s -j RETURN\n' "$SP_FW_FORWARD_CHAIN"
  printf 'COMMIT\n'
}
# --noflush keeps every other chain; the chains named here are replaced whole.
input_rules | iptables-restore -w --noflush || sp_die "iptables-restore refused the rules of $SP_FW_INPUT_CHAIN"

# jump CHAIN FROM: FROM sends the sites' traffic to CHAIN, first.
jump() {
  if ! iptables -w -C "$2" -i "$SP_FW_BRIDGES" -j "$1" 2>/dev/null; then
    iptables -w -I "$2" 1 -i "$SP_FW_BRIDGES" -j "$1"
    sp_changed "$2: sites' traffic goes to $1 first"
  fi
}
jump "$SP_FW_INPUT_CHAIN" INPUT
# DOCKER-USER is where docker lets an operator filter forwarded traffic; it
# keeps the chain's rules when it restarts, and makes the chain when it starts.
iptables -w -N DOCKER-USER 2>/dev/null || true
jump "$SP_FW_FORWARD_CHAIN" DOCKER-USER
sp_log "firewall: sites ($SP_FW_BRIDGES) reach the host on ${SP_FW_DB_ADDRESS:+$SP_FW_DB_ADDRESS:$SP_FW_DB_PORT and }DNS only"
