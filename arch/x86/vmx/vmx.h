/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VMX encodings minikvm relies on, grouped as the Intel SDM presents them.
 * MSR numbers come from the kernel's <asm/msr-index.h>; the bit layouts of
 * the capability MSRs are defined here, next to their manual section.
 */
#ifndef MINIKVM_VMX_H
#define MINIKVM_VMX_H

#include <linux/bits.h>
#include <linux/preempt.h>

/*
 * Always in the exception bitmap: #DB and #AC.  A #DB or #AC that its own
 * delivery raises again (a data breakpoint on the IDT entry or the stack
 * it pushes to; an unaligned stack with alignment checking on) is
 * delivered again and again without reaching an instruction boundary,
 * where interrupts are taken (SDM Vol. 3A, "Priority Among Concurrent
 * Events"), and would hang the physical CPU (the flaws KVM closed as
 * CVE-2015-8104 and CVE-2015-5307); with its bit in the exception bitmap
 * (SDM Vol. 3C, "Exception Bitmap") each is a VM exit and goes back to
 * the guest from there (vmx_exit_exception_nmi(), vmx_debug_exception()).
 */
#define VMX_DB_VECTOR		1
#define VMX_AC_VECTOR		17
#define VMX_EXC_ALWAYS		(BIT(VMX_DB_VECTOR) | BIT(VMX_AC_VECTOR))

/*
 * CPUID.1:ECX bit 5 announces VMX (SDM Vol. 3C, "Discovering Support for
 * VMX").
 */
#define VMX_CPUID1_ECX_VMX		BIT(5)

/* IA32_VMX_BASIC (SDM Vol. 3D, Appendix A.1 "Basic VMX Information"). */
#define IA32_VMX_BASIC_REVISION_ID		GENMASK_ULL(30, 0)
#define IA32_VMX_BASIC_REGION_SIZE		GENMASK_ULL(44, 32) /* VMXON/VMCS bytes */
#define IA32_VMX_BASIC_32BIT_PA		BIT_ULL(48) /* must be 0 on 64-bit */
#define IA32_VMX_BASIC_MEM_TYPE		GENMASK_ULL(53, 50)
#define   IA32_VMX_BASIC_MEM_TYPE_WB	6ULL
#define IA32_VMX_BASIC_TRUE_CTLS		BIT_ULL(55) /* IA32_VMX_TRUE_* exist */

/*
 * Control capability MSRs report allowed 0-settings in bits 31:0 and
 * allowed 1-settings in bits 63:32 (SDM Vol. 3D, Appendix A.3 "VM-Execution
 * Controls").
 */
#define VMX_CTLS_ALLOWED1(msr)		((u32)((msr) >> 32))

/*
 * Primary processor-based VM-execution controls (SDM Vol. 3C, Table
 * "Definitions of Primary Processor-Based VM-Execution Controls").
 */
#define VMX_PROC_SECONDARY_CTLS		BIT(31)

/*
 * Secondary processor-based VM-execution controls (SDM Vol. 3C, Table
 * "Definitions of Secondary Processor-Based VM-Execution Controls").
 */
#define VMX_PROC2_EPT			BIT(1)
#define VMX_PROC2_RDTSCP		BIT(3)	/* RDTSCP and RDPID */
#define VMX_PROC2_VPID			BIT(5)
#define VMX_PROC2_UNRESTRICTED_GUEST	BIT(7)
#define VMX_PROC2_PAUSE_LOOP_EXITING	BIT(10)

/*
 * IA32_VMX_EPT_VPID_CAP (SDM Vol. 3D, Appendix A.10 "VPID and EPT
 * Capabilities").
 */
#define IA32_VMX_EPT_CAP_WALK_4		BIT_ULL(6)  /* page-walk length 4 */
#define IA32_VMX_EPT_CAP_WB			BIT_ULL(14) /* write-back EPT structures */
#define IA32_VMX_EPT_CAP_2M			BIT_ULL(16) /* PDEs may map 2-MByte pages */
#define IA32_VMX_EPT_CAP_INVEPT		BIT_ULL(20)
#define IA32_VMX_EPT_CAP_INVEPT_SINGLE		BIT_ULL(25)
#define IA32_VMX_EPT_CAP_INVEPT_ALL		BIT_ULL(26)
#define IA32_VMX_VPID_CAP_INVVPID		BIT_ULL(32)
#define IA32_VMX_VPID_CAP_INVVPID_SINGLE	BIT_ULL(41)
#define IA32_VMX_VPID_CAP_INVVPID_ALL		BIT_ULL(42)

