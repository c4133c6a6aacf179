// SPDX-License-Identifier: GPL-2.0-only
/*
 * Refused SVM entries explained: VMRUN exited with VMEXIT_INVALID, and
 * svm_check.c walks the consistency checks over the copy of the VMCB that
 * svm_vcpu_run() kept right before VMRUN, with what those checks depend on
 * from this CPU (MAXPHYADDR, the CR4 and EFER bits it implements).
 *
 * The save area is then restored from that copy: the guest never ran.
 *
 * Context: process context, vCPU mutex held (svm_handle_exit()).
 */
#include <asm/cpufeature.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

#include "minikvm.h"
#include "svm.h"

/* CR4 bits every x86-64 CPU has: VME to OSXMMEXCPT (bits 10:0). */
#define SVM_CR4_BASE	0x7ffULL
/* EFER.TCE, translation cache extension (APM Vol. 2, "EFER"). */
#define SVM_EFER_TCE	BIT_ULL(15)

/* The CR4 bits this CPU implements (APM Vol. 2, "CR4 Register"). */
static u64 svm_cr4_known(void)
{
	u64 known = SVM_CR4_BASE;

	if (boot_cpu_has(X86_FEATURE_UMIP))
		known |= X86_CR4_UMIP;
	if (boot_cpu_has(X86_FEATURE_LA57))
		known |= X86_CR4_LA57;
	if (boot_cpu_has(X86_FEATURE_FSGSBASE))
		known |= X86_CR4_FSGSBASE;
	if (boot_cpu_has(X86_FEATURE_PCID))
		known |= X86_CR4_PCIDE;
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		known |= X86_CR4_OSXSAVE;
	if (boot_cpu_has(X86_FEATURE_SMEP))
		known |= X86_CR4_SMEP;
	if (boot_cpu_has(X86_FEATURE_SMAP))
		known |= X86_CR4_SMAP;
	if (boot_cpu_has(X86_FEATURE_PKU))
		known |= X86_CR4_PKE;
	return known;
}

/* The EFER bits this CPU implements (APM Vol. 2, "Extended Feature Enable Register"). */
static u64 svm_efer_known(void)
{
	u64 known = EFER_SCE | EFER_LME | EFER_LMA | EFER_SVME;

	if (boot_cpu_has(X86_FEATURE_NX))
		known |= EFER_NX;
	if (boot_cpu_has(X86_FEATURE_FXSR_OPT))
		known |= EFER_FFXSR;
	if (boot_cpu_has(X86_FEATURE_TCE))
		known |= SVM_EFER_TCE;
	return known;
}

/**
 * svm_explain_entry() - KVM_EXIT_FAIL_ENTRY for VMEXIT_INVALID, with the
 * rule the VMCB broke
 * @vcpu: the vCPU
 *
 * Return: 0, to userspace.
 */
int svm_explain_entry(struct mkvm_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->be;
	struct svm_entry_state *st = &svm->entry;
	u32 inj = st->vmcb.control.event_inj;
	u32 inj_err = st->vmcb.control.event_inj_err;
	u32 rule;

	/* The control area as given, but for what svm_vcpu_run() kept. */
	st->vmcb.control = svm->vmcb->control;
	st->vmcb.control.event_inj = inj;
	st->vmcb.control.event_inj_err = inj_err;
	st->cr4_mbz = ~svm_cr4_known();
	st->efer_mbz = ~svm_efer_known();
	st->maxphyaddr = boot_cpu_data.x86_phys_bits;
	if (boot_cpu_data.extended_cpuid_level >= 0x80000008)
		st->maxphyaddr = cpuid_eax(0x80000008) & 0xff;
	rule = svm_check_entry(st);
	/*
	 * The guest never ran: put back the state it was to run with.  (QEMU
	 * stores its host state in the save area on VMEXIT_INVALID, which
	 * would otherwise reach KVM_GET_REGS: host kernel addresses.)
	 */
	svm->vmcb->save = st->vmcb.save;
	/* As KVM reports it: the exit code's low 32 bits. */
	return mkvm_x86_fail_entry(vcpu, lower_32_bits(SVM_EXIT_INVALID), rule,
				   svm_check_rule(rule));
}
