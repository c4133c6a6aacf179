// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86 architectural state of a vCPU, shared by both backends: power-on
 * values and the validity rules KVM_SET_REGS / KVM_SET_SREGS enforce.
 *
 * Context: process context, called with the vCPU's mutex held; nothing here
 * touches hardware.
 *
 * The rules follow the architecture (Intel SDM Vol. 3A, "Control Registers";
 * AMD APM Vol. 2, "System Resources") and KVM's checks in KVM_SET_SREGS.
 * Where a bit depends on a feature the guest's CPUID announces (EFER.LME,
 * EFER.NXE, CR4 bits, MAXPHYADDR), the vCPU's CPUID decides (cpuid.c).
 */
#include <linux/bitops.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <asm/apicdef.h>
#include <asm/cpufeature.h>
#include <asm/msr-index.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

#include "x86.h"

/* CR4 bits a guest may set without any CPUID-announced feature. */
#define MKVM_CR4_BASE_BITS						\
	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE |	\
	 X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE |	\
	 X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT)

/*
 * IA32_APIC_BASE: bits 0-7 and 9 are reserved (SDM Vol. 3A, "Local APIC
 * Status and Location"); bit 10 (x2APIC enable) needs CPUID.1:ECX.x2APIC.
 */
#define MKVM_APIC_BASE_RSVD	(0x2ffULL | X2APIC_ENABLE)

/* Power-on value of IA32_APIC_BASE: default base, enabled, BSP for id 0. */
#define MKVM_APIC_BASE_RESET	(APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE)
/*
 * The microcode revision a vCPU starts with, KVM's: on VMX revision 1 in
 * bits 63:32 (IA32_BIOS_SIGN_ID); on SVM (AMD, Hygon) a patch level in
 * bits 31:0.
 */
#define MKVM_UCODE_REV_INTEL	0x100000000ULL
#define MKVM_UCODE_REV_AMD	0x01000065ULL

/*
 * CR0 after RESET: CD, NW and ET set (SDM Vol. 3A, Table "IA-32 and Intel 64
 * Processor States Following Power-up, Reset, or INIT").
 */
#define MKVM_CR0_RESET		(X86_CR0_CD | X86_CR0_NW | X86_CR0_ET)

#define MKVM_CR8_TPR		0xfULL	/* CR8 holds TPR[7:4] in bits 3:0 */

/*
 * Nested paging with 4-level tables translates 48-bit guest-physical
 * addresses (SDM Vol. 3C, "EPT Translation Mechanism"; APM Vol. 2, "Nested
 * Paging"), and the host can back no more than its own MAXPHYADDR (CPUID
 * 80000008H EAX[7:0]).
 */
#define MKVM_NPT_GPA_BITS	48

/**
 * mkvm_x86_max_gfn() - highest guest frame a memory slot may map
 */
u64 mkvm_x86_max_gfn(void)
{
	unsigned int bits = boot_cpu_data.x86_phys_bits;

	if (boot_cpu_data.extended_cpuid_level >= 0x80000008)
		bits = cpuid_eax(0x80000008) & 0xff;
	bits = min(bits, MKVM_NPT_GPA_BITS);
	return (1ULL << (bits - PAGE_SHIFT)) - 1;
}

static void reset_seg(struct kvm_segment *seg, u8 type, bool system)
{
	memset(seg, 0, sizeof(*seg));
	seg->limit = 0xffff;
	seg->type = type;
	seg->present = 1;
	seg->s = !system;
}

/**
 * mkvm_x86_reset() - load the power-on state KVM reports after vCPU creation
 * @st: state to overwrite
 * @bsp: the vCPU is the bootstrap processor (KVM_SET_BOOT_CPU_ID's id,
 *	 0 by default): IA32_APIC_BASE.BSP
 *
 * Real mode at F000:FFF0 with base FFFF0000, as the SDM's reset table says.
 * The backend may adjust segment attributes to its vendor's conventions.
 */
