/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x86_cpuid.h - the guest's CPUID, MSRs and TSC from userspace, as KVM
 * selftests' processor.h offers them: KVM_GET_SUPPORTED_CPUID,
 * KVM_SET_CPUID2 / KVM_GET_CPUID2, KVM_GET_MSR_INDEX_LIST,
 * KVM_GET_MSRS / KVM_SET_MSRS, KVM_GET_TSC_KHZ.
 *
 * Unlike KVM selftests, vm_create*() does not give new vCPUs the supported
 * CPUID: without KVM_SET_CPUID2, KVM answers zeros and minikvm its
 * supported table, a difference the existing tests rely on and
 * selftests/diffrun-expected.txt lists.  Tests that want KVM's default call
 * vcpu_init_cpuid() themselves.  The one exception: a KVM vCPU put in long
 * mode by the library first gets leaves 0x80000000/0x80000001 (LM, NX,
 * SYSCALL), which KVM 6.12 wants for EFER (x86_vm.h
 * vcpu_cpuid_allow_long_mode()).
 */
#ifndef MINIKVM_X86_CPUID_H
#define MINIKVM_X86_CPUID_H

#include <stdint.h>
#include <linux/kvm.h>

#include "kvm_util.h"

/* KVM's limits (KVM_MAX_CPUID_ENTRIES, MAX_IO_MSRS in the kernel). */
#define KVM_MAX_CPUID_ENTRIES	256
#define KVM_MAX_IO_MSRS		256

/* A struct kvm_cpuid2 with room for @nent entries, zeroed, nent set. */
struct kvm_cpuid2 *allocate_kvm_cpuid2(int nent);

/* KVM_GET_SUPPORTED_CPUID on a fresh device fd into @cpuid; raw result. */
int __kvm_get_supported_cpuid(struct kvm_cpuid2 *cpuid);

/* The supported CPUID, fetched once per process; asserts success. */
const struct kvm_cpuid2 *kvm_get_supported_cpuid(void);

/* A copy of @cpuid (malloc'ed) the caller may change and must free. */
struct kvm_cpuid2 *kvm_cpuid2_dup(const struct kvm_cpuid2 *cpuid);

/* The entry (@function, @index) of @cpuid, or NULL; index only counts for
 * entries flagged KVM_CPUID_FLAG_SIGNIFCANT_INDEX. */
struct kvm_cpuid_entry2 *cpuid_entry_find(const struct kvm_cpuid2 *cpuid,
					  uint32_t function, uint32_t index);

/* KVM_SET_CPUID2 / KVM_GET_CPUID2: raw, and asserting. */
int __vcpu_set_cpuid(struct kvm_vcpu *vcpu, const struct kvm_cpuid2 *cpuid);
void vcpu_set_cpuid(struct kvm_vcpu *vcpu, const struct kvm_cpuid2 *cpuid);
int __vcpu_get_cpuid(struct kvm_vcpu *vcpu, struct kvm_cpuid2 *cpuid);

/* Gives @vcpu the supported CPUID, as KVM selftests do for every vCPU. */
void vcpu_init_cpuid(struct kvm_vcpu *vcpu);

/* KVM_GET_MSR_INDEX_LIST, fetched once per process; asserts success. */
const struct kvm_msr_list *kvm_get_msr_index_list(void);

/* KVM_GET_MSRS / KVM_SET_MSRS of one MSR: the raw result (the number of
 * MSRs processed, 0 or 1, or -1 with errno). */
int __vcpu_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *value);
int __vcpu_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t value);

/* The same, asserting that the MSR was processed. */
uint64_t vcpu_get_msr(struct kvm_vcpu *vcpu, uint32_t index);
void vcpu_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t value);

/* A struct kvm_msrs with room for @n entries, zeroed, nmsrs set. */
struct kvm_msrs *allocate_kvm_msrs(unsigned int n);

#endif /* MINIKVM_X86_CPUID_H */
