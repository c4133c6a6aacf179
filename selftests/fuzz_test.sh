#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# fuzz_test.sh - minikvm-fuzz against the target's device, and what the
# kernel kept afterwards.
#
# Run by testvm.sh in the test machine (MINIKVM_DEV is the target's device);
# the fuzzer comes as /tests/minikvm-fuzz (testvm.sh --file).  Settings come
# from /tests/fuzz.conf when scripts/fuzz.sh stages one (FUZZ_SECONDS,
# FUZZ_THREADS, FUZZ_SEED, FUZZ_ARGS: more minikvm-fuzz options), else a
# short run: 20 s, 4 threads.
#
# For a target with one hypervisor (minikvm or kvm, not coexist) the modules
# are unloaded first, memory is measured, they are loaded again, the fuzzer
# runs, they are unloaded and memory is measured again; then they are loaded
# once more, as testvm.sh left them.  Between the two measurements nothing
# else runs, and page cache and reclaimable slab are dropped before each, so
# what grew is what the fuzzing left behind in the kernel.  The run makes
# about a hundred VMs, thousands of vCPUs and hundreds of thousands of
# memslot changes and faults, so a leak of one object or page per vCPU,
# per memslot change or per pinned page stands far above the noise, which
# is what the limits are set against (measured over the 15 runs of 2-90 s
# that built this test, minikvm and KVM): unreclaimable slab grew by at most
# 900 KiB, no single slab cache by more than 400 objects, and used memory
# by up to 20 MiB in 20-90 s runs and 33 MiB in a 120 s one: about 45 KiB
# per VM, minikvm and KVM alike, so kernel-side, not the module's.
#
# Cases: 1 the fuzzer (no hang; its figures as diagnostics), 2 the modules
# unload and load again, 3 no memory left behind.
SECS=20 THREADS=4 SEED=""
# Limits: used memory and unreclaimable slab (KiB), objects of one cache.
MAX_USED_KB=65536 MAX_SUNRECLAIM_KB=4096 MAX_OBJECTS=2000
[ -r /tests/fuzz.conf ] && . /tests/fuzz.conf
SECS=${FUZZ_SECONDS:-$SECS} THREADS=${FUZZ_THREADS:-$THREADS} SEED=${FUZZ_SEED:-$SEED}
MORE=${FUZZ_ARGS:-}

echo "TAP version 13"
echo "1..3"

# This target's modules (from testvm.sh's /etc/testvm.conf), when it has one
# hypervisor only.
. /etc/testvm.conf
MODS="" NAMES=""
for t in $TESTVM_TARGETS; do
	eval "dev=\${TESTVM_${t}_DEV:-} other=\${TESTVM_${t}_OTHER:-}"
	if [ "$dev" = "$MINIKVM_DEV" ] && [ -z "$other" ] && [ -z "${MINIKVM_OTHER_DEV:-}" ]; then
		eval "MODS=\${TESTVM_${t}_MODS} NAMES=\${TESTVM_${t}_NAMES}"
	fi
done

# meminfo FIELD: its value in kB.
meminfo() {
	awk -v f="$1:" '$1 == f { print $2 }' /proc/meminfo
}

# measure PREFIX: drops caches and sets PREFIX_used, PREFIX_sunr (kB).
measure() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1
	echo 3 >/proc/sys/vm/drop_caches
	eval "$1_used=$(($(meminfo MemTotal) - $(meminfo MemFree) - $(meminfo Buffers) - $(meminfo Cached)))"
	eval "$1_sunr=$(meminfo SUnreclaim)"
	for f in VmallocUsed PageTables KernelStack Percpu Shmem AnonPages Unevictable; do
		eval "$1_$f=$(meminfo $f)"
	done
	cp /proc/slabinfo "/tmp/slab.$1" 2>/dev/null
}

unload() {
	for n in $NAMES; do
		[ -d "/sys/module/$n" ] || continue
		rmmod "$n" || return 1
	done
}

