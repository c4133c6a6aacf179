#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# minikvm_stat_test.sh - minikvm-stat watches a running VM from another
# process.  minikvm-run runs user/runner/demo/loop64.S (CPUID then OUT to
# port 0x80, forever) with MINIKVM_STATS_FDS=1; then:
#
#  - `minikvm-stat -p PID --once --dump` twice, a second apart: vcpu0's
#    exits and io_exits (names minikvm and KVM share) are there and grow;
#    on minikvm also exit_<vendor>_cpuid and exit_svm_ioio or exit_vmx_io
#    and their cycle histograms, and guest_cycles_hist;
#  - the text table (--once) names the process and shows exits;
#  - live mode (-d 0.2 --log) refreshes with per-second rates and ends
#    with status 0 on SIGINT;
#  - a second runner without MINIKVM_STATS_FDS: on minikvm the error says
#    to set it; on KVM its numbers come from debugfs (mounted here);
#  - a pid that does not exist, one without a VM, and the runner once
#    killed: exit status 1 and a plain message.
#
# Needs minikvm-stat, minikvm-run and loop64.elf next to this script (in the
# test machine: scripts/testvm.sh --file build/bin/minikvm-stat --file
# build/bin/minikvm-run --file build/runner/loop64.elf
# selftests/minikvm_stat_test.sh).  TAP output; exit 4 (skip) when the
# device is missing or has no KVM_RUN.

dir=$(dirname "$0")
stat="$dir/minikvm-stat"
run="$dir/minikvm-run"
guest="$dir/loop64.elf"
tmp=/tmp/minikvm_stat_test
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

# val FILE SOURCE NAME: the value of counter NAME of SOURCE in a dump, or "".
val() {
	awk -v s="$2" -v n="$3" '$1 == s && $2 == n { print $6 }' "$1"
}

# samples FILE SOURCE NAME: the samples in histogram NAME of SOURCE, or "".
samples() {
	awk -v s="$2" -v n="$3" '$1 == s && $2 == n {
		t = 0; for (i = 6; i <= NF; i++) t += $i; print t }' "$1"
}

# first_match FILE REGEX: the first statistic name of vcpu0 matching REGEX.
first_match() {
	awk -v r="$2" '$1 == "vcpu0" && $2 ~ r { print $2; exit }' "$1"
}

# grows FILE1 FILE2 NAME: true if vcpu0's NAME is > 0 and larger in FILE2.
grows() {
	a=$(val "$1" vcpu0 "$3")
	b=$(val "$2" vcpu0 "$3")
	echo "# $3: $a then $b"
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -gt 0 ] && [ "$b" -gt "$a" ]
}

echo "TAP version 13"
if [ ! -x "$stat" ] || [ ! -x "$run" ] || [ ! -f "$guest" ]; then
	echo "1..0 # SKIP minikvm-stat, minikvm-run or loop64.elf not staged next to $0"
	exit 4
fi
mkdir -p "$tmp"
MINIKVM_STATS_FDS=1 "$run" --guest "$guest" --quiet >/dev/null 2>"$tmp/run.err" &
pid=$!
sleep 1
if ! kill -0 "$pid" 2>/dev/null; then
	wait "$pid"
	rc=$?
	if [ "$rc" -eq 4 ]; then
		echo "1..0 # SKIP minikvm-run: no device or no KVM_RUN"
		exit 4
	fi
	echo "1..1"
	sed 's/^/# /' "$tmp/run.err"
	ok 1 "minikvm-run keeps running loop64.elf (it exited $rc)"
	exit 1
fi
echo "1..12"

"$stat" -p "$pid" --once --dump >"$tmp/d1" 2>"$tmp/e1"
rc1=$?
sleep 1
"$stat" -p "$pid" --once --dump >"$tmp/d2" 2>"$tmp/e2"
rc2=$?
sed 's/^/# /' "$tmp/e1" "$tmp/e2"
head -n 1 "$tmp/d1" | sed 's/^/# /'
[ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ]
ok $? "--once --dump reads the VM of pid $pid (exit status $rc1, $rc2)"
grows "$tmp/d1" "$tmp/d2" exits
ok $? "vcpu0 exits present and growing"
grows "$tmp/d1" "$tmp/d2" io_exits
ok $? "vcpu0 io_exits present and growing"

