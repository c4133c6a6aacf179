// SPDX-License-Identifier: GPL-2.0-only
/*
 * msrs_test - KVM_GET_MSR_INDEX_LIST and KVM_GET_MSRS / KVM_SET_MSRS, with
 * KVM 6.1's rules (arch/x86/kvm/x86.c kvm_arch_dev_ioctl(), msr_io()):
 *
 *  - the index list: nmsrs too small is E2BIG with nmsrs set to the
 *    length, EFAULT for a bad pointer, the syscall, SYSENTER, PAT and TSC
 *    MSRs listed;
 *  - every listed MSR reads, is written back and reads the same (the TSC
 *    moves on), as KVM's state save and restore does with the supported
 *    CPUID set;
 *  - values the host sets are what the guest reads, and the other way
 *    round; FS_BASE and EFER are the KVM_GET_SREGS ones;
 *  - the count: processing stops at the first MSR refused (unknown MSR,
 *    invalid PAT, non-canonical base, reserved EFER bit), nmsrs of 256 or
 *    more is E2BIG, bad pointers EFAULT;
 *  - the host may do what the guest may not: EFER.LME without LM in the
 *    guest's CPUID;
 *  - microcode: IA32_UCODE_REV (KVM's default, then what the host
 *    sets; the guest's write ignored), IA32_UCODE_WRITE taken and ignored,
 *    HWCR 0 (x86.c kvm_set_msr_common(), kvm_get_msr_common()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "minikvm/kvm_util.h"
#include "minikvm/msr_index.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_cpuid.h"
#include "minikvm/x86_vm.h"

static const uint32_t must_list[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
	MSR_IA32_CR_PAT, MSR_IA32_TSC,
};

static void index_list(void)
{
	const struct kvm_msr_list *list = kvm_get_msr_index_list();
	struct kvm_msr_list small = { .nmsrs = 1 };
	unsigned int i, j;
	int fd = open_kvm_dev();

	ksft_print_msg("%u MSRs listed\n", list->nmsrs);
	TEST_ASSERT_EQ(ioctl(fd, KVM_GET_MSR_INDEX_LIST, &small), -1);
	TEST_ASSERT_EQ(errno, E2BIG);
	TEST_ASSERT_EQ(small.nmsrs, list->nmsrs);
	TEST_ASSERT_EQ(ioctl(fd, KVM_GET_MSR_INDEX_LIST, NULL), -1);
	TEST_ASSERT_EQ(errno, EFAULT);
	for (i = 0; i < ARRAY_SIZE(must_list); i++) {
		for (j = 0; j < list->nmsrs; j++)
			if (list->indices[j] == must_list[i])
				break;
		TEST_ASSERT(j < list->nmsrs, "MSR 0x%x not listed", must_list[i]);
	}
}

/*
 * Save and restore every listed MSR, as a VMM migrating the vCPU does.
 * minikvm must take back all it lists.  KVM on the test machines lists
 * some it refuses to take back as read (seen on kvm_amd under QEMU): those
 * are printed, as are those that move on their own (a clock), and only
 * the MSRs every x86-64 VMM restores are required.
 */
static void roundtrip_all(void)
{
	const struct kvm_msr_list *list = kvm_get_msr_index_list();
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, NULL);
	uint64_t v, again;
	unsigned int i, j;
	bool required;
	int r;

	vcpu_init_cpuid(vcpu);
	for (i = 0; i < list->nmsrs; i++) {
		uint32_t msr = list->indices[i];

		for (j = 0, required = kvm_dev_is_minikvm();
		     j < ARRAY_SIZE(must_list); j++)
			required |= must_list[j] == msr;
		r = __vcpu_get_msr(vcpu, msr, &v);
		if (r == 1)
			r = __vcpu_set_msr(vcpu, msr, v);
		if (r != 1 && !required) {
			ksft_print_msg("MSR 0x%x listed but not restorable\n", msr);
			continue;
		}
		TEST_ASSERT(r == 1, "MSR 0x%x: not read or not written back", msr);
		again = vcpu_get_msr(vcpu, msr);
		if (msr == MSR_IA32_TSC) {
			TEST_ASSERT(again >= v, "TSC went back");
		} else if (again != v && !required) {
			/* KVM's Hyper-V reference counter (0x40000020) ticks. */
			ksft_print_msg("MSR 0x%x moved: 0x%llx, then 0x%llx\n",
				       msr, (unsigned long long)v,
				       (unsigned long long)again);
		} else {
			TEST_ASSERT(again == v, "MSR 0x%x: 0x%llx written back, 0x%llx read",
				    msr, (unsigned long long)v,
				    (unsigned long long)again);
		}
	}
	kvm_vm_free(vm);
}