load() {
	for m in $MODS; do
		[ -d "/sys/module/$(basename "$m" .ko | tr - _)" ] && continue
		insmod "$m" || return 1
	done
	# udev is not there: mdev-less initramfs, the node comes from devtmpfs.
	i=0
	while [ ! -c "$MINIKVM_DEV" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}

check_mem=0
if [ -n "$NAMES" ]; then
	if unload; then
		measure before
		load && check_mem=1
	else
		echo "# cannot unload $NAMES: no memory figures"
		load
	fi
fi

args="--seconds $SECS --threads $THREADS"
[ -n "$SEED" ] && args="$args --seed $SEED"
[ -n "$MORE" ] && args="$args $MORE"
# The fuzzer's own comment lines reach the console while it runs (its
# --verbose rounds, a hang's stacks), so that a run the harness times out
# still shows how far it got: Bochs runs it a hundred times more slowly.
# shellcheck disable=SC2086 # word splitting wanted
/tests/minikvm-fuzz $args >/tmp/fuzz.out 2>&1 &
pid=$!
shown=0
show_new() {
	n=$(wc -l </tmp/fuzz.out)
	[ "$n" -gt "$shown" ] && sed -n "$((shown + 1)),${n}p" /tmp/fuzz.out | grep '^#'
	shown=$n
}
while kill -0 $pid 2>/dev/null; do
	sleep 2
	show_new
done
wait $pid
rc=$?
show_new
if [ $rc = 0 ] && grep -q '^ok 1' /tmp/fuzz.out; then
	echo "ok 1 fuzz $MINIKVM_DEV"
else
	grep -v '^#' /tmp/fuzz.out | sed 's/^/# /'
	echo "not ok 1 fuzz $MINIKVM_DEV # exit $rc"
fi

if [ $check_mem = 0 ]; then
	echo "ok 2 unload and reload # SKIP two hypervisors loaded or none of ours"
	echo "ok 3 no memory left behind # SKIP no figures"
	exit 0
fi
if unload; then
	measure after
	if load; then
		echo "ok 2 unload and reload"
	else
		echo "not ok 2 unload and reload # insmod failed"
	fi
else
	echo "not ok 2 unload and reload # rmmod failed"
	echo "not ok 3 no memory left behind # module still loaded"
	exit 1
fi

# shellcheck disable=SC2154 # set by measure through eval
used=$((after_used - before_used)) sunr=$((after_sunr - before_sunr))
echo "# memory after the module's unload minus before: used $used KiB, unreclaimable slab $sunr KiB"
line="#"
for f in VmallocUsed PageTables KernelStack Percpu Shmem AnonPages Unevictable; do
	eval "line=\"\$line $f \$((after_$f - before_$f))\""
done
echo "$line KiB"
# The caches that grew the most, in objects.
top=0
if [ -r /tmp/slab.before ] && [ -r /tmp/slab.after ]; then
	awk 'FNR == 1 { f++ } f == 1 && FNR > 2 { b[$1] = $2 } f == 2 && FNR > 2 { d = $2 - b[$1]; if (d > 0) print d, $1 }' \
		/tmp/slab.before /tmp/slab.after | sort -rn | head -n 5 >/tmp/slab.top
	awk '{ printf "# slab %s: %+d objects\n", $2, $1 }' /tmp/slab.top
	top=$(awk 'NR == 1 { print $1 }' /tmp/slab.top)
	[ -n "$top" ] || top=0
fi
echo "# limits: used $MAX_USED_KB KiB, unreclaimable slab $MAX_SUNRECLAIM_KB KiB, $MAX_OBJECTS objects of one cache"
if [ $used -le $MAX_USED_KB ] && [ $sunr -le $MAX_SUNRECLAIM_KB ] && [ "$top" -le $MAX_OBJECTS ]; then
	echo "ok 3 no memory left behind"
else
	echo "not ok 3 no memory left behind"
fi
