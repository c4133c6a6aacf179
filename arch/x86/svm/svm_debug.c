// SPDX-License-Identifier: GPL-2.0-only
/*
 * SVM guest debugging: the debug registers, #DB/#BP intercepts and event
 * injection that arch/x86/debug.c chooses, put into the VMCB, and the
 * #DB/#BP intercepts that end in KVM_EXIT_DEBUG.
 *
 * DR6 and DR7 are in the VMCB's save area: VMRUN loads them and #VMEXIT
 * saves them (APM Vol. 2, "VMRUN Instruction", Table B-2).  DR0-DR3 are
 * not: svm_vcpu_run() swaps them around VMRUN (svm->dr).  With #DB
 * intercepted the VMCB's DR6 holds what the #DB set and DR7 what was in
 * force (APM Vol. 2, "Exception Intercepts", "#DB (Debug)").
 *
 * Context: process context, vCPU mutex held, the vCPU not in the guest.
 */
#include "minikvm.h"
#include "svm.h"

#define SVM_DB_VECTOR	1
#define SVM_AC_VECTOR	17
#define SVM_BP_VECTOR	3
#define SVM_DR6_BD	BIT_ULL(13)	/* general detect */
#define SVM_DR7_GD	BIT_ULL(13)	/* MOV DR raises #DB */

/**
 * svm_set_exception_intercepts() - the exception intercept bitmap
 * @vcpu: the vCPU
 *
 * Bit n intercepts vector n (APM Vol. 2, Table B-1): what userspace's
 * debugging needs (debug.c), and always #DB and #AC.  A #DB or #AC that
 * its own delivery raises again (a data breakpoint on the IDT entry or the
 * stack it pushes to; an unaligned stack with alignment checking on) is
 * delivered again and again without ever reaching an instruction boundary,
 * where interrupts are taken (APM Vol. 2, "Interrupt Priorities": external
 * interrupts are recognized at instruction boundaries): the physical CPU
 * would hang for good (the flaws KVM closed as CVE-2015-8104 and
 * CVE-2015-5307).  An intercepted exception exits before it is delivered
 * (APM Vol. 2, "Exception Intercepts").  Intercepted, each
 * one is a #VMEXIT, and svm_exit_excp_db() / svm_exit_excp_ac() give it
 * back to the guest: the loop goes on, but through the host, which takes
 * its interrupts and signals in between.
 */
void svm_set_exception_intercepts(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;

	svm->vmcb->control.intercept_exceptions =
		mkvm_x86_debug_intercepts(&vcpu->arch) |
		BIT(SVM_DB_VECTOR) | BIT(SVM_AC_VECTOR);
}

/**
 * svm_debug_load() - the debug state into the VMCB (with the registers)
 * @vcpu: the vCPU
 *
 * Called by svm_vcpu_load_state().  An exception KVM_SET_GUEST_DEBUG asked
 * to inject goes into EVENTINJ here, once: #BP as the INT3 userspace
 * intercepted would have raised it, RIP past the instruction.
 */
void svm_debug_load(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	struct mkvm_x86_debug *d = &vcpu->arch.dbg;
	u64 db[4], dr7;
	int i;

	mkvm_x86_debug_regs(&vcpu->arch, db, &dr7);
	for (i = 0; i < 4; i++)
		svm->dr[i] = db[i];
	svm->vmcb->save.dr7 = dr7;
	svm->vmcb->save.dr6 = mkvm_x86_debug_entry_dr6(&vcpu->arch);
	svm_set_exception_intercepts(vcpu);
	if (d->inject < 0)
		return;
	if (d->inject == SVM_BP_VECTOR)
		svm->vmcb->save.rip += d->bp_len;
	mkvm_x86_queue_exception(vcpu, d->inject, false, 0);
	d->inject = -1;
}

/**
 * svm_debug_save() - the guest's debug registers back from the VMCB
 * @vcpu: the vCPU
 *
 * Called by svm_vcpu_save_state().
 */
void svm_debug_save(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	u64 db[4] = { svm->dr[0], svm->dr[1], svm->dr[2], svm->dr[3] };

	mkvm_x86_debug_save(&vcpu->arch, db, svm->vmcb->save.dr7,
			    svm->vmcb->save.dr6);
}

/*
 * #DB, always intercepted (svm_set_exception_intercepts()).  While
 * userspace single-steps or has hardware breakpoints, every #DB is
 * userspace's, as on KVM.  While svm_event.c steps the guest towards an
 * NMI window, the #DB is the end of that step (and the guest's own if its
 * TF was set too).  Otherwise it is the guest's: given back to it, with DR6
 * as the #DB left it in the VMCB.  For a general-detect #DB (DR6.BD) the
 * CPU clears DR7.GD as it enters the handler (APM Vol. 2, "Debug-Control
 * Register (DR7)"); the intercept came first, so that is done here.
 */
int svm_exit_excp_db(struct mkvm_vcpu *vcpu)
{
	struct vmcb_save *v = &((struct svm_vcpu *)vcpu->be)->vmcb->save;
	u64 dr6, dr7;

	if (svm_nmi_step_done(vcpu))
		return 1;
	if (!(mkvm_x86_debug_intercepts(&vcpu->arch) & BIT(SVM_DB_VECTOR))) {
		if (v->dr6 & SVM_DR6_BD)
			v->dr7 &= ~SVM_DR7_GD;
		mkvm_x86_queue_exception(vcpu, SVM_DB_VECTOR, false, 0);
		return 1;
	}
	dr6 = v->dr6;
	dr7 = v->dr7;

	svm_vcpu_save_state(vcpu);
	return mkvm_x86_debug_exit(vcpu, SVM_DB_VECTOR, dr6, dr7);
}

/* #AC, always intercepted: given back to the guest with its error code (0). */
int svm_exit_excp_ac(struct mkvm_vcpu *vcpu)
{
	struct vmcb_control *c = &((struct svm_vcpu *)vcpu->be)->vmcb->control;

	mkvm_x86_queue_exception(vcpu, SVM_AC_VECTOR, true, c->exit_info_1);
	return 1;
}

/*
 * #BP, intercepted with software breakpoints: RIP is on the INT3 (the
 * intercept is taken before the trap is delivered, APM Vol. 2, "Exception
 * Intercepts").  INT3 is taken to be the one-byte CC that debuggers
 * write; INJECT_BP later resumes past it.
 */
int svm_exit_excp_bp(struct mkvm_vcpu *vcpu)
{
	vcpu->arch.dbg.bp_len = 1;
	svm_vcpu_save_state(vcpu);
	return mkvm_x86_debug_exit(vcpu, SVM_BP_VECTOR, 0, 0);
}

/**
 * svm_debug_step() - an instruction a handler completed ran under TF
 * @vcpu: the vCPU, RIP past the instruction
 *
 * Its single-step trap, through the x86 state (mkvm_x86_debug_step()).
 *
 * Return: 0 to userspace (KVM_EXIT_DEBUG), 1 to enter the guest again.
 */
int svm_debug_step(struct mkvm_vcpu *vcpu)
{
	int r;

	svm_vcpu_save_state(vcpu);
	r = mkvm_x86_debug_step(vcpu);
	if (r)
		svm_vcpu_load_state(vcpu);
	return r;
}
