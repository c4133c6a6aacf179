// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm-bench - a few micro-benchmarks of the KVM uAPI, run the same way
 * against minikvm ($MINIKVM_DEV=/dev/minikvm) and real KVM (/dev/kvm) so
 * that the two can be compared in one boot of a test machine
 * (scripts/bench.sh; method in Documentation/benchmarks.md).
 *
 * Each benchmark is a test case (TAP, one child process each) that prints
 *
 *	bench <name> <iterations> <ns-per-op>
 *
 * timed on the host with CLOCK_MONOTONIC.  Guest benchmarks first run the
 * guest to a GUEST_SYNC (VM built, code and stack faulted in), then time
 * from the KVM_RUN that starts the guest's loop of N operations to the
 * ucall that ends it; the one ucall is part of the figure (1/N of it).
 *
 *	cpuid		CPUID leaf 0: an exit handled in the kernel
 *	rdmsr		RDMSR IA32_APIC_BASE: intercepted and answered in the
 *			kernel by both (KVM passes neither it nor MTRRcap
 *			through on VMX or SVM; minikvm intercepts every MSR)
 *	pio		OUT to port 0x80, no device there: each one is a
 *			KVM_EXIT_IO and one KVM_RUN to go on
 *	mmio		a 4-byte MOV to a gpa without a slot: KVM_EXIT_MMIO,
 *			through the instruction decoder, one KVM_RUN to go on
 *	run_immediate	KVM_RUN with kvm_run->immediate_exit set: -EINTR
 *			at once, the guest not entered (the system call and
 *			the ioctl's fixed costs)
 *	hlt_irq		with KVM_CREATE_IRQCHIP: arm the LAPIC timer one-shot
 *			with count 1 (divide by 1), STI; HLT; the handler EOIs;
 *			time per iteration (arm, wake, interrupt, EOI)
 *	fault_4k	first touch of a fresh 64 MiB slot (MADV_NOHUGEPAGE),
 *			one byte written per 4 KiB page: time per page
 *	fault_thp	the same with the slot's memory 2 MiB aligned and
 *			MADV_HUGEPAGE: transparent huge pages where the host
 *			kernel gives them (its THP mode is printed)
 *	fault_4k_1g, fault_thp_1g
 *			the same over 1 GiB (the test machine needs more
 *			than its default 1 GiB: bench.sh gives it 3 GiB,
 *			2 GiB on Bochs)
 *	touch_4k, touch_thp
 *			no VM: the benchmark itself touches a fresh 64 MiB
 *			mapping as the guest of fault_4k / fault_thp does,
 *			the host's own cost of those first touches (page
 *			faults, zeroing), a floor for both hypervisors
 *	vm_create	KVM_CREATE_VM + KVM_CREATE_VCPU + mmap of kvm_run,
 *			then close both (no run): time per VM
 *	memslot		KVM_SET_USER_MEMORY_REGION of 64 MiB, then its
 *			deletion (size 0): time per add+remove pair
 *	cpuid_trace, pio_trace
 *			cpuid and pio with minikvm's exit trace on (skipped
 *			elsewhere), and where a round trip's cycles go
 *	cpuid_nostats, pio_nostats
 *			cpuid and pio with minikvm's per-exit statistics off
 *			(module parameter stats=N, needs root; skipped
 *			elsewhere): against cpuid and pio, their cost
 *
 * MINIKVM_BENCH_SCALE (a percentage, default 100) scales the iteration
 * counts, for a quick try.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "minikvm/apic.h"
#include "minikvm/kvm_trace.h"
#include "minikvm/kvm_util.h"
#include "minikvm/msr_index.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define BENCH_PORT	0x80		/* no device behind it in either */
#define MMIO_GPA	0xc0000000ULL	/* no slot here */
#define FAULT_GPA	0x40000000ULL	/* the fresh slot of fault_4k */
#define FAULT_SIZE	(64ULL << 20)
#define FAULT_SIZE_1G	(1ULL << 30)	/* fault_*_1g: a 2-3 GiB test machine */
#define FAULT_SLOT	1
#define VEC_TIMER	0xec

