// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm_dev.c - choosing and opening the device, system-fd queries, and the
 * asserting ioctl wrapper (see kvm_util.h).
 *
 * The device is the --dev override of the runner, else $MINIKVM_DEV, else
 * /dev/minikvm.  A device that is absent (or whose module is not loaded)
 * is a skip, never a failure: the test cannot say anything about it.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"

static const char *dev_override;

void kvm_dev_set_path(const char *path)
{
	dev_override = path;
}

const char *kvm_dev_path(void)
{
	const char *env;

	if (dev_override && *dev_override)
		return dev_override;
	env = getenv(KVM_DEV_ENV);
	if (env && *env)
		return env;
	return KVM_DEV_DEFAULT;
}

bool kvm_path_is_minikvm(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return strstr(base, "minikvm") != NULL;
}

bool kvm_dev_is_minikvm(void)
{
	return kvm_path_is_minikvm(kvm_dev_path());
}

int __open_kvm_dev(void)
{
	return open(kvm_dev_path(), O_RDWR | O_CLOEXEC);
}

/* Returns true if open() failing with @err means "no such device here". */
static bool dev_absent(int err)
{
	return err == ENOENT || err == ENODEV || err == ENXIO;
}

int open_kvm_dev(void)
{
	int fd = __open_kvm_dev();

	if (fd < 0 && dev_absent(errno))
		ksft_exit_skip("%s: %s\n", kvm_dev_path(), strerror(errno));
	TEST_ASSERT(fd >= 0, "open(%s) failed", kvm_dev_path());
	return fd;
}

void kvm_require_dev(void)
{
	close(open_kvm_dev());
}

int __kvm_check_cap_fd(int fd, long cap)
{
	return ioctl(fd, KVM_CHECK_EXTENSION, cap);
}

int kvm_check_cap(long cap)
{
	int fd = open_kvm_dev();
	int r = __kvm_check_cap_fd(fd, cap);

	TEST_ASSERT(r >= 0, "KVM_CHECK_EXTENSION(%ld) failed, rc %d", cap, r);
	close(fd);
	return r;
}

int kvm_api_version(void)
{
	int fd = open_kvm_dev();
	int r = kvm_ioctl(fd, KVM_GET_API_VERSION, 0);

	close(fd);
	return r;
}

int kvm_vcpu_mmap_size(void)
{
	int fd = open_kvm_dev();
	int r = kvm_ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	close(fd);
	return r;
}

long kvm_ioctl_checked(int fd, unsigned long cmd, unsigned long arg,
		       const char *file, int line)
{
	long r = ioctl(fd, cmd, arg);
	const char *name;
	int err = errno;

	if (r >= 0)
		return r;
	name = kvm_ioctl_name(cmd);
	if (name)
		test_assert_fail(file, line, "ioctl succeeds", err,
				 "%s failed, rc %ld errno %d (%s)", name, r,
				 err, errno_name(err));
	test_assert_fail(file, line, "ioctl succeeds", err,
			 "ioctl 0x%lx failed, rc %ld errno %d (%s)", cmd, r,
			 err, errno_name(err));
}
