// SPDX-License-Identifier: GPL-2.0-only
/*
 * pic_test - the in-kernel legacy PIC pair of KVM_CREATE_IRQCHIP (two
 * cascaded 8259As, ELCR) and its ExtINT through the BSP's LINT0 (pic.c;
 * Intel 8259A datasheet).  The guest programs both chips with ICW1-ICW4,
 * vector bases 0x20 and 0x28, and the host drives the pins with
 * KVM_IRQ_LINE (an edge: 1 then 0):
 *
 *	errors		KVM_IRQ_LINE and KVM_GET_IRQCHIP without an irqchip:
 *			ENXIO; KVM_GET_IRQCHIP of chip 3: EINVAL
 *	edge		master IR3: the handler runs with vector 0x23, ISR
 *			bit 3 read with OCW3 in it, clear after a
 *			non-specific EOI; slave IR2 (pin 10) through the
 *			cascade: vector 0x2a, EOI to both
 *	masked		a masked pin's edge waits in IRR (OCW3 read) and is
 *			delivered when OCW1 unmasks it
 *	level		ELCR level-triggered IR5: delivered again after each
 *			EOI while asserted; IRR clear once lowered
 *	auto_eoi	ICW4 AEOI: ISR already clear in the handler
 *	hlt_wake	HLT woken by a PIC interrupt raised by another thread
 *	get_set		KVM_GET/SET_IRQCHIP of chips 0 and 1: the state the
 *			guest programmed, an IMR and a request set from the
 *			host
 *	lvt0_masked	LVT0 masked: no delivery; unmasked: delivered
 *	apic_off	the APIC globally disabled (IA32_APIC_BASE): LINT0
 *			takes the PIC's interrupts whatever LVT0 says
 *	reinject	the first ExtINT's delivery pushes onto a stack page
 *			the guest never touched (a nested page fault during
 *			delivery on minikvm): it is injected again, not
 *			acknowledged twice, and the next one follows (the
 *			injection count is printed)
 *	ocw		string I/O (REP OUTSB of ICW2-ICW4, REP INSB of the
 *			IMR); the poll command; rotation on non-specific EOI
 *			makes the level just served the lowest; specific EOI
 *	reinit		ICW1 while IR3 is in service (no EOI yet) and another
 *			edge on it waits in IRR: as KVM, the level of the
 *			pending edge request leaves ISR with it, and the next
 *			edge is delivered
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <string.h>

#include "minikvm/apic.h"
#include "minikvm/kvm_util.h"
#include "minikvm/msr_index.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define PIC_M_CMD	0x20
#define PIC_M_DATA	0x21
#define PIC_S_CMD	0xa0
#define PIC_S_DATA	0xa1
#define ELCR_M		0x4d0

#define OCW2_EOI	0x20	/* non-specific EOI */
#define OCW2_ROTATE_EOI	0xa0	/* rotate on non-specific EOI */
#define OCW2_SEOI	0x60	/* specific EOI, level in bits 2:0 */
#define OCW3_READ_IRR	0x0a
#define OCW3_POLL	0x0c
#define OCW3_READ_ISR	0x0b

enum { EOI_NORMAL, EOI_ROTATE, EOI_SPECIFIC };

#define VEC_M		0x20
#define VEC_S		0x28

static volatile uint64_t irq_count, irq_vector, isr_in_handler;
static volatile uint64_t aeoi, level_limit, eoi_mode, order[4];

static uint8_t pic_read_isr(uint16_t cmd)
{
	outb(cmd, OCW3_READ_ISR);
	return inb(cmd);
}

static uint8_t pic_read_irr(uint16_t cmd)
{
	outb(cmd, OCW3_READ_IRR);
	return inb(cmd);
}

/* ICW1 (edge, cascade, ICW4), ICW2 (base), ICW3 (wiring), ICW4 (8086). */
static void pic_init(uint8_t icw4)
{
	outb(PIC_M_CMD, 0x11);
	outb(PIC_M_DATA, VEC_M);
	outb(PIC_M_DATA, 1 << 2);
	outb(PIC_M_DATA, icw4);
	outb(PIC_S_CMD, 0x11);
	outb(PIC_S_DATA, VEC_S);
	outb(PIC_S_DATA, 2);
	outb(PIC_S_DATA, icw4);
	outb(PIC_M_DATA, 0xff);
	outb(PIC_S_DATA, 0xff);
}

