// SPDX-License-Identifier: GPL-2.0-only
/*
 * regs_test - KVM_GET_REGS / KVM_SET_REGS: the general registers of a new
 * vCPU are those of an x86 processor after RESET as KVM reports them, and
 * what is set is read back, with RFLAGS bit 1 forced on (arch/x86/kvm/x86.c
 * kvm_vcpu_reset(), __set_regs(), __get_regs()).
 *
 * KVM 6.1 RESET state: every GPR 0 except RDX = 0x600 (family 6, KVM's
 * default when no CPUID is set), RIP = 0xfff0, RFLAGS = 0x2.
 */
#include <string.h>

#include "minikvm/kvm_util.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"

#define RESET_RDX	0x600ULL	/* family/model/stepping without CPUID */
#define RESET_RIP	0xfff0ULL
#define RESET_RFLAGS	X86_EFLAGS_FIXED

/* Asserts that @got equals @want, dumping both if not. */
static void expect_regs(const struct kvm_regs *got, const struct kvm_regs *want)
{
	if (!memcmp(got, want, sizeof(*got)))
		return;
	ksft_print_msg("got:\n");
	x86_regs_dump(stdout, got, "#   ");
	ksft_print_msg("expected:\n");
	x86_regs_dump(stdout, want, "#   ");
	TEST_FAIL("registers differ");
}

static void expect_reset_regs(struct kvm_vcpu *vcpu)
{
	struct kvm_regs want = { .rdx = RESET_RDX, .rip = RESET_RIP,
				 .rflags = RESET_RFLAGS };
	struct kvm_regs got;

	memset(&got, 0xa5, sizeof(got));	/* every byte must be written */
	vcpu_regs_get(vcpu, &got);
	expect_regs(&got, &want);
}

static void reset_state(void)
{
	struct kvm_vm *vm = vm_create();

	expect_reset_regs(vm_vcpu_add(vm, 0));
	kvm_vm_free(vm);
}

/* Application processors start the same way (INIT-SIPI comes later). */
static void reset_state_other_ids(void)
{
	struct kvm_vm *vm = vm_create();
	int max_id = vm_check_cap(vm, KVM_CAP_MAX_VCPU_ID);

	TEST_REQUIRE(vm_check_cap(vm, KVM_CAP_MAX_VCPUS) >= 2);
	expect_reset_regs(vm_vcpu_add(vm, 1));
	expect_reset_regs(vm_vcpu_add(vm, max_id - 1));
	kvm_vm_free(vm);
}

/* Fills every register with a distinct pattern. */
static void pattern_regs(struct kvm_regs *r, uint64_t seed)
{
	uint64_t *words = (uint64_t *)r;
	size_t i;

	for (i = 0; i < sizeof(*r) / sizeof(uint64_t); i++)
		words[i] = seed * 0x0101010101010101ULL + i;
	r->rflags = X86_EFLAGS_FIXED | X86_EFLAGS_IF | X86_EFLAGS_ZF |
		    X86_EFLAGS_PF;
	r->rip = 0xffffffff81000000ULL + seed;
}

static void roundtrip(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, 0);
	struct kvm_regs set, got;

	pattern_regs(&set, 0x11);
	vcpu_regs_set(vcpu, &set);
	vcpu_regs_get(vcpu, &got);
	expect_regs(&got, &set);
	/* A second set replaces every register. */
	pattern_regs(&set, 0x77);
	vcpu_regs_set(vcpu, &set);
	vcpu_regs_get(vcpu, &got);
	expect_regs(&got, &set);
	kvm_vm_free(vm);
}

/* RFLAGS bit 1 always reads as 1: KVM ORs it in on every set. */
static void rflags_fixed_bit(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, 0);
	struct kvm_regs regs;

	vcpu_regs_get(vcpu, &regs);
	regs.rflags = 0;
	vcpu_regs_set(vcpu, &regs);
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT_EQ(regs.rflags, X86_EFLAGS_FIXED);

	regs.rflags = X86_EFLAGS_CF | X86_EFLAGS_DF | X86_EFLAGS_OF;
	vcpu_regs_set(vcpu, &regs);
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT_EQ(regs.rflags, X86_EFLAGS_FIXED | X86_EFLAGS_CF |
				    X86_EFLAGS_DF | X86_EFLAGS_OF);
	kvm_vm_free(vm);
}

/* KVM_SET_REGS touches neither the special registers nor other vCPUs. */
static void set_is_local(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *a, *b;
	struct kvm_sregs sregs_before, sregs_after;
	struct kvm_regs regs;

	TEST_REQUIRE(vm_check_cap(vm, KVM_CAP_MAX_VCPUS) >= 2);
	a = vm_vcpu_add(vm, 0);
	b = vm_vcpu_add(vm, 1);
	vcpu_sregs_get(a, &sregs_before);
	pattern_regs(&regs, 0x33);
	vcpu_regs_set(a, &regs);
	vcpu_sregs_get(a, &sregs_after);
	TEST_ASSERT(!memcmp(&sregs_before, &sregs_after, sizeof(sregs_before)),
		    "KVM_SET_REGS changed the special registers");
	expect_reset_regs(b);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(reset_state),
	KVM_TEST(reset_state_other_ids),
	KVM_TEST(roundtrip),
	KVM_TEST(rflags_fixed_bit),
	KVM_TEST(set_is_local),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
