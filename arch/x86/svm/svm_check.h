/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The software checker of refused SVM entries: the VMCB VMRUN tried to
 * load, plus what the consistency checks depend on (MAXPHYADDR, the CR4
 * and EFER bits the CPU implements), and the walk of AMD APM Vol. 2,
 * "VMRUN Instruction", "Canonicalization and Consistency Checks".
 *
 * Pure C over the snapshot: svm_vcpu.c fills it, the unit test
 * (selftests/unit/svm_check_test.c) too; in userspace, vmcb.h finds BIT(),
 * __packed and PAGE_SIZE in selftests/unit/kernel_shim.h.
 */
#ifndef MINIKVM_SVM_CHECK_H
#define MINIKVM_SVM_CHECK_H

#include "../entry_check.h"

#include "vmcb.h"

struct svm_entry_state {
	struct vmcb vmcb;	/* as it was right before VMRUN */
	u64 cr4_mbz;		/* CR4 bits this CPU does not implement */
	u64 efer_mbz;		/* EFER bits this CPU does not implement */
	u8 maxphyaddr;		/* CPUID 8000_0008h EAX[7:0] */
};

/* The first rule @st breaks (MINIKVM_RULE_SVM_*), 0 if none. */
u32 svm_check_entry(const struct svm_entry_state *st);

/* The rule's name and section; NULL for 0 or an id that is not SVM's. */
const struct mkvm_entry_rule *svm_check_rule(u32 id);

#endif /* MINIKVM_SVM_CHECK_H */
