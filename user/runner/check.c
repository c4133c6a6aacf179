// SPDX-License-Identifier: GPL-2.0-only
/*
 * check.c - minikvm-run --check: what this host offers for hardware
 * virtualization, whether minikvm.ko can run here, and who owns
 * virtualization right now.  Needs no device and no module.
 *
 * Reads CPUID, the capability MSRs of CPU 0 through /dev/cpu/0/msr (the msr
 * module, root) or else /proc/cpuinfo's "vmx flags", /proc/modules, /dev
 * and /proc/PID/fd; the decoding is user/lib/host_check.c's.  Prints one
 * line per fact, then the verdict.  Exit status: 0 when minikvm can run
 * here (also when some needed facts could not be read and none is
 * missing), 1 when it cannot.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "minikvm/host_check.h"
#include "minikvm/processor.h"
#include "runner.h"

/* MSR numbers (Intel SDM Vol. 4, "Model-Specific Registers"; AMD APM Vol. 2). */
#define MSR_IA32_FEATURE_CONTROL	0x3a
#define MSR_IA32_VMX_BASIC		0x480
#define MSR_IA32_VMX_PINBASED_CTLS	0x481
#define MSR_IA32_VMX_PROCBASED_CTLS	0x482
#define MSR_IA32_VMX_EXIT_CTLS		0x483
#define MSR_IA32_VMX_ENTRY_CTLS		0x484
#define MSR_IA32_VMX_MISC		0x485
#define MSR_IA32_VMX_PROCBASED_CTLS2	0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP	0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS	0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS	0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS	0x490
#define MSR_EFER			0xc0000080
#define MSR_VM_CR			0xc0010114
#define EFER_SVME			(1ULL << 12)
#define VMX_BASIC_TRUE_CTLS		(1ULL << 55)

#define LABEL	"%-30s "	/* the fact column */

/* Reads MSR @msr through an open /dev/cpu/N/msr; 0 or -1. */
static int msr_read(int fd, uint32_t msr, uint64_t *val)
{
	return pread(fd, val, sizeof(*val), msr) == sizeof(*val) ? 0 : -1;
}

/* /dev/cpu/@cpu/msr opened read-only, or -1 with errno. */
static int msr_open(int cpu)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* The value of "@key<tabs>: value" of the first CPU in /proc/cpuinfo. */
static char *cpuinfo_value(const char *key)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char *line = NULL, *val = NULL;
	size_t cap = 0, n = strlen(key);

	if (!f)
		return NULL;
	while (getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':');

		if (line[0] == '\n')
			break;	/* the end of the first CPU's block */
		if (colon && !strncmp(line, key, n) &&
		    strspn(line + n, " \t") == (size_t)(colon - line - n)) {
			val = strdup(colon + 1 + strspn(colon + 1, " "));
			val[strcspn(val, "\n")] = '\0';
			break;
		}
	}
	free(line);
	fclose(f);
	return val;
}

static void print_cpu(void)
{
	struct cpuid_regs r;
	char vendor[13], brand[49] = "";
	uint32_t fam, model, step, max_ext;

	host_cpuid(0, 0, &r);
	memcpy(vendor, &r.ebx, 4);
	memcpy(vendor + 4, &r.edx, 4);
	memcpy(vendor + 8, &r.ecx, 4);
	vendor[12] = '\0';
	host_cpuid(1, 0, &r);
	/* Display family and model (SDM Vol. 2A, CPUID leaf 01H, EAX). */
	step = r.eax & 0xf;
	fam = (r.eax >> 8) & 0xf;
	model = (r.eax >> 4) & 0xf;
	if (fam == 0xf)
		fam += (r.eax >> 20) & 0xff;
	if (fam == 0x6 || fam >= 0xf)
		model |= ((r.eax >> 16) & 0xf) << 4;
	host_cpuid(0x80000000, 0, &r);
	max_ext = r.eax;
	if (max_ext >= 0x80000004) {
		for (uint32_t l = 0; l < 3; l++) {
			host_cpuid(0x80000002 + l, 0, &r);
			memcpy(brand + 16 * l, &r, 16);
		}
		brand[48] = '\0';
	}
	printf(LABEL "%s family %#x model %#x stepping %u%s%s%s\n", "CPU",
	       vendor, fam, model, step, brand[0] ? ", \"" : "",
	       brand + strspn(brand, " "), brand[0] ? "\"" : "");
	printf(LABEL "%ld online\n", "CPUs", sysconf(_SC_NPROCESSORS_ONLN));
	if (host_cpu_has(X86_FEATURE(1, 0, ECX, 31)))
		printf(LABEL "yes: a virtual machine, whose VMX/SVM is its hypervisor's (nested or emulated)\n",
		       "running under a hypervisor");
}