struct msr_value {
	uint32_t index;
	uint64_t value;
};

static const struct msr_value host_values[] = {
	{ MSR_STAR, 0x0023001000000000ULL },
	{ MSR_LSTAR, 0xffffffff81000010ULL },
	{ MSR_CSTAR, 0xffffffff81000020ULL },
	{ MSR_SYSCALL_MASK, 0x47700 },
	{ MSR_KERNEL_GS_BASE, 0xffff888012345000ULL },
	{ MSR_GS_BASE, 0xffff888056780000ULL },
	{ MSR_IA32_SYSENTER_CS, 0x10 },
	/* kvm_amd keeps 32 bits of these unless the CPUID vendor is Intel. */
	{ MSR_IA32_SYSENTER_ESP, 0x00001000 },
	{ MSR_IA32_SYSENTER_EIP, 0x81000030 },
	{ MSR_IA32_CR_PAT, 0x0007010600070106ULL },
};

/* Checks what the host set, then sets value + 1 (PAT: another valid one). */
static void guest_check_msrs(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(host_values); i++) {
		GUEST_ASSERT_EQ(rdmsr(host_values[i].index), host_values[i].value);
		if (host_values[i].index == MSR_IA32_CR_PAT)
			wrmsr(MSR_IA32_CR_PAT, 0x0007040600070406ULL);
		else
			wrmsr(host_values[i].index, host_values[i].value + 0x1000);
	}
	GUEST_DONE();
}

static void host_guest_values(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_check_msrs);
	struct kvm_sregs sregs;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(host_values); i++)
		vcpu_set_msr(vcpu, host_values[i].index, host_values[i].value);
	/* The GS base is the KVM_GET_SREGS one. */
	vcpu_sregs_get(vcpu, &sregs);
	TEST_ASSERT_EQ(sregs.gs.base, 0xffff888056780000ULL);
	TEST_ASSERT_EQ(vcpu_get_msr(vcpu, MSR_EFER), sregs.efer);
	vcpu_run_expect_done(vcpu);
	for (i = 0; i < ARRAY_SIZE(host_values); i++)
		TEST_ASSERT_EQ(vcpu_get_msr(vcpu, host_values[i].index),
			       host_values[i].index == MSR_IA32_CR_PAT ?
			       0x0007040600070406ULL : host_values[i].value + 0x1000);
	vcpu_sregs_get(vcpu, &sregs);
	TEST_ASSERT_EQ(sregs.gs.base, 0xffff888056781000ULL);
	/* KVM_SET_MSRS(FS_BASE) is KVM_SET_SREGS' fs.base. */
	vcpu_set_msr(vcpu, MSR_FS_BASE, 0x7f0000001000ULL);
	vcpu_sregs_get(vcpu, &sregs);
	TEST_ASSERT_EQ(sregs.fs.base, 0x7f0000001000ULL);
	kvm_vm_free(vm);
}

/* Three MSRs, the middle one bad: one processed, the third untouched. */
static void expect_stop_at_second(struct kvm_vcpu *vcpu, uint32_t bad,
				  uint64_t bad_value)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[3];
	} m = {
		.hdr.nmsrs = 3,
		.e = { { .index = MSR_STAR, .data = 0x0023001000000001ULL },
		       { .index = bad, .data = bad_value },
		       { .index = MSR_LSTAR, .data = 0xffffffff81000123ULL } },
	};

	vcpu_set_msr(vcpu, MSR_STAR, 0);
	vcpu_set_msr(vcpu, MSR_LSTAR, 0);
	TEST_ASSERT_EQ(__vcpu_ioctl(vcpu, KVM_SET_MSRS, &m), 1);
	TEST_ASSERT_EQ(vcpu_get_msr(vcpu, MSR_STAR), 0x0023001000000001ULL);
	TEST_ASSERT_EQ(vcpu_get_msr(vcpu, MSR_LSTAR), 0);
}

