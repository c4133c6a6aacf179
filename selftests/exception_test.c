// SPDX-License-Identifier: GPL-2.0-only
/*
 * exception_test - exceptions raised by long-mode guest code are delivered
 * to the guest's own IDT with the architectural vector, error code, CR2
 * and saved RIP (SDM Vol. 3A, 6.15 "Exception and Interrupt Reference";
 * 4.7 "Page-Fault Exceptions"), none of them reaching userspace:
 *
 *	#PF reading an unmapped page	error code 0, CR2 = the address
 *	#PF writing an unmapped page	error code W (2)
 *	#PF writing a read-only page	error code P|W (3), CR0.WP set
 *	#DE dividing by zero		fault: RIP at the DIV
 *	#BP from INT3			trap: RIP after the INT3
 *	#GP from a non-canonical access	error code 0
 *
 * The guest handler records what it got and resumes at a fixup label
 * after the faulting instruction.
 *
 * Apart: an external interrupt queued with KVM_SET_SREGS (interrupt_bitmap)
 * is delivered through the guest's IDT at the next entry (x86.c
 * __set_sregs_common(): kvm_queue_interrupt() as already injected), once,
 * and no longer reads back as pending.  With RFLAGS.IF set: KVM injects it
 * whatever IF says, which VMX refuses when IF is clear (VM-entry fails,
 * SDM Vol. 3C, "Checks on Guest RIP, RFLAGS, and SSP") while SVM delivers.
 */
#include <asm/processor-flags.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define UNMAPPED_GVA	0x7000000000ULL
#define RO_GVA		0x6000000000ULL
#define NONCANONICAL	0x8000000000000000ULL

#define PFEC_P		(1U << 0)	/* page present (protection violation) */
#define PFEC_W		(1U << 1)	/* write access */

/* What the last exception left; the handler fills it. */
static volatile uint64_t ex_vector, ex_error, ex_cr2, ex_rip, ex_count;
/* Where the handler resumes the guest (0: after INT3, RIP as pushed). */
static volatile uint64_t ex_fixup;

static void guest_handler(struct ex_regs *regs)
{
	uint64_t cr2;

	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	ex_vector = regs->vector;
	ex_error = regs->error_code;
	ex_cr2 = cr2;
	ex_rip = regs->rip;
	ex_count++;
	if (ex_fixup)
		regs->rip = ex_fixup;
}

/*
 * Executes @insn (operands %[p] = @ptr) with the fixup set to the label
 * after it; returns the address of @insn.
 */
#define FAULT(insn, ptr)						\
	({								\
		uint64_t __start;					\
		asm volatile("leaq 2f(%%rip), %%r11\n\t"		\
			     "movq %%r11, %[fix]\n\t"			\
			     "leaq 1f(%%rip), %[start]\n\t"		\
			     "1: " insn "\n\t"				\
			     "2:\n\t"					\
			     : [fix] "=m"(ex_fixup), [start] "=&r"(__start) \
			     : [p] "r"(ptr)				\
			     : "rax", "rdx", "rcx", "r11", "memory", "cc"); \
		__start;						\
	})

/* Asserts one new exception @vector with @error at @rip (and @cr2). */
#define EXPECT_EX(n, vector, error, rip)				\
	do {								\
		GUEST_ASSERT_EQ(ex_count, (n));				\
		GUEST_ASSERT_EQ(ex_vector, (vector));			\
		GUEST_ASSERT_EQ(ex_error, (error));			\
		GUEST_ASSERT_EQ(ex_rip, (rip));				\
	} while (0)

static void guest_page_faults(void)
{
	uint64_t at;

	at = FAULT("movb (%[p]), %%al", UNMAPPED_GVA + 0x123);
	EXPECT_EX(1, PF_VECTOR, 0, at);
	GUEST_ASSERT_EQ(ex_cr2, UNMAPPED_GVA + 0x123);

	at = FAULT("movb %%al, (%[p])", UNMAPPED_GVA + 0x456);
	EXPECT_EX(2, PF_VECTOR, PFEC_W, at);
	GUEST_ASSERT_EQ(ex_cr2, UNMAPPED_GVA + 0x456);

	/* Reading the read-only page works; writing it faults. */
	GUEST_ASSERT_EQ(*(volatile uint8_t *)RO_GVA, 0);
	at = FAULT("movl %%eax, 8(%[p])", RO_GVA);
	EXPECT_EX(3, PF_VECTOR, PFEC_P | PFEC_W, at);
	GUEST_ASSERT_EQ(ex_cr2, RO_GVA + 8);
	GUEST_DONE();
}

static void page_faults(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_page_faults);

	virt_pg_map_flags(vm, RO_GVA, vm_phy_pages_alloc(vm, 1), 0);
	vm_install_exception_handler(vm, PF_VECTOR, guest_handler);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static void guest_other_faults(void)
{
	uint64_t at;

	at = FAULT("xorl %%edx, %%edx\n\t"
		   "movl $1, %%eax\n\t"
		   "xorl %%ecx, %%ecx\n\t"
		   "divl %%ecx", 0);
	/* The fault is at the DIV, 9 bytes in (31 d2, b8 imm32, 31 c9). */
	EXPECT_EX(1, DE_VECTOR, 0, at + 9);

	/* INT3 is a trap: the saved RIP is after it, resume there. */
	ex_fixup = 0;
	asm volatile("leaq 1f(%%rip), %0\n\t"
		     "int3\n\t"
		     "1:" : "=r"(at) : : "memory");
	EXPECT_EX(2, BP_VECTOR, 0, at);

	at = FAULT("movb (%[p]), %%al", NONCANONICAL);
	EXPECT_EX(3, GP_VECTOR, 0, at);
	GUEST_DONE();
}

static void other_faults(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_other_faults);

	vm_install_exception_handler(vm, DE_VECTOR, guest_handler);
	vm_install_exception_handler(vm, BP_VECTOR, guest_handler);
	vm_install_exception_handler(vm, GP_VECTOR, guest_handler);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

#define QUEUED_VECTOR	0x40

static volatile uint64_t irq_count, irq_vector, irq_rflags;

static void guest_irq_handler(struct ex_regs *regs)
{
	irq_count++;
	irq_vector = regs->vector;
	irq_rflags = regs->rflags;
}

static void guest_queued_irq(void)
{
	/* Delivered before the first instruction. */
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, QUEUED_VECTOR);
	GUEST_ASSERT(irq_rflags & X86_EFLAGS_IF);
	GUEST_SYNC(0);
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_DONE();
}

static void queued_interrupt(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_queued_irq);
	struct kvm_regs regs;
	struct kvm_sregs s;
	unsigned int i;

	vm_install_exception_handler(vm, QUEUED_VECTOR, guest_irq_handler);
	vcpu_regs_get(vcpu, &regs);
	regs.rflags |= X86_EFLAGS_IF;	/* no other interrupt source exists */
	vcpu_regs_set(vcpu, &regs);
	vcpu_sregs_get(vcpu, &s);
	s.interrupt_bitmap[QUEUED_VECTOR / 64] |= 1ULL << (QUEUED_VECTOR % 64);
	vcpu_sregs_set(vcpu, &s);
	vcpu_run_expect_sync(vcpu, 0);
	vcpu_sregs_get(vcpu, &s);
	for (i = 0; i < KVM_NR_INTERRUPTS / 64; i++)
		TEST_ASSERT_EQ(s.interrupt_bitmap[i], 0);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(page_faults),
	KVM_TEST(other_faults),
	KVM_TEST(queued_interrupt),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