static void print_fact(const struct hc_fact *f)
{
	static const char *const have[] = { "no", "yes", "unknown" };
	static const char *const need[] = { "", "used", "needed" };

	if (!f->note[0] && f->need == HC_INFO)
		printf(LABEL "%s\n", f->name, have[f->have]);
	else if (!f->note[0])
		printf(LABEL "%-8s %s\n", f->name, have[f->have],
		       need[f->need]);
	else
		printf(LABEL "%-8s %-7s %s\n", f->name, have[f->have],
		       need[f->need], f->note);
}

/* Intel: from the MSRs when readable (1), else from /proc/cpuinfo. */
static void facts_vmx(struct hc_report *rep, int msr_fd, const char **source)
{
	struct hc_vmx_msrs m;
	uint64_t fc;
	bool fc_ok = msr_fd >= 0 && !msr_read(msr_fd, MSR_IA32_FEATURE_CONTROL, &fc);
	bool true_ctls;
	int bad = msr_fd < 0;

	hc_add(rep, "VMX", HC_YES, HC_NEEDED, "CPUID.1:ECX bit 5");
	if (fc_ok) {
		hc_decode_feature_control(rep, true, fc);
	} else {
		/* Linux clears the vmx flag when the firmware left VMX off. */
		int k = host_kernel_has("vmx");

		if (k < 0)
			hc_decode_feature_control(rep, false, 0);
		else
			hc_add(rep, "VMX enabled by firmware", k ? HC_YES : HC_NO,
			       HC_NEEDED, "%s", k ?
			       "the kernel lists the vmx flag (it checked IA32_FEATURE_CONTROL)" :
			       "the kernel dropped the vmx flag: disabled by firmware (dmesg)");
	}
	if (!bad) {
		bad |= msr_read(msr_fd, MSR_IA32_VMX_BASIC, &m.basic);
		true_ctls = !bad && (m.basic & VMX_BASIC_TRUE_CTLS);
		bad |= msr_read(msr_fd, true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
				MSR_IA32_VMX_PINBASED_CTLS, &m.pin);
		bad |= msr_read(msr_fd, true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
				MSR_IA32_VMX_PROCBASED_CTLS, &m.proc);
		bad |= msr_read(msr_fd, true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
				MSR_IA32_VMX_EXIT_CTLS, &m.exit);
		bad |= msr_read(msr_fd, true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
				MSR_IA32_VMX_ENTRY_CTLS, &m.entry);
		bad |= msr_read(msr_fd, MSR_IA32_VMX_MISC, &m.misc);
		bad |= msr_read(msr_fd, MSR_IA32_VMX_PROCBASED_CTLS2, &m.proc2);
		bad |= msr_read(msr_fd, MSR_IA32_VMX_EPT_VPID_CAP, &m.ept_vpid);
	}
	if (!bad) {
		*source = "the VMX capability MSRs of CPU 0 (/dev/cpu/0/msr)";
		hc_decode_vmx_msrs(rep, &m);
		return;
	}
	char *flags = cpuinfo_value("vmx flags");

	if (flags) {
		*source = msr_fd < 0 ?
			"/proc/cpuinfo \"vmx flags\" (REDUCED: /dev/cpu/0/msr not readable; modprobe msr, run as root)" :
			"/proc/cpuinfo \"vmx flags\" (REDUCED: the VMX capability MSRs did not read)";
		hc_decode_vmx_flags(rep, flags);
		free(flags);
	} else {
		*source = "CPUID only (REDUCED: no /dev/cpu/0/msr and no \"vmx flags\" in /proc/cpuinfo)";
		hc_add(rep, "VMX capabilities", HC_UNKNOWN, HC_NEEDED,
		       "EPT, unrestricted guest...: modprobe msr, run as root");
	}
}

