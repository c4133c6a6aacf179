// SPDX-License-Identifier: GPL-2.0-only
/*
 * apic_test - the in-kernel local APIC of KVM_CREATE_IRQCHIP, KVM's model
 * (lapic.c, Intel SDM Vol. 3A, "Advanced Programmable Interrupt Controller
 * (APIC)"):
 *
 *	errors		KVM_GET/SET_LAPIC without an irqchip: EINVAL (KVM
 *			6.1's errno); KVM_INTERRUPT with one: ENXIO;
 *			KVM_CREATE_IRQCHIP twice: EEXIST, after a vCPU: EINVAL
 *	regs		xAPIC MMIO and x2APIC MSR reads of the same registers
 *			agree (ID, version, LVTs, SVR, TPR); #GP for an x2APIC
 *			MSR in xAPIC mode and for DFR in x2APIC mode; the
 *			MMIO page reads all ones in x2APIC mode
 *	self_ipi	ICR self shorthand and x2APIC SELF IPI: the handler
 *			runs once, ISR set in it, clear after EOI; TPR/PPR
 *	if_shadow	an IPI sent with IF=0 comes right after STI's shadow
 *	ipi		vCPU 0 sends to vCPU 1 (two threads), which sleeps in
 *			HLT: fixed by physical ID, by flat logical ID, lowest
 *			priority by logical ID, then an NMI (HLT with IF=0)
 *	timer		one-shot, periodic (several ticks), TSC-deadline
 *			(skipped without KVM_CAP_TSC_DEADLINE_TIMER), each
 *			waking HLT
 *	get_set		KVM_GET/SET_LAPIC round trip
 *	cr8		CR8 is TPR[7:4] both ways, holds back an interrupt
 *			until lowered, and is KVM_GET/SET_SREGS' view of TPR
 *	halt_signal	HLT with IF=0 sleeps in the kernel; a signal ends
 *			KVM_RUN with EINTR / KVM_EXIT_INTR, the next KVM_RUN
 *			sleeps on, and KVM_NMI wakes the guest
 *	broadcast	an all-including-self fixed IPI runs the handler of
 *			each of two vCPUs exactly once (vCPU 1 in HLT)
 *	esr		as KVM 6.1, no error reaches ESR (send illegal vector,
 *			illegal register address) and the unmasked LVT error
 *			entry never fires; the illegal vector sits in IRR
 *			(ICR and x2APIC SELF IPI); an ESR write does not
 *			clear what KVM_SET_LAPIC put there; x2APIC ESR: 0
 *			only, else #GP
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "minikvm/apic.h"
#include "minikvm/kvm_util.h"
#include "minikvm/msr_index.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_cpuid.h"
#include "minikvm/x86_vm.h"

#define VEC_IPI		0x61
#define VEC_HIGH	0x81
#define VEC_TIMER	0x62

static volatile uint64_t irq_count, irq_vector, irq_rip, isr_in_handler;
static volatile uint64_t ppr_in_handler, gp_count;
static uint64_t tsc_khz_guest;

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline bool x2apic_on(void)
{
	return rdmsr(MSR_IA32_APICBASE) & APIC_BASE_EXTD;
}

static void eoi(void)
{
	if (x2apic_on())
		wrmsr(X2APIC_MSR(APIC_EOI), 0);
	else
		apic_write(APIC_EOI, 0);
}

static uint32_t isr_bit(uint8_t v)
{
	uint32_t off = APIC_ISR + (v / 32) * 16;
	uint32_t w = x2apic_on() ? rdmsr(X2APIC_MSR(off)) : apic_read(off);

	return (w >> (v % 32)) & 1;
}

static void guest_irq_handler(struct ex_regs *regs)
{
	irq_count++;
	irq_vector = regs->vector;
	irq_rip = regs->rip;
	isr_in_handler = isr_bit(regs->vector);
	ppr_in_handler = x2apic_on() ? rdmsr(X2APIC_MSR(APIC_PPR)) :
				       apic_read(APIC_PPR);
	eoi();
}

/* #GP from RDMSR/WRMSR (two bytes, 0F 32 / 0F 30): counted, skipped. */
static void guest_gp_handler(struct ex_regs *regs)
{
	gp_count++;
	regs->rip += 2;
}

