// SPDX-License-Identifier: GPL-2.0-only
/*
 * probe.c - touching memory that may fault, for tests that expect SIGBUS or
 * SIGSEGV (see test_util.h).  Not thread-safe: one probe at a time.
 */
#include <setjmp.h>
#include <signal.h>

#include "minikvm/test_util.h"

static sigjmp_buf probe_jmp;

static void probe_handler(int sig)
{
	siglongjmp(probe_jmp, sig);
}

int probe_access(volatile void *p, bool write)
{
	struct sigaction sa = { .sa_handler = probe_handler };
	struct sigaction old_bus, old_segv;
	volatile char *c = p;
	int sig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	sig = sigsetjmp(probe_jmp, 1);
	if (!sig) {
		char v = *c;

		if (write)
			*c = v;
	}
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return sig;
}
