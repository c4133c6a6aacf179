// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kicking vCPUs out of guest mode: after a memory slot change or a dirty
 * log collection took mappings away (or took their write permission), no
 * vCPU may go on using a translation its CPU cached before.  The order,
 * with the vCPU side in mkvm_guest_mode_enter() (kmod/minikvm.h):
 *
 *   this thread                         a vCPU thread, interrupts off
 *   change the NPT/EPT entries          guest_cpu = this CPU
 *   tlb_gen++                           full barrier
 *   full barrier                        read tlb_gen: new? flush guest TLB
 *   read guest_cpu of every vCPU        VM entry ... VM exit
 *   IPI those CPUs, wait for them       guest_cpu = -1
 *
 * A vCPU that entered before the increment is seen in guest mode and gets
 * the IPI; as host interrupts exit the guest (SVM: INTR intercept, APM
 * Vol. 2, "Interrupt Intercepts"; VMX: "external-interrupt exiting", SDM
 * Vol. 3C, "Pin-Based VM-Execution Controls") and the IPI's handler runs
 * only once the vCPU is back in the host with interrupts on, the wait ends
 * with the vCPU out of guest mode; its next entry sees the new generation
 * and flushes.  A vCPU that enters after the increment flushes first.  So
 * when mkvm_flush_remote_tlbs() returns, no CPU can reach a page through an
 * old translation, and the pages can be unpinned.
 *
 * Context: process context, slots_lock held (the callers change the tables
 * under it); takes mkvm_vm.lock to walk the vCPUs, so that a vCPU whose fd
 * is already installed but which is not yet listed cannot be missed.
 */
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/smp.h>

#include "minikvm.h"

/* Nothing to do: taking the interrupt was the point. */
static void mkvm_kick_ack(void *info)
{
}

/**
 * mkvm_flush_remote_tlbs() - make every vCPU drop its cached translations
 * of the VM's guest memory before it uses them again
 * @vm: the VM, slots_lock held
 *
 * Bumps mkvm_vm.tlb_gen and waits until every vCPU that was in guest mode
 * has left it (the file header gives the ordering).  Counted in
 * remote_tlb_flush_requests, as KVM counts its flushes.
 */
void mkvm_flush_remote_tlbs(struct mkvm_vm *vm)
{
	cpumask_var_t cpus;
	unsigned int i;

	vm->stat.remote_tlb_flush_requests++;
	atomic_inc(&vm->tlb_gen);
	smp_mb__after_atomic();	/* pairs with smp_store_mb() at entry */

	if (!zalloc_cpumask_var(&cpus, GFP_KERNEL)) {
		kick_all_cpus_sync();	/* every CPU: slower, as correct */
		return;
	}
	mutex_lock(&vm->lock);
	for (i = 0; i < vm->nr_vcpus; i++) {
		int cpu = READ_ONCE(vm->vcpus[i]->guest_cpu);

		if (cpu >= 0)
			__cpumask_set_cpu(cpu, cpus);
	}
	mutex_unlock(&vm->lock);
	/*
	 * This CPU runs no guest now; smp_call_function_many() leaves it out
	 * and waits for the others' handlers.
	 */
	preempt_disable();
	smp_call_function_many(cpus, mkvm_kick_ack, NULL, true);
	preempt_enable();
	free_cpumask_var(cpus);
}