void mkvm_x86_reset(struct mkvm_x86_state *st, bool bsp)
{
	struct kvm_sregs *s = &st->sregs;

	memset(st, 0, sizeof(*st));
	st->maxphyaddr = MKVM_DEFAULT_MAXPHYADDR;
	st->regs.rip = 0xfff0;
	st->regs.rflags = X86_EFLAGS_FIXED;
	st->regs.rdx = MKVM_RESET_RDX;

	reset_seg(&s->cs, MKVM_SEG_TYPE_CODE_RX_ACC, false);
	s->cs.selector = 0xf000;
	s->cs.base = 0xffff0000;
	reset_seg(&s->ds, MKVM_SEG_TYPE_DATA_RW_ACC, false);
	reset_seg(&s->es, MKVM_SEG_TYPE_DATA_RW_ACC, false);
	reset_seg(&s->fs, MKVM_SEG_TYPE_DATA_RW_ACC, false);
	reset_seg(&s->gs, MKVM_SEG_TYPE_DATA_RW_ACC, false);
	reset_seg(&s->ss, MKVM_SEG_TYPE_DATA_RW_ACC, false);
	reset_seg(&s->tr, MKVM_SEG_TYPE_TSS32_BUSY, true);
	reset_seg(&s->ldt, MKVM_SEG_TYPE_LDT, true);
	s->gdt.limit = 0xffff;
	s->idt.limit = 0xffff;

	s->cr0 = MKVM_CR0_RESET;
	s->apic_base = MKVM_APIC_BASE_RESET;
	if (bsp)
		s->apic_base |= MSR_IA32_APICBASE_BSP;
	st->ucode_rev = boot_cpu_data.x86_vendor == X86_VENDOR_AMD ||
			boot_cpu_data.x86_vendor == X86_VENDOR_HYGON ?
			MKVM_UCODE_REV_AMD : MKVM_UCODE_REV_INTEL;
	memset(&st->ev, 0, sizeof(st->ev));
	mkvm_x86_debug_reset(&st->dbg, false);
}

/**
 * mkvm_x86_init_event() - the state after INIT
 * @st: the vCPU's state
 * @vcpu_id: its id
 *
 * As RESET (mkvm_x86_reset()) but for what INIT leaves alone: CR0.CD/NW,
 * the MSRs kept here (APIC base, MTRRs, TSC_AUX, the TSC, the microcode
 * revision, HWCR), the x87/SSE/AVX state and XCR0 (KVM resets XCR0 only at
 * RESET) (SDM Vol. 3A, Table "IA-32 and Intel 64 Processor States
 * Following Power-up, Reset, or INIT").  Queued events
 * are dropped.
 */
void mkvm_x86_init_event(struct mkvm_x86_state *st, u32 vcpu_id)
{
	u64 cd_nw = st->sregs.cr0 & (X86_CR0_CD | X86_CR0_NW);
	u64 apic_base = st->sregs.apic_base;
	struct mkvm_x86_mtrr mtrr = st->mtrr;
	u64 tsc_aux = st->tsc_aux, tsc_offset = st->tsc_offset;
	u64 ucode_rev = st->ucode_rev, hwcr = st->hwcr;
	struct mkvm_x86_cpuid *cpuid = st->cpuid;
	u8 maxphyaddr = st->maxphyaddr;
	struct mkvm_x86_debug dbg = st->dbg;
	struct fpu_guest fpu = st->fpu;
	u64 xcr0 = st->xcr0;

	mkvm_x86_reset(st, false);	/* IA32_APIC_BASE is kept */
	st->dbg = dbg;
	mkvm_x86_debug_reset(&st->dbg, true);
	st->sregs.cr0 = (st->sregs.cr0 & ~(X86_CR0_CD | X86_CR0_NW)) | cd_nw;
	st->sregs.apic_base = apic_base;
	st->mtrr = mtrr;
	st->tsc_aux = tsc_aux;
	st->ucode_rev = ucode_rev;
	st->hwcr = hwcr;
	/* Not architectural state: the vCPU's CPUID and its TSC go on. */
	st->cpuid = cpuid;
	st->maxphyaddr = maxphyaddr;
	st->tsc_offset = tsc_offset;
	st->fpu = fpu;
	st->xcr0 = xcr0;
}

/**
 * mkvm_x86_is_canonical() - a 48-bit canonical address (bits 63:47 equal)
 * @addr: linear address
 */
bool mkvm_x86_is_canonical(u64 addr)
{
	return (u64)((s64)(addr << 16) >> 16) == addr;
}

/**
 * mkvm_x86_pat_valid() - every PAT entry holds a defined memory type
 * @pat: IA32_PAT value
 *
 * Types 2 and 3 are reserved, as is anything above 7 (SDM Vol. 3A,
 * "IA32_PAT MSR").
 */
bool mkvm_x86_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 type = pat >> (i * 8);

		if (type > 7 || type == 2 || type == 3)
			return false;
	}
	return true;
}

