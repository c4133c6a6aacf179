// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioctl_names.c - unit tests of the ioctl and capability name tables used
 * in failure messages (user/lib/kvm_names.c).  No device needed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "minikvm/kvm_util.h"

/* Every ioctl the selftests issue has its own name. */
static void test_known_ioctls(void **state)
{
	(void)state;
	assert_string_equal(kvm_ioctl_name(KVM_GET_API_VERSION), "KVM_GET_API_VERSION");
	assert_string_equal(kvm_ioctl_name(KVM_CREATE_VM), "KVM_CREATE_VM");
	assert_string_equal(kvm_ioctl_name(KVM_CHECK_EXTENSION), "KVM_CHECK_EXTENSION");
	assert_string_equal(kvm_ioctl_name(KVM_GET_VCPU_MMAP_SIZE), "KVM_GET_VCPU_MMAP_SIZE");
	assert_string_equal(kvm_ioctl_name(KVM_CREATE_VCPU), "KVM_CREATE_VCPU");
	assert_string_equal(kvm_ioctl_name(KVM_SET_USER_MEMORY_REGION),
			    "KVM_SET_USER_MEMORY_REGION");
	assert_string_equal(kvm_ioctl_name(KVM_RUN), "KVM_RUN");
	assert_string_equal(kvm_ioctl_name(KVM_GET_REGS), "KVM_GET_REGS");
	assert_string_equal(kvm_ioctl_name(KVM_SET_REGS), "KVM_SET_REGS");
	assert_string_equal(kvm_ioctl_name(KVM_GET_SREGS), "KVM_GET_SREGS");
	assert_string_equal(kvm_ioctl_name(KVM_SET_SREGS), "KVM_SET_SREGS");
}

/* Numbers that are not KVM ioctls have no name. */
static void test_unknown_ioctls(void **state)
{
	(void)state;
	assert_null(kvm_ioctl_name(0));
	assert_null(kvm_ioctl_name(_IO(KVMIO, 0xff)));
	assert_null(kvm_ioctl_name(TCGETS));
	/* Same number as KVM_GET_REGS but the wrong direction bits. */
	assert_null(kvm_ioctl_name(_IOW(KVMIO, 0x81, struct kvm_regs)));
}

/* Ioctls sharing a number but differing in size or direction stay apart. */
static void test_distinct_encodings(void **state)
{
	(void)state;
	assert_string_not_equal(kvm_ioctl_name(KVM_GET_REGS),
				kvm_ioctl_name(KVM_SET_REGS));
	assert_string_equal(kvm_ioctl_name(KVM_GET_SREGS2), "KVM_GET_SREGS2");
	assert_string_equal(kvm_ioctl_name(KVM_SET_SREGS2), "KVM_SET_SREGS2");
}

static void test_cap_names(void **state)
{
	(void)state;
	assert_string_equal(kvm_cap_name(KVM_CAP_IRQCHIP), "KVM_CAP_IRQCHIP");
	assert_string_equal(kvm_cap_name(KVM_CAP_USER_MEMORY), "KVM_CAP_USER_MEMORY");
	assert_string_equal(kvm_cap_name(KVM_CAP_MAX_VCPU_ID), "KVM_CAP_MAX_VCPU_ID");
	assert_null(kvm_cap_name(-1));
	assert_null(kvm_cap_name(0x7fffffff));
}

/* The runner's capability list is terminated and every entry has a name. */
static void test_common_caps_named(void **state)
{
	const long *cap;
	int n = 0;

	(void)state;
	for (cap = kvm_common_caps; *cap >= 0; cap++, n++)
		assert_non_null(kvm_cap_name(*cap));
	assert_true(n > 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_ioctls),
		cmocka_unit_test(test_unknown_ioctls),
		cmocka_unit_test(test_distinct_encodings),
		cmocka_unit_test(test_cap_names),
		cmocka_unit_test(test_common_caps_named),
	};

	return cmocka_run_group_tests_name("ioctl_names", tests, NULL, NULL);
}
