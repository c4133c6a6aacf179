// SPDX-License-Identifier: GPL-2.0-only
/*
 * host_check.c - decodes what a host CPU offers for hardware virtualization
 * into facts, each marked with what minikvm makes of it, and the verdict
 * (minikvm-run --check; the reading is user/runner/check.c's).
 *
 * The needed facts are those whose absence makes minikvm.ko refuse to load:
 * arch/x86/vmx/vmx.c (vmx_probe() and the VMX_*_WANT/FORBID control masks)
 * and arch/x86/svm/svm.c (svm_probe()).  A change of those belongs here too.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "minikvm/host_check.h"
#include "minikvm/processor.h"

#define B(n)	(1ULL << (n))

void hc_add(struct hc_report *r, const char *name, enum hc_have have,
	    enum hc_need need, const char *fmt, ...)
{
	struct hc_fact *f;
	va_list ap;

	if (r->n >= HC_MAX_FACTS)
		return;
	f = &r->facts[r->n++];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->have = have;
	f->need = need;
	f->note[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(f->note, sizeof(f->note), fmt, ap);
		va_end(ap);
	}
}

const struct hc_fact *hc_find(const struct hc_report *r, const char *name)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->facts[i].name, name))
			return &r->facts[i];
	return NULL;
}

static enum hc_have have(bool b)
{
	return b ? HC_YES : HC_NO;
}

/* ---- AMD SVM ---------------------------------------------------------- */

/* CPUID Fn8000_000A_EDX (AMD APM Vol. 3, Appendix E, "SVM Features"). */
#define SVM_NP			B(0)
#define SVM_LBRV		B(1)
#define SVM_NRIPS		B(3)
#define SVM_TSC_RATE		B(4)
#define SVM_VMCB_CLEAN		B(5)
#define SVM_FLUSH_BY_ASID	B(6)
#define SVM_DECODE_ASSISTS	B(7)
#define SVM_PAUSE_FILTER	B(10)
#define SVM_AVIC		B(13)
#define SVM_V_VMSAVE_VMLOAD	B(15)
#define SVM_VGIF		B(16)
#define SVM_VNMI		B(25)

void hc_decode_svm_cpuid(struct hc_report *r, uint32_t eax, uint32_t ebx,
			 uint32_t edx)
{
	hc_add(r, "nested paging (NPT)", have(edx & SVM_NP), HC_NEEDED,
	       "SVM revision %u", eax & 0xff);
	/* ASID 0 is the host's; guests get 1 .. N-1 (svm_vcpu.c). */
	hc_add(r, "ASIDs", have(ebx > 1), HC_NEEDED, "%u (guests use 1..%u)",
	       ebx, ebx ? ebx - 1 : 0);
	hc_add(r, "NRIPS (next RIP saved)", have(edx & SVM_NRIPS), HC_USED,
	       "%s", edx & SVM_NRIPS ? "length of an intercepted instruction" :
	       "without it minikvm decodes the instruction for its length");
	hc_add(r, "decode assists", have(edx & SVM_DECODE_ASSISTS), HC_USED,
	       "%s", edx & SVM_DECODE_ASSISTS ?
	       "MOV CR register and instruction bytes given by the CPU" :
	       "without them minikvm fetches and decodes the instruction");
	hc_add(r, "flush by ASID", have(edx & SVM_FLUSH_BY_ASID), HC_USED,
	       "%s", edx & SVM_FLUSH_BY_ASID ? "TLB_CONTROL 3: one guest's TLB" :
	       "without it minikvm flushes every ASID (TLB_CONTROL 1)");
	hc_add(r, "VMCB clean bits", have(edx & SVM_VMCB_CLEAN), HC_INFO, NULL);
	hc_add(r, "LBR virtualization", have(edx & SVM_LBRV), HC_INFO, NULL);
	hc_add(r, "TSC rate MSR", have(edx & SVM_TSC_RATE), HC_INFO, NULL);
	hc_add(r, "pause filter", have(edx & SVM_PAUSE_FILTER), HC_INFO, NULL);
	hc_add(r, "AVIC", have(edx & SVM_AVIC), HC_INFO, NULL);
	hc_add(r, "VMSAVE/VMLOAD virtualization",
	       have(edx & SVM_V_VMSAVE_VMLOAD), HC_INFO, NULL);
	hc_add(r, "virtual GIF", have(edx & SVM_VGIF), HC_INFO, NULL);
	hc_add(r, "virtual NMI", have(edx & SVM_VNMI), HC_INFO, NULL);
}

