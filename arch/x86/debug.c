// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest debugging, the part both vendors share: KVM_SET_GUEST_DEBUG,
 * KVM_GET/SET_DEBUGREGS, the RFLAGS.TF that single-stepping adds and hides,
 * and KVM_EXIT_DEBUG.  The backends (svm_debug.c, vmx_debug.c) put the
 * values chosen here into the VMCB/VMCS and the debug registers, intercept
 * #DB and #BP while userspace debugs, and call mkvm_x86_debug_exit().
 *
 * Who owns the debug registers:
 *   - not debugged, or SINGLESTEP/USE_SW_BP only: the guest.  Its DR0-DR3,
 *     DR6 and DR7 are in the hardware while it runs, MOV DR is not
 *     intercepted, and its own #DB and #BP go to its own IDT.
 *   - USE_HW_BP: userspace.  Its DR0-DR3 and DR7 are in the hardware; the
 *     guest's wait in struct mkvm_x86_debug (KVM_GET_DEBUGREGS reports
 *     them).  The guest is not stopped from MOV DR meanwhile: it then
 *     reads and changes userspace's values (KVM intercepts MOV DR then).
 *   - SINGLESTEP or USE_HW_BP: every #DB exits to userspace, as on KVM,
 *     with DR6 as that #DB alone set it (DR6 is cleared before each entry).
 *
 * Context: process context, vCPU mutex held (the vCPU ioctls and KVM_RUN).
 */
#include <linux/kvm.h>
#include <linux/uaccess.h>
#include <asm/debugreg.h>
#include <asm/processor-flags.h>

#include "minikvm.h"

#define MKVM_DB_VECTOR	1
#define MKVM_BP_VECTOR	3

/* What KVM_SET_GUEST_DEBUG accepts (no KVM_GUESTDBG_BLOCKIRQ). */
#define MKVM_GUESTDBG_VALID						\
	(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP |		\
	 KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP |		\
	 KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP)

/*
 * DR6 bits a #DB sets, and those that read as 1 (SDM Vol. 3B, "Debug
 * Status Register (DR6)"; AMD APM Vol. 2, "Debug-Status Register (DR6)").
 */
#define MKVM_DR6_ACTIVE_LOW	MKVM_DR6_RESET

/**
 * mkvm_x86_debug_reset() - the debug state after RESET or INIT
 * @dbg: the vCPU's debug state
 * @init: INIT: what userspace asked (KVM_SET_GUEST_DEBUG) stays
 *
 * DR0-DR3 are 0, DR6 0xffff0ff0 and DR7 0x400 after RESET and INIT (SDM
 * Vol. 3A, Table "IA-32 and Intel 64 Processor States Following Power-up,
 * Reset, or INIT").
 */
void mkvm_x86_debug_reset(struct mkvm_x86_debug *dbg, bool init)
{
	struct mkvm_x86_debug keep = *dbg;

	memset(dbg, 0, sizeof(*dbg));
	dbg->dr6 = MKVM_DR6_RESET;
	dbg->dr7 = MKVM_DR7_RESET;
	dbg->inject = -1;
	dbg->bp_len = 1;
	if (!init)
		return;
	dbg->control = keep.control;
	memcpy(dbg->user_db, keep.user_db, sizeof(dbg->user_db));
	dbg->user_dr7 = keep.user_dr7;
	dbg->singlestep_rip = keep.singlestep_rip;
}

/*
 * The linear address of RIP: CS.base + RIP, truncated to 32 bits outside
 * 64-bit mode (SDM Vol. 3A, "Logical and Linear Addresses").
 */
static u64 mkvm_x86_linear_rip(const struct mkvm_x86_state *st)
{
	if ((st->sregs.efer & EFER_LMA) && st->sregs.cs.l)
		return st->regs.rip;
	return (u32)(st->sregs.cs.base + st->regs.rip);
}

/**
 * mkvm_x86_user_rflags() - RFLAGS as KVM_GET_REGS reports it
 * @st: the vCPU's state
 *
 * While single-stepping, TF is the host's and hidden, as KVM hides it
 * (KVM also hides a TF the guest set itself then).
 */
