// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMX vCPUs: the VMCS and where it is active, moving the architectural
 * state in and out of it, VPIDs, and one trip into the guest.
 *
 * A VMCS is active on at most one CPU at a time.  A vCPU whose thread moved
 * has its VMCS cleared on the old CPU (VMCLEAR through an IPI) and loaded
 * on the new one (VMPTRLD), whose host-state fields are then written; each
 * CPU keeps a list of the VMCSs active on it, cleared before VMXOFF (CPU
 * offline, reboot, the last VM gone) and when a vCPU is freed (Intel SDM
 * Vol. 3C, "Software Use of the VMCS and Related Structures", "VMCLEAR",
 * "VMPTRLD").
 *
 * Context: process context with the vCPU mutex held.  VMCS accesses happen
 * between vmx_vmcs_get() and vmx_vmcs_put() (preemption off); the VMCLEAR
 * IPI and vmx_clear_cpu_vmcss() run with interrupts off.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": vmx: " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <asm/cpu_entry_area.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/processor-flags.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "minikvm.h"
#include "trace_events.h"
#include "vmcs.h"
#include "vmx.h"

static_assert(offsetof(struct vmx_gprs, rdi) == VMX_GPR_RDI);
static_assert(offsetof(struct vmx_gprs, r15) == VMX_GPR_R15);
static_assert(sizeof(struct vmx_gprs) == VMX_GPR_SIZE);

/* Power-on PAT (SDM Vol. 3A, "PAT Initialization"). */
#define VMX_PAT_DEFAULT		0x0007040600070406ULL
/* DR6 and DR7 after RESET (SDM Vol. 3B, "Debug Registers"). */
#define VMX_DR6_RESET		0xffff0ff0UL
#define VMX_DR7_RESET		0x400UL
#define VMX_DR7_ENABLED		0xffUL	/* L0-L3, G0-G3 */
/* The TPR in the virtual-APIC page (SDM Vol. 3C, "Virtual-APIC Page"). */
#define VMX_VAPIC_TPR		0x80
/*
 * PAUSE-loop exiting: PAUSEs at most PLE_GAP TSC cycles apart form a loop,
 * which exits once it spun for PLE_WINDOW cycles (SDM Vol. 3C, "PAUSE-Loop
 * Exiting"); KVM's default values.
 */
#define VMX_PLE_GAP		128
#define VMX_PLE_WINDOW		4096
/* VMCS link pointer: no shadow VMCS. */
#define VMX_LINK_NONE		(~0ULL)

/*
 * CR0 bits the guest changes without an exit: those with no bearing on the
 * hardware VMX needs.  MOV to CR0 changing any other bit exits, so that
 * PE/PG (the IA-32e mode entry control follows EFER.LMA), NE (fixed to 1)
 * and CD/NW (caching stays on in hardware, as on SVM) are under minikvm's
 * control; reads of them return the read shadow (SDM Vol. 3C,
 * "Guest/Host Masks and Read Shadows for CR0 and CR4").  Every CR4 bit is
 * minikvm's: CR4.VMXE must stay set in VMX operation, and the guest may set
 * only what mkvm_x86_cr4_valid() allows.
 */
#define VMX_CR0_GUEST_BITS						\
	(X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | X86_CR0_ET |		\
	 X86_CR0_WP | X86_CR0_AM)
#define VMX_CR0_OWNED		(~(unsigned long)VMX_CR0_GUEST_BITS)
#define VMX_CR4_OWNED		(~0UL)

/* The VMCSs active on each CPU, and which one is current. */
static DEFINE_PER_CPU(struct list_head, vmx_active_vmcss);
static DEFINE_PER_CPU(struct vmx_vcpu *, vmx_current);
/* A VMREAD/VMWRITE failed since the last vmx_vmcs_get() on this CPU. */
static DEFINE_PER_CPU(bool, vmx_vmcs_failed);

/* MSR bitmap with every bit set: every RDMSR/WRMSR exits.  Shared. */
static struct page *vmx_msr_bitmap;

/* VPIDs in use, 0 (the host's) reserved. */
static unsigned long *vmx_vpids;
static DEFINE_SPINLOCK(vmx_vpid_lock);

/* The host's syscall MSRs, the same on every CPU (read at setup). */
static u64 vmx_host_star, vmx_host_lstar, vmx_host_cstar, vmx_host_sfmask;
#ifdef CONFIG_PREEMPT_NOTIFIERS
static bool vmx_notifiers_on;
#endif

/* The VM-instruction error of the last failed VMX instruction, raw. */
static u32 vmx_insn_error(void)
{
	unsigned long err;

	asm goto("1: vmread %[field], %[err]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, (%l[fail]))
		 : [err] "=r" (err) : [field] "r" ((unsigned long)VMCS_INSN_ERROR)
		 : "cc" : fail);
	return err;
fail:
	return 0;
}

/**
 * vmx_vmcs_error() - a VMREAD/VMWRITE failed
 * @insn: which instruction
 * @field: the field encoding
 * @val: the value written
 *
 * A bug in minikvm (or VMX operation gone): logged, and the CPU's flag set
 * so that vmx_vmcs_put() fails the vCPU.
 */
void vmx_vmcs_error(const char *insn, unsigned long field, unsigned long val)
{
	this_cpu_write(vmx_vmcs_failed, true);
	pr_err_ratelimited("%s of VMCS field %#lx (value %#lx) failed on CPU %d, VM-instruction error %u\n",
			   insn, field, val, raw_smp_processor_id(),
			   vmx_insn_error());
}

/* VMCLEAR / VMPTRLD of a VMCS region; -EIO on VMfail or a fault. */
static int vmx_vmclear(struct vmx_vcpu *vmx)
{
	asm goto("1: vmclear %[pa]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, (%l[fail]))
		 : : [pa] "m" (vmx->vmcs_pa) : "cc", "memory" : fail);
	return 0;
fail:
	pr_err("VMCLEAR of %#llx failed on CPU %d\n", vmx->vmcs_pa,
	       raw_smp_processor_id());
	return -EIO;
}

static int vmx_vmptrld(struct vmx_vcpu *vmx)
{
	asm goto("1: vmptrld %[pa]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, (%l[fail]))
		 : : [pa] "m" (vmx->vmcs_pa) : "cc", "memory" : fail);
	return 0;
fail:
	pr_err("VMPTRLD of %#llx failed on CPU %d (VM-instruction error %u)\n",
	       vmx->vmcs_pa, raw_smp_processor_id(), vmx_insn_error());
	return -EIO;
}

/* Clear @vmx's VMCS on this CPU, where it is active.  Interrupts off. */
static void vmx_clear_here(struct vmx_vcpu *vmx)
{
	vmx_vmclear(vmx);
	if (this_cpu_read(vmx_current) == vmx)
		this_cpu_write(vmx_current, NULL);
	list_del_init(&vmx->cpu_link);
	vmx->launched = false;
	/* Ordered after the VMCLEAR for the CPU that loads it next. */
	smp_store_release(&vmx->cpu, -1);
}

