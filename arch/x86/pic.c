// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel legacy PIC pair (KVM_CREATE_IRQCHIP): two cascaded 8259A
 * programmable interrupt controllers, the master at ports 0x20/0x21 and
 * the slave at 0xa0/0xa1, the slave's INT on the master's IR2, with the
 * PIIX edge/level control registers (ELCR) at 0x4d0/0x4d1.  The hardware
 * rules are those of the Intel 8259A datasheet (order number 231468),
 * sections "Interrupt Sequence", "Programming the 8259A", "Initialization
 * Command Words", "Operation Command Words"; the model and its state are
 * KVM 6.1's (struct kvm_pic_state per chip, which KVM_GET/SET_IRQCHIP copy
 * as they are).
 *
 * Inputs: mkvm_pic_set_irq() (KVM_IRQ_LINE, pins 0-15).  An edge-triggered
 * pin sets IRR on a rising edge (last_irr remembers the level); a
 * level-triggered one (its ELCR bit) follows the level, and acknowledging
 * it does not clear IRR, so it comes again after the EOI while it is
 * still asserted.
 *
 * Output: the master's INT pin ("output"), which the local APIC of every
 * vCPU that accepts PIC interrupts takes on LINT0 as ExtINT: LVT0 unmasked
 * with delivery mode ExtINT, or the APIC globally disabled (Intel SDM Vol.
 * 3A, "Local Vector Table"; KVM's rule).  When the output rises, the first
 * such vCPU is kicked (lapic.c, which also wakes it from HLT).  Before an
 * entry mkvm_x86_event_next() (events.c) asks mkvm_pic_take_extint() before
 * the LAPIC's IRR: an ExtINT is not subject to TPR/PPR, and its vector
 * comes from the interrupt acknowledge cycle done right there (IRR -> ISR,
 * auto-EOI), once: an exit that cuts its delivery short makes events.c
 * inject the same vector again without a second acknowledge.
 *
 * Port I/O: byte accesses to the six ports are done here when the VM has
 * an irqchip (mkvm_x86_pio_in_kernel(), emulate.c), string I/O included,
 * one element per exit; as KVM, a wider access within a chip's two ports
 * is dropped (OUT) or reads zero (IN), and one that crosses them goes to
 * userspace.
 *
 * Differences from KVM 6.1, which keeps the model of QEMU's i8259: none in
 * what a guest sees, except that the special mask mode (OCW3) has its
 * datasheet effect (masked in-service levels do not hold back lower ones),
 * where KVM only stores the bit.  Like KVM: no single (non-cascaded) mode,
 * ICW3 is read and ignored, the poll word is the level alone (without the
 * datasheet's bit 7), an ICW1 takes out of ISR the levels whose edge
 * request is pending when a vCPU takes ExtINTs, and leaves the rest.
 *
 * Context: the state is under pic->lock (a raw spinlock, since the entry
 * path takes it with preemption off, also on PREEMPT_RT: vCPU threads doing
 * port I/O or taking an ExtINT, and KVM_IRQ_LINE / KVM_SET_IRQCHIP from
 * any thread); output is also read locklessly by the event choice.  The
 * kick after a rising output takes mkvm_vm.lock to walk the vCPUs, so the
 * entry points that can raise it are process context.
 */
#include <linux/kernel.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "minikvm.h"

#define PIC_MASTER	0
#define PIC_SLAVE	1
#define PIC_CASCADE_IR	2	/* the master's input from the slave */
#define PIC_SPURIOUS_IR	7	/* the level of a spurious interrupt */

/* Which ELCR bits exist (PIIX): not IRQ 0, 1, 2, 8 and 13, as KVM. */
#define PIC_ELCR_MASK_MASTER	0xf8
#define PIC_ELCR_MASK_SLAVE	0xde

/* ICW1 (A0 = 0, D4 = 1). */
#define ICW1_IC4	BIT(0)	/* ICW4 follows */
#define ICW1_SNGL	BIT(1)	/* single, no ICW3 (not modelled) */
#define ICW1_INIT	BIT(4)
/* ICW4 */
#define ICW4_AEOI	BIT(1)
#define ICW4_SFNM	BIT(4)	/* special fully nested mode */
/* OCW3 (A0 = 0, D4 = 0, D3 = 1) */
#define OCW3_RIS	BIT(0)	/* read ISR (with RR), else IRR */
#define OCW3_RR		BIT(1)	/* RIS is valid */
#define OCW3_POLL	BIT(2)
#define OCW3_SEL	BIT(3)
#define OCW3_SMM	BIT(5)	/* special mask mode (with ESMM) */
#define OCW3_ESMM	BIT(6)
/* OCW2 (A0 = 0, D4 = 0, D3 = 0): R, SL, EOI in D7-D5, the level in D2-D0. */
#define OCW2_CMD(v)	((v) >> 5)
#define OCW2_ROTATE_AEOI_CLEAR	0	/* rotate in auto-EOI mode: clear */
#define OCW2_EOI		1	/* non-specific EOI */
#define OCW2_NOP		2
#define OCW2_SEOI		3	/* specific EOI */
#define OCW2_ROTATE_AEOI_SET	4	/* rotate in auto-EOI mode: set */
#define OCW2_ROTATE_EOI		5	/* rotate on non-specific EOI */
#define OCW2_SET_PRIORITY	6	/* set priority (lowest = level) */
#define OCW2_ROTATE_SEOI	7	/* rotate on specific EOI */

/* init_state: what the next write to the odd port is. */
enum { PIC_READY, PIC_ICW2, PIC_ICW3, PIC_ICW4 };

struct mkvm_pic {
	raw_spinlock_t lock;
	struct mkvm_vm *vm;
	struct kvm_pic_state chip[2];	/* master, slave */
	bool output;			/* the master's INT */
	bool rose;			/* output rose: kick after unlocking */
};

static bool pic_is_master(const struct mkvm_pic *p, const struct kvm_pic_state *c)
{
	return c == &p->chip[PIC_MASTER];
}

/*
 * An input's new level (datasheet, "Edge and Level Triggered Modes").
 * Return: KVM's kvm_pic_set_irq(): -1 masked, 0 already requested
 * (coalesced), 1 a new request.
 */
static int pic_input(struct kvm_pic_state *c, unsigned int ir, bool level)
{
	u8 bit = BIT(ir);
	int r = 1;

	if (level) {
		/* Level: while asserted; edge: on a low-to-high transition. */
		if ((c->elcr & bit) || !(c->last_irr & bit)) {
			r = !(c->irr & bit);
			c->irr |= bit;
		}
		c->last_irr |= bit;
	} else {
		if (c->elcr & bit)
			c->irr &= ~bit;
		c->last_irr &= ~bit;
	}
	return (c->imr & bit) ? -1 : r;
}

/*
 * The priority of the highest level set in @mask, 0 (highest) to 7, or 8
 * when none: level (priority + priority_add) & 7, as rotation moves the
 * lowest priority (datasheet, "Automatic Rotation", "Specific Rotation").
 */
static unsigned int pic_priority(const struct kvm_pic_state *c, u8 mask)
{
	unsigned int prio;

	for (prio = 0; prio < 8; prio++)
		if (mask & BIT((prio + c->priority_add) & 7))
			return prio;
	return 8;
}

/*
 * The level this chip would request from the CPU now, or -1: the highest
 * unmasked request above every level in service ("Fully Nested Mode").
 * In special fully nested mode the master's IR2 in service does not hold
 * back the slave's higher requests; in special mask mode a masked level in
 * service does not hold back anything ("Special Mask Mode").
 */
static int pic_request(const struct mkvm_pic *p, const struct kvm_pic_state *c)
{
	unsigned int prio = pic_priority(c, c->irr & ~c->imr);
	u8 in_service = c->isr;

	if (prio == 8)
		return -1;
	if (c->special_fully_nested_mode && pic_is_master(p, c))
		in_service &= ~BIT(PIC_CASCADE_IR);
	if (c->special_mask)
		in_service &= ~c->imr;
	if (prio >= pic_priority(c, in_service))
		return -1;
	return (prio + c->priority_add) & 7;
}

/*
 * After any change: the slave's INT pulses the master's IR2, the master's
 * INT is the output.  A rising output is noted for the kick.
 */
static void pic_update(struct mkvm_pic *p)
{
	bool out;

	if (pic_request(p, &p->chip[PIC_SLAVE]) >= 0) {
		pic_input(&p->chip[PIC_MASTER], PIC_CASCADE_IR, true);
		pic_input(&p->chip[PIC_MASTER], PIC_CASCADE_IR, false);
	}
	out = pic_request(p, &p->chip[PIC_MASTER]) >= 0;
	if (out && !p->output)
		p->rose = true;
	WRITE_ONCE(p->output, out);
}

/* The first vCPU whose LINT0 takes the PICs' interrupts now; vm->lock held. */
static struct mkvm_vcpu *pic_acceptor(struct mkvm_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i]->lapic && mkvm_lapic_accept_pic(vm->vcpus[i]))
			return vm->vcpus[i];
	return NULL;
}

