// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMX guest debugging: the debug registers, exception bitmap and event
 * injection that arch/x86/debug.c chooses, put into the vCPU and its VMCS,
 * the #DB/#BP exits that end in KVM_EXIT_DEBUG, and the guest's own #DBs,
 * given back to it.
 *
 * DR7 is in the VMCS (the "load debug controls" entry control and "save
 * debug controls" exit control, SDM Vol. 3C, "VM-Entry Controls", "VM-Exit
 * Controls"); DR0-DR3 and DR6 are not: vmx_vcpu_run() swaps them around
 * the entry (vmx->dr, vmx->dr6).  A #DB that causes a VM exit does not
 * change DR6: the exit qualification holds the bits it would have set
 * (SDM Vol. 3C, "Exit Qualification for Debug Exceptions").
 *
 * Context: process context, vCPU mutex held, the vCPU not in the guest;
 * vmx_debug_prepare_entry() with the VMCS current and preemption off.
 */
#include "minikvm.h"
#include "vmcs.h"
#include "vmx.h"

#define VMX_BP_VECTOR	3
/* Pending debug exceptions, bit 14: a single-step trap (SDM Vol. 3C). */
#define VMX_PENDING_DBG_BS	BIT(14)
/* The exit qualification of a #DB, bit 13: general detect (BD). */
#define VMX_DB_QUAL_BD		BIT(13)
/* DR7.GD, bit 13: MOV DR raises #DB (SDM Vol. 3B, "Debug Control Register"). */
#define VMX_DR7_GD		BIT(13)

/**
 * vmx_debug_load() - the debug state into the vCPU (with the registers)
 * @vcpu: the vCPU
 *
 * Called by vmx_vcpu_load_state(); the VMCS part follows at the next entry
 * (vmx_debug_prepare_entry()).  An exception KVM_SET_GUEST_DEBUG asked to
 * inject is queued here, once: #BP as the INT3 userspace intercepted would
 * have raised it, RIP past the instruction.
 */
void vmx_debug_load(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	struct mkvm_x86_debug *d = &vcpu->arch.dbg;
	u64 db[4], dr7;
	int i;

	mkvm_x86_debug_regs(&vcpu->arch, db, &dr7);
	for (i = 0; i < 4; i++)
		vmx->dr[i] = db[i];
	vmx->dr6 = mkvm_x86_debug_entry_dr6(&vcpu->arch);
	if (d->inject < 0)
		return;
	if (d->inject == VMX_BP_VECTOR)
		vmx->rip += d->bp_len;
	mkvm_x86_queue_exception(vcpu, d->inject, false, 0);
	d->inject = -1;
}

/**
 * vmx_debug_prepare_entry() - the VMCS part, before an entry
 * @vcpu: the vCPU
 * @loaded: vmx_debug_load() ran since the last entry
 *
 * While single-stepping, an STI or MOV SS shadow is dropped before each
 * entry, as KVM does: VM entry refuses RFLAGS.TF with such blocking unless
 * the pending debug exceptions say BS (SDM Vol. 3C, "Checks on Guest
 * Non-Register State"), and the single-step trap is userspace's anyway.
 */
void vmx_debug_prepare_entry(struct mkvm_vcpu *vcpu, bool loaded)
{
	struct vmx_vcpu *vmx = vcpu->be;
	u64 db[4], dr7;

	if (loaded) {
		mkvm_x86_debug_regs(&vcpu->arch, db, &dr7);
		vmcs_writel(VMCS_GUEST_DR7, dr7);
		/* Bit n of the exception bitmap: vector n exits. */
		vmcs_write32(VMCS_EXCEPTION_BITMAP,
			     mkvm_x86_debug_intercepts(&vcpu->arch) |
			     VMX_EXC_ALWAYS);
	}
	if (vcpu->arch.dbg.control & KVM_GUESTDBG_SINGLESTEP)
		vmx->clear_blocking = true;
}

/**
 * vmx_debug_save() - the guest's debug registers back
 * @vcpu: the vCPU, its VMCS current (vmx_vcpu_save_state())
 */
void vmx_debug_save(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	u64 db[4] = { vmx->dr[0], vmx->dr[1], vmx->dr[2], vmx->dr[3] };

	mkvm_x86_debug_save(&vcpu->arch, db, vmcs_readl(VMCS_GUEST_DR7),
			    vmx->dr6);
}

/*
 * A #DB that is the guest's own (userspace neither single-steps nor has
 * hardware breakpoints): given back to the guest.  The exit came before
 * the delivery and left DR6 and DR7 alone (SDM Vol. 3C, "Exit
 * Qualification for Debug Exceptions"), so what the delivery would have
 * done to them is done here, then the #DB is injected:
 *  - DR6 gets the bits the exit qualification reports (mkvm_x86_dr6_db());
 *  - DR7.GD is cleared for a general-detect #DB, as the CPU clears it on
 *    entering the handler (SDM Vol. 3B, "Debug Control Register (DR7)");
 *  - ICEBP (INT1) exits as a privileged software exception with RIP on
 *    the instruction (SDM Vol. 3C, "Exception Bitmap"; "VM-Exit
 *    Instruction Length"): RIP moves past it, and the #DB it raises is a
 *    trap that reports no condition in DR6;
 *  - a single-step trap taken in an STI or MOV SS shadow: VM entry with
 *    RFLAGS.TF set and such blocking insists on BS in the pending debug
 *    exceptions (SDM Vol. 3C, "Checks on Guest Non-Register State"), which
 *    a #DB exit does not record, so BS goes there.
 * The guest gets each #DB through the host, so one that its own delivery
 * raises again loops through VM exits, which take the host's interrupts.
 */
static int vmx_debug_reflect(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	bool icebp = (vmx->exit_intr_info & VMX_INTR_TYPE) ==
		     VMX_INTR_TYPE_PRIV_SOFT_EXC;
	u64 cause = icebp ? 0 : vmx->exit_qual;
	int r;

	r = vmx_vmcs_get(vcpu);
	if (r)
		return r;
	if (cause & VMX_DB_QUAL_BD)
		vmcs_writel(VMCS_GUEST_DR7,
			    vmcs_readl(VMCS_GUEST_DR7) & ~VMX_DR7_GD);
	if (!icebp && (vmx->rflags & X86_EFLAGS_TF) &&
	    (vmx->blocking & VMX_BLOCKING_STI_MOV_SS))
		vmcs_writel(VMCS_GUEST_PENDING_DBG,
			    vmcs_readl(VMCS_GUEST_PENDING_DBG) |
			    VMX_PENDING_DBG_BS);
	r = vmx_vmcs_put(vcpu);
	if (r)
		return r;
	if (icebp) {
		vmx->rip += vmx->insn_len;
		vmx->clear_blocking = true;
	}
	vmx->dr6 = mkvm_x86_dr6_db(vmx->dr6, cause);
	mkvm_x86_queue_exception(vcpu, VMX_DB_VECTOR, false, 0);
	return 1;
}

/**
 * vmx_debug_exception() - a #DB or #BP exit
 * @vcpu: the vCPU
 *
 * #BP is in the exception bitmap only with userspace's software
 * breakpoints, #DB always (vmx.h, VMX_EXC_ALWAYS).  While userspace
 * single-steps or has hardware breakpoints, every #DB is userspace's, as
 * on KVM: KVM_EXIT_DEBUG, and so is every #BP.  Otherwise the #DB is the
 * guest's (vmx_debug_reflect()).  For KVM_EXIT_DEBUG RIP is on the INT3
 * for #BP (its length is the exit's instruction length), on the
 * instruction for a fault-class #DB and after it for a trap.
 *
 * Return: 0 to userspace, 1 to enter the guest again, or an errno if the
 * VMCS cannot be reached.
 */
int vmx_debug_exception(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	u8 vector = vmx->exit_intr_info & VMX_INTR_VECTOR;
	u64 dr7;
	int r;

	if (vector == VMX_DB_VECTOR &&
	    !(mkvm_x86_debug_intercepts(&vcpu->arch) & BIT(VMX_DB_VECTOR)))
		return vmx_debug_reflect(vcpu);
	if (vector == VMX_BP_VECTOR) {
		vcpu->arch.dbg.bp_len = vmx->insn_len;
		vmx_vcpu_save_state(vcpu);
		return mkvm_x86_debug_exit(vcpu, vector, 0, 0);
	}
	r = vmx_vmcs_get(vcpu);
	if (r)
		return r;
	dr7 = vmcs_readl(VMCS_GUEST_DR7);
	r = vmx_vmcs_put(vcpu);
	if (r)
		return r;
	vmx_vcpu_save_state(vcpu);
	return mkvm_x86_debug_exit(vcpu, vector,
				   vmx->exit_qual | MKVM_DR6_RESET, dr7);
}

/**
 * vmx_debug_step() - an instruction a handler completed ran under TF
 * @vcpu: the vCPU, RIP past the instruction
 *
 * Its single-step trap, through the x86 state (mkvm_x86_debug_step()).
 * The trap is raised here, so a BS the exit may have left in the pending
 * debug exceptions (Bochs records one for an instruction that exits with
 * TF set) is dropped, lest the guest see the trap twice (SDM Vol. 3C,
 * "Guest Non-Register State").
 *
 * Return: 0 to userspace (KVM_EXIT_DEBUG), 1 to enter the guest again, or
 * an errno if the VMCS cannot be reached.
 */
int vmx_debug_step(struct mkvm_vcpu *vcpu)
{
	unsigned long pending;
	int r;

	r = vmx_vmcs_get(vcpu);
	if (r)
		return r;
	pending = vmcs_readl(VMCS_GUEST_PENDING_DBG);
	if (pending & VMX_PENDING_DBG_BS)
		vmcs_writel(VMCS_GUEST_PENDING_DBG, pending & ~VMX_PENDING_DBG_BS);
	r = vmx_vmcs_put(vcpu);
	if (r)
		return r;
	vmx_vcpu_save_state(vcpu);
	r = mkvm_x86_debug_step(vcpu);
	if (r)
		vmx_vcpu_load_state(vcpu);
	return r;
}
