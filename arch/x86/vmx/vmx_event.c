// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMX events: what arch/x86/events.c chose goes into the VM-entry
 * interruption-information field, the IDT-vectoring information comes back
 * after the exit, and the interrupt and NMI windows are exits the CPU takes
 * when the guest opens them (SDM Vol. 3C, "VM-Entry Controls for Event
 * Injection", "Information for VM Exits That Occur During Event Delivery",
 * "Interrupt-Window Exiting and Virtual-Interrupt Delivery", "NMI-Window
 * Exiting").
 *
 * NMI blocking is the CPU's: with the "virtual NMIs" control an injected
 * NMI sets blocking by NMI in the interruptibility state, and the guest's
 * IRET clears it (SDM Vol. 3C, "Changes to Instruction Behavior in VMX
 * Non-Root Operation": IRET; "Virtual-NMI Blocking").  vcpu->arch.ev keeps
 * a copy between two KVM_RUNs (vmx_event_save() / vmx_event_load()).
 *
 * Context: process context, vCPU mutex held; the VMCS is current in
 * vmx_event_inject(), vmx_event_complete() and vmx_event_load().
 */
#include "minikvm.h"
#include "vmcs.h"
#include "vmx.h"

/* The VM-entry interruption type of each kind of event. */
static const u32 vmx_intr_type[] = {
	[MKVM_EVENT_EXC] = VMX_INTR_TYPE_HW_EXCEPTION,
	[MKVM_EVENT_NMI] = VMX_INTR_TYPE_NMI,
	[MKVM_EVENT_IRQ] = VMX_INTR_TYPE_EXT,
	[MKVM_EVENT_SOFT_IRQ] = VMX_INTR_TYPE_SOFT_INTR,
};

/**
 * vmx_event_inject() - the event and the window exits of the next entry
 * @vcpu: the vCPU
 *
 * VM entry refuses an external interrupt with RFLAGS.IF clear or in an
 * STI/MOV SS shadow, and an NMI in a MOV SS shadow (SDM Vol. 3C, "Checks on
 * Guest Non-Register State"): an interrupt userspace injected at the wrong
 * time makes the entry fail with invalid guest state, on kvm_intel as
 * here.  A real-mode guest gets no error code: unrestricted guest makes
 * VM entry insist on that ("Checks on VM-Entry Control Fields").
 */
void vmx_event_inject(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	u32 blocking = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
	struct mkvm_x86_event ev;
	u32 info = 0, windows = 0;
	bool nmi_wait;

	/* CR8 is the TPR shadow: the in-kernel APIC's TPR (vmx_vcpu.c). */
	if (vcpu->lapic)
		vmx->vapic[0x80] = mkvm_lapic_tpr_sync(vcpu, vmx->vapic[0x80],
						       &vmx->lapic_tpr, 0xff);

	nmi_wait = mkvm_x86_event_next(vcpu, blocking &
				       (VMX_BLOCKING_STI_MOV_SS |
					VMX_INTERRUPTIBILITY_NMI),
				       (blocking & VMX_BLOCKING_STI_MOV_SS) ||
				       !(vmx->rflags & X86_EFLAGS_IF), &ev);
	if (ev.type != MKVM_EVENT_NONE) {
		info = ev.vector | vmx_intr_type[ev.type] | VMX_INTR_VALID;
		if (ev.has_err && (vmcs_readl(VMCS_GUEST_CR0) & X86_CR0_PE))
			info |= VMX_INTR_ERR_VALID;
		vmcs_write32(VMCS_ENTRY_EXCEPTION_ERR, ev.err);
		/* INT n is two bytes (CD ib). */
		if (ev.type == MKVM_EVENT_SOFT_IRQ)
			vmcs_write32(VMCS_ENTRY_INSN_LEN, 2);
	}
	vmcs_write32(VMCS_ENTRY_INTR_INFO, info);
	/*
	 * NMI-window exiting does not wait for the end of an STI shadow (SDM
	 * Vol. 3C, "NMI-Window Exiting"), which still blocks the injection:
	 * the interrupt window does (STI set IF), as KVM does it.
	 */
	if (nmi_wait && (blocking & VMX_INTERRUPTIBILITY_STI))
		windows |= VMX_PROC_INTR_WINDOW_EXITING;
	else if (nmi_wait)
		windows |= VMX_PROC_NMI_WINDOW_EXITING;
	if (mkvm_x86_irq_window_wanted(vcpu))
		windows |= VMX_PROC_INTR_WINDOW_EXITING;
	if (windows != vmx->windows) {
		vmcs_write32(VMCS_PROC_CTLS, vmx_cfg.proc | windows);
		vmx->windows = windows;
	}
}

/**
 * vmx_event_complete() - after an exit during event delivery
 * @vcpu: the vCPU
 * @info: the IDT-vectoring information
 * @err: its error code
 *
 * The event goes back to vcpu->arch.ev, to be injected again.  INT n, INT3,
 * INTO and INT1 are not: RIP is still on the instruction, which raises them
 * again.
 */
void vmx_event_complete(struct mkvm_vcpu *vcpu, u32 info, u32 err)
{
	struct vmx_vcpu *vmx = vcpu->be;
	struct mkvm_x86_event ev = {
		.vector = info & VMX_INTR_VECTOR,
		.has_err = info & VMX_INTR_ERR_VALID,
		.err = err,
	};

	if (!(info & VMX_INTR_VALID))
		return;
	switch (info & VMX_INTR_TYPE) {
	case VMX_INTR_TYPE_EXT:
		ev.type = MKVM_EVENT_IRQ;
		break;
	case VMX_INTR_TYPE_NMI:
		ev.type = MKVM_EVENT_NMI;
		/*
		 * The exit left virtual-NMI blocking set, and an entry that
		 * injects an NMI with it set fails (SDM Vol. 3C, "Information
		 * for VM Exits During Event Delivery", "Checks on Guest
		 * Non-Register State"): the NMI is not delivered yet.
		 */
		vmx->blocking &= ~VMX_INTERRUPTIBILITY_NMI;
		vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, vmx->blocking);
		break;
	case VMX_INTR_TYPE_HW_EXCEPTION:
		ev.type = MKVM_EVENT_EXC;
		break;
	default:
		return;
	}
	mkvm_x86_event_interrupted(vcpu, &ev);
}

/**
 * vmx_event_save() - the interruptibility state into vcpu->arch.ev
 * @vcpu: the vCPU
 * @blocking: the guest interruptibility state (without the shadow if an
 *	instruction was skipped since the exit)
 */
void vmx_event_save(struct mkvm_vcpu *vcpu, u32 blocking)
{
	struct mkvm_x86_events *e = &vcpu->arch.ev;

	e->shadow = 0;
	if (blocking & VMX_INTERRUPTIBILITY_STI)
		e->shadow |= KVM_X86_SHADOW_INT_STI;
	if (blocking & VMX_INTERRUPTIBILITY_MOV_SS)
		e->shadow |= KVM_X86_SHADOW_INT_MOV_SS;
	e->nmi_masked = blocking & VMX_INTERRUPTIBILITY_NMI;
}

/**
 * vmx_event_load() - vcpu->arch.ev into the interruptibility state
 * @vcpu: the vCPU
 */
void vmx_event_load(struct mkvm_vcpu *vcpu)
{
	const struct mkvm_x86_events *e = &vcpu->arch.ev;
	u32 blocking = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);

	blocking &= ~(VMX_BLOCKING_STI_MOV_SS | VMX_INTERRUPTIBILITY_NMI);
	/*
	 * Never both: an entry with blocking by STI and by MOV SS fails (SDM
	 * Vol. 3C, "Checks on Guest Non-Register State"), and SVM reports
	 * its one shadow as both (KVM_GET_VCPU_EVENTS there).
	 */
	if (e->shadow & KVM_X86_SHADOW_INT_MOV_SS)
		blocking |= VMX_INTERRUPTIBILITY_MOV_SS;
	else if (e->shadow & KVM_X86_SHADOW_INT_STI)
		blocking |= VMX_INTERRUPTIBILITY_STI;
	if (e->nmi_masked)
		blocking |= VMX_INTERRUPTIBILITY_NMI;
	vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, blocking);
}

/**
 * vmx_irq_window_open() - after an exit handled here: does userspace get
 * KVM_EXIT_IRQ_WINDOW_OPEN now?
 * @vcpu: the vCPU
 *
 * Return: true with run->exit_reason set.
 */
bool vmx_irq_window_open(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	bool shadow = !vmx->clear_blocking &&
		      (vmx->blocking & VMX_BLOCKING_STI_MOV_SS);

	return mkvm_x86_irq_window_exit(vcpu, vmx->rflags & X86_EFLAGS_IF,
					shadow);
}

/* Interrupt window: the guest can take an interrupt (irq_window_exits). */
int vmx_exit_intr_window(struct mkvm_vcpu *vcpu)
{
	vcpu->stat->irq_window_exits++;
	return 1;
}

/* NMI window: NMIs are unblocked; the pending one goes in next. */
int vmx_exit_nmi_window(struct mkvm_vcpu *vcpu)
{
	vcpu->stat->nmi_window_exits++;
	return 1;
}
