// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86_vm.c - VMs and vCPUs that run the test's own C functions in 64-bit
 * mode (see x86_vm.h), set up only through guest memory, KVM_SET_SREGS
 * and KVM_SET_REGS: no firmware, no guest boot code.
 *
 * The guest half at the bottom (guest_exception_dispatch(), the return
 * trap) runs in the guest and follows the guest-code rules of ucall.h.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "minikvm/processor.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_cpuid.h"
#include "minikvm/x86_vm.h"

#define TSS64_SIZE	0x68	/* SDM Vol. 3A, 8.7 "Task Management in 64-bit Mode" */
#define IDT_GATE_SIZE	16

/* Guest side, defined below and in x86_exception.S. */
extern const uint64_t guest_ex_stubs[GUEST_NR_VECTORS];
guest_exception_handler_t guest_exception_handlers[GUEST_NR_VECTORS];
void guest_exception_dispatch(struct ex_regs *regs);
static void guest_code_returned(void);

/* Allocates one zeroed page mapped gva == gpa and returns its address. */
static uint64_t alloc_identity_page(struct kvm_vm *vm)
{
	uint64_t gpa = vm_phy_pages_alloc(vm, 1);

	virt_pg_map(vm, gpa, gpa);
	return gpa;
}

/* The TSS as a segment register (64-bit available TSS; loaded means busy). */
static void tss_segment(struct kvm_vm *vm, struct kvm_segment *s, bool busy)
{
	*s = (struct kvm_segment){
		.base = vm->tss, .limit = TSS64_SIZE - 1,
		.selector = GDT_SEL_TSS, .type = busy ? 0xb : 0x9,
		.present = 1,
	};
}

/* Writes the library's GDT: null, code64, data, code32, code16, data16,
 * and the 16-byte TSS descriptor. */
static void write_gdt(struct kvm_vm *vm)
{
	uint64_t *gdt = addr_gpa2hva(vm, vm->gdt);
	struct kvm_segment s;

	x86_gdt_write_flat(gdt);
	/* The descriptor is "available": LTR would mark it busy in memory;
	 * KVM_SET_SREGS loads TR without touching the GDT. */
	tss_segment(vm, &s, false);
	x86_sys_desc64_encode(&s, &gdt[GDT_SEL_TSS / 8]);
}

void vm_init_long_mode(struct kvm_vm *vm)
{
	uint64_t *idt;
	unsigned int v;

	virt_pgd_alloc(vm);
	vm->gdt = alloc_identity_page(vm);
	vm->idt = alloc_identity_page(vm);
	vm->tss = alloc_identity_page(vm);
	write_gdt(vm);
	idt = addr_gpa2hva(vm, vm->idt);
	for (v = 0; v < GUEST_NR_VECTORS; v++)
		x86_idt_gate64_encode(guest_ex_stubs[v], GDT_SEL_CODE64, 0, 0,
				      &idt[2 * v]);
}

void vm_long_mode_sregs(struct kvm_vm *vm, struct kvm_sregs *sregs)
{
	sregs->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		     X86_CR0_WP | X86_CR0_PG;
	/* OSFXSR: compiled guest code uses SSE (struct copies, doubles). */
	sregs->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	sregs->efer = EFER_LME | EFER_LMA;
	sregs->cr3 = vm->pgd;
	x86_flat_code64(&sregs->cs);
	x86_flat_data(&sregs->ds, GDT_SEL_DATA, true);
	sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
	tss_segment(vm, &sregs->tr, true);
	sregs->gdt.base = vm->gdt;
	sregs->gdt.limit = GDT_ENTRIES * 8 - 1;
	sregs->idt.base = vm->idt;
	sregs->idt.limit = GUEST_NR_VECTORS * IDT_GATE_SIZE - 1;
}

/*
 * KVM 6.12 (Debian's bookworm-backports kernel, not 6.1) checks EFER in
 * KVM_SET_SREGS against the vCPU's CPUID: LME and LMA need
 * CPUID.80000001H:EDX.LM[29] (AMD APM Vol. 3, appendix E; SDM Vol. 2A,
 * CPUID), NXE needs NX[20]; and a 64-bit guest's EFER.SCE is accepted by
 * KVM with LM whatever SYSCALL[11] says.  A KVM vCPU has no CPUID until
 * KVM_SET_CPUID2, so such a vCPU gets the least table that allows long
 * mode: leaf 0x80000000 (the highest extended leaf) and 0x80000001 with LM,
 * NX and SYSCALL; the guest sees zeros for every other leaf, as before.
 * minikvm's vCPUs, which have a default table, and vCPUs given a table
 * already are left alone.
 */
