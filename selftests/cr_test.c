// SPDX-License-Identifier: GPL-2.0-only
/*
 * cr_test - control registers and EFER written by long-mode guest code
 * read back in the guest and, after the next exit, through
 * KVM_GET_SREGS (and kvm_run->cr8), as KVM keeps them
 * (arch/x86/kvm/x86.c kvm_set_cr0/3/4/8(), post_kvm_run_save()):
 *
 *	CR0.TS set by MOV to CR0, cleared by CLTS;
 *	CR4.PGE and CR4.OSXMMEXCPT cleared and set again;
 *	CR3 switched to a second PML4 that maps one page elsewhere: the
 *	guest sees the other page at once (MOV to CR3 flushes the TLB);
 *	EFER.SCE set with WRMSR if the guest's CPUID has SYSCALL
 *	(0x80000001 EDX[11]), else that WRMSR is #GP (KVM without
 *	KVM_SET_CPUID2: an empty CPUID, so #GP; x86.c __kvm_valid_efer());
 * and, apart, CR8 (the task priority, no local APIC) set to 5 by the guest
 * reads back 5 in KVM_GET_SREGS and kvm_run->cr8; and a MOV to CR4 that
 * sets a reserved bit (15, or SMXE which KVM never offers) or clears PAE
 * in long mode is #GP(0) and leaves CR4 as it was (SDM Vol. 2B, "MOV—Move
 * to/from Control Registers"; x86.c kvm_set_cr4()).  minikvm intercepts
 * CR4 writes to enforce this.
 */
#include "minikvm/kvm_util.h"
#include "minikvm/msr_index.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define TEST_GVA	0x8000000000ULL	/* PML4 slot 1: apart from the image */
#define PAGE_A_VALUE	0xaaaaaaaa
#define PAGE_B_VALUE	0xbbbbbbbb

#define TS_PORT		0x91	/* the exit taken while CR0.TS is set */

enum { STEP_CLTS = 1, STEP_CR4_OFF, STEP_CR4_ON, STEP_CR3,
       STEP_CR8, STEP_EFER };

static volatile uint64_t gp_count;

static void guest_gp_handler(struct ex_regs *regs)
{
	gp_count++;
	regs->rip += 2;		/* wrmsr */
}

/* Returns true if the guest's CPUID announces SYSCALL/SYSRET. */
static bool guest_has_syscall(void)
{
	uint32_t a, b, c, d;

	guest_cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a < 0x80000001)
		return false;
	guest_cpuid(0x80000001, 0, &a, &b, &c, &d);
	return d & (1U << 11);
}