static void facts_svm(struct hc_report *rep, int msr_fd, const char **source)
{
	struct cpuid_regs r;
	uint64_t vm_cr;
	bool ok = msr_fd >= 0 && !msr_read(msr_fd, MSR_VM_CR, &vm_cr);

	hc_add(rep, "SVM", HC_YES, HC_NEEDED, "CPUID 8000_0001h:ECX bit 2");
	hc_decode_vm_cr(rep, ok, ok ? vm_cr : 0);
	host_cpuid(0x80000000, 0, &r);
	if (r.eax < 0x8000000a) {
		hc_add(rep, "SVM features", HC_NO, HC_NEEDED,
		       "no CPUID leaf 8000_000Ah");
		*source = "CPUID";
		return;
	}
	host_cpuid(0x8000000a, 0, &r);
	hc_decode_svm_cpuid(rep, r.eax, r.ebx, r.edx);
	*source = ok ? "CPUID 8000_000Ah, VM_CR of CPU 0 (/dev/cpu/0/msr)" :
		       "CPUID 8000_000Ah (REDUCED: VM_CR unknown, /dev/cpu/0/msr not readable; modprobe msr, run as root)";
}

/* ---- who owns virtualization ------------------------------------------ */

struct owners {
	bool minikvm, kvm, kvm_vendor, other;
	bool kvm_virt_at_load;	/* kvm.enable_virt_at_load=Y */
	int minikvm_vms, kvm_vms;
	int hidden;		/* processes whose fds we may not read */
};

/* Prints the hypervisor modules of /proc/modules. */
static void print_modules(struct owners *o)
{
	static const char *const hv[] = {
		"minikvm", "kvm_intel", "kvm_amd", "kvm", "vboxdrv", "vmmon",
	};
	FILE *f = fopen("/proc/modules", "r");
	char name[64], line[512], list[256] = "";
	size_t used = 0;
	int refs;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %*u %d", name, &refs) != 2)
			continue;
		for (size_t i = 0; i < sizeof(hv) / sizeof(hv[0]); i++) {
			if (strcmp(name, hv[i]))
				continue;
			used += snprintf(list + used, sizeof(list) - used,
					 "%s%s (used by %d)", used ? ", " : "",
					 name, refs);
			if (i == 0)
				o->minikvm = true;
			else if (i <= 2)
				o->kvm_vendor = true;
			else if (i == 3)
				o->kvm = true;
			else
				o->other = true;
			if (used >= sizeof(list))
				used = sizeof(list) - 1;
		}
	}
	if (f)
		fclose(f);
	printf(LABEL "%s\n", "hypervisor modules loaded",
	       f ? (used ? list : "none") : "unknown (no /proc/modules)");
	f = fopen("/sys/module/kvm/parameters/enable_virt_at_load", "r");
	if (f) {
		o->kvm_virt_at_load = fgetc(f) == 'Y';
		printf(LABEL "%s\n", "kvm.enable_virt_at_load",
		       o->kvm_virt_at_load ?
		       "Y: KVM keeps VMX/SVM on from its vendor module's load" :
		       "N: KVM switches VMX/SVM on with its first VM");
		fclose(f);
	}
	f = fopen("/sys/hypervisor/type", "r");
	if (f) {
		if (fgets(name, sizeof(name), f)) {
			name[strcspn(name, "\n")] = '\0';
			printf(LABEL "%s (it owns VMX/SVM, not this kernel)\n",
			       "host runs on hypervisor", name);
		}
		fclose(f);
	}
}

/*
 * The name of @id in @file (/etc/passwd or /etc/group: "name:x:id:..."),
 * else the number: a static binary has no NSS.
 */
static const char *id_name(const char *file, unsigned int id, char *buf,
			   size_t len)
{
	FILE *f = fopen(file, "r");
	char line[512];

	snprintf(buf, len, "%u", id);
	while (f && fgets(line, sizeof(line), f)) {
		char *name = strtok(line, ":");
		char *x = strtok(NULL, ":");
		char *num = strtok(NULL, ":");

		if (name && x && num && strtoul(num, NULL, 10) == id) {
			snprintf(buf, len, "%s", name);
			break;
		}
	}
	if (f)
		fclose(f);
	return buf;
}

