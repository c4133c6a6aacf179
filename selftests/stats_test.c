// SPDX-License-Identifier: GPL-2.0-only
/*
 * stats_test - binary statistics (KVM_GET_STATS_FD, KVM_CAP_BINARY_STATS_FD)
 * on VM and vCPU fds:
 *
 *  - the file format, with the checks of KVM's own
 *    tools/testing/selftests/kvm/kvm_binary_stats_test.c: header offsets
 *    that overlap nothing, names shorter than name_size, known type, unit
 *    and base, exponents that fit the unit, non-zero sizes, bucket_size only
 *    for linear histograms, data offsets inside the data block, the whole
 *    data block read at once and each statistic on its own; the id string
 *    "kvm-PID" for a VM and "kvm-PID/vcpu-ID" for a vCPU, as KVM names them;
 *  - reads anywhere: past the end gives 0, a read across the header and id
 *    gives both, plain read() moves through the file, a negative offset
 *    is EINVAL, the fd is read-only (EBADF for write, ESPIPE for pwrite),
 *    the ioctl ignores its argument (KVM does);
 *  - a stats fd keeps its VM alive after the VM and vCPU fds are closed;
 *  - counting: a guest doing N port I/O exits makes io_exits grow by N and
 *    a HLT makes halt_exits grow by 1, on minikvm and on KVM; on minikvm the
 *    counter of the vendor's I/O exit code (exit_svm_ioio, exit_vmx_io)
 *    grows by N, every exit lands in exactly one per-reason counter, and
 *    each histogram's buckets add up to its counter (guest_cycles_hist to
 *    exits), and a guest's MMIO write makes mmio_exits grow by 1;
 *  - minikvm's VM statistics: pages_pinned, remote_tlb_flush_requests and
 *    memslot_updates follow a slot the guest touches and that is deleted
 *    (minikvm only: KVM's VM statistics are others);
 *  - stats_off: with the module parameter stats=N (minikvm, as root) the
 *    guest's OUTs still count in exits and io_exits but not in the per-code
 *    counter or guest_cycles_hist; with stats=Y again they do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define PORT_STATS	0x80	/* the guest's OUTs, no device behind it */
#define NR_OUTS		10
#define HIST_BUCKETS	32	/* minikvm's log2 histograms */
#define MMIO_GPA	0xc0000000ULL	/* no slot here: MMIO */
#define EXTRA_GPA	0x10000000ULL	/* a one-page slot of its own */

