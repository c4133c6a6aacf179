// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm-fuzz - random and structure-aware ioctls against /dev/minikvm (or
 * /dev/kvm), from several threads at once.
 *
 * The run is a sequence of rounds.  Each round opens the device, creates a
 * VM with guest memory and a few vCPUs, then lets every thread loose on the
 * same fds for a fraction of a second: vCPUs run random guest code (cut
 * short by a per-thread timer) while other threads change memslots, inject
 * interrupts, read and write every piece of vCPU and VM state, rewrite the
 * guest's code and throw raw ioctl numbers with hostile arguments.  At the
 * end of a round the fds are closed in a random order.
 *
 * Arguments are mostly plausible (state read back and then mutated, small
 * counts, memslots inside the guest memory) so that the kernel's deeper
 * paths are reached, and sometimes hostile: NULL, unmapped, kernel
 * addresses, a structure that straddles into an unmapped page, read-only
 * memory, random sizes and ioctl numbers.
 *
 * What the fuzzer itself can see is a hang: a watchdog fails the run if a
 * thread makes no progress for --hang seconds.  Oopses, WARNs and leaks are
 * the kernel's side; selftests/fuzz_test.sh checks those in the test machine.
 *
 * Output is TAP (one case) with the figures as diagnostics.  Exit status 0,
 * or 1 on a hang or a set-up failure.
 */
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096UL
#define MAX_THREADS	16
#define MAX_VCPUS	4
#define GUEST_MEM	(2UL << 20)	/* one guest memory area per round */
#define SCRATCH		(64UL << 10)
#define NR_ERRNO	134
#define NR_EXIT		64
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static bool one_in(struct rng *r, unsigned int n)
{
	return below(r, n) == 0;
}

/* Values that tend to sit on a boundary somewhere. */
static uint64_t interesting(struct rng *r)
{
	static const uint64_t v[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0xffff,
		0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
		0x0000800000000000ULL, 0x00007fffffffffffULL,
		0xffff800000000000ULL, 0x8000000000000000ULL, ~0ULL,
		0xfee00000, 0xfec00000, 0xfff0, 0xffff0000,
	};

	return v[below(r, ARRAY_SIZE(v))];
}

static uint64_t rvalue(struct rng *r)
{
	switch (below(r, 4)) {
	case 0:
		return interesting(r);
	case 1:
		return below(r, 256);
	case 2:
		return 1ULL << below(r, 64);
	default:
		return rnd(r);
	}
}

/* Flip, overwrite or zero a few bytes of a structure. */
static void mutate(struct rng *r, void *p, size_t len)
{
	unsigned char *b = p;
	int n = 1 + below(r, 4);

	if (!len)
		return;
	while (n--) {
		size_t at = below(r, len);

		switch (below(r, 4)) {
		case 0:
			b[at] ^= 1 << below(r, 8);
			break;
		case 1:
			b[at] = rnd(r);
			break;
		case 2:
			if (len >= 8) {
				uint64_t v = rvalue(r);

				at &= ~7UL;
				if (at + 8 > len)
					at = len - 8;
				memcpy(b + at, &v, 8);
			}
			break;
		default:
			b[at] = 0;
		}
	}
}

static void fill(struct rng *r, void *p, size_t len)
{
	unsigned char *b = p;

	while (len--)
		*b++ = rnd(r);
}

/* ---- Hostile host memory, set up once ---- */

/*
 * Slots are at most 64 GiB (a dirty bitmap of 2 MiB): big enough to make the
 * kernel allocate per-slot arrays of some size, small enough that neither
 * it nor the bitmap here exhausts the test machine.
 */
#define MAX_SLOT	(64ULL << 30)
#define BITMAP		(MAX_SLOT / PAGE / 8 + PAGE)

static struct {
	char *hole;	/* an unmapped page; the page before it is mapped */
	char *ro;	/* a read-only page of random bytes */
	void *bitmap;	/* BITMAP bytes for KVM_GET_DIRTY_LOG, shared */
} host;

