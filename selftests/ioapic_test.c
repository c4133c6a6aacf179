// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioapic_test - the in-kernel I/O APIC of KVM_CREATE_IRQCHIP and the
 * interrupt lines into it, KVM 6.1's model (ioapic.c, irq_comm.c; the
 * 82093AA I/O APIC datasheet).  GSIs 16-23, which reach the I/O APIC
 * alone, but in legacy_gsi: GSIs 0-15 also reach the PIC, which adds its
 * own status.
 *
 *	errors		KVM_IRQ_LINE(_STATUS), KVM_GET/SET_IRQCHIP without an
 *			irqchip: ENXIO; chip id 3: EINVAL;
 *			KVM_CAP_IRQ_INJECT_STATUS is 1; the reset state
 *	regs		the guest's IOREGSEL/IOWIN: version, ID, arbitration
 *			ID, a redirection entry written and read back (remote
 *			IRR and delivery status read-only), reserved
 *			registers; KVM_GET/SET_IRQCHIP see and change the same
 *	edge		KVM_IRQ_LINE(_STATUS) into a guest handler: once per
 *			rising edge; a high line raised again is coalesced
 *			(status 0); a masked pin delivers nothing (-1), not
 *			even when unmasked later
 *	level		a level-triggered pin: remote IRR set by the delivery
 *			(guest and KVM_GET_IRQCHIP see it), TMR set; the
 *			guest's EOI with the line high delivers again, with
 *			the line low not; raised while remote IRR is set: -1;
 *			unmasking a pin whose line is high delivers it
 *	set_irr		KVM_SET_IRQCHIP with a level-triggered pin's irr bit
 *			set delivers it
 *	status		KVM_IRQ_LINE_STATUS between runs: GSIs >= 24 (-1),
 *			masked (-1), lowered (1), a software-disabled APIC
 *			(0), no APIC with the destination ID (0), NMI (1), a
 *			high edge line raised again (0); irr as KVM shows it
 *	dest		logical destination (flat), one nobody has (status
 *			0), lowest priority to a logical ID, and to the
 *			physical broadcast ID (taken as fixed).  Not to a set
 *			of logical IDs: KVM picks one by the vector (vector
 *			hashing), even one no APIC has, and drops it then;
 *			minikvm takes the named APIC with the lowest PPR
 *	threads		KVM_IRQ_LINE_STATUS from the main thread, 2000 edges,
 *			while the vCPU's thread runs the guest with IF=1
 *	halt		vCPU 1 sleeps in HLT; a pin with physical
 *			destination 1 wakes it
 *	rtc		GSI 8 (the RTC) with KVM_IRQ_LINE_STATUS: an edge
 *			while the vCPU owes the last one's EOI is coalesced
 *			(0); KVM_SET_LAPIC without the vector in IRR/ISR ends
 *			the debt (the next edge is delivered, 1), with it
 *			restores it (0 again)
 *	legacy_gsi	GSIs 0-15 reach the PIC and the I/O APIC both: the
 *			status sums the chips' (KVM's default routing): an
 *			unmasked PIC pin answers 1 even raised again (its
 *			request still pending answers 0 after a lowering),
 *			the masked I/O APIC pin -1, then 0 while its line
 *			stays high; a masked PIC pin -1 whatever the level,
 *			so both masked -1
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minikvm/apic.h"
#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define IOAPIC_GPA	0xfec00000ULL
#define IOREGSEL	0x00
#define IOWIN		0x10
#define REG_ID		0x00
#define REG_VER		0x01
#define REG_ARB		0x02
#define REG_LO(pin)	(0x10 + 2 * (pin))
#define REG_HI(pin)	(0x11 + 2 * (pin))

/* Redirection entry, low half (82093AA, "I/O Redirection Table Registers"). */
#define RTE_LOWEST	(1U << 8)
#define RTE_NMI		(4U << 8)
#define RTE_LOGICAL	(1U << 11)
#define RTE_STATUS	(1U << 12)
#define RTE_REMOTE_IRR	(1U << 14)
#define RTE_LEVEL	(1U << 15)
#define RTE_MASKED	(1U << 16)