/* VM_CR (AMD APM Vol. 2, "VM_CR MSR"). */
#define VM_CR_LOCK	B(3)
#define VM_CR_SVMDIS	B(4)

void hc_decode_vm_cr(struct hc_report *r, bool valid, uint64_t vm_cr)
{
	if (!valid)
		hc_add(r, "SVM enabled by firmware", HC_UNKNOWN, HC_NEEDED,
		       "VM_CR (MSR 0xc0010114) not readable: load the msr module, run as root");
	else if (vm_cr & VM_CR_SVMDIS)
		hc_add(r, "SVM enabled by firmware", HC_NO, HC_NEEDED,
		       "VM_CR.SVMDIS set (VM_CR=%#llx%s): enable SVM in the firmware setup",
		       (unsigned long long)vm_cr,
		       vm_cr & VM_CR_LOCK ? ", locked" : "");
	else
		hc_add(r, "SVM enabled by firmware", HC_YES, HC_NEEDED,
		       "VM_CR.SVMDIS clear (VM_CR=%#llx)",
		       (unsigned long long)vm_cr);
}

/* ---- Intel VMX -------------------------------------------------------- */

/* IA32_FEATURE_CONTROL (Intel SDM Vol. 3C, "Enabling and Entering VMX Operation"). */
#define FC_LOCKED		B(0)
#define FC_VMX_OUTSIDE_SMX	B(2)

void hc_decode_feature_control(struct hc_report *r, bool valid, uint64_t fc)
{
	if (!valid)
		hc_add(r, "VMX enabled by firmware", HC_UNKNOWN, HC_NEEDED,
		       "IA32_FEATURE_CONTROL not readable: load the msr module, run as root");
	else if (!(fc & FC_LOCKED) || !(fc & FC_VMX_OUTSIDE_SMX))
		hc_add(r, "VMX enabled by firmware", HC_NO, HC_NEEDED,
		       "IA32_FEATURE_CONTROL=%#llx: %s; enable VT-x in the firmware setup",
		       (unsigned long long)fc, !(fc & FC_LOCKED) ? "not locked" :
		       "VMXON outside SMX not allowed");
	else
		hc_add(r, "VMX enabled by firmware", HC_YES, HC_NEEDED,
		       "IA32_FEATURE_CONTROL=%#llx: locked, VMXON outside SMX allowed",
		       (unsigned long long)fc);
}

/* IA32_VMX_BASIC (Intel SDM Vol. 3D, Appendix A.1 "Basic VMX Information"). */
#define BASIC_REGION_SIZE(b)	(((b) >> 32) & 0x1fff)
#define BASIC_32BIT_PA		B(48)
#define BASIC_MEM_TYPE(b)	(((b) >> 50) & 0xf)
#define BASIC_MEM_TYPE_WB	6

/*
 * A control bit and its name in the SDM's tables (Vol. 3C, chapter
 * "Virtual Machine Control Structures").
 */
struct hc_ctl_name {
	int bit;
	const char *name;
};

static const struct hc_ctl_name pin_names[] = {
	{ 0, "external-interrupt exiting" }, { 3, "NMI exiting" },
	{ 5, "virtual NMIs" }, { 6, "VMX-preemption timer" },
	{ 7, "posted interrupts" }, { -1, NULL },
};

static const struct hc_ctl_name proc_names[] = {
	{ 2, "interrupt-window exiting" }, { 3, "TSC offsetting" },
	{ 7, "HLT exiting" }, { 9, "INVLPG exiting" }, { 10, "MWAIT exiting" },
	{ 11, "RDPMC exiting" }, { 12, "RDTSC exiting" },
	{ 15, "CR3-load exiting" }, { 16, "CR3-store exiting" },
	{ 21, "TPR shadow" }, { 22, "NMI-window exiting" },
	{ 23, "MOV-DR exiting" }, { 24, "unconditional I/O exiting" },
	{ 27, "monitor trap flag" }, { 28, "MSR bitmaps" },
	{ 29, "MONITOR exiting" }, { 30, "PAUSE exiting" },
	{ 31, "secondary controls" }, { -1, NULL },
};

