#!/bin/bash
# check.sh - README's test command: every test minikvm has.
#
# Usage: scripts/check.sh [--kernel VER] [--kernel2 VER] [--machines "svm vmx"]
#
# The kernel matrix: VER is Debian's default kernel (6.1, scripts/kver.sh),
# VER2 the newest 6.12 from bookworm-backports (kver.sh --series 6.12).
#
# 1. installs what is missing (scripts/deps.sh all, the 6.12 kernel and
#    headers included; as root, else it stops with the exact apt-get line),
# 2. builds minikvm.ko against the headers of both kernels (W=1, compiler
#    warnings are errors; sparse, C=2, any sparse warning on minikvm's own
#    files is an error): ./minikvm.ko for VER, build/kmod/VER2/minikvm.ko
#    for VER2 (make MODDIR=, a tree of its own); then the userspace library
#    and the selftests, then the module once more through DKMS in a scratch
#    tree, and `make install` staged there (scripts/dkms-check.sh, under a
#    minute),
# 3. runs the cmocka unit tests on this machine,
# 4. boots the test machines, each run in build/testvm/RUN/ (run.log holds
#    the whole console):
#      svm             every selftest, in one boot with two CPUs, against
#                      minikvm, then the real KVM modules, then both loaded
#                      (coexist: each must refuse VMs while the other runs
#                      them)
#      vmx             the same but hotplug_test, minikvm_stat_test.sh,
#                      dirty_log_test, smp_test, host_state_test and
#                      hostile_guest_test, with one
#                      CPU (Bochs runs twice as slowly with two)
#      vmx-hotplug     hotplug_test with two CPUs, all targets in one boot
#      vmx-smp         dirty_log_test, smp_test, host_state_test,
#                      hostile_guest_test and 3 s of minikvm-fuzz with
#                      KVM_RUN (selftests/fuzz_test.sh, memory measured
#                      around it) with two CPUs, against minikvm only: real
#                      KVM hangs Bochs in dirty_log_test and in
#                      hostile_guest_test's endless_loops
#                      (Documentation/testing.md); the SVM machine compares
#                      them with KVM
#      upstream-svm    Linux 6.1's own KVM selftests, built unchanged from
#                      Debian's linux-source-6.1 (scripts/kvm-selftests.sh;
#                      the list: selftests/upstream/kvm-selftests.list),
#                      against minikvm, KVM and both loaded
#      novirt          a QEMU CPU without SVM: minikvm.ko must refuse to load
#      fuzz-svm        minikvm-fuzz for 20 s against minikvm, then KVM, with
#                      memory measured around each (selftests/fuzz_test.sh);
#                      every ioctl but KVM_RUN: QEMU's SVM emulation hangs
#                      on random guest code, under KVM as under minikvm
#                      (Documentation/testing.md, "Fuzzing")
#      diffrun-svm     differential run (scripts/diffrun.sh): every selftest
#                      against minikvm and KVM with their exits recorded,
#                      compared case by case; only divergences not listed in
#                      selftests/diffrun-expected.txt fail (about 2 minutes)
#      svm-612         the svm run on kernel VER2: every selftest against
#                      minikvm, its KVM and both loaded
#      vmx-612         the vmx run on kernel VER2 (about 10 minutes)
#    The QEMU runs go one after another on one core while the Bochs runs go
#    on the other,
# 5. ends with one line "N passed, N failed, N skipped" over all of it; exit
#    status 0 only when nothing failed.
set -eu

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"

KVER="" KVER2="" MACHINES="svm vmx"
TARGETS=minikvm,kvm,coexist
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) KVER=$2; shift 2 ;;
	--kernel2) KVER2=$2; shift 2 ;;
	--machines) MACHINES=$2; shift 2 ;;
	*) sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
	esac
done

scripts/deps.sh all

[ -n "$KVER" ] || KVER=$(scripts/kver.sh --headers) || true
[ -n "$KVER" ] || { echo "check.sh: no kernel with both modules and headers installed" >&2; exit 1; }
[ -n "$KVER2" ] || KVER2=$(scripts/kver.sh --headers --series 6.12) || true
[ -n "$KVER2" ] || { echo "check.sh: no 6.12 kernel with modules and headers (scripts/deps.sh k612)" >&2; exit 1; }
MODULE2=$TOP/build/kmod/$KVER2/minikvm.ko

