// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VM-level interrupt controllers of KVM_CREATE_IRQCHIP and the routing
 * of interrupt lines (GSIs) to them, KVM 6.1's model: KVM_IRQ_LINE and
 * KVM_IRQ_LINE_STATUS, KVM_GET/SET_IRQCHIP, and the in-kernel I/O APIC
 * (the PIC pair is pic.c).
 *
 * Routing is KVM's default table (no KVM_SET_GSI_ROUTING): GSI 0-15 go to
 * PIC pin n and I/O APIC pin n, GSI 16-23 to I/O APIC pin n only, higher
 * GSIs nowhere.  The status of KVM_IRQ_LINE_STATUS sums what the chips
 * on the GSI return (each: 1 delivered or lowered, 0 coalesced, -1
 * masked or nobody to deliver to), ignoring the negative ones; -1 when all
 * are negative or there is no chip on the GSI.
 *
 * The I/O APIC (82093AA I/O APIC datasheet; KVM's: version 0x11, 24 pins,
 * no EOI register, fixed at 0xfec00000): IOREGSEL (offset 0x00) selects a
 * register that IOWIN (0x10) reads and writes: the ID (0x00), the version
 * (0x01), the arbitration ID (0x02), and two 32-bit halves per 64-bit
 * redirection entry (0x10 + 2 * pin): vector, delivery mode, destination
 * mode, delivery status, polarity, remote IRR, trigger mode, mask,
 * destination.  As KVM, the level given to KVM_IRQ_LINE is the pin's
 * asserted state: the polarity bit is kept but not applied.
 *
 * Delivery of a pin (ioapic_service()): nothing while masked, or, when
 * level-triggered, while remote IRR is set; else the entry is sent as a
 * message to the local APICs (mkvm_lapic_deliver(), lapic.c).  An
 * edge-triggered pin is sent when the line goes from low to high; a
 * level-triggered one while the line is high and remote IRR is clear;
 * the send sets remote IRR (datasheet, "Remote IRR": set when the local
 * APICs accept the level interrupt).  The local APIC that accepts it
 * sets the vector's TMR bit; the guest's EOI of it is broadcast here
 * (mkvm_ioapic_eoi()), which clears remote IRR of every level-triggered
 * pin with that vector and sends again if the line is still high.
 *
 * The RTC's GSI 8 with KVM_IRQ_LINE_STATUS: as KVM, an edge there is
 * "coalesced" (status 0) until every local APIC that accepted the last one
 * has EOIed it, so that userspace can compensate lost ticks; KVM_SET_LAPIC
 * and KVM_SET_IRQCHIP rebuild that record from the APICs' IRR and ISR.
 *
 * Locking: KVM_IRQ_LINE may come from any thread while vCPUs run.  The
 * I/O APIC's state is under its mutex (process context only: ioctls, MMIO
 * exits, the EOI of a vCPU); delivery takes vm->lock inside it (order:
 * ioapic->lock, then vm->lock) and sets the targets' IRR atomically and
 * kicks them, as the ICR does.  vm->ioapic is set once, with vm->lock
 * held, before any vCPU exists, and freed with the VM.
 */
#include <linux/bitmap.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "minikvm.h"

#define IOAPIC_BASE		0xfec00000ULL	/* KVM's, and the PC's */
#define IOAPIC_SIZE		0x100
#define IOAPIC_PINS		KVM_IOAPIC_NUM_PINS	/* 24 */
#define IOAPIC_VERSION		0x11

/* MMIO registers and the indirect ones behind IOWIN (datasheet, "Register Description"). */
#define IOAPIC_IOREGSEL		0x00
#define IOAPIC_IOWIN		0x10
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VER		0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_REDTBL	0x10

#define IOAPIC_TRIG_EDGE	0
#define IOAPIC_TRIG_LEVEL	1

#define RTC_GSI			8

