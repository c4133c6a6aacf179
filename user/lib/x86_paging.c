// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86_paging.c - guest-physical pages and the guest's 4-level page tables
 * (see x86_vm.h).
 *
 * The tables live in guest memory and are written through addr_gpa2hva(),
 * so they are exactly what the vCPU walks (SDM Vol. 3A, 4.5 "4-Level
 * Paging and 5-Level Paging"; APM Vol. 2, 5.3 "Long-Mode Page
 * Translation").  Pages come from a bump allocator: tests are short-lived
 * and free nothing.
 */
#include <string.h>

#include "minikvm/x86_vm.h"

#define PT_LEVELS	4
#define PT_ENTRIES	512

void vm_phy_pages_init(struct kvm_vm *vm, uint64_t start, uint64_t end)
{
	vm->phys_next = (start + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
	vm->phys_end = end;
}

uint64_t vm_phy_pages_alloc(struct kvm_vm *vm, unsigned int n)
{
	uint64_t gpa = vm->phys_next;
	uint64_t size = (uint64_t)n * PAGE_SIZE_4K;

	TEST_ASSERT(n && gpa && size <= vm->phys_end - gpa,
		    "out of guest pages: %u wanted at 0x%llx, end 0x%llx", n,
		    (unsigned long long)gpa, (unsigned long long)vm->phys_end);
	vm->phys_next += size;
	memset(addr_gpa2hva(vm, gpa), 0, size);
	return gpa;
}

void virt_pgd_alloc(struct kvm_vm *vm)
{
	if (!vm->pgd)
		vm->pgd = vm_phy_pages_alloc(vm, 1);
}

/* Index of @gva in the table of @level (4 = PML4 ... 1 = PT). */
static unsigned int pt_index(uint64_t gva, int level)
{
	return (gva >> (12 + 9 * (level - 1))) & (PT_ENTRIES - 1);
}

/* Returns true if @gva is canonical for 48-bit linear addresses. */
static bool canonical48(uint64_t gva)
{
	return ((int64_t)(gva << 16) >> 16) == (int64_t)gva;
}

void virt_pg_map_flags(struct kvm_vm *vm, uint64_t gva, uint64_t gpa,
		       uint64_t flags)
{
	uint64_t table = vm->pgd;
	uint64_t *pte;
	int level;

	TEST_ASSERT(table, "virt_pgd_alloc() first");
	TEST_ASSERT(!(gva & 0xfff) && !(gpa & 0xfff) && canonical48(gva) &&
		    !(gpa & ~PTE_ADDR_MASK),
		    "cannot map gva 0x%llx to gpa 0x%llx",
		    (unsigned long long)gva, (unsigned long long)gpa);
	for (level = PT_LEVELS; level > 1; level--) {
		pte = (uint64_t *)addr_gpa2hva(vm, table) + pt_index(gva, level);
		if (!(*pte & PTE_P))
			*pte = vm_phy_pages_alloc(vm, 1) | PTE_P | PTE_RW;
		TEST_ASSERT(!(*pte & PTE_PS),
			    "gva 0x%llx is inside a large page",
			    (unsigned long long)gva);
		table = *pte & PTE_ADDR_MASK;
	}
	pte = (uint64_t *)addr_gpa2hva(vm, table) + pt_index(gva, 1);
	*pte = gpa | flags | PTE_P;
}

void virt_pg_map(struct kvm_vm *vm, uint64_t gva, uint64_t gpa)
{
	virt_pg_map_flags(vm, gva, gpa, PTE_RW);
}

void virt_map(struct kvm_vm *vm, uint64_t gva, uint64_t gpa, uint64_t size)
{
	uint64_t off = gva & 0xfff;
	uint64_t n, i;

	TEST_ASSERT((gpa & 0xfff) == off, "gva 0x%llx and gpa 0x%llx differ "
		    "within their page", (unsigned long long)gva,
		    (unsigned long long)gpa);
	n = (size + off + PAGE_SIZE_4K - 1) / PAGE_SIZE_4K;
	for (i = 0; i < n; i++)
		virt_pg_map(vm, (gva - off) + i * PAGE_SIZE_4K,
			    (gpa - off) + i * PAGE_SIZE_4K);
}

/*
 * Walks to @gva; returns the entry that maps it and its level (1 for a
 * 4 KiB page, 2 or 3 for a large page) in *@level, or NULL.
 */
static uint64_t *walk(const struct kvm_vm *vm, uint64_t gva, int *level)
{
	uint64_t table = vm->pgd;
	uint64_t *pte;
	int l;

	if (!table || !canonical48(gva))
		return NULL;
	for (l = PT_LEVELS; l >= 1; l--) {
		pte = __addr_gpa2hva(vm, table);
		if (!pte)
			return NULL;
		pte += pt_index(gva, l);
		if (!(*pte & PTE_P))
			return NULL;
		if (l == 1 || ((*pte & PTE_PS) && l <= 3)) {
			*level = l;
			return pte;
		}
		table = *pte & PTE_ADDR_MASK;
	}
	return NULL;
}

bool __addr_gva2gpa(const struct kvm_vm *vm, uint64_t gva, uint64_t *gpa)
{
	uint64_t *pte, mask;
	int level;

	pte = walk(vm, gva, &level);
	if (!pte)
		return false;
	mask = (1ULL << (12 + 9 * (level - 1))) - 1;
	*gpa = ((*pte & PTE_ADDR_MASK) & ~mask) | (gva & mask);
	return true;
}

uint64_t addr_gva2gpa(const struct kvm_vm *vm, uint64_t gva)
{
	uint64_t gpa = 0;

	TEST_ASSERT(__addr_gva2gpa(vm, gva, &gpa), "gva 0x%llx is not mapped",
		    (unsigned long long)gva);
	return gpa;
}

void *addr_gva2hva(const struct kvm_vm *vm, uint64_t gva)
{
	return addr_gpa2hva(vm, addr_gva2gpa(vm, gva));
}

uint64_t *vm_get_pte(const struct kvm_vm *vm, uint64_t gva)
{
	int level;
	uint64_t *pte = walk(vm, gva, &level);

	return pte && level == 1 ? pte : NULL;
}