/* Vectors 0x20-0x2f: count, look at ISR, EOI unless auto-EOI. */
static void guest_pic_handler(struct ex_regs *regs)
{
	bool slave = regs->vector >= VEC_S;
	uint8_t bit = 1 << (regs->vector & 7);

	if (irq_count < ARRAY_SIZE(order))
		order[irq_count] = regs->vector;
	irq_count++;
	irq_vector = regs->vector;
	isr_in_handler = !!(pic_read_isr(slave ? PIC_S_CMD : PIC_M_CMD) & bit);
	/* Level test: stop the storm by masking the pin. */
	if (level_limit && irq_count >= level_limit)
		outb(PIC_M_DATA, inb(PIC_M_DATA) | bit);
	if (aeoi)
		return;
	if (slave)
		outb(PIC_S_CMD, OCW2_EOI);
	if (eoi_mode == EOI_ROTATE)
		outb(PIC_M_CMD, OCW2_ROTATE_EOI);
	else if (eoi_mode == EOI_SPECIFIC && !slave)
		outb(PIC_M_CMD, OCW2_SEOI | (regs->vector & 7));
	else
		outb(PIC_M_CMD, OCW2_EOI);
}

static struct kvm_vm *create_pic_vm(struct kvm_vcpu **vcpu, void *code)
{
	struct kvm_vm *vm = vm_create();
	int v;

	vm_userspace_mem_region_add(vm, 0, 0, 0, GUEST_MEM_SIZE);
	kvm_vm_elf_load(vm, "/proc/self/exe");
	vm_init_long_mode(vm);
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0);
	*vcpu = vm_vcpu_add_long_mode(vm, 0, code);
	for (v = VEC_M; v < VEC_S + 8; v++)
		vm_install_exception_handler(vm, v, guest_pic_handler);
	virt_pg_map_flags(vm, APIC_GPA, APIC_GPA, PTE_RW);
	return vm;
}

static void irq_line(struct kvm_vm *vm, uint32_t pin, uint32_t level)
{
	struct kvm_irq_level l = { .irq = pin, .level = level };

	vm_ioctl(vm, KVM_IRQ_LINE, &l);
}

static void irq_pulse(struct kvm_vm *vm, uint32_t pin)
{
	irq_line(vm, pin, 1);
	irq_line(vm, pin, 0);
}

/* --- errors --- */

static void errors(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_irq_level l = { .irq = 3, .level = 1 };
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_PIC_MASTER };

	TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_IRQ_LINE, &l), ENXIO,
			  "KVM_IRQ_LINE without irqchip");
	TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_GET_IRQCHIP, &chip), ENXIO,
			  "KVM_GET_IRQCHIP without irqchip");
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0);
	chip.chip_id = 3;
	TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_GET_IRQCHIP, &chip), EINVAL,
			  "KVM_GET_IRQCHIP of chip 3");
	TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_SET_IRQCHIP, &chip), EINVAL,
			  "KVM_SET_IRQCHIP of chip 3");
	kvm_vm_free(vm);
}

/* --- edge --- */

static void guest_edge(void)
{
	pic_init(0x01);
	outb(PIC_M_DATA, (uint8_t)~((1 << 3) | (1 << 2)));
	outb(PIC_S_DATA, (uint8_t)~(1 << 2));
	asm volatile("sti");
	GUEST_SYNC(1);		/* host: pulse pin 3 */
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, VEC_M + 3);
	GUEST_ASSERT_EQ(isr_in_handler, 1);
	GUEST_ASSERT_EQ(pic_read_isr(PIC_M_CMD), 0);
	GUEST_ASSERT_EQ(pic_read_irr(PIC_M_CMD), 0);
	GUEST_SYNC(2);		/* host: pulse pin 10 */
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 2);
	GUEST_ASSERT_EQ(irq_vector, VEC_S + 2);
	GUEST_ASSERT_EQ(isr_in_handler, 1);
	GUEST_ASSERT_EQ(pic_read_isr(PIC_M_CMD), 0);
	GUEST_ASSERT_EQ(pic_read_isr(PIC_S_CMD), 0);
	/* An edge pin raised and held: one interrupt, no more for another 1. */
	GUEST_SYNC(3);		/* host: pin 3 to 1, not lowered */
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 3);
	GUEST_SYNC(4);		/* host: pin 3 to 1 again */
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 3);
	GUEST_DONE();
}

