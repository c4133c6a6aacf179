// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vCPU object and its fd: KVM_CREATE_VCPU on a VM fd makes one; the
 * vCPU fd maps the shared kvm_run area and serves KVM_GET/SET_REGS and
 * KVM_GET/SET_SREGS, KVM_RUN (run.c), KVM_GET_STATS_FD (stats.c),
 * KVM_SET/GET_CPUID2, KVM_GET/SET_MSRS and KVM_GET_TSC_KHZ
 * (arch/x86/cpuid.c, msr.c), KVM_SET_GUEST_DEBUG and KVM_GET/SET_DEBUGREGS
 * (arch/x86/debug.c), the FPU's ioctls (arch/x86/fpu.c), KVM_GET/SET_LAPIC
 * (arch/x86/lapic.c) and minikvm's
 * MINIKVM_GET_EXIT_TRACE_FD (trace.c).
 *
 * Lifetime: a vCPU belongs to its VM and is freed with it; its fd holds a
 * reference on the VM.  Context: process context; one ioctl at a time per
 * vCPU (mkvm_vcpu.mutex).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/tsc.h>

#include "minikvm.h"

/* mmap of a vCPU fd: page 0 is kvm_run, KVM_PIO_PAGE_OFFSET the PIO page. */
static vm_fault_t mkvm_vcpu_fault(struct vm_fault *vmf)
{
	struct mkvm_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff == 0)
		page = virt_to_page(vcpu->run);
	else if (vmf->pgoff == KVM_PIO_PAGE_OFFSET)
		page = vcpu->pio_page;
	else
		return VM_FAULT_SIGBUS;

	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct mkvm_vcpu_vm_ops = {
	.fault = mkvm_vcpu_fault,
};

static int mkvm_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	vma->vm_ops = &mkvm_vcpu_vm_ops;
	return 0;
}

static long mkvm_vcpu_get_regs(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_regs regs = vcpu->arch.regs;

	/* Without the TF single-stepping added (arch/x86/debug.c). */
	regs.rflags = mkvm_x86_user_rflags(&vcpu->arch);
	if (copy_to_user(argp, &regs, sizeof(regs)))
		return -EFAULT;
	return 0;
}

static long mkvm_vcpu_set_regs(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_regs regs;

	if (copy_from_user(&regs, argp, sizeof(regs)))
		return -EFAULT;
	mkvm_x86_set_regs(&vcpu->arch, &regs);
	mkvm_x86_set_user_rflags(&vcpu->arch, regs.rflags);
	return 0;
}

static long mkvm_vcpu_get_sregs(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_sregs sregs;

	mkvm_x86_get_sregs(&vcpu->arch, &sregs);
	/* CR8 is the in-kernel APIC's TPR[7:4] (arch/x86/lapic.c). */
	if (vcpu->lapic)
		sregs.cr8 = mkvm_lapic_cr8(vcpu);
	if (copy_to_user(argp, &sregs, sizeof(sregs)))
		return -EFAULT;
	return 0;
}

static long mkvm_vcpu_set_sregs(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_sregs sregs;

	if (copy_from_user(&sregs, argp, sizeof(sregs)))
		return -EFAULT;
	return mkvm_x86_set_sregs(&vcpu->arch, &sregs);
}