static void vmx_clear_ipi(void *arg)
{
	struct vmx_vcpu *vmx = arg;

	if (READ_ONCE(vmx->cpu) == smp_processor_id())
		vmx_clear_here(vmx);
}

/* Clear @vmx's VMCS wherever it is active; may wait for another CPU. */
static void vmx_clear_remote(struct vmx_vcpu *vmx)
{
	/* Pairs with the release in vmx_clear_here(). */
	int cpu = smp_load_acquire(&vmx->cpu);

	/*
	 * -ENXIO: that CPU went offline, after vmx_clear_cpu_vmcss() cleared
	 * every VMCS there.
	 */
	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_clear_ipi, vmx, 1);
}

/**
 * vmx_clear_cpu_vmcss() - VMCLEAR every VMCS active on this CPU
 *
 * Before VMXOFF.  Context: on the CPU, preemption or interrupts off.
 */
void vmx_clear_cpu_vmcss(void)
{
	struct list_head *list = this_cpu_ptr(&vmx_active_vmcss);
	struct vmx_vcpu *vmx, *tmp;
	unsigned long flags;

	local_irq_save(flags);
	list_for_each_entry_safe(vmx, tmp, list, cpu_link)
		vmx_clear_here(vmx);
	this_cpu_write(vmx_current, NULL);
	local_irq_restore(flags);
}

/*
 * Host-state fields that differ between CPUs: the TSS, the GDT (the
 * read-only fixmap alias Linux runs on), the IDT, the kernel's GS base and
 * the SYSENTER stack (SDM Vol. 3C, "Host-State Area").  The VMCS is current.
 */
