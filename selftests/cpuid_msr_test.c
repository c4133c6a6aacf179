// SPDX-License-Identifier: GPL-2.0-only
/*
 * cpuid_msr_test - CPUID, RDMSR and WRMSR in a long-mode guest without
 * KVM_SET_CPUID2:
 *
 *  - CPUID never exits to userspace and the guest runs on.  What it
 *    returns without KVM_SET_CPUID2 is the hypervisor's choice: KVM 6.1
 *    has no CPUID entries then and answers every leaf with zeros
 *    (arch/x86/kvm/cpuid.c kvm_cpuid(), no entry found), so the vendor
 *    string is empty and the hypervisor bit (leaf 1, ECX[31]) is clear.
 *    Except for the two leaves of long mode: KVM 6.12 wants CPUID's LM bit
 *    to let the vCPU in, so the library gives a KVM vCPU leaves 0x80000000
 *    and 0x80000001 (LM) and nothing else (x86_vm.c
 *    vcpu_cpuid_allow_long_mode()): leaf 0x80000000 reads EAX 0x80000001.
 *    Asserted on both: a non-empty vendor string is the host's.  Printed:
 *    leaves 0, 1 and 0x80000000.
 *  - RDMSR returns what WRMSR wrote for MSRs every x86-64 guest has:
 *    STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE, FS_BASE, GS_BASE,
 *    SYSENTER_CS/ESP/EIP, PAT (SDM Vol. 4, "Model-Specific Registers";
 *    APM Vol. 2, appendix A).  TSC_AUX is left out: KVM refuses it (#GP)
 *    unless the guest's CPUID has RDTSCP.
 *  - RDMSR and WRMSR of an MSR that does not exist raise #GP(0), caught by
 *    a guest handler, and leave RAX/RDX untouched on RDMSR.
 *  - minikvm's default CPUID hides what it does not virtualize (VMX, SVM,
 *    MONITOR, XSAVES, MPX, PKU, PCID, SMEP, SMAP, ...; arch/x86/cpuid.c) and
 *    puts the vCPU id in the APIC ID field.  KVM: zeros, as above.
 *  - The MTRRs: IA32_MTRRCAP reads 0x508 (8 variable ranges, fixed
 *    ranges, WC) and is read-only; the others keep what the guest writes,
 *    and refuse (#GP) invalid memory types and reserved bits (KVM's
 *    mtrr.c kvm_mtrr_valid(); SDM Vol. 3A, "MTRRs").
 *  - TSC_AUX: if the guest's CPUID offers RDTSCP, WRMSR sets what RDMSR
 *    and RDTSCP return, across exits, while the host's own TSC_AUX (its
 *    CPU number, for getcpu()) stays intact; without RDTSCP in the guest
 *    CPUID (always so on KVM without KVM_SET_CPUID2) both are #GP.
 */
#include <string.h>

#include "minikvm/kvm_util.h"
#include "minikvm/msr_index.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

static const uint32_t cpuid_leaves[] = { 0, 1, 0x80000000 };

static void guest_cpuid_leaves(void)
{
	uint32_t a, b, c, d;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cpuid_leaves); i++) {
		guest_cpuid(cpuid_leaves[i], 0, &a, &b, &c, &d);
		ucall(UCALL_SYNC, 4, a, b, c, d);
	}
	GUEST_DONE();
}

static void cpuid_in_guest(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_cpuid_leaves);
	struct cpuid_regs host;
	struct ucall uc;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cpuid_leaves); i++) {
		/* The first exit is the ucall: CPUID did not exit. */
		TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
		ksft_print_msg("guest CPUID 0x%x: %08llx %08llx %08llx %08llx\n",
			       cpuid_leaves[i], (unsigned long long)uc.args[0],
			       (unsigned long long)uc.args[1],
			       (unsigned long long)uc.args[2],
			       (unsigned long long)uc.args[3]);
		if (cpuid_leaves[i] == 0 && (uc.args[1] | uc.args[2] | uc.args[3])) {
			host_cpuid(0, 0, &host);
			TEST_ASSERT_EQ(uc.args[1], host.ebx);
			TEST_ASSERT_EQ(uc.args[3], host.edx);
			TEST_ASSERT_EQ(uc.args[2], host.ecx);
		}
		if (cpuid_leaves[i] == 1)
			ksft_print_msg("hypervisor bit (CPUID.1:ECX[31]): %llu\n",
				       (unsigned long long)(uc.args[2] >> 31 & 1));
		if (!kvm_dev_is_minikvm())	/* see the top of the file */
			TEST_ASSERT(uc.args[0] == (cpuid_leaves[i] == 0x80000000 ?
						   0x80000001 : 0) &&
				    !(uc.args[1] | uc.args[2] | uc.args[3]),
				    "KVM without KVM_SET_CPUID2 answered leaf 0x%x",
				    cpuid_leaves[i]);
	}
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

struct msr_value {
	uint32_t index;
	uint64_t value;
};

