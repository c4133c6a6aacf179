/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Virtual-Machine Control Structure as minikvm uses it: field encodings
 * (Intel SDM Vol. 3D, Appendix B "Field Encoding in VMCS"), the control bits
 * and exit information minikvm relies on (Vol. 3C, chapter "Virtual Machine
 * Control Structures"), basic exit reasons (Vol. 3D, Appendix C "VMX Basic
 * Exit Reasons"), and typed VMREAD/VMWRITE accessors.
 *
 * An encoding carries its field's width in bits 14:13 (Vol. 3C, "VMREAD,
 * VMWRITE, and Encodings of VMCS Fields"): every accessor checks, at compile
 * time, that the field it is given has its width.  A failed VMREAD/VMWRITE
 * (VMfail, or a fault because VMX operation is off) is reported by
 * vmx_vmcs_error(), which logs it and marks the CPU's VMCS work as failed;
 * vmx_vcpu.c turns that into an error for KVM_RUN.
 *
 * Context: the accessors act on the current VMCS of the calling CPU, so
 * callers run with preemption off and the vCPU's VMCS loaded.
 */
#ifndef MINIKVM_VMCS_H
#define MINIKVM_VMCS_H

#include <linux/bits.h>

/* Field width, encoding bits 14:13; bit 0 selects the high half of 64-bit fields. */
#define VMCS_WIDTH(f)		(((f) >> 13) & 3)
#define VMCS_WIDTH_16		0
#define VMCS_WIDTH_64		1
#define VMCS_WIDTH_32		2
#define VMCS_WIDTH_NATURAL	3

/* 16-bit control and guest/host state fields (Appendix B.1). */
#define VMCS_VPID			0x0000
#define VMCS_GUEST_ES_SEL		0x0800	/* then CS SS DS FS GS LDTR TR, step 2 */
#define VMCS_GUEST_CS_SEL		0x0802
#define VMCS_GUEST_SS_SEL		0x0804
#define VMCS_GUEST_DS_SEL		0x0806
#define VMCS_GUEST_FS_SEL		0x0808
#define VMCS_GUEST_GS_SEL		0x080a
#define VMCS_GUEST_LDTR_SEL		0x080c
#define VMCS_GUEST_TR_SEL		0x080e
#define VMCS_HOST_ES_SEL		0x0c00
#define VMCS_HOST_CS_SEL		0x0c02
#define VMCS_HOST_SS_SEL		0x0c04
#define VMCS_HOST_DS_SEL		0x0c06
#define VMCS_HOST_FS_SEL		0x0c08
#define VMCS_HOST_GS_SEL		0x0c0a
#define VMCS_HOST_TR_SEL		0x0c0c

/* 64-bit fields (Appendix B.2), full access. */
#define VMCS_MSR_BITMAP			0x2004
#define VMCS_EXIT_MSR_STORE_ADDR	0x2006
#define VMCS_EXIT_MSR_LOAD_ADDR		0x2008
#define VMCS_ENTRY_MSR_LOAD_ADDR	0x200a
#define VMCS_TSC_OFFSET			0x2010
#define VMCS_VIRTUAL_APIC_ADDR		0x2012
#define VMCS_EPT_POINTER		0x201a
#define VMCS_GUEST_PHYS_ADDR		0x2400	/* read-only: EPT exits */
#define VMCS_LINK_POINTER		0x2800
#define VMCS_GUEST_DEBUGCTL		0x2802
#define VMCS_GUEST_PAT			0x2804
#define VMCS_GUEST_EFER			0x2806
#define VMCS_GUEST_PDPTE0		0x280a	/* then PDPTE1-3, step 2 */
#define VMCS_HOST_PAT			0x2c00
#define VMCS_HOST_EFER			0x2c02

/* 32-bit fields (Appendix B.3). */
#define VMCS_PIN_CTLS			0x4000
#define VMCS_PROC_CTLS			0x4002
#define VMCS_EXCEPTION_BITMAP		0x4004
#define VMCS_CR3_TARGET_COUNT		0x400a
#define VMCS_EXIT_CTLS			0x400c
#define VMCS_EXIT_MSR_STORE_COUNT	0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT	0x4010
#define VMCS_ENTRY_CTLS			0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT	0x4014
#define VMCS_ENTRY_INTR_INFO		0x4016
#define VMCS_ENTRY_EXCEPTION_ERR	0x4018
#define VMCS_ENTRY_INSN_LEN		0x401a
#define VMCS_TPR_THRESHOLD		0x401c
#define VMCS_PROC2_CTLS			0x401e
#define VMCS_PLE_GAP			0x4020
#define VMCS_PLE_WINDOW			0x4022
#define VMCS_INSN_ERROR			0x4400	/* read-only exit information */
#define VMCS_EXIT_REASON		0x4402
#define VMCS_EXIT_INTR_INFO		0x4404
#define VMCS_EXIT_INTR_ERR		0x4406
#define VMCS_IDT_VECTORING_INFO		0x4408
#define VMCS_IDT_VECTORING_ERR		0x440a
#define VMCS_EXIT_INSN_LEN		0x440c
#define VMCS_GUEST_ES_LIMIT		0x4800	/* then CS ... TR, step 2 */
#define VMCS_GUEST_GDTR_LIMIT		0x4810
#define VMCS_GUEST_IDTR_LIMIT		0x4812
#define VMCS_GUEST_ES_AR		0x4814	/* then CS ... TR, step 2 */
#define VMCS_GUEST_INTERRUPTIBILITY	0x4824
#define VMCS_GUEST_ACTIVITY		0x4826
#define VMCS_GUEST_SYSENTER_CS		0x482a
#define VMCS_PREEMPTION_TIMER		0x482e
#define VMCS_HOST_SYSENTER_CS		0x4c00

/* Natural-width fields (Appendix B.4). */
#define VMCS_CR0_MASK			0x6000
#define VMCS_CR4_MASK			0x6002
#define VMCS_CR0_SHADOW			0x6004
#define VMCS_CR4_SHADOW			0x6006
#define VMCS_EXIT_QUAL			0x6400
#define VMCS_GUEST_CR0			0x6800
#define VMCS_GUEST_CR3			0x6802
#define VMCS_GUEST_CR4			0x6804
#define VMCS_GUEST_ES_BASE		0x6806	/* then CS ... TR, step 2 */
#define VMCS_GUEST_FS_BASE		0x680e
#define VMCS_GUEST_GS_BASE		0x6810
#define VMCS_GUEST_GDTR_BASE		0x6816
#define VMCS_GUEST_IDTR_BASE		0x6818
#define VMCS_GUEST_DR7			0x681a
#define VMCS_GUEST_RSP			0x681c
#define VMCS_GUEST_RIP			0x681e
#define VMCS_GUEST_RFLAGS		0x6820
#define VMCS_GUEST_PENDING_DBG		0x6822
#define VMCS_GUEST_SYSENTER_ESP		0x6824
#define VMCS_GUEST_SYSENTER_EIP		0x6826
#define VMCS_HOST_CR0			0x6c00
#define VMCS_HOST_CR3			0x6c02
#define VMCS_HOST_CR4			0x6c04
#define VMCS_HOST_FS_BASE		0x6c06
#define VMCS_HOST_GS_BASE		0x6c08
#define VMCS_HOST_TR_BASE		0x6c0a
#define VMCS_HOST_GDTR_BASE		0x6c0c
#define VMCS_HOST_IDTR_BASE		0x6c0e
#define VMCS_HOST_SYSENTER_ESP		0x6c10
#define VMCS_HOST_SYSENTER_EIP		0x6c12
#define VMCS_HOST_RSP			0x6c14
#define VMCS_HOST_RIP			0x6c16

/* Guest segment registers in the order of their encodings (step 2). */
#define VMCS_SEG_ES	0
#define VMCS_SEG_CS	1
#define VMCS_SEG_SS	2
#define VMCS_SEG_DS	3
#define VMCS_SEG_FS	4
#define VMCS_SEG_GS	5
#define VMCS_SEG_LDTR	6
#define VMCS_SEG_TR	7

/*
 * Segment access rights (Vol. 3C, Table "Format of Access Rights"): the
 * descriptor's type, S, DPL, P, AVL, L, D/B and G, plus "unusable".
 */
#define VMX_AR_TYPE			GENMASK(3, 0)
#define VMX_AR_S			BIT(4)
#define VMX_AR_DPL_SHIFT		5
#define VMX_AR_P			BIT(7)
#define VMX_AR_AVL			BIT(12)
#define VMX_AR_L			BIT(13)
#define VMX_AR_DB			BIT(14)
#define VMX_AR_G			BIT(15)
#define VMX_AR_UNUSABLE			BIT(16)

/* Pin-based VM-execution controls (Vol. 3C, "Pin-Based VM-Execution Controls"). */
#define VMX_PIN_EXT_INTR_EXITING	BIT(0)
#define VMX_PIN_NMI_EXITING		BIT(3)
#define VMX_PIN_VIRTUAL_NMIS		BIT(5)
#define VMX_PIN_PREEMPTION_TIMER	BIT(6)

/*
 * Primary processor-based controls (Vol. 3C, "Processor-Based VM-Execution
 * Controls"); VMX_PROC_SECONDARY_CTLS is in vmx.h.
 */
#define VMX_PROC_TSC_OFFSETTING		BIT(3)
#define VMX_PROC_INTR_WINDOW_EXITING	BIT(2)
#define VMX_PROC_HLT_EXITING		BIT(7)
#define VMX_PROC_INVLPG_EXITING		BIT(9)
#define VMX_PROC_MWAIT_EXITING		BIT(10)
#define VMX_PROC_RDPMC_EXITING		BIT(11)
#define VMX_PROC_RDTSC_EXITING		BIT(12)
#define VMX_PROC_CR3_LOAD_EXITING	BIT(15)
#define VMX_PROC_CR3_STORE_EXITING	BIT(16)
#define VMX_PROC_CR8_LOAD_EXITING	BIT(19)
#define VMX_PROC_CR8_STORE_EXITING	BIT(20)
#define VMX_PROC_TPR_SHADOW		BIT(21)
#define VMX_PROC_NMI_WINDOW_EXITING	BIT(22)
#define VMX_PROC_MOV_DR_EXITING		BIT(23)
#define VMX_PROC_UNCOND_IO_EXITING	BIT(24)
#define VMX_PROC_IO_BITMAPS		BIT(25)
#define VMX_PROC_MSR_BITMAPS		BIT(28)
#define VMX_PROC_MONITOR_EXITING	BIT(29)

/* VM-exit controls (Vol. 3C, "VM-Exit Controls"). */
#define VMX_EXIT_SAVE_DEBUG		BIT(2)
#define VMX_EXIT_HOST_64BIT		BIT(9)	/* host address-space size */
#define VMX_EXIT_ACK_INTR		BIT(15)
#define VMX_EXIT_SAVE_PAT		BIT(18)
#define VMX_EXIT_LOAD_PAT		BIT(19)
#define VMX_EXIT_SAVE_EFER		BIT(20)
#define VMX_EXIT_LOAD_EFER		BIT(21)

/* VM-entry controls (Vol. 3C, "VM-Entry Controls"). */
#define VMX_ENTRY_LOAD_DEBUG		BIT(2)
#define VMX_ENTRY_IA32E_GUEST		BIT(9)
#define VMX_ENTRY_LOAD_PAT		BIT(14)
#define VMX_ENTRY_LOAD_EFER		BIT(15)

/*
 * VM-entry interruption information, and the VM-exit and IDT-vectoring
 * information fields of the same layout (Vol. 3C, "VM-Entry Controls for
 * Event Injection", "Information for VM Exits Due to Vectored Events",
 * "Information for VM Exits That Occur During Event Delivery").
 */
#define VMX_INTR_VECTOR			GENMASK(7, 0)
#define VMX_INTR_TYPE			GENMASK(10, 8)
#define   VMX_INTR_TYPE_EXT		(0 << 8)
#define   VMX_INTR_TYPE_NMI		(2 << 8)
#define   VMX_INTR_TYPE_HW_EXCEPTION	(3 << 8)
#define   VMX_INTR_TYPE_SOFT_INTR	(4 << 8)	/* INT n */
#define   VMX_INTR_TYPE_PRIV_SOFT_EXC	(5 << 8)	/* INT1 */
#define   VMX_INTR_TYPE_SOFT_EXC	(6 << 8)	/* INT3, INTO */
#define VMX_INTR_ERR_VALID		BIT(11)
#define VMX_INTR_VALID			BIT(31)

/* Guest interruptibility state (Vol. 3C, "Guest Non-Register State"). */
#define VMX_INTERRUPTIBILITY_STI	BIT(0)
#define VMX_INTERRUPTIBILITY_MOV_SS	BIT(1)
#define VMX_INTERRUPTIBILITY_NMI	BIT(3)	/* virtual-NMI blocking */
#define VMX_BLOCKING_STI_MOV_SS		(VMX_INTERRUPTIBILITY_STI | \
					 VMX_INTERRUPTIBILITY_MOV_SS)

