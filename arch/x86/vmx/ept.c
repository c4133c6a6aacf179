// SPDX-License-Identifier: GPL-2.0-only
/*
 * Extended page tables: four levels, write-back, built on demand as the
 * guest touches memory, with 4 KiB leaves or 2 MiB ones (PDEs with bit 7)
 * where kmod/memslot.c pinned a THP or hugetlb page whole, exactly as npt.c
 * does for SVM (Intel SDM Vol. 3C,
 * "The Extended Page Table Mechanism (EPT)": "EPT Translation Mechanism",
 * "EPT-Induced VM Exits"; "Invalidating Cached Translation Information").
 * A frame outside every slot stays unmapped: the guest's access is an EPT
 * violation that vmx_exit.c turns into MMIO.
 *
 * Context: process context with the VM's slots_lock held (tables change
 * only on an EPT violation or when a slot goes away); INVEPT/INVVPID with
 * preemption off, VMX operation on.
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <asm/asm.h>

#include "minikvm.h"
#include "vmx.h"

#define EPT_R		BIT_ULL(0)	/* read */
#define EPT_W		BIT_ULL(1)	/* write */
#define EPT_X		BIT_ULL(2)	/* execute */
#define EPT_RWX		(EPT_R | EPT_W | EPT_X)
#define EPT_MT_WB	(6ULL << 3)	/* leaf memory type: write-back */
#define EPT_LARGE	BIT_ULL(7)	/* in a PDE: maps a 2 MiB page */
#define EPT_ADDR	GENMASK_ULL(51, 12)
#define EPT_LEVELS	4
#define EPT_ENTRIES	512

/* EPTP: WB paging structures, page-walk length 4 - 1 (Vol. 3C, "EPTP"). */
#define EPTP_WB		6ULL
#define EPTP_WALK_4	(3ULL << 3)

/* INVEPT / INVVPID types (Vol. 3C, "INVEPT", "INVVPID"). */
#define INVEPT_SINGLE	1
#define INVEPT_ALL	2
#define INVVPID_SINGLE	1
#define INVVPID_ALL	2

/* Index of @gpa's entry in a table of @level (1: page table ... 4: PML4). */
static unsigned int ept_index(u64 gpa, int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * (level - 1))) & (EPT_ENTRIES - 1);
}

/*
 * The entry of @level (1: PTE, 2: PDE) on @gpa's walk, allocating the
 * tables on the way when @alloc.  A non-leaf entry allows everything; the
 * leaf decides.  Return: the entry; ERR_PTR(-ENOENT) when a table is
 * missing (and !@alloc), -ENOMEM when memory ran out, -EEXIST when a 2 MiB
 * leaf is where a level-1 walk needs a table.
 */
static u64 *ept_entry(struct vmx_vm *vmx_vm, u64 gpa, int target, bool alloc)
{
	u64 *table = vmx_vm->ept_root;
	int level;

	for (level = EPT_LEVELS; level > target; level--) {
		u64 *e = &table[ept_index(gpa, level)];

		if (!(*e & EPT_RWX)) {
			struct page *page;

			if (!alloc)
				return ERR_PTR(-ENOENT);
			page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
			if (!page)
				return ERR_PTR(-ENOMEM);
			*e = page_to_phys(page) | EPT_RWX;
		} else if (*e & EPT_LARGE) {
			return ERR_PTR(-EEXIST);
		}
		table = phys_to_virt(*e & EPT_ADDR);
	}
	return &table[ept_index(gpa, target)];
}

/**
 * vmx_ept_map() - mkvm_backend.map_gfn: a guest frame to a host page
 * @vm: the VM
 * @gfn: guest frame
 * @page: the pinned host page
 * @writable: map it writable
 *
 * Write-back with the guest's PAT honoured (ignore-PAT clear), as the
 * memory is ordinary host RAM.  Return: 0 or -ENOMEM; -EIO if a 2 MiB
 * leaf covers @gfn (never: a 4 KiB leaf is only made inside a 2 MiB pin
 * while the slot is logged, and logging dropped the 2 MiB leaves).
 */
