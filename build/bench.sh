#!/usr/bin/env bash
# Benchmarks, each a ratio against a baseline measured in the same run on this machine:
#  1. app: Bakery bake vs the .NET SDK's own PublishContainer (same app, same base, same registry),
#     warm (nothing changed) and with a changed source file;
#  2. base image: a no-change rebake of the global runtime base vs `docker build` + `docker push` of an
#     equivalent Dockerfile, by `bakery bake` from the bake plan (the target) and by `dotnet publish`;
#  3. the registry lifecycle check: a warm app bake vs the same bake with BakeryOffline=true;
#  4. SBOM + vulnerability assessment of the global image (`bakery scan --database`, warm) vs
#     `bakery inspect` of the same image (tool start and registry round trips only);
#  5. the secret scan of a mixed 200 MB layer vs reading the same layer (gunzip + safe tar walk);
#  6. a no-change app rebake through a token-auth registry (Distribution auth: token and the tests' token
#     server, the base copied there) vs the same rebake through the anonymous registry;
#  7. peak memory (RSS) of `bakery verify` and `bakery scan` of a generated 1 GB image (many small files,
#     a few large ones, one huge *.deps.json), cold index cache, vs the same commands on a tiny image;
#  8. `bakery rebase` of 20 app images onto a fixed runtime base vs `dotnet publish -p:BakeImage=true` of the
#     same 20 apps against it (each rebase must give the rebuild's digest and upload only its config), one
#     `bakery rebase` per image and all of them by one `bakery remediate --rebase` (the fleet command);
#  9. signing + provenance: a warm app bake with BakerySigningKey vs the same bake without;
# 10. a two-platform app (ContainerRuntimeIdentifiers=linux-x64;linux-arm64) on the two-platform runtime
#     base vs the SDK's own multi-RID PublishContainer of the same app on the same base index, warm;
#  plus blob bytes uploaded by no-change rebakes (the global base bakes linux/amd64 and linux/arm64) and whether two bakes of one commit give one digest.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/images.sh"
RUNS="${RUNS:-5}"   # BENCH_APP_ONLY=1: only the app cases (warm, changed, lean layers)
REBASE_APPS="${REBASE_APPS:-20}"

ensure_dotnet
ensure_apt docker-registry docker.io debootstrap jq curl time
start_dockerd || die "dockerd did not start; see $RUN_DIR/dockerd.log"
start_registry
SDK_VERSION=$(pack_sdk)
push_upstream

work="$ARTIFACTS/bench"
samples_workspace "$work" "$SDK_VERSION"
global="$work/global/runtime-base"
bake_and_pack "$global" -p:UpstreamImage="$UPSTREAM_REF" -p:BakeryBuildId=1 >/dev/null
RUNTIME_REF=$(report_field "$global" '"\(.image)@\(.digest)"')
log "Runtime base: $RUNTIME_REF"

mkdir -p "$work/sdk-app" "$work/bakery-app"
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
    <PackageReference Include="Contoso.BaseImages.Runtime" Version="10.0.*" /></ItemGroup>
</Project>
XML
# The same app for two platforms: one publish per RID and an index, by the SDK and by Bakery.
mkdir -p "$work/sdk-multi" "$work/bakery-multi"
multi='<ContainerRuntimeIdentifiers>linux-x64;linux-arm64</ContainerRuntimeIdentifiers><RuntimeIdentifiers>linux-x64;linux-arm64</RuntimeIdentifiers>'
cat > "$work/sdk-multi/app.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>$common$multi<ContainerRepository>bench/sdk-multi</ContainerRepository>
    <ContainerBaseImage>$RUNTIME_REF</ContainerBaseImage><ContainerRegistry>$REGISTRY</ContainerRegistry><ContainerImageTag>bench</ContainerImageTag></PropertyGroup>
  <ItemGroup><FrameworkReference Include="Microsoft.AspNetCore.App" /></ItemGroup>
</Project>
XML
cat > "$work/bakery-multi/app.csproj" <<XML
<Project Sdk="Bakery.Sdk">
  <PropertyGroup>$common$multi<ContainerRepository>bench/bakery-multi</ContainerRepository><ContainerRegistry>$REGISTRY</ContainerRegistry></PropertyGroup>
  <ItemGroup><FrameworkReference Include="Microsoft.AspNetCore.App" />
    <PackageReference Include="Contoso.BaseImages.Runtime" Version="10.0.*" /></ItemGroup>
</Project>
XML
for app in sdk-app bakery-app sdk-multi bakery-multi; do cp "$ROOT/samples/apps/hello-web/Program.cs" "$work/$app/"; done
# Lean app layers: the same web app with > 20 MB of NuGet dependencies (Roslyn and its satellite
# resources, C# and Visual Basic: about 25 MB, from nuget.org), baked by Bakery (split layers) and by the SDK (one app layer).
lean_package='<PackageReference Include="Microsoft.CodeAnalysis.CSharp" Version="4.14.0" /><PackageReference Include="Microsoft.CodeAnalysis.VisualBasic" Version="4.14.0" />'
mkdir -p "$work/sdk-lean" "$work/bakery-lean"
sed -e 's|bench/sdk-app|bench/sdk-lean|' -e "s|<ItemGroup>|<ItemGroup>$lean_package|" "$work/sdk-app/app.csproj" > "$work/sdk-lean/app.csproj"
sed -e 's|bench/bakery-app|bench/bakery-lean|' -e "s|<ItemGroup>|<ItemGroup>$lean_package|" "$work/bakery-app/app.csproj" > "$work/bakery-lean/app.csproj"
for app in sdk-lean bakery-lean; do
  cp "$ROOT/samples/apps/hello-web/Program.cs" "$work/$app/"
  # The workspace's nuget.config maps only the runtime packs to nuget.org; Roslyn and its dependencies come from there too.
  sed -e 's|<package pattern="Microsoft.NETCore.App.Host.\*" />|&<package pattern="Microsoft.CodeAnalysis.*" /><package pattern="System.*" />|' "$work/nuget.config" > "$work/$app/nuget.config"
  grep -q 'Microsoft.CodeAnalysis' "$work/$app/nuget.config" || die "could not map Roslyn's packages to nuget.org in $work/$app/nuget.config"