struct mkvm_ioapic {
	struct mutex lock;
	/*
	 * The state as KVM_GET/SET_IRQCHIP have it; state.irr is the pins
	 * whose line is high.
	 */
	struct kvm_ioapic_state state;
	u32 irr_delivered;	/* edge pins sent since their line went high */
	/* RTC coalescing: the APICs (by ID) that have its EOI to give. */
	int rtc_pending_eoi;
	DECLARE_BITMAP(rtc_map, MKVM_MAX_VCPU_IDS);
	u8 rtc_vector[MKVM_MAX_VCPU_IDS];
};

static struct mkvm_ioapic *vm_ioapic(struct mkvm_vm *vm)
{
	/* Pairs with the release in mkvm_irqchip_create(). */
	return smp_load_acquire(&vm->ioapic);
}

static void rtc_eoi_reset(struct mkvm_ioapic *io)
{
	io->rtc_pending_eoi = 0;
	bitmap_zero(io->rtc_map, MKVM_MAX_VCPU_IDS);
}

/*
 * Send pin @pin's entry to the local APICs if it may go now.  Return: -1
 * (masked, waiting for an EOI, or a broadcast nobody gets), else how many
 * accepted (mkvm_lapic_deliver()).
 */
static int ioapic_service(struct mkvm_vm *vm, struct mkvm_ioapic *io,
			  unsigned int pin, bool line_status)
{
	typeof(io->state.redirtbl[0]) *e = &io->state.redirtbl[pin];
	DECLARE_BITMAP(accepted, MKVM_MAX_VCPU_IDS);
	struct mkvm_apic_irq irq;
	unsigned int id;
	int r;

	if (e->fields.mask || (e->fields.trig_mode == IOAPIC_TRIG_LEVEL &&
			       e->fields.remote_irr))
		return -1;
	irq = (struct mkvm_apic_irq) {
		.dest = e->fields.dest_id,
		.vector = e->fields.vector,
		.delivery_mode = e->fields.delivery_mode,
		.shorthand = MKVM_APIC_SH_NONE,
		.logical = e->fields.dest_mode,
		.level_trig = e->fields.trig_mode == IOAPIC_TRIG_LEVEL,
		.assert = true,
	};
	if (!irq.level_trig)
		io->irr_delivered |= BIT(pin);
	if (pin == RTC_GSI && line_status) {
		bitmap_zero(accepted, MKVM_MAX_VCPU_IDS);
		r = mkvm_lapic_deliver(vm, NULL, &irq, accepted);
		for_each_set_bit(id, accepted, MKVM_MAX_VCPU_IDS) {
			__set_bit(id, io->rtc_map);
			io->rtc_vector[id] = irq.vector;
		}
		io->rtc_pending_eoi = max(r, 0);
	} else {
		r = mkvm_lapic_deliver(vm, NULL, &irq, NULL);
	}
	/* As KVM: also when nobody was named (-1), which an EOI never clears. */
	if (r && irq.level_trig)
		e->fields.remote_irr = 1;
	return r;
}

/* The line of pin @pin is now @level.  Return: the pin's status. */
static int ioapic_set_irq(struct mkvm_vm *vm, struct mkvm_ioapic *io,
			  unsigned int pin, bool level, bool line_status)
{
	bool edge = io->state.redirtbl[pin].fields.trig_mode ==
		    IOAPIC_TRIG_EDGE;
	u32 old = io->state.irr;

	if (!level) {
		io->state.irr &= ~BIT(pin);
		return 1;
	}
	if (pin == RTC_GSI && line_status && io->rtc_pending_eoi > 0)
		return 0;
	io->state.irr |= BIT(pin);
	if (edge) {
		io->irr_delivered &= ~BIT(pin);
		if (old == io->state.irr)
			return 0;	/* no rising edge: coalesced */
	}
	return ioapic_service(vm, io, pin, line_status);
}

