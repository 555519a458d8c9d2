#!/usr/bin/env bash
# The bakery chain used by demo, test and bench: upstream OS image -> global runtime base ->
# local team base, each baked and packed by Bakery.Sdk from samples/. Sourced after lib.sh.

# push_upstream [PLATFORMS] : the "public upstream" OS image index in the local registry (linux/amd64 and
# linux/arm64 by default; arm64 through QEMU); sets UPSTREAM_REF (the index) and UPSTREAM_AMD64_REF (its amd64 image).
push_upstream() {
  local platforms="${1:-linux/amd64 linux/arm64}"
  ensure_apt debootstrap curl jq
  case "$platforms" in *arm64*) ensure_binfmt || return 1 ;; esac
  log "Making the upstream OS image for $platforms (samples/upstream/make-upstream.sh)"
  UPSTREAM_REF=$("$ROOT/samples/upstream/make-upstream.sh" "$REGISTRY" "$ARTIFACTS/cache/rootfs-bookworm" "$platforms")
  [ -n "$UPSTREAM_REF" ] || { log "the upstream image was not pushed"; return 1; }
  UPSTREAM_AMD64_REF=$(index_member "$UPSTREAM_REF" amd64)
  export UPSTREAM_REF UPSTREAM_AMD64_REF
  log "Upstream: $UPSTREAM_REF (linux/amd64: ${UPSTREAM_AMD64_REF##*@})"
}

# index_member REGISTRY/REPO@INDEX_DIGEST ARCH : registry/repo@digest of the index's linux/ARCH image.
index_member() {
  local ref="$1" arch="$2" repo digest
  repo="${ref%@*}"; digest="${ref##*@}"
  digest=$(curl -fsS -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json' \
    "http://${repo%%/*}/v2/${repo#*/}/manifests/$digest" | jq -r --arg a "$arch" '.manifests[] | select(.platform.architecture == $a) | .digest' | head -1)
  [ -n "$digest" ] || die "$ref has no linux/$arch image"
  echo "$repo@$digest"
}

# samples_workspace DIR SDK_VERSION : a copy of samples/ that restores Bakery.Sdk from the feed and
# base-image packages from DIR/base-feed. The base-image packages live with the workspace, not in
# the shared feed: they pin images in this run's registry, which the next run starts empty.
samples_workspace() {
  local work="$1" version="$2"
  rm -rf "$work"; mkdir -p "$work"
  cp -r "$ROOT/samples/." "$work/"
  BASE_FEED="$work/base-feed"
  mkdir -p "$BASE_FEED"
  echo "{ \"msbuild-sdks\": { \"Bakery.Sdk\": \"$version\" } }" > "$work/global.json"
  cat > "$work/nuget.config" <<XML
<configuration>
  <packageSources>
    <clear />
    <add key="bakery-local" value="$FEED" />
    <add key="bakery-base-images" value="$BASE_FEED" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <!-- Only the .NET runtime packs (arm64 runtimes for the base, apphosts for the apps' RIDs) come from nuget.org. -->
  <packageSourceMapping>
    <packageSource key="bakery-local"><package pattern="*" /></packageSource>
    <packageSource key="bakery-base-images"><package pattern="*" /></packageSource>
    <packageSource key="nuget.org">
      <package pattern="Microsoft.NETCore.App.Runtime.*" />
      <package pattern="Microsoft.AspNetCore.App.Runtime.*" />
      <package pattern="Microsoft.NETCore.App.Host.*" />
    </packageSource>
  </packageSourceMapping>
</configuration>
XML
  # The .NET runtime packs the user's package folder already has are linked in, not downloaded again.
  local pack packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
  mkdir -p "$work/.packages"
  for pack in "$packages"/microsoft.netcore.app.runtime.linux-* "$packages"/microsoft.aspnetcore.app.runtime.linux-* "$packages"/microsoft.netcore.app.host.linux-*; do
    [ -d "$pack" ] && { cp -al "$pack" "$work/.packages/" 2>/dev/null || cp -r "$pack" "$work/.packages/"; }
  done
  export NUGET_PACKAGES="$work/.packages"
}

# bake_and_pack PROJECT_DIR ARGS... : bakes and pushes a base image, then packs its base-image package into the workspace's feed.
bake_and_pack() {
  local project="$1"; shift
  log "Baking $(basename "$project") and packing its base-image package"
  dotnet publish "$project" -nr:false -nologo -v:m -p:BakeImage=true -p:ContainerRegistry="$REGISTRY" "$@"
  dotnet pack "$project" -nr:false -nologo -v:m -o "$BASE_FEED" -p:ContainerRegistry="$REGISTRY" "$@"
}

# report_field PROJECT_DIR JQ : a field of the project's last bake report.
report_field() {
  jq -r "$2" "$(find "$1/obj" -name bakery-report.json -print -quit)"
}

# packed_version ID VERSION_PREFIX : the newest version of a base-image package in the workspace's feed that starts with the prefix (10.0.4 -> 10.0.4.1).
packed_version() {
  ls "$BASE_FEED" | sed -nE "s/^$1\.($2(\.[0-9]+)?)\.nupkg$/\1/p" | sort -V | tail -1
}

# refresh_advisories DIR : marks the OSV files as updated today, as an organisation's nightly refresh would
# (the sample database ships with a fixed date, which the gate's age check would call stale).
refresh_advisories() {
  local f
  for f in "$1"/*.json; do jq --arg now "$(date -u +%FT%TZ)" '.modified = $now' "$f" > "$f.tmp" && mv "$f.tmp" "$f"; done
}
