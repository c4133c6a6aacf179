// SPDX-License-Identifier: GPL-2.0-only
/*
 * vm_create_test - KVM_CREATE_VM and the VM fd itself: type 0 works, any
 * other type is -EINVAL, many VMs live side by side without seeing each
 * other, the fd is close-on-exec, and an ioctl the VM fd does not know is
 * -ENOTTY (virt/kvm/kvm_main.c kvm_dev_ioctl_create_vm(), kvm_vm_ioctl();
 * arch/x86/kvm/x86.c kvm_arch_init_vm(), kvm_arch_vm_ioctl()).
 */
#include <fcntl.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"

#define NR_VMS		32		/* VMs alive at once in many_vms */
#define UNKNOWN_KVM_IOCTL	_IO(KVMIO, 0xff)

static void type_zero(void)
{
	int kvm_fd = open_kvm_dev();
	int fd = __kvm_create_vm(kvm_fd, 0);

	TEST_ASSERT(fd >= 0, "KVM_CREATE_VM(0) failed");
	TEST_ASSERT(fd != kvm_fd, "the VM fd is a new fd");
	/* The new VM answers on its own fd. */
	TEST_ASSERT_EQ(ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY), 1);
	close(fd);
	close(kvm_fd);
}

/* x86 knows only the default VM type; the type is an unsigned long. */
static void nonzero_type(void)
{
	static const unsigned long types[] = { 1, 2, 0x80000000UL, 1UL << 32, ~0UL };
	int kvm_fd = open_kvm_dev(), fd;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++)
		TEST_ASSERT(__kvm_create_vm(kvm_fd, types[i]) == -1 && errno == EINVAL,
			    "KVM_CREATE_VM(0x%lx): expected EINVAL, got %s",
			    types[i], errno_name(errno));
	/* A failed create leaves the device usable. */
	fd = __kvm_create_vm(kvm_fd, 0);
	TEST_ASSERT(fd >= 0, "KVM_CREATE_VM(0) after the failures");
	close(fd);
	close(kvm_fd);
}

/* Each VM has its own memory map and vCPU ids. */
static void many_vms(void)
{
	struct kvm_vm *vms[NR_VMS];
	size_t i;

	for (i = 0; i < NR_VMS; i++) {
		vms[i] = vm_create();
		/* The same slot, guest address and vCPU id in every VM. */
		vm_userspace_mem_region_add(vms[i], 0, 0, 0x100000, 0x10000);
		vm_vcpu_add(vms[i], 0);
	}
	for (i = 0; i < NR_VMS; i++) {
		struct kvm_regs regs;

		vcpu_regs_get(vms[i]->vcpus, &regs);
		TEST_ASSERT_EQ(regs.rip, 0xfff0);
		kvm_vm_free(vms[i]);
	}
}

static void vm_fd_cloexec(void)
{
	struct kvm_vm *vm = vm_create();
	int flags = fcntl(vm->fd, F_GETFD);

	TEST_ASSERT(flags >= 0 && (flags & FD_CLOEXEC),
		    "KVM_CREATE_VM returns an O_CLOEXEC fd (flags 0x%x)", flags);
	kvm_vm_free(vm);
}

/* kvm_arch_vm_ioctl() ends in -ENOTTY, also for ioctls of the other fds. */
static void unknown_vm_ioctl(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	TEST_ASSERT_ERRNO(ioctl(vm->fd, UNKNOWN_KVM_IOCTL, 0), ENOTTY,
			  "_IO(KVMIO, 0xff)");
	TEST_ASSERT_ERRNO(ioctl(vm->fd, TCGETS, &regs), ENOTTY, "TCGETS");
	TEST_ASSERT_ERRNO(ioctl(vm->fd, KVM_GET_API_VERSION, 0), ENOTTY,
			  "KVM_GET_API_VERSION on a VM fd");
	TEST_ASSERT_ERRNO(ioctl(vm->fd, KVM_GET_VCPU_MMAP_SIZE, 0), ENOTTY,
			  "KVM_GET_VCPU_MMAP_SIZE on a VM fd");
	TEST_ASSERT_ERRNO(ioctl(vm->fd, KVM_CREATE_VM, 0), ENOTTY,
			  "KVM_CREATE_VM on a VM fd");
	TEST_ASSERT_ERRNO(ioctl(vm->fd, KVM_GET_REGS, &regs), ENOTTY,
			  "KVM_GET_REGS on a VM fd");
	TEST_ASSERT_ERRNO(ioctl(vm->fd, KVM_SET_SREGS, &sregs), ENOTTY,
			  "KVM_SET_SREGS on a VM fd");
	TEST_ASSERT_ERRNO(ioctl(vm->fd, KVM_RUN, 0), ENOTTY, "KVM_RUN on a VM fd");
	/* Nothing was created by the failed calls: vCPU 0 is still free. */
	vm_vcpu_add(vm, 0);
	kvm_vm_free(vm);
}

/* VMs created from one device fd are independent of each other. */
static void vms_from_one_fd(void)
{
	int kvm_fd = open_kvm_dev();
	int a = __kvm_create_vm(kvm_fd, 0), b = __kvm_create_vm(kvm_fd, 0);

	TEST_ASSERT(a >= 0 && b >= 0 && a != b, "two VMs from one fd");
	TEST_ASSERT(ioctl(a, KVM_CREATE_VCPU, 0) >= 0, "vCPU 0 in VM a");
	TEST_ASSERT(ioctl(b, KVM_CREATE_VCPU, 0) >= 0, "vCPU 0 in VM b");
	TEST_ASSERT_ERRNO(ioctl(a, KVM_CREATE_VCPU, 0), EEXIST, "vCPU 0 again in a");
	close(a);
	close(b);
	close(kvm_fd);
}

static const struct kvm_test tests[] = {
	KVM_TEST(type_zero),
	KVM_TEST(nonzero_type),
	KVM_TEST(many_vms),
	KVM_TEST(vm_fd_cloexec),
	KVM_TEST(unknown_vm_ioctl),
	KVM_TEST(vms_from_one_fd),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
