// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's CPUID, shared by both backends: the host's answers, reduced
 * to an allow-list of features minikvm virtualizes completely, until
 * userspace gives the guest a CPUID of its own (KVM_SET_CPUID2, later).
 *
 * An allow-list rather than a deny-list: a feature bit a future CPU adds
 * stays hidden until someone decides minikvm handles it.  What is hidden
 * and why:
 *  - VMX, SVM: no nested virtualization.
 *  - XSAVE, OSXSAVE, AVX and everything VEX-encoded (FMA, F16C, AVX2...):
 *    the guest's XCR0 is not switched, and CR4.OSXSAVE is refused.
 *  - PCID, SMEP, SMAP, FSGSBASE, UMIP, PKU, LA57: their CR4 bits are
 *    refused (x86.c, MKVM_CR4_BASE_BITS), so CPUID must not offer them.
 *  - MONITOR/MWAIT: intercepted and answered with #UD.
 *  - APIC, x2APIC, TSC-deadline: no local APIC yet.
 *  - MCE/MCA, DS, ACPI, TM, PBE, EST, PDCM, PMU (leaf 0AH): no machine
 *    check, debug store, thermal or performance-monitoring MSRs.
 *  - IBRS, IBPB, STIBP, SSBD, ARCH_CAPABILITIES: their MSRs (SPEC_CTRL,
 *    PRED_CMD, ...) are not passed through, so the guest must not use
 *    them; the host's SPEC_CTRL therefore stays in force in the guest.
 *  - Leaves above 7 (basic) and 80000008H (extended): topology, XSAVE
 *    state, SGX, PT... are reported absent (the maximum leaves are
 *    lowered), and any leaf not listed below reads as zeros.
 *
 * Context: any; the table is filled once at module load.
 *
 * Manuals: Intel SDM Vol. 2A, "CPUID—CPU Identification"; AMD APM Vol. 3,
 * Appendix E "Obtaining Processor Information Via the CPUID Instruction".
 */
#include <linux/bits.h>
#include <linux/kernel.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

#include "minikvm.h"

#define MKVM_CPUID_MAX_BASIC	0x7
#define MKVM_CPUID_MAX_EXT	0x80000008

#define ALL	0xffffffffU

/*
 * Leaf 1 EDX: FPU VME DE PSE TSC MSR PAE CX8 SEP MTRR PGE CMOV PAT PSE36
 * CLFSH MMX FXSR SSE SSE2.
 */
#define L1_EDX	(BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) |	\
		 BIT(6) | BIT(8) | BIT(11) | BIT(12) | BIT(13) | BIT(15) | \
		 BIT(16) | BIT(17) | BIT(19) | BIT(23) | BIT(24) |	\
		 BIT(25) | BIT(26))
/* Leaf 1 ECX: SSE3 PCLMULQDQ SSSE3 CX16 SSE4.1 SSE4.2 MOVBE POPCNT AES RDRAND. */
#define L1_ECX	(BIT(0) | BIT(1) | BIT(9) | BIT(13) | BIT(19) | BIT(20) | \
		 BIT(22) | BIT(23) | BIT(25) | BIT(30))
#define L1_ECX_OSXSAVE		BIT(27)
#define L1_ECX_HYPERVISOR	BIT(31)
/* Leaf 1 EBX: bits 15:0 (brand index, CLFLUSH line size); 31:24 APIC ID. */
#define L1_EBX	0x0000ffffU
#define L1_EBX_APIC_ID_SHIFT	24
/*
 * Leaf 7.0 EBX: FDP_EXCPTN_ONLY BMI1 BMI2 ERMS ZERO_FCS_FDS RDSEED ADX
 * CLFLUSHOPT CLWB SHA.
 */
#define L7_EBX	(BIT(3) | BIT(6) | BIT(8) | BIT(9) | BIT(13) | BIT(18) | \
		 BIT(19) | BIT(23) | BIT(24) | BIT(29))
