#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# no_virt_load_test.sh - on a CPU with neither VMX nor SVM, minikvm.ko
# refuses to load: insmod fails with EOPNOTSUPP, dmesg says why, and no
# /dev/minikvm appears (kmod/main.c mkvm_pick_backend()).
#
# Run by scripts/check.sh on the QEMU machine with -cpu qemu64,-svm and the
# "none" target (nothing preloaded); the module comes as /tests/minikvm.ko.
MOD=/tests/minikvm.ko

echo "TAP version 13"
echo "1..3"
out=$(insmod "$MOD" 2>&1)
rc=$?
echo "# insmod: rc=$rc: $out"
if [ "$rc" -ne 0 ] && echo "$out" | grep -q "Operation not supported"; then
	echo "ok 1 insmod fails with EOPNOTSUPP"
else
	echo "not ok 1 insmod fails with EOPNOTSUPP"
fi
if dmesg | grep -q "minikvm: no usable hardware virtualization"; then
	echo "ok 2 dmesg says why"
else
	echo "not ok 2 dmesg says why"
fi
if [ ! -e /dev/minikvm ] && [ ! -d /sys/module/minikvm ]; then
	echo "ok 3 no module, no device"
else
	echo "not ok 3 no module, no device"
	rmmod minikvm 2>/dev/null
fi