# module_build VER [MODDIR=DIR]: minikvm.ko for kernel VER, compiler
# warnings as errors, every file through sparse (C=2).  Sparse warnings do
# not stop kbuild: any on minikvm's own files fails here; those inside the
# kernel's headers are the kernel's (shown, not counted).
module_build() {
	local ver=$1 log rc=0
	shift
	echo "== build (kernel $ver)"
	log=$(mktemp)
	make -s module KDIR="/usr/src/linux-headers-$ver" W=1 KCFLAGS=-Werror C=2 "$@" \
		>"$log" 2>&1 || rc=$?
	cat "$log"
	[ "$rc" -eq 0 ] || { rm -f "$log"; exit 1; }
	if grep -E '(warning|error):' "$log" | grep -v "^/usr/src/" | grep -q .; then
		echo "check.sh: sparse or compiler warnings on minikvm's files (kernel $ver)" >&2
		rm -f "$log"
		exit 1
	fi
	rm -f "$log"
}
module_build "$KVER"
module_build "$KVER2" MODDIR="build/kmod/$KVER2"
echo "== build (userspace)"
make -s user selftests
scripts/dkms-check.sh --kernel "$KVER"
up_args=$(scripts/kvm-selftests.sh)
read -r -a UPSTREAM <<<"$up_args"

pass=0 fail=0 skip=0
add_counts() { pass=$((pass + $1)); fail=$((fail + $2)); skip=$((skip + $3)); }

echo "== unit tests (cmocka)"
unit_log=build/unit.log
set +e
make -s -C selftests O="$TOP/build" run-unit 2>&1 | tee "$unit_log"
unit_rc=${PIPESTATUS[0]}
set -e
line=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$unit_log" | tail -n 1)
unit_fail=0
if [ -n "$line" ]; then
	read -r up unit_fail us < <(echo "$line" | sed -E 's/unit: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')
	add_counts "$up" "$unit_fail" "$us"
fi
# A unit run that failed without counting a failure (crash, no summary).
if [ "$unit_rc" -ne 0 ] && [ "$unit_fail" -eq 0 ]; then
	echo "check.sh: unit tests exited $unit_rc"
	fail=$((fail + 1))
fi

mapfile -t ALL < <(make -s -C selftests O="$TOP/build" list)
MAIN=() HOTPLUG="" VMX_MAIN=() VMX_SMP=()
for t in "${ALL[@]}"; do
	case "$t" in
	*/hotplug_test) HOTPLUG=$t ;;
	*) MAIN+=("$t") ;;
	esac
	case "$t" in
	*/hotplug_test) ;;
	*/dirty_log_test | */smp_test | */host_state_test | */hostile_guest_test) VMX_SMP+=("$t") ;;
	*) VMX_MAIN+=("$t") ;;
	esac