static void sti_hlt_cli(void)
{
	asm volatile("sti; hlt; cli" : : : "memory");
}

/* A VM with an irqchip, then @n vCPUs running @code, x2APIC in CPUID. */
static struct kvm_vm *create_apic_vm(struct kvm_vcpu **vcpus, int n,
				     void *code)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_cpuid2 *cpuid;
	struct kvm_cpuid_entry2 *e;
	int i;

	vm_userspace_mem_region_add(vm, 0, 0, 0, GUEST_MEM_SIZE);
	kvm_vm_elf_load(vm, "/proc/self/exe");
	vm_init_long_mode(vm);
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0);
	cpuid = kvm_cpuid2_dup(kvm_get_supported_cpuid());
	e = cpuid_entry_find(cpuid, 1, 0);
	TEST_ASSERT(e, "no CPUID leaf 1");
	e->ecx |= 1U << 21;	/* x2APIC */
	if (kvm_check_cap(KVM_CAP_TSC_DEADLINE_TIMER))
		e->ecx |= 1U << 24;
	for (i = 0; i < n; i++) {
		vcpus[i] = vm_vcpu_add_long_mode(vm, i, code);
		vcpu_set_cpuid(vcpus[i], cpuid);
	}
	free(cpuid);
	vm_install_exception_handler(vm, VEC_IPI, guest_irq_handler);
	vm_install_exception_handler(vm, VEC_HIGH, guest_irq_handler);
	vm_install_exception_handler(vm, VEC_TIMER, guest_irq_handler);
	vm_install_exception_handler(vm, 13, guest_gp_handler);
	virt_pg_map_flags(vm, APIC_GPA, APIC_GPA, PTE_RW);
	return vm;
}

/* --- errors --- */

static void errors(void)
{
	struct kvm_lapic_state st;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create();

	vcpu = vm_vcpu_add(vm, 0);
	TEST_ASSERT_ERRNO(__vcpu_ioctl(vcpu, KVM_GET_LAPIC, &st), EINVAL,
			  "KVM_GET_LAPIC without irqchip");
	TEST_ASSERT_ERRNO(__vcpu_ioctl(vcpu, KVM_SET_LAPIC, &st), EINVAL,
			  "KVM_SET_LAPIC without irqchip");
	TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0), EINVAL,
			  "KVM_CREATE_IRQCHIP after a vCPU");
	kvm_vm_free(vm);

	vm = vm_create();
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0);
	TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0), EEXIST,
			  "KVM_CREATE_IRQCHIP twice");
	vcpu = vm_vcpu_add(vm, 0);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &st);
	TEST_ASSERT_EQ(*(uint32_t *)(st.regs + APIC_LVR) & 0xff, 0x14);
	{
		struct kvm_interrupt irq = { .irq = 0x40 };

		TEST_ASSERT_ERRNO(__vcpu_ioctl(vcpu, KVM_INTERRUPT, &irq),
				  ENXIO, "KVM_INTERRUPT with irqchip");
	}
	kvm_vm_free(vm);
}

/* --- regs --- */

static const uint32_t same_regs[] = {
	APIC_LVR, APIC_TPR, APIC_SVR, APIC_LVTT, APIC_LVT0, APIC_LVT1,
	APIC_LVTERR, APIC_TDCR,
};

