#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# runner_check_test.sh - minikvm-run --check in a test machine: what the
# CPU offers (QEMU's qemu64,+svm,+npt: nested paging but no NRIPS, decode
# assists or flush by ASID; Bochs's corei7_skylake_x: EPT, unrestricted
# guest, VPID), the verdict "minikvm can run here" with exit status 0,
# first without the msr module (reduced facts, "unverified"), then with it
# (full facts from /dev/cpu/0/msr); who owns virtualization for the target
# (minikvm, kvm or coexist: the modules, the devices, what that means);
# a process with a VM named as its holder; exit status 2 on a usage error.
#
# Needs minikvm-run next to this script, and for the full report msr.ko
# (the booted kernel's, uncompressed), for the VM holder loop64.elf
# (scripts/testvm.sh --file build/bin/minikvm-run --file
# build/runner/loop64.elf --file /lib/modules/VER/kernel/arch/x86/kernel/msr.ko
# selftests/runner_check_test.sh).  TAP output; exit 4 (skip) when
# minikvm-run is missing.

dir=$(dirname "$0")
run="$dir/minikvm-run"
out=/tmp/runner_check_test.out
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

skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}

# has REGEX: the last report has a line matching REGEX (grep -E).
has() {
	grep -Eq "$1" "$out"
}

echo "TAP version 13"
if [ ! -x "$run" ]; then
	echo "1..0 # SKIP minikvm-run not staged next to $0"
	exit 4
fi
echo "1..14"

if grep -q AuthenticAMD /proc/cpuinfo; then vendor=amd; else vendor=intel; fi
target=minikvm
[ "$MINIKVM_DEV" = /dev/kvm ] && target=kvm
[ -n "$MINIKVM_OTHER_DEV" ] && target=coexist
echo "# vendor $vendor, target $target"

# 1-3: without the msr module.
rmmod msr 2>/dev/null
"$run" --check >"$out" 2>&1
rc=$?
sed 's/^/# /' "$out"
[ "$rc" -eq 0 ]; ok $? "--check without /dev/cpu/0/msr exits 0 (exit status $rc)"
has '^facts from .*REDUCED'
ok $? "without the msr module the facts are marked reduced"
has '^verdict: minikvm can run here'
ok $? "verdict: minikvm can run here (unverified allowed)"

# 4-5: with it (kept loaded until 13).
# KVM 6.12 and later switch VMX/SVM on when kvm_intel/kvm_amd loads and
# keep it on (kvm.enable_virt_at_load=Y, the default); the report says so.
kvm_keeps_virt_on() {
	has '^kvm.enable_virt_at_load +Y'
}

# EFER.SVME: on while KVM keeps SVM on, off on every CPU otherwise.
svme_as_expected() {
	if kvm_keeps_virt_on; then
		has '^EFER.SVME \(SVM switched on\) +[0-9]'
	else
		has '^EFER.SVME \(SVM switched on\) +off on every CPU read'
	fi
}

msr=0
if [ -f "$dir/msr.ko" ] && insmod "$dir/msr.ko"; then
	msr=1
	"$run" --check >"$out" 2>&1
	rc=$?
	sed 's/^/# /' "$out"
	[ "$rc" -eq 0 ] && has '^verdict: minikvm can run here$'
	ok $? "with /dev/cpu/0/msr: verdict \"minikvm can run here\", verified (exit status $rc)"
	if [ "$vendor" = amd ]; then
		has '^SVM enabled by firmware +yes +needed +VM_CR.SVMDIS clear' &&
			has '^nested paging \(NPT\) +yes +needed' &&
			has '^NRIPS \(next RIP saved\) +no +used' &&
			has '^decode assists +no +used' &&
			svme_as_expected
		ok $? "SVM facts: firmware, NPT yes, no NRIPS, no decode assists, SVM on only if KVM keeps it on"
	else
		has '^VMX enabled by firmware +yes +needed +IA32_FEATURE_CONTROL=' &&
			has '^EPT +yes +needed' &&
			has '^unrestricted guest +yes +needed' &&
			has '^INVEPT +yes +needed' &&
			has '^processor-based controls +yes +needed'
		ok $? "VMX facts from the MSRs: firmware, EPT, unrestricted guest, INVEPT, controls"
	fi
