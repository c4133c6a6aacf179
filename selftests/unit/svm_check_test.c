// SPDX-License-Identifier: GPL-2.0-only
/*
 * svm_check_test.c - unit tests of the checker of refused SVM entries
 * (arch/x86/svm/svm_check.c, linked in from its source).  No device needed.
 *
 * A valid VMCB as minikvm builds it (long-mode and real-mode guests) must
 * pass; each VMRUN consistency check broken alone must be named exactly;
 * every rule the checker knows has a case, a name and a manual section.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kernel_shim.h"
#include "../../arch/x86/svm/svm_check.h"

#define B(n)		(1ULL << (n))
#define CR0_PE		B(0)
#define CR0_ET		B(4)
#define CR0_NW		B(29)
#define CR0_CD		B(30)
#define CR0_PG		B(31)
#define CR4_PAE		B(5)
#define EFER_SCE	B(0)
#define EFER_LME	B(8)
#define EFER_LMA	B(10)
#define EFER_NX		B(11)
#define EFER_SVME	B(12)

enum base { LONG, REAL };

static void baseline(struct svm_entry_state *st, enum base kind)
{
	struct vmcb_control *c = &st->vmcb.control;
	struct vmcb_save *s = &st->vmcb.save;

	memset(st, 0, sizeof(*st));
	st->maxphyaddr = 48;
	st->cr4_mbz = ~0x7ffULL;
	st->efer_mbz = ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX | EFER_SVME);
	c->intercept_misc2 = SVM_ICPT_VMRUN;
	c->iopm_base_pa = 0x10000;
	c->msrpm_base_pa = 0x20000;
	c->asid = 1;
	c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->rflags = 2;
	if (kind == REAL) {
		s->efer = EFER_SVME;
		s->cr0 = CR0_ET | CR0_CD | CR0_NW;
		s->cs.attrib = 0xb | SVM_SEG_S | SVM_SEG_P;
		s->cs.base = 0xffff0000;
		s->rip = 0xfff0;
		return;
	}
	s->efer = EFER_SVME | EFER_LME | EFER_LMA;
	s->cr0 = CR0_PE | CR0_ET | CR0_PG;
	s->cr3 = 0x1000;
	s->cr4 = CR4_PAE;
	s->cs.attrib = 0xb | SVM_SEG_S | SVM_SEG_P | SVM_SEG_L | SVM_SEG_G;
}

static void test_baselines_pass(void **state)
{
	struct svm_entry_state st;

	(void)state;
	baseline(&st, LONG);
	assert_int_equal(svm_check_entry(&st), 0);
	baseline(&st, REAL);
	assert_int_equal(svm_check_entry(&st), 0);
	/* Injecting an interrupt, an NMI, #GP or INT n is fine. */
	st.vmcb.control.event_inj = SVM_EVTINJ_VALID | 0x20;
	assert_int_equal(svm_check_entry(&st), 0);
	st.vmcb.control.event_inj = SVM_EVTINJ_VALID | (2 << 8) | 2;
	assert_int_equal(svm_check_entry(&st), 0);
	st.vmcb.control.event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_VALID_ERR |
				    SVM_EVTINJ_TYPE_EXEPT | 13;
	assert_int_equal(svm_check_entry(&st), 0);
	st.vmcb.control.event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_SOFT | 0x80;
	assert_int_equal(svm_check_entry(&st), 0);
	/* CS.L and CS.D outside long mode are no VMRUN matter. */
	st.vmcb.save.cs.attrib |= SVM_SEG_L | SVM_SEG_DB;
	assert_int_equal(svm_check_entry(&st), 0);
}