done

now_ms() { date +%s%3N; }
# quietly NAME COMMAND... : runs a measured command without its output; when it fails, shows the output's end and stops the bench.
quietly() {
  local name="$1"; shift
  "$@" > "$RUN_DIR/bench-last.log" 2>&1 || { tail -40 "$RUN_DIR/bench-last.log" >&2; die "$name failed (its output is above)"; }
}
# step_ms REGEX : the summed time of the tasks matching REGEX in the last measured command's task performance summary
step_ms() { awk -v re="$1" '/Task Performance Summary/ { t = 1; next } t && $2 == "ms" && $3 ~ re { s += $1 } END { print s + 0 }' "$RUN_DIR/bench-last.log"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t ? "met" : "MISSED") }'; }
declare -A results
# measure_pair NAME_A COMMAND_A NAME_B COMMAND_B : runs A and B alternately RUNS times, so drift in the
# machine's speed hits both sides alike; each command gets the run number. CHANGE=dir appends to
# dir/Program.cs before each run (CHANGE_B for B's side). STEP_A/STEP_B (task name patterns) also record the image
# step alone, from MSBuild's task performance summary (the commands add $PERF), as NAME:step.
measure_pair() {
  local name_a="$1" cmd_a="$2" name_b="$3" cmd_b="$4"
  local times_a=() times_b=() steps_a=() steps_b=() i t0
  for i in $(seq 1 "$RUNS"); do
    [ -n "${CHANGE:-}" ] && echo "// change $i $RANDOM" >> "$CHANGE/Program.cs"
    t0=$(now_ms); quietly "$name_a" "$cmd_a" "$i"; times_a+=($(( $(now_ms) - t0 )))
    [ -z "${STEP_A:-}" ] || steps_a+=($(step_ms "$STEP_A"))
    [ -n "${CHANGE_B:-}" ] && echo "// change $i $RANDOM" >> "$CHANGE_B/Program.cs"
    t0=$(now_ms); quietly "$name_b" "$cmd_b" "$i"; times_b+=($(( $(now_ms) - t0 )))
    [ -z "${STEP_B:-}" ] || steps_b+=($(step_ms "$STEP_B"))
  done
  results[$name_a]=$(printf '%s\n' "${times_a[@]}" | median)
  results[$name_b]=$(printf '%s\n' "${times_b[@]}" | median)
  log "$name_a: ${times_a[*]} ms (median ${results[$name_a]}); $name_b: ${times_b[*]} ms (median ${results[$name_b]})"
  if [ -n "${STEP_A:-}" ] && [ -n "${STEP_B:-}" ]; then
    results[$name_a:step]=$(printf '%s\n' "${steps_a[@]}" | median)
    results[$name_b:step]=$(printf '%s\n' "${steps_b[@]}" | median)
    log "  image step: $name_a: ${steps_a[*]} ms (median ${results[$name_a:step]}); $name_b: ${steps_b[*]} ms (median ${results[$name_b:step]})"
  fi
}

# The image step: the SDK's container tasks, and Bakery's (they run the SDK's ParseContainerProperties too).
SDK_STEP='^(ParseContainerProperties|ComputeDotnetBaseImageAndTag|CreateNewImage|CreateImageIndex)$'
BAKERY_STEP='^(ParseContainerProperties|ResolveBakeryBaseImage|ValidateBakeryTarget|CompleteBakeryBaseImageCheck|BakeContainerImage|GetBakeryPackageVersion)$'
PERF=""
sdk_app()     { dotnet publish "$work/sdk-app" -nr:false -v:q -nologo -t:PublishContainer $PERF; }
# Each pair tags its own build ids (ID_PREFIX): a build tag never moves to another digest (BAKE407).
bakery_app()  { dotnet publish "$work/bakery-app" -nr:false -v:q -nologo -p:BakeImage=true -p:BakeryBuildId="${ID_PREFIX:-a}$1" $PERF; }
# The lean case compiles on every run. It uses the C# compiler server, as `dotnet publish` does by default; an
# environment that exports UseSharedCompilation=false (some CI images and sandboxes do) would start a new compiler
# process for every compile on both sides, about 3 s of JIT that varies by +-0.5 s. That is reported as a row of its own.
LEAN_SHARED=true
sdk_lean()     { dotnet publish "$work/sdk-lean" -nr:false -v:q -nologo -t:PublishContainer -p:UseSharedCompilation=$LEAN_SHARED $PERF; }
bakery_lean()  { dotnet publish "$work/bakery-lean" -nr:false -v:q -nologo -p:BakeImage=true -p:BakeryBuildId="l$LEAN_SHARED$1" -p:UseSharedCompilation=$LEAN_SHARED $PERF; }
# compiler_servers : the PIDs of the running C# compiler servers (the bench stops those it started)
compiler_servers() { grep -l -a 'VBCSCompile[r]' /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 | sort || true; }
servers_before=$(compiler_servers)
trap 'STARTED_PIDS+=($(comm -13 <(echo "$servers_before") <(compiler_servers))); cleanup_started' EXIT
bakery_app_offline() { dotnet publish "$work/bakery-app" -nr:false -v:q -nologo -p:BakeImage=true -p:BakeryBuildId="o$1" -p:BakeryOffline=true; }
sdk_multi()    { dotnet publish "$work/sdk-multi" -nr:false -v:q -nologo -t:PublishContainer; }
bakery_multi() { dotnet publish "$work/bakery-multi" -nr:false -v:q -nologo -p:BakeImage=true -p:BakeryBuildId="m$1"; }
bakery_base() { dotnet publish "$global" -nr:false -v:q -nologo -p:BakeImage=true -p:ContainerRegistry="$REGISTRY" -p:UpstreamImage="$UPSTREAM_REF" -p:BakeryBuildId="b$1"; }

