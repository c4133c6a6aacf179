// SPDX-License-Identifier: GPL-2.0-only
/*
 * snap.c - minikvm-stat: reading a KVM binary stats fd into a stat_set,
 * summing sets, and summarizing log2 histograms.
 *
 * A stats fd (Documentation/virt/kvm/api.rst, "KVM_GET_STATS_FD") reads as
 * a header, an id string, num_desc descriptors of sizeof(struct
 * kvm_stats_desc) + name_size bytes each, and the data block of u64s at
 * the offsets the header gives.  Unlike the selftest library's reader this
 * one never asserts: a process may exit between two reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "stat.h"

/* pread()s exactly @len bytes at @off: 0 or -errno (-EIO if short). */
static int pread_all(int fd, void *buf, size_t len, off_t off)
{
	ssize_t r = pread(fd, buf, len, off);

	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -EIO;
}

/* Appends an empty statistic named @name to @set; NULL when out of memory. */
static struct stat_val *stat_set_append(struct stat_set *set, const char *name)
{
	struct stat_val *s = realloc(set->s, (set->n + 1) * sizeof(*s));

	if (!s)
		return NULL;
	set->s = s;
	s = &set->s[set->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	return s;
}

int stat_set_read_fd(struct stat_set *set, int fd, const char *src)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	struct stat_val *s;
	size_t dsize;
	char *descs;
	char name[STAT_NAME_MAX];
	unsigned int i;
	int r;

	memset(set, 0, sizeof(*set));
	snprintf(set->src, sizeof(set->src), "%s", src);
	r = pread_all(fd, &h, sizeof(h), 0);
	if (r)
		return r;
	/* Names are at most a few dozen bytes; refuse nonsense sizes. */
	if (h.name_size == 0 || h.name_size > 4096 || h.num_desc > 65536)
		return -EINVAL;
	dsize = sizeof(*d) + h.name_size;
	descs = malloc(dsize * h.num_desc + 1);
	if (!descs)
		return -ENOMEM;
	r = pread_all(fd, descs, dsize * h.num_desc, h.desc_offset);
	for (i = 0; !r && i < h.num_desc; i++) {
		d = (struct kvm_stats_desc *)(descs + i * dsize);
		snprintf(name, sizeof(name), "%.*s", (int)h.name_size, d->name);
		if (d->size == 0 || d->size > 4096) {
			r = -EINVAL;
			break;
		}
		s = stat_set_append(set, name);
		if (!s || !(s->v = calloc(d->size, sizeof(*s->v)))) {
			r = -ENOMEM;
			break;
		}
		s->flags = d->flags;
		s->size = d->size;
		s->bucket_size = d->bucket_size;
		r = pread_all(fd, s->v, d->size * sizeof(*s->v),
			      h.data_offset + d->offset);
	}
	free(descs);
	if (r)
		stat_set_free(set);
	return r;
}

int stat_set_add_counter(struct stat_set *set, const char *name,
			 uint32_t flags, uint64_t value)
{
	struct stat_val *s = stat_set_append(set, name);

	if (!s || !(s->v = calloc(1, sizeof(*s->v))))
		return -ENOMEM;
	s->flags = flags;
	s->size = 1;
	s->v[0] = value;
	return 0;
}

const struct stat_val *stat_set_find(const struct stat_set *set,
				     const char *name)
{
	unsigned int i;

	for (i = 0; i < set->n; i++)
		if (!strcmp(set->s[i].name, name))
			return &set->s[i];
	return NULL;
}

/* Adds @from's values into @into, statistic by name; new names are copied. */
void stat_set_merge(struct stat_set *into, const struct stat_set *from)
{
	const struct stat_val *f;
	struct stat_val *t;
	unsigned int i, j;

	for (i = 0; i < from->n; i++) {
		f = &from->s[i];
		t = (struct stat_val *)stat_set_find(into, f->name);
		if (!t) {
			t = stat_set_append(into, f->name);
			if (!t || !(t->v = calloc(f->size, sizeof(*t->v))))
				return;
			t->flags = f->flags;
			t->size = f->size;
			t->bucket_size = f->bucket_size;
		}
		for (j = 0; j < t->size && j < f->size; j++)
			t->v[j] += f->v[j];
	}
}

