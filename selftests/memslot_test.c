// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_test - KVM_SET_USER_MEMORY_REGION: creating, moving, re-flagging
 * and deleting slots, and every check KVM 6.1 makes, with the errno it
 * returns (virt/kvm/kvm_main.c kvm_vm_ioctl_set_memory_region(),
 * __kvm_set_memory_region(), check_memory_region_flags();
 * arch/x86/kvm/x86.c kvm_arch_prepare_memory_region()).
 *
 * There is no ioctl that reads slots back, so state is observed through
 * the API itself: a range is in use if a probe slot there fails with
 * -EEXIST; a slot exists if re-setting it identically succeeds; a slot is
 * absent if deleting it fails with -EINVAL.  Every failed call is followed
 * by such checks that nothing changed.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"

#define SZ		0x10000ULL		/* 64 KiB, the size of most slots */
#define GPA		0x100000ULL		/* where most slots start */
#define PG		PAGE_SIZE_4K
#define MEM_MAX_NR_PAGES	((1ULL << 31) - 1)	/* KVM_MEM_MAX_NR_PAGES */
#define TASK_SIZE_MAX_4LVL	0x7ffffffff000ULL	/* x86-64, 4-level paging */

/* One VM plus host memory to back its slots. */
static struct kvm_vm *vm;
static char *mem;		/* 4 * SZ bytes, mapped read-write */
static int nr_slots;		/* KVM_CAP_NR_MEMSLOTS */
static uint32_t probe_slot;	/* the id the probes use: nr_slots - 1 */

