// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VM object and its fd: KVM_CREATE_VM on the system fd makes one, and
 * the VM fd serves KVM_CHECK_EXTENSION, KVM_SET_USER_MEMORY_REGION,
 * KVM_CREATE_VCPU, KVM_GET_DIRTY_LOG, KVM_GET_STATS_FD,
 * KVM_CREATE_IRQCHIP (local APICs, arch/x86/lapic.c; the I/O APIC,
 * arch/x86/irqchip.c, with KVM_IRQ_LINE(_STATUS) and KVM_GET/SET_IRQCHIP)
 * and KVM_SET_BOOT_CPU_ID.
 *
 * Lifetime: a kref held by the VM fd and by every vCPU fd; the last put
 * frees the vCPUs, the memslots and the VM's share of hardware
 * virtualization.  Context: process context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "minikvm.h"

void mkvm_vm_get(struct mkvm_vm *vm)
{
	kref_get(&vm->ref);
}

static void mkvm_vm_destroy(struct kref *ref)
{
	struct mkvm_vm *vm = container_of(ref, struct mkvm_vm, ref);
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		mkvm_vcpu_free(vm->vcpus[i]);
	vm->nr_vcpus = 0;	/* nothing left to kick (kmod/kick.c) */
	mkvm_memslots_free(vm);
	mkvm_irqchip_free(vm);
	if (mkvm_be->vm_destroy)
		mkvm_be->vm_destroy(vm);
	mmdrop(vm->mm);
	kfree(vm);
	mkvm_hw_put();
}

void mkvm_vm_put(struct mkvm_vm *vm)
{
	kref_put(&vm->ref, mkvm_vm_destroy);
}

/*
 * KVM_CREATE_IRQCHIP: the I/O APIC (arch/x86/irqchip.c), and every vCPU
 * created from now on gets an in-kernel local APIC (arch/x86/lapic.c).
 * No PIC yet.  As KVM: -EEXIST the second time, -EINVAL once a vCPU
 * exists.
 */
static long mkvm_vm_create_irqchip(struct mkvm_vm *vm)
{
	long r = 0;

	mutex_lock(&vm->lock);
	if (vm->irqchip)
		r = -EEXIST;
	else if (vm->nr_vcpus)
		r = -EINVAL;
	else
		r = mkvm_irqchip_create(vm);
	if (!r)
		vm->irqchip = true;
	mutex_unlock(&vm->lock);
	return r;
}

/*
 * KVM_SET_BOOT_CPU_ID: the vCPU id that gets IA32_APIC_BASE.BSP at
 * creation (and with an irqchip starts RUNNABLE, the others
 * UNINITIALIZED).  As KVM 6.1: -EBUSY once a vCPU exists; the argument is
 * taken as a u32 without a range check (an id no vCPU has leaves the VM
 * without a BSP).
 */
static long mkvm_vm_set_boot_cpu_id(struct mkvm_vm *vm, unsigned long arg)
{
	long r = 0;

	mutex_lock(&vm->lock);
	if (vm->nr_vcpus)
		r = -EBUSY;
	else
		vm->bsp_vcpu_id = (u32)arg;
	mutex_unlock(&vm->lock);
	return r;
}

static long mkvm_vm_ioctl(struct file *filp, unsigned int ioctl,
			  unsigned long arg)
{
	struct mkvm_vm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;

	/* Like KVM, a VM serves only the process that created it. */
	if (vm->mm != current->mm)
		return -EIO;

	switch (ioctl) {
	case KVM_CHECK_EXTENSION:
		return mkvm_check_extension(arg);
	case KVM_CREATE_VCPU:
		/* KVM takes the id as a u32: higher bits are dropped. */
		return mkvm_vcpu_create(vm, (u32)arg);
	case KVM_SET_USER_MEMORY_REGION: {
		struct kvm_userspace_memory_region mem;

		if (copy_from_user(&mem, argp, sizeof(mem)))
			return -EFAULT;
		return mkvm_set_memory_region(vm, &mem);
	}
	case KVM_GET_DIRTY_LOG: {
		struct kvm_dirty_log log;

		if (copy_from_user(&log, argp, sizeof(log)))
			return -EFAULT;
		return mkvm_get_dirty_log(vm, &log);
	}
	case KVM_GET_STATS_FD:
		/* No argument; KVM ignores whatever is passed. */
		return mkvm_vm_stats_fd(vm);
	case KVM_CREATE_IRQCHIP:
		return mkvm_vm_create_irqchip(vm);
	case KVM_SET_BOOT_CPU_ID:
		return mkvm_vm_set_boot_cpu_id(vm, arg);
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS:
	case KVM_GET_IRQCHIP:
	case KVM_SET_IRQCHIP:
		return mkvm_irqchip_ioctl(vm, ioctl, argp);
	default:
		/* KVM answers unknown VM ioctls with -ENOTTY. */
		return -ENOTTY;
	}
}

static int mkvm_vm_release(struct inode *inode, struct file *filp)
{
	mkvm_vm_put(filp->private_data);
	return 0;
}

static const struct file_operations mkvm_vm_fops = {
	.owner = THIS_MODULE,
	.release = mkvm_vm_release,
	.unlocked_ioctl = mkvm_vm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/**
 * mkvm_vm_create() - KVM_CREATE_VM
 * @type: machine type; x86 KVM knows only 0
 *
 * Return: the new VM fd, -EINVAL for another type, -EBUSY when another
 * hypervisor owns VMX/SVM, -ENOMEM, or an fd allocation error.
 */
int mkvm_vm_create(unsigned long type)
{
	struct mkvm_vm *vm;
	int r;

	if (type)
		return -EINVAL;

	r = mkvm_hw_get();
	if (r)
		return r;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm) {
		mkvm_hw_put();
		return -ENOMEM;
	}
	kref_init(&vm->ref);
	mutex_init(&vm->lock);
	mutex_init(&vm->slots_lock);
	xa_init(&vm->slots);
	xa_init(&vm->pinned);
	xa_init(&vm->huge);
	mmgrab(current->mm);
	vm->mm = current->mm;
	snprintf(vm->stats_id, sizeof(vm->stats_id), "kvm-%d",
		 task_pid_nr(current));
	vm->tsc_offset = -rdtsc();
	r = mkvm_be->vm_init ? mkvm_be->vm_init(vm) : 0;
	if (r) {
		mmdrop(vm->mm);
		kfree(vm);
		mkvm_hw_put();
		return r;
	}

	r = anon_inode_getfd("minikvm-vm", &mkvm_vm_fops, vm,
			     O_RDWR | O_CLOEXEC);
	if (r < 0)
		mkvm_vm_put(vm);
	return r;
}
