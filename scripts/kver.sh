#!/bin/bash
# kver.sh - prints the kernel version the test machines boot by default: the
# newest /boot/vmlinuz-VER that has /lib/modules/VER and, with --headers, also
# /usr/src/linux-headers-VER (to build minikvm.ko against).  Prints nothing
# and exits 1 when there is none.
#
# Usage: scripts/kver.sh [--headers]
set -eu

need_headers=0
[ "${1:-}" = --headers ] && need_headers=1
for v in $(find /boot -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' 2>/dev/null |
	sed 's/^vmlinuz-//' | sort -rV); do
	[ -d "/lib/modules/$v" ] || continue
	[ "$need_headers" = 0 ] || [ -d "/usr/src/linux-headers-$v" ] || continue
	echo "$v"
	exit 0
done
exit 1
