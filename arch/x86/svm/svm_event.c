// SPDX-License-Identifier: GPL-2.0-only
/*
 * SVM events: what arch/x86/events.c chose goes into EVENTINJ before VMRUN,
 * EXITINTINFO comes back after #VMEXIT, and the windows userspace or a
 * pending NMI wait for (APM Vol. 2, "Event Injection", "EXITINTINFO
 * Pseudo-Register", "Virtual Interrupts").
 *
 * SVM keeps no NMI blocking for injected NMIs that minikvm could read, so
 * minikvm tracks it as KVM does: an injected NMI sets vcpu->arch.ev
 * .nmi_masked and the IRET intercept; the IRET exit comes before the IRET
 * runs, so NMIs are unblocked at the first exit with RIP elsewhere.  When
 * another NMI waits, the guest single-steps the IRET (RFLAGS.TF, #DB
 * intercepted) to make that exit come at once, as it does an instruction
 * in an interrupt shadow: TF set when IRET starts
 * traps after it even though IRET reloads RFLAGS (SDM Vol. 3B, "Single-Step
 * Exception Condition").
 *
 * The interrupt window is a virtual interrupt (V_IRQ, highest priority,
 * TPR ignored) whose delivery is intercepted (VINTR): the CPU takes it
 * once RFLAGS.IF is set and no interrupt shadow is in effect.
 *
 * Context: process context, vCPU mutex held; svm_event_inject() and
 * svm_event_complete() with preemption off around VMRUN.
 */
#include <asm/processor-flags.h>

#include "minikvm.h"
#include "svm.h"

/* The EVENTINJ type of each kind of event (APM Vol. 2, "Event Injection"). */
static const u32 svm_evtinj_type[] = {
	[MKVM_EVENT_EXC] = SVM_EVTINJ_TYPE_EXEPT,
	[MKVM_EVENT_NMI] = SVM_EVTINJ_TYPE_NMI,
	[MKVM_EVENT_IRQ] = SVM_EVTINJ_TYPE_INTR,
	[MKVM_EVENT_SOFT_IRQ] = SVM_EVTINJ_TYPE_SOFT,
};

/* Ask for (or stop asking for) a VINTR exit when interrupts open. */
static void svm_set_irq_window(struct vmcb_control *c, bool on)
{
	if (on) {
		c->int_ctl |= SVM_V_IRQ | SVM_V_INTR_PRIO_MASK | SVM_V_IGN_TPR;
		c->intercept_misc1 |= SVM_ICPT_VINTR;
	} else {
		c->int_ctl &= ~(SVM_V_IRQ | SVM_V_INTR_PRIO_MASK | SVM_V_IGN_TPR);
		c->intercept_misc1 &= ~SVM_ICPT_VINTR;
	}
}

/*
 * Single-step the guest's next instruction: the IRET, to see NMIs unblock
 * right after it, or the one in an STI/MOV SS shadow.
 */
static void svm_nmi_singlestep(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	struct vmcb *vmcb = svm->vmcb;

	if (svm->nmi_singlestep)
		return;
	svm->nmi_singlestep = true;
	svm->nmi_ss_iret = svm->iret_seen;
	svm->nmi_ss_flags = vmcb->save.rflags & (X86_EFLAGS_TF | X86_EFLAGS_RF);
	svm->nmi_ss_dr6 = vmcb->save.dr6;
	vmcb->save.rflags |= X86_EFLAGS_TF | X86_EFLAGS_RF;
	svm_set_exception_intercepts(vcpu);
}

/*
 * The step is over: the IRET loaded the guest's own RFLAGS, unless it never
 * ran (@restore_flags: put TF and RF back as they were).
 */
static void svm_nmi_singlestep_end(struct mkvm_vcpu *vcpu, bool restore_flags)
{
	struct svm_vcpu *svm = vcpu->be;
	struct vmcb *vmcb = svm->vmcb;

	svm->nmi_singlestep = false;
	if (restore_flags)
		vmcb->save.rflags = (vmcb->save.rflags &
				     ~(X86_EFLAGS_TF | X86_EFLAGS_RF)) |
				    svm->nmi_ss_flags;
	vmcb->save.dr6 = svm->nmi_ss_dr6;
	svm_set_exception_intercepts(vcpu);
}

/**
 * svm_event_inject() - EVENTINJ and the window intercepts for the next VMRUN
 * @vcpu: the vCPU, its state in the VMCB
 */
void svm_event_inject(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	struct vmcb_control *c = &svm->vmcb->control;
	bool shadow = c->int_state & SVM_INT_SHADOW;
	struct mkvm_x86_event ev;
	bool nmi_wait;
	u8 tpr;

	/* CR8 is V_TPR (V_INTR_MASKING): the in-kernel APIC's TPR[7:4]. */
	if (vcpu->lapic) {
		tpr = mkvm_lapic_tpr_sync(vcpu, (c->int_ctl & SVM_V_TPR_MASK) << 4,
					  &svm->lapic_tpr, 0xf0);
		c->int_ctl = (c->int_ctl & ~SVM_V_TPR_MASK) | (tpr >> 4);
	}
	nmi_wait = mkvm_x86_event_next(vcpu, shadow || vcpu->arch.ev.nmi_masked,
				       shadow || !(svm->vmcb->save.rflags &
						   X86_EFLAGS_IF), &ev);
	c->event_inj = 0;
	if (ev.type != MKVM_EVENT_NONE) {
		c->event_inj = ev.vector | svm_evtinj_type[ev.type] |
			       SVM_EVTINJ_VALID |
			       (ev.has_err ? SVM_EVTINJ_VALID_ERR : 0);
		c->event_inj_err = ev.err;
	}
	/* Until IRET, NMIs stay blocked: watch for it. */
	if (vcpu->arch.ev.nmi_masked && !svm->iret_seen)
		c->intercept_misc1 |= SVM_ICPT_IRET;
	else
		c->intercept_misc1 &= ~SVM_ICPT_IRET;
	/*
	 * An NMI waits for the end of the IRET or of the shadow: step over
	 * it.  Not while an event goes in: its frame would keep our TF.
	 */
	if (nmi_wait && ev.type == MKVM_EVENT_NONE &&
	    (svm->iret_seen || (shadow && !vcpu->arch.ev.nmi_masked)))
		svm_nmi_singlestep(vcpu);
	svm_set_irq_window(c, mkvm_x86_irq_window_wanted(vcpu));
}