static void vmx_write_host_cpu_state(struct vmx_vcpu *vmx, int cpu)
{
	struct desc_ptr idt;
	u64 val;

	vmcs_writel(VMCS_HOST_TR_BASE,
		    (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	vmcs_writel(VMCS_HOST_GDTR_BASE, (unsigned long)get_current_gdt_ro());
	store_idt(&idt);
	vmcs_writel(VMCS_HOST_IDTR_BASE, idt.address);
	rdmsrl(MSR_GS_BASE, val);
	vmcs_writel(VMCS_HOST_GS_BASE, val);
	rdmsrl(MSR_IA32_SYSENTER_ESP, val);
	vmcs_writel(VMCS_HOST_SYSENTER_ESP, val);
	vmcs_writel(VMCS_HOST_CR0, read_cr0());
	/* Written again before the next entry (vmx_write_host_task_state()). */
	vmx->host_cr3 = 0;
	vmx->host_cr4 = 0;
	vmx->host_fs_base = ~0UL;
}

/**
 * vmx_vmcs_get() - make the vCPU's VMCS current on this CPU
 * @vcpu: the vCPU
 *
 * Disables preemption.  A VMCS still active on another CPU is cleared
 * there first; a VMCS new to this CPU gets this CPU's host state and the
 * guest's cached translations are flushed before the next entry (this CPU
 * may hold stale ones from an earlier stay).
 *
 * Return: 0 with preemption off, or -EIO with preemption on again.
 */
int vmx_vmcs_get(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	int cpu;

	preempt_disable();
	this_cpu_write(vmx_vmcs_failed, false);
	cpu = smp_processor_id();
	if (READ_ONCE(vmx->cpu) != cpu) {
		vmx_clear_remote(vmx);
		if (vmx_vmptrld(vmx))
			goto fail;
		local_irq_disable();
		list_add(&vmx->cpu_link, this_cpu_ptr(&vmx_active_vmcss));
		WRITE_ONCE(vmx->cpu, cpu);
		local_irq_enable();
		this_cpu_write(vmx_current, vmx);
		vmx->launched = false;
		vmx->flush_tlb = true;
		vmx_write_host_cpu_state(vmx, cpu);
	} else if (this_cpu_read(vmx_current) != vmx) {
		if (vmx_vmptrld(vmx))
			goto fail;
		this_cpu_write(vmx_current, vmx);
	}
	return 0;
fail:
	vmx->failed = true;
	preempt_enable();
	return -EIO;
}

/**
 * vmx_vmcs_put() - end of a vmx_vmcs_get() section
 * @vcpu: the vCPU
 *
 * Return: 0, or -EIO when a VMREAD/VMWRITE failed in the section: the vCPU
 * is then failed for good (vmx_vcpu_run() refuses it).
 */
int vmx_vmcs_put(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	int r = 0;

	if (this_cpu_read(vmx_vmcs_failed)) {
		vmx->failed = true;
		r = -EIO;
	}
	preempt_enable();
	return r;
}

int vmx_percpu_setup(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		INIT_LIST_HEAD(per_cpu_ptr(&vmx_active_vmcss, cpu));
	rdmsrl(MSR_STAR, vmx_host_star);
	rdmsrl(MSR_LSTAR, vmx_host_lstar);
	rdmsrl(MSR_CSTAR, vmx_host_cstar);
	rdmsrl(MSR_SYSCALL_MASK, vmx_host_sfmask);
	vmx_msr_bitmap = alloc_page(GFP_KERNEL);
	vmx_vpids = bitmap_zalloc(VMX_NR_VPIDS, GFP_KERNEL);
	if (!vmx_msr_bitmap || !vmx_vpids) {
		vmx_percpu_unsetup();
		return -ENOMEM;
	}
	memset(page_address(vmx_msr_bitmap), 0xff, PAGE_SIZE);
	__set_bit(0, vmx_vpids);
#ifdef CONFIG_PREEMPT_NOTIFIERS
	/* Sched-out notifiers put the host's state back (vmx_vcpu_load()). */
	preempt_notifier_inc();
	vmx_notifiers_on = true;
#endif
	return 0;
}

void vmx_percpu_unsetup(void)
{
#ifdef CONFIG_PREEMPT_NOTIFIERS
	if (vmx_notifiers_on)
		preempt_notifier_dec();
	vmx_notifiers_on = false;
#endif
	if (vmx_msr_bitmap)
		__free_page(vmx_msr_bitmap);
	bitmap_free(vmx_vpids);
	vmx_msr_bitmap = NULL;
	vmx_vpids = NULL;
}

/* A VPID for a new vCPU; 0 (no VPID) when unsupported or all taken. */
static u16 vmx_vpid_alloc(void)
{
	unsigned long vpid;

	if (!vmx_cfg.vpid)
		return 0;
	spin_lock(&vmx_vpid_lock);
	vpid = find_first_zero_bit(vmx_vpids, VMX_NR_VPIDS);
	if (vpid < VMX_NR_VPIDS)
		__set_bit(vpid, vmx_vpids);
	else
		vpid = 0;
	spin_unlock(&vmx_vpid_lock);
	return vpid;
}

static void vmx_vpid_free(u16 vpid)
{
	if (!vpid)
		return;
	spin_lock(&vmx_vpid_lock);
	__clear_bit(vpid, vmx_vpids);
	spin_unlock(&vmx_vpid_lock);
}

int vmx_vm_init(struct mkvm_vm *vm)
{
	struct vmx_vm *vmx_vm = kzalloc(sizeof(*vmx_vm), GFP_KERNEL_ACCOUNT);
	int r;

	if (!vmx_vm)
		return -ENOMEM;
	r = vmx_ept_init(vmx_vm);
	if (r) {
		kfree(vmx_vm);
		return r;
	}
	vm->be = vmx_vm;
	return 0;
}

void vmx_vm_destroy(struct mkvm_vm *vm)
{
	vmx_ept_destroy(vm->be);
	kfree(vm->be);
}

/*
 * Secondary controls of one vCPU: VPID only with a VPID of its own; RDTSCP
 * and RDPID, which #UD without "enable RDTSCP", when the vCPU's CPUID
 * offers them (the guest's TSC_AUX is switched in, msr.c), as KVM does.
 * Written at creation and again at each KVM_RUN's first entry, since the
 * CPUID may change until then.
 */
static u32 vmx_vcpu_proc2(const struct mkvm_vcpu *vcpu)
{
	const struct vmx_vcpu *vmx = vcpu->be;
	u32 ctl = vmx_cfg.proc2 & ~VMX_PROC2_VPID;

	if (vmx->vpid)
		ctl |= VMX_PROC2_VPID;
	if (mkvm_x86_guest_has_tsc_aux(&vcpu->arch) &&
	    (vmx_cfg.proc2_may1 & VMX_PROC2_RDTSCP))
		ctl |= VMX_PROC2_RDTSCP;
	return ctl;
}

/*
 * Everything in a new VMCS that stays: controls, the shared MSR bitmap,
 * EPT, masks, constant host state (SDM Vol. 3C, "Virtual Machine Control
 * Structures"; Vol. 3C, "Checks on Host Control Registers, MSRs, and SSP"
 * for the host selectors: RPL and TI 0, CS and TR not null).  The VMCS is
 * current.
 */
static void vmx_vmcs_init(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	struct vmx_vm *vmx_vm = vcpu->vm->be;
	u64 val;

	if (vmx->vpid)
		vmcs_write16(VMCS_VPID, vmx->vpid);
	vmcs_write32(VMCS_PIN_CTLS, vmx_cfg.pin);
	/* Reloaded from here at every entry (no "save" exit control). */
	if (vmx_cfg.preemption_timer)
		vmcs_write32(VMCS_PREEMPTION_TIMER, vmx_cfg.preemption_timer);
	vmcs_write32(VMCS_PROC_CTLS, vmx_cfg.proc);
	vmcs_write32(VMCS_PROC2_CTLS, vmx_vcpu_proc2(vcpu));
	vmcs_write32(VMCS_EXIT_CTLS, vmx_cfg.exit);
	vmcs_write32(VMCS_ENTRY_CTLS, vmx_cfg.entry);
	if (vmx_cfg.proc2 & VMX_PROC2_PAUSE_LOOP_EXITING) {
		vmcs_write32(VMCS_PLE_GAP, VMX_PLE_GAP);
		vmcs_write32(VMCS_PLE_WINDOW, VMX_PLE_WINDOW);
	}
	vmcs_write32(VMCS_EXCEPTION_BITMAP, VMX_EXC_ALWAYS);
	vmcs_write32(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write32(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
	vmcs_write64(VMCS_MSR_BITMAP, page_to_phys(vmx_msr_bitmap));
	vmcs_write64(VMCS_VIRTUAL_APIC_ADDR, virt_to_phys(vmx->vapic));
	vmcs_write32(VMCS_TPR_THRESHOLD, 0);	/* no TPR-below-threshold exits */
	vmcs_write64(VMCS_EPT_POINTER, vmx_vm->eptp);
	vmcs_write64(VMCS_LINK_POINTER, VMX_LINK_NONE);
	vmcs_writel(VMCS_CR0_MASK, VMX_CR0_OWNED);
	vmcs_writel(VMCS_CR4_MASK, VMX_CR4_OWNED);

	vmcs_writel(VMCS_GUEST_DR7, VMX_DR7_RESET);
	vmcs_write64(VMCS_GUEST_DEBUGCTL, 0);
	vmcs_write64(VMCS_GUEST_PAT, VMX_PAT_DEFAULT);
	vmcs_write32(VMCS_GUEST_ACTIVITY, 0);
	vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_writel(VMCS_GUEST_PENDING_DBG, 0);
	vmcs_write32(VMCS_GUEST_SYSENTER_CS, 0);
	vmcs_writel(VMCS_GUEST_SYSENTER_ESP, 0);
	vmcs_writel(VMCS_GUEST_SYSENTER_EIP, 0);

	vmcs_write16(VMCS_HOST_CS_SEL, __KERNEL_CS);
	vmcs_write16(VMCS_HOST_SS_SEL, __KERNEL_DS);
	vmcs_write16(VMCS_HOST_DS_SEL, 0);
	vmcs_write16(VMCS_HOST_ES_SEL, 0);
	vmcs_write16(VMCS_HOST_FS_SEL, 0);
	vmcs_write16(VMCS_HOST_GS_SEL, 0);
	vmcs_write16(VMCS_HOST_TR_SEL, GDT_ENTRY_TSS * 8);
	rdmsrl(MSR_IA32_SYSENTER_CS, val);
	vmcs_write32(VMCS_HOST_SYSENTER_CS, val);
	rdmsrl(MSR_IA32_SYSENTER_EIP, val);
	vmcs_writel(VMCS_HOST_SYSENTER_EIP, val);
	rdmsrl(MSR_IA32_CR_PAT, val);
	vmcs_write64(VMCS_HOST_PAT, val);
	rdmsrl(MSR_EFER, val);
	vmcs_write64(VMCS_HOST_EFER, val);
	vmcs_writel(VMCS_HOST_RIP, (unsigned long)vmx_vmexit);
}

int vmx_vcpu_create(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);
	int r = -ENOMEM;

	if (!vmx)
		return -ENOMEM;
	vmx->cpu = -1;
	INIT_LIST_HEAD(&vmx->cpu_link);
	vcpu->be = vmx;
	vmx->vmcs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vmx->vapic = (u8 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vmx->vmcs || !vmx->vapic)
		goto fail;
	/* Bits 30:0: the revision; bit 31 clear: an ordinary VMCS. */
	*(u32 *)vmx->vmcs = vmx_cfg.revision_id;
	vmx->vmcs_pa = virt_to_phys(vmx->vmcs);
	vmx->vpid = vmx_vpid_alloc();
	vmx->dr6 = VMX_DR6_RESET;

	/* A new VMCS is cleared before its first VMPTRLD (launch state "clear"). */
	preempt_disable();
	r = vmx_vmclear(vmx);
	preempt_enable();
	if (r)
		goto fail;
	r = vmx_vmcs_get(vcpu);
	if (r)
		goto fail;
	vmx_vmcs_init(vcpu);
	r = vmx_vmcs_put(vcpu);
	if (r)
		goto fail;
	vmx_vcpu_load_state(vcpu);
	return 0;
fail:
	vmx_vcpu_free(vcpu);
	vcpu->be = NULL;
	return r;
}

void vmx_vcpu_free(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;

	if (!vmx)
		return;
	vmx_clear_remote(vmx);
	vmx_vpid_free(vmx->vpid);
	free_page((unsigned long)vmx->vapic);
	free_page((unsigned long)vmx->vmcs);
	kfree(vmx);
}

/*
 * kvm_segment -> access rights (SDM Vol. 3C, "Guest Register State", and
 * "Checks on Guest Segment Registers": a usable code or data segment has
 * its accessed bit set, as loading its descriptor would have done; KVM
 * sets it too).  A null or not-present segment is unusable.
 */
static u32 vmx_seg_ar(const struct kvm_segment *s)
{
	u32 type = s->type;

	if (s->unusable || !s->present)
		return VMX_AR_UNUSABLE;
	if (s->s)
		type |= 1;
	return type | (s->s ? VMX_AR_S : 0) | ((s->dpl & 3) << VMX_AR_DPL_SHIFT) |
	       VMX_AR_P | (s->avl ? VMX_AR_AVL : 0) | (s->l ? VMX_AR_L : 0) |
	       (s->db ? VMX_AR_DB : 0) | (s->g ? VMX_AR_G : 0);
}

/* Access rights -> kvm_segment; unusable reads as not present, as KVM. */
static void vmx_ar_to_seg(struct kvm_segment *s, u32 ar)
{
	s->type = ar & VMX_AR_TYPE;
	s->s = !!(ar & VMX_AR_S);
	s->dpl = (ar >> VMX_AR_DPL_SHIFT) & 3;
	s->unusable = !!(ar & VMX_AR_UNUSABLE);
	s->present = !s->unusable;
	s->avl = !!(ar & VMX_AR_AVL);
	s->l = !!(ar & VMX_AR_L);
	s->db = !!(ar & VMX_AR_DB);
	s->g = !!(ar & VMX_AR_G);
}

/* Segment @n's four fields; constant @n so the width checks hold. */
#define VMX_SEG_WRITE(n, seg, ar)					\
	do {								\
		vmcs_write16(VMCS_GUEST_ES_SEL + 2 * (n), (seg)->selector); \
		vmcs_writel(VMCS_GUEST_ES_BASE + 2 * (n), (seg)->base);	\
		vmcs_write32(VMCS_GUEST_ES_LIMIT + 2 * (n), (seg)->limit); \
		vmcs_write32(VMCS_GUEST_ES_AR + 2 * (n), (ar));		\
	} while (0)

#define VMX_SEG_READ(n, seg)						\
	do {								\
		memset(seg, 0, sizeof(*(seg)));				\
		(seg)->selector = vmcs_read16(VMCS_GUEST_ES_SEL + 2 * (n)); \
		(seg)->base = vmcs_readl(VMCS_GUEST_ES_BASE + 2 * (n));	\
		(seg)->limit = vmcs_read32(VMCS_GUEST_ES_LIMIT + 2 * (n)); \
		vmx_ar_to_seg(seg, vmcs_read32(VMCS_GUEST_ES_AR + 2 * (n))); \
	} while (0)

/*
 * CR0/CR4 as the guest sees them -> the VMCS: the read shadow holds the
 * guest's value, the real register what VMX operation needs: the bits
 * IA32_VMX_CRx_FIXED0 forces (but PE and PG, which unrestricted guest
 * frees), none that FIXED1 forbids, and CD/NW clear (SDM Vol. 3C,
 * "Checks on Guest Control Registers, Debug Registers, and MSRs"; Vol. 3D,
 * Appendix A.7, A.8).  The VMCS is current.
 */
void vmx_write_cr0(struct mkvm_vcpu *vcpu, u64 cr0)
{
	unsigned long fixed0 = vmx_cfg.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG);
	unsigned long hw = (cr0 | fixed0) & vmx_cfg.cr0_fixed1;

	vmcs_writel(VMCS_GUEST_CR0, hw & ~(X86_CR0_CD | X86_CR0_NW));
	vmcs_writel(VMCS_CR0_SHADOW, cr0);
}

void vmx_write_cr4(struct mkvm_vcpu *vcpu, u64 cr4)
{
	vmcs_writel(VMCS_GUEST_CR4, (cr4 | vmx_cfg.cr4_fixed0) &
		    vmx_cfg.cr4_fixed1);
	vmcs_writel(VMCS_CR4_SHADOW, cr4);
}

/* The guest's view: its own bits from the register, ours from the shadow. */
u64 vmx_read_cr0(void)
{
	return (vmcs_readl(VMCS_GUEST_CR0) & ~VMX_CR0_OWNED) |
	       (vmcs_readl(VMCS_CR0_SHADOW) & VMX_CR0_OWNED);
}

u64 vmx_read_cr4(void)
{
	return (vmcs_readl(VMCS_GUEST_CR4) & ~VMX_CR4_OWNED) |
	       (vmcs_readl(VMCS_CR4_SHADOW) & VMX_CR4_OWNED);
}

/*
 * EFER is loaded by VM entry; the "IA-32e mode guest" entry control must
 * equal EFER.LMA (SDM Vol. 3C, "Checks on Guest Control Registers, Debug
 * Registers, and MSRs").  The VMCS is current.
 */
void vmx_write_efer(struct mkvm_vcpu *vcpu, u64 efer)
{
	vmcs_write64(VMCS_GUEST_EFER, efer);
	vmcs_write32(VMCS_ENTRY_CTLS, vmx_cfg.entry |
		     ((efer & EFER_LMA) ? VMX_ENTRY_IA32E_GUEST : 0));
}

/* Is the guest using PAE paging (not IA-32e)? */
static bool vmx_pae_paging(const struct kvm_sregs *s)
{
	return (s->cr0 & X86_CR0_PG) && (s->cr4 & X86_CR4_PAE) &&
	       !(s->efer & EFER_LMA);
}

/**
 * vmx_load_pdptes() - read the four PDPTEs CR3 points at
 * @vcpu: the vCPU
 * @cr3: the guest's CR3
 *
 * With EPT and PAE paging, VM entry loads the PDPTEs from the VMCS rather
 * than from memory (SDM Vol. 3C, "Loading Page-Directory-Pointer-Table
 * Entries"): read them as a MOV to CR3 would, to be written before the
 * next entry.  Outside the slots they read as not present.  May sleep.
 *
 * Return: 0 or -EFAULT (outside the slots).
 */
int vmx_load_pdptes(struct mkvm_vcpu *vcpu, u64 cr3)
{
	struct vmx_vcpu *vmx = vcpu->be;
	struct mkvm_vm *vm = vcpu->vm;
	u64 gpa = cr3 & GENMASK_ULL(31, 5);
	struct mkvm_memslot *slot;
	int r = -EFAULT;

	memset(vmx->pdpte, 0, sizeof(vmx->pdpte));
	mutex_lock(&vm->slots_lock);
	slot = mkvm_gfn_to_slot(vm, gpa >> PAGE_SHIFT);
	if (slot) {
		unsigned long hva = slot->userspace_addr +
			((gpa >> PAGE_SHIFT) - slot->base_gfn) * PAGE_SIZE +
			(gpa & ~PAGE_MASK);

		r = copy_from_user(vmx->pdpte, (void __user *)hva,
				   sizeof(vmx->pdpte)) ? -EFAULT : 0;
	}
	mutex_unlock(&vm->slots_lock);
	vmx->pdptes_dirty = true;
	return r;
}

/*
 * The run registers (enum mkvm_state_home) into the vCPU: the GPRs, RIP,
 * RSP, RFLAGS, CR2 and CR8.  A RIP moved from outside ends an STI or MOV
 * SS shadow (vmx_prepare_entry()).
 */
static void vmx_load_regs(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	const struct kvm_regs *r = &vcpu->arch.regs;
	const struct kvm_sregs *s = &vcpu->arch.sregs;

	vmx->gprs = (struct vmx_gprs) {
		.rax = r->rax, .rbx = r->rbx, .rcx = r->rcx, .rdx = r->rdx,
		.rsi = r->rsi, .rdi = r->rdi, .rbp = r->rbp, .r8 = r->r8,
		.r9 = r->r9, .r10 = r->r10, .r11 = r->r11, .r12 = r->r12,
		.r13 = r->r13, .r14 = r->r14, .r15 = r->r15,
	};
	if (r->rip != vmx->rip)
		vmx->clear_blocking = true;
	vmx->rip = r->rip;
	vmx->rsp = r->rsp;
	vmx->rflags = r->rflags;
	vmx->cr2 = s->cr2;
	/* With an in-kernel APIC, keep TPR[3:0] while CR8 is unchanged. */
	if (!vcpu->lapic || (s->cr8 & 0xf) != vmx->vapic[VMX_VAPIC_TPR] >> 4)
		vmx->vapic[VMX_VAPIC_TPR] = (s->cr8 & 0xf) << 4;
}

/**
 * vmx_vcpu_load_state() - mkvm_backend.vcpu_load_state
 * @vcpu: the vCPU
 *
 * The general-purpose registers go to the vCPU now; the rest is written to
 * the VMCS before the next entry, where the VMCS is current.
 */
void vmx_vcpu_load_state(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	const struct kvm_sregs *s = &vcpu->arch.sregs;

	/*
	 * RIP moved from outside: an STI or MOV SS shadow is over.  Else the
	 * shadow is vcpu->arch.ev's (vmx_event_load()), which already lost
	 * one an instruction skipped here ended (vmx_event_save()), and which
	 * userspace may have set since (KVM_SET_VCPU_EVENTS).
	 */
	if (vcpu->state == MKVM_STATE_REGS || vcpu->state == MKVM_STATE_BOTH) {
		/*
		 * The rest is current in the VMCS.  So is the shadow, but for
		 * an instruction skipped since (clear_blocking, kept) or RIP
		 * moved now (vmx_load_regs()).
		 */
		vmx_load_regs(vcpu);
		vcpu->state = MKVM_STATE_BE;
		return;
	}
	vmx->clear_blocking = false;
	vmx_load_regs(vcpu);
	if (vmx_pae_paging(s))
		vmx_load_pdptes(vcpu, s->cr3);
	vmx_debug_load(vcpu);
	vmx->state_dirty = true;
	vcpu->state = MKVM_STATE_BE;
}

/**
 * vmx_vcpu_init_event() - mkvm_backend.vcpu_init_event
 * @vcpu: the vCPU, state in vcpu->arch
 *
 * The INIT state into the vCPU; paging is off now, so the guest's
 * translations (VPID) go at the next entry.
 */
void vmx_vcpu_init_event(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;

	mkvm_x86_init_event(&vcpu->arch, vcpu->id);
	vmx->flush_tlb = true;
	vcpu->state = MKVM_STATE_ARCH;	/* all of it new */
	vmx_vcpu_load_state(vcpu);
	/* Both copies agree; the caller may go on changing vcpu->arch (SIPI). */
	vcpu->state = MKVM_STATE_ARCH;
}

/* The registers vcpu->arch holds beyond the GPRs, into the VMCS. */
static void vmx_write_sregs(struct mkvm_vcpu *vcpu)
{
	const struct kvm_sregs *s = &vcpu->arch.sregs;
	u32 tr_ar = vmx_seg_ar(&s->tr);

	VMX_SEG_WRITE(VMCS_SEG_ES, &s->es, vmx_seg_ar(&s->es));
	VMX_SEG_WRITE(VMCS_SEG_CS, &s->cs, vmx_seg_ar(&s->cs));
	VMX_SEG_WRITE(VMCS_SEG_SS, &s->ss, vmx_seg_ar(&s->ss));
	VMX_SEG_WRITE(VMCS_SEG_DS, &s->ds, vmx_seg_ar(&s->ds));
	VMX_SEG_WRITE(VMCS_SEG_FS, &s->fs, vmx_seg_ar(&s->fs));
	VMX_SEG_WRITE(VMCS_SEG_GS, &s->gs, vmx_seg_ar(&s->gs));
	VMX_SEG_WRITE(VMCS_SEG_LDTR, &s->ldt, vmx_seg_ar(&s->ldt));
	/*
	 * In IA-32e mode VM entry wants a busy 64-bit TSS in TR (SDM Vol. 3C,
	 * "Checks on Guest Segment Registers"); a guest that enabled long
	 * mode with a 16-bit one gets the type KVM gives it too.
	 */
	if ((s->efer & EFER_LMA) && !(tr_ar & VMX_AR_UNUSABLE))
		tr_ar = (tr_ar & ~VMX_AR_TYPE) | MKVM_SEG_TYPE_TSS32_BUSY;
	VMX_SEG_WRITE(VMCS_SEG_TR, &s->tr, tr_ar);
	vmcs_writel(VMCS_GUEST_GDTR_BASE, s->gdt.base);
	vmcs_write32(VMCS_GUEST_GDTR_LIMIT, s->gdt.limit);
	vmcs_writel(VMCS_GUEST_IDTR_BASE, s->idt.base);
	vmcs_write32(VMCS_GUEST_IDTR_LIMIT, s->idt.limit);
	vmx_write_cr0(vcpu, s->cr0);
	vmcs_writel(VMCS_GUEST_CR3, s->cr3);
	vmx_write_cr4(vcpu, s->cr4);
	vmx_write_efer(vcpu, s->efer);
	vmx_event_load(vcpu);
}

/**
 * vmx_vcpu_save_regs() - mkvm_backend.vcpu_save_regs
 * @vcpu: the vCPU
 *
 * The run registers back into vcpu->arch, from the vCPU's cached copies
 * (no VMREAD); and the interrupt shadow and NMI blocking, read at the exit.
 */
void vmx_vcpu_save_regs(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	struct kvm_regs *r = &vcpu->arch.regs;
	struct kvm_sregs *s = &vcpu->arch.sregs;

	*r = (struct kvm_regs) {
		.rax = vmx->gprs.rax, .rbx = vmx->gprs.rbx,
		.rcx = vmx->gprs.rcx, .rdx = vmx->gprs.rdx,
		.rsi = vmx->gprs.rsi, .rdi = vmx->gprs.rdi,
		.rsp = vmx->rsp, .rbp = vmx->gprs.rbp,
		.r8 = vmx->gprs.r8, .r9 = vmx->gprs.r9,
		.r10 = vmx->gprs.r10, .r11 = vmx->gprs.r11,
		.r12 = vmx->gprs.r12, .r13 = vmx->gprs.r13,
		.r14 = vmx->gprs.r14, .r15 = vmx->gprs.r15,
		.rip = vmx->rip, .rflags = vmx->rflags,
	};
	s->cr2 = vmx->cr2;
	s->cr8 = vmx->vapic[VMX_VAPIC_TPR] >> 4;
	/* Not entered since the state was loaded: vcpu->arch is current. */
	if (!vmx->state_dirty)
		vmx_event_save(vcpu, vmx->clear_blocking ?
			       vmx->blocking & ~VMX_BLOCKING_STI_MOV_SS :
			       vmx->blocking);
	vcpu->state = MKVM_STATE_REGS;
}

/**
 * vmx_vcpu_save_state() - mkvm_backend.vcpu_save_state
 * @vcpu: the vCPU
 *
 * The VMCS (and the vCPU's cached registers) back into vcpu->arch.  On a
 * VMCS failure the segment state stays as it was; the vCPU is failed.
 */
void vmx_vcpu_save_state(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	struct kvm_sregs *s = &vcpu->arch.sregs;

	if (vcpu->state == MKVM_STATE_ARCH || vcpu->state == MKVM_STATE_BOTH) {
		vcpu->state = MKVM_STATE_ARCH;
		return;
	}
	/* From REGS, vcpu->arch's run registers are the newer ones. */
	if (vcpu->state == MKVM_STATE_REGS)
		vmx_load_regs(vcpu);
	vmx_vcpu_save_regs(vcpu);
	vcpu->state = MKVM_STATE_ARCH;
	if (vmx->state_dirty || vmx->failed || vmx_vmcs_get(vcpu))
		return;
	VMX_SEG_READ(VMCS_SEG_ES, &s->es);
	VMX_SEG_READ(VMCS_SEG_CS, &s->cs);
	VMX_SEG_READ(VMCS_SEG_SS, &s->ss);
	VMX_SEG_READ(VMCS_SEG_DS, &s->ds);
	VMX_SEG_READ(VMCS_SEG_FS, &s->fs);
	VMX_SEG_READ(VMCS_SEG_GS, &s->gs);
	VMX_SEG_READ(VMCS_SEG_LDTR, &s->ldt);
	VMX_SEG_READ(VMCS_SEG_TR, &s->tr);
	s->gdt.base = vmcs_readl(VMCS_GUEST_GDTR_BASE);
	s->gdt.limit = vmcs_read32(VMCS_GUEST_GDTR_LIMIT);
	s->idt.base = vmcs_readl(VMCS_GUEST_IDTR_BASE);
	s->idt.limit = vmcs_read32(VMCS_GUEST_IDTR_LIMIT);
	s->cr0 = vmx_read_cr0();
	s->cr3 = vmcs_readl(VMCS_GUEST_CR3);
	s->cr4 = vmx_read_cr4();
	s->efer = vmcs_read64(VMCS_GUEST_EFER);
	vmx_debug_save(vcpu);
	vmx_vmcs_put(vcpu);
}

/*
 * Drop this CPU's cached translations for the vCPU: guest-physical (EPT)
 * and linear (VPID).  A failure fails the vCPU (vmx_vmcs_put()).
 * Preemption off, the VMCS current.
 */
static void vmx_flush_guest_tlb(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	struct vmx_vm *vmx_vm = vcpu->vm->be;

	if (vmx_invept(vmx_vm->eptp) || (vmx->vpid && vmx_invvpid(vmx->vpid)))
		this_cpu_write(vmx_vmcs_failed, true);
}

/*
 * Before an entry, with the VMCS current: the state userspace or a handler
 * changed, the registers the handlers use, the event to inject, and TLB
 * flushes (a new CPU for this VMCS, EPT mappings gone, CR writes emulated).
 */
static void vmx_prepare_entry(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	u32 blocking;

	vmx_debug_prepare_entry(vcpu, vmx->state_dirty);
	if (vmx->state_dirty) {
		vmx_write_sregs(vcpu);
		vmcs_write32(VMCS_PROC2_CTLS, vmx_vcpu_proc2(vcpu));
		vmx->state_dirty = false;
	}
	/*
	 * Guest TSC = host TSC + offset (SDM Vol. 3C, "Timestamp-Counter
	 * Offsetting and Scaling"); a WRMSR of the TSC moved it (msr.c).
	 */
	vmcs_write64(VMCS_TSC_OFFSET, vcpu->arch.tsc_offset);
	if (vmx->pdptes_dirty) {
		vmcs_write64(VMCS_GUEST_PDPTE0, vmx->pdpte[0]);
		vmcs_write64(VMCS_GUEST_PDPTE0 + 2, vmx->pdpte[1]);
		vmcs_write64(VMCS_GUEST_PDPTE0 + 4, vmx->pdpte[2]);
		vmcs_write64(VMCS_GUEST_PDPTE0 + 6, vmx->pdpte[3]);
		vmx->pdptes_dirty = false;
	}
	vmcs_writel(VMCS_GUEST_RIP, vmx->rip);
	vmcs_writel(VMCS_GUEST_RSP, vmx->rsp);
	vmcs_writel(VMCS_GUEST_RFLAGS, vmx->rflags);

	if (vmx->clear_blocking) {
		blocking = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
		if (blocking & VMX_BLOCKING_STI_MOV_SS)
			vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY,
				     blocking & ~VMX_BLOCKING_STI_MOV_SS);
		vmx->clear_blocking = false;
	}
	vmx_event_inject(vcpu);

	if (vmx->flush_tlb) {
		vmx_flush_guest_tlb(vcpu);
		vmx->flush_tlb = false;
	}
}

/*
 * Host state the task may have changed since the last entry: CR3 (the
 * address space, PCID) and CR4 (SDM Vol. 3C, "Host-State Area").  Written
 * only when they changed; the FS base in vmx_switch_to_guest().
 */
static void vmx_write_host_task_state(struct vmx_vcpu *vmx)
{
	unsigned long cr3 = __read_cr3(), cr4 = cr4_read_shadow();

	if (cr3 != vmx->host_cr3) {
		vmcs_writel(VMCS_HOST_CR3, cr3);
		vmx->host_cr3 = cr3;
	}
	if (cr4 != vmx->host_cr4) {
		vmcs_writel(VMCS_HOST_CR4, cr4);
		vmx->host_cr4 = cr4;
	}
}

/*
 * What VM exit does not restore, or restores to fixed values (SDM Vol. 3C,
 * "Loading Host Segment and Descriptor-Table Registers", "Loading Host
 * Control Registers, Debug Registers, MSRs"): the data segment selectors
 * and LDTR (null after exit), the user's GS base (IA32_KERNEL_GS_BASE) and
 * the syscall MSRs (not switched at all), the TR and GDTR limits (0x67,
 * 0xffff), DR7 (0x400) and IA32_DEBUGCTL (cleared), DR0-DR3 and DR6 (not
 * switched).
 *
 * The host kernel itself uses none of the first group: the selectors, the
 * LDT, the user's GS base and the syscall MSRs matter to userspace (and to
 * a context switch, which saves the user's GS base and selectors), the
 * TSS limit to the I/O bitmap of userspace.  So they are switched once per
 * KVM_RUN, as KVM does: vmx_switch_to_guest() before the first entry,
 * vmx_switch_to_host() when KVM_RUN returns or the thread is scheduled out
 * (a preempt notifier).  The debug registers and DEBUGCTL matter to the
 * host at once (breakpoints, LBRs): switched around each entry
 * (struct vmx_host_debug).
 */

/* Preemption off; the VMCS current (HOST_FS_BASE). */
static void vmx_switch_to_guest(struct vmx_vcpu *vmx)
{
	unsigned long fs_base;

	if (vmx->guest_msrs_loaded)
		return;
	savesegment(ds, vmx->host.ds);
	savesegment(es, vmx->host.es);
	savesegment(fs, vmx->host.fs);
	savesegment(gs, vmx->host.gs);
	asm volatile("sldt %0" : "=g" (vmx->host.ldt));
	/* The thread's FS base, for VM exit to load (fs is null after it). */
	rdmsrl(MSR_FS_BASE, fs_base);
	if (fs_base != vmx->host_fs_base) {
		vmcs_writel(VMCS_HOST_FS_BASE, fs_base);
		vmx->host_fs_base = fs_base;
	}
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->host.kernel_gs_base);
	wrmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	wrmsrl(MSR_STAR, vmx->star);
	wrmsrl(MSR_LSTAR, vmx->lstar);
	wrmsrl(MSR_CSTAR, vmx->cstar);
	wrmsrl(MSR_SYSCALL_MASK, vmx->sfmask);
	vmx->guest_msrs_loaded = true;
}

