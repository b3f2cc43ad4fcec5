#!/usr/bin/env bash
# Installs axe-core (npm, the version pinned in tests/axe/package-lock.json) into .cache/axe/ for the
# dashboard's browser test, which injects node_modules/axe-core/axe.min.js into each view
# (tests/tests/dashboard_browser/a11y.rs). Does nothing when the cached copy was installed from the
# same lock file; a changed lock file reinstalls it. Needs Node.js and npm.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SOURCE="$REPO_ROOT/tests/axe"
CACHE="$REPO_ROOT/.cache/axe"
AXE="$CACHE/node_modules/axe-core/axe.min.js"

if [ -f "$AXE" ] && cmp -s "$SOURCE/package-lock.json" "$CACHE/package-lock.json"; then
    echo "axe-core present: $(sed -n 's/.*"version": "\([^"]*\)".*/\1/p' "$CACHE/node_modules/axe-core/package.json" | head -1)"
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "axe-core is missing and npm is not on PATH: install Node.js and npm (Debian: apt-get install nodejs npm)." >&2
    exit 1
fi

mkdir -p "$CACHE"
cp "$SOURCE/package.json" "$SOURCE/package-lock.json" "$CACHE/"
# npm ci installs exactly the lock file and runs no install scripts of its packages.
(cd "$CACHE" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

if [ ! -f "$AXE" ]; then
    echo "npm ci finished but $AXE is missing." >&2
    exit 1
fi
echo "installed axe-core into $CACHE"
