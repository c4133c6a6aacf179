// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm_run.c - KVM_RUN and reading what it left in struct kvm_run
 * (see kvm_util.h).
 *
 * vcpu_run() is the only place that knows minikvm may not have KVM_RUN yet;
 * everything else treats the exit fields exactly as KVM 6.1 documents them
 * (Documentation/virt/kvm/api.rst, "struct kvm_run").
 */
#include <errno.h>

#include <linux/minikvm.h>

#include "minikvm/kvm_util.h"
#include "minikvm/processor.h"

int __vcpu_run(struct kvm_vcpu *vcpu)
{
	int ret = ioctl(vcpu->fd, KVM_RUN, NULL);
	int err = errno;

	exit_log_record(vcpu, ret, err);
	errno = err;
	return ret;
}

/*
 * TEMPORARY, delete when minikvm has KVM_RUN: the device answers the first
 * KVM_RUN with -EINVAL like any ioctl it does not know, so a test that
 * needs to run guest code skips there instead of failing.  Only the first
 * KVM_RUN of the process qualifies: once one has worked, -EINVAL is a bug.
 */
static bool kvm_run_seen_working;

void vcpu_run_skip_if_missing(int ret, int err)
{
	if (ret == -1 && err == EINVAL && !kvm_run_seen_working &&
	    kvm_dev_is_minikvm())
		ksft_exit_skip("minikvm has no KVM_RUN yet\n");
	if (!ret)
		kvm_run_seen_working = true;
}

void vcpu_run(struct kvm_vcpu *vcpu)
{
	int ret;

	do {
		ret = __vcpu_run(vcpu);
	} while (ret == -1 && errno == EINTR && vcpu->retry_eintr);
	vcpu_run_skip_if_missing(ret, errno);
	TEST_ASSERT(!ret, "KVM_RUN on vCPU %u failed, errno %s", vcpu->id,
		    errno_name(errno));
}

static const char *const exit_names[] = {
#define X(r) [KVM_EXIT_##r] = "KVM_EXIT_" #r
	X(UNKNOWN), X(EXCEPTION), X(IO), X(HYPERCALL), X(DEBUG), X(HLT),
	X(MMIO), X(IRQ_WINDOW_OPEN), X(SHUTDOWN), X(FAIL_ENTRY), X(INTR),
	X(SET_TPR), X(TPR_ACCESS), X(S390_SIEIC), X(S390_RESET), X(DCR),
	X(NMI), X(INTERNAL_ERROR), X(OSI), X(PAPR_HCALL), X(S390_UCONTROL),
	X(WATCHDOG), X(S390_TSCH), X(EPR), X(SYSTEM_EVENT), X(S390_STSI),
	X(IOAPIC_EOI), X(HYPERV), X(ARM_NISV), X(X86_RDMSR), X(X86_WRMSR),
	X(DIRTY_RING_FULL), X(AP_RESET_HOLD), X(X86_BUS_LOCK), X(XEN),
	X(RISCV_SBI), X(RISCV_CSR), X(NOTIFY),
#undef X
};

const char *vcpu_exit_reason_str(uint32_t reason)
{
	if (reason < sizeof(exit_names) / sizeof(exit_names[0]) &&
	    exit_names[reason])
		return exit_names[reason];
	return "unknown";
}

void *vcpu_io_data(struct kvm_vcpu *vcpu)
{
	const struct kvm_run *run = vcpu->run;
	uint64_t len = (uint64_t)run->io.size * run->io.count;

	/* The kernel chose data_offset: check it before trusting it. */
	TEST_ASSERT(run->io.data_offset >= sizeof(*run) &&
		    run->io.data_offset <= vcpu->run_size &&
		    len <= vcpu->run_size - run->io.data_offset,
		    "PIO data at 0x%llx+0x%llx is outside the 0x%zx-byte vCPU mapping",
		    (unsigned long long)run->io.data_offset,
		    (unsigned long long)len, vcpu->run_size);
	return (char *)vcpu->run + run->io.data_offset;
}

