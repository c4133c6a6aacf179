// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmx_insn_test - the VMX instructions executed by a guest that has not
 * enabled VMX (CR4.VMXE clear, no KVM_SET_CPUID2):
 *
 *	VMXON: #UD, CR4.VMXE is clear (SDM Vol. 3C, "VMXON—Enter VMX
 *	Operation"; KVM: vmx/nested.c handle_vmxon());
 *	VMXOFF VMPTRLD VMPTRST VMCLEAR VMREAD VMWRITE VMLAUNCH VMRESUME
 *	INVEPT INVVPID: #UD outside VMX operation (their "Operation"
 *	sections; KVM: nested_vmx_check_permission());
 *	VMFUNC: #UD, VM functions are not enabled (KVM: handle_vmfunc()
 *	outside guest mode);
 *	VMCALL: KVM treats it as its hypercall (x86.c kvm_emulate_hypercall(),
 *	on AMD hosts too, through its #UD intercept) and returns -KVM_ENOSYS
 *	(-1000) in RAX for an unknown number, RIP past it; minikvm has no
 *	hypercalls: #UD.
 *
 * On a VMX host every one of these exits to the hypervisor, which must
 * answer with #UD; on an SVM host they are invalid opcodes the CPU
 * itself rejects.  A #UD handler in the guest counts each fault and skips
 * the instruction (its length is set before it runs); RIP at the fault
 * must be the instruction's own.
 */
#include "minikvm/kvm_util.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define KVM_ENOSYS_RET	((uint64_t)-1000)	/* include/uapi/linux/kvm_para.h */
#define UNKNOWN_HC_NR	0xfff0			/* no KVM hypercall has it */

static volatile uint64_t ud_count, ud_rip, insn_len;
/* Operand memory for the instructions that take one (m64, m128). */
static uint64_t operand[2] __attribute__((aligned(4096)));

static void guest_ud_handler(struct ex_regs *regs)
{
	ud_count++;
	ud_rip = regs->rip;
	regs->rip += insn_len;
}

/*
 * Executes one VMX instruction, given as bytes, with RAX = @rax_in and
 * RCX = 0; reports the #UD count, RAX afterwards and whether the #UD was
 * raised on the instruction itself.
 */
#define VMX_INSN(name, rax_in, ...)					\
	static void guest_##name(void)					\
	{								\
		uint64_t rax = (rax_in), at;				\
									\
		insn_len = sizeof((const uint8_t[]){ __VA_ARGS__ });	\
		asm volatile("lea 1f(%%rip), %0\n\t"			\
			     "1: .byte " #__VA_ARGS__ "\n\t"		\
			     : "=&r"(at), "+a"(rax) : "c"(0) : "memory");	\
		ucall(UCALL_SYNC, 3, ud_count, rax, ud_rip == at);	\
		GUEST_DONE();						\
	}

#define OP	((uint64_t)(uintptr_t)operand)

VMX_INSN(vmxon, OP, 0xf3, 0x0f, 0xc7, 0x30)		/* vmxon (%rax) */
VMX_INSN(vmxoff, 0, 0x0f, 0x01, 0xc4)
VMX_INSN(vmptrld, OP, 0x0f, 0xc7, 0x30)			/* vmptrld (%rax) */
VMX_INSN(vmptrst, OP, 0x0f, 0xc7, 0x38)			/* vmptrst (%rax) */
VMX_INSN(vmclear, OP, 0x66, 0x0f, 0xc7, 0x30)		/* vmclear (%rax) */
VMX_INSN(vmread, 0, 0x0f, 0x78, 0xc1)			/* vmread %rax,%rcx */
VMX_INSN(vmwrite, 0, 0x0f, 0x79, 0xc1)			/* vmwrite %rcx,%rax */
VMX_INSN(vmlaunch, 0, 0x0f, 0x01, 0xc2)
VMX_INSN(vmresume, 0, 0x0f, 0x01, 0xc3)
VMX_INSN(invept, OP, 0x66, 0x0f, 0x38, 0x80, 0x08)	/* invept (%rax),%rcx */
VMX_INSN(invvpid, OP, 0x66, 0x0f, 0x38, 0x81, 0x08)	/* invvpid (%rax),%rcx */
VMX_INSN(vmfunc, 0, 0x0f, 0x01, 0xd4)
VMX_INSN(vmcall, UNKNOWN_HC_NR, 0x0f, 0x01, 0xc1)

/* Runs @guest and checks that its instruction raised #UD on itself. */
static void expect_ud(void *guest, const char *name)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest);
	struct ucall uc;

	vm_install_exception_handler(vm, UD_VECTOR, guest_ud_handler);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT(uc.args[0] == 1, "%s: %llu #UD, expected 1", name,
		    (unsigned long long)uc.args[0]);
	TEST_ASSERT(uc.args[2], "%s: #UD not raised on the instruction", name);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

#define UD_TEST(name)							\
	static void name(void)						\
	{								\
		expect_ud(guest_##name, #name);				\
	}

UD_TEST(vmxon)
UD_TEST(vmxoff)
UD_TEST(vmptrld)
UD_TEST(vmptrst)
UD_TEST(vmclear)
UD_TEST(vmread)
UD_TEST(vmwrite)
UD_TEST(vmlaunch)
UD_TEST(vmresume)
UD_TEST(invept)
UD_TEST(invvpid)
UD_TEST(vmfunc)

/* VMCALL: KVM's hypercall on KVM, #UD on minikvm (see the top). */
static void vmcall(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_vmcall);
	struct ucall uc;

	vm_install_exception_handler(vm, UD_VECTOR, guest_ud_handler);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	if (kvm_dev_is_minikvm()) {
		TEST_ASSERT_EQ(uc.args[0], 1);
		TEST_ASSERT(uc.args[2], "#UD not raised on VMCALL");
	} else {
		TEST_ASSERT_EQ(uc.args[0], 0);
		TEST_ASSERT_EQ(uc.args[1], KVM_ENOSYS_RET);
	}
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(vmxon),
	KVM_TEST(vmxoff),
	KVM_TEST(vmptrld),
	KVM_TEST(vmptrst),
	KVM_TEST(vmclear),
	KVM_TEST(vmread),
	KVM_TEST(vmwrite),
	KVM_TEST(vmlaunch),
	KVM_TEST(vmresume),
	KVM_TEST(invept),
	KVM_TEST(invvpid),
	KVM_TEST(vmfunc),
	KVM_TEST(vmcall),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
