// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm module entry: picks the VMX or SVM backend, registers the
 * /dev/minikvm misc device and serves the system-fd ioctls of KVM's uAPI
 * (KVM_GET_API_VERSION, KVM_CHECK_EXTENSION, KVM_CREATE_VM,
 * KVM_GET_VCPU_MMAP_SIZE).
 *
 * Context: process context; the ioctls take no lock of their own.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "minikvm.h"

static ushort dev_mode = 0600;
module_param(dev_mode, ushort, 0444);
MODULE_PARM_DESC(dev_mode,
		 "permissions of /dev/minikvm (default 0600; 0660 with a udev rule setting the group)");

const struct mkvm_backend *mkvm_be;

/* Probed in this order; the first whose probe() succeeds is used. */
static const struct mkvm_backend *const mkvm_backends[] = {
	&vmx_backend,
	&svm_backend,
};

/**
 * mkvm_check_extension() - KVM_CHECK_EXTENSION, on the system or a VM fd
 * @cap: a KVM_CAP_* number
 *
 * Return: what minikvm really implements: 0 for anything it does not.
 */
long mkvm_check_extension(long cap)
{
	switch (cap) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_CHECK_EXTENSION_VM:
	case KVM_CAP_BINARY_STATS_FD:
	case MINIKVM_CAP_EXIT_TRACE:	/* minikvm's own (kmod/trace.c) */
	case KVM_CAP_EXT_CPUID:		/* KVM_GET_SUPPORTED_CPUID, *_CPUID2 */
	case KVM_CAP_GET_TSC_KHZ:	/* the vCPU's KVM_GET_TSC_KHZ */
		return 1;
	case KVM_CAP_MP_STATE:		/* KVM_GET/SET_MP_STATE (lapic.c) */
	case KVM_CAP_SET_BOOT_CPU_ID:	/* kmod/vm.c */
		return 1;
	case KVM_CAP_VCPU_EVENTS:	/* arch/x86/events.c */
	case KVM_CAP_USER_NMI:		/* KVM_NMI, same file */
		return 1;
	case KVM_CAP_IMMEDIATE_EXIT:
		/* Honoured wherever KVM_RUN exists (both backends have it). */
		return !!mkvm_be->vcpu_run;
	case KVM_CAP_SET_GUEST_DEBUG:
	case KVM_CAP_DEBUGREGS:
		/* Both backends debug guests (arch/x86/debug.c). */
		return !!mkvm_be->vcpu_run;
	case KVM_CAP_MULTI_ADDRESS_SPACE:
		return MKVM_ADDRESS_SPACES;
	case KVM_CAP_NR_MEMSLOTS:
		return MKVM_USER_MEM_SLOTS;
	case KVM_CAP_NR_VCPUS:
		return min_t(long, num_online_cpus(), MKVM_MAX_VCPUS);
	case KVM_CAP_MAX_VCPUS:
		return MKVM_MAX_VCPUS;
	case KVM_CAP_MAX_VCPU_ID:
		return MKVM_MAX_VCPU_IDS;
	case KVM_CAP_XSAVE:	/* KVM_GET/SET_XSAVE: x87 and SSE at least */
		return 1;
	/*
	 * KVM_CREATE_IRQCHIP: local APICs (arch/x86/lapic.c), the I/O APIC
	 * (irqchip.c) and the PIC pair (pic.c), with KVM_IRQ_LINE and
	 * KVM_GET/SET_IRQCHIP; the APIC's TSC-deadline timer, for userspace
	 * to set CPUID.1:ECX.TSC_Deadline.
	 */
	case KVM_CAP_IRQCHIP:
	case KVM_CAP_TSC_DEADLINE_TIMER:
		return 1;
	case KVM_CAP_IRQ_INJECT_STATUS:	/* KVM_IRQ_LINE_STATUS (irqchip.c) */
		return 1;
	case KVM_CAP_XCRS:
		return boot_cpu_has(X86_FEATURE_XSAVE);
	case KVM_CAP_XSAVE2:	/* KVM_GET_XSAVE2's size */
		return max_t(long, mkvm_x86_xsave_size(mkvm_x86_xcr0_supported),
			     sizeof(struct kvm_xsave));
	default:
		return 0;
	}
}

