// SPDX-License-Identifier: GPL-2.0-only
/*
 * api_test - the system fd: KVM_GET_API_VERSION, KVM_GET_VCPU_MMAP_SIZE,
 * KVM_CHECK_EXTENSION on the system and VM fds, and what an ioctl the
 * system fd does not know returns.
 *
 * Expected values are KVM 6.1's (virt/kvm/kvm_main.c kvm_dev_ioctl() and
 * kvm_vm_ioctl_check_extension_generic(), arch/x86/kvm/x86.c
 * kvm_vm_ioctl_check_extension()); where minikvm intentionally differs the
 * test says so and why.
 */
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"

#define KVM_API_VERSION_EXPECTED	12
#define KVM_USER_MEM_SLOTS_EXPECTED	32764	/* SHRT_MAX minus 3 internal slots */
#define UNKNOWN_KVM_IOCTL		_IO(KVMIO, 0xff)	/* no KVM ioctl uses 0xff */

/* Capabilities whose answer must not depend on the fd asked. */
static const long fd_independent_caps[] = {
	KVM_CAP_USER_MEMORY, KVM_CAP_READONLY_MEM, KVM_CAP_NR_MEMSLOTS,
	KVM_CAP_MULTI_ADDRESS_SPACE, KVM_CAP_CHECK_EXTENSION_VM,
	KVM_CAP_NR_VCPUS, KVM_CAP_MAX_VCPUS, KVM_CAP_MAX_VCPU_ID,
	KVM_CAP_IRQCHIP, KVM_CAP_IMMEDIATE_EXIT, KVM_CAP_SET_GUEST_DEBUG,
	KVM_CAP_DEBUGREGS, KVM_CAP_COALESCED_MMIO, KVM_CAP_BINARY_STATS_FD,
	KVM_CAP_XSAVE, KVM_CAP_XCRS, KVM_CAP_XSAVE2,
};

/* Capabilities no kernel knows: the switch falls through to 0. */
static const long unknown_caps[] = {
	0x7fffffff,
	-1,
	/* KVM takes the argument as a long: no truncation to 32 bits. */
	(long)((1ULL << 32) | KVM_CAP_USER_MEMORY),
};

static void api_version(void)
{
	int fd = open_kvm_dev();

	TEST_ASSERT_EQ(ioctl(fd, KVM_GET_API_VERSION, 0), KVM_API_VERSION_EXPECTED);
	TEST_ASSERT_ERRNO(ioctl(fd, KVM_GET_API_VERSION, 1), EINVAL,
			  "KVM_GET_API_VERSION(1)");
	TEST_ASSERT_ERRNO(ioctl(fd, KVM_GET_API_VERSION, 1UL << 32), EINVAL,
			  "KVM_GET_API_VERSION(1 << 32)");
	close(fd);
}

static void vcpu_mmap_size(void)
{
	int fd = open_kvm_dev();
	long expected;

	/*
	 * KVM on x86: kvm_run, the PIO data page and the coalesced-MMIO ring.
	 * minikvm offers no coalesced MMIO (KVM_CAP_COALESCED_MMIO is 0), so
	 * its area stops after the PIO page.
	 */
	expected = (kvm_dev_is_minikvm() ? 2 : 3) * PAGE_SIZE_4K;
	TEST_ASSERT_EQ(ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0), expected);
	TEST_ASSERT_ERRNO(ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 1), EINVAL,
			  "KVM_GET_VCPU_MMAP_SIZE(1)");
	close(fd);
}

/* The system fd answers -EINVAL to anything it does not handle, including
 * VM and vCPU ioctls and ioctls of other drivers. */