static void setup(void)
{
	vm = vm_create();
	nr_slots = vm_check_cap(vm, KVM_CAP_NR_MEMSLOTS);
	TEST_ASSERT(nr_slots > 2, "KVM_CAP_NR_MEMSLOTS is %d", nr_slots);
	probe_slot = nr_slots - 1;
	mem = mmap(NULL, 4 * SZ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap");
}

/* Raw KVM_SET_USER_MEMORY_REGION on the test VM. */
static int set(uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
	       void *hva)
{
	return __vm_set_user_memory_region(vm, slot, flags, gpa, size, hva);
}

/* Asserts that set(...) fails with @err. */
#define EXPECT_ERR(err, slot, flags, gpa, size, hva)			\
	TEST_ASSERT_ERRNO(set(slot, flags, gpa, size, hva), err,	\
			  "set(" #slot ", " #flags ", " #gpa ", " #size ", " #hva ")")

/* Asserts that set(...) succeeds. */
#define EXPECT_OK(slot, flags, gpa, size, hva)				\
	TEST_ASSERT(!set(slot, flags, gpa, size, hva),			\
		    "set(" #slot ", " #flags ", " #gpa ", " #size ", " #hva \
		    ") failed: %s", errno_name(errno))

/* Returns true if some slot of address space 0 covers page @gpa. */
static bool gpa_in_use(uint64_t gpa)
{
	int r = set(probe_slot, 0, gpa, PG, mem + 3 * SZ);

	if (r && errno == EEXIST)
		return true;
	TEST_ASSERT(!r, "probe slot at 0x%llx: %s", (unsigned long long)gpa,
		    errno_name(errno));
	TEST_ASSERT(!set(probe_slot, 0, 0, 0, NULL), "deleting the probe slot");
	return false;
}

/* Asserts that slot @slot exists exactly as given (an identical set is a
 * no-op that only succeeds if size, host address and flags match, and the
 * range is covered). */
static void expect_slot(uint32_t slot, uint32_t flags, uint64_t gpa,
			uint64_t size, void *hva)
{
	TEST_ASSERT(!set(slot, flags, gpa, size, hva),
		    "slot %u is not as expected: %s", slot, errno_name(errno));
	TEST_ASSERT(gpa_in_use(gpa) && gpa_in_use(gpa + size - PG),
		    "slot %u does not cover 0x%llx..0x%llx", slot,
		    (unsigned long long)gpa, (unsigned long long)(gpa + size));
}

/* Asserts that slot @slot does not exist. */
static void expect_no_slot(uint32_t slot)
{
	TEST_ASSERT_ERRNO(set(slot, 0, 0, 0, NULL), EINVAL, "deleting an absent slot");
}

/* Returns the number of address spaces (KVM reports the cap only if > 1). */
static int nr_address_spaces(void)
{
	int n = vm_check_cap(vm, KVM_CAP_MULTI_ADDRESS_SPACE);

	return n > 1 ? n : 1;
}

static void create_delete(void)
{
	setup();
	TEST_ASSERT(!gpa_in_use(GPA), "fresh VM has no slots");
	EXPECT_OK(0, 0, GPA, SZ, mem);
	expect_slot(0, 0, GPA, SZ, mem);
	TEST_ASSERT(!gpa_in_use(GPA - PG) && !gpa_in_use(GPA + SZ),
		    "the slot covers exactly its range");
	/* Deleting ignores gpa and host address; only size 0 matters. */
	EXPECT_OK(0, 0, 0x12345000, 0, NULL);
	expect_no_slot(0);
	TEST_ASSERT(!gpa_in_use(GPA), "deleted slot's range is free");
	/* The id can be reused with any geometry. */
	EXPECT_OK(0, 0, 0, 2 * SZ, mem);
	expect_slot(0, 0, 0, 2 * SZ, mem);
}

/* Size 0 on a slot that does not exist is -EINVAL. */
static void delete_absent(void)
{
	setup();
	EXPECT_ERR(EINVAL, 0, 0, GPA, 0, mem);
	EXPECT_ERR(EINVAL, 5, 0, 0, 0, NULL);
	EXPECT_OK(0, 0, GPA, SZ, mem);
	EXPECT_OK(0, 0, GPA, 0, mem);
	EXPECT_ERR(EINVAL, 0, 0, GPA, 0, mem);	/* deleted twice */
}

static void move(void)
{
	setup();
	EXPECT_OK(0, 0, GPA, SZ, mem);
	EXPECT_OK(1, 0, GPA + 4 * SZ, SZ, mem + SZ);
	/* Move slot 0 up by 2 * SZ: the old range is free, the new one used. */
	EXPECT_OK(0, 0, GPA + 2 * SZ, SZ, mem);
	expect_slot(0, 0, GPA + 2 * SZ, SZ, mem);
	TEST_ASSERT(!gpa_in_use(GPA), "old range is free after the move");
	/* A move that overlaps by itself only is fine. */
	EXPECT_OK(0, 0, GPA + 2 * SZ + PG, SZ, mem);
	/* A move onto another slot is -EEXIST and changes nothing. */
	EXPECT_ERR(EEXIST, 0, 0, GPA + 4 * SZ - PG, SZ, mem);
	EXPECT_ERR(EEXIST, 0, 0, GPA + 4 * SZ, SZ, mem);
	expect_slot(0, 0, GPA + 2 * SZ + PG, SZ, mem);
	expect_slot(1, 0, GPA + 4 * SZ, SZ, mem + SZ);
}

static void readonly(void)
{
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_READONLY_MEM));
	setup();
	EXPECT_OK(0, KVM_MEM_READONLY, GPA, SZ, mem);
	expect_slot(0, KVM_MEM_READONLY, GPA, SZ, mem);
	/* Read-only-ness cannot change on an existing slot, either way. */
	EXPECT_ERR(EINVAL, 0, 0, GPA, SZ, mem);
	expect_slot(0, KVM_MEM_READONLY, GPA, SZ, mem);
	EXPECT_OK(1, 0, GPA + SZ, SZ, mem + SZ);
	EXPECT_ERR(EINVAL, 1, KVM_MEM_READONLY, GPA + SZ, SZ, mem + SZ);
	expect_slot(1, 0, GPA + SZ, SZ, mem + SZ);
	/* A read-only slot can move. */
	EXPECT_OK(0, KVM_MEM_READONLY, GPA + 2 * SZ, SZ, mem);
	expect_slot(0, KVM_MEM_READONLY, GPA + 2 * SZ, SZ, mem);
}

static void unaligned(void)
{
	setup();
	EXPECT_ERR(EINVAL, 0, 0, GPA + 1, SZ, mem);
	EXPECT_ERR(EINVAL, 0, 0, GPA + PG / 2, SZ, mem);
	EXPECT_ERR(EINVAL, 0, 0, GPA, SZ - 1, mem);
	EXPECT_ERR(EINVAL, 0, 0, GPA, 1, mem);
	EXPECT_ERR(EINVAL, 0, 0, GPA, SZ, mem + 1);
	EXPECT_ERR(EINVAL, 0, 0, GPA, SZ, mem + PG / 2);
	expect_no_slot(0);
	TEST_ASSERT(!gpa_in_use(GPA), "nothing was created");
	/* The same checks guard an existing slot. */
	EXPECT_OK(0, 0, GPA, SZ, mem);
	EXPECT_ERR(EINVAL, 0, 0, GPA + 8, SZ, mem);
	EXPECT_ERR(EINVAL, 0, 0, GPA, SZ, mem + 8);
	/* Alignment is checked even when deleting. */
	EXPECT_ERR(EINVAL, 0, 0, GPA + 8, 0, mem);
	EXPECT_ERR(EINVAL, 0, 0, GPA, 0, mem + 8);
	expect_slot(0, 0, GPA, SZ, mem);
}

