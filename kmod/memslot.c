// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest-physical memory slots: KVM_SET_USER_MEMORY_REGION creates, moves,
 * re-flags and deletes them, with the checks KVM makes and in KVM's order,
 * so a bad request fails with the same errno on both.
 *
 * Context: process context; updates are serialised by mkvm_vm.slots_lock.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "minikvm.h"

/* Flags minikvm accepts: KVM's on x86. */
#define MKVM_MEM_FLAGS_VALID	(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)

static bool mkvm_slot_overlaps(struct mkvm_vm *vm, u32 id, u64 start,
			       u64 end)
{
	struct mkvm_memslot *slot;
	unsigned long i;

	xa_for_each(&vm->slots, i, slot) {
		if (slot->id == id)
			continue;
		if (start < slot->base_gfn + slot->npages &&
		    slot->base_gfn < end)
			return true;
	}
	return false;
}

/*
 * Where a new or moved slot may go: no overlap with another slot (-EEXIST),
 * then no frame beyond what nested paging can map (-EINVAL), in KVM's order.
 */
static int mkvm_slot_check_place(struct mkvm_vm *vm, u32 id, u64 gfn,
				 u64 npages)
{
	if (mkvm_slot_overlaps(vm, id, gfn, gfn + npages))
		return -EEXIST;
	if (gfn + npages - 1 > mkvm_x86_max_gfn())
		return -EINVAL;
	return 0;
}

/* The request's own checks, before any slot is looked at. */
static int mkvm_check_region(const struct kvm_userspace_memory_region *mem)
{
	u64 size = mem->memory_size;

	if ((u16)mem->slot >= MKVM_USER_MEM_SLOTS)
		return -EINVAL;
	if (mem->flags & ~MKVM_MEM_FLAGS_VALID)
		return -EINVAL;
	if (!PAGE_ALIGNED(size) || !PAGE_ALIGNED(mem->guest_phys_addr))
		return -EINVAL;
	/* The slot is read later with user accessors: it must be user memory. */
	if (!PAGE_ALIGNED(mem->userspace_addr) ||
	    mem->userspace_addr != untagged_addr(mem->userspace_addr) ||
	    !access_ok((void __user *)(unsigned long)mem->userspace_addr, size))
		return -EINVAL;
	if ((mem->slot >> 16) >= MKVM_ADDRESS_SPACES)
		return -EINVAL;
	if (mem->guest_phys_addr + size < mem->guest_phys_addr)
		return -EINVAL;
	if ((size >> PAGE_SHIFT) > MKVM_MEM_MAX_NR_PAGES)
		return -EINVAL;
	return 0;
}

/**
 * mkvm_any_pinned() - whether a frame of a range is pinned (and so maybe
 * mapped), alone or in a 2 MiB pin
 * @vm: the VM, slots_lock held
 * @gfn: first guest frame
 * @last: last guest frame
 */
bool mkvm_any_pinned(struct mkvm_vm *vm, u64 gfn, u64 last)
{
	unsigned long i = gfn;

	if (xa_find(&vm->pinned, &i, last, XA_PRESENT))
		return true;
	i = gfn >> MKVM_HUGE_SHIFT;
	return xa_find(&vm->huge, &i, last >> MKVM_HUGE_SHIFT, XA_PRESENT);
}

/*
 * Forget the guest frames [gfn, gfn + npages): the backend drops its
 * mappings, then every vCPU in guest mode is kicked out and every vCPU
 * flushes its guest TLB before its next entry (mkvm_flush_remote_tlbs()),
 * and only then are the pages unpinned, marked dirty if writable: no CPU
 * can reach them any more.  A 2 MiB pin lies wholly inside its slot, and
 * the range is always whole slots, so it goes whole, in one call.
 */
static void mkvm_unpin_range(struct mkvm_vm *vm, u64 gfn, u64 npages)
{
	u64 last = gfn + npages - 1;
	unsigned long i;
	struct page *page;

	if (!mkvm_any_pinned(vm, gfn, last))
		return;	/* nothing pinned: nothing mapped */
	mkvm_be->unmap_range(vm, gfn, npages);
	mkvm_flush_remote_tlbs(vm);
	xa_for_each_range(&vm->pinned, i, page, gfn, last) {
		bool dirty = xa_get_mark(&vm->pinned, i, MKVM_PIN_WRITABLE);

		xa_erase(&vm->pinned, i);
		unpin_user_pages_dirty_lock(&page, 1, dirty);
		vm->stat.pages_pinned--;
	}
	xa_for_each_range(&vm->huge, i, page, gfn >> MKVM_HUGE_SHIFT,
			  last >> MKVM_HUGE_SHIFT) {
		bool dirty = xa_get_mark(&vm->huge, i, MKVM_PIN_WRITABLE);

		xa_erase(&vm->huge, i);
		unpin_user_page_range_dirty_lock(page, MKVM_HUGE_PAGES, dirty);
		vm->stat.pages_pinned -= MKVM_HUGE_PAGES;
	}
}

