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

#endif /* MINIKVM_SVM_H */
