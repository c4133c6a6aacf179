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
 * Guest memory is mapped with 4 KiB leaves, or with 2 MiB leaves (PDEs with
 * PS) where kmod/memslot.c pinned a THP or hugetlb page whole.
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
#define NPT_PS		BIT_ULL(7)	/* in a PDE: maps a 2 MiB page */
#define NPT_ADDR	GENMASK_ULL(51, 12)
#define NPT_ENTRIES	512

/* Index of @gpa's entry in a table of @level (1: page table ... 5: PML5). */
static unsigned int npt_index(u64 gpa, int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * (level - 1))) & (NPT_ENTRIES - 1);
}

/*
 * The entry of @level (1: PTE, 2: PDE) on @gpa's walk, allocating the
 * tables on the way when @alloc.  Return: the entry; ERR_PTR(-ENOENT) when
 * a table is missing (and !@alloc), -ENOMEM when memory ran out, -EEXIST
 * when a 2 MiB leaf is where a level-1 walk needs a table.
 */
static u64 *npt_entry(struct svm_vm *svm_vm, u64 gpa, int target,
		      bool alloc)
{
	u64 *table = svm_vm->npt_root;
	int level;

	for (level = svm_vm->npt_levels; level > target; level--) {
		u64 *e = &table[npt_index(gpa, level)];

		if (!(*e & NPT_P)) {
			struct page *page;

			if (!alloc)
				return ERR_PTR(-ENOENT);
			page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
			if (!page)
				return ERR_PTR(-ENOMEM);
			*e = page_to_phys(page) | NPT_P | NPT_RW | NPT_US;
		} else if (*e & NPT_PS) {
			return ERR_PTR(-EEXIST);
		}
		table = phys_to_virt(*e & NPT_ADDR);
	}
	return &table[npt_index(gpa, target)];
}

/**
 * svm_npt_map() - mkvm_backend.map_gfn: a guest frame to a host page
 * @vm: the VM
 * @gfn: guest frame
 * @page: the pinned host page
 * @writable: map it writable
 *
 * Return: 0 or -ENOMEM; -EIO if a 2 MiB leaf covers @gfn (never: a 4 KiB
 * leaf is only made inside a 2 MiB pin while the slot is logged, and
 * logging dropped the 2 MiB leaves).
 */
int svm_npt_map(struct mkvm_vm *vm, u64 gfn, struct page *page,
		bool writable)
{
	u64 *pte = npt_entry(vm->be, gfn << PAGE_SHIFT, 1, true);

	if (WARN_ON_ONCE(pte == ERR_PTR(-EEXIST)))
		return -EIO;
	if (IS_ERR(pte))
		return PTR_ERR(pte);
	if (!(*pte & NPT_P))
		vm->stat.pages_4k++;
	WRITE_ONCE(*pte, page_to_phys(page) | NPT_P | NPT_US |
		   (writable ? NPT_RW : 0));
	return 0;
}

/**
 * svm_npt_map_huge() - mkvm_backend.map_huge: 512 guest frames to a 2 MiB
 * host page with one PDE
 * @vm: the VM
 * @gfn: first guest frame, 2 MiB aligned
 * @page: the first of the pinned host pages, 2 MiB aligned physically
 * @writable: map it writable
 *
 * A PDE with PS set maps a 2 MiB page; its address field holds bits 51:21
 * of the page's physical address (APM Vol. 2, "Long-Mode Page Translation",
 * "2-Mbyte Page Translation"; nested tables use this format, "Nested
 * Paging").  A page table already under the PDE (left by a slot deleted
 * before, or holding 4 KiB leaves of these same pages made while the slot
 * was logged) is replaced, and freed once no CPU can walk it any more.
 *
 * Return: 0 or -ENOMEM.
 */
int svm_npt_map_huge(struct mkvm_vm *vm, u64 gfn, struct page *page,
		     bool writable)
{
	u64 *pde = npt_entry(vm->be, gfn << PAGE_SHIFT, 2, true);
	u64 old, *table;
	unsigned int i;

	if (IS_ERR(pde))
		return PTR_ERR(pde);
	old = *pde;
	WRITE_ONCE(*pde, page_to_phys(page) | NPT_P | NPT_US | NPT_PS |
		   (writable ? NPT_RW : 0));
	if (old & NPT_PS)
		return 0;
	vm->stat.pages_2m++;
	if (!(old & NPT_P))
		return 0;
	table = phys_to_virt(old & NPT_ADDR);
	for (i = 0; i < NPT_ENTRIES; i++)
		if (table[i] & NPT_P)
			vm->stat.pages_4k--;
	mkvm_flush_remote_tlbs(vm);
	free_page((unsigned long)table);
	return 0;
}

/*
 * Drop (@unmap) or write-protect the leaves that map guest-physical
 * [start, end) in @table of @level, which maps from @base; a 2 MiB leaf
 * that overlaps the range is dropped either way.  Only present entries are
 * visited, so the cost follows what is mapped, not the range's size.
 */
static void npt_range(struct mkvm_vm *vm, u64 *table, int level, u64 base,
		      u64 start, u64 end, bool unmap)
{
	u64 size = 1ULL << (PAGE_SHIFT + 9 * (level - 1));
	unsigned int i;

	for (i = npt_index(start, level); i < NPT_ENTRIES; i++) {
		u64 lo = base + i * size, e = table[i];

		if (lo >= end)
			break;
		if (!(e & NPT_P))
			continue;
		if (level == 1) {
			if (unmap) {
				WRITE_ONCE(table[i], 0);
				vm->stat.pages_4k--;
			} else if (e & NPT_RW) {
				WRITE_ONCE(table[i], e & ~NPT_RW);
			}
		} else if (e & NPT_PS) {
			WRITE_ONCE(table[i], 0);
			vm->stat.pages_2m--;
		} else {
			npt_range(vm, phys_to_virt(e & NPT_ADDR), level - 1, lo,
				  max(start, lo), end, unmap);
		}
	}
}

/* mkvm_backend.unmap_range: no leaf maps the range any more. */
void svm_npt_unmap_range(struct mkvm_vm *vm, u64 gfn, u64 npages)
{
	struct svm_vm *svm_vm = vm->be;

	npt_range(vm, svm_vm->npt_root, svm_vm->npt_levels, 0,
		  gfn << PAGE_SHIFT, (gfn + npages) << PAGE_SHIFT, true);
}

/*
 * mkvm_backend.protect_range: clear W in the 4 KiB leaves that map the
 * range, drop the 2 MiB ones.
 */
void svm_npt_protect_range(struct mkvm_vm *vm, u64 gfn, u64 npages)
{
	struct svm_vm *svm_vm = vm->be;

	npt_range(vm, svm_vm->npt_root, svm_vm->npt_levels, 0,
		  gfn << PAGE_SHIFT, (gfn + npages) << PAGE_SHIFT, false);
}

static void npt_free_table(u64 *table, int level)
{
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < NPT_ENTRIES; i++)
			if ((table[i] & NPT_P) && !(table[i] & NPT_PS))
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
