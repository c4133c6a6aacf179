#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# tracepoints_test.sh - minikvm's tracepoints (events/minikvm/ in tracefs)
# seen from ftrace: with every minikvm event enabled, minikvm-run runs its
# demo guest (real mode: port I/O to the serial port, then HLT) and the
# trace must hold minikvm_entry lines, minikvm_exit lines whose decoded
# name is the vendor's I/O exit (IOIO on SVM, IO on VMX) and
# minikvm_userspace_exit lines with reason IO and HLT.
#
# Needs minikvm-run and demo.bin next to this script (testvm.sh --file
# build/bin/minikvm-run --file build/runner/demo.bin
# selftests/tracepoints_test.sh).  TAP; exit 4 (skip) on KVM or without
# tracefs.

dir=$(dirname "$0")
run="$dir/minikvm-run"
demo="$dir/demo.bin"
fails=0 n=0

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		fails=$((fails + 1))
	fi
}

echo "TAP version 13"
if [ ! -x "$run" ] || [ ! -f "$demo" ]; then
	echo "1..0 # SKIP minikvm-run or demo.bin not staged next to $0"
	exit 4
fi
case "${MINIKVM_DEV:-/dev/minikvm}" in
*minikvm*) ;;
*) echo "1..0 # SKIP minikvm's tracepoints: not on ${MINIKVM_DEV}"; exit 4 ;;
esac
t=/sys/kernel/tracing
[ -d "$t/events" ] || mount -t tracefs nodev "$t" 2>/dev/null
if [ ! -d "$t/events/minikvm" ]; then
	echo "1..0 # SKIP no events/minikvm in tracefs"
	exit 4
fi
echo "1..5"
echo 0 >"$t/tracing_on"
echo >"$t/trace"
echo 1 >"$t/events/minikvm/enable"
echo 1 >"$t/tracing_on"
"$run" --guest "$demo" --quiet >/dev/null 2>&1
rc=$?
echo 0 >"$t/tracing_on"
echo 0 >"$t/events/minikvm/enable"
out=/tmp/tracepoints_test.trace
cat "$t/trace" >"$out"
grep minikvm_ "$out" | head -n 12 | sed 's/^/# /'

[ "$rc" -eq 0 ]; ok $? "demo guest ran (exit status $rc)"
grep -q "minikvm_entry: vcpu 0 rip 0x" "$out"
ok $? "minikvm_entry events"
grep -Eq "minikvm_exit: vcpu 0 reason (IOIO|IO) \(0x" "$out"
ok $? "minikvm_exit events decode the I/O exit (IOIO or IO)"
grep -q "minikvm_userspace_exit: vcpu 0 reason IO " "$out"
ok $? "minikvm_userspace_exit with reason IO"
grep -q "minikvm_userspace_exit: vcpu 0 reason HLT " "$out"
ok $? "minikvm_userspace_exit with reason HLT"

echo "# Totals: pass:$((n - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ "$fails" -eq 0 ]