static void guest_regs(void)
{
	uint32_t x[ARRAY_SIZE(same_regs)];
	unsigned int i;

	/* xAPIC: x2APIC MSRs #GP. */
	rdmsr(X2APIC_MSR(APIC_LVR));
	GUEST_ASSERT_EQ(gp_count, 1);
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TPR, 0x20);
	apic_write(APIC_TDCR, 0x3);
	apic_write(APIC_LVTT, VEC_TIMER | LVT_MASKED);
	GUEST_ASSERT_EQ(apic_read(APIC_ID) >> 24, 0);
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0x20);
	GUEST_ASSERT_EQ(apic_read(APIC_PPR), 0x20);
	for (i = 0; i < ARRAY_SIZE(same_regs); i++)
		x[i] = apic_read(same_regs[i]);
	GUEST_SYNC(x[0]);

	wrmsr(MSR_IA32_APICBASE, rdmsr(MSR_IA32_APICBASE) | APIC_BASE_EXTD);
	GUEST_ASSERT(x2apic_on());
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_ID)), 0);
	/* The MMIO page is a hole in x2APIC mode: all ones, writes dropped. */
	GUEST_ASSERT_EQ(apic_read(APIC_LVR), 0xffffffff);
	apic_write(APIC_TPR, 0x90);
	for (i = 0; i < ARRAY_SIZE(same_regs); i++)
		GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(same_regs[i])), x[i]);
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_PPR)), 0x20);
	/* LDR of x2APIC ID 0: cluster 0, bit 0. */
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(0xd0)), 1);
	/* DFR and ICR2 are xAPIC only. */
	rdmsr(X2APIC_MSR(0xe0));
	GUEST_ASSERT_EQ(gp_count, 2);
	rdmsr(X2APIC_MSR(APIC_ICR2));
	GUEST_ASSERT_EQ(gp_count, 3);
	/* x2APIC -> xAPIC is not a legal transition. */
	wrmsr(MSR_IA32_APICBASE, rdmsr(MSR_IA32_APICBASE) & ~APIC_BASE_EXTD);
	GUEST_ASSERT_EQ(gp_count, 4);
	GUEST_DONE();
}

static void regs(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_apic_vm(&vcpu, 1, guest_regs);
	struct ucall uc;

	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[1] & 0xff, 0x14);
	ksft_print_msg("APIC version %#llx\n", (unsigned long long)uc.args[1]);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- self_ipi --- */

static void guest_self_ipi(void)
{
	apic_write(APIC_SVR, 0x1ff);
	asm volatile("sti");
	apic_write(APIC_ICR, ICR_SELF | VEC_IPI);
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, VEC_IPI);
	GUEST_ASSERT_EQ(isr_in_handler, 1);
	GUEST_ASSERT_EQ(isr_bit(VEC_IPI), 0);
	GUEST_ASSERT_EQ(apic_read(APIC_PPR), 0);
	/*
	 * TPR 0x30: in the handler of 0x81, PPR is 0x80.  (Only the class:
	 * KVM on SVM keeps TPR[7:4] in V_TPR and loses bits 3:0 at an exit.)
	 */
	apic_write(APIC_TPR, 0x30);
	GUEST_ASSERT_EQ(apic_read(APIC_PPR), 0x30);
	apic_write(APIC_ICR, ICR_SELF | VEC_HIGH);
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 2);
	GUEST_ASSERT_EQ(ppr_in_handler, 0x80);
	/* TPR 0x70 holds back 0x61 (class 6) until TPR drops. */
	apic_write(APIC_TPR, 0x70);
	apic_write(APIC_ICR, ICR_SELF | VEC_IPI);
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 2);
	GUEST_ASSERT((apic_read(APIC_IRR + 0x30) >> 1) & 1);
	apic_write(APIC_TPR, 0);
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 3);
	/* x2APIC SELF IPI. */
	wrmsr(MSR_IA32_APICBASE, rdmsr(MSR_IA32_APICBASE) | APIC_BASE_EXTD);
	wrmsr(X2APIC_SELF_IPI, VEC_IPI);
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 4);
	GUEST_ASSERT_EQ(isr_bit(VEC_IPI), 0);
	/* ICR self shorthand in x2APIC mode, one 64-bit MSR. */
	wrmsr(X2APIC_MSR(APIC_ICR), ICR_SELF | VEC_HIGH);
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 5);
	GUEST_ASSERT_EQ(irq_vector, VEC_HIGH);
	GUEST_DONE();
}

