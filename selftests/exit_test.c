// SPDX-License-Identifier: GPL-2.0-only
/*
 * exit_test - the basic ways KVM_RUN returns to userspace, with guest code
 * run in long mode by the library (x86_vm.h):
 *
 *  - HLT without an in-kernel local APIC exits with KVM_EXIT_HLT, RIP past
 *    the HLT (arch/x86/kvm/x86.c __kvm_emulate_halt());
 *  - ucalls: many GUEST_SYNC round trips, values from the host reaching the
 *    guest through its memory, GUEST_ASSERT_EQ reported with file and line,
 *    GUEST_PRINTF text reaching the host;
 *  - a triple fault (no usable IDT) is KVM_EXIT_SHUTDOWN; on AMD the vCPU
 *    is then INITed (RIP 0xfff0, real mode), as KVM does because the
 *    VMCB is undefined after a SHUTDOWN intercept;
 *  - INVD is harmless: the guest goes on (KVM and minikvm skip it rather
 *    than let it drop the host's dirty cache lines);
 *  - a signal to the thread in KVM_RUN makes it return -EINTR with
 *    KVM_EXIT_INTR, counted once in the vCPU's signal_exits statistic,
 *    and the guest resumes where it was on the next run;
 *    with vcpu->retry_eintr, vcpu_run() re-enters by itself;
 *  - kvm_run->immediate_exit makes KVM_RUN return -EINTR without entering
 *    the guest (x86.c kvm_arch_vcpu_ioctl_run(), !vcpu->wants_to_run), after
 *    completing a pending IN (the value lands in RAX), and leaves
 *    exit_reason as it was;
 *  - an unhandled guest exception is reported by the library's handler;
 *  - 20000 port I/O exits in a row, each resuming the guest after its OUT;
 *  - guest code may call memset/memcpy/memmove/memcmp and copy large
 *    structs (the library's plain versions replace glibc's IFUNCs, whose
 *    GOT slots the guest's copy of the image does not have filled in).
 */
#include <signal.h>
#include <string.h>
#include <time.h>

#include "minikvm/kvm_util.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define NR_SYNCS	16
#define IN_PORT		0x80	/* any port without a device */

/* --- HLT --- */

static void guest_hlt(void)
{
	hlt();
	GUEST_DONE();
}

static void hlt_exit(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_hlt);
	struct kvm_regs regs;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	/* HLT is one byte; RIP is past it. */
	TEST_ASSERT(regs.rip > (uintptr_t)guest_hlt &&
		    regs.rip < (uintptr_t)guest_hlt + 64,
		    "RIP 0x%llx after HLT in guest_hlt at %p", regs.rip, guest_hlt);
	TEST_ASSERT_EQ(*(uint8_t *)addr_gva2hva(vm, regs.rip - 1), 0xf4);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- ucalls --- */

static uint64_t host_value;	/* set by the host, read by the guest */

static void guest_syncs(uint64_t base)
{
	uint64_t i;

	for (i = 0; i < NR_SYNCS; i++)
		GUEST_SYNC(base + i);
	/* The host changed host_value in our memory meanwhile. */
	GUEST_ASSERT_EQ(host_value, 0x1234567890abcdefULL);
	GUEST_DONE();
}

static void ucall_roundtrips(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_syncs);
	unsigned int i;

	vcpu_args_set(vcpu, 1, 0x1000ULL);
	for (i = 0; i < NR_SYNCS; i++) {
		struct ucall uc;

		TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
		TEST_ASSERT_EQ(uc.args[1], 0x1000 + i);
		/* KVM_EXIT_IO of the ucall itself. */
		TEST_ASSERT_EQ(vcpu->run->io.port, UCALL_PORT);
		TEST_ASSERT_EQ(vcpu->run->io.size, 4);
	}
	host_value = 0x1234567890abcdefULL;
	sync_global_to_guest(vm, host_value);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static void guest_fails(void)
{
	GUEST_ASSERT_EQ(1 + 1, 3);
}

/* A failed GUEST_ASSERT_EQ reaches the host with its file, line, text and
 * values. */
static void guest_assert_reported(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_fails);
	struct ucall uc;
	char msg[512];

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_ABORT);
	ucall_abort_format(vcpu, &uc, msg, sizeof(msg));
	TEST_ASSERT(strstr(msg, "exit_test.c:") && strstr(msg, "1 + 1 == 3") &&
		    strstr(msg, "(0x2 vs 0x3)"), "abort message \"%s\"", msg);
	kvm_vm_free(vm);
}

static void guest_prints(void)
{
	GUEST_PRINTF("n=%d u=%u x=%08x s=%s c=%c", -42, 42u, 0xbeef, "str", 'z');
	GUEST_DONE();
}

static void guest_printf_reaches_host(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_prints);
	struct ucall uc;
	char text[UCALL_PRINTF_MAX];

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_PRINTF);
	ucall_printf_str(vcpu, &uc, text, sizeof(text));
	TEST_ASSERT(!strcmp(text, "n=-42 u=42 x=0000beef s=str c=z"),
		    "guest printed \"%s\"", text);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

