// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's CPUID, shared by both backends.
 *
 * What minikvm can virtualize (KVM_GET_SUPPORTED_CPUID on /dev/minikvm) is
 * the host's answers reduced to an allow-list of features minikvm
 * virtualizes completely.  A vCPU answers CPUID from the table userspace
 * gave it with KVM_SET_CPUID2 (taken as given, as KVM takes it, so it may
 * announce more than is supported; what minikvm enforces follows it,
 * x86.c and msr.c); until then from the supported table, with the APIC ID
 * field set to the vCPU id.  (KVM has no entries until KVM_SET_CPUID2 and
 * answers zeros; selftests/diffrun-expected.txt lists what that changes.)
 *
 * The local APIC, as KVM 6.1: APIC (leaf 1 EDX, 80000001H EDX) and x2APIC
 * (leaf 1 ECX, emulated whatever the host has) are reported.  The guest
 * sees leaf 1 EDX.APIC follow IA32_APIC_BASE's global enable, as KVM's
 * runtime update does; the default table shows APIC and x2APIC only to a
 * vCPU that has an in-kernel APIC (KVM_CREATE_IRQCHIP before it).
 *
 * An allow-list rather than a deny-list: a feature bit a future CPU adds
 * stays hidden until someone decides minikvm handles it.  What is hidden
 * and why:
 *  - VMX, SVM: no nested virtualization.
 *  - XSAVE features beyond x87, SSE, AVX and AVX-512 (MPX, PKRU, AMX...),
 *    XSAVEC and XSAVES (fpu.c keeps XCR0 only, no IA32_XSS); AVX and
 *    AVX-512 are offered only when the host enables their state in XCR0.
 *  - PCID, SMEP, SMAP, FSGSBASE, UMIP, PKU, LA57: their CR4 bits are
 *    refused (x86.c, MKVM_CR4_BASE_BITS), so CPUID must not offer them.
 *  - MONITOR/MWAIT: intercepted and answered with #UD.
 *  - TSC-deadline: as KVM 6.1, not reported here; userspace that sees
 *    KVM_CAP_TSC_DEADLINE_TIMER sets it in KVM_SET_CPUID2 (lapic.c
 *    follows the guest's CPUID).
 *  - MCE/MCA, DS, ACPI, TM, PBE, EST, PDCM, PMU (leaf 0AH): no machine
 *    check, debug store, thermal or performance-monitoring MSRs.
 *  - IBRS, IBPB, STIBP, SSBD, ARCH_CAPABILITIES: their MSRs (SPEC_CTRL,
 *    PRED_CMD, ...) are not passed through, so the guest must not use
 *    them; the host's SPEC_CTRL therefore stays in force in the guest.
 *  - Leaves above 0DH (basic) and 80000008H (extended): SGX, PT... are
 *    reported absent (the maximum leaves are lowered), and any leaf not
 *    listed below (topology 0BH among them) reads as zeros.
 *
 * Context: the supported table is filled once at module load and read-only
 * after; a vCPU's table is read and replaced under its vCPU mutex.
 *
 * Manuals: Intel SDM Vol. 2A, "CPUID—CPU Identification"; AMD APM Vol. 3,
 * Appendix E "Obtaining Processor Information Via the CPUID Instruction".
 */
#include <linux/bits.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

#include "minikvm.h"

#define MKVM_CPUID_MAX_BASIC	0xd
#define MKVM_CPUID_MAX_EXT	0x80000008

#define ALL	0xffffffffU

/*
 * Leaf 1 EDX: FPU VME DE PSE TSC MSR PAE CX8 APIC SEP MTRR PGE CMOV PAT
 * PSE36 CLFSH MMX FXSR SSE SSE2.
 */
#define L1_EDX_APIC		BIT(9)
#define L1_EDX	(BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) |	\
		 BIT(6) | BIT(8) | L1_EDX_APIC | BIT(11) | BIT(12) |	\
		 BIT(13) | BIT(15) | BIT(16) | BIT(17) | BIT(19) |	\
		 BIT(23) | BIT(24) | BIT(25) | BIT(26))
/*
 * Leaf 1 ECX: SSE3 PCLMULQDQ SSSE3 CX16 SSE4.1 SSE4.2 MOVBE POPCNT AES RDRAND,
 * XSAVE, and the AVX family (FMA, AVX, F16C; cleared without XCR0.AVX).
 */
