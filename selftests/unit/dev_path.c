// SPDX-License-Identifier: GPL-2.0-only
/*
 * dev_path.c - unit tests of device selection (user/lib/kvm_dev.c): the
 * --dev override, $MINIKVM_DEV, the default, and how the tests tell
 * minikvm from real KVM.  No device needed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "minikvm/kvm_util.h"

/* Each test starts with no override and no environment variable. */
static int clean_env(void **state)
{
	(void)state;
	kvm_dev_set_path(NULL);
	unsetenv(KVM_DEV_ENV);
	return 0;
}

static void test_default(void **state)
{
	(void)state;
	assert_string_equal(kvm_dev_path(), "/dev/minikvm");
	assert_true(kvm_dev_is_minikvm());
}

static void test_env(void **state)
{
	(void)state;
	setenv(KVM_DEV_ENV, "/dev/kvm", 1);
	assert_string_equal(kvm_dev_path(), "/dev/kvm");
	assert_false(kvm_dev_is_minikvm());
}

/* An empty $MINIKVM_DEV means "not set". */
static void test_empty_env(void **state)
{
	(void)state;
	setenv(KVM_DEV_ENV, "", 1);
	assert_string_equal(kvm_dev_path(), "/dev/minikvm");
}

/* The runner's --dev wins over the environment. */
static void test_override(void **state)
{
	(void)state;
	setenv(KVM_DEV_ENV, "/dev/kvm", 1);
	kvm_dev_set_path("/tmp/minikvm-test");
	assert_string_equal(kvm_dev_path(), "/tmp/minikvm-test");
	assert_true(kvm_dev_is_minikvm());
	kvm_dev_set_path("");
	assert_string_equal(kvm_dev_path(), "/dev/kvm");
}

/* Only the basename counts. */
static void test_is_minikvm(void **state)
{
	(void)state;
	assert_true(kvm_path_is_minikvm("/dev/minikvm"));
	assert_true(kvm_path_is_minikvm("minikvm"));
	assert_true(kvm_path_is_minikvm("/tmp/x/minikvm1"));
	assert_false(kvm_path_is_minikvm("/dev/kvm"));
	assert_false(kvm_path_is_minikvm("/minikvm/kvm"));
	assert_false(kvm_path_is_minikvm(""));
}

/* A missing device is reported as open() failing, not as a crash. */
static void test_open_missing(void **state)
{
	(void)state;
	setenv(KVM_DEV_ENV, "/nonexistent/minikvm", 1);
	assert_int_equal(__open_kvm_dev(), -1);
	assert_int_equal(errno, ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_default, clean_env),
		cmocka_unit_test_setup(test_env, clean_env),
		cmocka_unit_test_setup(test_empty_env, clean_env),
		cmocka_unit_test_setup(test_override, clean_env),
		cmocka_unit_test_setup(test_is_minikvm, clean_env),
		cmocka_unit_test_setup(test_open_missing, clean_env),
	};

	return cmocka_run_group_tests_name("dev_path", tests, NULL, NULL);
}