static void edge(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_pic_vm(&vcpu, guest_edge);

	vcpu_run_expect_sync(vcpu, 1);
	irq_pulse(vm, 3);
	vcpu_run_expect_sync(vcpu, 2);
	irq_pulse(vm, 10);
	vcpu_run_expect_sync(vcpu, 3);
	irq_line(vm, 3, 1);
	vcpu_run_expect_sync(vcpu, 4);
	irq_line(vm, 3, 1);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- masked --- */

static void guest_masked(void)
{
	pic_init(0x01);
	outb(PIC_M_DATA, (uint8_t)~(1 << 2));
	outb(PIC_S_DATA, 0xff);
	asm volatile("sti");
	GUEST_SYNC(1);		/* host: pulse pins 4 and 9 */
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 0);
	GUEST_ASSERT_EQ(pic_read_irr(PIC_M_CMD), 1 << 4);
	GUEST_ASSERT_EQ(pic_read_irr(PIC_S_CMD), 1 << 1);
	GUEST_ASSERT_EQ(inb(PIC_M_DATA), (uint8_t)~(1 << 2));
	outb(PIC_M_DATA, (uint8_t)~((1 << 4) | (1 << 2)));
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, VEC_M + 4);
	outb(PIC_S_DATA, (uint8_t)~(1 << 1));
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 2);
	GUEST_ASSERT_EQ(irq_vector, VEC_S + 1);
	GUEST_ASSERT_EQ(pic_read_irr(PIC_M_CMD), 0);
	GUEST_DONE();
}

static void masked(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_pic_vm(&vcpu, guest_masked);

	vcpu_run_expect_sync(vcpu, 1);
	irq_pulse(vm, 4);
	irq_pulse(vm, 9);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- level --- */

static void guest_level(void)
{
	pic_init(0x01);
	outb(ELCR_M, 1 << 5);
	GUEST_ASSERT_EQ(inb(ELCR_M), 1 << 5);
	outb(PIC_M_DATA, (uint8_t)~(1 << 5));
	level_limit = 3;
	asm volatile("sti");
	GUEST_SYNC(1);		/* host: pin 5 to 1 and kept */
	asm volatile("nop");
	/* Delivered, EOI, delivered again... until the handler masks it. */
	GUEST_ASSERT_EQ(irq_count, 3);
	GUEST_ASSERT_EQ(irq_vector, VEC_M + 5);
	GUEST_ASSERT_EQ(pic_read_irr(PIC_M_CMD), 1 << 5);
	GUEST_SYNC(2);		/* host: pin 5 to 0 */
	GUEST_ASSERT_EQ(pic_read_irr(PIC_M_CMD), 0);
	level_limit = 0;
	outb(PIC_M_DATA, (uint8_t)~(1 << 5));
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 3);
	GUEST_DONE();
}

static void level(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_pic_vm(&vcpu, guest_level);

	vcpu_run_expect_sync(vcpu, 1);
	irq_line(vm, 5, 1);
	vcpu_run_expect_sync(vcpu, 2);
	irq_line(vm, 5, 0);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- auto_eoi --- */

static void guest_auto_eoi(void)
{
	pic_init(0x03);		/* ICW4: AEOI, 8086 */
	aeoi = 1;
	outb(PIC_M_DATA, (uint8_t)~((1 << 3) | (1 << 2)));
	outb(PIC_S_DATA, (uint8_t)~(1 << 3));
	asm volatile("sti");
	GUEST_SYNC(1);		/* host: pulse pins 3 and 11 */
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 2);
	GUEST_ASSERT_EQ(isr_in_handler, 0);
	GUEST_ASSERT_EQ(pic_read_isr(PIC_M_CMD), 0);
	GUEST_ASSERT_EQ(pic_read_isr(PIC_S_CMD), 0);
	GUEST_DONE();
}

