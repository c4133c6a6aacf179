// SPDX-License-Identifier: GPL-2.0-only
/*
 * fd_lifetime_test - who keeps what alive, and who may use it: a vCPU fd
 * outlives its VM fd, a VM outlives the device fd, a kvm_run mapping
 * outlives its vCPU fd, a child after fork() gets -EIO from every VM and
 * vCPU ioctl (KVM serves only the mm that created the VM, kvm->mm), and
 * creating and destroying VMs many times in a row keeps working without
 * leaking fds (virt/kvm/kvm_main.c kvm_vm_ioctl(), kvm_vcpu_ioctl(),
 * kvm_vcpu_release(), kvm_vm_release()).
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"

#define NR_CYCLES	100	/* create/destroy rounds in create_destroy_loop */

/* Closing the VM fd first: the vCPU fd keeps the VM and works on. */
static void close_vm_fd_first(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, 0);
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	vm_userspace_mem_region_add(vm, 0, 0, 0, 0x10000);
	close(vm->fd);
	vm->fd = -1;
	close(vm->kvm_fd);
	vm->kvm_fd = -1;

	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT_EQ(regs.rip, 0xfff0);
	regs.rip = 0x1000;
	vcpu_regs_set(vcpu, &regs);
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT_EQ(regs.rip, 0x1000);
	vcpu_sregs_get(vcpu, &sregs);
	vcpu_sregs_set(vcpu, &sregs);
	kvm_vm_free(vm);
}

/* Closing the device fd first: the VM and its vCPUs work on. */
static void close_dev_fd_first(void)
{
	int kvm_fd = open_kvm_dev();
	int vm_fd = __kvm_create_vm(kvm_fd, 0), vcpu_fd;
	struct kvm_regs regs;

	TEST_ASSERT(vm_fd >= 0, "KVM_CREATE_VM");
	close(kvm_fd);
	TEST_ASSERT_EQ(ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY), 1);
	vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	TEST_ASSERT(vcpu_fd >= 0, "KVM_CREATE_VCPU after closing the device");
	TEST_ASSERT(!ioctl(vcpu_fd, KVM_GET_REGS, &regs), "KVM_GET_REGS");
	close(vm_fd);
	TEST_ASSERT(!ioctl(vcpu_fd, KVM_GET_REGS, &regs), "KVM_GET_REGS, VM fd closed");
	close(vcpu_fd);
}

/* The mapping holds the vCPU: its pages stay readable and writable after
 * every fd is closed, until munmap. */
static void run_mapping_outlives_fds(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, 0);
	volatile char *run = (volatile char *)vcpu->run;
	size_t size = vcpu->run_size;

	run[PAGE_SIZE_4K + 8] = 0x42;
	vcpu->run = NULL;	/* keep the mapping past kvm_vm_free() */
	kvm_vm_free(vm);
	TEST_ASSERT(!probe_access(run, true), "kvm_run page after close");
	TEST_ASSERT(!probe_access(run + PAGE_SIZE_4K, true), "PIO page after close");
	TEST_ASSERT_EQ(run[PAGE_SIZE_4K + 8], 0x42);
	munmap((void *)run, size);
}

/* A dup()ed VM fd is the same VM; either copy may be closed first. */
static void dup_vm_fd(void)
{
	struct kvm_vm *vm = vm_create();
	int copy = dup(vm->fd);

	TEST_ASSERT(copy >= 0, "dup");
	vm_vcpu_add(vm, 0);
	close(vm->fd);
	vm->fd = copy;
	TEST_ASSERT_ERRNO(__vm_create_vcpu_fd(vm, 0), EEXIST, "vCPU 0 via the copy");
	kvm_vm_free(vm);
}