/* Leaf 7.0 ECX: RDPID (reads TSC_AUX, which minikvm switches). */
#define CPUID_7_ECX_RDPID	22
#define L7_ECX	BIT(CPUID_7_ECX_RDPID)
/* Leaf 7.0 EDX: FSRM, MD_CLEAR (VERW clears buffers), SERIALIZE. */
#define L7_EDX	(BIT(4) | BIT(10) | BIT(14))
#define CPUID_E1_EDX_RDTSCP	27
/* 80000001H ECX: LAHF/SAHF LZCNT SSE4A MISALIGNSSE PREFETCHW. */
#define E1_ECX	(BIT(0) | BIT(5) | BIT(6) | BIT(7) | BIT(8))
/*
 * 80000001H EDX: leaf 1's copies, SYSCALL NX MMXEXT 1GB-pages RDTSCP LM
 * 3DNowExt 3DNow.
 */
#define E1_EDX	((L1_EDX & 0x0183f3ff) | BIT(11) | BIT(20) | BIT(22) | \
		 BIT(26) | BIT(27) | BIT(29) | BIT(30) | BIT(31))
/* 80000007H EDX: invariant TSC. */
#define E7_EDX	BIT(8)
/* 80000008H EAX: physical and linear address sizes. */
#define E8_EAX	0x0000ffffU
/* 80000008H EBX: CLZERO, XSAVEERPTR (FXSAVE always saves the pointers). */
#define E8_EBX	(BIT(0) | BIT(2))

/* What the guest may see of one leaf (and subleaf) of the host's CPUID. */
struct mkvm_cpuid_allow {
	u32 leaf;
	u32 nr_sub;		/* subleaves 0 .. nr_sub-1 are listed */
	u32 mask[4];		/* EAX, EBX, ECX, EDX */
};

static const struct mkvm_cpuid_allow mkvm_cpuid_allow[] = {
	{ 0x0,        1, { ALL, ALL, ALL, ALL } },
	{ 0x1,        1, { ALL, L1_EBX, L1_ECX, L1_EDX } },
	{ 0x2,        1, { ALL, ALL, ALL, ALL } },	/* cache descriptors */
	{ 0x4,        8, { ALL, ALL, ALL, ALL } },	/* cache parameters */
	{ 0x7,        1, { 0, L7_EBX, L7_ECX, L7_EDX } },
	{ 0x80000000, 1, { ALL, ALL, ALL, ALL } },
	{ 0x80000001, 1, { ALL, 0, E1_ECX, E1_EDX } },
	{ 0x80000002, 1, { ALL, ALL, ALL, ALL } },	/* brand string */
	{ 0x80000003, 1, { ALL, ALL, ALL, ALL } },
	{ 0x80000004, 1, { ALL, ALL, ALL, ALL } },
	{ 0x80000005, 1, { ALL, ALL, ALL, ALL } },	/* L1 caches, TLBs */
	{ 0x80000006, 1, { ALL, ALL, ALL, ALL } },	/* L2/L3 */
	{ 0x80000007, 1, { 0, 0, 0, E7_EDX } },
	{ 0x80000008, 1, { E8_EAX, E8_EBX, 0, 0 } },
};

#define MKVM_CPUID_ENTRIES	(ARRAY_SIZE(mkvm_cpuid_allow) + 7)

struct mkvm_cpuid_entry {
	u32 leaf, sub;
	u32 regs[4];
};

/* The filtered answers, filled by mkvm_x86_cpuid_init(); read-only after. */
static struct mkvm_cpuid_entry mkvm_cpuid[MKVM_CPUID_ENTRIES] __ro_after_init;
static unsigned int mkvm_cpuid_nr __ro_after_init;

/* RDTSCP or RDPID offered: the guest has a TSC_AUX of its own. */
bool mkvm_x86_tsc_aux_offered __ro_after_init;

/* Only host leaves that exist: above the host's maximum, CPUID lies. */
static bool host_has_leaf(u32 leaf)
{
	return leaf <= cpuid_eax(leaf & 0x80000000);
}

/**
 * mkvm_x86_cpuid_init() - compute the guest's CPUID from the host's
 *
 * Called once at module load, on whichever CPU: the answers minikvm keeps
 * do not differ between the host's CPUs (APIC IDs are filled per vCPU).
 */
