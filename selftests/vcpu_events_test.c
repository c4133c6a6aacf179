// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcpu_events_test - KVM_GET/SET_VCPU_EVENTS (x86.c
 * kvm_vcpu_ioctl_x86_get_vcpu_events() / _set_vcpu_events()), without
 * KVM_CAP_EXCEPTION_PAYLOAD:
 *
 *	exception	an exception set as injected, with an error code,
 *			reaches the guest's handler with that code at the
 *			next entry (#GP, #PF with code; #UD without)
 *	round_trip	a fresh vCPU reports nothing but the flags
 *			NMI_PENDING|SHADOW|SMM; what is set reads back the
 *			same (interrupt also in KVM_GET_SREGS'
 *			interrupt_bitmap); without VALID_NMI_PENDING /
 *			VALID_SHADOW those two are left alone
 *	bad_input	unknown flags, PAYLOAD and TRIPLE_FAULT (their
 *			capabilities are off), exception > 31 or NMI as
 *			exception: -EINVAL, nothing changed; a bad pointer:
 *			-EFAULT; "pending" is ignored without PAYLOAD (KVM
 *			clears it first, so even nr 40 is accepted)
 */
#include <errno.h>
#include <string.h>
#include <asm/processor-flags.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

static volatile uint64_t ex_count, ex_vector, ex_error;

static void guest_handler(struct ex_regs *regs)
{
	ex_count++;
	ex_vector = regs->vector;
	ex_error = regs->error_code;
}

static void guest_exception(void)
{
	GUEST_SYNC(0);
	GUEST_ASSERT_EQ(ex_count, 1);
	GUEST_ASSERT_EQ(ex_vector, GP_VECTOR);
	GUEST_ASSERT_EQ(ex_error, 0x1234);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(ex_count, 2);
	GUEST_ASSERT_EQ(ex_vector, PF_VECTOR);
	GUEST_ASSERT_EQ(ex_error, 0x5);
	GUEST_SYNC(2);
	GUEST_ASSERT_EQ(ex_count, 3);
	GUEST_ASSERT_EQ(ex_vector, UD_VECTOR);
	GUEST_DONE();
}

static void set_exception(struct kvm_vcpu *vcpu, uint8_t nr, bool has_err,
			  uint32_t err)
{
	struct kvm_vcpu_events ev;

	vcpu_events_get(vcpu, &ev);
	ev.flags = 0;
	ev.exception.injected = 1;
	ev.exception.nr = nr;
	ev.exception.has_error_code = has_err;
	ev.exception.error_code = err;
	vcpu_events_set(vcpu, &ev);
	vcpu_events_get(vcpu, &ev);
	TEST_ASSERT_EQ(ev.exception.injected, 1);
	TEST_ASSERT_EQ(ev.exception.nr, nr);
	TEST_ASSERT_EQ(ev.exception.has_error_code, has_err);
	TEST_ASSERT_EQ(ev.exception.error_code, err);
}

static void exception(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_exception);
	struct kvm_vcpu_events ev;

	vm_install_exception_handler(vm, GP_VECTOR, guest_handler);
	vm_install_exception_handler(vm, PF_VECTOR, guest_handler);
	vm_install_exception_handler(vm, UD_VECTOR, guest_handler);
	vcpu_run_expect_sync(vcpu, 0);
	set_exception(vcpu, GP_VECTOR, true, 0x1234);
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_events_get(vcpu, &ev);
	TEST_ASSERT_EQ(ev.exception.injected, 0);	/* delivered */
	set_exception(vcpu, PF_VECTOR, true, 0x5);
	vcpu_run_expect_sync(vcpu, 2);
	set_exception(vcpu, UD_VECTOR, false, 0);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static void guest_nothing(void)
{
	GUEST_DONE();
}

static void round_trip(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_nothing);
	struct kvm_vcpu_events ev, in, zero;
	struct kvm_sregs s;

	memset(&ev, 0xaa, sizeof(ev));
	vcpu_events_get(vcpu, &ev);
	memset(&zero, 0, sizeof(zero));
	zero.flags = KVM_VCPUEVENT_VALID_NMI_PENDING |
		     KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM;
	TEST_ASSERT(!memcmp(&ev, &zero, sizeof(ev)),
		    "fresh vCPU: events not all zero (flags %#x)", ev.flags);

	memset(&in, 0, sizeof(in));
	in.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
	in.exception.injected = 1;
	in.exception.nr = GP_VECTOR;
	in.exception.has_error_code = 1;
	in.exception.error_code = 0x77;
	in.interrupt.injected = 1;
	in.interrupt.nr = 0x30;
	in.interrupt.shadow = KVM_X86_SHADOW_INT_MOV_SS;
	in.nmi.injected = 1;
	in.nmi.pending = 1;
	in.nmi.masked = 1;
	vcpu_events_set(vcpu, &in);
	vcpu_events_get(vcpu, &ev);
	TEST_ASSERT_EQ(ev.exception.injected, 1);
	TEST_ASSERT_EQ(ev.exception.nr, GP_VECTOR);
	TEST_ASSERT_EQ(ev.exception.has_error_code, 1);
	TEST_ASSERT_EQ(ev.exception.error_code, 0x77);
	TEST_ASSERT_EQ(ev.interrupt.injected, 1);
	TEST_ASSERT_EQ(ev.interrupt.nr, 0x30);
	/* SVM has one shadow bit: KVM reports it as both kinds there. */
	TEST_ASSERT(ev.interrupt.shadow & KVM_X86_SHADOW_INT_MOV_SS,
		    "shadow %#x", ev.interrupt.shadow);
	TEST_ASSERT_EQ(ev.nmi.injected, 1);
	TEST_ASSERT_EQ(ev.nmi.pending, 1);
	TEST_ASSERT_EQ(ev.nmi.masked, 1);
	vcpu_sregs_get(vcpu, &s);
	TEST_ASSERT_EQ(s.interrupt_bitmap[0], 1ULL << 0x30);

	/* Without the two flags: pending NMI and shadow stay. */
	memset(&in, 0, sizeof(in));
	vcpu_events_set(vcpu, &in);
	vcpu_events_get(vcpu, &ev);
	TEST_ASSERT_EQ(ev.exception.injected, 0);
	TEST_ASSERT_EQ(ev.interrupt.injected, 0);
	TEST_ASSERT_EQ(ev.nmi.injected, 0);
	TEST_ASSERT_EQ(ev.nmi.masked, 0);
	TEST_ASSERT_EQ(ev.nmi.pending, 1);
	TEST_ASSERT(ev.interrupt.shadow & KVM_X86_SHADOW_INT_MOV_SS,
		    "shadow %#x", ev.interrupt.shadow);
	in.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
	vcpu_events_set(vcpu, &in);
	vcpu_events_get(vcpu, &ev);
	TEST_ASSERT_EQ(ev.nmi.pending, 0);
	TEST_ASSERT_EQ(ev.interrupt.shadow, 0);
	kvm_vm_free(vm);
}

