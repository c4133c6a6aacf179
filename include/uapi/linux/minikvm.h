/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * minikvm's additions to the KVM uAPI.  Everything else on /dev/minikvm is
 * <linux/kvm.h>; what is here exists only on minikvm, and a program that
 * uses it must first know it talks to minikvm (KVM_CHECK_EXTENSION of
 * MINIKVM_CAP_EXIT_TRACE answers 1 there and 0 on KVM).
 *
 * Shared by the module (kmod/, arch/) and userspace (user/, selftests/).
 */
#ifndef _UAPI_LINUX_MINIKVM_H
#define _UAPI_LINUX_MINIKVM_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/kvm.h>

/*
 * minikvm's own capability and ioctl numbers.  KVM's numbers (KVMIO, 0xAE)
 * stop far below 0xf0 (0xd5 in Linux 6.12); minikvm's start there so that
 * they never meet a KVM ioctl on the same fd.
 */
#define MINIKVM_CAP_EXIT_TRACE	0x4d4b0001	/* KVM_CHECK_EXTENSION */

/*
 * Explained VM-entry failures.
 *
 * When the hardware refuses a VM entry, KVM_RUN returns with
 * KVM_EXIT_FAIL_ENTRY and kvm_run's fail_entry as KVM fills it.  minikvm
 * then also fills the rest of the exit union: the struct below overlays
 * kvm_run.fail_entry (its first two members are KVM's) and tells which rule
 * of the manuals the state broke, found by a software walk of the checks
 * (Intel SDM Vol. 3C, "Checks on VMX Controls and Host-State Area" and
 * "Checks on the Guest State Area"; AMD APM Vol. 2, "VMRUN" consistency
 * checks).  magic says the explanation is there; rule is 0 when the walk
 * found nothing the hardware could have refused.
 */
#define MINIKVM_FAIL_ENTRY_MAGIC	0x6d6b766dU	/* "mkvm" */
#define MINIKVM_FAIL_ENTRY_TEXT_SIZE	224

struct minikvm_fail_entry {
	__u64 hardware_entry_failure_reason;	/* as KVM's */
	__u32 cpu;				/* as KVM's */
	__u32 rule;		/* MINIKVM_RULE_*, 0: none found */
	__u32 magic;		/* MINIKVM_FAIL_ENTRY_MAGIC */
	__u32 reserved;
	/* "<rule name> (<manual, volume, section>)", NUL-terminated */
	char text[MINIKVM_FAIL_ENTRY_TEXT_SIZE];
};

/*
 * Rule ids of struct minikvm_fail_entry.rule: the checks VM entry makes, as
 * the manuals list them.  VMX rules are 1..999, grouped by the sections of
 * Intel SDM Vol. 3C, chapter "VM Entries" ("Checks on VMX Controls and
 * Host-State Area", "Checks on the Guest State Area"); SVM rules start at
 * 1000 (AMD APM Vol. 2, "VMRUN Instruction", "Canonicalization and
 * Consistency Checks").  The module's tables (arch/x86/vmx/vmx_check.c,
 * arch/x86/svm/svm_check.c) give each its name and manual section.
 */
