// SPDX-License-Identifier: GPL-2.0-only
/*
 * Nested page tables for SVM, in the ordinary x86-64 long-mode format,
 * built on demand as the guest touches memory (APM Vol. 2, "Nested
 * Paging").  All nested accesses count as user accesses, so every entry has
 * U/S set.
 *
 * The nested tables have as many levels as the host's own paging: the walk
 * of nCR3 follows the host's CR4.LA57 (APM Vol. 2, "Nested Paging",
 * "Nested Table Walk" and "5-Level Paging"), so under a kernel running with
 * 5-level paging (pgtable_l5_enabled(), Zen 4 and later) the root is a
 * PML5 whose entry 0 covers every guest physical address below 2^48.
 *
 * Context: process context with the VM's slots_lock held (tables change only
 * on a nested page fault, when a slot goes away, or when dirty logging takes
 * write permission away).  The callers flush the guest TLBs afterwards
 * (mkvm_flush_remote_tlbs()).
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>

#include "minikvm.h"
#include "svm.h"

#define NPT_P		BIT_ULL(0)	/* present */
#define NPT_RW		BIT_ULL(1)	/* writable */
#define NPT_US		BIT_ULL(2)	/* user: required for nested entries */
#define NPT_ADDR	GENMASK_ULL(51, 12)
#define NPT_ENTRIES	512

/* Index of @gpa's entry in a table of @level (1: page table ... 5: PML5). */
static unsigned int npt_index(u64 gpa, int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * (level - 1))) & (NPT_ENTRIES - 1);
}

/*
 * The level-1 entry that maps @gpa, allocating the tables on the way when
 * @alloc; NULL when a table is missing (and !@alloc) or memory ran out.
 */
static u64 *npt_leaf(struct svm_vm *svm_vm, u64 gpa, bool alloc)
{
	u64 *table = svm_vm->npt_root;
	int level;

	for (level = svm_vm->npt_levels; level > 1; level--) {
		u64 *e = &table[npt_index(gpa, level)];

		if (!(*e & NPT_P)) {
			struct page *page;

			if (!alloc)
				return NULL;
			page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
			if (!page)
				return NULL;
			*e = page_to_phys(page) | NPT_P | NPT_RW | NPT_US;
		}
		table = phys_to_virt(*e & NPT_ADDR);
	}
	return &table[npt_index(gpa, 1)];
}

/**
 * svm_npt_map() - mkvm_backend.map_gfn: a guest frame to a host page
 * @vm: the VM
 * @gfn: guest frame
 * @page: the pinned host page
 * @writable: map it writable
 *
 * Return: 0 or -ENOMEM.
 */
int svm_npt_map(struct mkvm_vm *vm, u64 gfn, struct page *page,
		bool writable)
{
	u64 *pte = npt_leaf(vm->be, gfn << PAGE_SHIFT, true);

	if (!pte)
		return -ENOMEM;
	WRITE_ONCE(*pte, page_to_phys(page) | NPT_P | NPT_US |
		   (writable ? NPT_RW : 0));
	return 0;
}

/* mkvm_backend.unmap_range: only pinned frames can be mapped. */
void svm_npt_unmap_range(struct mkvm_vm *vm, u64 gfn, u64 npages)
{
	struct svm_vm *svm_vm = vm->be;
	struct page *page;
	unsigned long i;

	xa_for_each_range(&vm->pinned, i, page, gfn, gfn + npages - 1) {
		u64 *pte = npt_leaf(svm_vm, (u64)i << PAGE_SHIFT, false);

		if (pte)
			WRITE_ONCE(*pte, 0);
	}
}

/* mkvm_backend.protect_range: clear W in the leaves that map the range. */
void svm_npt_protect_range(struct mkvm_vm *vm, u64 gfn, u64 npages)
{
	struct svm_vm *svm_vm = vm->be;
	struct page *page;
	unsigned long i;

	xa_for_each_range(&vm->pinned, i, page, gfn, gfn + npages - 1) {
		u64 *pte = npt_leaf(svm_vm, (u64)i << PAGE_SHIFT, false);

		if (pte && (*pte & NPT_RW))
			WRITE_ONCE(*pte, *pte & ~NPT_RW);
	}
}

static void npt_free_table(u64 *table, int level)
{
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < NPT_ENTRIES; i++)
			if (table[i] & NPT_P)
				npt_free_table(phys_to_virt(table[i] & NPT_ADDR),
					       level - 1);
	}
	free_page((unsigned long)table);
}

int svm_npt_init(struct svm_vm *svm_vm)
{
	svm_vm->npt_levels = pgtable_l5_enabled() ? 5 : 4;
	svm_vm->npt_root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!svm_vm->npt_root)
		return -ENOMEM;
	return 0;
}

void svm_npt_destroy(struct svm_vm *svm_vm)
{
	npt_free_table(svm_vm->npt_root, svm_vm->npt_levels);
}
