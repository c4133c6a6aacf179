// SPDX-License-Identifier: GPL-2.0-only
/*
 * assert.c - the reporting side of TEST_ASSERT() (see test_util.h).
 *
 * A failure prints, as TAP comments on stdout so that it stays in order
 * with the test's result lines, where it happened, the condition, errno and
 * the caller's message, then exits with KSFT_FAIL.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minikvm/test_util.h"

const char *errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "E?";
}

void test_assert_fail(const char *file, int line, const char *expr, int err,
		      const char *fmt, ...)
{
	char msg[1024];
	char *line_start, *nl;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	fflush(stdout);
	printf("# ==== Test assertion failed ====\n");
	printf("#   %s:%d: %s\n", file, line, expr);
	printf("#   pid=%d errno=%d (%s: %s)\n", (int)getpid(), err,
	       errno_name(err), strerror(err));
	/* Every line of the message stays a TAP comment. */
	for (line_start = msg; *line_start; line_start = nl + 1) {
		nl = strchr(line_start, '\n');
		if (!nl) {
			printf("#   %s\n", line_start);
			break;
		}
		printf("#   %.*s\n", (int)(nl - line_start), line_start);
	}
	fflush(stdout);
	exit(KSFT_FAIL);
}