#define MINIKVM_RULE_NONE			0
/* SDM: Checks on VM-execution control fields */
#define MINIKVM_RULE_VMX_PIN_CTLS			1
#define MINIKVM_RULE_VMX_PROC_CTLS			2
#define MINIKVM_RULE_VMX_PROC2_CTLS			3
#define MINIKVM_RULE_VMX_CR3_TARGET_COUNT		4
#define MINIKVM_RULE_VMX_MSR_BITMAP_ADDR		5
#define MINIKVM_RULE_VMX_VIRTUAL_APIC_ADDR		6
#define MINIKVM_RULE_VMX_TPR_THRESHOLD			7
#define MINIKVM_RULE_VMX_VIRTUAL_NMIS			8
#define MINIKVM_RULE_VMX_VPID_ZERO			9
#define MINIKVM_RULE_VMX_EPTP_MEMTYPE			10
#define MINIKVM_RULE_VMX_EPTP_WALK_LENGTH		11
#define MINIKVM_RULE_VMX_EPTP_RESERVED			12
#define MINIKVM_RULE_VMX_UNRESTRICTED_NO_EPT		13
/* SDM: Checks on VM-exit control fields */
#define MINIKVM_RULE_VMX_EXIT_CTLS			20
#define MINIKVM_RULE_VMX_EXIT_MSR_STORE_ADDR		21
#define MINIKVM_RULE_VMX_EXIT_MSR_LOAD_ADDR		22
/* SDM: Checks on VM-entry control fields */
#define MINIKVM_RULE_VMX_ENTRY_CTLS			30
#define MINIKVM_RULE_VMX_ENTRY_INTR_TYPE		31
#define MINIKVM_RULE_VMX_ENTRY_INTR_VECTOR		32
#define MINIKVM_RULE_VMX_ENTRY_INTR_ERR_CODE		33
#define MINIKVM_RULE_VMX_ENTRY_INTR_RESERVED		34
#define MINIKVM_RULE_VMX_ENTRY_EXCEPTION_ERR		35
#define MINIKVM_RULE_VMX_ENTRY_INSN_LEN			36
#define MINIKVM_RULE_VMX_ENTRY_MSR_LOAD_ADDR		37
#define MINIKVM_RULE_VMX_ENTRY_SMM			38
/* SDM: Checks on host control registers and MSRs */
#define MINIKVM_RULE_VMX_HOST_CR0_FIXED			50
#define MINIKVM_RULE_VMX_HOST_CR4_FIXED			51
#define MINIKVM_RULE_VMX_HOST_CR3			52
#define MINIKVM_RULE_VMX_HOST_SYSENTER			53
#define MINIKVM_RULE_VMX_HOST_PAT			54
#define MINIKVM_RULE_VMX_HOST_EFER			55
/* SDM: Checks on host segment and descriptor-table registers */
#define MINIKVM_RULE_VMX_HOST_SEL_RPL_TI		60
#define MINIKVM_RULE_VMX_HOST_SEL_NULL			61
#define MINIKVM_RULE_VMX_HOST_BASE_CANONICAL		62
/* SDM: Checks related to address-space size */
#define MINIKVM_RULE_VMX_HOST_ADDR_SPACE		70
#define MINIKVM_RULE_VMX_HOST_CR4_PAE			71
#define MINIKVM_RULE_VMX_HOST_RIP			72
/* SDM: Checks on guest control registers, debug registers and MSRs */
#define MINIKVM_RULE_VMX_GUEST_CR0_FIXED		100
#define MINIKVM_RULE_VMX_GUEST_CR0_PG_PE		101
#define MINIKVM_RULE_VMX_GUEST_CR4_FIXED		102
#define MINIKVM_RULE_VMX_GUEST_DEBUGCTL			103
#define MINIKVM_RULE_VMX_GUEST_IA32E_PG_PAE		104
#define MINIKVM_RULE_VMX_GUEST_PCIDE			105
#define MINIKVM_RULE_VMX_GUEST_CR3			106
#define MINIKVM_RULE_VMX_GUEST_DR7			107
#define MINIKVM_RULE_VMX_GUEST_SYSENTER			108
#define MINIKVM_RULE_VMX_GUEST_PAT			109
#define MINIKVM_RULE_VMX_GUEST_EFER_RESERVED		110
#define MINIKVM_RULE_VMX_GUEST_EFER_LMA			111
#define MINIKVM_RULE_VMX_GUEST_EFER_LME			112
/* SDM: Checks on guest segment registers */
#define MINIKVM_RULE_VMX_GUEST_TR_TI			200
#define MINIKVM_RULE_VMX_GUEST_LDTR_TI			201
#define MINIKVM_RULE_VMX_GUEST_SS_CS_RPL		202
#define MINIKVM_RULE_VMX_GUEST_V8086_SEG		203
#define MINIKVM_RULE_VMX_GUEST_SEG_BASE_CANONICAL	204
#define MINIKVM_RULE_VMX_GUEST_SEG_BASE_HIGH		205
#define MINIKVM_RULE_VMX_GUEST_CS_TYPE			206
#define MINIKVM_RULE_VMX_GUEST_SS_TYPE			207
#define MINIKVM_RULE_VMX_GUEST_DATA_TYPE		208
#define MINIKVM_RULE_VMX_GUEST_SEG_S			209
#define MINIKVM_RULE_VMX_GUEST_CS_DPL			210
#define MINIKVM_RULE_VMX_GUEST_SS_DPL			211
#define MINIKVM_RULE_VMX_GUEST_DATA_DPL			212
#define MINIKVM_RULE_VMX_GUEST_SEG_P			213
#define MINIKVM_RULE_VMX_GUEST_SEG_AR_RESERVED		214
#define MINIKVM_RULE_VMX_GUEST_SEG_LIMIT_G		215
#define MINIKVM_RULE_VMX_GUEST_CS_L_D			216
#define MINIKVM_RULE_VMX_GUEST_TR_TYPE			217
#define MINIKVM_RULE_VMX_GUEST_TR_S			218
#define MINIKVM_RULE_VMX_GUEST_TR_P			219
#define MINIKVM_RULE_VMX_GUEST_TR_UNUSABLE		220
#define MINIKVM_RULE_VMX_GUEST_LDTR_TYPE		221
#define MINIKVM_RULE_VMX_GUEST_LDTR_S			222
#define MINIKVM_RULE_VMX_GUEST_LDTR_P			223
/* SDM: Checks on guest descriptor-table registers */
#define MINIKVM_RULE_VMX_GUEST_DTR_BASE			300
#define MINIKVM_RULE_VMX_GUEST_DTR_LIMIT		301
/* SDM: Checks on guest RIP and RFLAGS */
#define MINIKVM_RULE_VMX_GUEST_RIP_HIGH			400
#define MINIKVM_RULE_VMX_GUEST_RIP_CANONICAL		401
#define MINIKVM_RULE_VMX_GUEST_RFLAGS_RESERVED		402
#define MINIKVM_RULE_VMX_GUEST_RFLAGS_VM		403
#define MINIKVM_RULE_VMX_GUEST_RFLAGS_IF		404
/* SDM: Checks on guest non-register state */
#define MINIKVM_RULE_VMX_GUEST_ACTIVITY			500
#define MINIKVM_RULE_VMX_GUEST_ACTIVITY_HLT_DPL		501
#define MINIKVM_RULE_VMX_GUEST_ACTIVITY_BLOCKING	502
#define MINIKVM_RULE_VMX_GUEST_ACTIVITY_EVENT		503
#define MINIKVM_RULE_VMX_GUEST_INTR_RESERVED		504
#define MINIKVM_RULE_VMX_GUEST_INTR_STI_MOVSS		505
#define MINIKVM_RULE_VMX_GUEST_INTR_STI_IF		506
#define MINIKVM_RULE_VMX_GUEST_INTR_EXT_BLOCKING	507
#define MINIKVM_RULE_VMX_GUEST_INTR_NMI_BLOCKING	508
#define MINIKVM_RULE_VMX_GUEST_INTR_SMI			509
#define MINIKVM_RULE_VMX_GUEST_PENDING_DBG		510
#define MINIKVM_RULE_VMX_GUEST_PENDING_DBG_BS		511
#define MINIKVM_RULE_VMX_GUEST_LINK_POINTER		512
/* SDM: Checks on guest page-directory-pointer-table entries */
#define MINIKVM_RULE_VMX_GUEST_PDPTE			600
#define MINIKVM_RULE_VMX_MAX			999
/* APM: VMRUN consistency checks */
#define MINIKVM_RULE_SVM_EFER_SVME			1001
#define MINIKVM_RULE_SVM_CR0_CD_NW			1002
#define MINIKVM_RULE_SVM_CR0_HIGH			1003
#define MINIKVM_RULE_SVM_CR3_MBZ			1004
#define MINIKVM_RULE_SVM_CR4_MBZ			1005
#define MINIKVM_RULE_SVM_DR6_HIGH			1006
#define MINIKVM_RULE_SVM_DR7_HIGH			1007
#define MINIKVM_RULE_SVM_EFER_MBZ			1008
#define MINIKVM_RULE_SVM_LONG_MODE_PAE			1009
#define MINIKVM_RULE_SVM_LONG_MODE_PE			1010
#define MINIKVM_RULE_SVM_LONG_MODE_CS_L_D		1011
#define MINIKVM_RULE_SVM_VMRUN_INTERCEPT		1012
#define MINIKVM_RULE_SVM_IOPM_ADDR			1013
#define MINIKVM_RULE_SVM_MSRPM_ADDR			1014
#define MINIKVM_RULE_SVM_EVENTINJ_TYPE			1015
#define MINIKVM_RULE_SVM_EVENTINJ_VECTOR		1016
#define MINIKVM_RULE_SVM_ASID_ZERO			1017
#define MINIKVM_RULE_SVM_FIRST			1000

