#!/usr/bin/env bash
# Runs an image built by docker/buildah-local.sh the way Kubernetes runs it, without a container
# runtime: its own PID namespace (the image's ENTRYPOINT, tini, is PID 1), the root filesystem
# read-only with a tmpfs on /tmp, the image's USER (1000), WORKDIR, ENV and CMD. Host network, so
# it reaches a local stack. Root, Linux. SIGTERM/Ctrl-C stops it (tini passes it to node: a drain).
# Usage: bash docker/buildah-run.sh <target> [VAR=value ...]
#   e.g. bash docker/buildah-run.sh gateway HTTP_PORT=26099 NATS_URL=nats://127.0.0.1:26810 \
#          ETCD_ENDPOINTS=http://127.0.0.1:26790,http://127.0.0.1:26791,http://127.0.0.1:26792
set -euo pipefail
target="${1:?usage: buildah-run.sh <target> [VAR=value ...]}"
shift
work="${BUILDAH_WORK:-/tmp/ticketcd-buildah}"
b=(buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs)
image="ticketcd/${target}:local"
cfg() { "${b[@]}" inspect --type image --format "$1" "$image"; }
mapfile -t env < <(cfg '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' | sed '/^$/d')
mapfile -t entry < <(cfg '{{range .OCIv1.Config.Entrypoint}}{{println .}}{{end}}' | sed '/^$/d')
mapfile -t cmd < <(cfg '{{range .OCIv1.Config.Cmd}}{{println .}}{{end}}' | sed '/^$/d')
user=$(cfg '{{.OCIv1.Config.User}}')
workdir=$(cfg '{{.OCIv1.Config.WorkingDir}}')
ctr=$("${b[@]}" from "$image")
mnt=$("${b[@]}" mount "$ctr")
cleanup() { "${b[@]}" umount "$ctr" >/dev/null || true; "${b[@]}" rm "$ctr" >/dev/null || true; }
trap cleanup EXIT
# In the new mount namespace: bind the rootfs onto itself, add /proc, /dev and a tmpfs /tmp, then
# make the rootfs read-only and chroot into it as the image's user.
unshare --mount --pid --fork sh -c '
  set -e
  mnt="$1" user="$2" workdir="$3"; shift 3
  mount --make-rprivate /
  mount --bind "$mnt" "$mnt"
  mount -t proc proc "$mnt/proc"
  mount --rbind /dev "$mnt/dev"
  mount -t tmpfs tmpfs "$mnt/tmp"
  mount -o remount,bind,ro "$mnt"
  exec chroot --userspec="$user" "$mnt" /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$workdir" "$@"
' sh "$mnt" "$user" "$workdir" /usr/bin/env -i "${env[@]}" "$@" "${entry[@]}" "${cmd[@]}"