/* Basic exit reasons (Vol. 3D, Appendix C). */
#define EXIT_REASON_EXCEPTION_NMI	0
#define EXIT_REASON_EXT_INTR		1
#define EXIT_REASON_TRIPLE_FAULT	2
#define EXIT_REASON_INIT		3
#define EXIT_REASON_SIPI		4
#define EXIT_REASON_INTR_WINDOW		7
#define EXIT_REASON_NMI_WINDOW		8
#define EXIT_REASON_SMI			6
#define EXIT_REASON_TASK_SWITCH		9
#define EXIT_REASON_CPUID		10
#define EXIT_REASON_GETSEC		11
#define EXIT_REASON_HLT			12
#define EXIT_REASON_INVD		13
#define EXIT_REASON_RDPMC		15
#define EXIT_REASON_RSM			17
#define EXIT_REASON_VMCALL		18
#define EXIT_REASON_VMCLEAR		19
#define EXIT_REASON_VMLAUNCH		20
#define EXIT_REASON_VMPTRLD		21
#define EXIT_REASON_VMPTRST		22
#define EXIT_REASON_VMREAD		23
#define EXIT_REASON_VMRESUME		24
#define EXIT_REASON_VMWRITE		25
#define EXIT_REASON_VMXOFF		26
#define EXIT_REASON_VMXON		27
#define EXIT_REASON_CR_ACCESS		28
#define EXIT_REASON_IO			30
#define EXIT_REASON_RDMSR		31
#define EXIT_REASON_WRMSR		32
#define EXIT_REASON_INVALID_STATE	33	/* VM-entry failure */
#define EXIT_REASON_MSR_LOADING		34	/* VM-entry failure */
#define EXIT_REASON_MWAIT		36
#define EXIT_REASON_MONITOR		39
#define EXIT_REASON_PAUSE		40
#define EXIT_REASON_MCE_DURING_ENTRY	41	/* VM-entry failure */
#define EXIT_REASON_EPT_VIOLATION	48
#define EXIT_REASON_EPT_MISCONFIG	49
#define EXIT_REASON_INVEPT		50
#define EXIT_REASON_PREEMPTION_TIMER	52
#define EXIT_REASON_INVVPID		53
#define EXIT_REASON_XSETBV		55
#define EXIT_REASON_VMFUNC		59
#define EXIT_REASON_MAX			76
/* Bit 31 of the exit reason: the VM entry failed (Vol. 3C, "Basic VM-Exit Information"). */
#define EXIT_REASON_FAILED_ENTRY	BIT(31)
#define EXIT_REASON_BASIC		GENMASK(15, 0)