static void self_ipi(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_apic_vm(&vcpu, 1, guest_self_ipi);

	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- if_shadow --- */

static void guest_if_shadow(void)
{
	uint64_t at;

	apic_write(APIC_SVR, 0x1ff);
	asm volatile("cli");
	apic_write(APIC_ICR, ICR_SELF | VEC_IPI);
	/*
	 * An exit with IF=0 (the MMIO load), a few instructions, STI, its
	 * shadow (NOP), then 1:.  The guest resumes a few instructions
	 * before the STI: QEMU/TCG's SVM takes a VINTR in the shadow of an
	 * STI that is the very first instruction after VMRUN.
	 */
	asm volatile("mov %1, %%rbx\n\t"
		     "mov (%%rbx), %%ecx\n\t"
		     "xor %%eax, %%eax\n\t"
		     "inc %%eax\n\t"
		     "inc %%eax\n\t"
		     "sti\n\t"
		     "nop\n\t"
		     "1: nop\n\t"
		     "lea 1b(%%rip), %0\n\t"
		     "cli\n\t"
		     : "=r"(at) : "i"(APIC_GPA + APIC_LVR)
		     : "rax", "rbx", "rcx", "memory");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, VEC_IPI);
	GUEST_ASSERT_EQ(irq_rip, at);
	GUEST_DONE();
}

static void if_shadow(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_apic_vm(&vcpu, 1, guest_if_shadow);

	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- ipi --- */

static volatile uint64_t ap_ready, nmi_count;

static void guest_nmi_handler(struct ex_regs *regs __attribute__((unused)))
{
	nmi_count++;
}

/* vCPU 1: wait in HLT (IF=1) for interrupt @n, check its vector. */
static void ap_wait_irq(uint64_t n, uint64_t vector)
{
	ap_ready = n;
	while (irq_count < n)
		sti_hlt_cli();
	GUEST_ASSERT_EQ(irq_vector, vector);
}

/* vCPU 0: once vCPU 1 waits for interrupt @n, send @icr to @dest. */
static void bsp_send(uint64_t n, uint32_t dest, uint32_t icr)
{
	while (ap_ready != n)
		asm volatile("pause");
	/* Let vCPU 1 reach HLT first, most of the time. */
	for (int i = 0; i < 100000; i++)
		asm volatile("pause");
	apic_write(APIC_ICR2, dest << 24);
	apic_write(APIC_ICR, icr);
}

static void guest_ipi(uint64_t id)
{
	apic_write(APIC_SVR, 0x1ff);
	if (id == 1) {
		asm volatile("cli");
		apic_write(0xd0, 2U << 24);	/* LDR: logical ID 2, flat */
		ap_wait_irq(1, VEC_IPI);
		ap_wait_irq(2, VEC_HIGH);
		ap_wait_irq(3, VEC_TIMER);
		/* An NMI wakes HLT even with IF=0. */
		ap_ready = 4;
		while (!nmi_count)
			asm volatile("hlt");
		GUEST_ASSERT_EQ(irq_count, 3);
		GUEST_DONE();
	}
	bsp_send(1, 1, VEC_IPI);			/* physical ID 1 */
	bsp_send(2, 2, ICR_LOGICAL | VEC_HIGH);		/* logical, flat */
	bsp_send(3, 2, ICR_LOGICAL | ICR_LOWEST | VEC_TIMER);
	bsp_send(4, 1, ICR_NMI);
	GUEST_DONE();
}

static void *ipi_thread(void *arg)
{
	vcpu_run_expect_done(arg);
	return NULL;
}

/* Both vCPUs in threads of their own until their guests are done. */
static void run_both(struct kvm_vcpu **vcpus)
{
	pthread_t t[2];
	int i;

	for (i = 0; i < 2; i++)
		TEST_ASSERT(!pthread_create(&t[i], NULL, ipi_thread, vcpus[i]),
			    "pthread_create");
	for (i = 0; i < 2; i++)
		TEST_ASSERT(!pthread_join(t[i], NULL), "pthread_join");
}

static void ipi(void)
{
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm = create_apic_vm(vcpus, 2, guest_ipi);
	int i;

	vm_install_exception_handler(vm, 2, guest_nmi_handler);
	for (i = 0; i < 2; i++)
		vcpu_args_set(vcpus[i], 1, (uint64_t)i);
	/*
	 * With an in-kernel irqchip an AP starts in wait-for-SIPI
	 * (UNINITIALIZED); this test makes it runnable directly (INIT/SIPI:
	 * mp_test).
	 */
	{
		struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

		vcpu_ioctl(vcpus[1], KVM_SET_MP_STATE, &mp);
	}
	run_both(vcpus);
	kvm_vm_free(vm);
}

/* --- broadcast --- */

#define VEC_BCAST	0x71

static volatile uint64_t bcast_count[2];

static void guest_bcast_handler(struct ex_regs *regs __attribute__((unused)))
{
	bcast_count[(apic_read(APIC_ID) >> 24) & 1]++;
	apic_write(APIC_EOI, 0);
}

static void guest_broadcast(uint64_t id)
{
	apic_write(APIC_SVR, 0x1ff);
	if (id == 1) {
		asm volatile("cli");
		ap_ready = 1;
		while (!bcast_count[1])
			sti_hlt_cli();
		GUEST_DONE();
	}
	while (ap_ready != 1)
		asm volatile("pause");
	for (int i = 0; i < 100000; i++)
		asm volatile("pause");
	/* All including self: ours waits for IF, vCPU 1's wakes its HLT. */
	asm volatile("cli");
	apic_write(APIC_ICR, ICR_ALL | VEC_BCAST);
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(bcast_count[0], 1);
	while (!bcast_count[1])
		asm volatile("pause");
	for (int i = 0; i < 100000; i++)
		asm volatile("pause");
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(bcast_count[0], 1);
	GUEST_ASSERT_EQ(bcast_count[1], 1);
	GUEST_DONE();
}

static void broadcast(void)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm = create_apic_vm(vcpus, 2, guest_broadcast);
	int i;

	vm_install_exception_handler(vm, VEC_BCAST, guest_bcast_handler);
	for (i = 0; i < 2; i++)
		vcpu_args_set(vcpus[i], 1, (uint64_t)i);
	vcpu_ioctl(vcpus[1], KVM_SET_MP_STATE, &mp);	/* as in ipi */
	run_both(vcpus);
	kvm_vm_free(vm);
}