static u32 ioapic_read_indirect(struct mkvm_ioapic *io)
{
	u32 sel = io->state.ioregsel, pin;
	u64 e;

	switch (sel) {
	case IOAPIC_REG_VER:
		return ((IOAPIC_PINS - 1) << 16) | IOAPIC_VERSION;
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		return (io->state.id & 0xf) << 24;
	}
	pin = (sel - IOAPIC_REG_REDTBL) >> 1;
	if (pin >= IOAPIC_PINS)
		return 0xffffffff;	/* reserved: all ones, as KVM */
	e = io->state.redirtbl[array_index_nospec(pin, IOAPIC_PINS)].bits;
	return (sel & 1) ? e >> 32 : (u32)e;
}

/*
 * IOWIN written.  Remote IRR and delivery status are read-only (82093AA
 * datasheet, "I/O Redirection Table Registers": bits 14 and 12 RO); as KVM,
 * an entry made edge-triggered has remote IRR cleared (what Linux expects
 * of an I/O APIC without EOI register), and a level-triggered entry whose
 * line is high is sent when it may go now (unmasked, remote IRR clear).
 */
static void ioapic_write_indirect(struct mkvm_vm *vm, struct mkvm_ioapic *io,
				  u32 val)
{
	typeof(io->state.redirtbl[0]) *e;
	u32 sel = io->state.ioregsel, pin;
	u8 remote_irr, status;

	switch (sel) {
	case IOAPIC_REG_ID:
		io->state.id = (val >> 24) & 0xf;
		return;
	case IOAPIC_REG_VER:
	case IOAPIC_REG_ARB:
		return;		/* read-only */
	}
	pin = (sel - IOAPIC_REG_REDTBL) >> 1;
	if (pin >= IOAPIC_PINS)
		return;
	pin = array_index_nospec(pin, IOAPIC_PINS);
	e = &io->state.redirtbl[pin];
	remote_irr = e->fields.remote_irr;
	status = e->fields.delivery_status;
	if (sel & 1)
		e->bits = (u32)e->bits | ((u64)val << 32);
	else
		e->bits = (e->bits & ~0xffffffffULL) | val;
	e->fields.remote_irr = remote_irr;
	e->fields.delivery_status = status;
	if (e->fields.trig_mode == IOAPIC_TRIG_EDGE)
		e->fields.remote_irr = 0;
	if (e->fields.trig_mode == IOAPIC_TRIG_LEVEL &&
	    (io->state.irr & BIT(pin)))
		ioapic_service(vm, io, pin, false);
}

/**
 * mkvm_ioapic_mmio() - an access to guest-physical @gpa, handled here if it
 * is the I/O APIC's
 * @vcpu: the vCPU
 * @gpa: the address
 * @write: store
 * @data: the data (stored, or to be loaded), @len bytes
 * @len: 1, 2, 4 or 8
 *
 * As KVM: the access must lie in the 256 bytes at 0xfec00000 (and at the
 * base of KVM_SET_IRQCHIP's state, which KVM compares but never moves
 * the device to); offsets other than IOREGSEL and IOWIN read 0 and ignore
 * writes; a load zero-extends the 32-bit register, a store takes its low
 * @len bytes (8: the low 4).  IOREGSEL is 8 bits.
 *
 * Return: true when the access was the I/O APIC's.
 */
