// SPDX-License-Identifier: GPL-2.0-only
/*
 * sregs_test - KVM_GET_SREGS / KVM_SET_SREGS: the special registers of a
 * new vCPU exactly as KVM 6.1 reports them, round trips through real,
 * protected and long mode, every state KVM refuses (-EINVAL, with nothing
 * changed), and the pending interrupt carried in interrupt_bitmap.
 *
 * Sources: arch/x86/kvm/x86.c kvm_vcpu_reset(), __get_sregs(),
 * __set_sregs(), __set_sregs_common(), kvm_is_valid_sregs(),
 * kvm_is_valid_cr0(), __kvm_is_valid_cr4(), kvm_set_apic_base(),
 * kvm_set_cr8(); arch/x86/kvm/lapic.c kvm_lapic_reset(); the segment
 * reset of svm.c init_vmcb() / svm_get_segment() and vmx.c
 * vmx_vcpu_reset() / seg_setup(), which differ per vendor.
 */
#include <string.h>

#include "minikvm/kvm_util.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"
#include "minikvm/x86_vm.h"

/* Without KVM_SET_CPUID the guest's MAXPHYADDR is 36 (cpuid_query_maxphyaddr). */
#define GUEST_MAXPHYADDR_NO_CPUID	36

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpu;

static void setup(void)
{
	vm = vm_create();
	vcpu = vm_vcpu_add(vm, 0);
	/*
	 * KVM 6.12: EFER.LME needs LM in the CPUID.  Not on 6.1: any
	 * KVM_SET_CPUID2 there would make the CPUID gate the CR4 bits below.
	 */
	if (kvm_dev_is_kvm_6_12())
		vcpu_cpuid_allow_long_mode(vcpu);
}

static struct kvm_segment seg(uint16_t sel, uint64_t base, uint32_t limit,
			      uint8_t type, uint8_t s)
{
	return (struct kvm_segment){ .selector = sel, .base = base,
				     .limit = limit, .type = type, .s = s,
				     .present = 1, .g = limit > 0xfffff };
}

/*
 * The state after KVM_CREATE_VCPU.  Segment types differ by vendor because
 * KVM reports what each vendor's reset leaves in the VMCB or VMCS: SVM
 * leaves the accessed bit clear in CS and SS and calls TR a busy 16-bit
 * TSS; VMX sets the accessed bits and uses a busy 32-bit TSS.
 */
static void reset_sregs(struct kvm_sregs *s, uint32_t vcpu_id)
{
	bool vmx = host_cpu_is_intel();
	struct kvm_segment data = seg(0, 0, 0xffff, 3, 1);

	memset(s, 0, sizeof(*s));
	s->cs = seg(0xf000, 0xffff0000, 0xffff, vmx ? 0xb : 0xa, 1);
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->ss.type = vmx ? 3 : 2;
	s->tr = seg(0, 0, 0xffff, vmx ? 0xb : 0x3, 0);
	s->ldt = seg(0, 0, 0xffff, 2, 0);
	s->gdt.limit = s->idt.limit = 0xffff;
	s->cr0 = X86_CR0_RESET;
	s->apic_base = APIC_DEFAULT_BASE | APIC_BASE_ENABLE |
		       (vcpu_id == 0 ? APIC_BASE_BSP : 0);
}

/* Asserts that @got equals @want, dumping both if not. */
static void expect_sregs(const struct kvm_sregs *got, const struct kvm_sregs *want)
{
	if (!memcmp(got, want, sizeof(*got)))
		return;
	ksft_print_msg("got:\n");
	x86_sregs_dump(stdout, got, "#   ");
	ksft_print_msg("expected:\n");
	x86_sregs_dump(stdout, want, "#   ");
	TEST_FAIL("special registers differ");
}

static void expect_reset(struct kvm_vcpu *v)
{
	struct kvm_sregs got, want;

	memset(&got, 0xa5, sizeof(got));	/* padding must come back zeroed */
	vcpu_sregs_get(v, &got);
	reset_sregs(&want, v->id);
	expect_sregs(&got, &want);
}

static void reset_state(void)
{
	setup();
	ksft_print_msg("host vendor: %s\n", host_cpu_is_intel() ? "Intel (VMX)" :
		       host_cpu_is_amd() ? "AMD (SVM)" : "other");
	expect_reset(vcpu);
}