#define L1_ECX_XSAVE		BIT(26)
#define L1_ECX_AVX		(BIT(12) | BIT(28) | BIT(29))
#define L1_ECX	(BIT(0) | BIT(1) | BIT(9) | BIT(13) | BIT(19) | BIT(20) | \
		 BIT(22) | BIT(23) | BIT(25) | BIT(30) | L1_ECX_XSAVE |	\
		 L1_ECX_AVX)
#define L1_ECX_OSXSAVE		BIT(27)
#define L1_ECX_X2APIC		BIT(21)
#define L1_ECX_HYPERVISOR	BIT(31)
/* Leaf 1 EBX: bits 15:0 (brand index, CLFLUSH line size); 31:24 APIC ID. */
#define L1_EBX	0x0000ffffU
#define L1_EBX_APIC_ID_SHIFT	24
/*
 * Leaf 7.0 EBX: FDP_EXCPTN_ONLY BMI1 BMI2 ERMS ZERO_FCS_FDS RDSEED ADX
 * CLFLUSHOPT CLWB SHA.
 */
#define L7_EBX	(BIT(3) | BIT(6) | BIT(8) | BIT(9) | BIT(13) | BIT(18) | \
		 BIT(19) | BIT(23) | BIT(24) | BIT(29) | L7_EBX_AVX2 |	\
		 L7_EBX_AVX512)
/* AVX2; AVX-512 F, DQ, CD, BW, VL (cleared without their XCR0 bits). */
#define L7_EBX_AVX2	BIT(5)
#define L7_EBX_AVX512	(BIT(16) | BIT(17) | BIT(28) | BIT(30) | BIT(31))
/* Leaf 7.0 ECX: RDPID (reads TSC_AUX, which minikvm switches). */
#define CPUID_7_ECX_RDPID	22
#define L7_ECX	BIT(CPUID_7_ECX_RDPID)
/* Leaf 7.0 EDX: FSRM, MD_CLEAR (VERW clears buffers), SERIALIZE. */
#define L7_EDX	(BIT(4) | BIT(10) | BIT(14))
#define CPUID_E1_EDX_RDTSCP	27
/* 80000001H EDX.APIC, AMD's copy of leaf 1's. */
#define E1_EDX_APIC		BIT(9)
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
/*
 * Leaf 0DH (SDM Vol. 1, "Enumeration of CPU Support for XSAVE Instructions
 * and XSAVE-Supported Features"): subleaf 0 is rewritten from the XCR0
 * minikvm supports (fpu.c), EBX from the guest's XCR0 at each CPUID;
 * subleaf 1 EAX: XSAVEOPT and XGETBV with ECX=1 (no XSAVEC, no XSAVES,
 * hence EBX 0); subleaves 2-7, each component's size, offset and
 * alignment (ECX bit 1), only for supported components.
 */
#define LD1_EAX	(BIT(0) | BIT(2))
#define LDI_ECX	BIT(1)
#define MKVM_CPUID_XSAVE_SUBS	8
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
	{ 0xd, MKVM_CPUID_XSAVE_SUBS, { ALL, 0, ALL, ALL } },
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

#define MKVM_CPUID_ENTRIES	(ARRAY_SIZE(mkvm_cpuid_allow) + 7 + \
				 MKVM_CPUID_XSAVE_SUBS - 1)

/*
 * KVM's limit on the entries of a struct kvm_cpuid2 (KVM_MAX_CPUID_ENTRIES
 * in KVM's arch/x86/include/asm/kvm_host.h, not in the uAPI).
 */
#define MKVM_MAX_CPUID_ENTRIES	256

/*
 * The supported table, KVM_GET_SUPPORTED_CPUID's answer and a vCPU's CPUID
 * before KVM_SET_CPUID2; filled by mkvm_x86_cpuid_init(), read-only after.
 */
static struct kvm_cpuid_entry2 mkvm_cpuid[MKVM_CPUID_ENTRIES] __ro_after_init;
static unsigned int mkvm_cpuid_nr __ro_after_init;

/* RDTSCP or RDPID supported: minikvm switches the guest's TSC_AUX. */
bool mkvm_x86_tsc_aux_supported __ro_after_init;

/*
 * The XSAVE family follows the XCR0 bits minikvm supports (fpu.c): none,
 * and no XSAVE at all; AVX and AVX-512 instructions only with their state.
 */
