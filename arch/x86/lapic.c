// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel local APIC, both vendors (KVM_CREATE_IRQCHIP): one per vCPU
 * created after the irqchip.  Its state is a 4 KiB register page laid out
 * as the xAPIC MMIO page (Intel SDM Vol. 3A, "Local APIC Register Address
 * Map"), so that KVM_GET/SET_LAPIC copy the first 1 KiB of it as KVM does,
 * and IA32_APIC_BASE (vcpu->arch.sregs.apic_base).
 *
 * The guest reaches the registers through the MMIO page at the APIC base
 * in xAPIC mode (a nested page fault outside the memory slots, emulate.c)
 * and through MSRs 0x800-0x8ff in x2APIC mode (msr.c; SDM Vol. 3A,
 * "Extended XAPIC (x2APIC)").
 *
 * Interrupts: a source (the ICR of any vCPU, the timer, KVM_SET_LAPIC) sets
 * the vector in IRR with an atomic bit operation, raises new_irq and kicks
 * the target (mkvm_lapic_kick()): an IPI to the CPU it is in guest mode on,
 * a wake-up when it sleeps in HLT.  Before each entry the backend asks
 * mkvm_x86_event_next() (events.c), which takes the highest IRR vector
 * whose priority class is above PPR when RFLAGS.IF is set and no STI/MOV SS
 * shadow is in effect, moves it to ISR and injects it as an external
 * interrupt (SDM Vol. 3A, "Interrupt, Task, and Processor Priority").
 * Otherwise the interrupt window is opened and the exit when it opens
 * comes back here without userspace.  mkvm_lapic_entry_check() closes the
 * race of an IRR set between that choice and the entry: the target
 * publishes guest_cpu (kmod/kick.c), then reads new_irq; the source sets
 * new_irq, then reads guest_cpu; one of them sees the other, and a
 * target that sees new_irq sends itself an IPI, so the entry exits at
 * once and the next one injects.
 *
 * INIT and SIPI (ICR delivery modes 101b, 110b) set a bit in the target's
 * pending mask and kick it; the target's own thread acts on them before its
 * next entry (mkvm_lapic_before_entry()) or in KVM_GET_MP_STATE, where the
 * architectural state is its own (mkvm_lapic_accept_events()).  The MP
 * state (KVM_GET/SET_MP_STATE) lives in mp_state: RUNNABLE, HALTED (in
 * HLT), UNINITIALIZED (an AP after creation) and INIT_RECEIVED (wait for
 * SIPI).  KVM_RUN of an UNINITIALIZED vCPU sleeps once until an INIT/SIPI
 * or a signal and returns -EAGAIN (or -EINTR), as KVM does.
 *
 * ESR: as KVM 6.1, no error is ever recorded (SDM Vol. 3A, "Error
 * Handling" lists send/receive illegal vector and illegal register
 * address): ESR reads what KVM_SET_LAPIC last put there (0 after reset),
 * a write changes nothing (x2APIC: a non-zero write is #GP), and the LVT
 * error entry never fires.  An ICR, SELF IPI or LVT vector below 16 is
 * set in IRR, where it stays (lapic_accept()); an xAPIC read of a
 * reserved offset reads 0.
 *
 * Level-triggered interrupts (from the I/O APIC, irqchip.c) set their
 * vector's TMR bit; their EOI is broadcast to the I/O APIC (lapic_eoi()).
 * mkvm_lapic_deliver() is the one delivery path of the ICR and the I/O APIC.
 *
 * LINT0 takes the PIC's output (pic.c) as ExtINT when LVT0 says so or the
 * APIC is globally disabled (mkvm_lapic_accept_pic()); events.c asks the
 * PIC before IRR, and HLT wakes for it.
 *
 * Not here: LINT1 (nothing drives it; KVM_NMI is the NMI input).  CR8 is
 * the TPR's class (mkvm_lapic_tpr_sync()).
 *
 * Context: the register page is written by the vCPU's own thread (vCPU
 * mutex held), except IRR and TMR, which other vCPUs, the I/O APIC and
 * the timer (hard interrupt context) change with atomic bit operations;
 * other vCPUs also set the bits of pending (and sipi_vector before its
 * bit).  mp_state is the vCPU's own thread's.
 */
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/rcuwait.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <trace/events/ipi.h>	/* smp_send_reschedule() traces since 6.4 */
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/tsc.h>

#include "minikvm.h"

/* Register offsets in the xAPIC page (SDM Vol. 3A, Table "Local APIC Register Address Map"). */
#define LAPIC_ID	0x20
#define LAPIC_LVR	0x30
#define LAPIC_TPR	0x80
#define LAPIC_APR	0x90
#define LAPIC_PPR	0xa0
#define LAPIC_EOI	0xb0
#define LAPIC_LDR	0xd0
#define LAPIC_DFR	0xe0
#define LAPIC_SVR	0xf0
#define LAPIC_ISR	0x100
#define LAPIC_TMR	0x180
#define LAPIC_IRR	0x200
#define LAPIC_ESR	0x280
#define LAPIC_ICR	0x300
#define LAPIC_ICR2	0x310
#define LAPIC_LVTT	0x320
#define LAPIC_LVTTHMR	0x330
#define LAPIC_LVTPC	0x340
#define LAPIC_LVT0	0x350
#define LAPIC_LVT1	0x360
#define LAPIC_LVTERR	0x370
#define LAPIC_TMICT	0x380
#define LAPIC_TMCCT	0x390
#define LAPIC_TDCR	0x3e0
#define LAPIC_SELF_IPI	0x3f0

/* Version: KVM's 0x14, with (number of LVT entries - 1) in bits 23:16. */
#define LAPIC_NR_LVT		6	/* timer, thermal, perf, LINT0/1, error */
#define LAPIC_VERSION		(0x14 | ((LAPIC_NR_LVT - 1) << 16))

#define LVT_MASKED		BIT(16)
#define LVT_VECTOR		0xffU
#define LVT_TIMER_MODE		(3U << 17)
#define LVT_TIMER_ONESHOT	0
#define LVT_TIMER_PERIODIC	(1U << 17)
#define LVT_TIMER_DEADLINE	(2U << 17)
#define SVR_ENABLE		BIT(8)
#define LVT_DM_MASK		(7U << 8)
#define LVT_DM_EXTINT		(7U << 8)

/* ICR fields (SDM Vol. 3A, "Interrupt Command Register (ICR)"). */
#define ICR_VECTOR		0xffU
#define ICR_DM_MASK		(7U << 8)	/* MKVM_APIC_DM_* << 8 */
#define ICR_DEST_LOGICAL	BIT(11)
#define ICR_BUSY		BIT(12)
#define ICR_LEVEL_ASSERT	BIT(14)
#define ICR_TRIGGER_LEVEL	BIT(15)
#define ICR_SH_MASK		(3U << 18)	/* MKVM_APIC_SH_* << 18 */

/* Bits of mkvm_lapic.pending: INIT and SIPI received, not yet acted on. */
#define LAPIC_PEND_INIT		0
#define LAPIC_PEND_SIPI		1

/* CPUID.1:ECX: x2APIC (21), TSC-deadline (24). */
#define CPUID_1_ECX_X2APIC	21
#define CPUID_1_ECX_TSC_DEADLINE 24

/* KVM's floor for a periodic timer, which spares the host an IRQ storm. */
#define LAPIC_MIN_PERIOD_NS	200000ULL

struct mkvm_lapic {
	struct mkvm_vcpu *vcpu;
	u8 *regs;			/* the xAPIC page */
	atomic_t new_irq;		/* IRR set since the last choice */
	atomic_t nmi_queued;		/* NMIs sent by ICR, for events.c */
	struct rcuwait wait;		/* HLT and wait-for-SIPI sleep here */
	u32 mp_state;			/* (u) KVM_MP_STATE_* */
	unsigned long pending;		/* LAPIC_PEND_INIT, LAPIC_PEND_SIPI */
	u8 sipi_vector;			/* the last SIPI's, before its bit */
	bool halt_if;			/* (u) RFLAGS.IF at the HLT */
	struct hrtimer timer;
	u64 period_ns;			/* periodic: the period; else 0 */
	u64 count_ns;			/* one-shot/periodic: ns per count */
	ktime_t expires;		/* the timer's next expiry */
	u64 tsc_deadline;		/* IA32_TSC_DEADLINE, 0: disarmed */
};

static u32 reg_get(const struct mkvm_lapic *l, u32 off)
{
	return READ_ONCE(*(u32 *)(l->regs + off));
}

static void reg_set(struct mkvm_lapic *l, u32 off, u32 val)
{
	WRITE_ONCE(*(u32 *)(l->regs + off), val);
}

static bool lapic_x2apic(const struct mkvm_vcpu *vcpu)
{
	return vcpu->arch.sregs.apic_base & X2APIC_ENABLE;
}

static bool lapic_hw_enabled(const struct mkvm_vcpu *vcpu)
{
	return vcpu->arch.sregs.apic_base & MSR_IA32_APICBASE_ENABLE;
}

/* Both the global (IA32_APIC_BASE) and the software (SVR) enable. */
static bool lapic_enabled(const struct mkvm_lapic *l)
{
	return lapic_hw_enabled(l->vcpu) && (reg_get(l, LAPIC_SVR) & SVR_ENABLE);
}

/* Highest vector set in the 256-bit register at @base, or -1. */
static int lapic_highest(const struct mkvm_lapic *l, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = reg_get(l, base + i * 16);

		if (w)
			return i * 32 + fls(w) - 1;
	}
	return -1;
}