/* Ids at and above KVM_CAP_NR_MEMSLOTS, and address spaces (bits 16+). */
static void slot_id_limits(void)
{
	int nr_as;
	uint32_t as;

	setup();
	nr_as = nr_address_spaces();
	EXPECT_OK(nr_slots - 1, 0, GPA, SZ, mem);
	EXPECT_OK(nr_slots - 1, 0, 0, 0, NULL);
	TEST_ASSERT_ERRNO(set(nr_slots, 0, GPA, SZ, mem), EINVAL, "slot NR_MEMSLOTS");
	TEST_ASSERT_ERRNO(set(0xffff, 0, GPA, SZ, mem), EINVAL, "slot 0xffff");
	TEST_ASSERT_ERRNO(set(nr_slots, 0, GPA, 0, NULL), EINVAL,
			  "deleting slot NR_MEMSLOTS");
	TEST_ASSERT(!gpa_in_use(GPA), "nothing was created");

	/*
	 * Derived from KVM_CAP_MULTI_ADDRESS_SPACE: KVM on x86 has a second
	 * (SMM) address space, minikvm has one.  A slot of another space may
	 * cover the same guest-physical range.
	 */
	EXPECT_OK(0, 0, GPA, SZ, mem);
	for (as = 1; as < (uint32_t)nr_as; as++) {
		TEST_ASSERT(!set(as << 16, 0, GPA, SZ, mem + SZ),
			    "slot 0 of address space %u: %s", as, errno_name(errno));
		TEST_ASSERT(!set(as << 16, 0, 0, 0, NULL), "deleting it");
	}
	TEST_ASSERT_ERRNO(set((uint32_t)nr_as << 16, 0, GPA + SZ, SZ, mem + SZ),
			  EINVAL, "slot in the first absent address space");
	TEST_ASSERT_ERRNO(set(0xffffu << 16, 0, GPA + SZ, SZ, mem + SZ), EINVAL,
			  "address space 0xffff");
	/* Address space 0 was not touched. */
	expect_slot(0, 0, GPA, SZ, mem);
	TEST_ASSERT(!gpa_in_use(GPA + SZ), "nothing else was created");
}

static void bad_flags(void)
{
	static const uint32_t flags[] = { 1u << 2, 1u << 3, 1u << 16, 1u << 31,
					  ~0u };
	size_t i;

	setup();
	for (i = 0; i < ARRAY_SIZE(flags); i++)
		TEST_ASSERT(set(0, flags[i], GPA, SZ, mem) == -1 && errno == EINVAL,
			    "flags 0x%x: expected EINVAL, got %s", flags[i],
			    errno_name(errno));
	expect_no_slot(0);

	/* Flags are checked on an existing slot too, and before deletion. */
	EXPECT_OK(0, 0, GPA, SZ, mem);
	EXPECT_ERR(EINVAL, 0, 1u << 2, GPA, SZ, mem);
	EXPECT_ERR(EINVAL, 0, 1u << 2, GPA, 0, NULL);
	expect_slot(0, 0, GPA, SZ, mem);
}

/*
 * KVM_MEM_LOG_DIRTY_PAGES: accepted at creation and as a flags-only change
 * of an existing slot, both ways (dirty_log_test checks the logging).
 */
static void log_dirty_pages(void)
{
	setup();
	EXPECT_OK(0, KVM_MEM_LOG_DIRTY_PAGES, GPA, SZ, mem);
	expect_slot(0, KVM_MEM_LOG_DIRTY_PAGES, GPA, SZ, mem);
	EXPECT_OK(0, 0, GPA, SZ, mem);			/* flags only: off */
	expect_slot(0, 0, GPA, SZ, mem);
	EXPECT_OK(0, KVM_MEM_LOG_DIRTY_PAGES, GPA, SZ, mem);	/* and on */
	expect_slot(0, KVM_MEM_LOG_DIRTY_PAGES, GPA, SZ, mem);
}