static const struct hc_ctl_name exit_names[] = {
	{ 2, "save debug controls" }, { 9, "host address-space size" },
	{ 15, "acknowledge interrupt on exit" }, { 18, "save IA32_PAT" },
	{ 19, "load IA32_PAT" }, { 20, "save IA32_EFER" },
	{ 21, "load IA32_EFER" }, { -1, NULL },
};

static const struct hc_ctl_name entry_names[] = {
	{ 2, "load debug controls" }, { 9, "IA-32e mode guest" },
	{ 14, "load IA32_PAT" }, { 15, "load IA32_EFER" }, { -1, NULL },
};

static const struct hc_ctl_name proc2_names[] = {
	{ 1, "enable EPT" }, { 5, "enable VPID" },
	{ 7, "unrestricted guest" }, { 10, "PAUSE-loop exiting" },
	{ -1, NULL },
};

/*
 * What minikvm sets and what it needs clear, per control word: the values
 * of VMX_*_WANT and VMX_*_FORBID in arch/x86/vmx/vmx.c.
 */
#define PIN_WANT	(B(0) | B(3) | B(5))
#define PIN_FORBID	(B(6) | B(7))
#define PROC_WANT	(B(3) | B(7) | B(10) | B(11) | B(21) | B(24) | B(28) | \
			 B(29) | B(31))
#define PROC_FORBID	(B(2) | B(9) | B(12) | B(15) | B(16) | B(22) | B(23) | \
			 B(27) | B(30))
#define EXIT_WANT	(B(2) | B(9) | B(15) | B(18) | B(19) | B(20) | B(21))
#define ENTRY_WANT	(B(2) | B(14) | B(15))
#define ENTRY_FORBID	(B(9) | B(10) | B(11))
/* Secondary: EPT and unrestricted guest, VPID and PLE when there. */
#define PROC2_EPT	B(1)
#define PROC2_VPID	B(5)
#define PROC2_UG	B(7)
#define PROC2_APIC_REG	B(8)
#define PROC2_VID	B(9)
#define PROC2_PLE	B(10)
#define PROC2_PML	B(17)
#define PROC2_TSC_SCALE	B(25)
#define PROC2_ALLOWED	(PROC2_EPT | PROC2_UG | PROC2_VPID | PROC2_PLE)

/* Appends "name, name" of the bits of @bits to @buf. */
static void ctl_bits(char *buf, size_t len, uint32_t bits,
		     const struct hc_ctl_name *names)
{
	size_t used = strlen(buf);

	for (int b = 0; b < 32; b++) {
		const char *name = NULL;

		if (!(bits & (1u << b)))
			continue;
		for (const struct hc_ctl_name *n = names; n->name; n++)
			if (n->bit == b)
				name = n->name;
		if (used < len)
			used += name ? snprintf(buf + used, len - used, "%s%s",
						used ? ", " : "", name) :
				snprintf(buf + used, len - used, "%sbit %d",
					 used ? ", " : "", b);
	}
}

/*
 * One control word: bits 31:0 of the capability MSR are the allowed
 * 0-settings (1 = must be 1), bits 63:32 the allowed 1-settings (SDM Vol.
 * 3D, Appendix A.3 to A.5).  Needed: every wanted bit can be 1, every
 * forbidden one can be 0.
 */
