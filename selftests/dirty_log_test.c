// SPDX-License-Identifier: GPL-2.0-only
/*
 * dirty_log_test - KVM_MEM_LOG_DIRTY_PAGES and KVM_GET_DIRTY_LOG, in the
 * manner of KVM's tools/testing/selftests/kvm/dirty_log_test.c and with
 * the checks of virt/kvm/kvm_main.c kvm_get_dirty_log_protect():
 *
 *	no_lost_writes_1vcpu, _2vcpus, _2vcpus_fast:  guest vCPUs write
 *		ever-new values to random pages of a logged slot, without
 *		stopping (slowly, or as fast as they can), while the host
 *		collects the log in a loop.  A page
 *		whose contents changed since the host last read it was
 *		written after the collection before that read returned, so
 *		it must be reported dirty by this collection or, when the
 *		write came after this one took its bits, by the next; no
 *		bit beyond the slot's last page; nothing written past the
 *		bitmap's long-aligned size.
 *	logging_toggled:  a flags change turns logging on for a slot whose
 *		pages are already mapped writable (they must be write
 *		protected: the next write is reported), and off (-ENOENT).
 *	bad_requests:  slot id out of range -EINVAL, no such slot or a slot
 *		without logging -ENOENT, NULL bitmap or struct -EFAULT.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define LOG_SLOT	1
#define LOG_GPA		0x3000000ULL
#define LOG_GVA		0x10000000ULL
#define LOG_PAGES	500		/* not a multiple of 64: padding bits */
#define BITMAP_LONGS	((LOG_PAGES + 63) / 64)
#define NR_COLLECTIONS	150
#define MAX_WRITERS	2

/* Raw KVM_GET_DIRTY_LOG; returns the ioctl's result (errno set). */
static int __get_dirty_log(struct kvm_vm *vm, uint32_t slot, void *bitmap)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };

	return ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log);
}

static void get_dirty_log(struct kvm_vm *vm, uint32_t slot, uint64_t *bitmap)
{
	TEST_ASSERT(!__get_dirty_log(vm, slot, bitmap),
		    "KVM_GET_DIRTY_LOG(slot %u): %s", slot, errno_name(errno));
}

static bool test_bit64(const uint64_t *bitmap, unsigned int bit)
{
	return bitmap[bit / 64] & (1ULL << (bit % 64));
}

/* A logged (or not) slot of LOG_PAGES pages, mapped at LOG_GVA. */
static uint64_t *add_log_slot(struct kvm_vm *vm, uint32_t flags)
{
	struct kvm_mem_region *r;

	r = vm_userspace_mem_region_add(vm, LOG_SLOT, flags, LOG_GPA,
					(uint64_t)LOG_PAGES * PAGE_SIZE_4K);
	virt_map(vm, LOG_GVA, LOG_GPA, (uint64_t)LOG_PAGES * PAGE_SIZE_4K);
	return r->host_mem;
}

/* --- writers and collector --- */

static uint64_t writers_stop;
static uint64_t writer_delay;	/* PAUSEs between two writes */

/*
 * Writer @id: word @id of random pages gets (id + 1) << 48 | n, n counting
 * from 1, so every write changes its page.
 */
static void guest_writer(uint64_t id)
{
	volatile uint64_t *stop = &writers_stop;
	uint64_t n = 0, rnd = id * 7919 + 12345, page, i;

	while (!*stop) {
		for (i = 0; i < writer_delay; i++)
			asm volatile("pause");
		rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
		page = (rnd >> 33) % LOG_PAGES;
		*(volatile uint64_t *)(LOG_GVA + page * PAGE_SIZE_4K +
				       id * 8) = (id + 1) << 48 | ++n;
	}
	GUEST_SYNC(n);
	GUEST_DONE();
}

struct writer {
	struct kvm_vcpu *vcpu;
	uint64_t writes;
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(w->vcpu, &uc), UCALL_SYNC);
	w->writes = uc.args[1];
	vcpu_run_expect_done(w->vcpu);
	return NULL;
}