static int mkvm_slot_delete(struct mkvm_vm *vm, struct mkvm_memslot *old)
{
	if (!old)
		return -EINVAL;
	mkvm_unpin_range(vm, old->base_gfn, old->npages);
	mkvm_dirty_log_disable(old);
	xa_erase(&vm->slots, old->id);
	if (vm->last_slot == old)
		vm->last_slot = NULL;
	vm->nr_slot_pages -= old->npages;
	kfree(old);
	return 0;
}

static int mkvm_slot_create(struct mkvm_vm *vm,
			    const struct kvm_userspace_memory_region *mem)
{
	struct mkvm_memslot *slot;
	u64 npages = mem->memory_size >> PAGE_SHIFT;
	u64 gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	int r;

	r = mkvm_slot_check_place(vm, (u16)mem->slot, gfn, npages);
	if (r)
		return r;

	slot = kzalloc(sizeof(*slot), GFP_KERNEL_ACCOUNT);
	if (!slot)
		return -ENOMEM;
	slot->id = (u16)mem->slot;
	slot->flags = mem->flags;
	slot->base_gfn = gfn;
	slot->npages = npages;
	slot->userspace_addr = mem->userspace_addr;
	if (slot->flags & KVM_MEM_LOG_DIRTY_PAGES) {
		r = mkvm_dirty_log_enable(vm, slot);
		if (r) {
			kfree(slot);
			return r;
		}
	}

	r = xa_err(xa_store(&vm->slots, slot->id, slot, GFP_KERNEL_ACCOUNT));
	if (r) {
		mkvm_dirty_log_disable(slot);
		kfree(slot);
		return r;
	}
	vm->nr_slot_pages += npages;
	return 0;
}

/*
 * An existing slot may move or change flags, but keeps its size, its host
 * address and its read-only-ness: KVM_MEM_LOG_DIRTY_PAGES is the flag that
 * may change.  A moved slot keeps its dirty bits, as in KVM.
 */
static int mkvm_slot_modify(struct mkvm_vm *vm, struct mkvm_memslot *old,
			    const struct kvm_userspace_memory_region *mem)
{
	u64 npages = mem->memory_size >> PAGE_SHIFT;
	u64 gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	int r;

	if (mem->userspace_addr != old->userspace_addr ||
	    npages != old->npages ||
	    ((mem->flags ^ old->flags) & KVM_MEM_READONLY))
		return -EINVAL;

	if (gfn != old->base_gfn) {
		r = mkvm_slot_check_place(vm, old->id, gfn, npages);
		if (r)
			return r;
	}
	if ((mem->flags ^ old->flags) & KVM_MEM_LOG_DIRTY_PAGES) {
		if (mem->flags & KVM_MEM_LOG_DIRTY_PAGES) {
			r = mkvm_dirty_log_enable(vm, old);
			if (r)
				return r;
		} else {
			mkvm_dirty_log_disable(old);
		}
	}
	if (gfn != old->base_gfn) {
		mkvm_unpin_range(vm, old->base_gfn, old->npages);
		old->base_gfn = gfn;
	}
	old->flags = mem->flags;
	return 0;
}

/**
 * mkvm_set_memory_region() - KVM_SET_USER_MEMORY_REGION
 * @vm: the VM
 * @mem: the request, already copied from userspace
 *
 * A size of 0 deletes the slot.  Unmapped (but user) host addresses are
 * accepted, as KVM accepts them: they fail when the guest touches them.
 *
 * Return: 0, -EINVAL for a malformed request or an illegal change, -EEXIST
 * when the range overlaps another slot, -ENOMEM.
 */
int mkvm_set_memory_region(struct mkvm_vm *vm,
			   const struct kvm_userspace_memory_region *mem)
{
	struct mkvm_memslot *old;
	int r;

	r = mkvm_check_region(mem);
	if (r)
		return r;

	mutex_lock(&vm->slots_lock);
	old = xa_load(&vm->slots, (u16)mem->slot);
	if (!mem->memory_size)
		r = mkvm_slot_delete(vm, old);
	else if (!old)
		r = mkvm_slot_create(vm, mem);
	else
		r = mkvm_slot_modify(vm, old, mem);
	if (!r)
		vm->stat.memslot_updates++;
	mutex_unlock(&vm->slots_lock);
	return r;
}

