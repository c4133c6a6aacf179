// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMX exit handlers, one short function per basic exit reason, dispatched
 * through a table (Intel SDM Vol. 3D, Appendix C "VMX Basic Exit Reasons";
 * Vol. 3C, chapter "VM Exits").  A handler returns 1 to enter the guest
 * again, 0 to return to userspace with kvm_run filled in, or a negative
 * errno for KVM_RUN.  An exit reason without a handler reaches userspace as
 * KVM_EXIT_INTERNAL_ERROR with the reason; a VM entry that failed (bit 31
 * of the exit reason) as KVM_EXIT_FAIL_ENTRY with the reason.
 *
 * What exits and why (vmx.c chooses the controls):
 *   NMI, external interrupt, INIT, SIPI, SMI
 *                         the host's: handled around the exit
 *   HLT, I/O              userspace's (KVM_EXIT_HLT, KVM_EXIT_IO)
 *   CPUID, RDMSR/WRMSR    emulated here; no MSR reaches the hardware
 *   CR0, CR4 writes       the bits minikvm owns (vmx_vcpu.c)
 *   INVD                  a no-op: dropping dirty cache lines would lose
 *                         the host's data
 *   triple fault          KVM_EXIT_SHUTDOWN
 *   XSETBV                the guest's XCR0, checked (arch/x86/fpu.c)
 *   VMX instructions, GETSEC, RSM, MONITOR, MWAIT
 *                         not offered to guests: #UD
 *   RDPMC                 no PMU offered: #GP
 *   PAUSE loop            a spinning guest: back to the run loop, which
 *                         can reschedule and see signals
 *   EPT violation         EPT built on demand from the memslots, or MMIO
 *   #AC                   always: one its own delivery raises again would
 *                         hang the CPU (vmx.h); given back to the guest
 *   #DB, #BP              only while userspace debugs the guest
 *                         (KVM_SET_GUEST_DEBUG, vmx_debug.c); a guest's
 *                         own #DB is not intercepted (a known gap: KVM
 *                         intercepts it always, Documentation/design.md)
 *
 * Context: process context, preemption enabled, vCPU mutex held.  The
 * handlers work on the values vmx_vcpu.c cached at the exit; those that
 * need the VMCS itself take it with vmx_vmcs_get()/vmx_vmcs_put().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": vmx: " fmt

#include <linux/bitfield.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

#include "minikvm.h"
#include "vmcs.h"
#include "vmx.h"

#define X86_VEC_UD	6
#define X86_VEC_GP	13

static int vmx_inject_gp(struct mkvm_vcpu *vcpu)
{
	mkvm_x86_queue_exception(vcpu, X86_VEC_GP, true, 0);
	return 1;
}

/*
 * RIP past the instruction that exited: the VM-exit instruction length is
 * valid for every exit handled this way (SDM Vol. 3C, "VM-Exit
 * Instruction Length").  An STI or MOV SS shadow ends with it.
 */
static void vmx_skip(struct vmx_vcpu *vmx)
{
	vmx->rip += vmx->insn_len;
	vmx->clear_blocking = true;
}

/* GPR @n in the architectural order of exit qualifications. */
static u64 *vmx_gpr(struct vmx_vcpu *vmx, unsigned int n)
{
	if (n == 4)
		return &vmx->rsp;
	return &((u64 *)&vmx->gprs)[n & 15];
}

static int vmx_exit_host_event(struct mkvm_vcpu *vcpu)
{
	return 1;	/* the host handled it right after the exit */
}

/* The host's external interrupt, handled at the exit: KVM's irq_exits. */
static int vmx_exit_ext_intr(struct mkvm_vcpu *vcpu)
{
	vcpu->stat->irq_exits++;
	return 1;
}

/*
 * Exit reason 0: NMIs, and #DB/#BP while userspace debugs the guest (the
 * only exception bitmap bits, vmx_debug.c).
 */
static int vmx_exit_exception_nmi(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	u32 vector = vmx->exit_intr_info & VMX_INTR_VECTOR;

	if ((vmx->exit_intr_info & VMX_INTR_TYPE) == VMX_INTR_TYPE_NMI)
		return 1;	/* vmx_do_nmi_irqoff() ran it */
	if (vector == 1 || vector == 3)
		return vmx_debug_exception(vcpu);
	/* Always intercepted (vmx.h): back to the guest, error code 0. */
	if (vector == VMX_AC_VECTOR) {
		mkvm_x86_queue_exception(vcpu, VMX_AC_VECTOR, true, 0);
		return 1;
	}
	return 0;	/* unhandled: KVM_EXIT_INTERNAL_ERROR */
}

