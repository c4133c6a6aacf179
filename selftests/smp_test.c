// SPDX-License-Identifier: GPL-2.0-only
/*
 * smp_test - SMP guests: several vCPUs of one VM in guest mode at the same
 * time on different physical CPUs, and memory slots changed under a
 * running vCPU (virt/kvm/kvm_main.c: a slot that goes away is zapped and
 * every vCPU's TLB flushed, kvm_flush_remote_tlbs(), before
 * KVM_SET_USER_MEMORY_REGION returns).
 *
 *	lock_and_migrate:  NR_VCPUS vCPUs, one host thread each, threads
 *		pinned round-robin to the online CPUs and moved to the next
 *		CPU every few exits (the VMCS/VMCB follows: VMCLEAR on the old
 *		CPU, new ASID or VPID flush on the new one).  The guests count
 *		with LOCK XADD, take a LOCK CMPXCHG spinlock around a plain
 *		read-modify-write, and fill their own rows of a shared array;
 *		the host checks every count.
 *	all_vcpus_run:  KVM_CAP_MAX_VCPUS vCPUs (at most MAX_RUN of them) run
 *		at once and count with LOCK XADD; with minikvm's 64, one more is -EINVAL
 *		(vcpu_create_test's count_limit checks that limit for KVM's
 *		1024 as well).
 *	slot_delete_under_reader:  a vCPU reads one slot in a loop while
 *		another thread deletes it and creates it again with a new
 *		host page, over and over, and publishes a generation number
 *		in guest memory after each ioctl returns.  Every value the
 *		guest reads is the MMIO value the host serves or the
 *		contents of a slot at least as new as the generation it saw
 *		before the read: never an old page through a stale
 *		translation.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define NR_VCPUS	4
#define NR_ROUNDS	40	/* sync exits per vCPU, one CPU move each */
#define NR_ADDS		5000	/* increments per vCPU and round */
#define MAX_RUN		64	/* vCPUs all_vcpus_run starts at most */

/* --- lock_and_migrate, all_vcpus_run --- */

static uint64_t xadd_counter;		/* LOCK XADD */
static uint64_t locked_counter;		/* plain, under spin */
static uint64_t spin;			/* 0 free, 1 taken */
static uint64_t use_spin;		/* take spin (few vCPUs only) */
static uint64_t rows[NR_VCPUS][NR_ROUNDS];

static void spin_lock(void)
{
	uint64_t old;

	do {
		old = 0;
		asm volatile("lock cmpxchgq %2, %1"
			     : "+a"(old), "+m"(spin) : "r"(1ULL) : "memory");
	} while (old);
}

static void spin_unlock(void)
{
	asm volatile("movq $0, %0" : "=m"(spin) : : "memory");
}

static void guest_counter(uint64_t id, uint64_t rounds)
{
	uint64_t r, i, one;

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < NR_ADDS; i++) {
			one = 1;
			asm volatile("lock xaddq %0, %1"
				     : "+r"(one), "+m"(xadd_counter) : : "memory");
			if (!use_spin)
				continue;
			spin_lock();
			/* Not atomic: only the lock keeps increments apart. */
			*(volatile uint64_t *)&locked_counter += 1;
			spin_unlock();
		}
		if (id < NR_VCPUS && r < NR_ROUNDS)
			rows[id][r] = id * 1000 + r + 1;
		GUEST_SYNC(id * 1000 + r);
	}
	GUEST_DONE();
}

struct worker {
	struct kvm_vcpu *vcpu;
	uint64_t rounds;
	int ncpus;		/* online CPUs to move over, 0: stay */
};

static void move_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set),
		    "sched_setaffinity(CPU %d)", cpu);
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	uint64_t r;

	for (r = 0; r < w->rounds; r++) {
		if (w->ncpus > 1)
			move_to_cpu((w->vcpu->id + r) % w->ncpus);
		vcpu_run_expect_sync(w->vcpu, w->vcpu->id * 1000 + r);
	}
	vcpu_run_expect_done(w->vcpu);
	return NULL;
}

/*
 * Runs @n vCPUs of @vm, @rounds rounds each, in threads; checks the counts.
 * @migrate: move the threads over the CPUs, and take the spinlock (with
 * few vCPUs: a preempted lock holder would stall many spinning ones).
 */
