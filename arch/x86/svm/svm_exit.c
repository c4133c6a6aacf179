// SPDX-License-Identifier: GPL-2.0-only
/*
 * SVM #VMEXIT handlers, one short function per exit code, dispatched through
 * a table (APM Vol. 2, Appendix C "SVM Intercept Exit Codes").  A handler
 * returns 1 to enter the guest again, 0 to return to userspace with
 * kvm_run filled in, or a negative errno for KVM_RUN.  An exit code without
 * a handler reaches userspace as KVM_EXIT_INTERNAL_ERROR with the code.
 *
 * What minikvm intercepts and why (svm_vcpu.c sets the bits):
 *   INTR, NMI, SMI, INIT  the host's: taken by the host right after #VMEXIT
 *   HLT, IOIO             userspace's (KVM_EXIT_HLT, KVM_EXIT_IO)
 *   CPUID, MSR            emulated here; no MSR reaches the hardware
 *   CR4 writes            only the bits minikvm allows (x86.c)
 *   INVD                  a no-op: dropping dirty cache lines would lose
 *                         the host's data
 *   SHUTDOWN              a triple fault: KVM_EXIT_SHUTDOWN
 *   VINTR, IRET           event windows, on demand (svm_event.c)
 *   XSETBV                the guest's XCR0, checked (arch/x86/fpu.c)
 *   VMRUN ... SKINIT, INVLPGA, MONITOR, MWAIT
 *                         not offered to guests: #UD
 *   NPF                   nested paging built on demand from the memslots
 *   #DB, #AC              always: an exception its own delivery raises
 *                         again would hang the CPU; given back to the
 *                         guest unless userspace debugs it (svm_debug.c)
 *   #BP                   only while userspace debugs the guest
 *                         (KVM_SET_GUEST_DEBUG, svm_debug.c)
 *
 * Context: process context, preemption enabled, vCPU mutex held.
 */
#include <linux/mm.h>
#include <linux/nospec.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

#include "minikvm.h"
#include "svm.h"

#define X86_VEC_UD	6
#define X86_VEC_GP	13

/* RIP after an instruction of @len bytes, or the CPU's own NextRIP. */
static void svm_skip(struct svm_vcpu *svm, unsigned int len)
{
	if (boot_cpu_has(X86_FEATURE_NRIPS) && svm->vmcb->control.next_rip)
		svm->vmcb->save.rip = svm->vmcb->control.next_rip;
	else
		svm->vmcb->save.rip += len;
	/* The shadow of an STI/MOV SS before it covered this instruction. */
	svm->vmcb->control.int_state &= ~SVM_INT_SHADOW;
}

static int svm_exit_host_event(struct mkvm_vcpu *vcpu)
{
	return 1;	/* already handled by the host, after STGI */
}

/* The host's external interrupt, taken after STGI: KVM's irq_exits. */
static int svm_exit_intr(struct mkvm_vcpu *vcpu)
{
	vcpu->stat->irq_exits++;
	return 1;
}

static int svm_exit_ud(struct mkvm_vcpu *vcpu)
{
	mkvm_x86_queue_exception(vcpu, X86_VEC_UD, false, 0);
	return 1;
}

/* HLT is one byte (F4); KVM moves RIP past it before KVM_EXIT_HLT. */
static int svm_exit_hlt(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;

	svm_skip(svm, 1);
	/* With the in-kernel APIC the vCPU sleeps here (lapic.c). */
	if (vcpu->lapic)
		return mkvm_lapic_halt(vcpu, svm->vmcb->save.rflags &
					     X86_EFLAGS_IF);
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return 0;
}

/*
 * INVD (0F 08) would discard the cache without writing it back, host data
 * included (APM Vol. 3, "INVD"): skipped, as KVM does.
 */
static int svm_exit_invd(struct mkvm_vcpu *vcpu)
{
	svm_skip(vcpu->be, 2);
	return 1;
}

/*
 * MOV to CR4.  With decode assists EXITINFO1 names the source register
 * and NextRIP gives the length; otherwise the instruction is decoded.
 */
