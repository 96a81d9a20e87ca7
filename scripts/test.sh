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
step npm run --silent lint
step npm run --silent typecheck

rm -rf tmp/test-results && mkdir -p tmp/test-results
status=0
for tier in unit integration e2e; do
  echo
  echo "==> $tier tests"
  npm run --silent "test:$tier" -- --json --outputFile="tmp/test-results/$tier.json" || status=1
done
node scripts/summarize-tests.mjs tmp/test-results/*.json || status=1
exit $status
