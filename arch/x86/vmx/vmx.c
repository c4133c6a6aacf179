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
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/perf_event.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "minikvm.h"
#include "vmcs.h"
#include "vmx.h"

struct vmx_config vmx_cfg;
static DEFINE_PER_CPU(struct page *, vmx_vmxon_page);

/*
 * What every minikvm VMCS needs, and what must stay off because nothing
 * here would handle it (SDM Vol. 3C, "VM-Execution Control Fields",
 * "VM-Exit Control Fields", "VM-Entry Control Fields"):
 *  - external interrupts and NMIs exit and go to the host: the interrupt
 *    is acknowledged on exit and its vector handed to the host's handler
 *    (vmx_vcpu.c); the guest's NMIs are virtual NMIs, blocked until its
 *    IRET by the CPU; interrupt- and NMI-window exiting are switched on
 *    when needed (vmx_event.c);
 *  - HLT, MWAIT, MONITOR, RDPMC and every port (unconditional I/O exiting)
 *    exit; every MSR exits through an all-ones MSR bitmap;
 *  - CR8 goes to the TPR shadow in a virtual-APIC page, CR3 stays with the
 *    guest (EPT), unrestricted guest runs real mode and unpaged guests;
 *  - IA32_EFER, IA32_PAT and the debug controls are loaded and saved
 *    through the VMCS; the host is 64-bit;
 *  - RDTSC, RDTSCP and RDMSR of the TSC read host TSC + the VMCS's TSC
 *    offset ("use TSC offsetting").
 */
#define VMX_PIN_WANT							\
	(VMX_PIN_EXT_INTR_EXITING | VMX_PIN_NMI_EXITING | VMX_PIN_VIRTUAL_NMIS)
#define VMX_PIN_FORBID	(VMX_PIN_PREEMPTION_TIMER | BIT(7))	/* BIT(7): posted */
#define VMX_PROC_WANT							\
	(VMX_PROC_HLT_EXITING | VMX_PROC_MWAIT_EXITING |		\
	 VMX_PROC_RDPMC_EXITING | VMX_PROC_TPR_SHADOW |			\
	 VMX_PROC_UNCOND_IO_EXITING | VMX_PROC_MSR_BITMAPS |		\
	 VMX_PROC_MONITOR_EXITING | VMX_PROC_SECONDARY_CTLS |		\
	 VMX_PROC_TSC_OFFSETTING)
/*
 * MTF and PAUSE exiting: bits 27, 30.  Interrupt/NMI-window exiting: off
 * here, on per entry (vmx_event.c); virtual NMIs make NMI-window exiting
 * available (SDM Vol. 3D, Appendix A.3.2).
 */
#define VMX_PROC_FORBID							\
	(VMX_PROC_INVLPG_EXITING | VMX_PROC_RDTSC_EXITING |		\
	 VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_CR3_STORE_EXITING |	\
	 VMX_PROC_MOV_DR_EXITING | VMX_PROC_INTR_WINDOW_EXITING |	\
	 VMX_PROC_NMI_WINDOW_EXITING | BIT(27) | BIT(30))
#define VMX_PROC2_WANT	(VMX_PROC2_EPT | VMX_PROC2_UNRESTRICTED_GUEST)
#define VMX_EXIT_WANT							\
	(VMX_EXIT_SAVE_DEBUG | VMX_EXIT_HOST_64BIT | VMX_EXIT_SAVE_PAT |	\
	 VMX_EXIT_LOAD_PAT | VMX_EXIT_SAVE_EFER | VMX_EXIT_LOAD_EFER |	\
	 VMX_EXIT_ACK_INTR)
#define VMX_EXIT_FORBID	0
#define VMX_ENTRY_WANT							\
	(VMX_ENTRY_LOAD_DEBUG | VMX_ENTRY_LOAD_PAT | VMX_ENTRY_LOAD_EFER)
/* IA-32e mode guest is chosen per entry; SMM entry, dual monitor: bits 10, 11. */
#define VMX_ENTRY_FORBID	(VMX_ENTRY_IA32E_GUEST | BIT(10) | BIT(11))

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

/*
 * One control word: the bits minikvm wants plus those the capability MSR
 * forces to 1.  Bits 31:0 of the MSR are the allowed 0-settings (a 1 there
 * means the control must be 1), bits 63:32 the allowed 1-settings (SDM
 * Vol. 3D, Appendix A.3 to A.5).  Refused when a wanted control cannot be
 * 1, or a control minikvm does not handle cannot be 0.
 */
static int vmx_adjust_ctls(const char *what, u32 msr, u32 want, u32 forbid,
			   u32 *ctl, u64 *capp)
{
	u32 must1, may1;
	u64 cap;

	if (vmx_rdmsr(msr, &cap))
		return -EIO;
	*capp = cap;	/* kept for the entry checker (vmx_fail.c) */
	must1 = (u32)cap;
	may1 = VMX_CTLS_ALLOWED1(cap);
	if (want & ~may1) {
		pr_info("required %s controls %#x are not available\n", what,
			want & ~may1);
		return -EOPNOTSUPP;
	}
	if (must1 & forbid) {
		pr_info("%s controls %#x cannot be cleared\n", what,
			must1 & forbid);
		return -EOPNOTSUPP;
	}
	*ctl = want | must1;
	return 0;
}

