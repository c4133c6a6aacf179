/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MSR numbers the selftests use (Intel SDM Vol. 4, "Model-Specific
 * Registers"; AMD APM Vol. 2, "MSR Cross-Reference"), under the names of
 * Linux's asm/msr-index.h.
 */
#ifndef MINIKVM_MSR_INDEX_H
#define MINIKVM_MSR_INDEX_H

#define MSR_IA32_TSC		0x010
#define MSR_IA32_APICBASE	0x01b
#define MSR_IA32_UCODE_WRITE	0x079
#define MSR_IA32_UCODE_REV	0x08b
#define MSR_MTRRcap		0x0fe
#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_MTRRphysBase0	0x200
#define MSR_MTRRphysMask0	0x201
#define MSR_MTRRfix64K_00000	0x250
#define MSR_MTRRfix4K_F8000	0x26f
#define MSR_IA32_CR_PAT		0x277
#define MSR_MTRRdefType		0x2ff
#define MSR_IA32_TSC_DEADLINE	0x6e0
#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_K7_HWCR		0xc0010015
#define MSR_TSC_AUX		0xc0000103

/* In no vendor's MSR map: reads and writes of it must fail. */
#define MSR_NONEXISTENT		0x00012345

#endif /* MINIKVM_MSR_INDEX_H */