static void __init cpuid_filter_xsave(struct kvm_cpuid_entry2 *e)
{
	u64 xcr0 = mkvm_x86_xcr0_supported;

	if (e->function == 1 && !xcr0)
		e->ecx &= ~L1_ECX_XSAVE;
	if (e->function == 1 && !(xcr0 & XFEATURE_MASK_YMM))
		e->ecx &= ~L1_ECX_AVX;
	if (e->function == 7 && !(xcr0 & XFEATURE_MASK_YMM))
		e->ebx &= ~L7_EBX_AVX2;
	if (e->function == 7 && !(xcr0 & XFEATURE_MASK_AVX512))
		e->ebx &= ~L7_EBX_AVX512;
	if (e->function != 0xd)
		return;
	if (e->index == 0) {
		e->eax = (u32)xcr0;
		e->ecx = mkvm_x86_xsave_size(xcr0);
		e->edx = xcr0 >> 32;
	} else if (e->index == 1) {
		e->eax &= xcr0 ? LD1_EAX : 0;
		e->ebx = e->ecx = e->edx = 0;
	} else if (xcr0 & BIT_ULL(e->index)) {
		e->ecx &= LDI_ECX;
		e->edx = 0;
	} else {
		e->eax = e->ebx = e->ecx = e->edx = 0;
	}
}

/* Only host leaves that exist: above the host's maximum, CPUID lies. */
static bool host_has_leaf(u32 leaf)
{
	return leaf <= cpuid_eax(leaf & 0x80000000);
}

/* Leaves whose subleaf (ECX) selects the answer. */
static bool leaf_is_indexed(u32 leaf)
{
	return leaf == 0x4 || leaf == 0x7 || leaf == 0xd;
}

/**
 * mkvm_x86_cpuid_init() - compute the supported CPUID from the host's
 *
 * Called once at module load, on whichever CPU: the answers minikvm keeps
 * do not differ between the host's CPUs (APIC IDs are filled per vCPU).
 */
void __init mkvm_x86_cpuid_init(void)
{
	const struct mkvm_cpuid_allow *a;
	struct kvm_cpuid_entry2 *e;
	u32 sub;

	mkvm_x86_fpu_setup();
	for (a = mkvm_cpuid_allow;
	     a < mkvm_cpuid_allow + ARRAY_SIZE(mkvm_cpuid_allow); a++) {
		if (!host_has_leaf(a->leaf))
			continue;
		for (sub = 0; sub < a->nr_sub; sub++) {
			if (WARN_ON_ONCE(mkvm_cpuid_nr == MKVM_CPUID_ENTRIES))
				return;
			e = &mkvm_cpuid[mkvm_cpuid_nr++];
			e->function = a->leaf;
			e->index = sub;
			if (leaf_is_indexed(a->leaf))
				e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
			cpuid_count(a->leaf, sub, &e->eax, &e->ebx, &e->ecx,
				    &e->edx);
			e->eax &= a->mask[MKVM_EAX];
			e->ebx &= a->mask[MKVM_EBX];
			e->ecx &= a->mask[MKVM_ECX];
			e->edx &= a->mask[MKVM_EDX];
		}
	}
	for (e = mkvm_cpuid; e < mkvm_cpuid + mkvm_cpuid_nr; e++) {
		if (e->function == 0)
			e->eax = min(e->eax, (u32)MKVM_CPUID_MAX_BASIC);
		if (e->function == 0x80000000)
			e->eax = min(e->eax, (u32)MKVM_CPUID_MAX_EXT);
		/* KVM emulates x2APIC whatever the host has. */
		if (e->function == 1)
			e->ecx |= L1_ECX_HYPERVISOR | L1_ECX_X2APIC;
		if (e->function == 1 || e->function == 7 ||
		    e->function == 0xd)
			cpuid_filter_xsave(e);
	}
	mkvm_x86_tsc_aux_supported =
		mkvm_x86_supported_has(0x80000001, 0, MKVM_EDX,
				       CPUID_E1_EDX_RDTSCP) ||
		mkvm_x86_supported_has(0x7, 0, MKVM_ECX, CPUID_7_ECX_RDPID);
}

/*
 * The entry CPUID(@leaf, @sub) reads in @tab (@nent entries): the subleaf
 * counts only for an entry flagged KVM_CPUID_FLAG_SIGNIFCANT_INDEX, as on
 * KVM.  NULL: none, the leaf reads as zeros.
 */
static const struct kvm_cpuid_entry2 *
cpuid_find(const struct kvm_cpuid_entry2 *tab, u32 nent, u32 leaf, u32 sub)
{
	const struct kvm_cpuid_entry2 *e;

	for (e = tab; e < tab + nent; e++)
		if (e->function == leaf &&
		    (e->index == sub ||
		     !(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX)))
			return e;
	return NULL;
}