struct big {
	uint64_t words[64];
};

static void guest_string_functions(void)
{
	struct big a, b;
	char buf[300];
	int i;

	memset(buf, 'x', sizeof(buf));
	GUEST_ASSERT_EQ(buf[0], 'x');
	GUEST_ASSERT_EQ(buf[299], 'x');
	for (i = 0; i < 64; i++)
		a.words[i] = i * 0x0101010101010101ULL;
	b = a;				/* the compiler's memcpy */
	GUEST_ASSERT(!memcmp(&a, &b, sizeof(a)));
	b.words[63]++;
	GUEST_ASSERT(memcmp(&a, &b, sizeof(a)) < 0);
	memcpy(buf, "0123456789", 10);
	memmove(buf + 2, buf, 8);
	GUEST_ASSERT(!memcmp(buf, "0101234567", 10));
	GUEST_DONE();
}

static void guest_string_calls(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_string_functions);

	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* A guest function that returns counts as GUEST_DONE(). */
static void guest_returns(void)
{
	GUEST_SYNC(7);
}

static void guest_return_is_done(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_returns);

	vcpu_run_expect_sync(vcpu, 7);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- exceptions --- */

static void guest_ud(void)
{
	asm volatile("ud2");
	GUEST_DONE();
}

/* Without a handler, the library reports the vector and RIP. */
static void unhandled_exception_reported(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_ud);
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_ABORT);
	TEST_ASSERT_EQ(uc.args[0], UD_VECTOR);
	TEST_ASSERT_EQ(*(uint16_t *)addr_gva2hva(vm, uc.args[1]), 0x0b0f);
	kvm_vm_free(vm);
}

static void guest_skip_ud(struct ex_regs *regs)
{
	regs->rip += 2;		/* ud2 */
	regs->rax = 0x5a;
}

static void guest_ud_handled(void)
{
	uint64_t rax = 0;

	asm volatile("ud2" : "+a"(rax));
	GUEST_ASSERT_EQ(rax, 0x5a);
	GUEST_DONE();
}

/* An installed handler runs, changes registers and resumes the guest. */
static void exception_handler_runs(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_ud_handled);

	vm_install_exception_handler(vm, UD_VECTOR, guest_skip_ud);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static void guest_triple_fault(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed))
		idtr = { 0, 0 };

	/* #UD cannot be delivered (#GP), nor can that (#DF), nor that. */
	asm volatile("lidt %0; ud2" : : "m"(idtr));
}

static void triple_fault_shutdown(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_triple_fault);

	struct kvm_sregs sregs;
	struct kvm_regs regs;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_SHUTDOWN);
	/*
	 * It differs by vendor: KVM on SVM INITs the vCPU after a SHUTDOWN
	 * intercept (svm.c shutdown_interception(), "VMCB is undefined"), and
	 * so does minikvm; on VMX (handle_triple_fault()) the state is left
	 * as the fault left it.
	 */
	vcpu_regs_get(vcpu, &regs);
	vcpu_sregs_get(vcpu, &sregs);
	ksft_print_msg("after SHUTDOWN: rip 0x%llx rsp 0x%llx cr0 0x%llx\n",
		       regs.rip, regs.rsp, sregs.cr0);
	if (!host_cpu_is_intel()) {
		TEST_ASSERT_EQ(regs.rip, 0xfff0);
		TEST_ASSERT_EQ(regs.rsp, 0);
		TEST_ASSERT_EQ(sregs.cs.selector, 0xf000);
		TEST_ASSERT_EQ(sregs.cs.base, 0xffff0000);
		TEST_ASSERT_EQ(sregs.cr0 & (X86_CR0_PE | X86_CR0_PG), 0);
		TEST_ASSERT_EQ(sregs.cr4, 0);
		TEST_ASSERT_EQ(sregs.efer, 0);
	}
	kvm_vm_free(vm);
}

/* --- INVD --- */

static void guest_invd(void)
{
	static volatile uint64_t value;

	value = 42;
	asm volatile("invd" : : : "memory");
	GUEST_ASSERT_EQ(value, 42);
	GUEST_DONE();
}

static void invd_skipped(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_invd);

	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- signals and immediate_exit --- */

static volatile uint64_t guest_stop;	/* guest spins until the host sets it */

static void guest_spin(void)
{
	while (!guest_stop)
		asm volatile("pause");
	GUEST_DONE();
}

static volatile sig_atomic_t sigusr1_count;

static void on_sigusr1(int sig)
{
	(void)sig;
	sigusr1_count++;
}

