#!/usr/bin/env bash
# Upstream OS image and the first runtime base image, made with debootstrap and dockerd,
# and base-image packages that point at them. Sourced after lib.sh.

ROOTFS_CACHE="$ARTIFACTS/cache/rootfs-bookworm"

# make_rootfs : a minimal Debian bookworm with what .NET needs (ICU, OpenSSL, CA certificates); cached.
make_rootfs() {
  ensure_apt debootstrap
  if [ -f "$ROOTFS_CACHE/.complete" ]; then log "Using cached rootfs $ROOTFS_CACHE"; return 0; fi
  log "debootstrap --variant=minbase bookworm (about a minute)"
  rm -rf "$ROOTFS_CACHE"; mkdir -p "$(dirname "$ROOTFS_CACHE")"
  debootstrap --variant=minbase --include=libicu72,libssl3,ca-certificates bookworm "$ROOTFS_CACHE" \
    "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" > "$ARTIFACTS/cache/debootstrap.log" 2>&1 \
    || die "debootstrap failed; see $ARTIFACTS/cache/debootstrap.log"
  rm -rf "$ROOTFS_CACHE"/var/cache/apt/archives/*.deb "$ROOTFS_CACHE"/var/lib/apt/lists/*
  touch "$ROOTFS_CACHE/.complete"
}

# repo_digest IMAGE : registry/repo@sha256:… of a pushed image.
repo_digest() {
  docker inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$1" | grep -F "${1%:*}@" | head -1
}

# push_upstream : the "public upstream" OS image in the local registry; sets UPSTREAM_REF.
push_upstream() {
  make_rootfs
  local image="$REGISTRY/upstream/debian:bookworm"
  log "Importing the rootfs as $image"
  tar --numeric-owner -C "$ROOTFS_CACHE" --exclude=./.complete -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["bash"]' - "$image" >/dev/null
  docker push -q "$image" >/dev/null
  UPSTREAM_REF=$(repo_digest "$image")
  log "Upstream: $UPSTREAM_REF"
}

# push_runtime_base : upstream + the .NET runtime + a non-root 'app' user; sets RUNTIME_REF.
push_runtime_base() {
  local image="$REGISTRY/bakery/runtime-base:10.0"
  local dotnet_root; dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
  local stage="$RUN_DIR/runtime-stage"
  rm -rf "$stage"; mkdir -p "$stage/usr/share/dotnet" "$stage/usr/bin"
  cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$stage/usr/share/dotnet/"
  mkdir -p "$stage/usr/share/dotnet/shared"
  cp -a "$dotnet_root/shared/Microsoft.NETCore.App" "$dotnet_root/shared/Microsoft.AspNetCore.App" "$stage/usr/share/dotnet/shared/"
  ln -s ../share/dotnet/dotnet "$stage/usr/bin/dotnet"
  log "Baking the runtime base $image (upstream + .NET runtime + user app)"
  local cid
  cid=$(docker create --network none "$UPSTREAM_REF" sh -c 'useradd --uid 1654 --user-group --create-home app')
  docker start -a "$cid" >/dev/null
  tar --numeric-owner --owner=0 --group=0 -C "$stage" -c . | docker cp - "$cid:/"
  docker commit \
    --change 'ENV DOTNET_ROOT=/usr/share/dotnet' \
    --change 'ENV ASPNETCORE_HTTP_PORTS=8080' \
    --change 'ENV DOTNET_RUNNING_IN_CONTAINER=true' \
    --change 'USER app' --change 'WORKDIR /app' --change 'CMD []' \
    "$cid" "$image" >/dev/null
  docker rm "$cid" >/dev/null
  docker push -q "$image" >/dev/null
  RUNTIME_REF=$(repo_digest "$image")
  log "Runtime base: $RUNTIME_REF"
}

# pack_base_package ID VERSION REF [EXPIRES [DEPRECATED [SUCCESSOR]]] : a base-image package in the feed.
pack_base_package() {
  local id="$1" version="$2" ref="$3" expires="${4:-}" deprecated="${5:-}" successor="${6:-}"
  local registry="${ref%%/*}" rest="${ref#*/}"
  local repository="${rest%@*}" digest="${ref#*@}"
  local dir="$ARTIFACTS/work/base-packages/$id.$version"
  rm -rf "$dir"; mkdir -p "$dir"
  echo '<Project />' > "$ARTIFACTS/work/Directory.Build.props"
  echo '<Project />' > "$ARTIFACTS/work/Directory.Packages.props"
  cp "$ROOT/build/base-package/BasePackage.csproj" "$dir/"
  jq -n --arg id "$id" --arg version "$version" --arg registry "$registry" --arg repository "$repository" \
     --arg digest "$digest" --arg published "$(date -u +%Y-%m-%d)" --arg expires "$expires" \
     --arg deprecated "$deprecated" --arg successor "$successor" '{
      schemaVersion: 1, id: $id, version: $version,
      image: { registry: $registry, repository: $repository, digest: $digest, platform: "linux/amd64" },
      lifecycle: ({ published: $published }
        + (if $expires != "" then { expiresOn: $expires } else {} end)
        + (if $deprecated != "" then { deprecatedOn: $deprecated } else {} end)
        + (if $successor != "" then { successor: $successor } else {} end)),
      lineage: [], origin: { source: "build/images.sh" }, labels: {}, verify: [],
      environment: { user: "app", workdir: "/app" } }' > "$dir/image.json"
  cat > "$dir/base.props" <<PROPS
<Project>
  <ItemGroup>
    <BakeryBaseImage Include="$id" Version="$version" Descriptor="\$(MSBuildThisFileDirectory)../bakery/image.json" />
  </ItemGroup>
</Project>
PROPS
  dotnet pack "$dir/BasePackage.csproj" -o "$FEED" -p:PackageId="$id" -p:PackageVersion="$version" -nr:false -v:q -nologo >&2
  log "Packed base-image package $id $version -> $ref"
}
