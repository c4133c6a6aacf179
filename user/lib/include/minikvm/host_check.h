/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * host_check.h - what a host CPU offers for hardware virtualization, decoded
 * from raw CPUID leaves, capability MSRs and /proc/cpuinfo's "vmx flags"
 * into facts, and whether minikvm.ko can run there (minikvm-run --check).
 *
 * Pure functions of their inputs: user/runner/check.c reads the hardware,
 * selftests/unit/host_check_test.c feeds fixed values.  The requirements
 * mirror the module's probe (arch/x86/vmx/vmx.c vmx_probe(),
 * arch/x86/svm/svm.c svm_probe()).
 */
#ifndef MINIKVM_HOST_CHECK_H
#define MINIKVM_HOST_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hc_have { HC_NO, HC_YES, HC_UNKNOWN };

/* What minikvm makes of a fact. */
enum hc_need {
	HC_INFO,	/* shown, not used */
	HC_USED,	/* used when present, with a fallback */
	HC_NEEDED,	/* the module refuses to load without it */
};

struct hc_fact {
	char name[40];
	enum hc_have have;
	enum hc_need need;
	char note[160];
};

#define HC_MAX_FACTS	64

struct hc_report {
	int n;
	struct hc_fact facts[HC_MAX_FACTS];
};

/* Appends a fact (dropped when the report is full); @fmt may be NULL. */
void hc_add(struct hc_report *r, const char *name, enum hc_have have,
	    enum hc_need need, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The fact called @name, or NULL. */
const struct hc_fact *hc_find(const struct hc_report *r, const char *name);

/*
 * AMD: CPUID Fn8000_000A EAX (SVM revision), EBX (number of ASIDs), EDX
 * (features) (AMD APM Vol. 3, Appendix E "Obtaining Processor Information
 * Via the CPUID Instruction", Fn8000_000A "SVM Features").
 */
void hc_decode_svm_cpuid(struct hc_report *r, uint32_t eax, uint32_t ebx,
			 uint32_t edx);

/*
 * AMD: VM_CR (MSR C001_0114h) when @valid (AMD APM Vol. 2, "VM_CR MSR"):
 * SVMDIS set means the firmware disabled SVM.
 */
void hc_decode_vm_cr(struct hc_report *r, bool valid, uint64_t vm_cr);

/*
 * Intel: IA32_FEATURE_CONTROL (MSR 3Ah) when @valid (Intel SDM Vol. 3C,
 * "Enabling and Entering VMX Operation").
 */
void hc_decode_feature_control(struct hc_report *r, bool valid, uint64_t fc);

/*
 * Intel: the VMX capability MSRs (Intel SDM Vol. 3D, Appendix A "VMX
 * Capability Reporting Facility").  pin, proc, exit and entry are the
 * IA32_VMX_TRUE_* MSRs when IA32_VMX_BASIC bit 55 says they exist, else the
 * plain ones, as the module reads them.
 */
struct hc_vmx_msrs {
	uint64_t basic;		/* IA32_VMX_BASIC (480h) */
	uint64_t pin;		/* (TRUE_)PINBASED_CTLS (48Dh / 481h) */
	uint64_t proc;		/* (TRUE_)PROCBASED_CTLS (48Eh / 482h) */
	uint64_t exit;		/* (TRUE_)EXIT_CTLS (48Fh / 483h) */
	uint64_t entry;		/* (TRUE_)ENTRY_CTLS (490h / 484h) */
	uint64_t misc;		/* IA32_VMX_MISC (485h) */
	uint64_t proc2;		/* IA32_VMX_PROCBASED_CTLS2 (48Bh) */
	uint64_t ept_vpid;	/* IA32_VMX_EPT_VPID_CAP (48Ch) */
};
void hc_decode_vmx_msrs(struct hc_report *r, const struct hc_vmx_msrs *m);

/*
 * Intel without the MSRs: the "vmx flags" line of /proc/cpuinfo (its value,
 * after the colon; Linux 5.9 and later).  What the flags do not show is one
 * fact of unknown state.
 */
void hc_decode_vmx_flags(struct hc_report *r, const char *flags);

enum hc_verdict {
	HC_CAN_RUN,		/* every needed fact is present */
	HC_CAN_RUN_UNVERIFIED,	/* none missing, some unknown */
	HC_CANNOT_RUN,		/* a needed fact is missing */
};

/*
 * The verdict over the needed facts; @why gets the names of those missing
 * (or, unverified, unknown), separated by ", ".
 */
enum hc_verdict hc_verdict(const struct hc_report *r, char *why, size_t len);

#endif /* MINIKVM_HOST_CHECK_H */
