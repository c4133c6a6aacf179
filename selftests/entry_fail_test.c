// SPDX-License-Identifier: GPL-2.0-only
/*
 * entry_fail_test - VM entries the hardware refuses, one rule at a time.
 *
 * Each case builds a vCPU about to run a HLT in some mode (x86_modes.c),
 * then breaks one rule of the VM-entry checks through the uAPI
 * (KVM_SET_SREGS, KVM_SET_REGS, guest memory) in a way the ioctls accept,
 * as KVM's do, and runs it.  Expected: KVM_EXIT_FAIL_ENTRY with the
 * hardware's reason, VMX: exit reason 0x80000021 ("VM-entry failure due
 * to invalid guest state", Intel SDM Vol. 3C, "Checks on the Guest State
 * Area"), SVM: VMEXIT_INVALID, -1 cut to 32 bits as KVM reports it (AMD
 * APM Vol. 2, "VMRUN Instruction", "Canonicalization and Consistency
 * Checks").  On minikvm the explanation
 * must be there too (struct minikvm_fail_entry): the magic, the expected
 * MINIKVM_RULE_* and a text naming the rule and the manual.  Against real
 * KVM each case asserts what KVM 6.1 was seen to do with the same input,
 * which is noted where it differs (it refuses some states at the ioctl,
 * or fixes them up and runs the guest).
 *
 * Seen on the test machines and asserted as such:
 *  - vmx_rip_noncanonical: Bochs does not make the SDM's check of a
 *    non-canonical RIP in 64-bit mode; the guest enters, its fetch faults
 *    with no IDT: KVM_EXIT_SHUTDOWN on both (real CPUs refuse the entry);
 *  - vmx_pdpte_reserved: KVM loads the PDPTEs at KVM_SET_SREGS, silently
 *    keeps the old ones when the new ones have reserved bits, and the
 *    guest runs; minikvm loads them as the guest left them and the entry
 *    fails on the PDPTE check;
 *  - svm_cr3_high_legacy: QEMU checks CR3 against MAXPHYADDR whatever
 *    the guest's mode; minikvm's checker names the APM's CR3 rule.
 *
 * A few rows are states that both refuse at KVM_SET_SREGS (-EINVAL), so
 * the hardware never sees them: they document why those APM/SDM rules
 * cannot be reached from userspace.
 *
 * Cases of the other vendor skip.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <linux/minikvm.h>

#include "minikvm/kvm_trace.h"
#include "minikvm/kvm_util.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"
#include "minikvm/x86_vm.h"

#define CODE_GPA		0x8000
#define VMX_INVALID_GUEST	0x80000021ULL	/* bit 31 | reason 33 */
#define SVM_VMEXIT_INVALID	0xffffffffULL	/* -1, as KVM reports it */
#define CANON_HOLE		(1ULL << 47)
#define RFLAGS_VM		(1ULL << 17)
#define RFLAGS_RSVD3		(1ULL << 3)
#define PAE_PDPTE_RSVD1		(1ULL << 1)	/* bits 2:1 are reserved */

enum vendor { VMX, SVM, ANY };

/* What a target does with the broken state. */
enum outcome {
	FAIL_ENTRY,	/* KVM_RUN: KVM_EXIT_FAIL_ENTRY */
	SET_EINVAL,	/* KVM_SET_SREGS / KVM_SET_REGS: -EINVAL */
	RUNS,		/* fixed up on the way in: the guest reaches its HLT */
	SHUTDOWN,	/* entered: the guest faults with no IDT, a triple fault */
};

/* The vCPU's registers about to be set, and its VM's memory. */
struct state {
	struct kvm_vm *vm;
	struct kvm_sregs s;
	struct kvm_regs r;
};

struct entry_case {
	enum vendor vendor;
	enum x86_guest_mode mode;
	void (*breaks)(struct state *e);
	enum outcome mkvm, kvm;
	uint32_t rule;		/* minikvm's MINIKVM_RULE_* */
	const char *words;	/* in minikvm's text */
};

