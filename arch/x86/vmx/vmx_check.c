// SPDX-License-Identifier: GPL-2.0-only
/*
 * Why did the CPU refuse this VMX entry?  A software walk of the checks VM
 * entry makes, over a snapshot of the state it tried to load (struct
 * vmx_entry_state, filled by vmx_vcpu.c right after the failure, while the
 * VMCS is still current).  The walk follows the order of Intel SDM Vol.
 * 3C, chapter "VM Entries": the checks on the controls and the host-state
 * area (whose failure is VMfailValid with VM-instruction error 7 or 8),
 * then those on the guest-state area (a VM exit with reason 33, "VM-entry
 * failure due to invalid guest state"), and returns the first rule broken.
 *
 * Only the checks that apply to what minikvm can run are here: the
 * controls minikvm can set, and every check on the guest state of a guest
 * without SMM, shadow VMCS, CET, PKS, LBR or user interrupts (those fields
 * are never loaded).  A rule's manual section is in the table at the end.
 *
 * Context: any; pure functions of the snapshot.  Built into the module and
 * into the unit test selftests/unit/vmx_check_test.c.
 */
#include "vmx_check.h"

#define B(n)		(1ULL << (n))
#define R(rule)		MINIKVM_RULE_VMX_##rule

/* Control bits the checks look at (SDM Vol. 3C, "VM-Execution Controls" ...). */
#define VX_PIN_NMI_EXITING		B(3)
#define VX_PIN_VIRTUAL_NMIS	B(5)
#define VX_PROC_TPR_SHADOW		B(21)
#define VX_PROC_MSR_BITMAPS	B(28)
#define VX_PROC_SECONDARY		B(31)
#define VX_PROC_MTF		B(27)
#define VX_PROC2_EPT		B(1)
#define VX_PROC2_VPID		B(5)
#define VX_PROC2_UNRESTRICTED	B(7)
#define VX_PROC2_VINTR_DELIVERY	B(9)
#define VX_EXIT_HOST_64BIT		B(9)
#define VX_EXIT_LOAD_PAT		B(19)
#define VX_EXIT_LOAD_EFER		B(21)
#define VX_ENTRY_LOAD_DEBUG	B(2)
#define VX_ENTRY_IA32E		B(9)
#define VX_ENTRY_TO_SMM		B(10)
#define VX_ENTRY_DUAL_MONITOR	B(11)
#define VX_ENTRY_LOAD_PAT		B(14)
#define VX_ENTRY_LOAD_EFER		B(15)

/* VM-entry interruption information (SDM Vol. 3C, "VM-Entry Controls for Event Injection"). */
#define VX_INTR_VECTOR(i)		((i) & 0xff)
#define VX_INTR_TYPE(i)		(((i) >> 8) & 7)
#define   VX_INTR_EXT		0
#define   VX_INTR_RESERVED		1
#define   VX_INTR_NMI		2
#define   VX_INTR_HW_EXC		3
#define   VX_INTR_SOFT_INT		4
#define   VX_INTR_PRIV_SOFT_EXC	5
#define   VX_INTR_SOFT_EXC		6
#define   VX_INTR_OTHER		7
#define VX_INTR_ERR_VALID		B(11)
#define VX_INTR_RESERVED_BITS	0x7ffff000ULL	/* bits 30:12 */
#define VX_INTR_VALID		B(31)

/* IA32_VMX_MISC (SDM Vol. 3D, Appendix A.6 "Miscellaneous Data"). */
#define VX_MISC_ACTIVITY_SHIFT	6	/* bits 8:6: HLT, shutdown, wait-for-SIPI */
#define VX_MISC_CR3_TARGETS(m)	(((m) >> 16) & 0x1ff)
#define VX_MISC_INSN_LEN_0		B(30)

/* IA32_VMX_EPT_VPID_CAP (SDM Vol. 3D, Appendix A.10). */
#define VX_EPT_CAP_WALK_4		B(6)
#define VX_EPT_CAP_WALK_5		B(7)
#define VX_EPT_CAP_UC		B(8)
#define VX_EPT_CAP_WB		B(14)
#define VX_EPT_CAP_AD		B(21)

/* Architectural bits (SDM Vol. 3A, "Control Registers", "EFLAGS Register"). */
#define VX_CR0_PE			B(0)
#define VX_CR0_PG			B(31)
#define VX_CR4_PAE			B(5)
#define VX_CR4_PCIDE		B(17)
#define VX_EFER_SCE		B(0)
#define VX_EFER_LME		B(8)
#define VX_EFER_LMA		B(10)
#define VX_EFER_NXE		B(11)
#define VX_RFLAGS_FIXED		B(1)
#define VX_RFLAGS_TF		B(8)
#define VX_RFLAGS_IF		B(9)
#define VX_RFLAGS_VM		B(17)
#define VX_RFLAGS_RESERVED		(~0ULL << 22 | B(15) | B(5) | B(3))
#define VX_DEBUGCTL_BTF		B(1)
/* IA32_DEBUGCTL: LBR, BTF, bits 6-15 defined; 5:2 and 63:16 reserved. */
#define VX_DEBUGCTL_RESERVED	(~0ULL << 16 | 0x3cULL)

/* Access rights (SDM Vol. 3C, Table "Format of Access Rights"). */
#define VX_AR_TYPE(ar)		((ar) & 0xf)
#define VX_AR_ACCESSED		B(0)
#define VX_AR_READABLE		B(1)
#define VX_AR_CODE			B(3)
#define VX_AR_S			B(4)
#define VX_AR_DPL(ar)		(((ar) >> 5) & 3)
#define VX_AR_P			B(7)
#define VX_AR_L			B(13)
#define VX_AR_DB			B(14)
#define VX_AR_G			B(15)
#define VX_AR_UNUSABLE		B(16)
#define VX_AR_RESERVED		(0xf00ULL | ~0ULL << 17)
#define VX_SEL_RPL(s)		((s) & 3)
#define VX_SEL_TI			B(2)

