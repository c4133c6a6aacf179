// SPDX-License-Identifier: GPL-2.0-only
/*
 * show.c - minikvm-stat's output: the readable table (like kvm_stat's:
 * each counter's total and rate per second, sorted by rate then total),
 * the log2 histograms summarized (samples, rate, mean estimate, median and
 * p99 bucket), an optional per-vCPU table, and the --dump format that
 * scripts/exit-histogram reads.
 *
 * Histograms are shown for the last interval when there is one (what the
 * guest does now), else over the whole run.  On minikvm every hardware
 * exit code has a counter "exit_<vendor>_<code>" and a histogram of the
 * cycles spent handling it, "exit_<vendor>_<code>_hist": the counter is
 * then shown in the histogram table, as that exit reason's row.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>

#include "stat.h"

/* One line of the counter table. */
struct row {
	const char *name;
	uint64_t total;
	double rate;		/* per second; < 0: no previous snapshot */
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* Statistic @name of @s: the vCPUs' sum, else the VM's; NULL if absent. */
static const struct stat_val *find_any(const struct proc_snap *s,
				       const char *name)
{
	const struct stat_val *v = stat_set_find(&s->total, name);

	return v ? v : stat_set_find(&s->vm, name);
}

/* True if @name is an exit counter with a histogram of its own. */
static bool has_own_hist(const struct proc_snap *s, const char *name)
{
	char hist[STAT_NAME_MAX + 8];

	snprintf(hist, sizeof(hist), "%s_hist", name);
	return find_any(s, hist) != NULL;
}

static void show_counters(FILE *f, const struct proc_snap *now,
			  const struct proc_snap *prev, double dt,
			  const struct show_opts *o)
{
	const struct stat_set *sets[] = { &now->total, &now->vm };
	const struct stat_val *v, *p;
	struct row *rows;
	unsigned int i, j, n = 0;

	rows = calloc(now->total.n + now->vm.n + 1, sizeof(*rows));
	if (!rows)
		return;
	for (j = 0; j < 2; j++) {
		for (i = 0; i < sets[j]->n; i++) {
			v = &sets[j]->s[i];
			if (stat_is_hist(v) || has_own_hist(now, v->name))
				continue;
			if (!v->v[0] && !o->all)
				continue;
			rows[n].name = v->name;
			rows[n].total = v->v[0];
			rows[n].rate = -1;
			p = prev ? find_any(prev, v->name) : NULL;
			if (p && dt > 0 && (v->flags & KVM_STATS_TYPE_MASK) ==
			    KVM_STATS_TYPE_CUMULATIVE)
				rows[n].rate = (double)(v->v[0] - p->v[0]) / dt;
			n++;
		}
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	fprintf(f, " %-40s %14s %12s\n", "Event", "Total", "CurAvg/s");
	for (i = 0; i < n; i++) {
		fprintf(f, " %-40s %14llu", rows[i].name,
			(unsigned long long)rows[i].total);
		if (rows[i].rate >= 0)
			fprintf(f, " %12.0f", rows[i].rate);
		fputc('\n', f);
	}
	free(rows);
}

/* One histogram row: @v is the interval's (or whole run's) buckets. */
struct hrow {
	char label[STAT_NAME_MAX];
	const char *unit;
	uint64_t count;		/* samples in @v */
	double rate;
	unsigned int n;
	uint64_t *v;
};

static int hrow_cmp(const void *a, const void *b)
{
	const struct hrow *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->label, y->label);
}

static void show_hists(FILE *f, const struct proc_snap *now,
		       const struct proc_snap *prev, double dt,
		       const struct show_opts *o)
{
	const struct stat_set *sets[] = { &now->total, &now->vm };
	const struct stat_val *v, *p;
	char mean[24], p50[24], p99[24];
	struct hrow *rows, *r;
	unsigned int i, j, k, n = 0;
	size_t len;

	rows = calloc(now->total.n + now->vm.n + 1, sizeof(*rows));
	if (!rows)
		return;
	for (j = 0; j < 2; j++) {
		for (i = 0; i < sets[j]->n; i++) {
			v = &sets[j]->s[i];
			if ((v->flags & KVM_STATS_TYPE_MASK) != KVM_STATS_TYPE_LOG_HIST)
				continue;
			r = &rows[n];
			r->v = calloc(v->size, sizeof(*r->v));
			if (!r->v)
				continue;
			r->n = v->size;
			p = prev && dt > 0 ? find_any(prev, v->name) : NULL;
			for (k = 0; k < v->size; k++)
				r->v[k] = v->v[k] - (p && k < p->size ? p->v[k] : 0);
			r->count = hist_total(r->v, r->n);
			r->rate = p ? (double)r->count / dt : -1;
			if (!r->count && !o->all) {
				free(r->v);
				continue;
			}
			/* "exit_svm_ioio_hist" -> "svm_ioio"; "guest_cycles_hist" stays. */
			snprintf(r->label, sizeof(r->label), "%s",
				 strncmp(v->name, "exit_", 5) ? v->name : v->name + 5);
			len = strlen(r->label);
			if (len > 5 && !strcmp(r->label + len - 5, "_hist"))
				r->label[len - 5] = '\0';
			r->unit = stat_unit_name(v->flags);
			n++;
		}
	}
	if (!n) {
		free(rows);
		return;
	}
	qsort(rows, n, sizeof(*rows), hrow_cmp);
	fprintf(f, "\n %-32s %12s %10s %10s %12s %12s  (log2 buckets, %s)\n",
		"Exit reason / histogram", "Count", "Rate/s", "Mean~",
		"Median", "p99", prev && dt > 0 ? "last interval" : "whole run");
	for (i = 0; i < n; i++) {
		r = &rows[i];
		snprintf(mean, sizeof(mean), "-");
		snprintf(p50, sizeof(p50), "-");
		snprintf(p99, sizeof(p99), "-");
		if (r->count) {
			snprintf(mean, sizeof(mean), "%.0f", hist_mean(r->v, r->n));
			hist_bucket_str(p50, sizeof(p50),
					hist_percentile(r->v, r->n, 0.5), r->n);
			hist_bucket_str(p99, sizeof(p99),
					hist_percentile(r->v, r->n, 0.99), r->n);
		}
		fprintf(f, " %-32s %12llu", r->label,
			(unsigned long long)r->count);
		if (r->rate >= 0)
			fprintf(f, " %10.0f", r->rate);
		else
			fprintf(f, " %10s", "-");
		fprintf(f, " %10s %12s %12s  %s\n", mean, p50, p99, r->unit);
		free(r->v);
	}
	free(rows);
}

/* Counters side by side, one column per vCPU. */
static void show_vcpus(FILE *f, const struct proc_snap *now,
		       const struct show_opts *o)
{
	const struct stat_val *v, *c;
	unsigned int i, j;
	bool any;

	if (!now->nr_vcpu_sets)
		return;
	fprintf(f, "\n %-40s", "Per vCPU");
	for (j = 0; j < now->nr_vcpu_sets; j++)
		fprintf(f, " %12s", now->vcpu[j].src);
	fputc('\n', f);
	for (i = 0; i < now->total.n; i++) {
		v = &now->total.s[i];
		if (stat_is_hist(v) || (!v->v[0] && !o->all))
			continue;
		for (any = false, j = 0; j < now->nr_vcpu_sets; j++)
			any |= stat_set_find(&now->vcpu[j], v->name) != NULL;
		if (!any)
			continue;
		fprintf(f, " %-40s", v->name);
		for (j = 0; j < now->nr_vcpu_sets; j++) {
			c = stat_set_find(&now->vcpu[j], v->name);
			fprintf(f, " %12llu", c ? (unsigned long long)c->v[0] : 0ULL);
		}
		fputc('\n', f);
	}
}

void show_snap(FILE *f, const struct proc_snap *now,
	       const struct proc_snap *prev, const struct show_opts *o)
{
	double dt = prev ? now->time - prev->time : 0;

	if (prev && dt <= 0)
		prev = NULL;
	fprintf(f, "pid %d (%s): %s, %u VM%s, %u vCPU%s; statistics from %s\n",
		(int)now->pid, now->comm, now->hv, now->nr_vms,
		now->nr_vms == 1 ? "" : "s", now->nr_vcpus,
		now->nr_vcpus == 1 ? "" : "s", now->how);
	show_counters(f, now, prev, dt, o);
	show_hists(f, now, prev, dt, o);
	if (o->vcpus)
		show_vcpus(f, now, o);
	fflush(f);
}

/* Every statistic of @set: "SRC NAME TYPE UNIT BUCKET_SIZE V0 V1 ...". */
static void dump_set(FILE *f, const struct stat_set *set)
{
	const struct stat_val *v;
	unsigned int i, j;

	for (i = 0; i < set->n; i++) {
		v = &set->s[i];
		fprintf(f, "%s %s %s %s %u", set->src, v->name,
			stat_type_name(v->flags), stat_unit_name(v->flags),
			v->bucket_size);
		for (j = 0; j < v->size; j++)
			fprintf(f, " %llu", (unsigned long long)v->v[j]);
		fputc('\n', f);
	}
}

void dump_snap(FILE *f, const struct proc_snap *snap)
{
	unsigned int i;

	fprintf(f, "# minikvm-stat dump 1: pid %d comm %s hv %s vms %u vcpus %u\n",
		(int)snap->pid, snap->comm, snap->hv, snap->nr_vms,
		snap->nr_vcpus);
	fprintf(f, "# SOURCE NAME TYPE UNIT BUCKET_SIZE VALUES...\n");
	dump_set(f, &snap->vm);
	for (i = 0; i < snap->nr_vcpu_sets; i++)
		dump_set(f, &snap->vcpu[i]);
	if (!snap->nr_vcpu_sets)	/* debugfs: only the sums */
		dump_set(f, &snap->total);
	fflush(f);
}
