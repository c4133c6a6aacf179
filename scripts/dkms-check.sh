#!/bin/bash
# dkms-check.sh - builds, installs and removes minikvm.ko through DKMS, all in
# a scratch directory: checks that dkms.conf works without touching
# /usr/src, /var/lib/dkms or /lib/modules; then `make install` and its
# extras staged with DESTDIR in the same scratch directory.
#
# Usage: scripts/dkms-check.sh [--kernel VER] [--keep]
#   --kernel VER  build for kernel VER (default: scripts/kver.sh --headers);
#                 its headers must be in /usr/src/linux-headers-VER
#   --keep        keep the scratch directory (its path is printed)
#
# Copies the source tree (git's tracked and untracked-but-not-ignored files)
# to SCRATCH/src/minikvm-VERSION, then runs dkms add, build, install and
# remove with --sourcetree, --dkmstree and --installtree inside SCRATCH.
# DKMS signs the module when the kernel's sign-file exists; the key it
# would otherwise create in /var/lib/dkms is a throwaway one in SCRATCH
# (mok_signing_key, mok_certificate).  Checks that the installed module
# has dkms.conf's version and the kernel's vermagic.  Then, in the copied
# tree, `make install install-udev install-autoload DESTDIR=SCRATCH/stage`
# must install exactly the expected files (and none of them on the system,
# nor run depmod there), and `make uninstall` remove them all.
# Needs dkms (Debian
# package dkms; scripts/deps.sh build).  Exits 0 when every step passed.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
KVER="" keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) KVER=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	*) sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
	esac
done
[ -n "$KVER" ] || KVER=$("$TOP/scripts/kver.sh" --headers) ||
	{ echo "dkms-check: no kernel with headers installed" >&2; exit 1; }
KDIR=/usr/src/linux-headers-$KVER
[ -d "$KDIR" ] || { echo "dkms-check: no $KDIR" >&2; exit 1; }
command -v dkms >/dev/null || { echo "dkms-check: dkms is not installed (scripts/deps.sh build)" >&2; exit 1; }

VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$TOP/dkms.conf")
[ -n "$VERSION" ] || { echo "dkms-check: no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }

scratch=$(mktemp -d /tmp/minikvm-dkms.XXXXXX)
if [ "$keep" = 1 ]; then
	echo "dkms-check: scratch directory $scratch"
else
	trap 'rm -rf "$scratch"' EXIT
fi
src=$scratch/src/minikvm-$VERSION
# dkms install wants the kernel's module directory to exist.
mkdir -p "$src" "$scratch/dkms" "$scratch/modules/$KVER"

# The sources only: no build output, no .git.
if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$TOP" ls-files -z -c -o --exclude-standard |
		(cd "$TOP" && xargs -0 cp --parents -t "$src" 2>/dev/null || true)
else
	tar -C "$TOP" --exclude=./build --exclude='*.ko' --exclude='*.o' -cf - . |
		tar -C "$src" -xf -
fi
[ -f "$src/dkms.conf" ] && [ -f "$src/Kbuild" ] ||
	{ echo "dkms-check: copying the tree to $src failed" >&2; exit 1; }

trees=(--sourcetree "$scratch/src" --dkmstree "$scratch/dkms" --installtree "$scratch/modules")
export mok_signing_key=$scratch/mok.key mok_certificate=$scratch/mok.pub
log=$scratch/dkms.log
step() {
	echo "dkms-check: dkms $*" >>"$log"
	if ! dkms "$@" "${trees[@]}" >>"$log" 2>&1; then
		echo "dkms-check: FAIL: dkms $1 (log follows)"
		cat "$log"
		find "$scratch/dkms" -name make.log -exec sh -c 'echo "== $1"; cat "$1"' _ {} \;
		exit 1
	fi
	echo "dkms-check: ok: dkms $1"
}

step add -m minikvm -v "$VERSION"
step build -m minikvm -v "$VERSION" -k "$KVER" --kernelsourcedir "$KDIR"
step install -m minikvm -v "$VERSION" -k "$KVER" --kernelsourcedir "$KDIR" --no-depmod

ko=$(find "$scratch/modules/$KVER" -name 'minikvm.ko*' | head -n 1)
[ -n "$ko" ] || { echo "dkms-check: FAIL: no minikvm.ko under $scratch/modules/$KVER"; cat "$log"; exit 1; }
case "$ko" in
*.ko.xz) xz -dc "$ko" >"$scratch/minikvm.ko" ;;
*.ko.zst) zstd -qdc "$ko" >"$scratch/minikvm.ko" ;;
*.ko.gz) gzip -dc "$ko" >"$scratch/minikvm.ko" ;;
*) cp "$ko" "$scratch/minikvm.ko" ;;
esac
got_ver=$(modinfo -F version "$scratch/minikvm.ko")
got_magic=$(modinfo -F vermagic "$scratch/minikvm.ko" | cut -d' ' -f1)
signer=$(modinfo -F signer "$scratch/minikvm.ko" || true)
[ "$got_ver" = "$VERSION" ] ||
	{ echo "dkms-check: FAIL: module version '$got_ver', dkms.conf says '$VERSION'"; exit 1; }
