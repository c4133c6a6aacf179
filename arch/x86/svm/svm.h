/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SVM encodings minikvm relies on, grouped as the AMD APM presents them.
 * MSR numbers come from the kernel's <asm/msr-index.h>.
 */
#ifndef MINIKVM_SVM_H
#define MINIKVM_SVM_H

#include <linux/bits.h>

/* CPUID Fn8000_0001 ECX bit 2: SVM (APM Vol. 2, "Enabling SVM"). */
#define SVM_CPUID_EXT_ECX_SVM		BIT(2)

/*
 * CPUID Fn8000_000A: SVM revision and features (APM Vol. 3, Appendix E,
 * "CPUID Fn8000_000A_EDX SVM Feature Identification").
 */
#define SVM_CPUID_FEATURES		0x8000000a
#define SVM_FEAT_NP			BIT(0)	/* nested paging */
#define SVM_FEAT_NRIPS			BIT(3)	/* NextRIP saved on #VMEXIT */
#define SVM_FEAT_VMCB_CLEAN		BIT(5)
#define SVM_FEAT_DECODE_ASSISTS		BIT(7)

/* VM_CR MSR (APM Vol. 2, "VM_CR MSR"): SVMDIS set by firmware. */
#define SVM_VM_CR_SVMDIS		BIT_ULL(4)

#ifndef __ASSEMBLY__
#include <linux/types.h>

#include "svm_check.h"
#include "svm_regs.h"
#include "vmcb.h"

#include <asm/cpufeature.h>

/*
 * TLB_CONTROL for "flush this guest's ASID": 3 needs FlushByAsid (CPUID
 * Fn8000_000A EDX[6]) and is reserved without it (APM Vol. 2, "TLB
 * Control"), as on family 10h: flush every ASID there instead.
 */
static inline u8 svm_tlb_flush_guest(void)
{
	return boot_cpu_has(X86_FEATURE_FLUSHBYASID) ?
	       SVM_TLB_CONTROL_FLUSH_ASID : SVM_TLB_CONTROL_FLUSH_ALL;
}

struct mkvm_vm;
struct mkvm_vcpu;
struct page;

/* Per-VM SVM state. */
struct svm_vm {
	u64 *npt_root;		/* (c) top table of the nested page tables */
	int npt_levels;		/* (c) 4, or 5 under a host with LA57 on */
};

/* Per-vCPU SVM state. */
struct svm_vcpu {
	struct vmcb *vmcb;	/* (c) the VMCB page */
	u64 vmcb_pa;		/* (c) its physical address */
	struct svm_gprs gprs;	/* guest GPRs but RAX/RSP, around VMRUN */
	u64 asid_gen;		/* generation of asid on asid_cpu */
	int asid_cpu;		/* CPU the ASID belongs to, -1: none yet */
	unsigned long dr[4];	/* guest DR0-DR3 while not running */
	/* NMI blocking bookkeeping (svm_event.c). */
	bool iret_seen;		/* IRET intercepted at iret_rip, not run yet */
	u8 lapic_tpr;		/* V_TPR << 4 last written (mkvm_lapic_tpr_sync) */
	bool nmi_singlestep;	/* TF set by minikvm to step one instruction */
	bool nmi_ss_iret;	/* ... an IRET (else one in a shadow) */
	u64 iret_rip;
	u64 nmi_ss_flags;	/* the guest's TF/RF before the step */
	u64 nmi_ss_dr6;		/* the guest's DR6 before the step */
	/*
	 * The VMCB as the last VMRUN was given it: after VMEXIT_INVALID the
	 * save area need not hold it any more (svm_fail.c).
	 */
	struct svm_entry_state entry;
};

/* npt.c */
int svm_npt_init(struct svm_vm *svm_vm);
void svm_npt_destroy(struct svm_vm *svm_vm);
int svm_npt_map(struct mkvm_vm *vm, u64 gfn, struct page *page,
		bool writable);
int svm_npt_map_huge(struct mkvm_vm *vm, u64 gfn, struct page *page,
		     bool writable);
void svm_npt_unmap_range(struct mkvm_vm *vm, u64 gfn, u64 npages);
void svm_npt_protect_range(struct mkvm_vm *vm, u64 gfn, u64 npages);

/* svm_vcpu.c */
int svm_vm_init(struct mkvm_vm *vm);
void svm_vm_destroy(struct mkvm_vm *vm);
int svm_vcpu_create(struct mkvm_vcpu *vcpu);
void svm_vcpu_free(struct mkvm_vcpu *vcpu);
void svm_vcpu_load_state(struct mkvm_vcpu *vcpu);
void svm_vcpu_save_state(struct mkvm_vcpu *vcpu);
void svm_vcpu_save_regs(struct mkvm_vcpu *vcpu);
void svm_vcpu_init_event(struct mkvm_vcpu *vcpu);
int svm_vcpu_run(struct mkvm_vcpu *vcpu);
int svm_percpu_setup(void);

/* svm_exit.c */
extern const struct mkvm_exit_handler svm_exit_handlers[];
void svm_percpu_unsetup(void);

/* svm.c: CPUID 8000_000Ah EDX.DecodeAssists, read at probe. */
extern bool svm_has_decode_assists;
void svm_vcpu_reset(struct mkvm_vcpu *vcpu);

/* svm_fail.c */
int svm_explain_entry(struct mkvm_vcpu *vcpu);

/* svm_event.c */
void svm_event_inject(struct mkvm_vcpu *vcpu);
void svm_event_complete(struct mkvm_vcpu *vcpu);
bool svm_irq_window_open(struct mkvm_vcpu *vcpu);
int svm_exit_vintr(struct mkvm_vcpu *vcpu);
int svm_exit_iret(struct mkvm_vcpu *vcpu);
bool svm_nmi_step_done(struct mkvm_vcpu *vcpu);
void svm_nmi_step_cut(struct mkvm_vcpu *vcpu, bool restore_flags);
u64 svm_guest_rflags(struct mkvm_vcpu *vcpu);

/* svm_exit.c */
int svm_handle_exit(struct mkvm_vcpu *vcpu);
int svm_msr_access(struct mkvm_vcpu *vcpu, u32 msr, u64 *val, bool write);

/* svm_debug.c */
void svm_debug_load(struct mkvm_vcpu *vcpu);
void svm_debug_save(struct mkvm_vcpu *vcpu);
int svm_exit_excp_db(struct mkvm_vcpu *vcpu);
void svm_set_exception_intercepts(struct mkvm_vcpu *vcpu);
int svm_exit_excp_bp(struct mkvm_vcpu *vcpu);
int svm_exit_excp_ac(struct mkvm_vcpu *vcpu);
int svm_debug_step(struct mkvm_vcpu *vcpu);
#endif

#endif /* MINIKVM_SVM_H */