#define SVM_CASES(X)							\
	X(EFER_SVME, LONG, s->efer &= ~EFER_SVME)			\
	X(CR0_CD_NW, LONG, s->cr0 |= CR0_NW)				\
	X(CR0_HIGH, LONG, s->cr0 |= B(32))				\
	X(CR3_MBZ, LONG, s->cr3 |= B(50))				\
	X(CR4_MBZ, LONG, s->cr4 |= B(13))				\
	X(DR6_HIGH, LONG, s->dr6 |= B(32))				\
	X(DR7_HIGH, LONG, s->dr7 |= B(63))				\
	X(EFER_MBZ, LONG, s->efer |= B(1))				\
	X(LONG_MODE_PAE, LONG, s->cr4 &= ~CR4_PAE)			\
	X(LONG_MODE_PE, LONG, s->cr0 &= ~CR0_PE)			\
	X(LONG_MODE_CS_L_D, LONG, s->cs.attrib |= SVM_SEG_DB)		\
	X(VMRUN_INTERCEPT, LONG, c->intercept_misc2 &= ~SVM_ICPT_VMRUN)	\
	X(IOPM_ADDR, LONG, c->iopm_base_pa = B(48) - 0x2000)		\
	X(MSRPM_ADDR, LONG, c->msrpm_base_pa = B(48))			\
	X(EVENTINJ_TYPE, LONG, c->event_inj = SVM_EVTINJ_VALID | (5 << 8)) \
	X(EVENTINJ_VECTOR, LONG,					\
	  c->event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXEPT | 2)	\
	X(ASID_ZERO, LONG, c->asid = 0)

#define BREAK_FN(id, kind, ...)						\
	static void break_##id(struct vmcb_control *c, struct vmcb_save *s) \
	{ (void)c; (void)s; __VA_ARGS__; }
SVM_CASES(BREAK_FN)

struct svm_case {
	const char *name;
	u32 rule;
	enum base kind;
	void (*breaks)(struct vmcb_control *c, struct vmcb_save *s);
};

#define CASE_ROW(id, kind_, ...)					\
	{ .name = #id, .rule = MINIKVM_RULE_SVM_##id, .kind = kind_,	\
	  .breaks = break_##id },
static const struct svm_case cases[] = { SVM_CASES(CASE_ROW) };

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

static void test_each_rule(void **state)
{
	struct svm_entry_state st;
	char text[MINIKVM_FAIL_ENTRY_TEXT_SIZE];
	unsigned int i, failed = 0;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		const struct mkvm_entry_rule *rule = svm_check_rule(cases[i].rule);
		u32 got;

		baseline(&st, cases[i].kind);
		cases[i].breaks(&st.vmcb.control, &st.vmcb.save);
		got = svm_check_entry(&st);
		if (got != cases[i].rule) {
			print_error("%s: expected rule %u, checker said %u\n",
				    cases[i].name, cases[i].rule, got);
			failed++;
			continue;
		}
		assert_non_null(rule);
		mkvm_entry_rule_text(text, sizeof(text), rule);
		assert_non_null(strstr(text, rule->name));
		assert_non_null(strstr(text, "AMD APM Vol. 2"));
	}
	assert_int_equal(failed, 0);
}

/* Legacy-mode CR3 is 32 bits wide; long mode allows up to MAXPHYADDR. */
static void test_cr3_by_mode(void **state)
{
	struct svm_entry_state st;

	(void)state;
	baseline(&st, REAL);
	st.vmcb.save.cr3 = B(33);
	assert_int_equal(svm_check_entry(&st), MINIKVM_RULE_SVM_CR3_MBZ);
	baseline(&st, LONG);
	st.vmcb.save.cr3 = B(47);
	assert_int_equal(svm_check_entry(&st), 0);
	st.maxphyaddr = 40;
	assert_int_equal(svm_check_entry(&st), MINIKVM_RULE_SVM_CR3_MBZ);
}

static void test_every_rule_covered(void **state)
{
	unsigned int id, i, missing = 0;

	(void)state;
	for (id = MINIKVM_RULE_SVM_FIRST; id < MINIKVM_RULE_SVM_FIRST + 1000; id++) {
		if (!svm_check_rule(id))
			continue;
		for (i = 0; i < ARRAY_LEN(cases); i++)
			if (cases[i].rule == id)
				break;
		if (i == ARRAY_LEN(cases)) {
			print_error("rule %u (%s) has no test case\n", id,
				    svm_check_rule(id)->name);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
	assert_null(svm_check_rule(0));
	assert_null(svm_check_rule(MINIKVM_RULE_VMX_GUEST_CS_L_D));
	assert_null(svm_check_rule(~0U));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_baselines_pass),
		cmocka_unit_test(test_each_rule),
		cmocka_unit_test(test_cr3_by_mode),
		cmocka_unit_test(test_every_rule_covered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