[ "$got_magic" = "$KVER" ] ||
	{ echo "dkms-check: FAIL: vermagic '$got_magic', expected '$KVER'"; exit 1; }
signed="not signed"
[ -z "$signer" ] || signed="signed by \"$signer\""
echo "dkms-check: ok: ${ko#"$scratch"/modules/} version $got_ver, vermagic $got_magic, $signed"

step remove -m minikvm -v "$VERSION" --all --no-depmod
[ -z "$(find "$scratch/modules" -name 'minikvm.ko*')" ] ||
	{ echo "dkms-check: FAIL: dkms remove left the module installed"; exit 1; }

# make install, staged.
stage=$scratch/stage
touch "$scratch/stamp"
if ! make -s -j"$(nproc)" -C "$src" install install-udev install-autoload \
	DESTDIR="$stage" KDIR="$KDIR" >"$scratch/install.log" 2>&1; then
	echo "dkms-check: FAIL: make install DESTDIR=... (log follows)"
	cat "$scratch/install.log"
	exit 1
fi
expected="etc/modules-load.d/minikvm.conf
etc/udev/rules.d/60-minikvm.rules
lib/modules/$KVER/updates/minikvm.ko
usr/local/bin/minikvm-bench
usr/local/bin/minikvm-run
usr/local/bin/minikvm-stat
usr/local/share/minikvm/demo.bin
usr/local/share/minikvm/demo64.elf
usr/local/share/minikvm/loop64.elf"
got=$(cd "$stage" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
if [ "$got" != "$expected" ]; then
	echo "dkms-check: FAIL: make install DESTDIR staged:"
	echo "$got"
	echo "dkms-check: expected:"
	echo "$expected"
	exit 1
fi
touched=""
for f in $expected; do
	if [ -e "/$f" ] && [ "/$f" -nt "$scratch/stamp" ]; then touched="$touched /$f"; fi
done
[ ! "/lib/modules/$KVER/modules.dep" -nt "$scratch/stamp" ] ||
	touched="$touched /lib/modules/$KVER/modules.dep"
[ -z "$touched" ] ||
	{ echo "dkms-check: FAIL: make install DESTDIR=... touched: $touched"; exit 1; }
echo "dkms-check: ok: make install DESTDIR=...: $(echo "$expected" | wc -l) files as expected, none on the system"
make -s -C "$src" uninstall DESTDIR="$stage" KDIR="$KDIR" >>"$scratch/install.log" 2>&1 ||
	{ echo "dkms-check: FAIL: make uninstall DESTDIR=..."; cat "$scratch/install.log"; exit 1; }
left=$(find "$stage" -type f)
[ -z "$left" ] || { echo "dkms-check: FAIL: make uninstall left: $left"; exit 1; }
echo "dkms-check: ok: make uninstall DESTDIR=... removed them"
echo "dkms-check: passed (DKMS $(dkms --version | sed 's/^dkms-//'), kernel $KVER)"
