// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmx_check_test.c - unit tests of the checker of refused VMX entries
 * (arch/x86/vmx/vmx_check.c, linked in from its source).  No device needed.
 *
 * Three valid snapshots, shaped as minikvm's VMCS looks on a CPU like the
 * Bochs test machine's (64-bit guest, real-mode guest under unrestricted
 * guest, 32-bit PAE guest), must pass every check.  Then each rule is
 * broken alone on one of them, and the checker must name exactly that
 * rule; every rule the checker knows has a case here, and every case's
 * rule has a name and a manual section.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../arch/x86/vmx/vmx_check.h"

#define B(n)		(1ULL << (n))
#define CR0_PE		B(0)
#define CR0_ET		B(4)
#define CR0_NE		B(5)
#define CR0_NW		B(29)
#define CR0_PG		B(31)
#define CR4_PAE		B(5)
#define CR4_VMXE	B(13)
#define EFER_LME	B(8)
#define EFER_LMA	B(10)
#define RFLAGS_TF	B(8)
#define RFLAGS_IF	B(9)
#define RFLAGS_VM	B(17)
#define AR_S		0x10
#define AR_DPL3		0x60
#define AR_P		0x80
#define AR_L		0x2000
#define AR_DB		0x4000
#define AR_G		0x8000
#define AR_UNUSABLE	0x10000
#define ENTRY_IA32E	B(9)
#define EXIT_HOST_64	B(9)
#define EXIT_LOAD_EFER	B(21)
#define PROC2_EPT	B(1)
#define PROC2_UG	B(7)
#define INTR_VALID	B(31)
#define INTR_EXT_32	(INTR_VALID | 0x20)
#define CANON_HOLE	(1ULL << 47)	/* the first non-canonical address */

enum { ES, CS, SS, DS, FS, GS, LDTR, TR };
enum base { LONG, REAL, PAE32 };

/* The capability MSRs of a Skylake-like CPU, as far as the checks go. */
static void set_caps(struct vmx_entry_state *st)
{
	st->pin_cap = 0x0000007f00000016ULL;
	st->proc_cap = 0xfff9fffe04006172ULL;
	st->proc2_cap = 0x000000ff00000000ULL;
	st->exit_cap = 0x007fffff00036dffULL;
	st->entry_cap = 0x0000ffff000011ffULL;
	st->cr0_fixed0 = CR0_PE | CR0_NE | CR0_PG;
	st->cr0_fixed1 = 0xffffffffULL;
	st->cr4_fixed0 = CR4_VMXE;
	st->cr4_fixed1 = 0x3767ffULL;
	/* HLT, shutdown, wait-for-SIPI; 4 CR3 targets. */
	st->misc = B(6) | B(7) | B(8) | (4ULL << 16);
	/* Walk length 4, UC and WB, accessed/dirty flags. */
	st->ept_vpid_cap = B(6) | B(8) | B(14) | B(21);
	st->maxphyaddr = 40;
}

/* Controls and host state as minikvm writes them (vmx.c, vmx_vcpu.c). */
static void set_controls_host(struct vmx_entry_state *st)
{
	st->pin = 0x16 | 0x1 | 0x8;
	st->proc = 0x04006172 | B(7) | B(21) | B(24) | B(28) | B(31);
	st->proc2 = PROC2_EPT | B(5) | PROC2_UG;
	st->exit = 0x00036dff | EXIT_HOST_64 | B(15) | B(18) | B(19) | B(20) |
		   EXIT_LOAD_EFER;
	st->entry = 0x000011ff | B(2) | B(14) | B(15);
	st->vpid = 1;
	st->msr_bitmap = 0x1000;
	st->virtual_apic = 0x2000;
	st->eptp = 0x3000 | 6 | (3 << 3);

	st->host_cr0 = 0x80050033;
	st->host_cr3 = 0x1234000;
	st->host_cr4 = CR4_VMXE | CR4_PAE | 0x680;
	st->host_sel[VMX_CHK_HCS] = 0x10;
	st->host_sel[VMX_CHK_HSS] = 0x18;
	st->host_sel[VMX_CHK_HTR] = 0x40;
	st->host_fs_base = 0x7f0000001000ULL;
	st->host_gs_base = 0xffff888000000000ULL;
	st->host_tr_base = 0xfffffe0000003000ULL;
	st->host_gdtr_base = 0xfffffe0000001000ULL;
	st->host_idtr_base = 0xfffffe0000000000ULL;
	st->host_sysenter_eip = 0xffffffff81a00000ULL;
	st->host_rip = 0xffffffffc0001000ULL;
	st->host_pat = 0x0007040600070406ULL;
	st->host_efer = 0xd01;
}