/* Reads a Y/N module parameter; returns 1, 0, or -1 if it is not there. */
static int read_bool_param(const char *path)
{
	char c = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fread(&c, 1, 1, f) != 1)
		c = 0;
	fclose(f);
	return c == 'Y' || c == '1' ? 1 : c == 'N' || c == '0' ? 0 : -1;
}

/*
 * Returns how many guest-physical address bits a slot may use, or 0 if
 * unknown.  KVM: the host's MAXPHYADDR with NPT/EPT, 52 with shadow paging
 * (kvm_mmu_max_gfn()).  minikvm always uses 4-level NPT/EPT: at most 48.
 */
static unsigned int slot_gpa_bits(void)
{
	int tdp;

	if (kvm_dev_is_minikvm())
		return host_maxphyaddr() < 48 ? host_maxphyaddr() : 48;
	tdp = read_bool_param(host_cpu_is_intel() ?
			      "/sys/module/kvm_intel/parameters/ept" :
			      "/sys/module/kvm_amd/parameters/npt");
	if (tdp < 0)
		return 0;
	return tdp ? host_maxphyaddr() : 52;
}

/* gpa + size must not wrap, and must stay below the guest-physical limit
 * of the MMU (arch/x86/kvm/x86.c kvm_arch_prepare_memory_region()). */
static void gpa_limits(void)
{
	unsigned int bits = slot_gpa_bits();
	uint64_t top;

	setup();
	EXPECT_ERR(EINVAL, 0, 0, 0xfffffffffffff000ULL, 2 * PG, mem);
	EXPECT_ERR(EINVAL, 0, 0, 0xffffffffffff0000ULL, SZ + PG, mem);
	expect_no_slot(0);

	TEST_REQUIRE(bits);	/* a KVM without kvm_amd/kvm_intel parameters */
	top = 1ULL << bits;
	EXPECT_ERR(EINVAL, 0, 0, top, PG, mem);
	EXPECT_ERR(EINVAL, 0, 0, top - PG, 2 * PG, mem);
	expect_no_slot(0);
	/* The last page below the limit is fine. */
	EXPECT_OK(0, 0, top - PG, PG, mem);
	expect_slot(0, 0, top - PG, PG, mem);
	/* Moving a slot beyond the limit fails and leaves it in place. */
	EXPECT_ERR(EINVAL, 0, 0, top, PG, mem);
	expect_slot(0, 0, top - PG, PG, mem);
}

/* The host range must be user memory: access_ok() on [uaddr, uaddr + size). */
static void host_address_limits(void)
{
	static const uint64_t bad[] = {
		0xffff800000000000ULL,	/* kernel: start of the direct map */
		0xffffffff81000000ULL,	/* kernel text */
		0x0100000000000000ULL,	/* non-canonical, with 4 or 5 levels */
		0xfffffffffffff000ULL,
	};
	size_t i;

	setup();
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		TEST_ASSERT(set(0, 0, GPA, PG, (void *)(uintptr_t)bad[i]) == -1 &&
			    errno == EINVAL, "host address 0x%llx: expected EINVAL, got %s",
			    (unsigned long long)bad[i], errno_name(errno));
	expect_no_slot(0);

	/* The exact boundary depends on the paging depth of the host kernel. */
	TEST_REQUIRE(host_kernel_has("la57") == 0);
	/* Non-canonical with 4 levels (5 levels make it user memory). */
	EXPECT_ERR(EINVAL, 0, 0, GPA, PG, (void *)0x0000800000000000ULL);
	EXPECT_ERR(EINVAL, 0, 0, GPA, 2 * PG, (void *)(TASK_SIZE_MAX_4LVL - PG));
	EXPECT_ERR(EINVAL, 0, 0, GPA, PG, (void *)TASK_SIZE_MAX_4LVL);
	expect_no_slot(0);
	/* A range ending exactly at the top of user space is accepted. */
	EXPECT_OK(0, 0, GPA, PG, (void *)(TASK_SIZE_MAX_4LVL - PG));
	expect_slot(0, 0, GPA, PG, (void *)(TASK_SIZE_MAX_4LVL - PG));
}

/* Host memory is only checked for being user memory, not for being
 * mapped: a VMM may map it later (KVM faults it in when the guest runs). */