/**
 * vmx_switch_to_host() - the host's selectors, LDT, user GS base, syscall
 * MSRs and TSS/GDT limits back, the guest's KERNEL_GS_BASE kept
 * @vmx: the vCPU
 *
 * Context: preemption off, on the CPU that ran the guest; after an exit
 * (since vmx_switch_to_guest()), or a no-op.
 */
void vmx_switch_to_host(struct vmx_vcpu *vmx)
{
	if (!vmx->guest_msrs_loaded)
		return;
	/* The guest's first: loading GS below changes the MSR. */
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	if (vmx->host.ldt)
		asm volatile("lldt %0" : : "rm" (vmx->host.ldt));
	if (vmx->host.ds)
		loadsegment(ds, vmx->host.ds);
	if (vmx->host.es)
		loadsegment(es, vmx->host.es);
	if (vmx->host.fs) {
		loadsegment(fs, vmx->host.fs);
		wrmsrl(MSR_FS_BASE, vmx->host_fs_base);
	}
	if (vmx->host.gs)
		load_gs_index(vmx->host.gs);
	wrmsrl(MSR_KERNEL_GS_BASE, vmx->host.kernel_gs_base);
	wrmsrl(MSR_STAR, vmx_host_star);
	wrmsrl(MSR_LSTAR, vmx_host_lstar);
	wrmsrl(MSR_CSTAR, vmx_host_cstar);
	wrmsrl(MSR_SYSCALL_MASK, vmx_host_sfmask);
	invalidate_tss_limit();
	load_fixmap_gdt(raw_smp_processor_id());
	vmx->guest_msrs_loaded = false;
}