/* The checks of KVM's kvm_binary_stats_test.c, then the id string. */
static void check_stats_file(int fd, const char *want_id)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *descs, *d;
	size_t desc_size, data_size = 0;
	uint64_t *data, one[64];
	char *id;
	unsigned int i;

	read_stats_header(fd, &h);
	TEST_ASSERT(h.name_size > 0, "name_size 0");
	desc_size = get_stats_descriptor_size(&h);
	id = calloc(1, h.name_size);
	TEST_ASSERT(id, "out of memory");
	TEST_ASSERT_EQ(pread(fd, id, h.name_size, h.id_offset),
		       (ssize_t)h.name_size);
	TEST_ASSERT(strnlen(id, h.name_size) < h.name_size,
		    "id not NUL-terminated");
	ksft_print_msg("id \"%s\", %u statistics\n", id, h.num_desc);
	TEST_ASSERT(!strcmp(id, want_id), "id \"%s\", want \"%s\"", id, want_id);
	TEST_ASSERT(h.num_desc > 0, "no statistics");
	TEST_ASSERT(h.desc_offset >= sizeof(h) && h.data_offset >= sizeof(h),
		    "offsets %u %u inside the header", h.desc_offset,
		    h.data_offset);
	TEST_ASSERT(h.id_offset >= sizeof(h), "id inside the header");
	TEST_ASSERT(h.desc_offset > h.data_offset ||
		    h.desc_offset + desc_size * h.num_desc <= h.data_offset,
		    "descriptors overlap the data");

	descs = read_stats_descriptors(fd, &h);
	for (i = 0; i < h.num_desc; i++) {
		uint32_t type, unit, base;

		d = get_stats_descriptor(descs, i, &h);
		type = d->flags & KVM_STATS_TYPE_MASK;
		unit = d->flags & KVM_STATS_UNIT_MASK;
		base = d->flags & KVM_STATS_BASE_MASK;
		TEST_ASSERT(strnlen(d->name, h.name_size) < h.name_size,
			    "name of statistic %u too long", i);
		TEST_ASSERT(type <= KVM_STATS_TYPE_MAX, "%s: type %u",
			    d->name, type);
		TEST_ASSERT(unit <= KVM_STATS_UNIT_MAX, "%s: unit %u",
			    d->name, unit);
		TEST_ASSERT(base <= KVM_STATS_BASE_MAX, "%s: base %u",
			    d->name, base);
		if (unit == KVM_STATS_UNIT_SECONDS)
			TEST_ASSERT(d->exponent <= 0, "%s: exponent %d",
				    d->name, d->exponent);
		else if (unit == KVM_STATS_UNIT_BOOLEAN)
			TEST_ASSERT(d->exponent == 0, "%s: exponent %d",
				    d->name, d->exponent);
		else
			TEST_ASSERT(d->exponent >= 0, "%s: exponent %d",
				    d->name, d->exponent);
		TEST_ASSERT(d->size, "%s: size 0", d->name);
		if (type == KVM_STATS_TYPE_LINEAR_HIST)
			TEST_ASSERT(d->bucket_size, "%s: bucket_size 0", d->name);
		else
			TEST_ASSERT(!d->bucket_size, "%s: bucket_size %u",
				    d->name, d->bucket_size);
		data_size += d->size * sizeof(uint64_t);
	}
	TEST_ASSERT(h.data_offset >= h.desc_offset ||
		    h.data_offset + data_size <= h.desc_offset,
		    "data overlaps the descriptors");
	for (i = 0; i < h.num_desc; i++) {
		d = get_stats_descriptor(descs, i, &h);
		TEST_ASSERT(d->offset < data_size, "%s: offset %u", d->name,
			    d->offset);
	}
	data = malloc(data_size);
	TEST_ASSERT(data, "out of memory");
	TEST_ASSERT_EQ(pread(fd, data, data_size, h.data_offset),
		       (ssize_t)data_size);
	for (i = 0; i < h.num_desc; i++) {
		d = get_stats_descriptor(descs, i, &h);
		read_stat_data(fd, &h, d, one, ARRAY_SIZE(one));
	}
	free(data);
	free(descs);
	free(id);
}

static void vm_format(void)
{
	struct kvm_vm *vm = vm_create();
	char id[64];
	int fd;

	TEST_REQUIRE(vm_check_cap(vm, KVM_CAP_BINARY_STATS_FD));
	fd = vm_get_stats_fd(vm);
	snprintf(id, sizeof(id), "kvm-%d", getpid());
	check_stats_file(fd, id);
	close(fd);
	TEST_ASSERT(fcntl(fd, F_GETFD) == -1, "stats fd not closed");
	kvm_vm_free(vm);
}

static void vcpu_format(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu;
	char id[64];
	int fd;

	TEST_REQUIRE(vm_check_cap(vm, KVM_CAP_BINARY_STATS_FD));
	vcpu = vm_vcpu_add(vm, 3);
	fd = vcpu_get_stats_fd(vcpu);
	snprintf(id, sizeof(id), "kvm-%d/vcpu-3", getpid());
	check_stats_file(fd, id);
	close(fd);
	kvm_vm_free(vm);
}

/* Reads at odd places: the file is one stream of header, id, descriptors. */
static void read_anywhere(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_stats_header h, h2;
	struct kvm_stats_desc *descs;
	struct kvm_vcpu *vcpu;
	size_t len, total;
	unsigned int i;
	char *buf, c;
	int fd;

	TEST_REQUIRE(vm_check_cap(vm, KVM_CAP_BINARY_STATS_FD));
	vcpu = vm_vcpu_add(vm, 0);
	/* KVM ignores the argument of KVM_GET_STATS_FD. */
	fd = ioctl(vcpu->fd, KVM_GET_STATS_FD, 0x1234UL);
	TEST_ASSERT(fd >= 0, "KVM_GET_STATS_FD with an argument: errno %d",
		    errno);
	read_stats_header(fd, &h);
	TEST_ASSERT(h.data_offset > h.desc_offset, "data before descriptors");

	/* Header and id in one read, from the fd's own position. */
	len = sizeof(h) + h.name_size;
	buf = calloc(1, len);
	TEST_ASSERT(buf, "out of memory");
	TEST_ASSERT_EQ(read(fd, buf, len), (ssize_t)len);
	memcpy(&h2, buf, sizeof(h2));
	TEST_ASSERT(!memcmp(&h, &h2, sizeof(h)), "header differs");
	TEST_ASSERT(!strncmp(buf + h.id_offset, "kvm-", 4), "id %.*s",
		    (int)h.name_size, buf + h.id_offset);
	/* read() moved on: the next byte is the first descriptor's. */
	TEST_ASSERT_EQ(read(fd, &c, 1), 1);
	free(buf);

	/* The end: a short read, then nothing. */
	descs = read_stats_descriptors(fd, &h);
	total = h.data_offset;
	for (i = 0; i < h.num_desc; i++)
		total += get_stats_descriptor(descs, i, &h)->size *
			 sizeof(uint64_t);
	free(descs);
	buf = malloc(64);
	TEST_ASSERT(buf, "out of memory");
	TEST_ASSERT_EQ(pread(fd, buf, 64, total - 8), 8);
	TEST_ASSERT_EQ(pread(fd, buf, 64, total), 0);
	TEST_ASSERT_EQ(pread(fd, buf, 64, total + 4096), 0);
	TEST_ASSERT_ERRNO(pread(fd, buf, 8, -8), EINVAL, "pread at -8");
	TEST_ASSERT_ERRNO(write(fd, buf, 8), EBADF, "write");
	/* No FMODE_PWRITE on the fd: the VFS says ESPIPE before EBADF. */
	TEST_ASSERT_ERRNO(pwrite(fd, buf, 8, 0), ESPIPE, "pwrite");
	free(buf);
	close(fd);
	kvm_vm_free(vm);
}