# The Dockerfile equivalent of samples/global/runtime-base.
docker_ctx="$work/docker-base"
dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
runtime_version=$(ls "$dotnet_root/shared/Microsoft.NETCore.App" | sort -V | tail -1)
mkdir -p "$docker_ctx/dotnet/shared/Microsoft.NETCore.App" "$docker_ctx/dotnet/shared/Microsoft.AspNetCore.App"
cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$docker_ctx/dotnet/"
cp -a "$dotnet_root/shared/Microsoft.NETCore.App/$runtime_version" "$docker_ctx/dotnet/shared/Microsoft.NETCore.App/"
cp -a "$dotnet_root/shared/Microsoft.AspNetCore.App/$runtime_version" "$docker_ctx/dotnet/shared/Microsoft.AspNetCore.App/"
cp -a "$global/conventions" "$docker_ctx/conventions"
cat > "$docker_ctx/Dockerfile" <<DOCKERFILE
FROM $UPSTREAM_REF
COPY dotnet/ /usr/share/dotnet/
COPY conventions/ /
RUN useradd --uid 1654 --user-group --create-home app && mkdir -p /run/secrets /app && chmod 0750 /run/secrets && chown app:app /run/secrets /app
ENV DOTNET_ROOT=/usr/share/dotnet PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/share/dotnet \
    DOTNET_RUNNING_IN_CONTAINER=true ASPNETCORE_HTTP_PORTS=8080 \
    Logging__Console__FormatterName=simple Logging__Console__FormatterOptions__SingleLine=true
LABEL org.opencontainers.image.vendor=Contoso dev.bakery.owner=platform-team
USER app
WORKDIR /app
DOCKERFILE
docker_base() {
  DOCKER_BUILDKIT=0 docker build -q --network none -t "$REGISTRY/bench/docker-base:1" "$docker_ctx" \
    && docker push -q "$REGISTRY/bench/docker-base:1"
}

log "Warm-up (restore, first builds and pushes)"
quietly sdk-app sdk_app; quietly bakery-app bakery_app 0
[ "${BENCH_APP_ONLY:-}" = 1 ] || { quietly docker-base docker_base; quietly bakery-base bakery_base 0; }

PERF=-clp:PerformanceSummary STEP_A=$SDK_STEP STEP_B=$BAKERY_STEP measure_pair "sdk-app:warm" sdk_app "bakery-app:warm" bakery_app
# The same app with Bakery.Sdk imported by path instead of Sdk="Bakery.Sdk": what the NuGet SDK resolver costs any
# MSBuild SDK from NuGet (it loads NuGet's assemblies once more, so the restore runs them without their ReadyToRun code).
packages=$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: //p')
sdk_dir="${packages%/}/bakery.sdk/$SDK_VERSION/Sdk"
[ -f "$sdk_dir/Sdk.props" ] || die "Bakery.Sdk $SDK_VERSION is not in the package folder ($sdk_dir)"
mkdir -p "$work/bakery-direct"
cp "$work/bakery-app/Program.cs" "$work/bakery-direct/"
sed -e "s|<Project Sdk=\"Bakery.Sdk\">|<Project><Import Project=\"$sdk_dir/Sdk.props\" />|" -e "s|</Project>|<Import Project=\"$sdk_dir/Sdk.targets\" /></Project>|" \
  -e 's|bench/bakery-app|bench/bakery-direct|' "$work/bakery-app/app.csproj" > "$work/bakery-direct/app.csproj"