static u32 *lapic_vec_word(struct mkvm_lapic *l, u32 base, u8 vector)
{
	return (u32 *)(l->regs + base + (vector / 32) * 16);
}

/*
 * PPR: TPR when its class is at least that of the highest in-service
 * vector, else that class (SDM Vol. 3A, "Processor Priority Register").
 */
static u32 lapic_ppr(const struct mkvm_lapic *l)
{
	u32 tpr = reg_get(l, LAPIC_TPR);
	int isr = lapic_highest(l, LAPIC_ISR);
	u32 isrv = isr < 0 ? 0 : isr;

	return (tpr & 0xf0) >= (isrv & 0xf0) ? tpr : (isrv & 0xf0);
}

static u32 lapic_update_ppr(struct mkvm_lapic *l)
{
	u32 ppr = lapic_ppr(l);

	reg_set(l, LAPIC_PPR, ppr);
	return ppr;
}

/* The vector the APIC would deliver now, if any: IRR above PPR. */
static int lapic_deliverable(struct mkvm_lapic *l)
{
	int irr;

	if (!lapic_hw_enabled(l->vcpu))
		return -1;
	irr = lapic_highest(l, LAPIC_IRR);
	if (irr < 0 || (irr & 0xf0) <= (lapic_update_ppr(l) & 0xf0))
		return -1;
	return irr;
}

/**
 * mkvm_lapic_kick() - make @vcpu look at its APIC soon
 * @vcpu: the target, which has a LAPIC
 *
 * Any context.  Pairs with mkvm_lapic_entry_check().
 */
void mkvm_lapic_kick(struct mkvm_vcpu *vcpu)
{
	struct mkvm_lapic *l = vcpu->lapic;
	int cpu;

	atomic_set(&l->new_irq, 1);
	smp_mb__after_atomic();		/* new_irq before guest_cpu is read */
	cpu = READ_ONCE(vcpu->guest_cpu);
	if (cpu >= 0 && cpu != raw_smp_processor_id())
		smp_send_reschedule(cpu);
	rcuwait_wake_up(&l->wait);	/* hard-irq safe, even on RT */
}

/*
 * A fixed interrupt arrives (SDM Vol. 3A, "Interrupt Acceptance for Fixed
 * Interrupts"): into IRR, and TMR says how it was triggered, which the
 * EOI looks at (SDM Vol. 3A, "Trigger Mode Register (TMR)").  A
 * software-disabled APIC drops it, as KVM.  Vectors 0-15 are illegal (the
 * SDM: dropped, a receive error in ESR); KVM 6.1 sets them in IRR like any
 * other, where they stay: their priority class 0 is never above PPR, so
 * they are never delivered.  Return: 1 when accepted, 0 when dropped
 * (KVM's count).
 */
static int lapic_accept(struct mkvm_vcpu *vcpu, u8 vector, bool level)
{
	struct mkvm_lapic *l = vcpu->lapic;
	unsigned long *tmr;

	if (!lapic_enabled(l))
		return 0;
	tmr = (unsigned long *)lapic_vec_word(l, LAPIC_TMR, vector);
	if (level)
		set_bit(vector % 32, tmr);
	else
		clear_bit(vector % 32, tmr);
	set_bit(vector % 32, (unsigned long *)lapic_vec_word(l, LAPIC_IRR,
							     vector));
	mkvm_lapic_kick(vcpu);
	return 1;
}

static void lapic_accept_nmi(struct mkvm_vcpu *vcpu)
{
	atomic_inc(&vcpu->lapic->nmi_queued);
	mkvm_lapic_kick(vcpu);
}

/*
 * INIT: a later SIPI counts only after it, so an earlier one is dropped
 * (SDM Vol. 3A, "MP Initialization Protocol Algorithm for MP Systems").
 */
static void lapic_accept_init(struct mkvm_vcpu *vcpu)
{
	struct mkvm_lapic *l = vcpu->lapic;

	clear_bit(LAPIC_PEND_SIPI, &l->pending);
	set_bit(LAPIC_PEND_INIT, &l->pending);
	mkvm_lapic_kick(vcpu);
}

static void lapic_accept_sipi(struct mkvm_vcpu *vcpu, u8 vector)
{
	struct mkvm_lapic *l = vcpu->lapic;

	WRITE_ONCE(l->sipi_vector, vector);
	smp_wmb();		/* the vector before the bit; pairs in accept */
	set_bit(LAPIC_PEND_SIPI, &l->pending);
	mkvm_lapic_kick(vcpu);
}

/* Timer: ns per count, from the divide configuration (bits 3, 1:0). */
static u64 lapic_divide(const struct mkvm_lapic *l)
{
	u32 tdcr = reg_get(l, LAPIC_TDCR);
	u32 v = ((tdcr & 3) | ((tdcr & 8) >> 1)) + 1;

	return 1ULL << (v & 7);
}

static u32 lapic_timer_mode(const struct mkvm_lapic *l)
{
	return reg_get(l, LAPIC_LVTT) & LVT_TIMER_MODE;
}

static enum hrtimer_restart lapic_timer_fn(struct hrtimer *t)
{
	struct mkvm_lapic *l = container_of(t, struct mkvm_lapic, timer);
	u32 lvtt = reg_get(l, LAPIC_LVTT);

