#!/usr/bin/env bash
# Runs the MSTest suite. Installs and starts what the integration tests need: docker-registry
# (tests start their own instances), htpasswd for auth tests, dockerd and a runtime base image
# for the tests that run baked images. Results: artifacts/test-results/*.trx
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/images.sh"

ensure_dotnet
ensure_apt docker-registry apache2-utils docker.io debootstrap curl jq

if start_dockerd; then
  start_registry
  if push_upstream && push_runtime_base; then
    export BAKERY_TEST_RUNTIME_BASE="$RUNTIME_REF"
  else
    log "warning: no runtime base image could be made; tests that run images will be skipped"
  fi
else
  log "warning: dockerd did not start (see $RUN_DIR/dockerd.log); tests that run images will be skipped"
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
