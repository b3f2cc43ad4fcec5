#!/usr/bin/env bash
# Installs headless Chromium and its WebDriver (Debian packages `chromium` and `chromium-driver`) for
# the dashboard's browser tests (tests/tests/dashboard_browser.rs). Does nothing when both are there.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if have chromium && have chromedriver; then
    echo "chromium and chromedriver present: $(chromium --version 2>/dev/null || echo '?')"
    exit 0
fi

if ! have apt-get; then
    echo "chromium/chromedriver are missing and this machine has no apt-get: install Chromium and a" \
        "matching chromedriver, and put both on PATH." >&2
    exit 1
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    if have sudo; then
        as_root=(sudo)
    else
        echo "Installing chromium needs root (or sudo)." >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core

if ! have chromium || ! have chromedriver; then
    echo "apt-get finished but chromium or chromedriver is still not on PATH." >&2
    exit 1
fi
echo "installed: $(chromium --version 2>/dev/null || echo chromium)"