/* In a child: every VM and vCPU ioctl is -EIO, the device itself works. */
static void child_checks(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int fd;

	TEST_ASSERT_ERRNO(ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY),
			  EIO, "KVM_CHECK_EXTENSION on the parent's VM");
	TEST_ASSERT_ERRNO(ioctl(vm->fd, KVM_CREATE_VCPU, 1), EIO,
			  "KVM_CREATE_VCPU on the parent's VM");
	TEST_ASSERT_ERRNO(__vm_set_user_memory_region(vm, 1, 0, 0x100000, 0x1000,
						      NULL), EIO,
			  "KVM_SET_USER_MEMORY_REGION on the parent's VM");
	/* Even ioctls the VM fd does not know: the mm check comes first. */
	TEST_ASSERT_ERRNO(ioctl(vm->fd, _IO(KVMIO, 0xff), 0), EIO, "unknown VM ioctl");
	TEST_ASSERT_ERRNO(ioctl(vcpu->fd, KVM_GET_REGS, &regs), EIO,
			  "KVM_GET_REGS on the parent's vCPU");
	TEST_ASSERT_ERRNO(ioctl(vcpu->fd, KVM_SET_REGS, &regs), EIO,
			  "KVM_SET_REGS on the parent's vCPU");
	TEST_ASSERT_ERRNO(ioctl(vcpu->fd, KVM_GET_SREGS, &sregs), EIO,
			  "KVM_GET_SREGS on the parent's vCPU");
	TEST_ASSERT_ERRNO(ioctl(vcpu->fd, _IO(KVMIO, 0xff), 0), EIO,
			  "unknown vCPU ioctl");
	/* The system fd is not tied to an mm: the child may make its own VM. */
	TEST_ASSERT_EQ(ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0), 12);
	fd = __kvm_create_vm(vm->kvm_fd, 0);
	TEST_ASSERT(fd >= 0, "the child's own VM");
	TEST_ASSERT(ioctl(fd, KVM_CREATE_VCPU, 0) >= 0, "the child's own vCPU");
	close(fd);
}

static void fork_child_gets_eio(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, 0);
	struct kvm_regs regs;
	int status;
	pid_t pid;

	vm_userspace_mem_region_add(vm, 0, 0, 0, 0x10000);
	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		child_checks(vm, vcpu);
		fflush(stdout);
		_exit(0);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "the child's checks failed (status 0x%x)", status);
	/* The parent is unaffected, and the child changed nothing. */
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT_EQ(regs.rip, 0xfff0);
	TEST_ASSERT_ERRNO(__vm_set_user_memory_region(vm, 1, 0, 0x100000, 0, NULL),
			  EINVAL, "slot 1 was not created by the child");
	vm_vcpu_add(vm, 1);
	kvm_vm_free(vm);
}

/* Returns the lowest free fd number. */
static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);

	TEST_ASSERT(fd >= 0, "open /dev/null");
	close(fd);
	return fd;
}

/* VMs with memory and vCPUs, made and unmade many times. */
static void create_destroy_loop(void)
{
	int first = lowest_free_fd(), i;

	for (i = 0; i < NR_CYCLES; i++) {
		struct kvm_vm *vm = vm_create();
		struct kvm_sregs sregs;

		vm_userspace_mem_region_add(vm, 0, 0, 0, 0x10000);
		vm_userspace_mem_region_add(vm, 1, KVM_MEM_READONLY, 0x100000, 0x1000);
		vcpu_sregs_get(vm_vcpu_add(vm, 0), &sregs);
		if (vm_check_cap(vm, KVM_CAP_MAX_VCPUS) >= 2)
			vcpu_sregs_get(vm_vcpu_add(vm, 1), &sregs);
		/* Alternate the order in which the fds go away. */
		if (i & 1) {
			close(vm->fd);
			vm->fd = -1;
		}
		kvm_vm_free(vm);
		TEST_ASSERT(lowest_free_fd() == first, "fd leak after round %d", i);
	}
}

static const struct kvm_test tests[] = {
	KVM_TEST(close_vm_fd_first),
	KVM_TEST(close_dev_fd_first),
	KVM_TEST(run_mapping_outlives_fds),
	KVM_TEST(dup_vm_fd),
	KVM_TEST(fork_child_gets_eio),
	KVM_TEST(create_destroy_loop),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