#define APIC_TMR	0x180
#define APIC_LDR	0xd0

#define VEC_EDGE	0x71
#define VEC_LEVEL	0x72
#define VEC_HALT	0x73

static volatile uint64_t edge_count, level_count, level_eoi_below;
static volatile uint64_t halt_count, nmi_count;

static uint32_t ioapic_read(uint32_t reg)
{
	*(volatile uint32_t *)(IOAPIC_GPA + IOREGSEL) = reg;
	return *(volatile uint32_t *)(IOAPIC_GPA + IOWIN);
}

static void ioapic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(IOAPIC_GPA + IOREGSEL) = reg;
	*(volatile uint32_t *)(IOAPIC_GPA + IOWIN) = val;
}

static void redir_set(unsigned int pin, uint32_t lo, uint8_t dest)
{
	ioapic_write(REG_HI(pin), (uint32_t)dest << 24);
	ioapic_write(REG_LO(pin), lo);
}

static void sti_nop_cli(void)
{
	asm volatile("sti; nop; cli" : : : "memory");
}

static void sti_hlt_cli(void)
{
	asm volatile("sti; hlt; cli" : : : "memory");
}

static void guest_edge_handler(struct ex_regs *regs __attribute__((unused)))
{
	edge_count++;
	apic_write(APIC_EOI, 0);
}

/* EOIs only below a count the guest sets: the line may still be high. */
static void guest_level_handler(struct ex_regs *regs __attribute__((unused)))
{
	level_count++;
	if (level_count < level_eoi_below)
		apic_write(APIC_EOI, 0);
}

static void guest_nmi_handler(struct ex_regs *regs __attribute__((unused)))
{
	nmi_count++;
}

static void guest_halt_handler(struct ex_regs *regs __attribute__((unused)))
{
	halt_count++;
	apic_write(APIC_EOI, 0);
}

/* A VM with an irqchip, @n vCPUs running @code, the APIC pages mapped. */
static struct kvm_vm *create_ioapic_vm(struct kvm_vcpu **vcpus, int n,
				       void *code)
{
	struct kvm_vm *vm = vm_create();
	int i;

	vm_userspace_mem_region_add(vm, 0, 0, 0, GUEST_MEM_SIZE);
	kvm_vm_elf_load(vm, "/proc/self/exe");
	vm_init_long_mode(vm);
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0);
	for (i = 0; i < n; i++)
		vcpus[i] = vm_vcpu_add_long_mode(vm, i, code);
	vm_install_exception_handler(vm, VEC_EDGE, guest_edge_handler);
	vm_install_exception_handler(vm, VEC_LEVEL, guest_level_handler);
	vm_install_exception_handler(vm, VEC_HALT, guest_halt_handler);
	vm_install_exception_handler(vm, 2, guest_nmi_handler);
	virt_pg_map_flags(vm, APIC_GPA, APIC_GPA, PTE_RW);
	virt_pg_map_flags(vm, IOAPIC_GPA, IOAPIC_GPA, PTE_RW);
	return vm;
}

static int line_status(struct kvm_vm *vm, uint32_t gsi, uint32_t level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	vm_ioctl(vm, KVM_IRQ_LINE_STATUS, &l);
	return l.status;
}

static void line(struct kvm_vm *vm, uint32_t gsi, uint32_t level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	vm_ioctl(vm, KVM_IRQ_LINE, &l);
}

static void get_ioapic(struct kvm_vm *vm, struct kvm_irqchip *chip)
{
	memset(chip, 0, sizeof(*chip));
	chip->chip_id = KVM_IRQCHIP_IOAPIC;
	vm_ioctl(vm, KVM_GET_IRQCHIP, chip);
}

/* --- errors --- */