static int setup_host_memory(void)
{
	char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	memset(p, 0x5a, 3 * PAGE);
	host.ro = p;
	mprotect(host.ro, PAGE, PROT_READ);
	host.hole = p + 2 * PAGE;
	munmap(host.hole, PAGE);
	host.bitmap = mmap(NULL, BITMAP, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return host.bitmap == MAP_FAILED ? -1 : 0;
}

/*
 * The argument an ioctl gets: usually @good (size @size, at most SCRATCH),
 * sometimes a pointer the kernel must refuse or fault on cleanly.  A
 * straddling pointer holds the start of @good in the last mapped bytes
 * before the hole; a misaligned one a copy of @good in this thread's
 * scratch area, so that what the kernel writes back lands in memory the
 * fuzzer does not use.
 */
static __thread unsigned char misaligned[SCRATCH + 64];

static void *hostile(struct rng *r, void *good, size_t size)
{
	char *s;
	size_t part;

	if (!one_in(r, 6))
		return good;
	switch (below(r, 7)) {
	case 0:
		return NULL;
	case 1:
		return host.hole + below(r, PAGE);
	case 2:
		/* The direct map and the kernel's text. */
		return (void *)(one_in(r, 2) ? 0xffff888000000000ULL + (below(r, 1 << 20) << 12)
					     : 0xffffffff81000000ULL);
	case 3:
		part = size > 1 ? 1 + below(r, size - 1) : 1;
		if (part > PAGE)
			part = PAGE;
		s = host.hole - part;
		memcpy(s, good, part);
		return s;
	case 4:
		return host.ro + below(r, 64);
	case 5:
		s = (char *)misaligned + 1 + below(r, 7);
		memcpy(s, good, size < SCRATCH ? size : SCRATCH);
		return s;
	default:
		return (void *)(uintptr_t)rnd(r);
	}
}

/*
 * As hostile(), for KVM_SET_SIGNAL_MASK: never the read-only page or a
 * random address, whose bytes could block SIGALRM for KVM_RUN and leave a
 * vCPU asleep for good (which KVM would do too).
 */
static void *hostile_sigmask(struct rng *r, unsigned char *good)
{
	void *p = hostile(r, good, 12);

	if (p == (void *)host.ro || ((char *)p >= host.ro && (char *)p < host.ro + 64))
		return good;
	if ((uintptr_t)p > 0x800000000000ULL || (uintptr_t)p < 4096 ||
	    ((char *)p >= host.hole && (char *)p < host.hole + PAGE) ||
	    ((char *)p >= host.hole - 12 && (char *)p < host.hole) ||
	    ((unsigned char *)p >= misaligned && (unsigned char *)p < misaligned + 8))
		return p;
	return good;
}

/* ---- Guest code ---- */

struct snippet {
	unsigned char len;
	unsigned char b[7];
	const char *name;
};

/* Instructions a hostile or buggy guest runs, for real mode and up. */
static const struct snippet snippets[] = {
	{ 1, { 0xf4 }, "hlt" },
	{ 2, { 0xe6, 0x80 }, "out 0x80, al" },
	{ 2, { 0xe4, 0x71 }, "in al, 0x71" },
	{ 1, { 0xef }, "out dx, ax" },
	{ 1, { 0xec }, "in al, dx" },
	{ 2, { 0xf3, 0x6e }, "rep outsb" },
	{ 2, { 0xf3, 0x6c }, "rep insb" },
	{ 2, { 0xf3, 0xaa }, "rep stosb" },
	{ 2, { 0xf3, 0xa4 }, "rep movsb" },
	{ 2, { 0x0f, 0xa2 }, "cpuid" },
	{ 2, { 0x0f, 0x32 }, "rdmsr" },
	{ 2, { 0x0f, 0x30 }, "wrmsr" },
	{ 2, { 0x0f, 0x31 }, "rdtsc" },
	{ 3, { 0x0f, 0x01, 0xf9 }, "rdtscp" },
	{ 3, { 0x0f, 0x01, 0xd9 }, "vmmcall" },
	{ 3, { 0x0f, 0x01, 0xc1 }, "vmcall" },
	{ 3, { 0x0f, 0x01, 0xd8 }, "vmrun" },
	{ 3, { 0x0f, 0x01, 0xdd }, "clgi" },
	{ 3, { 0x0f, 0x01, 0xdc }, "stgi" },
	{ 3, { 0x0f, 0x01, 0xdf }, "invlpga" },
	{ 4, { 0xf3, 0x0f, 0xc7, 0x30 }, "vmxon [bx+si]" },
	{ 3, { 0x0f, 0x01, 0xc4 }, "vmxoff" },
	{ 3, { 0x0f, 0x01, 0xd1 }, "xsetbv" },
	{ 3, { 0x0f, 0x01, 0xf8 }, "swapgs" },
	{ 1, { 0xcc }, "int3" },
	{ 2, { 0xcd, 0x0e }, "int 14" },
	{ 2, { 0x0f, 0x0b }, "ud2" },
	{ 1, { 0xfa }, "cli" },
	{ 1, { 0xfb }, "sti" },
	{ 2, { 0xeb, 0xfe }, "jmp ." },
	{ 2, { 0xf3, 0x90 }, "pause" },
	{ 3, { 0x0f, 0x22, 0xc0 }, "mov cr0, eax" },
	{ 3, { 0x0f, 0x22, 0xe0 }, "mov cr4, eax" },
	{ 3, { 0x0f, 0x22, 0xd8 }, "mov cr3, eax" },
	{ 3, { 0x0f, 0x22, 0xc0 | (8 << 3) }, "mov cr1, eax" },
	{ 3, { 0x0f, 0x23, 0xf8 }, "mov dr7, eax" },
	{ 3, { 0x0f, 0x01, 0x10 }, "lgdt [bx+si]" },
	{ 3, { 0x0f, 0x01, 0x18 }, "lidt [bx+si]" },
	{ 3, { 0x0f, 0x00, 0xd8 }, "ltr ax" },
	{ 2, { 0x0f, 0x09 }, "wbinvd" },
	{ 2, { 0x0f, 0x08 }, "invd" },
	{ 3, { 0x0f, 0x01, 0x38 }, "invlpg [bx+si]" },
	{ 1, { 0xcf }, "iret" },
	{ 1, { 0x9d }, "popf" },
	{ 2, { 0x0f, 0x05 }, "syscall" },
	{ 2, { 0x0f, 0x34 }, "sysenter" },
	{ 5, { 0xa3, 0x00, 0x10, 0x00, 0x00 }, "mov [moffs], ax" },
	{ 4, { 0x8b, 0x36, 0x00, 0xf0 }, "mov si, [0xf000]" },
	{ 5, { 0x66, 0xb8, 0x11, 0x00, 0x00 }, "mov eax, imm" },
	{ 3, { 0xb9, 0x80, 0xc0 }, "mov cx, 0xc080" },
	{ 6, { 0x66, 0xb9, 0x80, 0x00, 0x00, 0xc0 }, "mov ecx, 0xc0000080" },
	{ 6, { 0x66, 0xb9, 0x1b, 0x00, 0x00, 0x00 }, "mov ecx, 0x1b" },
	{ 3, { 0xba, 0xf8, 0x03 }, "mov dx, 0x3f8" },
	{ 3, { 0xbc, 0x00, 0x80 }, "mov sp, 0x8000" },
	{ 2, { 0x8e, 0xd8 }, "mov ds, ax" },
	{ 5, { 0xea, 0x00, 0x00, 0x00, 0x10 }, "jmp far 0x1000:0" },
};

/* The snippets the guest code is made of (--insns), and noise or not. */
static bool insn_used[ARRAY_SIZE(snippets)];
static unsigned int nr_insns_used;
static unsigned int insn_pick[ARRAY_SIZE(snippets)];
static bool code_noise = true;

/*
 * --no-cr0-writes: no MOV to CR0, LMSW or CLTS in the guest's code (each
 * 0F 22, 0F 01 /6 and 0F 06 becomes 0F 1F, a NOP form): a workaround for
 * an emulator that gets the guest's own CR0 writes wrong (QEMU's TCG SVM
 * machine, Documentation/testing.md).
 */
static bool no_cr0_writes;

static void strip_cr0_writes(unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (p[i] != 0x0f)
			continue;
		if (p[i + 1] == 0x22 || p[i + 1] == 0x06 ||
		    (p[i + 1] == 0x01 && i + 2 < len && ((p[i + 2] >> 3) & 7) == 6))
			p[i + 1] = 0x1f;
	}
	/* The page's last byte may start one that the next write completes. */
	if (len && p[len - 1] == 0x0f)
		p[len - 1] = 0x90;
}