int vmx_ept_map(struct mkvm_vm *vm, u64 gfn, struct page *page,
		bool writable)
{
	u64 *pte = ept_entry(vm->be, gfn << PAGE_SHIFT, 1, true);

	if (WARN_ON_ONCE(pte == ERR_PTR(-EEXIST)))
		return -EIO;
	if (IS_ERR(pte))
		return PTR_ERR(pte);
	if (!(*pte & EPT_RWX))
		vm->stat.pages_4k++;
	WRITE_ONCE(*pte, page_to_phys(page) | EPT_R | EPT_X | EPT_MT_WB |
		   (writable ? EPT_W : 0));
	return 0;
}

/*
 * Drop (@unmap) or write-protect the leaves that map guest-physical
 * [start, end) in @table of @level, which maps from @base; a 2 MiB leaf
 * that overlaps the range is dropped either way.  Only present entries are
 * visited, so the cost follows what is mapped, not the range's size.
 */
static void ept_range(struct mkvm_vm *vm, u64 *table, int level, u64 base,
		      u64 start, u64 end, bool unmap)
{
	u64 size = 1ULL << (PAGE_SHIFT + 9 * (level - 1));
	unsigned int i;

	for (i = ept_index(start, level); i < EPT_ENTRIES; i++) {
		u64 lo = base + i * size, e = table[i];

		if (lo >= end)
			break;
		if (!(e & EPT_RWX))
			continue;
		if (level == 1) {
			if (unmap) {
				WRITE_ONCE(table[i], 0);
				vm->stat.pages_4k--;
			} else if (e & EPT_W) {
				WRITE_ONCE(table[i], e & ~EPT_W);
			}
		} else if (e & EPT_LARGE) {
			WRITE_ONCE(table[i], 0);
			vm->stat.pages_2m--;
		} else {
			ept_range(vm, phys_to_virt(e & EPT_ADDR), level - 1, lo,
				  max(start, lo), end, unmap);
		}
	}
}

/*
 * INVEPT/INVVPID take a 128-bit descriptor in memory; VMfail (CF/ZF) or a
 * fault is an error.
 */
static int vmx_inv(bool ept, unsigned long type, const u64 desc[2])
{
	if (ept)
		asm goto("1: invept %[desc], %[type]\n\t"
			 "jna %l[fail]\n\t"
			 _ASM_EXTABLE(1b, (%l[fail]))
			 : : [desc] "m" (*(const u64 (*)[2])desc),
			 [type] "r" (type) : "cc", "memory" : fail);
	else
		asm goto("1: invvpid %[desc], %[type]\n\t"
			 "jna %l[fail]\n\t"
			 _ASM_EXTABLE(1b, (%l[fail]))
			 : : [desc] "m" (*(const u64 (*)[2])desc),
			 [type] "r" (type) : "cc", "memory" : fail);
	return 0;
fail:
	pr_err_ratelimited("minikvm: vmx: %s type %lu failed on CPU %d\n",
			   ept ? "INVEPT" : "INVVPID", type,
			   raw_smp_processor_id());
	return -EIO;
}

/**
 * vmx_invept() - drop this CPU's guest-physical and combined mappings of
 * an EPT (single-context where supported, else all contexts)
 * @eptp: the EPT pointer
 *
 * Context: preemption off, VMX operation on.  Return: 0 or -EIO.
 */
int vmx_invept(u64 eptp)
{
	u64 desc[2] = { eptp, 0 };

	return vmx_inv(true, vmx_cfg.invept_single ? INVEPT_SINGLE :
		       INVEPT_ALL, desc);
}

/**
 * vmx_invvpid() - drop this CPU's linear mappings tagged with @vpid
 * @vpid: a VPID other than 0
 *
 * Context: preemption off, VMX operation on.  Return: 0 or -EIO.
 */
int vmx_invvpid(u16 vpid)
{
	u64 desc[2] = { vpid, 0 };

	return vmx_inv(false, vmx_cfg.invvpid_single ? INVVPID_SINGLE :
		       INVVPID_ALL, desc);
}