static const struct msr_value msr_values[] = {
	{ MSR_STAR, 0x0023001000000000ULL },
	{ MSR_LSTAR, 0xffffffff81000010ULL },
	{ MSR_CSTAR, 0xffffffff81000020ULL },
	{ MSR_SYSCALL_MASK, 0x47700 },
	{ MSR_KERNEL_GS_BASE, 0xffff888012345000ULL },
	{ MSR_FS_BASE, 0x00007f0012340000ULL },
	{ MSR_GS_BASE, 0xffff888056780000ULL },
	{ MSR_IA32_SYSENTER_CS, 0x10 },
	{ MSR_IA32_SYSENTER_ESP, 0xfffffe0000001000ULL },
	{ MSR_IA32_SYSENTER_EIP, 0xffffffff81000030ULL },
	{ MSR_IA32_CR_PAT, 0x0007010600070106ULL },
};

static void guest_msrs(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(msr_values); i++) {
		wrmsr(msr_values[i].index, msr_values[i].value);
		GUEST_ASSERT_EQ(rdmsr(msr_values[i].index), msr_values[i].value);
	}
	/* Each keeps its own value. */
	for (i = 0; i < ARRAY_SIZE(msr_values); i++)
		GUEST_ASSERT_EQ(rdmsr(msr_values[i].index), msr_values[i].value);
	GUEST_DONE();
}

static void msr_roundtrips(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_msrs);

	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static volatile uint64_t gp_count, gp_error_code;

static void guest_gp_handler(struct ex_regs *regs)
{
	gp_count++;
	gp_error_code = regs->error_code;
	regs->rip += 2;		/* rdmsr and wrmsr are 0f 32 / 0f 30 */
}

static void guest_unknown_msr(void)
{
	uint32_t lo = 0x11111111, hi = 0x22222222;

	asm volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(MSR_NONEXISTENT));
	GUEST_ASSERT_EQ(gp_count, 1);
	GUEST_ASSERT_EQ(gp_error_code, 0);
	GUEST_ASSERT_EQ(lo, 0x11111111);
	GUEST_ASSERT_EQ(hi, 0x22222222);
	wrmsr(MSR_NONEXISTENT, 0);
	GUEST_ASSERT_EQ(gp_count, 2);
	GUEST_ASSERT_EQ(gp_error_code, 0);
	GUEST_DONE();
}

static void unknown_msr_gp(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_unknown_msr);

	vm_install_exception_handler(vm, GP_VECTOR, guest_gp_handler);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- minikvm's default CPUID --- */

#define NR_FILTER_LEAVES	6
static const uint32_t filter_leaves[NR_FILTER_LEAVES] = {
	0, 1, 7, 0xd, 0x80000000, 0x80000001,
};

static void guest_cpuid_filter(void)
{
	uint32_t a, b, c, d;
	unsigned int i;

	for (i = 0; i < NR_FILTER_LEAVES; i++) {
		guest_cpuid(filter_leaves[i], 0, &a, &b, &c, &d);
		ucall(UCALL_SYNC, 4, a, b, c, d);
	}
	GUEST_DONE();
}

/* Bits minikvm must not announce, per leaf: EAX, EBX, ECX, EDX. */
static const uint32_t hidden[NR_FILTER_LEAVES][4] = {
	{ 0, 0, 0, 0 },
	/* ECX: MONITOR VMX SMX PCID x2APIC TSC-DEADLINE OSXSAVE (CR4's,
	 * clear here); EDX: MCE APIC MCA */
	{ 0, 0, 1u << 3 | 1u << 5 | 1u << 6 | 1u << 17 | 1u << 21 |
		1u << 24 | 1u << 27,
	  1u << 7 | 1u << 9 | 1u << 14 },
	/* EBX: FSGSBASE SMEP INVPCID SMAP; ECX: UMIP PKU OSPKE LA57;
	 * EDX: IBRS/IBPB STIBP ARCH_CAPABILITIES SSBD */
	{ ~0u, 1u << 0 | 1u << 7 | 1u << 10 | 1u << 20,
	  1u << 2 | 1u << 3 | 1u << 4 | 1u << 16,
	  1u << 26 | 1u << 27 | 1u << 29 | 1u << 31 },
	/* XSAVE components: x87, SSE, AVX, AVX-512 only (no MPX, PKRU...) */
	{ ~0xe7u, 0, 0, ~0u },
	{ 0, 0, 0, 0 },
	{ 0, 0, 1u << 2, 0 },		/* ECX: SVM */
};