static void set_seg(struct vmx_entry_state *st, int n, u16 sel, u64 base,
		    u32 limit, u32 ar)
{
	st->seg[n] = (struct vmx_check_seg){ sel, base, limit, ar };
}

/* A valid snapshot of the given kind. */
static void baseline(struct vmx_entry_state *st, enum base kind)
{
	int i;

	memset(st, 0, sizeof(*st));
	set_caps(st);
	set_controls_host(st);
	st->dr7 = 0x400;
	st->pat = 0x0007040600070406ULL;
	st->rflags = 0x2;
	st->link_pointer = ~0ULL;
	st->gdtr_base = 0x1000;
	st->gdtr_limit = 0x27;
	st->idtr_limit = 0xfff;
	set_seg(st, LDTR, 0, 0, 0, AR_UNUSABLE);
	if (kind == REAL) {
		st->cr0 = CR0_ET | CR0_NE;
		st->cr4 = CR4_VMXE;
		st->rip = 0xfff0;
		set_seg(st, CS, 0xf000, 0xffff0000, 0xffff, 0xb | AR_S | AR_P);
		for (i = ES; i <= GS; i++)
			if (i != CS)
				set_seg(st, i, 0, 0, 0xffff, 0x3 | AR_S | AR_P);
		set_seg(st, TR, 0, 0, 0xffff, 0xb | AR_P);
		return;
	}
	st->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	st->cr3 = 0x5000;
	st->cr4 = CR4_VMXE | CR4_PAE;
	st->rip = 0x401000;
	set_seg(st, CS, 0x8, 0, 0xffffffff, 0xb | AR_S | AR_P | AR_G |
		(kind == LONG ? AR_L : AR_DB));
	for (i = ES; i <= GS; i++)
		if (i != CS)
			set_seg(st, i, 0x10, 0, 0xffffffff,
				0x3 | AR_S | AR_P | AR_DB | AR_G);
	set_seg(st, TR, 0x18, 0, 0x67, 0xb | AR_P);
	if (kind == LONG) {
		st->entry |= ENTRY_IA32E;
		st->efer = EFER_LME | EFER_LMA;
	}
}

static void test_baselines_pass(void **state)
{
	struct vmx_entry_state st;

	(void)state;
	baseline(&st, LONG);
	assert_int_equal(vmx_check_entry(&st), 0);
	baseline(&st, REAL);
	assert_int_equal(vmx_check_entry(&st), 0);
	baseline(&st, PAE32);
	assert_int_equal(vmx_check_entry(&st), 0);
	/* Present PDPTEs with only legal bits. */
	st.pdpte[0] = 0x6001;
	st.pdpte[3] = 0xff0000001ULL;
	assert_int_equal(vmx_check_entry(&st), 0);
}

/*
 * Each case: the rule, the snapshot it starts from, and the statements
 * that break that rule and no other.
 */