u64 mkvm_x86_user_rflags(const struct mkvm_x86_state *st)
{
	if (st->dbg.control & KVM_GUESTDBG_SINGLESTEP)
		return st->regs.rflags & ~(u64)X86_EFLAGS_TF;
	return st->regs.rflags;
}

/**
 * mkvm_x86_set_user_rflags() - RFLAGS as KVM_SET_REGS writes it
 * @st: the vCPU's state, RIP already written
 * @rflags: userspace's value
 *
 * KVM's rule: single-stepping sets TF again only while RIP is still where
 * KVM_SET_GUEST_DEBUG asked for the step; elsewhere userspace's TF stands.
 */
void mkvm_x86_set_user_rflags(struct mkvm_x86_state *st, u64 rflags)
{
	if ((st->dbg.control & KVM_GUESTDBG_SINGLESTEP) &&
	    mkvm_x86_linear_rip(st) == st->dbg.singlestep_rip)
		rflags |= X86_EFLAGS_TF;
	st->regs.rflags = rflags | X86_EFLAGS_FIXED;
}

/**
 * mkvm_x86_set_guest_debug() - KVM_SET_GUEST_DEBUG
 * @vcpu: the vCPU
 * @argp: struct kvm_guest_debug
 *
 * Return: 0; -EFAULT; -EINVAL for a flag minikvm does not know (KVM 6.1
 * stores unknown flags silently); -EBUSY for INJECT_DB/INJECT_BP while an
 * exception is already queued, as KVM.  A failed call changes nothing.
 */
int mkvm_x86_set_guest_debug(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct mkvm_x86_debug *d = &vcpu->arch.dbg;
	struct kvm_guest_debug dbg;
	u64 rflags;

	if (copy_from_user(&dbg, argp, sizeof(dbg)))
		return -EFAULT;
	if (dbg.control & ~MKVM_GUESTDBG_VALID)
		return -EINVAL;
	if (dbg.control & (KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP)) {
		if (d->inject >= 0 || vcpu->arch.ev.exc_injected)
			return -EBUSY;
		/* INJECT_DB wins when both are asked, as on KVM. */
		d->inject = (dbg.control & KVM_GUESTDBG_INJECT_DB) ?
			    MKVM_DB_VECTOR : MKVM_BP_VECTOR;
	}
	/* TF as the guest has it, before the new flags decide on ours. */
	rflags = mkvm_x86_user_rflags(&vcpu->arch);
	d->control = (dbg.control & KVM_GUESTDBG_ENABLE) ? dbg.control : 0;
	if (d->control & KVM_GUESTDBG_USE_HW_BP) {
		memcpy(d->user_db, dbg.arch.debugreg, sizeof(d->user_db));
		d->user_dr7 = dbg.arch.debugreg[7];
	}
	if (d->control & KVM_GUESTDBG_SINGLESTEP)
		d->singlestep_rip = mkvm_x86_linear_rip(&vcpu->arch);
	mkvm_x86_set_user_rflags(&vcpu->arch, rflags);
	return 0;
}

/**
 * mkvm_x86_get_debugregs() - KVM_GET_DEBUGREGS: the guest's own registers
 * @vcpu: the vCPU
 * @argp: struct kvm_debugregs
 *
 * Return: 0 or -EFAULT.
 */
int mkvm_x86_get_debugregs(struct mkvm_vcpu *vcpu, void __user *argp)
{
	const struct mkvm_x86_debug *d = &vcpu->arch.dbg;
	struct kvm_debugregs regs;

	memset(&regs, 0, sizeof(regs));
	memcpy(regs.db, d->db, sizeof(regs.db));
	regs.dr6 = d->dr6;
	regs.dr7 = d->dr7;
	if (copy_to_user(argp, &regs, sizeof(regs)))
		return -EFAULT;
	return 0;
}