static void auto_eoi(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_pic_vm(&vcpu, guest_auto_eoi);

	vcpu_run_expect_sync(vcpu, 1);
	irq_pulse(vm, 3);
	irq_pulse(vm, 11);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- hlt_wake --- */

static void guest_hlt_wake(void)
{
	pic_init(0x01);
	outb(PIC_M_DATA, (uint8_t)~(1 << 6));
	GUEST_SYNC(1);
	asm volatile("sti; hlt; cli" : : : "memory");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, VEC_M + 6);
	GUEST_DONE();
}

static void *pulse_later(void *arg)
{
	struct timespec ts = { .tv_nsec = 100 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	irq_pulse(arg, 6);
	return NULL;
}

static void hlt_wake(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_pic_vm(&vcpu, guest_hlt_wake);
	pthread_t t;

	vcpu_run_expect_sync(vcpu, 1);
	TEST_ASSERT(!pthread_create(&t, NULL, pulse_later, vm),
		    "pthread_create");
	vcpu_run_expect_done(vcpu);
	TEST_ASSERT(!pthread_join(t, NULL), "pthread_join");
	kvm_vm_free(vm);
}

/* --- get_set --- */

static void guest_get_set(void)
{
	pic_init(0x01);
	outb(PIC_M_DATA, 0x5a);
	outb(PIC_S_DATA, 0xa5);
	outb(ELCR_M + 1, 0xff);	/* the slave's ELCR: only 0xde exists */
	GUEST_SYNC(1);		/* host: reads, sets IMRs and a request */
	GUEST_ASSERT_EQ(inb(PIC_M_DATA), (uint8_t)~((1 << 7) | (1 << 2)));
	GUEST_ASSERT_EQ(inb(PIC_S_DATA), (uint8_t)~(1 << 4));
	GUEST_ASSERT_EQ(pic_read_irr(PIC_S_CMD), 1 << 4);
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, VEC_S + 4);
	GUEST_DONE();
}

static void get_set(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_pic_vm(&vcpu, guest_get_set);
	struct kvm_irqchip m = { .chip_id = KVM_IRQCHIP_PIC_MASTER };
	struct kvm_irqchip s = { .chip_id = KVM_IRQCHIP_PIC_SLAVE };
	struct kvm_irqchip back;

	vcpu_run_expect_sync(vcpu, 1);
	vm_ioctl(vm, KVM_GET_IRQCHIP, &m);
	vm_ioctl(vm, KVM_GET_IRQCHIP, &s);
	TEST_ASSERT_EQ(m.chip.pic.irq_base, VEC_M);
	TEST_ASSERT_EQ(s.chip.pic.irq_base, VEC_S);
	TEST_ASSERT_EQ(m.chip.pic.imr, 0x5a);
	TEST_ASSERT_EQ(s.chip.pic.imr, 0xa5);
	TEST_ASSERT_EQ(m.chip.pic.init_state, 0);
	TEST_ASSERT_EQ(m.chip.pic.init4, 1);
	TEST_ASSERT_EQ(m.chip.pic.auto_eoi, 0);
	TEST_ASSERT_EQ(m.chip.pic.elcr_mask, 0xf8);
	TEST_ASSERT_EQ(s.chip.pic.elcr_mask, 0xde);
	TEST_ASSERT_EQ(s.chip.pic.elcr, 0xde);
	TEST_ASSERT_EQ(m.chip.pic.isr | s.chip.pic.isr, 0);

	/* IMRs with IR7 and the cascade open, a request on the slave's IR4. */
	m.chip.pic.imr = (uint8_t)~((1 << 7) | (1 << 2));
	s.chip.pic.imr = (uint8_t)~(1 << 4);
	s.chip.pic.elcr = 0;
	s.chip.pic.irr = 1 << 4;
	vm_ioctl(vm, KVM_SET_IRQCHIP, &m);
	vm_ioctl(vm, KVM_SET_IRQCHIP, &s);
	back = (struct kvm_irqchip){ .chip_id = KVM_IRQCHIP_PIC_SLAVE };
	vm_ioctl(vm, KVM_GET_IRQCHIP, &back);
	TEST_ASSERT(!memcmp(&back.chip.pic, &s.chip.pic, sizeof(s.chip.pic)),
		    "slave state read back as set");
	back = (struct kvm_irqchip){ .chip_id = KVM_IRQCHIP_PIC_MASTER };
	vm_ioctl(vm, KVM_GET_IRQCHIP, &back);
	/* The cascade request reached the master's IRR. */
	TEST_ASSERT_EQ(back.chip.pic.imr, m.chip.pic.imr);
	TEST_ASSERT_EQ(back.chip.pic.irr & (1 << 2), 1 << 2);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- lvt0_masked --- */

static void guest_lvt0_masked(void)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVT0, LVT_MASKED | 0x700);
	pic_init(0x01);
	outb(PIC_M_DATA, (uint8_t)~(1 << 3));
	asm volatile("sti");
	GUEST_SYNC(1);		/* host: pulse pin 3 */
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 0);
	GUEST_ASSERT_EQ(pic_read_irr(PIC_M_CMD), 1 << 3);
	apic_write(APIC_LVT0, 0x700);
	/* A new rise of the PIC's output, which LINT0 now takes. */
	outb(PIC_M_DATA, 0xff);
	outb(PIC_M_DATA, (uint8_t)~(1 << 3));
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, VEC_M + 3);
	GUEST_DONE();
}

