/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VMX encodings minikvm relies on, grouped as the Intel SDM presents them.
 * MSR numbers come from the kernel's <asm/msr-index.h>; the bit layouts of
 * the capability MSRs are defined here, next to their manual section.
 */
#ifndef MINIKVM_VMX_H
#define MINIKVM_VMX_H

#include <linux/bits.h>

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
#define VMX_PROC2_VPID			BIT(5)
#define VMX_PROC2_UNRESTRICTED_GUEST	BIT(7)

/*
 * IA32_VMX_EPT_VPID_CAP (SDM Vol. 3D, Appendix A.10 "VPID and EPT
 * Capabilities").
 */
#define IA32_VMX_EPT_CAP_WALK_4		BIT_ULL(6)  /* page-walk length 4 */
#define IA32_VMX_EPT_CAP_WB			BIT_ULL(14) /* write-back EPT structures */

#endif /* MINIKVM_VMX_H */
