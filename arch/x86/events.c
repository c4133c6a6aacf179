// SPDX-License-Identifier: GPL-2.0-only
/*
 * Events for the guest, both vendors: KVM_INTERRUPT, KVM_NMI,
 * KVM_GET/SET_VCPU_EVENTS, the exceptions the hypervisor raises, and the
 * choice of what the next VM entry injects.  The model is KVM's with the
 * interrupt controller in userspace:
 *  - KVM_INTERRUPT (like KVM_SET_SREGS' interrupt_bitmap) makes the vector
 *    the "injected" interrupt: it goes in at the next entry, whatever
 *    RFLAGS.IF says.  Userspace is to wait for ready_for_interrupt_injection
 *    (or ask for KVM_EXIT_IRQ_WINDOW_OPEN) first, as with KVM.
 *  - KVM_NMI makes an NMI pending; it is injected once NMIs are not blocked
 *    (no NMI handler running, no STI/MOV SS shadow), then NMIs stay blocked
 *    until the guest's next IRET.  One NMI may wait while another runs.
 *  - An event whose delivery a VM exit interrupted is injected again at the
 *    next entry, once (SDM Vol. 3C, "Information for VM Exits That Occur
 *    During Event Delivery"; APM Vol. 2, "EXITINTINFO Pseudo-Register").
 *
 * The state (struct mkvm_x86_events) is kept in vcpu->arch.ev.  The backend
 * calls mkvm_x86_event_next() before each entry, mkvm_x86_event_interrupted()
 * after an exit during event delivery, and keeps nmi_masked and shadow in
 * its VMCS/VMCB while the vCPU runs.
 *
 * Context: process context, vCPU mutex held.
 */
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <asm/processor-flags.h>

#include "minikvm.h"

#define X86_VEC_DB	1
#define X86_VEC_NMI	2
#define X86_VEC_BP	3
#define X86_VEC_OF	4
#define X86_VEC_DF	8
#define X86_VEC_TS	10
#define X86_VEC_GP	13
#define X86_VEC_PF	14

/* The VCPU_EVENTS flags KVM 6.1 accepts without a capability enabled. */
#define MKVM_EVENTS_FLAGS						\
	(KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR | \
	 KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM)

/*
 * Contributory exceptions: two of them in a row, or a page fault followed
 * by one of them or by another page fault, make a double fault (SDM Vol.
 * 3A, "Interrupt 8 - Double Fault Exception (#DF)", Table "Conditions for
 * Generating a Double Fault").
 */
static bool mkvm_exc_contributory(u8 nr)
{
	return nr == 0 || (nr >= X86_VEC_TS && nr <= X86_VEC_GP);
}

/**
 * mkvm_x86_queue_exception() - raise exception @nr in the guest
 * @vcpu: the vCPU
 * @nr: vector, 0-31
 * @has_err: push @err as the error code
 * @err: the error code
 *
 * The exception is delivered at the next entry.  When one is already
 * waiting (its delivery was interrupted by this exit), the two combine as
 * the SDM says: a double fault, or the newer one (benign pairs).  A fault
 * on a double fault ends the guest as a triple fault would, with #DF
 * kept: the entry then shuts the guest down with its own #DF.
 */
void mkvm_x86_queue_exception(struct mkvm_vcpu *vcpu, u8 nr, bool has_err,
			      u32 err)
{
	struct mkvm_x86_events *ev = &vcpu->arch.ev;

	if (ev->exc_injected && ev->exc_nr == X86_VEC_DF)
		return;
	if (ev->exc_injected &&
	    ((mkvm_exc_contributory(ev->exc_nr) && mkvm_exc_contributory(nr)) ||
	     (ev->exc_nr == X86_VEC_PF &&
	      (nr == X86_VEC_PF || mkvm_exc_contributory(nr))))) {
		nr = X86_VEC_DF;
		has_err = true;
		err = 0;
	}
	ev->exc_injected = true;
	ev->exc_nr = nr;
	ev->exc_has_err = has_err;
	ev->exc_err = err;
}

static void mkvm_nmi_limit(struct mkvm_x86_events *e);