/* Sets the broken state, runs, and checks the outcome of this target. */
static void run_case(const struct entry_case *c)
{
	static const uint8_t hlt = 0xf4;
	bool mkvm = kvm_dev_is_minikvm();
	enum outcome want = mkvm ? c->mkvm : c->kvm;
	const struct minikvm_fail_entry *fe;
	struct kvm_vcpu *vcpu;
	struct kvm_regs r;
	struct kvm_vm *vm;
	struct minikvm_trace_record rec = { 0 }, last = { 0 };
	struct kvm_trace trace;
	struct state e;
	int ret, nr = 0;

	TEST_REQUIRE(c->vendor == ANY ||
		     (c->vendor == VMX ? host_cpu_is_intel() : host_cpu_is_amd()));
	vm = vm_create_with_code(&vcpu, c->mode, CODE_GPA, &hlt, 1);
	e.vm = vm;
	vcpu_sregs_get(vcpu, &e.s);
	vcpu_regs_get(vcpu, &e.r);
	c->breaks(&e);
	ret = __vcpu_regs_set(vcpu, &e.r);
	if (!ret)
		ret = __vcpu_sregs_set(vcpu, &e.s);
	if (want == SET_EINVAL) {
		TEST_ASSERT_ERRNO(ret, EINVAL, "KVM_SET_REGS/SREGS");
		kvm_vm_free(vm);
		return;
	}
	TEST_ASSERT(!ret, "KVM_SET_REGS/SREGS refused the state: %s",
		    errno_name(errno));
	if (mkvm)
		kvm_trace_map(&trace, vcpu_get_exit_trace_fd(vcpu, 64));
	ret = __vcpu_run(vcpu);
	TEST_ASSERT(!ret, "KVM_RUN: %s", errno_name(errno));
	if (mkvm) {
		/* The exit trace's last record is the refused entry. */
		while (kvm_trace_next(&trace, &rec)) {
			last = rec;
			nr++;
		}
		TEST_ASSERT(nr > 0, "no trace record");
		kvm_trace_unmap(&trace);
		close(trace.fd);
	}
	if (want == RUNS || want == SHUTDOWN) {
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, want == RUNS ? KVM_EXIT_HLT :
					    KVM_EXIT_SHUTDOWN);
		kvm_vm_free(vm);
		return;
	}
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_FAIL_ENTRY);
	TEST_ASSERT_EQ(vcpu->run->fail_entry.hardware_entry_failure_reason,
		       host_cpu_is_intel() ? VMX_INVALID_GUEST : SVM_VMEXIT_INVALID);
	if (mkvm) {
		fe = (const void *)&vcpu->run->fail_entry;
		ksft_print_msg("minikvm: rule %u: %s\n", fe->rule, fe->text);
		TEST_ASSERT_EQ(fe->magic, MINIKVM_FAIL_ENTRY_MAGIC);
		TEST_ASSERT_EQ(fe->rule, c->rule);
		TEST_ASSERT(memchr(fe->text, 0, sizeof(fe->text)),
			    "text not terminated");
		TEST_ASSERT(strstr(fe->text, c->words) &&
			    strstr(fe->text, host_cpu_is_intel() ?
				   "Intel SDM Vol. 3C" : "AMD APM Vol. 2"),
			    "text '%s' does not name '%s' and the manual",
			    fe->text, c->words);
		TEST_ASSERT_EQ(last.flags, MINIKVM_TRACE_FAILED_ENTRY |
			       MINIKVM_TRACE_USERSPACE);
		TEST_ASSERT_EQ(last.kvm_exit_reason, KVM_EXIT_FAIL_ENTRY);
		TEST_ASSERT_EQ(last.rule, c->rule);
	}
	/*
	 * The refused entry changed nothing the guest would see.  Not so
	 * under KVM on QEMU's SVM, which stores QEMU's host state in the
	 * VMCB on VMEXIT_INVALID: KVM_GET_REGS then reads host kernel
	 * addresses (minikvm puts the guest's state back).
	 */
	vcpu_regs_get(vcpu, &r);
	if (mkvm || host_cpu_is_intel())
		TEST_ASSERT_EQ(r.rip, e.r.rip);
	kvm_vm_free(vm);
}

