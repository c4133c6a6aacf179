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
	__u64 info2;		/* VMX: guest-physical address (EPT exits),
				 * else VM-exit interruption information;
				 * SVM: EXITINFO2 */
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