void vcpu_cpuid_allow_long_mode(struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid2 *c = allocate_kvm_cpuid2(2);

	c->nent = 0;
	if (__vcpu_get_cpuid(vcpu, c) == 0 && c->nent == 0) {
		c->nent = 2;
		c->entries[0].function = 0x80000000;
		c->entries[0].eax = 0x80000001;
		c->entries[1].function = 0x80000001;
		c->entries[1].edx = 1u << 29 | 1u << 20 | 1u << 11;
		vcpu_set_cpuid(vcpu, c);
	}
	free(c);
}

struct kvm_vcpu *vm_vcpu_add_long_mode(struct kvm_vm *vm, uint32_t id,
				       void *guest_code)
{
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, id);
	uint64_t stack, top;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	vcpu_cpuid_allow_long_mode(vcpu);
	vcpu_sregs_get(vcpu, &sregs);
	vm_long_mode_sregs(vm, &sregs);
	vcpu_sregs_set(vcpu, &sregs);

	stack = vm_phy_pages_alloc(vm, GUEST_STACK_PAGES);
	virt_map(vm, stack, stack, GUEST_STACK_PAGES * PAGE_SIZE_4K);
	top = stack + GUEST_STACK_PAGES * PAGE_SIZE_4K;
	/*
	 * As if guest_code had been called: its return address, on top of
	 * the stack, leads to guest_code_returned(), and RSP is 8 off 16-byte
	 * alignment as at any function's first instruction (SysV ABI).
	 */
	*(uint64_t *)addr_gpa2hva(vm, top - 8) = (uintptr_t)guest_code_returned;

	memset(&regs, 0, sizeof(regs));
	regs.rip = (uintptr_t)guest_code;
	regs.rsp = top - 8;
	regs.rflags = X86_EFLAGS_FIXED;
	vcpu_regs_set(vcpu, &regs);
	return vcpu;
}

struct kvm_vm *vm_create_with_one_vcpu(struct kvm_vcpu **vcpu,
				       void *guest_code)
{
	struct kvm_vm *vm = vm_create();

	vm_userspace_mem_region_add(vm, 0, 0, 0, GUEST_MEM_SIZE);
	kvm_vm_elf_load(vm, "/proc/self/exe");
	vm_init_long_mode(vm);
	*vcpu = vm_vcpu_add_long_mode(vm, 0, guest_code);
	return vm;
}

void vcpu_args_set(struct kvm_vcpu *vcpu, unsigned int n, ...)
{
	struct kvm_regs regs;
	__u64 *slots[] = { &regs.rdi, &regs.rsi, &regs.rdx, &regs.rcx,
			      &regs.r8, &regs.r9 };
	unsigned int i;
	va_list ap;

	TEST_ASSERT(n <= 6, "at most 6 register arguments, not %u", n);
	vcpu_regs_get(vcpu, &regs);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		*slots[i] = va_arg(ap, uint64_t);
	va_end(ap);
	vcpu_regs_set(vcpu, &regs);
}

void vm_install_exception_handler(struct kvm_vm *vm, unsigned int vector,
				  guest_exception_handler_t handler)
{
	guest_exception_handler_t *slot;

	TEST_ASSERT(vector < GUEST_NR_VECTORS, "vector %u has no stub", vector);
	slot = addr_gva2hva(vm, (uintptr_t)&guest_exception_handlers[vector]);
	*slot = handler;
}

/* --- guest side --- */

/* Called by the stubs with the saved state; a vector without a handler is
 * a failed guest assertion naming the vector and the faulting RIP. */
void guest_exception_dispatch(struct ex_regs *regs)
{
	guest_exception_handler_t h = guest_exception_handlers[regs->vector];

	if (h) {
		h(regs);
		return;
	}
	ucall_assert(__FILE__, __LINE__,
		     "unexpected exception (vector vs rip)", true,
		     regs->vector, regs->rip);
}

/*
 * Where a guest function returns to: counts as GUEST_DONE().  Entered by
 * RET, so RSP is 16-byte aligned rather than 8 off: realign.
 */
__attribute__((force_align_arg_pointer, used))
static void guest_code_returned(void)
{
	GUEST_DONE();
	for (;;)
		hlt();
}
