// SPDX-License-Identifier: GPL-2.0-only
/*
 * fpu_test - the guest's SSE and x87 state survives exits to userspace
 * while the host thread uses the same registers (arch/x86/kvm/x86.c
 * kvm_load_guest_fpu()/kvm_put_guest_fpu(): guest and user FPU state are
 * swapped around each entry).
 *
 * The guest loads XMM0-15, MXCSR and two x87 stack registers, exits with
 * a bare OUT inside the same asm statement (so that no compiled code can
 * touch the registers in between), and stores them back after the host
 * has overwritten its own copies of all of them.  AVX, XSAVE and the
 * FPU ioctls are xsave_test's (KVM needs KVM_SET_CPUID2 for them).
 */
#include <string.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define FPU_PORT	0x90
#define NR_XMM		16
#define GUEST_MXCSR	0x7f80	/* all exceptions masked, round toward zero */

struct fpu_image {
	uint8_t xmm[NR_XMM][16];
	uint32_t mxcsr;
	double st0, st1;
};

static struct fpu_image guest_in, guest_out;

#define XMM_LOAD(n)  "movdqu " #n "*16(%0), %%xmm" #n "\n\t"
#define XMM_STORE(n) "movdqu %%xmm" #n ", " #n "*16(%1)\n\t"
#define ALL_XMM(op)							\
	op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7)			\
	op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15)
#define XMM_CLOBBERS							\
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",	\
	"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

static void guest_fpu(void)
{
	int i, j;

	for (i = 0; i < NR_XMM; i++)
		for (j = 0; j < 16; j++)
			guest_in.xmm[i][j] = 0x10 * i + j;
	guest_in.mxcsr = GUEST_MXCSR;

	asm volatile(ALL_XMM(XMM_LOAD)
		     "ldmxcsr %c[mx](%0)\n\t"
		     "fninit\n\t"
		     "fld1\n\t"
		     "fldpi\n\t"
		     "outb %%al, %[port]\n\t"
		     ALL_XMM(XMM_STORE)
		     "stmxcsr %c[mx](%1)\n\t"
		     "fstpl %c[st0](%1)\n\t"
		     "fstpl %c[st1](%1)\n\t"
		     : : "r"(&guest_in), "r"(&guest_out), "a"(0),
		       [port] "i"(FPU_PORT),
		       [mx] "i"(offsetof(struct fpu_image, mxcsr)),
		       [st0] "i"(offsetof(struct fpu_image, st0)),
		       [st1] "i"(offsetof(struct fpu_image, st1))
		     : "memory", XMM_CLOBBERS);

	for (i = 0; i < NR_XMM; i++)
		for (j = 0; j < 16; j++)
			GUEST_ASSERT_EQ(guest_out.xmm[i][j], 0x10 * i + j);
	GUEST_ASSERT_EQ(guest_out.mxcsr, GUEST_MXCSR);
	GUEST_ASSERT(guest_out.st0 > 3.14159 && guest_out.st0 < 3.1416);
	GUEST_ASSERT(guest_out.st1 == 1.0);
	GUEST_DONE();
}

/* Overwrites every register the guest used, in the host thread. */
static void host_clobber_fpu(void)
{
	static uint8_t junk[NR_XMM][16];
	uint32_t mxcsr = 0x1f80 | 0x2000;	/* round down */
	uint32_t saved;

	memset(junk, 0xee, sizeof(junk));
	asm volatile("stmxcsr %0" : "=m"(saved));
	asm volatile(ALL_XMM(XMM_LOAD) "ldmxcsr (%1)\n\t"
		     "fninit\n\tfldz\n\tfldz\n\tfldz\n\t"
		     : : "r"(junk), "r"(&mxcsr), "r"(0) : "memory", XMM_CLOBBERS);
	asm volatile("fninit\n\tldmxcsr %0" : : "m"(saved));
}

static void sse_x87_survive_exits(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_fpu);
	struct ucall uc;

	vcpu_run(vcpu);
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(vcpu, uc);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(vcpu->run->io.port, FPU_PORT);
	host_clobber_fpu();
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(sse_x87_survive_exits),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
