// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hardware virtualization on/off: every online CPU enters VMX operation
 * (VMXON) or sets EFER.SVME when the first VM is created, and leaves it when
 * the last VM goes, so that minikvm and other hypervisors (kvm_intel,
 * kvm_amd, VirtualBox) can take turns on one machine.
 *
 * Context and locking: mkvm_hw_get/put run in process context.  The VM
 * count and each CPU's state change under mkvm_hw_lock, always taken inside
 * the CPU-hotplug read lock, so a CPU cannot come or go half-way.  The
 * hotplug callbacks run on the CPU concerned (the hotplug core holds the
 * write lock).  The per-CPU work itself runs with interrupts off (IPI) or
 * preemption off.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/smp.h>

#include "compat.h"
#include "minikvm.h"

static DEFINE_MUTEX(mkvm_hw_lock);
static unsigned int mkvm_hw_users;	/* VMs alive; under mkvm_hw_lock */
static bool mkvm_rebooting;		/* never enable again once set */
static DEFINE_PER_CPU(bool, mkvm_cpu_on);
static enum cpuhp_state mkvm_cpuhp_state;

/* Enable on this CPU unless already on; interrupts or preemption off. */
static int mkvm_cpu_enable(void)
{
	int r;

	if (__this_cpu_read(mkvm_cpu_on))
		return 0;
	if (READ_ONCE(mkvm_rebooting))
		return -ESHUTDOWN;
	r = mkvm_be->cpu_enable();
	if (r)
		return r;
	__this_cpu_write(mkvm_cpu_on, true);
	return 0;
}

static void mkvm_cpu_disable(void)
{
	if (!__this_cpu_read(mkvm_cpu_on))
		return;
	mkvm_be->cpu_disable();
	__this_cpu_write(mkvm_cpu_on, false);
}

/* What went wrong while enabling on all CPUs, for one summary line. */
struct mkvm_enable_result {
	atomic_t failed;	/* CPUs that refused */
	int first_cpu;		/* one of them, and its error */
	int first_err;
};

static void mkvm_cpu_enable_ipi(void *data)
{
	struct mkvm_enable_result *res = data;
	int r = mkvm_cpu_enable();

	if (r && atomic_inc_return(&res->failed) == 1) {
		res->first_cpu = smp_processor_id();
		res->first_err = r;
	}
}

static void mkvm_cpu_disable_ipi(void *unused)
{
	mkvm_cpu_disable();
}

/**
 * mkvm_hw_get() - take a reference on hardware virtualization for a new VM
 *
 * Return: 0, or -EBUSY when some CPU is owned by another hypervisor (all
 * CPUs are then left as they were).
 */
int mkvm_hw_get(void)
{
	struct mkvm_enable_result res = { .failed = ATOMIC_INIT(0) };
	int r = 0;

	cpus_read_lock();
	mutex_lock(&mkvm_hw_lock);
	if (mkvm_hw_users++ == 0) {
		on_each_cpu(mkvm_cpu_enable_ipi, &res, 1);
		if (atomic_read(&res.failed)) {
			on_each_cpu(mkvm_cpu_disable_ipi, NULL, 1);
			mkvm_hw_users = 0;
			r = -EBUSY;
			/* A program may retry in a loop: keep the log readable. */
			pr_err_ratelimited("KVM_CREATE_VM refused: %s unavailable on %d CPU(s), e.g. CPU %d (%d)%s\n",
					   mkvm_be->name, atomic_read(&res.failed),
					   res.first_cpu, res.first_err,
					   res.first_err == -EBUSY ?
					   ": another hypervisor owns it" :
					   res.first_err == -ESHUTDOWN ?
					   ": the machine is rebooting" : "");
		}
	}
	mutex_unlock(&mkvm_hw_lock);
	cpus_read_unlock();
	return r;
}

