#!/usr/bin/env bash
# Makes a Docker engine answer on this machine, for the contract suite's `container` target.
# Machines here have the docker client but no engine, and no registry can be reached, so:
#   1. install Debian's docker.io (and busybox-static) when no engine answers,
#   2. start dockerd in the background and wait until `docker info` answers,
#   3. build a `node:20-slim` base image locally from this machine's own node binary, the
#      libraries it links and busybox (no pull), so the project's Dockerfile builds offline.
# Prints the dockerd pid file path on success. Run as root. Idempotent.
set -euo pipefail

log() { printf 'docker-engine: %s\n' "$*" >&2; }

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

if ! engine_answers; then
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v busybox >/dev/null 2>&1; then
    log "installing docker.io and busybox-static from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq docker.io busybox-static >/dev/null
  fi
  log "starting dockerd"
  nohup dockerd >/tmp/sandbox-emulator-dockerd.log 2>&1 &
  echo $! >/tmp/sandbox-emulator-dockerd.pid
  for _ in $(seq 1 60); do
    engine_answers && break
    sleep 1
  done
  engine_answers || { log "dockerd did not answer; see /tmp/sandbox-emulator-dockerd.log"; exit 1; }
fi

# The stand-in's version: raised when what it must hold changes (2: util-linux's `script` and
# busybox's `stty`, for E2B's PTYs), so an older one left by an earlier run is built again.
BASE_VERSION=2
have=$(docker image inspect -f '{{index .Config.Labels "org.sandbox-emulator.base"}}' node:20-slim 2>/dev/null || true)
if [ "$have" != "$BASE_VERSION" ]; then
  log "building node:20-slim locally from $(command -v node) (no registry pull)"
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  node_bin=$(readlink -f "$(command -v node)")
  mkdir -p "$rootfs/usr/local/bin" "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc"
  cp "$node_bin" "$rootfs/usr/local/bin/node"
  # The dynamic loader and every library node links against, at the same paths.
  # util-linux's script opens the terminal an E2B PTY runs on (the real node:20-slim has it).
  mkdir -p "$rootfs/usr/bin"
  script_bin=$(command -v script || true)
  [ -n "$script_bin" ] && cp "$script_bin" "$rootfs/usr/bin/script"
  for lib in $( { ldd "$node_bin"; [ -z "$script_bin" ] || ldd "$script_bin"; } | grep -o '/[^ ]*' | sort -u); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
  cp "$(command -v busybox)" "$rootfs/bin/busybox"
  for applet in sh cat echo sleep printf true false env ls mkdir rm kill ps sed head tail seq yes dd grep tr wc stty; do
    ln -s busybox "$rootfs/bin/$applet"
  done
  chmod 1777 "$rootfs/tmp"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  tar -C "$rootfs" -c . | docker import -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' -c "LABEL org.sandbox-emulator.base=$BASE_VERSION" - node:20-slim >/dev/null
fi
log "engine ready"
# The pid file names the dockerd this script started (none when one was already running).
echo /tmp/sandbox-emulator-dockerd.pid