/* Writes @len bytes of random instructions and noise at @p. */
static void write_code(struct rng *r, unsigned char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const struct snippet *s;

		if (!nr_insns_used) {
			p[i++] = code_noise ? rnd(r) : 0x90;
			continue;
		}
		s = &snippets[insn_pick[below(r, nr_insns_used)]];
		if (code_noise && one_in(r, 5)) {
			p[i++] = rnd(r);
			continue;
		}
		if (i + s->len > len)
			break;
		memcpy(p + i, s->b, s->len);
		/* Sometimes a random immediate or operand. */
		if (s->len > 2 && one_in(r, 3))
			p[i + s->len - 1] = rnd(r);
		i += s->len;
	}
	while (i < len)
		p[i++] = 0x90;
	if (no_cr0_writes)
		strip_cr0_writes(p, len);
}

/* ---- Counters ---- */

struct counts {
	uint64_t ioctls, ok, runs, vms, vcpus, slots, forks;
	uint64_t err[NR_ERRNO];
	uint64_t exit[NR_EXIT];
};

static struct counts total;
static pthread_mutex_t total_lock = PTHREAD_MUTEX_INITIALIZER;

static void add_counts(const struct counts *c)
{
	size_t i;

	pthread_mutex_lock(&total_lock);
	total.ioctls += c->ioctls;
	total.ok += c->ok;
	total.runs += c->runs;
	total.vms += c->vms;
	total.vcpus += c->vcpus;
	total.slots += c->slots;
	total.forks += c->forks;
	for (i = 0; i < NR_ERRNO; i++)
		total.err[i] += c->err[i];
	for (i = 0; i < NR_EXIT; i++)
		total.exit[i] += c->exit[i];
	pthread_mutex_unlock(&total_lock);
}

/* ---- A round: one VM shared by every thread ---- */

struct round {
	int sys, vm;
	int vcpu[MAX_VCPUS];
	struct kvm_run *run[MAX_VCPUS];
	size_t run_size;
	unsigned char *mem;
	unsigned int ms;
};

struct worker {
	pthread_t tid;
	struct rng r;
	struct round *round;
	struct counts c;
	timer_t timer;
	bool timer_ok;
	/* Watchdog: what the thread is doing, and a counter that moves. */
	volatile uint64_t progress;
	volatile unsigned long cur_ioctl;
	volatile int in_ioctl;
	volatile int tid_nr;
};

static struct worker workers[MAX_THREADS];
static struct {
	unsigned int seconds, threads, hang;
	uint64_t seed;
	const char *dev;
	bool verbose;
} opt = { .seconds = 20, .threads = 4, .hang = 60 };

static long do_ioctl(struct worker *w, int fd, unsigned long nr, void *arg)
{
	long ret;

	w->cur_ioctl = nr;
	w->in_ioctl = 1;
	ret = ioctl(fd, nr, arg);
	w->in_ioctl = 0;
	w->progress++;
	w->c.ioctls++;
	if (ret >= 0)
		w->c.ok++;
	else if (errno > 0 && errno < NR_ERRNO)
		w->c.err[errno]++;
	return ret;
}

static int pick_vcpu(struct worker *w)
{
	struct round *rd = w->round;
	int i = below(&w->r, MAX_VCPUS);

	return rd->vcpu[i] >= 0 ? i : -1;
}

/* KVM_RUN on a random vCPU, cut short by this thread's timer. */
static void op_run(struct worker *w)
{
	struct round *rd = w->round;
	struct itimerspec on = { 0 }, off = { 0 };
	struct kvm_run *run;
	int i = pick_vcpu(w);

	/* Without its timer a KVM_RUN could sleep for good (an AP before INIT). */
	if (i < 0 || !rd->run[i] || !w->timer_ok)
		return;
	run = rd->run[i];
	run->immediate_exit = one_in(&w->r, 8);
	run->request_interrupt_window = one_in(&w->r, 4);
	if (one_in(&w->r, 30)) {
		run->kvm_valid_regs = rvalue(&w->r);
		run->kvm_dirty_regs = rvalue(&w->r);
	} else {
		run->kvm_valid_regs = 0;
		run->kvm_dirty_regs = 0;
	}
	/* Whatever an IN or an MMIO read left for the guest to take. */
	if (run->exit_reason == KVM_EXIT_IO &&
	    run->io.data_offset < rd->run_size - 64)
		fill(&w->r, (char *)run + run->io.data_offset, 8);
	on.it_value.tv_nsec = (1 + below(&w->r, 50)) * 1000000;
	if (w->timer_ok)
		timer_settime(w->timer, 0, &on, NULL);
	w->c.runs++;
	if (do_ioctl(w, rd->vcpu[i], KVM_RUN, NULL) == 0 &&
	    run->exit_reason < NR_EXIT)
		w->c.exit[run->exit_reason]++;
	else if (errno == EINTR)
		w->c.exit[KVM_EXIT_INTR]++;
	if (w->timer_ok)
		timer_settime(w->timer, 0, &off, NULL);
}

/* Get/set pairs of vCPU state: read, mutate, write back. */
static const struct {
	unsigned long get, set;
	size_t size;
} vcpu_state[] = {
	{ KVM_GET_REGS, KVM_SET_REGS, sizeof(struct kvm_regs) },
	{ KVM_GET_SREGS, KVM_SET_SREGS, sizeof(struct kvm_sregs) },
	{ KVM_GET_FPU, KVM_SET_FPU, sizeof(struct kvm_fpu) },
	{ KVM_GET_LAPIC, KVM_SET_LAPIC, sizeof(struct kvm_lapic_state) },
	{ KVM_GET_MP_STATE, KVM_SET_MP_STATE, sizeof(struct kvm_mp_state) },
	{ KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS, sizeof(struct kvm_vcpu_events) },
	{ KVM_GET_DEBUGREGS, KVM_SET_DEBUGREGS, sizeof(struct kvm_debugregs) },
	{ KVM_GET_XSAVE, KVM_SET_XSAVE, sizeof(struct kvm_xsave) },
	{ KVM_GET_XCRS, KVM_SET_XCRS, sizeof(struct kvm_xcrs) },
};