	if (!(lvtt & LVT_MASKED))
		lapic_accept(l->vcpu, lvtt & LVT_VECTOR, false);
	if (lapic_timer_mode(l) == LVT_TIMER_DEADLINE)
		WRITE_ONCE(l->tsc_deadline, 0);
	if (!l->period_ns)
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(l->period_ns));
	WRITE_ONCE(l->expires, hrtimer_get_expires(t));
	return HRTIMER_RESTART;
}

static void lapic_timer_stop(struct mkvm_lapic *l)
{
	hrtimer_cancel(&l->timer);
	l->period_ns = 0;
	l->expires = 0;
}

/* TMICT written, or the timer state restored: count from now. */
static void lapic_timer_start_count(struct mkvm_lapic *l)
{
	u32 tmict = reg_get(l, LAPIC_TMICT);
	u64 ns;

	lapic_timer_stop(l);
	if (!tmict || lapic_timer_mode(l) == LVT_TIMER_DEADLINE)
		return;
	l->count_ns = lapic_divide(l);
	ns = (u64)tmict * l->count_ns;
	if (lapic_timer_mode(l) == LVT_TIMER_PERIODIC) {
		ns = max(ns, LAPIC_MIN_PERIOD_NS);
		l->period_ns = ns;
	}
	l->expires = ktime_add_ns(ktime_get(), ns);
	hrtimer_start(&l->timer, l->expires, HRTIMER_MODE_ABS_HARD);
}

/* IA32_TSC_DEADLINE written: fire when the guest's TSC reaches it. */
static void lapic_timer_start_deadline(struct mkvm_lapic *l, u64 deadline)
{
	u64 now = mkvm_x86_guest_tsc(&l->vcpu->arch);
	u64 ns = 0;

	lapic_timer_stop(l);
	l->tsc_deadline = deadline;
	if (!deadline)
		return;
	if (deadline > now && tsc_khz)
		ns = mul_u64_u32_div(deadline - now, 1000000, tsc_khz);
	l->expires = ktime_add_ns(ktime_get(), ns);
	hrtimer_start(&l->timer, l->expires, HRTIMER_MODE_ABS_HARD);
}

/* TMCCT: the counts left (SDM Vol. 3A, "APIC Timer"). */
static u32 lapic_current_count(struct mkvm_lapic *l)
{
	s64 left;

	if (!reg_get(l, LAPIC_TMICT) || lapic_timer_mode(l) ==
	    LVT_TIMER_DEADLINE || !l->count_ns)
		return 0;
	left = ktime_to_ns(ktime_sub(READ_ONCE(l->expires), ktime_get()));
	if (left <= 0)
		return 0;
	if (l->period_ns)
		div64_u64_rem(left, l->period_ns, (u64 *)&left);
	/* Never above TMICT (a periodic timer may run slower, >= 200 us). */
	return min_t(u64, div64_u64(left, l->count_ns), reg_get(l, LAPIC_TMICT));
}

/*
 * Does @dest name @t in logical destination mode?  xAPIC: the flat model
 * (DFR 0xf...) matches any common bit of the 8-bit logical ID, the
 * cluster model a cluster (bits 7:4) and a common bit below (SDM Vol. 3A,
 * "Logical Destination Mode"); x2APIC: cluster in bits 31:16, a common
 * bit in 15:0 ("Logical Destination Mode in x2APIC Mode").
 */
static bool lapic_logical_match(struct mkvm_vcpu *t, u32 dest)
{
	u32 ldr;

	if (lapic_x2apic(t)) {
		ldr = ((t->id >> 4) << 16) | BIT(t->id & 0xf);
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	ldr = reg_get(t->lapic, LAPIC_LDR) >> 24;
	dest &= 0xff;
	if ((reg_get(t->lapic, LAPIC_DFR) >> 28) == 0xf)
		return dest & ldr;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);
}

/* Does the no-shorthand destination of @irq name @t? */
static bool lapic_dest_match(struct mkvm_vcpu *t,
			     const struct mkvm_apic_irq *irq, u32 bcast)
{
	if (irq->dest == bcast)
		return true;
	if (irq->logical)
		return lapic_logical_match(t, irq->dest);
	if (lapic_x2apic(t))
		return t->id == irq->dest;
	return (reg_get(t->lapic, LAPIC_ID) >> 24) == (irq->dest & 0xff);
}

/**
 * mkvm_lapic_rtc_pending() - for the I/O APIC's RTC tracking: is @vector,
 * sent to @dest (@logical), still to be EOIed by @vcpu's APIC?
 * @vcpu: the vCPU, with a LAPIC
 * @dest: the redirection entry's destination (an I/O APIC message)
 * @logical: its destination mode
 * @vector: its vector
 *
 * Return: -1 when the destination does not name the vCPU, else whether
 * the vector is in its IRR or ISR (KVM's rule).
 */
int mkvm_lapic_rtc_pending(struct mkvm_vcpu *vcpu, u32 dest, bool logical,
			   u8 vector)
{
	struct mkvm_lapic *l = vcpu->lapic;
	struct mkvm_apic_irq irq = { .dest = dest, .logical = logical };

	if (!lapic_dest_match(vcpu, &irq, 0xff))
		return -1;
	return test_bit(vector % 32, (unsigned long *)lapic_vec_word(l,
							LAPIC_IRR, vector)) ||
	       test_bit(vector % 32, (unsigned long *)lapic_vec_word(l,
							LAPIC_ISR, vector));
}

/*
 * The broadcast ID for a message from @src: all ones of the sender's mode
 * for an IPI; 0xff for an I/O APIC message (@src NULL), which reaches
 * x2APIC targets too (KVM's x2APIC broadcast quirk).
 */
static u32 lapic_bcast(struct mkvm_vcpu *src)
{
	return src && lapic_x2apic(src) ? 0xffffffff : 0xff;
}

/* Does @irq (from @src, NULL for the I/O APIC) name @t? */
static bool lapic_names(struct mkvm_vcpu *t, struct mkvm_vcpu *src,
			const struct mkvm_apic_irq *irq, u32 bcast)
{
	switch (irq->shorthand) {
	case MKVM_APIC_SH_SELF:
		return t == src;
	case MKVM_APIC_SH_ALL:
		return true;
	case MKVM_APIC_SH_OTHERS:
		return t != src;
	default:
		return lapic_dest_match(t, irq, bcast);
	}
}

/* One target takes @irq; return 1 when it accepted it, else 0 (as KVM). */
static int lapic_accept_irq(struct mkvm_vcpu *t,
			    const struct mkvm_apic_irq *irq)
{
	switch (irq->delivery_mode) {
	case MKVM_APIC_DM_FIXED:
	case MKVM_APIC_DM_LOWEST:
		/* A level-triggered de-assert message carries no interrupt. */
		if (irq->level_trig && !irq->assert)
			return 0;
		return lapic_accept(t, irq->vector, irq->level_trig);
	case MKVM_APIC_DM_NMI:
		lapic_accept_nmi(t);
		return 1;
	case MKVM_APIC_DM_INIT:
		/* INIT level de-assert: no effect (SDM Vol. 3A, "Interrupt Command Register (ICR)"). */
		if (irq->level_trig && !irq->assert)
			return 0;
		lapic_accept_init(t);
		return 1;
	case MKVM_APIC_DM_STARTUP:
		lapic_accept_sipi(t, irq->vector);
		return 1;
	default:
		/* SMI (no SMM here), ExtINT, the reserved modes: dropped. */
		return 0;
	}
}