/*
 * Unlock; after a rising output kick the first vCPU that takes PIC
 * interrupts, as KVM does (out of guest mode or HLT, as a new IRR bit).
 */
static void pic_unlock(struct mkvm_pic *p)
	__releases(&p->lock)
{
	struct mkvm_vm *vm = p->vm;
	struct mkvm_vcpu *t;
	bool rose = p->rose;

	p->rose = false;
	raw_spin_unlock(&p->lock);
	if (!rose)
		return;
	mutex_lock(&vm->lock);
	t = pic_acceptor(vm);
	if (t)
		mkvm_lapic_kick(t);
	mutex_unlock(&vm->lock);
}

/* Acknowledge level @ir: in service; edge requests leave IRR ("INTA"). */
static void pic_ack(struct kvm_pic_state *c, unsigned int ir)
{
	c->isr |= BIT(ir);
	if (!(c->elcr & BIT(ir)))
		c->irr &= ~BIT(ir);
	if (c->auto_eoi) {
		/* "Automatic End of Interrupt (AEOI) Mode", with rotation. */
		if (c->rotate_on_auto_eoi)
			c->priority_add = (ir + 1) & 7;
		c->isr &= ~BIT(ir);
	}
}

/*
 * The interrupt acknowledge sequence: the vector of the highest request,
 * through the cascade; with none (it went away), the spurious IR7 of the
 * chip that was asked, which is not set in service ("Interrupt Sequence").
 */
