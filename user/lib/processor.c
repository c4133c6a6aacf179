// SPDX-License-Identifier: GPL-2.0-only
/*
 * processor.c - host CPUID queries and readable x86 register dumps (see
 * processor.h).  Pure functions apart from the CPUID instruction itself.
 */
#include <cpuid.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "minikvm/kvm_util.h"
#include "minikvm/processor.h"

void host_cpuid(uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r)
{
	__cpuid_count(leaf, subleaf, r->eax, r->ebx, r->ecx, r->edx);
}

bool host_cpu_has(struct x86_feature f)
{
	struct cpuid_regs r;
	uint32_t val;

	/* Basic leaves are bounded by CPUID.0:EAX, extended ones by 0x80000000. */
	host_cpuid(f.leaf & 0x80000000, 0, &r);
	if (r.eax < f.leaf)
		return false;
	host_cpuid(f.leaf, f.subleaf, &r);
	switch (f.reg) {
	case CPUID_EAX: val = r.eax; break;
	case CPUID_EBX: val = r.ebx; break;
	case CPUID_ECX: val = r.ecx; break;
	default:	val = r.edx; break;
	}
	return (val >> f.bit) & 1;
}

int cpuinfo_flags_have(const char *flags, const char *name)
{
	size_t len = strlen(name);
	const char *p = flags;

	while ((p = strstr(p, name))) {
		bool starts = p == flags || p[-1] == ' ' || p[-1] == '\t';
		bool ends = p[len] == '\0' || p[len] == ' ' || p[len] == '\n';

		if (len && starts && ends)
			return 1;
		p += len ? len : 1;
	}
	return 0;
}

int host_kernel_has(const char *name)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char *line = NULL;
	size_t cap = 0;
	int r = -1;

	if (!f)
		return -1;
	/* The first processor's "flags" line stands for all of them. */
	while (getline(&line, &cap, f) > 0) {
		if (!strncmp(line, "flags", 5)) {
			char *colon = strchr(line, ':');

			r = colon ? cpuinfo_flags_have(colon + 1, name) : -1;
			break;
		}
	}
	free(line);
	fclose(f);
	return r;
}