/**
 * mkvm_lapic_deliver() - deliver an interrupt message to the local APICs
 * @vm: the VM
 * @src: the sending vCPU (ICR), or NULL (the I/O APIC)
 * @irq: the message
 * @accepted: if not NULL, the IDs of the vCPUs that accepted a fixed or
 *	      lowest-priority interrupt are set in it (MKVM_MAX_VCPU_IDS bits)
 *
 * The targets are the vCPUs with a present (globally enabled) APIC that
 * the shorthand or the physical or logical destination names.  Lowest
 * priority goes to the one named, software-enabled APIC with the lowest
 * PPR (the first of equals), every other mode to each one named (SDM Vol.
 * 3A, "Determining IPI Destination"); a lowest-priority message with
 * physical destination 0xff is fixed, as KVM.
 *
 * Context: process context, may sleep (takes vm->lock).
 * Return: how many accepted (the status of KVM_IRQ_LINE_STATUS), or, for
 * a shorthand or broadcast that names no APIC, -1.  As KVM's fast path
 * (its APIC map), a physical or logical destination counts from 0, also
 * when no APIC has that ID.
 */
int mkvm_lapic_deliver(struct mkvm_vm *vm, struct mkvm_vcpu *src,
		       const struct mkvm_apic_irq *irq,
		       unsigned long *accepted)
{
	struct mkvm_apic_irq m = *irq;
	struct mkvm_vcpu *lowest = NULL;
	u32 bcast = lapic_bcast(src);
	unsigned int i;
	int r = -1, a;

	if (m.delivery_mode == MKVM_APIC_DM_LOWEST && !m.logical &&
	    m.dest == 0xff)
		m.delivery_mode = MKVM_APIC_DM_FIXED;
	if (m.shorthand == MKVM_APIC_SH_NONE && m.dest != bcast)
		r = 0;
	mutex_lock(&vm->lock);
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct mkvm_vcpu *t = vm->vcpus[i];

		if (!t->lapic || !lapic_hw_enabled(t) ||
		    !lapic_names(t, src, &m, bcast))
			continue;
		if (m.delivery_mode == MKVM_APIC_DM_LOWEST) {
			if (!lapic_enabled(t->lapic))
				continue;
			if (!lowest ||
			    lapic_ppr(t->lapic) < lapic_ppr(lowest->lapic))
				lowest = t;
			continue;
		}
		a = lapic_accept_irq(t, &m);
		if (a && accepted && m.delivery_mode == MKVM_APIC_DM_FIXED)
			__set_bit(t->id, accepted);
		r = max(r, 0) + a;
	}
	if (lowest) {
		r = lapic_accept_irq(lowest, &m);
		if (r && accepted)
			__set_bit(lowest->id, accepted);
	}
	mutex_unlock(&vm->lock);
	return r;
}

/* The ICR was written: send what it says (SDM Vol. 3A, "Interrupt Command Register (ICR)"). */
static void lapic_send_ipi(struct mkvm_vcpu *vcpu, u32 icr, u32 dest)
{
	struct mkvm_apic_irq irq = {
		.dest = dest,
		.vector = icr & ICR_VECTOR,
		.delivery_mode = (icr & ICR_DM_MASK) >> 8,
		.logical = icr & ICR_DEST_LOGICAL,
		.level_trig = icr & ICR_TRIGGER_LEVEL,
		.assert = icr & ICR_LEVEL_ASSERT,
		.shorthand = (icr & ICR_SH_MASK) >> 18,
	};

	mkvm_lapic_deliver(vcpu->vm, vcpu, &irq, NULL);
}

/*
 * EOI: the highest in-service vector is done.  When TMR says it came
 * level-triggered, the EOI is broadcast to the I/O APIC (SDM Vol. 3A,
 * "End-of-Interrupt (EOI)"), which may deliver it again.  SVR bit 12
 * (suppress EOI broadcast) cannot be set: KVM offers it (LVR bit 24) only
 * without an in-kernel I/O APIC.
 */
static void lapic_eoi(struct mkvm_lapic *l)
{
	int isr = lapic_highest(l, LAPIC_ISR);
	bool level;

	if (isr < 0)
		return;
	clear_bit(isr % 32, (unsigned long *)lapic_vec_word(l, LAPIC_ISR, isr));
	lapic_update_ppr(l);
	atomic_set(&l->new_irq, 1);	/* something in IRR may go now */
	level = test_bit(isr % 32,
			 (unsigned long *)lapic_vec_word(l, LAPIC_TMR, isr));
	mkvm_ioapic_eoi(l->vcpu, isr, level);
}

/* LVT writable bits, as KVM keeps them; delivery status is read-only. */
static u32 lapic_lvt_mask(u32 off)
{
	switch (off) {
	case LAPIC_LVTT:
		return LVT_VECTOR | LVT_MASKED | LVT_TIMER_MODE;
	case LAPIC_LVTTHMR:
	case LAPIC_LVTPC:
		return LVT_VECTOR | LVT_MASKED | 0x700;
	case LAPIC_LVT0:
	case LAPIC_LVT1:
		return LVT_VECTOR | LVT_MASKED | 0x700 | BIT(13) | BIT(15);
	default:	/* LVTERR */
		return LVT_VECTOR | LVT_MASKED;
	}
}

/* Read register @off (16-byte aligned) the way the guest sees it. */
static int lapic_reg_read(struct mkvm_vcpu *vcpu, u32 off, u32 *val)
{
	struct mkvm_lapic *l = vcpu->lapic;

	switch (off) {
	case LAPIC_ID:
		*val = lapic_x2apic(vcpu) ? vcpu->id : reg_get(l, LAPIC_ID);
		return 0;
	case LAPIC_LDR:
		/* x2APIC: cluster in 31:16, one bit of 16 below. */
		*val = lapic_x2apic(vcpu) ?
		       ((vcpu->id >> 4) << 16) | BIT(vcpu->id & 0xf) :
		       reg_get(l, LAPIC_LDR);
		return 0;
	case LAPIC_PPR:
		*val = lapic_update_ppr(l);
		return 0;
	case LAPIC_TMCCT:
		*val = lapic_current_count(l);
		return 0;
	case LAPIC_EOI:
	case LAPIC_SELF_IPI:
		*val = 0;
		return lapic_x2apic(vcpu) ? -EINVAL : 0;	/* write-only */
	case LAPIC_LVR: case LAPIC_TPR: case LAPIC_SVR: case LAPIC_ESR:
	case LAPIC_ICR: case LAPIC_LVTT: case LAPIC_LVTTHMR: case LAPIC_LVTPC:
	case LAPIC_LVT0: case LAPIC_LVT1: case LAPIC_LVTERR: case LAPIC_TMICT:
	case LAPIC_TDCR:
		*val = reg_get(l, off);
		return 0;
	case LAPIC_APR: case LAPIC_DFR: case LAPIC_ICR2:
		if (lapic_x2apic(vcpu))
			return -EINVAL;		/* xAPIC only */
		*val = reg_get(l, off);
		return 0;
	}
	if (off >= LAPIC_ISR && off < LAPIC_ESR) {	/* ISR, TMR, IRR */
		*val = reg_get(l, off);
		return 0;
	}
	*val = 0;
	return -EINVAL;
}

