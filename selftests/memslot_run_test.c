// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_run_test - memory slots changed between two KVM_RUNs take
 * effect on the next guest access (virt/kvm/kvm_main.c
 * __kvm_set_memory_region(): the old translation is zapped and flushed):
 *
 *	slot 1 at G1:	reads and writes reach the slot's memory;
 *	moved to G2:	the guest's page still points at G1, which no slot
 *			backs: the write and the read exit as MMIO at G1;
 *	page -> G2:	the guest reaches the moved slot, contents kept;
 *	deleted:	MMIO at G2;
 *	read-only at G2: reads see its memory, writes exit as MMIO and leave
 *			it unchanged.
 *
 * The guest loops: read the page, GUEST_SYNC(value), write value + 1, with
 * an INVLPG before each access since the host rewrites its PTE.
 */
#include <string.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define DATA_GVA	0x10000000ULL	/* where the guest looks */
#define G1		0x3000000ULL
#define G2		0x3400000ULL
#define DATA_SLOT	1

static void invlpg(volatile void *p)
{
	asm volatile("invlpg (%0)" : : "r"(p) : "memory");
}

static void guest_rw_loop(void)
{
	volatile uint64_t *p = (volatile uint64_t *)DATA_GVA;
	uint64_t v;

	for (;;) {
		invlpg(p);
		v = *p;
		GUEST_SYNC(v);
		invlpg(p);
		*p = v + 1;
	}
}

/* Runs to the next exit, which must be an MMIO access at @gpa of 8 bytes;
 * serves a read with @data, checks a write against @data. */
static void expect_mmio(struct kvm_vcpu *vcpu, uint64_t gpa, bool write,
			uint64_t data)
{
	struct kvm_run *run = vcpu->run;
	uint64_t got;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MMIO);
	TEST_ASSERT_EQ(run->mmio.phys_addr, gpa);
	TEST_ASSERT_EQ(run->mmio.len, 8);
	TEST_ASSERT_EQ(run->mmio.is_write, write);
	if (write) {
		memcpy(&got, run->mmio.data, 8);
		TEST_ASSERT_EQ(got, data);
	} else {
		memcpy(run->mmio.data, &data, 8);
	}
}

static void slot_changes_between_runs(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_rw_loop);
	struct kvm_mem_region *r;
	uint64_t *mem;

	r = vm_userspace_mem_region_add(vm, DATA_SLOT, 0, G1, PAGE_SIZE_4K);
	mem = r->host_mem;
	*mem = 100;
	virt_pg_map(vm, DATA_GVA, G1);

	/* In place: the guest reads 100, writes 101, reads it back. */
	vcpu_run_expect_sync(vcpu, 100);
	vcpu_run_expect_sync(vcpu, 101);
	TEST_ASSERT_EQ(*mem, 101);

	/* Moved away: G1 is unbacked. */
	vm_mem_region_move(vm, DATA_SLOT, G2);
	expect_mmio(vcpu, G1, true, 102);
	expect_mmio(vcpu, G1, false, 200);
	vcpu_run_expect_sync(vcpu, 200);
	TEST_ASSERT_EQ(*mem, 101);

	/* The guest follows the slot: same memory, at G2. */
	*vm_get_pte(vm, DATA_GVA) = G2 | PTE_P | PTE_RW;
	vcpu_run_expect_sync(vcpu, 201);
	TEST_ASSERT_EQ(*mem, 201);

	/* Deleted. */
	vm_mem_region_delete(vm, DATA_SLOT);
	expect_mmio(vcpu, G2, true, 202);
	expect_mmio(vcpu, G2, false, 300);
	vcpu_run_expect_sync(vcpu, 300);

	/* A read-only slot in its place. */
	TEST_REQUIRE(vm_check_cap(vm, KVM_CAP_READONLY_MEM));
	r = vm_userspace_mem_region_add(vm, DATA_SLOT, KVM_MEM_READONLY, G2,
					PAGE_SIZE_4K);
	mem = r->host_mem;
	*mem = 400;
	expect_mmio(vcpu, G2, true, 301);
	vcpu_run_expect_sync(vcpu, 400);
	expect_mmio(vcpu, G2, true, 401);
	vcpu_run_expect_sync(vcpu, 400);
	TEST_ASSERT_EQ(*mem, 400);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(slot_changes_between_runs),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
