// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcpu_create_test - KVM_CREATE_VCPU and the vCPU fd: id and count limits
 * taken from KVM_CAP_MAX_VCPU_ID and KVM_CAP_MAX_VCPUS, duplicate ids, the
 * mmap of the kvm_run area (size from KVM_GET_VCPU_MMAP_SIZE, SIGBUS past
 * it), and what an unknown vCPU ioctl returns (virt/kvm/kvm_main.c
 * kvm_vm_ioctl_create_vcpu(), kvm_vcpu_ioctl(), kvm_vcpu_fault();
 * arch/x86/kvm/x86.c kvm_arch_vcpu_precreate(), kvm_arch_vcpu_ioctl()).
 */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"

#define PG			PAGE_SIZE_4K
#define COUNT_LIMIT_MAX		1024	/* try the count limit only up to this */
#define UNKNOWN_KVM_IOCTL	_IO(KVMIO, 0xff)

/* Creates vCPU @id with a raw ioctl and closes its fd; returns 0 or errno. */
static int create_and_close(struct kvm_vm *vm, unsigned long id)
{
	int fd = __vm_create_vcpu_fd(vm, id);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static void ids_in_order(void)
{
	struct kvm_vm *vm = vm_create();
	int max = vm_check_cap(vm, KVM_CAP_MAX_VCPUS);
	int n = max < 8 ? max : 8, i;

	for (i = 0; i < n; i++) {
		struct kvm_vcpu *vcpu = vm_vcpu_add(vm, i);
		struct kvm_regs regs;

		TEST_ASSERT(vcpu->fd != vm->fd && vcpu->fd != vm->kvm_fd,
			    "vCPU %d has its own fd", i);
		vcpu_regs_get(vcpu, &regs);
		TEST_ASSERT_EQ(regs.rip, 0xfff0);
	}
	TEST_ASSERT_EQ(vm->nr_vcpus, n);
	kvm_vm_free(vm);
}

/* Ids need not be dense: any id below KVM_CAP_MAX_VCPU_ID will do. */
static void sparse_ids(void)
{
	struct kvm_vm *vm = vm_create();
	int max_id = vm_check_cap(vm, KVM_CAP_MAX_VCPU_ID);

	TEST_REQUIRE(vm_check_cap(vm, KVM_CAP_MAX_VCPUS) >= 3);
	vm_vcpu_add(vm, max_id - 1);
	vm_vcpu_add(vm, 7);
	vm_vcpu_add(vm, 0);
	kvm_vm_free(vm);
}

static void duplicate_id(void)
{
	struct kvm_vm *vm = vm_create();

	vm_vcpu_add(vm, 3);
	TEST_ASSERT_ERRNO(__vm_create_vcpu_fd(vm, 3), EEXIST, "vCPU 3 twice");
	TEST_ASSERT_ERRNO(__vm_create_vcpu_fd(vm, 3), EEXIST, "vCPU 3 thrice");
	/* The failures created nothing and used up nothing. */
	vm_vcpu_add(vm, 4);
	kvm_vm_free(vm);
}

/* A vCPU lives as long as its VM: closing its fd does not free its id. */
static void closed_fd_keeps_id(void)
{
	struct kvm_vm *vm = vm_create();

	TEST_ASSERT_EQ(create_and_close(vm, 5), 0);
	TEST_ASSERT_ERRNO(__vm_create_vcpu_fd(vm, 5), EEXIST,
			  "vCPU 5 after closing its fd");
	kvm_vm_free(vm);
}

static void id_limit(void)
{
	struct kvm_vm *vm = vm_create();
	unsigned long max_id = vm_check_cap(vm, KVM_CAP_MAX_VCPU_ID);

	TEST_ASSERT_ERRNO(__vm_create_vcpu_fd(vm, max_id), EINVAL,
			  "vCPU id KVM_CAP_MAX_VCPU_ID");
	TEST_ASSERT_ERRNO(__vm_create_vcpu_fd(vm, max_id + 1), EINVAL,
			  "vCPU id KVM_CAP_MAX_VCPU_ID + 1");
	TEST_ASSERT_ERRNO(__vm_create_vcpu_fd(vm, 0xffffffffUL), EINVAL,
			  "vCPU id 0xffffffff");
	TEST_ASSERT_EQ(create_and_close(vm, max_id - 1), 0);
	kvm_vm_free(vm);
}

/* The id is a u32: KVM 6.1 drops the upper half of the ioctl argument
 * (6.12 refuses it: EINVAL). */
static void id_is_u32(void)
{
	struct kvm_vm *vm = vm_create();

	if (kvm_dev_is_kvm_6_12()) {
		TEST_ASSERT_ERRNO(__vm_create_vcpu_fd(vm, (1UL << 32) | 2), EINVAL,
				  "vCPU (1 << 32) | 2");
		kvm_vm_free(vm);
		return;
	}

	TEST_ASSERT_EQ(create_and_close(vm, (1UL << 32) | 2), 0);
	TEST_ASSERT_ERRNO(__vm_create_vcpu_fd(vm, 2), EEXIST,
			  "vCPU 2 after creating (1 << 32) | 2");
	TEST_ASSERT_ERRNO(__vm_create_vcpu_fd(vm, (1UL << 33) | 2), EEXIST,
			  "vCPU (1 << 33) | 2");
	kvm_vm_free(vm);
}

/*
 * At most KVM_CAP_MAX_VCPUS vCPUs.  KVM counts before it looks for a
 * duplicate id, so a full VM answers -EINVAL even for an id in use; a
 * failed create does not count.
 */
static void count_limit(void)
{
	struct kvm_vm *vm = vm_create();
	int max = vm_check_cap(vm, KVM_CAP_MAX_VCPUS);
	int max_id = vm_check_cap(vm, KVM_CAP_MAX_VCPU_ID);
	int i;

	TEST_REQUIRE(max <= COUNT_LIMIT_MAX);
	TEST_REQUIRE(max < max_id);	/* else the id limit hits first */
	for (i = 0; i < max - 1; i++)
		TEST_ASSERT(!create_and_close(vm, i), "vCPU %d of %d: %s", i, max,
			    errno_name(errno));
	TEST_ASSERT_ERRNO(__vm_create_vcpu_fd(vm, 0), EEXIST, "duplicate, not full");
	TEST_ASSERT(!create_and_close(vm, max_id - 1), "the last vCPU: %s",
		    errno_name(errno));
	TEST_ASSERT_ERRNO(__vm_create_vcpu_fd(vm, max - 1), EINVAL,
			  "one vCPU more than KVM_CAP_MAX_VCPUS");
	TEST_ASSERT_ERRNO(__vm_create_vcpu_fd(vm, 0), EINVAL,
			  "duplicate id in a full VM");
	TEST_ASSERT_ERRNO(__vm_create_vcpu_fd(vm, max_id), EINVAL,
			  "id KVM_CAP_MAX_VCPU_ID in a full VM");
	kvm_vm_free(vm);
}

/* The vCPU fd maps kvm_run at page 0 and the PIO data page at page 1;
 * the area is KVM_GET_VCPU_MMAP_SIZE long and any page past it is SIGBUS. */
static void run_mmap(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, 0);
	size_t size = vcpu->run_size, i;
	volatile char *all, *pio, *past;

	TEST_ASSERT(size % PG == 0 && size >= 2 * PG, "mmap size %zu", size);
	/* One page more than the area: the mapping itself is allowed. */
	all = mmap(NULL, size + PG, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	TEST_ASSERT(all != MAP_FAILED, "mmap of %zu bytes", size + PG);
	for (i = 0; i < size; i += PG)
		TEST_ASSERT(!probe_access(all + i, false), "page %zu faults", i / PG);
	TEST_ASSERT_EQ(probe_access(all + size, false), SIGBUS);

	/* The same pages through another mapping. */
	pio = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd,
		   KVM_PIO_PAGE_OFFSET * PG);
	TEST_ASSERT(pio != MAP_FAILED, "mmap of the PIO page alone");
	pio[100] = 0x5a;
	TEST_ASSERT_EQ(all[KVM_PIO_PAGE_OFFSET * PG + 100], 0x5a);
	TEST_ASSERT(((volatile char *)vcpu->run)[KVM_PIO_PAGE_OFFSET * PG + 100] == 0x5a,
		    "the library's mapping sees the same page");

	/* A mapping that starts past the area faults on first touch. */
	past = mmap(NULL, PG, PROT_READ, MAP_SHARED, vcpu->fd, size);
	TEST_ASSERT(past != MAP_FAILED, "mmap at offset %zu", size);
	TEST_ASSERT_EQ(probe_access(past, false), SIGBUS);

	munmap((void *)all, size + PG);
	munmap((void *)pio, PG);
	munmap((void *)past, PG);
	kvm_vm_free(vm);
}

