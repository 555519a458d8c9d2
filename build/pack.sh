#!/usr/bin/env bash
# Packs Bakery.Sdk into artifacts/feed and prints its version.
source "$(dirname "$0")/lib.sh"
version=$(pack_sdk "${1:-}")
log "Packed Bakery.Sdk and Bakery.Tool $version into $FEED"
echo "$version"