static void run_counting(struct kvm_vm *vm, struct kvm_vcpu **vcpus,
			 unsigned int n, uint64_t rounds, bool migrate)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	struct worker *w = calloc(n, sizeof(*w));
	pthread_t *threads = calloc(n, sizeof(*threads));
	unsigned int i;

	TEST_ASSERT(w && threads, "calloc");
	use_spin = migrate;
	sync_global_to_guest(vm, use_spin);
	for (i = 0; i < n; i++) {
		vcpu_args_set(vcpus[i], 2, (uint64_t)i, rounds);
		w[i] = (struct worker){ vcpus[i], rounds,
					migrate ? (int)online : 0 };
		TEST_ASSERT(!pthread_create(&threads[i], NULL, worker_thread,
					    &w[i]), "pthread_create");
	}
	for (i = 0; i < n; i++)
		TEST_ASSERT(!pthread_join(threads[i], NULL), "pthread_join");

	sync_global_from_guest(vm, xadd_counter);
	sync_global_from_guest(vm, locked_counter);
	TEST_ASSERT_EQ(xadd_counter, (uint64_t)n * rounds * NR_ADDS);
	TEST_ASSERT_EQ(locked_counter, use_spin ? (uint64_t)n * rounds * NR_ADDS : 0);
	free(w);
	free(threads);
}

static void lock_and_migrate(void)
{
	struct kvm_vcpu *vcpus[NR_VCPUS];
	struct kvm_vm *vm;
	unsigned int i, r;

	vm = vm_create_with_one_vcpu(&vcpus[0], guest_counter);
	TEST_REQUIRE(vm_check_cap(vm, KVM_CAP_MAX_VCPUS) >= NR_VCPUS);
	for (i = 1; i < NR_VCPUS; i++)
		vcpus[i] = vm_vcpu_add_long_mode(vm, i, guest_counter);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		ksft_print_msg("one CPU online: the vCPUs take turns\n");
	run_counting(vm, vcpus, NR_VCPUS, NR_ROUNDS, true);

	sync_global_from_guest(vm, rows);
	for (i = 0; i < NR_VCPUS; i++)
		for (r = 0; r < NR_ROUNDS; r++)
			TEST_ASSERT_EQ(rows[i][r], i * 1000 + r + 1);
	kvm_vm_free(vm);
}

static void all_vcpus_run(void)
{
	struct kvm_vcpu *vcpus[MAX_RUN];
	struct kvm_vm *vm;
	int max, n, i;

	vm = vm_create_with_one_vcpu(&vcpus[0], guest_counter);
	max = vm_check_cap(vm, KVM_CAP_MAX_VCPUS);
	TEST_ASSERT(max >= 1, "KVM_CAP_MAX_VCPUS %d", max);
	n = max < MAX_RUN ? max : MAX_RUN;
	for (i = 1; i < n; i++)
		vcpus[i] = vm_vcpu_add_long_mode(vm, i, guest_counter);
	if (n == max)
		TEST_ASSERT_ERRNO(__vm_create_vcpu_fd(vm, n), EINVAL,
				  "one vCPU more than KVM_CAP_MAX_VCPUS");
	run_counting(vm, vcpus, n, 1, false);
	ksft_print_msg("%d vCPUs ran (KVM_CAP_MAX_VCPUS %d, NR_VCPUS %d)\n",
		       n, max, vm_check_cap(vm, KVM_CAP_NR_VCPUS));
	kvm_vm_free(vm);
}

/* --- slot_delete_under_reader --- */

#define RACE_SLOT	1
#define RACE_GPA	0x3000000ULL
#define RACE_GVA	0x10000000ULL
#define RACE_CYCLES	150
#define MMIO_VALUE	1ULL		/* odd: no slot ever holds it */
#define RACE_END	(~0ULL)

/*
 * Odd 2k+1: the slot was deleted; even 2k: it was created holding 2k.
 * Written by the host only after the ioctl returned.
 */
static uint64_t race_gen;

