// SPDX-License-Identifier: GPL-2.0-only
/*
 * hw_enable_test - hardware virtualization follows the VMs: it is switched
 * on on every CPU with the first VM and off with the last, and two
 * hypervisors take turns: while one runs VMs, the other's KVM_CREATE_VM is
 * -EBUSY and nothing breaks (kmod/hw.c; KVM: virt/kvm/kvm_main.c
 * hardware_enable_all()).  CPU hotplug is hotplug_test's.
 *
 * The two-hypervisor case needs $MINIKVM_OTHER_DEV naming the other device
 * (testvm.sh's "coexist" target loads both; skip otherwise).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"

#define CYCLES		20	/* on/off rounds in first_and_last_vm */

/* Switching on and off many times, with VMs that overlap in time. */
static void first_and_last_vm(void)
{
	struct kvm_vm *a, *b;
	int i;

	for (i = 0; i < CYCLES; i++) {
		a = vm_create();
		vm_vcpu_add(a, 0);
		b = vm_create();
		kvm_vm_free(a);		/* b keeps virtualization on */
		vm_vcpu_add(b, 0);
		kvm_vm_free(b);		/* the last one: off everywhere */
	}
}

/* KVM_CREATE_VM on @fd; returns the VM fd or -errno. */
static int create_vm_errno(int fd)
{
	int vm = ioctl(fd, KVM_CREATE_VM, 0);

	return vm >= 0 ? vm : -errno;
}

/* Two hypervisors take turns; the one that waits gets -EBUSY. */
static void other_hypervisor_busy(void)
{
	const char *other_path = getenv("MINIKVM_OTHER_DEV");
	int self_fd, other_fd, other_vm, self_vm, r;

	TEST_REQUIRE(other_path && access(other_path, R_OK | W_OK) == 0);
	self_fd = open_kvm_dev();
	other_fd = open(other_path, O_RDWR | O_CLOEXEC);
	TEST_ASSERT(other_fd >= 0, "open %s", other_path);

	other_vm = create_vm_errno(other_fd);
	TEST_ASSERT(other_vm >= 0, "%s: KVM_CREATE_VM while idle: %s",
		    other_path, errno_name(-other_vm));
	r = create_vm_errno(self_fd);
	TEST_ASSERT(r == -EBUSY, "%s: KVM_CREATE_VM while %s has a VM: expected EBUSY, got %s",
		    kvm_dev_path(), other_path, r >= 0 ? "a VM" : errno_name(-r));
	close(other_vm);

	self_vm = create_vm_errno(self_fd);
	TEST_ASSERT(self_vm >= 0, "%s: KVM_CREATE_VM after %s let go: %s",
		    kvm_dev_path(), other_path, errno_name(-self_vm));
	r = create_vm_errno(other_fd);
	/* KVM 6.12 says EIO when it cannot turn virtualization on, 6.1 EBUSY. */
	if (r == -EIO && host_kernel_at_least(6, 12))
		r = -EBUSY;
	TEST_ASSERT(r == -EBUSY, "%s: KVM_CREATE_VM while %s has a VM: expected EBUSY, got %s",
		    other_path, kvm_dev_path(), r >= 0 ? "a VM" : errno_name(-r));
	close(self_vm);

	/* Both idle again: either may start. */
	other_vm = create_vm_errno(other_fd);
	TEST_ASSERT(other_vm >= 0, "%s: KVM_CREATE_VM at the end: %s",
		    other_path, errno_name(-other_vm));
	close(other_vm);
	close(other_fd);
	close(self_fd);
}

static const struct kvm_test tests[] = {
	KVM_TEST(first_and_last_vm),
	KVM_TEST(other_hypervisor_busy),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