static void unknown_system_ioctl(void)
{
	struct kvm_regs regs;
	int fd = open_kvm_dev();

	TEST_ASSERT_ERRNO(ioctl(fd, UNKNOWN_KVM_IOCTL, 0), EINVAL, "_IO(KVMIO, 0xff)");
	TEST_ASSERT_ERRNO(ioctl(fd, TCGETS, &regs), EINVAL, "TCGETS");
	TEST_ASSERT_ERRNO(ioctl(fd, KVM_CREATE_VCPU, 0), EINVAL, "KVM_CREATE_VCPU");
	TEST_ASSERT_ERRNO(ioctl(fd, KVM_GET_REGS, &regs), EINVAL, "KVM_GET_REGS");
	TEST_ASSERT_ERRNO(ioctl(fd, KVM_RUN, 0), EINVAL, "KVM_RUN");
	/* The fd still works afterwards. */
	TEST_ASSERT_EQ(ioctl(fd, KVM_GET_API_VERSION, 0), KVM_API_VERSION_EXPECTED);
	close(fd);
}

/*
 * Whether KVM_RUN with immediate_exit set returns -EINTR at once (minikvm
 * without a run-capable backend answers -EINVAL, as for any unknown ioctl).
 */
static int run_honours_immediate_exit(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, 0);
	int ret;

	vcpu->run->immediate_exit = 1;
	ret = ioctl(vcpu->fd, KVM_RUN, 0);
	TEST_ASSERT(ret == -1 && (errno == EINTR || errno == EINVAL),
		    "KVM_RUN with immediate_exit: %d, %s", ret, errno_name(errno));
	ret = errno == EINTR;
	kvm_vm_free(vm);
	return ret;
}

/* The values minikvm promises (Documentation: "Capabilities"). */
static void check_minikvm_caps(int fd)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_USER_MEMORY), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_READONLY_MEM), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_CHECK_EXTENSION_VM), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_BINARY_STATS_FD), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_NR_MEMSLOTS),
		       KVM_USER_MEM_SLOTS_EXPECTED);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_MULTI_ADDRESS_SPACE), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_MAX_VCPUS), 64);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_MAX_VCPU_ID), 1024);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_NR_VCPUS),
		       online < 64 ? online : 64);
	/* Said exactly where KVM_RUN honours immediate_exit. */
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_IMMEDIATE_EXIT),
		       run_honours_immediate_exit());
	/*
	 * Events (arch/x86/events.c), as KVM: the shadow travels in
	 * KVM_GET/SET_VCPU_EVENTS, KVM_CAP_INTR_SHADOW is not reported.
	 */
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_VCPU_EVENTS), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_USER_NMI), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_INTR_SHADOW), 0);
	/*
	 * The in-kernel irqchip (lapic.c, irqchip.c, pic.c), as KVM; no GSI
	 * routing table, no irqfd, no split irqchip, no PIT.
	 */
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_IRQCHIP), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_IRQ_INJECT_STATUS), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_SET_BOOT_CPU_ID), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_TSC_DEADLINE_TIMER), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_IRQ_ROUTING), 0);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_IRQFD), 0);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_SPLIT_IRQCHIP), 0);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_PIT2), 0);
	/* Honest zeros for what minikvm does not do yet. */
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_COALESCED_MMIO), 0);
	/* CPUID and TSC (cpuid2_test, tsc_test); no TSC scaling, no feature MSRs. */
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_EXT_CPUID), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_GET_TSC_KHZ), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_TSC_CONTROL), 0);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_GET_MSR_FEATURES), 0);
	/* Guest debugging (guest_debug_test, debugregs_test). */
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_SET_GUEST_DEBUG), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_DEBUGREGS), 1);
	/* Not KVM_GUESTDBG_BLOCKIRQ: no KVM_CAP_SET_GUEST_DEBUG2 mask. */
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_SET_GUEST_DEBUG2), 0);
	/* The guest FPU (arch/x86/fpu.c): 4 KiB XSAVE images, XCR0. */
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_XSAVE), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_XSAVE2), 4096);
	TEST_ASSERT(__kvm_check_cap_fd(fd, KVM_CAP_XCRS) == 1 ||
		    __kvm_check_cap_fd(fd, KVM_CAP_XCRS) == 0,
		    "KVM_CAP_XCRS %d", __kvm_check_cap_fd(fd, KVM_CAP_XCRS));
	/* KVM_GET_DIRTY_LOG only: no manual protection, no dirty ring. */
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2), 0);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_DIRTY_LOG_RING), 0);
}

