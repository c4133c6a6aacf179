/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_util.h - assertions for minikvm's tests and library.
 *
 * TEST_ASSERT() reports the file, line, condition, errno and a message as
 * TAP comments and exits with KSFT_FAIL; TEST_REQUIRE() turns a missing
 * feature into a skip (exit 4).  Negative tests use TEST_ASSERT_ERRNO() to
 * check that a raw call failed with exactly the expected errno.
 */
#ifndef MINIKVM_TEST_UTIL_H
#define MINIKVM_TEST_UTIL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "ksft.h"

/* Reports a failed assertion and exits with KSFT_FAIL. */
void test_assert_fail(const char *file, int line, const char *expr, int err,
		      const char *fmt, ...)
	__attribute__((noreturn, format(printf, 5, 6)));

/* Returns the symbolic name of @err ("EINVAL"), or "E?" if unknown. */
const char *errno_name(int err);

#define TEST_ASSERT(cond, fmt, ...)					\
	do {								\
		if (!(cond)) {						\
			int __err = errno;				\
			test_assert_fail(__FILE__, __LINE__, #cond, __err, \
					 fmt, ##__VA_ARGS__);		\
		}							\
	} while (0)

/* Fails unconditionally, with the formatted message. */
#define TEST_FAIL(fmt, ...)						\
	test_assert_fail(__FILE__, __LINE__, "unreachable", errno, fmt,	\
			 ##__VA_ARGS__)

/* Asserts that two integers are equal and prints both if not. */
#define TEST_ASSERT_EQ(a, b)						\
	do {								\
		uint64_t __a = (uint64_t)(a), __b = (uint64_t)(b);	\
		TEST_ASSERT(__a == __b, "%s is 0x%llx, expected %s = 0x%llx", \
			    #a, (unsigned long long)__a, #b,		\
			    (unsigned long long)__b);			\
	} while (0)

/*
 * Asserts that a raw call returned -1 with errno @expected; @what names the
 * call in the message.
 */
#define TEST_ASSERT_ERRNO(ret, expected, what)				\
	do {								\
		long __r = (long)(ret);					\
		int __e = errno;					\
		TEST_ASSERT(__r == -1 && __e == (expected),		\
			    "%s: expected -1/%s, got %ld/%s", (what),	\
			    errno_name(expected), __r,			\
			    __r == -1 ? errno_name(__e) : "no error");	\
	} while (0)

/* Skips the test (exit 4) unless @cond holds. */
#define TEST_REQUIRE(cond)						\
	do {								\
		if (!(cond))						\
			ksft_exit_skip("requirement not met: %s\n", #cond); \
	} while (0)

/*
 * Reads (or, with @write, rewrites) the byte at @p; returns 0 if that
 * worked, else the signal it raised (SIGBUS, SIGSEGV), which is caught.
 */
int probe_access(volatile void *p, bool write);

/*
 * Interrupting the calling thread later (signal_later.c):
 * signal_later_start() sends it SIGUSR1 (a handler that does nothing, no
 * SA_RESTART) from a helper thread 100 ms from now, so that a KVM_RUN it
 * blocks in returns EINTR; signal_later_join() waits for the helper.
 */
struct signal_later {
	pthread_t target;
	pthread_t thread;
};

void signal_later_start(struct signal_later *s);
void signal_later_join(struct signal_later *s);

#endif /* MINIKVM_TEST_UTIL_H */
