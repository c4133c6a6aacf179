#!/bin/bash
# check.sh - README's test command: every test minikvm has.
#
# Usage: scripts/check.sh [--kernel VER] [--machines "svm vmx"]
#
# 1. installs what is missing (scripts/deps.sh all; as root, else it stops
#    with the exact apt-get line),
# 2. builds minikvm.ko against the headers of the kernel the test machines
#    boot, the userspace library and the selftests (warnings are errors),
# 3. runs the cmocka unit tests on this machine,
# 4. runs the selftests on both test machines, each against minikvm and then
#    the real KVM modules in the same boot: the SVM machine (QEMU) and the VMX
#    machine (Bochs) run side by side, one per core,
# 5. ends with one line "N passed, N failed, N skipped" over all of it; exit
#    status 0 only when nothing failed.
set -eu

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"

KVER="" MACHINES="svm vmx"
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) KVER=$2; shift 2 ;;
	--machines) MACHINES=$2; shift 2 ;;
	*) sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
	esac
done

scripts/deps.sh all

# newest_kernel: the newest /boot/vmlinuz-VER with modules and headers.
newest_kernel() {
	local v
	for v in $(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -rV); do
		if [ -d "/lib/modules/$v" ] && [ -d "/usr/src/linux-headers-$v" ]; then
			echo "$v"
			return
		fi
	done
}
[ -n "$KVER" ] || KVER=$(newest_kernel)
[ -n "$KVER" ] || { echo "check.sh: no kernel with both modules and headers installed" >&2; exit 1; }
echo "== build (kernel $KVER)"
make -s module KDIR="/usr/src/linux-headers-$KVER" W=1 KCFLAGS=-Werror
make -s user selftests

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

mapfile -t TESTS < <(make -s -C selftests O="$TOP/build" list)
[ ${#TESTS[@]} -gt 0 ] || { echo "check.sh: no selftests found" >&2; exit 1; }

declare -A pids
for m in $MACHINES; do
	echo "== selftests on the $m test machine (minikvm, then real KVM), log: build/testvm/$m/run.log"
	mkdir -p "build/testvm/$m"
	scripts/testvm.sh --machine "$m" --kernel "$KVER" --targets minikvm,kvm \
		--module "$TOP/minikvm.ko" --out "$TOP/build/testvm/$m" --keep-going \
		"${TESTS[@]}" > "build/testvm/$m/run.log" 2>&1 &
	pids[$m]=$!
done
for m in $MACHINES; do
	rc=0
	wait "${pids[$m]}" || rc=$?
	echo "== $m: testvm.sh exit $rc"
	# The run log is long; show the verdict lines and, on failure, all of it.
	if [ "$rc" -ne 0 ]; then
		cat "build/testvm/$m/run.log"
	else
		grep -E "^$m/" "build/testvm/$m/run.log" || true
	fi
	if [ -s "build/testvm/$m/results" ]; then
		while read -r _target p f s; do
			add_counts "$p" "$f" "$s"
		done < "build/testvm/$m/results"
	fi
	# A run that failed without counting a failure (crash, timeout) still fails.
	if [ "$rc" -ne 0 ] && ! awk '$3 > 0 { bad = 1 } END { exit !bad }' "build/testvm/$m/results" 2>/dev/null; then
		fail=$((fail + 1))
	fi
done

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