static u8 pic_intack(struct mkvm_pic *p)
{
	struct kvm_pic_state *m = &p->chip[PIC_MASTER];
	struct kvm_pic_state *s = &p->chip[PIC_SLAVE];
	int ir = pic_request(p, m), ir2;
	u8 vector;

	if (ir < 0) {
		vector = m->irq_base + PIC_SPURIOUS_IR;
	} else {
		pic_ack(m, ir);
		if (ir == PIC_CASCADE_IR) {
			ir2 = pic_request(p, s);
			if (ir2 >= 0)
				pic_ack(s, ir2);
			else
				ir2 = PIC_SPURIOUS_IR;
			vector = s->irq_base + ir2;
		} else {
			vector = m->irq_base + ir;
		}
	}
	pic_update(p);
	return vector;
}

/*
 * ICW1: the initialization sequence starts ("Initialization Command
 * Words"): edge sense reset, IMR clear, IR7 lowest, special mask mode off,
 * IRR selected for reading, the ICW4 functions clear when no ICW4 comes.
 * Level-triggered requests stay in IRR.  As KVM 6.1: when a vCPU takes
 * the PICs' interrupts (@accepted), the levels whose edge request was
 * pending leave ISR too, so that a guest re-initializing its PIC inside
 * a handler (kexec, a second init) does not leave them blocked; a poll
 * command given before stays.
 */