/*
 * EPT with 4-level WB tables and INVEPT; VPID when INVVPID comes with it
 * (SDM Vol. 3D, Appendix A.10 "VPID and EPT Capabilities").
 */
static int vmx_check_ept_vpid(u64 proc2_cap)
{
	u64 ept;

	if (vmx_rdmsr(MSR_IA32_VMX_EPT_VPID_CAP, &ept))
		return -EIO;
	vmx_cfg.ept_vpid_cap = ept;
	if (!(ept & IA32_VMX_EPT_CAP_WALK_4) || !(ept & IA32_VMX_EPT_CAP_WB) ||
	    !(ept & IA32_VMX_EPT_CAP_INVEPT) ||
	    !(ept & (IA32_VMX_EPT_CAP_INVEPT_SINGLE | IA32_VMX_EPT_CAP_INVEPT_ALL))) {
		pr_info("EPT lacks 4-level write-back tables or INVEPT (IA32_VMX_EPT_VPID_CAP=%#llx)\n",
			ept);
		return -EOPNOTSUPP;
	}
	vmx_cfg.invept_single = ept & IA32_VMX_EPT_CAP_INVEPT_SINGLE;
	vmx_cfg.invvpid_single = ept & IA32_VMX_VPID_CAP_INVVPID_SINGLE;
	vmx_cfg.ept_2m = ept & IA32_VMX_EPT_CAP_2M;
	vmx_cfg.vpid = (VMX_CTLS_ALLOWED1(proc2_cap) & VMX_PROC2_VPID) &&
		       (ept & IA32_VMX_VPID_CAP_INVVPID) &&
		       (ept & (IA32_VMX_VPID_CAP_INVVPID_SINGLE |
			       IA32_VMX_VPID_CAP_INVVPID_ALL));
	return 0;
}

/*
 * The VMX-preemption timer, where the CPU has it, as a backstop: a guest
 * that makes no exit of its own still leaves guest mode once per host tick
 * (SDM Vol. 3C, "VMX-Preemption Timer": it counts down at the TSC rate
 * shifted right by IA32_VMX_MISC bits 4:0, from the VMCS value loaded at
 * every entry, and exits at zero).  Host interrupts should bring the CPU
 * back on their own, and on hardware they do; Bochs 2.7 sometimes leaves
 * the host's timer interrupt pending while a guest spins, and the one-CPU
 * test machine then never runs another task again (real KVM hangs there
 * the same way).  One tick's worth of guest time costs one exit per tick.
 */
static void vmx_choose_preemption_timer(void)
{
	u64 ticks;

	if (!(VMX_CTLS_ALLOWED1(vmx_cfg.pin_cap) & VMX_PIN_PREEMPTION_TIMER) ||
	    !tsc_khz)
		return;
	ticks = ((u64)tsc_khz * 1000 / HZ) >> (vmx_cfg.misc & 0x1f);
	vmx_cfg.preemption_timer = clamp_t(u64, ticks, 1, U32_MAX);
	vmx_cfg.pin |= VMX_PIN_PREEMPTION_TIMER;
}

/*
 * Choose every control (TRUE_* capability MSRs when IA32_VMX_BASIC bit 55
 * says they exist: they allow more controls to be 0), and read the fixed
 * CR0/CR4 bits (Appendix A.7, A.8).
 */