/* VM teardown: nobody else can see the slots any more. */
void mkvm_memslots_free(struct mkvm_vm *vm)
{
	struct mkvm_memslot *slot;
	unsigned long i;

	xa_for_each(&vm->slots, i, slot) {
		mkvm_unpin_range(vm, slot->base_gfn, slot->npages);
		mkvm_dirty_log_disable(slot);
		kfree(slot);
	}
	vm->last_slot = NULL;
	xa_destroy(&vm->slots);
	xa_destroy(&vm->pinned);
	xa_destroy(&vm->huge);
	kfree(vm->huge_pages);
}

/**
 * mkvm_gfn_to_slot() - the memory slot holding a guest frame
 * @vm: the VM, with slots_lock held
 * @gfn: guest frame number
 *
 * Guest page walks and faults tend to stay in one slot: the last one found
 * is tried first.
 *
 * Return: the slot, or NULL when @gfn is outside every slot (MMIO).
 */
struct mkvm_memslot *mkvm_gfn_to_slot(struct mkvm_vm *vm, u64 gfn)
{
	struct mkvm_memslot *slot = vm->last_slot;
	unsigned long i;

	if (slot && gfn - slot->base_gfn < slot->npages)
		return slot;
	xa_for_each(&vm->slots, i, slot)
		if (gfn >= slot->base_gfn && gfn < slot->base_gfn + slot->npages) {
			vm->last_slot = slot;
			return slot;
		}
	return NULL;
}

/*
 * Whether the 2 MiB-aligned guest range around @gfn can be pinned as one
 * 2 MiB page, @page (the host page behind @gfn, just pinned with the slot's
 * full permission) telling what backs it: the range lies in @slot, which
 * is not logged; its host address is 2 MiB aligned too (congruent with the
 * guest's); @page is part of a folio of order 9 or more (a THP or hugetlb
 * page) that holds the whole range, 2 MiB aligned physically.  Then the
 * 512 pages are pinned in one call and, if they are that folio's pages in
 * order, recorded in mkvm_vm.huge.  Return: the first of them, or NULL
 * (nothing left pinned by this function): the 4 KiB path goes on.
 */
static struct page *mkvm_pin_huge(struct mkvm_vm *vm,
				  struct mkvm_memslot *slot, u64 gfn,
				  struct page *page, bool writable)
{
	u64 base = gfn & ~(u64)(MKVM_HUGE_PAGES - 1);
	unsigned long hva = slot->userspace_addr +
			    ((base - slot->base_gfn) << PAGE_SHIFT);
	unsigned long pfn = page_to_pfn(page) - (gfn - base);
	struct folio *folio = page_folio(page);
	struct page **pages;
	unsigned long i = base;
	int n;

	if (slot->dirty_bitmap || base < slot->base_gfn ||
	    base + MKVM_HUGE_PAGES > slot->base_gfn + slot->npages ||
	    !IS_ALIGNED(hva, MKVM_HUGE_PAGES << PAGE_SHIFT) ||
	    folio_nr_pages(folio) < MKVM_HUGE_PAGES ||
	    !IS_ALIGNED(pfn, MKVM_HUGE_PAGES) || pfn < folio_pfn(folio) ||
	    pfn + MKVM_HUGE_PAGES > folio_pfn(folio) + folio_nr_pages(folio))
		return NULL;
	/* A frame of the range pinned alone: it may be mapped alone. */
	if (xa_find(&vm->pinned, &i, base + MKVM_HUGE_PAGES - 1, XA_PRESENT))
		return NULL;
	if (!vm->huge_pages) {
		vm->huge_pages = kmalloc_array(MKVM_HUGE_PAGES,
					       sizeof(*vm->huge_pages),
					       GFP_KERNEL_ACCOUNT);
		if (!vm->huge_pages)
			return NULL;
	}
	pages = vm->huge_pages;
	n = pin_user_pages_fast(hva, MKVM_HUGE_PAGES, FOLL_LONGTERM |
				(writable ? FOLL_WRITE : 0), pages);
	if (n <= 0)
		return NULL;
	/* The host's mapping may have changed since @page was pinned. */
	page = pfn_to_page(pfn);
	for (i = 0; n == MKVM_HUGE_PAGES && i < MKVM_HUGE_PAGES; i++)
		if (pages[i] != nth_page(page, i))
			break;
	if (i != MKVM_HUGE_PAGES ||
	    xa_err(xa_store(&vm->huge, base >> MKVM_HUGE_SHIFT, pages[0],
			    GFP_KERNEL_ACCOUNT))) {
		unpin_user_pages(pages, n);
		return NULL;
	}
	if (writable)
		xa_set_mark(&vm->huge, base >> MKVM_HUGE_SHIFT,
			    MKVM_PIN_WRITABLE);
	vm->stat.pages_pinned += MKVM_HUGE_PAGES;
	return pages[0];
}