/* Only vCPU 0 is the bootstrap processor. */
static void reset_state_ap(void)
{
	setup();
	TEST_REQUIRE(vm_check_cap(vm, KVM_CAP_MAX_VCPUS) >= 2);
	expect_reset(vm_vcpu_add(vm, 1));
	expect_reset(vm_vcpu_add(vm, 5));
}

/* Sets @s, reads it back and asserts that nothing was lost. */
static void roundtrip_sregs(const struct kvm_sregs *s)
{
	struct kvm_sregs got;

	vcpu_sregs_set(vcpu, s);
	vcpu_sregs_get(vcpu, &got);
	expect_sregs(&got, s);
}

/* A flat 32-bit protected-mode state with paging, in canonical form
 * (accessed bits set, G matching the limit) so that both vendors keep it. */
static void protected_mode(struct kvm_sregs *s)
{
	reset_sregs(s, 0);
	s->cs = seg(0x08, 0, 0xffffffff, 0xb, 1);
	s->cs.db = 1;
	s->ds = seg(0x10, 0, 0xffffffff, 3, 1);
	s->ds.db = 1;
	s->es = s->fs = s->gs = s->ss = s->ds;
	s->fs.base = 0x7000;
	s->tr = seg(0x18, 0x1000, 0x67, 0xb, 0);
	s->ldt = seg(0x20, 0x2000, 0xfff, 2, 0);
	s->gdt.base = 0x3000;
	s->gdt.limit = 0x27;
	s->idt.base = 0x4000;
	s->idt.limit = 0x7ff;
	s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	s->cr2 = 0xdead000;
	s->cr3 = 0x5000;
	s->cr4 = X86_CR4_PSE | X86_CR4_PGE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	s->cr8 = 3;
}

/* 64-bit mode: LME, LMA, PAE, PG and a 64-bit code segment. */
static void long_mode(struct kvm_sregs *s)
{
	protected_mode(s);
	s->cs.db = 0;
	s->cs.l = 1;
	s->cr4 |= X86_CR4_PAE;
	s->efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	s->gs.base = 0xffff888000000000ULL;
	s->idt.base = 0xffffffff82000000ULL;
	s->cr3 = 0x9000;
}

static void roundtrip_modes(void)
{
	struct kvm_sregs s;

	setup();
	protected_mode(&s);
	roundtrip_sregs(&s);
	long_mode(&s);
	roundtrip_sregs(&s);
	/* Back to protected mode, then to the reset state. */
	protected_mode(&s);
	roundtrip_sregs(&s);
	reset_sregs(&s, 0);
	roundtrip_sregs(&s);
}

/* Odd but valid states: what KVM accepts is stored as given. */
static void roundtrip_edges(void)
{
	unsigned int cr8;
	struct kvm_sregs s;

	setup();
	reset_sregs(&s, 0);
	s.efer = EFER_LME;			/* LME without paging: not yet active */
	s.cr3 = 1ULL << 40;			/* cr3 is unchecked outside long mode */
	s.cr0 = 0;				/* even ET may be clear */
	s.apic_base = 0;			/* APIC globally disabled */
	roundtrip_sregs(&s);
	s.apic_base = APIC_DEFAULT_BASE | APIC_BASE_ENABLE;	/* not the BSP */
	roundtrip_sregs(&s);
	/* Base bits up to the no-CPUID MAXPHYADDR are allowed. */
	s.apic_base = (1ULL << (GUEST_MAXPHYADDR_NO_CPUID - 1)) | APIC_BASE_ENABLE;
	roundtrip_sregs(&s);
	/* Long mode with cr3 just below the limit. */
	long_mode(&s);
	s.cr3 = (1ULL << GUEST_MAXPHYADDR_NO_CPUID) - 0x1000;
	roundtrip_sregs(&s);
	for (cr8 = 0; cr8 < 16; cr8++) {
		s.cr8 = cr8;
		roundtrip_sregs(&s);
	}
}

/* Expects KVM_SET_SREGS(@s) to fail with -EINVAL and change nothing. */
static void expect_einval(const struct kvm_sregs *s, const char *what)
{
	struct kvm_sregs before, after;

	vcpu_sregs_get(vcpu, &before);
	TEST_ASSERT_ERRNO(__vcpu_sregs_set(vcpu, s), EINVAL, what);
	vcpu_sregs_get(vcpu, &after);
	if (memcmp(&before, &after, sizeof(before))) {
		ksft_print_msg("%s: state changed, before:\n", what);
		x86_sregs_dump(stdout, &before, "#   ");
		ksft_print_msg("after:\n");
		x86_sregs_dump(stdout, &after, "#   ");
		TEST_FAIL("a refused KVM_SET_SREGS changed the vCPU");
	}
}

