// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_RUN: the vendor-neutral run loop.  Enters the guest through the
 * backend until an exit needs userspace, a signal is pending, or an error
 * occurs, with KVM's rules for immediate_exit and KVM_EXIT_INTR.
 *
 * Context: process context, vCPU mutex held, current->mm is the VM's.
 * Preemption stays enabled between entries; the backend disables it (and
 * interrupts) only around each VM-entry.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <asm/processor-flags.h>

#include "compat.h"
#include "minikvm.h"
#include "trace_events.h"

/* KVM's counters of exits that userspace handles, by their exit reason. */
static void mkvm_stat_user_exit(struct mkvm_vcpu *vcpu)
{
	switch (vcpu->run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu->stat->io_exits++;
		break;
	case KVM_EXIT_MMIO:
		vcpu->stat->mmio_exits++;
		break;
	case KVM_EXIT_HLT:
		vcpu->stat->halt_exits++;
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		vcpu->stat->request_irq_exits++;
		break;
	}
}

/*
 * What KVM reports on every return from KVM_RUN, the state being in
 * vcpu->arch: if_flag, cr8, apic_base, ready_for_interrupt_injection.
 */
static void mkvm_run_post(struct mkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	run->cr8 = vcpu->arch.sregs.cr8;
	run->apic_base = vcpu->arch.sregs.apic_base;
	run->if_flag = !!(vcpu->arch.regs.rflags & X86_EFLAGS_IF);
	run->ready_for_interrupt_injection = mkvm_x86_ready_for_interrupt(vcpu);
}

/**
 * mkvm_vcpu_ioctl_run() - KVM_RUN
 * @vcpu: the vCPU
 *
 * Return: 0 with run->exit_reason set for userspace; -EINTR with
 * KVM_EXIT_INTR when a signal is pending, or -EINTR alone when
 * immediate_exit is set; another
 * negative errno when the run could not go on (run->exit_reason is then
 * KVM_EXIT_UNKNOWN, as KVM leaves it).
 */
long mkvm_vcpu_ioctl_run(struct mkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	bool stepped;
	int r;

	/* No KVM_CAP_SYNC_REGS: asking for any register set is invalid. */
	if (READ_ONCE(run->kvm_valid_regs) || READ_ONCE(run->kvm_dirty_regs))
		return -EINVAL;
	/* Like KVM: the exit userspace handled completes even now. */
	stepped = vcpu->arch.pending.exit_reason &&
		  (vcpu->arch.regs.rflags & X86_EFLAGS_TF);
	/* The run registers are in vcpu->arch; some cases need the rest. */
	if (stepped || mkvm_x86_complete_needs_all(vcpu) ||
	    mkvm_lapic_uninitialized(vcpu))
		mkvm_vcpu_sync_arch(vcpu);
	r = mkvm_x86_complete_exit(vcpu);
	if (r < 0)
		return r;
	/* The access's next MMIO fragment, for userspace (as KVM). */
	if (r > 0) {
		trace_minikvm_userspace_exit(vcpu->id, run->exit_reason);
		mkvm_stat_user_exit(vcpu);
		mkvm_run_post(vcpu);
		return 0;
	}
	/* ... with its single-step trap (arch/x86/debug.c). */
	if (stepped && !mkvm_x86_debug_step(vcpu)) {
		trace_minikvm_userspace_exit(vcpu->id, run->exit_reason);
		mkvm_run_post(vcpu);
		return 0;
	}
	/* As KVM 6.1: -EINTR, exit_reason left as the last exit set it. */
	if (mkvm_immediate_exit(run)) {
		mkvm_run_post(vcpu);
		return -EINTR;
	}
	/* An AP before INIT: one sleep, no entry (as KVM 6.1). */
	if (mkvm_lapic_uninitialized(vcpu)) {
		r = mkvm_lapic_uninit_run(vcpu);
		if (r == -EINTR) {
			run->exit_reason = KVM_EXIT_INTR;
			vcpu->stat->signal_exits++;
		}
		mkvm_run_post(vcpu);
		return r;
	}
	mkvm_vcpu_sync_be(vcpu);
	/* The guest's FPU state is the task's until KVM_RUN returns. */
	mkvm_x86_fpu_load(vcpu);
	if (mkvm_be->vcpu_load)
		mkvm_be->vcpu_load(vcpu);
	run->exit_reason = KVM_EXIT_UNKNOWN;
	for (;;) {
		if (signal_pending(current)) {
			run->exit_reason = KVM_EXIT_INTR;
			vcpu->stat->signal_exits++;
			r = -EINTR;
			break;
		}
		cond_resched();
		/* INIT/SIPI, HLT, wait-for-SIPI (arch/x86/lapic.c). */
		if (mkvm_lapic_before_entry(vcpu))
			continue;
		/* A handler may have left the state in vcpu->arch. */
		mkvm_vcpu_sync_be(vcpu);
		r = mkvm_be->vcpu_run(vcpu);
		if (r <= 0)
			break;
	}
	if (mkvm_be->vcpu_put)
		mkvm_be->vcpu_put(vcpu);
	/* The last exit's handling ends here when it goes to userspace. */
	if (vcpu->stat_hist)
		mkvm_stat_exit_done(vcpu, rdtsc(), true);
	else if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
		mkvm_trace_exit_done(vcpu, 0, true);	/* its event, stats=N */
	trace_minikvm_userspace_exit(vcpu->id, run->exit_reason);
	if (r == 0)
		mkvm_stat_user_exit(vcpu);
	mkvm_x86_fpu_put(vcpu);
	/* The rest stays in the VMCB/VMCS until someone needs it. */
	if (vcpu->state == MKVM_STATE_BE)
		mkvm_be->vcpu_save_regs(vcpu);
	mkvm_run_post(vcpu);
	return r;
}
