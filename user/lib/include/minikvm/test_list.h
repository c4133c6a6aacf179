/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_list.h - several named cases in one test program, one TAP line each.
 *
 * A test file declares
 *
 *	static const struct kvm_test tests[] = { KVM_TEST(foo), KVM_TEST(bar) };
 *	int main(int argc, char **argv)
 *	{ return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true); }
 *
 * Each case runs in a child process, so a failed TEST_ASSERT() or a
 * TEST_REQUIRE() skip ends that case only; the parent prints "ok",
 * "not ok" or "ok ... # SKIP reason" for it.  A case that runs longer than
 * $MINIKVM_CASE_TIMEOUT seconds (default 240) is killed and fails.
 */
#ifndef MINIKVM_TEST_LIST_H
#define MINIKVM_TEST_LIST_H

#include <stdbool.h>
#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* One named case. */
struct kvm_test {
	const char *name;
	void (*fn)(void);
};

#define KVM_TEST(fn) { #fn, fn }

/*
 * Runs the cases named on the command line (all if none; "-l" lists them)
 * and returns the kselftest exit code.  With @need_dev, skips everything
 * ("1..0 # SKIP") when the device cannot be opened.
 */
int kvm_test_main(int argc, char **argv, const struct kvm_test *tests,
		  size_t n, bool need_dev);

#endif /* MINIKVM_TEST_LIST_H */