static void partial_counts(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, NULL);
	struct kvm_msrs *m;
	void *unmapped;
	unsigned int i;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[3];
	} get = {
		.hdr.nmsrs = 3,
		.e = { { .index = MSR_STAR }, { .index = MSR_NONEXISTENT },
		       { .index = MSR_LSTAR, .data = 0x5555 } },
	};

	vcpu_init_cpuid(vcpu);
	expect_stop_at_second(vcpu, MSR_NONEXISTENT, 0);
	expect_stop_at_second(vcpu, MSR_IA32_CR_PAT, 0x02);	/* type 2 */
	expect_stop_at_second(vcpu, MSR_FS_BASE, 0x8000000000000000ULL);
	expect_stop_at_second(vcpu, MSR_EFER, vcpu_get_msr(vcpu, MSR_EFER) | 2);
	TEST_ASSERT_EQ(__vcpu_ioctl(vcpu, KVM_GET_MSRS, &get), 1);
	TEST_ASSERT_EQ(get.e[0].data, 0x0023001000000001ULL);
	TEST_ASSERT_EQ(get.e[2].data, 0x5555);		/* not read */

	m = allocate_kvm_msrs(KVM_MAX_IO_MSRS);
	for (i = 0; i < KVM_MAX_IO_MSRS; i++)
		m->entries[i].index = MSR_STAR;
	TEST_ASSERT_EQ(__vcpu_ioctl(vcpu, KVM_GET_MSRS, m), -1);
	TEST_ASSERT_EQ(errno, E2BIG);
	m->nmsrs = KVM_MAX_IO_MSRS - 1;
	TEST_ASSERT_EQ(__vcpu_ioctl(vcpu, KVM_GET_MSRS, m), KVM_MAX_IO_MSRS - 1);
	m->nmsrs = 0;
	TEST_ASSERT_EQ(__vcpu_ioctl(vcpu, KVM_SET_MSRS, m), 0);
	TEST_ASSERT_EQ(__vcpu_ioctl(vcpu, KVM_GET_MSRS, NULL), -1);
	TEST_ASSERT_EQ(errno, EFAULT);
	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(m, &(struct kvm_msrs){ .nmsrs = 1 }, sizeof(*m));
	TEST_ASSERT_EQ(__vcpu_ioctl(vcpu, KVM_SET_MSRS, unmapped), -1);
	TEST_ASSERT_EQ(errno, EFAULT);
	kvm_vm_free(vm);
	free(m);
}

/* The host may set EFER.LME without LM in the guest's CPUID. */
static void host_may_write(void)
{
	struct kvm_cpuid2 *c = kvm_cpuid2_dup(kvm_get_supported_cpuid());
	struct kvm_cpuid_entry2 *e = cpuid_entry_find(c, 0x80000001, 0);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, NULL);
	uint64_t efer;

	TEST_REQUIRE(e);
	e->edx &= ~(1u << 29);
	vcpu_set_cpuid(vcpu, c);
	efer = vcpu_get_msr(vcpu, MSR_EFER);
	TEST_ASSERT(efer & EFER_LME, "long-mode vCPU without EFER.LME");
	vcpu_set_msr(vcpu, MSR_EFER, efer);
	vcpu_set_msr(vcpu, MSR_EFER, efer | EFER_SCE);
	TEST_ASSERT_EQ(vcpu_get_msr(vcpu, MSR_EFER), efer | EFER_SCE);
	kvm_vm_free(vm);
	free(c);
}

/*
 * The microcode MSRs as a guest kernel uses them: IA32_UCODE_REV reads
 * what the host set (KVM's default first: 0x100000000 on Intel, 0x01000065
 * on AMD), and the guest's
 * write of 0 (before CPUID, to have the CPU fill it in) changes nothing;
 * an update through IA32_UCODE_WRITE is accepted and does nothing.  HWCR
 * reads 0 and takes 0 back.
 */
static uint64_t ucode_rev_default;	/* set by the host */

static void guest_microcode(void)
{
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_UCODE_REV), ucode_rev_default);
	GUEST_SYNC(1);
	wrmsr(MSR_IA32_UCODE_REV, 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_UCODE_REV), 0x4200000000ULL);
	wrmsr(MSR_IA32_UCODE_WRITE, 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_UCODE_REV), 0x4200000000ULL);
	GUEST_ASSERT_EQ(rdmsr(MSR_K7_HWCR), 0);
	wrmsr(MSR_K7_HWCR, 0);
	GUEST_DONE();
}

static void microcode(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_microcode);

	/* KVM's defaults: svm.c __svm_vcpu_reset(), vmx.c vmx_vcpu_create(). */
	ucode_rev_default = host_cpu_is_amd() ? 0x01000065 : 0x100000000ULL;
	sync_global_to_guest(vm, ucode_rev_default);
	TEST_ASSERT_EQ(vcpu_get_msr(vcpu, MSR_IA32_UCODE_REV), ucode_rev_default);
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_set_msr(vcpu, MSR_IA32_UCODE_REV, 0x4200000000ULL);
	vcpu_run_expect_done(vcpu);
	TEST_ASSERT_EQ(vcpu_get_msr(vcpu, MSR_IA32_UCODE_REV), 0x4200000000ULL);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(index_list),
	KVM_TEST(roundtrip_all),
	KVM_TEST(host_guest_values),
	KVM_TEST(partial_counts),
	KVM_TEST(host_may_write),
	KVM_TEST(microcode),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