/* Write register @off; -EINVAL: #GP in x2APIC mode (ignored in xAPIC). */
static int lapic_reg_write(struct mkvm_vcpu *vcpu, u32 off, u32 val)
{
	struct mkvm_lapic *l = vcpu->lapic;
	bool x2apic = lapic_x2apic(vcpu);
	u32 old;

	switch (off) {
	case LAPIC_ID:
		if (x2apic)
			return -EINVAL;
		reg_set(l, off, val & 0xff000000);
		return 0;
	case LAPIC_TPR:
		reg_set(l, off, val & 0xff);
		lapic_update_ppr(l);
		atomic_set(&l->new_irq, 1);
		return 0;
	case LAPIC_EOI:
		lapic_eoi(l);
		return 0;
	case LAPIC_LDR:
		if (x2apic)
			return -EINVAL;
		reg_set(l, off, val & 0xff000000);
		return 0;
	case LAPIC_DFR:
		if (x2apic)
			return -EINVAL;
		reg_set(l, off, val | 0x0fffffff);
		return 0;
	case LAPIC_SVR: {
		unsigned int i;

		reg_set(l, off, val & 0x3ff);
		if (val & SVR_ENABLE)
			return 0;
		/* Software disabled: every LVT masked (SDM Vol. 3A, "Local APIC State After It Has Been Software Disabled"). */
		for (i = 0; i < LAPIC_NR_LVT; i++) {
			u32 o = LAPIC_LVTT + i * 16;

			reg_set(l, o, reg_get(l, o) | LVT_MASKED);
		}
		return 0;
	}
	case LAPIC_ESR:
		/*
		 * KVM 6.1 records no errors and keeps whatever KVM_SET_LAPIC
		 * put here: a write changes nothing (x2APIC: only 0 is
		 * legal, SDM Vol. 3A, "Error Handling"; see the header).
		 */
		if (x2apic && val)
			return -EINVAL;
		return 0;
	case LAPIC_ICR:
		reg_set(l, off, val & ~ICR_BUSY);
		lapic_send_ipi(vcpu, val, reg_get(l, LAPIC_ICR2) >> 24);
		return 0;
	case LAPIC_ICR2:
		if (x2apic)
			return -EINVAL;
		reg_set(l, off, val & 0xff000000);
		return 0;
	case LAPIC_LVTT:
	case LAPIC_LVTTHMR: case LAPIC_LVTPC: case LAPIC_LVT0:
	case LAPIC_LVT1: case LAPIC_LVTERR:
		old = reg_get(l, off);
		val &= lapic_lvt_mask(off);
		/* Bit 18 (TSC-deadline mode) only with CPUID's bit, as KVM. */
		if (off == LAPIC_LVTT &&
		    !mkvm_x86_guest_has(&vcpu->arch, 1, 0, MKVM_ECX,
					CPUID_1_ECX_TSC_DEADLINE))
			val &= ~LVT_TIMER_DEADLINE;
		if (!(reg_get(l, LAPIC_SVR) & SVR_ENABLE))
			val |= LVT_MASKED;
		reg_set(l, off, val | (old & ~lapic_lvt_mask(off) & ~0x1000));
		/* A new timer mode stops the timer (as KVM). */
		if (off == LAPIC_LVTT && ((old ^ val) & LVT_TIMER_MODE)) {
			lapic_timer_stop(l);
			reg_set(l, LAPIC_TMICT, 0);
			l->tsc_deadline = 0;
		}
		return 0;
	case LAPIC_TMICT:
		if (lapic_timer_mode(l) == LVT_TIMER_DEADLINE)
			return 0;
		reg_set(l, off, val);
		lapic_timer_start_count(l);
		return 0;
	case LAPIC_TDCR:
		reg_set(l, off, val & 0xb);
		return 0;
	case LAPIC_SELF_IPI:
		if (!x2apic)
			return -EINVAL;
		lapic_accept(vcpu, val & 0xff, false);
		return 0;
	default:
		/* Read-only or reserved: #GP in x2APIC mode. */
		return -EINVAL;
	}
}

/**
 * mkvm_lapic_mmio() - an access to guest-physical @gpa, handled here if it
 * is the xAPIC page
 * @vcpu: the vCPU
 * @gpa: the address
 * @write: store
 * @data: the data (stored, or to be loaded), @len bytes
 * @len: 1, 2, 4 or 8
 *
 * As KVM: loads of 1-4 bytes inside a register read it; other stores than
 * aligned 4-byte ones are ignored; in x2APIC mode or globally disabled
 * the page reads all ones and ignores writes (KVM's default
 * LAPIC_MMIO_HOLE quirk).
 *
 * Return: true when @gpa is in the vCPU's APIC page.
 */
bool mkvm_lapic_mmio(struct mkvm_vcpu *vcpu, u64 gpa, bool write, void *data,
		     unsigned int len)
{
	u64 base = vcpu->arch.sregs.apic_base & MSR_IA32_APICBASE_BASE;
	u32 off = gpa - base, val = 0;

	if (!vcpu->lapic || gpa < base || gpa >= base + PAGE_SIZE)
		return false;
	if (!lapic_hw_enabled(vcpu) || lapic_x2apic(vcpu)) {
		if (!write)
			memset(data, 0xff, len);
		return true;
	}
	if (write) {
		if (len == 4 && !(off & 0xf))
			lapic_reg_write(vcpu, off, *(u32 *)data);
		return true;
	}
	memset(data, 0, len);
	if ((off & 0xf) + len > 4 || off >= 0x400)
		return true;
	lapic_reg_read(vcpu, off & ~0xfU, &val);
	val >>= (off & 3) * 8;
	memcpy(data, &val, len);
	return true;
}

/**
 * mkvm_lapic_msr() - RDMSR/WRMSR of x2APIC MSR @msr (0x800-0x8ff)
 * @vcpu: the vCPU, with a LAPIC
 * @msr: the MSR
 * @val: value to write, or where the value read goes
 * @write: WRMSR
 *
 * Only in x2APIC mode; ICR is one 64-bit MSR (0x830), bits 63:32 of the
 * others are reserved (SDM Vol. 3A, "x2APIC Register Address Space").
 *
 * Return: 0, or -EINVAL for #GP.
 */
int mkvm_lapic_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 *val, bool write)
{
	struct mkvm_lapic *l = vcpu->lapic;
	u32 off = (msr - 0x800) << 4, lo;

	if (!l || !lapic_x2apic(vcpu) || !lapic_hw_enabled(vcpu))
		return -EINVAL;
	if (off == LAPIC_ICR) {
		if (!write) {
			*val = reg_get(l, LAPIC_ICR) |
			       ((u64)reg_get(l, LAPIC_ICR2) << 32);
			return 0;
		}
		reg_set(l, LAPIC_ICR2, *val >> 32);
		reg_set(l, LAPIC_ICR, (u32)*val & ~ICR_BUSY);
		lapic_send_ipi(vcpu, *val, *val >> 32);
		return 0;
	}
	if (!write) {
		if (lapic_reg_read(vcpu, off, &lo))
			return -EINVAL;
		*val = lo;
		return 0;
	}
	if (*val >> 32)
		return -EINVAL;
	return lapic_reg_write(vcpu, off, *val);
}

/**
 * mkvm_lapic_set_base() - IA32_APIC_BASE written
 * @vcpu: the vCPU, with a LAPIC
 * @val: the value
 * @host: KVM_SET_MSRS (no transition rules)
 *
 * The guest may go xAPIC -> x2APIC, x2APIC or xAPIC -> disabled,
 * disabled -> xAPIC; x2APIC needs CPUID.1:ECX.x2APIC (SDM Vol. 3A,
 * "x2APIC State Transitions").
 *
 * Return: 0 or -EINVAL (#GP).
 */
