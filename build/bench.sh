#!/usr/bin/env bash
# Bakery bake vs the .NET SDK's own PublishContainer, same app, same base image, same registry.
# Cases: warm (nothing changed) and changed source; RUNS runs each after one warm-up; medians and ratios.
# Also: blob bytes uploaded by a no-change rebake, and whether two bakes of one commit give one digest.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/images.sh"
RUNS="${RUNS:-5}"

ensure_dotnet
ensure_apt docker-registry docker.io debootstrap jq curl
start_dockerd || die "dockerd did not start; see $RUN_DIR/dockerd.log"
start_registry
SDK_VERSION=$(pack_sdk)
push_upstream
push_runtime_base
pack_base_package Contoso.BaseImages.Runtime 10.0.2 "$RUNTIME_REF" "$(date -u -d '+1 year' +%F)"

work="$ARTIFACTS/bench"
rm -rf "$work"; mkdir -p "$work/sdk-app" "$work/bakery-app"
echo '<Project />' > "$work/Directory.Build.props"
echo '<Project />' > "$work/Directory.Packages.props"
echo "{ \"msbuild-sdks\": { \"Bakery.Sdk\": \"$SDK_VERSION\" } }" > "$work/global.json"
cat > "$work/nuget.config" <<XML
<configuration><packageSources><clear /><add key="bakery-local" value="$FEED" /></packageSources></configuration>
XML
export NUGET_PACKAGES="$work/.packages"
common='<OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings><Version>1.2.0</Version>'
cat > "$work/sdk-app/app.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>$common<ContainerRepository>bench/sdk-app</ContainerRepository>
    <ContainerBaseImage>$RUNTIME_REF</ContainerBaseImage><ContainerRegistry>$REGISTRY</ContainerRegistry><ContainerImageTag>bench</ContainerImageTag></PropertyGroup>
  <ItemGroup><FrameworkReference Include="Microsoft.AspNetCore.App" /></ItemGroup>
</Project>
XML
cat > "$work/bakery-app/app.csproj" <<XML
<Project Sdk="Bakery.Sdk">
  <PropertyGroup>$common<ContainerRepository>bench/bakery-app</ContainerRepository><ContainerRegistry>$REGISTRY</ContainerRegistry></PropertyGroup>
  <ItemGroup><FrameworkReference Include="Microsoft.AspNetCore.App" />
    <PackageReference Include="Contoso.BaseImages.Runtime" Version="10.0.2" /></ItemGroup>
</Project>
XML
for app in sdk-app bakery-app; do cp "$ROOT/samples/apps/hello-web/Program.cs" "$work/$app/"; done

sdk_publish()    { dotnet publish "$work/sdk-app" -nr:false -v:q -nologo -t:PublishContainer >/dev/null; }
bakery_publish() { dotnet publish "$work/bakery-app" -nr:false -v:q -nologo -p:BakeImage=true -p:BakeryBuildId="$1" >/dev/null; }
now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
report="$work/bakery-app/obj/Release/net10.0/bakery/bakery-report.json"

log "Warm-up (restore, first push)"
sdk_publish; bakery_publish 0

declare -A results
measure() { # name command...
  local name="$1"; shift
  local times=() i t0
  for i in $(seq 1 "$RUNS"); do
    [ "${CHANGE:-}" = 1 ] && echo "// change $i $RANDOM" >> "$work/${name%%:*}/Program.cs"
    t0=$(now_ms); "$@" "$i"; times+=($(( $(now_ms) - t0 )))
  done
  results[$name]=$(printf '%s\n' "${times[@]}" | median)
  log "$name: ${times[*]} ms (median ${results[$name]})"
}
sdk_run() { sdk_publish; }
bakery_run() { bakery_publish "w$1"; }

measure "sdk-app:warm" sdk_run
measure "bakery-app:warm" bakery_run
digest1=$(jq -r .digest "$report"); uploaded=$(jq -r .push.bytesUploaded "$report")
bakery_publish again; digest2=$(jq -r .digest "$report")
CHANGE=1 measure "sdk-app:changed" sdk_run
CHANGE=1 measure "bakery-app:changed" bakery_run

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
warm_ratio=$(ratio "${results[bakery-app:warm]}" "${results[sdk-app:warm]}")
changed_ratio=$(ratio "${results[bakery-app:changed]}" "${results[sdk-app:changed]}")
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t ? "met" : "MISSED") }'; }

echo
echo "| case | SDK PublishContainer (ms) | Bakery bake (ms) | ratio | target |"
echo "|---|---|---|---|---|"
echo "| warm, nothing changed | ${results[sdk-app:warm]} | ${results[bakery-app:warm]} | ${warm_ratio}x | <= 1.1x: $(verdict "$warm_ratio" 1.1) |"
echo "| changed source | ${results[sdk-app:changed]} | ${results[bakery-app:changed]} | ${changed_ratio}x | (reported) |"
echo
echo "no-change rebake uploaded: $uploaded blob bytes (target 0: $([ "$uploaded" = 0 ] && echo met || echo MISSED))"
echo "two bakes of one commit: $digest1 / $digest2 ($([ "$digest1" = "$digest2" ] && echo "one digest: met" || echo "different: MISSED"))"