/* The stats fds outlive the VM and vCPU fds: they hold the VM. */
static void fd_keeps_vm(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_stats_header h;
	struct kvm_vcpu *vcpu;
	int vm_stats, vcpu_stats;
	char id[64];

	TEST_REQUIRE(vm_check_cap(vm, KVM_CAP_BINARY_STATS_FD));
	vcpu = vm_vcpu_add(vm, 1);
	vm_stats = vm_get_stats_fd(vm);
	vcpu_stats = vcpu_get_stats_fd(vcpu);
	kvm_vm_free(vm);

	snprintf(id, sizeof(id), "kvm-%d/vcpu-1", getpid());
	check_stats_file(vcpu_stats, id);
	snprintf(id, sizeof(id), "kvm-%d", getpid());
	check_stats_file(vm_stats, id);
	close(vcpu_stats);
	read_stats_header(vm_stats, &h);
	close(vm_stats);
}

static void guest_outs(void)
{
	int i;

	GUEST_SYNC(0);
	for (i = 0; i < NR_OUTS; i++)
		outb(PORT_STATS, i);
	GUEST_SYNC(1);
	asm volatile("hlt");
	*(volatile uint32_t *)MMIO_GPA = 0x1234;
	GUEST_DONE();
}

/* The name of the vendor's I/O exit counter on minikvm. */
static const char *io_exit_stat(int fd)
{
	uint64_t v;

	if (__stats_get(fd, "exit_svm_ioio", &v, 1) == 1)
		return "exit_svm_ioio";
	if (__stats_get(fd, "exit_vmx_io", &v, 1) == 1)
		return "exit_vmx_io";
	TEST_FAIL("neither exit_svm_ioio nor exit_vmx_io");
}

static uint64_t stat1(int fd, const char *name)
{
	uint64_t v = 0;

	TEST_ASSERT_EQ(__stats_get(fd, name, &v, 1), 1);
	return v;
}

/*
 * On minikvm: every exit counted once by reason, each histogram's buckets
 * summing to its counter (the handling of the last exit ended when KVM_RUN
 * returned).
 */
static void check_exit_sums(int fd)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *descs, *d;
	uint64_t by_reason = 0, v[64], exits = stat1(fd, "exits");
	unsigned int i, j;

	read_stats_header(fd, &h);
	descs = read_stats_descriptors(fd, &h);
	for (i = 0; i < h.num_desc; i++) {
		uint64_t sum = 0, count;
		char name[64];

		d = get_stats_descriptor(descs, i, &h);
		if ((d->flags & KVM_STATS_TYPE_MASK) != KVM_STATS_TYPE_LOG_HIST)
			continue;
		TEST_ASSERT_EQ(d->flags & KVM_STATS_UNIT_MASK,
			       KVM_STATS_UNIT_CYCLES);
		read_stat_data(fd, &h, d, v, ARRAY_SIZE(v));
		for (j = 0; j < d->size && j < ARRAY_SIZE(v); j++)
			sum += v[j];
		if (!strcmp(d->name, "guest_cycles_hist")) {
			TEST_ASSERT(sum == exits, "guest_cycles_hist has %llu, exits %llu",
				    (unsigned long long)sum,
				    (unsigned long long)exits);
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(strlen(d->name) - 5),
			 d->name);
		count = stat1(fd, name);
		TEST_ASSERT(sum == count, "%s has %llu, %s %llu", d->name,
			    (unsigned long long)sum, name,
			    (unsigned long long)count);
		by_reason += count;
	}
	TEST_ASSERT(by_reason == exits, "per-reason counters sum to %llu, exits %llu",
		    (unsigned long long)by_reason, (unsigned long long)exits);
	free(descs);
}

