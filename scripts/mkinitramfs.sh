#!/bin/bash
# mkinitramfs.sh - pack a staged directory tree into a gzip-compressed newc cpio
# archive that Linux unpacks as its initramfs.
#
# Usage: scripts/mkinitramfs.sh DIR OUTPUT.gz
#
# Every file is recorded as owned by root (so the archive is the same whether it
# was built as root or not), in sorted order, with gzip's name and timestamp left
# out, so equal trees give byte-for-byte equal archives. DIR must already hold
# /init; the kernel's own built-in initramfs supplies /dev/console.
set -eu

# die MSG: prints MSG on stderr and exits 1.
die() {
	echo "mkinitramfs.sh: $*" >&2
	exit 1
}

[ $# -eq 2 ] || die "usage: $0 DIR OUTPUT.gz"
dir=$1 out=$2
[ -d "$dir" ] || die "no such directory: $dir"
[ -x "$dir/init" ] || die "$dir/init is missing or not executable"
command -v cpio >/dev/null || die "cpio not found (scripts/deps.sh svm installs it)"

outdir=$(cd "$(dirname "$out")" && pwd) || die "no directory for $out"
tmp="$outdir/.$(basename "$out").tmp"
# Run in DIR so that archive paths are relative ("./init" unpacks to "/init").
(cd "$dir" && find . -print0 | LC_ALL=C sort -z |
	cpio --null --create --format=newc --owner=0:0 --reproducible --quiet) |
	gzip -6 -n >"$tmp"
mv "$tmp" "$out"