static void pic_icw1(struct kvm_pic_state *c, u8 val, bool accepted)
{
	u8 edge_irr = c->irr & ~c->elcr;

	c->init4 = val & ICW1_IC4;
	c->last_irr = 0;
	c->irr &= c->elcr;
	c->imr = 0;
	c->priority_add = 0;
	c->special_mask = 0;
	c->read_reg_select = 0;
	if (accepted)
		c->isr &= ~edge_irr;
	if (!c->init4) {
		c->special_fully_nested_mode = 0;
		c->auto_eoi = 0;
	}
	c->init_state = PIC_ICW2;
}

/* OCW2: EOIs and rotation ("Operation Command Words", OCW2 table). */
static void pic_ocw2(struct mkvm_pic *p, struct kvm_pic_state *c, u8 val)
{
	unsigned int cmd = OCW2_CMD(val), prio, ir = val & 7;

	switch (cmd) {
	case OCW2_ROTATE_AEOI_CLEAR:
	case OCW2_ROTATE_AEOI_SET:
		c->rotate_on_auto_eoi = cmd == OCW2_ROTATE_AEOI_SET;
		return;
	case OCW2_EOI:
	case OCW2_ROTATE_EOI:
		/* The highest level in service is done. */
		prio = pic_priority(c, c->isr);
		if (prio == 8)
			return;
		ir = (prio + c->priority_add) & 7;
		if (cmd == OCW2_ROTATE_EOI)
			c->priority_add = (ir + 1) & 7;
		c->isr &= ~BIT(ir);
		break;
	case OCW2_SEOI:
		c->isr &= ~BIT(ir);
		break;
	case OCW2_SET_PRIORITY:
		c->priority_add = (ir + 1) & 7;
		break;
	case OCW2_ROTATE_SEOI:
		c->priority_add = (ir + 1) & 7;
		c->isr &= ~BIT(ir);
		break;
	default:		/* OCW2_NOP */
		return;
	}
	pic_update(p);
}

static void pic_write_even(struct mkvm_pic *p, struct kvm_pic_state *c, u8 val,
			   bool accepted)
{
	if (val & ICW1_INIT) {
		pic_icw1(c, val, accepted);
		pic_update(p);
	} else if (val & OCW3_SEL) {
		if (val & OCW3_POLL)
			c->poll = 1;
		if (val & OCW3_RR)
			c->read_reg_select = val & OCW3_RIS;
		if (val & OCW3_ESMM) {
			c->special_mask = !!(val & OCW3_SMM);
			pic_update(p);
		}
	} else {
		pic_ocw2(p, c, val);
	}
}

/* ICW2-ICW4 during initialization, OCW1 (the IMR) after it. */
static void pic_write_odd(struct mkvm_pic *p, struct kvm_pic_state *c, u8 val)
{
	switch (c->init_state) {
	case PIC_READY:
		c->imr = val;
		pic_update(p);
		break;
	case PIC_ICW2:
		/* T7-T3 of the vector (8086 mode). */
		c->irq_base = val & 0xf8;
		c->init_state = PIC_ICW3;
		break;
	case PIC_ICW3:
		/* The cascade wiring is fixed: ignored. */
		c->init_state = c->init4 ? PIC_ICW4 : PIC_READY;
		break;
	case PIC_ICW4:
		c->special_fully_nested_mode = !!(val & ICW4_SFNM);
		c->auto_eoi = !!(val & ICW4_AEOI);
		c->init_state = PIC_READY;
		break;
	default:
		/* An init_state KVM_SET_IRQCHIP gave: ignored, as KVM. */
		break;
	}
}

/*
 * Poll command: the next read is the highest request, acknowledged and at
 * once out of service, as an interrupt would be with its EOI ("The Poll
 * Command"); 7 when there is none.  Polling the slave also takes the
 * cascade request off the master; after a master poll that answered 2 the
 * slave is to be polled next, and the cascade input is left alone until
 * then (as KVM).
 */