/**
 * mkvm_x86_set_debugregs() - KVM_SET_DEBUGREGS
 * @vcpu: the vCPU
 * @argp: struct kvm_debugregs
 *
 * KVM's checks: flags must be 0, DR6 and DR7 have no bits above 31 (the
 * upper halves are reserved and must be zero, SDM Vol. 3B, "Debug
 * Registers"; VMRUN and VM entry refuse them, APM Vol. 2 "Canonicalization
 * and Consistency Checks", SDM Vol. 3C "Checks on Guest Control Registers,
 * Debug Registers, and MSRs").  The other bits are taken as given, as KVM
 * does; the hardware forces its fixed bits when the guest runs.
 *
 * Return: 0, -EFAULT, or -EINVAL (nothing changed).
 */
int mkvm_x86_set_debugregs(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct mkvm_x86_debug *d = &vcpu->arch.dbg;
	struct kvm_debugregs regs;

	if (copy_from_user(&regs, argp, sizeof(regs)))
		return -EFAULT;
	if (regs.flags || upper_32_bits(regs.dr6) || upper_32_bits(regs.dr7))
		return -EINVAL;
	memcpy(d->db, regs.db, sizeof(d->db));
	d->dr6 = regs.dr6;
	d->dr7 = regs.dr7;
	return 0;
}

/**
 * mkvm_x86_debug_intercepts() - the exceptions to intercept
 * @st: the vCPU's state
 *
 * Return: a bitmap by vector: #DB while single-stepping or with hardware
 * breakpoints, #BP with software breakpoints; 0 when not debugged.
 */
u32 mkvm_x86_debug_intercepts(const struct mkvm_x86_state *st)
{
	u32 ctl = st->dbg.control, bitmap = 0;

	if (ctl & (KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP))
		bitmap |= BIT(MKVM_DB_VECTOR);
	if (ctl & KVM_GUESTDBG_USE_SW_BP)
		bitmap |= BIT(MKVM_BP_VECTOR);
	return bitmap;
}

/**
 * mkvm_x86_debug_regs() - DR0-DR3 and DR7 for the guest's run
 * @st: the vCPU's state
 * @db: the four addresses, filled
 * @dr7: filled
 *
 * Userspace's with USE_HW_BP, the guest's otherwise.
 */
void mkvm_x86_debug_regs(const struct mkvm_x86_state *st, u64 *db, u64 *dr7)
{
	const struct mkvm_x86_debug *d = &st->dbg;
	bool user = d->control & KVM_GUESTDBG_USE_HW_BP;

	memcpy(db, user ? d->user_db : d->db, sizeof(d->db));
	*dr7 = user ? d->user_dr7 : d->dr7;
}

/**
 * mkvm_x86_debug_entry_dr6() - DR6 for the guest's run
 * @st: the vCPU's state
 *
 * While #DB exits to userspace, DR6 starts clear so that it names the
 * cause of that #DB alone, as on KVM; otherwise it is the guest's.
 */
u64 mkvm_x86_debug_entry_dr6(const struct mkvm_x86_state *st)
{
	if (mkvm_x86_debug_intercepts(st) & BIT(MKVM_DB_VECTOR))
		return MKVM_DR6_ACTIVE_LOW;
	return st->dbg.dr6;
}

/**
 * mkvm_x86_debug_save() - the debug registers after the guest ran
 * @st: the vCPU's state
 * @db: DR0-DR3 as the guest left them
 * @dr7: DR7 as the guest left it
 * @dr6: DR6 as the guest left it
 *
 * Kept as the guest's own unless they were userspace's (USE_HW_BP) or DR6
 * was the exit's (mkvm_x86_debug_entry_dr6()).
 */
void mkvm_x86_debug_save(struct mkvm_x86_state *st, const u64 *db, u64 dr7,
			 u64 dr6)
{
	struct mkvm_x86_debug *d = &st->dbg;

	if (!(d->control & KVM_GUESTDBG_USE_HW_BP)) {
		memcpy(d->db, db, sizeof(d->db));
		d->dr7 = dr7;
	}
	if (!(mkvm_x86_debug_intercepts(st) & BIT(MKVM_DB_VECTOR)))
		d->dr6 = dr6;
}

/* DR6 bits a #DB reports beyond B0-B3 and BS (SDM Vol. 3B, "DR6"). */
#define MKVM_DR6_BLD	BIT_ULL(11)	/* bus lock detected, active low */
#define MKVM_DR6_BD	BIT_ULL(13)	/* general detect */
#define MKVM_DR6_RTM	BIT_ULL(16)	/* in an RTM region, active low */

