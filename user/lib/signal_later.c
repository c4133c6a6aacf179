// SPDX-License-Identifier: GPL-2.0-only
/*
 * signal_later.c - interrupt a thread blocked in KVM_RUN (see test_util.h).
 *
 * A helper thread sleeps 100 ms, then sends SIGUSR1 to the target thread,
 * whose handler does nothing: the signal only makes the blocking ioctl
 * return EINTR (KVM_EXIT_INTR).  The handler is installed without
 * SA_RESTART, so that the ioctl is not restarted.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "minikvm/test_util.h"

static void on_sigusr1(int sig __attribute__((unused)))
{
}

static void *signal_later_fn(void *arg)
{
	struct timespec ts = { .tv_nsec = 100 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	return NULL;
}

void signal_later_start(struct signal_later *s)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };

	TEST_ASSERT(!sigaction(SIGUSR1, &sa, NULL), "sigaction");
	s->target = pthread_self();
	TEST_ASSERT(!pthread_create(&s->thread, NULL, signal_later_fn,
				    &s->target), "pthread_create");
}

void signal_later_join(struct signal_later *s)
{
	TEST_ASSERT(!pthread_join(s->thread, NULL), "pthread_join");
}