int mkvm_lapic_set_base(struct mkvm_vcpu *vcpu, u64 val, bool host)
{
	struct mkvm_x86_state *st = &vcpu->arch;
	u64 rsvd = 0x2ffULL | ~GENMASK_ULL(st->maxphyaddr - 1, 0);
	u64 old = st->sregs.apic_base;
	u64 mode_bits = MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE;

	if (!mkvm_x86_guest_has(st, 1, 0, MKVM_ECX, CPUID_1_ECX_X2APIC))
		rsvd |= X2APIC_ENABLE;
	if (val & rsvd)
		return -EINVAL;
	if ((val & mode_bits) == X2APIC_ENABLE)	/* EXTD without EN */
		return -EINVAL;
	if (!host && (val & mode_bits) == mode_bits &&
	    !(old & MSR_IA32_APICBASE_ENABLE))
		return -EINVAL;			/* disabled -> x2APIC */
	if (!host && (old & mode_bits) == mode_bits &&
	    (val & mode_bits) == MSR_IA32_APICBASE_ENABLE)
		return -EINVAL;			/* x2APIC -> xAPIC */
	st->sregs.apic_base = val;
	atomic_set(&vcpu->lapic->new_irq, 1);
	return 0;
}

/**
 * mkvm_lapic_tsc_deadline() - IA32_TSC_DEADLINE (MSR 0x6e0)
 * @vcpu: the vCPU
 * @val: value to write, or where the value read goes
 * @write: WRMSR
 * @host: KVM_GET/SET_MSRS
 *
 * Exists with CPUID.1:ECX.TSC_Deadline and a LAPIC; outside TSC-deadline
 * mode it reads 0 and ignores writes (SDM Vol. 3A, "TSC-Deadline Mode").
 *
 * Return: 0 or -EINVAL (#GP).
 */
int mkvm_lapic_tsc_deadline(struct mkvm_vcpu *vcpu, u64 *val, bool write,
			    bool host)
{
	struct mkvm_lapic *l = vcpu->lapic;

	if (!l || (!host && !mkvm_x86_guest_has(&vcpu->arch, 1, 0, MKVM_ECX,
						CPUID_1_ECX_TSC_DEADLINE)))
		return -EINVAL;
	if (lapic_timer_mode(l) != LVT_TIMER_DEADLINE) {
		if (!write)
			*val = 0;
		return 0;
	}
	if (!write)
		*val = READ_ONCE(l->tsc_deadline);
	else
		lapic_timer_start_deadline(l, *val);
	return 0;
}

/**
 * mkvm_lapic_take_irq() - the external interrupt to inject now, if any
 * @vcpu: the vCPU, which can take one (IF set, no shadow, nothing under way)
 *
 * Moves the vector from IRR to ISR (SDM Vol. 3A, "Interrupt Acceptance for
 * Fixed Interrupts").  Return: the vector, or -1.
 */
int mkvm_lapic_take_irq(struct mkvm_vcpu *vcpu)
{
	struct mkvm_lapic *l = vcpu->lapic;
	int v = lapic_deliverable(l);

	if (v < 0)
		return -1;
	clear_bit(v % 32, (unsigned long *)lapic_vec_word(l, LAPIC_IRR, v));
	set_bit(v % 32, (unsigned long *)lapic_vec_word(l, LAPIC_ISR, v));
	lapic_update_ppr(l);
	return v;
}

/* Is an interrupt (ExtINT or fixed) waiting for the guest to open its window? */
bool mkvm_lapic_has_irq(struct mkvm_vcpu *vcpu)
{
	return vcpu->lapic && (mkvm_pic_has_extint(vcpu) ||
			       lapic_deliverable(vcpu->lapic) >= 0);
}

/**
 * mkvm_lapic_accept_pic() - does LINT0 take the PIC's interrupts?
 * @vcpu: the vCPU, with a LAPIC
 *
 * When LVT0 is unmasked with delivery mode ExtINT (SDM Vol. 3A, "Local
 * Vector Table"), or the APIC is globally disabled and LINT0 is the INTR
 * pin again (SDM Vol. 3A, "Enabling or Disabling the Local APIC"): KVM's
 * rule.  Any context.
 */
bool mkvm_lapic_accept_pic(struct mkvm_vcpu *vcpu)
{
	u32 lvt0 = reg_get(vcpu->lapic, LAPIC_LVT0);

	if (!lapic_hw_enabled(vcpu))
		return true;
	return !(lvt0 & LVT_MASKED) && (lvt0 & LVT_DM_MASK) == LVT_DM_EXTINT;
}

/**
 * mkvm_lapic_sync() - before choosing the next event: clear new_irq (the
 * choice looks at IRR after this) and hand over NMIs sent by ICR
 * @vcpu: the vCPU
 *
 * Return: the number of NMIs to add to the pending ones.
 */
unsigned int mkvm_lapic_sync(struct mkvm_vcpu *vcpu)
{
	struct mkvm_lapic *l = vcpu->lapic;

	if (!l)
		return 0;
	atomic_xchg(&l->new_irq, 0);	/* full barrier: IRR read after */
	return atomic_xchg(&l->nmi_queued, 0);
}

/**
 * mkvm_lapic_entry_check() - just before VM entry, interrupts off, guest_cpu
 * published: did an interrupt come after the event was chosen?
 * @vcpu: the vCPU
 *
 * Then this CPU sends itself an IPI: the entry exits at once (INTR
 * intercept, external-interrupt exiting) and the next one injects it.
 */
void mkvm_lapic_entry_check(struct mkvm_vcpu *vcpu)
{
	if (atomic_read(&vcpu->lapic->new_irq) || READ_ONCE(vcpu->lapic->pending))
		smp_send_reschedule(smp_processor_id());
}

/* What ends HLT: an NMI, or an interrupt the guest takes. */
static bool lapic_wake(struct mkvm_vcpu *vcpu)
{
	struct mkvm_lapic *l = vcpu->lapic;

	return atomic_read(&l->nmi_queued) || vcpu->arch.ev.nmi_pending ||
	       (l->halt_if && (lapic_deliverable(l) >= 0 ||
			       mkvm_pic_has_extint(vcpu)));
}

/**
 * mkvm_lapic_halt_wait() - sleep in HLT until an interrupt the guest takes
 * (IF was set at the HLT) or an NMI is there, or a signal comes
 * @vcpu: the vCPU, halted
 *
 * Return: 1; a signal leaves the vCPU halted, and the run loop returns
 * -EINTR (KVM_EXIT_INTR); the next KVM_RUN sleeps again, as KVM's HALTED
 * MP state does.
 */
int mkvm_lapic_halt_wait(struct mkvm_vcpu *vcpu)
{
	struct mkvm_lapic *l = vcpu->lapic;

	if (rcuwait_wait_event(&l->wait, lapic_wake(vcpu) ||
			       READ_ONCE(l->pending), TASK_INTERRUPTIBLE))
		return 1;
	/* An INIT or SIPI is looked at first (mkvm_lapic_before_entry()). */
	if (lapic_wake(vcpu))
		l->mp_state = KVM_MP_STATE_RUNNABLE;
	return 1;
}

