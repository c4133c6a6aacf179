// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSRs both backends virtualize the same way, kept in the vCPU's x86 state
 * rather than in a VMCS/VMCB field: the MTRRs, TSC_AUX, the TSC (its
 * offset), the microcode revision and HWCR (and the microcode update MSRs,
 * whose writes are ignored), IA32_APIC_BASE (read-only to the guest unless
 * it has an in-kernel APIC), and with one the x2APIC MSRs and
 * IA32_TSC_DEADLINE (lapic.c).  A backend's RDMSR/WRMSR exit
 * first asks its own fields (EFER, PAT, the syscall MSRs...), then
 * mkvm_x86_msr_common().
 *
 * Host-initiated accesses (KVM_GET_MSRS / KVM_SET_MSRS) go through
 * mkvm_x86_msrs_ioctl(): EFER, the FS/GS bases and APIC_BASE live in
 * vcpu->arch between runs; the MSRs a backend keeps in its VMCB/VMCS or
 * beside it go through mkvm_backend.msr_access.  As on KVM, the host may
 * do what the guest's CPUID would refuse the guest (EFER.LME without long
 * mode, TSC_AUX without RDTSCP, the MTRRs without MTRR, APIC_BASE writes).
 *
 * The TSC: the guest reads host TSC + tsc_offset (SVM's TSC_OFFSET, VMX's
 * "use TSC offsetting"; AMD APM Vol. 2, "TSC Offset"; SDM Vol. 3C,
 * "Timestamp-Counter Offsetting and Scaling").  A vCPU starts with its
 * VM's offset (guest TSC 0 when the VM was made); a write of IA32_TSC,
 * by the guest or by KVM_SET_MSRS, moves the offset so that the TSC reads
 * the value written at that moment.
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
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/msr-index.h>

#include "minikvm.h"

#define MKVM_MTRR_CAP		(MKVM_NR_VAR_MTRR | BIT(8) | BIT(10)) /* FIX, WC */
#define MKVM_MTRR_DEF_TYPE_OK	0xcffULL	/* type, FE (10), E (11) */
#define MKVM_MTRR_VAR_FIRST	0x200		/* IA32_MTRR_PHYSBASE0 */

/* HWCR.McStatusWrEn: the MCi_STATUS MSRs take writes. */
#define MKVM_HWCR_MCSTATUSWREN	BIT_ULL(18)

/* CPUID.1:EDX.MTRR gates the MTRRs. */
#define CPUID_1_EDX_MTRR	12
/* CPUID.1:ECX.x2APIC. */
#define CPUID_1_ECX_X2APIC	21