bool mkvm_ioapic_mmio(struct mkvm_vcpu *vcpu, u64 gpa, bool write,
		      void *data, unsigned int len)
{
	struct mkvm_vm *vm = vcpu->vm;
	struct mkvm_ioapic *io = vm_ioapic(vm);
	u32 off = gpa & 0xff, val = 0;

	if (!io || gpa < IOAPIC_BASE || gpa + len > IOAPIC_BASE + IOAPIC_SIZE)
		return false;
	mutex_lock(&io->lock);
	if (gpa < io->state.base_address ||
	    gpa >= io->state.base_address + IOAPIC_SIZE) {
		mutex_unlock(&io->lock);
		return false;
	}
	if (write) {
		if (len == 1)
			val = *(u8 *)data;
		else if (len == 2)
			val = *(u16 *)data;
		else if (len == 4 || len == 8)
			val = *(u32 *)data;
		else
			off = ~0U;
		if (off == IOAPIC_IOREGSEL)
			io->state.ioregsel = val & 0xff;
		else if (off == IOAPIC_IOWIN)
			ioapic_write_indirect(vm, io, val);
	} else {
		if (off == IOAPIC_IOREGSEL)
			val = io->state.ioregsel;
		else if (off == IOAPIC_IOWIN)
			val = ioapic_read_indirect(io);
		memset(data, 0, len);
		memcpy(data, &val, min(len, 4U));
	}
	mutex_unlock(&io->lock);
	return true;
}

/**
 * mkvm_ioapic_eoi() - a local APIC's EOI of @vector, broadcast to the I/O
 * APIC (SDM Vol. 3A, "End-of-Interrupt (EOI)")
 * @vcpu: the vCPU whose APIC EOIed
 * @vector: the vector
 * @level: its TMR bit was set (level-triggered)
 *
 * A level-triggered EOI clears remote IRR of every level-triggered pin
 * with @vector (datasheet, "Remote IRR": cleared by the EOI message of a
 * matching vector) and sends the pin again if its line is still high and
 * it is unmasked.  Any EOI counts for the RTC's coalescing.  Unlike KVM,
 * no delay after 10000 EOIs in a row with the line high (an interrupt
 * storm slows only the guest that makes it).
 *
 * Context: the vCPU's thread, process context.
 */
void mkvm_ioapic_eoi(struct mkvm_vcpu *vcpu, u8 vector, bool level)
{
	struct mkvm_vm *vm = vcpu->vm;
	struct mkvm_ioapic *io = vm_ioapic(vm);
	unsigned int pin;

	if (!io)
		return;
	mutex_lock(&io->lock);
	if (test_bit(vcpu->id, io->rtc_map) &&
	    io->rtc_vector[vcpu->id] == vector) {
		__clear_bit(vcpu->id, io->rtc_map);
		if (io->rtc_pending_eoi > 0)
			io->rtc_pending_eoi--;
	}
	for (pin = 0; level && pin < IOAPIC_PINS; pin++) {
		typeof(io->state.redirtbl[0]) *e = &io->state.redirtbl[pin];

		if (e->fields.vector != vector ||
		    e->fields.trig_mode != IOAPIC_TRIG_LEVEL)
			continue;
		e->fields.remote_irr = 0;
		if (!e->fields.mask && (io->state.irr & BIT(pin)))
			ioapic_service(vm, io, pin, false);
	}
	mutex_unlock(&io->lock);
}

/*
 * The RTC's tracking for one vCPU after its APIC state changed from outside
 * (KVM_SET_LAPIC) or the I/O APIC's did (KVM_SET_IRQCHIP): the vCPU owes an
 * EOI for the RTC's vector when its APIC, named by pin 8's entry, has the
 * vector in IRR or ISR (KVM's __rtc_irq_eoi_tracking_restore_one()).
 */
static void rtc_restore_one(struct mkvm_ioapic *io, struct mkvm_vcpu *vcpu)
{
	typeof(io->state.redirtbl[0]) *e = &io->state.redirtbl[RTC_GSI];
	int owed;
	bool was;

	if (!vcpu->lapic)
		return;
	owed = mkvm_lapic_rtc_pending(vcpu, e->fields.dest_id,
				      e->fields.dest_mode, e->fields.vector);
	was = test_bit(vcpu->id, io->rtc_map);
	if (owed < 0 || owed == was)
		return;
	if (owed) {
		__set_bit(vcpu->id, io->rtc_map);
		io->rtc_vector[vcpu->id] = e->fields.vector;
		io->rtc_pending_eoi++;
	} else {
		__clear_bit(vcpu->id, io->rtc_map);
		if (io->rtc_pending_eoi > 0)
			io->rtc_pending_eoi--;
	}
}

