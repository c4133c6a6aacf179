/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stat.h - minikvm-stat's pieces: reading KVM binary statistics into
 * snapshots (snap.c), finding a process's VMs and taking their statistics
 * (proc.c), and showing them (main.c, show.c).
 */
#ifndef MINIKVM_STAT_H
#define MINIKVM_STAT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define STAT_NAME_MAX	64	/* bytes of a name, NUL included (KVM: 48) */

/* One statistic as read: a counter (size 1) or a histogram (size buckets). */
struct stat_val {
	char name[STAT_NAME_MAX];
	uint32_t flags;		/* KVM_STATS_TYPE_* | KVM_STATS_UNIT_* | ... */
	uint32_t size;		/* number of values */
	uint32_t bucket_size;	/* linear histograms only */
	uint64_t *v;
};

/* The statistics of one source (a VM, a vCPU, a sum) at one moment. */
struct stat_set {
	char src[24];		/* "vm", "vcpu3", "total" */
	unsigned int n;
	struct stat_val *s;
};

/* Everything minikvm-stat knows of one process at one moment. */
struct proc_snap {
	pid_t pid;
	char comm[32];
	const char *hv;		/* "minikvm" or "KVM" */
	const char *how;	/* where the numbers came from */
	unsigned int nr_vms, nr_vcpus;
	double time;		/* CLOCK_MONOTONIC seconds */
	struct stat_set vm;	/* the VMs' own statistics, summed */
	struct stat_set *vcpu;	/* each vCPU's (nr_vcpu_sets of them) */
	unsigned int nr_vcpu_sets;
	struct stat_set total;	/* the vCPUs' summed; debugfs: everything */
};

/* snap.c */
int stat_set_read_fd(struct stat_set *set, int fd, const char *src);
int stat_set_add_counter(struct stat_set *set, const char *name,
			 uint32_t flags, uint64_t value);
void stat_set_merge(struct stat_set *into, const struct stat_set *from);
const struct stat_val *stat_set_find(const struct stat_set *set,
				     const char *name);
void stat_set_free(struct stat_set *set);
void proc_snap_free(struct proc_snap *snap);
bool stat_is_hist(const struct stat_val *s);
const char *stat_type_name(uint32_t flags);
const char *stat_unit_name(uint32_t flags);

/* Log2 histogram summaries; bucket 0 holds 0, bucket i >= 1 [2^(i-1), 2^i). */
uint64_t hist_total(const uint64_t *v, unsigned int n);
unsigned int hist_percentile(const uint64_t *v, unsigned int n, double p);
double hist_mean(const uint64_t *v, unsigned int n);
void hist_bucket_str(char *buf, size_t len, unsigned int b, unsigned int n);

/* proc.c */
int proc_list_vms(pid_t **pids);
int proc_snap_take(pid_t pid, struct proc_snap *snap, char *err,
		   size_t errlen);

/* show.c */
struct show_opts {
	bool vcpus;		/* per-vCPU breakdown */
	bool all;		/* zero counters too */
};
void show_snap(FILE *f, const struct proc_snap *now,
	       const struct proc_snap *prev, const struct show_opts *o);
void dump_snap(FILE *f, const struct proc_snap *snap);

#endif /* MINIKVM_STAT_H */
