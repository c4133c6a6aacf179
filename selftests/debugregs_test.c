// SPDX-License-Identifier: GPL-2.0-only
/*
 * debugregs_test - KVM_GET_DEBUGREGS and KVM_SET_DEBUGREGS, as KVM 6.1
 * (arch/x86/kvm/x86.c kvm_vcpu_ioctl_x86_get/set_debugregs()):
 *
 *  - power_on: a new vCPU reads DR0-DR3 = 0, DR6 = 0xffff0ff0, DR7 =
 *    0x400, flags 0 (SDM Vol. 3A, "Processor States Following Power-up,
 *    Reset, or INIT").
 *  - round_trip: what KVM_SET_DEBUGREGS writes reads back unchanged, and
 *    the guest finds it in its own DR0-DR3 and DR7 (MOV from DR).
 *  - negative: flags other than 0, DR6 or DR7 with a bit above 31 set
 *    (reserved, SDM Vol. 3B, "Debug Registers") fail with -EINVAL and
 *    change nothing.
 *  - noncanonical_addresses: DR0-DR3 take any value and the guest runs.
 *  - bad_pointers: NULL, kernel and non-canonical pointers: -EFAULT.
 */
#include <errno.h>
#include <sys/ioctl.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define DR6_RESET	0xffff0ff0ULL
#define DR7_RESET	0x400ULL
/* Breakpoint addresses, none reached by the guest. */
#define TEST_DB0	0x1000ULL
#define TEST_DB1	0x2000ULL
#define TEST_DB2	0x3000ULL
#define TEST_DB3	0x7fff0000ULL
/*
 * LE, GE and RW0 = writes, but no breakpoint enabled: QEMU 7.2's SVM
 * (the SVM test machine) does not arm the breakpoints of a DR7 that VMRUN
 * loads, and crashes when the guest's MOV to DR7 then disarms them (seen
 * with KVM and minikvm alike).
 */
#define TEST_DR7	(DR7_RESET | 0x300ULL | (1ULL << 16))

static void require_debugregs(void)
{
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_DEBUGREGS) > 0);
}

static void get(struct kvm_vcpu *vcpu, struct kvm_debugregs *d)
{
	vcpu_ioctl(vcpu, KVM_GET_DEBUGREGS, d);
}

static void guest_nop(void)
{
	GUEST_DONE();
}

static void power_on(void)
{
	struct kvm_debugregs d;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	unsigned int i;

	require_debugregs();
	vm = vm_create_with_one_vcpu(&vcpu, guest_nop);
	memset(&d, 0xa5, sizeof(d));
	get(vcpu, &d);
	for (i = 0; i < 4; i++)
		TEST_ASSERT_EQ(d.db[i], 0);
	TEST_ASSERT_EQ(d.dr6, DR6_RESET);
	TEST_ASSERT_EQ(d.dr7, DR7_RESET);
	TEST_ASSERT_EQ(d.flags, 0);
	kvm_vm_free(vm);
}

static void guest_read_drs(void)
{
	uint64_t v;

	asm volatile("mov %%dr0, %0" : "=r"(v));
	GUEST_ASSERT_EQ(v, TEST_DB0);
	asm volatile("mov %%dr1, %0" : "=r"(v));
	GUEST_ASSERT_EQ(v, TEST_DB1);
	asm volatile("mov %%dr2, %0" : "=r"(v));
	GUEST_ASSERT_EQ(v, TEST_DB2);
	asm volatile("mov %%dr3, %0" : "=r"(v));
	GUEST_ASSERT_EQ(v, TEST_DB3);
	asm volatile("mov %%dr7, %0" : "=r"(v));
	GUEST_ASSERT_EQ(v, TEST_DR7);
	/* Off again before the ucall code runs near those addresses. */
	asm volatile("mov %0, %%dr7" : : "r"(DR7_RESET));
	GUEST_DONE();
}