/**
 * mkvm_x86_event_next() - what the next VM entry injects
 * @vcpu: the vCPU
 * @nmi_blocked: the guest cannot take an NMI now (NMI handler running, or
 *	an STI/MOV SS shadow), as the backend knows it (ev.nmi_masked is
 *	only a copy while the vCPU runs on VMX)
 * @irq_blocked: the guest cannot take an external interrupt now (RFLAGS.IF
 *	clear, or an STI/MOV SS shadow)
 * @ev: filled in: the event, or MKVM_EVENT_NONE
 *
 * Events already under way go first (exception, NMI, interrupt), then a
 * pending NMI if it is not blocked, then, if the guest can take an
 * interrupt, the PIC's ExtINT (pic.c, acknowledged here) or else an
 * interrupt of the in-kernel APIC (lapic.c).  The chosen event leaves vcpu->arch.ev:
 * if the exit interrupts its delivery, mkvm_x86_event_interrupted() puts
 * it back.  An NMI chosen here blocks NMIs until IRET; the backend records
 * that (VMX does it in hardware).
 *
 * Return: true when an NMI is still pending afterwards: the backend then
 * asks for an exit as soon as NMIs are unblocked (NMI window).
 */
int mkvm_x86_event_next(struct mkvm_vcpu *vcpu, bool nmi_blocked,
			bool irq_blocked, struct mkvm_x86_event *ev)
{
	struct mkvm_x86_events *e = &vcpu->arch.ev;
	unsigned int nmis = mkvm_lapic_sync(vcpu);
	int vector;

	if (nmis) {
		e->nmi_pending += nmis;
		mkvm_nmi_limit(e);
	}
	memset(ev, 0, sizeof(*ev));
	if (e->exc_injected) {
		ev->type = MKVM_EVENT_EXC;
		ev->vector = e->exc_nr;
		ev->has_err = e->exc_has_err;
		ev->err = e->exc_err;
		e->exc_injected = false;
	} else if (e->nmi_injected) {
		ev->type = MKVM_EVENT_NMI;
		ev->vector = X86_VEC_NMI;
		e->nmi_injected = false;
	} else if (e->irq_injected) {
		ev->type = e->irq_soft ? MKVM_EVENT_SOFT_IRQ : MKVM_EVENT_IRQ;
		ev->vector = e->irq_nr;
		e->irq_injected = false;
		vcpu->stat->irq_injections++;
	} else if (e->nmi_pending && !nmi_blocked) {
		ev->type = MKVM_EVENT_NMI;
		ev->vector = X86_VEC_NMI;
		e->nmi_pending--;
		e->nmi_masked = true;
		vcpu->stat->nmi_injections++;
	} else if (vcpu->lapic && !irq_blocked) {
		/* ExtINT first, whatever the TPR/PPR (pic.c). */
		vector = mkvm_pic_take_extint(vcpu);
		if (vector < 0)
			vector = mkvm_lapic_take_irq(vcpu);
		if (vector >= 0) {
			ev->type = MKVM_EVENT_IRQ;
			ev->vector = vector;
			vcpu->stat->irq_injections++;
		}
	}
	return e->nmi_pending != 0;
}

/**
 * mkvm_x86_event_interrupted() - an exit cut the delivery of @ev short
 * @vcpu: the vCPU
 * @ev: the event, as the IDT-vectoring information / EXITINTINFO has it
 *	(MKVM_EVENT_EXC, _NMI or _IRQ; software events are not passed: RIP is
 *	still on their instruction, which raises them again)
 *
 * The event is injected again at the next entry, and reported by
 * KVM_GET_VCPU_EVENTS (KVM_GET_SREGS for an interrupt) until then.
 */
void mkvm_x86_event_interrupted(struct mkvm_vcpu *vcpu,
				const struct mkvm_x86_event *ev)
{
	struct mkvm_x86_events *e = &vcpu->arch.ev;

	switch (ev->type) {
	case MKVM_EVENT_EXC:
		e->exc_injected = true;
		e->exc_nr = ev->vector;
		e->exc_has_err = ev->has_err;
		e->exc_err = ev->err;
		break;
	case MKVM_EVENT_NMI:
		e->nmi_injected = true;
		break;
	case MKVM_EVENT_IRQ:
		e->irq_injected = true;
		e->irq_soft = false;
		e->irq_nr = ev->vector;
		break;
	default:
		break;
	}
}

