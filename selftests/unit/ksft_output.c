// SPDX-License-Identifier: GPL-2.0-only
/*
 * ksft_output.c - unit tests of the TAP helpers (user/lib/ksft.c): the
 * exact lines they print and the kselftest exit code they choose.  Output
 * is captured in memory with open_memstream().
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "minikvm/ksft.h"

static char *buf;
static size_t len;
static FILE *mem;

static int capture(void **state)
{
	(void)state;
	ksft_reset();
	mem = open_memstream(&buf, &len);
	ksft_set_output(mem);
	return 0;
}

static int release(void **state)
{
	(void)state;
	ksft_set_output(NULL);
	fclose(mem);
	free(buf);
	return 0;
}

/* Returns what was printed so far. */
static const char *output(void)
{
	fflush(mem);
	return buf;
}

static void test_all_pass(void **state)
{
	(void)state;
	ksft_print_header();
	ksft_set_plan(2);
	ksft_test_result(true, "first");
	ksft_test_result_pass("second %d", 2);
	ksft_print_cnts();
	assert_string_equal(output(),
			    "TAP version 13\n"
			    "1..2\n"
			    "ok 1 first\n"
			    "ok 2 second 2\n"
			    "# Totals: pass:2 fail:0 xfail:0 xpass:0 skip:0 error:0\n");
	assert_int_equal(ksft_exit_code(), KSFT_PASS);
}

static void test_fail_and_skip(void **state)
{
	struct ksft_counts c;

	(void)state;
	ksft_set_plan(3);
	ksft_test_result(false, "broken");
	ksft_test_result_skip("missing", "no device");
	ksft_test_result_pass("fine");
	assert_string_equal(output(),
			    "1..3\n"
			    "not ok 1 broken\n"
			    "ok 2 missing # SKIP no device\n"
			    "ok 3 fine\n");
	c = ksft_get_counts();
	assert_int_equal(c.pass, 1);
	assert_int_equal(c.fail, 1);
	assert_int_equal(c.skip, 1);
	assert_int_equal(ksft_exit_code(), KSFT_FAIL);
}

/* Everything skipped: exit 4, as kselftest expects. */
static void test_all_skipped(void **state)
{
	(void)state;
	ksft_set_plan(2);
	ksft_test_result_skip("a", "x");
	ksft_test_result_skip("b", "y");
	assert_int_equal(ksft_exit_code(), KSFT_SKIP);
}

/* Fewer results than planned is a failure even if each one passed. */
static void test_plan_mismatch(void **state)
{
	(void)state;
	ksft_set_plan(3);
	ksft_test_result_pass("only one");
	assert_int_equal(ksft_exit_code(), KSFT_FAIL);
}

static void test_msg(void **state)
{
	(void)state;
	ksft_print_msg("value %#x\n", 0x10);
	assert_string_equal(output(), "# value 0x10\n");
}

/* Runs ksft_exit_skip() in a child; returns its exit status and output. */
static int child_skip(bool planned, char *out, size_t outlen)
{
	int pipefd[2], status;
	size_t used = 0;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(pipefd[0]);
		ksft_set_output(fdopen(pipefd[1], "w"));
		ksft_reset();
		if (planned)
			ksft_set_plan(1);
		ksft_exit_skip("no %s here\n", "device");
	}
	close(pipefd[1]);
	/* Read to EOF: the child writes line by line. */
	while ((n = read(pipefd[0], out + used, outlen - 1 - used)) > 0)
		used += n;
	out[used] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Before a plan: "1..0 # SKIP reason" and exit 4. */
static void test_exit_skip_without_plan(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(child_skip(false, out, sizeof(out)), KSFT_SKIP);
	assert_string_equal(out, "1..0 # SKIP no device here\n");
}

/* After a plan: one skipped test point and exit 4. */
static void test_exit_skip_with_plan(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(child_skip(true, out, sizeof(out)), KSFT_SKIP);
	assert_string_equal(out, "1..1\nok 1 # SKIP no device here\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_all_pass, capture, release),
		cmocka_unit_test_setup_teardown(test_fail_and_skip, capture, release),
		cmocka_unit_test_setup_teardown(test_all_skipped, capture, release),
		cmocka_unit_test_setup_teardown(test_plan_mismatch, capture, release),
		cmocka_unit_test_setup_teardown(test_msg, capture, release),
		cmocka_unit_test(test_exit_skip_without_plan),
		cmocka_unit_test(test_exit_skip_with_plan),
	};

	return cmocka_run_group_tests_name("ksft_output", tests, NULL, NULL);
}
