// SPDX-License-Identifier: GPL-2.0-only
/*
 * irq_inject_test - external interrupts from a userspace interrupt
 * controller, KVM's model (x86.c kvm_vcpu_ioctl_interrupt(),
 * vcpu_run(), post_kvm_run_save()):
 *
 *	delivery	KVM_INTERRUPT vectors reach the guest's IDT handler,
 *			once each; a vector above 255 is -EINVAL; a second
 *			KVM_INTERRUPT before the entry replaces the first
 *	ready_flag	kvm_run.if_flag and ready_for_interrupt_injection
 *			follow RFLAGS.IF on every return from KVM_RUN
 *	irq_window	request_interrupt_window: KVM_EXIT_IRQ_WINDOW_OPEN
 *			not while IF=0, not in the STI shadow, but right
 *			after it: the interrupt injected then interrupts the
 *			instruction after STI's shadow
 *	sti_hlt		STI; HLT without an in-kernel APIC: KVM_EXIT_HLT
 *			with RIP past the HLT, and the HLT ended STI's
 *			shadow: an interrupt injected at the next KVM_RUN
 *			interrupts the instruction after the HLT, and
 *			ready_for_interrupt_injection said so
 *	redelivery	an interrupt whose delivery exits (the stack it is
 *			pushed on is a page nested paging has not mapped
 *			yet: the exit comes with IDT-vectoring information /
 *			EXITINTINFO) is injected again, and handled once
 */
#include <errno.h>
#include <asm/processor-flags.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define VEC_A		0x41
#define VEC_B		0x42
#define VEC_C		0x43
#define FRESH_STACK_GVA	0x5000000000ULL	/* one page, never touched before */
#define FRESH_STACK_GPA	GUEST_MEM_SIZE	/* in slot 1, just above slot 0 */

static volatile uint64_t irq_count, irq_vector, irq_rip;

static void guest_irq_handler(struct ex_regs *regs)
{
	irq_count++;
	irq_vector = regs->vector;
	irq_rip = regs->rip;
}

static struct kvm_vm *create_vm(struct kvm_vcpu **vcpu, void *guest_code)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);

	vm_install_exception_handler(vm, VEC_A, guest_irq_handler);
	vm_install_exception_handler(vm, VEC_B, guest_irq_handler);
	vm_install_exception_handler(vm, VEC_C, guest_irq_handler);
	return vm;
}

/* --- delivery --- */

static void guest_delivery(void)
{
	asm volatile("sti");
	GUEST_SYNC(0);
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, VEC_A);
	GUEST_SYNC(1);
	/* VEC_A then VEC_B queued before one entry: only VEC_B. */
	GUEST_ASSERT_EQ(irq_count, 2);
	GUEST_ASSERT_EQ(irq_vector, VEC_B);
	GUEST_DONE();
}

static void delivery(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_vm(&vcpu, guest_delivery);

	TEST_ASSERT(__vcpu_irq_inject(vcpu, 256) == -1 && errno == EINVAL,
		    "KVM_INTERRUPT 256: %d", errno);
	vcpu_run_expect_sync(vcpu, 0);
	vcpu_irq_inject(vcpu, VEC_A);
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_irq_inject(vcpu, VEC_A);
	vcpu_irq_inject(vcpu, VEC_B);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- ready_flag --- */

static void guest_ready_flag(void)
{
	asm volatile("cli");
	GUEST_SYNC(0);
	asm volatile("sti");
	GUEST_SYNC(1);
	/* The interrupt injected during the immediate exit came in here. */
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_DONE();
}

static void ready_flag(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_vm(&vcpu, guest_ready_flag);

	vcpu_run_expect_sync(vcpu, 0);
	TEST_ASSERT_EQ(vcpu->run->if_flag, 0);
	TEST_ASSERT_EQ(vcpu->run->ready_for_interrupt_injection, 0);
	vcpu_run_expect_sync(vcpu, 1);
	TEST_ASSERT_EQ(vcpu->run->if_flag, 1);
	TEST_ASSERT_EQ(vcpu->run->ready_for_interrupt_injection, 1);
	/* An interrupt already injected: not ready for another. */
	vcpu->run->immediate_exit = 1;
	vcpu_irq_inject(vcpu, VEC_A);
	TEST_ASSERT(__vcpu_run(vcpu) == -1 && errno == EINTR,
		    "KVM_RUN with immediate_exit: %d", errno);
	TEST_ASSERT_EQ(vcpu->run->if_flag, 1);
	TEST_ASSERT_EQ(vcpu->run->ready_for_interrupt_injection, 0);
	vcpu->run->immediate_exit = 0;
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- irq_window --- */

static void guest_irq_window(void)
{
	uint64_t at;

	asm volatile("cli");
	GUEST_SYNC(0);
	/* A few instructions with IF=0, STI, its shadow (NOP), then 1:. */
	asm volatile("xor %%eax, %%eax\n\t"
		     "inc %%eax\n\t"
		     "inc %%eax\n\t"
		     "sti\n\t"
		     "nop\n\t"
		     "1: nop\n\t"
		     "lea 1b(%%rip), %0\n\t"
		     "cli\n\t"
		     : "=r"(at) : : "rax", "memory");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, VEC_A);
	GUEST_ASSERT_EQ(irq_rip, at);
	GUEST_DONE();
}

static void irq_window(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_vm(&vcpu, guest_irq_window);

	vcpu_run_expect_sync(vcpu, 0);
	vcpu->run->request_interrupt_window = 1;
	vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_IRQ_WINDOW_OPEN,
		    "expected KVM_EXIT_IRQ_WINDOW_OPEN, got %s",
		    vcpu_exit_reason_str(vcpu->run->exit_reason));
	TEST_ASSERT_EQ(vcpu->run->if_flag, 1);
	TEST_ASSERT_EQ(vcpu->run->ready_for_interrupt_injection, 1);
	vcpu->run->request_interrupt_window = 0;
	vcpu_irq_inject(vcpu, VEC_A);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- sti_hlt --- */

static void guest_sti_hlt(void)
{
	uint64_t at;

	asm volatile("cli");
	GUEST_SYNC(0);
	asm volatile("sti\n\t"
		     "hlt\n\t"
		     "1: nop\n\t"
		     "lea 1b(%%rip), %0\n\t"
		     "cli\n\t"
		     : "=r"(at) : : "memory");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, VEC_B);
	GUEST_ASSERT_EQ(irq_rip, at);
	GUEST_DONE();
}

