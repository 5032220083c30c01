#!/usr/bin/env bash
# Makes a Chromium the web view's browser tests can drive (with playwright-core, which downloads
# no browser here: no download host is reachable). Installs Debian's `chromium` package when no
# Chromium is found. Prints the browser's path on success. Installing needs root. Idempotent.
set -euo pipefail

log() { printf 'chromium: %s\n' "$*" >&2; }

find_browser() {
  for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  done
  return 1
}

if ! find_browser >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    log "no Chromium found, and installing one needs root (apt-get install -y chromium)"
    exit 1
  fi
  log "installing chromium from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq chromium >/dev/null
fi
find_browser