/* Runs expect_einval() from two starting points: reset and long mode. */
#define EXPECT_EINVAL(s, what)						\
	do {								\
		struct kvm_sregs __start;				\
		reset_sregs(&__start, 0);				\
		vcpu_sregs_set(vcpu, &__start);				\
		expect_einval(s, what);					\
		long_mode(&__start);					\
		vcpu_sregs_set(vcpu, &__start);				\
		expect_einval(s, what);					\
	} while (0)

static void invalid_long_mode(void)
{
	struct kvm_sregs s;

	setup();
	long_mode(&s);
	s.cr4 &= ~X86_CR4_PAE;
	EXPECT_EINVAL(&s, "LME+PG without PAE");
	long_mode(&s);
	s.efer &= ~EFER_LMA;
	EXPECT_EINVAL(&s, "LME+PG without LMA");
	protected_mode(&s);
	s.efer = EFER_LMA;
	EXPECT_EINVAL(&s, "LMA without LME");
	long_mode(&s);
	s.cr0 &= ~X86_CR0_PG;
	s.cs.l = 0;
	EXPECT_EINVAL(&s, "LMA+LME without PG");
	reset_sregs(&s, 0);
	s.efer = EFER_LMA;
	EXPECT_EINVAL(&s, "LMA in real mode");
	protected_mode(&s);
	s.cs.l = 1;
	s.cs.db = 0;
	EXPECT_EINVAL(&s, "CS.L in protected mode");
	reset_sregs(&s, 0);
	s.cs.l = 1;
	EXPECT_EINVAL(&s, "CS.L in real mode");
	long_mode(&s);
	s.cr3 = 1ULL << GUEST_MAXPHYADDR_NO_CPUID;
	EXPECT_EINVAL(&s, "long-mode CR3 at MAXPHYADDR 36");
	long_mode(&s);
	s.cr3 = 1ULL << 63;
	EXPECT_EINVAL(&s, "long-mode CR3 bit 63");
}

static void invalid_cr0(void)
{
	static const struct { uint64_t cr0; const char *what; } bad[] = {
		{ X86_CR0_ET | X86_CR0_NW, "NW without CD" },
		{ X86_CR0_ET | X86_CR0_PG, "PG without PE" },
		{ X86_CR0_RESET | (1ULL << 32), "CR0 bit 32" },
		{ X86_CR0_RESET | (1ULL << 63), "CR0 bit 63" },
		{ X86_CR0_PE | X86_CR0_ET | 0xffffffff00000000ULL, "CR0 bits 63:32" },
	};
	struct kvm_sregs s;
	size_t i;

	setup();
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		reset_sregs(&s, 0);
		s.cr0 = bad[i].cr0;
		EXPECT_EINVAL(&s, bad[i].what);
	}
}

/* CR4 bits KVM 6.1 never allows (not in CR4_RESERVED_BITS's complement). */
static void invalid_cr4(void)
{
	static const unsigned int bits[] = { 14 /* SMXE */, 15, 19 /* KL */,
					     23 /* CET */, 24 /* PKS */, 25, 31,
					     32, 63 };
	struct kvm_sregs s;
	char what[32];
	size_t i;

	setup();
	for (i = 0; i < ARRAY_SIZE(bits); i++) {
		reset_sregs(&s, 0);
		s.cr4 = 1ULL << bits[i];
		snprintf(what, sizeof(what), "CR4 bit %u", bits[i]);
		EXPECT_EINVAL(&s, what);
	}
}

/*
 * CR4 bits that depend on a CPU feature.  KVM 6.1 checks them against what
 * KVM itself supports on this host (cr4_reserved_bits, from the kernel's
 * view of the CPU), not against the guest CPUID, which is empty here:
 * vcpu->arch.cr4_guest_rsvd_bits stays 0 until KVM_SET_CPUID2.  minikvm has
 * no KVM_SET_CPUID2; of these features its default CPUID offers only XSAVE
 * (when the host has it: arch/x86/fpu.c), so it refuses the others: an
 * intended difference.  KVM 6.12 checks them against the vCPU's CPUID even
 * before KVM_SET_CPUID2, and the table this test's vCPU has (only the
 * long-mode leaves, vcpu_cpuid_allow_long_mode()) offers none: EINVAL.
 */