/* KVM's limit on nmsrs for KVM_GET_MSRS/KVM_SET_MSRS (MAX_IO_MSRS, x86.c). */
#define MKVM_MAX_IO_MSRS	256

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
static bool mtrr_value_valid(const struct mkvm_x86_state *st, u32 msr,
			     u64 val)
{
	u64 rsvd = ~GENMASK_ULL(st->maxphyaddr - 1, 0);
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

/* minikvm switches TSC_AUX when it offers RDTSCP or RDPID at all. */
static bool tsc_aux_supported(void)
{
	return mkvm_x86_tsc_aux_supported;
}

/**
 * mkvm_x86_guest_tsc() - the guest's TSC now
 * @st: the vCPU's state
 */
u64 mkvm_x86_guest_tsc(const struct mkvm_x86_state *st)
{
	return rdtsc() + st->tsc_offset;
}

/* RDMSR/WRMSR of the common MSRs; @host: KVM_GET/SET_MSRS (see the header). */
static int msr_common(struct mkvm_vcpu *vcpu, u32 msr, u64 *val, bool write,
		      bool host)
{
	struct mkvm_x86_state *st = &vcpu->arch;
	bool mtrr = host || mkvm_x86_guest_has(st, 1, 0, MKVM_EDX,
					       CPUID_1_EDX_MTRR);
	u64 *field, rsvd;

	switch (msr) {
	case MSR_IA32_TSC:
		if (write)
			st->tsc_offset = *val - rdtsc();
		else
			*val = mkvm_x86_guest_tsc(st);
		return 0;
	case MSR_MTRRcap:
		if (!mtrr)
			return -EINVAL;
		if (write)
			return -EINVAL;		/* read-only */
		*val = MKVM_MTRR_CAP;
		return 0;
	case MSR_TSC_AUX:
		if (!tsc_aux_supported() ||
		    (!host && !mkvm_x86_guest_has_tsc_aux(st)))
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
		if (!write) {
			*val = st->sregs.apic_base;
			return 0;
		}
		/* The in-kernel APIC's mode transitions (lapic.c). */
		if (vcpu->lapic)
			return mkvm_lapic_set_base(vcpu, *val, host);
		/* No local APIC to move: only userspace sets it. */
		if (!host)
			return -EINVAL;
		/*
		 * Reserved: bits 7:0 and 9, the bits above MAXPHYADDR (SDM
		 * Vol. 3A, "Local APIC Status and Location"), and x2APIC
		 * enable unless KVM_SET_CPUID2's table offers x2APIC, as KVM
		 * (which has no table before it); x2APIC enable without the
		 * global enable is an invalid mode.
		 */
		rsvd = 0x2ffULL | ~GENMASK_ULL(st->maxphyaddr - 1, 0);
		if (!st->cpuid || !mkvm_x86_guest_has(st, 1, 0, MKVM_ECX,
						      CPUID_1_ECX_X2APIC))
			rsvd |= X2APIC_ENABLE;
		if ((*val & rsvd) || (*val & (X2APIC_ENABLE |
					      MSR_IA32_APICBASE_ENABLE)) ==
				     X2APIC_ENABLE)
			return -EINVAL;
		st->sregs.apic_base = *val;
		return 0;
	case MSR_IA32_UCODE_REV:
		/*
		 * The microcode revision (SDM Vol. 4, IA32_BIOS_SIGN_ID).  A
		 * guest writes it (0, then CPUID) to have the CPU fill it in:
		 * accepted, nothing changes; userspace sets it (KVM's default
		 * and rules).
		 */
		if (!write)
			*val = st->ucode_rev;
		else if (host)
			st->ucode_rev = *val;
		return 0;
	case MSR_IA32_UCODE_WRITE:
	case MSR_AMD64_PATCH_LOADER:
		/* A microcode update: a write is accepted and ignored, as KVM. */
		return write ? 0 : -EINVAL;
	case MSR_K7_HWCR:
		/*
		 * AMD's HWCR (APM Vol. 2, "Hardware Configuration Register"):
		 * 0 or McStatusWrEn (bit 18), as KVM; the TLB-cache, flush-
		 * filter and IGNNE bits (3, 6, 8) written are ignored.
		 */
		if (!write) {
			*val = st->hwcr;
			return 0;
		}
		rsvd = *val & ~(BIT_ULL(3) | BIT_ULL(6) | BIT_ULL(8));
		if (rsvd && rsvd != MKVM_HWCR_MCSTATUSWREN)
			return -EINVAL;
		st->hwcr = rsvd;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		return mkvm_lapic_tsc_deadline(vcpu, val, write, host);
	case 0x800 ... 0x8ff:	/* x2APIC registers (lapic.c) */
		if (!vcpu->lapic)
			return -ENOENT;
		return mkvm_lapic_msr(vcpu, msr, val, write);
	}
	field = mtrr_field(&st->mtrr, msr);
	if (!field)
		return -ENOENT;
	if (!mtrr)
		return -EINVAL;
	if (!write) {
		*val = *field;
		return 0;
	}
	if (!mtrr_value_valid(st, msr, *val))
		return -EINVAL;
	*field = *val;
	return 0;
}

/**
 * mkvm_x86_msr_common() - the guest's RDMSR/WRMSR of an MSR kept here
 * @vcpu: the vCPU
 * @msr: ECX
 * @val: WRMSR: the value (EDX:EAX); RDMSR: where the value goes
 * @write: WRMSR
 *
 * The guest's CPUID decides which exist: the MTRRs with CPUID.1:EDX.MTRR
 * (SDM Vol. 3A, "MTRR Feature Identification"; KVM does not check it),
 * TSC_AUX with RDTSCP or RDPID, as on KVM.
 *
 * Return: 0 done; -EINVAL the guest gets #GP(0); -ENOENT not one of these
 * MSRs (the backend decides, usually #GP).
 */
int mkvm_x86_msr_common(struct mkvm_vcpu *vcpu, u32 msr, u64 *val,
			bool write)
{
	return msr_common(vcpu, msr, val, write, false);
}

/*
 * Every MSR minikvm virtualizes and userspace may save and restore
 * (KVM_GET_MSR_INDEX_LIST): what KVM_GET_MSRS reads and KVM_SET_MSRS
 * writes back.  MTRRCAP is read-only, so left out, as KVM leaves out
 * what it cannot restore; TSC_AUX only where minikvm offers it.
 */
static const u32 mkvm_msrs_saved[] = {
	MSR_EFER, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
	MSR_KERNEL_GS_BASE, MSR_FS_BASE, MSR_GS_BASE,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_IA32_CR_PAT, MSR_IA32_TSC, MSR_IA32_APICBASE,
	MSR_MTRRdefType, MSR_MTRRfix64K_00000, MSR_MTRRfix16K_80000,
	MSR_MTRRfix16K_A0000, MSR_MTRRfix4K_C0000, MSR_MTRRfix4K_C8000,
	MSR_MTRRfix4K_D0000, MSR_MTRRfix4K_D8000, MSR_MTRRfix4K_E0000,
	MSR_MTRRfix4K_E8000, MSR_MTRRfix4K_F0000, MSR_MTRRfix4K_F8000,
	/* IA32_MTRR_PHYSBASE0, PHYSMASK0 ... PHYSBASE7, PHYSMASK7 */
	0x200, 0x201, 0x202, 0x203, 0x204, 0x205, 0x206, 0x207,
	0x208, 0x209, 0x20a, 0x20b, 0x20c, 0x20d, 0x20e, 0x20f,
	MSR_IA32_UCODE_REV, MSR_K7_HWCR,
	MSR_TSC_AUX,	/* last: only with tsc_aux_supported() */
};

/* 14 MSRs, DEF_TYPE, the fixed and variable MTRRs, 2 more, TSC_AUX. */
static_assert(ARRAY_SIZE(mkvm_msrs_saved) ==
	      18 + MKVM_NR_FIXED_MTRR + 2 * MKVM_NR_VAR_MTRR);

static u32 msrs_saved_nr(void)
{
	return ARRAY_SIZE(mkvm_msrs_saved) - !tsc_aux_supported();
}

/**
 * mkvm_x86_get_msr_index_list() - KVM_GET_MSR_INDEX_LIST (system fd)
 * @argp: struct kvm_msr_list in userspace
 *
 * As KVM: nmsrs is always set to the list's length; a smaller nmsrs asked
 * for is then -E2BIG; else the indices follow.  Context: process context.
 */
long mkvm_x86_get_msr_index_list(struct kvm_msr_list __user *argp)
{
	struct kvm_msr_list list;
	u32 asked;

	if (copy_from_user(&list, argp, sizeof(list)))
		return -EFAULT;
	asked = list.nmsrs;
	list.nmsrs = msrs_saved_nr();
	if (copy_to_user(argp, &list, sizeof(list)))
		return -EFAULT;
	if (asked < list.nmsrs)
		return -E2BIG;
	if (copy_to_user(argp->indices, mkvm_msrs_saved,
			 list.nmsrs * sizeof(u32)))
		return -EFAULT;
	return 0;
}

static bool msr_is_listed(u32 msr)
{
	u32 i;

	for (i = 0; i < msrs_saved_nr(); i++)
		if (mkvm_msrs_saved[i] == msr)
			return true;
	return false;
}

/*
 * One host-initiated access, between runs: vcpu->arch holds EFER, the
 * FS/GS bases and APIC_BASE then; the backend the rest it keeps.
 * Return: 0, or non-zero for "refused" (the ioctl stops there).
 */
static int host_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 *val, bool write)
{
	struct kvm_sregs *s = &vcpu->arch.sregs;
	u64 *field = NULL;
	int r;

	if (!msr_is_listed(msr) && msr != MSR_MTRRcap)
		return -EINVAL;
	switch (msr) {
	case MSR_EFER:
		/* Reserved bits only: no CPUID or paging rule for the host. */
		if (write && !mkvm_x86_efer_valid(*val))
			return -EINVAL;
		field = &s->efer;
		break;
	case MSR_FS_BASE:
		field = &s->fs.base;
		break;
	case MSR_GS_BASE:
		field = &s->gs.base;
		break;
	}
	if (field) {
		/* Bases are canonical (SDM Vol. 4; APM Vol. 2 "Canonical Address Form"). */
		if (write && msr != MSR_EFER && !mkvm_x86_is_canonical(*val))
			return -EINVAL;
		/*
		 * As KVM's set_efer(): LMA follows paging, never the value
		 * written, even for the host.
		 */
		if (write && msr == MSR_EFER)
			*field = (*val & ~EFER_LMA) | (*field & EFER_LMA);
		else if (write)
			*field = *val;
		else
			*val = *field;
		return 0;
	}
	r = msr_common(vcpu, msr, val, write, true);
	if (r != -ENOENT)
		return r;
	return mkvm_be->msr_access(vcpu, msr, val, write);
}

