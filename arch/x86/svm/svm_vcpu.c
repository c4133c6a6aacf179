// SPDX-License-Identifier: GPL-2.0-only
/*
 * SVM vCPUs: the VMCB, moving the architectural state in and out of it,
 * ASIDs, and one trip into the guest.
 *
 * Context: process context with the vCPU mutex held; svm_vcpu_run()
 * disables preemption, then interrupts and GIF, only around VMRUN.
 *
 * Manual: AMD APM Vol. 2, "Secure Virtual Machine": "VMRUN Instruction",
 * "Canonicalization and Consistency Checks", "TLB Control", "Global
 * Interrupt Flag".
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/msr.h>
#include <asm/processor-flags.h>

#include "minikvm.h"
#include "trace_events.h"
#include "svm.h"

static_assert(offsetof(struct svm_gprs, rdi) == SVM_GPR_RDI);
static_assert(offsetof(struct svm_gprs, r15) == SVM_GPR_R15);
static_assert(sizeof(struct svm_gprs) == SVM_GPR_SIZE);

/* Intercepts every guest needs (see the file header of svm_exit.c). */
#define SVM_MISC1_INTERCEPTS						\
	(SVM_ICPT_INTR | SVM_ICPT_NMI | SVM_ICPT_SMI | SVM_ICPT_INIT |	\
	 SVM_ICPT_CPUID | SVM_ICPT_INVD | SVM_ICPT_HLT | SVM_ICPT_INVLPGA |		\
	 SVM_ICPT_IOIO_PROT | SVM_ICPT_MSR_PROT | SVM_ICPT_TASK_SWITCH |	\
	 SVM_ICPT_SHUTDOWN)
#define SVM_MISC2_INTERCEPTS						\
	(SVM_ICPT_VMRUN | SVM_ICPT_VMMCALL | SVM_ICPT_VMLOAD |		\
	 SVM_ICPT_VMSAVE | SVM_ICPT_STGI | SVM_ICPT_CLGI |		\
	 SVM_ICPT_SKINIT | SVM_ICPT_MONITOR | SVM_ICPT_MWAIT |		\
	 SVM_ICPT_XSETBV)

/* Power-on PAT (SDM Vol. 3A, "PAT Initialization"). */
#define SVM_PAT_DEFAULT		0x0007040600070406ULL

#define SVM_IOPM_ORDER		2	/* 12 KiB used of 16 */
#define SVM_MSRPM_ORDER		1	/* 8 KiB */

/*
 * Permission maps with every bit set: every port and every MSR exits, so
 * nothing host-sensitive is reachable (APM Vol. 2, "I/O Permissions Map",
 * "MSR Permissions Map").  Shared by all vCPUs.
 */
static struct page *svm_iopm, *svm_msrpm;

/* Per-CPU: the ASID allocator, and the page for the host's VMSAVE state. */
struct svm_cpu {
	u32 next_asid;		/* next ASID to hand out */
	u64 asid_gen;		/* bumped when the ASIDs run out */
};
static DEFINE_PER_CPU(struct svm_cpu, svm_cpus);
static DEFINE_PER_CPU(struct page *, svm_host_save);
static u32 svm_max_asid;	/* ASIDs are 1 .. svm_max_asid */

int svm_percpu_setup(void)
{
	int cpu;

	svm_max_asid = cpuid_ebx(SVM_CPUID_FEATURES) - 1;
	svm_iopm = alloc_pages(GFP_KERNEL, SVM_IOPM_ORDER);
	svm_msrpm = alloc_pages(GFP_KERNEL, SVM_MSRPM_ORDER);
	if (!svm_iopm || !svm_msrpm)
		goto err;
	memset(page_address(svm_iopm), 0xff, PAGE_SIZE << SVM_IOPM_ORDER);
	memset(page_address(svm_msrpm), 0xff, PAGE_SIZE << SVM_MSRPM_ORDER);
	if (mkvm_percpu_pages_alloc(&svm_host_save))
		goto err;
	for_each_possible_cpu(cpu) {
		struct svm_cpu *sc = per_cpu_ptr(&svm_cpus, cpu);

		sc->next_asid = 1;
		sc->asid_gen = 1;
	}
	return 0;
err:
	svm_percpu_unsetup();
	return -ENOMEM;
}