/**
 * mkvm_lapic_halt() - the guest executed HLT (RIP already past it)
 * @vcpu: the vCPU, with a LAPIC
 * @if_set: its RFLAGS.IF
 *
 * Return: 1 (enter again), after the sleep.
 */
int mkvm_lapic_halt(struct mkvm_vcpu *vcpu, bool if_set)
{
	struct mkvm_lapic *l = vcpu->lapic;

	vcpu->stat->halt_exits++;
	l->mp_state = KVM_MP_STATE_HALTED;
	l->halt_if = if_set;
	return mkvm_lapic_halt_wait(vcpu);
}

/**
 * mkvm_lapic_tpr_sync() - keep the TPR and the CPU's copy of it in step
 * @vcpu: the vCPU, with a LAPIC
 * @hw: the TPR as the hardware has it now (SVM: V_TPR << 4, VMX: the
 *	virtual-APIC page's TPR), which the guest changes with MOV CR8
 * @last: what the backend last wrote there; updated
 * @mask: the TPR bits the hardware keeps (SVM: 0xf0, VMX: 0xff)
 *
 * Called after each exit and before each entry.  A @hw that differs from
 * @last is the guest's (or KVM_SET_SREGS's CR8) and becomes the TPR; CR8
 * is TPR[7:4] (SDM Vol. 3A, "Interaction of Task Priorities between CR8
 * and APIC").  Return: the TPR, for the backend to write.
 */
u8 mkvm_lapic_tpr_sync(struct mkvm_vcpu *vcpu, u8 hw, u8 *last, u8 mask)
{
	struct mkvm_lapic *l = vcpu->lapic;

	if (hw != *last) {
		reg_set(l, LAPIC_TPR, hw);
		lapic_update_ppr(l);
	}
	*last = reg_get(l, LAPIC_TPR) & mask;
	return reg_get(l, LAPIC_TPR);
}

/* KVM_GET_SREGS' CR8 with an in-kernel APIC: TPR[7:4]. */
u8 mkvm_lapic_cr8(struct mkvm_vcpu *vcpu)
{
	return reg_get(vcpu->lapic, LAPIC_TPR) >> 4;
}

/*
 * Power-on state (SDM Vol. 3A, "Local APIC State After Power-Up or Reset");
 * INIT keeps the APIC ID (and IA32_APIC_BASE, not in here) ("Local APIC
 * State After an INIT Reset (Wait-for-SIPI State)").
 */
static void lapic_reset(struct mkvm_lapic *l, bool init)
{
	struct mkvm_vcpu *vcpu = l->vcpu;
	u32 id = init ? reg_get(l, LAPIC_ID) : vcpu->id << 24;
	unsigned int i;

	lapic_timer_stop(l);
	l->tsc_deadline = 0;
	atomic_set(&l->nmi_queued, 0);
	memset(l->regs, 0, PAGE_SIZE);
	reg_set(l, LAPIC_ID, id);
	reg_set(l, LAPIC_LVR, LAPIC_VERSION);
	reg_set(l, LAPIC_DFR, 0xffffffff);
	reg_set(l, LAPIC_SVR, 0xff);
	for (i = 0; i < LAPIC_NR_LVT; i++)
		reg_set(l, LAPIC_LVTT + i * 16, LVT_MASKED);
	/*
	 * KVM's LINT0_REENABLED quirk: ExtINT on LINT0 of the boot CPU
	 * (KVM_SET_BOOT_CPU_ID's id), at RESET and INIT alike.
	 */
	if (vcpu->id == vcpu->vm->bsp_vcpu_id)
		reg_set(l, LAPIC_LVT0, 0x700);
}

/**
 * mkvm_lapic_create() - the LAPIC of a new vCPU of a VM with an irqchip
 * @vcpu: the vCPU
 *
 * Return: 0 or -ENOMEM.
 */