/* Is an event under way (one that goes in at the next entry regardless)? */
static bool mkvm_event_under_way(const struct mkvm_x86_events *e)
{
	return e->exc_injected || e->nmi_injected || e->irq_injected;
}

/**
 * mkvm_x86_ready_for_interrupt() - kvm_run.ready_for_interrupt_injection
 * @vcpu: the vCPU, its state saved to vcpu->arch
 *
 * As KVM: the guest would take an external interrupt now (RFLAGS.IF set,
 * no STI/MOV SS shadow) and no event is under way, so KVM_INTERRUPT may
 * inject one.
 */
bool mkvm_x86_ready_for_interrupt(struct mkvm_vcpu *vcpu)
{
	const struct mkvm_x86_events *e = &vcpu->arch.ev;

	return (vcpu->arch.regs.rflags & X86_EFLAGS_IF) && !e->shadow &&
	       !mkvm_event_under_way(e);
}

/**
 * mkvm_x86_irq_window_wanted() - should the guest exit when it can take an
 * interrupt?  Userspace asked for it (kvm_run.request_interrupt_window), or
 * the in-kernel APIC has one for it (lapic.c: the exit then stays in the
 * kernel and the next entry injects it).
 * @vcpu: the vCPU
 */
bool mkvm_x86_irq_window_wanted(struct mkvm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->run->request_interrupt_window) ||
	       mkvm_lapic_has_irq(vcpu);
}

/**
 * mkvm_x86_irq_window_exit() - after an exit handled in the kernel, end
 * KVM_RUN with KVM_EXIT_IRQ_WINDOW_OPEN?
 * @vcpu: the vCPU
 * @if_set: the guest's RFLAGS.IF, from the VMCS/VMCB
 * @shadow: an STI/MOV SS shadow is in effect
 *
 * As KVM: when userspace asked for the window and the guest could take an
 * interrupt now, with no event under way.
 *
 * Return: true with run->exit_reason set.
 */
bool mkvm_x86_irq_window_exit(struct mkvm_vcpu *vcpu, bool if_set,
			      bool shadow)
{
	if (!READ_ONCE(vcpu->run->request_interrupt_window) || !if_set ||
	    shadow ||
	    mkvm_event_under_way(&vcpu->arch.ev))
		return false;
	vcpu->run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
	return true;
}

/**
 * mkvm_vcpu_interrupt() - KVM_INTERRUPT, userspace's interrupt controller
 * @vcpu: the vCPU
 * @argp: struct kvm_interrupt
 *
 * Return: 0; -EFAULT; -EINVAL for a vector above 255; -ENXIO with an
 * in-kernel irqchip.  A vector given
 * before the last one went in replaces it, as with KVM.
 */
long mkvm_vcpu_interrupt(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_interrupt irq;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	if (irq.irq >= KVM_NR_INTERRUPTS)
		return -EINVAL;
	/* The in-kernel APIC owns the interrupts: -ENXIO, as KVM's PIC. */
	if (vcpu->lapic)
		return -ENXIO;
	vcpu->arch.ev.irq_injected = true;
	vcpu->arch.ev.irq_soft = false;
	vcpu->arch.ev.irq_nr = irq.irq;
	return 0;
}

/*
 * At most one NMI waits: two while none is running or being delivered (the
 * first goes in at once), one otherwise (SDM Vol. 3A, "NMI Handling
 * Guidelines": NMIs are latched once while blocked).
 */
static void mkvm_nmi_limit(struct mkvm_x86_events *e)
{
	u8 limit = (e->nmi_masked || e->nmi_injected) ? 1 : 2;

	e->nmi_pending = min(e->nmi_pending, limit);
}

/**
 * mkvm_vcpu_nmi() - KVM_NMI: an NMI for the guest
 * @vcpu: the vCPU
 *
 * Return: 0.
 */
