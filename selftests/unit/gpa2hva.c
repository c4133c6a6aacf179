// SPDX-License-Identifier: GPL-2.0-only
/*
 * gpa2hva.c - unit tests of guest-physical to host-virtual translation over
 * several memory regions (user/lib/kvm_vm.c).  The VM and its regions are
 * built by hand: no device, no ioctl.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "minikvm/kvm_util.h"

static char backing_a[0x3000], backing_b[0x1000], backing_smm[0x1000];

static struct kvm_mem_region region_a = {
	.region = { .slot = 0, .guest_phys_addr = 0x0,
		    .memory_size = sizeof(backing_a),
		    .userspace_addr = (uintptr_t)backing_a },
};
static struct kvm_mem_region region_b = {
	.region = { .slot = 1, .guest_phys_addr = 0x100000,
		    .memory_size = sizeof(backing_b),
		    .userspace_addr = (uintptr_t)backing_b },
};
/* Same guest-physical range as region_a, but in address space 1 (SMM). */
static struct kvm_mem_region region_smm = {
	.region = { .slot = (1 << 16) | 0, .guest_phys_addr = 0x0,
		    .memory_size = sizeof(backing_smm),
		    .userspace_addr = (uintptr_t)backing_smm },
};

static struct kvm_vm vm;

static int build_vm(void **state)
{
	(void)state;
	vm = (struct kvm_vm){ .kvm_fd = -1, .fd = -1 };
	region_a.next = region_b.next = region_smm.next = NULL;
	vm_mem_region_link(&vm, &region_smm);
	vm_mem_region_link(&vm, &region_a);
	vm_mem_region_link(&vm, &region_b);
	return 0;
}

static void test_inside(void **state)
{
	(void)state;
	assert_ptr_equal(addr_gpa2hva(&vm, 0x0), backing_a);
	assert_ptr_equal(addr_gpa2hva(&vm, 0x1234), backing_a + 0x1234);
	assert_ptr_equal(addr_gpa2hva(&vm, 0x2fff), backing_a + 0x2fff);
	assert_ptr_equal(addr_gpa2hva(&vm, 0x100000), backing_b);
	assert_ptr_equal(addr_gpa2hva(&vm, 0x100fff), backing_b + 0xfff);
}

static void test_outside(void **state)
{
	(void)state;
	assert_null(__addr_gpa2hva(&vm, 0x3000));	/* one past region_a */
	assert_null(__addr_gpa2hva(&vm, 0xfffff));	/* just below region_b */
	assert_null(__addr_gpa2hva(&vm, 0x101000));	/* one past region_b */
	assert_null(__addr_gpa2hva(&vm, ~0ULL));
}

/* Address space 1 never answers for address space 0. */
static void test_other_address_space_ignored(void **state)
{
	(void)state;
	assert_ptr_not_equal(__addr_gpa2hva(&vm, 0x0), backing_smm);
}

/* Huge regions near the top of the guest-physical space do not wrap. */
static void test_no_wrap(void **state)
{
	struct kvm_mem_region top = {
		.region = { .slot = 2, .guest_phys_addr = 0xfffffffffffff000ULL,
			    .memory_size = 0x1000,
			    .userspace_addr = (uintptr_t)backing_b },
	};

	(void)state;
	vm_mem_region_link(&vm, &top);
	assert_ptr_equal(__addr_gpa2hva(&vm, 0xffffffffffffffffULL), backing_b + 0xfff);
	assert_ptr_equal(__addr_gpa2hva(&vm, 0x10), backing_a + 0x10);
	vm.regions = top.next;
}

static void test_memslot_find(void **state)
{
	(void)state;
	assert_ptr_equal(memslot_find(&vm, 0), &region_a);
	assert_ptr_equal(memslot_find(&vm, 1), &region_b);
	assert_ptr_equal(memslot_find(&vm, (1 << 16) | 0), &region_smm);
	assert_null(memslot_find(&vm, 2));
}

static void test_empty_vm(void **state)
{
	struct kvm_vm empty = { .kvm_fd = -1, .fd = -1 };

	(void)state;
	assert_null(__addr_gpa2hva(&empty, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_inside, build_vm),
		cmocka_unit_test_setup(test_outside, build_vm),
		cmocka_unit_test_setup(test_other_address_space_ignored, build_vm),
		cmocka_unit_test_setup(test_no_wrap, build_vm),
		cmocka_unit_test_setup(test_memslot_find, build_vm),
		cmocka_unit_test(test_empty_vm),
	};

	return cmocka_run_group_tests_name("gpa2hva", tests, NULL, NULL);
}