/**
 * mkvm_ioapic_rtc_restore() - KVM_SET_LAPIC changed @vcpu's IRR and ISR:
 * the RTC's coalescing follows them
 * @vcpu: the vCPU (its mutex held)
 */
void mkvm_ioapic_rtc_restore(struct mkvm_vcpu *vcpu)
{
	struct mkvm_ioapic *io = vm_ioapic(vcpu->vm);

	if (!io)
		return;
	mutex_lock(&io->lock);
	rtc_restore_one(io, vcpu);
	mutex_unlock(&io->lock);
}

/* Sum of the statuses of the chips on a GSI, as KVM's kvm_set_irq(). */
static int irqchip_status_add(int sum, int r)
{
	if (r < 0)
		return sum;
	return r + max(sum, 0);
}

/*
 * GSI @gsi is now at @level: every chip pin on it, by KVM's default
 * routing.  Return: the status of KVM_IRQ_LINE_STATUS.
 */
static int irqchip_set_gsi(struct mkvm_vm *vm, u32 gsi, bool level,
			   bool line_status)
{
	struct mkvm_ioapic *io = vm_ioapic(vm);
	int ret = -1;

	/* GSI 0-15: PIC pin @gsi too (pic.c), as KVM's default routing. */
	if (gsi < 16)
		ret = irqchip_status_add(ret, mkvm_pic_set_irq(vm, gsi, level));
	if (gsi < IOAPIC_PINS) {
		gsi = array_index_nospec(gsi, IOAPIC_PINS);
		mutex_lock(&io->lock);
		ret = irqchip_status_add(ret, ioapic_set_irq(vm, io, gsi, level,
							     line_status));
		mutex_unlock(&io->lock);
	}
	return ret;
}

/* KVM_IRQ_LINE(_STATUS): -ENXIO without an in-kernel irqchip, as KVM. */
static long irqchip_irq_line(struct mkvm_vm *vm, void __user *argp,
			     bool line_status)
{
	struct kvm_irq_level ev;

	if (copy_from_user(&ev, argp, sizeof(ev)))
		return -EFAULT;
	if (!vm_ioapic(vm))
		return -ENXIO;
	ev.status = irqchip_set_gsi(vm, ev.irq, ev.level, line_status);
	if (line_status && copy_to_user(argp, &ev, sizeof(ev)))
		return -EFAULT;
	return 0;
}

static void ioapic_get(struct mkvm_ioapic *io, struct kvm_ioapic_state *s)
{
	mutex_lock(&io->lock);
	*s = io->state;
	/* As KVM: an edge pin already sent is not pending any more. */
	s->irr &= ~io->irr_delivered;
	mutex_unlock(&io->lock);
}

/*
 * The whole state, base address included (KVM compares accesses with it),
 * then the pins of s->irr raised again: level-triggered ones may be sent.
 */
static void ioapic_set(struct mkvm_vm *vm, struct mkvm_ioapic *io,
		       const struct kvm_ioapic_state *s)
{
	unsigned long irr = s->irr;
	unsigned int pin, i;

	mutex_lock(&io->lock);
	io->state = *s;
	io->state.irr = 0;
	io->irr_delivered = 0;
	rtc_eoi_reset(io);
	/* Rebuilt from the APICs, as KVM (ioapic->lock, then vm->lock). */
	mutex_lock(&vm->lock);
	for (i = 0; i < vm->nr_vcpus; i++)
		rtc_restore_one(io, vm->vcpus[i]);
	mutex_unlock(&vm->lock);
	for_each_set_bit(pin, &irr, IOAPIC_PINS)
		ioapic_set_irq(vm, io, pin, true, true);
	mutex_unlock(&io->lock);
}