long mkvm_vcpu_nmi(struct mkvm_vcpu *vcpu)
{
	struct mkvm_x86_events *e = &vcpu->arch.ev;

	e->nmi_pending++;
	mkvm_nmi_limit(e);
	return 0;
}

/**
 * mkvm_vcpu_get_events() - KVM_GET_VCPU_EVENTS
 * @vcpu: the vCPU
 * @argp: struct kvm_vcpu_events to fill
 *
 * As KVM without KVM_CAP_EXCEPTION_PAYLOAD: a queued exception is reported
 * as injected, #BP/#OF never (no instruction length in the ABI); no SMM.
 *
 * Return: 0 or -EFAULT.
 */
long mkvm_vcpu_get_events(struct mkvm_vcpu *vcpu, void __user *argp)
{
	const struct mkvm_x86_events *e = &vcpu->arch.ev;
	struct kvm_vcpu_events out;

	memset(&out, 0, sizeof(out));
	if (e->exc_nr != X86_VEC_BP && e->exc_nr != X86_VEC_OF)
		out.exception.injected = e->exc_injected;
	out.exception.nr = e->exc_nr;
	out.exception.has_error_code = e->exc_has_err;
	out.exception.error_code = e->exc_err;
	out.interrupt.injected = e->irq_injected && !e->irq_soft;
	out.interrupt.nr = e->irq_nr;
	out.interrupt.shadow = e->shadow;
	out.nmi.injected = e->nmi_injected;
	out.nmi.pending = e->nmi_pending != 0;
	out.nmi.masked = e->nmi_masked;
	out.flags = KVM_VCPUEVENT_VALID_NMI_PENDING |
		    KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM;
	if (copy_to_user(argp, &out, sizeof(out)))
		return -EFAULT;
	return 0;
}

/**
 * mkvm_vcpu_set_events() - KVM_SET_VCPU_EVENTS
 * @vcpu: the vCPU
 * @argp: struct kvm_vcpu_events
 *
 * KVM's checks and errno: unknown flags, the payload and triple-fault
 * flags (their capabilities are not offered), an exception above 31 or
 * NMI as exception -> -EINVAL.  The SIPI vector is ignored (no in-kernel
 * APIC, as KVM); SMM state is accepted only as "not in SMM, none pending"
 * (minikvm has no SMM; KVM would enter it).
 *
 * Return: 0, -EFAULT or -EINVAL with the state untouched.
 */
long mkvm_vcpu_set_events(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct mkvm_x86_events *e = &vcpu->arch.ev;
	struct kvm_vcpu_events in;

	if (copy_from_user(&in, argp, sizeof(in)))
		return -EFAULT;
	if (in.flags & ~MKVM_EVENTS_FLAGS)
		return -EINVAL;
	/* Without the payload capability "pending" is ignored, as KVM. */
	if (in.exception.injected &&
	    (in.exception.nr > 31 || in.exception.nr == X86_VEC_NMI))
		return -EINVAL;
	if ((in.flags & KVM_VCPUEVENT_VALID_SMM) &&
	    (in.smi.smm || in.smi.pending))
		return -EINVAL;

	e->exc_injected = in.exception.injected;
	e->exc_nr = in.exception.nr;
	e->exc_has_err = in.exception.has_error_code;
	e->exc_err = in.exception.error_code;
	e->irq_injected = in.interrupt.injected;
	e->irq_nr = in.interrupt.nr;
	e->irq_soft = in.interrupt.soft;
	if (in.flags & KVM_VCPUEVENT_VALID_SHADOW)
		e->shadow = in.interrupt.shadow &
			    (KVM_X86_SHADOW_INT_MOV_SS | KVM_X86_SHADOW_INT_STI);
	e->nmi_injected = in.nmi.injected;
	if (in.flags & KVM_VCPUEVENT_VALID_NMI_PENDING)
		e->nmi_pending = in.nmi.pending;
	e->nmi_masked = in.nmi.masked;
	mkvm_nmi_limit(e);
	return 0;
}