static void cr4_feature_bits(void)
{
	static const struct { uint64_t bit; const char *flag; } gated[] = {
		{ X86_CR4_OSXSAVE, "xsave" },
		{ X86_CR4_SMEP, "smep" },
		{ X86_CR4_SMAP, "smap" },
		{ X86_CR4_FSGSBASE, "fsgsbase" },
		{ X86_CR4_PCIDE, "pcid" },
		{ X86_CR4_LA57, "la57" },
	};
	struct kvm_sregs s;
	size_t i;

	setup();
	for (i = 0; i < ARRAY_SIZE(gated); i++) {
		int host = host_kernel_has(gated[i].flag);
		bool allowed;

		TEST_REQUIRE(host >= 0 || kvm_dev_is_minikvm());
		allowed = host > 0 && !kvm_dev_is_kvm_6_12() &&
			  (!kvm_dev_is_minikvm() ||
			   gated[i].bit == X86_CR4_OSXSAVE);
		ksft_print_msg("CR4 bit %d: host kernel %s %s, expect %s\n",
			       __builtin_ctzll(gated[i].bit),
			       host > 0 ? "has" : "lacks", gated[i].flag,
			       allowed ? "accepted" : "EINVAL");
		long_mode(&s);
		s.cr4 |= gated[i].bit;
		if (allowed)
			roundtrip_sregs(&s);
		else
			EXPECT_EINVAL(&s, gated[i].flag);
	}
}

/* Reads a Y/N module parameter; returns 1, 0, or -1 if absent. */
static int read_bool_param(const char *path)
{
	FILE *f = fopen(path, "r");
	int c;

	if (!f)
		return -1;
	c = fgetc(f);
	fclose(f);
	return c == 'Y' || c == '1' ? 1 : c == 'N' || c == '0' ? 0 : -1;
}

/*
 * CR4.VMXE: KVM allows it only where it offers nested VMX (kvm_intel's
 * "nested" parameter, X86_FEATURE_VMX in KVM's caps); never on SVM.
 * KVM 6.12 also wants VMX in the vCPU's CPUID, which this one lacks.
 * minikvm has no nested virtualisation.
 */
static void cr4_vmxe(void)
{
	struct kvm_sregs s;
	int nested = 0;

	setup();
	if (!kvm_dev_is_minikvm() && host_cpu_is_intel()) {
		nested = read_bool_param("/sys/module/kvm_intel/parameters/nested");
		TEST_REQUIRE(nested >= 0);
	}
	reset_sregs(&s, 0);
	s.cr4 = X86_CR4_VMXE;
	if (nested && !kvm_dev_is_kvm_6_12())
		roundtrip_sregs(&s);
	else
		EXPECT_EINVAL(&s, "CR4.VMXE");
}

/*
 * IA32_APIC_BASE: bits 0-7 and 9 are reserved, so is everything from
 * MAXPHYADDR (36 without CPUID) up, and x2APIC mode needs CPUID.X2APIC,
 * which an empty guest CPUID lacks; x2APIC without xAPIC is invalid.
 */
static void invalid_apic_base(void)
{
	static const uint64_t bad[] = {
		APIC_DEFAULT_BASE | APIC_BASE_ENABLE | 1,
		APIC_DEFAULT_BASE | APIC_BASE_ENABLE | 0x80,
		APIC_DEFAULT_BASE | APIC_BASE_ENABLE | (1 << 9),
		APIC_DEFAULT_BASE | APIC_BASE_ENABLE | (1ULL << GUEST_MAXPHYADDR_NO_CPUID),
		APIC_DEFAULT_BASE | APIC_BASE_ENABLE | (1ULL << 63),
		APIC_DEFAULT_BASE | APIC_BASE_ENABLE | APIC_BASE_X2APIC,
		APIC_DEFAULT_BASE | APIC_BASE_X2APIC,
	};
	struct kvm_sregs s;
	char what[48];
	size_t i;

	setup();
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		reset_sregs(&s, 0);
		s.apic_base = bad[i];
		snprintf(what, sizeof(what), "apic_base 0x%llx",
			 (unsigned long long)bad[i]);
		EXPECT_EINVAL(&s, what);
	}
}

/*
 * EFER bits beyond SCE, LME, LMA and NXE: KVM 6.1 stores them without a
 * check on KVM_SET_SREGS; KVM 6.12 refuses them (kvm_valid_efer()) unless
 * the vCPU's CPUID offers the feature (none does here).  minikvm refuses them as reserved: it offers no
 * nested SVM, FFXSR, LMSLE or TCE, and a bit it cannot honour should not
 * be silently accepted.
 */