#define VMX_CASES(X)							\
	X(PIN_CTLS, LONG, st->pin &= ~0x16u)				\
	X(PROC_CTLS, LONG, st->proc_cap &= ~B(32 + 7))			\
	X(PROC2_CTLS, LONG, st->proc2_cap &= ~(B(32 + 5)))		\
	X(CR3_TARGET_COUNT, LONG, st->cr3_target_count = 5)		\
	X(MSR_BITMAP_ADDR, LONG, st->msr_bitmap = 0x1008)		\
	X(VIRTUAL_APIC_ADDR, LONG, st->virtual_apic = B(40))		\
	X(TPR_THRESHOLD, LONG, st->tpr_threshold = 0x10)		\
	X(VIRTUAL_NMIS, LONG, st->pin = (st->pin & ~0x8u) | 0x20)	\
	X(VPID_ZERO, LONG, st->vpid = 0)				\
	X(EPTP_MEMTYPE, LONG, st->eptp = (st->eptp & ~7ULL) | 1)	\
	X(EPTP_WALK_LENGTH, LONG, st->eptp = (st->eptp & ~0x38ULL) | 0x20) \
	X(EPTP_RESERVED, LONG, st->eptp |= 0x100)			\
	X(UNRESTRICTED_NO_EPT, LONG, st->proc2 &= ~PROC2_EPT)		\
	X(EXIT_CTLS, LONG, st->exit &= ~1u)				\
	X(EXIT_MSR_STORE_ADDR, LONG, st->exit_msr_store_count = 1;	\
	  st->exit_msr_store_addr = 0x1004)				\
	X(EXIT_MSR_LOAD_ADDR, LONG, st->exit_msr_load_count = 2;	\
	  st->exit_msr_load_addr = B(40) - 16)				\
	X(ENTRY_CTLS, LONG, st->entry &= ~1u)				\
	X(ENTRY_INTR_TYPE, LONG, st->entry_intr_info = INTR_VALID | 0x100) \
	X(ENTRY_INTR_VECTOR, LONG, st->entry_intr_info = INTR_VALID | 0x203) \
	X(ENTRY_INTR_ERR_CODE, LONG, st->entry_intr_info = INTR_VALID | 0x30d) \
	X(ENTRY_INTR_RESERVED, LONG,					\
	  st->entry_intr_info = INTR_VALID | B(12) | 0x306)		\
	X(ENTRY_EXCEPTION_ERR, LONG,					\
	  st->entry_intr_info = INTR_VALID | B(11) | 0x30d;		\
	  st->entry_exception_err = 0x10000)				\
	X(ENTRY_INSN_LEN, LONG, st->entry_intr_info = INTR_VALID | 0x480) \
	X(ENTRY_MSR_LOAD_ADDR, LONG, st->entry_msr_load_count = 1;	\
	  st->entry_msr_load_addr = 0x1001)				\
	X(ENTRY_SMM, LONG, st->entry |= B(10))				\
	X(HOST_CR0_FIXED, LONG, st->host_cr0 &= ~CR0_NE)		\
	X(HOST_CR4_FIXED, LONG, st->host_cr4 &= ~CR4_VMXE)		\
	X(HOST_CR3, LONG, st->host_cr3 |= B(45))			\
	X(HOST_SYSENTER, LONG, st->host_sysenter_eip = CANON_HOLE)	\
	X(HOST_PAT, LONG, st->host_pat = 2)				\
	X(HOST_EFER, LONG, st->host_efer &= ~EFER_LMA)			\
	X(HOST_SEL_RPL_TI, LONG, st->host_sel[VMX_CHK_HDS] = 3)		\
	X(HOST_SEL_NULL, LONG, st->host_sel[VMX_CHK_HTR] = 0)		\
	X(HOST_BASE_CANONICAL, LONG, st->host_gs_base = CANON_HOLE)	\
	X(HOST_ADDR_SPACE, LONG, st->exit &= ~(EXIT_HOST_64 | EXIT_LOAD_EFER)) \
	X(HOST_CR4_PAE, LONG, st->host_cr4 &= ~CR4_PAE)			\
	X(HOST_RIP, LONG, st->host_rip = CANON_HOLE)			\
	X(GUEST_CR0_FIXED, LONG, st->cr0 &= ~CR0_NE)			\
	X(GUEST_CR0_PG_PE, REAL, st->cr0 |= CR0_PG)			\
	X(GUEST_CR4_FIXED, LONG, st->cr4 &= ~CR4_VMXE)			\
	X(GUEST_DEBUGCTL, LONG, st->debugctl = 4)			\
	X(GUEST_IA32E_PG_PAE, LONG, st->cr4 &= ~CR4_PAE)		\
	X(GUEST_PCIDE, REAL, st->cr4 |= B(17))				\
	X(GUEST_CR3, LONG, st->cr3 |= B(40))				\
	X(GUEST_DR7, LONG, st->dr7 |= B(32))				\
	X(GUEST_SYSENTER, LONG, st->sysenter_esp = CANON_HOLE)		\
	X(GUEST_PAT, LONG, st->pat = 0x0707070707070708ULL)		\
	X(GUEST_EFER_RESERVED, LONG, st->efer |= 2)			\
	X(GUEST_EFER_LMA, LONG, st->efer &= ~EFER_LMA)			\
	X(GUEST_EFER_LME, LONG, st->efer &= ~EFER_LME)			\
	X(GUEST_TR_TI, LONG, st->seg[TR].sel |= 4)			\
	X(GUEST_LDTR_TI, LONG, st->seg[LDTR].sel = 0x2c;		\
	  st->seg[LDTR].ar = 0x82)					\
	X(GUEST_SS_CS_RPL, LONG, st->proc2 &= ~PROC2_UG;		\
	  st->seg[SS].sel |= 3)						\
	X(GUEST_V8086_SEG, PAE32, st->rflags |= RFLAGS_VM)		\
	X(GUEST_SEG_BASE_CANONICAL, LONG, st->seg[FS].base = CANON_HOLE) \
	X(GUEST_SEG_BASE_HIGH, REAL, st->seg[CS].base = B(32))		\
	X(GUEST_CS_TYPE, LONG, st->seg[CS].ar = (st->seg[CS].ar & ~0xfu) | 1) \
	X(GUEST_SS_TYPE, LONG, st->seg[SS].ar = (st->seg[SS].ar & ~0xfu) | 0xb) \
	X(GUEST_DATA_TYPE, LONG, st->seg[DS].ar = (st->seg[DS].ar & ~0xfu) | 9) \
	X(GUEST_SEG_S, LONG, st->seg[DS].ar &= ~AR_S)			\
	X(GUEST_CS_DPL, LONG, st->seg[CS].ar |= AR_DPL3)		\
	X(GUEST_SS_DPL, LONG, st->proc2 &= ~PROC2_UG;			\
	  st->seg[CS].ar |= AR_DPL3; st->seg[SS].ar |= AR_DPL3)		\
	X(GUEST_DATA_DPL, LONG, st->proc2 &= ~PROC2_UG;			\
	  st->seg[DS].sel |= 3)						\
	X(GUEST_SEG_P, LONG, st->seg[DS].ar &= ~AR_P)			\
	X(GUEST_SEG_AR_RESERVED, LONG, st->seg[DS].ar |= 0x100)		\
	X(GUEST_SEG_LIMIT_G, LONG, st->seg[DS].limit = 0x1000)		\
	X(GUEST_CS_L_D, LONG, st->seg[CS].ar |= AR_DB)			\
	X(GUEST_TR_TYPE, LONG, st->seg[TR].ar = (st->seg[TR].ar & ~0xfu) | 9) \
	X(GUEST_TR_S, LONG, st->seg[TR].ar |= AR_S)			\
	X(GUEST_TR_P, LONG, st->seg[TR].ar &= ~AR_P)			\
	X(GUEST_TR_UNUSABLE, LONG, st->seg[TR].ar = AR_UNUSABLE)	\
	X(GUEST_LDTR_TYPE, LONG, st->seg[LDTR].sel = 0x28;		\
	  st->seg[LDTR].ar = 0x83)					\
	X(GUEST_LDTR_S, LONG, st->seg[LDTR].sel = 0x28;			\
	  st->seg[LDTR].ar = 0x92)					\
	X(GUEST_LDTR_P, LONG, st->seg[LDTR].sel = 0x28;			\
	  st->seg[LDTR].ar = 0x02)					\
	X(GUEST_DTR_BASE, LONG, st->gdtr_base = CANON_HOLE)		\
	X(GUEST_DTR_LIMIT, LONG, st->idtr_limit = 0x10000)		\
	X(GUEST_RIP_HIGH, REAL, st->rip = B(32))			\
	X(GUEST_RIP_CANONICAL, LONG, st->rip = CANON_HOLE)		\
	X(GUEST_RFLAGS_RESERVED, LONG, st->rflags |= 8)			\
	X(GUEST_RFLAGS_VM, LONG, st->rflags |= RFLAGS_VM)		\
	X(GUEST_RFLAGS_IF, LONG, st->entry_intr_info = INTR_EXT_32)	\
	X(GUEST_ACTIVITY, LONG, st->activity = 4)			\
	X(GUEST_ACTIVITY_HLT_DPL, LONG, st->activity = 1;		\
	  st->seg[CS].ar |= AR_DPL3; st->seg[SS].ar |= AR_DPL3)		\
	X(GUEST_ACTIVITY_BLOCKING, LONG, st->activity = 1;		\
	  st->interruptibility = 2)					\
	X(GUEST_ACTIVITY_EVENT, LONG, st->activity = 3;			\
	  st->rflags |= RFLAGS_IF; st->entry_intr_info = INTR_EXT_32)	\
	X(GUEST_INTR_RESERVED, LONG, st->interruptibility = 0x20)	\
	X(GUEST_INTR_STI_MOVSS, LONG, st->interruptibility = 3;		\
	  st->rflags |= RFLAGS_IF)					\
	X(GUEST_INTR_STI_IF, LONG, st->interruptibility = 1)		\
	X(GUEST_INTR_EXT_BLOCKING, LONG, st->rflags |= RFLAGS_IF;	\
	  st->interruptibility = 1; st->entry_intr_info = INTR_EXT_32)	\
	X(GUEST_INTR_NMI_BLOCKING, LONG, st->interruptibility = 2;	\
	  st->entry_intr_info = INTR_VALID | 0x202)			\
	X(GUEST_INTR_SMI, LONG, st->interruptibility = 4)		\
	X(GUEST_PENDING_DBG, LONG, st->pending_dbg = 0x10)		\
	X(GUEST_PENDING_DBG_BS, LONG, st->interruptibility = 2;		\
	  st->rflags |= RFLAGS_TF)					\
	X(GUEST_LINK_POINTER, LONG, st->link_pointer = 0x5000)		\
	X(GUEST_PDPTE, PAE32, st->pdpte[2] = 0x7003)

