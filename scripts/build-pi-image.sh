#!/usr/bin/env bash
# Writes a flashable Stepline image from a stock Raspberry Pi OS Lite (arm64) image, offline and
# without root or loop mounts: partition offsets come from the MBR (sfdisk -J), the FAT boot
# partition is written through mtools, the ext4 root through e2fsprogs' debugfs.
#
# Into the root file system: /usr/local/bin/stepline (the arm64 executable), the stepline.service
# unit enabled by its multi-user.target.wants symlink, a system user `stepline` (in the dialout
# group, for serial ports) owning /home/stepline/printer_data/{config,gcodes,logs,database} with a
# starter config/printer.cfg that runs the built-in virtual printer until [mcu] serial names a board,
# and the hostname. Into the boot partition: `ssh` (SSH on) and, with --user, `userconf.txt` (the
# first-boot login user), the files Raspberry Pi OS documents for headless set-up.
# The input image is only read; the output appears only when every step succeeded.
#
# Usage: scripts/build-pi-image.sh [--binary FILE] [--hostname NAME] [--user NAME (--password PW |
#          --password-hash HASH)] [--no-ssh] BASE.img[.xz] OUT.img
#   --binary  the aarch64 executable (default dist/stepline-linux-arm64, built by scripts/build.sh if missing)
set -euo pipefail
ROOT_DIR="$(cd "$(dirname "$0")/.." && pwd)"
# sfdisk, debugfs and e2fsck live in /usr/sbin, which a normal user's PATH may lack
PATH="$PATH:/usr/sbin:/sbin"
# shellcheck source=lib/stepline-unit.sh
. "$ROOT_DIR/scripts/lib/stepline-unit.sh"

usage() {
  echo "usage: scripts/build-pi-image.sh [--binary FILE] [--hostname NAME] [--user NAME (--password PW | --password-hash HASH)] [--no-ssh] BASE.img[.xz] OUT.img" >&2
  exit 2
}
die() { echo "build-pi-image: $*" >&2; exit 1; }

BINARY="" HOSTNAME_NEW="stepline" LOGIN_USER="" PASSWORD="" PASSWORD_HASH="" SSH=1
POSITIONAL=()
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) BINARY="${2:?--binary needs a file}"; shift 2 ;;
    --hostname) HOSTNAME_NEW="${2:?--hostname needs a name}"; shift 2 ;;
    --user) LOGIN_USER="${2:?--user needs a name}"; shift 2 ;;
    --password) PASSWORD="${2:?--password needs a value}"; shift 2 ;;
    --password-hash) PASSWORD_HASH="${2:?--password-hash needs a crypt(3) hash}"; shift 2 ;;
    --no-ssh) SSH=0; shift ;;
    -h|--help) usage ;;
    -*) echo "build-pi-image: unknown option '$1'" >&2; usage ;;
    *) POSITIONAL+=("$1"); shift ;;
  esac
