// SPDX-License-Identifier: GPL-2.0-only
/*
 * guest.c - minikvm-run --guest FILE: a tiny VMM loop.
 *
 * Loads FILE into a 4 MiB VM (x86_modes.c layout): a flat binary at
 * --load-addr (default 0x8000), started in --mode (default real mode); an
 * ELF executable's PT_LOAD segments at their addresses (all below 4 MiB),
 * started at its entry point in --mode (default long mode; the first
 * 4 MiB are identity mapped).  Then runs vCPU 0 until it halts:
 *
 *	OUT 0x3f8	one character to stdout (a 16550's transmit register),
 *			written out a line at a time
 *	IN 0x3fd	0x60: transmitter empty, so polling guests go on
 *	other port I/O	logged; IN reads all ones
 *	MMIO		logged; reads 0, writes dropped
 *	HLT		exit status 0; SHUTDOWN, FAIL_ENTRY, INTERNAL_ERROR,
 *			anything else: 1; --max-exits reached: 3
 *
 * A FAIL_ENTRY from minikvm is printed with its explanation: the rule of
 * the manual the state broke.
 *
 * Each exit is printed on stderr (unless --quiet) as "exit N: " and the
 * fields of its reason.  A missing device, or minikvm without KVM_RUN,
 * exits 4 like a skipped test.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/minikvm.h>

#include "minikvm/kvm_util.h"
#include "minikvm/processor.h"
#include "minikvm/x86_vm.h"
#include "minikvm/kvm_trace.h"
#include "runner.h"

#define SERIAL_BASE	0x3f8	/* COM1 */
#define SERIAL_THR	(SERIAL_BASE + 0)	/* transmit holding register */
#define SERIAL_LSR	(SERIAL_BASE + 5)	/* line status register */
#define SERIAL_LSR_IDLE	0x60	/* THR empty, transmitter empty */
#define FLAT_LOAD_DEFAULT 0x8000
#define FLAT_MAX	(0x10000 - 0x4000)	/* what fits the real-mode layout */
#define ELF_STACK_TOP	0x3ff000	/* RSP for an ELF guest */

/* Returns the mode named @name; exits 2 if there is none. */
static enum x86_guest_mode parse_mode(const char *name)
{
	int m;

	for (m = 0; m < X86_MODE_NR; m++)
		if (!strcmp(name, x86_guest_mode_name(m)))
			return m;
	fprintf(stderr, "minikvm-run: unknown mode '%s'\n", name);
	exit(2);
}

/* Reads all of @path (at most @max bytes) into a new buffer. */
static void *read_file(const char *path, size_t max, size_t *len)
{
	struct stat st;
	void *buf;
	int fd = open(path, O_RDONLY);

	TEST_ASSERT(fd >= 0 && !fstat(fd, &st), "cannot open %s", path);
	TEST_ASSERT((size_t)st.st_size <= max, "%s is larger than %zu bytes",
		    path, max);
	buf = malloc(st.st_size ? st.st_size : 1);
	TEST_ASSERT(buf && read(fd, buf, st.st_size) == st.st_size,
		    "cannot read %s", path);
	close(fd);
	*len = st.st_size;
	return buf;
}

/* Returns the entry point of ELF file @path. */
static uint64_t elf_entry(const char *path)
{
	GElf_Ehdr ehdr;
	Elf *elf;
	int fd = open(path, O_RDONLY);

	TEST_ASSERT(fd >= 0, "cannot open %s", path);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	TEST_ASSERT(elf && gelf_getehdr(elf, &ehdr), "%s: %s", path,
		    elf_errmsg(-1));
	elf_end(elf);
	close(fd);
	return ehdr.e_entry;
}

/* Creates the VM for @opts->guest; returns it and its vCPU. */
static struct kvm_vm *load_guest(const struct run_opts *opts,
				 struct kvm_vcpu **vcpu)
{
	uint64_t gpa = opts->load_addr ? opts->load_addr : FLAT_LOAD_DEFAULT;
	enum x86_guest_mode mode;
	struct kvm_regs regs;
	struct kvm_vm *vm;
	size_t len;
	char *buf;

	buf = read_file(opts->guest, 64 << 20, &len);
	if (len >= 4 && !memcmp(buf, "\x7f" "ELF", 4)) {
		mode = opts->mode ? parse_mode(opts->mode) : X86_MODE_LONG;
		vm = vm_create_with_code(vcpu, mode, FLAT_LOAD_DEFAULT, "", 0);
		kvm_vm_elf_load_phys(vm, opts->guest);
		vcpu_regs_get(*vcpu, &regs);
		regs.rip = elf_entry(opts->guest);
		regs.rsp = ELF_STACK_TOP;
		vcpu_regs_set(*vcpu, &regs);
	} else {
		mode = opts->mode ? parse_mode(opts->mode) : X86_MODE_REAL;
		TEST_ASSERT(len <= FLAT_MAX, "%s: a flat binary must fit in "
			    "0x%x bytes", opts->guest, FLAT_MAX);
		vm = vm_create_with_code(vcpu, mode, gpa, buf, len);
	}
	free(buf);
	if (!opts->quiet)
		fprintf(stderr, "minikvm-run: %s (%zu bytes) in %s mode on %s\n",
			opts->guest, len, x86_guest_mode_name(mode),
			kvm_dev_path());
	return vm;
}