/* Expects KVM_SET_VCPU_EVENTS(@in) to fail with @err, changing nothing. */
static void expect_set_fails(struct kvm_vcpu *vcpu,
			     const struct kvm_vcpu_events *in, int err,
			     const char *what)
{
	struct kvm_vcpu_events before, after;
	int r;

	vcpu_events_get(vcpu, &before);
	r = __vcpu_events_set(vcpu, in);
	TEST_ASSERT(r == -1 && errno == err, "%s: got %d errno %d, want %d",
		    what, r, errno, err);
	vcpu_events_get(vcpu, &after);
	TEST_ASSERT(!memcmp(&before, &after, sizeof(before)),
		    "%s: state changed", what);
}

static void bad_input(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_nothing);
	struct kvm_vcpu_events in, ev;

	memset(&in, 0, sizeof(in));
	in.flags = 1U << 31;
	expect_set_fails(vcpu, &in, EINVAL, "unknown flag");
	in.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	expect_set_fails(vcpu, &in, EINVAL, "PAYLOAD without the cap");
	in.flags = KVM_VCPUEVENT_VALID_TRIPLE_FAULT;
	expect_set_fails(vcpu, &in, EINVAL, "TRIPLE_FAULT without the cap");
	in.flags = 0;
	in.exception.injected = 1;
	in.exception.nr = 32;
	expect_set_fails(vcpu, &in, EINVAL, "exception 32");
	in.exception.nr = 2;
	expect_set_fails(vcpu, &in, EINVAL, "NMI as exception");
	expect_set_fails(vcpu, (void *)8, EFAULT, "bad pointer");
	TEST_ASSERT(__vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, (void *)8) == -1 &&
		    errno == EFAULT, "GET to a bad pointer: errno %d", errno);

	/* "pending" without PAYLOAD: cleared before the checks. */
	memset(&in, 0, sizeof(in));
	in.exception.pending = 1;
	in.exception.nr = 40;
	vcpu_events_set(vcpu, &in);
	vcpu_events_get(vcpu, &ev);
	TEST_ASSERT_EQ(ev.exception.injected, 0);
	TEST_ASSERT_EQ(ev.exception.pending, 0);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(exception),
	KVM_TEST(round_trip),
	KVM_TEST(bad_input),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