static void lvt0_masked(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_pic_vm(&vcpu, guest_lvt0_masked);

	vcpu_run_expect_sync(vcpu, 1);
	irq_pulse(vm, 3);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- apic_off --- */

static void guest_apic_off(void)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVT0, LVT_MASKED | 0x700);
	wrmsr(MSR_IA32_APICBASE, rdmsr(MSR_IA32_APICBASE) & ~APIC_BASE_EN);
	pic_init(0x01);
	outb(PIC_M_DATA, (uint8_t)~(1 << 3));
	asm volatile("sti");
	GUEST_SYNC(1);		/* host: pulse pin 3 */
	asm volatile("nop");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, VEC_M + 3);
	GUEST_DONE();
}

static void apic_off(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_pic_vm(&vcpu, guest_apic_off);

	vcpu_run_expect_sync(vcpu, 1);
	irq_pulse(vm, 3);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- reinject --- */

/* Never touched before the interrupt pushes onto its top. */
static uint8_t fresh_stack[2 * 4096] __attribute__((aligned(4096)));

static void guest_reinject(void)
{
	pic_init(0x01);
	outb(PIC_M_DATA, (uint8_t)~((1 << 3) | (1 << 4)));
	GUEST_SYNC(1);		/* host: pulse pins 3 and 4, IF clear */
	asm volatile("mov %%rsp, %%rbx\n\t"
		     "mov %0, %%rsp\n\t"
		     "sti\n\t"
		     "nop\n\t"
		     "cli\n\t"
		     "mov %%rbx, %%rsp"
		     : : "r"(fresh_stack + sizeof(fresh_stack))
		     : "rbx", "memory");
	GUEST_ASSERT_EQ(irq_count, 2);
	GUEST_ASSERT_EQ(order[0], VEC_M + 3);
	GUEST_ASSERT_EQ(order[1], VEC_M + 4);
	GUEST_ASSERT_EQ(pic_read_isr(PIC_M_CMD), 0);
	GUEST_ASSERT_EQ(pic_read_irr(PIC_M_CMD), 0);
	GUEST_DONE();
}

static void reinject(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_pic_vm(&vcpu, guest_reinject);
	uint64_t before;

	vcpu_run_expect_sync(vcpu, 1);
	irq_pulse(vm, 3);
	irq_pulse(vm, 4);
	before = vcpu_get_stat(vcpu, "irq_injections");
	vcpu_run_expect_done(vcpu);
	ksft_print_msg("irq_injections for 2 interrupts: %llu\n",
		       (unsigned long long)(vcpu_get_stat(vcpu, "irq_injections") -
					    before));
	kvm_vm_free(vm);
}

/* --- ocw --- */

static void guest_ocw(void)
{
	uint8_t icw[3] = { VEC_M, 1 << 2, 0x01 }, imr[2] = { 0, 0 };
	uint8_t *p = icw;
	uint64_t n = 3;

	pic_init(0x01);
	/* The master again, its ICW2-ICW4 by string I/O. */
	outb(PIC_M_CMD, 0x11);
	asm volatile("cld; rep outsb"
		     : "+S"(p), "+c"(n) : "d"(PIC_M_DATA) : "memory");
	outb(PIC_M_DATA, (uint8_t)~((1 << 3) | (1 << 4) | (1 << 5)));
	p = imr;
	n = 2;
	asm volatile("cld; rep insb"
		     : "+D"(p), "+c"(n) : "d"(PIC_M_DATA) : "memory");
	GUEST_ASSERT_EQ(imr[0], (uint8_t)~((1 << 3) | (1 << 4) | (1 << 5)));
	GUEST_ASSERT_EQ(imr[1], imr[0]);
	GUEST_SYNC(1);		/* host: pulse pins 3 and 4, IF clear */
	outb(PIC_M_CMD, OCW3_POLL);
	GUEST_ASSERT_EQ(inb(PIC_M_CMD) & 7, 3);
	GUEST_ASSERT_EQ(pic_read_irr(PIC_M_CMD), 1 << 4);
	/* IR4, ended with a rotation: IR4 lowest, IR5 highest. */
	eoi_mode = EOI_ROTATE;
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vector, VEC_M + 4);
	eoi_mode = EOI_SPECIFIC;
	GUEST_SYNC(2);		/* host: pulse pins 3 and 5 */
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(irq_count, 3);
	GUEST_ASSERT_EQ(order[1], VEC_M + 5);
	GUEST_ASSERT_EQ(order[2], VEC_M + 3);
	GUEST_ASSERT_EQ(pic_read_isr(PIC_M_CMD), 0);
	GUEST_DONE();
}

