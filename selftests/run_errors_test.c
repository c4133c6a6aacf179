// SPDX-License-Identifier: GPL-2.0-only
/*
 * run_errors_test - KVM_RUN refusals (virt/kvm/kvm_main.c kvm_vcpu_ioctl(),
 * arch/x86/kvm/x86.c kvm_arch_vcpu_ioctl_run()), each leaving the vCPU
 * as it was (RIP unchanged, the next KVM_RUN works):
 *
 *	a non-zero ioctl argument		-EINVAL
 *	kvm_valid_regs or kvm_dirty_regs with bits KVM does not know
 *						-EINVAL
 *	from a process other than the VM's creator (after fork())
 *						-EIO
 *
 * and a vCPU whose reset vector (0xfffffff0) no memory slot backs cannot
 * fetch its first instruction: KVM reports KVM_EXIT_INTERNAL_ERROR
 * (suberror KVM_INTERNAL_ERROR_EMULATION) rather than an MMIO exit,
 * since it cannot emulate an instruction it cannot read.  (The VM has one
 * slot elsewhere: with no slot ever added, KVM 6.1's MMU has a page budget
 * of 0 and KVM_RUN fails with -ENOSPC, mmu.c make_mmu_pages_available().)
 */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

static void guest_hlt_loop(void)
{
	for (;;)
		hlt();
}

/* A VM whose vCPU has run once, up to its first HLT. */
static struct kvm_vm *create_halted(struct kvm_vcpu **vcpu)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_hlt_loop);

	vcpu_run(*vcpu);	/* skips on minikvm without KVM_RUN */
	TEST_ASSERT_KVM_EXIT_REASON(*vcpu, KVM_EXIT_HLT);
	return vm;
}

/* Asserts that KVM_RUN still works and the guest is where it was. */
static void expect_unchanged(struct kvm_vcpu *vcpu, uint64_t rip)
{
	struct kvm_regs regs;

	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT_EQ(regs.rip, rip);
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_HLT);
}

static uint64_t rip_of(struct kvm_vcpu *vcpu)
{
	struct kvm_regs regs;

	vcpu_regs_get(vcpu, &regs);
	return regs.rip;
}

static void nonzero_argument(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_halted(&vcpu);
	uint64_t rip = rip_of(vcpu);

	TEST_ASSERT_ERRNO(ioctl(vcpu->fd, KVM_RUN, 1UL), EINVAL, "KVM_RUN(1)");
	expect_unchanged(vcpu, rip);
	kvm_vm_free(vm);
}

static void unknown_sync_regs(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_halted(&vcpu);
	uint64_t rip = rip_of(vcpu);

	vcpu->run->kvm_valid_regs = 1U << 31;
	TEST_ASSERT_ERRNO(__vcpu_run(vcpu), EINVAL, "KVM_RUN, kvm_valid_regs bit 31");
	vcpu->run->kvm_valid_regs = 0;
	vcpu->run->kvm_dirty_regs = 1U << 31;
	TEST_ASSERT_ERRNO(__vcpu_run(vcpu), EINVAL, "KVM_RUN, kvm_dirty_regs bit 31");
	vcpu->run->kvm_dirty_regs = 0;
	expect_unchanged(vcpu, rip);
	kvm_vm_free(vm);
}

static void other_process(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_halted(&vcpu);
	uint64_t rip = rip_of(vcpu);
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		int ret = __vcpu_run(vcpu);

		_exit(ret == -1 && errno == EIO ? 0 : 1);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	TEST_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status),
		    "KVM_RUN from a child did not fail with EIO");
	expect_unchanged(vcpu, rip);
	kvm_vm_free(vm);
}

/* Reset state, nothing at the reset vector: the first fetch fails. */
static void nothing_at_reset_vector(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu;
	struct kvm_run *run;

	vm_userspace_mem_region_add(vm, 0, 0, 0, 0x10000);
	vcpu = vm_vcpu_add(vm, 0);
	run = vcpu->run;
	vcpu_run(vcpu);
	kvm_run_dump(stdout, run, "# ");
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_INTERNAL_ERROR);
	TEST_ASSERT_EQ(run->internal.suberror, KVM_INTERNAL_ERROR_EMULATION);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(nonzero_argument),
	KVM_TEST(unknown_sync_regs),
	KVM_TEST(other_process),
	KVM_TEST(nothing_at_reset_vector),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