/* --- VMX: guest segment registers (SDM "Checks on Guest Segment Registers") --- */

static void cs_l_and_d(struct state *e)
{
	e->s.cs.db = 1;	/* with CS.L, in IA-32e mode */
}

static void ss_code(struct state *e)
{
	e->s.ss.type = 0xb;
}

static void ds_exec_only(struct state *e)
{
	e->s.ds.type = 0x8;
}

static void ds_system(struct state *e)
{
	e->s.ds.s = 0;
}

static void cs_dpl3(struct state *e)
{
	e->s.cs.dpl = 3;	/* SS.DPL stays 0 */
}

static void cs_data(struct state *e)
{
	e->s.cs.type = 0x1;
}

static void ds_limit_g(struct state *e)
{
	e->s.ds.limit = 0xfffff000;	/* bits 31:20 set need G */
	e->s.ds.g = 0;
}

static void tr_unusable(struct state *e)
{
	e->s.tr.present = 0;
}

static void tr_available(struct state *e)
{
	e->s.tr.type = 0x9;	/* available, not busy, 32-bit TSS */
}

static void tr_ti(struct state *e)
{
	e->s.tr.selector |= 4;
}

static void ldt_type(struct state *e)
{
	e->s.ldt = (struct kvm_segment){ .selector = 0x28, .limit = 0xfff,
				       .type = 0x3, .present = 1 };
}

static void ldt_ti(struct state *e)
{
	e->s.ldt = (struct kvm_segment){ .selector = 0x2c, .limit = 0xfff,
				       .type = 0x2, .present = 1 };
}

static void fs_base(struct state *e)
{
	e->s.fs.base = CANON_HOLE;
}

static void cs_base_4g(struct state *e)
{
	e->s.cs.base = 1ULL << 32;
}

static void ss_dpl3_real(struct state *e)
{
	e->s.cs.type = 0x3;	/* unrestricted guest allows a data-type CS ... */
	e->s.ss.dpl = 3;		/* ... whose SS.DPL must then be 0 */
}

/* --- VMX: descriptor tables, RIP, RFLAGS --- */

static void gdt_base(struct state *e)
{
	e->s.gdt.base = CANON_HOLE;
}

static void rip_4g(struct state *e)
{
	e->r.rip = 1ULL << 32;
}

static void rip_noncanonical(struct state *e)
{
	e->r.rip = CANON_HOLE;
}

static void rflags_reserved(struct state *e)
{
	e->r.rflags |= RFLAGS_RSVD3;
}

static void rflags_vm(struct state *e)
{
	e->r.rflags |= RFLAGS_VM;
}

/* KVM_SET_SREGS queues interrupt 0x20; RFLAGS.IF stays clear. */
static void irq_if_clear(struct state *e)
{
	e->s.interrupt_bitmap[0] = 1ULL << 0x20;
}

/* PDPTE 0 (x86_modes.c's PDPT at 0x1000) with a reserved bit. */
static void pdpte_reserved(struct state *e)
{
	*(uint64_t *)addr_gpa2hva(e->vm, e->s.cr3 & ~0xfffULL) |= PAE_PDPTE_RSVD1;
}

/* --- SVM (APM "Canonicalization and Consistency Checks") --- */

/* CR3 bits 63:32 of a guest outside long mode. */
static void cr3_high_legacy(struct state *e)
{
	e->s.cr3 = 1ULL << 45;
}

/* --- states both refuse at KVM_SET_SREGS --- */

static void cr0_nw_no_cd(struct state *e)
{
	e->s.cr0 |= X86_CR0_NW;
	e->s.cr0 &= ~(uint64_t)X86_CR0_CD;
}