static void ocw(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_pic_vm(&vcpu, guest_ocw);

	vcpu_run_expect_sync(vcpu, 1);
	irq_pulse(vm, 3);
	irq_pulse(vm, 4);
	vcpu_run_expect_sync(vcpu, 2);
	irq_pulse(vm, 3);
	irq_pulse(vm, 5);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- reinit --- */

static void guest_reinit(void)
{
	pic_init(0x01);
	outb(PIC_M_DATA, (uint8_t)~(1 << 3));
	aeoi = 1;		/* the handler sends no EOI: IR3 stays in service */
	asm volatile("sti");
	GUEST_SYNC(1);		/* host: pulse pin 3 */
	asm volatile("nop");
	asm volatile("cli");
	GUEST_ASSERT_EQ(order[1], 0);	/* no second vector */
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(pic_read_isr(PIC_M_CMD), 1 << 3);
	GUEST_SYNC(2);		/* host: pulse pin 3 again: it waits in IRR */
	GUEST_ASSERT_EQ(pic_read_irr(PIC_M_CMD), 1 << 3);
	pic_init(0x01);
	GUEST_ASSERT_EQ(pic_read_isr(PIC_M_CMD), 0);
	GUEST_ASSERT_EQ(pic_read_irr(PIC_M_CMD), 0);
	aeoi = 0;
	outb(PIC_M_DATA, (uint8_t)~(1 << 3));
	asm volatile("sti");
	GUEST_SYNC(3);		/* host: pulse pin 3 */
	asm volatile("nop");
	asm volatile("cli");
	GUEST_ASSERT_EQ(irq_count, 2);
	GUEST_DONE();
}

static void reinit(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_pic_vm(&vcpu, guest_reinit);
	int i;

	for (i = 1; i <= 3; i++) {
		vcpu_run_expect_sync(vcpu, i);
		irq_pulse(vm, 3);
	}
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(errors),
	KVM_TEST(edge),
	KVM_TEST(masked),
	KVM_TEST(level),
	KVM_TEST(auto_eoi),
	KVM_TEST(hlt_wake),
	KVM_TEST(get_set),
	KVM_TEST(lvt0_masked),
	KVM_TEST(apic_off),
	KVM_TEST(reinject),
	KVM_TEST(ocw),
	KVM_TEST(reinit),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