static void unmapped_host_address(void)
{
	void *hole;

	setup();
	hole = mmap(NULL, SZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(hole != MAP_FAILED, "mmap");
	TEST_ASSERT(!munmap(hole, SZ), "munmap");
	EXPECT_OK(0, 0, GPA, SZ, hole);
	expect_slot(0, 0, GPA, SZ, hole);
	/* Nor is it checked for overlapping another slot's host memory. */
	EXPECT_OK(1, 0, GPA + SZ, SZ, hole);
	expect_slot(1, 0, GPA + SZ, SZ, hole);
}

static void too_many_pages(void)
{
	setup();
	/* 2^31 pages (8 TiB) is one too many; the host range is still user. */
	EXPECT_ERR(EINVAL, 0, 0, 0, (MEM_MAX_NR_PAGES + 1) * PG, (void *)0x10000000);
	EXPECT_ERR(EINVAL, 0, 0, 0, 1ULL << 46, (void *)0x10000000);
	expect_no_slot(0);
}

static void overlap(void)
{
	static const struct { uint64_t gpa, size; } clash[] = {
		{ GPA, SZ },			/* identical */
		{ GPA - PG, 2 * PG },		/* over the start */
		{ GPA + SZ - PG, 2 * PG },	/* over the end */
		{ GPA + PG, PG },		/* inside */
		{ GPA - SZ, 3 * SZ },		/* around */
	};
	size_t i;

	setup();
	EXPECT_OK(0, 0, GPA, SZ, mem);
	for (i = 0; i < ARRAY_SIZE(clash); i++) {
		TEST_ASSERT(set(1, 0, clash[i].gpa, clash[i].size, mem + SZ) == -1 &&
			    errno == EEXIST, "0x%llx+0x%llx over slot 0: expected EEXIST, got %s",
			    (unsigned long long)clash[i].gpa,
			    (unsigned long long)clash[i].size, errno_name(errno));
		expect_no_slot(1);
	}
	/* Neighbours touching either end are fine. */
	EXPECT_OK(1, 0, GPA - SZ, SZ, mem + SZ);
	EXPECT_OK(2, 0, GPA + SZ, SZ, mem + 2 * SZ);
	expect_slot(0, 0, GPA, SZ, mem);
	expect_slot(1, 0, GPA - SZ, SZ, mem + SZ);
	expect_slot(2, 0, GPA + SZ, SZ, mem + 2 * SZ);
}

/* An existing slot keeps its size and host address; only gpa and (other
 * than read-only) flags may change. */
static void modify_existing(void)
{
	setup();
	EXPECT_OK(0, 0, GPA, SZ, mem);
	EXPECT_ERR(EINVAL, 0, 0, GPA, 2 * SZ, mem);		/* grow */
	EXPECT_ERR(EINVAL, 0, 0, GPA, SZ - PG, mem);		/* shrink */
	EXPECT_ERR(EINVAL, 0, 0, GPA, SZ, mem + PG);		/* other host address */
	EXPECT_ERR(EINVAL, 0, 0, GPA + SZ, SZ, mem + SZ);	/* move + new host address */
	EXPECT_ERR(EINVAL, 0, 0, GPA, 2 * SZ, mem);
	expect_slot(0, 0, GPA, SZ, mem);
	TEST_ASSERT(!gpa_in_use(GPA + SZ), "nothing grew");
	/* Setting it again unchanged is a successful no-op. */
	EXPECT_OK(0, 0, GPA, SZ, mem);
	EXPECT_OK(0, 0, GPA, SZ, mem);
	expect_slot(0, 0, GPA, SZ, mem);
}

static void efault(void)
{
	setup();
	TEST_ASSERT_ERRNO(ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, NULL), EFAULT,
			  "KVM_SET_USER_MEMORY_REGION(NULL)");
	TEST_ASSERT(!gpa_in_use(0), "nothing was created");
}

static const struct kvm_test tests[] = {
	KVM_TEST(create_delete),
	KVM_TEST(delete_absent),
	KVM_TEST(move),
	KVM_TEST(readonly),
	KVM_TEST(unaligned),
	KVM_TEST(slot_id_limits),
	KVM_TEST(bad_flags),
	KVM_TEST(log_dirty_pages),
	KVM_TEST(gpa_limits),
	KVM_TEST(host_address_limits),
	KVM_TEST(unmapped_host_address),
	KVM_TEST(too_many_pages),
	KVM_TEST(overlap),
	KVM_TEST(modify_existing),
	KVM_TEST(efault),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
