#!/usr/bin/env bash
# Installs the npm packages of package-lock.json (`npm ci`) when node_modules
# is missing or was installed from another lockfile, so that `npm run up` and
# `npm test` work on a fresh clone with nothing run before them. The
# lockfile's hash is recorded in node_modules after a successful install.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
marker="$repo/node_modules/.simple-paas-lockfile.sha256"
want="$(sha256sum "$repo/package-lock.json" | cut -d' ' -f1)"
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then
  exit 0
fi
printf '[simple-paas] installing npm packages (npm ci: node_modules %s)\n' \
  "$([ -d "$repo/node_modules" ] && echo 'is from another package-lock.json' || echo 'is missing')" >&2
(cd "$repo" && npm ci --no-audit --no-fund --loglevel=error) >&2
printf '%s\n' "$want" >"$marker"