bakery_direct() { dotnet publish "$work/bakery-direct" -nr:false -v:q -nologo -p:BakeImage=true -p:BakeryBuildId="d$1"; }
quietly bakery-direct bakery_direct 0
measure_pair "sdk-app:warm-again" sdk_app "bakery-direct:warm" bakery_direct
direct_ratio=$(ratio "${results[bakery-direct:warm]}" "${results[sdk-app:warm-again]}")
direct_row() {
  echo "| app, warm, nothing changed, Bakery.Sdk imported by path: no NuGet SDK resolver (baseline: SDK PublishContainer) | ${results[sdk-app:warm-again]} | ${results[bakery-direct:warm]} | ${direct_ratio}x | (reported) |"
}
app_report="$work/bakery-app/obj/Release/net10.0/bakery/bakery-report.json"
app_digest1=$(jq -r .digest "$app_report"); app_uploaded=$(jq -r .push.bytesUploaded "$app_report")
quietly bakery-app bakery_app again; app_digest2=$(jq -r .digest "$app_report")
ID_PREFIX=c CHANGE="$work/sdk-app" CHANGE_B="$work/bakery-app" measure_pair "sdk-app:changed" sdk_app "bakery-app:changed" bakery_app
log "Lean app layers: a one-line change in a web app with > 20 MB of NuGet dependencies"
quietly sdk-lean sdk_lean; quietly bakery-lean bakery_lean 0
PERF=-clp:PerformanceSummary STEP_A=$SDK_STEP STEP_B=$BAKERY_STEP CHANGE="$work/sdk-lean" CHANGE_B="$work/bakery-lean" measure_pair "sdk-lean:changed" sdk_lean "bakery-lean:changed" bakery_lean
LEAN_SHARED=false
quietly sdk-lean sdk_lean; quietly bakery-lean bakery_lean 0
CHANGE="$work/sdk-lean" CHANGE_B="$work/bakery-lean" measure_pair "sdk-lean:changed:no-server" sdk_lean "bakery-lean:changed:no-server" bakery_lean
lean_cold_ratio=$(ratio "${results[bakery-lean:changed:no-server]}" "${results[sdk-lean:changed:no-server]}")
lean_cold_row() {
  echo "| the same, UseSharedCompilation=false: a new compiler process for every compile (baseline: SDK PublishContainer) | ${results[sdk-lean:changed:no-server]} | ${results[bakery-lean:changed:no-server]} | ${lean_cold_ratio}x | (reported) |"
}
lean_report="$work/bakery-lean/obj/Release/net10.0/bakery/bakery-report.json"
lean_publish="$work/bakery-lean/bin/Release/net10.0/publish"
lean_uploaded=$(jq -r .push.bytesUploaded "$lean_report")
lean_layers=$(jq -r '[.layers[] | select(.origin == "bake") | "\(.name) \(.size)"] | join(", ")' "$lean_report")
# The project's own files: what the publish folder holds besides the package assets the deps.json names.
lean_project_bytes=$(find "$lean_publish" -maxdepth 1 -type f \( -name 'app' -o -name 'app.*' -o -name 'appsettings*.json' -o -name 'web.config' \) -printf '%s\n' | awk '{s+=$1} END {print s+0}')
lean_package_bytes=$(( $(du -sb "$lean_publish" | cut -f1) - lean_project_bytes ))
lean_ratio=$(ratio "${results[bakery-lean:changed]}" "${results[sdk-lean:changed]}")
lean_upload_ratio=$(ratio "$lean_uploaded" "$lean_project_bytes")
warm_step_ratio=$(ratio "${results[bakery-app:warm:step]}" "${results[sdk-app:warm:step]}")
lean_step_ratio=$(ratio "${results[bakery-lean:changed:step]}" "${results[sdk-lean:changed:step]}")
# The image step alone: compilation, restore and MSBuild's start are the same work on both sides.
step_rows() {
  echo "| app, warm, nothing changed: the image step alone (baseline: the SDK's container tasks) | ${results[sdk-app:warm:step]} | ${results[bakery-app:warm:step]} | ${warm_step_ratio}x | <= 1.0x: $(verdict "$warm_step_ratio" 1.0) |"
  echo "| web app with $(( lean_package_bytes / 1048576 )) MB of NuGet dependencies, one-line change: the image step alone (baseline: the SDK's container tasks) | ${results[sdk-lean:changed:step]} | ${results[bakery-lean:changed:step]} | ${lean_step_ratio}x | <= 0.9x: $(verdict "$lean_step_ratio" 0.9) |"
}
if [ "${BENCH_APP_ONLY:-}" = 1 ]; then
  # Only the app cases (for working on the inner loop): the same rows as in the full table.
  warm_ratio=$(ratio "${results[bakery-app:warm]}" "${results[sdk-app:warm]}")
  echo
  echo "| case | baseline (ms) | Bakery (ms) | ratio | target |"
  echo "|---|---|---|---|---|"
  echo "| app, warm, nothing changed (baseline: SDK PublishContainer) | ${results[sdk-app:warm]} | ${results[bakery-app:warm]} | ${warm_ratio}x | <= 1.0x: $(verdict "$warm_ratio" 1.0) |"
  echo "| web app with $(( lean_package_bytes / 1048576 )) MB of NuGet dependencies, one-line source change (baseline: SDK PublishContainer) | ${results[sdk-lean:changed]} | ${results[bakery-lean:changed]} | ${lean_ratio}x | <= 0.9x: $(verdict "$lean_ratio" 0.9) |"
  lean_cold_row
  step_rows
  direct_row
  echo
  echo "lean app layers, one-line change: uploaded $lean_uploaded blob bytes for $lean_project_bytes bytes of the project's own files (${lean_upload_ratio}x, <= 2x: $(verdict "$lean_upload_ratio" 2)); layers $lean_layers"
  exit 0
