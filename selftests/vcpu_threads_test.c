// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcpu_threads_test - several vCPUs of one VM run guest code at the same
 * time, each in its own host thread calling KVM_RUN on its own fd: their
 * ucalls come back to the right thread with the right values, and LOCK
 * XADD on a shared guest counter loses no increment (guest memory is one
 * coherent memory for all vCPUs).
 */
#include <pthread.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define NR_VCPUS	4
#define NR_ROUNDS	200	/* ucalls per vCPU */
#define NR_ADDS		20000	/* atomic increments per vCPU */

static uint64_t shared_counter;

static void guest_worker(uint64_t id)
{
	uint64_t i, one;

	for (i = 0; i < NR_ROUNDS; i++)
		GUEST_SYNC(id * 1000000 + i);
	for (i = 0; i < NR_ADDS; i++) {
		one = 1;
		asm volatile("lock xaddq %0, %1"
			     : "+r"(one), "+m"(shared_counter) : : "memory");
	}
	GUEST_DONE();
}

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	uint64_t i;

	for (i = 0; i < NR_ROUNDS; i++)
		vcpu_run_expect_sync(vcpu, vcpu->id * 1000000 + i);
	vcpu_run_expect_done(vcpu);
	return NULL;
}

static void vcpus_in_threads(void)
{
	struct kvm_vcpu *vcpus[NR_VCPUS];
	pthread_t threads[NR_VCPUS];
	struct kvm_vm *vm;
	unsigned int i;

	vm = vm_create_with_one_vcpu(&vcpus[0], guest_worker);
	TEST_REQUIRE(vm_check_cap(vm, KVM_CAP_MAX_VCPUS) >= NR_VCPUS);
	for (i = 1; i < NR_VCPUS; i++)
		vcpus[i] = vm_vcpu_add_long_mode(vm, i, guest_worker);
	for (i = 0; i < NR_VCPUS; i++)
		vcpu_args_set(vcpus[i], 1, (uint64_t)i);

	for (i = 0; i < NR_VCPUS; i++)
		TEST_ASSERT(!pthread_create(&threads[i], NULL, vcpu_thread,
					    vcpus[i]), "pthread_create");
	for (i = 0; i < NR_VCPUS; i++)
		TEST_ASSERT(!pthread_join(threads[i], NULL), "pthread_join");

	sync_global_from_guest(vm, shared_counter);
	TEST_ASSERT_EQ(shared_counter, (uint64_t)NR_VCPUS * NR_ADDS);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(vcpus_in_threads),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