done
[ ${#POSITIONAL[@]} -eq 2 ] || usage
BASE="${POSITIONAL[0]}" OUT="${POSITIONAL[1]}"

# --- Checks that need no work -----------------------------------------------------------------
for tool in sfdisk mcopy mdir debugfs e2fsck xz; do
  command -v "$tool" >/dev/null || die "'$tool' is missing (apt-get install fdisk mtools e2fsprogs xz-utils)"
done
[ -f "$BASE" ] || die "base image '$BASE' not found"
[ "$(realpath -m "$BASE")" != "$(realpath -m "$OUT")" ] || die "OUT.img must differ from the base image (the base is never written)"
[[ "$HOSTNAME_NEW" =~ ^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$ ]] || die "--hostname '$HOSTNAME_NEW' is not a valid host name (letters, digits, '-')"
if [ -n "$LOGIN_USER" ]; then
  [[ "$LOGIN_USER" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || die "--user '$LOGIN_USER' is not a valid user name (lowercase letters, digits, '_', '-')"
  [ "$LOGIN_USER" != stepline ] || die "--user stepline is the service's own account; pick another login name"
  if [ -n "$PASSWORD" ]; then
    command -v openssl >/dev/null || die "'openssl' is needed to hash --password (or pass --password-hash)"
    PASSWORD_HASH="$(printf '%s' "$PASSWORD" | openssl passwd -6 -stdin)"
  fi
  [ -n "$PASSWORD_HASH" ] || die "--user needs --password or --password-hash"
  [[ "$PASSWORD_HASH" == \$* && "$PASSWORD_HASH" != *:* ]] || die "--password-hash must be a crypt(3) hash like \$6\$..."
elif [ -n "$PASSWORD$PASSWORD_HASH" ]; then
  die "--password/--password-hash need --user"
fi
if [ -z "$BINARY" ]; then
  BINARY="$ROOT_DIR/dist/stepline-linux-arm64"
  [ -f "$BINARY" ] || bash "$ROOT_DIR/scripts/build.sh" arm64 >&2
fi
[ -f "$BINARY" ] || die "binary '$BINARY' not found"
[ "$(od -An -c -N4 "$BINARY" | tr -d ' ')" = '177ELF' ] || die "'$BINARY' is not an ELF executable"
[ "$(od -An -tx1 -j18 -N1 "$BINARY" | tr -d ' ')" = b7 ] || die "'$BINARY' is not an aarch64 (arm64) executable; Raspberry Pi OS Lite arm64 needs scripts/build.sh arm64"

WORK="$(mktemp -d)"
PARTIAL="$OUT.partial.$$"
trap 'rm -rf "$WORK" "$PARTIAL"' EXIT

# The starter printer.cfg: the same text `stepline run` writes on a first start.
DATA=/home/stepline/printer_data
bash "$ROOT_DIR/scripts/bun.sh" "$ROOT_DIR/scripts/virtual-printer-cfg.ts" "$DATA/gcodes" > "$WORK/printer.cfg" \
  || die "cannot render the starter printer.cfg"

# --- The copy that becomes the output ---------------------------------------------------------
case "$BASE" in
  *.xz) xz -dc -- "$BASE" > "$PARTIAL" || die "'$BASE' is not a readable .xz file" ;;
  *) cp --sparse=always -- "$BASE" "$PARTIAL" ;;
esac

# --- Partition layout: MBR with a FAT boot partition and a Linux root partition ----------------
TABLE="$(sfdisk -d "$PARTIAL" 2>/dev/null)" || die "'$BASE' has no readable partition table (not a disk image?)"
field() { sed -n "s/^$1: *//p" <<<"$TABLE" | head -1; }
part() { grep -E '^[^:]+ : ' <<<"$TABLE" | sed -n "$1p" | tr ',' '\n' | sed -n "s/^ *\(.* : \)\{0,1\}$2= *//p"; }
LABEL="$(field label)" SECTOR="$(field sector-size)"
SECTOR="${SECTOR:-512}"
BOOT_START="$(part 1 start)" BOOT_TYPE="$(part 1 type)" ROOT_START="$(part 2 start)" ROOT_TYPE="$(part 2 type)"
[ "$LABEL" = dos ] || die "'$BASE' has a '$LABEL' partition table; a Raspberry Pi OS image has an MBR (dos) table"
case "$BOOT_TYPE" in b|c|e) ;; *) die "partition 1 of '$BASE' is type '$BOOT_TYPE', not a FAT boot partition (b/c/e)" ;; esac
[ "$ROOT_TYPE" = 83 ] || die "partition 2 of '$BASE' is type '$ROOT_TYPE', not a Linux root partition (83)"
BOOT="$PARTIAL@@$((BOOT_START * SECTOR))"
ROOTFS="$PARTIAL?offset=$((ROOT_START * SECTOR))"
export MTOOLS_SKIP_CHECK=1
mdir -i "$BOOT" ::/ >/dev/null 2>&1 || die "partition 1 of '$BASE' is not a readable FAT file system"
e2fsck -fn "$ROOTFS" >/dev/null 2>&1 || die "partition 2 of '$BASE' is not a clean ext4 file system (e2fsck -fn failed)"

