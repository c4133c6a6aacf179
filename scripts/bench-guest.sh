#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# bench-guest.sh - runs minikvm-bench (staged next to this script) in the
# test machine against $MINIKVM_DEV, for scripts/bench.sh: TAP from
# minikvm-bench, one "bench <name> <iterations> <ns-per-op>" line per
# benchmark, each line prefixed with "benchdev <device>" so that the
# console of a boot with several targets tells them apart.
# Exit status: minikvm-bench's (4: skip, no device).

dir=$(dirname "$0")
bench="$dir/minikvm-bench"
dev=${MINIKVM_DEV:-/dev/minikvm}

echo "TAP version 13"
if [ ! -x "$bench" ]; then
	echo "1..0 # SKIP minikvm-bench not staged next to $0"
	exit 4
fi
echo "# minikvm-bench on $dev ($(uname -r))"
rcfile=/tmp/bench-guest.rc
{
	MINIKVM_CASE_TIMEOUT=${MINIKVM_CASE_TIMEOUT:-120} "$bench" 2>&1
	echo $? >"$rcfile"
} | sed -e '/^TAP version/d' -e "s|^bench |benchdev $dev bench |"
exit "$(cat "$rcfile")"