bool host_kernel_at_least(unsigned int major, unsigned int minor)
{
	struct utsname u;
	unsigned int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

bool kvm_dev_is_kvm_6_12(void)
{
	return !kvm_dev_is_minikvm() && host_kernel_at_least(6, 12);
}

/* Returns true if the CPUID vendor string is @vendor (12 characters). */
static bool host_vendor_is(const char *vendor)
{
	struct cpuid_regs r;
	char id[12];

	host_cpuid(0, 0, &r);
	memcpy(id, &r.ebx, 4);
	memcpy(id + 4, &r.edx, 4);
	memcpy(id + 8, &r.ecx, 4);
	return !memcmp(id, vendor, 12);
}

bool host_cpu_is_intel(void)
{
	return host_vendor_is("GenuineIntel");
}

bool host_cpu_is_amd(void)
{
	return host_vendor_is("AuthenticAMD") || host_vendor_is("HygonGenuine");
}

bool host_is_qemu_tcg(void)
{
	struct cpuid_regs r;
	char id[12];

	host_cpuid(1, 0, &r);
	if (!(r.ecx & (1U << 31)))	/* no hypervisor */
		return false;
	host_cpuid(0x40000000, 0, &r);
	memcpy(id, &r.ebx, 4);
	memcpy(id + 4, &r.ecx, 4);
	memcpy(id + 8, &r.edx, 4);
	return !memcmp(id, "TCGTCGTCGTCG", 12);
}

unsigned int host_maxphyaddr(void)
{
	struct cpuid_regs r;

	host_cpuid(0x80000000, 0, &r);
	if (r.eax < 0x80000008)
		return 36;	/* SDM: the width when the leaf is absent */
	host_cpuid(0x80000008, 0, &r);
	return r.eax & 0xff;
}

/* System-segment and gate types, SDM Vol. 3A, 3.5 "System Descriptor Types"
 * (the IA-32e column where the two differ). */
static const char *const system_types[16] = {
	"reserved", "TSS16 available", "LDT", "TSS16 busy",
	"call gate16", "task gate", "int gate16", "trap gate16",
	"reserved", "TSS available", "reserved", "TSS busy",
	"call gate", "reserved", "int gate", "trap gate",
};

const char *x86_seg_type_name(bool s, unsigned int type, char *buf, size_t len)
{
	type &= 0xf;
	if (!s) {
		snprintf(buf, len, "%s", system_types[type]);
		return buf;
	}
	/* SDM Vol. 3A, 3.4.5.1 "Code- and Data-Segment Descriptor Types". */
	if (type & 8)
		snprintf(buf, len, "code %sX%s%s", (type & 2) ? "R" : "",
			 (type & 4) ? " conforming" : "",
			 (type & 1) ? " accessed" : "");
	else
		snprintf(buf, len, "data R%s%s%s", (type & 2) ? "W" : "",
			 (type & 4) ? " expand-down" : "",
			 (type & 1) ? " accessed" : "");
	return buf;
}

const char *x86_seg_format(const struct kvm_segment *seg, char *buf, size_t len)
{
	char type[32];

	snprintf(buf, len,
		 "sel=%04x base=%016llx limit=%08x type=%x (%s) s=%u dpl=%u "
		 "p=%u db=%u l=%u g=%u avl=%u unusable=%u",
		 seg->selector, (unsigned long long)seg->base, seg->limit,
		 seg->type, x86_seg_type_name(seg->s, seg->type, type, sizeof(type)),
		 seg->s, seg->dpl, seg->present, seg->db, seg->l, seg->g,
		 seg->avl, seg->unusable);
	return buf;
}

const char *x86_bits_format(uint64_t val, const char *const names[64],
			    char *buf, size_t len)
{
	size_t used = 0;
	int bit;

	buf[0] = '\0';
	for (bit = 0; bit < 64 && used < len; bit++) {
		if (!(val & (1ULL << bit)))
			continue;
		if (names[bit])
			used += snprintf(buf + used, len - used, "%s%s",
					 used ? " " : "", names[bit]);
		else
			used += snprintf(buf + used, len - used, "%sbit%d",
					 used ? " " : "", bit);
	}
	if (!used)
		snprintf(buf, len, "none");
	return buf;
}

/* SDM Vol. 3A, 2.5 "Control Registers". */
const char *const x86_cr0_bit_names[64] = {
	[0] = "PE", [1] = "MP", [2] = "EM", [3] = "TS", [4] = "ET", [5] = "NE",
	[16] = "WP", [18] = "AM", [29] = "NW", [30] = "CD", [31] = "PG",
};

const char *const x86_cr4_bit_names[64] = {
	[0] = "VME", [1] = "PVI", [2] = "TSD", [3] = "DE", [4] = "PSE",
	[5] = "PAE", [6] = "MCE", [7] = "PGE", [8] = "PCE", [9] = "OSFXSR",
	[10] = "OSXMMEXCPT", [11] = "UMIP", [12] = "LA57", [13] = "VMXE",
	[14] = "SMXE", [16] = "FSGSBASE", [17] = "PCIDE", [18] = "OSXSAVE",
	[19] = "KL", [20] = "SMEP", [21] = "SMAP", [22] = "PKE", [23] = "CET",
	[24] = "PKS",
};

/* APM Vol. 2, 3.1.7 "Extended Feature Enable Register (EFER)". */
const char *const x86_efer_bit_names[64] = {
	[0] = "SCE", [8] = "LME", [10] = "LMA", [11] = "NXE", [12] = "SVME",
	[13] = "LMSLE", [14] = "FFXSR", [15] = "TCE",
};

/* SDM Vol. 1, 3.4.3 "EFLAGS Register". */
const char *const x86_rflags_bit_names[64] = {
	[0] = "CF", [1] = "1", [2] = "PF", [4] = "AF", [6] = "ZF", [7] = "SF",
	[8] = "TF", [9] = "IF", [10] = "DF", [11] = "OF", [12] = "IOPL0",
	[13] = "IOPL1", [14] = "NT", [16] = "RF", [17] = "VM", [18] = "AC",
	[19] = "VIF", [20] = "VIP", [21] = "ID",
};

void x86_regs_dump(FILE *f, const struct kvm_regs *r, const char *prefix)
{
	char bits[256];

	fprintf(f, "%srip=%016llx rflags=%016llx (%s)\n", prefix,
		(unsigned long long)r->rip, (unsigned long long)r->rflags,
		x86_bits_format(r->rflags, x86_rflags_bit_names, bits, sizeof(bits)));
	fprintf(f, "%srax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n", prefix,
		(unsigned long long)r->rax, (unsigned long long)r->rbx,
		(unsigned long long)r->rcx, (unsigned long long)r->rdx);
	fprintf(f, "%srsi=%016llx rdi=%016llx rsp=%016llx rbp=%016llx\n", prefix,
		(unsigned long long)r->rsi, (unsigned long long)r->rdi,
		(unsigned long long)r->rsp, (unsigned long long)r->rbp);
	fprintf(f, "%sr8 =%016llx r9 =%016llx r10=%016llx r11=%016llx\n", prefix,
		(unsigned long long)r->r8, (unsigned long long)r->r9,
		(unsigned long long)r->r10, (unsigned long long)r->r11);
	fprintf(f, "%sr12=%016llx r13=%016llx r14=%016llx r15=%016llx\n", prefix,
		(unsigned long long)r->r12, (unsigned long long)r->r13,
		(unsigned long long)r->r14, (unsigned long long)r->r15);
}

/* Prints the vectors set in the pending-interrupt bitmap, or "none". */
static void dump_interrupt_bitmap(FILE *f, const struct kvm_sregs *s)
{
	bool any = false;
	unsigned int v;

	for (v = 0; v < KVM_NR_INTERRUPTS; v++) {
		if (s->interrupt_bitmap[v / 64] & (1ULL << (v % 64))) {
			fprintf(f, " 0x%02x", v);
			any = true;
		}
	}
	fprintf(f, "%s\n", any ? "" : " none");
}

void x86_sregs_dump(FILE *f, const struct kvm_sregs *s, const char *prefix)
{
	static const char *const seg_names[] = { "cs", "ds", "es", "fs", "gs",
						 "ss", "tr", "ldt" };
	const struct kvm_segment *segs[] = { &s->cs, &s->ds, &s->es, &s->fs,
					     &s->gs, &s->ss, &s->tr, &s->ldt };
	char buf[256];
	unsigned int i;

	for (i = 0; i < 8; i++)
		fprintf(f, "%s%-3s %s\n", prefix, seg_names[i],
			x86_seg_format(segs[i], buf, sizeof(buf)));
	fprintf(f, "%sgdt base=%016llx limit=%04x\n", prefix,
		(unsigned long long)s->gdt.base, s->gdt.limit);
	fprintf(f, "%sidt base=%016llx limit=%04x\n", prefix,
		(unsigned long long)s->idt.base, s->idt.limit);
	fprintf(f, "%scr0=%016llx (%s)\n", prefix, (unsigned long long)s->cr0,
		x86_bits_format(s->cr0, x86_cr0_bit_names, buf, sizeof(buf)));
	fprintf(f, "%scr2=%016llx cr3=%016llx cr8=%llx\n", prefix,
		(unsigned long long)s->cr2, (unsigned long long)s->cr3,
		(unsigned long long)s->cr8);
	fprintf(f, "%scr4=%016llx (%s)\n", prefix, (unsigned long long)s->cr4,
		x86_bits_format(s->cr4, x86_cr4_bit_names, buf, sizeof(buf)));
	fprintf(f, "%sefer=%016llx (%s)\n", prefix, (unsigned long long)s->efer,
		x86_bits_format(s->efer, x86_efer_bit_names, buf, sizeof(buf)));
	fprintf(f, "%sapic_base=%016llx (base %llx%s%s%s)\n", prefix,
		(unsigned long long)s->apic_base,
		(unsigned long long)(s->apic_base & ~0xfffULL),
		(s->apic_base & APIC_BASE_BSP) ? " BSP" : "",
		(s->apic_base & APIC_BASE_ENABLE) ? " enabled" : " disabled",
		(s->apic_base & APIC_BASE_X2APIC) ? " x2APIC" : "");
	fprintf(f, "%spending interrupts:", prefix);
	dump_interrupt_bitmap(f, s);
}
