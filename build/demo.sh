#!/usr/bin/env bash
# The main job end to end: SDK package -> upstream OS image -> runtime base image and package ->
# bake the sample app -> run it -> show an expired base failing the bake with nothing pushed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/images.sh"

ensure_dotnet
ensure_apt docker-registry docker.io debootstrap jq curl
start_dockerd || die "dockerd did not start; see $RUN_DIR/dockerd.log"
start_registry

log "Packing Bakery.Sdk"
SDK_VERSION=$(pack_sdk)
log "Bakery.Sdk $SDK_VERSION"

push_upstream
push_runtime_base
pack_base_package Contoso.BaseImages.Runtime 10.0.2 "$RUNTIME_REF" "$(date -u -d '+1 year' +%F)"
pack_base_package Contoso.BaseImages.Runtime 10.0.1 "$RUNTIME_REF" "$(date -u -d '-10 days' +%F)" "$(date -u -d '-60 days' +%F)" "Contoso.BaseImages.Runtime 10.0.2"

# The sample is copied so the demo never writes into the source tree.
work="$ARTIFACTS/demo"
rm -rf "$work"; mkdir -p "$work"
cp -r "$ROOT/samples/." "$work/"
cat > "$work/global.json" <<JSON
{ "msbuild-sdks": { "Bakery.Sdk": "$SDK_VERSION" } }
JSON
cat > "$work/nuget.config" <<XML
<configuration>
  <packageSources>
    <clear />
    <add key="bakery-local" value="$FEED" />
  </packageSources>
</configuration>
XML
export NUGET_PACKAGES="$work/.packages"
app="$work/apps/hello-web"

log "Baking samples/apps/hello-web on Contoso.BaseImages.Runtime 10.0.2"
dotnet publish "$app" -c Release -nr:false -p:BakeImage=true -p:BakeryBuildId=1 -p:ContainerRegistry="$REGISTRY"
image="$REGISTRY/samples/hello-web:1.2.0-build.1"

log "Running $image in dockerd (network none)"
docker pull -q "$image" >/dev/null
docker run --rm --network none "$image" --self-test

log "Now the same app on Contoso.BaseImages.Runtime 10.0.1, which has expired:"
set +e
dotnet publish "$app" -c Release -nr:false -p:BakeImage=true -p:BakeryBuildId=2 -p:ContainerRegistry="$REGISTRY" -p:RuntimeBaseVersion=10.0.1 \
  > "$work/expired.log" 2>&1
status=$?
set -e
grep -E "error BAKE" "$work/expired.log" | sed 's/^ *//' | sort -u >&2 || true
[ $status -ne 0 ] || die "the bake on an expired base image should have failed"
grep -q "BAKE101" "$work/expired.log" || die "expected BAKE101 in $work/expired.log"
tags=$(curl -fsS "http://$REGISTRY/v2/samples/hello-web/tags/list" | jq -r '.tags | join(", ")')
log "Registry tags for samples/hello-web: $tags (no build 2: nothing was pushed)"
case ",$tags," in *build.2*) die "an image was pushed for the failed bake" ;; esac
log "Demo complete. Report: $app/obj/Release/net10.0/bakery/bakery-report.md"