static int svm_exit_cr4_write(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	struct vmcb_control *c = &svm->vmcb->control;
	u64 old_cr4 = svm->vmcb->save.cr4;
	unsigned int len = 0;
	int gpr = -1, r;
	bool gp;

	if (svm_has_decode_assists && (c->exit_info_1 & SVM_CR_EXITINFO_MOV))
		gpr = c->exit_info_1 & SVM_CR_EXITINFO_GPR;
	if (boot_cpu_has(X86_FEATURE_NRIPS) && c->next_rip)
		len = c->next_rip - svm->vmcb->save.rip;
	svm_vcpu_save_state(vcpu);
	r = mkvm_x86_write_cr4(vcpu, gpr, len, &gp);
	svm_vcpu_load_state(vcpu);
	if (gp)
		mkvm_x86_queue_exception(vcpu, X86_VEC_GP, true, 0);
	/* Paging bits (PGE, PAE, PSE...) changed: drop the guest's TLB. */
	if (svm->vmcb->save.cr4 != old_cr4)
		c->tlb_control = svm_tlb_flush_guest();
	return r;
}

/*
 * XSETBV (0F 01 D1): XCR0 through the shared rules (arch/x86/fpu.c).  The
 * intercept is checked after the instruction's #UD for CR4.OSXSAVE clear
 * (APM Vol. 3, "XSETBV"; Vol. 2, "Instruction Intercepts").
 */
static int svm_exit_xsetbv(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	const struct vmcb_save *v = &svm->vmcb->save;
	int vec;

	vec = mkvm_x86_xsetbv(vcpu, v->cr4, v->cpl, svm->gprs.rcx, v->rax,
			      svm->gprs.rdx);
	if (vec)
		mkvm_x86_queue_exception(vcpu, vec, vec == X86_VEC_GP, 0);
	else
		svm_skip(svm, 3);
	return 1;
}

