#!/usr/bin/env bash
# The "public upstream" a global bakery starts from: a minimal Debian bookworm made with debootstrap,
# imported into dockerd and pushed to REGISTRY as upstream/debian:bookworm. Prints registry/repo@digest.
#   make-upstream.sh REGISTRY ROOTFS_CACHE_DIR
# .NET needs ICU, OpenSSL and CA certificates, which minbase lacks: they are included here.
set -euo pipefail
registry="${1:?registry, e.g. localhost:5000}"
rootfs="${2:?folder to cache the rootfs in}"
if [ ! -f "$rootfs/.complete" ]; then
  echo "debootstrap --variant=minbase bookworm into $rootfs (about a minute)" >&2
  rm -rf "$rootfs"; mkdir -p "$(dirname "$rootfs")"
  debootstrap --variant=minbase --include=libicu72,libssl3,ca-certificates bookworm "$rootfs" \
    "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" > "$rootfs.log" 2>&1 || { echo "debootstrap failed; see $rootfs.log" >&2; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  touch "$rootfs/.complete"
fi
image="$registry/upstream/debian:bookworm"
tar --numeric-owner -C "$rootfs" --exclude=./.complete -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["bash"]' - "$image" >/dev/null
docker push -q "$image" >/dev/null
docker inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$image" | grep -F "$registry/upstream/debian@" | head -1