void svm_percpu_unsetup(void)
{
	mkvm_percpu_pages_free(&svm_host_save);
	if (svm_iopm)
		__free_pages(svm_iopm, SVM_IOPM_ORDER);
	if (svm_msrpm)
		__free_pages(svm_msrpm, SVM_MSRPM_ORDER);
	svm_iopm = NULL;
	svm_msrpm = NULL;
}

int svm_vm_init(struct mkvm_vm *vm)
{
	struct svm_vm *svm_vm = kzalloc(sizeof(*svm_vm), GFP_KERNEL_ACCOUNT);
	int r;

	if (!svm_vm)
		return -ENOMEM;
	r = svm_npt_init(svm_vm);
	if (r) {
		kfree(svm_vm);
		return r;
	}
	vm->be = svm_vm;
	return 0;
}

void svm_vm_destroy(struct mkvm_vm *vm)
{
	svm_npt_destroy(vm->be);
	kfree(vm->be);
}

/* The control area: intercepts, maps, nested paging (APM Table B-1). */
static void svm_init_control(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	struct svm_vm *svm_vm = vcpu->vm->be;
	struct vmcb_control *c = &svm->vmcb->control;

	c->intercept_cr = SVM_ICPT_CR4_WRITE;
	c->intercept_misc1 = SVM_MISC1_INTERCEPTS;
	c->intercept_misc2 = SVM_MISC2_INTERCEPTS;
	c->iopm_base_pa = __sme_set(page_to_phys(svm_iopm));
	c->msrpm_base_pa = __sme_set(page_to_phys(svm_msrpm));
	/* The guest's RFLAGS.IF masks only virtual interrupts. */
	c->int_ctl = SVM_V_INTR_MASKING;
	c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = __sme_set(virt_to_phys(svm_vm->npt_root));
	svm->vmcb->save.g_pat = SVM_PAT_DEFAULT;
	/* DR6/DR7: from the x86 state at each load (svm_debug.c). */
}

int svm_vcpu_create(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	struct page *page;

	if (!svm)
		return -ENOMEM;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		kfree(svm);
		return -ENOMEM;
	}
	svm->vmcb = page_address(page);
	svm->vmcb_pa = __sme_set(page_to_phys(page));
	svm->asid_cpu = -1;
	vcpu->be = svm;
	svm_init_control(vcpu);
	return 0;
}

void svm_vcpu_free(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;

	free_page((unsigned long)svm->vmcb);
	kfree(svm);
}

/**
 * svm_vcpu_init_event() - INIT the vCPU with a fresh VMCB
 * @vcpu: the vCPU, state in the VMCB
 *
 * After a SHUTDOWN intercept the VMCB's guest state is undefined (APM
 * Vol. 2, "Shutdown Intercept"), so KVM INITs the vCPU, as some boards do
 * on a triple fault; so does minikvm, to report the same registers.  The
 * guest's DR0-DR3 go back to 0; its x87/SSE state stays (INIT keeps it).
 */
void svm_vcpu_init_event(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;

	clear_page(svm->vmcb);
	svm_init_control(vcpu);
	svm->asid_cpu = -1;	/* a new ASID, flushed at the next entry */
	memset(svm->dr, 0, sizeof(svm->dr));
	svm->iret_seen = false;
	svm->nmi_singlestep = false;
	mkvm_x86_init_event(&vcpu->arch, vcpu->id);
	svm_vcpu_reset(vcpu);
	vcpu->state = MKVM_STATE_ARCH;	/* all of it new */
	svm_vcpu_load_state(vcpu);
	/* Both copies agree; the caller may go on changing vcpu->arch (SIPI). */
	vcpu->state = MKVM_STATE_ARCH;
}

/* kvm_segment <-> VMCB segment (APM Vol. 2, "Segment State in the VMCB"). */
static void svm_seg_in(struct vmcb_seg *v, const struct kvm_segment *s)
{
	v->selector = s->selector;
	v->base = s->base;
	v->limit = s->limit;
	v->attrib = 0;
	if (s->unusable || !s->present)
		return;
	v->attrib = (s->type & SVM_SEG_TYPE_MASK) | (s->s ? SVM_SEG_S : 0) |
		    ((s->dpl & 3) << SVM_SEG_DPL_SHIFT) | SVM_SEG_P |
		    (s->avl ? SVM_SEG_AVL : 0) | (s->l ? SVM_SEG_L : 0) |
		    (s->db ? SVM_SEG_DB : 0) | (s->g ? SVM_SEG_G : 0);
}

