#!/usr/bin/env bash
# Sets up everything Stepline needs on a machine that has only Node/npm: the pinned Bun (from the
# npm registry), the project's packages, and socat for the pty tests (from Debian's packages, as root).
# Prints the path of bun.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUN="$("$ROOT/scripts/get-bun.sh" x64)"
(cd "$ROOT" && "$BUN" install --frozen-lockfile >/dev/null 2>&1 || (cd "$ROOT" && "$BUN" install --frozen-lockfile >&2))
# Cura's own network-printing plugin (Debian's cura package, with python3-zeroconf) for test/cura.
if [ "${1:-}" = "--with-test-tools" ] && { ! command -v socat >/dev/null 2>&1 || [ ! -d /usr/lib/cura/plugins/UM3NetworkPrinting ]; }; then
  if [ "$(id -u)" = "0" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq socat cura python3-zeroconf iproute2) >&2
  else
    echo "socat is needed for the pty tests: sudo apt-get install socat" >&2
  fi
fi
echo "$BUN"
