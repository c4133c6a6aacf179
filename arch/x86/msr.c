// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSRs both backends virtualize the same way, kept in the vCPU's x86 state
 * rather than in a VMCS/VMCB field: the MTRRs, TSC_AUX, and a read-only
 * IA32_APIC_BASE.  A backend's RDMSR/WRMSR exit first asks its own fields
 * (EFER, PAT, the syscall MSRs...), then mkvm_x86_msr_common().
 *
 * MTRRs: stored and validated, never applied.  With nested paging the
 * memory type of guest accesses comes from the host's side (EPT memory
 * type, or the host MTRRs and the combined PAT under NPT), so the guest's
 * MTRRs are there for the guest firmware and kernel to read back.  As KVM:
 * 8 variable ranges, the fixed ranges, write-combining (IA32_MTRRCAP =
 * 0x508).  Intel SDM Vol. 3A, "Memory Type Range Registers (MTRRs)"; AMD
 * APM Vol. 2, "Memory-Type Range Registers".
 *
 * TSC_AUX: what RDTSCP and RDPID return in ECX / the register.  The host
 * keeps its own in the MSR (the CPU number, for getcpu()), so the guest's
 * value is loaded around each entry by mkvm_x86_tsc_aux_load_guest() and
 * _host(): neither VMRUN nor VM-entry switches it.
 *
 * Context: process context, vCPU mutex held; the two TSC_AUX switches with
 * preemption disabled.
 */
#include <linux/kernel.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/msr-index.h>

#include "minikvm.h"

#define MKVM_MTRR_CAP		(MKVM_NR_VAR_MTRR | BIT(8) | BIT(10)) /* FIX, WC */
#define MKVM_MTRR_DEF_TYPE_OK	0xcffULL	/* type, FE (10), E (11) */
#define MKVM_MTRR_VAR_FIRST	0x200		/* IA32_MTRR_PHYSBASE0 */

/* CPUID.1:EDX.MTRR gates the MTRRs. */
#define CPUID_1_EDX_MTRR	12

/*
 * Memory types an MTRR may hold: UC, WC, WT, WP, WB (SDM Vol. 3A, Table
 * "Memory Types That Can Be Encoded in MTRRs").
 */
static bool mtrr_type_valid(u64 type)
{
	return type < 8 && (BIT(type) & 0x73);
}

/* The fixed-range MTRRs, in the order of struct mkvm_x86_mtrr.fixed. */
static const u32 mkvm_mtrr_fixed_msrs[MKVM_NR_FIXED_MTRR] = {
	MSR_MTRRfix64K_00000, MSR_MTRRfix16K_80000, MSR_MTRRfix16K_A0000,
	MSR_MTRRfix4K_C0000, MSR_MTRRfix4K_C8000, MSR_MTRRfix4K_D0000,
	MSR_MTRRfix4K_D8000, MSR_MTRRfix4K_E0000, MSR_MTRRfix4K_E8000,
	MSR_MTRRfix4K_F0000, MSR_MTRRfix4K_F8000,
};

static u64 *mtrr_field(struct mkvm_x86_mtrr *m, u32 msr)
{
	unsigned int i;

	if (msr == MSR_MTRRdefType)
		return &m->def_type;
	if (msr >= MKVM_MTRR_VAR_FIRST &&
	    msr < MKVM_MTRR_VAR_FIRST + 2 * MKVM_NR_VAR_MTRR)
		return &m->var[msr - MKVM_MTRR_VAR_FIRST];
	for (i = 0; i < MKVM_NR_FIXED_MTRR; i++)
		if (msr == mkvm_mtrr_fixed_msrs[i])
			return &m->fixed[i];
	return NULL;
}

