// SPDX-License-Identifier: GPL-2.0-only
/*
 * hotplug_test - a CPU going offline and coming back while VMs exist: the
 * hypervisor switches virtualization off on the leaving CPU and on on the
 * arriving one, and VMs keep coming and going (kmod/hw.c
 * mkvm_cpu_online()/mkvm_cpu_offline(); KVM: virt/kvm/kvm_main.c
 * kvm_online_cpu()/kvm_offline_cpu()).
 *
 * Needs a second CPU that can go offline (skip otherwise).  Breakage shows
 * on the console, which the test machine's harness watches.
 */
#include <fcntl.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"

#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"

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

static const struct kvm_test tests[] = {
	KVM_TEST(cpu_offline_online_with_vm),
	KVM_TEST(vm_created_with_cpu_offline),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