#define BREAK_FN(id, kind, ...)						\
	static void break_##id(struct vmx_entry_state *st) { __VA_ARGS__; }
VMX_CASES(BREAK_FN)

struct vmx_case {
	const char *name;
	u32 rule;
	enum base kind;
	void (*breaks)(struct vmx_entry_state *st);
};

#define CASE_ROW(id, kind_, ...)					\
	{ .name = #id, .rule = MINIKVM_RULE_VMX_##id, .kind = kind_,	\
	  .breaks = break_##id },
static const struct vmx_case cases[] = { VMX_CASES(CASE_ROW) };

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* Each rule broken alone is found, and named with its section. */
static void test_each_rule(void **state)
{
	struct vmx_entry_state st;
	char text[MINIKVM_FAIL_ENTRY_TEXT_SIZE];
	unsigned int i, failed = 0;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		const struct mkvm_entry_rule *rule = vmx_check_rule(cases[i].rule);
		u32 got;

		baseline(&st, cases[i].kind);
		cases[i].breaks(&st);
		got = vmx_check_entry(&st);
		if (got != cases[i].rule) {
			print_error("%s: expected rule %u, checker said %u\n",
				    cases[i].name, cases[i].rule, got);
			failed++;
			continue;
		}
		assert_non_null(rule);
		mkvm_entry_rule_text(text, sizeof(text), rule);
		assert_non_null(strstr(text, rule->name));
		assert_non_null(strstr(text, "Intel SDM Vol. 3C, Checks "));
		assert_true(strlen(text) < sizeof(text) - 1);
	}
	assert_int_equal(failed, 0);
}