/*
 * Exit qualification of control-register accesses (Vol. 3C, Table
 * "Exit Qualification for Control-Register Accesses").
 */
#define VMX_CR_QUAL_CR			GENMASK(3, 0)
#define VMX_CR_QUAL_TYPE		GENMASK(5, 4)
#define   VMX_CR_TYPE_MOV_TO		0
#define   VMX_CR_TYPE_MOV_FROM		1
#define   VMX_CR_TYPE_CLTS		2
#define   VMX_CR_TYPE_LMSW		3
#define VMX_CR_QUAL_GPR			GENMASK(11, 8)
#define VMX_CR_QUAL_LMSW_DATA		GENMASK(31, 16)

/* Exit qualification of I/O instructions (Vol. 3C, same section). */
#define VMX_IO_QUAL_SIZE		GENMASK(2, 0)	/* bytes - 1 */
#define VMX_IO_QUAL_IN			BIT(3)
#define VMX_IO_QUAL_STRING		BIT(4)
#define VMX_IO_QUAL_REP			BIT(5)
#define VMX_IO_QUAL_PORT		GENMASK(31, 16)

/* Exit qualification of EPT violations (Vol. 3C, same section). */
#define VMX_EPT_QUAL_WRITE		BIT(1)

/* VM-instruction error numbers worth naming (Vol. 3C, "VM Instruction Error Numbers"). */
#define VMX_INSN_ERR_LAUNCH_NOT_CLEAR	4
#define VMX_INSN_ERR_RESUME_NOT_LAUNCHED 5

