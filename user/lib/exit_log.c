// SPDX-License-Identifier: GPL-2.0-only
/*
 * exit_log.c - differential runs: the userspace-visible exits of a test,
 * one normalized line per KVM_RUN return (see kvm_util.h).
 *
 * With $MINIKVM_EXIT_LOG=FILE, __vcpu_run() appends to FILE a line such as
 *
 *	io_in_out vm1 vcpu0 IO out port 0x80 size 1 count 1 data 2a
 *	io_in_out vm1 vcpu0 UCALL SYNC 0x41d0a0 0x3
 *
 * naming the test case (test_list.c sets it; "-" outside one), the VM (its
 * creation order in the process), the vCPU id, the exit reason and only
 * the details that the guest's code decides: port, size, count and the
 * bytes of an OUT; address, length and the bytes of an MMIO write; the
 * command and arguments of a ucall; the hardware reason of a failed entry
 * (same CPU, same value); an internal error's suberror.  Left out, because
 * two correct hypervisors may differ there: KVM_EXIT_INTR and -EINTR
 * (signals and timing), the data of IN and MMIO reads (stale until
 * userspace fills it), data_offset, the physical CPU of a failed entry and
 * an internal error's debug words.  A failed KVM_RUN is one line "error
 * ERRNO".
 *
 * The same test run against /dev/minikvm and /dev/kvm then yields two
 * files that scripts/diffrun.sh compares exit by exit.  Each line is one
 * write() on an O_APPEND fd, so the forked cases and threads of a test add
 * whole lines; threads may interleave theirs, which the comparison undoes
 * by sorting stably on the case, VM and vCPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define EXIT_LOG_ENV	"MINIKVM_EXIT_LOG"
#define EXIT_LOG_LINE	512	/* bytes of one line, newline included */
#define EXIT_LOG_BYTES	32	/* data bytes shown of an OUT or MMIO write */

const char *kvm_test_case_name = "-";

/* The log's fd: -2 until the environment is read, -1 when off. */
static int exit_log_fd = -2;

/*
 * Opens the log on first use.  Threads of one test may get here together:
 * each opens, one wins the exchange and the others close theirs, so that
 * no thread sees "off" while the log is being opened.
 */
