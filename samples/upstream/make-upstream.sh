#!/usr/bin/env bash
# The "public upstream" a global bakery starts from: a minimal Debian bookworm for each platform, made
# with debootstrap (another architecture's through QEMU user-mode emulation: qemu-user-static with
# binfmt_misc), built into dockerd FROM scratch for that platform, pushed to REGISTRY as
# upstream/debian:bookworm-<arch>, and joined into the index upstream/debian:bookworm with
# `docker manifest`. Prints registry/repo@<index digest>.
#   make-upstream.sh REGISTRY ROOTFS_CACHE_DIR [PLATFORMS]
# PLATFORMS defaults to "linux/amd64 linux/arm64". The amd64 rootfs is cached in ROOTFS_CACHE_DIR, every
# other one in ROOTFS_CACHE_DIR-<arch> (arm64 takes several minutes under emulation, once).
# .NET needs ICU, OpenSSL and CA certificates, which minbase lacks: they are included here.
set -euo pipefail
registry="${1:?registry, e.g. localhost:5000}"
rootfs_base="${2:?folder to cache the rootfs in}"
platforms="${3:-linux/amd64 linux/arm64}"
image="$registry/upstream/debian:bookworm"
host_arch=$(dpkg --print-architecture)

members=()
for platform in $platforms; do
  arch="${platform#linux/}"
  rootfs="$rootfs_base"; [ "$arch" = "$host_arch" ] || rootfs="$rootfs_base-$arch"
  if [ ! -f "$rootfs/.complete" ]; then
    if [ "$arch" != "$host_arch" ] && [ ! -e "/proc/sys/fs/binfmt_misc/qemu-$(case $arch in arm64) echo aarch64;; *) echo "$arch";; esac)" ]; then
      echo "debootstrap for $arch needs QEMU user-mode emulation: apt-get install qemu-user-static binfmt-support (build/lib.sh ensure_binfmt does it)" >&2
      exit 1
    fi
    echo "debootstrap --arch=$arch --variant=minbase bookworm into $rootfs (about a minute natively, several under emulation)" >&2
    rm -rf "$rootfs"; mkdir -p "$(dirname "$rootfs")"
    debootstrap --arch="$arch" --variant=minbase --include=libicu72,libssl3,ca-certificates bookworm "$rootfs" \
      "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" > "$rootfs.log" 2>&1 || { echo "debootstrap failed; see $rootfs.log" >&2; exit 1; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    touch "$rootfs/.complete"
  fi
  member="$image-$arch"
  # docker import cannot set the architecture on a daemon without experimental features; the classic builder can.
  context=$(mktemp -d)
  tar --numeric-owner -C "$rootfs" --exclude=./.complete -cf "$context/rootfs.tar" .
  printf 'FROM scratch\nADD rootfs.tar /\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nCMD ["bash"]\n' > "$context/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q --platform "$platform" -t "$member" "$context" >/dev/null 2>&1 \
    || { rm -rf "$context"; echo "docker build of the $platform upstream failed" >&2; exit 1; }
  rm -rf "$context"
  docker push -q "$member" >/dev/null
  members+=("$member")
done

# docker manifest reads the members from the registry (plain HTTP on loopback: --insecure) and writes a Docker manifest list.
docker manifest rm "$image" >/dev/null 2>&1 || true
docker manifest create --insecure "$image" "${members[@]}" >/dev/null
digest=$(docker manifest push --insecure --purge "$image" | tail -1)
case "$digest" in sha256:*) ;; *) echo "docker manifest push gave no digest: $digest" >&2; exit 1 ;; esac
echo "$registry/upstream/debian@$digest"