/**
 * svm_event_complete() - after #VMEXIT: the event EXITINTINFO names goes
 * back to vcpu->arch.ev, and NMIs unblock once the guest is past its IRET
 * @vcpu: the vCPU
 *
 * A software interrupt or INT3/INTO is not re-injected: RIP is still on the
 * instruction, which raises it again (without NextRIP, EVENTINJ could not
 * give its length anyway).
 */
void svm_event_complete(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	struct vmcb_control *c = &svm->vmcb->control;
	u32 info = c->exit_int_info;
	struct mkvm_x86_event ev = {
		.vector = info & SVM_EVTINJ_VEC_MASK,
		.has_err = info & SVM_EVTINJ_VALID_ERR,
		.err = c->exit_int_info_err,
	};

	c->event_inj = 0;
	if (vcpu->lapic)
		mkvm_lapic_tpr_sync(vcpu, (c->int_ctl & SVM_V_TPR_MASK) << 4,
				    &svm->lapic_tpr, 0xf0);
	if (svm->iret_seen && svm->vmcb->save.rip != svm->iret_rip) {
		svm->iret_seen = false;
		vcpu->arch.ev.nmi_masked = false;
	}
	if (!(info & SVM_EVTINJ_VALID))
		return;
	switch (info & SVM_EVTINJ_TYPE_MASK) {
	case SVM_EVTINJ_TYPE_INTR:
		ev.type = MKVM_EVENT_IRQ;
		break;
	case SVM_EVTINJ_TYPE_NMI:
		ev.type = MKVM_EVENT_NMI;
		break;
	case SVM_EVTINJ_TYPE_EXEPT:
		ev.type = MKVM_EVENT_EXC;
		break;
	default:
		return;
	}
	mkvm_x86_event_interrupted(vcpu, &ev);
}

/**
 * svm_irq_window_open() - after an exit handled here: does userspace get
 * KVM_EXIT_IRQ_WINDOW_OPEN now?
 * @vcpu: the vCPU
 *
 * Return: true with run->exit_reason set.
 */
bool svm_irq_window_open(struct mkvm_vcpu *vcpu)
{
	struct vmcb *vmcb = ((struct svm_vcpu *)vcpu->be)->vmcb;

	return mkvm_x86_irq_window_exit(vcpu,
					vmcb->save.rflags & X86_EFLAGS_IF,
					vmcb->control.int_state & SVM_INT_SHADOW);
}

/* VINTR: the guest can take an interrupt (KVM's irq_window_exits). */
int svm_exit_vintr(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;

	vcpu->stat->irq_window_exits++;
	svm_set_irq_window(&svm->vmcb->control, false);
	return 1;
}

/*
 * IRET, about to run while NMIs are blocked: they unblock after it
 * (KVM counts this as an NMI-window exit).
 */
int svm_exit_iret(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;

	vcpu->stat->nmi_window_exits++;
	svm->vmcb->control.intercept_misc1 &= ~SVM_ICPT_IRET;
	svm->iret_seen = true;
	svm->iret_rip = svm->vmcb->save.rip;
	return 1;
}

/**
 * svm_nmi_step_cut() - end a step towards an NMI window that no #DB will end
 * @vcpu: the vCPU
 * @restore_flags: put the guest's TF and RF back in the VMCB (an exit
 *	handled here completed the instruction the step was for: CPUID,
 *	WRMSR... in an STI shadow); false when the VMCB's RFLAGS are about to
 *	be loaded from vcpu->arch, which never holds ours
 *
 * svm_event_inject() starts a new step if the NMI still waits.
 */
void svm_nmi_step_cut(struct mkvm_vcpu *vcpu, bool restore_flags)
{
	struct svm_vcpu *svm = vcpu->be;

	if (svm->nmi_singlestep)
		svm_nmi_singlestep_end(vcpu, restore_flags);
}

/**
 * svm_guest_rflags() - RFLAGS as the guest set them: without the TF and RF
 * of a step towards an NMI window
 * @vcpu: the vCPU, its state in the VMCB
 */
u64 svm_guest_rflags(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	u64 rflags = svm->vmcb->save.rflags;

	if (!svm->nmi_singlestep)
		return rflags;
	return (rflags & ~(X86_EFLAGS_TF | X86_EFLAGS_RF)) | svm->nmi_ss_flags;
}

/**
 * svm_nmi_step_done() - a #DB exit: the end of a step towards an NMI window?
 * @vcpu: the vCPU
 *
 * The step is over (svm_event_complete() saw RIP move).  An IRET loaded the
 * guest's own RFLAGS; otherwise the TF was ours and goes.
 *
 * Return: true when the #DB was only that step's; false when it is
 * someone else's too (the guest's own TF, userspace single-stepping), for
 * svm_exit_excp_db() to pass on.
 */
bool svm_nmi_step_done(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;

	if (!svm->nmi_singlestep)
		return false;
	svm_nmi_singlestep_end(vcpu, !svm->nmi_ss_iret);
	return !(svm->nmi_ss_flags & X86_EFLAGS_TF);
}