static uint64_t scaled(uint64_t n)
{
	const char *s = getenv("MINIKVM_BENCH_SCALE");
	uint64_t pct = s ? strtoull(s, NULL, 10) : 100;

	n = n * pct / 100;
	return n ? n : 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void report(const char *name, uint64_t iters, uint64_t ns)
{
	printf("bench %s %llu %.1f\n", name, (unsigned long long)iters,
	       (double)ns / iters);
	fflush(stdout);
}

/*
 * The *_trace variants (minikvm only) run with the exit trace on, a ring
 * big enough for every exit, so that the figure against the plain one is
 * the trace's cost.  Afterwards the records of the timed exits say where
 * the time of one round trip goes, in TSC cycles: from the exit to the
 * next entry (or to KVM_RUN's return) and from one exit to the next.
 */
#define TRACE_RECORDS	16384

static void trace_on(struct kvm_vcpu *vcpu, struct kvm_trace *t)
{
	kvm_trace_map(t, vcpu_get_exit_trace_fd(vcpu, TRACE_RECORDS));
}

/* Sums, over the records of kernel (!@user) or userspace (@user) exits
 * but the first, the handling cycles and the TSC from the previous such
 * record; prints the means. */
static void trace_split(const char *name, struct kvm_trace *t, bool user)
{
	struct minikvm_trace_record rec;
	uint64_t n = 0, cycles = 0, gap = 0, prev = 0;

	while (kvm_trace_next(t, &rec)) {
		if (!!(rec.flags & MINIKVM_TRACE_USERSPACE) != user)
			continue;
		if (prev) {
			cycles += rec.cycles;
			gap += rec.tsc - prev;
			n++;
		}
		prev = rec.tsc;
	}
	TEST_ASSERT(n, "no %s exit in the trace", user ? "userspace" : "kernel");
	ksft_print_msg("%s: %llu exits; per exit %.1f TSC cycles from the exit to %s, %.1f from one exit to the next\n",
		       name, (unsigned long long)n, (double)cycles / n,
		       user ? "KVM_RUN's return" : "the next entry",
		       (double)gap / n);
	kvm_trace_unmap(t);
	close(t->fd);
}

#define STATS_PARAM	"/sys/module/minikvm/parameters/stats"

/* minikvm's per-exit statistics on or off (kmod/stats.c); 0 or -errno. */
static int stats_set(bool on)
{
	int fd = open(STATS_PARAM, O_WRONLY);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, on ? "Y" : "N", 1) != 1)
		r = -errno;
	close(fd);
	return r;
}

static void require_stats_switch(void)
{
	TEST_REQUIRE(kvm_dev_is_minikvm());
	TEST_REQUIRE(!access(STATS_PARAM, W_OK));
}

static void require_trace(bool trace)
{
	if (trace)
		TEST_REQUIRE(kvm_check_cap(MINIKVM_CAP_EXIT_TRACE) == 1);
}

/*
 * Runs a guest whose code does GUEST_SYNC(0), then @iters operations that
 * stay in the kernel, then GUEST_DONE(); reports the time of the second
 * KVM_RUN.
 */
static void bench_in_kernel(const char *name, void *guest_code, uint64_t iters,
			    bool trace)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_trace t;
	uint64_t t0;

	require_trace(trace);
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	if (trace)
		trace_on(vcpu, &t);
	vcpu_args_set(vcpu, 1, iters);
	vcpu_run_expect_sync(vcpu, 0);
	t0 = now_ns();
	vcpu_run_expect_done(vcpu);
	report(name, iters, now_ns() - t0);
	if (trace)
		trace_split(name, &t, false);
	kvm_vm_free(vm);
}

/* --- cpuid --- */

static void guest_cpuid_loop(uint64_t n)
{
	uint32_t a, b, c, d;
	uint64_t i;

	GUEST_SYNC(0);
	for (i = 0; i < n; i++)
		guest_cpuid(0, 0, &a, &b, &c, &d);
	GUEST_DONE();
}

