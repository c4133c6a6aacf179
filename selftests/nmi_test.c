// SPDX-License-Identifier: GPL-2.0-only
/*
 * nmi_test - KVM_NMI (x86.c kvm_inject_nmi(), process_nmi()):
 *
 *	delivery	an NMI reaches the guest's NMI handler (vector 2) at
 *			the next entry, IF clear or not
 *	blocked		while the handler runs NMIs are blocked: NMIs sent
 *			then wait (KVM_GET_VCPU_EVENTS: masked, one pending),
 *			however many; the guest's IRET unblocks them and
 *			exactly one more is delivered (SDM Vol. 3A, "NMI
 *			Handling While Processing an NMI")
 *	shadow		an NMI sent while the guest is in an STI shadow
 *			(KVM_SET_VCPU_EVENTS) comes in after the next
 *			instruction, not before it (SDM Vol. 3A, "Interrupt
 *			and Exception Handling": blocking by STI; KVM's
 *			nmi_allowed() treats it as blocking)
 *	shadow_cpuid	the same with CPUID in the shadow, an instruction
 *			the hypervisor completes itself: the NMI comes in
 *			right after it, and the guest sees no #DB and no TF
 *			(an SVM hypervisor steps towards the NMI window
 *			with a TF of its own, which must not leak)
 */
#include <asm/processor-flags.h>

#include "minikvm/kvm_util.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define NMI_VECTOR	2

static volatile uint64_t nmi_count, nmi_in_handler, nmi_rip;

static void guest_nmi_handler(struct ex_regs *regs)
{
	nmi_rip = regs->rip;
	nmi_count++;
	GUEST_ASSERT(!nmi_in_handler);	/* never nested */
	nmi_in_handler = 1;
	if (nmi_count == 1)
		GUEST_SYNC(10);		/* the host sends more NMIs here */
	nmi_in_handler = 0;
}

/* --- delivery --- */

static void guest_delivery(void)
{
	asm volatile("cli");
	GUEST_SYNC(0);
	GUEST_ASSERT_EQ(nmi_count, 1);
	GUEST_DONE();
}

static void delivery(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_delivery);
	struct kvm_vcpu_events ev;

	vm_install_exception_handler(vm, NMI_VECTOR, guest_nmi_handler);
	vcpu_run_expect_sync(vcpu, 0);
	vcpu_nmi(vcpu);
	vcpu_events_get(vcpu, &ev);
	TEST_ASSERT_EQ(ev.nmi.pending, 1);
	TEST_ASSERT_EQ(ev.nmi.masked, 0);
	vcpu_run_expect_sync(vcpu, 10);		/* in the handler */
	vcpu_run_expect_done(vcpu);
	vcpu_events_get(vcpu, &ev);
	TEST_ASSERT_EQ(ev.nmi.pending, 0);
	TEST_ASSERT_EQ(ev.nmi.injected, 0);
	kvm_vm_free(vm);
}

/* --- blocked --- */

static void guest_blocked(void)
{
	GUEST_SYNC(0);
	/* Back from the first handler: the second NMI came in at its IRET. */
	GUEST_ASSERT_EQ(nmi_count, 2);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(nmi_count, 2);
	GUEST_DONE();
}

static void blocked(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_blocked);
	struct kvm_vcpu_events ev;

	vm_install_exception_handler(vm, NMI_VECTOR, guest_nmi_handler);
	vcpu_run_expect_sync(vcpu, 0);
	vcpu_nmi(vcpu);
	vcpu_run_expect_sync(vcpu, 10);
	vcpu_events_get(vcpu, &ev);
	TEST_ASSERT_EQ(ev.nmi.masked, 1);
	TEST_ASSERT_EQ(ev.nmi.pending, 0);
	/* Three more while blocked: one stays pending. */
	vcpu_nmi(vcpu);
	vcpu_nmi(vcpu);
	vcpu_nmi(vcpu);
	vcpu_events_get(vcpu, &ev);
	TEST_ASSERT_EQ(ev.nmi.masked, 1);
	TEST_ASSERT_EQ(ev.nmi.pending, 1);
	/* The guest asserts that one, and only one, came after the IRET. */
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_events_get(vcpu, &ev);
	TEST_ASSERT_EQ(ev.nmi.pending, 0);
	TEST_ASSERT_EQ(ev.nmi.masked, 0);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- shadow --- */

static void guest_shadow(void)
{
	asm volatile("sti");
	GUEST_SYNC(0);
	GUEST_ASSERT_EQ(nmi_count, 1);
	GUEST_SYNC(nmi_rip);
	GUEST_DONE();
}