static void check_ctls(struct hc_report *r, const char *what, uint64_t cap,
		       uint32_t want, uint32_t forbid,
		       const struct hc_ctl_name *names)
{
	uint32_t must1 = (uint32_t)cap, may1 = (uint32_t)(cap >> 32);
	uint32_t missing = want & ~may1, stuck = must1 & forbid;
	char a[128] = "", b[128] = "";

	if (!missing && !stuck) {
		if (want)
			hc_add(r, what, HC_YES, HC_NEEDED,
			       "the %d minikvm sets (MSR %#llx)",
			       __builtin_popcount(want), (unsigned long long)cap);
		else
			hc_add(r, what, HC_YES, HC_NEEDED,
			       "none forced on (MSR %#llx)",
			       (unsigned long long)cap);
		return;
	}
	ctl_bits(a, sizeof(a), missing, names);
	ctl_bits(b, sizeof(b), stuck, names);
	hc_add(r, what, HC_NO, HC_NEEDED, "%s%s%s%s%s",
	       missing ? "cannot be set: " : "", a,
	       missing && stuck ? "; " : "",
	       stuck ? "cannot be cleared: " : "", b);
}

/* IA32_VMX_EPT_VPID_CAP (SDM Vol. 3D, Appendix A.10 "VPID and EPT Capabilities"). */
#define EPT_WALK_4		B(6)
#define EPT_WALK_5		B(7)
#define EPT_WB			B(14)
#define EPT_2M			B(16)
#define EPT_1G			B(17)
#define EPT_INVEPT		B(20)
#define EPT_AD			B(21)
#define EPT_INVEPT_SINGLE	B(25)
#define EPT_INVEPT_ALL		B(26)
#define VPID_INVVPID		B(32)
#define VPID_INVVPID_ADDR	B(40)
#define VPID_INVVPID_SINGLE	B(41)
#define VPID_INVVPID_ALL	B(42)

void hc_decode_vmx_msrs(struct hc_report *r, const struct hc_vmx_msrs *m)
{
	uint32_t may2 = (uint32_t)(m->proc2 >> 32);
	uint64_t e = m->ept_vpid;
	bool vpid;

	{
		unsigned int size = BASIC_REGION_SIZE(m->basic);
		unsigned int type = BASIC_MEM_TYPE(m->basic);
		bool ok = size <= 4096 && !(m->basic & BASIC_32BIT_PA) &&
			  type == BASIC_MEM_TYPE_WB;

		hc_add(r, "VMCS: <= 4 KiB, write-back", have(ok), HC_NEEDED,
		       "revision %#llx, %u bytes, memory type %u%s",
		       (unsigned long long)(m->basic & 0x7fffffff), size, type,
		       m->basic & BASIC_32BIT_PA ? ", 32-bit addresses only" : "");
	}
	check_ctls(r, "pin-based controls", m->pin, PIN_WANT, PIN_FORBID,
		   pin_names);
	check_ctls(r, "processor-based controls", m->proc, PROC_WANT,
		   PROC_FORBID, proc_names);
	check_ctls(r, "VM-exit controls", m->exit, EXIT_WANT, 0, exit_names);
	check_ctls(r, "VM-entry controls", m->entry, ENTRY_WANT, ENTRY_FORBID,
		   entry_names);
	check_ctls(r, "secondary controls", m->proc2, 0,
		   ~(uint32_t)PROC2_ALLOWED, proc2_names);
	hc_add(r, "EPT", have(may2 & PROC2_EPT), HC_NEEDED, NULL);
	hc_add(r, "unrestricted guest", have(may2 & PROC2_UG), HC_NEEDED,
	       "real mode and unpaged guests");
	hc_add(r, "EPT 4-level write-back tables",
	       have((e & EPT_WALK_4) && (e & EPT_WB)), HC_NEEDED,
	       "%s", e & EPT_WALK_5 ? "5-level too" : "");
	hc_add(r, "INVEPT", have((e & EPT_INVEPT) &&
				 (e & (EPT_INVEPT_SINGLE | EPT_INVEPT_ALL))),
	       HC_NEEDED, "types:%s%s", e & EPT_INVEPT_SINGLE ? " single-context" : "",
	       e & EPT_INVEPT_ALL ? " all-context" : "");
	vpid = (may2 & PROC2_VPID) && (e & VPID_INVVPID) &&
	       (e & (VPID_INVVPID_SINGLE | VPID_INVVPID_ALL));
	hc_add(r, "VPID", have(vpid), HC_USED, "%s%s%s%s",
	       vpid ? "INVVPID types:" : "without it every entry flushes the TLB",
	       vpid && (e & VPID_INVVPID_ADDR) ? " individual-address" : "",
	       vpid && (e & VPID_INVVPID_SINGLE) ? " single-context" : "",
	       vpid && (e & VPID_INVVPID_ALL) ? " all-context" : "");
	hc_add(r, "EPT 2 MiB pages", have(e & EPT_2M), HC_USED,
	       "%s", e & EPT_2M ? "2 MiB-aligned guest memory mapped whole" :
	       "guest memory mapped in 4 KiB pages");
	hc_add(r, "EPT 1 GiB pages", have(e & EPT_1G), HC_INFO, NULL);
	hc_add(r, "VMX-preemption timer", have((m->pin >> 32) & B(6)), HC_USED,
	       "counts at TSC / %u; a backstop exit once per host tick",
	       1u << (m->misc & 0x1f));
	hc_add(r, "PAUSE-loop exiting", have(may2 & PROC2_PLE), HC_USED, NULL);
	hc_add(r, "EPT accessed/dirty bits", have(e & EPT_AD), HC_INFO, NULL);
	hc_add(r, "APIC register virtualization", have(may2 & PROC2_APIC_REG),
	       HC_INFO, NULL);
	hc_add(r, "virtual-interrupt delivery", have(may2 & PROC2_VID),
	       HC_INFO, NULL);
	hc_add(r, "posted interrupts", have((m->pin >> 32) & B(7)), HC_INFO,
	       NULL);
	hc_add(r, "page-modification logging", have(may2 & PROC2_PML), HC_INFO,
	       NULL);
	hc_add(r, "TSC scaling", have(may2 & PROC2_TSC_SCALE), HC_INFO, NULL);
}

