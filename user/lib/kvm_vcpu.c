// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm_vcpu.c - vCPUs and their register state (see kvm_util.h).
 *
 * Each vCPU added through vm_vcpu_add() has its kvm_run area mapped shared
 * over the whole KVM_GET_VCPU_MMAP_SIZE, as a VMM would.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"

int __vm_create_vcpu_fd(struct kvm_vm *vm, unsigned long id)
{
	return ioctl(vm->fd, KVM_CREATE_VCPU, id);
}

struct kvm_vcpu *vm_vcpu_add(struct kvm_vm *vm, uint32_t id)
{
	struct kvm_vcpu *vcpu = calloc(1, sizeof(*vcpu));
	int size;

	TEST_ASSERT(vcpu, "out of memory");
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = vm_ioctl(vm, KVM_CREATE_VCPU, (unsigned long)id);
	vcpu->stats_fd = stats_fd_for_watchers(vcpu->fd);

	size = kvm_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	TEST_ASSERT(size >= (int)sizeof(struct kvm_run),
		    "KVM_GET_VCPU_MMAP_SIZE is %d, smaller than struct kvm_run",
		    size);
	vcpu->run_size = size;
	vcpu->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	TEST_ASSERT(vcpu->run != MAP_FAILED, "mmap of vCPU %u's kvm_run", id);

	vcpu->next = vm->vcpus;
	vm->vcpus = vcpu;
	vm->nr_vcpus++;
	return vcpu;
}

struct kvm_vcpu *vcpu_find(struct kvm_vm *vm, uint32_t id)
{
	struct kvm_vcpu *vcpu;

	for (vcpu = vm->vcpus; vcpu; vcpu = vcpu->next)
		if (vcpu->id == id)
			return vcpu;
	return NULL;
}

void vcpu_free(struct kvm_vcpu *vcpu)
{
	struct kvm_vm *vm = vcpu->vm;
	struct kvm_vcpu **pp;

	for (pp = &vm->vcpus; *pp && *pp != vcpu; pp = &(*pp)->next)
		;
	if (*pp) {
		*pp = vcpu->next;
		vm->nr_vcpus--;
	}
	if (vcpu->run && vcpu->run != MAP_FAILED)
		munmap(vcpu->run, vcpu->run_size);
	if (vcpu->stats_fd >= 0)
		close(vcpu->stats_fd);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	free(vcpu);
}

int __vcpu_regs_get(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	return ioctl(vcpu->fd, KVM_GET_REGS, regs);
}

int __vcpu_regs_set(struct kvm_vcpu *vcpu, const struct kvm_regs *regs)
{
	return ioctl(vcpu->fd, KVM_SET_REGS, regs);
}

int __vcpu_sregs_get(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	return ioctl(vcpu->fd, KVM_GET_SREGS, sregs);
}

int __vcpu_sregs_set(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	return ioctl(vcpu->fd, KVM_SET_SREGS, sregs);
}