static void signal_interrupts_run(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	struct sigaction sa = { .sa_handler = on_sigusr1 };	/* no SA_RESTART */
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
				.sigev_signo = SIGUSR1 };
	/* Periodic, in case the first signal comes before KVM_RUN. */
	struct itimerspec its = { .it_value.tv_nsec = 100 * 1000 * 1000,
				  .it_interval.tv_nsec = 100 * 1000 * 1000 };
	struct kvm_regs regs;
	timer_t timer;
	int ret;

	TEST_ASSERT(!sigaction(SIGUSR1, &sa, NULL), "sigaction");
	TEST_ASSERT(!timer_create(CLOCK_MONOTONIC, &sev, &timer), "timer_create");
	TEST_ASSERT(!timer_settime(timer, 0, &its, NULL), "timer_settime");

	ret = __vcpu_run(vcpu);
	vcpu_run_skip_if_missing(ret, errno);
	TEST_ASSERT_ERRNO(ret, EINTR, "KVM_RUN interrupted by SIGUSR1");
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_INTR);
	/* Counted as KVM counts it (binary stats, x86.c signal_exits). */
	TEST_ASSERT_EQ(vcpu_get_stat(vcpu, "signal_exits"), 1);
	/* The guest was inside guest_spin(). */
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT(regs.rip >= (uintptr_t)guest_spin &&
		    regs.rip < (uintptr_t)guest_spin + 64,
		    "RIP 0x%llx outside guest_spin %p", regs.rip, guest_spin);

	timer_delete(timer);
	*(uint64_t *)addr_gva2hva(vm, (uintptr_t)&guest_stop) = 1;
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static volatile uint64_t guest_spins;

/* Spins long enough for several timer signals, then finishes. */
static void guest_spin_counted(void)
{
	while (guest_spins < 3 * 1000 * 1000)
		guest_spins++;
	GUEST_DONE();
}

static void signals_retried(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin_counted);
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL,
				.sigev_signo = SIGUSR1 };
	struct itimerspec its = { .it_value.tv_nsec = 1000 * 1000,
				  .it_interval.tv_nsec = 1000 * 1000 };
	timer_t timer;

	TEST_ASSERT(!sigaction(SIGUSR1, &sa, NULL), "sigaction");
	TEST_ASSERT(!timer_create(CLOCK_MONOTONIC, &sev, &timer), "timer_create");
	TEST_ASSERT(!timer_settime(timer, 0, &its, NULL), "timer_settime");
	vcpu->retry_eintr = true;
	vcpu_run_expect_done(vcpu);
	timer_delete(timer);
	ksft_print_msg("%d signals while the guest ran\n", (int)sigusr1_count);
	kvm_vm_free(vm);
}

#define MANY_EXITS	20000
#define COUNT_PORT	0x81

static void guest_many_outs(void)
{
	uint32_t i;

	for (i = 0; i < MANY_EXITS; i++)
		outl(COUNT_PORT, i);
	GUEST_DONE();
}

static void many_exits(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_many_outs);
	uint32_t i, v;

	for (i = 0; i < MANY_EXITS; i++) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		TEST_ASSERT_EQ(vcpu->run->io.port, COUNT_PORT);
		memcpy(&v, vcpu_io_data(vcpu), 4);
		TEST_ASSERT_EQ(v, i);
	}
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static void guest_in(void)
{
	uint32_t v = inl(IN_PORT);

	GUEST_SYNC(v);
}

static void immediate_exit(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_in);
	struct kvm_regs before, after;
	int ret;

	/* Before any entry: nothing runs. */
	vcpu_regs_get(vcpu, &before);
	vcpu->run->immediate_exit = 1;
	ret = __vcpu_run(vcpu);
	vcpu_run_skip_if_missing(ret, errno);
	TEST_ASSERT_ERRNO(ret, EINTR, "KVM_RUN with immediate_exit");
	vcpu_regs_get(vcpu, &after);
	TEST_ASSERT(!memcmp(&before, &after, sizeof(before)),
		    "registers changed although the guest did not run");

	/* Stop at the IN; an immediate exit completes it and stops again. */
	vcpu->run->immediate_exit = 0;
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(vcpu->run->io.direction, KVM_EXIT_IO_IN);
	TEST_ASSERT_EQ(vcpu->run->io.port, IN_PORT);
	memcpy(vcpu_io_data(vcpu), &(uint32_t){ 0xfeedf00d }, 4);
	vcpu->run->immediate_exit = 1;
	ret = __vcpu_run(vcpu);
	TEST_ASSERT_ERRNO(ret, EINTR, "KVM_RUN with immediate_exit after IN");
	/*
	 * KVM leaves the exit reason alone: still the IN's (the get_ucall()
	 * of KVM's own selftests relies on it).
	 */
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	vcpu_regs_get(vcpu, &after);
	TEST_ASSERT_EQ(after.rax & 0xffffffff, 0xfeedf00d);

	vcpu->run->immediate_exit = 0;
	vcpu_run_expect_sync(vcpu, 0xfeedf00d);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(hlt_exit),
	KVM_TEST(ucall_roundtrips),
	KVM_TEST(guest_assert_reported),
	KVM_TEST(guest_printf_reaches_host),
	KVM_TEST(guest_return_is_done),
	KVM_TEST(guest_string_calls),
	KVM_TEST(unhandled_exception_reported),
	KVM_TEST(exception_handler_runs),
	KVM_TEST(triple_fault_shutdown),
	KVM_TEST(invd_skipped),
	KVM_TEST(signal_interrupts_run),
	KVM_TEST(signals_retried),
	KVM_TEST(many_exits),
	KVM_TEST(immediate_exit),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