fi
ID_PREFIX=p measure_pair "bakery-app:offline" bakery_app_offline "bakery-app:online" bakery_app
signing_key="$work/bench-signing.key"
rm -f "$signing_key"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$signing_key" 2>/dev/null
bakery_app_signed() { dotnet publish "$work/bakery-app" -nr:false -v:q -nologo -p:BakeImage=true -p:BakeryBuildId="s$1" -p:BakerySigningKey="$signing_key"; }
quietly bakery-app-signed bakery_app_signed 0
ID_PREFIX=u measure_pair "bakery-app:unsigned" bakery_app "bakery-app:signed" bakery_app_signed
measure_pair "docker-base:warm" docker_base "bakery-base:warm" bakery_base
quietly sdk-multi sdk_multi; quietly bakery-multi bakery_multi 0
measure_pair "sdk-multi:warm" sdk_multi "bakery-multi:warm" bakery_multi
multi_report="$work/bakery-multi/obj/Release/net10.0/bakery/bakery-report.json"
multi_platforms=$(jq -r '[.platforms[].platform] | join(", ")' "$multi_report"); multi_uploaded=$(jq -r .push.bytesUploaded "$multi_report")

log "Token-auth registry (Distribution auth: token) for the same app (builds build/bench/Bakery.Bench)"
dotnet build "$ROOT/build/bench/Bakery.Bench" -c Release -nr:false -v:q -nologo >&2
bench_dll="$ROOT/build/bench/Bakery.Bench/bin/Release/net10.0/Bakery.Bench.dll"
token_dir="$work/token-registry"
rm -rf "$token_dir"
dotnet "$bench_dll" token-registry "$token_dir" bench bench-secret > "$RUN_DIR/token-registry.log" 2>&1 &
STARTED_PIDS+=($!)
for _ in $(seq 1 150); do [ -s "$token_dir/registry" ] && break; sleep 0.2; done
[ -s "$token_dir/registry" ] || die "the token-auth registry did not start; see $RUN_DIR/token-registry.log"
TOKEN_REGISTRY=$(cat "$token_dir/registry")
BAKERY_PUSH_REGISTRY_USERNAME=bench BAKERY_PUSH_REGISTRY_PASSWORD=bench-secret \
  dotnet "$bench_dll" copy-image "$RUNTIME_REF" "$TOKEN_REGISTRY" >&2
runtime_package=$(ls "$BASE_FEED"/Contoso.BaseImages.Runtime.*.nupkg | sort -V | tail -1)
dotnet "$bench_dll" repoint-package "$runtime_package" Contoso.BaseImages.RuntimeViaToken "$TOKEN_REGISTRY" "$BASE_FEED" >&2
mkdir -p "$work/token-app"
cp "$ROOT/samples/apps/hello-web/Program.cs" "$work/token-app/"
cat > "$work/token-app/app.csproj" <<XML
<Project Sdk="Bakery.Sdk">
  <PropertyGroup>$common<ContainerRepository>bench/bakery-app</ContainerRepository><ContainerRegistry>$TOKEN_REGISTRY</ContainerRegistry></PropertyGroup>
  <ItemGroup><FrameworkReference Include="Microsoft.AspNetCore.App" />
    <PackageReference Include="Contoso.BaseImages.RuntimeViaToken" Version="10.0.*" /></ItemGroup>
</Project>
XML
bakery_app_token() { BAKERY_REGISTRY_USERNAME=bench BAKERY_REGISTRY_PASSWORD=bench-secret dotnet publish "$work/token-app" -nr:false -v:q -nologo -p:BakeImage=true -p:BakeryBuildId="a$1"; }
quietly bakery-app-token bakery_app_token 0
tokens_before=$(cat "$token_dir/tokens-issued")
# More runs than the other pairs: the difference looked for is tens of milliseconds in seconds.
token_runs=$(( RUNS * 2 + 1 ))
ID_PREFIX=n RUNS=$token_runs measure_pair "app:anonymous" bakery_app "app:token" bakery_app_token
sleep 0.5
tokens_per_rebake=$(awk -v a="$tokens_before" -v b="$(cat "$token_dir/tokens-issued")" -v n="$token_runs" 'BEGIN { printf "%.1f", (b - a) / n }')
# The same registry work in process (HEAD of every blob, manifest and tag PUTs, referrers), where nothing else hides it.
rebake_json=$(dotnet "$bench_dll" registry-rebake 25)
log "registry work of a no-change rebake, in process: $rebake_json"
install_tool "$SDK_VERSION"
tool_base() { "$BAKERY" bake "$global" --build-id "t$1"; }
quietly tool-base tool_base 0
measure_pair "docker-base:plan" docker_base "tool-base:warm" tool_base
base_uploaded=$(report_field "$global" .push.bytesUploaded)
db="$work/advisories"
refresh_advisories "$db"
tool_inspect() { "$BAKERY" inspect "$RUNTIME_REF" --json; }
tool_scan()    { "$BAKERY" scan "$RUNTIME_REF" --database "$db" --fail-on Critical --json; }
quietly tool-scan tool_scan
measure_pair "tool:inspect" tool_inspect "tool:scan" tool_scan

log "Secret scan of a mixed 200 MB layer (builds build/bench/Bakery.Bench)"
dotnet build "$ROOT/build/bench/Bakery.Bench" -c Release -nr:false -v:q -nologo >&2
secret_json=$(dotnet "$ROOT/build/bench/Bakery.Bench/bin/Release/net10.0/Bakery.Bench.dll" secret-scan "$work/secret-bench" 200 3)
log "secret scan: $secret_json"
secret_field() { jq -r ".$1" <<<"$secret_json"; }

