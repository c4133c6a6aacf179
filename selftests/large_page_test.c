// SPDX-License-Identifier: GPL-2.0-only
/*
 * large_page_test - guest memory backed by transparent huge pages, mapped
 * with 2 MiB leaves in the nested page tables (NPT/EPT) where backing and
 * alignment allow, and 4 KiB leaves elsewhere.  The VM statistics
 * pages_4k and pages_2m (KVM's names, both hypervisors have them) show
 * which; the counts are taken as differences around the guest's accesses
 * to the test slot.
 *
 *	thp_write_read:  a THP-backed slot (2 MiB aligned, MADV_HUGEPAGE):
 *		the guest writes a pattern that the host finds, reads one
 *		the host wrote; pages_2m grew.
 *	misaligned:  the same memory registered at a host address 4 KiB off
 *		a 2 MiB boundary (guest address aligned): works, no 2 MiB
 *		leaf.  Then the slot is deleted and an aligned one made at
 *		the same guest address: 2 MiB leaves again (the page tables
 *		the 4 KiB leaves used are replaced).
 *	dirty_log:  logging turned on for a slot mapped with 2 MiB leaves:
 *		the guest's writes after that, and only they, are in
 *		KVM_GET_DIRTY_LOG, twice; the data written before is intact;
 *		logging turned off, the guest's next writes map 2 MiB leaves
 *		again.
 *	readonly:  a read-only slot over THP: the guest reads what the host
 *		wrote (2 MiB leaves), a write exits KVM_EXIT_MMIO and changes
 *		nothing.
 *	delete_recreate:  the slot deleted and registered again at another
 *		guest address: the guest sees its data there.
 *	nohugepage:  a MADV_NOHUGEPAGE slot, aligned: no 2 MiB leaf (the
 *		same on KVM 6.1, whose mapping level follows the host's).
 *	host_readonly:  a writable slot over THP memory the host made
 *		read-only: reads work (minikvm: 4 KiB leaves; KVM 6.1: 2 MiB
 *		read-only leaves), a write fails KVM_RUN with EFAULT.
 *	hugetlb:  a hugetlbfs-backed slot (MAP_HUGETLB, 2 MiB pages, reserved
 *		by the test through vm.nr_hugepages and given back): 2 MiB
 *		leaves, data both ways; skips where none can be had.
 *
 * With /sys/kernel/mm/transparent_hugepage/enabled "never", or no THP at
 * all, every case skips.  When slot 0's host address happens to be 2 MiB
 * aligned, slot 0 could add 2 MiB leaves of its own during a case, so
 * the "no 2 MiB leaf" checks are skipped with a message.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define SZ_2M		(2ULL << 20)
#define SLOT		1
#define SLOT_GPA	0x40000000ULL	/* 1 GiB, 2 MiB aligned */
#define SLOT_GPA2	0x60000000ULL	/* delete_recreate's new place */
#define SLOT_GVA	0x40000000ULL
#define SLOT_GVA2	0x60000000ULL
#define SLOT_SIZE	(8 * SZ_2M)
#define SLOT_PAGES	(SLOT_SIZE / PAGE_SIZE_4K)
#define BITMAP_LONGS	(SLOT_PAGES / 64)

/* Guest commands, one per GUEST_SYNC round (args: command, gva, seed). */
enum { CMD_NOP, CMD_WRITE, CMD_CHECK, CMD_WRITE_SOME, CMD_READ_HOST,
       CMD_RO_WRITE, CMD_DONE };

/* The value the guest writes at the start of the page at @gva. */
static uint64_t pattern(uint64_t gva, uint64_t seed)
{
	return (gva * 0x9e3779b97f4a7c15ULL) ^ seed;
}

/* Pages of the slot CMD_WRITE_SOME writes: every 7th, from @seed % 7. */
static bool some_page(uint64_t page, uint64_t seed)
{
	return page % 7 == seed % 7;
}

/*
 * The guest runs the command in cmd[] (copied in by the host with
 * sync_global_to_guest()), then waits with GUEST_SYNC(1) for the next.
 */
static uint64_t cmd[3];

