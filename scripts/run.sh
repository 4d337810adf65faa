#!/usr/bin/env bash
# Sets up and runs Stepline (with no arguments: the built-in virtual printer).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUN="$("$ROOT/scripts/setup.sh")"
exec "$BUN" "$ROOT/src/main.ts" "$@"