static void shadow(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_shadow);
	struct kvm_vcpu_events ev;
	struct kvm_regs regs;
	struct ucall uc;

	vm_install_exception_handler(vm, NMI_VECTOR, guest_nmi_handler);
	vcpu_run_expect_sync(vcpu, 0);
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT(regs.rflags & X86_EFLAGS_IF, "IF clear after STI");
	vcpu_events_get(vcpu, &ev);
	ev.flags = KVM_VCPUEVENT_VALID_SHADOW;
	ev.interrupt.shadow = KVM_X86_SHADOW_INT_STI;
	vcpu_events_set(vcpu, &ev);
	vcpu_nmi(vcpu);
	vcpu_run_expect_sync(vcpu, 10);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	/*
	 * The shadowed instruction is the ucall's OUT (one byte, EF) that
	 * KVM_RUN completes: the NMI comes in right after it, not before it
	 * and not one instruction later (the guest code is this ELF's, at
	 * the same addresses).
	 */
	TEST_ASSERT_EQ(*(uint8_t *)regs.rip, 0xef);
	TEST_ASSERT(uc.args[1] == regs.rip + 1,
		    "NMI came in at %#llx, shadowed instruction at %#llx",
		    (unsigned long long)uc.args[1],
		    (unsigned long long)regs.rip);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- shadow_cpuid --- */

static volatile uint64_t db_count, db_rip;
extern const char cpuid_in_shadow[];

static void guest_db_handler(struct ex_regs *regs)
{
	db_rip = regs->rip;
	db_count++;
}

static void guest_shadow_cpuid(void)
{
	uint32_t a = 0, b, c = 0, d;
	uint64_t rflags;

	/*
	 * KVM_EXIT_HLT leaves RIP on the CPUID, where the host puts the
	 * shadow.  IF set first: VM entry refuses blocking by STI with IF
	 * clear (SDM Vol. 3C, "Checks on Guest Non-Register State").
	 */
	asm volatile("sti\n\t"
		     "hlt\n\t"
		     ".globl cpuid_in_shadow\n"
		     "cpuid_in_shadow:\n\t"
		     "cpuid\n\t"
		     : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	asm volatile("pushfq; popq %0" : "=r"(rflags));
	GUEST_ASSERT_EQ(nmi_count, 1);
	GUEST_SYNC(nmi_rip);
	GUEST_SYNC(db_count);
	GUEST_SYNC(rflags & X86_EFLAGS_TF);
	GUEST_DONE();
}

static void shadow_cpuid(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_shadow_cpuid);
	struct kvm_vcpu_events ev;
	struct kvm_regs regs;
	struct ucall uc;
	uint64_t nmi_at, db, tf;

	vm_install_exception_handler(vm, NMI_VECTOR, guest_nmi_handler);
	vm_install_exception_handler(vm, DB_VECTOR, guest_db_handler);
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT_EQ(regs.rip, (uint64_t)(uintptr_t)cpuid_in_shadow);
	vcpu_events_get(vcpu, &ev);
	ev.flags = KVM_VCPUEVENT_VALID_SHADOW;
	ev.interrupt.shadow = KVM_X86_SHADOW_INT_STI;
	vcpu_events_set(vcpu, &ev);
	vcpu_nmi(vcpu);
	vcpu_run_expect_sync(vcpu, 10);		/* in the NMI handler */
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	nmi_at = uc.args[1];
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	db = uc.args[1];
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	tf = uc.args[1];
	/*
	 * KVM 6.1 on SVM steps towards the window with a TF of its own; after
	 * a CPUID it emulated, the NMI came in one instruction late and the
	 * guest kept that TF (seen under QEMU): noted for KVM, an error for
	 * minikvm and for KVM on VMX (NMI-window exiting, no step).
	 */
	if ((nmi_at != regs.rip + 2 || db || tf) && !kvm_dev_is_minikvm() &&
	    host_cpu_is_amd()) {
		ksft_print_msg("KVM: NMI at CPUID + %ld, %lu #DB, RFLAGS.TF %s (known KVM difference)\n",
			       (long)(nmi_at - regs.rip), (unsigned long)db,
			       tf ? "set" : "clear");
	} else {
		TEST_ASSERT(nmi_at == regs.rip + 2,
			    "NMI came in at %#lx, CPUID (2 bytes) at %#llx",
			    (unsigned long)nmi_at,
			    (unsigned long long)regs.rip);
		TEST_ASSERT(!db && !tf, "the guest saw %lu #DB, RFLAGS.TF %s",
			    (unsigned long)db, tf ? "set" : "clear");
	}
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(delivery),
	KVM_TEST(blocked),
	KVM_TEST(shadow),
	KVM_TEST(shadow_cpuid),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