static int vmx_check_controls(u64 basic)
{
	bool true_ctls = basic & IA32_VMX_BASIC_TRUE_CTLS;
	u64 proc2_cap;
	u32 want2;
	int r;

	r = vmx_adjust_ctls("pin-based", true_ctls ?
			    MSR_IA32_VMX_TRUE_PINBASED_CTLS :
			    MSR_IA32_VMX_PINBASED_CTLS,
			    VMX_PIN_WANT, VMX_PIN_FORBID, &vmx_cfg.pin,
			    &vmx_cfg.pin_cap);
	if (!r)
		r = vmx_adjust_ctls("processor-based", true_ctls ?
				    MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
				    MSR_IA32_VMX_PROCBASED_CTLS,
				    VMX_PROC_WANT, VMX_PROC_FORBID,
				    &vmx_cfg.proc, &vmx_cfg.proc_cap);
	if (!r)
		r = vmx_adjust_ctls("VM-exit", true_ctls ?
				    MSR_IA32_VMX_TRUE_EXIT_CTLS :
				    MSR_IA32_VMX_EXIT_CTLS,
				    VMX_EXIT_WANT, VMX_EXIT_FORBID, &vmx_cfg.exit,
				    &vmx_cfg.exit_cap);
	if (!r)
		r = vmx_adjust_ctls("VM-entry", true_ctls ?
				    MSR_IA32_VMX_TRUE_ENTRY_CTLS :
				    MSR_IA32_VMX_ENTRY_CTLS,
				    VMX_ENTRY_WANT, VMX_ENTRY_FORBID,
				    &vmx_cfg.entry, &vmx_cfg.entry_cap);
	if (r)
		return r;
	if (vmx_rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2, &proc2_cap))
		return -EIO;
	r = vmx_check_ept_vpid(proc2_cap);
	if (r)
		return r;
	want2 = VMX_PROC2_WANT | (vmx_cfg.vpid ? VMX_PROC2_VPID : 0);
	/*
	 * PAUSE-loop exiting, where the CPU has it: a guest spinning on PAUSE
	 * comes back to the host now and then, as under KVM.
	 */
	if (VMX_CTLS_ALLOWED1(proc2_cap) & VMX_PROC2_PAUSE_LOOP_EXITING)
		want2 |= VMX_PROC2_PAUSE_LOOP_EXITING;
	vmx_cfg.proc2_may1 = VMX_CTLS_ALLOWED1(proc2_cap);
	r = vmx_adjust_ctls("secondary processor-based",
			    MSR_IA32_VMX_PROCBASED_CTLS2, want2, ~want2,
			    &vmx_cfg.proc2, &vmx_cfg.proc2_cap);
	if (r)
		return r;
	if (vmx_rdmsr(MSR_IA32_VMX_CR0_FIXED0, &vmx_cfg.cr0_fixed0) ||
	    vmx_rdmsr(MSR_IA32_VMX_CR0_FIXED1, &vmx_cfg.cr0_fixed1) ||
	    vmx_rdmsr(MSR_IA32_VMX_CR4_FIXED0, &vmx_cfg.cr4_fixed0) ||
	    vmx_rdmsr(MSR_IA32_VMX_CR4_FIXED1, &vmx_cfg.cr4_fixed1) ||
	    vmx_rdmsr(MSR_IA32_VMX_MISC, &vmx_cfg.misc))
		return -EIO;
	vmx_choose_preemption_timer();
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
#ifdef X86_FEATURE_FRED
	/* With FRED, host NMIs would need an entry modules cannot reach. */
	if (cpu_feature_enabled(X86_FEATURE_FRED)) {
		pr_info("FRED is not supported\n");
		return -EOPNOTSUPP;
	}
#endif
	r = vmx_check_controls(basic);
	if (r)
		return r;
	vmx_cfg.revision_id = FIELD_GET(IA32_VMX_BASIC_REVISION_ID, basic);
	pr_info("VMX with EPT and unrestricted guest%s, VMCS revision %#x\n",
		vmx_cfg.vpid ? ", VPID" : "", vmx_cfg.revision_id);
	return 0;
}

static void vmx_unsetup(void)
{
	vmx_percpu_unsetup();
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
			vmx_cfg.revision_id;
	r = vmx_percpu_setup();
	if (r)
		mkvm_percpu_pages_free(&vmx_vmxon_page);
	return r;
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

/*
 * Leaving VMX operation: VMCLEAR every VMCS active here first, so their
 * data reach memory and another CPU can load them (SDM Vol. 3C, "VMXOFF",
 * "Software Use of the VMCS and Related Structures").
 */
static void vmx_cpu_disable(void)
{
	vmx_clear_cpu_vmcss();
	if (!vmx_vmxoff())
		pr_err("CPU %d: VMXOFF faulted\n", raw_smp_processor_id());
	cr4_clear_bits(X86_CR4_VMXE);
	intel_pt_handle_vmx(0);
}

const struct mkvm_backend vmx_backend = {
	.name = "Intel VMX",
	.exits = vmx_exit_handlers,
	.nr_exits = EXIT_REASON_MAX,
	.exit_prefix = "vmx",
	.probe = vmx_probe,
	.setup = vmx_setup,
	.unsetup = vmx_unsetup,
	.cpu_enable = vmx_cpu_enable,
	.cpu_disable = vmx_cpu_disable,
	.vm_init = vmx_vm_init,
	.vm_destroy = vmx_vm_destroy,
	.vcpu_create = vmx_vcpu_create,
	.vcpu_free = vmx_vcpu_free,
	.vcpu_init_event = vmx_vcpu_init_event,
	.vcpu_load_state = vmx_vcpu_load_state,
	.vcpu_save_state = vmx_vcpu_save_state,
	.vcpu_save_regs = vmx_vcpu_save_regs,
	.vcpu_load = vmx_vcpu_load,
	.vcpu_put = vmx_vcpu_put,
	.vcpu_run = vmx_vcpu_run,
	.map_gfn = vmx_ept_map,
	.map_huge = vmx_ept_map_huge,
	.unmap_range = vmx_ept_unmap_range,
	.msr_access = vmx_msr_access,
	.protect_range = vmx_ept_protect_range,
};
