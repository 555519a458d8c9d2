#!/usr/bin/env bash
# Bakery.Sdk entry points. Each installs what it needs and stops what it starts.
#   ./build.sh demo    bake the sample app end to end on a fresh machine
#   ./build.sh test    run the MSTest suite (unit + integration against a real registry and dockerd)
#   ./build.sh pack    pack Bakery.Sdk into artifacts/feed
#   ./build.sh bench   compare Bakery with the SDK's PublishContainer
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command="${1:-}"
case "$command" in
  demo|test|pack|bench) shift; exec bash "$here/build/$command.sh" "$@" ;;
  *) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; [ -z "$command" ] || exit 2 ;;
esac