/*
 * The page behind @gfn pinned, as mkvm_pin_gfn() says, without dirty
 * logging; *@huge: it is part of a 2 MiB pin and *@page is the first page
 * of that.  A 2 MiB pin is only made with the slot's full permission, so
 * it is writable in a writable slot.
 */
static int mkvm_pin_page(struct mkvm_vm *vm, struct mkvm_memslot *slot,
			 u64 gfn, bool write, struct page **page,
			 bool *writable, bool *huge)
{
	unsigned long hva = slot->userspace_addr +
			    ((gfn - slot->base_gfn) << PAGE_SHIFT);
	bool slot_rw = !(slot->flags & KVM_MEM_READONLY);
	struct page *old = NULL, *head;
	int r;

	if (!xa_empty(&vm->huge))
		old = xa_load(&vm->huge, gfn >> MKVM_HUGE_SHIFT);
	if (old) {
		*writable = xa_get_mark(&vm->huge, gfn >> MKVM_HUGE_SHIFT,
					MKVM_PIN_WRITABLE);
		*page = old;
		*huge = true;
		return 0;
	}
	*huge = false;
	old = xa_load(&vm->pinned, gfn);
	if (old) {
		*writable = xa_get_mark(&vm->pinned, gfn, MKVM_PIN_WRITABLE);
		if (*writable || !write) {
			*page = old;
			return 0;
		}
	}
	*writable = slot_rw;
	r = pin_user_pages_fast(hva, 1, FOLL_LONGTERM |
				(slot_rw ? FOLL_WRITE : 0), page);
	if (r != 1 && slot_rw && !write) {
		/*
		 * A read of memory the host mapped read-only: pinned and
		 * mapped 4 KiB, never 2 MiB (a 2 MiB pin must allow writes
		 * in a writable slot).
		 */
		*writable = false;
		r = pin_user_pages_fast(hva, 1, FOLL_LONGTERM, page);
	}
	if (r != 1)
		return r < 0 ? r : -EFAULT;
	if (!old && *writable == slot_rw) {
		head = mkvm_pin_huge(vm, slot, gfn, *page, *writable);
		if (head) {
			unpin_user_page(*page);	/* the 2 MiB pin holds it */
			*page = head;
			*huge = true;
			return 0;
		}
	}
	if (old) {
		/*
		 * The new page replaces the old (a write broke copy-on-write):
		 * no CPU may still reach the old one when it is unpinned.
		 */
		mkvm_be->unmap_range(vm, gfn, 1);
		mkvm_flush_remote_tlbs(vm);
		unpin_user_page(old);	/* the caller maps the new one */
	}
	r = xa_err(xa_store(&vm->pinned, gfn, *page, GFP_KERNEL_ACCOUNT));
	if (r) {
		unpin_user_page(*page);
		return r;
	}
	if (*writable)
		xa_set_mark(&vm->pinned, gfn, MKVM_PIN_WRITABLE);
	if (!old)
		vm->stat.pages_pinned++;
	return 0;
}

/**
 * mkvm_pin_gfn() - pin the host page behind a guest frame
 * @vm: the VM, with slots_lock held, called by the thread of its mm
 * @slot: the slot holding @gfn
 * @gfn: guest frame number
 * @write: the guest is writing
 * @page: the pinned page; when *@huge, the first page of the 2 MiB range
 * @writable: whether the page may be mapped writable
 * @huge: the 2 MiB-aligned guest range around @gfn is pinned as one and
 *	may be mapped with one 2 MiB leaf
 *
 * A frame stays pinned until its slot is deleted or moved or the VM goes.
 * A writable slot is pinned for writing even on a read, so that the guest
 * does not fault again on its first write; a read-only slot never is.
 * Where a THP or hugetlb page backs a whole 2 MiB-aligned range of the slot
 * (mkvm_pin_huge()), the 512 pages are pinned at once.  In a slot with
 * dirty logging, every mapping is 4 KiB (*@huge false, *@page the frame's
 * page even inside a 2 MiB pin), a write marks the page dirty before it is
 * mapped writable, and a read maps it read-only, so that the first write
 * faults.
 *
 * Return: 0, or the error of pinning (-EFAULT for an unmapped address).
 */
int mkvm_pin_gfn(struct mkvm_vm *vm, struct mkvm_memslot *slot, u64 gfn,
		 bool write, struct page **page, bool *writable, bool *huge)
{
	int r = mkvm_pin_page(vm, slot, gfn, write, page, writable, huge);

	if (r || !slot->dirty_bitmap)
		return r;
	if (*huge) {
		*page = nth_page(*page, gfn & (MKVM_HUGE_PAGES - 1));
		*huge = false;
	}
	if (write && *writable)
		mkvm_mark_page_dirty(slot, gfn);
	else
		*writable = false;
	return 0;
}