/* minikvm's explanation of a refused entry, when it is there. */
static void dump_fail_entry_rule(FILE *f, const struct kvm_run *run,
				 const char *prefix)
{
	const struct minikvm_fail_entry *fe = (const void *)&run->fail_entry;

	if (fe->magic == MINIKVM_FAIL_ENTRY_MAGIC)
		fprintf(f, "%sfail_entry: rule %u: %.*s\n", prefix, fe->rule,
			(int)sizeof(fe->text), fe->text);
}

/* Prints the PIO data bytes that follow @run (at most 16 of them). */
static void dump_io(FILE *f, const struct kvm_run *run, const char *prefix)
{
	const uint8_t *data = (const uint8_t *)run + run->io.data_offset;
	unsigned int i, n = run->io.size * run->io.count;

	fprintf(f, "%sio: %s port 0x%x size %u count %u data_offset 0x%llx data",
		prefix, run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
		run->io.port, run->io.size, run->io.count,
		(unsigned long long)run->io.data_offset);
	/* data_offset comes from the kernel: only print inside the 2 pages. */
	if (run->io.data_offset + n <= 2 * PAGE_SIZE_4K)
		for (i = 0; i < n && i < 16; i++)
			fprintf(f, " %02x", data[i]);
	fprintf(f, "\n");
}

void kvm_run_dump(FILE *f, const struct kvm_run *run, const char *prefix)
{
	unsigned int i;

	fprintf(f, "%sexit_reason %u (%s)\n", prefix, run->exit_reason,
		vcpu_exit_reason_str(run->exit_reason));
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		dump_io(f, run, prefix);
		break;
	case KVM_EXIT_MMIO:
		fprintf(f, "%smmio: %s phys_addr 0x%llx len %u data", prefix,
			run->mmio.is_write ? "write" : "read",
			(unsigned long long)run->mmio.phys_addr, run->mmio.len);
		for (i = 0; i < run->mmio.len && i < 8; i++)
			fprintf(f, " %02x", run->mmio.data[i]);
		fprintf(f, "\n");
		break;
	case KVM_EXIT_FAIL_ENTRY:
		fprintf(f, "%sfail_entry: hardware_entry_failure_reason 0x%llx cpu %u\n",
			prefix,
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			run->fail_entry.cpu);
		dump_fail_entry_rule(f, run, prefix);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		fprintf(f, "%sinternal: suberror %u ndata %u data", prefix,
			run->internal.suberror, run->internal.ndata);
		for (i = 0; i < run->internal.ndata && i < 16; i++)
			fprintf(f, " 0x%llx", (unsigned long long)run->internal.data[i]);
		fprintf(f, "\n");
		break;
	case KVM_EXIT_EXCEPTION:
		fprintf(f, "%sex: exception %u error_code 0x%x\n", prefix,
			run->ex.exception, run->ex.error_code);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		fprintf(f, "%ssystem_event: type %u ndata %u\n", prefix,
			run->system_event.type, run->system_event.ndata);
		break;
	case KVM_EXIT_UNKNOWN:
		fprintf(f, "%shw: hardware_exit_reason 0x%llx\n", prefix,
			(unsigned long long)run->hw.hardware_exit_reason);
		break;
	}
}

void vcpu_exit_reason_fail(struct kvm_vcpu *vcpu, uint32_t want,
			   const char *file, int line)
{
	struct kvm_regs regs;

	printf("# unexpected exit of vCPU %u:\n", vcpu->id);
	kvm_run_dump(stdout, vcpu->run, "#   ");
	if (!__vcpu_regs_get(vcpu, &regs))
		x86_regs_dump(stdout, &regs, "#   ");
	test_assert_fail(file, line, "exit_reason == want", 0,
			 "exit reason %u (%s), expected %u (%s)",
			 vcpu->run->exit_reason,
			 vcpu_exit_reason_str(vcpu->run->exit_reason), want,
			 vcpu_exit_reason_str(want));
}
