#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# diffrun.sh - differential run: the whole selftest suite against minikvm and
# against real KVM in one boot of a test machine, every userspace-visible
# exit recorded (MINIKVM_EXIT_LOG, user/lib/exit_log.c), and the two
# sequences compared test case by test case inside the machine
# (scripts/diffrun-guest.sh).  Also `make diffrun`.
#
# Usage: scripts/diffrun.sh [--machine svm|vmx] [--kernel VER] [--out DIR] [TEST...]
#   --machine   svm (default; QEMU, 2 CPUs) or vmx (Bochs, 1 CPU, slow)
#   --kernel    kernel to boot and build minikvm.ko against (default:
#               scripts/kver.sh --headers, as check.sh)
#   --no-build  use minikvm.ko and build/selftests as they are (check.sh)
#   --out DIR   testvm.sh's outputs (default build/diffrun/MACHINE); the
#               report is DIR/report
#   TEST...     selftest binaries (default: every one, but hotplug_test)
#
# Prints the report: one line per test case, identical or where it diverges
# ("at exit N", what each hypervisor did there).  Divergences listed in
# selftests/diffrun-expected.txt with a reason are reported but pass; the
# exit status is 0 only if there is no other divergence and testvm.sh saw
# a clean run.  Builds minikvm.ko for the kernel it boots and the
# selftests first (make; quick when they are up to date).
# Hold /tmp/testvm.lock around it where test machines are shared.
set -eu

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MACHINE=svm OUT="" TESTS=() KVER="" BUILD=1

while [ $# -gt 0 ]; do
	case "$1" in
	--machine) MACHINE=${2:?--machine needs svm or vmx}; shift ;;
	--out) OUT=${2:?--out needs a directory}; shift ;;
	--kernel) KVER=${2:?--kernel needs a version}; shift ;;
	--no-build) BUILD=0 ;;
	-h | --help) sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
	-*) echo "diffrun.sh: unknown option $1" >&2; exit 2 ;;
	*) TESTS+=("$1") ;;
	esac
	shift
done
case "$MACHINE" in
svm) MACHINE_ARGS=(--smp 2 --timeout 1800) ;;
vmx) MACHINE_ARGS=(--timeout 5400) ;;
*) echo "diffrun.sh: --machine svm or vmx" >&2; exit 2 ;;
esac
OUT=${OUT:-$TOP/build/diffrun/$MACHINE}
[ -n "$KVER" ] || KVER=$("$TOP/scripts/kver.sh" --headers) ||
	{ echo "diffrun.sh: no kernel with both modules and headers installed" >&2; exit 2; }
if [ "$BUILD" = 1 ]; then
	make -s -C "$TOP" module KDIR="/usr/src/linux-headers-$KVER" W=1 KCFLAGS=-Werror >/dev/null
	make -s -C "$TOP" selftests >/dev/null
fi

if [ ${#TESTS[@]} -eq 0 ]; then
	# hotplug_test takes CPUs off and on: its exits depend on timing.
	mapfile -t TESTS < <(make -s -C "$TOP/selftests" O="$TOP/build" list |
		grep -v '/hotplug_test$')
fi
FILES=()
for t in "${TESTS[@]}"; do
	[ -x "$t" ] || { echo "diffrun.sh: no test binary $t (make selftests)" >&2; exit 2; }
	FILES+=(--file "$t")
done

mkdir -p "$OUT"
rc=0
"$TOP/scripts/testvm.sh" --machine "$MACHINE" "${MACHINE_ARGS[@]}" --kernel "$KVER" \
	--module "$TOP/minikvm.ko" --targets minikvm,kvm --keep-going \
	--out "$OUT" "${FILES[@]}" --file "$TOP/selftests/diffrun-expected.txt" \
	"$TOP/scripts/diffrun-guest.sh" >"$OUT/run.log" 2>&1 || rc=$?

# The report: the guest's "# diffrun:" lines (testvm.sh prefixes each console
# line with "[MACHINE] ").
tr -d '\r' <"$OUT/run.log" |
	sed -n 's/^\[[a-z-]*\] # diffrun: //p' >"$OUT/report"
cat "$OUT/report"
new=$(grep -c ': DIVERGES at' "$OUT/report" || true)
expected=$(grep -c ': diverges (expected) at' "$OUT/report" || true)
same=$(grep -c ': identical,' "$OUT/report" || true)
echo "diffrun ($MACHINE): $same cases identical, $expected diverge as expected, $new diverge unexpectedly"
grep -E '^[a-z]+/[a-z]+: [0-9]+ passed' "$OUT/run.log" || true
if [ "$rc" -ne 0 ]; then
	echo "diffrun.sh: testvm.sh exit $rc (see $OUT/run.log)"
	exit 1
fi
[ "$new" -eq 0 ]