/* --- esr --- */

#define VEC_ERR		0x72
#define VEC_ILLEGAL	5		/* below 16: illegal (SDM) */
#define APIC_RESERVED	0x40		/* no register there */

static volatile uint64_t err_count;

static void guest_err_handler(struct ex_regs *regs __attribute__((unused)))
{
	err_count++;
	eoi();
}

static void guest_esr(void)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVTERR, VEC_ERR);		/* unmasked */
	GUEST_ASSERT_EQ(apic_read(APIC_LVTERR), VEC_ERR);
	apic_write(APIC_ESR, 0);
	GUEST_ASSERT_EQ(apic_read(APIC_ESR), 0);
	/* Send illegal vector, illegal register address (read, write). */
	apic_write(APIC_ICR, ICR_SELF | VEC_ILLEGAL);
	(void)apic_read(APIC_RESERVED);
	apic_write(APIC_RESERVED, 0x12345678);
	asm volatile("sti; nop; cli");
	/* KVM 6.1 records none of them: ESR stays 0, LVTERR never fires. */
	apic_write(APIC_ESR, 0);
	GUEST_ASSERT_EQ(apic_read(APIC_ESR), 0);
	GUEST_ASSERT_EQ(err_count, 0);
	GUEST_ASSERT_EQ(irq_count, 0);
	/* The illegal vector sits in IRR, never delivered (class 0). */
	GUEST_ASSERT(apic_read(APIC_IRR) & 1u << VEC_ILLEGAL);
	GUEST_SYNC(0);
	/* KVM_SET_LAPIC put 0x40 in ESR: a write does not clear it. */
	GUEST_ASSERT_EQ(apic_read(APIC_ESR), 0x40);
	apic_write(APIC_ESR, 0);
	GUEST_ASSERT_EQ(apic_read(APIC_ESR), 0x40);
	/* x2APIC: ESR (MSR 0x828) takes a write of 0 only. */
	wrmsr(MSR_IA32_APICBASE, rdmsr(MSR_IA32_APICBASE) | APIC_BASE_EXTD);
	wrmsr(X2APIC_MSR(APIC_ESR), 0);
	GUEST_ASSERT_EQ(gp_count, 0);
	wrmsr(X2APIC_MSR(APIC_ESR), 1);
	GUEST_ASSERT_EQ(gp_count, 1);
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_ESR)), 0x40);
	/* SELF IPI with an illegal vector: IRR too. */
	wrmsr(X2APIC_SELF_IPI, VEC_ILLEGAL + 1);
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_IRR)) & 3u << VEC_ILLEGAL,
			3u << VEC_ILLEGAL);
	GUEST_ASSERT_EQ(err_count, 0);
	GUEST_ASSERT_EQ(irq_count, 0);
	GUEST_DONE();
}

