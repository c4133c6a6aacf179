// SPDX-License-Identifier: GPL-2.0-only
/*
 * exit_trace_test - minikvm's exit trace (MINIKVM_GET_EXIT_TRACE_FD,
 * MINIKVM_CAP_EXIT_TRACE; <linux/minikvm.h>):
 *
 *  - KVM_CHECK_EXTENSION(MINIKVM_CAP_EXIT_TRACE) is 1 on minikvm, 0 on KVM
 *    (every other case skips on KVM);
 *  - a guest doing CPUID, OUT, an MMIO write and HLT leaves, in that order
 *    (nested page faults and host interrupts aside), records with the
 *    vendor's reason (CPUID; IOIO/IO; NPF/EPT_VIOLATION; HLT), the RIP of
 *    the guest's instruction, "kernel" for CPUID and userspace with
 *    KVM_EXIT_IO/MMIO/HLT for the others; TSCs never go back and every
 *    record has handling cycles; both through read() and through mmap();
 *  - with a 4-record ring and a guest doing many CPUIDs, head is 4 and
 *    head + lost is exactly the growth of the stats fd's "exits";
 *  - closing the fd stops tracing; a new fd starts again at head 0;
 *  - bad configurations are EINVAL, a second fd EBUSY, bad pointers EFAULT,
 *    a writable mapping of records EPERM.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "minikvm/kvm_trace.h"
#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define PORT_TRACE	0x80	/* the guest's OUT, no device behind it */
#define MMIO_GPA	0xc0000000ULL	/* no slot here: MMIO */
#define NR_CPUIDS	100

/* Addresses of the guest's traced instructions (the guest runs at link addresses). */
extern char trace_cpuid_rip[], trace_out_rip[], trace_mmio_rip[], trace_hlt_rip[];

