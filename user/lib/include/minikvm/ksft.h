/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ksft.h - TAP output and kselftest exit codes for minikvm's test programs.
 *
 * A test program prints "TAP version 13", a plan "1..N", one "ok"/"not ok"
 * line per test point and a "# Totals" line, then exits 0 (pass), 1 (fail)
 * or 4 (skip), the codes the kernel's kselftest runner understands.  The
 * helpers keep the counters in one process; test_list.c forks one child per
 * named case and reports each through these helpers in the parent.
 */
#ifndef MINIKVM_KSFT_H
#define MINIKVM_KSFT_H

#include <stdbool.h>
#include <stdio.h>

#define KSFT_PASS	0	/* every test point passed (or some skipped) */
#define KSFT_FAIL	1	/* at least one test point failed */
#define KSFT_XFAIL	2	/* unused here, reserved by kselftest */
#define KSFT_XPASS	3	/* unused here, reserved by kselftest */
#define KSFT_SKIP	4	/* nothing could be tested */

/* Counters of the test points reported so far in this process. */
struct ksft_counts {
	unsigned int pass;
	unsigned int fail;
	unsigned int skip;
	unsigned int planned;	/* the N of "1..N", 0 until ksft_set_plan() */
	bool plan_printed;
};

/* Sends all TAP output to @f (stdout by default); for unit tests. */
void ksft_set_output(FILE *f);

/* Forgets every counter and the plan; for unit tests. */
void ksft_reset(void);

/* Returns a copy of the counters. */
struct ksft_counts ksft_get_counts(void);

/* Prints the TAP version line. */
void ksft_print_header(void);

/* Prints the plan "1..@n" and remembers it. */
void ksft_set_plan(unsigned int n);

/* Prints "# " and the formatted message (add your own newline). */
void ksft_print_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "ok N msg" if @cond holds, else "not ok N msg", and counts it. */
void ksft_test_result(bool cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints and counts a passing test point. */
void ksft_test_result_pass(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints and counts a failing test point. */
void ksft_test_result_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "ok N name # SKIP reason" and counts a skipped test point. */
void ksft_test_result_skip(const char *name, const char *reason);

/* Prints the "# Totals: ..." line. */
void ksft_print_cnts(void);

/* Returns the exit code the counters call for: 1 on any failure or plan
 * mismatch, 4 if every test point was skipped, else 0. */
int ksft_exit_code(void);

/* Prints the totals and exits with ksft_exit_code(). */
void ksft_finished(void) __attribute__((noreturn));

/*
 * Skips what is left of the program: before any plan, "1..0 # SKIP reason"
 * and exit 4; inside a case run by test_list.c, hands the reason to the
 * parent and exits 4; otherwise one "ok N # SKIP reason" line and exit 4.
 */
void ksft_exit_skip(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/* Exits with KSFT_FAIL after printing the formatted reason as a comment. */
void ksft_exit_fail_msg(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/*
 * Set by test_list.c in each case's child: the write end of the pipe that
 * carries a skip reason back to the parent, or -1 outside a case.
 */
extern int ksft_case_skip_fd;

#endif /* MINIKVM_KSFT_H */
