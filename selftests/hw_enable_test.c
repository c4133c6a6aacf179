// SPDX-License-Identifier: GPL-2.0-only
/*
 * hw_enable_test - hardware virtualization follows the VMs: it is switched
 * on on every CPU with the first VM and off with the last, a CPU that goes
 * offline and comes back while VMs exist is handled, and two hypervisors
 * take turns: while one runs VMs, the other's KVM_CREATE_VM is -EBUSY and
 * nothing breaks (kmod/hw.c; KVM: virt/kvm/kvm_main.c
 * hardware_enable_all(), kvm_online_cpu()).
 *
 * The CPU cases need a second CPU that can go offline (skip otherwise); the
 * two-hypervisor case needs $MINIKVM_OTHER_DEV naming the other device
 * (testvm.sh's "coexist" target loads both; skip otherwise).  Breakage
 * shows on the console, which the test machine's harness watches.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"

#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"
#define CYCLES		20	/* on/off rounds in first_and_last_vm */

/* Writes "0" or "1" to cpu1's online file; returns 0 or -1 with errno. */
static int cpu1_set_online(bool online)
{
	int fd = open(CPU1_ONLINE, O_WRONLY);
	int r;

	if (fd < 0)
		return -1;
	r = write(fd, online ? "1" : "0", 1) == 1 ? 0 : -1;
	close(fd);
	return r;
}

/* Whether cpu1 exists, is online and may be taken offline. */
static bool cpu1_can_go_offline(void)
{
	char c = 0;
	int fd = open(CPU1_ONLINE, O_RDONLY);

	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == '1' && access(CPU1_ONLINE, W_OK) == 0;
}

static void cpu1_online_checked(bool online)
{
	TEST_ASSERT(cpu1_set_online(online) == 0, "setting cpu1 %s failed",
		    online ? "online" : "offline");
}

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

/* A CPU leaves and returns while a VM exists; VMs still come and go. */
static void cpu_offline_online_with_vm(void)
{
	struct kvm_vm *vm, *other;

	TEST_REQUIRE(cpu1_can_go_offline());
	vm = vm_create();
	vm_vcpu_add(vm, 0);
	cpu1_online_checked(false);
	other = vm_create();
	vm_vcpu_add(other, 0);
	cpu1_online_checked(true);	/* switched on as it arrives */
	kvm_vm_free(other);
	kvm_vm_free(vm);		/* and off on both CPUs */
}

/* The first VM is created while a CPU is offline; the CPU joins later. */
static void vm_created_with_cpu_offline(void)
{
	struct kvm_vm *vm;

	TEST_REQUIRE(cpu1_can_go_offline());
	cpu1_online_checked(false);
	vm = vm_create();
	vm_vcpu_add(vm, 0);
	cpu1_online_checked(true);
	kvm_vm_free(vm);
	/* Off again on every CPU: a new first VM switches them all on. */
	vm = vm_create();
	kvm_vm_free(vm);
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
	KVM_TEST(cpu_offline_online_with_vm),
	KVM_TEST(vm_created_with_cpu_offline),
	KVM_TEST(other_hypervisor_busy),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