static u8 pic_poll(struct mkvm_pic *p, struct kvm_pic_state *c)
{
	int ir = pic_request(p, c);

	if (ir < 0) {
		pic_update(p);
		return PIC_SPURIOUS_IR;
	}
	if (!pic_is_master(p, c)) {
		p->chip[PIC_MASTER].isr &= ~BIT(PIC_CASCADE_IR);
		p->chip[PIC_MASTER].irr &= ~BIT(PIC_CASCADE_IR);
	}
	c->irr &= ~BIT(ir);
	c->isr &= ~BIT(ir);
	if (!pic_is_master(p, c) || ir != PIC_CASCADE_IR)
		pic_update(p);
	return ir;
}

static u8 pic_read(struct mkvm_pic *p, struct kvm_pic_state *c, bool odd)
{
	if (c->poll) {
		c->poll = 0;
		return pic_poll(p, c);
	}
	if (odd)
		return c->imr;
	return c->read_reg_select ? c->isr : c->irr;
}

/* Does some vCPU take the PICs' interrupts now (its LINT0)? */
static bool pic_accepted(struct mkvm_vm *vm)
{
	bool r;

	mutex_lock(&vm->lock);
	r = pic_acceptor(vm);
	mutex_unlock(&vm->lock);
	return r;
}

/* Is [port, port + size) one of the chips' port pairs? */
static bool pic_port(u16 port, u8 size)
{
	u16 base = port & ~1;

	if (base != 0x20 && base != 0xa0 && base != 0x4d0)
		return false;
	return port + size <= base + 2;
}

/**
 * mkvm_pic_pio() - a port I/O access for the PIC pair
 * @vm: the VM
 * @port: the port
 * @size: 1, 2 or 4 bytes
 * @in: IN, else OUT
 * @data: the data, read or written
 *
 * Context: process context (a vCPU thread).
 * Return: true when the access was the PICs' and is done.
 */
bool mkvm_pic_pio(struct mkvm_vm *vm, u16 port, u8 size, bool in, void *data)
{
	struct mkvm_pic *p = vm->pic;
	struct kvm_pic_state *c;
	bool accepted = false;
	u8 *b = data;

	if (!p || !pic_port(port, size))
		return false;
	if (size != 1) {
		/* KVM drops a wider access to the chips. */
		if (in)
			memset(data, 0, size);
		return true;
	}
	/* An ICW1 asks whether a vCPU takes ExtINTs (vm->lock: before ours). */
	if (!in && (port == 0x20 || port == 0xa0) && (*b & ICW1_INIT))
		accepted = pic_accepted(vm);
	raw_spin_lock(&p->lock);
	if (port >= 0x4d0) {
		c = &p->chip[port & 1];
		if (in)
			*b = c->elcr;
		else
			c->elcr = *b & c->elcr_mask;
	} else {
		c = &p->chip[port == 0xa0 || port == 0xa1];
		if (in)
			*b = pic_read(p, c, port & 1);
		else if (port & 1)
			pic_write_odd(p, c, *b);
		else
			pic_write_even(p, c, *b, accepted);
	}
	pic_unlock(p);
	return true;
}

/**
 * mkvm_pic_set_irq() - an input pin's new level
 * @vm: the VM, with a PIC
 * @pin: 0-15; 8-15 are the slave's IR0-7
 * @level: asserted
 *
 * Context: process context.
 * Return: as KVM's kvm_pic_set_irq(): 1 a new request, 0 coalesced with
 * one already in IRR, -1 the pin is masked; -EINVAL for a bad pin.
 */
int mkvm_pic_set_irq(struct mkvm_vm *vm, unsigned int pin, bool level)
{
	struct mkvm_pic *p = vm->pic;
	int r;

	if (!p || pin >= 16)
		return -EINVAL;
	pin = array_index_nospec(pin, 16);
	raw_spin_lock(&p->lock);
	r = pic_input(&p->chip[pin / 8], pin % 8, level);
	pic_update(p);
	pic_unlock(p);
	return r;
}

/**
 * mkvm_pic_has_extint() - the PIC requests an interrupt from @vcpu
 * @vcpu: the vCPU, with a LAPIC
 *
 * Any context (lockless: the output and LVT0 may change at once after).
 */
