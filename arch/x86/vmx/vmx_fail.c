// SPDX-License-Identifier: GPL-2.0-only
/*
 * Refused VMX entries explained: the snapshot of what the entry tried to
 * load, taken from the VMCS right after the failure, and the report built
 * from the checker's verdict (vmx_check.c).
 *
 * A VMfailValid of VMLAUNCH/VMRESUME (VM-instruction error 7, invalid
 * control fields, or 8, invalid host-state fields) leaves the VMCS as it
 * was; so does a VM exit for a failed entry (basic reasons 33, 34, 41 with
 * bit 31 set), which saves no guest state (Intel SDM Vol. 3C, "VM-Entry
 * Failures During or After Loading Guest State").  Every field read here
 * is therefore the value the CPU checked.
 *
 * Context: vmx_snapshot_entry() on the CPU where the VMCS is current,
 * preemption and interrupts off (vmx_vcpu_run()); vmx_explain_entry() in
 * process context with the vCPU mutex held.
 */
#include <asm/processor.h>

#include "minikvm.h"
#include "vmcs.h"
#include "vmx.h"

/* Guest segment @n's four fields; a constant @n for the width checks. */
#define VMX_SEG_SNAP(st, n)						\
	do {								\
		(st)->seg[n].sel = vmcs_read16(VMCS_GUEST_ES_SEL + 2 * (n)); \
		(st)->seg[n].base = vmcs_readl(VMCS_GUEST_ES_BASE + 2 * (n)); \
		(st)->seg[n].limit = vmcs_read32(VMCS_GUEST_ES_LIMIT + 2 * (n)); \
		(st)->seg[n].ar = vmcs_read32(VMCS_GUEST_ES_AR + 2 * (n)); \
	} while (0)

static void vmx_snapshot_controls(struct vmx_entry_state *st)
{
	st->pin_cap = vmx_cfg.pin_cap;
	st->proc_cap = vmx_cfg.proc_cap;
	st->proc2_cap = vmx_cfg.proc2_cap;
	st->exit_cap = vmx_cfg.exit_cap;
	st->entry_cap = vmx_cfg.entry_cap;
	st->cr0_fixed0 = vmx_cfg.cr0_fixed0;
	st->cr0_fixed1 = vmx_cfg.cr0_fixed1;
	st->cr4_fixed0 = vmx_cfg.cr4_fixed0;
	st->cr4_fixed1 = vmx_cfg.cr4_fixed1;
	st->misc = vmx_cfg.misc;
	st->ept_vpid_cap = vmx_cfg.ept_vpid_cap;
	st->maxphyaddr = boot_cpu_data.x86_phys_bits;

	st->pin = vmcs_read32(VMCS_PIN_CTLS);
	st->proc = vmcs_read32(VMCS_PROC_CTLS);
	st->proc2 = vmcs_read32(VMCS_PROC2_CTLS);
	st->exit = vmcs_read32(VMCS_EXIT_CTLS);
	st->entry = vmcs_read32(VMCS_ENTRY_CTLS);
	st->cr3_target_count = vmcs_read32(VMCS_CR3_TARGET_COUNT);
	st->tpr_threshold = vmcs_read32(VMCS_TPR_THRESHOLD);
	/* The VPID field exists only where the control does. */
	st->vpid = vmx_cfg.proc2_may1 & VMX_PROC2_VPID ?
		   vmcs_read16(VMCS_VPID) : 0;
	st->msr_bitmap = vmcs_read64(VMCS_MSR_BITMAP);
	st->virtual_apic = vmcs_read64(VMCS_VIRTUAL_APIC_ADDR);
	st->eptp = vmcs_read64(VMCS_EPT_POINTER);
	st->exit_msr_store_count = vmcs_read32(VMCS_EXIT_MSR_STORE_COUNT);
	st->exit_msr_load_count = vmcs_read32(VMCS_EXIT_MSR_LOAD_COUNT);
	st->entry_msr_load_count = vmcs_read32(VMCS_ENTRY_MSR_LOAD_COUNT);
	st->exit_msr_store_addr = vmcs_read64(VMCS_EXIT_MSR_STORE_ADDR);
	st->exit_msr_load_addr = vmcs_read64(VMCS_EXIT_MSR_LOAD_ADDR);
	st->entry_msr_load_addr = vmcs_read64(VMCS_ENTRY_MSR_LOAD_ADDR);
	st->entry_intr_info = vmcs_read32(VMCS_ENTRY_INTR_INFO);
	st->entry_exception_err = vmcs_read32(VMCS_ENTRY_EXCEPTION_ERR);
	st->entry_insn_len = vmcs_read32(VMCS_ENTRY_INSN_LEN);
}

