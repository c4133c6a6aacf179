#!/bin/bash
# kver.sh - prints the kernel version the test machines boot by default: the
# one Debian's linux-image-amd64 package points to (the distribution's
# default kernel), else the newest /boot/vmlinuz-VER.  With --series X.Y: the
# newest installed X.Y kernel instead (--series 6.12: the second kernel of
# the matrix, from bookworm-backports; scripts/deps.sh k612).  The kernel
# must have /lib/modules/VER and, with --headers, /usr/src/linux-headers-VER
# (to build minikvm.ko against).  Prints nothing and exits 1 when there is
# none.
#
# Usage: scripts/kver.sh [--headers] [--series X.Y]
set -eu

need_headers=0 series=""
while [ $# -gt 0 ]; do
	case "$1" in
	--headers) need_headers=1; shift ;;
	--series) [ $# -ge 2 ] || { echo "kver.sh: --series needs X.Y" >&2; exit 2; }
		series=$2; shift 2 ;;
	*) sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
	esac
done

# usable VER: true if VER can be booted (and built against, with --headers).
usable() {
	[ -r "/boot/vmlinuz-$1" ] && [ -d "/lib/modules/$1" ] &&
		{ [ "$need_headers" = 0 ] || [ -d "/usr/src/linux-headers-$1" ]; }
}

# The newest VER of the series: "6.12" matches 6.12.N+...-amd64, not 6.120.
if [ -n "$series" ]; then
	for v in $(find /boot -maxdepth 1 -name "vmlinuz-$series.*" -printf '%f\n' 2>/dev/null |
		sed 's/^vmlinuz-//' | sort -rV); do
		if usable "$v"; then
			echo "$v"
			exit 0
		fi
	done
	exit 1
fi

# The metapackage depends on "linux-image-VER (= DEBIAN-VERSION)".
meta=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
	sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
if [ -n "$meta" ] && usable "$meta"; then
	echo "$meta"
	exit 0
fi
for v in $(find /boot -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' 2>/dev/null |
	sed 's/^vmlinuz-//' | sort -rV); do
	if usable "$v"; then
		echo "$v"
		exit 0
	fi
done
exit 1