done
if [ ${#MAIN[@]} -eq 0 ] || [ -z "$HOTPLUG" ] || [ ${#VMX_SMP[@]} -ne 4 ]; then
	echo "check.sh: selftests missing" >&2
	exit 1
fi

# boot RUN testvm.sh-ARGS...: one test-machine run in build/testvm/RUN;
# its exit status goes to build/testvm/RUN/rc.
boot() {
	local run=$1 dir="$TOP/build/testvm/$1" rc=0
	shift
	mkdir -p "$dir"
	scripts/testvm.sh --kernel "$KVER" --module "$TOP/minikvm.ko" --out "$dir" \
		--keep-going "$@" >"$dir/run.log" 2>&1 || rc=$?
	echo "$rc" >"$dir/rc"
}

# minikvm-run and its demo guests, for selftests/runner_demo_test.sh and
# selftests/tracepoints_test.sh.
RUNNER=(--file "$TOP/build/bin/minikvm-run" --file "$TOP/build/runner/demo.bin"
	--file "$TOP/build/runner/demo64.elf" selftests/runner_demo_test.sh
	selftests/tracepoints_test.sh)
# minikvm-run --check (selftests/runner_check_test.sh): the booted kernel's
# msr.ko for its full report, loop64.elf for a VM it names.
MSR_KO=$(find "/lib/modules/$KVER" -name msr.ko -print -quit)
RUNNER2=("${RUNNER[@]}")
RUNNER+=(--file "$TOP/build/runner/loop64.elf" ${MSR_KO:+--file "$MSR_KO"}
	selftests/runner_check_test.sh)
# The same for VER2, with its own msr.ko (6.12 ships it as .ko.xz).
MSR_KO2=$(find "/lib/modules/$KVER2" \( -name msr.ko -o -name msr.ko.xz \) -print -quit)
if [ -n "$MSR_KO2" ] && [ "${MSR_KO2%.xz}" != "$MSR_KO2" ]; then
	xz -dc "$MSR_KO2" >"$TOP/build/kmod/$KVER2/msr.ko"
	MSR_KO2=$TOP/build/kmod/$KVER2/msr.ko
fi
RUNNER2+=(--file "$TOP/build/runner/loop64.elf" ${MSR_KO2:+--file "$MSR_KO2"}
	selftests/runner_check_test.sh)
# minikvm-stat watching loop64.elf, for selftests/minikvm_stat_test.sh: on
# the SVM machine only.  On the one-CPU Bochs machine, loop64.elf under
# kvm_intel left the shell no time to run minikvm-stat within the run's
# timeout (minikvm passes there; Documentation/testing.md).
STAT=(--file "$TOP/build/bin/minikvm-stat" --file "$TOP/build/runner/loop64.elf"
	selftests/minikvm_stat_test.sh)

# minikvm-fuzz, for selftests/fuzz_test.sh: its settings in
# build/fuzz/MACHINE/fuzz.conf.  On the SVM machine 20 s of every ioctl but
# KVM_RUN (QEMU's SVM hangs on random guest code, KVM alike); on Bochs,
# KVM_RUN included, 3 s of the guest's clock, which Bochs advances about 80
# times more slowly than the wall clock under this load: 650000 ioctls and
# 120000 KVM_RUNs in about 5 minutes (Documentation/testing.md, "Fuzzing").
mkdir -p build/fuzz/svm build/fuzz/vmx
printf 'FUZZ_SECONDS=20\nFUZZ_ARGS="--ops vcpu,vm,memslot,scribble,system,raw,fork"\n' \
	>build/fuzz/svm/fuzz.conf
printf 'FUZZ_SECONDS=3\nFUZZ_ARGS="--verbose"\n' >build/fuzz/vmx/fuzz.conf
FUZZ=(--file "$TOP/build/bin/minikvm-fuzz" selftests/fuzz_test.sh)

# diffrun RUN: scripts/diffrun.sh on the SVM machine, in build/testvm/RUN
# (its run.log is the console, diffrun.log the report).
diffrun() {
	local dir="$TOP/build/testvm/$1" rc=0
	mkdir -p "$dir"
	scripts/diffrun.sh --machine svm --kernel "$KVER" --no-build --out "$dir" \
		"${MAIN[@]}" >"$dir/diffrun.log" 2>&1 || rc=$?
	echo "$rc" >"$dir/rc"
}

# The runs of one emulator, one after another (each emulator gets a core).
svm_runs() {
	boot novirt --machine svm --cpu qemu64,-svm --targets none \
		--file "$TOP/minikvm.ko" selftests/no_virt_load_test.sh
	boot svm --machine svm --smp 2 --targets "$TARGETS" "${ALL[@]}" "${RUNNER[@]}" "${STAT[@]}" \
		selftests/module_reload_test.sh
	# A CPU with RDTSCP: the guest's TSC_AUX is switched in and out.
	boot svm-rdtscp --machine svm --cpu qemu64,+svm,+npt,+rdtscp --smp 2 \
		--targets "$TARGETS" "$TOP/build/selftests/cpuid_msr_test"
	boot upstream-svm --machine svm --smp 2 --targets "$TARGETS" \
		"${UPSTREAM[@]}" selftests/upstream_kvm_test.sh
	boot fuzz-svm --machine svm --smp 2 --targets minikvm,kvm \
		--file "$TOP/build/fuzz/svm/fuzz.conf" "${FUZZ[@]}"
	diffrun diffrun-svm
	# The second kernel: its own module (later --kernel/--module win).
	boot svm-612 --kernel "$KVER2" --module "$MODULE2" --machine svm --smp 2 \
		--targets "$TARGETS" "${ALL[@]}" "${RUNNER2[@]}" "${STAT[@]}"
}
vmx_runs() {
	boot vmx --machine vmx --targets "$TARGETS" "${VMX_MAIN[@]}" "${RUNNER[@]}" \
		selftests/module_reload_test.sh
	boot vmx-hotplug --machine vmx --smp 2 --targets "$TARGETS" "$HOTPLUG"
	boot vmx-smp --machine vmx --smp 2 --targets minikvm --timeout 2100 "${VMX_SMP[@]}" \
		--file "$TOP/build/fuzz/vmx/fuzz.conf" "${FUZZ[@]}"
	boot vmx-612 --kernel "$KVER2" --module "$MODULE2" --machine vmx \
		--targets "$TARGETS" "${VMX_MAIN[@]}" "${RUNNER2[@]}"
}

rm -rf build/testvm
pids=()
for m in $MACHINES; do
	echo "== $m test machine runs (logs: build/testvm/$m*/run.log)"
	"${m}_runs" &
	pids+=($!)
done
wait "${pids[@]}"

# Each run: counts from its results; a failed run that counted no failure
# (crash, timeout, dirty console between tests) adds one; on failure the
# whole log is shown.
for dir in build/testvm/*/; do
	run=$(basename "$dir")
	rc=$(cat "$dir/rc" 2>/dev/null || echo 1)
	echo "== $run: testvm.sh exit $rc"
	counted_fail=0
	if [ -s "$dir/results" ]; then
		while read -r _target p f s; do
			add_counts "$p" "$f" "$s"
			counted_fail=$((counted_fail + f))
		done <"$dir/results"
	fi
	if [ "$rc" -ne 0 ]; then
		cat "$dir/run.log"
		[ ! -f "$dir/diffrun.log" ] || cat "$dir/diffrun.log"
		[ "$counted_fail" -gt 0 ] || fail=$((fail + 1))
	else
		grep -E '^(svm|vmx)/' "$dir/run.log" || true
		grep -hE '^diffrun \(' "$dir/diffrun.log" 2>/dev/null || true
	fi
done

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