static long mkvm_dev_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_API_VERSION:
		return arg ? -EINVAL : KVM_API_VERSION;
	case KVM_CHECK_EXTENSION:
		return mkvm_check_extension(arg);
	case KVM_CREATE_VM:
		return mkvm_vm_create(arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		return arg ? -EINVAL : MKVM_VCPU_MMAP_PAGES * PAGE_SIZE;
	/* CPUID and MSRs (arch/x86/cpuid.c, msr.c). */
	case KVM_GET_SUPPORTED_CPUID:
		return mkvm_x86_get_supported_cpuid((void __user *)arg);
	case KVM_GET_MSR_INDEX_LIST:
		return mkvm_x86_get_msr_index_list((void __user *)arg);
	default:
		/* KVM answers unknown system ioctls with -EINVAL. */
		return -EINVAL;
	}
}

static const struct file_operations mkvm_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = mkvm_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice mkvm_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "minikvm",
	.fops = &mkvm_dev_fops,
};

/* A backend with a missing op is a programming error: refuse it. */
static bool mkvm_backend_complete(const struct mkvm_backend *be)
{
	bool runs = be->vm_init && be->vm_destroy && be->vcpu_create &&
		    be->vcpu_free && be->vcpu_run && be->vcpu_load_state &&
		    be->vcpu_save_state && be->vcpu_save_regs && be->map_gfn &&
		    be->map_huge && be->unmap_range && be->msr_access &&
		    be->protect_range;
	bool runs_none = !be->vm_init && !be->vm_destroy &&
			 !be->vcpu_create && !be->vcpu_free && !be->vcpu_run &&
			 !be->vcpu_load_state && !be->vcpu_save_state &&
			 !be->vcpu_save_regs && !be->map_gfn && !be->map_huge &&
			 !be->unmap_range && !be->msr_access &&
			 !be->protect_range;

	/* The run ops come all together, or not at all (no KVM_RUN). */
	return be->name && be->probe && be->setup && be->unsetup &&
	       be->cpu_enable && be->cpu_disable && (runs || runs_none);
}

static int mkvm_pick_backend(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mkvm_backends); i++) {
		if (!mkvm_backend_complete(mkvm_backends[i])) {
			pr_err("backend %s lacks a mandatory op\n",
			       mkvm_backends[i]->name ?: "?");
			return -EINVAL;
		}
	}
	for (i = 0; i < ARRAY_SIZE(mkvm_backends); i++) {
		if (mkvm_backends[i]->probe() == 0) {
			mkvm_be = mkvm_backends[i];
			return 0;
		}
	}
	pr_err("no usable hardware virtualization (neither Intel VMX nor AMD SVM); not loading\n");
	return -EOPNOTSUPP;
}

static int __init mkvm_init(void)
{
	int r;

	r = mkvm_pick_backend();
	if (r)
		return r;
	mkvm_x86_cpuid_init();
	r = mkvm_stats_init();
	if (r)
		return r;
	r = mkvm_be->setup();
	if (r)
		goto err_stats;
	r = mkvm_hw_init();
	if (r)
		goto err_unsetup;

	mkvm_dev.mode = dev_mode;
	r = misc_register(&mkvm_dev);
	if (r)
		goto err_hw;
	pr_info("using %s; /dev/%s ready\n", mkvm_be->name, mkvm_dev.name);
	return 0;

err_hw:
	mkvm_hw_exit();
err_unsetup:
	mkvm_be->unsetup();
err_stats:
	mkvm_stats_exit();
	return r;
}

static void __exit mkvm_exit(void)
{
	misc_deregister(&mkvm_dev);
	mkvm_hw_exit();
	mkvm_be->unsetup();
	mkvm_stats_exit();
}

module_init(mkvm_init);
module_exit(mkvm_exit);

MODULE_DESCRIPTION("minikvm: a small hypervisor on Intel VMX and AMD SVM with a subset of the KVM uAPI");
MODULE_LICENSE("GPL");
MODULE_VERSION(MINIKVM_VERSION);