/* MSRs a fuzzer should hit: architectural, host-sensitive and absent ones. */
static const uint32_t msr_list[] = {
	0x10, 0x1b, 0x3a, 0x3b, 0x48, 0x49, 0x79, 0x8b, 0xc1, 0xe7, 0xe8,
	0xfe, 0x174, 0x175, 0x176, 0x179, 0x17a, 0x1d9, 0x1a0, 0x200, 0x201,
	0x250, 0x277, 0x2ff, 0x480, 0x48d, 0x4d0, 0x6e0, 0x800, 0x802, 0x808,
	0x80b, 0x830, 0x838, 0x8ff, 0xc0000080, 0xc0000081, 0xc0000082,
	0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103,
	0xc0010010, 0xc0010015, 0xc0010114, 0xc0010117, 0xc0011029,
	0x40000000, 0x4b564d00, 0xffffffff,
};

static void op_msrs(struct worker *w, int fd)
{
	/* Room for any count the kernel may accept and write back. */
	static __thread struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[1024];
	} m;
	unsigned int i, n = below(&w->r, 17);
	void *arg;

	memset(&m, 0, sizeof(m.h) + 16 * sizeof(m.e[0]));
	m.h.nmsrs = one_in(&w->r, 10) ? rvalue(&w->r) : n;
	for (i = 0; i < n; i++) {
		m.e[i].index = one_in(&w->r, 8) ? rnd(&w->r) : msr_list[below(&w->r, ARRAY_SIZE(msr_list))];
		m.e[i].data = rvalue(&w->r);
	}
	arg = hostile(&w->r, &m, sizeof(m));
	do_ioctl(w, fd, one_in(&w->r, 2) ? KVM_GET_MSRS : KVM_SET_MSRS, arg);
}

static void op_cpuid(struct worker *w, int fd)
{
	static __thread struct {
		struct kvm_cpuid2 h;
		struct kvm_cpuid_entry2 e[1024];
	} c;
	int sys = w->round->sys;
	void *arg;

	memset(&c.h, 0, sizeof(c.h));
	c.h.nent = 100;
	/* Mostly the supported table, mutated; sometimes a lie about nent. */
	if (do_ioctl(w, sys, KVM_GET_SUPPORTED_CPUID, &c) < 0)
		c.h.nent = below(&w->r, 100);
	if (one_in(&w->r, 2))
		mutate(&w->r, c.e, c.h.nent * sizeof(c.e[0]));
	if (one_in(&w->r, 10))
		c.h.nent = rvalue(&w->r);
	arg = hostile(&w->r, &c, sizeof(c));
	do_ioctl(w, fd, one_in(&w->r, 4) ? KVM_GET_CPUID2 : KVM_SET_CPUID2, arg);
}

static void op_vcpu(struct worker *w)
{
	struct round *rd = w->round;
	static __thread unsigned char buf[8192];
	int i = pick_vcpu(w), fd;
	unsigned int k;

	if (i < 0)
		return;
	fd = rd->vcpu[i];
	switch (below(&w->r, 12)) {
	case 0 ... 4:
		k = below(&w->r, ARRAY_SIZE(vcpu_state));
		memset(buf, 0, vcpu_state[k].size);
		do_ioctl(w, fd, vcpu_state[k].get, hostile(&w->r, buf, vcpu_state[k].size));
		if (one_in(&w->r, 4))
			break;
		mutate(&w->r, buf, vcpu_state[k].size);
		do_ioctl(w, fd, vcpu_state[k].set, hostile(&w->r, buf, vcpu_state[k].size));
		break;
	case 5:
		op_msrs(w, fd);
		break;
	case 6:
		op_cpuid(w, fd);
		break;
	case 7: {
		struct kvm_interrupt irq = { .irq = below(&w->r, 3) ? below(&w->r, 256) : rnd(&w->r) };

		do_ioctl(w, fd, KVM_INTERRUPT, hostile(&w->r, &irq, sizeof(irq)));
		do_ioctl(w, fd, KVM_NMI, NULL);
		break;
	}
	case 8: {
		struct kvm_guest_debug dbg = { .control = rnd(&w->r) & 0x7000f };

		if (one_in(&w->r, 4))
			dbg.control = rvalue(&w->r);
		dbg.arch.debugreg[below(&w->r, 8)] = rvalue(&w->r);
		do_ioctl(w, fd, KVM_SET_GUEST_DEBUG, hostile(&w->r, &dbg, sizeof(dbg)));
		break;
	}
	case 9: {
		struct kvm_translation t = { .linear_address = rvalue(&w->r) };

		do_ioctl(w, fd, KVM_TRANSLATE, hostile(&w->r, &t, sizeof(t)));
		break;
	}
	case 10: {
		/* struct kvm_signal_mask: len, then the set right after it. */
		unsigned char sm[4 + 8];
		uint32_t len = below(&w->r, 3) ? 8 : rvalue(&w->r);
		uint64_t set = rnd(&w->r);

		/* Never block the SIGALRM that cuts KVM_RUN short. */
		set &= ~(1ULL << (SIGALRM - 1));
		memcpy(sm, &len, 4);
		memcpy(sm + 4, &set, 8);
		do_ioctl(w, fd, KVM_SET_SIGNAL_MASK,
			 one_in(&w->r, 3) ? NULL : hostile_sigmask(&w->r, sm));
		break;
	}
	default: {
		struct kvm_enable_cap cap = { .cap = below(&w->r, 240), .flags = one_in(&w->r, 4) };

		cap.args[0] = rvalue(&w->r);
		do_ioctl(w, fd, KVM_ENABLE_CAP, hostile(&w->r, &cap, sizeof(cap)));
		do_ioctl(w, fd, KVM_GET_TSC_KHZ, NULL);
		break;
	}
	}
}

