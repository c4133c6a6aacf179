// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm_stats.c - reading KVM's binary statistics (see kvm_util.h).
 *
 * A stats fd (KVM_GET_STATS_FD on a VM or vCPU fd) reads as a header, an
 * id string of name_size bytes, num_desc descriptors of
 * sizeof(struct kvm_stats_desc) + name_size bytes each, and a data block
 * of u64s, at the offsets the header gives.  Everything here uses pread(),
 * as KVM's documentation and selftests do, so the fd's position is left
 * alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"

int __vm_get_stats_fd(struct kvm_vm *vm)
{
	return ioctl(vm->fd, KVM_GET_STATS_FD, NULL);
}

int vm_get_stats_fd(struct kvm_vm *vm)
{
	return vm_ioctl(vm, KVM_GET_STATS_FD, NULL);
}

int __vcpu_get_stats_fd(struct kvm_vcpu *vcpu)
{
	return ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL);
}

int vcpu_get_stats_fd(struct kvm_vcpu *vcpu)
{
	return vcpu_ioctl(vcpu, KVM_GET_STATS_FD, NULL);
}

int stats_fd_for_watchers(int fd_of)
{
	const char *env = getenv("MINIKVM_STATS_FDS");

	if (!env || !*env)
		return -1;
	return ioctl(fd_of, KVM_GET_STATS_FD, NULL);
}

/* pread()s exactly @len bytes at @off; asserts. */
static void stats_pread(int fd, void *buf, size_t len, off_t off,
			const char *what)
{
	ssize_t r = pread(fd, buf, len, off);

	TEST_ASSERT(r == (ssize_t)len,
		    "pread of the stats %s (%zu bytes at %lld): %zd (errno %d)",
		    what, len, (long long)off, r, errno);
}

void read_stats_header(int stats_fd, struct kvm_stats_header *header)
{
	stats_pread(stats_fd, header, sizeof(*header), 0, "header");
}

size_t get_stats_descriptor_size(const struct kvm_stats_header *header)
{
	return sizeof(struct kvm_stats_desc) + header->name_size;
}

struct kvm_stats_desc *read_stats_descriptors(int stats_fd,
					      const struct kvm_stats_header *header)
{
	size_t len = get_stats_descriptor_size(header) * header->num_desc;
	struct kvm_stats_desc *desc = malloc(len ? len : 1);

	TEST_ASSERT(desc, "out of memory");
	stats_pread(stats_fd, desc, len, header->desc_offset, "descriptors");
	return desc;
}

struct kvm_stats_desc *get_stats_descriptor(struct kvm_stats_desc *descs,
					    unsigned int index,
					    const struct kvm_stats_header *header)
{
	return (struct kvm_stats_desc *)((char *)descs + index *
					 get_stats_descriptor_size(header));
}

void read_stat_data(int stats_fd, const struct kvm_stats_header *header,
		    const struct kvm_stats_desc *desc, uint64_t *data,
		    size_t max_elements)
{
	size_t n = desc->size < max_elements ? desc->size : max_elements;

	TEST_ASSERT(n, "no room to read stat %s", desc->name);
	stats_pread(stats_fd, data, n * sizeof(*data),
		    header->data_offset + desc->offset, desc->name);
}

int __stats_get(int stats_fd, const char *name, uint64_t *data,
		size_t max_elements)
{
	struct kvm_stats_header header;
	struct kvm_stats_desc *descs, *d;
	int found = -1;
	unsigned int i;

	read_stats_header(stats_fd, &header);
	descs = read_stats_descriptors(stats_fd, &header);
	for (i = 0; i < header.num_desc; i++) {
		d = get_stats_descriptor(descs, i, &header);
		if (strncmp(d->name, name, header.name_size))
			continue;
		read_stat_data(stats_fd, &header, d, data, max_elements);
		found = d->size < max_elements ? d->size : max_elements;
		break;
	}
	free(descs);
	return found;
}

static uint64_t stats_get_one(int stats_fd, const char *name)
{
	uint64_t v = 0;

	TEST_ASSERT(__stats_get(stats_fd, name, &v, 1) == 1,
		    "no statistic named %s", name);
	return v;
}

uint64_t vm_get_stat(struct kvm_vm *vm, const char *name)
{
	int fd = vm_get_stats_fd(vm);
	uint64_t v = stats_get_one(fd, name);

	close(fd);
	return v;
}

uint64_t vcpu_get_stat(struct kvm_vcpu *vcpu, const char *name)
{
	int fd = vcpu_get_stats_fd(vcpu);
	uint64_t v = stats_get_one(fd, name);

	close(fd);
	return v;
}

/* "cycles", "bytes"... for the unit bits of a descriptor's flags. */
static const char *stats_unit_name(uint32_t flags)
{
	switch (flags & KVM_STATS_UNIT_MASK) {
	case KVM_STATS_UNIT_BYTES:
		return " bytes";
	case KVM_STATS_UNIT_SECONDS:
		return " seconds";
	case KVM_STATS_UNIT_CYCLES:
		return " cycles";
	case KVM_STATS_UNIT_BOOLEAN:
		return " (boolean)";
	default:
		return "";
	}
}

/* One histogram: its total, then each non-empty bucket "lower bound:count". */
static void stats_print_hist(FILE *f, const struct kvm_stats_desc *d,
			     const uint64_t *v)
{
	bool log = (d->flags & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_LOG_HIST;
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < d->size; i++)
		total += v[i];
	fprintf(f, "%llu samples;", (unsigned long long)total);
	for (i = 0; i < d->size; i++) {
		if (!v[i])
			continue;
		if (!log)
			fprintf(f, " %llu:%llu",
				(unsigned long long)i * d->bucket_size,
				(unsigned long long)v[i]);
		else if (i == 0)
			fprintf(f, " 0:%llu", (unsigned long long)v[i]);
		else
			fprintf(f, " 2^%u%s:%llu", i - 1,
				i == d->size - 1U ? "+" : "",
				(unsigned long long)v[i]);
	}
	fprintf(f, "%s\n", stats_unit_name(d->flags));
}

void stats_print(FILE *f, int stats_fd, const char *prefix)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *descs, *d;
	uint64_t *v;
	unsigned int i, j;
	bool any;

	read_stats_header(stats_fd, &h);
	descs = read_stats_descriptors(stats_fd, &h);
	for (i = 0; i < h.num_desc; i++) {
		d = get_stats_descriptor(descs, i, &h);
		v = calloc(d->size ? d->size : 1, sizeof(*v));
		TEST_ASSERT(v, "out of memory");
		read_stat_data(stats_fd, &h, d, v, d->size);
		for (any = false, j = 0; j < d->size; j++)
			any |= v[j] != 0;
		if (any) {
			fprintf(f, "%s%-32.*s ", prefix, (int)h.name_size,
				d->name);
			switch (d->flags & KVM_STATS_TYPE_MASK) {
			case KVM_STATS_TYPE_LINEAR_HIST:
			case KVM_STATS_TYPE_LOG_HIST:
				stats_print_hist(f, d, v);
				break;
			default:
				fprintf(f, "%llu%s\n", (unsigned long long)v[0],
					stats_unit_name(d->flags));
			}
		}
		free(v);
	}
	free(descs);
}
