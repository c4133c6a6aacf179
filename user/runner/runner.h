/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * runner.h - what minikvm-run's actions share: the parsed options and one
 * entry point per action.
 */
#ifndef MINIKVM_RUNNER_H
#define MINIKVM_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

/* Options of minikvm-run; NULL/0 means "not given". */
struct run_opts {
	const char *dev;	/* --dev PATH */
	const char *guest;	/* --guest FILE: flat binary or ELF */
	const char *mode;	/* --mode real|prot16|prot32|paging32|pae|long */
	uint64_t load_addr;	/* --load-addr: where a flat binary goes */
	unsigned long max_exits;	/* --max-exits N, 0 = no limit */
	bool quiet;		/* --quiet: no line per exit */
	bool stats;		/* --stats: the statistics after the run */
	bool trace;		/* --trace: the exit sequence after the run */
};

/* --info: prints what the device offers and a new vCPU's reset state;
 * returns the process exit status. */
int run_info(const struct run_opts *opts);

/* --check: what the host offers, whether minikvm can run here, who owns
 * virtualization; returns 0 (can run) or 1 (cannot). */
int run_check(const struct run_opts *opts);

/* --guest: runs a guest until it halts, prints its serial output and each
 * exit; returns the process exit status. */
int run_guest(const struct run_opts *opts);

#endif /* MINIKVM_RUNNER_H */
