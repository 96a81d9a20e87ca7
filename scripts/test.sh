#!/usr/bin/env bash
# Every test: installs what is missing, builds, lints (module boundaries included), type-checks
# the tests, then runs the unit, integration and e2e tiers. The integration and e2e tiers start
# and stop their own etcd x5 + nats-server -js on free ports in a temp dir.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --browser || exit 1
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

step() {
  echo
  echo "==> $*"
  "$@" || {
    echo "FAILED: $*" >&2
    exit 1
  }
}

step npm run --silent build
# Lint and the tests' typecheck share nothing and are one CPU-bound process each: side by side
# they use both cores. Each one's output is shown whole, in order, once both are done.
logs=$(mktemp -d)
npm run --silent lint >"$logs/lint" 2>&1 &
lint_pid=$!
npm run --silent typecheck >"$logs/typecheck" 2>&1
typecheck_rc=$?
wait $lint_pid
lint_rc=$?
for s in lint typecheck; do
  echo
  echo "==> npm run --silent $s"
  cat "$logs/$s"
done
rm -rf "$logs"
[ $lint_rc -eq 0 ] || { echo "FAILED: npm run --silent lint" >&2; exit 1; }
[ $typecheck_rc -eq 0 ] || { echo "FAILED: npm run --silent typecheck" >&2; exit 1; }

rm -rf tmp/test-results && mkdir -p tmp/test-results
status=0
for tier in unit integration e2e; do
  echo
  echo "==> $tier tests"
  # The unit tier (no I/O, files independent) on two workers: jest's default on 2 cores is one.
  extra=()
  if [ "$tier" = unit ]; then extra=(--maxWorkers=2); fi
  npm run --silent "test:$tier" -- "${extra[@]}" --json --outputFile="tmp/test-results/$tier.json" || status=1
done
node scripts/summarize-tests.mjs tmp/test-results/*.json || status=1
exit $status