/**
 * mkvm_x86_exit_io() - describe a port I/O instruction as KVM_EXIT_IO
 * @st: the vCPU's state
 * @run: the kvm_run page to fill
 * @pio_data: the PIO data page (mmap page KVM_PIO_PAGE_OFFSET)
 * @port: I/O port
 * @size: access width, 1, 2 or 4 bytes
 * @in: IN rather than OUT
 * @out_val: an OUT's data (RAX, or an OUTS element)
 * @next_rip: RIP of the next instruction
 *
 * One element: an OUT's data goes to the PIO page, an IN's data comes back
 * there and lands in RAX on the next KVM_RUN (string I/O adjusts the
 * pending completion: emulate.c).
 */
void mkvm_x86_exit_io(struct mkvm_x86_state *st, struct kvm_run *run,
		      void *pio_data, u16 port, u8 size, bool in, u64 out_val,
		      u64 next_rip)
{
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	if (in)
		memset(pio_data, 0, size);	/* no stale data for userspace */
	else
		memcpy(pio_data, &out_val, size);
	/* Kept here: the kvm_run page is userspace's to scribble on. */
	st->pending = (struct mkvm_x86_pending) {
		.exit_reason = KVM_EXIT_IO,
		.next_rip = next_rip,
		.io_size = in ? size : 0,
	};
}

/**
 * mkvm_x86_set_regs() - KVM_SET_REGS: RFLAGS bit 1 always reads as one
 * @st: the vCPU's state
 * @regs: what userspace asked for
 */
void mkvm_x86_set_regs(struct mkvm_x86_state *st, const struct kvm_regs *regs)
{
	st->regs = *regs;
	st->regs.rflags |= X86_EFLAGS_FIXED;
}

/**
 * mkvm_x86_get_sregs() - KVM_GET_SREGS, with the pending interrupt as a bit
 * @st: the vCPU's state
 * @sregs: filled in for userspace
 */
void mkvm_x86_get_sregs(const struct mkvm_x86_state *st,
			struct kvm_sregs *sregs)
{
	*sregs = st->sregs;
	if (st->ev.irq_injected && !st->ev.irq_soft)
		__set_bit(st->ev.irq_nr,
			  (unsigned long *)sregs->interrupt_bitmap);
}

/**
 * mkvm_x86_gpa_legal() - a guest-physical address below the guest's MAXPHYADDR
 * @st: the vCPU's state (its MAXPHYADDR follows its CPUID, cpuid.c)
 * @gpa: the address
 */
bool mkvm_x86_gpa_legal(const struct mkvm_x86_state *st, u64 gpa)
{
	return !(gpa >> st->maxphyaddr);
}

/* CR0: bits 63:32 reserved; NW needs CD; PG needs PE (SDM Vol. 3A, "CR0"). */
static bool cr0_is_valid(u64 cr0)
{
	if (cr0 >> 32)
		return false;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return false;
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return false;
	return true;
}

/**
 * mkvm_x86_cr4_valid() - may the vCPU have this CR4?
 * @st: the vCPU's state (its CPUID)
 * @cr4: the new value, from KVM_SET_SREGS or a guest's MOV to CR4
 * @efer: the EFER it goes with
 *
 * The bits that need no CPUID-announced feature, and PAE stays set in
 * IA-32e mode (SDM Vol. 2B, "MOV—Move to/from Control Registers", #GP
 * conditions).  OSXSAVE needs XSAVE in the guest's CPUID (and on the
 * host: arch/x86/fpu.c).  The other bits KVM ties to the guest's CPUID
 * (SMEP, SMAP, FSGSBASE, PKE: PKU, LA57, UMIP, PCIDE: PCID; SDM Vol. 3A,
 * "CR4") are refused whatever the CPUID says: minikvm virtualizes none of
 * those features yet (cpuid.c does not offer them).  A guest's MOV that
 * fails this gets #GP(0).
 */
bool mkvm_x86_cr4_valid(const struct mkvm_x86_state *st, u64 cr4, u64 efer)
{
	u64 ok = MKVM_CR4_BASE_BITS;

	/* OSXSAVE with CPUID.1:ECX.XSAVE (SDM Vol. 3A, "CR4"). */
	if (mkvm_x86_xcr0_supported &&
	    mkvm_x86_guest_has(st, 1, 0, MKVM_ECX, 26))
		ok |= X86_CR4_OSXSAVE;
	if (cr4 & ~ok)
		return false;
	return !(efer & EFER_LMA) || (cr4 & X86_CR4_PAE);
}