# --- ext4 helpers (debugfs reports errors on stderr but exits 0: check what it says) ----------
dbg() { debugfs -w -f - "$ROOTFS" 2>"$WORK/dbg.err" >"$WORK/dbg.out"; }
dbg_check() {
  # "rm"/"unlink" of a path that is not there yet is expected when a file is (re)written
  if grep -v -e '^debugfs [0-9]' -e 'File not found by ext2_lookup' "$WORK/dbg.err" | grep -q .; then
    die "writing the root file system failed: $(grep -v '^debugfs [0-9]' "$WORK/dbg.err" | head -3)"
  fi
}
exists() { debugfs -R "stat $1" "$ROOTFS" 2>&1 | grep -q '^Inode:'; }
read_file() { debugfs -R "cat $1" "$ROOTFS" 2>/dev/null; }
# put LOCAL DEST MODE(octal, with type) UID GID
put() {
  printf 'rm %s\nwrite %s %s\nsif %s mode 0%s\nsif %s uid %s\nsif %s gid %s\n' "$2" "$1" "$2" "$2" "$3" "$2" "$4" "$2" "$5" | dbg
  dbg_check
}
# mkdir_p DIR MODE UID GID: creates the missing parts, each with that owner
mkdir_p() {
  local path="" part
  IFS=/ read -ra parts <<<"${1#/}"
  for part in "${parts[@]}"; do
    path="$path/$part"
    exists "$path" && continue
    printf 'mkdir %s\nsif %s mode 0%s\nsif %s uid %s\nsif %s gid %s\n' "$path" "$path" "$2" "$path" "$3" "$path" "$4" | dbg
    dbg_check
  done
}

for f in /etc/passwd /etc/group /etc/shadow /etc/hostname /etc/systemd/system; do
  exists "$f" || die "partition 2 of '$BASE' has no $f: not a Raspberry Pi OS root file system"
done

# --- The service account: a system user in dialout, so the unit does not depend on the login name
read_file /etc/passwd > "$WORK/passwd"
read_file /etc/group > "$WORK/group"
read_file /etc/shadow > "$WORK/shadow"
if exists /etc/gshadow; then read_file /etc/gshadow > "$WORK/gshadow"; else : > "$WORK/gshadow"; fi
grep -q '^dialout:' "$WORK/group" || die "the root file system has no dialout group (serial ports); not Raspberry Pi OS?"
if SVC_UID="$(awk -F: '$1 == "stepline" { print $3 }' "$WORK/passwd")" && [ -n "$SVC_UID" ]; then
  SVC_GID="$(awk -F: '$1 == "stepline" { print $4 }' "$WORK/passwd")"
else
  # The highest free system id (like adduser --system picks), the same for the user and its group
  SVC_UID="$(awk -F: 'FILENAME ~ /passwd/ { u[$3] = 1 } FILENAME ~ /group/ { g[$3] = 1 }
    END { for (i = 999; i >= 100; i--) if (!(i in u) && !(i in g)) { print i; exit } }' "$WORK/passwd" "$WORK/group")"
  [ -n "$SVC_UID" ] || die "no free system user id in 100..999"
  SVC_GID="$SVC_UID"
  echo "stepline:x:$SVC_UID:$SVC_GID:Stepline printer host:/home/stepline:/usr/sbin/nologin" >> "$WORK/passwd"
  echo "stepline:x:$SVC_GID:" >> "$WORK/group"
  echo "stepline:!*:$(( $(date +%s) / 86400 ))::::::" >> "$WORK/shadow"
  [ ! -s "$WORK/gshadow" ] || echo "stepline:!::" >> "$WORK/gshadow"