/** mkvm_hw_put() - drop a VM's reference; the last one switches off. */
void mkvm_hw_put(void)
{
	cpus_read_lock();
	mutex_lock(&mkvm_hw_lock);
	if (!WARN_ON(!mkvm_hw_users) && --mkvm_hw_users == 0)
		on_each_cpu(mkvm_cpu_disable_ipi, NULL, 1);
	mutex_unlock(&mkvm_hw_lock);
	cpus_read_unlock();
}

/*
 * CPU hotplug: a CPU coming online while VMs exist joins in.  Interrupts are
 * off around the switch so the reboot IPI cannot find the hardware state and
 * mkvm_cpu_on disagreeing.
 */
static int mkvm_cpu_online(unsigned int cpu)
{
	unsigned long flags;
	int r = 0;

	mutex_lock(&mkvm_hw_lock);
	if (mkvm_hw_users) {
		local_irq_save(flags);
		r = mkvm_cpu_enable();
		local_irq_restore(flags);
		if (r)
			pr_err("CPU %u: cannot enable %s (%d); refusing to online it while VMs exist\n",
			       cpu, mkvm_be->name, r);
	}
	mutex_unlock(&mkvm_hw_lock);
	return r;
}

static int mkvm_cpu_offline(unsigned int cpu)
{
	unsigned long flags;

	mutex_lock(&mkvm_hw_lock);
	local_irq_save(flags);
	mkvm_cpu_disable();
	local_irq_restore(flags);
	mutex_unlock(&mkvm_hw_lock);
	return 0;
}

/*
 * Reboot: VMX operation blocks INIT, so leave it everywhere before the
 * machine restarts, and refuse to re-enter it afterwards.
 */
static int mkvm_reboot(struct notifier_block *nb, unsigned long code, void *v)
{
	WRITE_ONCE(mkvm_rebooting, true);
	on_each_cpu(mkvm_cpu_disable_ipi, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block mkvm_reboot_nb = {
	.notifier_call = mkvm_reboot,
};

/* Suspend/resume run on the last CPU standing with interrupts off. */
static int mkvm_suspend(void)
{
	mkvm_cpu_disable();
	return 0;
}

static void mkvm_resume(void)
{
	/* mkvm_hw_lock is not needed: nothing else runs now. */
	if (mkvm_hw_users && mkvm_cpu_enable())
		pr_err("cannot re-enable %s after resume\n", mkvm_be->name);
}

MKVM_SYSCORE(mkvm_syscore, mkvm_suspend, mkvm_resume);

/**
 * mkvm_percpu_pages_alloc() - one zeroed page per possible CPU, on its node
 * @pages: a per-CPU page pointer (the backends' VMXON regions, save areas)
 *
 * Return: 0, or -ENOMEM with nothing left allocated.
 */
int mkvm_percpu_pages_alloc(struct page *__percpu *pages)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct page *page = alloc_pages_node(cpu_to_node(cpu),
						     GFP_KERNEL | __GFP_ZERO, 0);

		if (!page) {
			mkvm_percpu_pages_free(pages);
			return -ENOMEM;
		}
		*per_cpu_ptr(pages, cpu) = page;
	}
	return 0;
}

/** mkvm_percpu_pages_free() - undo mkvm_percpu_pages_alloc(), even partly */
void mkvm_percpu_pages_free(struct page *__percpu *pages)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct page **page = per_cpu_ptr(pages, cpu);

		if (*page)
			__free_page(*page);
		*page = NULL;
	}
}

int mkvm_hw_init(void)
{
	int r;

	r = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "minikvm:online",
				      mkvm_cpu_online, mkvm_cpu_offline);
	if (r < 0)
		return r;
	mkvm_cpuhp_state = r;
	register_reboot_notifier(&mkvm_reboot_nb);
	mkvm_syscore_register(&mkvm_syscore);
	return 0;
}

/* Module unload: no VM exists any more (every fd pins the module). */
void mkvm_hw_exit(void)
{
	mkvm_syscore_unregister(&mkvm_syscore);
	unregister_reboot_notifier(&mkvm_reboot_nb);
	cpuhp_remove_state_nocalls(mkvm_cpuhp_state);
}
