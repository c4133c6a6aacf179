// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's exit trace from userspace (kvm_trace.h): the fd, its mapping
 * (header page read-write for tail, records read-only), consuming records
 * with the ring's acquire/release protocol, and readable names for the
 * vendors' exit codes, spelled as minikvm's exit tables spell them.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "minikvm/kvm_trace.h"
#include "minikvm/test_util.h"

int __vcpu_get_exit_trace_fd(struct kvm_vcpu *vcpu,
			     const struct minikvm_trace_config *cfg)
{
	return ioctl(vcpu->fd, MINIKVM_GET_EXIT_TRACE_FD, cfg);
}

int vcpu_get_exit_trace_fd(struct kvm_vcpu *vcpu, uint32_t nr)
{
	struct minikvm_trace_config cfg = { .nr_records = nr };
	int fd = __vcpu_get_exit_trace_fd(vcpu, &cfg);

	TEST_ASSERT(fd >= 0, "MINIKVM_GET_EXIT_TRACE_FD(%u): %s", nr,
		    strerror(errno));
	return fd;
}

void kvm_trace_map(struct kvm_trace *t, int fd)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	t->fd = fd;
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	TEST_ASSERT(p != MAP_FAILED, "mmap of the trace header: %s",
		    strerror(errno));
	t->hdr = p;
	TEST_ASSERT(t->hdr->record_size == sizeof(struct minikvm_trace_record),
		    "record_size %u", t->hdr->record_size);
	t->recs_size = (size_t)t->hdr->nr_records * t->hdr->record_size;
	p = mmap(NULL, t->recs_size, PROT_READ, MAP_SHARED, fd, page);
	TEST_ASSERT(p != MAP_FAILED, "mmap of %zu bytes of records: %s",
		    t->recs_size, strerror(errno));
	t->recs = p;
}

void kvm_trace_unmap(struct kvm_trace *t)
{
	munmap((void *)t->recs, t->recs_size);
	munmap(t->hdr, sysconf(_SC_PAGESIZE));
	t->hdr = NULL;
	t->recs = NULL;
}

bool kvm_trace_next(struct kvm_trace *t, struct minikvm_trace_record *rec)
{
	/* Acquire on head: the records before it are written. */
	uint64_t head = __atomic_load_n(&t->hdr->head, __ATOMIC_ACQUIRE);
	uint64_t tail = t->hdr->tail;

	if (tail == head)
		return false;
	*rec = t->recs[tail & (t->hdr->nr_records - 1)];
	/* Release on tail: the copy is done before the kernel reuses the slot. */
	__atomic_store_n(&t->hdr->tail, tail + 1, __ATOMIC_RELEASE);
	return true;
}

/* Intel SDM Vol. 3D, Appendix C "VMX Basic Exit Reasons". */
static const char *const vmx_names[] = {
	[0] = "EXCEPTION_NMI", [1] = "EXT_INTR", [2] = "TRIPLE_FAULT",
	[3] = "INIT", [4] = "SIPI", [5] = "IO_SMI", [6] = "SMI",
	[7] = "INTERRUPT_WINDOW", [8] = "NMI_WINDOW", [9] = "TASK_SWITCH",
	[10] = "CPUID", [11] = "GETSEC", [12] = "HLT", [13] = "INVD",
	[14] = "INVLPG", [15] = "RDPMC", [16] = "RDTSC", [17] = "RSM",
	[18] = "VMCALL", [19] = "VMCLEAR", [20] = "VMLAUNCH",
	[21] = "VMPTRLD", [22] = "VMPTRST", [23] = "VMREAD",
	[24] = "VMRESUME", [25] = "VMWRITE", [26] = "VMXOFF",
	[27] = "VMXON", [28] = "CR_ACCESS", [29] = "DR_ACCESS", [30] = "IO",
	[31] = "RDMSR", [32] = "WRMSR", [33] = "INVALID_STATE",
	[34] = "MSR_LOADING", [36] = "MWAIT", [37] = "MONITOR_TRAP_FLAG",
	[39] = "MONITOR", [40] = "PAUSE", [41] = "MCE_DURING_ENTRY",
	[43] = "TPR_BELOW_THRESHOLD", [44] = "APIC_ACCESS",
	[45] = "EOI_INDUCED", [46] = "GDTR_IDTR", [47] = "LDTR_TR",
	[48] = "EPT_VIOLATION", [49] = "EPT_MISCONFIG", [50] = "INVEPT",
	[51] = "RDTSCP", [52] = "PREEMPTION_TIMER", [53] = "INVVPID",
	[54] = "WBINVD", [55] = "XSETBV", [56] = "APIC_WRITE",
	[57] = "RDRAND", [58] = "INVPCID", [59] = "VMFUNC", [60] = "ENCLS",
	[61] = "RDSEED", [62] = "PML_FULL", [63] = "XSAVES",
	[64] = "XRSTORS",
};