/* A triple fault: KVM_EXIT_SHUTDOWN, the vCPU left INITed as KVM does. */
static int svm_exit_shutdown(struct mkvm_vcpu *vcpu)
{
	svm_vcpu_init_event(vcpu);
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

/*
 * IN/OUT: EXITINFO1 has the port, width and kind, EXITINFO2 the RIP of the
 * next instruction (APM Vol. 2, "IOIO Intercepts").
 */
static int svm_exit_io(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	u64 info = svm->vmcb->control.exit_info_1;
	u8 size = (info & SVM_IOIO_SZ8) ? 1 : (info & SVM_IOIO_SZ16) ? 2 : 4;

	if (info & SVM_IOIO_STR) {
		/*
		 * The address size comes from the instruction, not EXITINFO1's
		 * A16/A32/A64 bits: QEMU's SVM reports those one bit off.
		 */
		int r;

		svm_vcpu_save_state(vcpu);
		r = mkvm_x86_string_io(vcpu, info >> SVM_IOIO_PORT_SHIFT, size,
				       info & SVM_IOIO_TYPE_IN,
				       info & SVM_IOIO_REP,
				       svm->vmcb->control.exit_info_2);
		svm_vcpu_load_state(vcpu);
		return r;
	}
	mkvm_x86_exit_io(&vcpu->arch, vcpu->run, page_address(vcpu->pio_page),
			 info >> SVM_IOIO_PORT_SHIFT, size,
			 info & SVM_IOIO_TYPE_IN, svm->vmcb->save.rax,
			 svm->vmcb->control.exit_info_2);
	return mkvm_x86_pio_in_kernel(vcpu);
}

/* CPUID (0F A2): the guest's CPUID, cpuid.c. */
static int svm_exit_cpuid(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	struct vmcb_save *v = &svm->vmcb->save;
	u32 a = v->rax, b, c = svm->gprs.rcx, d;

	mkvm_x86_cpuid(vcpu, v->cr4, &a, &b, &c, &d);
	v->rax = a;
	svm->gprs.rbx = b;
	svm->gprs.rcx = c;
	svm->gprs.rdx = d;
	svm_skip(svm, 2);
	return 1;
}

/*
 * The MSRs a guest may use: those VMRUN/VMLOAD switch are kept in the VMCB
 * (APM Vol. 2, Table B-2), the others in the x86 state (msr.c).  @write:
 * WRMSR with *val; else RDMSR into *val.  Also mkvm_backend.msr_access for
 * KVM_GET/SET_MSRS of the VMCB-only ones (STAR ... PAT), between runs.
 * Return: 0, or -EINVAL for #GP (unknown MSR, or a value the MSR refuses).
 */
int svm_msr_access(struct mkvm_vcpu *vcpu, u32 msr, u64 *val,
			  bool write)
{
	struct vmcb_save *v = &((struct svm_vcpu *)vcpu->be)->vmcb->save;
	u64 *field;

	switch (msr) {
	case MSR_STAR:
		field = &v->star;
		break;
	case MSR_LSTAR:
		field = &v->lstar;
		break;
	case MSR_CSTAR:
		field = &v->cstar;
		break;
	case MSR_SYSCALL_MASK:
		field = &v->sfmask;
		break;
	case MSR_KERNEL_GS_BASE:
		field = &v->kernel_gs_base;
		break;
	case MSR_FS_BASE:
		field = &v->fs.base;
		break;
	case MSR_GS_BASE:
		field = &v->gs.base;
		break;
	case MSR_IA32_SYSENTER_CS:
		field = &v->sysenter_cs;
		break;
	case MSR_IA32_SYSENTER_ESP:
		field = &v->sysenter_esp;
		break;
	case MSR_IA32_SYSENTER_EIP:
		field = &v->sysenter_eip;
		break;
	case MSR_IA32_CR_PAT:
		if (write && !mkvm_x86_pat_valid(*val))
			return -EINVAL;
		field = &v->g_pat;
		break;
	case MSR_EFER:
		/*
		 * SVME is minikvm's, not the guest's; LMA is the CPU's to set,
		 * and LME cannot change while paging is on (APM Vol. 2,
		 * "Enabling and Activating Long Mode").
		 */
		if (!write) {
			*val = v->efer & ~EFER_SVME;
			return 0;
		}
		if (!mkvm_x86_efer_guest_valid(&vcpu->arch, *val) ||
		    ((*val ^ v->efer) & EFER_LME && v->cr0 & X86_CR0_PG))
			return -EINVAL;
		v->efer = (*val & ~EFER_LMA) | (v->efer & EFER_LMA) | EFER_SVME;
		return 0;
	default:	/* MTRRs, TSC, TSC_AUX, APIC_BASE */
		return mkvm_x86_msr_common(vcpu, msr, val, write) ? -EINVAL : 0;
	}
	/* Addresses must be canonical (APM Vol. 2, "Canonical Address Form"). */
	if (write && msr != MSR_STAR && msr != MSR_SYSCALL_MASK &&
	    msr != MSR_IA32_SYSENTER_CS && msr != MSR_IA32_CR_PAT &&
	    !mkvm_x86_is_canonical(*val))
		return -EINVAL;
	if (write)
		*field = *val;
	else
		*val = *field;
	return 0;
}

/* RDMSR/WRMSR (0F 32 / 0F 30): EXITINFO1 is 1 for WRMSR. */
static int svm_exit_msr(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	bool write = svm->vmcb->control.exit_info_1;
	u32 msr = svm->gprs.rcx;
	u64 val = (svm->gprs.rdx << 32) | (u32)svm->vmcb->save.rax;

	if (svm_msr_access(vcpu, msr, &val, write)) {
		mkvm_x86_queue_exception(vcpu, X86_VEC_GP, true, 0);
		return 1;
	}
	if (!write) {
		svm->vmcb->save.rax = (u32)val;
		svm->gprs.rdx = val >> 32;
	}
	svm_skip(svm, 2);
	return 1;
}

/*
 * A nested page fault (APM Vol. 2, "Nested Page Fault": EXITINFO1 is the
 * error code, EXITINFO2 the guest-physical address).  With decode assists
 * the VMCB holds the instruction's bytes already, for MMIO.
 */
static int svm_exit_npf(struct mkvm_vcpu *vcpu)
{
	struct vmcb_control *c = &((struct svm_vcpu *)vcpu->be)->vmcb->control;

	return mkvm_x86_tdp_fault(vcpu, c->exit_info_2,
				  c->exit_info_1 & SVM_NPF_WRITE,
				  svm_has_decode_assists ? c->insn_bytes : NULL,
				  c->insn_len);
}

/* The handler of SVM_EXIT_<code> and its name, <code>. */
#define SVM_EXIT(code, handler) \
	[SVM_EXIT_##code] = { .fn = handler, .name = #code }

const struct mkvm_exit_handler svm_exit_handlers[SVM_EXIT_MAX] = {
	SVM_EXIT(WRITE_CR4, svm_exit_cr4_write),
	SVM_EXIT(EXCP_DB, svm_exit_excp_db),
	SVM_EXIT(EXCP_BP, svm_exit_excp_bp),
	SVM_EXIT(EXCP_AC, svm_exit_excp_ac),
	SVM_EXIT(INTR, svm_exit_intr),
	SVM_EXIT(NMI, svm_exit_host_event),
	SVM_EXIT(SMI, svm_exit_host_event),
	SVM_EXIT(INIT, svm_exit_host_event),
	SVM_EXIT(VINTR, svm_exit_vintr),
	SVM_EXIT(IRET, svm_exit_iret),
	SVM_EXIT(CPUID, svm_exit_cpuid),
	SVM_EXIT(INVD, svm_exit_invd),
	SVM_EXIT(HLT, svm_exit_hlt),
	SVM_EXIT(INVLPGA, svm_exit_ud),
	SVM_EXIT(IOIO, svm_exit_io),
	SVM_EXIT(MSR, svm_exit_msr),
	SVM_EXIT(SHUTDOWN, svm_exit_shutdown),
	SVM_EXIT(VMRUN, svm_exit_ud),
	SVM_EXIT(VMMCALL, svm_exit_ud),
	SVM_EXIT(VMLOAD, svm_exit_ud),
	SVM_EXIT(VMSAVE, svm_exit_ud),
	SVM_EXIT(STGI, svm_exit_ud),
	SVM_EXIT(CLGI, svm_exit_ud),
	SVM_EXIT(SKINIT, svm_exit_ud),
	SVM_EXIT(MONITOR, svm_exit_ud),
	SVM_EXIT(MWAIT, svm_exit_ud),
	SVM_EXIT(XSETBV, svm_exit_xsetbv),
	SVM_EXIT(NPF, svm_exit_npf),
};

/**
 * svm_handle_exit() - dispatch the #VMEXIT just taken
 * @vcpu: the vCPU
 *
 * Return: as the handlers (file header).
 */
int svm_handle_exit(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	u64 code = svm->vmcb->control.exit_code;
	int (*fn)(struct mkvm_vcpu *vcpu) = NULL;
	bool invalid = lower_32_bits(code) == lower_32_bits(SVM_EXIT_INVALID);
	bool tf;
	u64 rip;
	int r;

	/*
	 * Every exit is counted and traced, those that end in an error too
	 * (AMD APM Vol. 2, "#VMEXIT": EXITCODE, EXITINFO1/2 in the VMCB).
	 */
	mkvm_stat_exit(vcpu, invalid ? MKVM_STAT_EXIT_OTHER : code, code,
		       svm->vmcb->control.exit_info_1,
		       svm->vmcb->control.exit_info_2, svm->vmcb->save.rip);
	/*
	 * VMRUN's consistency checks refused the state: say which one.  The
	 * APM's EXITCODE is -1; QEMU writes it as 32 bits (0xffffffff),
	 * which is also what KVM reports: both forms mean VMEXIT_INVALID.
	 */
	if (invalid)
		return svm_explain_entry(vcpu);
	if (code < SVM_EXIT_MAX)
		fn = svm_exit_handlers[array_index_nospec(code, SVM_EXIT_MAX)].fn;
	if (!fn)
		return mkvm_x86_exit_unhandled(vcpu, code);
	vcpu->run->exit_reason = KVM_EXIT_UNKNOWN;
	rip = svm->vmcb->save.rip;
	tf = svm_guest_rflags(vcpu) & X86_EFLAGS_TF;
	r = fn(vcpu);
	if (svm->vmcb->save.rip != rip)
		svm_nmi_step_cut(vcpu, true);
	/* A handler that went to userspace without saying why: not handled. */
	if (r == 0 && vcpu->run->exit_reason == KVM_EXIT_UNKNOWN)
		return mkvm_x86_exit_unhandled(vcpu, code);
	/* An instruction completed here under TF: its trap (debug.c). */
	if (r == 1 && tf && svm->vmcb->save.rip != rip)
		r = svm_debug_step(vcpu);
	if (r == 1 && svm_irq_window_open(vcpu))
		return 0;
	return r;
}
