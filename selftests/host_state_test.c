// SPDX-License-Identifier: GPL-2.0-only
/*
 * host_state_test - the host state a hypervisor switches for its guest
 * comes back whole to the thread that called KVM_RUN, and never reaches
 * another thread.  On VMX minikvm loads the guest's KERNEL_GS_BASE and
 * syscall MSRs once per KVM_RUN and puts the host's back only when KVM_RUN
 * returns or the thread is scheduled out (arch/x86/vmx/vmx_vcpu.c,
 * vmx_switch_to_host()); KVM does the same.  The cases:
 *
 *  own_thread	the guest sets KERNEL_GS_BASE, STAR, LSTAR, CSTAR and
 *		SFMASK to values of its own; after each KVM_RUN the host
 *		thread's system calls work, its GS base (arch_prctl) and its
 *		TLS are its own; the guest's KERNEL_GS_BASE survives exits to
 *		userspace (SWAPGS finds its marker at %gs:0)
 *  shared_cpu	two threads pinned to one CPU, each with its own vCPU and
 *		its own GS base, run guests that loop through in-kernel
 *		exits (CPUID) long enough to be preempted inside KVM_RUN by
 *		each other; each guest's SWAPGS still finds its own marker,
 *		each thread keeps its own GS base, and the threads were
 *		indeed switched (involuntary context switches counted)
 */
#include <asm/prctl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/msr_index.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define NR_THREADS	2
#define MARK		0x6d6b766d00000000ULL	/* "mkvm" */
#define HOST_GS		0x7e5700000000ULL	/* user addresses, never used */
#define SPINS		20000	/* CPUID exits per round */
#define ROUNDS		4

/* Guest data at %gs:0 once SWAPGS made KERNEL_GS_BASE the GS base. */
static uint64_t gs_marks[NR_THREADS][8] __attribute__((aligned(64)));

/* SWAPGS; read %gs:0; SWAPGS back (GS_BASE is 0 outside). */
static uint64_t guest_kgs_mark(void)
{
	uint64_t v;

	asm volatile("swapgs\n\t"
		     "movq %%gs:0, %0\n\t"
		     "swapgs" : "=r"(v) : : "memory");
	return v;
}

static void guest_set_msrs(uint64_t i)
{
	wrmsr(MSR_GS_BASE, 0);
	wrmsr(MSR_KERNEL_GS_BASE, (uint64_t)&gs_marks[i][0]);
	wrmsr(MSR_STAR, 0x0023001000000000ULL);
	wrmsr(MSR_LSTAR, 0xffffffffdead0000ULL + i);
	wrmsr(MSR_CSTAR, 0xffffffffbeef0000ULL + i);
	wrmsr(MSR_SYSCALL_MASK, 0x47700);
}

static uint64_t host_gs(void)
{
	uint64_t v = 0;

	TEST_ASSERT(!syscall(SYS_arch_prctl, ARCH_GET_GS, &v), "ARCH_GET_GS");
	return v;
}

static void host_gs_set(uint64_t v)
{
	TEST_ASSERT(!syscall(SYS_arch_prctl, ARCH_SET_GS, v), "ARCH_SET_GS");
}

static __thread uint64_t tls_word;

/* --- own_thread --- */

static void guest_own(uint64_t i)
{
	int r;

	guest_set_msrs(i);
	for (r = 0; r < ROUNDS; r++) {
		GUEST_ASSERT_EQ(guest_kgs_mark(), MARK + i);
		GUEST_SYNC(r);	/* an exit to userspace and back */
	}
	GUEST_ASSERT_EQ(rdmsr(MSR_LSTAR), 0xffffffffdead0000ULL + i);
	GUEST_ASSERT_EQ(rdmsr(MSR_KERNEL_GS_BASE), (uint64_t)&gs_marks[i][0]);
	GUEST_ASSERT_EQ(guest_kgs_mark(), MARK + i);
	GUEST_DONE();
}

static void own_thread(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_own);
	uint64_t gs = HOST_GS + 0x1000;
	int r;

	gs_marks[0][0] = MARK;
	sync_global_to_guest(vm, gs_marks);
	vcpu_args_set(vcpu, 1, 0);
	host_gs_set(gs);
	tls_word = 0x1234;
	for (r = 0; r < ROUNDS; r++) {
		vcpu_run_expect_sync(vcpu, r);
		/* A system call through LSTAR, and the thread's own bases. */
		TEST_ASSERT(getpid() > 0, "getpid");
		TEST_ASSERT_EQ(host_gs(), gs);
		TEST_ASSERT_EQ(tls_word, 0x1234);
	}
	vcpu_run_expect_done(vcpu);
	TEST_ASSERT_EQ(host_gs(), gs);
	host_gs_set(0);
	kvm_vm_free(vm);
}

/* --- shared_cpu --- */

static void guest_spin(uint64_t i)
{
	uint32_t a, b, c, d;
	int r, n;

	guest_set_msrs(i);
	for (r = 0; r < ROUNDS; r++) {
		for (n = 0; n < SPINS; n++)
			guest_cpuid(0, 0, &a, &b, &c, &d);
		GUEST_ASSERT_EQ(guest_kgs_mark(), MARK + i);
		GUEST_SYNC(r);
	}
	GUEST_DONE();
}

struct spinner {
	struct kvm_vcpu *vcpu;
	uint64_t gs;
	long nivcsw;
};

static void *spinner_thread(void *arg)
{
	struct spinner *s = arg;
	struct rusage ru;
	cpu_set_t set;
	int r;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set), "sched_setaffinity");
	host_gs_set(s->gs);
	for (r = 0; r < ROUNDS; r++) {
		vcpu_run_expect_sync(s->vcpu, r);
		TEST_ASSERT_EQ(host_gs(), s->gs);
	}
	vcpu_run_expect_done(s->vcpu);
	TEST_ASSERT_EQ(host_gs(), s->gs);
	TEST_ASSERT(!getrusage(RUSAGE_THREAD, &ru), "getrusage");
	s->nivcsw = ru.ru_nivcsw;
	return NULL;
}

static void shared_cpu(void)
{
	struct spinner s[NR_THREADS];
	pthread_t t[NR_THREADS];
	struct kvm_vm *vm;
	long switches = 0;
	int i;

	vm = vm_create_with_one_vcpu(&s[0].vcpu, guest_spin);
	for (i = 1; i < NR_THREADS; i++)
		s[i].vcpu = vm_vcpu_add_long_mode(vm, i, guest_spin);
	for (i = 0; i < NR_THREADS; i++) {
		gs_marks[i][0] = MARK + i;
		s[i].gs = HOST_GS + 0x2000 * (i + 1);
		vcpu_args_set(s[i].vcpu, 1, (uint64_t)i);
	}
	sync_global_to_guest(vm, gs_marks);
	for (i = 0; i < NR_THREADS; i++)
		TEST_ASSERT(!pthread_create(&t[i], NULL, spinner_thread, &s[i]),
			    "pthread_create");
	for (i = 0; i < NR_THREADS; i++) {
		TEST_ASSERT(!pthread_join(t[i], NULL), "pthread_join");
		switches += s[i].nivcsw;
	}
	ksft_print_msg("involuntary context switches of the two threads: %ld\n",
		       switches);
	TEST_ASSERT(switches > 0, "the threads never preempted each other");
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(own_thread),
	KVM_TEST(shared_cpu),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
