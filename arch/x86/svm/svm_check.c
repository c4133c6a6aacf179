// SPDX-License-Identifier: GPL-2.0-only
/*
 * Why did VMRUN exit with VMEXIT_INVALID?  A software walk of the
 * consistency checks VMRUN makes on the VMCB (AMD APM Vol. 2, "VMRUN
 * Instruction", "Canonicalization and Consistency Checks"; event
 * injection: "Event Injection"), over the VMCB as it was right before
 * VMRUN (svm_vcpu.c keeps that copy: after a refused VMRUN the save area
 * need not hold what was loaded), in the manual's order.  Returns the
 * first rule broken.
 *
 * Checks of features minikvm never turns on (SEV, AVIC, CET, nested
 * virtualization of VMSAVE/VMLOAD) are left out.
 *
 * Context: any; pure functions of the snapshot.  Built into the module and
 * into the unit test selftests/unit/svm_check_test.c.
 */
#include "svm_check.h"

#define B(n)		(1ULL << (n))
#define R(rule)		MINIKVM_RULE_SVM_##rule

/* Architectural bits (APM Vol. 2, "System Resources"). */
#define BIT_CR0_PE		B(0)
#define BIT_CR0_NW		B(29)
#define BIT_CR0_CD		B(30)
#define BIT_CR0_PG		B(31)
#define BIT_CR4_PAE		B(5)
#define BIT_EFER_LME	B(8)
#define BIT_EFER_SVME	B(12)

/* The permission maps VMRUN reads (APM Vol. 2, "I/O Permissions Map", "MSR Permissions Map"). */
#define IOPM_SIZE	(12 * 1024)
#define MSRPM_SIZE	(8 * 1024)

/* EVENTINJ types (APM Vol. 2, "Event Injection"). */
#define EVT_TYPE(e)	(((e) >> 8) & 7)
#define   EVT_INTR	0
#define   EVT_NMI	2
#define   EVT_EXCEPTION	3
#define   EVT_SOFT_INT	4
#define EVT_VEC(e)	((e) & 0xff)

/* No bit of @pa at or above MAXPHYADDR. */
static bool phys_ok(const struct svm_entry_state *st, u64 pa)
{
	return st->maxphyaddr >= 64 || !(pa >> st->maxphyaddr);
}

/* Long mode is being entered or in use: EFER.LME and CR0.PG. */
static bool long_mode(const struct vmcb_save *s)
{
	return (s->efer & BIT_EFER_LME) && (s->cr0 & BIT_CR0_PG);
}

/*
 * CR3 must-be-zero bits: in long mode 63:52 and those above MAXPHYADDR
 * (APM Vol. 2, "CR3"); with legacy paging the register is 32 bits wide.
 */
static bool cr3_ok(const struct svm_entry_state *st)
{
	const struct vmcb_save *s = &st->vmcb.save;

	if (long_mode(s))
		return !(s->cr3 >> 52) && phys_ok(st, s->cr3 & ~(0xfffULL << 52));
	return !(s->cr3 >> 32);
}

/* The APM's list of illegal guest state, save area first. */
static u32 check_save(const struct svm_entry_state *st)
{
	const struct vmcb_save *s = &st->vmcb.save;

	if (!(s->efer & BIT_EFER_SVME))
		return R(EFER_SVME);
	if (!(s->cr0 & BIT_CR0_CD) && (s->cr0 & BIT_CR0_NW))
		return R(CR0_CD_NW);
	if (s->cr0 >> 32)
		return R(CR0_HIGH);
	if (!cr3_ok(st))
		return R(CR3_MBZ);
	if (s->cr4 & st->cr4_mbz)
		return R(CR4_MBZ);
	if (s->dr6 >> 32)
		return R(DR6_HIGH);
	if (s->dr7 >> 32)
		return R(DR7_HIGH);
	if (s->efer & st->efer_mbz)
		return R(EFER_MBZ);
	if (long_mode(s) && !(s->cr4 & BIT_CR4_PAE))
		return R(LONG_MODE_PAE);
	if (long_mode(s) && !(s->cr0 & BIT_CR0_PE))
		return R(LONG_MODE_PE);
	if (long_mode(s) && (s->cr4 & BIT_CR4_PAE) &&
	    (s->cs.attrib & SVM_SEG_L) && (s->cs.attrib & SVM_SEG_DB))
		return R(LONG_MODE_CS_L_D);
	return 0;
}

