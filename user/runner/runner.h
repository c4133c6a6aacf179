/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * runner.h - what minikvm-run's actions share: the parsed options and one
 * entry point per action.
 */
#ifndef MINIKVM_RUNNER_H
#define MINIKVM_RUNNER_H

/* Options of minikvm-run; NULL/0 means "not given". */
struct run_opts {
	const char *dev;	/* --dev PATH */
};

/* --info: prints what the device offers and a new vCPU's reset state;
 * returns the process exit status. */
int run_info(const struct run_opts *opts);

#endif /* MINIKVM_RUNNER_H */