static void cpuid(void)
{
	bench_in_kernel("cpuid", guest_cpuid_loop, scaled(10000), false);
}

static void cpuid_trace(void)
{
	bench_in_kernel("cpuid_trace", guest_cpuid_loop, scaled(10000), true);
}

static void cpuid_nostats(void)
{
	require_stats_switch();
	TEST_ASSERT(!stats_set(false), "stats=N");
	bench_in_kernel("cpuid_nostats", guest_cpuid_loop, scaled(10000), false);
	TEST_ASSERT(!stats_set(true), "stats=Y");
}

/* --- rdmsr --- */

static void guest_rdmsr_loop(uint64_t n)
{
	uint64_t i;

	GUEST_SYNC(0);
	for (i = 0; i < n; i++)
		rdmsr(MSR_IA32_APICBASE);
	GUEST_DONE();
}

static void rdmsr_apic_base(void)
{
	bench_in_kernel("rdmsr", guest_rdmsr_loop, scaled(10000), false);
}

/* --- pio and mmio: one exit to userspace per operation --- */

static void guest_pio_loop(uint64_t n)
{
	uint64_t i;

	GUEST_SYNC(0);
	for (i = 0; i < n; i++)
		outb(BENCH_PORT, 0);
	GUEST_DONE();
}

static void guest_mmio_loop(uint64_t n)
{
	uint64_t i;

	GUEST_SYNC(0);
	for (i = 0; i < n; i++)
		*(volatile uint32_t *)MMIO_GPA = 0;
	GUEST_DONE();
}

static void bench_user_exit(const char *name, void *guest_code, uint32_t reason,
			    uint64_t iters, bool trace)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_trace tr;
	uint64_t i, t0, t;

	require_trace(trace);
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	if (trace)
		trace_on(vcpu, &tr);
	virt_map(vm, MMIO_GPA, MMIO_GPA, PAGE_SIZE_4K);
	vcpu_args_set(vcpu, 1, iters);
	vcpu_run_expect_sync(vcpu, 0);
	t0 = now_ns();
	/* Plain ioctl(): nothing of the library's between two runs. */
	for (i = 0; i < iters; i++) {
		if (ioctl(vcpu->fd, KVM_RUN, NULL) ||
		    vcpu->run->exit_reason != reason)
			break;
	}
	t = now_ns() - t0;
	TEST_ASSERT(i == iters, "exit %llu of %llu: reason %u, not %u",
		    (unsigned long long)i, (unsigned long long)iters,
		    vcpu->run->exit_reason, reason);
	/* The last exit's KVM_RUN is timed, GUEST_DONE's is not. */
	report(name, iters, t);
	vcpu_run_expect_done(vcpu);
	if (trace)
		trace_split(name, &tr, true);
	kvm_vm_free(vm);
}

static void pio(void)
{
	bench_user_exit("pio", guest_pio_loop, KVM_EXIT_IO, scaled(10000), false);
}

static void pio_trace(void)
{
	bench_user_exit("pio_trace", guest_pio_loop, KVM_EXIT_IO, scaled(10000),
			true);
}

static void pio_nostats(void)
{
	require_stats_switch();
	TEST_ASSERT(!stats_set(false), "stats=N");
	bench_user_exit("pio_nostats", guest_pio_loop, KVM_EXIT_IO,
			scaled(10000), false);
	TEST_ASSERT(!stats_set(true), "stats=Y");
}

static void mmio(void)
{
	bench_user_exit("mmio", guest_mmio_loop, KVM_EXIT_MMIO, scaled(10000),
			false);
}

/*
 * --- run_immediate: KVM_RUN with immediate_exit, -EINTR without entering
 * the guest: the system call and the ioctl's way in and out ---
 */

static void run_immediate(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_pio_loop);
	uint64_t iters = scaled(10000), i, t0, t;

	vcpu->run->immediate_exit = 1;
	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		if (ioctl(vcpu->fd, KVM_RUN, NULL) != -1 || errno != EINTR)
			break;
	}
	t = now_ns() - t0;
	TEST_ASSERT(i == iters, "KVM_RUN %llu with immediate_exit: not -EINTR",
		    (unsigned long long)i);
	report("run_immediate", iters, t);
	kvm_vm_free(vm);
}

