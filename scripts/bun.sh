#!/usr/bin/env bash
# Runs the pinned Bun (fetched once by scripts/get-bun.sh from the npm registry), so `npm run ...`
# works on a machine that has only node/npm and no bun on its PATH.
# Usage: scripts/bun.sh ARGS...   (e.g. scripts/bun.sh scripts/bench-motion.ts)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUN="$("$ROOT/scripts/setup.sh")"
exec "$BUN" "$@"
