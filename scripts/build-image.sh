#!/usr/bin/env bash
# Build Andon's image without a Docker engine or an image registry, as CI does: a Debian bookworm base
# from debootstrap, a wheelhouse built on the host, `podman build --isolation=chroot`; then smoke-test
# the image by running `andon --help` and `andon investigate` inside its root filesystem (a container's
# writable mount; `podman run` cannot set up cgroups in this sandbox) as its non-root user, with no network.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${ANDON_IMAGE_WORK:-/var/tmp/andon-image}"
image=localhost/andon:ci
base=localhost/debian:bookworm

need=()
command -v podman >/dev/null || need+=(podman)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
mkdir -p "$work"

if ! podman image exists "$base"; then
  mirror=$(grep -hoE '^URIs: *\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 | awk '{print $2}')
  [ -n "$mirror" ] || mirror=$(grep -hoE '^deb +\S+' /etc/apt/sources.list 2>/dev/null | head -n1 | awk '{print $2}')
  rm -rf "$work/rootfs"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$work/rootfs" "$mirror"
  tar -C "$work/rootfs" -c . | podman import - "$base"
  rm -rf "$work/rootfs"
fi

rm -rf wheels && mkdir -p wheels
.venv/bin/pip wheel -q --wheel-dir wheels .
podman build --isolation=chroot --format docker --build-arg BASE="$base" -t "$image" .
rm -rf wheels

container=$(podman create "$image")
root=$(podman mount "$container")
trap 'podman umount "$container" >/dev/null 2>&1; podman rm -f "$container" >/dev/null 2>&1 || true' EXIT
mkdir -p "$root/tmp/andon-examples" && cp -r examples/alerts "$root/tmp/andon-examples/"
chmod -R a+rwX "$root/tmp/andon-examples"
run() { unshare --net chroot --userspec=andon:andon "$root" /usr/bin/env -i HOME=/home/andon PATH=/opt/andon/bin:/usr/bin:/bin \
  ANDON_DATA_DIR=/tmp/andon-data HF_HUB_OFFLINE=1 "$@"; }
run andon --help >/dev/null
run andon investigate --alert /tmp/andon-examples/alerts/checkout-bad-deploy.json --json > "$work/smoke.json"
python3 - "$work/smoke.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
assert report["root_cause"]["service"] == "checkout", report["root_cause"]
print("image smoke test passed:", report["root_cause"])
PY
