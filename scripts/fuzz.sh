#!/bin/bash
# fuzz.sh - a long minikvm-fuzz run in a test machine, with the kernel's side
# checked (selftests/fuzz_test.sh: no oops/WARN on the console, no hang,
# memory after the module's unload as before).  check.sh runs a short one.
#
# Usage: scripts/fuzz.sh [OPTIONS] [-- MINIKVM-FUZZ-OPTIONS]
#   --machine svm|vmx   test machine (default svm)
#   --targets LIST      testvm.sh targets (default minikvm,kvm on svm,
#                       minikvm on vmx)
#   --seconds N         fuzzing time per target, on the test machine's clock
#                       (default 300 on svm, 10 on vmx: Bochs's clock runs
#                       about 80 times more slowly than the wall clock
#                       under the fuzzer, so 10 s take about 15 minutes)
#   --threads N         fuzzer threads (default 4)
#   --seed N            the fuzzer's seed (default: from the clock, printed)
#   --smp N             CPUs of the test machine (default 2)
#   --kernel VER        kernel to boot and build against (default kver.sh's)
#   --no-build          use the minikvm.ko and build/ already there
#   --out DIR           outputs (default build/fuzz/MACHINE-long)
#   MINIKVM-FUZZ-OPTIONS  passed on (minikvm-fuzz --help); on svm the default
#                       is --ops without run: QEMU's SVM emulation hangs
#                       on random guest code under KVM as under minikvm
#                       (Documentation/testing.md, "Fuzzing")
# Exit status: testvm.sh's (0 only when every case passed and the console
# is clean).
set -eu

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"

MACHINE=svm TARGETS="" SECONDS_ARG="" THREADS=4 SEED="" SMP=2 KVER="" BUILD=1 OUT=""
usage() {
	sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--machine) MACHINE=$2; shift 2 ;;
	--targets) TARGETS=$2; shift 2 ;;
	--seconds) SECONDS_ARG=$2; shift 2 ;;
	--threads) THREADS=$2; shift 2 ;;
	--seed) SEED=$2; shift 2 ;;
	--smp) SMP=$2; shift 2 ;;
	--kernel) KVER=$2; shift 2 ;;
	--no-build) BUILD=0; shift ;;
	--out) OUT=$2; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
case "$MACHINE" in svm | vmx) ;; *) usage ;; esac
[ -n "$SECONDS_ARG" ] || { [ "$MACHINE" = svm ] && SECONDS_ARG=300 || SECONDS_ARG=10; }
case "$SECONDS_ARG$THREADS$SMP" in *[!0-9]*) usage ;; esac
FUZZ_ARGS="$*"
if [ -z "$FUZZ_ARGS" ] && [ "$MACHINE" = svm ]; then
	FUZZ_ARGS="--ops vcpu,vm,memslot,scribble,system,raw,fork"
fi
[ -n "$TARGETS" ] || { [ "$MACHINE" = svm ] && TARGETS=minikvm,kvm || TARGETS=minikvm; }
[ -n "$OUT" ] || OUT="$TOP/build/fuzz/$MACHINE-long"

scripts/deps.sh build "$MACHINE"
[ -n "$KVER" ] || KVER=$(scripts/kver.sh --headers)
if [ "$BUILD" = 1 ]; then
	make -s module KDIR="/usr/src/linux-headers-$KVER" W=1 KCFLAGS=-Werror
	make -s user
fi

mkdir -p "$OUT"
{
	echo "FUZZ_SECONDS=$SECONDS_ARG"
	echo "FUZZ_THREADS=$THREADS"
	[ -z "$SEED" ] || echo "FUZZ_SEED=$SEED"
	echo "FUZZ_ARGS=\"$FUZZ_ARGS\""
} >"$OUT/fuzz.conf"

# Each target: the fuzzing, then up to a minute of unloading, measuring and
# reloading; on Bochs a second of the guest's clock takes about 80 of the
# wall clock under the fuzzer.
ntargets=$(echo "$TARGETS" | tr ',' '\n' | grep -c .)
per_test=$((SECONDS_ARG + 120))
boot=120
[ "$MACHINE" = vmx ] && { per_test=$((SECONDS_ARG * 120 + 600)); boot=900; }
exec scripts/testvm.sh --machine "$MACHINE" --kernel "$KVER" --smp "$SMP" \
	--targets "$TARGETS" --keep-going --out "$OUT" \
	--timeout $((boot + per_test * ntargets)) --test-timeout "$per_test" \
	--file "$TOP/build/bin/minikvm-fuzz" --file "$OUT/fuzz.conf" \
	selftests/fuzz_test.sh
