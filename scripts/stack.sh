#!/usr/bin/env bash
# The whole stack locally: installs what is missing, builds, starts etcd x5, NATS JetStream and
# every service, prints the UI URL. Ctrl-C (or `npm run stack:down`) stops everything.
# Arguments go to the launcher, e.g. --instances inventory=3 or --fresh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec npm run --silent stack -- "$@"
