#!/usr/bin/env bash
# The bakery model end to end on a fresh machine:
#   upstream OS image (debootstrap) -> global runtime base (package) -> team base (package) -> app,
# each for linux/amd64 and linux/arm64 (an image index; arm64 through QEMU), then the app runs in
# dockerd on both platforms, each printing its architecture; a planted secret (BAKE302) and an expired team base (BAKE101) fail;
# the SBOM and an advisory fail the gate (BAKE306); the global bakery publishes a fixed base and
# deprecates the old one (BAKE102 downstream); `bakery remediate` plans the rebuild, `--rebase` moves what
# it can without a build, the team base (a RUN step) is rebuilt and the app rebased onto it, with the
# digest its rebuild gives.
# The global bakery signs its bases; a runtime base re-baked without its key fails the team's bake (BAKE220).
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

work="$ARTIFACTS/demo"
samples_workspace "$work" "$SDK_VERSION"
build_id="${BAKERY_DEMO_BUILD_ID:-1}"

# bake_must_fail NAME CODE PROJECT ARGS... : bakes the app, which must fail with CODE; shows the errors (log in $work/NAME.log).
bake_must_fail() {
  local name="$1" code="$2" project="$3" status; shift 3
  set +e
  dotnet publish "$project" -c Release -nr:false -nologo -p:BakeImage=true -p:BakeryBuildId="$name" -p:ContainerRegistry="$REGISTRY" "$@" \
    > "$work/$name.log" 2>&1
  status=$?
  set -e
  grep -E "error BAKE" "$work/$name.log" | sed 's/^ *//' | sort -u >&2 || true
  [ $status -ne 0 ] && grep -q "$code" "$work/$name.log" || die "expected the '$name' bake to fail with $code (see $work/$name.log)"
}

install_tool "$SDK_VERSION"
# The global bakery signs what it bakes (a CI secret in real life); its package tells every descendant to check that signature.
export BAKERY_SIGNING_KEY_PASSWORD="${BAKERY_SIGNING_KEY_PASSWORD:-demo-only-password}"
mkdir -p "$work/keys"; rm -f "$work/keys/global.key" "$work/keys/global.key.pub"
"$BAKERY" keys generate --output "$work/keys/global.key"
global_key="-p:BakerySigningKey=$work/keys/global.key"
# The team bakery also names the global key itself, so a runtime base without that signature never slips in.
sed -i "s|</Project>|  <ItemGroup><BakeryTrustedSigningKey Include=\"$work/keys/global.key.pub\" For=\"Contoso.BaseImages.Runtime\" /></ItemGroup>\n</Project>|" "$work/local/team-base/"*.csproj

# Global bakery: upstream -> runtime base image + Contoso.BaseImages.Runtime (signed, with SLSA provenance and the SBOM attested)
bake_and_pack "$work/global/runtime-base" -p:UpstreamImage="$UPSTREAM_REF" -p:BakeryBuildId="$build_id" "$global_key"
# Local bakery: runtime base -> team base image + Contoso.BaseImages.TeamWeb (and an old, expired 1.3.0)
bake_and_pack "$work/local/team-base" -p:BakeryBuildId="$build_id"
bake_and_pack "$work/local/team-base" -p:BakeryBuildId="$build_id" -p:Version=1.3.0 \
  -p:BakeryExpiresOn="$(date -u -d '-10 days' +%F)" -p:BakerySuccessor="Contoso.BaseImages.TeamWeb 1.4.0"

app="$work/apps/hello-web"
log "Baking the app samples/apps/hello-web on the team base"
dotnet publish "$app" -c Release -nr:false -nologo -p:BakeImage=true -p:BakeryBuildId="$build_id" -p:ContainerRegistry="$REGISTRY"
image="$REGISTRY/samples/hello-web:1.2.0-build.$build_id"

log "Lineage of $image (nearest first):"
report_field "$app" '.lineage[] | "  \(.repository)@\(.digest)  \(.packageId // "upstream") \(.packageVersion // "")"' >&2

# run_each_platform IMAGE : runs the app's image for linux/amd64 and linux/arm64 (QEMU), each printing its architecture.
run_each_platform() {
  local index member platform
  index="$REGISTRY/samples/hello-web@$(curl -fsS -o /dev/null -w '%header{docker-content-digest}' \
    -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY/v2/samples/hello-web/manifests/${1##*:}")"
  for platform in amd64 arm64; do
    member=$(index_member "$index" "$platform")
    local how="network none"; [ "$platform" = amd64 ] || how="network none; emulated by QEMU"
    log "Running $1 for linux/$platform in dockerd ($how): $member"
    docker pull -q "$member" >/dev/null
    docker run --rm --network none "$member" --self-test | tee "$work/run-$platform.txt"
    grep -qi "architecture: ${platform/amd64/X64}" "$work/run-$platform.txt" || die "the linux/$platform image did not run on $platform"
  done
}

log "The global runtime base's signatures and attestations (checked by every bake on it):"
signed_runtime=$(report_field "$work/global/runtime-base" '"\(.image)@\(.digest)"')
"$BAKERY" verify "$signed_runtime" --signatures --key "$work/keys/global.key.pub" --require-provenance
"$BAKERY" attestations "$signed_runtime" --key "$work/keys/global.key.pub"

log "Someone without the global key re-bakes the runtime base and publishes it as a newer build:"
bake_and_pack "$work/global/runtime-base" -p:UpstreamImage="$UPSTREAM_REF" -p:BakeryBuildId=99 -p:BakeryOwner=someone-else
dotnet restore "$work/local/team-base" --force-evaluate -nr:false -v:q
bake_must_fail intruder BAKE220 "$work/local/team-base"