static void exits_counted(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_outs);
	uint64_t io0, halt0, mmio0, reason0 = 0, exits0, v;
	const char *reason = NULL;
	int fd, i;

	TEST_REQUIRE(vm_check_cap(vm, KVM_CAP_BINARY_STATS_FD));
	virt_map(vm, MMIO_GPA, MMIO_GPA, PAGE_SIZE_4K);
	fd = vcpu_get_stats_fd(vcpu);
	vcpu_run_expect_sync(vcpu, 0);
	mmio0 = stat1(fd, "mmio_exits");
	io0 = stat1(fd, "io_exits");
	halt0 = stat1(fd, "halt_exits");
	exits0 = stat1(fd, "exits");
	TEST_ASSERT(io0 >= 1, "the ucall's I/O exit not counted");
	if (kvm_dev_is_minikvm()) {
		reason = io_exit_stat(fd);
		reason0 = stat1(fd, reason);
		check_exit_sums(fd);
	}
	for (i = 0; i < NR_OUTS; i++) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		TEST_ASSERT_EQ(vcpu->run->io.port, PORT_STATS);
	}
	v = stat1(fd, "io_exits");
	TEST_ASSERT(v == io0 + NR_OUTS, "io_exits %llu after %d OUTs, was %llu",
		    (unsigned long long)v, NR_OUTS, (unsigned long long)io0);
	TEST_ASSERT(stat1(fd, "exits") >= exits0 + NR_OUTS, "exits %llu",
		    (unsigned long long)stat1(fd, "exits"));
	if (reason) {
		v = stat1(fd, reason);
		TEST_ASSERT(v == reason0 + NR_OUTS, "%s %llu, was %llu", reason,
			    (unsigned long long)v, (unsigned long long)reason0);
		check_exit_sums(fd);
	}
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_HLT);
	TEST_ASSERT_EQ(stat1(fd, "halt_exits"), halt0 + 1);
	TEST_ASSERT_EQ(stat1(fd, "io_exits"), io0 + NR_OUTS + 1);
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MMIO);
	TEST_ASSERT_EQ(stat1(fd, "mmio_exits"), mmio0 + 1);
	vcpu_run_expect_done(vcpu);
	if (reason)
		check_exit_sums(fd);
	ksft_print_msg("exits %llu, io_exits %llu, halt_exits %llu, mmio_exits %llu\n",
		       (unsigned long long)stat1(fd, "exits"),
		       (unsigned long long)stat1(fd, "io_exits"),
		       (unsigned long long)stat1(fd, "halt_exits"),
		       (unsigned long long)stat1(fd, "mmio_exits"));
	close(fd);
	kvm_vm_free(vm);
}

#define STATS_PARAM	"/sys/module/minikvm/parameters/stats"

static int stats_param(const char *val)
{
	int fd = open(STATS_PARAM, O_WRONLY);
	int r;

	if (fd < 0)
		return -1;
	r = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
	close(fd);
	return r;
}

/* Whatever happens to the case, the next one finds statistics on. */
static void stats_back_on(void)
{
	stats_param("Y");
}

static char stats_param_read(void)
{
	char c = '?';
	int fd = open(STATS_PARAM, O_RDONLY);

	TEST_ASSERT(fd >= 0, "open %s", STATS_PARAM);
	TEST_ASSERT_EQ(read(fd, &c, 1), 1);
	close(fd);
	return c;
}

static uint64_t hist_sum(int fd, const char *name)
{
	uint64_t v[HIST_BUCKETS] = { 0 }, sum = 0;
	int i, n = __stats_get(fd, name, v, HIST_BUCKETS);

	TEST_ASSERT(n > 0, "no %s", name);
	for (i = 0; i < n; i++)
		sum += v[i];
	return sum;
}