/*
 * EFER: SCE, LME, LMA and (if the host has it) NXE.  SVME, LMSLE, FFXSR and
 * TCE are reserved for minikvm guests: no nested SVM, no legacy AMD extras.
 * (KVM 6.1 stores any EFER given to KVM_SET_SREGS; minikvm refuses
 * reserved bits up front instead of failing the next VM-entry.)
 */
bool mkvm_x86_efer_valid(u64 efer)
{
	u64 ok = EFER_SCE | EFER_LME | EFER_LMA;

	if (boot_cpu_has(X86_FEATURE_NX))
		ok |= EFER_NX;
	return !(efer & ~ok);
}

/* CPUID 80000001H EDX: NX (bit 20) and LM (bit 29). */
#define CPUID_E1_EDX_NX		20
#define CPUID_E1_EDX_LM		29

/**
 * mkvm_x86_efer_guest_valid() - may the guest's WRMSR load this EFER?
 * @st: the vCPU's state (its CPUID)
 * @efer: the value
 *
 * Beyond mkvm_x86_efer_valid(): LME and LMA only if the guest's CPUID has
 * long mode, NXE only with NX (SDM Vol. 4, IA32_EFER; AMD APM Vol. 2,
 * "Extended Feature Enable Register").  KVM checks the same, and only
 * those: SCE stays writable without CPUID.80000001H:EDX.SYSCALL, as on
 * KVM.  Host-initiated writes (KVM_SET_MSRS, KVM_SET_SREGS) skip this, as
 * on KVM.
 */
bool mkvm_x86_efer_guest_valid(const struct mkvm_x86_state *st, u64 efer)
{
	if (!mkvm_x86_efer_valid(efer))
		return false;
	if ((efer & (EFER_LME | EFER_LMA)) &&
	    !mkvm_x86_guest_has(st, 0x80000001, 0, MKVM_EDX, CPUID_E1_EDX_LM))
		return false;
	return !(efer & EFER_NX) ||
	       mkvm_x86_guest_has(st, 0x80000001, 0, MKVM_EDX, CPUID_E1_EDX_NX);
}

/*
 * The mode rules KVM checks: with EFER.LME and CR0.PG the vCPU is in IA-32e
 * mode, which needs CR4.PAE and EFER.LMA and a CR3 inside MAXPHYADDR
 * (SDM Vol. 3A, "Initializing IA-32e Mode"); outside IA-32e mode LMA must be
 * clear and CS cannot be a 64-bit segment.
 */
static bool sregs_are_valid(const struct mkvm_x86_state *st,
			    const struct kvm_sregs *s)
{
	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG)) {
		if (!(s->cr4 & X86_CR4_PAE) || !(s->efer & EFER_LMA))
			return false;
		if (!mkvm_x86_gpa_legal(st, s->cr3))
			return false;
	} else if ((s->efer & EFER_LMA) || s->cs.l) {
		return false;
	}
	if (s->apic_base & (MKVM_APIC_BASE_RSVD |
			    ~GENMASK_ULL(st->maxphyaddr - 1, 0)))
		return false;
	return cr0_is_valid(s->cr0) && mkvm_x86_cr4_valid(st, s->cr4, s->efer) &&
	       mkvm_x86_efer_valid(s->efer);
}

/**
 * mkvm_x86_set_sregs() - KVM_SET_SREGS: validate, then load all or nothing
 * @st: the vCPU's state
 * @sregs: what userspace asked for
 *
 * Return: 0, or -EINVAL with @st untouched.  Like KVM, a CR8 with bits above
 * the TPR is ignored rather than refused, and the lowest vector set in
 * interrupt_bitmap becomes the pending external interrupt (an empty bitmap
 * leaves a pending one in place).
 */
int mkvm_x86_set_sregs(struct mkvm_x86_state *st,
		       const struct kvm_sregs *sregs)
{
	u64 old_cr8 = st->sregs.cr8;
	unsigned int vec;

	if (!sregs_are_valid(st, sregs))
		return -EINVAL;

	st->sregs = *sregs;
	memset(st->sregs.interrupt_bitmap, 0,
	       sizeof(st->sregs.interrupt_bitmap));
	if (sregs->cr8 & ~MKVM_CR8_TPR)
		st->sregs.cr8 = old_cr8;

	vec = find_first_bit((const unsigned long *)sregs->interrupt_bitmap,
			     KVM_NR_INTERRUPTS);
	if (vec < KVM_NR_INTERRUPTS) {
		st->ev.irq_injected = true;
		st->ev.irq_soft = false;
		st->ev.irq_nr = vec;
	}
	return 0;
}
