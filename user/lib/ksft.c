// SPDX-License-Identifier: GPL-2.0-only
/*
 * ksft.c - TAP output and kselftest exit codes (see ksft.h).
 *
 * Single-threaded: the counters are plain globals.  Output goes through one
 * FILE, flushed after every line so that lines from forked children and the
 * parent reach a serial console in the order they were written.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minikvm/ksft.h"

int ksft_case_skip_fd = -1;

static FILE *ksft_out;
static struct ksft_counts ksft_cnt;

static FILE *out(void)
{
	return ksft_out ? ksft_out : stdout;
}

void ksft_set_output(FILE *f)
{
	ksft_out = f;
}

void ksft_reset(void)
{
	memset(&ksft_cnt, 0, sizeof(ksft_cnt));
}

struct ksft_counts ksft_get_counts(void)
{
	return ksft_cnt;
}

void ksft_print_header(void)
{
	fprintf(out(), "TAP version 13\n");
	fflush(out());
}

void ksft_set_plan(unsigned int n)
{
	ksft_cnt.planned = n;
	ksft_cnt.plan_printed = true;
	fprintf(out(), "1..%u\n", n);
	fflush(out());
}

void ksft_print_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(out(), "# ");
	va_start(ap, fmt);
	vfprintf(out(), fmt, ap);
	va_end(ap);
	fflush(out());
}

/* Prints one result line: "ok N " or "not ok N " then the message. */
static void result(bool ok, const char *fmt, va_list ap)
{
	unsigned int n;

	if (ok)
		ksft_cnt.pass++;
	else
		ksft_cnt.fail++;
	n = ksft_cnt.pass + ksft_cnt.fail + ksft_cnt.skip;
	fprintf(out(), "%s %u ", ok ? "ok" : "not ok", n);
	vfprintf(out(), fmt, ap);
	fputc('\n', out());
	fflush(out());
}

void ksft_test_result(bool cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	result(cond, fmt, ap);
	va_end(ap);
}

void ksft_test_result_pass(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	result(true, fmt, ap);
	va_end(ap);
}

void ksft_test_result_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	result(false, fmt, ap);
	va_end(ap);
}

void ksft_test_result_skip(const char *name, const char *reason)
{
	ksft_cnt.skip++;
	fprintf(out(), "ok %u%s%s # SKIP %s\n",
		ksft_cnt.pass + ksft_cnt.fail + ksft_cnt.skip, *name ? " " : "",
		name, reason);
	fflush(out());
}

void ksft_print_cnts(void)
{
	fprintf(out(), "# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:%u error:0\n",
		ksft_cnt.pass, ksft_cnt.fail, ksft_cnt.skip);
	fflush(out());
}

int ksft_exit_code(void)
{
	unsigned int done = ksft_cnt.pass + ksft_cnt.fail + ksft_cnt.skip;

	if (ksft_cnt.fail)
		return KSFT_FAIL;
	if (ksft_cnt.plan_printed && done != ksft_cnt.planned)
		return KSFT_FAIL;
	if (done && ksft_cnt.skip == done)
		return KSFT_SKIP;
	return KSFT_PASS;
}

void ksft_finished(void)
{
	ksft_print_cnts();
	exit(ksft_exit_code());
}

void ksft_exit_skip(const char *fmt, ...)
{
	char reason[512];
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	len = strlen(reason);
	if (len && reason[len - 1] == '\n')
		reason[--len] = '\0';

	if (ksft_case_skip_fd >= 0) {
		/* A case's child: the parent prints the TAP line. */
		if (write(ksft_case_skip_fd, reason, len) < 0)
			fprintf(out(), "# SKIP %s\n", reason);
		fflush(out());
		exit(KSFT_SKIP);
	}
	if (!ksft_cnt.plan_printed)
		fprintf(out(), "1..0 # SKIP %s\n", reason);
	else
		ksft_test_result_skip("", reason);
	fflush(out());
	exit(KSFT_SKIP);
}

void ksft_exit_fail_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(out(), "# Bail out: ");
	va_start(ap, fmt);
	vfprintf(out(), fmt, ap);
	va_end(ap);
	fflush(out());
	exit(KSFT_FAIL);
}