void __init mkvm_x86_cpuid_init(void)
{
	const struct mkvm_cpuid_allow *a;
	struct mkvm_cpuid_entry *e;
	u32 sub;

	for (a = mkvm_cpuid_allow;
	     a < mkvm_cpuid_allow + ARRAY_SIZE(mkvm_cpuid_allow); a++) {
		if (!host_has_leaf(a->leaf))
			continue;
		for (sub = 0; sub < a->nr_sub; sub++) {
			if (WARN_ON_ONCE(mkvm_cpuid_nr == MKVM_CPUID_ENTRIES))
				return;
			e = &mkvm_cpuid[mkvm_cpuid_nr++];
			e->leaf = a->leaf;
			e->sub = sub;
			cpuid_count(a->leaf, sub, &e->regs[0], &e->regs[1],
				    &e->regs[2], &e->regs[3]);
			e->regs[0] &= a->mask[0];
			e->regs[1] &= a->mask[1];
			e->regs[2] &= a->mask[2];
			e->regs[3] &= a->mask[3];
		}
	}
	for (e = mkvm_cpuid; e < mkvm_cpuid + mkvm_cpuid_nr; e++) {
		if (e->leaf == 0)
			e->regs[0] = min(e->regs[0], (u32)MKVM_CPUID_MAX_BASIC);
		if (e->leaf == 0x80000000)
			e->regs[0] = min(e->regs[0], (u32)MKVM_CPUID_MAX_EXT);
		if (e->leaf == 1)
			e->regs[2] |= L1_ECX_HYPERVISOR;
	}
	mkvm_x86_tsc_aux_offered =
		mkvm_x86_cpuid_has(0x80000001, 3, CPUID_E1_EDX_RDTSCP) ||
		mkvm_x86_cpuid_has(0x7, 2, CPUID_7_ECX_RDPID);
}

/* Leaves whose subleaf (ECX) selects the answer. */
static bool leaf_is_indexed(u32 leaf)
{
	return leaf == 0x4 || leaf == 0x7;
}

/**
 * mkvm_x86_cpuid() - what CPUID returns in the guest
 * @vcpu: the vCPU executing CPUID
 * @cr4: the guest's CR4 now (CPUID.1:ECX.OSXSAVE mirrors CR4.OSXSAVE)
 * @eax: in: the leaf; out: EAX
 * @ebx: out: EBX
 * @ecx: in: the subleaf; out: ECX
 * @edx: out: EDX
 *
 * A leaf minikvm does not list reads as zeros.  Fast: no CPUID instruction
 * on the host, a short table walk.
 */
void mkvm_x86_cpuid(struct mkvm_vcpu *vcpu, u64 cr4, u32 *eax, u32 *ebx,
		    u32 *ecx, u32 *edx)
{
	u32 leaf = *eax, sub = leaf_is_indexed(*eax) ? *ecx : 0;
	const struct mkvm_cpuid_entry *e;

	*eax = *ebx = *ecx = *edx = 0;
	for (e = mkvm_cpuid; e < mkvm_cpuid + mkvm_cpuid_nr; e++) {
		if (e->leaf != leaf || e->sub != sub)
			continue;
		*eax = e->regs[0];
		*ebx = e->regs[1];
		*ecx = e->regs[2];
		*edx = e->regs[3];
		break;
	}
	if (leaf == 1) {
		*ebx |= (vcpu->id & 0xff) << L1_EBX_APIC_ID_SHIFT;
		if (cr4 & X86_CR4_OSXSAVE)
			*ecx |= L1_ECX_OSXSAVE;
	}
}

/**
 * mkvm_x86_cpuid_has() - whether the guest's CPUID announces a feature
 * @leaf: the leaf (subleaf 0)
 * @reg: 0-3 for EAX, EBX, ECX, EDX
 * @bit: the bit in that register
 *
 * For the MSRs and instructions a feature bit governs (TSC_AUX, MTRRs...).
 */
bool mkvm_x86_cpuid_has(u32 leaf, unsigned int reg, unsigned int bit)
{
	const struct mkvm_cpuid_entry *e;

	for (e = mkvm_cpuid; e < mkvm_cpuid + mkvm_cpuid_nr; e++)
		if (e->leaf == leaf && e->sub == 0)
			return e->regs[reg] & BIT(bit);
	return false;
}