static void print_device(const char *path)
{
	char user[64], group[64];
	struct stat st;

	if (stat(path, &st)) {
		printf(LABEL "absent\n", path);
		return;
	}
	printf(LABEL "present, mode %04o, owner %s, group %s; you %s open it\n",
	       path, st.st_mode & 07777,
	       id_name("/etc/passwd", st.st_uid, user, sizeof(user)),
	       id_name("/etc/group", st.st_gid, group, sizeof(group)),
	       access(path, R_OK | W_OK) ? "cannot" : "can");
}

/* One process's holds on the devices and its VM fds. */
static void scan_pid(const char *pid, struct owners *o)
{
	char path[300], link[300], comm[64] = "?";
	int dev_mk = 0, dev_kvm = 0, vm_mk = 0, vm_kvm = 0;
	struct dirent *d;
	DIR *dir;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	dir = opendir(path);
	if (!dir) {
		if (errno == EACCES)
			o->hidden++;
		return;
	}
	while ((d = readdir(dir))) {
		char fd[600];
		ssize_t n;

		if (d->d_name[0] == '.')
			continue;
		snprintf(fd, sizeof(fd), "%s/%s", path, d->d_name);
		n = readlink(fd, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		dev_mk += !strcmp(link, "/dev/minikvm");
		dev_kvm += !strcmp(link, "/dev/kvm");
		vm_mk += !strcmp(link, "anon_inode:minikvm-vm");
		vm_kvm += !strcmp(link, "anon_inode:kvm-vm");
	}
	closedir(dir);
	if (!dev_mk && !dev_kvm && !vm_mk && !vm_kvm)
		return;
	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	o->minikvm_vms += vm_mk;
	o->kvm_vms += vm_kvm;
	snprintf(path, sizeof(path), "pid %s (%s)", pid, comm);
	printf(LABEL "%s%s%s, %d minikvm VM(s), %d KVM VM(s)\n", path,
	       dev_mk ? "/dev/minikvm" : "", dev_mk && dev_kvm ? " and " : "",
	       dev_kvm ? "/dev/kvm" : "", vm_mk, vm_kvm);
}

static void print_holders(struct owners *o)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	char self[32];

	snprintf(self, sizeof(self), "%d", (int)getpid());
	printf("processes holding /dev/minikvm, /dev/kvm or a VM:\n");
	while (proc && (d = readdir(proc)))
		if (d->d_name[0] >= '1' && d->d_name[0] <= '9' &&
		    strcmp(d->d_name, self))
			scan_pid(d->d_name, o);
	if (proc)
		closedir(proc);
	if (!o->minikvm_vms && !o->kvm_vms)
		printf(LABEL "%s\n", "VMs now", "none seen");
	if (o->hidden)
		printf(LABEL "%d processes not readable: run as root to see all\n",
		       "not seen", o->hidden);
}

/* AMD: EFER.SVME of every CPU whose msr device reads. */
static void print_svme(void)
{
	char on[256] = "";
	size_t used = 0;
	int cpu, seen = 0, fd;
	long n = sysconf(_SC_NPROCESSORS_CONF);

	for (cpu = 0; cpu < n; cpu++) {
		uint64_t efer;

		fd = msr_open(cpu);
		if (fd < 0)
			continue;
		if (!msr_read(fd, MSR_EFER, &efer)) {
			seen++;
			if ((efer & EFER_SVME) && used < sizeof(on) - 8)
				used += snprintf(on + used, sizeof(on) - used,
						 "%s%d", used ? "," : "", cpu);
		}
		close(fd);
	}
	if (!seen)
		printf(LABEL "unknown (/dev/cpu/N/msr not readable)\n", "EFER.SVME");
	else
		printf(LABEL "%s\n", "EFER.SVME (SVM switched on)",
		       used ? on : "off on every CPU read");
}