/**
 * mkvm_x86_dr6_db() - DR6 as the delivery of a #DB leaves it
 * @dr6: DR6 before the #DB
 * @cause: what the #DB reports, a bit set for each condition that
 *	   occurred, laid out as VMX's exit qualification for a debug
 *	   exception: B0-B3, BLD (11), BD (13), BS (14), RTM (16)
 *
 * B0-B3 name this #DB's breakpoints alone: the CPU may clear them, and
 * clears no other bit (SDM Vol. 3B, "Debug Status Register (DR6)").  BD
 * and BS are added to what DR6 had.  BLD and RTM read as 1 unless their
 * condition occurred, as do the bits reserved as 1; bit 12 reads as 0.
 *
 * Return: the new DR6.
 */
u64 mkvm_x86_dr6_db(u64 dr6, u64 cause)
{
	const u64 active_low = MKVM_DR6_BLD | MKVM_DR6_RTM;

	dr6 &= ~(u64)DR_TRAP_BITS;
	dr6 |= MKVM_DR6_ACTIVE_LOW;
	dr6 |= cause & (DR_TRAP_BITS | MKVM_DR6_BD | DR_STEP);
	dr6 &= ~(cause & active_low);
	return dr6;
}

/**
 * mkvm_x86_debug_exit() - KVM_EXIT_DEBUG for an intercepted #DB or #BP
 * @vcpu: the vCPU, its state saved into vcpu->arch
 * @vector: 1 or 3
 * @dr6: #DB: DR6 as that #DB set it
 * @dr7: #DB: DR7 in the hardware
 *
 * Fills run->debug.arch as KVM does: the vector, the linear address of RIP
 * (the INT3 for #BP; the instruction a fault-class #DB stopped, or the
 * next one after a trap), and for #DB the DR6 and DR7.  For #BP, KVM
 * leaves dr6 and dr7 as they were; so does minikvm.
 *
 * Return: 0, to userspace.
 */
int mkvm_x86_debug_exit(struct mkvm_vcpu *vcpu, u8 vector, u64 dr6, u64 dr7)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_DEBUG;
	run->debug.arch.exception = vector;
	run->debug.arch.pc = mkvm_x86_linear_rip(&vcpu->arch);
	if (vector == MKVM_DB_VECTOR) {
		run->debug.arch.dr6 = dr6;
		run->debug.arch.dr7 = dr7;
	}
	return 0;
}

/**
 * mkvm_x86_debug_step() - the single-step trap of an instruction minikvm
 *			   completed itself
 * @vcpu: the vCPU, its state in vcpu->arch; RIP already past the
 *	  instruction, which ran with RFLAGS.TF set
 *
 * The hardware raises no single-step #DB for an instruction that exited
 * (CPUID, RDMSR, I/O...): the instruction did not complete in the guest.
 * minikvm completes it, so it raises the trap, as KVM does (SDM Vol. 3B,
 * "Single-Step Exception Condition"): userspace's when it single-steps
 * (KVM_EXIT_DEBUG, DR6.BS), otherwise the guest's own #DB, with DR6.BS set
 * and B0-B3 cleared, delivered at the next load of the state.
 *
 * Return: 0 to userspace with KVM_EXIT_DEBUG, 1 to enter the guest.
 */
int mkvm_x86_debug_step(struct mkvm_vcpu *vcpu)
{
	struct mkvm_x86_debug *d = &vcpu->arch.dbg;
	u64 dr7 = (d->control & KVM_GUESTDBG_USE_HW_BP) ? d->user_dr7 : d->dr7;

	if (d->control & KVM_GUESTDBG_SINGLESTEP)
		return mkvm_x86_debug_exit(vcpu, MKVM_DB_VECTOR,
					   MKVM_DR6_ACTIVE_LOW | DR_STEP, dr7);
	if (d->inject < 0) {
		d->dr6 = mkvm_x86_dr6_db(d->dr6, DR_STEP);
		d->inject = MKVM_DB_VECTOR;
	}
	return 1;
}