static void cpuid_filtered(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	unsigned int i, r;

	TEST_REQUIRE(kvm_dev_is_minikvm());	/* KVM: all zeros, see above */
	vm = vm_create_with_one_vcpu(&vcpu, guest_cpuid_filter);
	for (i = 0; i < NR_FILTER_LEAVES; i++) {
		TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
		for (r = 0; r < 4; r++)
			TEST_ASSERT(!(uc.args[r] & hidden[i][r]),
				    "CPUID 0x%x reg %u = 0x%llx shows hidden bits 0x%x",
				    filter_leaves[i], r,
				    (unsigned long long)uc.args[r], hidden[i][r]);
		if (filter_leaves[i] == 0)
			TEST_ASSERT(uc.args[0] >= 1 && uc.args[0] <= 0xd,
				    "max basic leaf 0x%llx",
				    (unsigned long long)uc.args[0]);
		if (filter_leaves[i] == 1) {
			TEST_ASSERT(uc.args[2] & 1u << 31, "hypervisor bit");
			TEST_ASSERT_EQ(uc.args[1] >> 24, 0);	/* APIC ID */
		}
	}
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- MTRRs --- */

static void guest_mtrrs(void)
{
	static const struct msr_value good[] = {
		{ MSR_MTRRdefType, 0xc06 },		/* E, FE, WB */
		{ MSR_MTRRfix64K_00000, 0x0606060606060606ULL },
		{ MSR_MTRRfix4K_F8000, 0x0005040100000006ULL },
		{ MSR_MTRRphysBase0, 0x80000000ULL | 6 },
		{ MSR_MTRRphysMask0, 0xf80000800ULL },	/* 2 GiB, valid */
	};
	static const struct msr_value bad[] = {
		{ MSR_MTRRdefType, 0x2 },		/* type 2 is reserved */
		{ MSR_MTRRdefType, 0x1006 },		/* bit 12 reserved */
		{ MSR_MTRRfix64K_00000, 0x0706060606060606ULL },
		{ MSR_MTRRphysBase0, 0x100 | 6 },	/* bits 11:8 reserved */
		{ MSR_MTRRphysBase0, (1ULL << 40) | 6 },/* above MAXPHYADDR */
		{ MSR_MTRRphysMask0, 0x400 },		/* bits 10:0 reserved */
		{ MSR_MTRRcap, 0x508 },			/* read-only */
	};
	unsigned int i;

	GUEST_ASSERT_EQ(rdmsr(MSR_MTRRcap), 0x508);
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		wrmsr(good[i].index, good[i].value);
		GUEST_ASSERT_EQ(rdmsr(good[i].index), good[i].value);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		wrmsr(bad[i].index, bad[i].value);
		GUEST_ASSERT_EQ(gp_count, i + 1);
	}
	/* Refused writes changed nothing. */
	for (i = 0; i < ARRAY_SIZE(good); i++)
		GUEST_ASSERT_EQ(rdmsr(good[i].index), good[i].value);
	GUEST_DONE();
}

static void mtrr_msrs(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE(host_kernel_has("mtrr") > 0);
	vm = vm_create_with_one_vcpu(&vcpu, guest_mtrrs);
	vm_install_exception_handler(vm, GP_VECTOR, guest_gp_handler);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- TSC_AUX --- */

#define GUEST_TSC_AUX		0xabcd

static uint32_t guest_rdtscp_aux(void)
{
	uint32_t lo, hi, aux;

	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	return aux;
}

static void guest_tsc_aux(void)
{
	uint32_t a, b, c, d;
	unsigned int i;

	guest_cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a >= 0x80000001)
		guest_cpuid(0x80000001, 0, &a, &b, &c, &d);
	else
		d = 0;
	if (!(d & (1u << 27))) {		/* no RDTSCP: #GP both ways */
		wrmsr(MSR_TSC_AUX, GUEST_TSC_AUX);
		GUEST_ASSERT_EQ(gp_count, 1);
		rdmsr(MSR_TSC_AUX);
		GUEST_ASSERT_EQ(gp_count, 2);
		GUEST_SYNC(0);
		GUEST_DONE();
	}
	wrmsr(MSR_TSC_AUX, GUEST_TSC_AUX);
	GUEST_ASSERT_EQ(rdmsr(MSR_TSC_AUX), GUEST_TSC_AUX);
	for (i = 0; i < 10; i++) {
		GUEST_ASSERT_EQ(guest_rdtscp_aux(), GUEST_TSC_AUX);
		GUEST_SYNC(1);	/* the host runs, maybe on another CPU */
	}
	GUEST_DONE();
}

static void tsc_aux(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_tsc_aux);
	int host_rdtscp = host_kernel_has("rdtscp");
	struct ucall uc;
	uint64_t offered;

	vm_install_exception_handler(vm, GP_VECTOR, guest_gp_handler);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	offered = uc.args[1];
	ksft_print_msg("guest CPUID offers RDTSCP: %s\n", offered ? "yes" : "no");
	if (!kvm_dev_is_minikvm())
		TEST_ASSERT_EQ(offered, 0);	/* empty CPUID */
	do {
		uint32_t lo, hi, aux;

		/* The host's TSC_AUX is its own again: the CPU number. */
		if (offered && host_rdtscp > 0) {
			asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
			TEST_ASSERT(aux != GUEST_TSC_AUX,
				    "host TSC_AUX is the guest's 0x%x", aux);
		}
	} while (vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC);
	TEST_ASSERT_EQ(uc.cmd, UCALL_DONE);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(cpuid_in_guest),
	KVM_TEST(cpuid_filtered),
	KVM_TEST(msr_roundtrips),
	KVM_TEST(unknown_msr_gp),
	KVM_TEST(mtrr_msrs),
	KVM_TEST(tsc_aux),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