/* A value the MTRR @msr accepts: KVM's rules, which are the SDM's. */
static bool mtrr_value_valid(u32 msr, u64 val)
{
	u64 rsvd = ~GENMASK_ULL(MKVM_DEFAULT_MAXPHYADDR - 1, 0);
	unsigned int i;

	if (msr == MSR_MTRRdefType)
		return !(val & ~MKVM_MTRR_DEF_TYPE_OK) &&
		       mtrr_type_valid(val & 0xff);
	if (msr >= MSR_MTRRfix64K_00000 && msr <= MSR_MTRRfix4K_F8000) {
		for (i = 0; i < 8; i++)
			if (!mtrr_type_valid((val >> (8 * i)) & 0xff))
				return false;
		return true;
	}
	/* PHYSBASEn (even): type in 7:0, 11:8 reserved; PHYSMASKn: 10:0. */
	if (!(msr & 1))
		return mtrr_type_valid(val & 0xff) && !(val & (rsvd | 0xf00));
	return !(val & (rsvd | 0x7ff));
}

/**
 * mkvm_x86_msr_common() - RDMSR/WRMSR of an MSR kept in the x86 state
 * @vcpu: the vCPU
 * @msr: ECX
 * @val: WRMSR: the value (EDX:EAX); RDMSR: where the value goes
 * @write: WRMSR
 *
 * Return: 0 done; -EINVAL the guest gets #GP(0); -ENOENT not one of these
 * MSRs (the backend decides, usually #GP).
 */
int mkvm_x86_msr_common(struct mkvm_vcpu *vcpu, u32 msr, u64 *val,
			bool write)
{
	struct mkvm_x86_state *st = &vcpu->arch;
	u64 *field;

	switch (msr) {
	case MSR_MTRRcap:
		if (!mkvm_x86_cpuid_has(1, 3, CPUID_1_EDX_MTRR))
			return -EINVAL;
		if (write)
			return -EINVAL;		/* read-only */
		*val = MKVM_MTRR_CAP;
		return 0;
	case MSR_TSC_AUX:
		if (!mkvm_x86_tsc_aux_offered)
			return -EINVAL;
		if (!write) {
			*val = st->tsc_aux;
			return 0;
		}
		/*
		 * Bits 63:32 are reserved on Intel (SDM Vol. 4, IA32_TSC_AUX);
		 * AMD CPUs ignore them, so does minikvm there, as KVM.
		 */
		if (boot_cpu_data.x86_vendor == X86_VENDOR_INTEL && *val >> 32)
			return -EINVAL;
		st->tsc_aux = (u32)*val;
		return 0;
	case MSR_IA32_APICBASE:
		if (write)
			return -EINVAL;	/* no local APIC to move yet */
		*val = st->sregs.apic_base;
		return 0;
	}
	field = mtrr_field(&st->mtrr, msr);
	if (!field)
		return -ENOENT;
	if (!mkvm_x86_cpuid_has(1, 3, CPUID_1_EDX_MTRR))
		return -EINVAL;
	if (!write) {
		*val = *field;
		return 0;
	}
	if (!mtrr_value_valid(msr, *val))
		return -EINVAL;
	*field = *val;
	return 0;
}

/**
 * mkvm_x86_tsc_aux_load_guest() - the guest's TSC_AUX into the MSR
 * @vcpu: the vCPU about to enter, on this CPU, preemption disabled
 *
 * Must be paired with mkvm_x86_tsc_aux_load_host() before preemption is
 * enabled again: user space of the host reads the MSR for getcpu().
 */
void mkvm_x86_tsc_aux_load_guest(struct mkvm_vcpu *vcpu)
{
	struct mkvm_x86_state *st = &vcpu->arch;

	if (!mkvm_x86_tsc_aux_offered)
		return;
	rdmsrl(MSR_TSC_AUX, st->host_tsc_aux);
	if (st->host_tsc_aux != st->tsc_aux)
		wrmsrl(MSR_TSC_AUX, st->tsc_aux);
}

/**
 * mkvm_x86_tsc_aux_load_host() - the host's TSC_AUX back into the MSR
 * @vcpu: the vCPU that just left the guest
 */
void mkvm_x86_tsc_aux_load_host(struct mkvm_vcpu *vcpu)
{
	struct mkvm_x86_state *st = &vcpu->arch;

	if (mkvm_x86_tsc_aux_offered && st->host_tsc_aux != st->tsc_aux)
		wrmsrl(MSR_TSC_AUX, st->host_tsc_aux);
}
