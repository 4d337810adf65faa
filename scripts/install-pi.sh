#!/usr/bin/env bash
# Installs Stepline on a Raspberry Pi (or any systemd Linux) as the service `stepline`:
#   /usr/local/bin/stepline, /etc/systemd/system/stepline.service, and a data dir (~USER/printer_data
#   with config/ gcodes/ logs/ database/, as Klipper/Moonraker installs lay it out).
# The service runs as USER (not root) and may still bind port 80 for Cura: the unit grants only
# CAP_NET_BIND_SERVICE. Serial access comes from the dialout group.
#
# First start: with no config/printer.cfg in the data dir, Stepline writes the built-in virtual
# printer's printer.cfg there and runs it; point its [mcu] serial at a board to drive a real printer.
# Upgrading (running it again) replaces the binary and the unit only: config, gcodes, database stay.
#
# Usage: sudo scripts/install-pi.sh [--binary FILE] [--user NAME] [--data DIR] [--no-start]
#        sudo scripts/install-pi.sh --uninstall   stop and remove the service and binary (data kept)
#        scripts/install-pi.sh --root DIR ...   install into DIR as if it were / (no systemctl, no chown)
#        scripts/install-pi.sh --dry-run ...    print the unit and the steps, change nothing
set -euo pipefail
ROOT_DIR="$(cd "$(dirname "$0")/.." && pwd)"

usage() {
  echo "usage: sudo scripts/install-pi.sh [--binary FILE] [--user NAME] [--data DIR] [--no-start] [--root DIR] [--dry-run] [--uninstall]" >&2
  exit 2
}
die() { echo "install-pi: $*" >&2; exit 1; }

BINARY="" USER_NAME="${SUDO_USER:-$(id -un)}" DATA_DIR="" DEST="" DRY_RUN=0 START=1 UNINSTALL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) BINARY="${2:?--binary needs a file}"; shift 2 ;;
    --user) USER_NAME="${2:?--user needs a name}"; shift 2 ;;
    --data) DATA_DIR="${2:?--data needs a directory}"; shift 2 ;;
    --root) DEST="${2:?--root needs a directory}"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    --no-start) START=0; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    -h|--help) usage ;;
    *) echo "install-pi: unknown option '$1'" >&2; usage ;;
  esac
done

if [ "$UNINSTALL" = 1 ]; then
  [ -n "$DEST" ] || [ "$(id -u)" = 0 ] || die "run as root (sudo), or use --root DIR"
  if [ -z "$DEST" ]; then systemctl disable --now stepline.service 2>/dev/null || true; fi
  rm -f "$DEST/etc/systemd/system/multi-user.target.wants/stepline.service" "$DEST/etc/systemd/system/stepline.service" "$DEST/usr/local/bin/stepline"
  if [ -z "$DEST" ]; then systemctl daemon-reload; fi
  echo "install-pi: removed the stepline service and binary; printer_data (config, gcodes, database) kept"
  exit 0
fi

# The executable for this machine's architecture unless one was named.
case "$(uname -m)" in
  aarch64|arm64) HOST_ARCH=arm64 HOST_MACHINE=b7 ;;
  x86_64) HOST_ARCH=x64 HOST_MACHINE=3e ;;
  *) HOST_ARCH="" HOST_MACHINE="" ;;
esac
if [ -z "$BINARY" ]; then
  [ -n "$HOST_ARCH" ] || die "no Stepline build for $(uname -m) (32-bit Raspberry Pi OS? use the 64-bit OS); pass --binary"
  BINARY="$ROOT_DIR/dist/stepline-linux-$HOST_ARCH"
fi
[ -f "$BINARY" ] || die "binary '$BINARY' not found (build it with 'bun run build', or pass --binary)"
[ "$(od -An -c -N4 "$BINARY" | tr -d ' ')" = '177ELF' ] || die "'$BINARY' is not an ELF executable"
MACHINE="$(od -An -tx1 -j18 -N1 "$BINARY" | tr -d ' ')"
if [ -z "$DEST" ] && [ "$DRY_RUN" = 0 ] && [ "$MACHINE" != "$HOST_MACHINE" ]; then
  die "'$BINARY' is built for another CPU (ELF machine 0x$MACHINE) than this $(uname -m) machine"
fi

HOME_DIR="$(getent passwd "$USER_NAME" | cut -d: -f6 || true)"
if [ -z "$HOME_DIR" ]; then
  [ -n "$DEST" ] || [ "$DRY_RUN" = 1 ] || die "no such user '$USER_NAME' (pass --user)"
  HOME_DIR="/home/$USER_NAME"
fi
[ "$USER_NAME" != root ] || echo "install-pi: warning: the service will run as root; pass --user to use a normal account" >&2
DATA_DIR="${DATA_DIR:-$HOME_DIR/printer_data}"
case "$DATA_DIR" in
  *[[:space:]]*) die "--data must not contain spaces (it goes on the unit's ExecStart line), got '$DATA_DIR'" ;;
  /*) ;;
  *) die "--data must be an absolute path, got '$DATA_DIR'" ;;
esac
# Serial ports belong to the dialout group on Raspberry Pi OS and Debian.
SERIAL_GROUP=""
if getent group dialout >/dev/null 2>&1; then SERIAL_GROUP=dialout; fi
# shellcheck source=lib/stepline-unit.sh
. "$ROOT_DIR/scripts/lib/stepline-unit.sh"
render_unit() { render_stepline_unit "$USER_NAME" "$DATA_DIR" "$SERIAL_GROUP"; }

if [ "$DRY_RUN" = 1 ]; then
  echo "# would install $BINARY as ${DEST}/usr/local/bin/stepline"
  echo "# would create $DEST$DATA_DIR/{config,gcodes,logs,database} owned by $USER_NAME"
  echo "# would write $DEST/etc/systemd/system/stepline.service:"
  render_unit
  exit 0
fi

[ -n "$DEST" ] || [ "$(id -u)" = 0 ] || die "run as root (sudo), or use --root DIR / --dry-run"

install -D -m 0755 "$BINARY" "$DEST/usr/local/bin/stepline"
for sub in config gcodes logs database; do mkdir -p "$DEST$DATA_DIR/$sub"; done
unit="$DEST/etc/systemd/system/stepline.service"
mkdir -p "$(dirname "$unit")"
render_unit > "$unit.tmp"
chmod 0644 "$unit.tmp"
mv "$unit.tmp" "$unit"
echo "install-pi: installed $DEST/usr/local/bin/stepline and $unit"

if [ -z "$DEST" ]; then
  chown -R "$USER_NAME:" "$DATA_DIR"
  systemctl daemon-reload
  if [ "$START" = 1 ]; then
    systemctl enable stepline.service
    systemctl restart stepline.service
    echo "install-pi: service started; logs: journalctl -u stepline -f"
  fi
fi
[ -f "$DEST$DATA_DIR/config/printer.cfg" ] || echo "install-pi: first start runs the virtual printer (its printer.cfg goes to $DATA_DIR/config/); set [mcu] serial there for your board"
