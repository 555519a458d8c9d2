#!/usr/bin/env bash
# Runs the MSTest suite. Installs and starts what the integration tests need: docker-registry
# (tests start their own instances), htpasswd for auth tests, dockerd and a runtime base image
# for the tests that run baked images. Results: artifacts/test-results/*.trx
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/images.sh"

ensure_dotnet
ensure_apt docker-registry apache2-utils docker.io debootstrap curl jq podman skopeo runc qemu-user-static binfmt-support

if start_dockerd; then
  caller_packages="${NUGET_PACKAGES-}"
  start_registry
  # A real runtime base for the tests that run images and BakeryRun steps: the global sample, baked
  # from debootstrap. With a daemon running, a sample that does not bake is a failure, not a skip.
  # Two platforms (arm64 through QEMU); the single-platform tests keep baking on its amd64 image.
  push_upstream || die "the upstream image could not be made (debootstrap, QEMU or dockerd failed)"
  export BAKERY_TEST_UPSTREAM="$UPSTREAM_AMD64_REF" BAKERY_TEST_UPSTREAM_INDEX="$UPSTREAM_REF"
  sdk_version=$(pack_sdk)
  samples_workspace "$ARTIFACTS/test-bases" "$sdk_version"
  dotnet publish "$ARTIFACTS/test-bases/global/runtime-base" -nr:false -nologo -v:q -p:BakeImage=true -p:ContainerRegistry="$REGISTRY" \
    -p:UpstreamImage="$UPSTREAM_AMD64_REF" -p:BakeryBuildId=test >&2 || die "the global runtime base sample did not bake"
  dotnet pack "$ARTIFACTS/test-bases/global/runtime-base" -nr:false -nologo -v:q -o "$BASE_FEED" -p:ContainerRegistry="$REGISTRY" -p:UpstreamImage="$UPSTREAM_AMD64_REF" -p:BakeryBuildId=test >&2 \
    || die "the global runtime base sample did not pack"
  BAKERY_TEST_RUNTIME_BASE=$(report_field "$ARTIFACTS/test-bases/global/runtime-base" '"\(.image)@\(.digest)"')
  export BAKERY_TEST_RUNTIME_BASE BAKERY_TEST_BASE_FEED="$BASE_FEED" BAKERY_TEST_REGISTRY="$REGISTRY"
  log "Runtime base for tests: $BAKERY_TEST_RUNTIME_BASE"
  # The samples had a cache of their own; the test build uses the caller's again.
  if [ -n "$caller_packages" ]; then export NUGET_PACKAGES="$caller_packages"; else unset NUGET_PACKAGES; fi
else
  log "warning: dockerd did not start (see $RUN_DIR/dockerd.log); tests that run images will be skipped, each with this reason"
fi

results="$ARTIFACTS/test-results"
rm -rf "$results"
set +e
dotnet test "$ROOT/Bakery.Sdk.sln" -c Release -nr:false \
  --logger "trx;LogFileName=bakery-tests.trx" --logger "console;verbosity=normal" \
  --results-directory "$results" "$@"
status=$?
set -e
summary=$(bash "$ROOT/build/trx-summary.sh" "$results" || echo "0 passed, 1 failed")
log "Test results: $summary (TRX in $results)"
exit $status