run_each_platform "$image"

log "A developer plants a database password in the app's production settings:"
printf '{ "Db": { "Password": "%s" } }\n' "$(head -c 12 /dev/urandom | base64 | tr -d '/+=')" > "$app/appsettings.Production.json"
bake_must_fail leaky BAKE302 "$app"
rm "$app/appsettings.Production.json"

log "Now the same app on Contoso.BaseImages.TeamWeb 1.3.0, which has expired:"
bake_must_fail expired BAKE101 "$app" -p:TeamBaseVersion='1.3.*'
tags=$(curl -fsS "http://$REGISTRY/v2/samples/hello-web/tags/list" | jq -r '[.tags[] | select(startswith("sha256-") | not)] | join(", ")')
log "Registry tags for samples/hello-web: $tags (no build.leaky or build.expired: the failed bakes pushed nothing)"
case ",$tags," in *build.expired*|*build.leaky*) die "an image was pushed for the failed bake" ;; esac
runtime_ref="$signed_runtime"  # the signed 10.0.3 the app is on (the last bake of the project was the intruder's)

log "The global image's SBOM (CycloneDX, also pushed to the registry as a referrer of the image):"
"$BAKERY" scan "$runtime_ref"

# The security team's offline advisory database, refreshed today (OSV JSON; see samples/advisories).
db="$work/advisories"
refresh_advisories "$db"
log "With the advisory database, the app's bake runs the vulnerability gate on everything the image holds:"
bake_must_fail vulnerable BAKE306 "$app" -p:BakeryAdvisoryDatabase="$db"

log "The global bakery publishes the fixed runtime base 10.0.4 (tzdata dropped) and scans it:"
bake_and_pack "$work/global/runtime-base" -p:UpstreamImage="$UPSTREAM_REF" -p:BakeryBuildId="$build_id" -p:Version=10.0.4 -p:RemovePackages=tzdata "$global_key"
fixed_ref=$(report_field "$work/global/runtime-base" '"\(.image)@\(.digest)"')
fixed_version=$(packed_version Contoso.BaseImages.Runtime 10.0.4)
"$BAKERY" scan "$fixed_ref" --database "$db" || die "the fixed runtime base should pass the gate"

log "...and deprecates 10.0.3 with the bakery tool:"
"$BAKERY" lifecycle deprecate "$runtime_ref" --reason "DSA-DEMO-0042 (tzdata); fixed in 10.0.4" --successor "Contoso.BaseImages.Runtime $fixed_version" --author platform-team
"$BAKERY" lifecycle show "$runtime_ref" || true
log "bakery outdated over the samples: who is on an old or deprecated base image?"
"$BAKERY" outdated "$work" || true
log "The app's next bake notices through the team base's lineage:"
bake_must_fail deprecated BAKE102 "$app"

log "bakery remediate: what must be rebuilt on the fix, in which order (source tree and registry)?"
"$BAKERY" remediate --fixed "Contoso.BaseImages.Runtime/$fixed_version" "$work" --registry "$REGISTRY"
next_id=$(( ${build_id//[^0-9]/0} + 1 ))
log "bakery remediate --rebase: move the registry's images onto the fix without building (team bases first, then their apps):"
set +e
"$BAKERY" remediate --fixed "Contoso.BaseImages.Runtime/$fixed_version" "$work" --registry "$REGISTRY" --rebase --build-id "$next_id" \
  --report-directory "$work/rebase-fleet"
status=$?
set -e
log "Exit code $status (4: some images need a rebuild). The team base runs update-ca-certificates, a RUN step whose output depends on the base (BAKE602), so it is rebuilt; the app waits for it."
log "Following the plan: the team base first (its 10.0.* range picks up $fixed_version)..."
dotnet restore "$work/local/team-base" --force-evaluate -nr:false -v:q
bake_and_pack "$work/local/team-base" -p:BakeryBuildId="$next_id"
team_version=$(packed_version Contoso.BaseImages.TeamWeb 1.4.0)
log "...then the app, which has no RUN step: rebased onto Contoso.BaseImages.TeamWeb $team_version without a build:"
rebased=$("$BAKERY" rebase "$REGISTRY/samples/hello-web:1.2.0-build.$build_id" --onto "Contoso.BaseImages.TeamWeb/$team_version" --source "$BASE_FEED" \
  --build-id "$next_id" --database "$db" --report-directory "$work/rebase-app" --json | jq -r .digest)
log "Rebased app: $REGISTRY/samples/hello-web@$rebased"
log "The same commit rebuilt the long way (a floating range is only re-resolved by a forced restore), with the vulnerability gate:"
dotnet restore "$app" --force-evaluate -nr:false -v:q
dotnet publish "$app" -c Release -nr:false -nologo -p:BakeImage=true -p:BakeryBuildId="$next_id" -p:ContainerRegistry="$REGISTRY" \
  -p:BakeryAdvisoryDatabase="$db"
rebuilt=$(report_field "$app" .digest)
[ "$rebased" = "$rebuilt" ] || die "the rebased app ($rebased) differs from its rebuild ($rebuilt)"
log "bakery rebase gave the digest of the rebuild: $rebuilt"
image="$REGISTRY/samples/hello-web:1.2.0-build.$next_id"
run_each_platform "$image"
log "Inspecting the remediated app image:"
"$BAKERY" inspect "$image"
log "Demo complete. Report: $(find "$app/obj" -name bakery-report.md -print -quit)"