static void guest_main(void)
{
	uint64_t p;

	for (;;) {
		uint64_t c = cmd[0], base = cmd[1], seed = cmd[2];

		switch (c) {
		case CMD_WRITE:
			for (p = base; p < base + SLOT_SIZE; p += PAGE_SIZE_4K)
				*(volatile uint64_t *)p = pattern(p - base,
								  seed);
			break;
		case CMD_CHECK:
			for (p = base; p < base + SLOT_SIZE; p += PAGE_SIZE_4K)
				GUEST_ASSERT_EQ(*(volatile uint64_t *)p,
						pattern(p - base, seed));
			break;
		case CMD_WRITE_SOME:
			/*
			 * The first word, rewritten with its own value: at
			 * offset 0, because Bochs 2.7 logs the whole address
			 * of a write in KVM's page-modification log, and
			 * kvm_intel warns at one not page aligned.
			 */
			for (p = 0; p < SLOT_PAGES; p++) {
				volatile uint64_t *w = (volatile uint64_t *)
					(base + p * PAGE_SIZE_4K);

				if (some_page(p, seed))
					*w = *w;
			}
			break;
		case CMD_NOP:
			break;
		case CMD_RO_WRITE:
			*(volatile uint64_t *)(base + SZ_2M + 24) = 0x5a5a;
			break;
		case CMD_READ_HOST:
			for (p = base; p < base + SLOT_SIZE; p += PAGE_SIZE_4K)
				GUEST_ASSERT_EQ(*(volatile uint64_t *)(p + 16),
						~pattern(p - base, seed));
			break;
		default:
			GUEST_DONE();
		}
		GUEST_SYNC(1);
	}
}

struct ctx {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	bool slot0_huge;	/* slot 0 may get 2 MiB leaves of its own */
};

/* Skips unless THP can back memory ("always" or "madvise"). */
static void require_thp(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	if (!buf[0] || strstr(buf, "[never]"))
		ksft_exit_skip("transparent huge pages unavailable (%s)\n",
			       buf[0] ? "\"never\"" : "no sysfs file");
}

static struct ctx setup(void)
{
	struct ctx c;

	require_thp();
	c.vm = vm_create_with_one_vcpu(&c.vcpu, guest_main);
	c.slot0_huge = !((uintptr_t)memslot_find(c.vm, 0)->host_mem &
			 (SZ_2M - 1));
	virt_map(c.vm, SLOT_GVA, SLOT_GPA, SLOT_SIZE);
	virt_map(c.vm, SLOT_GVA2, SLOT_GPA2, SLOT_SIZE);
	return c;
}

/*
 * SLOT_SIZE bytes of anonymous memory at @off past a 2 MiB boundary,
 * with @advice (MADV_HUGEPAGE, MADV_NOHUGEPAGE); never unmapped.
 */
static uint8_t *alloc_mem(uint64_t off, int advice)
{
	uint64_t len = SLOT_SIZE + 2 * SZ_2M;
	uint8_t *map, *mem;

	map = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(map != MAP_FAILED, "mmap");
	mem = (uint8_t *)(((uintptr_t)map + SZ_2M - 1) & ~(SZ_2M - 1)) + off;
	TEST_ASSERT(!madvise(mem, SLOT_SIZE, advice), "madvise(%d)", advice);
	return mem;
}

/* One command round: the guest runs @c and reaches GUEST_SYNC(1). */
static void run_cmd(struct ctx *c, uint64_t what, uint64_t gva, uint64_t seed)
{
	cmd[0] = what;
	cmd[1] = gva;
	cmd[2] = seed;
	sync_global_to_guest(c->vm, cmd);
	vcpu_run_expect_sync(c->vcpu, 1);
}

static uint64_t pages_2m(struct ctx *c)
{
	return vm_get_stat(c->vm, "pages_2m");
}

static void check_host(uint8_t *mem, uint64_t seed)
{
	uint64_t off;

	for (off = 0; off < SLOT_SIZE; off += PAGE_SIZE_4K)
		TEST_ASSERT_EQ(*(uint64_t *)(mem + off), pattern(off, seed));
}

static void host_write(uint8_t *mem, uint64_t seed)
{
	uint64_t off;

	for (off = 0; off < SLOT_SIZE; off += PAGE_SIZE_4K)
		*(uint64_t *)(mem + off + 16) = ~pattern(off, seed);
}

static void finish(struct ctx *c)
{
	cmd[0] = CMD_DONE;
	sync_global_to_guest(c->vm, cmd);
	vcpu_run_expect_done(c->vcpu);
	kvm_vm_free(c->vm);
}

