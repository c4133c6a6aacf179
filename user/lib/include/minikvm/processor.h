/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * processor.h - x86 facts the tests and the runner need: the host's CPUID,
 * architectural bits missing from the uapi headers, and readable dumps of
 * struct kvm_regs / struct kvm_sregs.
 *
 * "Host" is the machine the test runs on, i.e. the CPU that KVM or minikvm
 * virtualises; a guest without KVM_SET_CPUID sees none of it.
 */
#ifndef MINIKVM_PROCESSOR_H
#define MINIKVM_PROCESSOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <asm/processor-flags.h>	/* X86_CR0_*, X86_CR4_*, X86_EFLAGS_* */
#include <linux/kvm.h>

/* IA32_EFER bits (SDM Vol. 3A, 2.2.1 "Extended Feature Enable Register";
 * APM Vol. 2, 3.1.7 "Extended Feature Enable Register (EFER)"). */
#define EFER_SCE	(1ULL << 0)	/* SYSCALL/SYSRET enable */
#define EFER_LME	(1ULL << 8)	/* long mode enable */
#define EFER_LMA	(1ULL << 10)	/* long mode active */
#define EFER_NXE	(1ULL << 11)	/* no-execute enable */
#define EFER_SVME	(1ULL << 12)	/* AMD: SVM enable */

/* IA32_APIC_BASE (SDM Vol. 3A, 11.4.4 "Local APIC Status and Location"). */
#define APIC_BASE_BSP		(1ULL << 8)	/* this is the bootstrap processor */
#define APIC_BASE_X2APIC	(1ULL << 10)	/* x2APIC mode enable */
#define APIC_BASE_ENABLE	(1ULL << 11)	/* xAPIC global enable */
#define APIC_DEFAULT_BASE	0xfee00000ULL	/* local APIC page after reset */

/* The CR0 value of a processor after RESET: ET, plus CD and NW set. */
#define X86_CR0_RESET		(X86_CR0_ET | X86_CR0_NW | X86_CR0_CD)

/* Registers returned by the CPUID instruction. */
struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/* One feature bit: CPUID.(leaf, subleaf).reg[bit]. */
struct x86_feature {
	uint32_t leaf, subleaf;
	enum cpuid_reg reg;
	uint8_t bit;
};

#define X86_FEATURE(l, s, r, b) ((struct x86_feature){ (l), (s), CPUID_##r, (b) })
/* SDM Vol. 2A, CPUID, tables "Feature Information" and "Structured Extended
 * Feature Flags"; APM Vol. 3, Appendix E. */
#define X86_FEATURE_PCID	X86_FEATURE(1, 0, ECX, 17)
#define X86_FEATURE_X2APIC	X86_FEATURE(1, 0, ECX, 21)
#define X86_FEATURE_XSAVE	X86_FEATURE(1, 0, ECX, 26)
#define X86_FEATURE_VMX		X86_FEATURE(1, 0, ECX, 5)
#define X86_FEATURE_FSGSBASE	X86_FEATURE(7, 0, EBX, 0)
#define X86_FEATURE_SMEP	X86_FEATURE(7, 0, EBX, 7)
#define X86_FEATURE_SMAP	X86_FEATURE(7, 0, EBX, 20)
#define X86_FEATURE_LA57	X86_FEATURE(7, 0, ECX, 16)
#define X86_FEATURE_SVM		X86_FEATURE(0x80000001, 0, ECX, 2)

/* Executes CPUID(@leaf, @subleaf) on the host. */
void host_cpuid(uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r);

/* Returns true if the host CPU reports feature @f (checking the max leaf). */
bool host_cpu_has(struct x86_feature f);

/* Returns 1 if the space-separated @flags (a /proc/cpuinfo "flags" value)
 * contain @name, else 0. */
int cpuinfo_flags_have(const char *flags, const char *name);

/*
 * Returns 1 or 0 as the host kernel lists feature @name ("xsave") in
 * /proc/cpuinfo, or -1 if that cannot be read.  KVM derives what it offers
 * from the kernel's view, which can be narrower than CPUID (a kernel that
 * fails to set up XSAVE clears the feature).
 */
int host_kernel_has(const char *name);

/*
 * Returns true if the running kernel (uname's release) is @major.@minor or
 * newer.  For the uAPI details in which KVM changed between the kernels
 * of the test matrix (6.1, 6.12; Documentation/testing.md): a test expects
 * the behaviour of the KVM it runs on.
 */
bool host_kernel_at_least(unsigned int major, unsigned int minor);

/* Returns true for a GenuineIntel host. */
bool host_cpu_is_intel(void);

/* Returns true for an AuthenticAMD or HygonGenuine host. */
bool host_cpu_is_amd(void);

/*
 * True when the test machine is QEMU's TCG emulator (hypervisor CPUID leaf
 * 0x40000000 says "TCGTCGTCGTCG"): for skipping, by name, an emulator bug
 * that real KVM hits exactly as minikvm does.
 */
bool host_is_qemu_tcg(void);

/* Returns the host's physical-address width (CPUID 0x80000008), else 36. */
unsigned int host_maxphyaddr(void);

/* Writes a readable name of a segment type ("code RX accessed") to @buf. */
const char *x86_seg_type_name(bool s, unsigned int type, char *buf, size_t len);

/* Formats @seg on one line ("sel=f000 base=... type=b (code ...)") into @buf. */
const char *x86_seg_format(const struct kvm_segment *seg, char *buf, size_t len);

/* Writes the names of the bits set in @val to @buf ("PE ET NW CD", or
 * "none").  @names has 64 entries, NULL for unnamed bits ("bitN"). */
const char *x86_bits_format(uint64_t val, const char *const names[64],
			    char *buf, size_t len);

extern const char *const x86_cr0_bit_names[64];
extern const char *const x86_cr4_bit_names[64];
extern const char *const x86_efer_bit_names[64];
extern const char *const x86_rflags_bit_names[64];

/* Prints @regs readably to @f, each line starting with @prefix. */
void x86_regs_dump(FILE *f, const struct kvm_regs *regs, const char *prefix);

/* Prints @sregs readably to @f, each line starting with @prefix. */
void x86_sregs_dump(FILE *f, const struct kvm_sregs *sregs, const char *prefix);

#endif /* MINIKVM_PROCESSOR_H */
