#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench.sh - minikvm against real KVM, in one boot of a test machine: runs
# build/bin/minikvm-bench (user/bench/bench.c) under target minikvm, then
# under target kvm, and prints a table of both figures, the ratio
# minikvm/KVM and the target of issue 8 for each line
# (Documentation/benchmarks.md).  Also `make bench`.
#
# Usage: scripts/bench.sh [--machine svm|vmx] [--kernel VER] [--out DIR] [--no-build]
#   --machine   svm (default; QEMU with -icount shift=0,sleep=off: one
#               virtual ns per instruction, the figures repeat exactly) or
#               vmx (Bochs, whose clock is virtual; minutes)
#   --kernel    kernel to boot and build minikvm.ko against (default:
#               scripts/kver.sh --headers, as check.sh)
#   --out DIR   testvm.sh's outputs (default build/bench/MACHINE); the
#               table is DIR/table, testvm.sh's log DIR/run.log
#   --no-build  use minikvm.ko and build/bin/minikvm-bench as they are
#
# One CPU, so that nothing else runs beside the benchmark.  Exit status 0
# when testvm.sh saw a clean run with every benchmark done on both targets
# (a missed target is reported, not a failure).
# Hold /tmp/testvm.lock around it where test machines are shared.
set -eu

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MACHINE=svm OUT="" KVER="" BUILD=1

while [ $# -gt 0 ]; do
	case "$1" in
	--machine) MACHINE=${2:?--machine needs svm or vmx}; shift ;;
	--out) OUT=${2:?--out needs a directory}; shift ;;
	--kernel) KVER=${2:?--kernel needs a version}; shift ;;
	--no-build) BUILD=0 ;;
	-h | --help) sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
	*) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
case "$MACHINE" in
svm) MACHINE_ARGS=(--icount --timeout 900 --mem 3072) ;;
vmx) MACHINE_ARGS=(--timeout 7200 --mem 2048) ;; # Bochs 2.7's most
*) echo "bench.sh: --machine svm or vmx" >&2; exit 2 ;;
esac
OUT=${OUT:-$TOP/build/bench/$MACHINE}
[ -n "$KVER" ] || KVER=$("$TOP/scripts/kver.sh" --headers) ||
	{ echo "bench.sh: no kernel with both modules and headers installed" >&2; exit 2; }
if [ "$BUILD" = 1 ]; then
	make -s -C "$TOP" module KDIR="/usr/src/linux-headers-$KVER" W=1 KCFLAGS=-Werror >/dev/null
	make -s -C "$TOP" user >/dev/null
fi
BENCH=$TOP/build/bin/minikvm-bench
[ -x "$BENCH" ] || { echo "bench.sh: no $BENCH (make user)" >&2; exit 2; }

mkdir -p "$OUT"
rc=0
"$TOP/scripts/testvm.sh" --machine "$MACHINE" "${MACHINE_ARGS[@]}" --kernel "$KVER" \
	--module "$TOP/minikvm.ko" --targets minikvm,kvm --keep-going \
	--out "$OUT" --file "$BENCH" "$TOP/scripts/bench-guest.sh" \
	>"$OUT/run.log" 2>&1 || rc=$?

# bench-guest.sh prints "benchdev DEVICE bench NAME ITERATIONS NS-PER-OP".
# Targets: minikvm/KVM at most this (issue 8); "-": none set.
case "$MACHINE" in
svm) CLOCK="QEMU -icount shift=0: 1 ns = 1 instruction" ;;
vmx) CLOCK="Bochs virtual time" ;;
esac
tr -d '\r' <"$OUT/console.txt" | awk -v machine="$MACHINE" -v clock="$CLOCK" \
	-v date="$(date -u '+%Y-%m-%d')" '
BEGIN {
	order = "cpuid rdmsr pio mmio run_immediate hlt_irq fault_4k fault_thp fault_4k_1g fault_thp_1g touch_4k touch_thp vm_create memslot"
	n = split(order, names, " ")
	target["cpuid"] = 0.5; target["rdmsr"] = 0.5
	target["pio"] = 0.8; target["mmio"] = 1.0
	target["fault_4k"] = 1.0; target["fault_thp"] = 0.5; target["vm_create"] = 1.0
	target["fault_4k_1g"] = 1.0; target["fault_thp_1g"] = 0.5
}
$1 == "benchdev" && $3 == "bench" && NF == 6 {
	dev = ($2 == "/dev/kvm") ? "kvm" : "minikvm"
	ns[dev, $4] = $6
	iters[$4] = $5
}
END {
	printf "# %s, %s, ns per operation (%s)\n", machine, date, clock
	printf "%-13s %8s %14s %14s %7s %8s\n", "benchmark", "iters",
		"minikvm", "kvm", "ratio", "target"
	missing = 0
	for (i = 1; i <= n; i++) {
		b = names[i]
		if (!((("minikvm", b) in ns) && (("kvm", b) in ns))) {
			printf "%-13s %8s %14s %14s %7s %8s\n", b, "-",
				(("minikvm", b) in ns) ? ns["minikvm", b] : "missing",
				(("kvm", b) in ns) ? ns["kvm", b] : "missing", "-", "-"
			missing++
			continue
		}
		m = ns["minikvm", b]; k = ns["kvm", b]
		r = k > 0 ? m / k : 0
		if (b in target)
			t = sprintf("<=%.1f %s", target[b],
				    r <= target[b] ? "met" : "MISSED")
		else
			t = "-"
		printf "%-13s %8d %14.1f %14.1f %7.2f  %s\n", b, iters[b], m, k, r, t
	}
	# The exit trace: minikvm only, against the same benchmark without.
	printf "# minikvm exit trace on, against off (target: at most +10%%)\n"
	split("cpuid pio", traced, " ")
	for (i = 1; i <= 2; i++) {
		b = traced[i]
		if (!((("minikvm", b "_trace") in ns) && (("minikvm", b) in ns))) {
			printf "%-12s missing\n", b "_trace"
			missing++
			continue
		}
		m = ns["minikvm", b "_trace"]
		c = (m / ns["minikvm", b] - 1) * 100
		printf "%-12s %8d %14.1f %+6.1f%%  %s\n", b "_trace", iters[b "_trace"],
			m, c, c <= 10 ? "met" : "MISSED"
	}
	# Statistics: minikvm only, the plain benchmark (on) against stats=N.
	printf "# minikvm per-exit statistics on, against off (target: at most +3%%)\n"
	for (i = 1; i <= 2; i++) {
		b = traced[i]
		if (!((("minikvm", b "_nostats") in ns) && (("minikvm", b) in ns))) {
			printf "%-12s missing\n", b "_nostats"
			missing++
			continue
		}
		m = ns["minikvm", b "_nostats"]
		c = (ns["minikvm", b] / m - 1) * 100
		printf "%-13s %8d %14.1f %+6.1f%%  %s\n", b "_nostats",
			iters[b "_nostats"], m, c, c <= 3 ? "met" : "MISSED"
	}
	exit missing ? 1 : 0
}' >"$OUT/table" || rc=1
# Where the cycles of a traced round trip go (bench.c trace_split()).
tr -d '\r' <"$OUT/console.txt" | sed -n 's/^# \(cpuid_trace\|pio_trace\|transparent_hugepage\)/# \1/p' |
	awk '!seen[$0]++' >>"$OUT/table"
cat "$OUT/table"
grep -E '^[a-z]+/[a-z]+: [0-9]+ passed' "$OUT/run.log" || true
if [ "$rc" -ne 0 ]; then
	echo "bench.sh: failed (testvm.sh log: $OUT/run.log)" >&2
	exit 1
fi