/**
 * mkvm_x86_msrs_ioctl() - KVM_GET_MSRS / KVM_SET_MSRS (vCPU fd)
 * @vcpu: the vCPU, mutex held, not running
 * @argp: struct kvm_msrs in userspace
 * @write: KVM_SET_MSRS
 *
 * KVM's rules: nmsrs of MKVM_MAX_IO_MSRS or more is -E2BIG; entries are
 * processed in order up to the first MSR refused; KVM_GET_MSRS copies
 * every entry back.  Return: the number of entries processed, or -EFAULT,
 * -E2BIG, -ENOMEM.
 */
long mkvm_x86_msrs_ioctl(struct mkvm_vcpu *vcpu, struct kvm_msrs __user *argp,
			 bool write)
{
	struct kvm_msr_entry *e;
	struct kvm_msrs hdr;
	size_t size;
	long r;
	u32 i;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= MKVM_MAX_IO_MSRS)
		return -E2BIG;
	size = hdr.nmsrs * sizeof(*e);
	e = memdup_user(argp->entries, size);
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (i = 0; i < hdr.nmsrs; i++)
		if (host_msr(vcpu, e[i].index, &e[i].data, write))
			break;
	r = i;
	if (!write && copy_to_user(argp->entries, e, size))
		r = -EFAULT;
	kfree(e);
	return r;
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

	if (!tsc_aux_supported())
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

	if (tsc_aux_supported() && st->host_tsc_aux != st->tsc_aux)
		wrmsrl(MSR_TSC_AUX, st->host_tsc_aux);
}
