#!/usr/bin/env bash
# Shared helpers for build.sh: installs, a loopback registry, dockerd, and cleanup of what we started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARTIFACTS="$ROOT/artifacts"
RUN_DIR="$ARTIFACTS/run"
FEED="$ARTIFACTS/feed"
mkdir -p "$RUN_DIR" "$FEED"

# A HOME that is set but does not exist yet (a fresh account, a CI sandbox) stops the dotnet CLI: make it.
if [ -n "${HOME:-}" ] && [ ! -d "$HOME" ]; then mkdir -p "$HOME"; fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 MSBUILDDISABLENODEREUSE=1

STARTED_PIDS=()

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

cleanup_started() {
  local pid
  for pid in "${STARTED_PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  done
}
trap cleanup_started EXIT

# ensure_apt PACKAGE... : installs what is missing (apt-get update once).
ensure_apt() {
  local missing=()
  local p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "Installing ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# ensure_binfmt : QEMU user-mode emulation for arm64 containers and debootstrap (idempotent): Debian's
# qemu-user-static registers its handlers (with the F flag containers need) through binfmt-support.
ensure_binfmt() {
  ensure_apt qemu-user-static binfmt-support
  local folder=/proc/sys/fs/binfmt_misc sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ ! -e "$folder/status" ]; then
    $sudo mount -t binfmt_misc binfmt_misc "$folder" || { log "warning: cannot mount binfmt_misc; arm64 images will not run here"; return 1; }
  fi
  [ -e "$folder/qemu-aarch64" ] || $sudo update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  if [ ! -e "$folder/qemu-aarch64" ]; then log "warning: no binfmt_misc handler for aarch64 after installing qemu-user-static"; return 1; fi
  log "QEMU user-mode emulation: $(head -1 "$folder/qemu-aarch64") ($folder/qemu-aarch64)"
}

ensure_dotnet() {
  command -v dotnet >/dev/null || die "the .NET SDK 10 is required (dotnet not on PATH)"
}

free_port() {
  local port
  for port in $(seq "${1:-5000}" 5999); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  die "no free port between ${1:-5000} and 5999"
}

wait_http() { # url seconds
  local i
  for i in $(seq 1 $(( $2 * 5 ))); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# start_registry : starts CNCF Distribution on a free loopback port; sets REGISTRY=localhost:PORT.
start_registry() {
  ensure_apt docker-registry curl
  local port dir
  port=$(free_port "${REGISTRY_PORT:-5000}")
  dir="$RUN_DIR/registry-$port"
  rm -rf "$dir"; mkdir -p "$dir/data"
  cat > "$dir/config.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
  docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 &
  STARTED_PIDS+=($!)
  wait_http "http://127.0.0.1:$port/v2/" 20 || die "the registry did not start; see $dir/registry.log"
  REGISTRY="localhost:$port"
  export REGISTRY
  log "Registry at $REGISTRY (data in $dir/data)"
}

# start_dockerd : reuses a running daemon, or starts one as the developers' guide says.
start_dockerd() {
  ensure_apt docker.io
  if docker info >/dev/null 2>&1; then log "Using the running Docker daemon"; return 0; fi
  local logfile="$RUN_DIR/dockerd.log"
  log "Starting dockerd (log: $logfile)"
  dockerd --bridge=none --iptables=false --ip-masq=false > "$logfile" 2>&1 &
  STARTED_PIDS+=($!)
  local i
  for i in $(seq 1 60); do docker info >/dev/null 2>&1 && return 0; sleep 0.5; done
  return 1
}

# pack_sdk [VERSION] : packs Bakery.Sdk, the bakery tool and the templates into the feed; prints the version.
pack_sdk() {
  ensure_dotnet
  local version="${1:-}" project
  for project in sdk/Bakery.Sdk/Bakery.Sdk.csproj src/Bakery.Tool/Bakery.Tool.csproj src/Bakery.Templates/Bakery.Templates.csproj; do
    local args=(pack "$ROOT/$project" -c Release -o "$FEED" -nr:false -v:q -nologo)
    [ -n "$version" ] && args+=("-p:PackageVersion=$version")
    dotnet "${args[@]}" >&2 || die "could not pack $project (see the build errors above)"
  done
  if [ -z "$version" ]; then
    version=$(ls -t "$FEED"/Bakery.Sdk.*.nupkg 2>/dev/null | head -1 | sed -E 's#.*/Bakery\.Sdk\.(.*)\.nupkg#\1#')
  fi
  [ -n "$version" ] || die "no Bakery.Sdk package in $FEED after packing"
  echo "$version"
}

# install_tool VERSION : the bakery tool from the feed into artifacts/tools; sets BAKERY.
install_tool() {
  local tools="$ARTIFACTS/tools"
  rm -rf "$tools"
  dotnet tool install Bakery.Tool --tool-path "$tools" --add-source "$FEED" --version "$1" >/dev/null
  BAKERY="$tools/bakery"
}
