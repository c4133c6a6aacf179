// SPDX-License-Identifier: GPL-2.0-only
/*
 * host_check_test.c - unit tests of minikvm-run --check's decoding
 * (user/lib/host_check.c): CPUID 8000_000Ah, VM_CR, IA32_FEATURE_CONTROL,
 * the VMX capability MSRs and /proc/cpuinfo's "vmx flags" turned into
 * facts, and the verdict over them.  Fixed inputs shaped like a Skylake
 * client's VMX MSRs, a Core 2 without EPT, QEMU's TCG SVM and a Zen 2 SVM
 * leaf (typical values, not dumps of one machine).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "minikvm/host_check.h"

/* The fact @name must exist with @have and @need. */
static const struct hc_fact *expect(const struct hc_report *r,
				    const char *name, enum hc_have have,
				    enum hc_need need)
{
	const struct hc_fact *f = hc_find(r, name);

	if (!f)
		fail_msg("no fact \"%s\"", name);
	assert_int_equal(f->have, have);
	assert_int_equal(f->need, need);
	return f;
}

/* Like a Skylake client: IA32_VMX_BASIC says TRUE_* exist. */
static const struct hc_vmx_msrs skylake = {
	.basic = 0x00da040000000004ULL,
	.pin = 0x0000007f00000016ULL,
	.proc = 0xfff9fffe04006172ULL,
	.exit = 0x01ffffff00036dfbULL,
	.entry = 0x0003ffff000011fbULL,
	.misc = 0x000000007004c1e7ULL,
	.proc2 = 0x001ffcff00000000ULL,
	.ept_vpid = 0x00000f0106734141ULL,
};

static void vmx_skylake_can_run(void **state)
{
	struct hc_report r = { 0 };
	const struct hc_fact *f;
	char why[256];

	(void)state;
	hc_decode_feature_control(&r, true, 0x5);
	hc_decode_vmx_msrs(&r, &skylake);
	expect(&r, "VMX enabled by firmware", HC_YES, HC_NEEDED);
	f = expect(&r, "VMCS: <= 4 KiB, write-back", HC_YES, HC_NEEDED);
	assert_non_null(strstr(f->note, "1024 bytes"));
	expect(&r, "pin-based controls", HC_YES, HC_NEEDED);
	expect(&r, "processor-based controls", HC_YES, HC_NEEDED);
	expect(&r, "VM-exit controls", HC_YES, HC_NEEDED);
	expect(&r, "VM-entry controls", HC_YES, HC_NEEDED);
	expect(&r, "secondary controls", HC_YES, HC_NEEDED);
	expect(&r, "EPT", HC_YES, HC_NEEDED);
	expect(&r, "unrestricted guest", HC_YES, HC_NEEDED);
	expect(&r, "EPT 4-level write-back tables", HC_YES, HC_NEEDED);
	f = expect(&r, "INVEPT", HC_YES, HC_NEEDED);
	assert_string_equal(f->note, "types: single-context all-context");
	f = expect(&r, "VPID", HC_YES, HC_USED);
	assert_string_equal(f->note,
			    "INVVPID types: individual-address single-context all-context");
	expect(&r, "EPT 2 MiB pages", HC_YES, HC_USED);
	expect(&r, "EPT 1 GiB pages", HC_YES, HC_INFO);
	f = expect(&r, "VMX-preemption timer", HC_YES, HC_USED);
	assert_non_null(strstr(f->note, "TSC / 128"));
	expect(&r, "PAUSE-loop exiting", HC_YES, HC_USED);
	expect(&r, "EPT accessed/dirty bits", HC_YES, HC_INFO);
	expect(&r, "APIC register virtualization", HC_NO, HC_INFO);
	expect(&r, "posted interrupts", HC_NO, HC_INFO);
	assert_int_equal(hc_verdict(&r, why, sizeof(why)), HC_CAN_RUN);
	assert_string_equal(why, "");
}

/* Like a Core 2: VMX without EPT, unrestricted guest or VPID. */
static void vmx_no_ept_cannot_run(void **state)
{
	struct hc_vmx_msrs m = skylake;
	struct hc_report r = { 0 };
	char why[256];

	(void)state;
	m.proc2 = 0x0000004100000000ULL;	/* APIC accesses, WBINVD exiting */
	m.ept_vpid = 0;
	hc_decode_feature_control(&r, true, 0x5);
	hc_decode_vmx_msrs(&r, &m);
	expect(&r, "EPT", HC_NO, HC_NEEDED);
	expect(&r, "unrestricted guest", HC_NO, HC_NEEDED);
	expect(&r, "VPID", HC_NO, HC_USED);
	assert_int_equal(hc_verdict(&r, why, sizeof(why)), HC_CANNOT_RUN);
	assert_string_equal(why, "EPT, unrestricted guest, "
			    "EPT 4-level write-back tables, INVEPT");
}

