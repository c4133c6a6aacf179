// SPDX-License-Identifier: GPL-2.0-only
/*
 * Intel VMX backend: detection, the per-CPU VMXON region and entering /
 * leaving VMX root operation.  Ends with the backend's ops table.
 *
 * Context: probe/setup/unsetup in process context at module load/unload;
 * cpu_enable/cpu_disable on the CPU concerned with interrupts or preemption
 * off (see kmod/hw.c).
 *
 * Manual: Intel SDM Vol. 3C, chapter "Introduction to VMX Operation"
 * ("Discovering Support for VMX", "Enabling and Entering VMX Operation",
 * "Restrictions on VMX Operation"), Vol. 3D Appendix A "VMX Capability
 * Reporting Facility".
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": vmx: " fmt

#include <linux/bitfield.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <asm/asm.h>
#include <asm/msr.h>
#include <asm/perf_event.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "minikvm.h"
#include "vmx.h"

static u32 vmx_revision_id;	/* from IA32_VMX_BASIC, stamps VMXON/VMCS */
static bool vmx_has_vpid;
static DEFINE_PER_CPU(struct page *, vmx_vmxon_page);

/* Read a capability MSR, telling the user which one is missing. */
static int vmx_rdmsr(u32 msr, u64 *val)
{
	if (rdmsrl_safe(msr, val)) {
		pr_info("cannot read MSR %#x\n", msr);
		return -EIO;
	}
	return 0;
}