static uint64_t slot_size(struct worker *w)
{
	switch (below(&w->r, 6)) {
	case 0:
		return 0;			/* delete */
	case 1:
		return PAGE * (1 + below(&w->r, 64));
	case 2:
		return GUEST_MEM / 2;
	case 3:
		return GUEST_MEM;
	case 4:
		return rvalue(&w->r) % (MAX_SLOT + 1);
	default:
		return PAGE;
	}
}

static void op_memslot(struct worker *w)
{
	struct round *rd = w->round;
	struct kvm_userspace_memory_region m = { 0 };
	uint64_t off;

	m.slot = below(&w->r, 8) ? below(&w->r, 6) : rvalue(&w->r);
	switch (below(&w->r, 6)) {
	case 0:
		m.flags = KVM_MEM_LOG_DIRTY_PAGES;
		break;
	case 1:
		m.flags = KVM_MEM_READONLY;
		break;
	case 2:
		m.flags = rvalue(&w->r);
		break;
	default:
		m.flags = 0;
	}
	m.memory_size = slot_size(w);
	switch (below(&w->r, 5)) {
	case 0:
		m.guest_phys_addr = 0;
		break;
	case 1:
		m.guest_phys_addr = below(&w->r, 64) << 16;
		break;
	case 2:
		m.guest_phys_addr = rvalue(&w->r);
		break;
	default:
		m.guest_phys_addr = below(&w->r, 1024) * PAGE;
	}
	off = below(&w->r, GUEST_MEM / PAGE) * PAGE;
	if (m.memory_size <= GUEST_MEM && off + m.memory_size > GUEST_MEM)
		off = GUEST_MEM - m.memory_size;
	switch (below(&w->r, 8)) {
	case 0:
		m.userspace_addr = (uintptr_t)hostile(&w->r, rd->mem, 1);
		break;
	case 1:
		m.userspace_addr = (uintptr_t)rd->mem + off + 1 + below(&w->r, PAGE - 1);
		break;
	default:
		m.userspace_addr = (uintptr_t)rd->mem + off;
	}
	w->c.slots++;
	do_ioctl(w, rd->vm, KVM_SET_USER_MEMORY_REGION, hostile(&w->r, &m, sizeof(m)));
}

static void op_vm(struct worker *w)
{
	struct round *rd = w->round;
	static __thread unsigned char buf[8192];
	int fd = rd->vm, r;

	switch (below(&w->r, 10)) {
	case 0: {
		struct kvm_irq_level l = { .irq = below(&w->r, 4) ? below(&w->r, 26) : rnd(&w->r),
					   .level = below(&w->r, 4) ? below(&w->r, 2) : rnd(&w->r) };

		do_ioctl(w, fd, one_in(&w->r, 2) ? KVM_IRQ_LINE : KVM_IRQ_LINE_STATUS,
			 hostile(&w->r, &l, sizeof(l)));
		break;
	}
	case 1:
		do_ioctl(w, fd, KVM_CREATE_IRQCHIP, NULL);
		break;
	case 2: {
		struct kvm_irqchip *c = (void *)buf;

		memset(c, 0, sizeof(*c));
		c->chip_id = below(&w->r, 4) ? below(&w->r, 3) : rnd(&w->r);
		do_ioctl(w, fd, KVM_GET_IRQCHIP, hostile(&w->r, c, sizeof(*c)));
		mutate(&w->r, &c->chip, sizeof(c->chip));
		do_ioctl(w, fd, KVM_SET_IRQCHIP, hostile(&w->r, c, sizeof(*c)));
		break;
	}
	case 3: {
		struct kvm_dirty_log d = { .slot = below(&w->r, 8) ? below(&w->r, 6) : rnd(&w->r) };

		/*
		 * The kernel writes as much bitmap as the slot has pages (up to
		 * BITMAP bytes): a misaligned pointer stays inside host.bitmap.
		 */
		d.dirty_bitmap = hostile(&w->r, host.bitmap, 64);
		if ((unsigned char *)d.dirty_bitmap >= misaligned &&
		    (unsigned char *)d.dirty_bitmap < misaligned + sizeof(misaligned))
			d.dirty_bitmap = (char *)host.bitmap + 1 + below(&w->r, 7);
		do_ioctl(w, fd, KVM_GET_DIRTY_LOG, hostile(&w->r, &d, sizeof(d)));
		break;
	}
	case 4: {
		/* Statistics: read the header and anything beyond it. */
		r = do_ioctl(w, fd, KVM_GET_STATS_FD, NULL);
		if (r >= 0) {
			if (pread(r, buf, sizeof(buf), below(&w->r, 3) ? 0 : rnd(&w->r) & 0xffff) < 0)
				w->c.err[errno < NR_ERRNO ? errno : 0]++;
			close(r);
		}
		break;
	}
	case 5:
		do_ioctl(w, fd, KVM_SET_BOOT_CPU_ID, (void *)(uintptr_t)below(&w->r, 6));
		do_ioctl(w, fd, KVM_CHECK_EXTENSION, (void *)(uintptr_t)below(&w->r, 240));
		break;
	case 6: {
		struct kvm_enable_cap cap = { .cap = below(&w->r, 240) };

		cap.args[0] = rvalue(&w->r);
		do_ioctl(w, fd, KVM_ENABLE_CAP, hostile(&w->r, &cap, sizeof(cap)));
		break;
	}
	case 7: {
		/* Ioctls minikvm leaves out: they must fail cleanly. */
		static const unsigned long absent[] = {
			KVM_SET_TSS_ADDR, KVM_SET_IDENTITY_MAP_ADDR,
			KVM_SET_NR_MMU_PAGES, KVM_GET_CLOCK, KVM_SET_GSI_ROUTING,
			KVM_IRQFD, KVM_IOEVENTFD, KVM_CREATE_PIT2,
			KVM_REGISTER_COALESCED_MMIO, KVM_SET_PIT2,
		};

		fill(&w->r, buf, 256);
		do_ioctl(w, fd, absent[below(&w->r, ARRAY_SIZE(absent))],
			 hostile(&w->r, buf, 256));
		break;
	}
	default: {
		/* A new vCPU with a random id; closed again at once or kept. */
		r = do_ioctl(w, fd, KVM_CREATE_VCPU,
			     (void *)(uintptr_t)(below(&w->r, 8) ? below(&w->r, 8) : rvalue(&w->r)));
		if (r >= 0) {
			w->c.vcpus++;
			close(r);
		}
		break;
	}
	}
}