#ifdef CONFIG_PREEMPT_NOTIFIERS
static void vmx_sched_in(struct preempt_notifier *pn, int cpu)
{
}

/* Interrupts off, in the scheduler: the next task finds the host's state. */
static void vmx_sched_out(struct preempt_notifier *pn,
			  struct task_struct *next)
{
	vmx_switch_to_host(container_of(pn, struct vmx_vcpu, pn));
}

static struct preempt_ops vmx_preempt_ops = {
	.sched_in = vmx_sched_in,
	.sched_out = vmx_sched_out,
};
#endif

/* mkvm_backend.vcpu_load: KVM_RUN's thread takes the vCPU. */
void vmx_vcpu_load(struct mkvm_vcpu *vcpu)
{
#ifdef CONFIG_PREEMPT_NOTIFIERS
	struct vmx_vcpu *vmx = vcpu->be;

	preempt_notifier_init(&vmx->pn, &vmx_preempt_ops);
	preempt_notifier_register(&vmx->pn);
#endif
}

/* mkvm_backend.vcpu_put: KVM_RUN returns; the host's state back. */
void vmx_vcpu_put(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;

	preempt_disable();
	vmx_switch_to_host(vmx);
#ifdef CONFIG_PREEMPT_NOTIFIERS
	preempt_notifier_unregister(&vmx->pn);
#endif
	preempt_enable();
}