/*
 * KVM_GET/SET_IRQCHIP.  As KVM: the argument is read first (-EFAULT),
 * then -ENXIO without an in-kernel irqchip, -EINVAL for a chip id other
 * than 0-2.  Ids 0 and 1 are the PIC pair's (pic.c), 2 the I/O APIC's.
 */
static long irqchip_get_set(struct mkvm_vm *vm, void __user *argp, bool set)
{
	struct mkvm_ioapic *io = vm_ioapic(vm);
	struct kvm_irqchip *chip;
	long r = 0;

	chip = memdup_user(argp, sizeof(*chip));
	if (IS_ERR(chip))
		return PTR_ERR(chip);
	if (!io) {
		r = -ENXIO;
		goto out;
	}
	switch (chip->chip_id) {
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE:
		if (set)
			r = mkvm_pic_set_state(vm, chip->chip_id,
					       &chip->chip.pic);
		else
			r = mkvm_pic_get_state(vm, chip->chip_id,
					       &chip->chip.pic);
		if (r)
			goto out;
		break;
	case KVM_IRQCHIP_IOAPIC:
		if (set)
			ioapic_set(vm, io, &chip->chip.ioapic);
		else
			ioapic_get(io, &chip->chip.ioapic);
		break;
	default:
		r = -EINVAL;
		goto out;
	}
	if (!set && copy_to_user(argp, chip, sizeof(*chip)))
		r = -EFAULT;
out:
	kfree(chip);
	return r;
}

/**
 * mkvm_irqchip_ioctl() - the VM ioctls of the irqchip
 * @vm: the VM
 * @ioctl: KVM_IRQ_LINE, KVM_IRQ_LINE_STATUS, KVM_GET_IRQCHIP or
 *	   KVM_SET_IRQCHIP
 * @argp: its argument
 *
 * Return: 0 or a negative errno, as KVM's.
 */
long mkvm_irqchip_ioctl(struct mkvm_vm *vm, unsigned int ioctl,
			void __user *argp)
{
	switch (ioctl) {
	case KVM_IRQ_LINE:
		return irqchip_irq_line(vm, argp, false);
	case KVM_IRQ_LINE_STATUS:
		return irqchip_irq_line(vm, argp, true);
	case KVM_GET_IRQCHIP:
		return irqchip_get_set(vm, argp, false);
	case KVM_SET_IRQCHIP:
		return irqchip_get_set(vm, argp, true);
	default:
		return -ENOTTY;
	}
}

/**
 * mkvm_irqchip_create() - KVM_CREATE_IRQCHIP's VM-level chips: the PIC
 * pair (pic.c) and the I/O APIC, in their reset states (the I/O APIC:
 * every pin masked, at 0xfec00000, ID 0)
 * @vm: the VM, vm->lock held, no vCPU yet
 *
 * vm->ioapic is published last: an ioctl that sees it sees the PIC too.
 *
 * Return: 0 or -ENOMEM.
 */
int mkvm_irqchip_create(struct mkvm_vm *vm)
{
	struct mkvm_ioapic *io = kzalloc(sizeof(*io), GFP_KERNEL_ACCOUNT);
	unsigned int pin;

	if (!io || mkvm_pic_create(vm)) {
		kfree(io);
		return -ENOMEM;
	}
	mutex_init(&io->lock);
	io->state.base_address = IOAPIC_BASE;
	for (pin = 0; pin < IOAPIC_PINS; pin++)
		io->state.redirtbl[pin].fields.mask = 1;
	/* The initialised chip before the pointer: pairs with vm_ioapic(). */
	smp_store_release(&vm->ioapic, io);
	return 0;
}

/* With the VM, when no vCPU and no ioctl can use the chips any more. */
void mkvm_irqchip_free(struct mkvm_vm *vm)
{
	kfree(vm->ioapic);
	vm->ioapic = NULL;
	mkvm_pic_free(vm);
}