static void set_cr4(uint64_t v)
{
	asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static void guest_crs(uint64_t cr3_b)
{
	volatile uint32_t *p = (volatile uint32_t *)TEST_GVA;
	uint64_t cr0 = get_cr0(), cr4 = get_cr4(), with_ts;

	/*
	 * With CR0.TS set any SSE instruction is #NM, and compiled code may
	 * use SSE anywhere: set, read, exit (a bare OUT) and clear TS in one
	 * asm statement.
	 */
	asm volatile("mov %[ts], %%cr0\n\t"
		     "mov %%cr0, %[got]\n\t"
		     "outb %%al, %[port]\n\t"
		     "clts"
		     : [got] "=&r"(with_ts)
		     : [ts] "r"(cr0 | X86_CR0_TS), "a"(0), [port] "i"(TS_PORT)
		     : "memory");
	GUEST_ASSERT_EQ(with_ts, cr0 | X86_CR0_TS);
	GUEST_ASSERT_EQ(get_cr0(), cr0);
	GUEST_SYNC(STEP_CLTS);

	set_cr4(cr4 | X86_CR4_PGE);
	set_cr4((cr4 | X86_CR4_PGE) & ~X86_CR4_OSXMMEXCPT);
	GUEST_ASSERT_EQ(get_cr4(), (cr4 | X86_CR4_PGE) & ~X86_CR4_OSXMMEXCPT);
	GUEST_SYNC(STEP_CR4_OFF);
	set_cr4(cr4);
	GUEST_ASSERT_EQ(get_cr4(), cr4);
	GUEST_SYNC(STEP_CR4_ON);

	GUEST_ASSERT_EQ(*p, PAGE_A_VALUE);
	asm volatile("mov %0, %%cr3" : : "r"(cr3_b) : "memory");
	GUEST_ASSERT_EQ(get_cr3(), cr3_b);
	GUEST_ASSERT_EQ(*p, PAGE_B_VALUE);
	GUEST_SYNC(STEP_CR3);

	if (guest_has_syscall()) {
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
		GUEST_ASSERT(rdmsr(MSR_EFER) & EFER_SCE);
	} else {
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
		GUEST_ASSERT_EQ(gp_count, 1);
		GUEST_ASSERT(!(rdmsr(MSR_EFER) & EFER_SCE));
	}
	GUEST_SYNC(STEP_EFER);
	GUEST_DONE();
}

static void guest_cr8(void)
{
	uint64_t cr8;

	asm volatile("mov %0, %%cr8" : : "r"(5ULL));
	asm volatile("mov %%cr8, %0" : "=r"(cr8));
	GUEST_ASSERT_EQ(cr8, 5);
	GUEST_SYNC(STEP_CR8);
	GUEST_DONE();
}

/*
 * Builds a second PML4 sharing the image's mappings, then maps TEST_GVA to
 * a page holding PAGE_A_VALUE under the first and PAGE_B_VALUE under the
 * second.  Returns the second PML4's gpa.
 */
static uint64_t two_roots(struct kvm_vm *vm)
{
	uint64_t root_a = vm->pgd, root_b = vm_phy_pages_alloc(vm, 1);
	uint64_t page_a = vm_phy_pages_alloc(vm, 1);
	uint64_t page_b = vm_phy_pages_alloc(vm, 1);

	memcpy(addr_gpa2hva(vm, root_b), addr_gpa2hva(vm, root_a), PAGE_SIZE_4K);
	*(uint32_t *)addr_gpa2hva(vm, page_a) = PAGE_A_VALUE;
	*(uint32_t *)addr_gpa2hva(vm, page_b) = PAGE_B_VALUE;
	virt_pg_map(vm, TEST_GVA, page_a);	/* a new PML4 slot: A only */
	vm->pgd = root_b;
	virt_pg_map(vm, TEST_GVA, page_b);
	vm->pgd = root_a;
	return root_b;
}

static void control_registers(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_crs);
	struct kvm_sregs start, s;
	uint64_t root_b = two_roots(vm);
	struct ucall uc;

	vcpu_args_set(vcpu, 1, root_b);
	vm_install_exception_handler(vm, GP_VECTOR, guest_gp_handler);
	vcpu_sregs_get(vcpu, &start);

	vcpu_run(vcpu);
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(vcpu, uc);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(vcpu->run->io.port, TS_PORT);
	vcpu_sregs_get(vcpu, &s);
	TEST_ASSERT_EQ(s.cr0, start.cr0 | X86_CR0_TS);
	vcpu_run_expect_sync(vcpu, STEP_CLTS);
	vcpu_sregs_get(vcpu, &s);
	TEST_ASSERT_EQ(s.cr0, start.cr0);

	vcpu_run_expect_sync(vcpu, STEP_CR4_OFF);
	vcpu_sregs_get(vcpu, &s);
	TEST_ASSERT_EQ(s.cr4, (start.cr4 | X86_CR4_PGE) & ~X86_CR4_OSXMMEXCPT);
	vcpu_run_expect_sync(vcpu, STEP_CR4_ON);
	vcpu_sregs_get(vcpu, &s);
	TEST_ASSERT_EQ(s.cr4, start.cr4);

	vcpu_run_expect_sync(vcpu, STEP_CR3);
	vcpu_sregs_get(vcpu, &s);
	TEST_ASSERT_EQ(s.cr3, root_b);

	vcpu_run_expect_sync(vcpu, STEP_EFER);
	vcpu_sregs_get(vcpu, &s);
	TEST_ASSERT(s.efer == start.efer || s.efer == (start.efer | EFER_SCE),
		    "EFER 0x%llx", s.efer);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static void cr8_tpr(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_cr8);
	struct kvm_sregs s;

	vcpu_run_expect_sync(vcpu, STEP_CR8);
	vcpu_sregs_get(vcpu, &s);
	TEST_ASSERT_EQ(s.cr8, 5);
	TEST_ASSERT_EQ(vcpu->run->cr8, 5);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static volatile uint64_t cr4_gp_count;

static void guest_cr4_gp_handler(struct ex_regs *regs)
{
	cr4_gp_count++;
	regs->rip += 3;		/* mov %rax,%cr4: 0f 22 e0 */
}

static void guest_cr4_refused(void)
{
	static const uint64_t set[] = { 1ULL << 15, X86_CR4_SMXE };
	uint64_t cr4 = get_cr4();
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(set); i++) {
		asm volatile("mov %%rax, %%cr4" : : "a"(cr4 | set[i]) : "memory");
		GUEST_ASSERT_EQ(cr4_gp_count, i + 1);
		GUEST_ASSERT_EQ(get_cr4(), cr4);
	}
	asm volatile("mov %%rax, %%cr4" : : "a"(cr4 & ~X86_CR4_PAE) : "memory");
	GUEST_ASSERT_EQ(cr4_gp_count, 3);
	GUEST_ASSERT_EQ(get_cr4(), cr4);
	GUEST_DONE();
}

static void cr4_refused(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_cr4_refused);
	struct kvm_sregs before, after;

	vm_install_exception_handler(vm, GP_VECTOR, guest_cr4_gp_handler);
	vcpu_sregs_get(vcpu, &before);
	vcpu_run_expect_done(vcpu);
	vcpu_sregs_get(vcpu, &after);
	TEST_ASSERT_EQ(after.cr4, before.cr4);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(control_registers),
	KVM_TEST(cr8_tpr),
	KVM_TEST(cr4_refused),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