int mkvm_lapic_create(struct mkvm_vcpu *vcpu)
{
	struct mkvm_lapic *l = kzalloc(sizeof(*l), GFP_KERNEL_ACCOUNT);

	if (!l)
		return -ENOMEM;
	l->regs = (u8 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!l->regs) {
		kfree(l);
		return -ENOMEM;
	}
	l->vcpu = vcpu;
	rcuwait_init(&l->wait);
	hrtimer_init(&l->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	l->timer.function = lapic_timer_fn;
	lapic_reset(l, false);
	/* APs wait for INIT-SIPI (KVM: all but the BSP, IA32_APIC_BASE.BSP). */
	l->mp_state = (vcpu->arch.sregs.apic_base & MSR_IA32_APICBASE_BSP) ?
		      KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_UNINITIALIZED;
	vcpu->lapic = l;
	return 0;
}

void mkvm_lapic_free(struct mkvm_vcpu *vcpu)
{
	struct mkvm_lapic *l = vcpu->lapic;

	if (!l)
		return;
	hrtimer_cancel(&l->timer);
	free_page((unsigned long)l->regs);
	kfree(l);
	vcpu->lapic = NULL;
}

/**
 * mkvm_lapic_get() - KVM_GET_LAPIC: the first 1 KiB of the register page
 * @vcpu: the vCPU
 * @argp: struct kvm_lapic_state
 *
 * TMCCT and PPR as the guest would read them now; the ID in xAPIC format
 * in both modes (KVM without KVM_CAP_X2APIC_API).
 *
 * Return: 0, -EINVAL without an in-kernel irqchip (KVM 6.1's errno, not
 * -ENXIO), -EFAULT, -ENOMEM.
 */
long mkvm_lapic_get(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct mkvm_lapic *l = vcpu->lapic;
	struct kvm_lapic_state *s;
	long r = 0;

	if (!l)
		return -EINVAL;
	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	lapic_update_ppr(l);
	memcpy(s->regs, l->regs, sizeof(s->regs));
	*(u32 *)(s->regs + LAPIC_TMCCT) = lapic_current_count(l);
	if (lapic_x2apic(vcpu))
		*(u32 *)(s->regs + LAPIC_ID) = vcpu->id << 24;
	if (copy_to_user(argp, s, sizeof(*s)))
		r = -EFAULT;
	kfree(s);
	return r;
}

/**
 * mkvm_lapic_set() - KVM_SET_LAPIC: the register page from userspace
 * @vcpu: the vCPU
 * @argp: struct kvm_lapic_state
 *
 * The version stays KVM's; the timer restarts from TMICT; pending IRR
 * bits are looked at before the next entry.
 *
 * Return: 0, -EINVAL without an in-kernel irqchip (as KVM), -EFAULT,
 * -ENOMEM.
 */
long mkvm_lapic_set(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct mkvm_lapic *l = vcpu->lapic;
	struct kvm_lapic_state *s;

	if (!l)
		return -EINVAL;
	s = memdup_user(argp, sizeof(*s));
	if (IS_ERR(s))
		return PTR_ERR(s);
	lapic_timer_stop(l);
	l->tsc_deadline = 0;
	memcpy(l->regs, s->regs, sizeof(s->regs));
	kfree(s);
	reg_set(l, LAPIC_LVR, LAPIC_VERSION);
	reg_set(l, LAPIC_TMCCT, 0);
	lapic_update_ppr(l);
	lapic_timer_start_count(l);
	/* The RTC's EOI tracking follows the new IRR/ISR, as KVM. */
	mkvm_ioapic_rtc_restore(vcpu);
	atomic_set(&l->new_irq, 1);
	return 0;
}

/* INIT: the vCPU's INIT state (mkvm_x86_init_event()) and its APIC's. */
static void lapic_do_init(struct mkvm_vcpu *vcpu)
{
	if (mkvm_be->vcpu_init_event) {
		mkvm_be->vcpu_init_event(vcpu);
	} else {
		mkvm_x86_init_event(&vcpu->arch, vcpu->id);
		if (mkvm_be->vcpu_reset)
			mkvm_be->vcpu_reset(vcpu);
	}
	lapic_reset(vcpu->lapic, true);
}

/**
 * mkvm_lapic_accept_events() - act on a pending INIT and SIPI
 * @vcpu: the vCPU, with a LAPIC; its state in vcpu->arch (outside KVM_RUN,
 *	  or between vcpu_save_state and vcpu_load_state)
 *
 * INIT resets the vCPU to its INIT state; an AP then waits for SIPI
 * (INIT_RECEIVED), the BSP runs on (as KVM).  A SIPI counts only in
 * wait-for-SIPI: it starts the vCPU in real mode at vector << 12, i.e.
 * CS.selector = vector << 8, CS.base = vector << 12, RIP = 0 (SDM Vol. 3A,
 * "MP Initialization Protocol Algorithm for MP Systems"); else it is
 * dropped.  As KVM 6.1, only INIT_RECEIVED is wait-for-SIPI, not the
 * UNINITIALIZED of a new AP.
 */
void mkvm_lapic_accept_events(struct mkvm_vcpu *vcpu)
{
	struct mkvm_lapic *l = vcpu->lapic;
	struct kvm_sregs *s = &vcpu->arch.sregs;
	u8 vector;

	if (!l || !READ_ONCE(l->pending))
		return;
	if (test_and_clear_bit(LAPIC_PEND_INIT, &l->pending)) {
		lapic_do_init(vcpu);
		l->mp_state = (s->apic_base & MSR_IA32_APICBASE_BSP) ?
			      KVM_MP_STATE_RUNNABLE :
			      KVM_MP_STATE_INIT_RECEIVED;
	}
	if (!test_and_clear_bit(LAPIC_PEND_SIPI, &l->pending) ||
	    l->mp_state != KVM_MP_STATE_INIT_RECEIVED)
		return;
	smp_rmb();		/* the bit before the vector */
	vector = READ_ONCE(l->sipi_vector);
	s->cs.selector = vector << 8;
	s->cs.base = (u64)vector << 12;
	vcpu->arch.regs.rip = 0;
	l->mp_state = KVM_MP_STATE_RUNNABLE;
}

/**
 * mkvm_lapic_before_entry() - in KVM_RUN's loop, before each entry: act on
 * INIT/SIPI, sleep while halted or waiting for SIPI
 * @vcpu: the vCPU, its state loaded into the backend
 *
 * Return: 0 to enter the guest; 1 after a sleep (the loop looks at
 * signals, then calls again).
 */
int mkvm_lapic_before_entry(struct mkvm_vcpu *vcpu)
{
	struct mkvm_lapic *l = vcpu->lapic;

	if (!l)
		return 0;
	if (READ_ONCE(l->pending)) {
		mkvm_be->vcpu_save_state(vcpu);
		mkvm_lapic_accept_events(vcpu);
		mkvm_be->vcpu_load_state(vcpu);
	}
	switch (l->mp_state) {
	case KVM_MP_STATE_RUNNABLE:
		return 0;
	case KVM_MP_STATE_HALTED:
		/* Still in HLT from the last KVM_RUN, or KVM_SET_MP_STATE. */
		return mkvm_lapic_halt_wait(vcpu);
	default:
		/* Wait for SIPI: nothing but INIT and SIPI wakes it. */
		rcuwait_wait_event(&l->wait, READ_ONCE(l->pending),
				   TASK_INTERRUPTIBLE);
		return 1;
	}
}

/* KVM_RUN of an AP that never got INIT: see mkvm_lapic_uninit_run(). */
bool mkvm_lapic_uninitialized(struct mkvm_vcpu *vcpu)
{
	return vcpu->lapic && vcpu->lapic->mp_state ==
	       KVM_MP_STATE_UNINITIALIZED;
}

/**
 * mkvm_lapic_uninit_run() - KVM_RUN of an UNINITIALIZED vCPU
 * @vcpu: the vCPU, state in vcpu->arch
 *
 * As KVM 6.1: sleep until an INIT or SIPI comes or a signal, act on the
 * INIT/SIPI, and return without entering the guest.
 *
 * Return: -EINTR when a signal is pending, else -EAGAIN (userspace calls
 * KVM_RUN again).
 */
int mkvm_lapic_uninit_run(struct mkvm_vcpu *vcpu)
{
	struct mkvm_lapic *l = vcpu->lapic;

	if (rcuwait_wait_event(&l->wait, READ_ONCE(l->pending),
			       TASK_INTERRUPTIBLE) == 0)
		mkvm_lapic_accept_events(vcpu);
	return signal_pending(current) ? -EINTR : -EAGAIN;
}

/**
 * mkvm_lapic_get_mp_state() - KVM_GET_MP_STATE
 * @vcpu: the vCPU, state in vcpu->arch
 * @argp: struct kvm_mp_state
 *
 * Acts on a pending INIT/SIPI first, as KVM; without an in-kernel APIC
 * the vCPU is always RUNNABLE.
 *
 * Return: 0 or -EFAULT.
 */
long mkvm_lapic_get_mp_state(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

	if (vcpu->lapic) {
		mkvm_lapic_accept_events(vcpu);
		mp.mp_state = vcpu->lapic->mp_state;
	}
	return copy_to_user(argp, &mp, sizeof(mp)) ? -EFAULT : 0;
}

/**
 * mkvm_lapic_set_mp_state() - KVM_SET_MP_STATE
 * @vcpu: the vCPU, state in vcpu->arch
 * @argp: struct kvm_mp_state
 *
 * RUNNABLE always; UNINITIALIZED, INIT_RECEIVED, HALTED and SIPI_RECEIVED
 * (INIT_RECEIVED with the last SIPI's vector pending) only with an
 * in-kernel APIC.  A HALTED vCPU wakes for an interrupt if RFLAGS.IF is
 * set now.  KVM's AP_RESET_HOLD (SEV-ES) and the s390 states are invalid.
 *
 * Return: 0, -EFAULT, or -EINVAL for a state minikvm cannot take.
 */
long mkvm_lapic_set_mp_state(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct mkvm_lapic *l = vcpu->lapic;
	struct kvm_mp_state mp;

	if (copy_from_user(&mp, argp, sizeof(mp)))
		return -EFAULT;
	switch (mp.mp_state) {
	case KVM_MP_STATE_RUNNABLE:
		if (l)
			l->mp_state = mp.mp_state;
		return 0;
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED:
	case KVM_MP_STATE_HALTED:
	case KVM_MP_STATE_SIPI_RECEIVED:
		if (!l)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (mp.mp_state == KVM_MP_STATE_SIPI_RECEIVED) {
		l->mp_state = KVM_MP_STATE_INIT_RECEIVED;
		set_bit(LAPIC_PEND_SIPI, &l->pending);
		return 0;
	}
	if (mp.mp_state == KVM_MP_STATE_HALTED)
		l->halt_if = vcpu->arch.regs.rflags & X86_EFLAGS_IF;
	l->mp_state = mp.mp_state;
	return 0;
}