static void svm_seg_out(struct kvm_segment *s, const struct vmcb_seg *v)
{
	memset(s, 0, sizeof(*s));
	s->selector = v->selector;
	s->base = v->base;
	s->limit = v->limit;
	s->type = v->attrib & SVM_SEG_TYPE_MASK;
	s->s = !!(v->attrib & SVM_SEG_S);
	s->dpl = (v->attrib >> SVM_SEG_DPL_SHIFT) & 3;
	s->present = !!(v->attrib & SVM_SEG_P);
	s->avl = !!(v->attrib & SVM_SEG_AVL);
	s->l = !!(v->attrib & SVM_SEG_L);
	s->db = !!(v->attrib & SVM_SEG_DB);
	s->g = !!(v->attrib & SVM_SEG_G);
	s->unusable = !s->present;
}

/*
 * The run registers (enum mkvm_state_home) into the VMCB: the GPRs, RIP,
 * RSP, RFLAGS, CR8 and the interrupt shadow.
 */
static void svm_load_regs(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	struct vmcb_save *v = &svm->vmcb->save;
	const struct kvm_regs *r = &vcpu->arch.regs;
	u64 cr8 = vcpu->arch.sregs.cr8;

	/* RFLAGS come from vcpu->arch, which never holds a step's TF. */
	svm_nmi_step_cut(vcpu, false);
	/* With V_INTR_MASKING, MOV CR8 reads and writes V_TPR (APM Vol. 2). */
	svm->vmcb->control.int_ctl = (svm->vmcb->control.int_ctl &
				      ~SVM_V_TPR_MASK) | (cr8 & SVM_V_TPR_MASK);
	svm->vmcb->control.int_state = vcpu->arch.ev.shadow ? SVM_INT_SHADOW : 0;
	v->rflags = r->rflags;
	v->rip = r->rip;
	v->rsp = r->rsp;
	v->rax = r->rax;

	svm->gprs = (struct svm_gprs) {
		.rbx = r->rbx, .rcx = r->rcx, .rdx = r->rdx, .rsi = r->rsi,
		.rdi = r->rdi, .rbp = r->rbp, .r8 = r->r8, .r9 = r->r9,
		.r10 = r->r10, .r11 = r->r11, .r12 = r->r12, .r13 = r->r13,
		.r14 = r->r14, .r15 = r->r15,
	};
}

/* mkvm_backend.vcpu_load_state: the architectural state into the VMCB. */
void svm_vcpu_load_state(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	struct vmcb_save *v = &svm->vmcb->save;
	const struct kvm_sregs *s = &vcpu->arch.sregs;

	if (vcpu->state == MKVM_STATE_REGS || vcpu->state == MKVM_STATE_BOTH) {
		svm_load_regs(vcpu);
		vcpu->state = MKVM_STATE_BE;
		return;
	}
	svm_seg_in(&v->cs, &s->cs);
	svm_seg_in(&v->ds, &s->ds);
	svm_seg_in(&v->es, &s->es);
	svm_seg_in(&v->fs, &s->fs);
	svm_seg_in(&v->gs, &s->gs);
	svm_seg_in(&v->ss, &s->ss);
	svm_seg_in(&v->tr, &s->tr);
	svm_seg_in(&v->ldtr, &s->ldt);
	v->gdtr.base = s->gdt.base;
	v->gdtr.limit = s->gdt.limit;
	v->idtr.base = s->idt.base;
	v->idtr.limit = s->idt.limit;
	/* The CPL is SS.DPL (APM Vol. 2, "VMRUN": the CPL field). */
	v->cpl = (s->cr0 & X86_CR0_PE) ? s->ss.dpl : 0;
	/* VMRUN refuses a guest EFER without SVME; the guest never sees it. */
	v->efer = s->efer | EFER_SVME;
	/* Caching stays on in hardware: CD/NW would only slow the guest. */
	v->cr0 = s->cr0 & ~(u64)(X86_CR0_CD | X86_CR0_NW);
	v->cr2 = s->cr2;
	v->cr3 = s->cr3;
	v->cr4 = s->cr4;
	svm_load_regs(vcpu);
	svm_debug_load(vcpu);
	vcpu->state = MKVM_STATE_BE;
}

