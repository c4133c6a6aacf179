#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# module_reload_test.sh - the hypervisor module cannot be unloaded while
# its device is open, unloads cleanly once it is closed, loads again and
# runs VMs.  The module is the one behind $MINIKVM_DEV: minikvm, or for
# /dev/kvm the vendor module (kvm_amd or kvm_intel, whose fops hold the
# fds); its file comes from the test machine's /etc/testvm.conf.
#
# In the coexist target (minikvm loaded first, then KVM) reloading minikvm
# reverses the order: KVM first, minikvm after it; hw_enable_test (when
# staged next to this script) then checks that each hypervisor refuses
# VMs with EBUSY while the other runs them, in that order too.
#
# Run by scripts/check.sh in the svm run with the other tests (it needs
# exit_test and hw_enable_test in /tests, which every run stages).  Leaves
# the module loaded, as it found it.  TAP output; exit 4 (skip) without a
# device or outside a test machine.

dir=$(dirname "$0")
dev=${MINIKVM_DEV:-}
other=${MINIKVM_OTHER_DEV:-}
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

skip_all() {
	echo "1..0 # SKIP $1"
	exit 4
}

echo "TAP version 13"
if [ -z "$dev" ] || [ ! -c "$dev" ]; then skip_all "no device"; fi
[ -r /etc/testvm.conf ] || skip_all "not in a test machine"
# shellcheck source=/dev/null # written by testvm.sh
. /etc/testvm.conf

case "$dev" in
/dev/minikvm)
	mod=minikvm
	if [ -n "$other" ]; then target=coexist; else target=minikvm; fi
	;;
/dev/kvm)
	target=kvm mod=""
	for m in kvm_amd kvm_intel; do
		[ -d "/sys/module/$m" ] && mod=$m
	done
	[ -n "$mod" ] || skip_all "no kvm_amd or kvm_intel loaded"
	;;
*) skip_all "unknown device $dev" ;;
esac
ko=""
for f in $(eval "printf '%s' \"\$TESTVM_${target}_MODS\""); do
	b=$(basename "$f" .ko | tr - _)
	[ "$b" = "$mod" ] && ko=$f
done
[ -n "$ko" ] || skip_all "no module file for $mod"
[ -d "/sys/module/$mod" ] || skip_all "$mod not loaded"
echo "# target $target, module $mod ($ko), refcnt $(cat /sys/module/$mod/refcnt)"
echo "1..7"
BAD='BUG:|Oops|WARNING:|general protection fault|Call Trace'
bad0=$(dmesg | grep -cE "$BAD")

# wait_dev PRESENT: waits up to 5 s for the device node to be there (1)
# or gone (0).
wait_dev() {
	i=0
	while [ $i -lt 50 ]; do
		if [ -c "$dev" ]; then
			[ "$1" = 1 ] && return 0
		else
			[ "$1" = 0 ] && return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# 1-2: refused while the device is open, and nothing changed.
exec 3<>"$dev"
out=$(rmmod "$mod" 2>&1)
rc=$?
echo "# rmmod with $dev open: rc=$rc: $out"
[ "$rc" -ne 0 ] && [ -d "/sys/module/$mod" ]
ok $? "rmmod $mod refused while $dev is open"
[ -c "$dev" ] && [ "$(cat /sys/module/$mod/refcnt)" -ge 1 ]
ok $? "$mod still loaded, device there, refcnt $(cat /sys/module/$mod/refcnt)"
exec 3>&-

# 3: clean once closed.
out=$(rmmod "$mod" 2>&1)
rc=$?
echo "# rmmod: rc=$rc $out"
[ "$rc" -eq 0 ] && [ ! -d "/sys/module/$mod" ] && wait_dev 0
ok $? "rmmod $mod once closed: module and device gone"

# 4: loads again (after the other hypervisor, in the coexist target).
out=$(insmod "$ko" 2>&1)
rc=$?
echo "# insmod: rc=$rc $out"
[ "$rc" -eq 0 ] && [ -d "/sys/module/$mod" ] && wait_dev 1
ok $? "insmod $ko again"

# 5: a VM runs.
if [ -x "$dir/exit_test" ]; then
	"$dir/exit_test" hlt_exit ucall_roundtrips >/tmp/reload_exit.log 2>&1
	rc=$?
	sed 's/^/# /' /tmp/reload_exit.log
	[ "$rc" -eq 0 ]
	ok $? "a VM runs after the reload (exit_test)"
else
	n=$((n + 1))
	echo "ok $n a VM runs after the reload # SKIP no exit_test"
fi

# 6: coexist, now in the other load order: each refuses while the other runs.
if [ "$target" = coexist ] && [ -x "$dir/hw_enable_test" ]; then
	"$dir/hw_enable_test" >/tmp/reload_hw.log 2>&1
	rc=$?
	sed 's/^/# /' /tmp/reload_hw.log
	[ "$rc" -eq 0 ]
	ok $? "hw_enable_test with KVM loaded before minikvm"
else
	n=$((n + 1))
	echo "ok $n hypervisors in the other load order # SKIP coexist target with hw_enable_test only"
fi

# 7: the kernel said nothing bad meanwhile.
bad=$(($(dmesg | grep -cE "$BAD") - bad0))
[ "$bad" -eq 0 ]
ok $? "no new kernel trouble in dmesg ($bad lines)"

# Leave the module loaded as found, whatever happened.
[ -d "/sys/module/$mod" ] || insmod "$ko"
[ "$fails" -eq 0 ] || exit 1
exit 0