/*
 * Checks collection @bitmap against the pages (@mem) and what the host saw
 * at the last collection (@seen); @pending: pages that changed but were not
 * reported last time, which this collection must report.  @final: the
 * writers have stopped, so every change must be reported now.  Returns how
 * many pages were reported dirty; counts the pages left pending in @late.
 */
static unsigned int check_collection(const uint64_t *bitmap,
				     const uint64_t *mem, uint64_t *seen,
				     bool *pending, unsigned int nw,
				     bool final, unsigned int *late)
{
	unsigned int page, w, dirty = 0;

	for (page = LOG_PAGES; page < BITMAP_LONGS * 64; page++)
		TEST_ASSERT(!test_bit64(bitmap, page),
			    "bit %u set beyond the slot's %u pages", page,
			    LOG_PAGES);
	for (page = 0; page < LOG_PAGES; page++) {
		const volatile uint64_t *p = mem + page * PAGE_SIZE_4K / 8;
		bool is_dirty = test_bit64(bitmap, page), changed = false;

		dirty += is_dirty;
		TEST_ASSERT(!pending[page] || is_dirty,
			    "page %u was written before the last collection returned but is not reported dirty",
			    page);
		pending[page] = false;
		for (w = 0; w < nw; w++) {
			uint64_t v = p[w];

			if (v != seen[page * MAX_WRITERS + w])
				changed = true;
			seen[page * MAX_WRITERS + w] = v;
		}
		if (changed && !is_dirty) {
			TEST_ASSERT(!final,
				    "page %u changed before the writers stopped and is not dirty",
				    page);
			pending[page] = true;
			(*late)++;
		}
	}
	return dirty;
}

static void no_lost_writes(unsigned int nw, uint64_t delay)
{
	struct kvm_vcpu *vcpus[MAX_WRITERS];
	struct writer writers[MAX_WRITERS];
	pthread_t threads[MAX_WRITERS];
	uint64_t bitmap[BITMAP_LONGS + 1];	/* + a canary long */
	uint64_t *seen = calloc(LOG_PAGES * MAX_WRITERS, sizeof(*seen));
	bool *pending = calloc(LOG_PAGES, sizeof(*pending));
	unsigned int i, dirty = 0, late = 0;
	struct kvm_vm *vm;
	uint64_t *mem, *stop;

	TEST_ASSERT(seen && pending, "calloc");
	vm = vm_create_with_one_vcpu(&vcpus[0], guest_writer);
	TEST_REQUIRE(vm_check_cap(vm, KVM_CAP_MAX_VCPUS) >= (int)nw);
	for (i = 1; i < nw; i++)
		vcpus[i] = vm_vcpu_add_long_mode(vm, i, guest_writer);
	mem = add_log_slot(vm, KVM_MEM_LOG_DIRTY_PAGES);
	stop = addr_gva2hva(vm, (uint64_t)(uintptr_t)&writers_stop);
	*stop = 0;
	writer_delay = delay;
	sync_global_to_guest(vm, writer_delay);

	for (i = 0; i < nw; i++) {
		vcpu_args_set(vcpus[i], 1, (uint64_t)i);
		writers[i] = (struct writer){ vcpus[i], 0 };
		TEST_ASSERT(!pthread_create(&threads[i], NULL, writer_thread,
					    &writers[i]), "pthread_create");
	}
	for (i = 0; i < NR_COLLECTIONS; i++) {
		usleep(1000);
		bitmap[BITMAP_LONGS] = 0x5a5a5a5a5a5a5a5aULL;
		get_dirty_log(vm, LOG_SLOT, bitmap);
		TEST_ASSERT_EQ(bitmap[BITMAP_LONGS], 0x5a5a5a5a5a5a5a5aULL);
		dirty += check_collection(bitmap, mem, seen, pending, nw,
					  false, &late);
	}
	__atomic_store_n(stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < nw; i++)
		TEST_ASSERT(!pthread_join(threads[i], NULL), "pthread_join");
	get_dirty_log(vm, LOG_SLOT, bitmap);
	check_collection(bitmap, mem, seen, pending, nw, true, &late);
	/* Nothing written since: nothing dirty. */
	get_dirty_log(vm, LOG_SLOT, bitmap);
	for (i = 0; i < BITMAP_LONGS; i++)
		TEST_ASSERT_EQ(bitmap[i], 0);

	for (i = 0; i < nw; i++)
		ksft_print_msg("writer %u: %lu writes\n", i, writers[i].writes);
	ksft_print_msg("%u collections: %u pages reported dirty, %u of them one collection late\n",
		       NR_COLLECTIONS, dirty, late);
	for (i = 0; i < nw; i++)
		TEST_ASSERT(writers[i].writes >= NR_COLLECTIONS,
			    "writer %u wrote only %lu times", i,
			    writers[i].writes);
	TEST_ASSERT(dirty >= NR_COLLECTIONS, "only %u dirty pages reported",
		    dirty);
	free(seen);
	free(pending);
	kvm_vm_free(vm);
}