static void thp_write_read(void)
{
	struct ctx c = setup();
	uint8_t *mem = alloc_mem(0, MADV_HUGEPAGE);
	uint64_t before;

	vm_set_user_memory_region(c.vm, SLOT, 0, SLOT_GPA, SLOT_SIZE, mem);
	run_cmd(&c, CMD_NOP, 0, 0);	/* code and stack in */
	before = pages_2m(&c);
	run_cmd(&c, CMD_WRITE, SLOT_GVA, 1);
	check_host(mem, 1);
	TEST_ASSERT(pages_2m(&c) > before, "pages_2m %llu, was %llu",
		    (unsigned long long)pages_2m(&c),
		    (unsigned long long)before);
	ksft_print_msg("pages_2m %llu -> %llu, pages_4k %llu\n",
		       (unsigned long long)before,
		       (unsigned long long)pages_2m(&c),
		       (unsigned long long)vm_get_stat(c.vm, "pages_4k"));
	host_write(mem, 2);
	run_cmd(&c, CMD_READ_HOST, SLOT_GVA, 2);
	run_cmd(&c, CMD_CHECK, SLOT_GVA, 1);
	finish(&c);
}

static void misaligned(void)
{
	struct ctx c = setup();
	uint8_t *mem = alloc_mem(PAGE_SIZE_4K, MADV_HUGEPAGE);
	uint8_t *mem2 = alloc_mem(0, MADV_HUGEPAGE);
	uint64_t before;

	vm_set_user_memory_region(c.vm, SLOT, 0, SLOT_GPA, SLOT_SIZE, mem);
	run_cmd(&c, CMD_NOP, 0, 0);	/* code and stack in */
	before = pages_2m(&c);
	run_cmd(&c, CMD_WRITE, SLOT_GVA, 3);
	check_host(mem, 3);
	host_write(mem, 4);
	run_cmd(&c, CMD_READ_HOST, SLOT_GVA, 4);
	if (c.slot0_huge)
		ksft_print_msg("slot 0 is 2 MiB aligned: pages_2m not checked\n");
	else
		TEST_ASSERT_EQ(pages_2m(&c), before);

	/* The same guest range, now aligned: its page tables go. */
	vm_set_user_memory_region(c.vm, SLOT, 0, SLOT_GPA, 0, mem);
	vm_set_user_memory_region(c.vm, SLOT, 0, SLOT_GPA, SLOT_SIZE, mem2);
	before = pages_2m(&c);
	run_cmd(&c, CMD_WRITE, SLOT_GVA, 5);
	check_host(mem2, 5);
	TEST_ASSERT(pages_2m(&c) > before, "pages_2m %llu, was %llu",
		    (unsigned long long)pages_2m(&c),
		    (unsigned long long)before);
	finish(&c);
}

static void get_log(struct ctx *c, uint64_t *bitmap)
{
	struct kvm_dirty_log log = { .slot = SLOT, .dirty_bitmap = bitmap };

	memset(bitmap, 0, BITMAP_LONGS * 8);
	vm_ioctl(c->vm, KVM_GET_DIRTY_LOG, &log);
}

/* The log holds exactly the pages CMD_WRITE_SOME wrote with @seed. */
static void check_log(const uint64_t *bitmap, uint64_t seed)
{
	uint64_t p;

	for (p = 0; p < SLOT_PAGES; p++) {
		bool dirty = bitmap[p / 64] & (1ULL << (p % 64));

		TEST_ASSERT(dirty == some_page(p, seed),
			    "page %llu: dirty %d, written %d",
			    (unsigned long long)p, dirty, some_page(p, seed));
	}
}