log "Peak memory of verify and scan of a generated 1 GB image (build/bench/Bakery.Bench big-image)"
big_json=$(dotnet "$ROOT/build/bench/Bakery.Bench/bin/Release/net10.0/Bakery.Bench.dll" big-image "$work/big-image" 1024)
big_image=$(jq -r .path <<<"$big_json")
tiny_dir="$work/tiny-image"; mkdir -p "$tiny_dir"
tiny_json=$(dotnet "$ROOT/build/bench/Bakery.Bench/bin/Release/net10.0/Bakery.Bench.dll" big-image "$tiny_dir" 1)
tiny_image=$(jq -r .path <<<"$tiny_json")
printf 'schemaVersion: 2.0.0\nfileContentTests:\n  - name: dpkg status\n    path: /var/lib/dpkg/status\n    expectedContents: ["pkg799"]\nfileExistenceTests:\n  - name: deps.json\n    path: /app/app.deps.json\n    shouldExist: true\nmetadataTest:\n  user: "1654"\n' > "$work/big-policy.yaml"
# peak_rss_mib COMMAND... : the tool's maximum resident set size (GNU time), with an empty index cache.
peak_rss_mib() {
  local cache="$work/rss-cache" out="$work/rss.time"
  rm -rf "$cache"
  XDG_CACHE_HOME="$cache" /usr/bin/time -v "$@" >/dev/null 2>"$out" || { cat "$out" >&2; die "$* failed"; }
  awk '/Maximum resident set size/ { printf "%.0f", $NF / 1024 }' "$out"
}
verify_rss=$(peak_rss_mib "$BAKERY" verify "$big_image" --policy "$work/big-policy.yaml" --command-tests false)
scan_rss=$(peak_rss_mib "$BAKERY" scan "$big_image")
verify_tiny_rss=$(peak_rss_mib "$BAKERY" verify "$tiny_image" --policy "$work/big-policy.yaml" --command-tests false)
scan_tiny_rss=$(peak_rss_mib "$BAKERY" scan "$tiny_image")
log "1 GB image: $big_json; verify ${verify_rss} MiB, scan ${scan_rss} MiB (tiny image: ${verify_tiny_rss} / ${scan_tiny_rss} MiB)"
rm -rf "$work/big-image" "$tiny_dir"

log "Rebase of $REBASE_APPS app images onto a fixed runtime base vs dotnet publish -p:BakeImage=true of the same apps"
fleet="$work/rebase-fleet"
old_runtime=$(packed_version Contoso.BaseImages.Runtime 10.0.3)
for i in $(seq 1 "$REBASE_APPS"); do
  mkdir -p "$fleet/app$i"
  cat > "$fleet/app$i/app$i.csproj" <<XML
<Project Sdk="Bakery.Sdk">
  <PropertyGroup>$common<ContainerRepository>bench/fleet-app$i</ContainerRepository><ContainerRegistry>$REGISTRY</ContainerRegistry>
    <RuntimeVersion Condition="'\$(RuntimeVersion)' == ''">$old_runtime</RuntimeVersion></PropertyGroup>
  <ItemGroup><FrameworkReference Include="Microsoft.AspNetCore.App" />
    <PackageReference Include="Contoso.BaseImages.Runtime" Version="\$(RuntimeVersion)" /></ItemGroup>
</Project>
XML
  sed "s/hello-web/fleet-app$i/g" "$ROOT/samples/apps/hello-web/Program.cs" > "$fleet/app$i/Program.cs"
  dotnet publish "$fleet/app$i" -nr:false -nologo -v:q -p:BakeImage=true -p:BakeryBuildId=1 >/dev/null || die "fleet app $i did not bake"
done
bake_and_pack "$global" -p:UpstreamImage="$UPSTREAM_REF" -p:BakeryBuildId=2 -p:Version=10.0.4 >/dev/null
fixed_runtime=$(packed_version Contoso.BaseImages.Runtime 10.0.4)
# The new base's package is in the workspace's base feed (the bench runs outside the workspace, so --source names it).
quietly "bakery rebase --dry-run" "$BAKERY" rebase "$REGISTRY/bench/fleet-app1:1.2.0-build.1" --onto "Contoso.BaseImages.Runtime/$fixed_runtime" --source "$BASE_FEED" --dry-run # the new base's layers into the cache, as a CI runner's
rebase_bytes=0; rebase_blobs_ok=0; digests_equal=0
start=$(now_ms)
for i in $(seq 1 "$REBASE_APPS"); do
  out=$("$BAKERY" rebase "$REGISTRY/bench/fleet-app$i:1.2.0-build.1" --onto "Contoso.BaseImages.Runtime/$fixed_runtime" --source "$BASE_FEED" --build-id 2 \
    --report-directory "$fleet/reports/app$i" --json 2>"$fleet/app$i.rebase.log") || { tail -20 "$fleet/app$i.rebase.log" >&2; die "the rebase of fleet app $i failed"; }
  printf '%s\n' "$out" > "$fleet/app$i.rebase.json"
done
rebase_ms=$(( $(now_ms) - start ))
# The fleet command does the same for every current image the registry's lineage finds on the old base, in one
# process (--parallel 4): the same apps baked again into their own repositories, plus the bench's other apps on it.
for i in $(seq 1 "$REBASE_APPS"); do
  dotnet publish "$fleet/app$i" -nr:false -nologo -v:q -p:BakeImage=true -p:BakeryBuildId=1 -p:ContainerRepository="bench/fleet2-app$i" >/dev/null || die "fleet app $i did not bake into bench/fleet2-app$i"
