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

#include "minikvm.h"

/**
 * mkvm_vcpu_ioctl_run() - KVM_RUN
 * @vcpu: the vCPU
 *
 * Return: 0 with run->exit_reason set for userspace; -EINTR with
 * KVM_EXIT_INTR when a signal is pending or immediate_exit is set; another
 * negative errno when the run could not go on (run->exit_reason is then
 * KVM_EXIT_UNKNOWN, as KVM leaves it).
 */
long mkvm_vcpu_ioctl_run(struct mkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int r;

	/* Like KVM: the exit userspace handled completes even now. */
	r = mkvm_x86_complete_exit(vcpu);
	if (r)
		return r;
	if (READ_ONCE(run->immediate_exit)) {
		run->exit_reason = KVM_EXIT_INTR;
		return -EINTR;
	}
	mkvm_be->vcpu_load_state(vcpu);
	run->exit_reason = KVM_EXIT_UNKNOWN;
	for (;;) {
		if (signal_pending(current)) {
			run->exit_reason = KVM_EXIT_INTR;
			r = -EINTR;
			break;
		}
		cond_resched();
		r = mkvm_be->vcpu_run(vcpu);
		if (r <= 0)
			break;
	}
	mkvm_be->vcpu_save_state(vcpu);
	return r;
}