/* mkvm_backend.vcpu_save_regs: the run registers back from the VMCB. */
void svm_vcpu_save_regs(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	const struct vmcb_save *v = &svm->vmcb->save;
	struct kvm_regs *r = &vcpu->arch.regs;

	vcpu->arch.sregs.cr8 = svm->vmcb->control.int_ctl & SVM_V_TPR_MASK;
	vcpu->arch.ev.shadow = (svm->vmcb->control.int_state & SVM_INT_SHADOW) ?
			       KVM_X86_SHADOW_INT_STI | KVM_X86_SHADOW_INT_MOV_SS : 0;
	r->rflags = svm_guest_rflags(vcpu);
	r->rip = v->rip;
	r->rsp = v->rsp;
	r->rax = v->rax;
	r->rbx = svm->gprs.rbx;
	r->rcx = svm->gprs.rcx;
	r->rdx = svm->gprs.rdx;
	r->rsi = svm->gprs.rsi;
	r->rdi = svm->gprs.rdi;
	r->rbp = svm->gprs.rbp;
	r->r8 = svm->gprs.r8;
	r->r9 = svm->gprs.r9;
	r->r10 = svm->gprs.r10;
	r->r11 = svm->gprs.r11;
	r->r12 = svm->gprs.r12;
	r->r13 = svm->gprs.r13;
	r->r14 = svm->gprs.r14;
	r->r15 = svm->gprs.r15;
	vcpu->state = MKVM_STATE_REGS;
}

/* mkvm_backend.vcpu_save_state: the VMCB back into the architectural state. */
void svm_vcpu_save_state(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	const struct vmcb_save *v = &svm->vmcb->save;
	struct kvm_sregs *s = &vcpu->arch.sregs;
	u64 cd_nw = s->cr0 & (X86_CR0_CD | X86_CR0_NW);

	if (vcpu->state == MKVM_STATE_ARCH || vcpu->state == MKVM_STATE_BOTH) {
		vcpu->state = MKVM_STATE_ARCH;
		return;
	}
	/* From REGS, vcpu->arch's run registers are the newer ones. */
	if (vcpu->state == MKVM_STATE_REGS)
		svm_load_regs(vcpu);
	svm_seg_out(&s->cs, &v->cs);
	svm_seg_out(&s->ds, &v->ds);
	svm_seg_out(&s->es, &v->es);
	svm_seg_out(&s->fs, &v->fs);
	svm_seg_out(&s->gs, &v->gs);
	svm_seg_out(&s->ss, &v->ss);
	svm_seg_out(&s->tr, &v->tr);
	svm_seg_out(&s->ldt, &v->ldtr);
	s->gdt.base = v->gdtr.base;
	s->gdt.limit = v->gdtr.limit;
	s->idt.base = v->idtr.base;
	s->idt.limit = v->idtr.limit;
	s->efer = v->efer & ~EFER_SVME;
	s->cr0 = v->cr0 | cd_nw;
	s->cr2 = v->cr2;
	s->cr3 = v->cr3;
	s->cr4 = v->cr4;
	svm_vcpu_save_regs(vcpu);
	svm_debug_save(vcpu);
	vcpu->state = MKVM_STATE_ARCH;
}

/*
 * ASIDs tag the guest's TLB entries.  Each CPU hands them out in order; a
 * vCPU that lands on another CPU, or finds the CPU's ASIDs recycled, takes
 * a new one, and the first entry with it flushes that ASID (APM Vol. 2,
 * "TLB Control").  Preemption off.
 */
static void svm_pick_asid(struct mkvm_vcpu *vcpu, int cpu)
{
	struct svm_vcpu *svm = vcpu->be;
	struct svm_cpu *sc = this_cpu_ptr(&svm_cpus);
	struct vmcb_control *c = &svm->vmcb->control;

	if (svm->asid_cpu == cpu && svm->asid_gen == sc->asid_gen)
		return;
	if (sc->next_asid > svm_max_asid) {
		sc->asid_gen++;
		sc->next_asid = 1;
		c->tlb_control = SVM_TLB_CONTROL_FLUSH_ALL;
	}
	c->asid = sc->next_asid++;
	svm->asid_cpu = cpu;
	svm->asid_gen = sc->asid_gen;
	if (c->tlb_control == SVM_TLB_CONTROL_NONE)
		c->tlb_control = svm_tlb_flush_guest();
}

/*
 * DR0-DR3 are not in the VMCB (DR6/DR7 are): swap them by hand so the
 * guest keeps its breakpoints and the host gets its own back before any
 * breakpoint can fire (DR7 comes back with #VMEXIT).  Interrupts off.
 */