static void guest_slot_reader(void)
{
	volatile uint64_t *gen = &race_gen;
	volatile uint64_t *p = (volatile uint64_t *)RACE_GVA;
	uint64_t g, v, reads = 0, mmio = 0;

	for (;;) {
		g = *gen;
		if (g == RACE_END)
			break;
		v = *p;		/* loads are not reordered with loads */
		if (v == MMIO_VALUE) {
			mmio++;
		} else if (v < g) {
			GUEST_PRINTF("read %lu after generation %lu", v, g);
			GUEST_FAIL("a deleted slot's page was read");
		}
		reads++;
	}
	GUEST_SYNC(reads);
	GUEST_SYNC(mmio);
	GUEST_DONE();
}

struct race {
	struct kvm_vm *vm;
	volatile uint64_t *gen;	/* race_gen in guest memory */
	void *pages[RACE_CYCLES + 1];
};

/* A fresh host page holding @value, kept mapped till the end. */
static void *race_page(uint64_t value)
{
	uint64_t *p = mmap(NULL, PAGE_SIZE_4K, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap");
	*p = value;
	return p;
}

static void *slot_flipper(void *arg)
{
	struct race *rc = arg;
	uint64_t k;

	for (k = 1; k <= RACE_CYCLES; k++) {
		usleep(500);
		vm_set_user_memory_region(rc->vm, RACE_SLOT, 0, RACE_GPA, 0,
					  NULL);
		__atomic_store_n(rc->gen, 2 * k - 1, __ATOMIC_SEQ_CST);
		usleep(500);
		rc->pages[k] = race_page(2 * k);
		vm_set_user_memory_region(rc->vm, RACE_SLOT, 0, RACE_GPA,
					  PAGE_SIZE_4K, rc->pages[k]);
		__atomic_store_n(rc->gen, 2 * k, __ATOMIC_SEQ_CST);
	}
	usleep(500);
	__atomic_store_n(rc->gen, RACE_END, __ATOMIC_SEQ_CST);
	return NULL;
}

static void slot_delete_under_reader(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_slot_reader);
	uint64_t before, after, reads, mmio_exits = 0, k;
	struct race rc = { .vm = vm };
	pthread_t flipper;
	struct ucall uc;

	rc.pages[0] = race_page(0);
	vm_set_user_memory_region(vm, RACE_SLOT, 0, RACE_GPA, PAGE_SIZE_4K,
				  rc.pages[0]);
	virt_pg_map(vm, RACE_GVA, RACE_GPA);
	rc.gen = addr_gva2hva(vm, (uint64_t)(uintptr_t)&race_gen);
	*rc.gen = 0;
	before = vm_get_stat(vm, "remote_tlb_flush_requests");

	TEST_ASSERT(!pthread_create(&flipper, NULL, slot_flipper, &rc),
		    "pthread_create");
	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_MMIO) {
			TEST_ASSERT_EQ(vcpu->run->mmio.phys_addr, RACE_GPA);
			TEST_ASSERT(!vcpu->run->mmio.is_write, "MMIO write");
			memcpy(vcpu->run->mmio.data, &(uint64_t){ MMIO_VALUE },
			       8);
			mmio_exits++;
			continue;
		}
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_PRINTF:
			ksft_print_msg("guest: %s\n",
				       ucall_printf_str(vcpu, &uc,
							(char[256]){ 0 }, 256));
			continue;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(vcpu, uc);
			break;
		case UCALL_SYNC:
			break;
		default:
			kvm_run_dump(stdout, vcpu->run, "#   ");
			TEST_FAIL("unexpected exit");
		}
		break;
	}
	reads = uc.args[1];
	vcpu_run_expect_sync(vcpu, mmio_exits);
	vcpu_run_expect_done(vcpu);
	TEST_ASSERT(!pthread_join(flipper, NULL), "pthread_join");
	after = vm_get_stat(vm, "remote_tlb_flush_requests");
	ksft_print_msg("%lu guest reads, %lu MMIO exits, %d cycles, remote_tlb_flush_requests +%lu\n",
		       reads, mmio_exits, RACE_CYCLES, after - before);
	TEST_ASSERT(mmio_exits > 0, "the guest never saw the slot gone");
	for (k = 0; k <= RACE_CYCLES; k++)
		munmap(rc.pages[k], PAGE_SIZE_4K);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(lock_and_migrate),
	KVM_TEST(all_vcpus_run),
	KVM_TEST(slot_delete_under_reader),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