static void dirty_log(void)
{
	struct ctx c = setup();
	uint8_t *mem = alloc_mem(0, MADV_HUGEPAGE);
	uint64_t bitmap[BITMAP_LONGS], before;

	vm_set_user_memory_region(c.vm, SLOT, 0, SLOT_GPA, SLOT_SIZE, mem);
	run_cmd(&c, CMD_NOP, 0, 0);	/* code and stack in */
	before = pages_2m(&c);
	run_cmd(&c, CMD_WRITE, SLOT_GVA, 6);
	TEST_ASSERT(pages_2m(&c) > before, "no 2 MiB leaf before logging");

	vm_set_user_memory_region(c.vm, SLOT, KVM_MEM_LOG_DIRTY_PAGES,
				  SLOT_GPA, SLOT_SIZE, mem);
	get_log(&c, bitmap);	/* nothing written since logging began */
	for (before = 0; before < BITMAP_LONGS; before++)
		TEST_ASSERT_EQ(bitmap[before], 0);
	run_cmd(&c, CMD_WRITE_SOME, SLOT_GVA, 3);
	get_log(&c, bitmap);
	check_log(bitmap, 3);
	run_cmd(&c, CMD_WRITE_SOME, SLOT_GVA, 5);
	get_log(&c, bitmap);
	check_log(bitmap, 5);
	ksft_print_msg("logged: pages_2m %llu, pages_4k %llu\n",
		       (unsigned long long)pages_2m(&c),
		       (unsigned long long)vm_get_stat(c.vm, "pages_4k"));

	/* What CMD_WRITE wrote at the start of each page is still there. */
	run_cmd(&c, CMD_CHECK, SLOT_GVA, 6);

	vm_set_user_memory_region(c.vm, SLOT, 0, SLOT_GPA, SLOT_SIZE, mem);
	before = pages_2m(&c);
	run_cmd(&c, CMD_WRITE, SLOT_GVA, 9);
	check_host(mem, 9);
	ksft_print_msg("logging off: pages_2m %llu -> %llu\n",
		       (unsigned long long)before,
		       (unsigned long long)pages_2m(&c));
	TEST_ASSERT(pages_2m(&c) > before, "no 2 MiB leaf after logging");
	finish(&c);
}