static void __attribute__((noinline)) guest_sequence(void)
{
	uint32_t a = 0, b, c = 0, d;

	GUEST_SYNC(0);
	asm volatile(".global trace_cpuid_rip\ntrace_cpuid_rip: cpuid"
		     : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	asm volatile(".global trace_out_rip\ntrace_out_rip: outb %%al, $0x80"
		     : : "a"(0x42));
	asm volatile(".global trace_mmio_rip\ntrace_mmio_rip: movl %0, (%1)"
		     : : "r"(0x1234), "r"(MMIO_GPA) : "memory");
	asm volatile(".global trace_hlt_rip\ntrace_hlt_rip: hlt");
	GUEST_DONE();
}

static void guest_cpuids(void)
{
	uint32_t a, b, c, d;
	int i;

	for (;;) {
		GUEST_SYNC(0);
		for (i = 0; i < NR_CPUIDS; i++)
			guest_cpuid(0, 0, &a, &b, &c, &d);
	}
}

static void require_trace(void)
{
	TEST_REQUIRE(kvm_check_cap(MINIKVM_CAP_EXIT_TRACE) == 1);
}

static void cap(void)
{
	int want = kvm_dev_is_minikvm() ? 1 : 0;

	TEST_ASSERT_EQ(kvm_check_cap(MINIKVM_CAP_EXIT_TRACE), want);
}

/* One expected step of guest_sequence(). */
struct step {
	const char *svm, *vmx;	/* vendor reason names */
	const char *rip;
	uint32_t kvm_exit;	/* 0: handled in the kernel */
};

static const struct step steps[] = {
	{ "CPUID", "CPUID", trace_cpuid_rip, 0 },
	{ "IOIO", "IO", trace_out_rip, KVM_EXIT_IO },
	{ "NPF", "EPT_VIOLATION", trace_mmio_rip, KVM_EXIT_MMIO },
	{ "HLT", "HLT", trace_hlt_rip, KVM_EXIT_HLT },
};

/* Exits that come and go with the host: not part of the sequence. */
static bool incidental(uint32_t vendor, const struct minikvm_trace_record *r)
{
	const char *name = kvm_trace_reason_name(vendor, r->reason);

	if (r->flags & MINIKVM_TRACE_USERSPACE)
		return false;
	return !name || !strcmp(name, "NPF") || !strcmp(name, "EPT_VIOLATION") ||
	       !strcmp(name, "INTR") || !strcmp(name, "EXT_INTR") ||
	       !strcmp(name, "EXCEPTION_NMI") || !strcmp(name, "NMI");
}

/* Checks @n records of guest_sequence(), from its CPUID to GUEST_DONE. */
static void check_sequence(const struct minikvm_trace_header *h,
			   const struct minikvm_trace_record *recs, size_t n,
			   uint32_t vcpu_id)
{
	size_t i, s = 0;

	for (i = 0; i < n; i++) {
		const struct minikvm_trace_record *r = &recs[i];

		kvm_trace_print(stderr, r, h->vendor, recs[0].tsc, h->tsc_khz);
		TEST_ASSERT_EQ(r->vcpu_id, vcpu_id);
		TEST_ASSERT(r->cycles > 0, "record %zu: no handling cycles", i);
		TEST_ASSERT(!(r->flags & MINIKVM_TRACE_FAILED_ENTRY),
			    "record %zu: failed entry", i);
		if (i)
			TEST_ASSERT(r->tsc >= recs[i - 1].tsc,
				    "record %zu: TSC went back", i);
		if (s == ARRAY_SIZE(steps) || incidental(h->vendor, r))
			continue;
		const struct step *st = &steps[s];
		const char *want = h->vendor == MINIKVM_TRACE_SVM ? st->svm : st->vmx;
		const char *name = kvm_trace_reason_name(h->vendor, r->reason);

		TEST_ASSERT(name && !strcmp(name, want),
			    "record %zu: %s, expected %s", i, name ? name : "?", want);
		TEST_ASSERT(r->rip == (uint64_t)st->rip,
			    "record %zu (%s): rip %#llx, expected %p", i, want,
			    (unsigned long long)r->rip, st->rip);
		if (st->kvm_exit) {
			TEST_ASSERT(r->flags & MINIKVM_TRACE_USERSPACE,
				    "record %zu (%s): not userspace", i, want);
			TEST_ASSERT_EQ(r->kvm_exit_reason, st->kvm_exit);
		} else {
			TEST_ASSERT(!(r->flags & MINIKVM_TRACE_USERSPACE),
				    "record %zu (%s): userspace", i, want);
		}
		if (!strcmp(want, "NPF") || !strcmp(want, "EPT_VIOLATION"))
			TEST_ASSERT_EQ(r->info2, MMIO_GPA);
		if (!strcmp(want, "IOIO"))	/* APM: port in EXITINFO1[31:16] */
			TEST_ASSERT_EQ(r->info1 >> 16, PORT_TRACE);
		if (!strcmp(want, "IO"))	/* SDM: port in qualification[31:16] */
			TEST_ASSERT_EQ((r->info1 >> 16) & 0xffff, PORT_TRACE);
		s++;
	}
	TEST_ASSERT(s == ARRAY_SIZE(steps), "only %zu of %zu steps traced", s,
		    ARRAY_SIZE(steps));
}

/* Runs guest_sequence() from its first sync to the end, tracing. */
static struct kvm_vm *run_sequence(struct kvm_vcpu **vcpu, int *fd)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_sequence);

	virt_map(vm, MMIO_GPA, MMIO_GPA, PAGE_SIZE_4K);
	vcpu_run_expect_sync(*vcpu, 0);
	*fd = vcpu_get_exit_trace_fd(*vcpu, 0);
	vcpu_run(*vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(*vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ((*vcpu)->run->io.port, PORT_TRACE);
	vcpu_run(*vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(*vcpu, KVM_EXIT_MMIO);
	vcpu_run(*vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(*vcpu, KVM_EXIT_HLT);
	vcpu_run_expect_done(*vcpu);
	return vm;
}

static void sequence_read(void)
{
	struct minikvm_trace_record recs[256];
	struct kvm_trace t;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	ssize_t n;
	int fd;

	require_trace();
	vm = run_sequence(&vcpu, &fd);
	kvm_trace_map(&t, fd);
	TEST_ASSERT_EQ(t.hdr->version, 1);
	TEST_ASSERT_EQ(t.hdr->nr_records, 4096);
	TEST_ASSERT(t.hdr->vendor == MINIKVM_TRACE_SVM ||
		    t.hdr->vendor == MINIKVM_TRACE_VMX, "vendor %u",
		    t.hdr->vendor);
	TEST_ASSERT(t.hdr->tsc_khz > 0, "tsc_khz 0");
	n = read(fd, recs, sizeof(recs));
	TEST_ASSERT(n > 0 && n % sizeof(recs[0]) == 0, "read: %zd (%s)", n,
		    strerror(errno));
	TEST_ASSERT_EQ(t.hdr->tail, t.hdr->head);
	TEST_ASSERT_EQ(n / sizeof(recs[0]), t.hdr->head);
	TEST_ASSERT_EQ(t.hdr->lost, 0);
	check_sequence(t.hdr, recs, n / sizeof(recs[0]), vcpu->id);
	TEST_ASSERT_EQ(read(fd, recs, sizeof(recs)), 0);	/* empty */
	kvm_trace_unmap(&t);
	close(fd);
	kvm_vm_free(vm);
}

static void sequence_mmap(void)
{
	struct minikvm_trace_record recs[256], dummy;
	struct kvm_trace t;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	size_t n = 0;
	int fd;

	require_trace();
	vm = run_sequence(&vcpu, &fd);
	kvm_trace_map(&t, fd);
	while (n < ARRAY_SIZE(recs) && kvm_trace_next(&t, &recs[n]))
		n++;
	TEST_ASSERT_EQ(n, t.hdr->head);
	check_sequence(t.hdr, recs, n, vcpu->id);
	/* Consumed through the mapping: read() has nothing left. */
	TEST_ASSERT_EQ(read(fd, &dummy, sizeof(dummy)), 0);
	kvm_trace_unmap(&t);
	close(fd);
	kvm_vm_free(vm);
}

static void consume_and_rerun(struct kvm_vcpu *vcpu, struct kvm_trace *t)
{
	struct minikvm_trace_record r;
	uint64_t exits0, lost0 = t->hdr->lost;
	int i;

	for (i = 0; i < 4; i++)
		TEST_ASSERT(kvm_trace_next(t, &r), "record %d missing", i);
	exits0 = vcpu_get_stat(vcpu, "exits");
	vcpu_run_expect_sync(vcpu, 0);
	TEST_ASSERT_EQ(t->hdr->head, 8);
	TEST_ASSERT_EQ(t->hdr->lost - lost0,
		       vcpu_get_stat(vcpu, "exits") - exits0 - 4);
}

/* A tiny ring: what does not fit is lost, and counted exactly. */
static void lost_records(void)
{
	struct kvm_trace t;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t exits0, exits;
	int fd;

	require_trace();
	vm = vm_create_with_one_vcpu(&vcpu, guest_cpuids);
	vcpu_run_expect_sync(vcpu, 0);
	exits0 = vcpu_get_stat(vcpu, "exits");
	fd = vcpu_get_exit_trace_fd(vcpu, 4);
	kvm_trace_map(&t, fd);
	vcpu_run_expect_sync(vcpu, 0);
	exits = vcpu_get_stat(vcpu, "exits") - exits0;
	ksft_print_msg("%llu exits: head %llu, lost %llu\n",
		       (unsigned long long)exits,
		       (unsigned long long)t.hdr->head,
		       (unsigned long long)t.hdr->lost);
	TEST_ASSERT(exits >= NR_CPUIDS + 1, "only %llu exits",
		    (unsigned long long)exits);
	TEST_ASSERT_EQ(t.hdr->head, 4);
	TEST_ASSERT_EQ(t.hdr->head + t.hdr->lost, exits);
	/* Consuming makes room: the next run's first 4 records get in. */
	consume_and_rerun(vcpu, &t);
	kvm_trace_unmap(&t);
	close(fd);
	kvm_vm_free(vm);
}

/* Closing stops tracing; a new fd starts over at head 0. */
static void close_reopen(void)
{
	struct minikvm_trace_record r;
	struct kvm_trace t;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int fd;

	require_trace();
	vm = vm_create_with_one_vcpu(&vcpu, guest_cpuids);
	fd = vcpu_get_exit_trace_fd(vcpu, 0);
	vcpu_run_expect_sync(vcpu, 0);
	TEST_ASSERT_EQ(read(fd, &r, sizeof(r)), sizeof(r));
	close(fd);
	vcpu_run_expect_sync(vcpu, 0);	/* untraced */
	fd = vcpu_get_exit_trace_fd(vcpu, 16);
	kvm_trace_map(&t, fd);
	TEST_ASSERT_EQ(t.hdr->head, 0);
	TEST_ASSERT_EQ(t.hdr->lost, 0);
	TEST_ASSERT_EQ(t.hdr->nr_records, 16);
	vcpu_run_expect_sync(vcpu, 0);
	TEST_ASSERT(t.hdr->head == 16 && t.hdr->lost > 0,
		    "head %llu lost %llu", (unsigned long long)t.hdr->head,
		    (unsigned long long)t.hdr->lost);
	kvm_trace_unmap(&t);
	close(fd);
	kvm_vm_free(vm);
}

static void bad_config(void)
{
	struct minikvm_trace_config bad[] = {
		{ .nr_records = 3 },
		{ .nr_records = 1U << 21 },
		{ .nr_records = 0x80000000U },
		{ .nr_records = 4, .flags = 1 },
		{ .nr_records = 4, .reserved = { 0, 0, 1 } },
	};
	struct minikvm_trace_config ok = { .nr_records = 1U << 20 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	size_t i;
	int fd;

	require_trace();
	vm = vm_create_with_one_vcpu(&vcpu, guest_cpuids);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		TEST_ASSERT_ERRNO(__vcpu_get_exit_trace_fd(vcpu, &bad[i]), EINVAL,
				  "a bad trace configuration");
	TEST_ASSERT_ERRNO(__vcpu_get_exit_trace_fd(vcpu, (void *)8), EFAULT,
			  "a config at a bad address");
	fd = __vcpu_get_exit_trace_fd(vcpu, &ok);
	TEST_ASSERT(fd >= 0, "1 << 20 records: %s", strerror(errno));
	TEST_ASSERT_ERRNO(__vcpu_get_exit_trace_fd(vcpu, &ok), EBUSY,
			  "a second trace fd");
	close(fd);
	fd = vcpu_get_exit_trace_fd(vcpu, 1);	/* free again */
	close(fd);
	kvm_vm_free(vm);
}

static void bad_use(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *volatile bad_buf = (void *)8;
	struct minikvm_trace_record r;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	void *p;
	int fd;

	require_trace();
	vm = vm_create_with_one_vcpu(&vcpu, guest_cpuids);
	fd = vcpu_get_exit_trace_fd(vcpu, 64);	/* 64 records: one page */
	vcpu_run_expect_sync(vcpu, 0);
	TEST_ASSERT_ERRNO(read(fd, &r, sizeof(r) - 1), EINVAL,
			  "a read shorter than a record");
	TEST_ASSERT_ERRNO(read(fd, bad_buf, sizeof(r)), EFAULT,
			  "a read to a bad address");
	TEST_ASSERT_ERRNO(write(fd, &r, sizeof(r)), EINVAL, "a write");
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, page);
	TEST_ASSERT(p == MAP_FAILED && errno == EPERM,
		    "writable mapping of records: %p, %s", p, strerror(errno));
	p = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, fd, 0);
	TEST_ASSERT(p != MAP_FAILED, "header and records: %s", strerror(errno));
	TEST_ASSERT_ERRNO(mprotect(p, 2 * page, PROT_READ | PROT_WRITE), EACCES,
			  "making records writable");
	munmap(p, 2 * page);
	p = mmap(NULL, 3 * page, PROT_READ, MAP_SHARED, fd, 0);
	TEST_ASSERT(p == MAP_FAILED && errno == EINVAL,
		    "mapping past the ring: %p, %s", p, strerror(errno));
	/* The record that failed to copy is still there. */
	TEST_ASSERT_EQ(read(fd, &r, sizeof(r)), sizeof(r));
	close(fd);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(cap),
	KVM_TEST(sequence_read),
	KVM_TEST(sequence_mmap),
	KVM_TEST(lost_records),
	KVM_TEST(close_reopen),
	KVM_TEST(bad_config),
	KVM_TEST(bad_use),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