/* IA32_FEATURE_CONTROL must be locked with VMXON outside SMX allowed. */
static int vmx_check_feature_control(void)
{
	u64 fc;

	if (vmx_rdmsr(MSR_IA32_FEAT_CTL, &fc))
		return -EIO;
	if (!(fc & FEAT_CTL_LOCKED) ||
	    !(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_info("disabled by firmware (IA32_FEATURE_CONTROL=%#llx)\n",
			fc);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* minikvm needs EPT with 4-level WB tables and unrestricted guest. */
static int vmx_check_controls(u64 basic)
{
	u32 proc_msr = (basic & IA32_VMX_BASIC_TRUE_CTLS) ?
		MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS;
	u64 proc, proc2, ept;
	u32 need2 = VMX_PROC2_EPT | VMX_PROC2_UNRESTRICTED_GUEST;

	if (vmx_rdmsr(proc_msr, &proc))
		return -EIO;
	if (!(VMX_CTLS_ALLOWED1(proc) & VMX_PROC_SECONDARY_CTLS)) {
		pr_info("no secondary processor-based controls\n");
		return -EOPNOTSUPP;
	}
	if (vmx_rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2, &proc2) ||
	    vmx_rdmsr(MSR_IA32_VMX_EPT_VPID_CAP, &ept))
		return -EIO;
	if ((VMX_CTLS_ALLOWED1(proc2) & need2) != need2) {
		pr_info("EPT and unrestricted guest are required (allowed secondary controls %#x)\n",
			VMX_CTLS_ALLOWED1(proc2));
		return -EOPNOTSUPP;
	}
	if (!(ept & IA32_VMX_EPT_CAP_WALK_4) || !(ept & IA32_VMX_EPT_CAP_WB)) {
		pr_info("EPT lacks 4-level write-back tables (IA32_VMX_EPT_VPID_CAP=%#llx)\n",
			ept);
		return -EOPNOTSUPP;
	}
	vmx_has_vpid = VMX_CTLS_ALLOWED1(proc2) & VMX_PROC2_VPID;
	return 0;
}

static int vmx_probe(void)
{
	u64 basic;
	int r;

	if (!(cpuid_ecx(1) & VMX_CPUID1_ECX_VMX)) {
		pr_info("CPU has no VMX\n");
		return -EOPNOTSUPP;
	}
	r = vmx_check_feature_control();
	if (r)
		return r;
	if (vmx_rdmsr(MSR_IA32_VMX_BASIC, &basic))
		return -EIO;
	if (FIELD_GET(IA32_VMX_BASIC_REGION_SIZE, basic) > PAGE_SIZE ||
	    (basic & IA32_VMX_BASIC_32BIT_PA) ||
	    FIELD_GET(IA32_VMX_BASIC_MEM_TYPE, basic) != IA32_VMX_BASIC_MEM_TYPE_WB) {
		pr_info("unsupported IA32_VMX_BASIC %#llx\n", basic);
		return -EOPNOTSUPP;
	}
	r = vmx_check_controls(basic);
	if (r)
		return r;
	vmx_revision_id = FIELD_GET(IA32_VMX_BASIC_REVISION_ID, basic);
	pr_info("VMX with EPT and unrestricted guest%s, VMCS revision %#x\n",
		vmx_has_vpid ? ", VPID" : "", vmx_revision_id);
	return 0;
}

static void vmx_unsetup(void)
{
	mkvm_percpu_pages_free(&vmx_vmxon_page);
}

/* One zeroed VMXON region per possible CPU, stamped with the revision. */
static int vmx_setup(void)
{
	int cpu, r;

	r = mkvm_percpu_pages_alloc(&vmx_vmxon_page);
	if (r)
		return r;
	for_each_possible_cpu(cpu)
		*(u32 *)page_address(per_cpu(vmx_vmxon_page, cpu)) =
			vmx_revision_id;
	return 0;
}

/*
 * CR0 and CR4 must hold the bits IA32_VMX_CRx_FIXED0 says are 1 and none
 * that IA32_VMX_CRx_FIXED1 says are 0 (SDM Vol. 3C, "Restrictions on VMX
 * Operation"; Vol. 3D, Appendix A.7 and A.8).
 */
static bool vmx_cr_fixed_ok(unsigned long val, u32 fixed0_msr)
{
	u64 fixed0, fixed1;

	if (rdmsrl_safe(fixed0_msr, &fixed0) ||
	    rdmsrl_safe(fixed0_msr + 1, &fixed1))
		return false;
	return (val & fixed0) == fixed0 && !(val & ~fixed1);
}

/*
 * VMXON.  Return: 0; -EBUSY on VMfailValid (ZF: this CPU is already in VMX
 * operation, so someone else owns it); -EIO on VMfailInvalid (CF) or a
 * fault (SDM Vol. 3C, "VMXON—Enter VMX Operation").
 */
static int vmx_vmxon(u64 pa)
{
	asm goto("1: vmxon %[pa]\n\t"
		 "jz %l[fail_valid]\n\t"
		 "jc %l[fail]\n\t"
		 _ASM_EXTABLE(1b, (%l[fail]))
		 : : [pa] "m" (pa) : "cc", "memory" : fail_valid, fail);
	return 0;
fail_valid:
	return -EBUSY;
fail:
	return -EIO;
}

static int vmx_cpu_enable(void)
{
	int cpu = raw_smp_processor_id();
	u64 pa = page_to_phys(per_cpu(vmx_vmxon_page, cpu));
	int r;

	/*
	 * CR4.VMXE already set: another hypervisor is in VMX operation.  Look
	 * at the register too, in case someone set it behind the shadow.
	 */
	if ((cr4_read_shadow() | __read_cr4()) & X86_CR4_VMXE)
		return -EBUSY;
	if (vmx_check_feature_control())
		return -EIO;
	if (!vmx_cr_fixed_ok(read_cr0(), MSR_IA32_VMX_CR0_FIXED0) ||
	    !vmx_cr_fixed_ok(__read_cr4() | X86_CR4_VMXE,
			     MSR_IA32_VMX_CR4_FIXED0)) {
		pr_err("CPU %d: CR0/CR4 do not meet the VMX fixed bits\n", cpu);
		return -EIO;
	}

	/* Intel PT may have to stop while in VMX operation. */
	intel_pt_handle_vmx(1);
	cr4_set_bits(X86_CR4_VMXE);
	r = vmx_vmxon(pa);
	if (r == -EBUSY) {
		/* In VMX operation after all: clearing CR4.VMXE would #GP. */
		intel_pt_handle_vmx(0);
		return r;
	}
	if (r) {
		cr4_clear_bits(X86_CR4_VMXE);
		intel_pt_handle_vmx(0);
		pr_err("CPU %d: VMXON failed\n", cpu);
	}
	return r;
}

/* VMXOFF; false if it faulted (this CPU was not in VMX operation). */
static bool vmx_vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, (%l[fault]))
		 : : : "cc", "memory" : fault);
	return true;
fault:
	return false;
}

static void vmx_cpu_disable(void)
{
	if (!vmx_vmxoff())
		pr_err("CPU %d: VMXOFF faulted\n", raw_smp_processor_id());
	cr4_clear_bits(X86_CR4_VMXE);
	intel_pt_handle_vmx(0);
}

const struct mkvm_backend vmx_backend = {
	.name = "Intel VMX",
	.probe = vmx_probe,
	.setup = vmx_setup,
	.unsetup = vmx_unsetup,
	.cpu_enable = vmx_cpu_enable,
	.cpu_disable = vmx_cpu_disable,
};
