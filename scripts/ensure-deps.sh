#!/usr/bin/env bash
# Installs what the project needs and this machine lacks: etcd, etcdctl, nats-server and unzip from
# Debian, and the npm packages from the lockfile (which bring Node 24 for every npm script).
# With --browser (the tests): Debian's chromium and a font too, for the web UI's browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }

missing=()
have etcd || missing+=(etcd-server)
have etcdctl || missing+=(etcd-client)
have nats-server || missing+=(nats-server)
# unzip: helm and kubectl come zipped in an npm package (scripts/k8s-tools.sh).
have unzip || missing+=(unzip)
if [ "${1:-}" = "--browser" ]; then
  have chromium || missing+=(chromium)
  [ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing from Debian: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: install Node.js (20 or newer) and npm first; the project brings its own Node 24" >&2
  exit 1
fi
# Reinstall when node_modules is missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# helm and kubectl for the chart's tests and the k8s/ render (from an npm package, no download).
bash scripts/k8s-tools.sh >/dev/null