/* VPIDs are 16 bits; 0 is the host's (SDM Vol. 3C, "Virtual-Processor Identifiers"). */
#define VMX_NR_VPIDS			BIT(16)

#ifndef __ASSEMBLY__
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/types.h>

#include "vmx_check.h"
#include "vmx_regs.h"

struct mkvm_vm;
struct mkvm_vcpu;
struct page;

/*
 * What probe found and chose, constant afterwards: the VM-execution,
 * VM-exit and VM-entry controls every VMCS gets (IA32_VMX_BASIC bit 55
 * decides whether the TRUE_* capability MSRs are the ones to follow), the
 * CR0/CR4 bits VMX operation fixes, and the TLB-invalidation flavours.
 */
struct vmx_config {
	u32 revision_id;
	u32 pin, proc, proc2, exit, entry;
	u32 proc2_may1;		/* secondary controls allowed to be 1 */
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	/* The capability MSRs the controls were chosen from, for vmx_fail.c. */
	u64 pin_cap, proc_cap, proc2_cap, exit_cap, entry_cap;
	u64 misc, ept_vpid_cap;	/* IA32_VMX_MISC, IA32_VMX_EPT_VPID_CAP */
	bool vpid;		/* VPIDs with INVVPID */
	bool invept_single;	/* else INVEPT all-context */
	bool invvpid_single;	/* else INVVPID all-context */
	bool ept_2m;		/* EPT PDEs may map 2-MByte pages */
	u32 preemption_timer;	/* VMX-preemption timer value, 0: not used */
};
extern struct vmx_config vmx_cfg;

/* Per-VM VMX state. */
struct vmx_vm {
	u64 *ept_root;		/* (c) EPT PML4 */
	u64 eptp;		/* (c) EPT pointer: root, WB, 4 levels */
};

/*
 * Per-vCPU VMX state.  (c): constant; (p): changed with preemption off on
 * the CPU that has the VMCS loaded, or by the VMCLEAR IPI / cpu_disable on
 * that CPU with interrupts off; everything else is the vCPU thread's (vCPU
 * mutex).
 */
struct vmx_vcpu {
	void *vmcs;		/* (c) VMCS region */
	u64 vmcs_pa;		/* (c) its physical address */
	u8 *vapic;		/* (c) virtual-APIC page: TPR shadow at 0x80 */
	u8 lapic_tpr;		/* TPR shadow last written (mkvm_lapic_tpr_sync) */
	u16 vpid;		/* (c) 0: VPIDs not in use */
	int cpu;		/* (p) CPU the VMCS is active on, -1: clear */
	bool launched;		/* (p) VMLAUNCH done since the last VMCLEAR */
	struct list_head cpu_link;	/* (p) on vmx_active_vmcss of cpu */
	bool failed;		/* a VMCS access failed: no more entries */
	bool state_dirty;	/* vcpu->arch to be written to the VMCS */
	bool flush_tlb;		/* invalidate guest TLBs before the next entry */
	bool clear_blocking;	/* an instruction was skipped: STI/MOV SS over */
	struct vmx_gprs gprs;	/* guest GPRs (RSP is in rsp below) */
	/* Guest state the handlers use, read after each exit, written before each entry. */
	u64 rip, rsp, rflags;
	unsigned long cr2;	/* not in the VMCS: loaded by hand */
	u64 pdpte[4];		/* PAE PDPTEs for the next entry ... */
	bool pdptes_dirty;	/* ... when set */
	/* The exit just taken. */
	u32 exit_reason, exit_intr_info, idt_info, idt_err, insn_len;
	u64 exit_qual, exit_gpa;
	u32 blocking;		/* guest interruptibility state at the exit */
	u32 windows;		/* interrupt/NMI-window exiting now on */
	/*
	 * Guest MSRs the VMCS does not hold: loaded by hand before the first
	 * entry of a run, and the host's back (with the host's selectors, which
	 * VM exit nulls) only when the thread leaves KVM_RUN or is scheduled
	 * out (vmx_switch_to_guest(), vmx_switch_to_host()).  While
	 * guest_msrs_loaded, kernel_gs_base is stale: the MSR holds it.
	 */
	u64 star, lstar, cstar, sfmask, kernel_gs_base;
	bool guest_msrs_loaded;		/* (p) */
	struct {
		u16 ds, es, fs, gs, ldt;
		u64 kernel_gs_base;
	} host;				/* (p) the host's, while guest's loaded */
#ifdef CONFIG_PREEMPT_NOTIFIERS
	struct preempt_notifier pn;	/* sched-out: the host's back */
#endif
	unsigned long dr[4];	/* guest DR0-DR3 while not running */
	unsigned long dr6;	/* guest DR6 while not running */
	unsigned long host_cr3, host_cr4, host_fs_base;	/* (p) as in the VMCS */
	/* What the last refused entry tried to load (vmx_fail.c). */
	struct vmx_entry_state entry_state;
};

