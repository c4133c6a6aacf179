#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# runner_demo_test.sh - minikvm-run runs its demo guest (user/runner/demo/
# hello16.S, real mode): the guest's serial output reaches stdout, the
# exits are logged on stderr (port I/O on 0x3fd/0x3f8, then HLT) and the
# runner exits 0.  Then --max-exits stops it early with status 3, and the
# long-mode ELF demo (hello64.S, one REP OUTSB) prints its line too, and
# --stats prints the vCPU's statistics after the run (exits, io_exits),
# and --trace its exit sequence (minikvm only: on KVM it says so).
#
# Needs minikvm-run, demo.bin and demo64.elf next to this script (in the
# test machine: scripts/testvm.sh --file build/bin/minikvm-run
# --file build/runner/demo.bin --file build/runner/demo64.elf
# selftests/runner_demo_test.sh).  TAP output;
# exit 4 (skip) when the device has no KVM_RUN yet or is missing.

dir=$(dirname "$0")
run="$dir/minikvm-run"
demo="$dir/demo.bin"
demo64="$dir/demo64.elf"
err=/tmp/runner_demo_test.err
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

out=$("$run" --guest "$demo" 2>"$err")
rc=$?
if [ "$rc" -eq 4 ]; then
	echo "1..0 # SKIP $(printf '%s\n' "$out" | sed -n 's/^1\.\.0 # SKIP //p')"
	exit 4
fi
echo "1..8"
sed 's/^/# /' "$err" | head -n 12
echo "# ..."
tail -n 3 "$err" | sed 's/^/# /'

[ "$rc" -eq 0 ]; ok $? "demo guest halts (exit status $rc)"
[ "$out" = "hello from the guest" ]; ok $? "serial output is \"$out\""
grep -q "KVM_EXIT_HLT after" "$err"
ok $? "the last exit is KVM_EXIT_HLT"

"$run" --guest "$demo" --max-exits 5 --quiet >/dev/null 2>&1
rc=$?
[ "$rc" -eq 3 ]; ok $? "--max-exits 5 stops the guest (exit status $rc)"

out=$("$run" --guest "$demo64" 2>"$err")
rc=$?
tail -n 4 "$err" | sed 's/^/# /'
[ "$rc" -eq 0 ]; ok $? "64-bit ELF demo guest halts (exit status $rc)"
[ "$out" = "hello from the 64-bit guest" ]; ok $? "its serial output is \"$out\""

"$run" --guest "$demo" --quiet --stats >/dev/null 2>"$err"
rc=$?
sed 's/^/# /' "$err" | head -n 16
grep -q "^  exits  *[1-9]" "$err" && grep -q "^  io_exits  *[1-9]" "$err"
ok $? "--stats prints exits and io_exits (exit status $rc)"

"$run" --guest "$demo" --quiet --trace >/dev/null 2>"$err"
rc=$?
sed 's/^/# /' "$err" | head -n 8
if grep -q "no exit trace on this device" "$err"; then
	echo "ok $((n + 1)) # SKIP --trace: no exit trace on this device"
	n=$((n + 1))
else
	grep -q " user:IO " "$err" && grep -q " user:HLT " "$err" &&
		grep -q "^minikvm-run: [1-9][0-9]* records, 0 lost" "$err"
	ok $? "--trace prints the exit sequence, ending in HLT (exit status $rc)"
fi

echo "# Totals: pass:$((n - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ "$fails" -eq 0 ]