static void round_trip(void)
{
	struct kvm_debugregs d, back;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	require_debugregs();
	vm = vm_create_with_one_vcpu(&vcpu, guest_read_drs);
	memset(&d, 0, sizeof(d));
	d.db[0] = TEST_DB0;
	d.db[1] = TEST_DB1;
	d.db[2] = TEST_DB2;
	d.db[3] = TEST_DB3;
	d.dr6 = DR6_RESET | 0x1;	/* B0, as a #DB would have left it */
	d.dr7 = TEST_DR7;
	vcpu_ioctl(vcpu, KVM_SET_DEBUGREGS, &d);
	get(vcpu, &back);
	TEST_ASSERT(!memcmp(&d, &back, sizeof(d)), "KVM_GET_DEBUGREGS differs");
	vcpu_run_expect_done(vcpu);
	get(vcpu, &back);
	TEST_ASSERT_EQ(back.db[0], TEST_DB0);
	TEST_ASSERT_EQ(back.db[3], TEST_DB3);
	TEST_ASSERT_EQ(back.dr7, DR7_RESET);	/* as the guest left it */
	kvm_vm_free(vm);
}

/* KVM_SET_DEBUGREGS of @d fails with -EINVAL and changes nothing. */
static void expect_einval(struct kvm_vcpu *vcpu, const struct kvm_debugregs *d)
{
	struct kvm_debugregs before, after;

	get(vcpu, &before);
	TEST_ASSERT_EQ(__vcpu_ioctl(vcpu, KVM_SET_DEBUGREGS, d), -1);
	TEST_ASSERT_EQ(errno, EINVAL);
	get(vcpu, &after);
	TEST_ASSERT(!memcmp(&before, &after, sizeof(before)),
		    "a refused KVM_SET_DEBUGREGS changed the registers");
}

static void negative(void)
{
	struct kvm_debugregs d;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	require_debugregs();
	vm = vm_create_with_one_vcpu(&vcpu, guest_nop);
	get(vcpu, &d);
	d.db[0] = TEST_DB0;
	d.flags = 1;
	expect_einval(vcpu, &d);
	d.flags = 0x80000000;
	expect_einval(vcpu, &d);
	d.flags = 0;
	d.dr6 = DR6_RESET | (1ULL << 32);
	expect_einval(vcpu, &d);
	d.dr6 = DR6_RESET;
	d.dr7 = DR7_RESET | (1ULL << 63);
	expect_einval(vcpu, &d);
	d.dr7 = DR7_RESET;
	vcpu_ioctl(vcpu, KVM_SET_DEBUGREGS, &d);	/* now it is fine */
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/*
 * Any 64-bit value is a valid breakpoint address: KVM takes it, and the
 * host loads it into DR0-DR3 around the entry (MOV to DR0-DR3 checks
 * nothing, SDM Vol. 2B "MOV-Move to/from Debug Registers"): no fault.
 */
static void noncanonical_addresses(void)
{
	struct kvm_debugregs d, back;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	require_debugregs();
	vm = vm_create_with_one_vcpu(&vcpu, guest_nop);
	get(vcpu, &d);
	d.db[0] = 0x8000000000000000ULL;
	d.db[1] = 0x0000800000000000ULL;
	d.db[2] = ~0ULL;
	vcpu_ioctl(vcpu, KVM_SET_DEBUGREGS, &d);
	vcpu_run_expect_done(vcpu);
	get(vcpu, &back);
	TEST_ASSERT_EQ(back.db[0], d.db[0]);
	TEST_ASSERT_EQ(back.db[2], d.db[2]);
	kvm_vm_free(vm);
}

/* Pointers neither ioctl can copy through: -EFAULT, nothing changed. */
static void bad_pointers(void)
{
	static const uintptr_t bad[] = {
		0, 0xffffffff81000000ULL, 0x8000000000000000ULL,
	};
	struct kvm_debugregs before, after;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	unsigned int i;

	require_debugregs();
	vm = vm_create_with_one_vcpu(&vcpu, guest_nop);
	get(vcpu, &before);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		TEST_ASSERT_EQ(ioctl(vcpu->fd, KVM_GET_DEBUGREGS, bad[i]), -1);
		TEST_ASSERT_EQ(errno, EFAULT);
		TEST_ASSERT_EQ(ioctl(vcpu->fd, KVM_SET_DEBUGREGS, bad[i]), -1);
		TEST_ASSERT_EQ(errno, EFAULT);
	}
	get(vcpu, &after);
	TEST_ASSERT(!memcmp(&before, &after, sizeof(before)),
		    "a failed KVM_SET_DEBUGREGS changed the registers");
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(power_on),
	KVM_TEST(round_trip),
	KVM_TEST(negative),
	KVM_TEST(noncanonical_addresses),
	KVM_TEST(bad_pointers),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