static void readonly(void)
{
	struct ctx c = setup();
	uint8_t *mem = alloc_mem(0, MADV_HUGEPAGE);
	uint64_t before;

	TEST_REQUIRE(vm_check_cap(c.vm, KVM_CAP_READONLY_MEM));
	host_write(mem, 10);
	vm_set_user_memory_region(c.vm, SLOT, KVM_MEM_READONLY, SLOT_GPA,
				  SLOT_SIZE, mem);
	run_cmd(&c, CMD_NOP, 0, 0);	/* code and stack in */
	before = pages_2m(&c);
	run_cmd(&c, CMD_READ_HOST, SLOT_GVA, 10);
	TEST_ASSERT(pages_2m(&c) > before, "pages_2m %llu, was %llu",
		    (unsigned long long)pages_2m(&c),
		    (unsigned long long)before);

	/* A write: MMIO, the memory unchanged. */
	cmd[0] = CMD_RO_WRITE;
	sync_global_to_guest(c.vm, cmd);
	vcpu_run(c.vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(c.vcpu, KVM_EXIT_MMIO);
	TEST_ASSERT_EQ(c.vcpu->run->mmio.phys_addr, SLOT_GPA + SZ_2M + 24);
	TEST_ASSERT_EQ(c.vcpu->run->mmio.is_write, 1);
	TEST_ASSERT_EQ(c.vcpu->run->mmio.len, 8);
	vcpu_run_expect_sync(c.vcpu, 1);
	TEST_ASSERT_EQ(*(uint64_t *)(mem + SZ_2M + 24), 0);
	finish(&c);
}

static void delete_recreate(void)
{
	struct ctx c = setup();
	uint8_t *mem = alloc_mem(0, MADV_HUGEPAGE);
	uint64_t before;

	vm_set_user_memory_region(c.vm, SLOT, 0, SLOT_GPA, SLOT_SIZE, mem);
	run_cmd(&c, CMD_NOP, 0, 0);	/* code and stack in */
	run_cmd(&c, CMD_WRITE, SLOT_GVA, 11);
	vm_set_user_memory_region(c.vm, SLOT, 0, SLOT_GPA, 0, mem);
	vm_set_user_memory_region(c.vm, SLOT, 0, SLOT_GPA2, SLOT_SIZE, mem);
	before = pages_2m(&c);
	run_cmd(&c, CMD_CHECK, SLOT_GVA2, 11);
	TEST_ASSERT(pages_2m(&c) > before, "pages_2m %llu, was %llu",
		    (unsigned long long)pages_2m(&c),
		    (unsigned long long)before);
	finish(&c);
}

static void nohugepage(void)
{
	struct ctx c = setup();
	uint8_t *mem = alloc_mem(0, MADV_NOHUGEPAGE);
	uint64_t before;

	vm_set_user_memory_region(c.vm, SLOT, 0, SLOT_GPA, SLOT_SIZE, mem);
	run_cmd(&c, CMD_NOP, 0, 0);	/* code and stack in */
	before = pages_2m(&c);
	run_cmd(&c, CMD_WRITE, SLOT_GVA, 12);
	check_host(mem, 12);
	if (c.slot0_huge)
		ksft_print_msg("slot 0 is 2 MiB aligned: pages_2m not checked\n");
	else
		TEST_ASSERT_EQ(pages_2m(&c), before);
	finish(&c);
}

/*
 * A writable slot over THP memory the host then made read-only
 * (mprotect): the guest reads what the host wrote; minikvm maps it with
 * 4 KiB leaves, read-only (a 2 MiB pin needs a writable host mapping in a
 * writable slot), KVM 6.1 maps 2 MiB read-only leaves (seen on the SVM
 * test machine; printed, not checked).  A guest write fails KVM_RUN with
 * EFAULT on both.
 */
static void host_readonly(void)
{
	struct ctx c = setup();
	uint8_t *mem = alloc_mem(0, MADV_HUGEPAGE);
	uint64_t before;
	int r;

	host_write(mem, 15);
	TEST_ASSERT(!mprotect(mem, SLOT_SIZE, PROT_READ), "mprotect");
	vm_set_user_memory_region(c.vm, SLOT, 0, SLOT_GPA, SLOT_SIZE, mem);
	run_cmd(&c, CMD_NOP, 0, 0);	/* code and stack in */
	before = pages_2m(&c);
	run_cmd(&c, CMD_READ_HOST, SLOT_GVA, 15);
	ksft_print_msg("pages_2m %llu -> %llu\n", (unsigned long long)before,
		       (unsigned long long)pages_2m(&c));
	if (kvm_dev_is_minikvm() && !c.slot0_huge)
		TEST_ASSERT_EQ(pages_2m(&c), before);

	cmd[0] = CMD_RO_WRITE;
	sync_global_to_guest(c.vm, cmd);
	r = __vcpu_run(c.vcpu);
	TEST_ASSERT(r == -1 && errno == EFAULT,
		    "KVM_RUN: %d, errno %s; expected EFAULT", r,
		    errno_name(errno));
	kvm_vm_free(c.vm);
}

/*
 * A hugetlbfs-backed slot (MAP_HUGETLB, 2 MiB pages): 2 MiB leaves too.
 * The test reserves the pages it needs (vm.nr_hugepages, restored after)
 * and skips where it cannot.
 */
static void hugetlb(void)
{
	const char *path = "/proc/sys/vm/nr_hugepages";
	unsigned long old = 0, want = SLOT_SIZE / SZ_2M;
	struct ctx c;
	uint8_t *mem;
	uint64_t before;
	FILE *f;

	c = setup();
	f = fopen(path, "r");
	if (!f || fscanf(f, "%lu", &old) != 1)
		ksft_exit_skip("cannot read %s\n", path);
	fclose(f);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%lu\n", old + want);
		fclose(f);
	}
	mem = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (21 << 26),
		   -1, 0);
	if (mem == MAP_FAILED) {
		f = fopen(path, "w");
		if (f) {
			fprintf(f, "%lu\n", old);
			fclose(f);
		}
		ksft_exit_skip("no 2 MiB hugetlb pages (MAP_HUGETLB failed)\n");
	}
	vm_set_user_memory_region(c.vm, SLOT, 0, SLOT_GPA, SLOT_SIZE, mem);
	run_cmd(&c, CMD_NOP, 0, 0);	/* code and stack in */
	before = pages_2m(&c);
	run_cmd(&c, CMD_WRITE, SLOT_GVA, 13);
	check_host(mem, 13);
	TEST_ASSERT(pages_2m(&c) > before, "pages_2m %llu, was %llu",
		    (unsigned long long)pages_2m(&c),
		    (unsigned long long)before);
	host_write(mem, 14);
	run_cmd(&c, CMD_READ_HOST, SLOT_GVA, 14);
	finish(&c);
	munmap(mem, SLOT_SIZE);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%lu\n", old);
		fclose(f);
	}
}

static const struct kvm_test tests[] = {
	KVM_TEST(thp_write_read),
	KVM_TEST(misaligned),
	KVM_TEST(dirty_log),
	KVM_TEST(readonly),
	KVM_TEST(delete_recreate),
	KVM_TEST(nohugepage),
	KVM_TEST(host_readonly),
	KVM_TEST(hugetlb),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