static void op_system(struct worker *w)
{
	static __thread unsigned char buf[SCRATCH];
	static const unsigned long sys[] = {
		KVM_GET_API_VERSION, KVM_CHECK_EXTENSION, KVM_GET_VCPU_MMAP_SIZE,
		KVM_GET_SUPPORTED_CPUID, KVM_GET_MSR_INDEX_LIST,
		KVM_GET_MSR_FEATURE_INDEX_LIST, KVM_GET_EMULATED_CPUID, KVM_GET_MSRS,
	};
	unsigned long nr = sys[below(&w->r, ARRAY_SIZE(sys))];

	fill(&w->r, buf, 64);
	/* Plausible counts in the first word; room for the rest. */
	if (one_in(&w->r, 2))
		*(uint32_t *)buf = below(&w->r, 300);
	do_ioctl(w, w->round->sys, nr,
		 nr == KVM_CHECK_EXTENSION ? (void *)(uintptr_t)below(&w->r, 256)
					   : hostile(&w->r, buf, sizeof(buf)));
}

/* A raw ioctl number of the KVM type, any direction and size, on any fd. */
static void op_raw(struct worker *w)
{
	struct round *rd = w->round;
	static __thread unsigned char buf[SCRATCH];
	int fds[] = { rd->sys, rd->vm, rd->vcpu[0], rd->vcpu[below(&w->r, MAX_VCPUS)] };
	int fd = fds[below(&w->r, ARRAY_SIZE(fds))];
	unsigned long nr;

	if (fd < 0)
		return;
	nr = _IOC(below(&w->r, 4), KVMIO, below(&w->r, 256), below(&w->r, 4) ? below(&w->r, 600) : below(&w->r, 1 << 14));
	/* Not KVM_RUN from here: it would run without this thread's timer. */
	if (_IOC_NR(nr) == _IOC_NR(KVM_RUN))
		return;
	fill(&w->r, buf, _IOC_SIZE(nr));
	do_ioctl(w, fd, nr, hostile(&w->r, buf, _IOC_SIZE(nr)));
}

/* Rewrite part of the guest's code or data while vCPUs may be running it. */
static void op_scribble(struct worker *w)
{
	struct round *rd = w->round;
	size_t len = 1 + below(&w->r, 256);
	size_t at = below(&w->r, GUEST_MEM - len);

	if (one_in(&w->r, 3))
		at = below(&w->r, 0x2000);	/* where the vCPUs start */
	write_code(&w->r, rd->mem + at, len);
	w->progress++;
}

/*
 * A child inherits the fds: every ioctl it makes must fail (-EIO, the VM
 * belongs to another mm) and its exit must not disturb the parent's VM.
 * Sometimes it is killed with SIGKILL while it is still at it.
 */
static void op_fork(struct worker *w)
{
	struct round *rd = w->round;
	pid_t pid;
	int i;

	if (!one_in(&w->r, 10))
		return;
	w->c.forks++;
	pid = fork();
	if (pid == 0) {
		struct kvm_regs regs;

		for (i = 0; i < 200; i++) {
			ioctl(rd->vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY);
			ioctl(rd->vcpu[i % MAX_VCPUS], i & 1 ? KVM_RUN : KVM_GET_REGS, &regs);
		}
		_exit(0);
	}
	if (pid < 0)
		return;
	if (one_in(&w->r, 2))
		kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	w->progress++;
}

/* What a thread does, and how often (out of op_total). */
static const struct {
	const char *name;
	void (*fn)(struct worker *w);
	unsigned int weight;
} ops[] = {
	{ "run", op_run, 30 },
	{ "vcpu", op_vcpu, 25 },
	{ "vm", op_vm, 12 },
	{ "memslot", op_memslot, 10 },
	{ "scribble", op_scribble, 7 },
	{ "system", op_system, 5 },
	{ "raw", op_raw, 10 },
	{ "fork", op_fork, 1 },
};
static unsigned int op_on[ARRAY_SIZE(ops)];
static unsigned int op_total;

/* --ops LIST: the kinds of operation to make, by name; default all. */
static int parse_ops(const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;
	unsigned int k;

	memset(op_on, 0, sizeof(op_on));
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < ARRAY_SIZE(ops); k++)
			if (!strcmp(tok, ops[k].name))
				break;
		if (k == ARRAY_SIZE(ops))
			return -1;
		op_on[k] = 1;
	}
	free(copy);
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* The fuzzer's own crash: where, for addr2line on build/bin/minikvm-fuzz. */
static void on_crash(int sig)
{
	void *pcs[32];
	int n = backtrace(pcs, 32);

	dprintf(1, "# minikvm-fuzz: signal %d, backtrace:\n", sig);
	backtrace_symbols_fd(pcs, n, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = SIGALRM,
	};
	struct timespec start, now;
	long ms;

	/* The timer that cuts this thread's KVM_RUN short signals this thread. */
	w->tid_nr = syscall(SYS_gettid);
	sev._sigev_un._tid = w->tid_nr;
	w->timer_ok = !timer_create(CLOCK_MONOTONIC, &sev, &w->timer);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		unsigned int pick = below(&w->r, op_total), k;

		for (k = 0; pick >= ops[k].weight * op_on[k]; k++)
			pick -= ops[k].weight * op_on[k];
		ops[k].fn(w);
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
	} while (ms < w->round->ms);
	if (w->timer_ok)
		timer_delete(w->timer);
	return NULL;
}