/* The vCPU's entry for CPUID(@leaf, @sub): its own table or the default. */
static const struct kvm_cpuid_entry2 *
guest_find(const struct mkvm_x86_state *st, u32 leaf, u32 sub)
{
	if (st->cpuid)
		return cpuid_find(st->cpuid->entries, st->cpuid->nent, leaf,
				  sub);
	return cpuid_find(mkvm_cpuid, mkvm_cpuid_nr, leaf, sub);
}

static u32 entry_reg(const struct kvm_cpuid_entry2 *e, int reg)
{
	switch (reg) {
	case MKVM_EAX:
		return e->eax;
	case MKVM_EBX:
		return e->ebx;
	case MKVM_ECX:
		return e->ecx;
	default:
		return e->edx;
	}
}

/*
 * Leaf 1 EDX as the guest sees it: APIC is IA32_APIC_BASE's global enable
 * (SDM Vol. 2A, CPUID, leaf 01H EDX[9]), set or cleared whatever the
 * table says, as KVM 6.1's runtime update; the default table shows it
 * only to a vCPU with an in-kernel APIC.
 */
static u32 cpuid_leaf1_edx(const struct mkvm_vcpu *vcpu, u32 edx)
{
	const struct mkvm_x86_state *st = &vcpu->arch;

	edx &= ~L1_EDX_APIC;
	if ((st->sregs.apic_base & MSR_IA32_APICBASE_ENABLE) &&
	    (st->cpuid || vcpu->lapic))
		edx |= L1_EDX_APIC;
	return edx;
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
 * A leaf the table does not list reads as zeros (KVM 6.1 does the same
 * when no entry matches; it has no "last basic leaf" rule for missing
 * leaves either).  Fast: no CPUID instruction on the host, a short walk.
 */
void mkvm_x86_cpuid(struct mkvm_vcpu *vcpu, u64 cr4, u32 *eax, u32 *ebx,
		    u32 *ecx, u32 *edx)
{
	const struct mkvm_x86_state *st = &vcpu->arch;
	const struct kvm_cpuid_entry2 *e = guest_find(st, *eax, *ecx);
	u32 leaf = *eax;

	*eax = *ebx = *ecx = *edx = 0;
	if (!e)
		return;
	*eax = e->eax;
	*ebx = e->ebx;
	*ecx = e->ecx;
	*edx = e->edx;
	/* The bytes XSAVE needs for the components XCR0 enables now. */
	if (leaf == 0xd && e->index == 0 && *eax)
		*ebx = mkvm_x86_xsave_size(vcpu->arch.xcr0);
	/* The default table: an APIC only where there is one. */
	if (leaf == 0x80000001 && !st->cpuid && !vcpu->lapic)
		*edx &= ~E1_EDX_APIC;
	if (leaf != 1)
		return;
	/* The default table has no APIC ID: the vCPU id, as the SDM's. */
	if (!st->cpuid)
		*ebx |= (vcpu->id & 0xff) << L1_EBX_APIC_ID_SHIFT;
	if (!st->cpuid && !vcpu->lapic)
		*ecx &= ~L1_ECX_X2APIC;
	*edx = cpuid_leaf1_edx(vcpu, *edx);
	/* OSXSAVE is CR4.OSXSAVE (SDM Vol. 2A, CPUID, leaf 01H ECX[27]). */
	*ecx &= ~L1_ECX_OSXSAVE;
	if (cr4 & X86_CR4_OSXSAVE)
		*ecx |= L1_ECX_OSXSAVE;
}

/**
 * mkvm_x86_guest_has() - whether the vCPU's CPUID announces a feature
 * @st: the vCPU's state (vcpu->arch); read under the vCPU mutex
 * @leaf: the CPUID leaf
 * @sub: the subleaf (ignored for leaves not flagged as indexed)
 * @reg: MKVM_EAX, MKVM_EBX, MKVM_ECX or MKVM_EDX
 * @bit: the bit in that register
 *
 * The query every feature check uses (EFER, CR4, MSRs, instructions): the
 * table of KVM_SET_CPUID2, or the default table before it.  A leaf the
 * table lacks announces nothing.
 */
bool mkvm_x86_guest_has(const struct mkvm_x86_state *st, u32 leaf, u32 sub,
			int reg, int bit)
{
	const struct kvm_cpuid_entry2 *e = guest_find(st, leaf, sub);

	return e && (entry_reg(e, reg) & BIT(bit));
}

/**
 * mkvm_x86_supported_has() - whether minikvm can virtualize a feature
 * @leaf: the CPUID leaf
 * @sub: the subleaf
 * @reg: MKVM_EAX ... MKVM_EDX
 * @bit: the bit
 *
 * For host-initiated accesses, which KVM allows when the feature is
 * supported whatever the guest's CPUID says.
 */
bool mkvm_x86_supported_has(u32 leaf, u32 sub, int reg, int bit)
{
	const struct kvm_cpuid_entry2 *e;

	e = cpuid_find(mkvm_cpuid, mkvm_cpuid_nr, leaf, sub);
	return e && (entry_reg(e, reg) & BIT(bit));
}

/**
 * mkvm_x86_guest_has_tsc_aux() - the guest has a TSC_AUX (RDTSCP or RDPID)
 * @st: the vCPU's state
 *
 * Only if minikvm supports one of them too: it switches TSC_AUX then.
 */
bool mkvm_x86_guest_has_tsc_aux(const struct mkvm_x86_state *st)
{
	return mkvm_x86_tsc_aux_supported &&
	       (mkvm_x86_guest_has(st, 0x80000001, 0, MKVM_EDX,
				   CPUID_E1_EDX_RDTSCP) ||
		mkvm_x86_guest_has(st, 0x7, 0, MKVM_ECX, CPUID_7_ECX_RDPID));
}

/**
 * mkvm_x86_get_supported_cpuid() - KVM_GET_SUPPORTED_CPUID (system fd)
 * @argp: struct kvm_cpuid2 in userspace
 *
 * KVM's rules: nent 0 is -E2BIG; nent is capped at KVM_MAX_CPUID_ENTRIES;
 * a table that does not fit is -E2BIG with nent left as it was; otherwise
 * nent becomes the number of entries written.  Context: process context,
 * no lock (the table is read-only).
 */
long mkvm_x86_get_supported_cpuid(struct kvm_cpuid2 __user *argp)
{
	struct kvm_cpuid2 cpuid;

	if (copy_from_user(&cpuid, argp, sizeof(cpuid)))
		return -EFAULT;
	if (cpuid.nent < 1)
		return -E2BIG;
	cpuid.nent = min_t(u32, cpuid.nent, MKVM_MAX_CPUID_ENTRIES);
	if (cpuid.nent < mkvm_cpuid_nr)
		return -E2BIG;
	if (copy_to_user(argp->entries, mkvm_cpuid,
			 mkvm_cpuid_nr * sizeof(mkvm_cpuid[0])))
		return -EFAULT;
	cpuid.nent = mkvm_cpuid_nr;
	if (copy_to_user(argp, &cpuid, sizeof(cpuid)))
		return -EFAULT;
	return 0;
}

/* The table a vCPU answers from: its own, or the supported one. */
static u32 guest_nent(const struct mkvm_x86_state *st)
{
	return st->cpuid ? st->cpuid->nent : mkvm_cpuid_nr;
}

static const struct kvm_cpuid_entry2 *
guest_entries(const struct mkvm_x86_state *st)
{
	return st->cpuid ? st->cpuid->entries : mkvm_cpuid;
}

/* @c has the same entries as the vCPU's table, in the same order (KVM's test). */
static bool cpuid_equal(const struct mkvm_x86_state *st,
			const struct mkvm_x86_cpuid *c)
{
	const struct kvm_cpuid_entry2 *x = c->entries, *y = guest_entries(st);
	u32 i;

	if (c->nent != guest_nent(st))
		return false;
	for (i = 0; i < c->nent; i++, x++, y++)
		if (x->function != y->function || x->index != y->index ||
		    x->flags != y->flags || x->eax != y->eax ||
		    x->ebx != y->ebx || x->ecx != y->ecx || x->edx != y->edx)
			return false;
	return true;
}

/*
 * Guest MAXPHYADDR from a table: 80000008H EAX[7:0] when the maximum
 * extended leaf reaches it, else 36 (SDM Vol. 3A, "Physical Address
 * Space"; KVM's cpuid_query_maxphyaddr()).
 */
static u8 cpuid_maxphyaddr(const struct mkvm_x86_cpuid *c)
{
	const struct kvm_cpuid_entry2 *e;

	e = cpuid_find(c->entries, c->nent, 0x80000000, 0);
	if (!e || e->eax < 0x80000008)
		return MKVM_DEFAULT_MAXPHYADDR;
	e = cpuid_find(c->entries, c->nent, 0x80000008, 0);
	if (!e || !(e->eax & 0xff))
		return MKVM_DEFAULT_MAXPHYADDR;
	/* More than the guest-physical space minikvm can map is pointless. */
	return min_t(u32, e->eax & 0xff, 52);
}

/**
 * mkvm_x86_set_cpuid2() - KVM_SET_CPUID2 (vCPU fd)
 * @vcpu: the vCPU, mutex held
 * @argp: struct kvm_cpuid2 in userspace
 *
 * KVM 6.1's rules: more than KVM_MAX_CPUID_ENTRIES entries is -E2BIG; a
 * bad pointer -EFAULT; a linear address size (80000008H EAX[15:8]) other
 * than 0, 48 or 57 -EINVAL; once the vCPU has entered the guest, only a
 * table identical to the current one is accepted (-EINVAL otherwise),
 * because what was derived from it (MAXPHYADDR, the controls the backends
 * set) must not change under a running guest.
 *
 * Return: 0 or a negative errno; on error the vCPU keeps its table.
 */
long mkvm_x86_set_cpuid2(struct mkvm_vcpu *vcpu,
			 struct kvm_cpuid2 __user *argp)
{
	struct mkvm_x86_state *st = &vcpu->arch;
	struct mkvm_x86_cpuid *c;
	const struct kvm_cpuid_entry2 *e;
	struct kvm_cpuid2 hdr;
	u32 vaddr_bits;
	long r = 0;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > MKVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	c = kvmalloc(struct_size(c, entries, hdr.nent), GFP_KERNEL_ACCOUNT);
	if (!c)
		return -ENOMEM;
	c->nent = hdr.nent;
	if (copy_from_user(c->entries, argp->entries,
			   hdr.nent * sizeof(c->entries[0]))) {
		r = -EFAULT;
		goto out_free;
	}
	/* Entered the guest already (KVM: last_vmentry_cpu != -1). */
	if (vcpu->last_cpu >= 0) {
		r = cpuid_equal(st, c) ? 0 : -EINVAL;
		goto out_free;
	}
	e = cpuid_find(c->entries, c->nent, 0x80000008, 0);
	vaddr_bits = e ? (e->eax >> 8) & 0xff : 0;
	if (vaddr_bits != 0 && vaddr_bits != 48 && vaddr_bits != 57) {
		r = -EINVAL;
		goto out_free;
	}
	kvfree(st->cpuid);
	st->cpuid = c;
	st->maxphyaddr = cpuid_maxphyaddr(c);
	return 0;

out_free:
	kvfree(c);
	return r;
}

/**
 * mkvm_x86_get_cpuid2() - KVM_GET_CPUID2 (vCPU fd)
 * @vcpu: the vCPU, mutex held
 * @argp: struct kvm_cpuid2 in userspace
 *
 * The table the guest's CPUID answers from: KVM_SET_CPUID2's, or before it
 * the supported table (where KVM has none).  As KVM 6.1: a nent below the
 * table's size is -E2BIG; else the entries are copied out, leaf 1
 * EDX.APIC as the guest sees it (KVM's table has it updated).  Either way
 * userspace's nent is left as it was (KVM 6.1 sets it only in its own
 * copy), so userspace learns the size from KVM_SET_CPUID2's table.
 */
long mkvm_x86_get_cpuid2(struct mkvm_vcpu *vcpu,
			 struct kvm_cpuid2 __user *argp)
{
	const struct mkvm_x86_state *st = &vcpu->arch;
	const struct kvm_cpuid_entry2 *tab = guest_entries(st), *e;
	struct kvm_cpuid2 hdr;
	u32 nent = guest_nent(st);

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < nent)
		return -E2BIG;
	if (copy_to_user(argp->entries, tab,
			 nent * sizeof(struct kvm_cpuid_entry2)))
		return -EFAULT;
	e = cpuid_find(tab, nent, 1, 0);
	if (e && put_user(cpuid_leaf1_edx(vcpu, e->edx),
			  &argp->entries[e - tab].edx))
		return -EFAULT;
	return 0;
}

/**
 * mkvm_x86_cpuid_free() - free the vCPU's KVM_SET_CPUID2 table
 * @st: the vCPU's state, at vCPU teardown
 */
void mkvm_x86_cpuid_free(struct mkvm_x86_state *st)
{
	kvfree(st->cpuid);
	st->cpuid = NULL;
}
