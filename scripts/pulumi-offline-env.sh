# shellcheck shell=bash
# Offline settings for the Pulumi engine built by scripts/pulumi-toolchain.sh.
# Source it (bash) from tests, CI or a shell:
#
#   source scripts/pulumi-offline-env.sh
#
# It puts the toolchain's bin dir (pulumi, pulumi-language-nodejs) first on
# PATH, sets PULUMI_HOME to the toolchain's plugin cache, and turns off
# everything that would reach the network. It neither builds the toolchain
# (run `npm run toolchain` first; `bash scripts/pulumi-toolchain.sh --check`
# tells whether it is complete) nor chooses a backend or a passphrase: each
# test sets PULUMI_BACKEND_URL=file://<its temp dir> (or `pulumi login`) and
# PULUMI_CONFIG_PASSPHRASE itself.
#
# Plugins resolve from PULUMI_HOME at the exact versions the npm SDKs
# request: PULUMI_IGNORE_AMBIENT_PLUGINS=true stops the engine from picking
# any pulumi-resource-* that happens to be on PATH (of whatever version).
# The language host is still found next to the pulumi binary.

_simple_paas_env="$(bash "$(dirname "${BASH_SOURCE[0]}")/pulumi-toolchain.sh" --print-env)" || {
  echo "pulumi-offline-env: could not compute the toolchain paths" >&2
  unset _simple_paas_env
  return 1
}
eval "$_simple_paas_env"
unset _simple_paas_env

export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