static void round_setup(struct round *rd, struct rng *r, struct counts *c)
{
	struct kvm_userspace_memory_region m = {
		.slot = 0, .memory_size = GUEST_MEM / 2,
	};
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	int i, n;

	memset(rd->vcpu, -1, sizeof(rd->vcpu));
	memset(rd->run, 0, sizeof(rd->run));
	rd->vm = ioctl(rd->sys, KVM_CREATE_VM, 0);
	if (rd->vm < 0)
		return;
	c->vms++;
	write_code(r, rd->mem, GUEST_MEM);
	m.userspace_addr = (uintptr_t)rd->mem;
	ioctl(rd->vm, KVM_SET_USER_MEMORY_REGION, &m);
	m.slot = 1;
	m.guest_phys_addr = 0x100000;
	m.userspace_addr = (uintptr_t)rd->mem + GUEST_MEM / 2;
	m.flags = one_in(r, 3) ? KVM_MEM_LOG_DIRTY_PAGES : 0;
	ioctl(rd->vm, KVM_SET_USER_MEMORY_REGION, &m);
	if (one_in(r, 2))
		ioctl(rd->vm, KVM_CREATE_IRQCHIP, 0);
	n = 1 + below(r, MAX_VCPUS);
	for (i = 0; i < n; i++) {
		rd->vcpu[i] = ioctl(rd->vm, KVM_CREATE_VCPU, i);
		if (rd->vcpu[i] < 0)
			continue;
		c->vcpus++;
		rd->run[i] = mmap(NULL, rd->run_size, PROT_READ | PROT_WRITE,
				  MAP_SHARED, rd->vcpu[i], 0);
		if (rd->run[i] == MAP_FAILED)
			rd->run[i] = NULL;
		/* Start in real mode near address 0, or stay at the reset vector. */
		if (!one_in(r, 4) && !ioctl(rd->vcpu[i], KVM_GET_SREGS, &sregs) &&
		    !ioctl(rd->vcpu[i], KVM_GET_REGS, &regs)) {
			sregs.cs.base = 0;
			sregs.cs.selector = 0;
			regs.rip = below(r, 0x2000);
			ioctl(rd->vcpu[i], KVM_SET_SREGS, &sregs);
			ioctl(rd->vcpu[i], KVM_SET_REGS, &regs);
		}
	}
}