static void vmx_snapshot_host(struct vmx_entry_state *st)
{
	st->host_cr0 = vmcs_readl(VMCS_HOST_CR0);
	st->host_cr3 = vmcs_readl(VMCS_HOST_CR3);
	st->host_cr4 = vmcs_readl(VMCS_HOST_CR4);
	st->host_sel[VMX_CHK_HES] = vmcs_read16(VMCS_HOST_ES_SEL);
	st->host_sel[VMX_CHK_HCS] = vmcs_read16(VMCS_HOST_CS_SEL);
	st->host_sel[VMX_CHK_HSS] = vmcs_read16(VMCS_HOST_SS_SEL);
	st->host_sel[VMX_CHK_HDS] = vmcs_read16(VMCS_HOST_DS_SEL);
	st->host_sel[VMX_CHK_HFS] = vmcs_read16(VMCS_HOST_FS_SEL);
	st->host_sel[VMX_CHK_HGS] = vmcs_read16(VMCS_HOST_GS_SEL);
	st->host_sel[VMX_CHK_HTR] = vmcs_read16(VMCS_HOST_TR_SEL);
	st->host_fs_base = vmcs_readl(VMCS_HOST_FS_BASE);
	st->host_gs_base = vmcs_readl(VMCS_HOST_GS_BASE);
	st->host_tr_base = vmcs_readl(VMCS_HOST_TR_BASE);
	st->host_gdtr_base = vmcs_readl(VMCS_HOST_GDTR_BASE);
	st->host_idtr_base = vmcs_readl(VMCS_HOST_IDTR_BASE);
	st->host_sysenter_esp = vmcs_readl(VMCS_HOST_SYSENTER_ESP);
	st->host_sysenter_eip = vmcs_readl(VMCS_HOST_SYSENTER_EIP);
	st->host_rip = vmcs_readl(VMCS_HOST_RIP);
	st->host_pat = vmcs_read64(VMCS_HOST_PAT);
	st->host_efer = vmcs_read64(VMCS_HOST_EFER);
}

static void vmx_snapshot_guest(struct vmx_entry_state *st)
{
	st->cr0 = vmcs_readl(VMCS_GUEST_CR0);
	st->cr3 = vmcs_readl(VMCS_GUEST_CR3);
	st->cr4 = vmcs_readl(VMCS_GUEST_CR4);
	st->dr7 = vmcs_readl(VMCS_GUEST_DR7);
	st->debugctl = vmcs_read64(VMCS_GUEST_DEBUGCTL);
	st->pat = vmcs_read64(VMCS_GUEST_PAT);
	st->efer = vmcs_read64(VMCS_GUEST_EFER);
	st->sysenter_esp = vmcs_readl(VMCS_GUEST_SYSENTER_ESP);
	st->sysenter_eip = vmcs_readl(VMCS_GUEST_SYSENTER_EIP);
	st->rip = vmcs_readl(VMCS_GUEST_RIP);
	st->rsp = vmcs_readl(VMCS_GUEST_RSP);
	st->rflags = vmcs_readl(VMCS_GUEST_RFLAGS);
	st->pending_dbg = vmcs_readl(VMCS_GUEST_PENDING_DBG);
	st->link_pointer = vmcs_read64(VMCS_LINK_POINTER);
	VMX_SEG_SNAP(st, VMCS_SEG_ES);
	VMX_SEG_SNAP(st, VMCS_SEG_CS);
	VMX_SEG_SNAP(st, VMCS_SEG_SS);
	VMX_SEG_SNAP(st, VMCS_SEG_DS);
	VMX_SEG_SNAP(st, VMCS_SEG_FS);
	VMX_SEG_SNAP(st, VMCS_SEG_GS);
	VMX_SEG_SNAP(st, VMCS_SEG_LDTR);
	VMX_SEG_SNAP(st, VMCS_SEG_TR);
	st->gdtr_base = vmcs_readl(VMCS_GUEST_GDTR_BASE);
	st->gdtr_limit = vmcs_read32(VMCS_GUEST_GDTR_LIMIT);
	st->idtr_base = vmcs_readl(VMCS_GUEST_IDTR_BASE);
	st->idtr_limit = vmcs_read32(VMCS_GUEST_IDTR_LIMIT);
	st->activity = vmcs_read32(VMCS_GUEST_ACTIVITY);
	st->interruptibility = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
	st->pdpte[0] = vmcs_read64(VMCS_GUEST_PDPTE0);
	st->pdpte[1] = vmcs_read64(VMCS_GUEST_PDPTE0 + 2);
	st->pdpte[2] = vmcs_read64(VMCS_GUEST_PDPTE0 + 4);
	st->pdpte[3] = vmcs_read64(VMCS_GUEST_PDPTE0 + 6);
}

/**
 * vmx_snapshot_entry() - keep what a refused entry tried to load
 * @vmx: the vCPU, its VMCS current on this CPU
 *
 * Right after the VMfail or the failed-entry exit, before anything writes
 * the VMCS again.  The VMCS fields read exist on every CPU minikvm accepts
 * (EPT, TPR shadow and the PAT/EFER controls are required at probe).
 */
void vmx_snapshot_entry(struct vmx_vcpu *vmx)
{
	struct vmx_entry_state *st = &vmx->entry_state;

	vmx_snapshot_controls(st);
	vmx_snapshot_host(st);
	vmx_snapshot_guest(st);
}

/**
 * vmx_explain_entry() - KVM_EXIT_FAIL_ENTRY with the rule the entry broke
 * @vcpu: the vCPU, vmx_snapshot_entry() done
 * @hw_reason: the VM-instruction error (VMfail) or the exit reason (bit 31
 *	set), as KVM reports it
 *
 * Return: 0, to userspace.
 */
int vmx_explain_entry(struct mkvm_vcpu *vcpu, u64 hw_reason)
{
	struct vmx_vcpu *vmx = vcpu->be;
	u32 rule = vmx_check_entry(&vmx->entry_state);

	return mkvm_x86_fail_entry(vcpu, hw_reason, rule, vmx_check_rule(rule));
}