static void efer_other_bits(void)
{
	static const uint64_t bits[] = { 1ULL << 1, 1ULL << 14, 1ULL << 63 };
	struct kvm_sregs s;
	size_t i;

	setup();
	for (i = 0; i < ARRAY_SIZE(bits); i++) {
		reset_sregs(&s, 0);
		s.efer = bits[i] | EFER_SCE;
		if (kvm_dev_is_minikvm() || kvm_dev_is_kvm_6_12())
			EXPECT_EINVAL(&s, "EFER reserved bit");
		else
			roundtrip_sregs(&s);
	}
}

/* CR8 above 15 is ignored (kvm_set_cr8() fails, __set_sregs_common() does
 * not look): the call succeeds, CR8 keeps its value, the rest is set. */
static void cr8_reserved_ignored(void)
{
	struct kvm_sregs s, got;

	setup();
	reset_sregs(&s, 0);
	s.cr8 = 5;
	roundtrip_sregs(&s);
	s.cr8 = 0x10;
	s.cr2 = 0x1234000;
	vcpu_sregs_set(vcpu, &s);
	vcpu_sregs_get(vcpu, &got);
	s.cr8 = 5;
	expect_sregs(&got, &s);
}

/* Sets the pending-interrupt bitmap to exactly @vectors (-1 terminated). */
static void set_pending(struct kvm_sregs *s, const int *vectors)
{
	memset(s->interrupt_bitmap, 0, sizeof(s->interrupt_bitmap));
	for (; *vectors >= 0; vectors++)
		s->interrupt_bitmap[*vectors / 64] |= 1ULL << (*vectors % 64);
}

/* Asserts that the vCPU reports exactly vector @v pending (-1: none). */
static void expect_pending(int v)
{
	__u64 want[KVM_NR_INTERRUPTS / 64] = { 0 };
	struct kvm_sregs got;

	if (v >= 0)
		want[v / 64] = 1ULL << (v % 64);
	vcpu_sregs_get(vcpu, &got);
	TEST_ASSERT(!memcmp(got.interrupt_bitmap, want, sizeof(want)),
		    "pending bitmap %016llx %016llx %016llx %016llx, expected "
		    "vector %d alone", (unsigned long long)got.interrupt_bitmap[0],
		    (unsigned long long)got.interrupt_bitmap[1],
		    (unsigned long long)got.interrupt_bitmap[2],
		    (unsigned long long)got.interrupt_bitmap[3], v);
}

/*
 * interrupt_bitmap: the lowest vector set becomes the one injected
 * interrupt KVM keeps, and reads back alone; an empty bitmap leaves a
 * queued interrupt queued.
 */
static void pending_interrupt(void)
{
	static const int v32[] = { 0x20, -1 }, two[] = { 0x80, 0x30, -1 },
			 none[] = { -1 }, top[] = { 0xff, -1 };
	struct kvm_sregs s;

	setup();
	expect_pending(-1);
	reset_sregs(&s, 0);
	set_pending(&s, v32);
	vcpu_sregs_set(vcpu, &s);
	expect_pending(0x20);
	set_pending(&s, two);
	vcpu_sregs_set(vcpu, &s);
	expect_pending(0x30);
	set_pending(&s, none);
	vcpu_sregs_set(vcpu, &s);
	expect_pending(0x30);
	set_pending(&s, top);
	vcpu_sregs_set(vcpu, &s);
	expect_pending(0xff);
	/* A refused set does not queue its interrupt. */
	set_pending(&s, v32);
	s.cr0 = X86_CR0_ET | X86_CR0_PG;
	TEST_ASSERT_ERRNO(__vcpu_sregs_set(vcpu, &s), EINVAL, "PG without PE");
	expect_pending(0xff);
}

static const struct kvm_test tests[] = {
	KVM_TEST(reset_state),
	KVM_TEST(reset_state_ap),
	KVM_TEST(roundtrip_modes),
	KVM_TEST(roundtrip_edges),
	KVM_TEST(invalid_long_mode),
	KVM_TEST(invalid_cr0),
	KVM_TEST(invalid_cr4),
	KVM_TEST(cr4_feature_bits),
	KVM_TEST(cr4_vmxe),
	KVM_TEST(invalid_apic_base),
	KVM_TEST(efer_other_bits),
	KVM_TEST(cr8_reserved_ignored),
	KVM_TEST(pending_interrupt),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