/* Interruptibility state and activity (SDM Vol. 3C, "Guest Non-Register State"). */
#define VX_BLOCK_STI		B(0)
#define VX_BLOCK_MOV_SS		B(1)
#define VX_BLOCK_SMI		B(2)
#define VX_BLOCK_RESERVED		(~0ULL << 5)
#define VX_ACT_ACTIVE		0
#define VX_ACT_HLT			1
#define VX_ACT_SHUTDOWN		2
#define VX_ACT_WAIT_SIPI		3
/* Pending debug exceptions: B3-B0, enabled breakpoint, BS, RTM. */
#define VX_PDBG_BS			B(14)
#define VX_PDBG_RESERVED		(~0ULL << 17 | B(15) | B(13) | 0xff0ULL)

#define VX_PDPTE_P			B(0)
#define VX_PDPTE_RESERVED		(0x1e6ULL)	/* bits 2:1, 8:5 */

/* A 48-bit canonical linear address (bits 63:47 all equal). */
static bool canonical(u64 la)
{
	return (u64)((int64_t)(la << 16) >> 16) == la;
}

/* No bit at or above MAXPHYADDR. */
static bool phys_ok(const struct vmx_entry_state *st, u64 pa)
{
	return st->maxphyaddr >= 64 || !(pa >> st->maxphyaddr);
}

/*
 * A control word against its capability MSR: every bit that must be 1 is,
 * no bit that must be 0 is (SDM Vol. 3D, Appendix A.3 to A.5).
 */
static bool ctls_ok(u32 val, u64 cap)
{
	u32 must1 = (u32)cap, may1 = (u32)(cap >> 32);

	return (val & must1) == must1 && !(val & ~may1);
}

