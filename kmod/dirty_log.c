// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty page logging: KVM_MEM_LOG_DIRTY_PAGES on a memory slot and
 * KVM_GET_DIRTY_LOG, with KVM's semantics (no manual protection, no dirty
 * ring).
 *
 * While a slot is logged its pages are mapped read-only in the nested page
 * tables until the guest writes them: the write faults, mkvm_pin_gfn()
 * sets the page's bit and the page is mapped writable.  KVM_GET_DIRTY_LOG
 * takes the bits (clearing them), maps those pages read-only again and
 * kicks every vCPU (mkvm_flush_remote_tlbs()) before it returns, so a
 * write after the return faults and is logged for the next call.  A write
 * that lands between taking the bits and the kick went to a page this call
 * reports dirty anyway: no write is lost.
 *
 * Context: process context, slots_lock held by every function here but
 * mkvm_get_dirty_log(), which takes it.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "minikvm.h"

/* KVM's bitmap size: whole longs, so userspace reads it long by long. */
static unsigned long mkvm_dirty_bitmap_bytes(const struct mkvm_memslot *slot)
{
	return ALIGN(slot->npages, BITS_PER_LONG) / 8;
}

/*
 * Pages map read-only in nested paging from now on, and 2 MiB leaves are
 * gone (the guest's next accesses map 4 KiB leaves, logged, of the pages
 * already pinned); TLBs flushed.
 */
static void mkvm_protect_range(struct mkvm_vm *vm, u64 gfn, u64 npages)
{
	if (!mkvm_any_pinned(vm, gfn, gfn + npages - 1))
		return;	/* nothing pinned: nothing mapped */
	mkvm_be->protect_range(vm, gfn, npages);
	mkvm_flush_remote_tlbs(vm);
}

/**
 * mkvm_dirty_log_enable() - start logging a slot: KVM_MEM_LOG_DIRTY_PAGES
 * set at creation or by a flags change
 * @vm: the VM
 * @slot: the slot, not logged yet
 *
 * Every page starts clean and mapped read-only.  The bitmaps' size is the
 * user's choice (up to 512 MiB for the largest slot): when memory is short
 * the ioctl fails with -ENOMEM and the kernel log stays quiet.
 * Return: 0 or -ENOMEM.
 */
int mkvm_dirty_log_enable(struct mkvm_vm *vm, struct mkvm_memslot *slot)
{
	slot->dirty_bitmap = kvzalloc(2 * mkvm_dirty_bitmap_bytes(slot),
				      GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!slot->dirty_bitmap)
		return -ENOMEM;
	mkvm_protect_range(vm, slot->base_gfn, slot->npages);
	return 0;
}

/*
 * Stop logging (flag cleared, slot deleted).  Pages stay read-only until
 * their next write fault maps them writable again.
 */
void mkvm_dirty_log_disable(struct mkvm_memslot *slot)
{
	kvfree(slot->dirty_bitmap);
	slot->dirty_bitmap = NULL;
}

/* Guest frame @gfn of @slot was written (a write fault, or emulation). */
void mkvm_mark_page_dirty(struct mkvm_memslot *slot, u64 gfn)
{
	if (slot->dirty_bitmap)
		set_bit(gfn - slot->base_gfn, slot->dirty_bitmap);
}

/**
 * mkvm_get_dirty_log() - KVM_GET_DIRTY_LOG
 * @vm: the VM
 * @log: the request, copied from userspace
 *
 * Copies to log->dirty_bitmap one bit per page of the slot (bit i of long
 * i / BITS_PER_LONG: page i; the bitmap rounded up to whole longs), set for
 * the pages written since the last call, and re-arms their logging.  As in
 * KVM, the bits are taken even when the copy then fails.
 *
 * Return: 0; -EINVAL for a slot id or address space out of range; -ENOENT
 * for no such slot or a slot without KVM_MEM_LOG_DIRTY_PAGES; -EFAULT when
 * the bitmap cannot be written.
 */
int mkvm_get_dirty_log(struct mkvm_vm *vm, const struct kvm_dirty_log *log)
{
	struct mkvm_memslot *slot;
	unsigned long *bitmap, *copy, n, i;
	bool flush = false;
	int r = 0;

	if ((log->slot >> 16) >= MKVM_ADDRESS_SPACES ||
	    (u16)log->slot >= MKVM_USER_MEM_SLOTS)
		return -EINVAL;

	mutex_lock(&vm->slots_lock);
	slot = xa_load(&vm->slots, (u16)log->slot);
	if (!slot || !slot->dirty_bitmap) {
		r = -ENOENT;
		goto out;
	}
	n = mkvm_dirty_bitmap_bytes(slot);
	bitmap = slot->dirty_bitmap;
	copy = bitmap + n / sizeof(long);
	for (i = 0; i < n / sizeof(long); i++) {
		unsigned long mask = xchg(&bitmap[i], 0);
		unsigned int bit;

		copy[i] = mask;
		for_each_set_bit(bit, &mask, BITS_PER_LONG)
			mkvm_be->protect_range(vm, slot->base_gfn +
					       i * BITS_PER_LONG + bit, 1);
		flush |= mask != 0;
	}
	if (flush)
		mkvm_flush_remote_tlbs(vm);
	if (copy_to_user(log->dirty_bitmap, copy, n))
		r = -EFAULT;
out:
	mutex_unlock(&vm->slots_lock);
	return r;
}
