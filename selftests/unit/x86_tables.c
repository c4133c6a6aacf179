// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86_tables.c - unit tests of what the library builds in guest memory
 * without a device: the 4-level page tables (user/lib/x86_paging.c),
 * walked back entry by entry, and the descriptor encodings
 * (user/lib/x86_desc.c) against values worked out from the SDM's figures.
 * The VM is a struct on the stack over a buffer standing in for slot 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "minikvm/x86_vm.h"

#define MEM_SIZE	(4UL << 20)
#define ALLOC_START	0x100000ULL

static struct kvm_vm vm;
static struct kvm_mem_region slot0;
static void *mem;

static int fake_vm(void **state)
{
	(void)state;
	mem = aligned_alloc(PAGE_SIZE_4K, MEM_SIZE);
	assert_non_null(mem);
	vm = (struct kvm_vm){ .kvm_fd = -1, .fd = -1 };
	slot0 = (struct kvm_mem_region){
		.region = { .slot = 0, .guest_phys_addr = 0,
			    .memory_size = MEM_SIZE,
			    .userspace_addr = (uintptr_t)mem },
	};
	vm_mem_region_link(&vm, &slot0);
	vm_phy_pages_init(&vm, ALLOC_START, MEM_SIZE);
	virt_pgd_alloc(&vm);
	return 0;
}

static int free_vm(void **state)
{
	(void)state;
	free(mem);
	return 0;
}

/* Returns entry @idx of the table at @gpa. */
static uint64_t entry(uint64_t gpa, unsigned int idx)
{
	return ((uint64_t *)addr_gpa2hva(&vm, gpa))[idx];
}

static void test_map_walks_back(void **state)
{
	uint64_t gva = 0xffff800012345000ULL, gpa = 0x2000;
	uint64_t pml4e, pdpte, pde, pte, got = 0;

	(void)state;
	virt_pg_map(&vm, gva, gpa);
	/* Walk it by hand: indices 256, 0, 0x91, 0x145. */
	pml4e = entry(vm.pgd, 256);
	assert_true(pml4e & PTE_P);
	assert_true(pml4e & PTE_RW);
	pdpte = entry(pml4e & PTE_ADDR_MASK, 0);
	assert_true(pdpte & PTE_P);
	pde = entry(pdpte & PTE_ADDR_MASK, 0x91);
	assert_true(pde & PTE_P);
	assert_false(pde & PTE_PS);
	pte = entry(pde & PTE_ADDR_MASK, 0x145);
	assert_int_equal(pte, gpa | PTE_P | PTE_RW);
	/* Tables come from the allocator, in order, above its start. */
	assert_int_equal(pml4e & PTE_ADDR_MASK, ALLOC_START + 0x1000);
	assert_int_equal(pdpte & PTE_ADDR_MASK, ALLOC_START + 0x2000);
	assert_int_equal(pde & PTE_ADDR_MASK, ALLOC_START + 0x3000);

	assert_true(__addr_gva2gpa(&vm, gva + 0x123, &got));
	assert_int_equal(got, gpa + 0x123);
	assert_ptr_equal(vm_get_pte(&vm, gva), addr_gpa2hva(&vm, (pde & PTE_ADDR_MASK) + 0x145 * 8));
}

static void test_unmapped(void **state)
{
	uint64_t got;

	(void)state;
	virt_pg_map(&vm, 0x400000, 0x400000);
	assert_false(__addr_gva2gpa(&vm, 0x401000, &got));	/* next page */
	assert_false(__addr_gva2gpa(&vm, 0x80000000ULL, &got));
	assert_false(__addr_gva2gpa(&vm, 0x0000800000000000ULL, &got)); /* non-canonical */
	assert_null(vm_get_pte(&vm, 0x401000));
}

static void test_virt_map_range(void **state)
{
	uint64_t i, got;

	(void)state;
	/* 0x3000 bytes from an offset inside a page cover 4 pages. */
	virt_map(&vm, 0x600800, 0x200800, 0x3000);
	for (i = 0; i < 4; i++) {
		assert_true(__addr_gva2gpa(&vm, 0x600000 + i * 0x1000 + 8, &got));
		assert_int_equal(got, 0x200000 + i * 0x1000 + 8);
	}
	assert_false(__addr_gva2gpa(&vm, 0x604000, &got));
	/* Two neighbours share their page table. */
	assert_ptr_equal((char *)vm_get_pte(&vm, 0x601000),
			 (char *)vm_get_pte(&vm, 0x600000) + 8);
}