/* A control minikvm needs is missing, one it cannot handle is stuck at 1. */
static void vmx_controls_named(void **state)
{
	struct hc_vmx_msrs m = skylake;
	struct hc_report r = { 0 };
	const struct hc_fact *f;

	(void)state;
	m.pin &= ~(1ULL << (32 + 5));		/* no virtual NMIs */
	m.proc |= 1ULL << 12;			/* RDTSC exiting forced on */
	m.proc &= ~(1ULL << (32 + 21));		/* no TPR shadow */
	m.entry &= ~(1ULL << (32 + 15));	/* no "load IA32_EFER" */
	hc_decode_vmx_msrs(&r, &m);
	f = expect(&r, "pin-based controls", HC_NO, HC_NEEDED);
	assert_string_equal(f->note, "cannot be set: virtual NMIs");
	f = expect(&r, "processor-based controls", HC_NO, HC_NEEDED);
	assert_string_equal(f->note, "cannot be set: TPR shadow; "
			    "cannot be cleared: RDTSC exiting");
	f = expect(&r, "VM-entry controls", HC_NO, HC_NEEDED);
	assert_string_equal(f->note, "cannot be set: load IA32_EFER");
	expect(&r, "VM-exit controls", HC_YES, HC_NEEDED);
}

/* IA32_VMX_BASIC: a VMCS over 4 KiB or not write-back is refused. */
static void vmx_basic(void **state)
{
	struct hc_vmx_msrs m = skylake;
	struct hc_report r = { 0 };

	(void)state;
	m.basic = (m.basic & ~(0xfULL << 50)) | (0ULL << 50);	/* UC */
	hc_decode_vmx_msrs(&r, &m);
	expect(&r, "VMCS: <= 4 KiB, write-back", HC_NO, HC_NEEDED);
}

static void feature_control(void **state)
{
	struct hc_report r = { 0 };
	char why[128];

	(void)state;
	hc_decode_feature_control(&r, true, 0x1);	/* locked, VMX off */
	expect(&r, "VMX enabled by firmware", HC_NO, HC_NEEDED);
	assert_non_null(strstr(r.facts[0].note, "outside SMX not allowed"));
	r.n = 0;
	hc_decode_feature_control(&r, true, 0x4);	/* not locked */
	expect(&r, "VMX enabled by firmware", HC_NO, HC_NEEDED);
	assert_non_null(strstr(r.facts[0].note, "not locked"));
	r.n = 0;
	hc_decode_feature_control(&r, false, 0);
	expect(&r, "VMX enabled by firmware", HC_UNKNOWN, HC_NEEDED);
	assert_int_equal(hc_verdict(&r, why, sizeof(why)),
			 HC_CAN_RUN_UNVERIFIED);
	assert_string_equal(why, "VMX enabled by firmware");
}

/* /proc/cpuinfo "vmx flags" as Linux 6.1 prints them for such a CPU. */
static void vmx_flags_reduced(void **state)
{
	static const char flags[] =
		" vnmi preemption_timer invvpid ept_x_only ept_ad ept_1gb "
		"flexpriority tsc_offset vtpr mtf vapic ept vpid "
		"unrestricted_guest ple pml\n";
	struct hc_report r = { 0 };
	char why[256];

	(void)state;
	hc_decode_vmx_flags(&r, flags);
	expect(&r, "EPT", HC_YES, HC_NEEDED);
	expect(&r, "unrestricted guest", HC_YES, HC_NEEDED);
	expect(&r, "virtual NMIs", HC_YES, HC_NEEDED);
	expect(&r, "TPR shadow", HC_YES, HC_NEEDED);
	expect(&r, "TSC offsetting", HC_YES, HC_NEEDED);
	expect(&r, "VPID", HC_YES, HC_USED);
	expect(&r, "VMX-preemption timer", HC_YES, HC_USED);
	expect(&r, "posted interrupts", HC_NO, HC_INFO);
	expect(&r, "EPT 2 MiB pages", HC_UNKNOWN, HC_USED);
	expect(&r, "other VMX capabilities", HC_UNKNOWN, HC_NEEDED);
	assert_int_equal(hc_verdict(&r, why, sizeof(why)),
			 HC_CAN_RUN_UNVERIFIED);
	assert_string_equal(why, "other VMX capabilities");

	/* "ept_1gb" or "vpid" alone is not "ept". */
	r.n = 0;
	hc_decode_vmx_flags(&r, "vnmi ept_1gb ept_ad vtpr tsc_offset vpid");
	expect(&r, "EPT", HC_NO, HC_NEEDED);
	expect(&r, "unrestricted guest", HC_NO, HC_NEEDED);
	assert_int_equal(hc_verdict(&r, why, sizeof(why)), HC_CANNOT_RUN);
	assert_string_equal(why, "EPT, unrestricted guest");
}