/* The host's debug state while the guest's is loaded around one entry. */
struct vmx_host_debug {
	unsigned long dr[4], dr6, dr7;
	u64 debugctl;
};

/* Swap DR0-DR3 (see svm_vcpu.c): save into @save, load @load. */
static void vmx_swap_dr(unsigned long *save, const unsigned long *load)
{
	save[0] = native_get_debugreg(0);
	save[1] = native_get_debugreg(1);
	save[2] = native_get_debugreg(2);
	save[3] = native_get_debugreg(3);
	native_set_debugreg(0, load[0]);
	native_set_debugreg(1, load[1]);
	native_set_debugreg(2, load[2]);
	native_set_debugreg(3, load[3]);
}

/* Interrupts off, right before the entry. */
static void vmx_load_guest_host_state(struct vmx_vcpu *vmx,
				      struct vmx_host_debug *h)
{
	vmx_switch_to_guest(vmx);
	h->debugctl = get_debugctlmsr();
	/* No host breakpoint may fire on a guest address meanwhile. */
	h->dr7 = native_get_debugreg(7);
	if (h->dr7 & VMX_DR7_ENABLED)
		native_set_debugreg(7, 0);
	vmx_swap_dr(h->dr, vmx->dr);
	h->dr6 = native_get_debugreg(6);
	if (vmx->dr6 != h->dr6)
		native_set_debugreg(6, vmx->dr6);
	if (native_read_cr2() != vmx->cr2)
		native_write_cr2(vmx->cr2);
}