/*
 * The exit trace: a per-vCPU ring of one record per VM exit (and per
 * refused VM entry), written by the kernel, consumed by userspace through
 * read() or mmap() of the fd that MINIKVM_GET_EXIT_TRACE_FD returns on a
 * vCPU fd.  Tracing is on while that fd is open (one at a time per vCPU,
 * else -EBUSY) and costs a predicted branch per exit when it is not.
 */
struct minikvm_trace_config {
	__u32 nr_records;	/* power of two; 0: 4096; at most 1 << 20 */
	__u32 flags;		/* none yet: must be 0 */
	__u64 reserved[3];	/* must be 0 */
};

#define MINIKVM_GET_EXIT_TRACE_FD	_IOW(KVMIO, 0xf0, struct minikvm_trace_config)

/* minikvm_trace_record.flags */
#define MINIKVM_TRACE_USERSPACE		(1U << 0)	/* KVM_RUN returned for it */
#define MINIKVM_TRACE_FAILED_ENTRY	(1U << 1)	/* the guest never ran */

/* minikvm_trace_header.vendor */
#define MINIKVM_TRACE_VMX	1
#define MINIKVM_TRACE_SVM	2

struct minikvm_trace_record {
	__u64 tsc;		/* host TSC at the VM exit */
	__u64 reason;		/* VMX: exit reason (all 32 bits); SVM: EXITCODE */
	__u64 info1;		/* VMX: exit qualification; SVM: EXITINFO1 */
	/*
	 * VMX: guest-physical address (EPT exits), else VM-exit interruption
	 * information; SVM: EXITINFO2
	 */
	__u64 info2;
	__u64 rip;		/* guest RIP at the exit */
	__u64 cycles;		/* exit to next entry, or to KVM_RUN's return */
	__u32 flags;		/* MINIKVM_TRACE_* */
	__u32 kvm_exit_reason;	/* KVM_EXIT_* when MINIKVM_TRACE_USERSPACE */
	__u32 rule;		/* MINIKVM_RULE_* of a refused entry, else 0 */
	__u32 vcpu_id;
};

/*
 * Page 0 of the mmap: the ring's header.  Records follow from page 1 on,
 * record i of the stream at slot i % nr_records.  The kernel writes records
 * then advances head (release); userspace reads records between tail and
 * head (acquire on head) then advances tail.  A record that finds the ring
 * full is dropped and counted in lost.
 */
struct minikvm_trace_header {
	__u32 version;		/* 1 */
	__u32 record_size;	/* sizeof(struct minikvm_trace_record) */
	__u32 nr_records;
	__u32 vendor;		/* MINIKVM_TRACE_VMX / _SVM */
	__u64 head;		/* records written since the fd was opened */
	__u64 tail;		/* records consumed (userspace writes it) */
	__u64 lost;		/* records dropped on a full ring */
	__u64 tsc_khz;		/* to turn cycles into time */
};

#endif /* _UAPI_LINUX_MINIKVM_H */