/* --stats: the vCPU's and the VM's non-zero statistics, on stderr. */
static void print_stats(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	int fd;

	if (__kvm_check_cap_fd(vm->fd, KVM_CAP_BINARY_STATS_FD) <= 0) {
		fprintf(stderr, "minikvm-run: no KVM_CAP_BINARY_STATS_FD\n");
		return;
	}
	fprintf(stderr, "minikvm-run: vCPU %u statistics:\n", vcpu->id);
	fd = vcpu_get_stats_fd(vcpu);
	stats_print(stderr, fd, "  ");
	close(fd);
	fprintf(stderr, "minikvm-run: VM statistics:\n");
	fd = vm_get_stats_fd(vm);
	stats_print(stderr, fd, "  ");
	close(fd);
}

/*
 * --trace: a ring of 65536 records on the vCPU, opened before the first
 * entry; -1 when the device has no exit trace (KVM).
 */
static int open_trace(struct kvm_vcpu *vcpu)
{
	if (kvm_check_cap(MINIKVM_CAP_EXIT_TRACE) != 1) {
		fprintf(stderr, "minikvm-run: no exit trace on this device\n");
		return -1;
	}
	return vcpu_get_exit_trace_fd(vcpu, 1U << 16);
}

/* --trace: the exit sequence, a line per record, and the lost count. */
static void print_trace(int fd)
{
	struct minikvm_trace_record rec;
	struct kvm_trace t;
	uint64_t tsc0 = 0;
	bool first = true;

	kvm_trace_map(&t, fd);
	fprintf(stderr, "minikvm-run: exit trace (%s, %llu kHz TSC):\n",
		t.hdr->vendor == MINIKVM_TRACE_VMX ? "VMX" : "SVM",
		(unsigned long long)t.hdr->tsc_khz);
	while (kvm_trace_next(&t, &rec)) {
		if (first)
			tsc0 = rec.tsc;
		first = false;
		kvm_trace_print(stderr, &rec, t.hdr->vendor, tsc0, t.hdr->tsc_khz);
	}
	fprintf(stderr, "minikvm-run: %llu records, %llu lost\n",
		(unsigned long long)t.hdr->head, (unsigned long long)t.hdr->lost);
	kvm_trace_unmap(&t);
	close(fd);
}

/* Serves one port I/O exit. */
static void serve_io(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = vcpu_io_data(vcpu);
	size_t n = (size_t)run->io.size * run->io.count;
	size_t i;

	if (run->io.direction == KVM_EXIT_IO_OUT) {
		if (run->io.port == SERIAL_THR) {
			for (i = 0; i < n; i += run->io.size)
				putchar(data[i]);
		}
		return;
	}
	memset(data, 0xff, n);
	if (run->io.port == SERIAL_LSR)
		memset(data, SERIAL_LSR_IDLE, n);
	else if (run->io.port > SERIAL_BASE && run->io.port < SERIAL_BASE + 8)
		memset(data, 0, n);
}

int run_guest(const struct run_opts *opts)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = load_guest(opts, &vcpu);
	struct kvm_run *run = vcpu->run;
	unsigned long exits = 0;
	char prefix[32];
	int status = -1, trace_fd = opts->trace ? open_trace(vcpu) : -1;

	/*
	 * The guest's output goes out a line at a time, so that on a
	 * terminal it sits between the exit lines (stderr) instead of
	 * breaking into them a character at a time.
	 */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (status < 0) {
		vcpu_run(vcpu);
		exits++;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			serve_io(vcpu);
			break;
		case KVM_EXIT_MMIO:
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0, sizeof(run->mmio.data));
			break;
		case KVM_EXIT_HLT:
			status = 0;
			break;
		default:
			status = 1;
			break;
		}
		/* After serving, so that an IN shows the value it gets. */
		if (!opts->quiet) {
			snprintf(prefix, sizeof(prefix), "exit %lu: ", exits);
			kvm_run_dump(stderr, run, prefix);
		}
		if (status < 0 && opts->max_exits && exits >= opts->max_exits) {
			fprintf(stderr, "minikvm-run: stopped after %lu exits\n",
				exits);
			status = 3;
		}
	}
	fflush(stdout);		/* a last line without its newline */
	/* A refused entry: minikvm says which rule of the manual it broke. */
	if (run->exit_reason == KVM_EXIT_FAIL_ENTRY) {
		const struct minikvm_fail_entry *fe = (const void *)&run->fail_entry;

		if (fe->magic == MINIKVM_FAIL_ENTRY_MAGIC)
			fprintf(stderr, "minikvm-run: VM entry refused: rule %u: %.*s\n",
				fe->rule, (int)sizeof(fe->text), fe->text);
	}
	if (status == 1) {
		struct kvm_regs regs;

		vcpu_regs_get(vcpu, &regs);
		x86_regs_dump(stderr, &regs, "minikvm-run:   ");
	}
	if (!opts->quiet)
		fprintf(stderr, "minikvm-run: %s after %lu exits\n",
			vcpu_exit_reason_str(run->exit_reason), exits);
	if (opts->stats)
		print_stats(vm, vcpu);
	if (trace_fd >= 0)
		print_trace(trace_fd);
	kvm_vm_free(vm);
	return status;
}
