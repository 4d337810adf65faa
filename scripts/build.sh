#!/usr/bin/env bash
# Builds the single-file Stepline executables, offline:
#   dist/stepline-linux-x64    (x86_64)
#   dist/stepline-linux-arm64  (aarch64, e.g. a Raspberry Pi 3/4/5 with a 64-bit OS)
# Both embed the pinned Bun runtime; the arm64 one is cross-compiled with the pinned aarch64 Bun that
# scripts/get-bun.sh unpacks from the npm registry once (nothing is downloaded at build time after that).
# Usage: scripts/build.sh [x64] [arm64]   (default: both; OUT_DIR overrides dist/)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT_DIR="${OUT_DIR:-$ROOT/dist}"
ENTRY="$ROOT/src/main.ts"
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(x64 arm64)

BUN="$("$ROOT/scripts/get-bun.sh" x64)"
[ -d "$ROOT/node_modules" ] || (cd "$ROOT" && "$BUN" install --frozen-lockfile)

# Everything the binary needs must be bundled: a module loaded through a computed import() or a
# file found through import.meta / __dirname at run time would be missing on the Pi.
# (src/web/build-assets.ts is a macro: it runs at build time, which is the point.)
suspects="$(grep -rnE --include='*.ts' 'import\((`|[a-zA-Z_])|import\.meta\.(dir|dirname|url|path|filename)|__dirname|__filename' \
  "$ROOT/src" "$ROOT/firmware-bridge" 2>/dev/null | grep -v '/test/' | grep -v '/src/web/build-assets.ts:' || true)"
if [ -n "$suspects" ]; then
  echo "build: warning: run-time module/file lookups that the executable may not contain:" >&2
  echo "$suspects" | sed "s|^$ROOT/|  |" >&2
fi

# The bytecode layout profile (scripts/record-bytecode-order.ts); without it only the layout differs.
order=()
[ -f "$ROOT/scripts/appliance.order" ] && order=(--bytecode-order="$ROOT/scripts/appliance.order")

mkdir -p "$OUT_DIR"
for arch in "${TARGETS[@]}"; do
  case "$arch" in
    x64) target=bun-linux-x64 ;;
    arm64) target=bun-linux-arm64 ;;
    *) echo "build: unknown target '$arch' (x64 or arm64)" >&2; exit 2 ;;
  esac
  runtime="$("$ROOT/scripts/get-bun.sh" "$arch")"
  out="$OUT_DIR/stepline-linux-$arch"
  # No .env / bunfig.toml autoloading: the appliance must not change behaviour with its working dir.
  # --bytecode: no parsing and compiling of the bundle at start-up; --bytecode-order: the bytecode a
  # start of the appliance uses is laid out first (scripts/record-bytecode-order.ts); --compile-jit-policy=100:
  # start-up code is not JIT-compiled (src/cli/jit-policy.ts sets each command's own policy once it is up).
  "$BUN" build "$ENTRY" --compile --bytecode "${order[@]}" --compile-jit-policy=100 --target="$target" --compile-executable-path="$runtime" \
    --no-compile-autoload-dotenv --no-compile-autoload-bunfig --outfile="$out" >/dev/null
  echo "build: $out ($(( $(stat -c %s "$out") / 1048576 )) MiB)"
done

# Smoke test where it can run: the x64 executable, from an empty directory with no node_modules.
if [ -x "$OUT_DIR/stepline-linux-x64" ] && [ "$(uname -m)" = "x86_64" ]; then
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  version="$(cd "$scratch" && "$OUT_DIR/stepline-linux-x64" --version)"
  case "$version" in
    "stepline "*) echo "build: smoke test ok ($version)" ;;
    *) echo "build: the x64 executable does not run: '$version'" >&2; exit 1 ;;
  esac
fi