/* What the owners mean for minikvm (Documentation/design.md, kmod/hw.c). */
static void print_meaning(const struct owners *o, bool intel)
{
	const char *vmod = intel ? "kvm_intel" : "kvm_amd";

	printf("what this means:\n");
	if (o->kvm_vendor && o->kvm_virt_at_load)
		printf("  KVM holds %s on every CPU for as long as %s is loaded: minikvm's\n"
		       "  KVM_CREATE_VM fails with EBUSY; rmmod %s, or load kvm with\n"
		       "  enable_virt_at_load=0\n", intel ? "VMX" : "SVM", vmod, vmod);
	else if (o->kvm_vendor && o->minikvm)
		printf("  minikvm and KVM are both loaded: each switches %s on with its first VM\n"
		       "  and off with its last, and KVM_CREATE_VM of one fails with EBUSY while\n"
		       "  the other has VMs\n", intel ? "VMX" : "SVM");
	else if (o->kvm_vendor)
		printf("  KVM (%s) is loaded: minikvm may be loaded next to it; while KVM has\n"
		       "  VMs, minikvm's KVM_CREATE_VM fails with EBUSY (and KVM's while\n"
		       "  minikvm has VMs); or rmmod %s kvm to use minikvm alone\n",
		       vmod, vmod);
	else if (o->minikvm)
		printf("  minikvm is loaded and KVM is not: /dev/minikvm is yours\n");
	else
		printf("  no hypervisor module is loaded: insmod minikvm.ko (or modprobe minikvm)\n");
	if (o->kvm_vms)
		printf("  KVM has %d VM(s) now: minikvm's KVM_CREATE_VM fails with EBUSY until they end\n",
		       o->kvm_vms);
	if (o->minikvm_vms)
		printf("  minikvm has %d VM(s) now: KVM's KVM_CREATE_VM fails with EBUSY until they end\n",
		       o->minikvm_vms);
	if (o->other)
		printf("  VirtualBox or VMware's module is loaded: while their VMs run they own\n"
		       "  VMX/SVM and minikvm's KVM_CREATE_VM fails with EBUSY\n");
}

int run_check(const struct run_opts *opts)
{
	struct hc_report rep = { 0 };
	struct owners own = { 0 };
	const char *source = "CPUID";
	bool vmx = host_cpu_has(X86_FEATURE_VMX);
	bool svm = !vmx && host_cpu_has(X86_FEATURE_SVM);
	enum hc_verdict v;
	char why[512];
	int msr_fd = msr_open(0), msr_errno = errno;

	(void)opts;
	printf("minikvm-run --check: hardware virtualization on this host\n");
	print_cpu();
	if (vmx)
		facts_vmx(&rep, msr_fd, &source);
	else if (svm)
		facts_svm(&rep, msr_fd, &source);
	else
		hc_add(&rep, "VMX or SVM", HC_NO, HC_NEEDED,
		       "neither CPUID.1:ECX.VMX nor CPUID 8000_0001h:ECX.SVM%s",
		       host_cpu_has(X86_FEATURE(1, 0, ECX, 31)) ?
		       " (the hypervisor below does not offer nested virtualization)" :
		       "");
	if (msr_fd < 0)
		printf(LABEL "not readable (%s): %s\n", "/dev/cpu/0/msr",
		       strerror(msr_errno), msr_errno == ENOENT ?
		       "modprobe msr" : "run as root");
	printf(LABEL "%s\n", "facts from", source);
	printf(LABEL "%-8s %s\n", "fact", "present", "minikvm");
	for (int i = 0; i < rep.n; i++)
		print_fact(&rep.facts[i]);

	printf("who owns virtualization now:\n");
	print_modules(&own);
	print_device("/dev/minikvm");
	print_device("/dev/kvm");
	print_holders(&own);
	if (svm)
		print_svme();
	else if (vmx)
		printf(LABEL "%s\n", "VMX operation (CR4.VMXE)",
		       "not visible from userspace");
	print_meaning(&own, !svm);
	if (msr_fd >= 0)
		close(msr_fd);

	v = hc_verdict(&rep, why, sizeof(why));
	if (v == HC_CAN_RUN)
		printf("verdict: minikvm can run here\n");
	else if (v == HC_CAN_RUN_UNVERIFIED)
		printf("verdict: minikvm can run here, unverified: %s (unknown without /dev/cpu/0/msr)\n",
		       why);
	else
		printf("verdict: minikvm cannot run here: %s\n", why);
	return v == HC_CANNOT_RUN ? 1 : 0;
}
