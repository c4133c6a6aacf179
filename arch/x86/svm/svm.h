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

struct mkvm_vm;
struct mkvm_vcpu;
struct page;

/* Per-VM SVM state. */
struct svm_vm {
	u64 *npt_root;		/* (c) PML4 of the nested page tables */
};

/* FXSAVE image of the guest's x87/SSE state (SDM Vol. 1, "FXSAVE"). */
struct svm_fxsave {
	u8 bytes[512];
} __aligned(16);

/* Per-vCPU SVM state. */
struct svm_vcpu {
	struct vmcb *vmcb;	/* (c) the VMCB page */
	u64 vmcb_pa;		/* (c) its physical address */
	struct svm_gprs gprs;	/* guest GPRs but RAX/RSP, around VMRUN */
	u64 asid_gen;		/* generation of asid on asid_cpu */
	int asid_cpu;		/* CPU the ASID belongs to, -1: none yet */
	int tlb_gen;		/* mkvm_vm.tlb_gen seen at the last entry */
	struct svm_fxsave fpu;	/* guest x87/SSE state while not running */
	unsigned long dr[4];	/* guest DR0-DR3 while not running */
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
void svm_npt_unmap_range(struct mkvm_vm *vm, u64 gfn, u64 npages);

/* svm_vcpu.c */
int svm_vm_init(struct mkvm_vm *vm);
void svm_vm_destroy(struct mkvm_vm *vm);
int svm_vcpu_create(struct mkvm_vcpu *vcpu);
void svm_vcpu_free(struct mkvm_vcpu *vcpu);
void svm_vcpu_load_state(struct mkvm_vcpu *vcpu);
void svm_vcpu_save_state(struct mkvm_vcpu *vcpu);
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

/* svm_exit.c */
int svm_handle_exit(struct mkvm_vcpu *vcpu);
#endif

#endif /* MINIKVM_SVM_H */