/* KVM 6.1 on x86; limits that moved in later kernels are checked loosely. */
static void check_kvm_caps(int fd)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	int max_vcpus = __kvm_check_cap_fd(fd, KVM_CAP_MAX_VCPUS);

	/* The in-kernel irqchip: what minikvm has too. */
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_IRQCHIP), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_IRQ_INJECT_STATUS), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_SET_BOOT_CPU_ID), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_USER_MEMORY), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_READONLY_MEM), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_CHECK_EXTENSION_VM), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_BINARY_STATS_FD), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_VCPU_EVENTS), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_USER_NMI), 1);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_INTR_SHADOW), 0);
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_NR_MEMSLOTS),
		       KVM_USER_MEM_SLOTS_EXPECTED);
	/* 2 with SMM (the second space), 0 (not reported) without it. */
	TEST_ASSERT(__kvm_check_cap_fd(fd, KVM_CAP_MULTI_ADDRESS_SPACE) != 1,
		    "KVM reports KVM_CAP_MULTI_ADDRESS_SPACE only when > 1");
	TEST_ASSERT(max_vcpus >= 1, "KVM_CAP_MAX_VCPUS is %d", max_vcpus);
	TEST_ASSERT(__kvm_check_cap_fd(fd, KVM_CAP_MAX_VCPU_ID) >= max_vcpus,
		    "KVM_CAP_MAX_VCPU_ID below KVM_CAP_MAX_VCPUS");
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_NR_VCPUS),
		       online < max_vcpus ? online : max_vcpus);
	/* The coalesced-MMIO ring is page 2 of the vCPU mapping. */
	TEST_ASSERT_EQ(__kvm_check_cap_fd(fd, KVM_CAP_COALESCED_MMIO),
		       KVM_COALESCED_MMIO_PAGE_OFFSET);
}

static void check_extension_system(void)
{
	int fd = open_kvm_dev();
	size_t i;

	if (kvm_dev_is_minikvm())
		check_minikvm_caps(fd);
	else
		check_kvm_caps(fd);
	for (i = 0; i < ARRAY_SIZE(unknown_caps); i++)
		TEST_ASSERT(__kvm_check_cap_fd(fd, unknown_caps[i]) == 0,
			    "unknown capability 0x%lx is not 0", unknown_caps[i]);
	close(fd);
}

static void check_extension_vm(void)
{
	struct kvm_vm *vm = vm_create();
	size_t i;

	TEST_REQUIRE(kvm_check_cap(KVM_CAP_CHECK_EXTENSION_VM));
	for (i = 0; i < ARRAY_SIZE(fd_independent_caps); i++) {
		long cap = fd_independent_caps[i];
		int sys = __kvm_check_cap_fd(vm->kvm_fd, cap);
		int vmv = __kvm_check_cap_fd(vm->fd, cap);

		TEST_ASSERT(sys == vmv, "%s: system fd says %d, VM fd %d",
			    kvm_cap_name(cap), sys, vmv);
	}
	for (i = 0; i < ARRAY_SIZE(unknown_caps); i++)
		TEST_ASSERT(__kvm_check_cap_fd(vm->fd, unknown_caps[i]) == 0,
			    "unknown capability 0x%lx is not 0 on the VM fd",
			    unknown_caps[i]);
	kvm_vm_free(vm);
}

/* The device can be opened many times; each open is independent. */
static void several_opens(void)
{
	int fds[8];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		fds[i] = open_kvm_dev();
	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		TEST_ASSERT_EQ(ioctl(fds[i], KVM_GET_API_VERSION, 0),
			       KVM_API_VERSION_EXPECTED);
		close(fds[i]);
	}
}

static const struct kvm_test tests[] = {
	KVM_TEST(api_version),
	KVM_TEST(vcpu_mmap_size),
	KVM_TEST(unknown_system_ioctl),
	KVM_TEST(check_extension_system),
	KVM_TEST(check_extension_vm),
	KVM_TEST(several_opens),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