/* Each vCPU has its own kvm_run and PIO pages. */
static void run_pages_per_vcpu(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *a, *b;
	volatile char *pa, *pb;

	TEST_REQUIRE(vm_check_cap(vm, KVM_CAP_MAX_VCPUS) >= 2);
	a = vm_vcpu_add(vm, 0);
	b = vm_vcpu_add(vm, 1);
	TEST_ASSERT(a->run != b->run, "two mappings");
	pa = (volatile char *)a->run;
	pb = (volatile char *)b->run;
	pb[KVM_PIO_PAGE_OFFSET * PG] = 0x11;
	pa[KVM_PIO_PAGE_OFFSET * PG] = 0x22;
	TEST_ASSERT_EQ(pb[KVM_PIO_PAGE_OFFSET * PG], 0x11);
	kvm_vm_free(vm);
}

static void vcpu_fd_cloexec(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, 0);
	int flags = fcntl(vcpu->fd, F_GETFD);

	TEST_ASSERT(flags >= 0 && (flags & FD_CLOEXEC),
		    "KVM_CREATE_VCPU returns an O_CLOEXEC fd (flags 0x%x)", flags);
	kvm_vm_free(vm);
}

/* kvm_vcpu_ioctl() answers -EINVAL to what it does not know, including
 * other drivers' ioctls and system or VM ioctls. */