static void svm_swap_dr(unsigned long *save, const unsigned long *load)
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

/*
 * mkvm_backend.vcpu_run: one trip into the guest.  The guest's FPU state is
 * already in the registers (KVM_RUN swapped it in, arch/x86/fpu.c); its
 * XCR0 goes in and out right around VMRUN.  Host interrupts and NMIs held
 * back by GIF=0 are taken as soon
 * as STGI and local_irq_enable() allow, right after #VMEXIT.
 */
int svm_vcpu_run(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	struct vmcb_control *c = &svm->vmcb->control;
	unsigned long host_dr[4], host_dr7;
	int cpu;
	bool xcr0;

	preempt_disable();
	cpu = smp_processor_id();
	svm_pick_asid(vcpu, cpu);
	svm_event_inject(vcpu);
	/* Guest TSC = host TSC + TSC_OFFSET (APM Vol. 2, "TSC Offset"). */
	c->tsc_offset = vcpu->arch.tsc_offset;
	/*
	 * What VMRUN is given that a refused VMRUN may overwrite (QEMU
	 * stores its host state in the save area and clears EVENTINJ), kept
	 * for svm_fail.c.  The control area's other fields stay as they were.
	 */
	svm->entry.vmcb.save = svm->vmcb->save;
	svm->entry.vmcb.control.event_inj = c->event_inj;
	svm->entry.vmcb.control.event_inj_err = c->event_inj_err;

	mkvm_x86_tsc_aux_load_guest(vcpu);
	local_irq_disable();
	xcr0 = mkvm_x86_fpu_enter(vcpu, svm->vmcb->save.cr4);
	asm volatile("clgi" : : : "memory");
	/*
	 * No host breakpoint may fire on the guest's addresses in DR0-DR3
	 * meanwhile: VMRUN loads the guest's DR7 (the VMCB's), but the host's
	 * is live until then.
	 */
	host_dr7 = native_get_debugreg(7);
	if (host_dr7 & MKVM_DR7_ENABLED)
		native_set_debugreg(7, 0);
	/* Mappings went away or lost W since the last entry (kmod/kick.c). */
	if (mkvm_guest_mode_enter(vcpu) &&
	    c->tlb_control == SVM_TLB_CONTROL_NONE)
		c->tlb_control = svm_tlb_flush_guest();
	svm_swap_dr(host_dr, svm->dr);
	trace_minikvm_entry(vcpu->id, svm->vmcb->save.rip);
	mkvm_stat_enter(vcpu);
	__svm_vmrun(&svm->gprs, svm->vmcb_pa,
		    __sme_set(page_to_phys(__this_cpu_read(svm_host_save))));
	mkvm_guest_mode_exit(vcpu);
	mkvm_stat_leave(vcpu);
	/*
	 * VMRUN saves no host DR7 for #VMEXIT to restore (APM Vol. 2,
	 * "VMRUN Instruction", "#VMEXIT"): whatever DR7 now holds, the
	 * guest's breakpoints are disabled before the host's addresses come
	 * back, and the host's DR7 is written after them.
	 */
	if (svm->vmcb->save.dr7 & MKVM_DR7_ENABLED)
		native_set_debugreg(7, 0);
	svm_swap_dr(svm->dr, host_dr);
	if (host_dr7 & MKVM_DR7_ENABLED)
		native_set_debugreg(7, host_dr7);
	mkvm_x86_fpu_leave(xcr0);
	asm volatile("stgi" : : : "memory");	/* NMIs come in here */
	mkvm_x86_tsc_aux_load_host(vcpu);

	/*
	 * A refused VMRUN ran nothing, and the APM does not say it acted on
	 * TLB_CONTROL: the flushes it was to do are done at the next entry
	 * instead (a new ASID, and the generation seen again as new).
	 */
	if (c->exit_code == SVM_EXIT_INVALID) {
		svm->asid_cpu = -1;
		vcpu->tlb_gen = atomic_read(&vcpu->vm->tlb_gen) - 1;
	}
	c->tlb_control = SVM_TLB_CONTROL_NONE;
	svm_event_complete(vcpu);
	vcpu->last_cpu = cpu;
	preempt_enable();
	/*
	 * The interrupt that caused the exit comes in here, with preemption
	 * enabled: the tick can then count a quiescent state for RCU, which a
	 * CPU looping in and out of a busy guest would otherwise never report.
	 */
	local_irq_enable();
	return svm_handle_exit(vcpu);
}
