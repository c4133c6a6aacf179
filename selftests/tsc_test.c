// SPDX-License-Identifier: GPL-2.0-only
/*
 * tsc_test - the guest's TSC, as KVM 6.1 gives it (arch/x86/kvm/x86.c
 * kvm_synchronize_tsc(), kvm_set_msr_common(MSR_IA32_TSC), KVM_GET_TSC_KHZ):
 *
 *  - KVM_CHECK_EXTENSION(KVM_CAP_GET_TSC_KHZ) is 1 and the vCPU's
 *    KVM_GET_TSC_KHZ a positive rate (no scaling: the host's);
 *  - a new VM's guest TSC starts near 0, not at the host's TSC (KVM
 *    counts from the first vCPU's creation, minikvm from the VM's);
 *  - KVM_SET_MSRS(IA32_TSC) sets what the guest's RDTSC and RDMSR read
 *    from then on, and KVM_GET_MSRS reads it;
 *  - the guest's WRMSR of IA32_TSC does the same, seen by the host.
 * "Near" is 10 seconds of TSC ticks: the test machines are emulated.
 */
#include <errno.h>

#include "minikvm/kvm_util.h"
#include "minikvm/msr_index.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_cpuid.h"
#include "minikvm/x86_vm.h"

#define HOST_TSC	(1ULL << 40)
#define GUEST_TSC	(1ULL << 41)

static inline uint64_t guest_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t tsc_khz(struct kvm_vcpu *vcpu)
{
	int khz = __vcpu_ioctl(vcpu, KVM_GET_TSC_KHZ, 0);

	TEST_ASSERT(khz > 0, "KVM_GET_TSC_KHZ: %d, errno %d", khz, errno);
	return khz;
}

static void get_tsc_khz(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, 0);

	TEST_ASSERT_EQ(kvm_check_cap(KVM_CAP_GET_TSC_KHZ), 1);
	ksft_print_msg("TSC: %llu kHz\n", (unsigned long long)tsc_khz(vcpu));
	kvm_vm_free(vm);
}

static void guest_report_tsc(void)
{
	uint64_t t = guest_rdtsc();

	GUEST_SYNC(t);
	GUEST_ASSERT(rdmsr(MSR_IA32_TSC) >= t);
	GUEST_SYNC(guest_rdtsc());
	GUEST_DONE();
}

/* The guest's first RDTSC lies in [@from, @from + 10 s]. */
static void expect_guest_tsc(struct kvm_vcpu *vcpu, uint64_t from)
{
	uint64_t span = tsc_khz(vcpu) * 1000 * 10;
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	ksft_print_msg("guest TSC 0x%llx, expected from 0x%llx\n",
		       (unsigned long long)uc.args[1], (unsigned long long)from);
	TEST_ASSERT(uc.args[1] >= from && uc.args[1] - from < span,
		    "guest TSC 0x%llx not in [0x%llx, +10 s]",
		    (unsigned long long)uc.args[1], (unsigned long long)from);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT(vcpu_get_msr(vcpu, MSR_IA32_TSC) >= uc.args[1],
		    "KVM_GET_MSRS(TSC) behind the guest's");
	vcpu_run_expect_done(vcpu);
}

static void tsc_starts_near_zero(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_report_tsc);

	expect_guest_tsc(vcpu, 0);
	kvm_vm_free(vm);
}

static void host_sets_tsc(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_report_tsc);

	vcpu_set_msr(vcpu, MSR_IA32_TSC, HOST_TSC);
	TEST_ASSERT(vcpu_get_msr(vcpu, MSR_IA32_TSC) >= HOST_TSC,
		    "TSC behind what was set");
	expect_guest_tsc(vcpu, HOST_TSC);
	kvm_vm_free(vm);
}

static void guest_write_tsc(void)
{
	uint64_t t;

	wrmsr(MSR_IA32_TSC, GUEST_TSC);
	t = guest_rdtsc();
	GUEST_ASSERT(t >= GUEST_TSC);
	GUEST_SYNC(t);
	GUEST_DONE();
}

static void guest_writes_tsc(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_write_tsc);
	uint64_t span = tsc_khz(vcpu) * 1000 * 10;
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT(uc.args[1] - GUEST_TSC < span, "guest TSC 0x%llx",
		    (unsigned long long)uc.args[1]);
	TEST_ASSERT(vcpu_get_msr(vcpu, MSR_IA32_TSC) >= uc.args[1],
		    "host reads a TSC behind the guest's");
	TEST_ASSERT(vcpu_get_msr(vcpu, MSR_IA32_TSC) - GUEST_TSC < span,
		    "host TSC far from the guest's write");
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(get_tsc_khz),
	KVM_TEST(tsc_starts_near_zero),
	KVM_TEST(host_sets_tsc),
	KVM_TEST(guest_writes_tsc),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
