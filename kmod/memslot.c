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

/*
 * Forget the guest frames [gfn, gfn + npages): the backend drops its
 * mappings, then every vCPU in guest mode is kicked out and every vCPU
 * flushes its guest TLB before its next entry (mkvm_flush_remote_tlbs()),
 * and only then are the pages unpinned, marked dirty if writable: no CPU
 * can reach them any more.
 */
static void mkvm_unpin_range(struct mkvm_vm *vm, u64 gfn, u64 npages)
{
	unsigned long i = gfn;
	struct page *page;

	if (!xa_find(&vm->pinned, &i, gfn + npages - 1, XA_PRESENT))
		return;	/* nothing pinned: nothing mapped */
	if (mkvm_be->unmap_range)
		mkvm_be->unmap_range(vm, gfn, npages);
	mkvm_flush_remote_tlbs(vm);
	xa_for_each_range(&vm->pinned, i, page, gfn, gfn + npages - 1) {
		bool dirty = xa_get_mark(&vm->pinned, i, MKVM_PIN_WRITABLE);

		xa_erase(&vm->pinned, i);
		unpin_user_pages_dirty_lock(&page, 1, dirty);
		vm->stat.pages_pinned--;
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

/* The page behind @gfn pinned, as mkvm_pin_gfn() says; no dirty logging. */
static int mkvm_pin_page(struct mkvm_vm *vm, struct mkvm_memslot *slot,
			 u64 gfn, bool write, struct page **page,
			 bool *writable)
{
	unsigned long hva = slot->userspace_addr +
			    ((gfn - slot->base_gfn) << PAGE_SHIFT);
	bool slot_rw = !(slot->flags & KVM_MEM_READONLY);
	struct page *old = xa_load(&vm->pinned, gfn);
	int r;

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
		/* A read of memory the host mapped read-only. */
		*writable = false;
		r = pin_user_pages_fast(hva, 1, FOLL_LONGTERM, page);
	}
	if (r != 1)
		return r < 0 ? r : -EFAULT;
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
 * @page: the pinned page
 * @writable: whether the page may be mapped writable
 *
 * A frame stays pinned until its slot is deleted or moved or the VM goes.
 * A writable slot is pinned for writing even on a read, so that the guest
 * does not fault again on its first write; a read-only slot never is.  In a
 * slot with dirty logging, a write marks the page dirty before it is mapped
 * writable, and a read maps it read-only, so that the first write faults.
 *
 * Return: 0, or the error of pinning (-EFAULT for an unmapped address).
 */
int mkvm_pin_gfn(struct mkvm_vm *vm, struct mkvm_memslot *slot, u64 gfn,
		 bool write, struct page **page, bool *writable)
{
	int r = mkvm_pin_page(vm, slot, gfn, write, page, writable);

	if (r || !slot->dirty_bitmap)
		return r;
	if (write && *writable)
		mkvm_mark_page_dirty(slot, gfn);
	else
		*writable = false;
	return 0;
}