static void esr(void)
{
	struct kvm_lapic_state st;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_apic_vm(&vcpu, 1, guest_esr);
	struct ucall uc;

	vm_install_exception_handler(vm, VEC_ERR, guest_err_handler);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &st);
	TEST_ASSERT_EQ(*(uint32_t *)(st.regs + APIC_ESR), 0);
	TEST_ASSERT(*(uint32_t *)(st.regs + APIC_IRR) & 1u << VEC_ILLEGAL,
		    "IRR 0x%x", *(uint32_t *)(st.regs + APIC_IRR));
	*(uint32_t *)(st.regs + APIC_ESR) = 0x40;
	vcpu_ioctl(vcpu, KVM_SET_LAPIC, &st);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- timer --- */

static void guest_timer(uint64_t deadline)
{
	uint32_t cur;

	apic_write(APIC_SVR, 0x1ff);
	asm volatile("cli");
	/*
	 * The count runs down: a one-shot of one second, stopped before it
	 * fires (an emulated test machine may take more than a millisecond
	 * between two guest instructions, so a short count could be over at
	 * the first read).
	 */
	apic_write(APIC_TDCR, 0xb);
	apic_write(APIC_LVTT, VEC_TIMER | LVT_MASKED);
	apic_write(APIC_TMICT, 1000000000);
	cur = apic_read(APIC_TMCCT);
	GUEST_ASSERT(cur > 0 && cur <= 1000000000);
	GUEST_ASSERT(apic_read(APIC_TMCCT) <= cur);
	apic_write(APIC_TMICT, 0);
	GUEST_ASSERT_EQ(apic_read(APIC_TMCCT), 0);

	/* One-shot, divide by 1: 1 ms, then its interrupt. */
	apic_write(APIC_LVTT, VEC_TIMER);
	apic_write(APIC_TMICT, 1000000);
	while (!irq_count)
		sti_hlt_cli();
	GUEST_ASSERT_EQ(irq_vector, VEC_TIMER);
	GUEST_ASSERT_EQ(apic_read(APIC_TMCCT), 0);
	GUEST_SYNC(1);

	/* Periodic, 1 ms: five ticks, then stopped. */
	irq_count = 0;
	apic_write(APIC_LVTT, VEC_TIMER | LVT_PERIODIC);
	apic_write(APIC_TMICT, 1000000);
	while (irq_count < 5)
		sti_hlt_cli();
	apic_write(APIC_TMICT, 0);
	GUEST_ASSERT_EQ(apic_read(APIC_TMCCT), 0);
	GUEST_SYNC(2);

	if (deadline) {
		irq_count = 0;
		apic_write(APIC_LVTT, VEC_TIMER | LVT_DEADLINE);
		wrmsr(MSR_IA32_TSC_DEADLINE, rdtsc() + tsc_khz_guest);
		while (!irq_count)
			sti_hlt_cli();
		GUEST_ASSERT_EQ(rdmsr(MSR_IA32_TSC_DEADLINE), 0);
		GUEST_ASSERT_EQ(irq_count, 1);
	}
	GUEST_DONE();
}

static void timer(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_apic_vm(&vcpu, 1, guest_timer);
	bool deadline = kvm_check_cap(KVM_CAP_TSC_DEADLINE_TIMER);

	tsc_khz_guest = vcpu_ioctl(vcpu, KVM_GET_TSC_KHZ, 0);
	sync_global_to_guest(vm, tsc_khz_guest);
	vcpu_args_set(vcpu, 1, (uint64_t)deadline);
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_run_expect_sync(vcpu, 2);
	if (!deadline)
		ksft_print_msg("no KVM_CAP_TSC_DEADLINE_TIMER: TSC-deadline not tested\n");
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- get_set --- */

static void guest_get_set(void)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TPR, 0x40);
	GUEST_SYNC(0);
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0x50);
	GUEST_ASSERT_EQ(apic_read(APIC_PPR), 0x50);
	GUEST_DONE();
}

