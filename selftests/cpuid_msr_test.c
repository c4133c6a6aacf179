// SPDX-License-Identifier: GPL-2.0-only
/*
 * cpuid_msr_test - CPUID, RDMSR and WRMSR in a long-mode guest without
 * KVM_SET_CPUID2:
 *
 *  - CPUID never exits to userspace and the guest runs on.  What it
 *    returns without KVM_SET_CPUID2 is the hypervisor's choice: KVM 6.1
 *    has no CPUID entries then and answers every leaf with zeros
 *    (arch/x86/kvm/cpuid.c kvm_cpuid(), no entry found), so the vendor
 *    string is empty and the hypervisor bit (leaf 1, ECX[31]) is clear.
 *    Asserted on both: a non-empty vendor string is the host's.  Printed:
 *    leaves 0, 1 and 0x80000000.
 *  - RDMSR returns what WRMSR wrote for MSRs every x86-64 guest has:
 *    STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE, FS_BASE, GS_BASE,
 *    SYSENTER_CS/ESP/EIP, PAT (SDM Vol. 4, "Model-Specific Registers";
 *    APM Vol. 2, appendix A).  TSC_AUX is left out: KVM refuses it (#GP)
 *    unless the guest's CPUID has RDTSCP.
 *  - RDMSR and WRMSR of an MSR that does not exist raise #GP(0), caught by
 *    a guest handler, and leave RAX/RDX untouched on RDMSR.
 */
#include <string.h>

#include "minikvm/kvm_util.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_CR_PAT		0x277
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_NONEXISTENT		0x00012345	/* in no vendor's MSR map */

static const uint32_t cpuid_leaves[] = { 0, 1, 0x80000000 };

static void guest_cpuid_leaves(void)
{
	uint32_t a, b, c, d;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cpuid_leaves); i++) {
		guest_cpuid(cpuid_leaves[i], 0, &a, &b, &c, &d);
		ucall(UCALL_SYNC, 4, a, b, c, d);
	}
	GUEST_DONE();
}

static void cpuid_in_guest(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_cpuid_leaves);
	struct cpuid_regs host;
	struct ucall uc;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cpuid_leaves); i++) {
		/* The first exit is the ucall: CPUID did not exit. */
		TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
		ksft_print_msg("guest CPUID 0x%x: %08llx %08llx %08llx %08llx\n",
			       cpuid_leaves[i], (unsigned long long)uc.args[0],
			       (unsigned long long)uc.args[1],
			       (unsigned long long)uc.args[2],
			       (unsigned long long)uc.args[3]);
		if (cpuid_leaves[i] == 0 && (uc.args[1] | uc.args[2] | uc.args[3])) {
			host_cpuid(0, 0, &host);
			TEST_ASSERT_EQ(uc.args[1], host.ebx);
			TEST_ASSERT_EQ(uc.args[3], host.edx);
			TEST_ASSERT_EQ(uc.args[2], host.ecx);
		}
		if (cpuid_leaves[i] == 1)
			ksft_print_msg("hypervisor bit (CPUID.1:ECX[31]): %llu\n",
				       (unsigned long long)(uc.args[2] >> 31 & 1));
		if (!kvm_dev_is_minikvm())	/* see the top of the file */
			TEST_ASSERT(!(uc.args[0] | uc.args[1] | uc.args[2] |
				      uc.args[3]),
				    "KVM without KVM_SET_CPUID2 answered leaf 0x%x",
				    cpuid_leaves[i]);
	}
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

struct msr_value {
	uint32_t index;
	uint64_t value;
};

static const struct msr_value msr_values[] = {
	{ MSR_STAR, 0x0023001000000000ULL },
	{ MSR_LSTAR, 0xffffffff81000010ULL },
	{ MSR_CSTAR, 0xffffffff81000020ULL },
	{ MSR_SYSCALL_MASK, 0x47700 },
	{ MSR_KERNEL_GS_BASE, 0xffff888012345000ULL },
	{ MSR_FS_BASE, 0x00007f0012340000ULL },
	{ MSR_GS_BASE, 0xffff888056780000ULL },
	{ MSR_IA32_SYSENTER_CS, 0x10 },
	{ MSR_IA32_SYSENTER_ESP, 0xfffffe0000001000ULL },
	{ MSR_IA32_SYSENTER_EIP, 0xffffffff81000030ULL },
	{ MSR_IA32_CR_PAT, 0x0007010600070106ULL },
};

static void guest_msrs(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(msr_values); i++) {
		wrmsr(msr_values[i].index, msr_values[i].value);
		GUEST_ASSERT_EQ(rdmsr(msr_values[i].index), msr_values[i].value);
	}
	/* Each keeps its own value. */
	for (i = 0; i < ARRAY_SIZE(msr_values); i++)
		GUEST_ASSERT_EQ(rdmsr(msr_values[i].index), msr_values[i].value);
	GUEST_DONE();
}

static void msr_roundtrips(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_msrs);

	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static volatile uint64_t gp_count, gp_error_code;

static void guest_gp_handler(struct ex_regs *regs)
{
	gp_count++;
	gp_error_code = regs->error_code;
	regs->rip += 2;		/* rdmsr and wrmsr are 0f 32 / 0f 30 */
}

static void guest_unknown_msr(void)
{
	uint32_t lo = 0x11111111, hi = 0x22222222;

	asm volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(MSR_NONEXISTENT));
	GUEST_ASSERT_EQ(gp_count, 1);
	GUEST_ASSERT_EQ(gp_error_code, 0);
	GUEST_ASSERT_EQ(lo, 0x11111111);
	GUEST_ASSERT_EQ(hi, 0x22222222);
	wrmsr(MSR_NONEXISTENT, 0);
	GUEST_ASSERT_EQ(gp_count, 2);
	GUEST_ASSERT_EQ(gp_error_code, 0);
	GUEST_DONE();
}

static void unknown_msr_gp(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_unknown_msr);

	vm_install_exception_handler(vm, GP_VECTOR, guest_gp_handler);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(cpuid_in_guest),
	KVM_TEST(msr_roundtrips),
	KVM_TEST(unknown_msr_gp),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
