#!/usr/bin/env bash
# Fetch the pinned Bun runtime from the npm registry (the only place this project downloads from).
# Usage: scripts/get-bun.sh [x64|arm64]   -> prints the path of the bun binary
set -euo pipefail
BUN_VERSION="1.4.5"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ARCH="${1:-x64}"
case "$ARCH" in
  x64) PKG="@oven/bun-linux-x64" ;;
  arm64) PKG="@oven/bun-linux-aarch64" ;;
  *) echo "unknown arch $ARCH" >&2; exit 2 ;;
esac
DEST="$ROOT/.tools/bun-$BUN_VERSION-$ARCH"
if [ ! -x "$DEST/bin/bun" ]; then
  TMP="$(mktemp -d)"
  (cd "$TMP" && npm pack --silent "$PKG@$BUN_VERSION" >/dev/null 2>&1)
  mkdir -p "$DEST"
  tar -xzf "$TMP"/*.tgz -C "$DEST" --strip-components=1
  chmod +x "$DEST/bin/bun"
  rm -rf "$TMP"
fi
echo "$DEST/bin/bun"