/* AMD APM Vol. 2, Appendix C "SVM Intercept Exit Codes" (0x60 on). */
static const char *const svm_names[] = {
	[0x00] = "INTR", [0x01] = "NMI", [0x02] = "SMI", [0x03] = "INIT",
	[0x04] = "VINTR", [0x05] = "CR0_SEL_WRITE", [0x06] = "IDTR_READ",
	[0x07] = "GDTR_READ", [0x08] = "LDTR_READ", [0x09] = "TR_READ",
	[0x0a] = "IDTR_WRITE", [0x0b] = "GDTR_WRITE", [0x0c] = "LDTR_WRITE",
	[0x0d] = "TR_WRITE", [0x0e] = "RDTSC", [0x0f] = "RDPMC",
	[0x10] = "PUSHF", [0x11] = "POPF", [0x12] = "CPUID", [0x13] = "RSM",
	[0x14] = "IRET", [0x15] = "SWINT", [0x16] = "INVD", [0x17] = "PAUSE",
	[0x18] = "HLT", [0x19] = "INVLPG", [0x1a] = "INVLPGA",
	[0x1b] = "IOIO", [0x1c] = "MSR", [0x1d] = "TASK_SWITCH",
	[0x1e] = "FERR_FREEZE", [0x1f] = "SHUTDOWN", [0x20] = "VMRUN",
	[0x21] = "VMMCALL", [0x22] = "VMLOAD", [0x23] = "VMSAVE",
	[0x24] = "STGI", [0x25] = "CLGI", [0x26] = "SKINIT",
	[0x27] = "RDTSCP", [0x28] = "ICEBP", [0x29] = "WBINVD",
	[0x2a] = "MONITOR", [0x2b] = "MWAIT", [0x2c] = "MWAIT_COND",
	[0x2d] = "XSETBV", [0x2e] = "RDPRU",
};

const char *kvm_trace_reason_name(uint32_t vendor, uint64_t reason)
{
	static __thread char buf[24];
	const size_t nvmx = sizeof(vmx_names) / sizeof(vmx_names[0]);
	const size_t nsvm = sizeof(svm_names) / sizeof(svm_names[0]);

	if (vendor == MINIKVM_TRACE_VMX) {
		if (reason == UINT64_MAX)
			return "VMFAIL";	/* VMLAUNCH/VMRESUME refused */
		if ((reason & 0xffff) < nvmx && vmx_names[reason & 0xffff])
			return vmx_names[reason & 0xffff];
		return NULL;
	}
	if (vendor != MINIKVM_TRACE_SVM)
		return NULL;
	if (reason == (uint64_t)-1)
		return "INVALID";
	if (reason < 0x20) {
		snprintf(buf, sizeof(buf), "%s_CR%u",
			 reason < 0x10 ? "READ" : "WRITE", (unsigned)reason & 15);
		return buf;
	}
	if (reason >= 0x20 && reason < 0x40) {
		snprintf(buf, sizeof(buf), "%s_DR%u",
			 reason < 0x30 ? "READ" : "WRITE", (unsigned)reason & 15);
		return buf;
	}
	if (reason >= 0x40 && reason < 0x60) {
		snprintf(buf, sizeof(buf), "EXCP%u", (unsigned)reason - 0x40);
		return buf;
	}
	if (reason >= 0x60 && reason - 0x60 < nsvm && svm_names[reason - 0x60])
		return svm_names[reason - 0x60];
	if (reason == 0x400)
		return "NPF";
	return NULL;
}

void kvm_trace_print(FILE *f, const struct minikvm_trace_record *rec,
		     uint32_t vendor, uint64_t tsc0, uint64_t tsc_khz)
{
	const char *name = kvm_trace_reason_name(vendor, rec->reason);
	double us = tsc_khz ? (double)(rec->tsc - tsc0) * 1000.0 / tsc_khz : 0;
	char where[48];

	if (rec->flags & MINIKVM_TRACE_USERSPACE) {
		const char *k = vcpu_exit_reason_str(rec->kvm_exit_reason);

		if (!strncmp(k, "KVM_EXIT_", 9))
			k += 9;
		snprintf(where, sizeof(where), "user:%s", k);
	} else {
		snprintf(where, sizeof(where), "kernel");
	}
	fprintf(f, "%12.3f us  vcpu %u  %-16s info1 %#-12" PRIx64
		" info2 %#-12" PRIx64 " rip %#-10" PRIx64 " %-16s %8" PRIu64
		" cycles",
		us, rec->vcpu_id, name ? name : "?", (uint64_t)rec->info1,
		(uint64_t)rec->info2, (uint64_t)rec->rip, where,
		(uint64_t)rec->cycles);
	if (!name)
		fprintf(f, " (reason %#" PRIx64 ")", (uint64_t)rec->reason);
	if (rec->flags & MINIKVM_TRACE_FAILED_ENTRY)
		fprintf(f, " failed entry, rule %u", rec->rule);
	fputc('\n', f);
}