/* Every entry of a PAT holds a memory type: 0, 1, 4, 5, 6 or 7. */
static bool pat_ok(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = pat >> (8 * i);

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

/* A 16-byte aligned MSR area of @count entries inside MAXPHYADDR. */
static bool msr_area_ok(const struct vmx_entry_state *st, u64 addr, u32 count)
{
	return !count || (!(addr & 0xf) && phys_ok(st, addr + 16ULL * count - 1));
}

/* Secondary controls count only when the primary control activates them. */
static u32 proc2(const struct vmx_entry_state *st)
{
	return (st->proc & VX_PROC_SECONDARY) ? st->proc2 : 0;
}

static bool unrestricted(const struct vmx_entry_state *st)
{
	return proc2(st) & VX_PROC2_UNRESTRICTED;
}

/* SDM Vol. 3C, "Checks on VM-Execution Control Fields". */
static u32 check_exec_controls(const struct vmx_entry_state *st)
{
	u32 p2 = proc2(st);
	u64 eptp = st->eptp;

	if (!ctls_ok(st->pin, st->pin_cap))
		return R(PIN_CTLS);
	if (!ctls_ok(st->proc, st->proc_cap))
		return R(PROC_CTLS);
	if ((st->proc & VX_PROC_SECONDARY) && !ctls_ok(st->proc2, st->proc2_cap))
		return R(PROC2_CTLS);
	if (st->cr3_target_count > VX_MISC_CR3_TARGETS(st->misc))
		return R(CR3_TARGET_COUNT);
	if ((st->proc & VX_PROC_MSR_BITMAPS) &&
	    ((st->msr_bitmap & 0xfff) || !phys_ok(st, st->msr_bitmap)))
		return R(MSR_BITMAP_ADDR);
	if ((st->proc & VX_PROC_TPR_SHADOW) &&
	    ((st->virtual_apic & 0xfff) || !phys_ok(st, st->virtual_apic)))
		return R(VIRTUAL_APIC_ADDR);
	if ((st->proc & VX_PROC_TPR_SHADOW) && !(p2 & VX_PROC2_VINTR_DELIVERY) &&
	    (st->tpr_threshold & ~0xfU))
		return R(TPR_THRESHOLD);
	if (!(st->pin & VX_PIN_NMI_EXITING) && (st->pin & VX_PIN_VIRTUAL_NMIS))
		return R(VIRTUAL_NMIS);
	if ((p2 & VX_PROC2_VPID) && !st->vpid)
		return R(VPID_ZERO);
	if (p2 & VX_PROC2_EPT) {
		u64 type = eptp & 7, walk = (eptp >> 3) & 7;

		if (!(type == 0 && (st->ept_vpid_cap & VX_EPT_CAP_UC)) &&
		    !(type == 6 && (st->ept_vpid_cap & VX_EPT_CAP_WB)))
			return R(EPTP_MEMTYPE);
		if (!(walk == 3 && (st->ept_vpid_cap & VX_EPT_CAP_WALK_4)) &&
		    !(walk == 4 && (st->ept_vpid_cap & VX_EPT_CAP_WALK_5)))
			return R(EPTP_WALK_LENGTH);
		if ((eptp & 0xf80) || !phys_ok(st, eptp) ||
		    ((eptp & B(6)) && !(st->ept_vpid_cap & VX_EPT_CAP_AD)))
			return R(EPTP_RESERVED);
	}
	if ((p2 & VX_PROC2_UNRESTRICTED) && !(p2 & VX_PROC2_EPT))
		return R(UNRESTRICTED_NO_EPT);
	return 0;
}

/* SDM Vol. 3C, "Checks on VM-Exit Control Fields". */
static u32 check_exit_controls(const struct vmx_entry_state *st)
{
	if (!ctls_ok(st->exit, st->exit_cap))
		return R(EXIT_CTLS);
	if (!msr_area_ok(st, st->exit_msr_store_addr, st->exit_msr_store_count))
		return R(EXIT_MSR_STORE_ADDR);
	if (!msr_area_ok(st, st->exit_msr_load_addr, st->exit_msr_load_count))
		return R(EXIT_MSR_LOAD_ADDR);
	return 0;
}

/* Hardware exceptions that push an error code (SDM Vol. 3A, Table "Exceptions and Interrupts"). */
static bool exc_has_error_code(u8 vector)
{
	return vector == 8 || (vector >= 10 && vector <= 14) ||
	       vector == 17 || vector == 21;
}

/* SDM Vol. 3C, "Checks on VM-Entry Control Fields", event injection included. */
static u32 check_entry_controls(const struct vmx_entry_state *st)
{
	u32 info = st->entry_intr_info, type = VX_INTR_TYPE(info);
	u8 vec = VX_INTR_VECTOR(info);
	bool want_err;

	if (!ctls_ok(st->entry, st->entry_cap))
		return R(ENTRY_CTLS);
	if (info & VX_INTR_VALID) {
		if (type == VX_INTR_RESERVED ||
		    (type == VX_INTR_OTHER && !((st->proc_cap >> 32) & VX_PROC_MTF)))
			return R(ENTRY_INTR_TYPE);
		if ((type == VX_INTR_NMI && vec != 2) ||
		    (type == VX_INTR_HW_EXC && vec > 31) ||
		    (type == VX_INTR_OTHER && vec != 0))
			return R(ENTRY_INTR_VECTOR);
		want_err = (!unrestricted(st) || (st->cr0 & VX_CR0_PE)) &&
			   type == VX_INTR_HW_EXC && exc_has_error_code(vec);
		if (!!(info & VX_INTR_ERR_VALID) != want_err)
			return R(ENTRY_INTR_ERR_CODE);
		if (info & VX_INTR_RESERVED_BITS)
			return R(ENTRY_INTR_RESERVED);
		if ((info & VX_INTR_ERR_VALID) && (st->entry_exception_err >> 16))
			return R(ENTRY_EXCEPTION_ERR);
		if ((type == VX_INTR_SOFT_INT || type == VX_INTR_PRIV_SOFT_EXC ||
		     type == VX_INTR_SOFT_EXC) &&
		    (st->entry_insn_len > 15 ||
		     (!st->entry_insn_len && !(st->misc & VX_MISC_INSN_LEN_0))))
			return R(ENTRY_INSN_LEN);
	}
	if (!msr_area_ok(st, st->entry_msr_load_addr, st->entry_msr_load_count))
		return R(ENTRY_MSR_LOAD_ADDR);
	/* Outside SMM both must be 0. */
	if (st->entry & (VX_ENTRY_TO_SMM | VX_ENTRY_DUAL_MONITOR))
		return R(ENTRY_SMM);
	return 0;
}

/* Fixed bits: every bit of @fixed0 set, none outside @fixed1. */
static bool fixed_ok(u64 val, u64 fixed0, u64 fixed1)
{
	return (val & fixed0) == fixed0 && !(val & ~fixed1);
}

/*
 * SDM Vol. 3C, "Checks on Host Control Registers, MSRs, and SSP", "Checks
 * on Host Segment and Descriptor-Table Registers", "Checks Related to
 * Address-Space Size".  minikvm's host is a 64-bit kernel: VM exit must
 * return to 64-bit mode.
 */
static u32 check_host_state(const struct vmx_entry_state *st)
{
	const u16 *sel = st->host_sel;
	int i;

	if (!fixed_ok(st->host_cr0, st->cr0_fixed0, st->cr0_fixed1))
		return R(HOST_CR0_FIXED);
	if (!fixed_ok(st->host_cr4, st->cr4_fixed0, st->cr4_fixed1))
		return R(HOST_CR4_FIXED);
	if (!phys_ok(st, st->host_cr3))
		return R(HOST_CR3);
	if (!canonical(st->host_sysenter_esp) || !canonical(st->host_sysenter_eip))
		return R(HOST_SYSENTER);
	if ((st->exit & VX_EXIT_LOAD_PAT) && !pat_ok(st->host_pat))
		return R(HOST_PAT);
	if ((st->exit & VX_EXIT_LOAD_EFER) &&
	    ((st->host_efer & ~(VX_EFER_SCE | VX_EFER_LME | VX_EFER_LMA | VX_EFER_NXE)) ||
	     !(st->host_efer & VX_EFER_LMA) != !(st->exit & VX_EXIT_HOST_64BIT) ||
	     !(st->host_efer & VX_EFER_LME) != !(st->exit & VX_EXIT_HOST_64BIT)))
		return R(HOST_EFER);
	for (i = 0; i < VMX_CHK_NR_HOST_SELS; i++)
		if (sel[i] & (VX_SEL_TI | 3))
			return R(HOST_SEL_RPL_TI);
	if (!sel[VMX_CHK_HCS] || !sel[VMX_CHK_HTR] ||
	    (!sel[VMX_CHK_HSS] && !(st->exit & VX_EXIT_HOST_64BIT)))
		return R(HOST_SEL_NULL);
	if (!canonical(st->host_fs_base) || !canonical(st->host_gs_base) ||
	    !canonical(st->host_gdtr_base) || !canonical(st->host_idtr_base) ||
	    !canonical(st->host_tr_base))
		return R(HOST_BASE_CANONICAL);
	if (!(st->exit & VX_EXIT_HOST_64BIT))
		return R(HOST_ADDR_SPACE);
	if (!(st->host_cr4 & VX_CR4_PAE))
		return R(HOST_CR4_PAE);
	if (!canonical(st->host_rip))
		return R(HOST_RIP);
	return 0;
}

/* SDM Vol. 3C, "Checks on Guest Control Registers, Debug Registers, and MSRs". */
static u32 check_guest_crs(const struct vmx_entry_state *st)
{
	bool ia32e = st->entry & VX_ENTRY_IA32E;
	u64 fixed0 = st->cr0_fixed0;

	/* Unrestricted guest frees PE and PG. */
	if (unrestricted(st))
		fixed0 &= ~(VX_CR0_PE | VX_CR0_PG);
	if (!fixed_ok(st->cr0, fixed0, st->cr0_fixed1))
		return R(GUEST_CR0_FIXED);
	if ((st->cr0 & VX_CR0_PG) && !(st->cr0 & VX_CR0_PE))
		return R(GUEST_CR0_PG_PE);
	if (!fixed_ok(st->cr4, st->cr4_fixed0, st->cr4_fixed1))
		return R(GUEST_CR4_FIXED);
	if ((st->entry & VX_ENTRY_LOAD_DEBUG) && (st->debugctl & VX_DEBUGCTL_RESERVED))
		return R(GUEST_DEBUGCTL);
	if (ia32e && (!(st->cr0 & VX_CR0_PG) || !(st->cr4 & VX_CR4_PAE)))
		return R(GUEST_IA32E_PG_PAE);
	if (!ia32e && (st->cr4 & VX_CR4_PCIDE))
		return R(GUEST_PCIDE);
	if (!phys_ok(st, st->cr3))
		return R(GUEST_CR3);
	if ((st->entry & VX_ENTRY_LOAD_DEBUG) && (st->dr7 >> 32))
		return R(GUEST_DR7);
	if (!canonical(st->sysenter_esp) || !canonical(st->sysenter_eip))
		return R(GUEST_SYSENTER);
	if ((st->entry & VX_ENTRY_LOAD_PAT) && !pat_ok(st->pat))
		return R(GUEST_PAT);
	if (st->entry & VX_ENTRY_LOAD_EFER) {
		if (st->efer & ~(VX_EFER_SCE | VX_EFER_LME | VX_EFER_LMA | VX_EFER_NXE))
			return R(GUEST_EFER_RESERVED);
		if (!(st->efer & VX_EFER_LMA) != !ia32e)
			return R(GUEST_EFER_LMA);
		if ((st->cr0 & VX_CR0_PG) &&
		    !(st->efer & VX_EFER_LME) != !(st->efer & VX_EFER_LMA))
			return R(GUEST_EFER_LME);
	}
	return 0;
}

/*
 * The limit and G agree: a limit with any of bits 11:0 clear needs byte
 * granularity, one with any of bits 31:20 set needs 4-KiB granularity.
 */
static bool limit_g_ok(u32 limit, u32 ar)
{
	if ((limit & 0xfff) != 0xfff && (ar & VX_AR_G))
		return false;
	return !(limit & 0xfff00000) || (ar & VX_AR_G);
}

static bool usable(const struct vmx_check_seg *s)
{
	return !(s->ar & VX_AR_UNUSABLE);
}

/* Virtual-8086 mode: every segment as real mode would load it. */
static u32 check_v8086_segs(const struct vmx_entry_state *st)
{
	int i;

	for (i = VMX_CHK_ES; i <= VMX_CHK_GS; i++) {
		const struct vmx_check_seg *s = &st->seg[i];

		if (s->base != (u64)s->sel << 4 || s->limit != 0xffff ||
		    s->ar != 0xf3)
			return R(GUEST_V8086_SEG);
	}
	return 0;
}

/* Type, S, DPL, P, reserved bits, limit of CS, SS, DS, ES, FS, GS (not v8086). */
static u32 check_code_data_ar(const struct vmx_entry_state *st)
{
	const struct vmx_check_seg *cs = &st->seg[VMX_CHK_CS];
	const struct vmx_check_seg *ss = &st->seg[VMX_CHK_SS];
	u32 cs_type = VX_AR_TYPE(cs->ar);
	bool ug = unrestricted(st);
	int i;

	if (!(cs_type == 9 || cs_type == 11 || cs_type == 13 || cs_type == 15 ||
	      (ug && cs_type == 3)))
		return R(GUEST_CS_TYPE);
	if (usable(ss) && VX_AR_TYPE(ss->ar) != 3 && VX_AR_TYPE(ss->ar) != 7)
		return R(GUEST_SS_TYPE);
	for (i = VMX_CHK_ES; i <= VMX_CHK_GS; i++) {
		u32 ar = st->seg[i].ar;

		if (i == VMX_CHK_CS || i == VMX_CHK_SS || !usable(&st->seg[i]))
			continue;
		if (!(ar & VX_AR_ACCESSED) || ((ar & VX_AR_CODE) && !(ar & VX_AR_READABLE)))
			return R(GUEST_DATA_TYPE);
	}
	for (i = VMX_CHK_ES; i <= VMX_CHK_GS; i++)
		if ((i == VMX_CHK_CS || usable(&st->seg[i])) &&
		    !(st->seg[i].ar & VX_AR_S))
			return R(GUEST_SEG_S);
	if ((cs_type == 3 && VX_AR_DPL(cs->ar)) ||
	    ((cs_type == 9 || cs_type == 11) && VX_AR_DPL(cs->ar) != VX_AR_DPL(ss->ar)) ||
	    ((cs_type == 13 || cs_type == 15) && VX_AR_DPL(cs->ar) > VX_AR_DPL(ss->ar)))
		return R(GUEST_CS_DPL);
	if ((!ug && VX_AR_DPL(ss->ar) != VX_SEL_RPL(ss->sel)) ||
	    ((cs_type == 3 || !(st->cr0 & VX_CR0_PE)) && VX_AR_DPL(ss->ar)))
		return R(GUEST_SS_DPL);
	for (i = VMX_CHK_ES; i <= VMX_CHK_GS; i++) {
		const struct vmx_check_seg *s = &st->seg[i];

		if (i == VMX_CHK_CS || i == VMX_CHK_SS || ug || !usable(s))
			continue;
		if (VX_AR_TYPE(s->ar) <= 11 && VX_AR_DPL(s->ar) < VX_SEL_RPL(s->sel))
			return R(GUEST_DATA_DPL);
	}
	for (i = VMX_CHK_ES; i <= VMX_CHK_GS; i++) {
		const struct vmx_check_seg *s = &st->seg[i];

		if (i != VMX_CHK_CS && !usable(s))
			continue;
		if (!(s->ar & VX_AR_P))
			return R(GUEST_SEG_P);
		if (s->ar & VX_AR_RESERVED)
			return R(GUEST_SEG_AR_RESERVED);
		if (!limit_g_ok(s->limit, s->ar))
			return R(GUEST_SEG_LIMIT_G);
	}
	if ((st->entry & VX_ENTRY_IA32E) && (cs->ar & VX_AR_L) && (cs->ar & VX_AR_DB))
		return R(GUEST_CS_L_D);
	return 0;
}

/* TR must be a usable busy TSS; LDTR, when usable, an LDT. */
static u32 check_tr_ldtr_ar(const struct vmx_entry_state *st)
{
	const struct vmx_check_seg *tr = &st->seg[VMX_CHK_TR];
	const struct vmx_check_seg *ldtr = &st->seg[VMX_CHK_LDTR];
	u32 type = VX_AR_TYPE(tr->ar);

	/* An unusable TR first: its other bits then mean nothing. */
	if (!usable(tr))
		return R(GUEST_TR_UNUSABLE);
	if (type != 11 && (type != 3 || (st->entry & VX_ENTRY_IA32E)))
		return R(GUEST_TR_TYPE);
	if (tr->ar & VX_AR_S)
		return R(GUEST_TR_S);
	if (!(tr->ar & VX_AR_P))
		return R(GUEST_TR_P);
	if (tr->ar & VX_AR_RESERVED)
		return R(GUEST_SEG_AR_RESERVED);
	if (!limit_g_ok(tr->limit, tr->ar))
		return R(GUEST_SEG_LIMIT_G);
	if (!usable(ldtr))
		return 0;
	if (VX_AR_TYPE(ldtr->ar) != 2)
		return R(GUEST_LDTR_TYPE);
	if (ldtr->ar & VX_AR_S)
		return R(GUEST_LDTR_S);
	if (!(ldtr->ar & VX_AR_P))
		return R(GUEST_LDTR_P);
	if (ldtr->ar & VX_AR_RESERVED)
		return R(GUEST_SEG_AR_RESERVED);
	if (!limit_g_ok(ldtr->limit, ldtr->ar))
		return R(GUEST_SEG_LIMIT_G);
	return 0;
}

/* SDM Vol. 3C, "Checks on Guest Segment Registers". */
static u32 check_guest_segs(const struct vmx_entry_state *st)
{
	const struct vmx_check_seg *seg = st->seg;
	/*
	 * RFLAGS.VM means virtual-8086 mode only in protected mode outside
	 * IA-32e mode; elsewhere it breaks a rule of its own (GUEST_RFLAGS_VM).
	 */
	bool v8086 = (st->rflags & VX_RFLAGS_VM) && (st->cr0 & VX_CR0_PE) &&
		     !(st->entry & VX_ENTRY_IA32E);
	u32 r;
	int i;

	if (seg[VMX_CHK_TR].sel & VX_SEL_TI)
		return R(GUEST_TR_TI);
	if (usable(&seg[VMX_CHK_LDTR]) && (seg[VMX_CHK_LDTR].sel & VX_SEL_TI))
		return R(GUEST_LDTR_TI);
	if (!v8086 && !unrestricted(st) &&
	    VX_SEL_RPL(seg[VMX_CHK_SS].sel) != VX_SEL_RPL(seg[VMX_CHK_CS].sel))
		return R(GUEST_SS_CS_RPL);
	if (v8086) {
		r = check_v8086_segs(st);
		if (r)
			return r;
	}
	if (!canonical(seg[VMX_CHK_TR].base) || !canonical(seg[VMX_CHK_FS].base) ||
	    !canonical(seg[VMX_CHK_GS].base) ||
	    (usable(&seg[VMX_CHK_LDTR]) && !canonical(seg[VMX_CHK_LDTR].base)))
		return R(GUEST_SEG_BASE_CANONICAL);
	if (seg[VMX_CHK_CS].base >> 32)
		return R(GUEST_SEG_BASE_HIGH);
	for (i = VMX_CHK_ES; i <= VMX_CHK_DS; i++)
		if (usable(&seg[i]) && (seg[i].base >> 32))
			return R(GUEST_SEG_BASE_HIGH);
	if (!v8086) {
		r = check_code_data_ar(st);
		if (r)
			return r;
	}
	return check_tr_ldtr_ar(st);
}

/* SDM Vol. 3C, "Checks on Guest Descriptor-Table Registers", "... RIP, RFLAGS, and SSP". */
static u32 check_guest_dtr_rip_rflags(const struct vmx_entry_state *st)
{
	bool ia32e = st->entry & VX_ENTRY_IA32E;
	bool cs_l = st->seg[VMX_CHK_CS].ar & VX_AR_L;
	u32 info = st->entry_intr_info;

	if (!canonical(st->gdtr_base) || !canonical(st->idtr_base))
		return R(GUEST_DTR_BASE);
	if ((st->gdtr_limit >> 16) || (st->idtr_limit >> 16))
		return R(GUEST_DTR_LIMIT);
	if (!(ia32e && cs_l) && (st->rip >> 32))
		return R(GUEST_RIP_HIGH);
	if (ia32e && cs_l && !canonical(st->rip))
		return R(GUEST_RIP_CANONICAL);
	if ((st->rflags & VX_RFLAGS_RESERVED) || !(st->rflags & VX_RFLAGS_FIXED))
		return R(GUEST_RFLAGS_RESERVED);
	if ((ia32e || !(st->cr0 & VX_CR0_PE)) && (st->rflags & VX_RFLAGS_VM))
		return R(GUEST_RFLAGS_VM);
	if ((info & VX_INTR_VALID) && VX_INTR_TYPE(info) == VX_INTR_EXT &&
	    !(st->rflags & VX_RFLAGS_IF))
		return R(GUEST_RFLAGS_IF);
	return 0;
}

/* May an event of this kind be injected into a CPU in @activity? */
static bool event_ok_in_activity(u32 activity, u32 info)
{
	u32 type = VX_INTR_TYPE(info);
	u8 vec = VX_INTR_VECTOR(info);

	switch (activity) {
	case VX_ACT_HLT:
		return type == VX_INTR_EXT || type == VX_INTR_NMI || type == VX_INTR_OTHER ||
		       (type == VX_INTR_HW_EXC && (vec == 1 || vec == 18));
	case VX_ACT_SHUTDOWN:
		return type == VX_INTR_NMI || (type == VX_INTR_HW_EXC && vec == 18);
	case VX_ACT_WAIT_SIPI:
		return false;
	}
	return true;
}

/* SDM Vol. 3C, "Checks on Guest Non-Register State". */
static u32 check_guest_nonreg(const struct vmx_entry_state *st)
{
	u32 act = st->activity, blk = st->interruptibility;
	u32 info = st->entry_intr_info;
	bool inject = info & VX_INTR_VALID;
	bool tf = st->rflags & VX_RFLAGS_TF;
	bool btf = st->debugctl & VX_DEBUGCTL_BTF;

	if (act > VX_ACT_WAIT_SIPI ||
	    (act && !(st->misc & B(VX_MISC_ACTIVITY_SHIFT + act - 1))))
		return R(GUEST_ACTIVITY);
	if (act == VX_ACT_HLT && VX_AR_DPL(st->seg[VMX_CHK_SS].ar))
		return R(GUEST_ACTIVITY_HLT_DPL);
	if ((blk & (VX_BLOCK_STI | VX_BLOCK_MOV_SS)) && act != VX_ACT_ACTIVE)
		return R(GUEST_ACTIVITY_BLOCKING);
	if (inject && !event_ok_in_activity(act, info))
		return R(GUEST_ACTIVITY_EVENT);
	if (blk & VX_BLOCK_RESERVED)
		return R(GUEST_INTR_RESERVED);
	if ((blk & VX_BLOCK_STI) && (blk & VX_BLOCK_MOV_SS))
		return R(GUEST_INTR_STI_MOVSS);
	if ((blk & VX_BLOCK_STI) && !(st->rflags & VX_RFLAGS_IF))
		return R(GUEST_INTR_STI_IF);
	if (inject && VX_INTR_TYPE(info) == VX_INTR_EXT &&
	    (blk & (VX_BLOCK_STI | VX_BLOCK_MOV_SS)))
		return R(GUEST_INTR_EXT_BLOCKING);
	if (inject && VX_INTR_TYPE(info) == VX_INTR_NMI && (blk & VX_BLOCK_MOV_SS))
		return R(GUEST_INTR_NMI_BLOCKING);
	if (blk & VX_BLOCK_SMI)
		return R(GUEST_INTR_SMI);
	if (st->pending_dbg & VX_PDBG_RESERVED)
		return R(GUEST_PENDING_DBG);
	if (((blk & (VX_BLOCK_STI | VX_BLOCK_MOV_SS)) || act == VX_ACT_HLT) &&
	    !!(st->pending_dbg & VX_PDBG_BS) != (tf && !btf))
		return R(GUEST_PENDING_DBG_BS);
	/* minikvm has no shadow VMCS: the link pointer must say "none". */
	if (st->link_pointer != ~0ULL)
		return R(GUEST_LINK_POINTER);
	return 0;
}

/*
 * SDM Vol. 3C, "Checks on Guest Page-Directory-Pointer-Table Entries":
 * with EPT and PAE paging, VM entry loads the PDPTEs from the VMCS.
 */
static u32 check_guest_pdptes(const struct vmx_entry_state *st)
{
	int i;

	if (!(proc2(st) & VX_PROC2_EPT) || !(st->cr0 & VX_CR0_PG) ||
	    !(st->cr4 & VX_CR4_PAE) || (st->entry & VX_ENTRY_IA32E))
		return 0;
	for (i = 0; i < 4; i++)
		if ((st->pdpte[i] & VX_PDPTE_P) &&
		    ((st->pdpte[i] & VX_PDPTE_RESERVED) || !phys_ok(st, st->pdpte[i])))
			return R(GUEST_PDPTE);
	return 0;
}

/**
 * vmx_check_entry() - the first VM-entry check @st fails
 * @st: the snapshot
 *
 * Return: a MINIKVM_RULE_VMX_* id, or 0 when every check here passes.
 */
u32 vmx_check_entry(const struct vmx_entry_state *st)
{
	u32 (*const steps[])(const struct vmx_entry_state *st) = {
		check_exec_controls, check_exit_controls, check_entry_controls,
		check_host_state, check_guest_crs, check_guest_segs,
		check_guest_dtr_rip_rflags, check_guest_nonreg,
		check_guest_pdptes,
	};
	unsigned int i;
	u32 r;

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		r = steps[i](st);
		if (r)
			return r;
	}
	return 0;
}

