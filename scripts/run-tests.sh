#!/usr/bin/env bash
# `npm test` after the type check: every suite, in two lanes that share
# nothing but the test services.
#
#   this machine  integration, e2e (platform, recovery, remote, local-stack,
#                 yaml, adopt), security, faults — one after another: they all use
#                 this machine's /sites, MariaDB, cron, docker settings and ports.
#   apart         unit (mocks), the package tests (npm pack into a new
#                 project; the component package's schema from the engine),
#                 e2e/bare-host (a container with its own dockerd, sshd and
#                 ports) — beside the other lane.
#
# The test services, images and the engine are made ready once first (each
# step is a no-op when there is nothing to do), so the lanes never race on
# them. The apart lane's output goes to test-results/apart.log and is
# printed after the other lane's; the last lines sum up both lanes in
# mocha's words ("N passing", "N failing"). Exit 1 when either lane failed.
#
# Arguments run one lane only: `this-machine` or `apart`.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
mocha="$repo/node_modules/.bin/mocha"
results="$repo/test-results"
mkdir -p "$results"

apart_suites=(test/unit/*.test.ts test/integration/package.test.ts test/integration/package-schema.test.ts test/e2e/bare-host.test.ts)
this_machine_suites=()
for f in test/integration/*.test.ts; do
  [[ " ${apart_suites[*]} " == *" $f "* ]] || this_machine_suites+=("$f")
done
this_machine_suites+=(
  test/e2e/platform.test.ts test/e2e/recovery.test.ts test/e2e/remote.test.ts test/e2e/local-stack.test.ts test/e2e/yaml.test.ts test/e2e/adopt.test.ts
  test/security/*.test.ts
  test/faults/*.test.ts
)

# Every test file must be in a lane: a new one left out would never run.
for f in test/*/*.test.ts; do
  [[ " ${this_machine_suites[*]} ${apart_suites[*]} " == *" $f "* ]] ||
    { echo "run-tests: $f is in no lane (scripts/run-tests.sh)" >&2; exit 1; }
done

lane="${1:-both}"
case "$lane" in both | this-machine | apart) ;; *) echo "run-tests: unknown lane '$lane'" >&2; exit 2 ;; esac

started=$(date +%s)
echo "[run-tests] test services, images and engine" >&2
bash scripts/test-env/start-services.sh >&2
bash scripts/test-env/build-images.sh >&2
bash scripts/pulumi-toolchain.sh >/dev/null

apart_log="$results/apart.log"
apart_pid=""
if [[ "$lane" != this-machine ]]; then
  echo "[run-tests] apart lane started beside this one (log: $apart_log)" >&2
  "$mocha" "${apart_suites[@]}" >"$apart_log" 2>&1 &
  apart_pid=$!
fi

this_rc=0
this_log="$results/this-machine.log"
if [[ "$lane" != apart ]]; then
  "$mocha" "${this_machine_suites[@]}" 2>&1 | tee "$this_log" || this_rc=$?
  echo "[run-tests] this-machine lane: exit $this_rc after $(( $(date +%s) - started ))s" >&2
else
  : >"$this_log"
fi

apart_rc=0
if [[ -n "$apart_pid" ]]; then
  wait "$apart_pid" || apart_rc=$?
  echo "[run-tests] apart lane: exit $apart_rc; its output:" >&2
  cat "$apart_log"
else
  : >"$apart_log"
fi

count() { grep -oE "^ +[0-9]+ $1" "$2" | grep -oE '[0-9]+' | tail -n 1 || true; }
this_passing="$(count passing "$this_log")" apart_passing="$(count passing "$apart_log")"
this_failing="$(count failing "$this_log")" apart_failing="$(count failing "$apart_log")"
passing=$(( ${this_passing:-0} + ${apart_passing:-0} ))
failing=$(( ${this_failing:-0} + ${apart_failing:-0} ))
# A long run's output is often seen only by its head and tail (CI keeps
# both), so each lane's failures are repeated here, stack frames left out.
failures() {
  local lane_name="$1" log="$2"
  grep -qE '^ +[0-9]+ failing' "$log" || return 0
  echo
  echo "[run-tests] $lane_name lane's failures (again; whole log: $log):"
  sed -n '/^ \{1,\}[0-9]\{1,\} failing/,$p' "$log" | grep -vE '^ +at ' | head -n 60
}
failures this-machine "$this_log"
failures apart "$apart_log"
echo
echo "[run-tests] both lanes in $(( $(date +%s) - started ))s:"
echo "  ${passing} passing"
echo "  ${failing} failing"
(( this_rc == 0 && apart_rc == 0 ))
