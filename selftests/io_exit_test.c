// SPDX-License-Identifier: GPL-2.0-only
/*
 * io_exit_test - port I/O exits (KVM_EXIT_IO) from long-mode guest code:
 *
 *  - OUT of 1, 2 and 4 bytes: port, direction, size, count 1, the data at
 *    kvm_run + data_offset (KVM: the second page of the vCPU mapping,
 *    KVM_PIO_PAGE_OFFSET), RIP past the instruction on the next entry;
 *  - IN of 1, 2 and 4 bytes: what the host writes at data_offset lands in
 *    AL/AX/EAX on the next KVM_RUN; IN AL/AX keep the rest of RAX, IN EAX
 *    zero-extends (SDM Vol. 1, 3.4.1.1 "General-Purpose Registers in
 *    64-Bit Mode");
 *  - REP OUTS and REP INS: the elements arrive in one or more exits whose
 *    count says how many, data back to back at data_offset
 *    (arch/x86/kvm/x86.c emulator_pio_in_out()).  KVM 6.1 on SVM, as seen
 *    on the svm test machine: REP OUTS exits once per element (count 1),
 *    REP INS once for all 24 (the emulator reads ahead into its PIO
 *    cache); data_offset is always 0x1000.  Either is accepted here.
 */
#include <string.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define PORT_B		0x40
#define PORT_W		0x42
#define PORT_L		0x44
#define PORT_S		0x46	/* string I/O */
#define STR_LEN		24	/* bytes moved by each string instruction */

static void guest_out(void)
{
	outb(PORT_B, 0x11);
	outw(PORT_W, 0x2233);
	outl(PORT_L, 0x44556677);
	GUEST_DONE();
}

/* Runs to the next exit and checks it is an I/O exit as described;
 * returns the data. */
static void *expect_io(struct kvm_vcpu *vcpu, uint8_t dir, uint16_t port,
		       uint8_t size)
{
	struct kvm_run *run = vcpu->run;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(run->io.direction, dir);
	TEST_ASSERT_EQ(run->io.port, port);
	TEST_ASSERT_EQ(run->io.size, size);
	TEST_ASSERT_EQ(run->io.count, 1);
	TEST_ASSERT(run->io.data_offset >= sizeof(*run) &&
		    run->io.data_offset + size <= vcpu->run_size,
		    "data_offset 0x%llx outside the vCPU mapping of 0x%zx",
		    (unsigned long long)run->io.data_offset, vcpu->run_size);
	return vcpu_io_data(vcpu);
}

static void out_sizes(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_out);
	uint32_t v = 0;

	memcpy(&v, expect_io(vcpu, KVM_EXIT_IO_OUT, PORT_B, 1), 1);
	TEST_ASSERT_EQ(v, 0x11);
	ksft_print_msg("OUT: data_offset 0x%llx\n",
		       (unsigned long long)vcpu->run->io.data_offset);
	memcpy(&v, expect_io(vcpu, KVM_EXIT_IO_OUT, PORT_W, 2), 2);
	TEST_ASSERT_EQ(v, 0x2233);
	memcpy(&v, expect_io(vcpu, KVM_EXIT_IO_OUT, PORT_L, 4), 4);
	TEST_ASSERT_EQ(v, 0x44556677);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

#define RAX_FILL	0xa5a5a5a5a5a5a5a5ULL

static void guest_in(void)
{
	uint64_t rax;

	rax = RAX_FILL;
	asm volatile("inb %%dx, %%al" : "+a"(rax) : "d"(PORT_B));
	GUEST_ASSERT_EQ(rax, (RAX_FILL & ~0xffULL) | 0x81);
	rax = RAX_FILL;
	asm volatile("inw %%dx, %%ax" : "+a"(rax) : "d"(PORT_W));
	GUEST_ASSERT_EQ(rax, (RAX_FILL & ~0xffffULL) | 0x8283);
	rax = RAX_FILL;
	asm volatile("inl %%dx, %%eax" : "+a"(rax) : "d"(PORT_L));
	GUEST_ASSERT_EQ(rax, 0x84858687);
	GUEST_DONE();
}

static void in_sizes(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_in);

	memcpy(expect_io(vcpu, KVM_EXIT_IO_IN, PORT_B, 1), "\x81", 1);
	ksft_print_msg("IN: data_offset 0x%llx\n",
		       (unsigned long long)vcpu->run->io.data_offset);
	memcpy(expect_io(vcpu, KVM_EXIT_IO_IN, PORT_W, 2), "\x83\x82", 2);
	memcpy(expect_io(vcpu, KVM_EXIT_IO_IN, PORT_L, 4), "\x87\x86\x85\x84", 4);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static uint8_t guest_buf[STR_LEN] __attribute__((aligned(16)));