/* Interrupts off, right after the exit. */
static void vmx_load_host_state(struct vmx_vcpu *vmx,
				struct vmx_host_debug *h)
{
	vmx->cr2 = native_read_cr2();
	vmx_swap_dr(vmx->dr, h->dr);
	vmx->dr6 = native_get_debugreg(6);
	if (vmx->dr6 != h->dr6)
		native_set_debugreg(6, h->dr6);
	if (h->dr7 != VMX_DR7_RESET)
		native_set_debugreg(7, h->dr7);
	if (h->debugctl)
		update_debugctlmsr(h->debugctl);
	/* Without preempt notifiers, nothing would put the rest back later. */
	if (!IS_ENABLED(CONFIG_PREEMPT_NOTIFIERS))
		vmx_switch_to_host(vmx);
}

/*
 * After the exit, with the VMCS current: what the exit handlers need, and
 * the event whose delivery the exit interrupted, to be delivered again
 * (SDM Vol. 3C, "Information for VM Exits That Occur During Event
 * Delivery", "Reflecting Exceptions to Guest Software").  INT n, INT3,
 * INTO and INT1 are not: RIP is still on the instruction, which raises them
 * again.  An external interrupt goes back to the x86 state, pending.
 */
static void vmx_read_exit(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	u32 info;

	vmx->exit_reason = vmcs_read32(VMCS_EXIT_REASON);
	vmx->exit_qual = vmcs_readl(VMCS_EXIT_QUAL);
	vmx->exit_intr_info = vmcs_read32(VMCS_EXIT_INTR_INFO);
	vmx->insn_len = vmcs_read32(VMCS_EXIT_INSN_LEN);
	vmx->rip = vmcs_readl(VMCS_GUEST_RIP);
	vmx->rsp = vmcs_readl(VMCS_GUEST_RSP);
	vmx->rflags = vmcs_readl(VMCS_GUEST_RFLAGS);
	if ((vmx->exit_reason & EXIT_REASON_BASIC) == EXIT_REASON_EPT_VIOLATION ||
	    (vmx->exit_reason & EXIT_REASON_BASIC) == EXIT_REASON_EPT_MISCONFIG)
		vmx->exit_gpa = vmcs_read64(VMCS_GUEST_PHYS_ADDR);
	vmx->idt_info = 0;
	if (vmx->exit_reason & EXIT_REASON_FAILED_ENTRY)
		return;
	vmx->blocking = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
	info = vmcs_read32(VMCS_IDT_VECTORING_INFO);
	vmx->idt_info = info;
	if (info & VMX_INTR_VALID)
		vmx_event_complete(vcpu, info,
				   vmcs_read32(VMCS_IDT_VECTORING_ERR));
}