done
start=$(now_ms)
fleet_rc=0
"$BAKERY" remediate --fixed "Contoso.BaseImages.Runtime/$fixed_runtime" "$fleet" --registry "$REGISTRY" --rebase --build-id 2 --source "$BASE_FEED" --json > "$fleet/fleet.json" 2>"$fleet/fleet.log" || fleet_rc=$?
fleet_ms=$(( $(now_ms) - start ))
[ "$fleet_rc" = 0 ] || [ "$fleet_rc" = 4 ] || { cat "$fleet/fleet.log" >&2; die "bakery remediate --rebase failed (exit code $fleet_rc)"; }
fleet_rebased=$(jq '[.rebased[] | select(.result.outcome == "rebased")] | length' "$fleet/fleet.json")
fleet_ours=$(jq '[.rebased[] | select(.result.outcome == "rebased" and (.image | test("/bench/fleet2-app")))] | length' "$fleet/fleet.json")
log "fleet rebase (bakery remediate --rebase): $fleet_rebased images rebased ($fleet_ours of the $REBASE_APPS fleet apps) in ${fleet_ms} ms"
start=$(now_ms)
for i in $(seq 1 "$REBASE_APPS"); do
  dotnet publish "$fleet/app$i" -nr:false -nologo -v:q -p:BakeImage=true -p:BakeryBuildId=3 -p:RuntimeVersion="$fixed_runtime" >/dev/null || die "the rebuild of fleet app $i failed"
done
publish_ms=$(( $(now_ms) - start ))
for i in $(seq 1 "$REBASE_APPS"); do
  r="$fleet/app$i.rebase.json"
  rebase_bytes=$(( rebase_bytes + $(jq -r .blobBytesUploaded "$r") ))
  [ "$(jq -r '.blobsUploaded' "$r")" = 1 ] && rebase_blobs_ok=$(( rebase_blobs_ok + 1 ))
  [ "$(jq -r .digest "$r")" = "$(report_field "$fleet/app$i" .digest)" ] && digests_equal=$(( digests_equal + 1 ))
done
log "rebase of $REBASE_APPS apps: ${rebase_ms} ms; their rebuild: ${publish_ms} ms; $digests_equal of $REBASE_APPS digests equal; $rebase_bytes blob bytes uploaded"

warm_ratio=$(ratio "${results[bakery-app:warm]}" "${results[sdk-app:warm]}")
changed_ratio=$(ratio "${results[bakery-app:changed]}" "${results[sdk-app:changed]}")
base_ratio=$(ratio "${results[bakery-base:warm]}" "${results[docker-base:warm]}")
plan_ratio=$(ratio "${results[tool-base:warm]}" "${results[docker-base:plan]}")
base_seconds=$(awk -v ms="${results[tool-base:warm]}" 'BEGIN { printf "%.2f", ms / 1000 }')