/* Every rule the checker can name has a case above, and only VMX ids. */
static void test_every_rule_covered(void **state)
{
	unsigned int id, i, missing = 0;
	char text[MINIKVM_FAIL_ENTRY_TEXT_SIZE];

	(void)state;
	for (id = 1; id <= MINIKVM_RULE_VMX_MAX; id++) {
		if (!vmx_check_rule(id))
			continue;
		for (i = 0; i < ARRAY_LEN(cases); i++)
			if (cases[i].rule == id)
				break;
		if (i == ARRAY_LEN(cases)) {
			print_error("rule %u (%s) has no test case\n", id,
				    vmx_check_rule(id)->name);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
	assert_null(vmx_check_rule(0));
	assert_null(vmx_check_rule(MINIKVM_RULE_SVM_FIRST));
	assert_null(vmx_check_rule(~0U));
	mkvm_entry_rule_text(text, sizeof(text), NULL);
	assert_non_null(strstr(text, "no rule found"));
	/* A short buffer is cut, still terminated. */
	mkvm_entry_rule_text(text, 8, vmx_check_rule(MINIKVM_RULE_VMX_GUEST_CS_L_D));
	assert_int_equal(strlen(text), 7);
}

/* The order of the manual: a control error hides a guest-state one. */
static void test_first_rule_wins(void **state)
{
	struct vmx_entry_state st;

	(void)state;
	baseline(&st, LONG);
	st.seg[CS].ar |= AR_DB;
	st.rflags |= 8;
	assert_int_equal(vmx_check_entry(&st), MINIKVM_RULE_VMX_GUEST_CS_L_D);
	st.host_rip = CANON_HOLE;
	assert_int_equal(vmx_check_entry(&st), MINIKVM_RULE_VMX_HOST_RIP);
	st.vpid = 0;
	assert_int_equal(vmx_check_entry(&st), MINIKVM_RULE_VMX_VPID_ZERO);
	/* CR0.NW is no VMX matter: only the fixed bits are. */
	baseline(&st, LONG);
	st.cr0 |= CR0_NW;
	assert_int_equal(vmx_check_entry(&st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_baselines_pass),
		cmocka_unit_test(test_each_rule),
		cmocka_unit_test(test_every_rule_covered),
		cmocka_unit_test(test_first_rule_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