static void guest_outs(int size)
{
	const uint8_t *src = guest_buf;
	uint64_t count = STR_LEN / size;
	int i;

	for (i = 0; i < STR_LEN; i++)
		guest_buf[i] = 0x30 + i;
	if (size == 1)
		asm volatile("rep outsb" : "+S"(src), "+c"(count) : "d"(PORT_S) : "memory");
	else if (size == 2)
		asm volatile("rep outsw" : "+S"(src), "+c"(count) : "d"(PORT_S) : "memory");
	else
		asm volatile("rep outsl" : "+S"(src), "+c"(count) : "d"(PORT_S) : "memory");
	GUEST_ASSERT_EQ(count, 0);
	GUEST_ASSERT_EQ(src, guest_buf + STR_LEN);
	GUEST_DONE();
}

static void guest_ins(int size)
{
	uint8_t *dst = guest_buf;
	uint64_t count = STR_LEN / size;
	int i;

	if (size == 1)
		asm volatile("rep insb" : "+D"(dst), "+c"(count) : "d"(PORT_S) : "memory");
	else if (size == 2)
		asm volatile("rep insw" : "+D"(dst), "+c"(count) : "d"(PORT_S) : "memory");
	else
		asm volatile("rep insl" : "+D"(dst), "+c"(count) : "d"(PORT_S) : "memory");
	GUEST_ASSERT_EQ(count, 0);
	GUEST_ASSERT_EQ(dst, guest_buf + STR_LEN);
	for (i = 0; i < STR_LEN; i++)
		GUEST_ASSERT_EQ(guest_buf[i], 0x60 + i);
	GUEST_DONE();
}

/* Serves string I/O exits of @size until the guest is done; returns the
 * number of exits it took. */
static unsigned int serve_string_io(struct kvm_vcpu *vcpu, uint8_t dir,
				    uint8_t size)
{
	struct kvm_run *run = vcpu->run;
	unsigned int done = 0, exits = 0;
	struct ucall uc;

	for (;;) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		if (run->io.port == UCALL_PORT) {
			if (get_ucall(vcpu, &uc) == UCALL_ABORT)
				REPORT_GUEST_ASSERT(vcpu, uc);
			TEST_ASSERT_EQ(uc.cmd, UCALL_DONE);
			break;
		}
		TEST_ASSERT_EQ(run->io.port, PORT_S);
		TEST_ASSERT_EQ(run->io.direction, dir);
		TEST_ASSERT_EQ(run->io.size, size);
		TEST_ASSERT(run->io.count >= 1 &&
			    done + run->io.count * size <= STR_LEN &&
			    run->io.data_offset + run->io.count * size <=
			    vcpu->run_size, "count %u after %u bytes",
			    run->io.count, done);
		if (!exits)
			ksft_print_msg("%s size %u: first exit count %u data_offset 0x%llx\n",
				       dir == KVM_EXIT_IO_OUT ? "rep outs" : "rep ins",
				       size, run->io.count,
				       (unsigned long long)run->io.data_offset);
		for (unsigned int i = 0; i < run->io.count * size; i++, done++) {
			uint8_t *p = (uint8_t *)vcpu_io_data(vcpu) + i;

			if (dir == KVM_EXIT_IO_OUT)
				TEST_ASSERT_EQ(*p, 0x30 + done);
			else
				*p = 0x60 + done;
		}
		exits++;
	}
	TEST_ASSERT_EQ(done, STR_LEN);
	return exits;
}

static void string_io(uint8_t dir, int size)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	unsigned int exits;

	vm = vm_create_with_one_vcpu(&vcpu, dir == KVM_EXIT_IO_OUT ?
				     (void *)guest_outs : (void *)guest_ins);
	vcpu_args_set(vcpu, 1, (uint64_t)size);
	exits = serve_string_io(vcpu, dir, size);
	ksft_print_msg("  %u exits for %u elements\n", exits, STR_LEN / size);
	kvm_vm_free(vm);
}

static void rep_outs(void)
{
	string_io(KVM_EXIT_IO_OUT, 1);
	string_io(KVM_EXIT_IO_OUT, 2);
	string_io(KVM_EXIT_IO_OUT, 4);
}

static void rep_ins(void)
{
	string_io(KVM_EXIT_IO_IN, 1);
	string_io(KVM_EXIT_IO_IN, 2);
	string_io(KVM_EXIT_IO_IN, 4);
}

static const struct kvm_test tests[] = {
	KVM_TEST(out_sizes),
	KVM_TEST(in_sizes),
	KVM_TEST(rep_outs),
	KVM_TEST(rep_ins),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