/* --- hlt_irq --- */

static volatile uint64_t timer_irqs;

static void guest_timer_handler(struct ex_regs *regs)
{
	(void)regs;
	timer_irqs++;
	apic_write(APIC_EOI, 0);
}

static void guest_hlt_irq_loop(uint64_t n)
{
	uint64_t i;

	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TDCR, 0xb);		/* divide by 1 */
	apic_write(APIC_LVTT, VEC_TIMER);	/* one-shot */
	GUEST_SYNC(0);
	for (i = 0; i < n; i++) {
		apic_write(APIC_TMICT, 1);
		/* STI's shadow: the interrupt comes after HLT, waking it. */
		while (timer_irqs == i)
			asm volatile("sti; hlt; cli" : : : "memory");
	}
	GUEST_ASSERT_EQ(timer_irqs, n);
	GUEST_DONE();
}

static void hlt_irq(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create();
	uint64_t iters = scaled(2000), t0;

	vm_userspace_mem_region_add(vm, 0, 0, 0, GUEST_MEM_SIZE);
	kvm_vm_elf_load(vm, "/proc/self/exe");
	vm_init_long_mode(vm);
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0);
	vcpu = vm_vcpu_add_long_mode(vm, 0, guest_hlt_irq_loop);
	vm_install_exception_handler(vm, VEC_TIMER, guest_timer_handler);
	virt_pg_map_flags(vm, APIC_GPA, APIC_GPA, PTE_RW);
	vcpu_args_set(vcpu, 1, iters);
	vcpu_run_expect_sync(vcpu, 0);
	t0 = now_ns();
	vcpu_run_expect_done(vcpu);
	report("hlt_irq", iters, now_ns() - t0);
	kvm_vm_free(vm);
}

/* --- fault_4k --- */

static void guest_touch(uint64_t base, uint64_t size)
{
	uint64_t p;

	GUEST_SYNC(0);
	for (p = base; p < base + size; p += PAGE_SIZE_4K)
		*(volatile uint8_t *)p = 1;
	GUEST_DONE();
}

/* Prints the THP mode ("always [madvise] never") of the machine. */
static void print_thp_mode(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	ksft_print_msg("transparent_hugepage/enabled: %s\n",
		       buf[0] ? buf : "(none)");
}

/*
 * Fresh anonymous memory of @size bytes at a 2 MiB-aligned address, backed
 * by 4 KiB pages (MADV_NOHUGEPAGE) or, @huge, by transparent huge pages
 * where the host gives them (MADV_HUGEPAGE).  *@map and *@map_size are
 * what to munmap().
 */
static uint8_t *mem_aligned(uint64_t size, bool huge, uint8_t **map,
			    uint64_t *map_size)
{
	uint8_t *mem;

	*map_size = size + (2ULL << 20);
	*map = mmap(NULL, *map_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(*map != MAP_FAILED, "mmap of %llu bytes",
		    (unsigned long long)*map_size);
	mem = (uint8_t *)(((uintptr_t)*map + (2ULL << 20) - 1) &
			  ~((2ULL << 20) - 1));
	madvise(mem, size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	return mem;
}

/* Touches a fresh slot of @full_size (scaled), memory as mem_aligned(). */
static void bench_fault(const char *name, bool huge, uint64_t full_size)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_touch);
	uint64_t size = scaled(full_size / PAGE_SIZE_4K) * PAGE_SIZE_4K;
	uint64_t map_size, t0, t;
	uint8_t *map, *mem = mem_aligned(size, huge, &map, &map_size);

	if (huge)
		print_thp_mode();
	vm_set_user_memory_region(vm, FAULT_SLOT, 0, FAULT_GPA, size, mem);
	virt_map(vm, FAULT_GPA, FAULT_GPA, size);
	vcpu_args_set(vcpu, 2, FAULT_GPA, size);
	vcpu_run_expect_sync(vcpu, 0);
	t0 = now_ns();
	vcpu_run_expect_done(vcpu);
	t = now_ns() - t0;
	report(name, size / PAGE_SIZE_4K, t);
	kvm_vm_free(vm);
	munmap(map, map_size);
}