if grep -q "hv minikvm" "$tmp/d1"; then
	cpuid=$(first_match "$tmp/d2" '^exit_(svm|vmx)_cpuid$')
	io=$(first_match "$tmp/d2" '^exit_(svm|vmx)_(ioio|io)$')
	{ [ -n "$cpuid" ] && grows "$tmp/d1" "$tmp/d2" "$cpuid"; }
	ok $? "minikvm: ${cpuid:-exit_<vendor>_cpuid} present and growing"
	{ [ -n "$io" ] && grows "$tmp/d1" "$tmp/d2" "$io"; }
	ok $? "minikvm: ${io:-exit_<vendor>_ioio} present and growing"
	s=$(samples "$tmp/d2" vcpu0 "${cpuid}_hist")
	c=$(val "$tmp/d2" vcpu0 "$cpuid")
	echo "# ${cpuid}_hist: ${s:-none} samples, counter ${c:-none}"
	[ -n "$s" ] && [ "$s" -gt 0 ] && [ "$s" -le "$c" ]
	ok $? "minikvm: ${cpuid}_hist has samples, no more than exits counted"
	s=$(samples "$tmp/d2" vcpu0 guest_cycles_hist)
	[ -n "$s" ] && [ "$s" -gt 0 ]
	ok $? "minikvm: guest_cycles_hist has samples (${s:-none})"
else
	for what in exit_cpuid exit_io exit_cpuid_hist guest_cycles_hist; do
		echo "ok $((n += 1)) # SKIP $what: minikvm's own statistics"
	done
fi

"$stat" -p "$pid" --once >"$tmp/text" 2>&1
rc=$?
sed 's/^/# /' "$tmp/text" | head -n 30
[ "$rc" -eq 0 ] && grep -q "^pid $pid (minikvm-run)" "$tmp/text" &&
	grep -Eq '^ exits +[0-9]+' "$tmp/text"
ok $? "--once prints the table (pid, exits)"

"$stat" -p "$pid" -d 0.2 --log >"$tmp/live" 2>&1 &
spid=$!
sleep 2
kill -INT "$spid"
wait "$spid"
rc=$?
blocks=$(grep -c '^===' "$tmp/live")
rate=$(awk '$1 == "exits" && NF == 3 { r = $3 } END { print r }' "$tmp/live")
echo "# live: $blocks refreshes, last exits rate ${rate:-none}/s, exit status $rc"
[ "$rc" -eq 0 ] && [ "$blocks" -ge 3 ] && [ -n "$rate" ] && [ "$rate" -gt 0 ]
ok $? "live mode refreshes with rates and exits 0 on SIGINT"

# One spinning guest at a time: two starve a one-CPU test machine (on
# Bochs, KVM's second runner did not get going within the run's timeout).
kill "$pid"
wait "$pid" 2>/dev/null

# A runner without MINIKVM_STATS_FDS.
mountpoint -q /sys/kernel/debug 2>/dev/null || mount -t debugfs none /sys/kernel/debug 2>/dev/null
"$run" --guest "$guest" --quiet >/dev/null 2>&1 &
pid2=$!
sleep 1
"$stat" -p "$pid2" --once --dump >"$tmp/d3" 2>"$tmp/e3"
rc=$?
sed 's/^/# /' "$tmp/e3"
if grep -q "hv minikvm" "$tmp/d1"; then
	[ "$rc" -eq 1 ] && grep -q MINIKVM_STATS_FDS "$tmp/e3"
	ok $? "minikvm without MINIKVM_STATS_FDS: exit 1 and the hint ($rc)"
else
	e=$(val "$tmp/d3" total exits)
	echo "# debugfs: exits ${e:-none}"
	[ "$rc" -eq 0 ] && [ -n "$e" ] && [ "$e" -gt 0 ]
	ok $? "KVM without stats fds: exits from debugfs ($rc)"
fi
kill "$pid2"
wait "$pid2" 2>/dev/null

"$stat" -p 999999 --once >/dev/null 2>"$tmp/e4"
rc=$?
sed 's/^/# /' "$tmp/e4"
[ "$rc" -eq 1 ] && grep -q "no such process" "$tmp/e4"
ok $? "a pid that does not exist: exit 1, 'no such process'"
"$stat" -p $$ --once >/dev/null 2>"$tmp/e5"
rc=$?
sed 's/^/# /' "$tmp/e5"
[ "$rc" -eq 1 ] && grep -q "no minikvm or KVM VM" "$tmp/e5"
ok $? "a process without a VM (this shell): exit 1"

rm -rf "$tmp"
[ "$fails" -eq 0 ]