#ifndef __ASSEMBLY__
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/types.h>
#include <asm/asm.h>

void vmx_vmcs_error(const char *insn, unsigned long field, unsigned long val);

/*
 * Raw VMREAD/VMWRITE.  VMfailInvalid sets CF, VMfailValid ZF ("jna"); a
 * fault (#UD outside VMX operation) lands on the same label.
 */
static __always_inline unsigned long __vmcs_read(unsigned long field)
{
	unsigned long val;

	asm goto("1: vmread %[field], %[val]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, (%l[fail]))
		 : [val] "=rm" (val) : [field] "r" (field) : "cc" : fail);
	return val;
fail:
	vmx_vmcs_error("VMREAD", field, 0);
	return 0;
}

static __always_inline void __vmcs_write(unsigned long field,
					 unsigned long val)
{
	asm goto("1: vmwrite %[val], %[field]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, (%l[fail]))
		 : : [field] "r" (field), [val] "rm" (val) : "cc" : fail);
	return;
fail:
	vmx_vmcs_error("VMWRITE", field, val);
}

/* The width checks: a constant encoding of the accessor's width. */
#define VMCS_CHECK(field, width)					\
	do {								\
		BUILD_BUG_ON(!__builtin_constant_p(field));		\
		BUILD_BUG_ON(VMCS_WIDTH(field) != (width));		\
		BUILD_BUG_ON((width) == VMCS_WIDTH_64 && ((field) & 1)); \
	} while (0)