/*
 * Fast writers rewrite every page many times between two collections,
 * which would hide a write lost to a stale writable translation (a later
 * write to the page faults and reports it); slow ones write a few pages
 * per collection, so that every write counts.
 */
static void no_lost_writes_1vcpu(void)
{
	no_lost_writes(1, 200);
}

static void no_lost_writes_2vcpus(void)
{
	no_lost_writes(2, 200);
}

static void no_lost_writes_2vcpus_fast(void)
{
	no_lost_writes(2, 0);
}

/* --- logging_toggled --- */

static uint64_t target_page;

/* Writes page target_page (set by the host) after every sync. */
static void guest_target_writer(void)
{
	volatile uint64_t *target = &target_page;
	uint64_t n = 0;

	for (;;) {
		GUEST_SYNC(n);
		*(volatile uint64_t *)(LOG_GVA + *target * PAGE_SIZE_4K) = ++n;
	}
}

/* Has the guest write page @page once (the run returns after it). */
static void write_page(struct kvm_vcpu *vcpu, uint64_t *target,
		       uint64_t page, uint64_t n)
{
	*target = page;
	vcpu_run_expect_sync(vcpu, n);
}

/* Asserts that exactly the pages in @pages (-1 ended) are dirty. */
static void expect_dirty(struct kvm_vm *vm, const int *pages)
{
	uint64_t bitmap[BITMAP_LONGS], want[BITMAP_LONGS] = { 0 };
	unsigned int i;

	for (; *pages >= 0; pages++)
		want[*pages / 64] |= 1ULL << (*pages % 64);
	get_dirty_log(vm, LOG_SLOT, bitmap);
	for (i = 0; i < BITMAP_LONGS; i++)
		TEST_ASSERT(bitmap[i] == want[i],
			    "dirty bitmap long %u: 0x%lx, expected 0x%lx", i,
			    bitmap[i], want[i]);
}