static void errors(void)
{
	struct kvm_irq_level l = { .irq = 16, .level = 1 };
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	struct kvm_vm *vm = vm_create();
	int i;

	TEST_ASSERT_EQ(vm_check_cap(vm, KVM_CAP_IRQ_INJECT_STATUS), 1);
	TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_IRQ_LINE, &l), ENXIO,
			  "KVM_IRQ_LINE without irqchip");
	TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_IRQ_LINE_STATUS, &l), ENXIO,
			  "KVM_IRQ_LINE_STATUS without irqchip");
	TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_GET_IRQCHIP, &chip), ENXIO,
			  "KVM_GET_IRQCHIP without irqchip");
	TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_SET_IRQCHIP, &chip), ENXIO,
			  "KVM_SET_IRQCHIP without irqchip");
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0);
	chip.chip_id = 3;
	TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_GET_IRQCHIP, &chip), EINVAL,
			  "KVM_GET_IRQCHIP chip 3");
	TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_SET_IRQCHIP, &chip), EINVAL,
			  "KVM_SET_IRQCHIP chip 3");
	TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_GET_IRQCHIP, NULL), EFAULT,
			  "KVM_GET_IRQCHIP NULL");
	TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_IRQ_LINE_STATUS, NULL), EFAULT,
			  "KVM_IRQ_LINE_STATUS NULL");
	/* The reset state: at 0xfec00000, ID 0, every pin masked. */
	get_ioapic(vm, &chip);
	TEST_ASSERT_EQ(chip.chip.ioapic.base_address, IOAPIC_GPA);
	TEST_ASSERT_EQ(chip.chip.ioapic.id, 0);
	TEST_ASSERT_EQ(chip.chip.ioapic.irr, 0);
	TEST_ASSERT_EQ(chip.chip.ioapic.ioregsel, 0);
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		TEST_ASSERT_EQ(chip.chip.ioapic.redirtbl[i].bits, RTE_MASKED);
	kvm_vm_free(vm);
}

/* --- regs --- */

static void guest_regs(void)
{
	GUEST_ASSERT_EQ(ioapic_read(REG_VER), 0x00170011);
	ioapic_write(REG_VER, 0);
	GUEST_ASSERT_EQ(ioapic_read(REG_VER), 0x00170011);
	ioapic_write(REG_ID, 0xff000000);
	GUEST_ASSERT_EQ(ioapic_read(REG_ID), 0x0f000000);
	GUEST_ASSERT_EQ(ioapic_read(REG_ARB), 0x0f000000);
	/* Pin 5, masked: remote IRR and delivery status stay 0. */
	ioapic_write(REG_HI(5), 0xab0000ff);
	ioapic_write(REG_LO(5), 0x0001ffa5);
	GUEST_ASSERT_EQ(ioapic_read(REG_LO(5)), 0x0001afa5);
	GUEST_ASSERT_EQ(ioapic_read(REG_HI(5)), 0xab0000ff);
	/* Past pin 23, and between ARB and the table: all ones. */
	GUEST_ASSERT_EQ(ioapic_read(REG_LO(24)), 0xffffffff);
	GUEST_ASSERT_EQ(ioapic_read(0x03), 0xffffffff);
	/* IOREGSEL is 8 bits; other offsets read 0. */
	*(volatile uint32_t *)(IOAPIC_GPA + IOREGSEL) = 0x1ff;
	GUEST_ASSERT_EQ(*(volatile uint32_t *)(IOAPIC_GPA + IOREGSEL), 0xff);
	GUEST_ASSERT_EQ(*(volatile uint32_t *)(IOAPIC_GPA + 0x20), 0);
	*(volatile uint32_t *)(IOAPIC_GPA + IOREGSEL) = REG_LO(5);
	GUEST_SYNC(1);
	/* KVM_SET_IRQCHIP's state. */
	GUEST_ASSERT_EQ(ioapic_read(REG_ID), 0x03000000);
	GUEST_ASSERT_EQ(ioapic_read(REG_LO(6)), 0x00010033);
	GUEST_ASSERT_EQ(ioapic_read(REG_HI(6)), 0x02000000);
	GUEST_ASSERT_EQ(ioapic_read(REG_LO(7)), RTE_MASKED | RTE_LEVEL |
			RTE_REMOTE_IRR | 0x44);
	/* Written edge-triggered: remote IRR cleared, as KVM. */
	ioapic_write(REG_LO(7), RTE_MASKED | RTE_REMOTE_IRR | 0x44);
	GUEST_ASSERT_EQ(ioapic_read(REG_LO(7)), RTE_MASKED | 0x44);
	GUEST_DONE();
}