#define vmcs_read16(f)	({ VMCS_CHECK(f, VMCS_WIDTH_16); (u16)__vmcs_read(f); })
#define vmcs_read32(f)	({ VMCS_CHECK(f, VMCS_WIDTH_32); (u32)__vmcs_read(f); })
#define vmcs_read64(f)	({ VMCS_CHECK(f, VMCS_WIDTH_64); (u64)__vmcs_read(f); })
#define vmcs_readl(f)	({ VMCS_CHECK(f, VMCS_WIDTH_NATURAL); __vmcs_read(f); })

#define vmcs_write16(f, v)						\
	do { VMCS_CHECK(f, VMCS_WIDTH_16); __vmcs_write(f, (u16)(v)); } while (0)
#define vmcs_write32(f, v)						\
	do { VMCS_CHECK(f, VMCS_WIDTH_32); __vmcs_write(f, (u32)(v)); } while (0)
#define vmcs_write64(f, v)						\
	do { VMCS_CHECK(f, VMCS_WIDTH_64); __vmcs_write(f, (u64)(v)); } while (0)
#define vmcs_writel(f, v)						\
	do { VMCS_CHECK(f, VMCS_WIDTH_NATURAL);				\
	     __vmcs_write(f, (unsigned long)(v)); } while (0)
#endif

#endif /* MINIKVM_VMCS_H */