void hc_decode_vmx_flags(struct hc_report *r, const char *flags)
{
	static const struct {
		const char *flag, *name;
		enum hc_need need;
	} map[] = {
		{ "ept", "EPT", HC_NEEDED },
		{ "unrestricted_guest", "unrestricted guest", HC_NEEDED },
		{ "vnmi", "virtual NMIs", HC_NEEDED },
		{ "vtpr", "TPR shadow", HC_NEEDED },
		{ "tsc_offset", "TSC offsetting", HC_NEEDED },
		{ "vpid", "VPID", HC_USED },
		{ "preemption_timer", "VMX-preemption timer", HC_USED },
		{ "ple", "PAUSE-loop exiting", HC_USED },
		{ "ept_1gb", "EPT 1 GiB pages", HC_INFO },
		{ "ept_ad", "EPT accessed/dirty bits", HC_INFO },
		{ "posted_intr", "posted interrupts", HC_INFO },
		{ "tsc_scaling", "TSC scaling", HC_INFO },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		hc_add(r, map[i].name, have(cpuinfo_flags_have(flags, map[i].flag)),
		       map[i].need, "vmx flag \"%s\"", map[i].flag);
	hc_add(r, "EPT 2 MiB pages", HC_UNKNOWN, HC_USED,
	       "not among the vmx flags");
	hc_add(r, "other VMX capabilities", HC_UNKNOWN, HC_NEEDED,
	       "4-level write-back EPT, INVEPT, VMCS memory type, exit/entry "
	       "controls: only in the VMX capability MSRs");
}

enum hc_verdict hc_verdict(const struct hc_report *r, char *why, size_t len)
{
	enum hc_have worst = HC_YES;
	int pass;

	if (len)
		why[0] = '\0';
	/* Pass 0 names the missing facts; pass 1, if none, the unknown. */
	for (pass = 0; pass < 2 && worst == HC_YES; pass++) {
		enum hc_have want = pass ? HC_UNKNOWN : HC_NO;
		size_t used = 0;

		for (int i = 0; i < r->n; i++) {
			const struct hc_fact *f = &r->facts[i];

			if (f->need != HC_NEEDED || f->have != want)
				continue;
			worst = want;
			if (len && used < len)
				used += snprintf(why + used, len - used, "%s%s",
						 used ? ", " : "", f->name);
		}
	}
	return worst == HC_NO ? HC_CANNOT_RUN :
	       worst == HC_UNKNOWN ? HC_CAN_RUN_UNVERIFIED : HC_CAN_RUN;
}
