#!/bin/sh
# Install Debian's headless-capable Chromium for the report's browser test.
# Idempotent: does nothing when /usr/bin/chromium is already there.
# Needs root (apt-get); in CI run it with sudo, in the container image it runs at build time.
set -eu

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "chromium already installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
    exit 0
fi

if [ "$(id -u)" != "0" ]; then
    echo "install-browser.sh: root is needed to apt-get install chromium; run: sudo $0" >&2
    exit 2
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
# fonts-liberation: without a font the screenshot renders boxes instead of text.
apt-get install -y --no-install-recommends chromium fonts-liberation
"$CHROMIUM" --version