/* Then the control area. */
static u32 check_control(const struct svm_entry_state *st)
{
	const struct vmcb_control *c = &st->vmcb.control;
	u32 evt = c->event_inj;

	if (!(c->intercept_misc2 & SVM_ICPT_VMRUN))
		return R(VMRUN_INTERCEPT);
	if (!phys_ok(st, c->iopm_base_pa + IOPM_SIZE - 1))
		return R(IOPM_ADDR);
	if (!phys_ok(st, c->msrpm_base_pa + MSRPM_SIZE - 1))
		return R(MSRPM_ADDR);
	if (evt & SVM_EVTINJ_VALID) {
		u32 type = EVT_TYPE(evt);

		if (type != EVT_INTR && type != EVT_NMI &&
		    type != EVT_EXCEPTION && type != EVT_SOFT_INT)
			return R(EVENTINJ_TYPE);
		if (type == EVT_EXCEPTION &&
		    (EVT_VEC(evt) == 2 || EVT_VEC(evt) > 31))
			return R(EVENTINJ_VECTOR);
	}
	if (!c->asid)
		return R(ASID_ZERO);
	return 0;
}

/**
 * svm_check_entry() - the first VMRUN consistency check @st fails
 * @st: the snapshot
 *
 * Return: a MINIKVM_RULE_SVM_* id, or 0 when every check here passes.
 */
u32 svm_check_entry(const struct svm_entry_state *st)
{
	u32 r = check_save(st);

	return r ? r : check_control(st);
}

#define S_VMRUN	"AMD APM Vol. 2, VMRUN Instruction: Canonicalization and Consistency Checks"
#define S_EVENT	"AMD APM Vol. 2, Event Injection"

#define RULE(id, text, sect) \
	[MINIKVM_RULE_SVM_##id - MINIKVM_RULE_SVM_FIRST] = { .name = text, .section = sect }

static const struct mkvm_entry_rule svm_rules[] = {
	RULE(EFER_SVME, "EFER.SVME clear", S_VMRUN),
	RULE(CR0_CD_NW, "CR0.NW set with CR0.CD clear", S_VMRUN),
	RULE(CR0_HIGH, "CR0 bits 63:32 set", S_VMRUN),
	RULE(CR3_MBZ, "CR3 must-be-zero bits set", S_VMRUN),
	RULE(CR4_MBZ, "CR4 must-be-zero bits set", S_VMRUN),
	RULE(DR6_HIGH, "DR6 bits 63:32 set", S_VMRUN),
	RULE(DR7_HIGH, "DR7 bits 63:32 set", S_VMRUN),
	RULE(EFER_MBZ, "EFER must-be-zero bits set", S_VMRUN),
	RULE(LONG_MODE_PAE, "EFER.LME and CR0.PG set with CR4.PAE clear", S_VMRUN),
	RULE(LONG_MODE_PE, "EFER.LME and CR0.PG set with CR0.PE clear", S_VMRUN),
	RULE(LONG_MODE_CS_L_D, "EFER.LME, CR0.PG, CR4.PAE, CS.L and CS.D all set", S_VMRUN),
	RULE(VMRUN_INTERCEPT, "VMRUN intercept clear", S_VMRUN),
	RULE(IOPM_ADDR, "I/O permissions map reaches beyond MAXPHYADDR", S_VMRUN),
	RULE(MSRPM_ADDR, "MSR permissions map reaches beyond MAXPHYADDR", S_VMRUN),
	RULE(EVENTINJ_TYPE, "EVENTINJ of a reserved type", S_EVENT),
	RULE(EVENTINJ_VECTOR, "EVENTINJ exception with vector 2 or above 31", S_EVENT),
	RULE(ASID_ZERO, "guest ASID 0", S_VMRUN),
};

const struct mkvm_entry_rule *svm_check_rule(u32 id)
{
	u32 i = id - MINIKVM_RULE_SVM_FIRST;

	if (id < MINIKVM_RULE_SVM_FIRST ||
	    i >= ARRAY_SIZE(svm_rules) || !svm_rules[i].name)
		return NULL;
	return &svm_rules[i];
}
