// SPDX-License-Identifier: GPL-2.0-only
/*
 * guest_modes_test - a vCPU runs in each x86 operating mode set up only
 * through KVM_SET_SREGS/KVM_SET_REGS (x86_modes.c): real mode, 16- and
 * 32-bit protected mode, 32-bit paging, PAE paging and long mode.
 *
 * The same bytes run in every mode:
 *	0f 20 c0	mov %cr0, %eax	(%rax in 64-bit mode)
 *	e7 10		out %ax/%eax, $0x10	(operand size from the CS default)
 *	0f 20 e0	mov %cr4, %eax
 *	e7 12		out %ax/%eax, $0x12
 *	f4		hlt
 * so each exit shows the code segment's default operand size (2 bytes in
 * 16-bit code, 4 otherwise) and the CR0/CR4 the guest sees, then HLT
 * exits with KVM_EXIT_HLT and the special registers read back as set.
 */
#include <string.h>

#include "minikvm/kvm_util.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"
#include "minikvm/x86_vm.h"

#define CODE_GPA	0x8000
#define PORT_CR0	0x10
#define PORT_CR4	0x12

static const uint8_t mode_code[] = {
	0x0f, 0x20, 0xc0,	/* mov %cr0, %eax */
	0xe7, PORT_CR0,		/* out %eax, $0x10 */
	0x0f, 0x20, 0xe0,	/* mov %cr4, %eax */
	0xe7, PORT_CR4,		/* out %eax, $0x12 */
	0xf4,			/* hlt */
};

/* Checks one OUT exit: @port, the mode's operand size, data = @want. */
static void expect_out(struct kvm_vcpu *vcpu, uint16_t port, unsigned int size,
		       uint64_t want)
{
	struct kvm_run *run = vcpu->run;
	uint32_t data = 0;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(run->io.direction, KVM_EXIT_IO_OUT);
	TEST_ASSERT_EQ(run->io.port, port);
	TEST_ASSERT_EQ(run->io.size, size);
	TEST_ASSERT_EQ(run->io.count, 1);
	memcpy(&data, vcpu_io_data(vcpu), size);
	TEST_ASSERT_EQ(data, want & (size == 2 ? 0xffff : 0xffffffff));
}

static void run_mode(enum x86_guest_mode mode)
{
	unsigned int size = mode <= X86_MODE_PROT16 ? 2 : 4;
	struct kvm_sregs before, after;
	struct kvm_vcpu *vcpu;
	struct kvm_regs regs;
	struct kvm_vm *vm;

	vm = vm_create_with_code(&vcpu, mode, CODE_GPA, mode_code,
				 sizeof(mode_code));
	vcpu_sregs_get(vcpu, &before);
	ksft_print_msg("%s: cr0 0x%llx cr4 0x%llx efer 0x%llx cs.db %u cs.l %u\n",
		       x86_guest_mode_name(mode), before.cr0, before.cr4,
		       before.efer, before.cs.db, before.cs.l);

	/* CR0.ET is hardwired to 1; the rest is what KVM_SET_SREGS set. */
	expect_out(vcpu, PORT_CR0, size, before.cr0 | X86_CR0_ET);
	expect_out(vcpu, PORT_CR4, size, before.cr4);
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_HLT);

	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT_EQ(regs.rip, CODE_GPA + sizeof(mode_code));
	vcpu_sregs_get(vcpu, &after);
	TEST_ASSERT_EQ(after.cr0, before.cr0);
	TEST_ASSERT_EQ(after.cr3, before.cr3);
	TEST_ASSERT_EQ(after.cr4, before.cr4);
	TEST_ASSERT_EQ(after.efer, before.efer);
	TEST_ASSERT_EQ(after.cs.selector, before.cs.selector);
	TEST_ASSERT_EQ(after.cs.l, before.cs.l);
	TEST_ASSERT_EQ(after.cs.db, before.cs.db);
	kvm_vm_free(vm);
}

static void real_mode(void)
{
	run_mode(X86_MODE_REAL);
}

static void prot16_mode(void)
{
	run_mode(X86_MODE_PROT16);
}

static void prot32_mode(void)
{
	run_mode(X86_MODE_PROT32);
}

static void paging32_mode(void)
{
	run_mode(X86_MODE_PAGING32);
}

static void pae_mode(void)
{
	run_mode(X86_MODE_PAE);
}

static void long_mode(void)
{
	run_mode(X86_MODE_LONG);
}

static const struct kvm_test tests[] = {
	KVM_TEST(real_mode),
	KVM_TEST(prot16_mode),
	KVM_TEST(prot32_mode),
	KVM_TEST(paging32_mode),
	KVM_TEST(pae_mode),
	KVM_TEST(long_mode),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
