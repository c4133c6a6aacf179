// SPDX-License-Identifier: GPL-2.0-only
/*
 * svm_insn_test - the SVM instructions executed by a guest that has not
 * enabled SVM (EFER.SVME clear, no KVM_SET_CPUID2):
 *
 *	VMRUN VMLOAD VMSAVE STGI CLGI INVLPGA: #UD on both hypervisors (KVM:
 *	arch/x86/kvm/svm/nested.c nested_svm_check_permissions(), EFER.SVME
 *	clear; APM Vol. 3, each instruction's "Exceptions" table);
 *	SKINIT: #UD (KVM: svm.c skinit_interception());
 *	VMMCALL: KVM treats it as its hypercall (x86.c kvm_emulate_hypercall())
 *	and, for an unknown hypercall number, returns -KVM_ENOSYS (-1000) in
 *	RAX and moves RIP past it; minikvm has no hypercalls and injects #UD.
 *
 * RAX holds a page-aligned address (0) for the instructions that take one:
 * with an unaligned RAX, VMRUN, VMLOAD and VMSAVE raise #GP(0) before any
 * intercept (QEMU's SVM, and real AMD CPUs per the erratum KVM works around
 * in svm.c gp_interception(), which re-injects that #GP: "All SVM
 * instructions expect page aligned RAX"); checked for VMRUN on AMD hosts.
 * On Intel hosts every SVM instruction is simply an invalid opcode (#UD),
 * whatever RAX holds; KVM still emulates VMMCALL as its hypercall there.
 *
 * #UD and #GP handlers in the guest count each fault and skip the 3-byte
 * instruction.
 */
#include "minikvm/kvm_util.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define KVM_ENOSYS_RET	((uint64_t)-1000)	/* include/uapi/linux/kvm_para.h */
#define UNKNOWN_HC_NR	0xfff0			/* no KVM hypercall has it */

#define UNALIGNED_RAX	0x10	/* not a page address */

static volatile uint64_t ud_count, gp_count;
static volatile uint64_t ud_rip;

static void guest_ud_handler(struct ex_regs *regs)
{
	ud_count++;
	ud_rip = regs->rip;
	regs->rip += 3;		/* every SVM instruction is 0f 01 xx */
}

static void guest_gp_handler(struct ex_regs *regs)
{
	gp_count++;
	regs->rip += 3;
}

/* Executes the SVM instruction 0f 01 @modrm with RAX = @rax_in (one per
 * case); reports the #UD count, RAX afterwards and where the #UD was. */
#define SVM_INSN(name, modrm, rax_in)					\
	static void guest_##name(void)					\
	{								\
		uint64_t rax = (rax_in);				\
									\
		asm volatile("1: .byte 0x0f, 0x01, " #modrm "\n\t"	\
			     : "+a"(rax) : "c"(0) : "memory");		\
		ucall(UCALL_SYNC, 3, ud_count, rax, ud_rip);		\
		GUEST_DONE();						\
	}

SVM_INSN(vmrun, 0xd8, 0)
SVM_INSN(vmmcall, 0xd9, UNKNOWN_HC_NR)
SVM_INSN(vmload, 0xda, 0)
SVM_INSN(vmsave, 0xdb, 0)
SVM_INSN(stgi, 0xdc, 0)
SVM_INSN(clgi, 0xdd, 0)
SVM_INSN(skinit, 0xde, 0)
SVM_INSN(invlpga, 0xdf, 0)

/* @amd: the host is AMD, where the CPU checks RAX before anything else. */
static void guest_vmrun_unaligned(bool amd)
{
	uint64_t rax = UNALIGNED_RAX;

	asm volatile(".byte 0x0f, 0x01, 0xd8" : "+a"(rax) : : "memory");
	GUEST_ASSERT_EQ(gp_count, amd ? 1 : 0);
	GUEST_ASSERT_EQ(ud_count, amd ? 0 : 1);
	GUEST_DONE();
}

/* Runs @guest and returns what it reported: #UD count, RAX, #UD RIP. */
static void run_insn(void *guest, uint64_t *uds, uint64_t *rax, uint64_t *rip)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest);
	struct ucall uc;

	vm_install_exception_handler(vm, UD_VECTOR, guest_ud_handler);
	vm_install_exception_handler(vm, GP_VECTOR, guest_gp_handler);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	*uds = uc.args[0];
	*rax = uc.args[1];
	*rip = uc.args[2];
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* Asserts that @guest's instruction raised exactly one #UD, at the
 * instruction itself (inside @guest), with RAX (@rax_in) untouched. */
static void expect_ud(void *guest, uint64_t rax_in)
{
	uint64_t uds, rax, rip;

	run_insn(guest, &uds, &rax, &rip);
	TEST_ASSERT_EQ(uds, 1);
	TEST_ASSERT_EQ(rax, rax_in);
	TEST_ASSERT(rip > (uintptr_t)guest && rip < (uintptr_t)guest + 64,
		    "#UD at 0x%llx, outside %p", (unsigned long long)rip, guest);
}

static void vmrun(void)
{
	expect_ud(guest_vmrun, 0);
}

static void vmload(void)
{
	expect_ud(guest_vmload, 0);
}

static void vmsave(void)
{
	expect_ud(guest_vmsave, 0);
}

static void stgi(void)
{
	expect_ud(guest_stgi, 0);
}

static void clgi(void)
{
	expect_ud(guest_clgi, 0);
}

static void skinit(void)
{
	expect_ud(guest_skinit, 0);
}

static void invlpga(void)
{
	expect_ud(guest_invlpga, 0);
}

static void vmmcall(void)
{
	uint64_t uds, rax, rip;

	if (kvm_dev_is_minikvm()) {
		/* No hypercall interface: VMMCALL is an invalid opcode. */
		expect_ud(guest_vmmcall, UNKNOWN_HC_NR);
		return;
	}
	run_insn(guest_vmmcall, &uds, &rax, &rip);
	TEST_ASSERT_EQ(uds, 0);
	TEST_ASSERT_EQ(rax, KVM_ENOSYS_RET);
}

static void vmrun_unaligned_rax_gp(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_vmrun_unaligned);

	vcpu_args_set(vcpu, 1, (uint64_t)host_cpu_is_amd());
	vm_install_exception_handler(vm, UD_VECTOR, guest_ud_handler);
	vm_install_exception_handler(vm, GP_VECTOR, guest_gp_handler);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(vmrun),
	KVM_TEST(vmrun_unaligned_rax_gp),
	KVM_TEST(vmmcall),
	KVM_TEST(vmload),
	KVM_TEST(vmsave),
	KVM_TEST(stgi),
	KVM_TEST(clgi),
	KVM_TEST(skinit),
	KVM_TEST(invlpga),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
