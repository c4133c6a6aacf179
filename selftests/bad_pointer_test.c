// SPDX-License-Identifier: GPL-2.0-only
/*
 * bad_pointer_test - every ioctl that takes a pointer answers -EFAULT for a
 * pointer it cannot copy through (NULL, unmapped, kernel, non-canonical,
 * a struct running into an unmapped page, a read-only page for the GET
 * ioctls) and changes nothing when it fails; a readable pointer is enough
 * for the SET ioctls (virt/kvm/kvm_main.c: copy_from_user/memdup_user and
 * copy_to_user in kvm_vm_ioctl() and kvm_vcpu_ioctl()).
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"

#define PG		PAGE_SIZE_4K

/* Pages for the bad pointers: page 0 read-write, page 1 read-only, page 2
 * unmapped. */
static char *pages;

/* Pointers that can be neither read nor written. */
static uintptr_t bad[5];
static const char *const bad_names[] = {
	"NULL", "unmapped", "kernel", "non-canonical", "straddling",
};

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpu;

/* Makes the VM, the vCPU and the pages; @size is the struct under test. */
static void setup(size_t size)
{
	vm = vm_create();
	vcpu = vm_vcpu_add(vm, 0);
	pages = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(pages != MAP_FAILED, "mmap");
	memset(pages, 0, 2 * PG);
	TEST_ASSERT(!munmap(pages + 2 * PG, PG), "munmap");
	TEST_ASSERT(!mprotect(pages + PG, PG, PROT_READ), "mprotect");
	bad[0] = 0;
	bad[1] = (uintptr_t)(pages + 2 * PG);
	bad[2] = 0xffffffff81000000ULL;
	bad[3] = 0x8000000000000000ULL;
	/* Starts in the read-only page, ends in the unmapped one. */
	bad[4] = (uintptr_t)(pages + 2 * PG - size / 2);
}

static void set_user_memory_region(void)
{
	struct kvm_userspace_memory_region *ro;
	size_t i;

	setup(sizeof(*ro));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		TEST_ASSERT(ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, bad[i]) == -1 &&
			    errno == EFAULT, "%s pointer: expected EFAULT, got %s",
			    bad_names[i], errno_name(errno));
	/* Nothing was created: slot 0 is absent and the range is free. */
	TEST_ASSERT_ERRNO(__vm_set_user_memory_region(vm, 0, 0, 0, 0, NULL), EINVAL,
			  "slot 0 is absent");
	/* Read-only memory is fine for a struct the kernel only reads. */
	ro = (void *)(pages + PG);
	TEST_ASSERT(!mprotect(pages + PG, PG, PROT_READ | PROT_WRITE), "mprotect");
	*ro = (struct kvm_userspace_memory_region){
		.slot = 0, .memory_size = PG, .userspace_addr = (uintptr_t)pages,
	};
	TEST_ASSERT(!mprotect(pages + PG, PG, PROT_READ), "mprotect");
	TEST_ASSERT(!ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, ro),
		    "struct in a read-only page");
}

/* Runs a GET ioctl with each bad pointer and the read-only page. */
static void get_faults(unsigned long cmd, const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		TEST_ASSERT(ioctl(vcpu->fd, cmd, bad[i]) == -1 && errno == EFAULT,
			    "%s, %s pointer: expected EFAULT, got %s", name,
			    bad_names[i], errno_name(errno));
	TEST_ASSERT(ioctl(vcpu->fd, cmd, pages + PG) == -1 && errno == EFAULT,
		    "%s into a read-only page: expected EFAULT, got %s", name,
		    errno_name(errno));
}

static void get_regs(void)
{
	struct kvm_regs before, after;

	setup(sizeof(before));
	vcpu_regs_get(vcpu, &before);
	get_faults(KVM_GET_REGS, "KVM_GET_REGS");
	vcpu_regs_get(vcpu, &after);
	TEST_ASSERT(!memcmp(&before, &after, sizeof(before)), "registers changed");
}

static void get_sregs(void)
{
	struct kvm_sregs before, after;

	setup(sizeof(before));
	vcpu_sregs_get(vcpu, &before);
	get_faults(KVM_GET_SREGS, "KVM_GET_SREGS");
	vcpu_sregs_get(vcpu, &after);
	TEST_ASSERT(!memcmp(&before, &after, sizeof(before)), "registers changed");
}

static void set_regs(void)
{
	struct kvm_regs before, after, *ro;
	size_t i;

	setup(sizeof(before));
	vcpu_regs_get(vcpu, &before);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		TEST_ASSERT(ioctl(vcpu->fd, KVM_SET_REGS, bad[i]) == -1 &&
			    errno == EFAULT, "%s pointer: expected EFAULT, got %s",
			    bad_names[i], errno_name(errno));
	vcpu_regs_get(vcpu, &after);
	TEST_ASSERT(!memcmp(&before, &after, sizeof(before)),
		    "a failed KVM_SET_REGS changed the registers");

	/* From a read-only page it works. */
	ro = (void *)(pages + PG);
	TEST_ASSERT(!mprotect(pages + PG, PG, PROT_READ | PROT_WRITE), "mprotect");
	*ro = before;
	ro->rip = 0x7000;
	TEST_ASSERT(!mprotect(pages + PG, PG, PROT_READ), "mprotect");
	vcpu_regs_set(vcpu, ro);
	vcpu_regs_get(vcpu, &after);
	TEST_ASSERT_EQ(after.rip, 0x7000);
}

static void set_sregs(void)
{
	struct kvm_sregs before, after, *ro;
	size_t i;

	setup(sizeof(before));
	vcpu_sregs_get(vcpu, &before);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		TEST_ASSERT(ioctl(vcpu->fd, KVM_SET_SREGS, bad[i]) == -1 &&
			    errno == EFAULT, "%s pointer: expected EFAULT, got %s",
			    bad_names[i], errno_name(errno));
	vcpu_sregs_get(vcpu, &after);
	TEST_ASSERT(!memcmp(&before, &after, sizeof(before)),
		    "a failed KVM_SET_SREGS changed the registers");

	ro = (void *)(pages + PG);
	TEST_ASSERT(!mprotect(pages + PG, PG, PROT_READ | PROT_WRITE), "mprotect");
	*ro = before;
	ro->cr2 = 0x5000;
	TEST_ASSERT(!mprotect(pages + PG, PG, PROT_READ), "mprotect");
	vcpu_sregs_set(vcpu, ro);
	vcpu_sregs_get(vcpu, &after);
	TEST_ASSERT_EQ(after.cr2, 0x5000);
}

static const struct kvm_test tests[] = {
	KVM_TEST(set_user_memory_region),
	KVM_TEST(get_regs),
	KVM_TEST(get_sregs),
	KVM_TEST(set_regs),
	KVM_TEST(set_sregs),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