static void unknown_vcpu_ioctl(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, 0);
	struct kvm_userspace_memory_region region = { .memory_size = PG };
	struct kvm_regs before, after;

	vcpu_regs_get(vcpu, &before);
	TEST_ASSERT_ERRNO(ioctl(vcpu->fd, UNKNOWN_KVM_IOCTL, 0), EINVAL,
			  "_IO(KVMIO, 0xff)");
	TEST_ASSERT_ERRNO(ioctl(vcpu->fd, TCGETS, &after), EINVAL, "TCGETS");
	TEST_ASSERT_ERRNO(ioctl(vcpu->fd, KVM_GET_API_VERSION, 0), EINVAL,
			  "KVM_GET_API_VERSION on a vCPU fd");
	TEST_ASSERT_ERRNO(ioctl(vcpu->fd, KVM_CREATE_VCPU, 1), EINVAL,
			  "KVM_CREATE_VCPU on a vCPU fd");
	TEST_ASSERT_ERRNO(ioctl(vcpu->fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY),
			  EINVAL, "KVM_CHECK_EXTENSION on a vCPU fd");
	TEST_ASSERT_ERRNO(ioctl(vcpu->fd, KVM_SET_USER_MEMORY_REGION, &region),
			  EINVAL, "KVM_SET_USER_MEMORY_REGION on a vCPU fd");
	vcpu_regs_get(vcpu, &after);
	TEST_ASSERT(!memcmp(&before, &after, sizeof(before)), "registers changed");
	/* Nothing was created on the side. */
	vm_vcpu_add(vm, 1);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(ids_in_order),
	KVM_TEST(sparse_ids),
	KVM_TEST(duplicate_id),
	KVM_TEST(closed_fd_keeps_id),
	KVM_TEST(id_limit),
	KVM_TEST(id_is_u32),
	KVM_TEST(count_limit),
	KVM_TEST(run_mmap),
	KVM_TEST(run_pages_per_vcpu),
	KVM_TEST(vcpu_fd_cloexec),
	KVM_TEST(unknown_vcpu_ioctl),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