fi
# dialout membership (group and gshadow member lists)
add_member() { awk -F: -v OFS=: -v g=dialout -v u=stepline -v col="$2" '
  $1 == g { n = split($col, m, ","); found = 0; for (i = 1; i <= n; i++) if (m[i] == u) found = 1
            if (!found) $col = ($col == "" ? u : $col "," u) } { print }' "$1" > "$1.new" && mv "$1.new" "$1"; }
add_member "$WORK/group" 4
[ ! -s "$WORK/gshadow" ] || add_member "$WORK/gshadow" 4
put "$WORK/passwd" /etc/passwd 100644 0 0
put "$WORK/group" /etc/group 100644 0 0
SHADOW_GID="$(awk -F: '$1 == "shadow" { print $3 }' "$WORK/group")"
put "$WORK/shadow" /etc/shadow 100640 0 "${SHADOW_GID:-0}"
[ ! -s "$WORK/gshadow" ] || put "$WORK/gshadow" /etc/gshadow 100640 0 "${SHADOW_GID:-0}"

# --- Binary, data folder, unit ------------------------------------------------------------------
mkdir_p /usr/local/bin 40755 0 0
put "$BINARY" /usr/local/bin/stepline 100755 0 0
mkdir_p /home/stepline 40755 "$SVC_UID" "$SVC_GID"
for sub in config gcodes logs database; do mkdir_p "$DATA/$sub" 40755 "$SVC_UID" "$SVC_GID"; done
exists "$DATA/config/printer.cfg" || put "$WORK/printer.cfg" "$DATA/config/printer.cfg" 100644 "$SVC_UID" "$SVC_GID"
render_stepline_unit stepline "$DATA" dialout > "$WORK/stepline.service"
put "$WORK/stepline.service" /etc/systemd/system/stepline.service 100644 0 0
mkdir_p /etc/systemd/system/multi-user.target.wants 40755 0 0
printf 'rm %s\nsymlink %s %s\n' /etc/systemd/system/multi-user.target.wants/stepline.service \
  /etc/systemd/system/multi-user.target.wants/stepline.service /etc/systemd/system/stepline.service | dbg
dbg_check

# --- Hostname (/etc/hostname and the 127.0.1.1 line of /etc/hosts) -----------------------------
echo "$HOSTNAME_NEW" > "$WORK/hostname"
put "$WORK/hostname" /etc/hostname 100644 0 0
if exists /etc/hosts; then read_file /etc/hosts > "$WORK/hosts"; else printf '127.0.0.1\tlocalhost\n' > "$WORK/hosts"; fi
awk -v new="$HOSTNAME_NEW" -v OFS='\t' '$1 == "127.0.1.1" { print "127.0.1.1", new; done = 1; next } { print }
  END { if (!done) print "127.0.1.1", new }' "$WORK/hosts" > "$WORK/hosts.new"
put "$WORK/hosts.new" /etc/hosts 100644 0 0

e2fsck -fn "$ROOTFS" > "$WORK/fsck.out" 2>&1 || die "the written root file system does not check clean: $(tail -3 "$WORK/fsck.out")"

# --- Boot partition: first-boot SSH and login user ----------------------------------------------
if [ "$SSH" = 1 ]; then
  : > "$WORK/ssh"
  mcopy -o -i "$BOOT" "$WORK/ssh" ::/ssh || die "cannot write ssh to the boot partition"
fi
if [ -n "$LOGIN_USER" ]; then
  printf '%s:%s\n' "$LOGIN_USER" "$PASSWORD_HASH" > "$WORK/userconf.txt"
  mcopy -o -i "$BOOT" "$WORK/userconf.txt" ::/userconf.txt || die "cannot write userconf.txt to the boot partition"
fi

mv -f "$PARTIAL" "$OUT"
echo "build-pi-image: wrote $OUT (hostname $HOSTNAME_NEW, service user stepline uid $SVC_UID, data $DATA${LOGIN_USER:+, login user $LOGIN_USER})"