/* An NMI exit: the NMI is the host's (SDM Vol. 3C, "NMI-Exiting"). */
static bool vmx_exit_is_nmi(const struct vmx_vcpu *vmx)
{
	return (vmx->exit_reason & EXIT_REASON_BASIC) == EXIT_REASON_EXCEPTION_NMI &&
	       (vmx->exit_intr_info & (VMX_INTR_VALID | VMX_INTR_TYPE)) ==
	       (VMX_INTR_VALID | VMX_INTR_TYPE_NMI);
}

/*
 * An external interrupt acknowledged on exit: the VM-exit interruption
 * information has its vector (SDM Vol. 3C, "Information for VM Exits Due
 * to Vectored Events"), and the host's IDT the handler, which runs as if
 * the interrupt had arrived here.
 */
static void vmx_handle_host_interrupt(const struct vmx_vcpu *vmx)
{
	struct desc_ptr idt;
	gate_desc *gate;

	if ((vmx->exit_reason & EXIT_REASON_BASIC) != EXIT_REASON_EXT_INTR ||
	    !(vmx->exit_intr_info & VMX_INTR_VALID))
		return;
	store_idt(&idt);
	gate = (gate_desc *)idt.address + (vmx->exit_intr_info & VMX_INTR_VECTOR);
	vmx_do_interrupt_irqoff(gate_offset(gate));
}

/*
 * VMLAUNCH/VMRESUME refused (VMfail): KVM_EXIT_FAIL_ENTRY with the error,
 * and the rule broken (vmx_fail.c).
 */
static int vmx_entry_failed(struct mkvm_vcpu *vcpu, u32 insn_err)
{
	struct vmx_vcpu *vmx = vcpu->be;

	/* No exit reason: the trace gets all ones and the error in info1. */
	mkvm_stat_exit(vcpu, MKVM_STAT_EXIT_OTHER, MKVM_STAT_EXIT_OTHER,
		       insn_err, 0, vmx->rip);
	return vmx_explain_entry(vcpu, insn_err);
}

/**
 * vmx_vcpu_run() - mkvm_backend.vcpu_run: one trip into the guest
 * @vcpu: the vCPU
 *
 * The guest's FPU state is already in the registers (KVM_RUN swapped it
 * in, arch/x86/fpu.c); its XCR0 goes in and out right around the entry,
 * interrupts off.  Interrupts are off from just before
 * the entry to just after the exit; an NMI or external interrupt that
 * caused the exit goes to the host's handler right away.
 *
 * Return: as the exit handlers (vmx_exit.c), or -EIO for a failed vCPU.
 */
int vmx_vcpu_run(struct mkvm_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->be;
	struct vmx_host_debug host;
	u32 insn_err = 0;
	int fail, r;
	bool xcr0;

	if (vmx->failed)
		return -EIO;
	r = vmx_vmcs_get(vcpu);
	if (r)
		return r;
	vmx_prepare_entry(vcpu);
	vmx_write_host_task_state(vmx);
	if (this_cpu_read(vmx_vmcs_failed))
		return vmx_vmcs_put(vcpu);

	mkvm_x86_tsc_aux_load_guest(vcpu);
	local_irq_disable();
	xcr0 = mkvm_x86_fpu_enter(vcpu, vmx_read_cr4());
	/*
	 * Mappings went away or lost W since the last entry (kmod/kick.c).
	 * A failed flush fails the vCPU after this entry (vmx_vmcs_put()).
	 */
	if (mkvm_guest_mode_enter(vcpu))
		vmx_flush_guest_tlb(vcpu);
	vmx_load_guest_host_state(vmx, &host);
	trace_minikvm_entry(vcpu->id, vmx->rip);
	mkvm_stat_enter(vcpu);
	fail = __vmx_vcpu_run(&vmx->gprs, vmx->launched);
	mkvm_guest_mode_exit(vcpu);
	mkvm_stat_leave(vcpu);
	vmx_load_host_state(vmx, &host);
	mkvm_x86_fpu_leave(xcr0);
	if (!fail) {
		vmx_read_exit(vcpu);
		if (vmx_exit_is_nmi(vmx))
			vmx_do_nmi_irqoff();
		vmx_handle_host_interrupt(vmx);
		/* A VM entry that failed after VMLAUNCH leaves it unlaunched. */
		if (!(vmx->exit_reason & EXIT_REASON_FAILED_ENTRY))
			vmx->launched = true;
		else
			vmx_snapshot_entry(vmx);
	} else {
		insn_err = vmx_insn_error();
		vmx_snapshot_entry(vmx);
	}
	mkvm_x86_tsc_aux_load_host(vcpu);
	vcpu->last_cpu = smp_processor_id();
	r = vmx_vmcs_put(vcpu);
	/* Interrupts raised since the exit come in here, preemption enabled. */
	local_irq_enable();
	if (r)
		return r;
	if (fail)
		return vmx_entry_failed(vcpu, insn_err);
	return vmx_handle_exit(vcpu);
}