void stat_set_free(struct stat_set *set)
{
	unsigned int i;

	for (i = 0; i < set->n; i++)
		free(set->s[i].v);
	free(set->s);
	set->s = NULL;
	set->n = 0;
}

void proc_snap_free(struct proc_snap *snap)
{
	unsigned int i;

	stat_set_free(&snap->vm);
	stat_set_free(&snap->total);
	for (i = 0; i < snap->nr_vcpu_sets; i++)
		stat_set_free(&snap->vcpu[i]);
	free(snap->vcpu);
	memset(snap, 0, sizeof(*snap));
}

bool stat_is_hist(const struct stat_val *s)
{
	uint32_t t = s->flags & KVM_STATS_TYPE_MASK;

	return t == KVM_STATS_TYPE_LOG_HIST || t == KVM_STATS_TYPE_LINEAR_HIST;
}

const char *stat_type_name(uint32_t flags)
{
	switch (flags & KVM_STATS_TYPE_MASK) {
	case KVM_STATS_TYPE_CUMULATIVE:
		return "cumulative";
	case KVM_STATS_TYPE_INSTANT:
		return "instant";
	case KVM_STATS_TYPE_PEAK:
		return "peak";
	case KVM_STATS_TYPE_LINEAR_HIST:
		return "linear_hist";
	case KVM_STATS_TYPE_LOG_HIST:
		return "log_hist";
	default:
		return "unknown";
	}
}

const char *stat_unit_name(uint32_t flags)
{
	switch (flags & KVM_STATS_UNIT_MASK) {
	case KVM_STATS_UNIT_NONE:
		return "none";
	case KVM_STATS_UNIT_BYTES:
		return "bytes";
	case KVM_STATS_UNIT_SECONDS:
		return "seconds";
	case KVM_STATS_UNIT_CYCLES:
		return "cycles";
	case KVM_STATS_UNIT_BOOLEAN:
		return "boolean";
	default:
		return "unknown";
	}
}

uint64_t hist_total(const uint64_t *v, unsigned int n)
{
	uint64_t t = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		t += v[i];
	return t;
}

/* The bucket holding the @p quantile (0 < p <= 1) of the samples. */
unsigned int hist_percentile(const uint64_t *v, unsigned int n, double p)
{
	uint64_t total = hist_total(v, n), want, sum = 0;
	unsigned int i;

	want = (uint64_t)(p * (double)total);
	if ((double)want < p * (double)total)
		want++;		/* rounded up: the p99 of 10 samples is the 10th */
	if (!want)
		want = 1;
	for (i = 0; i < n; i++) {
		sum += v[i];
		if (sum >= want)
			return i;
	}
	return n ? n - 1 : 0;
}

/*
 * A mean estimate: each sample counts as the middle of its bucket (1.5 *
 * 2^(i-1)); the last bucket, unbounded, as 1.5 times its lower bound.
 */
double hist_mean(const uint64_t *v, unsigned int n)
{
	uint64_t total = hist_total(v, n);
	double sum = 0;
	unsigned int i;

	for (i = 1; i < n; i++)
		sum += (double)v[i] * 1.5 * (double)(1ULL << (i - 1 < 63 ? i - 1 : 63));
	return total ? sum / (double)total : 0;
}

/* "4096" style, with k/M/G/T suffixes for powers of 1024. */
static void pow2_str(char *buf, size_t len, unsigned int e)
{
	static const char suffix[] = "kMGTPE";

	if (e < 10)
		snprintf(buf, len, "%llu", 1ULL << e);
	else
		snprintf(buf, len, "%llu%c", 1ULL << (e % 10),
			 suffix[e / 10 - 1 < 6 ? e / 10 - 1 : 5]);
}

/* Bucket @b of an @n-bucket log2 histogram: "0", "2k-4k", ">=1G". */
void hist_bucket_str(char *buf, size_t len, unsigned int b, unsigned int n)
{
	char lo[16], hi[16];

	if (b == 0) {
		snprintf(buf, len, "0");
		return;
	}
	pow2_str(lo, sizeof(lo), b - 1);
	if (b == n - 1) {
		snprintf(buf, len, ">=%s", lo);
		return;
	}
	pow2_str(hi, sizeof(hi), b);
	snprintf(buf, len, "%s-%s", lo, hi);
}
