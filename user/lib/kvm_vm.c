// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm_vm.c - VMs and their guest memory (see kvm_util.h).
 *
 * Guest memory is anonymous private memory mapped here and registered with
 * KVM_SET_USER_MEMORY_REGION.  The regions we add are kept in a list on the
 * VM so that addr_gpa2hva() can translate guest-physical addresses; raw
 * __vm_set_user_memory_region() calls (negative tests) are not tracked.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"

int __kvm_create_vm(int kvm_fd, unsigned long type)
{
	return ioctl(kvm_fd, KVM_CREATE_VM, type);
}

struct kvm_vm *vm_create_type(unsigned long type)
{
	static unsigned int vms_created;
	struct kvm_vm *vm = calloc(1, sizeof(*vm));

	TEST_ASSERT(vm, "out of memory");
	vm->seq = __atomic_add_fetch(&vms_created, 1, __ATOMIC_RELAXED);
	vm->kvm_fd = open_kvm_dev();
	vm->type = type;
	vm->fd = kvm_ioctl(vm->kvm_fd, KVM_CREATE_VM, type);
	vm->stats_fd = stats_fd_for_watchers(vm->fd);
	return vm;
}

struct kvm_vm *vm_create(void)
{
	return vm_create_type(0);
}

void kvm_vm_free(struct kvm_vm *vm)
{
	struct kvm_mem_region *r, *next;

	if (!vm)
		return;
	while (vm->vcpus)
		vcpu_free(vm->vcpus);
	if (vm->stats_fd >= 0)
		close(vm->stats_fd);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	/* Memory may only be unmapped once the VM is gone. */
	for (r = vm->regions; r; r = next) {
		next = r->next;
		if (r->host_mem)
			munmap(r->host_mem, r->mmap_size);
		free(r);
	}
	free(vm);
}

int vm_check_cap(struct kvm_vm *vm, long cap)
{
	return vm_ioctl(vm, KVM_CHECK_EXTENSION, cap);
}

int __vm_set_user_memory_region(struct kvm_vm *vm, uint32_t slot,
				uint32_t flags, uint64_t gpa, uint64_t size,
				void *hva)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region);
}

void vm_set_user_memory_region(struct kvm_vm *vm, uint32_t slot,
			       uint32_t flags, uint64_t gpa, uint64_t size,
			       void *hva)
{
	int r = __vm_set_user_memory_region(vm, slot, flags, gpa, size, hva);

	TEST_ASSERT(!r, "KVM_SET_USER_MEMORY_REGION(slot 0x%x flags 0x%x gpa 0x%llx "
		    "size 0x%llx hva %p) failed, errno %s", slot, flags,
		    (unsigned long long)gpa, (unsigned long long)size, hva,
		    errno_name(errno));
}

void vm_mem_region_link(struct kvm_vm *vm, struct kvm_mem_region *r)
{
	r->next = vm->regions;
	vm->regions = r;
}

struct kvm_mem_region *vm_userspace_mem_region_add(struct kvm_vm *vm,
						   uint32_t slot, uint32_t flags,
						   uint64_t gpa, uint64_t size)
{
	struct kvm_mem_region *r;
	void *mem;

	TEST_ASSERT(!memslot_find(vm, slot), "slot 0x%x is already in use", slot);
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap of 0x%llx bytes of guest memory",
		    (unsigned long long)size);
	vm_set_user_memory_region(vm, slot, flags, gpa, size, mem);

	r = calloc(1, sizeof(*r));
	TEST_ASSERT(r, "out of memory");
	r->region.slot = slot;
	r->region.flags = flags;
	r->region.guest_phys_addr = gpa;
	r->region.memory_size = size;
	r->region.userspace_addr = (uintptr_t)mem;
	r->host_mem = mem;
	r->mmap_size = size;
	vm_mem_region_link(vm, r);
	return r;
}

struct kvm_mem_region *memslot_find(struct kvm_vm *vm, uint32_t slot)
{
	struct kvm_mem_region *r;

	for (r = vm->regions; r; r = r->next)
		if (r->region.slot == slot)
			return r;
	return NULL;
}

/* Returns the tracked region of @slot, asserting that there is one. */
static struct kvm_mem_region *region_get(struct kvm_vm *vm, uint32_t slot)
{
	struct kvm_mem_region *r = memslot_find(vm, slot);

	TEST_ASSERT(r, "slot 0x%x was not added through the library", slot);
	return r;
}

void vm_mem_region_move(struct kvm_vm *vm, uint32_t slot, uint64_t gpa)
{
	struct kvm_mem_region *r = region_get(vm, slot);

	vm_set_user_memory_region(vm, slot, r->region.flags, gpa,
				  r->region.memory_size,
				  (void *)(uintptr_t)r->region.userspace_addr);
	r->region.guest_phys_addr = gpa;
}

void vm_mem_region_set_flags(struct kvm_vm *vm, uint32_t slot, uint32_t flags)
{
	struct kvm_mem_region *r = region_get(vm, slot);

	vm_set_user_memory_region(vm, slot, flags, r->region.guest_phys_addr,
				  r->region.memory_size,
				  (void *)(uintptr_t)r->region.userspace_addr);
	r->region.flags = flags;
}

void vm_mem_region_delete(struct kvm_vm *vm, uint32_t slot)
{
	struct kvm_mem_region *r = region_get(vm, slot);
	struct kvm_mem_region **pp;

	vm_set_user_memory_region(vm, slot, 0, 0, 0, NULL);
	for (pp = &vm->regions; *pp != r; pp = &(*pp)->next)
		;
	*pp = r->next;
	if (r->host_mem)
		munmap(r->host_mem, r->mmap_size);
	free(r);
}

void *__addr_gpa2hva(const struct kvm_vm *vm, uint64_t gpa)
{
	const struct kvm_mem_region *r;

	for (r = vm->regions; r; r = r->next) {
		const struct kvm_userspace_memory_region *m = &r->region;

		if (m->slot >> 16)	/* another address space (SMM) */
			continue;
		if (gpa >= m->guest_phys_addr &&
		    gpa - m->guest_phys_addr < m->memory_size)
			return (void *)(uintptr_t)(m->userspace_addr +
						   (gpa - m->guest_phys_addr));
	}
	return NULL;
}

void *addr_gpa2hva(const struct kvm_vm *vm, uint64_t gpa)
{
	void *hva = __addr_gpa2hva(vm, gpa);

	TEST_ASSERT(hva, "no memory slot backs gpa 0x%llx",
		    (unsigned long long)gpa);
	return hva;
}