static long mkvm_vcpu_ioctl(struct file *filp, unsigned int ioctl,
			    unsigned long arg)
{
	struct mkvm_vcpu *vcpu = filp->private_data;
	void __user *argp = (void __user *)arg;
	long r;

	if (vcpu->vm->mm != current->mm)
		return -EIO;
	/* Without the vCPU mutex: a trace can start while the vCPU runs. */
	if (ioctl == MINIKVM_GET_EXIT_TRACE_FD)
		return mkvm_vcpu_trace_fd(vcpu, argp);
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	/*
	 * KVM_RUN leaves part of the registers in the VMCB/VMCS (enum
	 * mkvm_state_home); every other ioctl but the few that touch no
	 * register finds them all in vcpu->arch.
	 */
	if (ioctl != KVM_RUN && ioctl != KVM_INTERRUPT && ioctl != KVM_NMI &&
	    ioctl != KVM_GET_STATS_FD && ioctl != KVM_GET_TSC_KHZ)
		mkvm_vcpu_sync_arch(vcpu);

	switch (ioctl) {
	case KVM_GET_REGS:
		r = mkvm_vcpu_get_regs(vcpu, argp);
		break;
	case KVM_SET_REGS:
		r = mkvm_vcpu_set_regs(vcpu, argp);
		break;
	case KVM_GET_SREGS:
		r = mkvm_vcpu_get_sregs(vcpu, argp);
		break;
	case KVM_SET_SREGS:
		r = mkvm_vcpu_set_sregs(vcpu, argp);
		break;
	case KVM_SET_GUEST_DEBUG:
		r = mkvm_x86_set_guest_debug(vcpu, argp);
		break;
	case KVM_GET_DEBUGREGS:
		r = mkvm_x86_get_debugregs(vcpu, argp);
		break;
	case KVM_SET_DEBUGREGS:
		r = mkvm_x86_set_debugregs(vcpu, argp);
		break;
	/* Events for the guest: arch/x86/events.c */
	case KVM_INTERRUPT:
		r = mkvm_vcpu_interrupt(vcpu, argp);
		break;
	case KVM_GET_LAPIC:
		r = mkvm_lapic_get(vcpu, argp);
		break;
	case KVM_SET_LAPIC:
		r = mkvm_lapic_set(vcpu, argp);
		break;
	case KVM_GET_MP_STATE:
		r = mkvm_lapic_get_mp_state(vcpu, argp);
		break;
	case KVM_SET_MP_STATE:
		r = mkvm_lapic_set_mp_state(vcpu, argp);
		break;
	case KVM_NMI:
		r = mkvm_vcpu_nmi(vcpu);
		break;
	case KVM_GET_VCPU_EVENTS:
		r = mkvm_vcpu_get_events(vcpu, argp);
		break;
	case KVM_SET_VCPU_EVENTS:
		r = mkvm_vcpu_set_events(vcpu, argp);
		break;
	case KVM_GET_FPU:
	case KVM_SET_FPU:
	case KVM_GET_XSAVE:
	case KVM_SET_XSAVE:
	case KVM_GET_XSAVE2:
	case KVM_GET_XCRS:
	case KVM_SET_XCRS:
		r = mkvm_x86_fpu_ioctl(vcpu, ioctl, argp);
		break;
	case KVM_GET_STATS_FD:
		/* No argument; KVM ignores whatever is passed. */
		r = mkvm_vcpu_stats_fd(vcpu);
		break;
	/* CPUID, MSRs and TSC (arch/x86/cpuid.c, msr.c). */
	case KVM_SET_CPUID2:
		r = mkvm_x86_set_cpuid2(vcpu, argp);
		break;
	case KVM_GET_CPUID2:
		r = mkvm_x86_get_cpuid2(vcpu, argp);
		break;
	case KVM_GET_MSRS:
	case KVM_SET_MSRS:
		r = mkvm_be->msr_access ?
			mkvm_x86_msrs_ioctl(vcpu, argp, ioctl == KVM_SET_MSRS) :
			-EINVAL;
		break;
	case KVM_GET_TSC_KHZ:
		/* The host's rate: no TSC scaling (KVM_CAP_TSC_CONTROL 0). */
		r = tsc_khz ? (long)tsc_khz : -EIO;
		break;
	case KVM_RUN:
		/* Without a run-capable backend, as unknown as any ioctl. */
		r = (arg || !mkvm_be->vcpu_run) ? -EINVAL :
			mkvm_vcpu_ioctl_run(vcpu);
		break;
	default:
		/* KVM answers unknown vCPU ioctls with -EINVAL. */
		r = -EINVAL;
	}
	mutex_unlock(&vcpu->mutex);
	return r;
}

