// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86_modes.c - a vCPU in real mode, 16- or 32-bit protected mode, with
 * 32-bit or PAE paging, or in long mode, about to run a few bytes of code
 * (see x86_vm.h).  Everything goes through KVM_SET_SREGS/KVM_SET_REGS:
 * the guest never executes a mode switch.
 *
 * Guest-physical layout of the 4 MiB slot:
 *	0x0500	GDT (the library's selectors, GDT_SEL_*)
 *	0x1000	top-level table: 32-bit page directory, PAE PDPT or PML4
 *	0x2000	PAE page directory, or long mode's PDPT
 *	0x3000	long mode's page directory
 *	@gpa	the code, with the stack below it
 * Paging identity maps the first 4 MiB with large pages (SDM Vol. 3A,
 * 4.3 "32-Bit Paging", 4.4 "PAE Paging", 4.5 "4-Level Paging").
 */
#include <string.h>

#include "minikvm/processor.h"
#include "minikvm/x86_vm.h"

#define MODES_MEM_SIZE	(4UL << 20)
#define MODES_GDT	0x500ULL
#define MODES_TABLE0	0x1000ULL
#define MODES_TABLE1	0x2000ULL
#define MODES_TABLE2	0x3000ULL
#define MODES_CODE_MIN	0x4000ULL

#define PDE32_4M	(PTE_P | PTE_RW | PTE_PS)	/* CR4.PSE large page */
#define PAE_PDPTE_P	PTE_P		/* PDPTEs have no RW bit (4.4.1) */

static const char *const mode_names[X86_MODE_NR] = {
	[X86_MODE_REAL] = "real",	[X86_MODE_PROT16] = "prot16",
	[X86_MODE_PROT32] = "prot32",	[X86_MODE_PAGING32] = "paging32",
	[X86_MODE_PAE] = "pae",		[X86_MODE_LONG] = "long",
};

const char *x86_guest_mode_name(enum x86_guest_mode mode)
{
	return mode < X86_MODE_NR ? mode_names[mode] : "?";
}

/* Writes the GDT: the same entries as a long-mode VM's, without a TSS. */
static void write_gdt(struct kvm_vm *vm)
{
	x86_gdt_write_flat(addr_gpa2hva(vm, MODES_GDT));
}

/* Builds the identity map of the first 4 MiB that @mode walks. */
static void write_tables(struct kvm_vm *vm, enum x86_guest_mode mode)
{
	uint64_t *t0 = addr_gpa2hva(vm, MODES_TABLE0);
	uint64_t *t1 = addr_gpa2hva(vm, MODES_TABLE1);
	uint64_t *t2 = addr_gpa2hva(vm, MODES_TABLE2);
	uint32_t *pd32 = (uint32_t *)t0;

	switch (mode) {
	case X86_MODE_PAGING32:
		pd32[0] = PDE32_4M;
		break;
	case X86_MODE_PAE:
		t0[0] = MODES_TABLE1 | PAE_PDPTE_P;
		t1[0] = 0 | PTE_P | PTE_RW | PTE_PS;
		t1[1] = (2ULL << 20) | PTE_P | PTE_RW | PTE_PS;
		break;
	case X86_MODE_LONG:
		t0[0] = MODES_TABLE1 | PTE_P | PTE_RW;
		t1[0] = MODES_TABLE2 | PTE_P | PTE_RW;
		t2[0] = 0 | PTE_P | PTE_RW | PTE_PS;
		t2[1] = (2ULL << 20) | PTE_P | PTE_RW | PTE_PS;
		break;
	default:
		break;
	}
}

/* Sets the segment registers for @mode, starting from the reset state. */
static void mode_segments(struct kvm_sregs *sregs, enum x86_guest_mode mode)
{
	switch (mode) {
	case X86_MODE_REAL:
		sregs->cs.selector = 0;
		sregs->cs.base = 0;
		break;
	case X86_MODE_PROT16:
		x86_flat_code16(&sregs->cs);
		x86_flat_data(&sregs->ds, GDT_SEL_DATA16, false);
		break;
	case X86_MODE_LONG:
		x86_flat_code64(&sregs->cs);
		x86_flat_data(&sregs->ds, GDT_SEL_DATA, true);
		/* IA-32e mode needs a 64-bit busy TSS in TR (SDM Vol. 3C,
		 * 27.3.1.2 "Checks on Guest Segment Registers"). */
		sregs->tr.type = 0xb;
		break;
	default:
		x86_flat_code32(&sregs->cs);
		x86_flat_data(&sregs->ds, GDT_SEL_DATA, true);
		break;
	}
	if (mode != X86_MODE_REAL)
		sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
}

/* Sets CR0, CR3, CR4 and EFER for @mode. */
static void mode_control(struct kvm_sregs *sregs, enum x86_guest_mode mode)
{
	if (mode == X86_MODE_REAL)
		return;		/* the reset CR0 */
	sregs->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	sregs->cr4 = 0;
	sregs->efer = 0;
	if (mode >= X86_MODE_PAGING32) {
		sregs->cr0 |= X86_CR0_PG;
		sregs->cr3 = MODES_TABLE0;
	}
	if (mode == X86_MODE_PAGING32)
		sregs->cr4 = X86_CR4_PSE;
	if (mode >= X86_MODE_PAE)
		sregs->cr4 = X86_CR4_PAE;
	if (mode == X86_MODE_LONG)
		sregs->efer = EFER_LME | EFER_LMA;
	sregs->gdt.base = MODES_GDT;
	sregs->gdt.limit = GDT_ENTRIES * 8 - 1;
}

struct kvm_vm *vm_create_with_code(struct kvm_vcpu **vcpu,
				   enum x86_guest_mode mode, uint64_t gpa,
				   const void *code, size_t len)
{
	struct kvm_vm *vm;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	TEST_ASSERT(mode < X86_MODE_NR && gpa >= MODES_CODE_MIN &&
		    gpa + len <= 0x10000, "code at 0x%llx+0x%zx in mode %d",
		    (unsigned long long)gpa, len, mode);
	vm = vm_create();
	vm_userspace_mem_region_add(vm, 0, 0, 0, MODES_MEM_SIZE);
	write_gdt(vm);
	write_tables(vm, mode);
	memcpy(addr_gpa2hva(vm, gpa), code, len);

	*vcpu = vm_vcpu_add(vm, 0);
	vcpu_cpuid_allow_long_mode(*vcpu);
	vcpu_sregs_get(*vcpu, &sregs);
	mode_segments(&sregs, mode);
	mode_control(&sregs, mode);
	vcpu_sregs_set(*vcpu, &sregs);

	memset(&regs, 0, sizeof(regs));
	regs.rip = gpa;
	regs.rsp = gpa;
	regs.rflags = X86_EFLAGS_FIXED;
	vcpu_regs_set(*vcpu, &regs);
	return vm;
}
