#!/usr/bin/env bash
# Sets up everything Stepline needs on a machine that has only Node/npm: the pinned Bun (from the
# npm registry), the project's packages, and for the tests (from Debian's packages, as root) socat for the
# pty tests, chromium for the dashboard's browser tests, mtools/dosfstools/e2fsprogs/fdisk/xz-utils/openssl for
# the Pi image test, qemu-user-static + libc6-arm64-cross to run the arm64 executable, gcc and Debian's python3
# modules that real klippy (the tests' oracle) needs, CuraEngine with Cura's printer definitions for the
# sliced-print differential tests, and Cura's own network-printing plugin (cura, python3-zeroconf, iproute2)
# for test/cura's discovery in a network namespace.
# Prints the path of bun.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUN="$("$ROOT/scripts/get-bun.sh" x64)"
(cd "$ROOT" && "$BUN" install --frozen-lockfile >/dev/null 2>&1 || (cd "$ROOT" && "$BUN" install --frozen-lockfile >&2))
TEST_PACKAGES="socat chromium gcc python3 python3-cffi python3-greenlet python3-jinja2 python3-serial python3-markupsafe mtools dosfstools e2fsprogs fdisk xz-utils openssl qemu-user-static libc6-arm64-cross cura-engine cura python3-zeroconf iproute2"
have_test_tools() {
  local tool
  for tool in socat chromium gcc mcopy mkfs.vfat mkfs.ext4 debugfs sfdisk xz openssl qemu-aarch64-static ip; do
    PATH="$PATH:/usr/sbin:/sbin" command -v "$tool" >/dev/null || return 1
  done
  [ -e /usr/aarch64-linux-gnu/lib/libc.so.6 ] && [ -d /usr/lib/cura/plugins/UM3NetworkPrinting ] \
    && [ -x /usr/bin/CuraEngine ] && [ -f /usr/share/cura/resources/definitions/fdmprinter.def.json ] \
    && /usr/bin/python3 -c "import serial, greenlet, cffi, jinja2, markupsafe, zeroconf" 2>/dev/null
}
if [ "${1:-}" = "--with-test-tools" ] && ! have_test_tools; then
  if [ "$(id -u)" = "0" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $TEST_PACKAGES) >&2
  else
    echo "the pty and klippy-oracle tests need: sudo apt-get install $TEST_PACKAGES" >&2
  fi
fi
echo "$BUN"