static void stats_off(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t io0, exits0, reason0, hist0;
	const char *reason;
	int fd, i;

	TEST_REQUIRE(kvm_dev_is_minikvm());
	TEST_REQUIRE(!access(STATS_PARAM, W_OK));
	atexit(stats_back_on);
	vm = vm_create_with_one_vcpu(&vcpu, guest_outs);
	fd = vcpu_get_stats_fd(vcpu);
	vcpu_run_expect_sync(vcpu, 0);
	reason = io_exit_stat(fd);
	TEST_ASSERT_EQ(stats_param("N"), 0);
	TEST_ASSERT_EQ(stats_param_read(), 'N');
	io0 = stat1(fd, "io_exits");
	exits0 = stat1(fd, "exits");
	reason0 = stat1(fd, reason);
	hist0 = hist_sum(fd, "guest_cycles_hist");
	for (i = 0; i < NR_OUTS; i++) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	}
	TEST_ASSERT_EQ(stat1(fd, "io_exits"), io0 + NR_OUTS);
	TEST_ASSERT(stat1(fd, "exits") >= exits0 + NR_OUTS, "exits %llu, was %llu",
		    (unsigned long long)stat1(fd, "exits"),
		    (unsigned long long)exits0);
	TEST_ASSERT_EQ(stat1(fd, reason), reason0);
	TEST_ASSERT_EQ(hist_sum(fd, "guest_cycles_hist"), hist0);

	TEST_ASSERT_EQ(stats_param("Y"), 0);
	TEST_ASSERT_EQ(stats_param_read(), 'Y');
	vcpu_run_expect_sync(vcpu, 1);	/* the ucall: one more I/O exit */
	TEST_ASSERT_EQ(stat1(fd, reason), reason0 + 1);
	TEST_ASSERT(hist_sum(fd, "guest_cycles_hist") > hist0,
		    "guest_cycles_hist did not grow with stats=Y");
	close(fd);
	kvm_vm_free(vm);
}

static void guest_touch_extra(void)
{
	GUEST_SYNC(0);
	*(volatile uint64_t *)EXTRA_GPA = 1;
	GUEST_SYNC(1);
}

/*
 * minikvm's VM statistics (KVM's differ, abi.md): a page the guest touches
 * is pinned, deleting its slot unpins it and asks for a TLB flush, and each
 * successful KVM_SET_USER_MEMORY_REGION is counted.
 */
static void vm_counters(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_touch_extra);
	uint64_t pinned, flushes, updates;

	TEST_REQUIRE(kvm_dev_is_minikvm());
	virt_map(vm, EXTRA_GPA, EXTRA_GPA, PAGE_SIZE_4K);
	vm_userspace_mem_region_add(vm, 1, 0, EXTRA_GPA, PAGE_SIZE_4K);
	TEST_ASSERT(vm_get_stat(vm, "memslot_updates") >= 2,
		    "memslot_updates %llu after two slots",
		    (unsigned long long)vm_get_stat(vm, "memslot_updates"));
	vcpu_run_expect_sync(vcpu, 0);
	pinned = vm_get_stat(vm, "pages_pinned");
	TEST_ASSERT(pinned > 0, "no page pinned after the guest ran");
	vcpu_run_expect_sync(vcpu, 1);
	TEST_ASSERT(vm_get_stat(vm, "pages_pinned") >= pinned + 1,
		    "pages_pinned %llu, was %llu",
		    (unsigned long long)vm_get_stat(vm, "pages_pinned"),
		    (unsigned long long)pinned);
	pinned = vm_get_stat(vm, "pages_pinned");
	flushes = vm_get_stat(vm, "remote_tlb_flush_requests");
	updates = vm_get_stat(vm, "memslot_updates");
	vm_mem_region_delete(vm, 1);
	TEST_ASSERT_EQ(vm_get_stat(vm, "pages_pinned"), pinned - 1);
	TEST_ASSERT_EQ(vm_get_stat(vm, "remote_tlb_flush_requests"), flushes + 1);
	TEST_ASSERT_EQ(vm_get_stat(vm, "memslot_updates"), updates + 1);
	/* A refused update is not one. */
	TEST_ASSERT_ERRNO(__vm_set_user_memory_region(vm, 1, 0, EXTRA_GPA, 0,
						      NULL), EINVAL,
			  "deleting an absent slot");
	TEST_ASSERT_EQ(vm_get_stat(vm, "memslot_updates"), updates + 1);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(vm_format),
	KVM_TEST(vcpu_format),
	KVM_TEST(read_anywhere),
	KVM_TEST(fd_keeps_vm),
	KVM_TEST(exits_counted),
	KVM_TEST(vm_counters),
	KVM_TEST(stats_off),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