/* ept.c */
int vmx_ept_init(struct vmx_vm *vmx_vm);
void vmx_ept_destroy(struct vmx_vm *vmx_vm);
int vmx_ept_map(struct mkvm_vm *vm, u64 gfn, struct page *page,
		bool writable);
int vmx_ept_map_huge(struct mkvm_vm *vm, u64 gfn, struct page *page,
		     bool writable);
void vmx_ept_unmap_range(struct mkvm_vm *vm, u64 gfn, u64 npages);
void vmx_ept_protect_range(struct mkvm_vm *vm, u64 gfn, u64 npages);
int vmx_invept(u64 eptp);
int vmx_invvpid(u16 vpid);

/* vmx_vcpu.c */
int vmx_percpu_setup(void);
void vmx_percpu_unsetup(void);
void vmx_clear_cpu_vmcss(void);
int vmx_vm_init(struct mkvm_vm *vm);
void vmx_vm_destroy(struct mkvm_vm *vm);
int vmx_vcpu_create(struct mkvm_vcpu *vcpu);
void vmx_vcpu_free(struct mkvm_vcpu *vcpu);
void vmx_vcpu_load_state(struct mkvm_vcpu *vcpu);
void vmx_vcpu_init_event(struct mkvm_vcpu *vcpu);
void vmx_vcpu_save_state(struct mkvm_vcpu *vcpu);
void vmx_vcpu_save_regs(struct mkvm_vcpu *vcpu);
void vmx_vcpu_load(struct mkvm_vcpu *vcpu);
void vmx_vcpu_put(struct mkvm_vcpu *vcpu);
void vmx_switch_to_host(struct vmx_vcpu *vmx);
int vmx_vcpu_run(struct mkvm_vcpu *vcpu);
int vmx_vmcs_get(struct mkvm_vcpu *vcpu);
int vmx_vmcs_put(struct mkvm_vcpu *vcpu);
int vmx_load_pdptes(struct mkvm_vcpu *vcpu, u64 cr3);
void vmx_write_cr0(struct mkvm_vcpu *vcpu, u64 cr0);
void vmx_write_cr4(struct mkvm_vcpu *vcpu, u64 cr4);
void vmx_write_efer(struct mkvm_vcpu *vcpu, u64 efer);
u64 vmx_read_cr0(void);
u64 vmx_read_cr4(void);

/* vmx_fail.c */
void vmx_snapshot_entry(struct vmx_vcpu *vmx);
int vmx_explain_entry(struct mkvm_vcpu *vcpu, u64 hw_reason);

/* vmx_event.c */
void vmx_event_inject(struct mkvm_vcpu *vcpu);
void vmx_event_complete(struct mkvm_vcpu *vcpu, u32 info, u32 err);
void vmx_event_save(struct mkvm_vcpu *vcpu, u32 blocking);
void vmx_event_load(struct mkvm_vcpu *vcpu);
bool vmx_irq_window_open(struct mkvm_vcpu *vcpu);
int vmx_exit_intr_window(struct mkvm_vcpu *vcpu);
int vmx_exit_nmi_window(struct mkvm_vcpu *vcpu);

/* vmx_exit.c */
int vmx_handle_exit(struct mkvm_vcpu *vcpu);
int vmx_msr_access(struct mkvm_vcpu *vcpu, u32 msr, u64 *val, bool write);

/* vmx_debug.c */
void vmx_debug_load(struct mkvm_vcpu *vcpu);
void vmx_debug_prepare_entry(struct mkvm_vcpu *vcpu, bool loaded);
void vmx_debug_save(struct mkvm_vcpu *vcpu);
int vmx_debug_exception(struct mkvm_vcpu *vcpu);
int vmx_debug_step(struct mkvm_vcpu *vcpu);
extern const struct mkvm_exit_handler vmx_exit_handlers[];
#endif

#endif /* MINIKVM_VMX_H */
