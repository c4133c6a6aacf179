/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The software checker of refused VMX entries: a snapshot of everything VM
 * entry checks (the VMCS's control, host-state and guest-state fields, and
 * the capability MSRs that say what is allowed), and the walk of the
 * checks of Intel SDM Vol. 3C, chapter "VM Entries", sections "Checks on
 * VMX Controls and Host-State Area" and "Checks on the Guest State Area".
 *
 * Pure C over the snapshot: vmx_vcpu.c fills it from the VMCS right after
 * a failed entry, the unit test (selftests/unit/vmx_check_test.c) by hand.
 */
#ifndef MINIKVM_VMX_CHECK_H
#define MINIKVM_VMX_CHECK_H

#include "../entry_check.h"

/* A guest segment register as the VMCS holds it. */
struct vmx_check_seg {
	u16 sel;
	u64 base;
	u32 limit;
	u32 ar;		/* access rights, VMX layout (bit 16: unusable) */
};

/* Indices of vmx_entry_state.seg, the VMCS encoding order. */
enum {
	VMX_CHK_ES, VMX_CHK_CS, VMX_CHK_SS, VMX_CHK_DS, VMX_CHK_FS,
	VMX_CHK_GS, VMX_CHK_LDTR, VMX_CHK_TR, VMX_CHK_NR_SEGS
};

/* Indices of vmx_entry_state.host_sel. */
enum {
	VMX_CHK_HES, VMX_CHK_HCS, VMX_CHK_HSS, VMX_CHK_HDS, VMX_CHK_HFS,
	VMX_CHK_HGS, VMX_CHK_HTR, VMX_CHK_NR_HOST_SELS
};

struct vmx_entry_state {
	/*
	 * Capabilities (SDM Vol. 3D, Appendix A): each control word's
	 * allowed 0-settings in bits 31:0 (1: must be 1) and allowed
	 * 1-settings in bits 63:32 (0: must be 0), the TRUE_* MSRs when
	 * IA32_VMX_BASIC bit 55 is set; the fixed CR0/CR4 bits;
	 * IA32_VMX_MISC; IA32_VMX_EPT_VPID_CAP; MAXPHYADDR.
	 */
	u64 pin_cap, proc_cap, proc2_cap, exit_cap, entry_cap;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 misc, ept_vpid_cap;
	u8 maxphyaddr;

	/* VM-execution, VM-exit and VM-entry control fields. */
	u32 pin, proc, proc2, exit, entry;
	u32 cr3_target_count, tpr_threshold;
	u16 vpid;
	u64 msr_bitmap, virtual_apic, eptp;
	u32 exit_msr_store_count, exit_msr_load_count, entry_msr_load_count;
	u64 exit_msr_store_addr, exit_msr_load_addr, entry_msr_load_addr;
	u32 entry_intr_info, entry_exception_err, entry_insn_len;

	/* Host-state area. */
	u64 host_cr0, host_cr3, host_cr4;
	u16 host_sel[VMX_CHK_NR_HOST_SELS];
	u64 host_fs_base, host_gs_base, host_tr_base, host_gdtr_base,
	    host_idtr_base;
	u64 host_sysenter_esp, host_sysenter_eip, host_rip;
	u64 host_pat, host_efer;

	/* Guest-state area. */
	u64 cr0, cr3, cr4, dr7, debugctl, pat, efer;
	u64 sysenter_esp, sysenter_eip;
	u64 rip, rsp, rflags, pending_dbg, link_pointer;
	struct vmx_check_seg seg[VMX_CHK_NR_SEGS];
	u64 gdtr_base, idtr_base;
	u32 gdtr_limit, idtr_limit;
	u32 activity, interruptibility;
	u64 pdpte[4];
};

/* The first rule @st breaks (MINIKVM_RULE_VMX_*), 0 if none. */
u32 vmx_check_entry(const struct vmx_entry_state *st);

/* The rule's name and section; NULL for 0 or an id that is not VMX's. */
const struct mkvm_entry_rule *vmx_check_rule(u32 id);

#endif /* MINIKVM_VMX_CHECK_H */
