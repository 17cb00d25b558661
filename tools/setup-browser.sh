#!/usr/bin/env bash
# Installs the browser the browser test drives: Debian's chromium (never a Playwright download).
# Skipped when CHROMIUM_PATH or /usr/bin/chromium already points at one.
set -euo pipefail
bin="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$bin" ]; then echo "chromium: $bin ($("$bin" --version 2>/dev/null || echo 'version unknown'))"; exit 0; fi
if ! command -v apt-get >/dev/null; then echo "setup-browser: no $bin and no apt-get; install Chromium and set CHROMIUM_PATH" >&2; exit 1; fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
echo "chromium: $(command -v chromium)"
