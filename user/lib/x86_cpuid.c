// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86_cpuid.c - the guest's CPUID, MSRs and TSC from userspace (see
 * x86_cpuid.h): thin wrappers over the ioctls, raw ones for negative tests
 * and asserting ones naming the failing call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minikvm/x86_cpuid.h"

struct kvm_cpuid2 *allocate_kvm_cpuid2(int nent)
{
	struct kvm_cpuid2 *c;

	c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
	TEST_ASSERT(c, "out of memory");
	c->nent = nent;
	return c;
}

int __kvm_get_supported_cpuid(struct kvm_cpuid2 *cpuid)
{
	int fd = open_kvm_dev(), r, err;

	r = ioctl(fd, KVM_GET_SUPPORTED_CPUID, cpuid);
	err = errno;
	close(fd);
	errno = err;
	return r;
}

const struct kvm_cpuid2 *kvm_get_supported_cpuid(void)
{
	static struct kvm_cpuid2 *supported;

	if (!supported) {
		supported = allocate_kvm_cpuid2(KVM_MAX_CPUID_ENTRIES);
		TEST_ASSERT(!__kvm_get_supported_cpuid(supported),
			    "KVM_GET_SUPPORTED_CPUID failed, errno %d", errno);
	}
	return supported;
}

struct kvm_cpuid2 *kvm_cpuid2_dup(const struct kvm_cpuid2 *cpuid)
{
	struct kvm_cpuid2 *c = allocate_kvm_cpuid2(cpuid->nent);

	memcpy(c->entries, cpuid->entries, cpuid->nent * sizeof(c->entries[0]));
	return c;
}

struct kvm_cpuid_entry2 *cpuid_entry_find(const struct kvm_cpuid2 *cpuid,
					  uint32_t function, uint32_t index)
{
	uint32_t i;

	for (i = 0; i < cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == function &&
		    (e->index == index ||
		     !(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX)))
			return (struct kvm_cpuid_entry2 *)e;
	}
	return NULL;
}

int __vcpu_set_cpuid(struct kvm_vcpu *vcpu, const struct kvm_cpuid2 *cpuid)
{
	return ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid);
}

void vcpu_set_cpuid(struct kvm_vcpu *vcpu, const struct kvm_cpuid2 *cpuid)
{
	vcpu_ioctl(vcpu, KVM_SET_CPUID2, cpuid);
}

int __vcpu_get_cpuid(struct kvm_vcpu *vcpu, struct kvm_cpuid2 *cpuid)
{
	return ioctl(vcpu->fd, KVM_GET_CPUID2, cpuid);
}

void vcpu_init_cpuid(struct kvm_vcpu *vcpu)
{
	vcpu_set_cpuid(vcpu, kvm_get_supported_cpuid());
}

const struct kvm_msr_list *kvm_get_msr_index_list(void)
{
	static struct kvm_msr_list *list;
	struct kvm_msr_list probe = { .nmsrs = 0 };
	int fd, r;

	if (list)
		return list;
	fd = open_kvm_dev();
	r = ioctl(fd, KVM_GET_MSR_INDEX_LIST, &probe);
	TEST_ASSERT(r == -1 && errno == E2BIG,
		    "KVM_GET_MSR_INDEX_LIST with nmsrs 0: %d, errno %d", r, errno);
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
	TEST_ASSERT(list, "out of memory");
	list->nmsrs = probe.nmsrs;
	kvm_ioctl(fd, KVM_GET_MSR_INDEX_LIST, list);
	close(fd);
	return list;
}

struct kvm_msrs *allocate_kvm_msrs(unsigned int n)
{
	struct kvm_msrs *m;

	m = calloc(1, sizeof(*m) + n * sizeof(m->entries[0]));
	TEST_ASSERT(m, "out of memory");
	m->nmsrs = n;
	return m;
}

int __vcpu_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *value)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index };
	int r = ioctl(vcpu->fd, KVM_GET_MSRS, &m);

	if (r == 1)
		*value = m.e.data;
	return r;
}

int __vcpu_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t value)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index, .e.data = value };

	return ioctl(vcpu->fd, KVM_SET_MSRS, &m);
}

uint64_t vcpu_get_msr(struct kvm_vcpu *vcpu, uint32_t index)
{
	uint64_t v = 0;
	int r = __vcpu_get_msr(vcpu, index, &v);

	TEST_ASSERT(r == 1, "KVM_GET_MSRS(0x%x) returned %d, errno %d",
		    index, r, errno);
	return v;
}

void vcpu_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t value)
{
	int r = __vcpu_set_msr(vcpu, index, value);

	TEST_ASSERT(r == 1, "KVM_SET_MSRS(0x%x, 0x%llx) returned %d, errno %d",
		    index, (unsigned long long)value, r, errno);
}