/**
 * vmx_ept_map_huge() - mkvm_backend.map_huge: 512 guest frames to a 2 MiB
 * host page with one PDE
 * @vm: the VM
 * @gfn: first guest frame, 2 MiB aligned
 * @page: the first of the pinned host pages, 2 MiB aligned physically
 * @writable: map it writable
 *
 * An EPT PDE with bit 7 set maps a 2-MByte page, its bits 51:21 the page's
 * physical address, memory type and permissions as in a 4 KiB leaf (Intel
 * SDM Vol. 3C, "EPT Translation Mechanism", "Format of an EPT
 * Page-Directory Entry (PDE) that Maps a 2-MByte Page").  A page table
 * already under the PDE (left by a slot deleted before, or holding 4 KiB
 * leaves of these same pages made while the slot was logged) is replaced,
 * and freed once no CPU can walk it any more.  Where the CPU has no 2-MByte
 * EPT pages (IA32_VMX_EPT_VPID_CAP bit 16 clear, SDM Vol. 3D, Appendix
 * A.10 "VPID and EPT Capabilities"; bit 7 set would be an EPT
 * misconfiguration), the 512 frames get 4 KiB leaves instead.
 *
 * Return: 0 or -ENOMEM.
 */
int vmx_ept_map_huge(struct mkvm_vm *vm, u64 gfn, struct page *page,
		     bool writable)
{
	struct vmx_vm *vmx_vm = vm->be;
	u64 *pde, old, *table;
	unsigned int i;
	int r;

	if (!vmx_cfg.ept_2m) {
		for (i = 0; i < EPT_ENTRIES; i++) {
			r = vmx_ept_map(vm, gfn + i, nth_page(page, i),
					writable);
			if (r)
				return r;
		}
		return 0;
	}
	pde = ept_entry(vmx_vm, gfn << PAGE_SHIFT, 2, true);
	if (IS_ERR(pde))
		return PTR_ERR(pde);
	old = *pde;
	WRITE_ONCE(*pde, page_to_phys(page) | EPT_R | EPT_X | EPT_MT_WB |
		   EPT_LARGE | (writable ? EPT_W : 0));
	if (old & EPT_LARGE)
		return 0;
	vm->stat.pages_2m++;
	if (!(old & EPT_RWX))
		return 0;
	table = phys_to_virt(old & EPT_ADDR);
	for (i = 0; i < EPT_ENTRIES; i++)
		if (table[i] & EPT_RWX)
			vm->stat.pages_4k--;
	preempt_disable();
	vmx_invept(vmx_vm->eptp);
	preempt_enable();
	mkvm_flush_remote_tlbs(vm);
	free_page((unsigned long)table);
	return 0;
}

/*
 * mkvm_backend.unmap_range: no leaf maps the range any more.  This CPU's
 * cached translations go now; the caller makes the other CPUs drop theirs
 * (mkvm_flush_remote_tlbs()).
 */
void vmx_ept_unmap_range(struct mkvm_vm *vm, u64 gfn, u64 npages)
{
	struct vmx_vm *vmx_vm = vm->be;

	ept_range(vm, vmx_vm->ept_root, EPT_LEVELS, 0, gfn << PAGE_SHIFT,
		  (gfn + npages) << PAGE_SHIFT, true);
	preempt_disable();
	vmx_invept(vmx_vm->eptp);
	preempt_enable();
}

/*
 * mkvm_backend.protect_range: clear W in the 4 KiB leaves that map the
 * range, drop the 2 MiB ones; the caller flushes every CPU's cached
 * translations (mkvm_flush_remote_tlbs()).
 */
void vmx_ept_protect_range(struct mkvm_vm *vm, u64 gfn, u64 npages)
{
	struct vmx_vm *vmx_vm = vm->be;

	ept_range(vm, vmx_vm->ept_root, EPT_LEVELS, 0, gfn << PAGE_SHIFT,
		  (gfn + npages) << PAGE_SHIFT, false);
}

static void ept_free_table(u64 *table, int level)
{
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < EPT_ENTRIES; i++)
			if ((table[i] & EPT_RWX) && !(table[i] & EPT_LARGE))
				ept_free_table(phys_to_virt(table[i] & EPT_ADDR),
					       level - 1);
	}
	free_page((unsigned long)table);
}

int vmx_ept_init(struct vmx_vm *vmx_vm)
{
	vmx_vm->ept_root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vmx_vm->ept_root)
		return -ENOMEM;
	vmx_vm->eptp = virt_to_phys(vmx_vm->ept_root) | EPTP_WALK_4 | EPTP_WB;
	return 0;
}

void vmx_ept_destroy(struct vmx_vm *vmx_vm)
{
	ept_free_table(vmx_vm->ept_root, EPT_LEVELS);
}