static void regs(void)
{
	struct kvm_irqchip chip, chip2;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_ioapic_vm(&vcpu, 1, guest_regs);

	vcpu_run_expect_sync(vcpu, 1);
	get_ioapic(vm, &chip);
	TEST_ASSERT_EQ(chip.chip.ioapic.id, 0xf);
	TEST_ASSERT_EQ(chip.chip.ioapic.ioregsel, REG_LO(5));
	TEST_ASSERT_EQ(chip.chip.ioapic.redirtbl[5].bits, 0xab0000ff0001afa5ULL);
	TEST_ASSERT_EQ(chip.chip.ioapic.redirtbl[5].fields.vector, 0xa5);
	TEST_ASSERT_EQ(chip.chip.ioapic.redirtbl[5].fields.dest_id, 0xab);
	chip.chip.ioapic.id = 3;
	chip.chip.ioapic.redirtbl[6].bits = 0x0200000000010033ULL;
	chip.chip.ioapic.redirtbl[7].bits = RTE_MASKED | RTE_LEVEL |
					    RTE_REMOTE_IRR | 0x44;
	vm_ioctl(vm, KVM_SET_IRQCHIP, &chip);
	get_ioapic(vm, &chip2);
	TEST_ASSERT(!memcmp(&chip.chip.ioapic, &chip2.chip.ioapic,
			    sizeof(chip.chip.ioapic)),
		    "KVM_GET_IRQCHIP differs from what KVM_SET_IRQCHIP set");
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- edge --- */

static void guest_edge(void)
{
	apic_write(APIC_SVR, 0x1ff);
	redir_set(16, VEC_EDGE, 0);
	GUEST_SYNC(1);			/* raised: 1 */
	GUEST_ASSERT_EQ(edge_count, 0);	/* IF=0 */
	sti_nop_cli();
	GUEST_ASSERT_EQ(edge_count, 1);
	GUEST_ASSERT_EQ(ioapic_read(REG_LO(16)), VEC_EDGE);
	GUEST_SYNC(2);			/* raised again: 0; lowered: 1 */
	sti_nop_cli();
	GUEST_ASSERT_EQ(edge_count, 1);
	GUEST_SYNC(3);			/* KVM_IRQ_LINE up and down */
	sti_nop_cli();
	GUEST_ASSERT_EQ(edge_count, 2);
	redir_set(16, VEC_EDGE | RTE_MASKED, 0);
	GUEST_SYNC(4);			/* masked: -1, lowered: 1 */
	sti_nop_cli();
	GUEST_ASSERT_EQ(edge_count, 2);
	redir_set(16, VEC_EDGE, 0);
	sti_nop_cli();
	GUEST_ASSERT_EQ(edge_count, 2);
	GUEST_DONE();
}

static void edge(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_ioapic_vm(&vcpu, 1, guest_edge);

	vcpu_run_expect_sync(vcpu, 1);
	TEST_ASSERT_EQ(line_status(vm, 16, 1), 1);
	vcpu_run_expect_sync(vcpu, 2);
	TEST_ASSERT_EQ(line_status(vm, 16, 1), 0);
	TEST_ASSERT_EQ(line_status(vm, 16, 0), 1);
	vcpu_run_expect_sync(vcpu, 3);
	line(vm, 16, 1);
	line(vm, 16, 0);
	vcpu_run_expect_sync(vcpu, 4);
	TEST_ASSERT_EQ(line_status(vm, 16, 1), -1);
	TEST_ASSERT_EQ(line_status(vm, 16, 0), 1);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- level --- */

static uint32_t remote_irr(void)
{
	return !!(ioapic_read(REG_LO(17)) & RTE_REMOTE_IRR);
}

static void guest_level(void)
{
	uint32_t tmr_off = APIC_TMR + (VEC_LEVEL / 32) * 16;

	apic_write(APIC_SVR, 0x1ff);
	redir_set(17, VEC_LEVEL | RTE_LEVEL, 0);
	level_eoi_below = 2;
	GUEST_SYNC(1);			/* raised: 1 */
	GUEST_ASSERT_EQ(remote_irr(), 1);
	/* The first EOI comes with the line high: delivered again. */
	sti_nop_cli();
	GUEST_ASSERT_EQ(level_count, 2);
	GUEST_ASSERT_EQ((apic_read(tmr_off) >> (VEC_LEVEL % 32)) & 1, 1);
	GUEST_ASSERT_EQ(remote_irr(), 1);
	GUEST_SYNC(2);			/* raised again: -1; lowered: 1 */
	apic_write(APIC_EOI, 0);
	GUEST_ASSERT_EQ(remote_irr(), 0);
	sti_nop_cli();
	GUEST_ASSERT_EQ(level_count, 2);
	level_eoi_below = 4;
	GUEST_SYNC(3);			/* raised: 1 */
	sti_nop_cli();
	GUEST_ASSERT_EQ(level_count, 4);
	/* Masked, EOI: remote IRR clear, nothing while masked. */
	redir_set(17, VEC_LEVEL | RTE_LEVEL | RTE_MASKED, 0);
	apic_write(APIC_EOI, 0);
	GUEST_ASSERT_EQ(remote_irr(), 0);
	sti_nop_cli();
	GUEST_ASSERT_EQ(level_count, 4);
	/* Unmasked with the line still high: delivered. */
	redir_set(17, VEC_LEVEL | RTE_LEVEL, 0);
	sti_nop_cli();
	GUEST_ASSERT_EQ(level_count, 5);
	GUEST_ASSERT_EQ(remote_irr(), 1);
	GUEST_SYNC(4);			/* lowered */
	apic_write(APIC_EOI, 0);
	sti_nop_cli();
	GUEST_ASSERT_EQ(level_count, 5);
	GUEST_ASSERT_EQ(remote_irr(), 0);
	GUEST_DONE();
}

static void level(void)
{
	struct kvm_irqchip chip;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_ioapic_vm(&vcpu, 1, guest_level);

	vcpu_run_expect_sync(vcpu, 1);
	TEST_ASSERT_EQ(line_status(vm, 17, 1), 1);
	get_ioapic(vm, &chip);
	TEST_ASSERT_EQ(chip.chip.ioapic.redirtbl[17].fields.remote_irr, 1);
	TEST_ASSERT_EQ(chip.chip.ioapic.irr, 1U << 17);
	vcpu_run_expect_sync(vcpu, 2);
	TEST_ASSERT_EQ(line_status(vm, 17, 1), -1);
	TEST_ASSERT_EQ(line_status(vm, 17, 0), 1);
	get_ioapic(vm, &chip);
	TEST_ASSERT_EQ(chip.chip.ioapic.irr, 0);
	TEST_ASSERT_EQ(chip.chip.ioapic.redirtbl[17].fields.remote_irr, 1);
	vcpu_run_expect_sync(vcpu, 3);
	TEST_ASSERT_EQ(line_status(vm, 17, 1), 1);
	vcpu_run_expect_sync(vcpu, 4);
	TEST_ASSERT_EQ(line_status(vm, 17, 0), 1);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- set_irr --- */

static void guest_set_irr(void)
{
	apic_write(APIC_SVR, 0x1ff);
	redir_set(17, VEC_LEVEL | RTE_LEVEL, 0);
	level_eoi_below = 0;
	GUEST_SYNC(1);			/* KVM_SET_IRQCHIP with irr bit 17 */
	GUEST_ASSERT_EQ(remote_irr(), 1);
	sti_nop_cli();
	GUEST_ASSERT_EQ(level_count, 1);
	GUEST_SYNC(2);			/* lowered */
	apic_write(APIC_EOI, 0);
	sti_nop_cli();
	GUEST_ASSERT_EQ(level_count, 1);
	GUEST_ASSERT_EQ(remote_irr(), 0);
	GUEST_DONE();
}

static void set_irr(void)
{
	struct kvm_irqchip chip;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_ioapic_vm(&vcpu, 1, guest_set_irr);

	vcpu_run_expect_sync(vcpu, 1);
	get_ioapic(vm, &chip);
	TEST_ASSERT_EQ(chip.chip.ioapic.irr, 0);
	chip.chip.ioapic.irr = 1U << 17;
	vm_ioctl(vm, KVM_SET_IRQCHIP, &chip);
	get_ioapic(vm, &chip);
	TEST_ASSERT_EQ(chip.chip.ioapic.irr, 1U << 17);
	TEST_ASSERT_EQ(chip.chip.ioapic.redirtbl[17].fields.remote_irr, 1);
	vcpu_run_expect_sync(vcpu, 2);
	TEST_ASSERT_EQ(line_status(vm, 17, 0), 1);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- status --- */

/*
 * The APIC software-enabled and disabled again: KVM's map of APIC IDs,
 * which its status follows, has the vCPU only after such a change.
 */
static void guest_status(void)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_SVR, 0xff);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(nmi_count, 1);	/* pin 19's */
	GUEST_DONE();
}

static void status(void)
{
	struct kvm_irqchip chip;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_ioapic_vm(&vcpu, 1, guest_status);
	__u64 *rt;

	vcpu_run_expect_sync(vcpu, 1);
	/* No chip on GSIs 24 and up. */
	TEST_ASSERT_EQ(line_status(vm, 24, 1), -1);
	TEST_ASSERT_EQ(line_status(vm, 1000, 1), -1);
	TEST_ASSERT_EQ(line_status(vm, 0xffffffff, 0), -1);
	/* Masked (the reset state): -1; lowered: 1. */
	TEST_ASSERT_EQ(line_status(vm, 20, 1), -1);
	TEST_ASSERT_EQ(line_status(vm, 20, 0), 1);
	get_ioapic(vm, &chip);
	rt = &chip.chip.ioapic.redirtbl[0].bits;
	rt[20] = 0x40;			/* vCPU 0, its APIC software-disabled */
	rt[21] = 0x0500000000000041ULL;	/* APIC ID 5: nobody */
	rt[22] = 0xff00000000000042ULL;	/* broadcast */
	rt[23] = 0x0500000000000043ULL | RTE_LEVEL;
	rt[19] = RTE_NMI;		/* NMI to vCPU 0 */
	vm_ioctl(vm, KVM_SET_IRQCHIP, &chip);
	TEST_ASSERT_EQ(line_status(vm, 20, 1), 0);
	TEST_ASSERT_EQ(line_status(vm, 21, 1), 0);
	TEST_ASSERT_EQ(line_status(vm, 22, 1), 0);
	TEST_ASSERT_EQ(line_status(vm, 23, 1), 0);
	TEST_ASSERT_EQ(line_status(vm, 19, 1), 1);
	TEST_ASSERT_EQ(line_status(vm, 19, 1), 0);	/* no edge */
	get_ioapic(vm, &chip);
	/*
	 * Not accepted: no remote IRR.  Edge pins sent are not in irr, but
	 * one raised again (coalesced) is, as KVM.
	 */
	TEST_ASSERT_EQ(chip.chip.ioapic.redirtbl[23].fields.remote_irr, 0);
	TEST_ASSERT_EQ(chip.chip.ioapic.irr, (1U << 23) | (1U << 19));
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- dest --- */

static void guest_dest(void)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LDR, 0x04U << 24);	/* logical ID 4, flat model */
	redir_set(20, VEC_EDGE | RTE_LOGICAL, 0x04);
	redir_set(21, VEC_EDGE | RTE_LOGICAL, 0x08);
	redir_set(22, VEC_EDGE | RTE_LOGICAL | RTE_LOWEST, 0x04);
	redir_set(23, VEC_EDGE | RTE_LOWEST, 0xff);
	GUEST_SYNC(1);
	sti_nop_cli();
	GUEST_ASSERT_EQ(edge_count, 1);
	GUEST_SYNC(2);
	sti_nop_cli();
	GUEST_ASSERT_EQ(edge_count, 1);
	GUEST_SYNC(3);
	sti_nop_cli();
	GUEST_ASSERT_EQ(edge_count, 2);
	GUEST_SYNC(4);
	sti_nop_cli();
	GUEST_ASSERT_EQ(edge_count, 3);
	GUEST_DONE();
}

static void dest(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_ioapic_vm(&vcpu, 1, guest_dest);

	vcpu_run_expect_sync(vcpu, 1);
	TEST_ASSERT_EQ(line_status(vm, 20, 1), 1);	/* logical 4 */
	vcpu_run_expect_sync(vcpu, 2);
	TEST_ASSERT_EQ(line_status(vm, 21, 1), 0);	/* logical 8: nobody */
	vcpu_run_expect_sync(vcpu, 3);
	TEST_ASSERT_EQ(line_status(vm, 22, 1), 1);	/* lowest, logical */
	vcpu_run_expect_sync(vcpu, 4);
	TEST_ASSERT_EQ(line_status(vm, 23, 1), 1);	/* physical broadcast */
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- threads --- */

#define THREAD_EDGES	2000

/* Counts edges with IF=1 until pin 18's interrupt says stop. */
static void guest_threads(void)
{
	apic_write(APIC_SVR, 0x1ff);
	redir_set(16, VEC_EDGE, 0);
	redir_set(18, VEC_HALT, 0);
	GUEST_SYNC(1);
	asm volatile("sti");
	while (!halt_count)
		asm volatile("pause");
	asm volatile("cli");
	GUEST_ASSERT(edge_count >= 1 && edge_count <= THREAD_EDGES);
	GUEST_DONE();
}

static void *threads_run(void *arg)
{
	vcpu_run_expect_done(arg);
	return NULL;
}

static void threads(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_ioapic_vm(&vcpu, 1, guest_threads);
	pthread_t t;
	int i, r;

	vcpu_run_expect_sync(vcpu, 1);
	TEST_ASSERT(!pthread_create(&t, NULL, threads_run, vcpu),
		    "pthread_create");
	for (i = 0; i < THREAD_EDGES; i++) {
		r = line_status(vm, 16, 1);
		TEST_ASSERT(r == 0 || r == 1, "raise %d: status %d", i, r);
		TEST_ASSERT_EQ(line_status(vm, 16, 0), 1);
	}
	TEST_ASSERT_EQ(line_status(vm, 18, 1), 1);
	TEST_ASSERT(!pthread_join(t, NULL), "pthread_join");
	kvm_vm_free(vm);
}

/* --- halt --- */

static void guest_halt(void)
{
	apic_write(APIC_SVR, 0x1ff);
	redir_set(18, VEC_HALT, 1);	/* physical destination 1 */
	GUEST_SYNC(1);
	while (!halt_count)
		sti_hlt_cli();
	GUEST_ASSERT_EQ(halt_count, 1);
	GUEST_DONE();
}

static void *halt_thread(void *arg)
{
	vcpu_run_expect_done(arg);
	return NULL;
}

static void halt(void)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm = create_ioapic_vm(vcpus, 2, guest_halt);
	pthread_t t;

	/* An AP starts in wait-for-SIPI; this one runs directly. */
	vcpu_ioctl(vcpus[1], KVM_SET_MP_STATE, &mp);
	vcpu_run_expect_sync(vcpus[1], 1);
	TEST_ASSERT(!pthread_create(&t, NULL, halt_thread, vcpus[1]),
		    "pthread_create");
	usleep(200000);		/* most of the time, vCPU 1 is in HLT now */
	TEST_ASSERT_EQ(line_status(vm, 18, 1), 1);
	TEST_ASSERT(!pthread_join(t, NULL), "pthread_join");
	kvm_vm_free(vm);
}

/* --- rtc --- */

#define VEC_RTC		0x74

static void guest_rtc(void)
{
	apic_write(APIC_SVR, 0x1ff);
	redir_set(8, VEC_RTC, 0);	/* edge, physical APIC ID 0 */
	GUEST_SYNC(1);			/* IF stays clear: IRR keeps it */
	GUEST_DONE();
}

/* Set or clear @vector in the IRR of @vcpu's APIC with KVM_SET_LAPIC. */
static void lapic_irr(struct kvm_vcpu *vcpu, uint8_t vector, bool set)
{
	struct kvm_lapic_state s;
	uint32_t *w;

	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	w = (uint32_t *)&s.regs[0x200 + (vector / 32) * 16];
	if (set)
		*w |= 1U << (vector % 32);
	else
		*w &= ~(1U << (vector % 32));
	vcpu_ioctl(vcpu, KVM_SET_LAPIC, &s);
}

static void rtc(void)
{
	struct kvm_irqchip pic = { .chip_id = KVM_IRQCHIP_PIC_SLAVE };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_ioapic_vm(&vcpu, 1, guest_rtc);

	vcpu_run_expect_sync(vcpu, 1);
	/* GSI 8 is also the slave PIC's pin 0: masked, it answers -1. */
	vm_ioctl(vm, KVM_GET_IRQCHIP, &pic);
	pic.chip.pic.imr = 1;
	vm_ioctl(vm, KVM_SET_IRQCHIP, &pic);
	TEST_ASSERT_EQ(line_status(vm, 8, 1), 1);	/* into IRR */
	TEST_ASSERT_EQ(line_status(vm, 8, 0), 1);
	TEST_ASSERT_EQ(line_status(vm, 8, 1), 0);	/* EOI owed */
	TEST_ASSERT_EQ(line_status(vm, 8, 0), 1);
	lapic_irr(vcpu, VEC_RTC, false);
	TEST_ASSERT_EQ(line_status(vm, 8, 1), 1);	/* debt gone */
	TEST_ASSERT_EQ(line_status(vm, 8, 0), 1);
	lapic_irr(vcpu, VEC_RTC, false);
	lapic_irr(vcpu, VEC_RTC, true);
	TEST_ASSERT_EQ(line_status(vm, 8, 1), 0);	/* owed again */
	TEST_ASSERT_EQ(line_status(vm, 8, 0), 1);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- legacy_gsi --- */

static void legacy_gsi(void)
{
	struct kvm_irqchip pic = { .chip_id = KVM_IRQCHIP_PIC_MASTER };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_ioapic_vm(&vcpu, 1, guest_status);

	/* The PIC after reset: nothing masked.  The I/O APIC: all masked. */
	TEST_ASSERT_EQ(line_status(vm, 4, 1), 1);	/* 1 + -1 */
	TEST_ASSERT_EQ(line_status(vm, 4, 1), 1);	/* 1 + 0 (no edge) */
	TEST_ASSERT_EQ(line_status(vm, 4, 0), 2);	/* lowered: 1 + 1 */
	TEST_ASSERT_EQ(line_status(vm, 4, 1), 0);	/* PIC: still pending */
	TEST_ASSERT_EQ(line_status(vm, 4, 0), 2);
	TEST_ASSERT_EQ(line_status(vm, 12, 1), 1);	/* the slave's pin 4 */
	/* PIC pin 4 masked (OCW1 by KVM_SET_IRQCHIP): both chips -1. */
	vm_ioctl(vm, KVM_GET_IRQCHIP, &pic);
	pic.chip.pic.imr = 1U << 4;
	vm_ioctl(vm, KVM_SET_IRQCHIP, &pic);
	TEST_ASSERT_EQ(line_status(vm, 4, 1), -1);
	TEST_ASSERT_EQ(line_status(vm, 4, 0), 1);	/* -1 (masked) + 1 */
	TEST_ASSERT_EQ(line_status(vm, 5, 1), 1);	/* pin 5 unmasked */
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(errors),
	KVM_TEST(regs),
	KVM_TEST(edge),
	KVM_TEST(level),
	KVM_TEST(set_irr),
	KVM_TEST(status),
	KVM_TEST(dest),
	KVM_TEST(threads),
	KVM_TEST(halt),
	KVM_TEST(rtc),
	KVM_TEST(legacy_gsi),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