#define SDM		"Intel SDM Vol. 3C, "
#define S_EXEC		SDM "Checks on VM-Execution Control Fields"
#define S_EXIT		SDM "Checks on VM-Exit Control Fields"
#define S_ENTRY		SDM "Checks on VM-Entry Control Fields"
#define S_HOST_CR	SDM "Checks on Host Control Registers, MSRs, and SSP"
#define S_HOST_SEG	SDM "Checks on Host Segment and Descriptor-Table Registers"
#define S_HOST_SIZE	SDM "Checks Related to Address-Space Size"
#define S_CR		SDM "Checks on Guest Control Registers, Debug Registers, and MSRs"
#define S_SEG		SDM "Checks on Guest Segment Registers"
#define S_DTR		SDM "Checks on Guest Descriptor-Table Registers"
#define S_RIP		SDM "Checks on Guest RIP, RFLAGS, and SSP"
#define S_NONREG	SDM "Checks on Guest Non-Register State"
#define S_PDPTE		SDM "Checks on Guest Page-Directory-Pointer-Table Entries"

#define RULE(id, text, sect) \
	[MINIKVM_RULE_VMX_##id] = { .name = text, .section = sect }

static const struct mkvm_entry_rule vmx_rules[R(GUEST_PDPTE) + 1] = {
	RULE(PIN_CTLS, "pin-based controls outside the allowed settings", S_EXEC),
	RULE(PROC_CTLS, "primary processor-based controls outside the allowed settings", S_EXEC),
	RULE(PROC2_CTLS, "secondary processor-based controls outside the allowed settings", S_EXEC),
	RULE(CR3_TARGET_COUNT, "CR3-target count above what the CPU supports", S_EXEC),
	RULE(MSR_BITMAP_ADDR, "MSR-bitmap address not page-aligned or beyond MAXPHYADDR", S_EXEC),
	RULE(VIRTUAL_APIC_ADDR, "virtual-APIC address not page-aligned or beyond MAXPHYADDR", S_EXEC),
	RULE(TPR_THRESHOLD, "TPR threshold bits 31:4 not zero", S_EXEC),
	RULE(VIRTUAL_NMIS, "virtual NMIs without NMI exiting", S_EXEC),
	RULE(VPID_ZERO, "VPID enabled with VPID 0", S_EXEC),
	RULE(EPTP_MEMTYPE, "EPTP memory type not supported", S_EXEC),
	RULE(EPTP_WALK_LENGTH, "EPTP page-walk length not supported", S_EXEC),
	RULE(EPTP_RESERVED, "EPTP reserved bits set or address beyond MAXPHYADDR", S_EXEC),
	RULE(UNRESTRICTED_NO_EPT, "unrestricted guest without EPT", S_EXEC),
	RULE(EXIT_CTLS, "VM-exit controls outside the allowed settings", S_EXIT),
	RULE(EXIT_MSR_STORE_ADDR, "VM-exit MSR-store area misaligned or beyond MAXPHYADDR", S_EXIT),
	RULE(EXIT_MSR_LOAD_ADDR, "VM-exit MSR-load area misaligned or beyond MAXPHYADDR", S_EXIT),
	RULE(ENTRY_CTLS, "VM-entry controls outside the allowed settings", S_ENTRY),
	RULE(ENTRY_INTR_TYPE, "injected event of a reserved type", S_ENTRY),
	RULE(ENTRY_INTR_VECTOR, "injected event vector not allowed for its type", S_ENTRY),
	RULE(ENTRY_INTR_ERR_CODE, "deliver-error-code bit not matching the injected event", S_ENTRY),
	RULE(ENTRY_INTR_RESERVED, "VM-entry interruption information bits 30:12 set", S_ENTRY),
	RULE(ENTRY_EXCEPTION_ERR, "VM-entry exception error code bits 31:16 set", S_ENTRY),
	RULE(ENTRY_INSN_LEN, "VM-entry instruction length out of range for a software event", S_ENTRY),
	RULE(ENTRY_MSR_LOAD_ADDR, "VM-entry MSR-load area misaligned or beyond MAXPHYADDR", S_ENTRY),
	RULE(ENTRY_SMM, "entry to SMM or deactivate dual-monitor outside SMM", S_ENTRY),
	RULE(HOST_CR0_FIXED, "host CR0 breaks the VMX fixed bits", S_HOST_CR),
	RULE(HOST_CR4_FIXED, "host CR4 breaks the VMX fixed bits", S_HOST_CR),
	RULE(HOST_CR3, "host CR3 beyond MAXPHYADDR", S_HOST_CR),
	RULE(HOST_SYSENTER, "host SYSENTER_ESP/EIP not canonical", S_HOST_CR),
	RULE(HOST_PAT, "host PAT holds a reserved memory type", S_HOST_CR),
	RULE(HOST_EFER, "host EFER reserved bits, or LMA/LME not the host address-space size", S_HOST_CR),
	RULE(HOST_SEL_RPL_TI, "host selector with RPL or TI set", S_HOST_SEG),
	RULE(HOST_SEL_NULL, "host CS or TR selector null", S_HOST_SEG),
	RULE(HOST_BASE_CANONICAL, "host FS/GS/TR/GDTR/IDTR base not canonical", S_HOST_SEG),
	RULE(HOST_ADDR_SPACE, "host address-space size 0 on a 64-bit host", S_HOST_SIZE),
	RULE(HOST_CR4_PAE, "64-bit host with CR4.PAE clear", S_HOST_SIZE),
	RULE(HOST_RIP, "host RIP not canonical", S_HOST_SIZE),
	RULE(GUEST_CR0_FIXED, "guest CR0 breaks the VMX fixed bits", S_CR),
	RULE(GUEST_CR0_PG_PE, "guest CR0.PG set with CR0.PE clear", S_CR),
	RULE(GUEST_CR4_FIXED, "guest CR4 breaks the VMX fixed bits", S_CR),
	RULE(GUEST_DEBUGCTL, "guest IA32_DEBUGCTL reserved bits set", S_CR),
	RULE(GUEST_IA32E_PG_PAE, "IA-32e mode guest without CR0.PG and CR4.PAE", S_CR),
	RULE(GUEST_PCIDE, "CR4.PCIDE set outside IA-32e mode", S_CR),
	RULE(GUEST_CR3, "guest CR3 beyond MAXPHYADDR", S_CR),
	RULE(GUEST_DR7, "guest DR7 bits 63:32 set", S_CR),
	RULE(GUEST_SYSENTER, "guest SYSENTER_ESP/EIP not canonical", S_CR),
	RULE(GUEST_PAT, "guest PAT holds a reserved memory type", S_CR),
	RULE(GUEST_EFER_RESERVED, "guest EFER reserved bits set", S_CR),
	RULE(GUEST_EFER_LMA, "guest EFER.LMA differs from the IA-32e mode guest control", S_CR),
	RULE(GUEST_EFER_LME, "guest EFER.LME differs from EFER.LMA with CR0.PG set", S_CR),
	RULE(GUEST_TR_TI, "TR selector TI flag set", S_SEG),
	RULE(GUEST_LDTR_TI, "LDTR selector TI flag set", S_SEG),
	RULE(GUEST_SS_CS_RPL, "SS.RPL differs from CS.RPL", S_SEG),
	RULE(GUEST_V8086_SEG, "virtual-8086 segment not base=selector*16, limit 0xffff, AR 0xf3", S_SEG),
	RULE(GUEST_SEG_BASE_CANONICAL, "TR, FS, GS or LDTR base not canonical", S_SEG),
	RULE(GUEST_SEG_BASE_HIGH, "CS, SS, DS or ES base bits 63:32 set", S_SEG),
	RULE(GUEST_CS_TYPE, "CS type not an accessed code segment", S_SEG),
	RULE(GUEST_SS_TYPE, "SS type not an accessed writable data segment", S_SEG),
	RULE(GUEST_DATA_TYPE, "DS/ES/FS/GS type not accessed, or code not readable", S_SEG),
	RULE(GUEST_SEG_S, "code or data segment with S clear", S_SEG),
	RULE(GUEST_CS_DPL, "CS.DPL does not fit its type and SS.DPL", S_SEG),
	RULE(GUEST_SS_DPL, "SS.DPL not its RPL, or not 0 in real mode", S_SEG),
	RULE(GUEST_DATA_DPL, "data segment DPL below its selector's RPL", S_SEG),
	RULE(GUEST_SEG_P, "CS or a usable segment not present", S_SEG),
	RULE(GUEST_SEG_AR_RESERVED, "segment access-rights reserved bits set", S_SEG),
	RULE(GUEST_SEG_LIMIT_G, "segment limit and granularity bit disagree", S_SEG),
	RULE(GUEST_CS_L_D, "CS.L and CS.D both set in IA-32e mode", S_SEG),
	RULE(GUEST_TR_TYPE, "TR not a busy TSS of the mode's size", S_SEG),
	RULE(GUEST_TR_S, "TR with S set", S_SEG),
	RULE(GUEST_TR_P, "TR not present", S_SEG),
	RULE(GUEST_TR_UNUSABLE, "TR unusable", S_SEG),
	RULE(GUEST_LDTR_TYPE, "usable LDTR not of type LDT", S_SEG),
	RULE(GUEST_LDTR_S, "usable LDTR with S set", S_SEG),
	RULE(GUEST_LDTR_P, "usable LDTR not present", S_SEG),
	RULE(GUEST_DTR_BASE, "GDTR or IDTR base not canonical", S_DTR),
	RULE(GUEST_DTR_LIMIT, "GDTR or IDTR limit bits 31:16 set", S_DTR),
	RULE(GUEST_RIP_HIGH, "RIP bits 63:32 set outside 64-bit mode", S_RIP),
	RULE(GUEST_RIP_CANONICAL, "RIP not canonical in 64-bit mode", S_RIP),
	RULE(GUEST_RFLAGS_RESERVED, "RFLAGS reserved bits wrong (bit 1 must be 1, 3/5/15/22+ 0)", S_RIP),
	RULE(GUEST_RFLAGS_VM, "RFLAGS.VM set in IA-32e mode or with CR0.PE clear", S_RIP),
	RULE(GUEST_RFLAGS_IF, "external interrupt injected with RFLAGS.IF clear", S_RIP),
	RULE(GUEST_ACTIVITY, "activity state not supported", S_NONREG),
	RULE(GUEST_ACTIVITY_HLT_DPL, "HLT activity state with SS.DPL not 0", S_NONREG),
	RULE(GUEST_ACTIVITY_BLOCKING, "STI or MOV SS blocking outside the active state", S_NONREG),
	RULE(GUEST_ACTIVITY_EVENT, "event injected that the activity state does not allow", S_NONREG),
	RULE(GUEST_INTR_RESERVED, "interruptibility state reserved bits set", S_NONREG),
	RULE(GUEST_INTR_STI_MOVSS, "blocking by STI and by MOV SS both set", S_NONREG),
	RULE(GUEST_INTR_STI_IF, "blocking by STI with RFLAGS.IF clear", S_NONREG),
	RULE(GUEST_INTR_EXT_BLOCKING, "external interrupt injected in an STI or MOV SS shadow", S_NONREG),
	RULE(GUEST_INTR_NMI_BLOCKING, "NMI injected in a MOV SS shadow", S_NONREG),
	RULE(GUEST_INTR_SMI, "blocking by SMI outside SMM", S_NONREG),
	RULE(GUEST_PENDING_DBG, "pending debug exceptions reserved bits set", S_NONREG),
	RULE(GUEST_PENDING_DBG_BS, "pending debug BS bit inconsistent with RFLAGS.TF and DEBUGCTL.BTF", S_NONREG),
	RULE(GUEST_LINK_POINTER, "VMCS link pointer not FFFFFFFF_FFFFFFFFh", S_NONREG),
	RULE(GUEST_PDPTE, "PAE PDPTE reserved bits set", S_PDPTE),
};

const struct mkvm_entry_rule *vmx_check_rule(u32 id)
{
	if (id >= ARRAY_SIZE(vmx_rules) || !vmx_rules[id].name)
		return NULL;
	return &vmx_rules[id];
}