static void test_large_pages_walk(void **state)
{
	uint64_t pml4e, pdpte, *pd, got;

	(void)state;
	/* Build a 2 MiB page at gva 0x40000000 -> gpa 0x200000 by hand. */
	virt_pg_map(&vm, 0x40000000, 0x1000);		/* creates the tables */
	pml4e = entry(vm.pgd, 0);
	pdpte = entry(pml4e & PTE_ADDR_MASK, 1);
	pd = addr_gpa2hva(&vm, pdpte & PTE_ADDR_MASK);
	pd[0] = 0x200000 | PTE_P | PTE_RW | PTE_PS;
	assert_true(__addr_gva2gpa(&vm, 0x40012345, &got));
	assert_int_equal(got, 0x212345);
	assert_null(vm_get_pte(&vm, 0x40000000));	/* no 4 KiB PTE */
}

static void test_allocator(void **state)
{
	uint64_t a, b;

	(void)state;
	a = vm_phy_pages_alloc(&vm, 2);
	b = vm_phy_pages_alloc(&vm, 1);
	assert_int_equal(b, a + 0x2000);
	assert_int_equal(*(uint64_t *)addr_gpa2hva(&vm, a), 0);
}

/* Flat descriptors as every OS writes them (SDM Vol. 3A, figure 3-8). */
static void test_flat_descriptors(void **state)
{
	struct kvm_segment s;

	(void)state;
	x86_flat_code64(&s);
	assert_int_equal(x86_seg_desc_encode(&s), 0x00af9b000000ffffULL);
	x86_flat_data(&s, GDT_SEL_DATA, true);
	assert_int_equal(x86_seg_desc_encode(&s), 0x00cf93000000ffffULL);
	x86_flat_code32(&s);
	assert_int_equal(x86_seg_desc_encode(&s), 0x00cf9b000000ffffULL);
	x86_flat_code16(&s);
	assert_int_equal(x86_seg_desc_encode(&s), 0x00009b000000ffffULL);
	x86_flat_data(&s, GDT_SEL_DATA16, false);
	assert_int_equal(x86_seg_desc_encode(&s), 0x000093000000ffffULL);
}

static void test_descriptor_roundtrip(void **state)
{
	struct kvm_segment in = {
		.base = 0x12345678, .limit = 0xabcde, .type = 0xa, .s = 1,
		.dpl = 3, .present = 1, .avl = 1, .db = 1,
	}, out = { 0 };
	uint64_t d;

	(void)state;
	d = x86_seg_desc_encode(&in);
	/* base 31:24 | G D L AVL, limit 19:16 | P DPL S type | base 23:0 |
	 * limit 15:0 */
	assert_int_equal(d, 0x125afa345678bcdeULL);
	x86_seg_desc_decode(d, &out);
	assert_int_equal(out.base, in.base);
	assert_int_equal(out.limit, in.limit);
	assert_int_equal(out.type, in.type);
	assert_int_equal(out.dpl, 3);
	assert_true(out.s && out.present && out.avl && out.db);
	assert_false(out.l || out.g);

	/* With G, the limit counts pages: 0xfffff pages read back in bytes. */
	x86_flat_code64(&in);
	x86_seg_desc_decode(x86_seg_desc_encode(&in), &out);
	assert_int_equal(out.limit, 0xffffffff);
	assert_true(out.l && out.g && !out.db);
}

static void test_tss_and_gate(void **state)
{
	struct kvm_segment tss = {
		.base = 0xffff88801234a000ULL, .limit = 0x67, .type = 0x9,
		.present = 1,
	};
	uint64_t d[2];

	(void)state;
	x86_sys_desc64_encode(&tss, d);
	/* base 31:24 = 0x12, P + type 9, base 23:0, limit 0x67 */
	assert_int_equal(d[0], 0x12008934a0000067ULL);
	assert_int_equal(d[1], 0xffff8880);

	x86_idt_gate64_encode(0xffffffff81234567ULL, 0x8, 0, 0, d);
	assert_int_equal(d[0], 0x81238e0000084567ULL);
	assert_int_equal(d[1], 0xffffffff);
	x86_idt_gate64_encode(0x401000, 0x8, 2, 3, d);
	assert_int_equal(d[0], 0x0040ee0200081000ULL);
	assert_int_equal(d[1], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_map_walks_back, fake_vm, free_vm),
		cmocka_unit_test_setup_teardown(test_unmapped, fake_vm, free_vm),
		cmocka_unit_test_setup_teardown(test_virt_map_range, fake_vm, free_vm),
		cmocka_unit_test_setup_teardown(test_large_pages_walk, fake_vm, free_vm),
		cmocka_unit_test_setup_teardown(test_allocator, fake_vm, free_vm),
		cmocka_unit_test(test_flat_descriptors),
		cmocka_unit_test(test_descriptor_roundtrip),
		cmocka_unit_test(test_tss_and_gate),
	};

	return cmocka_run_group_tests_name("x86_tables", tests, NULL, NULL);
}