static void logging_toggled(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_target_writer);
	uint64_t *target, *mem, bitmap[BITMAP_LONGS];

	mem = add_log_slot(vm, 0);
	target = addr_gva2hva(vm, (uint64_t)(uintptr_t)&target_page);
	vcpu_run_expect_sync(vcpu, 0);
	write_page(vcpu, target, 3, 1);		/* mapped writable now */
	write_page(vcpu, target, 70, 2);
	TEST_ASSERT_ERRNO(__get_dirty_log(vm, LOG_SLOT, bitmap), ENOENT,
			  "slot without logging");

	/* On: pages start clean, and the mapped ones lost write access. */
	vm_mem_region_set_flags(vm, LOG_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
	expect_dirty(vm, (int[]){ -1 });
	write_page(vcpu, target, 3, 3);
	expect_dirty(vm, (int[]){ 3, -1 });
	write_page(vcpu, target, 70, 4);
	write_page(vcpu, target, 499, 5);
	expect_dirty(vm, (int[]){ 70, 499, -1 });
	/* Re-armed: the same page written again is dirty again. */
	write_page(vcpu, target, 70, 6);
	expect_dirty(vm, (int[]){ 70, -1 });
	expect_dirty(vm, (int[]){ -1 });
	TEST_ASSERT_EQ(mem[3 * PAGE_SIZE_4K / 8], 3);
	TEST_ASSERT_EQ(mem[70 * PAGE_SIZE_4K / 8], 6);

	/* Off, written, on again: clean again. */
	vm_mem_region_set_flags(vm, LOG_SLOT, 0);
	TEST_ASSERT_ERRNO(__get_dirty_log(vm, LOG_SLOT, bitmap), ENOENT,
			  "logging turned off");
	write_page(vcpu, target, 5, 7);
	vm_mem_region_set_flags(vm, LOG_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
	expect_dirty(vm, (int[]){ -1 });
	write_page(vcpu, target, 5, 8);
	expect_dirty(vm, (int[]){ 5, -1 });
	TEST_ASSERT_EQ(mem[5 * PAGE_SIZE_4K / 8], 8);
	kvm_vm_free(vm);
}

/* --- bad_requests --- */

static void bad_requests(void)
{
	struct kvm_vm *vm = vm_create();
	uint64_t bitmap[BITMAP_LONGS];
	void *mem = mmap(NULL, 2 * PAGE_SIZE_4K, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int nr_slots = vm_check_cap(vm, KVM_CAP_NR_MEMSLOTS);

	TEST_ASSERT(mem != MAP_FAILED, "mmap");
	vm_set_user_memory_region(vm, 0, KVM_MEM_LOG_DIRTY_PAGES, 0,
				  PAGE_SIZE_4K, mem);
	vm_set_user_memory_region(vm, 1, 0, PAGE_SIZE_4K, PAGE_SIZE_4K,
				  (char *)mem + PAGE_SIZE_4K);

	/* Slot ids: KVM_USER_MEM_SLOTS (KVM_CAP_NR_MEMSLOTS) and up. */
	TEST_ASSERT_ERRNO(__get_dirty_log(vm, nr_slots, bitmap), EINVAL,
			  "slot id KVM_CAP_NR_MEMSLOTS");
	TEST_ASSERT_ERRNO(__get_dirty_log(vm, 0xffff, bitmap), EINVAL,
			  "slot id 0xffff");
	/* No slot, and a slot without logging. */
	TEST_ASSERT_ERRNO(__get_dirty_log(vm, 2, bitmap), ENOENT, "no slot 2");
	TEST_ASSERT_ERRNO(__get_dirty_log(vm, nr_slots - 1, bitmap), ENOENT,
			  "no last slot");
	TEST_ASSERT_ERRNO(__get_dirty_log(vm, 1, bitmap), ENOENT,
			  "slot 1 without logging");
	/* Bad pointers; then a good call, and the slot deleted. */
	TEST_ASSERT_ERRNO(__get_dirty_log(vm, 0, NULL), EFAULT, "NULL bitmap");
	TEST_ASSERT_ERRNO(ioctl(vm->fd, KVM_GET_DIRTY_LOG, NULL), EFAULT,
			  "NULL struct kvm_dirty_log");
	get_dirty_log(vm, 0, bitmap);
	vm_set_user_memory_region(vm, 0, 0, 0, 0, NULL);
	TEST_ASSERT_ERRNO(__get_dirty_log(vm, 0, bitmap), ENOENT,
			  "deleted slot");
	kvm_vm_free(vm);
	munmap(mem, 2 * PAGE_SIZE_4K);
}

static const struct kvm_test tests[] = {
	KVM_TEST(no_lost_writes_1vcpu),
	KVM_TEST(no_lost_writes_2vcpus),
	KVM_TEST(no_lost_writes_2vcpus_fast),
	KVM_TEST(logging_toggled),
	KVM_TEST(bad_requests),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