static void sti_hlt(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_vm(&vcpu, guest_sti_hlt);

	vcpu_run_expect_sync(vcpu, 0);
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_HLT);
	TEST_ASSERT_EQ(vcpu->run->if_flag, 1);
	TEST_ASSERT_EQ(vcpu->run->ready_for_interrupt_injection, 1);
	vcpu_irq_inject(vcpu, VEC_B);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- redelivery --- */

static void guest_redelivery(void)
{
	GUEST_SYNC(0);
	/* IF=1 on a stack page nested paging has never seen. */
	asm volatile("mov %%rsp, %%rbx\n\t"
		     "mov %0, %%rsp\n\t"
		     "sti\n\t"
		     "nop\n\t"
		     "nop\n\t"
		     "cli\n\t"
		     "mov %%rbx, %%rsp\n\t"
		     : : "r"(FRESH_STACK_GVA + 4096 - 64) : "rbx", "memory");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, VEC_C);
	GUEST_DONE();
}

static void redelivery(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_vm(&vcpu, guest_redelivery);
	struct kvm_vcpu_events ev;
	uint64_t injections;

	/*
	 * The page gets a memslot of its own, a single 4 KiB page: slot 0's
	 * memory may be a transparent huge page (6.12 aligns large anonymous
	 * mappings to 2 MiB), which NPT maps as a whole as soon as the guest
	 * touches any of it.
	 */
	vm_userspace_mem_region_add(vm, 1, 0, FRESH_STACK_GPA, 4096);
	virt_pg_map(vm, FRESH_STACK_GVA, FRESH_STACK_GPA);
	vcpu_run_expect_sync(vcpu, 0);
	vcpu->run->request_interrupt_window = 1;
	vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_IRQ_WINDOW_OPEN,
		    "expected KVM_EXIT_IRQ_WINDOW_OPEN, got %s",
		    vcpu_exit_reason_str(vcpu->run->exit_reason));
	vcpu->run->request_interrupt_window = 0;
	vcpu_irq_inject(vcpu, VEC_C);
	vcpu_events_get(vcpu, &ev);
	TEST_ASSERT_EQ(ev.interrupt.injected, 1);
	TEST_ASSERT_EQ(ev.interrupt.nr, VEC_C);
	injections = vcpu_get_stat(vcpu, "irq_injections");
	vcpu_run_expect_done(vcpu);
	/*
	 * Both count every injection: more than one means the delivery was
	 * cut short at least once (the stack page; the IDT's too, first
	 * used here), and the guest saw the interrupt once.
	 */
	injections = vcpu_get_stat(vcpu, "irq_injections") - injections;
	ksft_print_msg("VEC_C injected %llu times\n",
		       (unsigned long long)injections);
	TEST_ASSERT(injections >= 2, "delivery never interrupted (%llu)",
		    (unsigned long long)injections);
	vcpu_events_get(vcpu, &ev);
	TEST_ASSERT_EQ(ev.interrupt.injected, 0);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(delivery),
	KVM_TEST(ready_flag),
	KVM_TEST(irq_window),
	KVM_TEST(sti_hlt),
	KVM_TEST(redelivery),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