static int exit_log_open(void)
{
	int fd = __atomic_load_n(&exit_log_fd, __ATOMIC_ACQUIRE);
	int expected = -2;
	const char *path;

	if (fd != -2)
		return fd;
	path = getenv(EXIT_LOG_ENV);
	fd = -1;
	if (path && *path) {
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			fprintf(stderr, "# %s=%s: %s\n", EXIT_LOG_ENV, path,
				strerror(errno));
	}
	if (!__atomic_compare_exchange_n(&exit_log_fd, &expected, fd, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (fd >= 0)
			close(fd);
		fd = expected;
	}
	return fd;
}

/* A line being built: the text, its length, and whether it overflowed. */
struct log_line {
	char buf[EXIT_LOG_LINE];
	size_t len;
};

static void __attribute__((format(printf, 2, 3)))
add(struct log_line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - 1 - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n < sizeof(l->buf) - 1 - l->len ?
			  (size_t)n : sizeof(l->buf) - 2 - l->len;
}

static void add_bytes(struct log_line *l, const uint8_t *p, size_t n)
{
	size_t i;

	add(l, " data");
	for (i = 0; i < n && i < EXIT_LOG_BYTES; i++)
		add(l, " %02x", p[i]);
	if (n > EXIT_LOG_BYTES)
		add(l, " ...");
}

static const char *const ucall_names[] = {
	[UCALL_SYNC] = "SYNC", [UCALL_ABORT] = "ABORT",
	[UCALL_DONE] = "DONE", [UCALL_PRINTF] = "PRINTF",
};

/*
 * A ucall, decoded without asserting (get_ucall() asserts when the guest's
 * pointer is bad; a log must not change how a test ends).  Returns false
 * if the exit is not a readable ucall.
 */
static bool add_ucall(struct log_line *l, struct kvm_vcpu *vcpu)
{
	const struct kvm_run *run = vcpu->run;
	struct ucall uc;
	uint32_t gva;
	uint64_t gpa;
	const void *hva;
	unsigned int i;

	if (run->io.port != UCALL_PORT || run->io.direction != KVM_EXIT_IO_OUT ||
	    run->io.size != 4 || run->io.count != 1 ||
	    run->io.data_offset < sizeof(*run) ||
	    run->io.data_offset > vcpu->run_size - 4)
		return false;
	memcpy(&gva, (const char *)run + run->io.data_offset, sizeof(gva));
	if (!vcpu->vm->pgd || !__addr_gva2gpa(vcpu->vm, gva, &gpa) ||
	    !__addr_gpa2hva(vcpu->vm, gpa + sizeof(uc) - 1))
		return false;
	hva = __addr_gpa2hva(vcpu->vm, gpa);
	if (!hva)
		return false;
	memcpy(&uc, hva, sizeof(uc));
	if (uc.cmd >= sizeof(ucall_names) / sizeof(ucall_names[0]) ||
	    !ucall_names[uc.cmd])
		return false;
	add(l, "UCALL %s", ucall_names[uc.cmd]);
	if (uc.cmd == UCALL_ABORT)
		add(l, " line %llu", (unsigned long long)uc.line);
	for (i = 0; i < uc.nargs && i < UCALL_MAX_ARGS; i++)
		add(l, " 0x%llx", (unsigned long long)uc.args[i]);
	return true;
}

static void add_io(struct log_line *l, struct kvm_vcpu *vcpu)
{
	const struct kvm_run *run = vcpu->run;
	uint64_t n = (uint64_t)run->io.size * run->io.count;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;

	if (add_ucall(l, vcpu))
		return;
	add(l, "IO %s port 0x%x size %u count %u", out ? "out" : "in",
	    run->io.port, run->io.size, run->io.count);
	/* data_offset is the kernel's choice: check it before reading. */
	if (out && run->io.data_offset >= sizeof(*run) &&
	    run->io.data_offset <= vcpu->run_size &&
	    n <= vcpu->run_size - run->io.data_offset)
		add_bytes(l, (const uint8_t *)run + run->io.data_offset, n);
}

/* Appends the line describing what KVM_RUN just returned (@ret, @err). */
void exit_log_record(struct kvm_vcpu *vcpu, int ret, int err)
{
	const struct kvm_run *run = vcpu->run;
	struct log_line l = { .len = 0 };
	const char *name;
	int fd = exit_log_open();

	if (fd < 0)
		return;
	if (ret == -1 && err == EINTR)
		return;
	if (!ret && run->exit_reason == KVM_EXIT_INTR)
		return;
	add(&l, "%s vm%u vcpu%u ", kvm_test_case_name, vcpu->vm->seq,
	    vcpu->id);
	if (ret) {
		add(&l, "error %s", errno_name(err));
	} else {
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			add_io(&l, vcpu);
			break;
		case KVM_EXIT_MMIO:
			add(&l, "MMIO %s 0x%llx len %u",
			    run->mmio.is_write ? "write" : "read",
			    (unsigned long long)run->mmio.phys_addr,
			    run->mmio.len);
			if (run->mmio.is_write)
				add_bytes(&l, run->mmio.data,
					  run->mmio.len < 8 ? run->mmio.len : 8);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			add(&l, "FAIL_ENTRY reason 0x%llx",
			    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			add(&l, "INTERNAL_ERROR suberror %u",
			    run->internal.suberror);
			break;
		case KVM_EXIT_EXCEPTION:
			add(&l, "EXCEPTION %u error_code 0x%x",
			    run->ex.exception, run->ex.error_code);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			add(&l, "SYSTEM_EVENT type %u", run->system_event.type);
			break;
		case KVM_EXIT_UNKNOWN:
			add(&l, "UNKNOWN hardware_exit_reason 0x%llx",
			    (unsigned long long)run->hw.hardware_exit_reason);
			break;
		default:
			/* "KVM_EXIT_HLT" -> "HLT"; these carry no detail. */
			name = vcpu_exit_reason_str(run->exit_reason);
			if (!strncmp(name, "KVM_EXIT_", 9))
				add(&l, "%s", name + 9);
			else
				add(&l, "reason %u", run->exit_reason);
		}
	}
	l.buf[l.len++] = '\n';
	if (write(fd, l.buf, l.len) != (ssize_t)l.len) {
		/* A short log would read as a divergence: say so once. */
		fprintf(stderr, "# %s: write failed, log truncated\n",
			EXIT_LOG_ENV);
		__atomic_store_n(&exit_log_fd, -1, __ATOMIC_RELEASE);
	}
}