else
	skip "msr.ko not staged or not loadable: no full report"
	skip "msr.ko not staged"
fi

# 6-8: who owns virtualization, for this target.
"$run" --check >"$out" 2>&1
case "$target" in
minikvm)
	has '^hypervisor modules loaded +minikvm \(used by 0\)$' &&
		has '^/dev/minikvm +present' && has '^/dev/kvm +absent' &&
		has 'minikvm is loaded and KVM is not'
	;;
kvm)
	has "^hypervisor modules loaded +kvm_$vendor \(used by 0\), kvm \(used by 1\)$" &&
		has '^/dev/kvm +present' && has '^/dev/minikvm +absent' &&
		if kvm_keeps_virt_on; then
			has "KVM holds (SVM|VMX) on every CPU for as long as kvm_$vendor is loaded"
		else
			has 'KVM \(kvm_(intel|amd)\) is loaded: minikvm may be loaded next to it'
		fi
	;;
coexist)
	has '^hypervisor modules loaded .*minikvm \(' &&
		has "^hypervisor modules loaded .*kvm_$vendor \\(" &&
		has '^/dev/minikvm +present' && has '^/dev/kvm +present' &&
		has 'minikvm and KVM are both loaded'
	;;
esac
ok $? "$target: the modules, devices and what they mean"
has '^VMs now +none seen$'
ok $? "no VM seen while none runs"
has '^what this means:$' && has '^who owns virtualization now:$'
ok $? "the report has its sections"

# 9-11: a process with a VM, and on AMD EFER.SVME on while it runs.
# Under kvm_intel on the one-CPU Bochs machine loop64.elf starves the
# shell (Documentation/testing.md): not with target kvm there.
if [ ! -f "$dir/loop64.elf" ]; then
	skip "loop64.elf not staged"
	skip "loop64.elf not staged"
	skip "loop64.elf not staged"
elif [ "$vendor" = intel ] && [ "$target" = kvm ]; then
	skip "loop64.elf under kvm_intel starves the Bochs machine"
	skip "loop64.elf under kvm_intel starves the Bochs machine"
	skip "loop64.elf under kvm_intel starves the Bochs machine"
else
	"$run" --guest "$dir/loop64.elf" --quiet >/dev/null 2>&1 &
	pid=$!
	sleep 1
	"$run" --check >"$out" 2>&1
	kill "$pid"
	wait "$pid" 2>/dev/null
	grep -E '^pid |VM\(s\) now|^EFER' "$out" | sed 's/^/# /'
	if [ "$target" = kvm ]; then
		has "^pid $pid \(minikvm-run\) +/dev/kvm, 0 minikvm VM\(s\), 1 KVM VM\(s\)"
	else
		has "^pid $pid \(minikvm-run\) +/dev/minikvm, 1 minikvm VM\(s\), 0 KVM VM\(s\)"
	fi
	ok $? "the running guest's process is named with its VM"
	if [ "$target" = kvm ]; then
		has 'KVM has 1 VM\(s\) now: minikvm.s KVM_CREATE_VM fails with EBUSY'
	else
		has 'minikvm has 1 VM\(s\) now: KVM.s KVM_CREATE_VM fails with EBUSY'
	fi
	ok $? "and what that VM means for the other hypervisor"
	if [ "$vendor" = amd ] && [ "$msr" = 1 ]; then
		has '^EFER.SVME \(SVM switched on\) +0(,1)?$'
		ok $? "EFER.SVME is on while the VM exists"
	else
		skip "EFER.SVME: AMD with the msr module only"
	fi
fi

# 12-13: the msr module goes; reports without a device node still work.
if [ "$msr" = 1 ]; then
	rmmod msr
	ok $? "rmmod msr"
else
	skip "msr.ko was not loaded"
fi
"$run" --check >/dev/null 2>&1
rc=$?
[ "$rc" -eq 0 ]; ok $? "--check after rmmod msr exits 0 (exit status $rc)"

# 14: usage error.
"$run" --check extra >/dev/null 2>&1
rc=$?
[ "$rc" -eq 2 ]; ok $? "--check with an extra argument exits 2 (exit status $rc)"

echo "# Totals: pass:$((n - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ "$fails" -eq 0 ]