bool mkvm_pic_has_extint(struct mkvm_vcpu *vcpu)
{
	struct mkvm_pic *p = vcpu->vm->pic;

	return p && READ_ONCE(p->output) && mkvm_lapic_accept_pic(vcpu);
}

/**
 * mkvm_pic_take_extint() - the ExtINT to inject now, if any
 * @vcpu: the vCPU, which can take an interrupt now
 *
 * Runs the interrupt acknowledge: the vector leaves IRR for ISR.  No kick
 * (the caller may run with preemption off): the output can only rise here
 * if another request came meanwhile, and this vCPU looks again at its next
 * entry.
 *
 * Return: the vector, or -1.
 */
int mkvm_pic_take_extint(struct mkvm_vcpu *vcpu)
{
	struct mkvm_pic *p = vcpu->vm->pic;
	u8 vector;

	if (!mkvm_pic_has_extint(vcpu))
		return -1;
	raw_spin_lock(&p->lock);
	vector = pic_intack(p);
	p->rose = false;
	raw_spin_unlock(&p->lock);
	return vector;
}

/**
 * mkvm_pic_get_state() - KVM_GET_IRQCHIP of chip 0 (master) or 1 (slave)
 * @vm: the VM
 * @chip: KVM_IRQCHIP_PIC_MASTER or KVM_IRQCHIP_PIC_SLAVE
 * @s: filled in
 *
 * Return: 0; -ENXIO without a PIC; -EINVAL for another chip.
 */
int mkvm_pic_get_state(struct mkvm_vm *vm, int chip, struct kvm_pic_state *s)
{
	struct mkvm_pic *p = vm->pic;

	if (!p)
		return -ENXIO;
	if (chip != KVM_IRQCHIP_PIC_MASTER && chip != KVM_IRQCHIP_PIC_SLAVE)
		return -EINVAL;
	chip = array_index_nospec(chip, 2);
	raw_spin_lock(&p->lock);
	*s = p->chip[chip];
	raw_spin_unlock(&p->lock);
	return 0;
}

/**
 * mkvm_pic_set_state() - KVM_SET_IRQCHIP of chip 0 (master) or 1 (slave)
 * @vm: the VM
 * @chip: KVM_IRQCHIP_PIC_MASTER or KVM_IRQCHIP_PIC_SLAVE
 * @s: the state
 *
 * As KVM, the state is taken as it is (every field is a byte and every
 * value is harmless: levels are taken modulo 8, an unknown init_state
 * ignores writes to the odd port), then the output is recomputed.
 *
 * Context: process context.
 * Return: 0; -ENXIO without a PIC; -EINVAL for another chip.
 */
int mkvm_pic_set_state(struct mkvm_vm *vm, int chip,
		       const struct kvm_pic_state *s)
{
	struct mkvm_pic *p = vm->pic;

	if (!p)
		return -ENXIO;
	if (chip != KVM_IRQCHIP_PIC_MASTER && chip != KVM_IRQCHIP_PIC_SLAVE)
		return -EINVAL;
	chip = array_index_nospec(chip, 2);
	raw_spin_lock(&p->lock);
	p->chip[chip] = *s;
	pic_update(p);
	pic_unlock(p);
	return 0;
}

/**
 * mkvm_pic_create() - the PIC pair of a VM, at KVM_CREATE_IRQCHIP
 * @vm: the VM
 *
 * Power-on state: everything zero (not initialized, vector base 0), the
 * ELCR masks of the PIIX.  Return: 0 or -ENOMEM.
 */
int mkvm_pic_create(struct mkvm_vm *vm)
{
	struct mkvm_pic *p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);

	if (!p)
		return -ENOMEM;
	raw_spin_lock_init(&p->lock);
	p->vm = vm;
	p->chip[PIC_MASTER].elcr_mask = PIC_ELCR_MASK_MASTER;
	p->chip[PIC_SLAVE].elcr_mask = PIC_ELCR_MASK_SLAVE;
	vm->pic = p;
	return 0;
}

void mkvm_pic_free(struct mkvm_vm *vm)
{
	kfree(vm->pic);
	vm->pic = NULL;
}
