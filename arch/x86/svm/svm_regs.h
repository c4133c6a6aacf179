/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest general-purpose registers that VMRUN does not switch (RAX and RSP
 * live in the VMCB), laid out for svm_run.S.  Offsets are shared with the
 * assembly and checked against the C struct in svm_vcpu.c.
 */
#ifndef MINIKVM_SVM_REGS_H
#define MINIKVM_SVM_REGS_H

#define SVM_GPR_RBX	0x00
#define SVM_GPR_RCX	0x08
#define SVM_GPR_RDX	0x10
#define SVM_GPR_RSI	0x18
#define SVM_GPR_RDI	0x20
#define SVM_GPR_RBP	0x28
#define SVM_GPR_R8	0x30
#define SVM_GPR_R9	0x38
#define SVM_GPR_R10	0x40
#define SVM_GPR_R11	0x48
#define SVM_GPR_R12	0x50
#define SVM_GPR_R13	0x58
#define SVM_GPR_R14	0x60
#define SVM_GPR_R15	0x68
#define SVM_GPR_SIZE	0x70

#ifndef __ASSEMBLY__
#include <linux/types.h>

struct svm_gprs {
	u64 rbx, rcx, rdx, rsi, rdi, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};

/**
 * __svm_vmrun() - run the guest until the next #VMEXIT
 * @gprs: guest registers, loaded before VMRUN and stored after #VMEXIT
 * @vmcb_pa: physical address of the guest's VMCB
 * @host_pa: physical address of this CPU's page for the host's VMSAVE state
 *
 * Context: GIF clear (CLGI), interrupts off, preemption off.  Saves the
 * host's VMSAVE state, VMLOADs the guest's, VMRUNs, VMSAVEs the guest's and
 * VMLOADs the host's back before returning, so no per-CPU access happens
 * with the guest's GS base.
 */
void __svm_vmrun(struct svm_gprs *gprs, u64 vmcb_pa, u64 host_pa);
#endif

#endif /* MINIKVM_SVM_REGS_H */