echo
echo "| case | baseline (ms) | Bakery (ms) | ratio | target |"
echo "|---|---|---|---|---|"
echo "| app, warm, nothing changed (baseline: SDK PublishContainer) | ${results[sdk-app:warm]} | ${results[bakery-app:warm]} | ${warm_ratio}x | <= 1.0x: $(verdict "$warm_ratio" 1.0) |"
echo "| app, changed source (baseline: SDK PublishContainer) | ${results[sdk-app:changed]} | ${results[bakery-app:changed]} | ${changed_ratio}x | (reported) |"
echo "| web app with $(( lean_package_bytes / 1048576 )) MB of NuGet dependencies, one-line source change (baseline: SDK PublishContainer) | ${results[sdk-lean:changed]} | ${results[bakery-lean:changed]} | ${lean_ratio}x | <= 0.9x: $(verdict "$lean_ratio" 0.9) |"
lean_cold_row
step_rows
direct_row
echo "| base image, no-change rebake, bakery bake from the plan (baseline: docker build + push) | ${results[docker-base:plan]} | ${results[tool-base:warm]} | ${plan_ratio}x | <= 0.5x: $(verdict "$plan_ratio" 0.5) |"
echo "| base image, no-change rebake, dotnet publish -p:BakeImage=true (baseline: docker build + push) | ${results[docker-base:warm]} | ${results[bakery-base:warm]} | ${base_ratio}x | (reported: MSBuild start, evaluation and restore) |"
lifecycle_ms=$(( ${results[bakery-app:online]} - ${results[bakery-app:offline]} ))
lifecycle_ratio=$(ratio "${results[bakery-app:online]}" "${results[bakery-app:offline]}")
scan_ratio=$(ratio "${results[tool:scan]}" "${results[tool:inspect]}")
scan_seconds=$(awk -v ms="${results[tool:scan]}" 'BEGIN { printf "%.2f", ms / 1000 }')
secret_ratio=$(ratio "$(secret_field scanMs)" "$(secret_field readMs)")
echo "| app, warm, lifecycle check of base + ancestors (baseline: same bake with BakeryOffline=true) | ${results[bakery-app:offline]} | ${results[bakery-app:online]} | ${lifecycle_ratio}x | adds ${lifecycle_ms} ms, < 1000 ms: $(verdict "$lifecycle_ms" 1000) |"
signing_ms=$(( ${results[bakery-app:signed]} - ${results[bakery-app:unsigned]} ))
echo "| app, warm, signing + SLSA provenance + SBOM attestation (baseline: same bake unsigned) | ${results[bakery-app:unsigned]} | ${results[bakery-app:signed]} | $(ratio "${results[bakery-app:signed]}" "${results[bakery-app:unsigned]}")x | adds ${signing_ms} ms, <= 50 ms: $(verdict "$signing_ms" 50) |"
echo "| SBOM + assessment of the global image, warm (baseline: bakery inspect) | ${results[tool:inspect]} | ${results[tool:scan]} | ${scan_ratio}x | ${scan_seconds} s, < 2 s: $(verdict "$scan_seconds" 2) |"
multi_ratio=$(ratio "${results[bakery-multi:warm]}" "${results[sdk-multi:warm]}")
echo "| two-platform app ($multi_platforms), warm (baseline: SDK multi-RID PublishContainer, same base index) | ${results[sdk-multi:warm]} | ${results[bakery-multi:warm]} | ${multi_ratio}x | <= 1.0x: $(verdict "$multi_ratio" 1.0) |"
token_ratio=$(ratio "${results[app:token]}" "${results[app:anonymous]}")
echo "| app, warm, nothing changed, through a token-auth registry (baseline: same rebake, anonymous registry) | ${results[app:anonymous]} | ${results[app:token]} | ${token_ratio}x | <= 1.1x: $(verdict "$token_ratio" 1.1) |"
echo "| secret scan, mixed $(secret_field layerMiB) MiB layer (baseline: gunzip + tar walk) | $(secret_field readMs) | $(secret_field scanMs) | ${secret_ratio}x | $(secret_field mibPerSecondPerCore) MiB/s per core, >= 200: $(awk -v v="$(secret_field mibPerSecondPerCore)" 'BEGIN { print (v >= 200 ? "met" : "MISSED") }') |"
rebase_ratio=$(ratio "$rebase_ms" "$publish_ms")
echo "| $REBASE_APPS app images onto a fixed runtime base, one bakery rebase each (baseline: dotnet publish -p:BakeImage=true of the same apps) | $publish_ms | $rebase_ms | ${rebase_ratio}x | <= 0.1x: $(verdict "$rebase_ratio" 0.1) |"
fleet_ratio=$(ratio "$fleet_ms" "$publish_ms")
echo "| the same $REBASE_APPS apps (and the bench's $(( fleet_rebased - fleet_ours )) other images on that base: $fleet_rebased in all), one bakery remediate --rebase (baseline: the same rebuilds) | $publish_ms | $fleet_ms | ${fleet_ratio}x | <= 0.1x: $(verdict "$fleet_ratio" 0.1) |"
echo "| bakery verify, generated $(jq -r .imageMiB <<<"$big_json") MiB image, peak RSS in MiB (baseline: the same on a tiny image) | ${verify_tiny_rss} | ${verify_rss} | $(ratio "$verify_rss" "$verify_tiny_rss")x | <= 150 MiB: $(verdict "$verify_rss" 150) |"
echo "| bakery scan, generated $(jq -r .imageMiB <<<"$big_json") MiB image, peak RSS in MiB (baseline: the same on a tiny image) | ${scan_tiny_rss} | ${scan_rss} | $(ratio "$scan_rss" "$scan_tiny_rss")x | <= 150 MiB: $(verdict "$scan_rss" 150) |"
echo
echo "secret scan: found $(secret_field findings) of $(secret_field planted) planted secrets; peak working set $(secret_field peakWorkingSetMiB) MiB for a $(secret_field layerMiB) MiB layer (bounded: files are read one at a time, in windows of 4 MiB)"
echo "token-auth rebake: $tokens_per_rebake token(s) issued per app rebake (reused per scope, not fetched per request); the registry work alone, in process: $(jq -r .anonymousMs <<<"$rebake_json") ms anonymous, $(jq -r .tokenMs <<<"$rebake_json") ms with tokens (+$(jq -r .addedMs <<<"$rebake_json") ms, $(jq -r .tokensPerRebake <<<"$rebake_json") token for $(jq -r .requestsPerRebake <<<"$rebake_json") requests) = $(awk -v a="$(jq -r .addedMs <<<"$rebake_json")" -v b="${results[app:anonymous]}" 'BEGIN { printf "%.1f", 100 * a / b }') % of the anonymous app rebake"
echo "app no-change rebake uploaded: $app_uploaded blob bytes (target 0: $([ "$app_uploaded" = 0 ] && echo met || echo MISSED))"
echo "two-platform app no-change rebake uploaded: $multi_uploaded blob bytes (target 0: $([ "$multi_uploaded" = 0 ] && echo met || echo MISSED))"
echo "lean app layers, one-line change: uploaded $lean_uploaded blob bytes for $lean_project_bytes bytes of the project's own files (${lean_upload_ratio}x, <= 2x: $(verdict "$lean_upload_ratio" 2)); layers $lean_layers"
echo "two-platform base no-change rebake (bakery bake) uploaded: $base_uploaded blob bytes in ${base_seconds} s (target 0 bytes and < 3 s: $([ "$base_uploaded" = 0 ] && [ "$(verdict "$base_seconds" 3)" = met ] && echo met || echo MISSED))"
echo "bakery rebase of $REBASE_APPS apps: $rebase_blobs_ok of $REBASE_APPS uploaded one blob (their config; layers mounted or already there), $(( rebase_bytes / REBASE_APPS )) blob bytes per image on average; $digests_equal of $REBASE_APPS equal to the rebuild's digest ($([ "$rebase_blobs_ok" = "$REBASE_APPS" ] && [ "$digests_equal" = "$REBASE_APPS" ] && echo met || echo MISSED))"
echo "two bakes of one commit: $app_digest1 / $app_digest2 ($([ "$app_digest1" = "$app_digest2" ] && echo "one digest: met" || echo "different: MISSED"))"