static void fault_4k(void)
{
	bench_fault("fault_4k", false, FAULT_SIZE);
}

static void fault_thp(void)
{
	bench_fault("fault_thp", true, FAULT_SIZE);
}

static void fault_4k_1g(void)
{
	bench_fault("fault_4k_1g", false, FAULT_SIZE_1G);
}

static void fault_thp_1g(void)
{
	bench_fault("fault_thp_1g", true, FAULT_SIZE_1G);
}

/*
 * The host alone, no VM: first touch of a fresh 64 MiB mapping from the
 * benchmark's own thread, one byte per 4 KiB page, backed like fault_4k's
 * (@huge false) or fault_thp's memory: the host kernel's page faults and
 * page zeroing, which a guest's first touch costs on either hypervisor.
 */
static void bench_touch(const char *name, bool huge)
{
	uint64_t size = scaled(FAULT_SIZE / PAGE_SIZE_4K) * PAGE_SIZE_4K;
	uint64_t map_size, t0, t, p;
	uint8_t *map, *mem = mem_aligned(size, huge, &map, &map_size);

	t0 = now_ns();
	for (p = 0; p < size; p += PAGE_SIZE_4K)
		*(volatile uint8_t *)(mem + p) = 1;
	t = now_ns() - t0;
	report(name, size / PAGE_SIZE_4K, t);
	munmap(map, map_size);
}

static void touch_4k(void)
{
	bench_touch("touch_4k", false);
}

static void touch_thp(void)
{
	bench_touch("touch_thp", true);
}

/* --- vm_create and memslot --- */

static void vm_create_destroy(void)
{
	int kvm_fd = open_kvm_dev();
	int run_size = kvm_vcpu_mmap_size();
	uint64_t iters = scaled(200), i, t0;

	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		int vm_fd = __kvm_create_vm(kvm_fd, 0);
		int vcpu_fd;
		void *run;

		TEST_ASSERT(vm_fd >= 0, "KVM_CREATE_VM");
		vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
		TEST_ASSERT(vcpu_fd >= 0, "KVM_CREATE_VCPU");
		run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   vcpu_fd, 0);
		TEST_ASSERT(run != MAP_FAILED, "mmap of kvm_run");
		munmap(run, run_size);
		close(vcpu_fd);
		close(vm_fd);
	}
	report("vm_create", iters, now_ns() - t0);
	close(kvm_fd);
}

static void memslot(void)
{
	struct kvm_vm *vm = vm_create();
	uint64_t iters = scaled(1000), i, t0;
	void *mem;

	mem = mmap(NULL, FAULT_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap of 64 MiB");
	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		vm_set_user_memory_region(vm, FAULT_SLOT, 0, FAULT_GPA,
					  FAULT_SIZE, mem);
		vm_set_user_memory_region(vm, FAULT_SLOT, 0, FAULT_GPA, 0,
					  mem);
	}
	report("memslot", iters, now_ns() - t0);
	kvm_vm_free(vm);
	munmap(mem, FAULT_SIZE);
}

static const struct kvm_test tests[] = {
	KVM_TEST(cpuid),
	{ "rdmsr", rdmsr_apic_base },
	KVM_TEST(pio),
	KVM_TEST(mmio),
	KVM_TEST(run_immediate),
	KVM_TEST(hlt_irq),
	KVM_TEST(fault_4k),
	KVM_TEST(fault_thp),
	KVM_TEST(fault_4k_1g),
	KVM_TEST(fault_thp_1g),
	KVM_TEST(touch_4k),
	KVM_TEST(touch_thp),
	{ "vm_create", vm_create_destroy },
	KVM_TEST(memslot),
	KVM_TEST(cpuid_trace),
	KVM_TEST(pio_trace),
	KVM_TEST(cpuid_nostats),
	KVM_TEST(pio_nostats),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