/* Closes everything in a random order; the kernel must not care which. */
static void round_teardown(struct round *rd, struct rng *r)
{
	int *fds[2 + MAX_VCPUS];
	int n = 0, i, j;

	for (i = 0; i < MAX_VCPUS; i++) {
		if (rd->run[i] && one_in(r, 2)) {
			munmap(rd->run[i], rd->run_size);
			rd->run[i] = NULL;
		}
		fds[n++] = &rd->vcpu[i];
	}
	fds[n++] = &rd->vm;
	fds[n++] = &rd->sys;
	for (i = n - 1; i > 0; i--) {
		int *t;

		j = below(r, i + 1);
		t = fds[i];
		fds[i] = fds[j];
		fds[j] = t;
	}
	for (i = 0; i < n; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	/* A run mapping may outlive every fd. */
	for (i = 0; i < MAX_VCPUS; i++)
		if (rd->run[i]) {
			(void)*(volatile uint32_t *)&rd->run[i]->exit_reason;
			munmap(rd->run[i], rd->run_size);
		}
}

static volatile int done;

/* On a hang: where each thread is in the kernel (root only), as diagnostics. */
static void dump_stacks(void)
{
	char path[64], line[256];
	unsigned int i;
	FILE *f;

	for (i = 0; i < opt.threads; i++) {
		struct worker *w = &workers[i];

		snprintf(path, sizeof(path), "/proc/self/task/%d/stack", w->tid_nr);
		f = fopen(path, "r");
		if (!f)
			continue;
		printf("# thread %u (tid %d)%s, ioctl 0x%lx:\n", i, w->tid_nr,
		       w->in_ioctl ? " in the kernel" : "", w->cur_ioctl);
		while (fgets(line, sizeof(line), f))
			printf("#   %s", line);
		fclose(f);
	}
}

static void *watchdog(void *arg)
{
	uint64_t last[MAX_THREADS] = { 0 };
	unsigned int still[MAX_THREADS] = { 0 };
	unsigned int i;

	(void)arg;
	while (!done) {
		sleep(1);
		for (i = 0; i < opt.threads; i++) {
			struct worker *w = &workers[i];

			if (!w->tid || w->progress != last[i]) {
				last[i] = w->progress;
				still[i] = 0;
				continue;
			}
			if (++still[i] < opt.hang)
				continue;
			printf("# thread %u stuck for %u s %s ioctl 0x%lx\n", i, opt.hang,
			       w->in_ioctl ? "in" : "after", w->cur_ioctl);
			dump_stacks();
			printf("not ok 1 fuzz %s # hang\n", opt.dev);
			fflush(stdout);
			_exit(1);
		}
	}
	return NULL;
}

static const char *exit_name(int i)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN", [KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO", [KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG", [KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO", [KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN", [KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTR] = "INTR", [KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	};

	return i < (int)ARRAY_SIZE(names) && names[i] ? names[i] : NULL;
}

static void report(double secs)
{
	char line[1024];
	size_t len;
	int i;

	printf("# %" PRIu64 " ioctls in %.1f s (%.0f/s), %" PRIu64 " succeeded\n",
	       total.ioctls, secs, total.ioctls / secs, total.ok);
	printf("# %" PRIu64 " VMs, %" PRIu64 " vCPUs, %" PRIu64 " KVM_RUN, %" PRIu64
	       " memslot changes, %" PRIu64 " forks\n",
	       total.vms, total.vcpus, total.runs, total.slots, total.forks);
	len = snprintf(line, sizeof(line), "# errnos:");
	for (i = 1; i < NR_ERRNO; i++)
		if (total.err[i] && len < sizeof(line) - 40)
			len += snprintf(line + len, sizeof(line) - len, " %s %" PRIu64,
					strerrorname_np(i) ?: "?", total.err[i]);
	puts(line);
	len = snprintf(line, sizeof(line), "# exits:");
	for (i = 0; i < NR_EXIT; i++)
		if (total.exit[i] && len < sizeof(line) - 40) {
			if (exit_name(i))
				len += snprintf(line + len, sizeof(line) - len, " %s %" PRIu64,
						exit_name(i), total.exit[i]);
			else
				len += snprintf(line + len, sizeof(line) - len, " %d %" PRIu64,
						i, total.exit[i]);
		}
	puts(line);
}

static bool insns_given;

/* --insns LIST: snippet numbers and ranges (--list-insns), or "none". */
static int parse_insns(const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;
	unsigned long a, b;
	char *end;

	insns_given = true;
	if (!strcmp(list, "none"))
		return 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		a = strtoul(tok, &end, 10);
		b = a;
		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		if (*end || a > b || b >= ARRAY_SIZE(snippets))
			return -1;
		while (a <= b)
			insn_used[a++] = true;
	}
	free(copy);
	return 0;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--seconds N] [--threads N] [--seed N] [--hang N] [--dev PATH] [--verbose]\n"
		"  --seconds N  how long to run (default 20)\n"
		"  --threads N  threads sharing each round's VM (default 4, at most %d)\n"
		"  --seed N     random seed (default: from the clock; printed)\n"
		"  --hang N     fail if a thread makes no progress for N s (default 60)\n"
		"  --dev PATH   device (default $MINIKVM_DEV, else /dev/minikvm)\n"
		"  --verbose    one line per round\n"
		"  --insns LIST the guest's instructions: numbers and ranges from\n"
		"               --list-insns (default all), or none\n"
		"  --no-noise   no random bytes between them\n"
		"  --no-cr0-writes  no MOV to CR0, LMSW or CLTS in the guest's code\n"
		"  --ops LIST   what threads do, from run,vcpu,vm,memslot,scribble,system,\n"
		"               raw,fork (default all)\n", argv0, MAX_THREADS);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 'r' },
		{ "hang", required_argument, NULL, 'H' },
		{ "dev", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "insns", required_argument, NULL, 'i' },
		{ "no-noise", no_argument, NULL, 'n' },
		{ "no-cr0-writes", no_argument, NULL, 'c' },
		{ "ops", required_argument, NULL, 'o' },
		{ "list-insns", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct timespec t0, t1;
	struct sigaction sa = { .sa_handler = on_alarm };
	struct round rd;
	struct rng r;
	bool ops_given = false;
	pthread_t wd;
	unsigned int rounds = 0, i;
	double secs;
	int c;

	opt.dev = getenv("MINIKVM_DEV") ?: "/dev/minikvm";
	clock_gettime(CLOCK_REALTIME, &t0);
	opt.seed = t0.tv_sec ^ t0.tv_nsec;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt.seconds = strtoul(optarg, NULL, 0);
			break;
		case 't':
			opt.threads = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			opt.seed = strtoull(optarg, NULL, 0);
			break;
		case 'H':
			opt.hang = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			opt.dev = optarg;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'i':
			if (parse_insns(optarg))
				usage(argv[0]);
			break;
		case 'n':
			code_noise = false;
			break;
		case 'c':
			no_cr0_writes = true;
			break;
		case 'o':
			if (parse_ops(optarg))
				usage(argv[0]);
			ops_given = true;
			break;
		case 'l':
			for (i = 0; i < ARRAY_SIZE(snippets); i++)
				printf("%2u %s\n", i, snippets[i].name);
			return 0;
		default:
			usage(argv[0]);
		}
	}
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		if (!ops_given)
			op_on[i] = 1;
		op_total += ops[i].weight * op_on[i];
	}
	for (i = 0; i < ARRAY_SIZE(snippets); i++)
		if (!insns_given || insn_used[i])
			insn_pick[nr_insns_used++] = i;
	if (optind != argc || !op_total || !opt.threads || opt.threads > MAX_THREADS || !opt.hang)
		usage(argv[0]);

	printf("TAP version 13\n1..1\n");
	printf("# minikvm-fuzz: %s, %u threads, %u s, seed %#" PRIx64 "\n",
	       opt.dev, opt.threads, opt.seconds, opt.seed);
	fflush(stdout);
	r.s = opt.seed | 1;
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGSEGV, on_crash);
	signal(SIGBUS, on_crash);
	signal(SIGABRT, on_crash);
	if (setup_host_memory()) {
		printf("not ok 1 fuzz %s # mmap: %s\n", opt.dev, strerror(errno));
		return 1;
	}
	rd.mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (rd.mem == MAP_FAILED) {
		printf("not ok 1 fuzz %s # mmap: %s\n", opt.dev, strerror(errno));
		return 1;
	}
	pthread_create(&wd, NULL, watchdog, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct counts setup = { 0 };

		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (secs >= opt.seconds)
			break;
		rd.sys = open(opt.dev, O_RDWR | O_CLOEXEC);
		if (rd.sys < 0) {
			printf("not ok 1 fuzz %s # open: %s\n", opt.dev, strerror(errno));
			return 1;
		}
		rd.run_size = ioctl(rd.sys, KVM_GET_VCPU_MMAP_SIZE, 0);
		if ((long)rd.run_size <= 0)
			rd.run_size = PAGE;
		round_setup(&rd, &r, &setup);
		add_counts(&setup);
		rd.ms = 20 + below(&r, 200);
		for (i = 0; i < opt.threads; i++) {
			struct worker *w = &workers[i];

			memset(&w->c, 0, sizeof(w->c));
			w->round = &rd;
			w->r.s = rnd(&r) | 1;
			w->progress++;
			pthread_create(&w->tid, NULL, worker_main, w);
		}
		for (i = 0; i < opt.threads; i++) {
			pthread_join(workers[i].tid, NULL);
			add_counts(&workers[i].c);
		}
		round_teardown(&rd, &r);
		for (i = 0; i < opt.threads; i++)
			workers[i].progress++;
		rounds++;
		if (opt.verbose) {
			printf("# round %u, %.1f s: %" PRIu64 " ioctls so far\n",
			       rounds, secs, total.ioctls);
			fflush(stdout);
		}
	}
	done = 1;
	pthread_join(wd, NULL);
	report(secs);
	printf("# %u rounds\n", rounds);
	printf("ok 1 fuzz %s\n", opt.dev);
	return 0;
}