static int vmx_exit_ud(struct mkvm_vcpu *vcpu)
{
	mkvm_x86_queue_exception(vcpu, X86_VEC_UD, false, 0);
	return 1;
}

/* KVM moves RIP past HLT before KVM_EXIT_HLT. */
static int vmx_exit_hlt(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;

	vmx_skip(vmx);
	/* With the in-kernel APIC the vCPU sleeps here (lapic.c). */
	if (vcpu->lapic)
		return mkvm_lapic_halt(vcpu, vmx->rflags & X86_EFLAGS_IF);
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return 0;
}

/* INVD would discard dirty lines, the host's included (SDM Vol. 2A, "INVD"). */
static int vmx_exit_invd(struct mkvm_vcpu *vcpu)
{
	vmx_skip(vcpu->be);
	return 1;
}

/*
 * A triple fault: KVM_EXIT_SHUTDOWN.  The state stays as the fault left
 * it, as KVM leaves it on VMX (only SVM's VMCB is undefined after it).
 */
static int vmx_exit_triple_fault(struct mkvm_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

/*
 * IN/OUT/INS/OUTS: the exit qualification gives size, direction, string,
 * REP and port (SDM Vol. 3C, Table "Exit Qualification for I/O
 * Instructions").  String I/O goes through the shared emulation.
 */
static int vmx_exit_io(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	u64 qual = vmx->exit_qual;
	u8 size = FIELD_GET(VMX_IO_QUAL_SIZE, qual) + 1;
	u16 port = FIELD_GET(VMX_IO_QUAL_PORT, qual);
	bool in = qual & VMX_IO_QUAL_IN;
	u64 next_rip = vmx->rip + vmx->insn_len;

	if (qual & VMX_IO_QUAL_STRING) {
		int r;

		vmx_vcpu_save_state(vcpu);
		r = mkvm_x86_string_io(vcpu, port, size, in,
				       qual & VMX_IO_QUAL_REP, next_rip);
		vmx_vcpu_load_state(vcpu);
		return r;
	}
	mkvm_x86_exit_io(&vcpu->arch, vcpu->run, page_address(vcpu->pio_page),
			 port, size, in, vmx->gprs.rax, next_rip);
	return mkvm_x86_pio_in_kernel(vcpu);
}

/* CPUID: the guest's CPUID, cpuid.c, for the guest's own CR4. */
static int vmx_exit_cpuid(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	u32 a = vmx->gprs.rax, b, c = vmx->gprs.rcx, d;
	u64 cr4;
	int r;

	r = vmx_vmcs_get(vcpu);
	if (r)
		return r;
	cr4 = vmx_read_cr4();
	r = vmx_vmcs_put(vcpu);
	if (r)
		return r;
	mkvm_x86_cpuid(vcpu, cr4, &a, &b, &c, &d);
	vmx->gprs.rax = a;
	vmx->gprs.rbx = b;
	vmx->gprs.rcx = c;
	vmx->gprs.rdx = d;
	vmx_skip(vmx);
	return 1;
}

/*
 * XSETBV always exits (SDM Vol. 3C, "Instructions That Cause VM Exits
 * Unconditionally"), after its #UD for CR4.OSXSAVE clear.  XCR0 through
 * the shared rules (arch/x86/fpu.c); the CPL is SS.DPL (SDM Vol. 3C,
 * "Checks on Guest Segment Registers").
 */
static int vmx_exit_xsetbv(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	unsigned int cpl;
	u64 cr4;
	int r;

	r = vmx_vmcs_get(vcpu);
	if (r)
		return r;
	cr4 = vmx_read_cr4();
	cpl = (vmcs_read32(VMCS_GUEST_ES_AR + 2 * VMCS_SEG_SS) >> VMX_AR_DPL_SHIFT) & 3;
	r = vmx_vmcs_put(vcpu);
	if (r)
		return r;
	r = mkvm_x86_xsetbv(vcpu, cr4, cpl, vmx->gprs.rcx, vmx->gprs.rax,
			    vmx->gprs.rdx);
	if (r)
		mkvm_x86_queue_exception(vcpu, r, r == X86_VEC_GP, 0);
	else
		vmx_skip(vmx);
	return 1;
}

/*
 * MOV to CR0 on the saved state, with the checks of SDM Vol. 2B, "MOV—Move
 * to/from Control Registers" (#GP cases) and the IA-32e mode switch of
 * Vol. 3A, "Initializing IA-32e Mode": setting PG with EFER.LME activates
 * IA-32e mode (EFER.LMA), clearing it deactivates it.  ET is hardwired
 * to 1.  Return: 0, or -EINVAL for #GP(0).
 */
static int vmx_set_cr0(struct kvm_sregs *s, u64 val)
{
	bool mode64 = (s->efer & EFER_LMA) && s->cs.l;
	u64 old = s->cr0;

	if (!mode64)
		val = (u32)val;
	if ((val >> 32) || ((val & X86_CR0_NW) && !(val & X86_CR0_CD)) ||
	    ((val & X86_CR0_PG) && !(val & X86_CR0_PE)))
		return -EINVAL;
	if (!(old & X86_CR0_PG) && (val & X86_CR0_PG) && (s->efer & EFER_LME)) {
		if (!(s->cr4 & X86_CR4_PAE) || s->cs.l)
			return -EINVAL;
		s->efer |= EFER_LMA;
	}
	if ((old & X86_CR0_PG) && !(val & X86_CR0_PG) && (s->efer & EFER_LMA)) {
		if (mode64)
			return -EINVAL;
		s->efer &= ~EFER_LMA;
	}
	s->cr0 = val | X86_CR0_ET;
	return 0;
}

/*
 * A write to CR0 that changes a bit minikvm owns (MOV or LMSW), done on
 * the saved state; the guest's TLB goes when CR0 changed (PG, WP, CD).
 */
static int vmx_write_cr0_exit(struct mkvm_vcpu *vcpu, u64 val, bool lmsw)
{
	struct vmx_vcpu *vmx = vcpu->be;
	struct kvm_sregs *s = &vcpu->arch.sregs;
	u64 old;
	int r;

	vmx_vcpu_save_state(vcpu);
	old = s->cr0;
	/* LMSW loads CR0[3:0] but cannot clear PE (SDM Vol. 2A, "LMSW"). */
	if (lmsw)
		val = (old & ~0xeULL) | (val & 0xf);
	r = vmx_set_cr0(s, val);
	if (!r)
		vcpu->arch.regs.rip += vmx->insn_len;
	vmx_vcpu_load_state(vcpu);
	if (r)
		return vmx_inject_gp(vcpu);
	if (s->cr0 != old)
		vmx->flush_tlb = true;
	return 1;
}

/* MOV to CR4: the shared rules (x86.c), RIP past it on success. */
static int vmx_write_cr4_exit(struct mkvm_vcpu *vcpu, unsigned int gpr)
{
	struct vmx_vcpu *vmx = vcpu->be;
	u64 old;
	bool gp;
	int r;

	vmx_vcpu_save_state(vcpu);
	old = vcpu->arch.sregs.cr4;
	r = mkvm_x86_write_cr4(vcpu, gpr, vmx->insn_len, &gp);
	vmx_vcpu_load_state(vcpu);
	if (gp)
		return vmx_inject_gp(vcpu);
	/* Paging bits (PGE, PAE, PSE...) changed: drop the guest's TLB. */
	if (vcpu->arch.sregs.cr4 != old)
		vmx->flush_tlb = true;
	return r;
}

/*
 * Control-register accesses that exit (SDM Vol. 3C, Table "Exit
 * Qualification for Control-Register Accesses"): MOV to CR0/CR4 and LMSW
 * changing owned bits; CR8 only if the CPU forces CR8 exiting despite the
 * TPR shadow, then served from the virtual-APIC page.
 */
static int vmx_exit_cr_access(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	u64 qual = vmx->exit_qual;
	unsigned int cr = FIELD_GET(VMX_CR_QUAL_CR, qual);
	unsigned int gpr = FIELD_GET(VMX_CR_QUAL_GPR, qual);
	u64 *reg = vmx_gpr(vmx, gpr);

	switch (FIELD_GET(VMX_CR_QUAL_TYPE, qual)) {
	case VMX_CR_TYPE_MOV_TO:
		if (cr == 0)
			return vmx_write_cr0_exit(vcpu, *reg, false);
		if (cr == 4)
			return vmx_write_cr4_exit(vcpu, gpr);
		if (cr == 8) {
			if (*reg & ~0xfULL)
				return vmx_inject_gp(vcpu);
			vmx->vapic[0x80] = *reg << 4;
			vmx_skip(vmx);
			return 1;
		}
		break;
	case VMX_CR_TYPE_MOV_FROM:
		if (cr == 8) {
			*reg = vmx->vapic[0x80] >> 4;
			vmx_skip(vmx);
			return 1;
		}
		break;
	case VMX_CR_TYPE_LMSW:
		return vmx_write_cr0_exit(vcpu, FIELD_GET(VMX_CR_QUAL_LMSW_DATA,
							  qual), true);
	}
	return 0;
}

/*
 * MSRs the VMCS holds (SDM Vol. 3C, "Guest Register State"): FS/GS base,
 * SYSENTER_*, PAT and EFER.  Return: 0, -EINVAL for #GP, -EIO when the
 * VMCS failed.
 */
static int vmx_msr_vmcs(struct mkvm_vcpu *vcpu, u32 msr, u64 *val,
			bool write)
{
	int r = vmx_vmcs_get(vcpu), err = 0;
	u64 efer;

	if (r)
		return r;
	switch (msr) {
	case MSR_FS_BASE:
		if (write)
			vmcs_writel(VMCS_GUEST_FS_BASE, *val);
		else
			*val = vmcs_readl(VMCS_GUEST_FS_BASE);
		break;
	case MSR_GS_BASE:
		if (write)
			vmcs_writel(VMCS_GUEST_GS_BASE, *val);
		else
			*val = vmcs_readl(VMCS_GUEST_GS_BASE);
		break;
	case MSR_IA32_SYSENTER_CS:
		if (write)
			vmcs_write32(VMCS_GUEST_SYSENTER_CS, *val);
		else
			*val = vmcs_read32(VMCS_GUEST_SYSENTER_CS);
		break;
	case MSR_IA32_SYSENTER_ESP:
		if (write)
			vmcs_writel(VMCS_GUEST_SYSENTER_ESP, *val);
		else
			*val = vmcs_readl(VMCS_GUEST_SYSENTER_ESP);
		break;
	case MSR_IA32_SYSENTER_EIP:
		if (write)
			vmcs_writel(VMCS_GUEST_SYSENTER_EIP, *val);
		else
			*val = vmcs_readl(VMCS_GUEST_SYSENTER_EIP);
		break;
	case MSR_IA32_CR_PAT:
		if (!write)
			*val = vmcs_read64(VMCS_GUEST_PAT);
		else if (mkvm_x86_pat_valid(*val))
			vmcs_write64(VMCS_GUEST_PAT, *val);
		else
			err = -EINVAL;
		break;
	case MSR_EFER:
		/*
		 * LMA is the CPU's to set, and LME cannot change while paging
		 * is on (SDM Vol. 3A, "Initializing IA-32e Mode").
		 */
		efer = vmcs_read64(VMCS_GUEST_EFER);
		if (!write)
			*val = efer;
		else if (!mkvm_x86_efer_guest_valid(&vcpu->arch, *val) ||
			 (((*val ^ efer) & EFER_LME) &&
			  (vmx_read_cr0() & X86_CR0_PG)))
			err = -EINVAL;
		else
			vmx_write_efer(vcpu, (*val & ~EFER_LMA) |
				       (efer & EFER_LMA));
		break;
	}
	r = vmx_vmcs_put(vcpu);
	return r ? r : err;
}

/*
 * The MSRs a guest may use (@write: WRMSR with *val; else RDMSR into
 * *val): the syscall MSRs, which the VMCS lacks, are the vCPU's own and
 * switched around each entry (vmx_vcpu.c); those in the VMCS above; the
 * rest is shared with SVM (msr.c).  Also mkvm_backend.msr_access for
 * KVM_GET/SET_MSRS of the syscall MSRs, SYSENTER_* and PAT, between runs.
 * Return: 0, -EINVAL for #GP, -EIO.
 */
int vmx_msr_access(struct mkvm_vcpu *vcpu, u32 msr, u64 *val,
			  bool write)
{
	struct vmx_vcpu *vmx = vcpu->be;
	u64 *field;

	switch (msr) {
	case MSR_STAR:
		field = &vmx->star;
		break;
	case MSR_LSTAR:
		field = &vmx->lstar;
		break;
	case MSR_CSTAR:
		field = &vmx->cstar;
		break;
	case MSR_SYSCALL_MASK:
		field = &vmx->sfmask;
		break;
	case MSR_KERNEL_GS_BASE:
		field = &vmx->kernel_gs_base;
		break;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_SYSENTER_CS:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
	case MSR_IA32_CR_PAT:
	case MSR_EFER:
		field = NULL;
		break;
	default:
		return mkvm_x86_msr_common(vcpu, msr, val, write) ? -EINVAL : 0;
	}
	/* Addresses must be canonical (SDM Vol. 4, and "WRMSR" #GP cases). */
	if (write && msr != MSR_STAR && msr != MSR_SYSCALL_MASK &&
	    msr != MSR_IA32_SYSENTER_CS && msr != MSR_IA32_CR_PAT &&
	    msr != MSR_EFER &&
	    !mkvm_x86_is_canonical(*val))
		return -EINVAL;
	/*
	 * IA32_FMASK bits 63:32 are reserved (SDM Vol. 4): the value goes to
	 * the real MSR at every entry, so refuse it here (#GP), as KVM's
	 * checked write does.
	 */
	if (write && msr == MSR_SYSCALL_MASK && (*val >> 32))
		return -EINVAL;
	if (!field)
		return vmx_msr_vmcs(vcpu, msr, val, write);
	/* The guest's values may be in the MSRs (vmx_switch_to_guest()). */
	preempt_disable();
	vmx_switch_to_host(vmx);
	preempt_enable();
	if (write)
		*field = *val;
	else
		*val = *field;
	return 0;
}

/* RDMSR/WRMSR: ECX the MSR, EDX:EAX the value; #GP when refused. */
static int vmx_exit_msr(struct mkvm_vcpu *vcpu, bool write)
{
	struct vmx_vcpu *vmx = vcpu->be;
	u32 msr = vmx->gprs.rcx;
	u64 val = (vmx->gprs.rdx << 32) | (u32)vmx->gprs.rax;
	int r = vmx_msr_access(vcpu, msr, &val, write);

	if (r == -EINVAL)
		return vmx_inject_gp(vcpu);
	if (r)
		return r;
	if (!write) {
		vmx->gprs.rax = (u32)val;
		vmx->gprs.rdx = val >> 32;
	}
	vmx_skip(vmx);
	return 1;
}

static int vmx_exit_rdmsr(struct mkvm_vcpu *vcpu)
{
	return vmx_exit_msr(vcpu, false);
}

static int vmx_exit_wrmsr(struct mkvm_vcpu *vcpu)
{
	return vmx_exit_msr(vcpu, true);
}

/*
 * An EPT violation: the guest-physical address is in the VMCS and the
 * exit qualification says whether it was a write (SDM Vol. 3C, "EPT
 * Violations").  VMX has no decode assists: MMIO is decoded from guest
 * memory.
 */
static int vmx_exit_ept_violation(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;

	return mkvm_x86_tdp_fault(vcpu, vmx->exit_gpa,
				  vmx->exit_qual & VMX_EPT_QUAL_WRITE, NULL, 0);
}

/* minikvm never writes a misconfigured EPT entry: a bug, reported. */
static int vmx_exit_ept_misconfig(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;

	pr_err_ratelimited("EPT misconfiguration at guest-physical %#llx\n",
			   vmx->exit_gpa);
	return 0;	/* KVM_EXIT_INTERNAL_ERROR */
}

/* The handler of EXIT_REASON_<reason> and its name, <reason>. */
#define VMX_EXIT(reason, handler) \
	[EXIT_REASON_##reason] = { .fn = handler, .name = #reason }

const struct mkvm_exit_handler vmx_exit_handlers[EXIT_REASON_MAX] = {
	VMX_EXIT(EXCEPTION_NMI, vmx_exit_exception_nmi),
	VMX_EXIT(EXT_INTR, vmx_exit_ext_intr),
	VMX_EXIT(TRIPLE_FAULT, vmx_exit_triple_fault),
	VMX_EXIT(INIT, vmx_exit_host_event),
	VMX_EXIT(SIPI, vmx_exit_host_event),
	VMX_EXIT(INTR_WINDOW, vmx_exit_intr_window),
	VMX_EXIT(NMI_WINDOW, vmx_exit_nmi_window),
	VMX_EXIT(SMI, vmx_exit_host_event),
	VMX_EXIT(CPUID, vmx_exit_cpuid),
	VMX_EXIT(GETSEC, vmx_exit_ud),
	VMX_EXIT(HLT, vmx_exit_hlt),
	VMX_EXIT(INVD, vmx_exit_invd),
	VMX_EXIT(RDPMC, vmx_inject_gp),
	VMX_EXIT(RSM, vmx_exit_ud),
	VMX_EXIT(VMCALL, vmx_exit_ud),
	VMX_EXIT(VMCLEAR, vmx_exit_ud),
	VMX_EXIT(VMLAUNCH, vmx_exit_ud),
	VMX_EXIT(VMPTRLD, vmx_exit_ud),
	VMX_EXIT(VMPTRST, vmx_exit_ud),
	VMX_EXIT(VMREAD, vmx_exit_ud),
	VMX_EXIT(VMRESUME, vmx_exit_ud),
	VMX_EXIT(VMWRITE, vmx_exit_ud),
	VMX_EXIT(VMXOFF, vmx_exit_ud),
	VMX_EXIT(VMXON, vmx_exit_ud),
	VMX_EXIT(CR_ACCESS, vmx_exit_cr_access),
	VMX_EXIT(IO, vmx_exit_io),
	VMX_EXIT(RDMSR, vmx_exit_rdmsr),
	VMX_EXIT(WRMSR, vmx_exit_wrmsr),
	VMX_EXIT(MWAIT, vmx_exit_ud),
	VMX_EXIT(MONITOR, vmx_exit_ud),
	VMX_EXIT(PAUSE, vmx_exit_host_event),
	VMX_EXIT(EPT_VIOLATION, vmx_exit_ept_violation),
	VMX_EXIT(EPT_MISCONFIG, vmx_exit_ept_misconfig),
	VMX_EXIT(INVEPT, vmx_exit_ud),
	VMX_EXIT(PREEMPTION_TIMER, vmx_exit_host_event),
	VMX_EXIT(INVVPID, vmx_exit_ud),
	VMX_EXIT(XSETBV, vmx_exit_xsetbv),
	VMX_EXIT(VMFUNC, vmx_exit_ud),
};

/**
 * vmx_handle_exit() - dispatch the VM exit just taken
 * @vcpu: the vCPU
 *
 * Return: as the handlers (file header).
 */
int vmx_handle_exit(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	u32 reason = vmx->exit_reason;
	u32 basic = reason & EXIT_REASON_BASIC;
	int (*fn)(struct mkvm_vcpu *vcpu) = NULL;
	u64 rip;
	int r;

	/* The guest's MOV CR8 went to the TPR shadow (vmx_event_inject()). */
	if (vcpu->lapic)
		mkvm_lapic_tpr_sync(vcpu, vmx->vapic[0x80], &vmx->lapic_tpr,
				    0xff);

	/*
	 * Every exit is counted and traced, failed entries (bit 31) as
	 * "other".  vmx_read_exit() already read what the trace records:
	 * the exit qualification, and the guest-physical address of EPT
	 * exits or else the VM-exit interruption information (SDM Vol. 3C,
	 * "VM-Exit Information Fields").
	 */
	mkvm_stat_exit(vcpu, reason & EXIT_REASON_FAILED_ENTRY ?
		       MKVM_STAT_EXIT_OTHER : basic, reason, vmx->exit_qual,
		       basic == EXIT_REASON_EPT_VIOLATION ||
		       basic == EXIT_REASON_EPT_MISCONFIG ? vmx->exit_gpa :
		       vmx->exit_intr_info, vmx->rip);
	/*
	 * A failed VM entry (invalid guest state, MSR loading, machine
	 * check): the guest never ran (SDM Vol. 3C, "VM-Entry Failures During
	 * or After Loading Guest State"); vmx_fail.c names the rule broken.
	 */
	if (reason & EXIT_REASON_FAILED_ENTRY)
		return vmx_explain_entry(vcpu, reason);
	if (basic < EXIT_REASON_MAX)
		fn = vmx_exit_handlers[array_index_nospec(basic, EXIT_REASON_MAX)].fn;
	if (!fn)
		return mkvm_x86_exit_unhandled(vcpu, reason);
	vcpu->run->exit_reason = KVM_EXIT_UNKNOWN;
	rip = vmx->rip;
	r = fn(vcpu);
	/* A handler that went to userspace without saying why: not handled. */
	if (r == 0 && vcpu->run->exit_reason == KVM_EXIT_UNKNOWN)
		return mkvm_x86_exit_unhandled(vcpu, reason);
	/* An instruction completed here under TF: its trap (debug.c). */
	if (r == 1 && (vmx->rflags & X86_EFLAGS_TF) && vmx->rip != rip)
		r = vmx_debug_step(vcpu);
	if (r == 1 && vmx_irq_window_open(vcpu))
		return 0;
	return r;
}