static void long_no_pae(struct state *e)
{
	e->s.cr4 &= ~(uint64_t)X86_CR4_PAE;
}

static void long_no_pe(struct state *e)
{
	e->s.cr0 &= ~(uint64_t)X86_CR0_PE;
}

#define VMX_RULE(r)	MINIKVM_RULE_VMX_##r
#define SVM_RULE(r)	MINIKVM_RULE_SVM_##r

/*
 * name, vendor, mode, how to break, outcome on minikvm, on KVM, minikvm's
 * rule and words of its text.
 */
#define CASES(X)							\
	X(vmx_cs_l_and_d, VMX, X86_MODE_LONG, cs_l_and_d, FAIL_ENTRY, FAIL_ENTRY, \
	  VMX_RULE(GUEST_CS_L_D), "CS.L and CS.D")			\
	X(vmx_ss_code, VMX, X86_MODE_PROT32, ss_code, FAIL_ENTRY, FAIL_ENTRY, \
	  VMX_RULE(GUEST_SS_TYPE), "SS type")				\
	X(vmx_ds_exec_only, VMX, X86_MODE_PROT32, ds_exec_only, FAIL_ENTRY, \
	  FAIL_ENTRY, VMX_RULE(GUEST_DATA_TYPE), "not readable")	\
	X(vmx_ds_system, VMX, X86_MODE_PROT32, ds_system, FAIL_ENTRY,	\
	  FAIL_ENTRY, VMX_RULE(GUEST_SEG_S), "S clear")			\
	X(vmx_cs_dpl3, VMX, X86_MODE_PROT32, cs_dpl3, FAIL_ENTRY, FAIL_ENTRY, \
	  VMX_RULE(GUEST_CS_DPL), "CS.DPL")				\
	X(vmx_cs_data, VMX, X86_MODE_PROT32, cs_data, FAIL_ENTRY, FAIL_ENTRY, \
	  VMX_RULE(GUEST_CS_TYPE), "CS type")				\
	X(vmx_ds_limit_g, VMX, X86_MODE_PROT32, ds_limit_g, FAIL_ENTRY,	\
	  FAIL_ENTRY, VMX_RULE(GUEST_SEG_LIMIT_G), "granularity")	\
	X(vmx_tr_unusable, VMX, X86_MODE_PROT32, tr_unusable, FAIL_ENTRY, \
	  FAIL_ENTRY, VMX_RULE(GUEST_TR_UNUSABLE), "TR unusable")	\
	X(vmx_tr_available, VMX, X86_MODE_PROT32, tr_available, FAIL_ENTRY, \
	  FAIL_ENTRY, VMX_RULE(GUEST_TR_TYPE), "busy TSS")		\
	X(vmx_tr_ti, VMX, X86_MODE_PROT32, tr_ti, FAIL_ENTRY, FAIL_ENTRY, \
	  VMX_RULE(GUEST_TR_TI), "TR selector TI")			\
	X(vmx_ldt_type, VMX, X86_MODE_PROT32, ldt_type, FAIL_ENTRY,	\
	  FAIL_ENTRY, VMX_RULE(GUEST_LDTR_TYPE), "LDTR not of type LDT") \
	X(vmx_ldt_ti, VMX, X86_MODE_PROT32, ldt_ti, FAIL_ENTRY, FAIL_ENTRY, \
	  VMX_RULE(GUEST_LDTR_TI), "LDTR selector TI")			\
	X(vmx_fs_base, VMX, X86_MODE_LONG, fs_base, FAIL_ENTRY, FAIL_ENTRY, \
	  VMX_RULE(GUEST_SEG_BASE_CANONICAL), "not canonical")		\
	X(vmx_cs_base_4g, VMX, X86_MODE_REAL, cs_base_4g, FAIL_ENTRY,	\
	  FAIL_ENTRY, VMX_RULE(GUEST_SEG_BASE_HIGH), "base bits 63:32")	\
	X(vmx_ss_dpl3_real, VMX, X86_MODE_REAL, ss_dpl3_real, FAIL_ENTRY, \
	  FAIL_ENTRY, VMX_RULE(GUEST_SS_DPL), "SS.DPL")			\
	X(vmx_gdt_base, VMX, X86_MODE_LONG, gdt_base, FAIL_ENTRY, FAIL_ENTRY, \
	  VMX_RULE(GUEST_DTR_BASE), "GDTR or IDTR base")		\
	X(vmx_rip_4g, VMX, X86_MODE_PROT32, rip_4g, FAIL_ENTRY, FAIL_ENTRY, \
	  VMX_RULE(GUEST_RIP_HIGH), "RIP bits 63:32")			\
	X(vmx_rip_noncanonical, VMX, X86_MODE_LONG, rip_noncanonical,	\
	  SHUTDOWN, SHUTDOWN, VMX_RULE(GUEST_RIP_CANONICAL),		\
	  "RIP not canonical")						\
	X(vmx_rflags_reserved, VMX, X86_MODE_REAL, rflags_reserved,	\
	  FAIL_ENTRY, FAIL_ENTRY, VMX_RULE(GUEST_RFLAGS_RESERVED),	\
	  "RFLAGS reserved")						\
	X(vmx_rflags_vm_real, VMX, X86_MODE_REAL, rflags_vm, FAIL_ENTRY, \
	  FAIL_ENTRY, VMX_RULE(GUEST_RFLAGS_VM), "RFLAGS.VM")		\
	X(vmx_rflags_vm_long, VMX, X86_MODE_LONG, rflags_vm, FAIL_ENTRY, \
	  FAIL_ENTRY, VMX_RULE(GUEST_RFLAGS_VM), "RFLAGS.VM")		\
	X(vmx_irq_if_clear, VMX, X86_MODE_PROT32, irq_if_clear, FAIL_ENTRY, \
	  FAIL_ENTRY, VMX_RULE(GUEST_RFLAGS_IF), "RFLAGS.IF clear")	\
	X(vmx_pdpte_reserved, VMX, X86_MODE_PAE, pdpte_reserved, FAIL_ENTRY, \
	  RUNS, VMX_RULE(GUEST_PDPTE), "PDPTE reserved")		\
	X(svm_cs_l_and_d, SVM, X86_MODE_LONG, cs_l_and_d, FAIL_ENTRY,	\
	  FAIL_ENTRY, SVM_RULE(LONG_MODE_CS_L_D), "CS.L and CS.D")	\
	X(svm_cr3_high_legacy, SVM, X86_MODE_PROT32, cr3_high_legacy,	\
	  FAIL_ENTRY, FAIL_ENTRY, SVM_RULE(CR3_MBZ), "CR3 must-be-zero") \
	X(any_cr0_nw_no_cd, ANY, X86_MODE_PROT32, cr0_nw_no_cd, SET_EINVAL, \
	  SET_EINVAL, 0, "")						\
	X(any_long_no_pae, ANY, X86_MODE_LONG, long_no_pae, SET_EINVAL,	\
	  SET_EINVAL, 0, "")						\
	X(any_long_no_pe, ANY, X86_MODE_LONG, long_no_pe, SET_EINVAL,	\
	  SET_EINVAL, 0, "")

#define CASE_FN(name, vendor_, mode_, fn, mk, kv, rule_, words_)	\
	static void name(void)						\
	{								\
		static const struct entry_case c = {			\
			.vendor = vendor_, .mode = mode_, .breaks = fn,	\
			.mkvm = mk, .kvm = kv, .rule = rule_,		\
			.words = words_,				\
		};							\
		run_case(&c);						\
	}
CASES(CASE_FN)

#define CASE_ROW(name, ...)	KVM_TEST(name),
static const struct kvm_test tests[] = { CASES(CASE_ROW) };

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
