// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_list.c - runs a test file's named cases, one child process and one
 * TAP line each (see test_list.h).
 *
 * The parent never touches the device: a case's VM, vCPUs and memory live
 * and die with its child, so no case can disturb the next one.  A skipping
 * child writes its reason to a pipe and exits 4; the parent reads it back
 * for the "# SKIP" line.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"

#define CASE_TIMEOUT_DEFAULT	240	/* seconds, $MINIKVM_CASE_TIMEOUT overrides */

/* Returns the per-case time limit in seconds. */
static unsigned int case_timeout(void)
{
	const char *env = getenv("MINIKVM_CASE_TIMEOUT");
	long v = env ? strtol(env, NULL, 10) : 0;

	return v > 0 ? (unsigned int)v : CASE_TIMEOUT_DEFAULT;
}

/* Runs @t in a child and prints its result line. */
static void run_case(const struct kvm_test *t)
{
	char reason[512] = "";
	int pipefd[2], status;
	ssize_t len;
	pid_t pid;

	TEST_ASSERT(!pipe(pipefd), "pipe");
	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		close(pipefd[0]);
		ksft_case_skip_fd = pipefd[1];
		kvm_test_case_name = t->name;
		alarm(case_timeout());
		t->fn();
		fflush(stdout);
		exit(KSFT_PASS);
	}
	close(pipefd[1]);
	len = read(pipefd[0], reason, sizeof(reason) - 1);
	reason[len > 0 ? len : 0] = '\0';
	close(pipefd[0]);
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");

	if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_PASS) {
		ksft_test_result_pass("%s", t->name);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_SKIP) {
		ksft_test_result_skip(t->name, reason[0] ? reason : "skipped");
	} else if (WIFSIGNALED(status)) {
		ksft_print_msg("%s: killed by signal %d (%s)%s\n", t->name,
			       WTERMSIG(status), strsignal(WTERMSIG(status)),
			       WTERMSIG(status) == SIGALRM ? ", timed out" : "");
		ksft_test_result_fail("%s", t->name);
	} else {
		ksft_test_result_fail("%s", t->name);
	}
}

/* Returns true if @name was asked for on the command line (or none was). */
static bool selected(int argc, char **argv, const char *name)
{
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

int kvm_test_main(int argc, char **argv, const struct kvm_test *tests,
		  size_t n, bool need_dev)
{
	unsigned int planned = 0;
	size_t i;

	if (argc == 2 && !strcmp(argv[1], "-l")) {
		for (i = 0; i < n; i++)
			printf("%s\n", tests[i].name);
		return KSFT_PASS;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < n; i++)
		planned += selected(argc, argv, tests[i].name);

	ksft_print_header();
	if (need_dev)
		kvm_require_dev();
	ksft_print_msg("device %s (%s)\n", kvm_dev_path(),
		       kvm_dev_is_minikvm() ? "minikvm" : "KVM");
	ksft_set_plan(planned);
	for (i = 0; i < n; i++)
		if (selected(argc, argv, tests[i].name))
			run_case(&tests[i]);
	ksft_print_cnts();
	return ksft_exit_code();
}