static void get_set(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_apic_vm(&vcpu, 1, guest_get_set);
	struct kvm_lapic_state a, b;

	vcpu_run_expect_sync(vcpu, 0);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &a);
	TEST_ASSERT_EQ(*(uint32_t *)(a.regs + APIC_TPR), 0x40);
	TEST_ASSERT_EQ(*(uint32_t *)(a.regs + APIC_SVR), 0x1ff);
	TEST_ASSERT_EQ(*(uint32_t *)(a.regs + APIC_LVR) & 0xff, 0x14);
	*(uint32_t *)(a.regs + APIC_TPR) = 0x50;
	vcpu_ioctl(vcpu, KVM_SET_LAPIC, &a);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &b);
	/* PPR follows TPR; the rest reads back as written. */
	*(uint32_t *)(a.regs + APIC_PPR) = 0x50;
	TEST_ASSERT(!memcmp(a.regs, b.regs, sizeof(a.regs)),
		    "KVM_GET_LAPIC after KVM_SET_LAPIC differs");
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- cr8 --- */

static inline void set_cr8(uint64_t v)
{
	asm volatile("mov %0, %%cr8" : : "r"(v) : "memory");
}

static inline uint64_t get_cr8(void)
{
	uint64_t v;

	asm volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static void guest_cr8(void)
{
	apic_write(APIC_SVR, 0x1ff);
	set_cr8(3);
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0x30);
	apic_write(APIC_TPR, 0x50);
	GUEST_ASSERT_EQ(get_cr8(), 5);
	GUEST_ASSERT_EQ(apic_read(APIC_PPR), 0x50);
	/* CR8 7 holds back vector 0x61 (class 6) ... */
	set_cr8(7);
	asm volatile("sti");
	apic_write(APIC_ICR, ICR_SELF | VEC_IPI);
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 0);
	/* ... until CR8 drops (delivered at the next exit at the latest). */
	set_cr8(0);
	(void)apic_read(APIC_LVR);
	GUEST_ASSERT_EQ(irq_count, 1);
	asm volatile("cli");
	set_cr8(4);
	GUEST_SYNC(0);
	/* KVM_SET_SREGS' CR8 is the TPR's class. */
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0x60);
	GUEST_DONE();
}

static void cr8(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_apic_vm(&vcpu, 1, guest_cr8);
	struct kvm_lapic_state st;
	struct kvm_sregs sregs;

	vcpu_run_expect_sync(vcpu, 0);
	vcpu_sregs_get(vcpu, &sregs);
	TEST_ASSERT_EQ(sregs.cr8, 4);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &st);
	TEST_ASSERT_EQ(*(uint32_t *)(st.regs + APIC_TPR), 0x40);
	sregs.cr8 = 6;
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- halt_signal --- */

static void guest_halt_signal(void)
{
	asm volatile("cli; hlt" : : : "memory");
	GUEST_ASSERT_EQ(nmi_count, 1);
	GUEST_DONE();
}

static void halt_signal(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_apic_vm(&vcpu, 1, guest_halt_signal);
	struct signal_later sl;

	vm_install_exception_handler(vm, 2, guest_nmi_handler);
	signal_later_start(&sl);
	TEST_ASSERT_ERRNO(__vcpu_run(vcpu), EINTR, "KVM_RUN in HLT, signal");
	TEST_ASSERT_EQ(vcpu->run->exit_reason, KVM_EXIT_INTR);
	signal_later_join(&sl);
	/* Still halted: another signal ends the next KVM_RUN the same way. */
	signal_later_start(&sl);
	TEST_ASSERT_ERRNO(__vcpu_run(vcpu), EINTR, "KVM_RUN, still in HLT");
	TEST_ASSERT_EQ(vcpu->run->exit_reason, KVM_EXIT_INTR);
	signal_later_join(&sl);
	vcpu_nmi(vcpu);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(errors),
	KVM_TEST(regs),
	KVM_TEST(self_ipi),
	KVM_TEST(if_shadow),
	KVM_TEST(ipi),
	KVM_TEST(timer),
	KVM_TEST(get_set),
	KVM_TEST(halt_signal),
	KVM_TEST(cr8),
	KVM_TEST(broadcast),
	KVM_TEST(esr),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