/* QEMU TCG, -cpu qemu64,+svm,+npt: nested paging and nothing else. */
static void svm_qemu_tcg(void **state)
{
	struct hc_report r = { 0 };
	const struct hc_fact *f;
	char why[128];

	(void)state;
	hc_decode_vm_cr(&r, true, 0);
	hc_decode_svm_cpuid(&r, 0x1, 0x10, 0x1);
	expect(&r, "SVM enabled by firmware", HC_YES, HC_NEEDED);
	f = expect(&r, "nested paging (NPT)", HC_YES, HC_NEEDED);
	assert_string_equal(f->note, "SVM revision 1");
	f = expect(&r, "ASIDs", HC_YES, HC_NEEDED);
	assert_string_equal(f->note, "16 (guests use 1..15)");
	f = expect(&r, "NRIPS (next RIP saved)", HC_NO, HC_USED);
	assert_non_null(strstr(f->note, "decodes the instruction"));
	expect(&r, "decode assists", HC_NO, HC_USED);
	expect(&r, "flush by ASID", HC_NO, HC_USED);
	expect(&r, "VMCB clean bits", HC_NO, HC_INFO);
	expect(&r, "AVIC", HC_NO, HC_INFO);
	assert_int_equal(hc_verdict(&r, why, sizeof(why)), HC_CAN_RUN);
}

/* Like Zen 2: CPUID 8000_000Ah EDX 0x0001bcff, 32768 ASIDs. */
static void svm_zen2(void **state)
{
	struct hc_report r = { 0 };

	(void)state;
	hc_decode_svm_cpuid(&r, 0x1, 0x8000, 0x0001bcff);
	expect(&r, "nested paging (NPT)", HC_YES, HC_NEEDED);
	expect(&r, "NRIPS (next RIP saved)", HC_YES, HC_USED);
	expect(&r, "decode assists", HC_YES, HC_USED);
	expect(&r, "flush by ASID", HC_YES, HC_USED);
	expect(&r, "VMCB clean bits", HC_YES, HC_INFO);
	expect(&r, "LBR virtualization", HC_YES, HC_INFO);
	expect(&r, "TSC rate MSR", HC_YES, HC_INFO);
	expect(&r, "pause filter", HC_YES, HC_INFO);
	expect(&r, "AVIC", HC_YES, HC_INFO);
	expect(&r, "VMSAVE/VMLOAD virtualization", HC_YES, HC_INFO);
	expect(&r, "virtual GIF", HC_YES, HC_INFO);
	expect(&r, "virtual NMI", HC_NO, HC_INFO);
}

/* No nested paging, or SVM disabled by the firmware: cannot run. */
static void svm_refused(void **state)
{
	struct hc_report r = { 0 };
	const struct hc_fact *f;
	char why[128];

	(void)state;
	hc_decode_vm_cr(&r, true, 0x18);	/* SVMDIS and LOCK */
	hc_decode_svm_cpuid(&r, 0x1, 0x40, 0x0e);	/* no NP */
	f = expect(&r, "SVM enabled by firmware", HC_NO, HC_NEEDED);
	assert_non_null(strstr(f->note, "SVMDIS set (VM_CR=0x18, locked)"));
	expect(&r, "nested paging (NPT)", HC_NO, HC_NEEDED);
	assert_int_equal(hc_verdict(&r, why, sizeof(why)), HC_CANNOT_RUN);
	assert_string_equal(why, "SVM enabled by firmware, nested paging (NPT)");

	/* Unknown VM_CR and a missing fact: the missing one decides. */
	r.n = 0;
	hc_decode_vm_cr(&r, false, 0);
	hc_decode_svm_cpuid(&r, 0x1, 0x40, 0x0e);
	assert_int_equal(hc_verdict(&r, why, sizeof(why)), HC_CANNOT_RUN);
	assert_string_equal(why, "nested paging (NPT)");
}

/* A full report drops what does not fit; a short @why is cut, not overrun. */
static void report_limits(void **state)
{
	struct hc_report r = { 0 };
	char why[8];

	(void)state;
	for (int i = 0; i < HC_MAX_FACTS + 5; i++)
		hc_add(&r, "a missing fact", HC_NO, HC_NEEDED, "%d", i);
	assert_int_equal(r.n, HC_MAX_FACTS);
	memset(why, 'x', sizeof(why));
	assert_int_equal(hc_verdict(&r, why, sizeof(why)), HC_CANNOT_RUN);
	assert_string_equal(why, "a missi");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vmx_skylake_can_run),
		cmocka_unit_test(vmx_no_ept_cannot_run),
		cmocka_unit_test(vmx_controls_named),
		cmocka_unit_test(vmx_basic),
		cmocka_unit_test(feature_control),
		cmocka_unit_test(vmx_flags_reduced),
		cmocka_unit_test(svm_qemu_tcg),
		cmocka_unit_test(svm_zen2),
		cmocka_unit_test(svm_refused),
		cmocka_unit_test(report_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