static int mkvm_vcpu_release(struct inode *inode, struct file *filp)
{
	struct mkvm_vcpu *vcpu = filp->private_data;

	mkvm_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations mkvm_vcpu_fops = {
	.owner = THIS_MODULE,
	.release = mkvm_vcpu_release,
	.unlocked_ioctl = mkvm_vcpu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = mkvm_vcpu_mmap,
	.llseek = noop_llseek,
};

static struct mkvm_vcpu *mkvm_vcpu_alloc(struct mkvm_vm *vm, u32 id)
{
	struct mkvm_vcpu *vcpu;
	struct page *run_page;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return NULL;
	run_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!run_page)
		goto err_free_vcpu;
	vcpu->pio_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vcpu->pio_page)
		goto err_free_run;
	vcpu->stat = mkvm_vcpu_stat_alloc();
	if (!vcpu->stat)
		goto err_free_pio;
	snprintf(vcpu->stats_id, sizeof(vcpu->stats_id), "kvm-%d/vcpu-%u",
		 task_pid_nr(current), id);
	vcpu->run = page_address(run_page);
	vcpu->vm = vm;
	vcpu->id = id;
	mutex_init(&vcpu->mutex);
	mkvm_x86_reset(&vcpu->arch, id == vm->bsp_vcpu_id);
	vcpu->arch.tsc_offset = vm->tsc_offset;
	if (mkvm_be->vcpu_reset)
		mkvm_be->vcpu_reset(vcpu);
	vcpu->last_cpu = -1;
	vcpu->guest_cpu = -1;
	if (mkvm_x86_fpu_create(vcpu))
		goto err_free_stat;
	if (vm->irqchip && mkvm_lapic_create(vcpu))
		goto err_free_fpu;
	if (mkvm_be->vcpu_create && mkvm_be->vcpu_create(vcpu))
		goto err_free_fpu;
	return vcpu;

err_free_fpu:
	mkvm_lapic_free(vcpu);
	mkvm_x86_fpu_free(vcpu);
err_free_stat:
	kvfree(vcpu->stat);
err_free_pio:
	__free_page(vcpu->pio_page);
err_free_run:
	__free_page(run_page);
err_free_vcpu:
	kfree(vcpu);
	return NULL;
}

void mkvm_vcpu_free(struct mkvm_vcpu *vcpu)
{
	if (mkvm_be->vcpu_free)
		mkvm_be->vcpu_free(vcpu);
	mkvm_lapic_free(vcpu);
	mkvm_x86_fpu_free(vcpu);
	kvfree(vcpu->stat);
	mkvm_x86_cpuid_free(&vcpu->arch);
	__free_page(vcpu->pio_page);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

static bool mkvm_vcpu_id_taken(struct mkvm_vm *vm, u32 id)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i]->id == id)
			return true;
	return false;
}

/**
 * mkvm_vcpu_create() - KVM_CREATE_VCPU
 * @vm: the VM
 * @id: vCPU id (the APIC ID the guest will see)
 *
 * Return: the vCPU fd; -EINVAL for an id out of range or when the VM has its
 * maximum number of vCPUs, -EEXIST for an id in use, -ENOMEM.
 */
int mkvm_vcpu_create(struct mkvm_vm *vm, u32 id)
{
	struct mkvm_vcpu *vcpu;
	char name[24];
	int r;

	if (id >= MKVM_MAX_VCPU_IDS)
		return -EINVAL;

	mutex_lock(&vm->lock);
	if (vm->nr_vcpus >= MKVM_MAX_VCPUS) {
		r = -EINVAL;
		goto out_unlock;
	}
	if (mkvm_vcpu_id_taken(vm, id)) {
		r = -EEXIST;
		goto out_unlock;
	}
	vcpu = mkvm_vcpu_alloc(vm, id);
	if (!vcpu) {
		r = -ENOMEM;
		goto out_unlock;
	}

	/* The fd's reference; taken first so a racing close cannot free. */
	mkvm_vm_get(vm);
	snprintf(name, sizeof(name), "minikvm-vcpu:%u", id);
	r = anon_inode_getfd(name, &mkvm_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
	if (r < 0) {
		/* Our caller's VM fd is held for the ioctl: never the last put. */
		mkvm_vm_put(vm);
		mkvm_vcpu_free(vcpu);
		goto out_unlock;
	}
	vm->vcpus[vm->nr_vcpus++] = vcpu;

out_unlock:
	mutex_unlock(&vm->lock);
	return r;
}
