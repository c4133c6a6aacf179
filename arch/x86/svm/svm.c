// SPDX-License-Identifier: GPL-2.0-only
/*
 * AMD SVM backend: detection, the per-CPU host save area and switching
 * EFER.SVME on and off.  Ends with the backend's ops table.
 *
 * Context: probe/setup/unsetup in process context at module load/unload;
 * cpu_enable/cpu_disable on the CPU concerned with interrupts or preemption
 * off (see kmod/hw.c).
 *
 * Manual: AMD APM Vol. 2, chapter "Secure Virtual Machine" ("Enabling SVM",
 * "VM_CR MSR", "VM_HSAVE_PA MSR"), and Vol. 3 Appendix E for CPUID.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": svm: " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mem_encrypt.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include "minikvm.h"
#include "svm.h"

static DEFINE_PER_CPU(struct page *, svm_hsave_page);

bool svm_has_decode_assists;

static int svm_probe(void)
{
	u32 feat, nasid;
	u64 vm_cr;

	if (cpuid_eax(0x80000000) < SVM_CPUID_FEATURES ||
	    !(cpuid_ecx(0x80000001) & SVM_CPUID_EXT_ECX_SVM)) {
		pr_info("CPU has no SVM\n");
		return -EOPNOTSUPP;
	}
	if (rdmsrl_safe(MSR_VM_CR, &vm_cr) || (vm_cr & SVM_VM_CR_SVMDIS)) {
		pr_info("disabled by firmware (VM_CR.SVMDIS)\n");
		return -EOPNOTSUPP;
	}
	feat = cpuid_edx(SVM_CPUID_FEATURES);
	nasid = cpuid_ebx(SVM_CPUID_FEATURES);
	if (!(feat & SVM_FEAT_NP)) {
		pr_info("nested paging (NPT) is required\n");
		return -EOPNOTSUPP;
	}
	svm_has_decode_assists = feat & SVM_FEAT_DECODE_ASSISTS;
	pr_info("SVM with NPT, %u ASIDs%s%s%s\n", nasid,
		feat & SVM_FEAT_NRIPS ? ", NRIPS" : "",
		feat & SVM_FEAT_DECODE_ASSISTS ? ", decode assists" : "",
		feat & SVM_FEAT_VMCB_CLEAN ? ", VMCB clean bits" : "");
	return 0;
}

static void svm_unsetup(void)
{
	svm_percpu_unsetup();
	mkvm_percpu_pages_free(&svm_hsave_page);
}

/* One host save area (4 KiB, page aligned) per possible CPU, and the rest. */
static int svm_setup(void)
{
	int r;

	r = mkvm_percpu_pages_alloc(&svm_hsave_page);
	if (r)
		return r;
	r = svm_percpu_setup();
	if (r)
		mkvm_percpu_pages_free(&svm_hsave_page);
	return r;
}

/*
 * EFER.SVME already set means another hypervisor uses SVM on this CPU:
 * leave it alone.  Otherwise set SVME and point VM_HSAVE_PA at our area,
 * where VMRUN will keep the host state.
 */
static int svm_cpu_enable(void)
{
	struct page *hsave = per_cpu(svm_hsave_page, raw_smp_processor_id());
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		return -EBUSY;
	if (wrmsrl_safe(MSR_EFER, efer | EFER_SVME))
		return -EIO;
	/* With SME, a physical address the CPU uses carries the C-bit. */
	if (wrmsrl_safe(MSR_VM_HSAVE_PA, __sme_set(page_to_phys(hsave)))) {
		wrmsrl(MSR_EFER, efer);
		return -EIO;
	}
	return 0;
}

static void svm_cpu_disable(void)
{
	u64 efer;

	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
}

/*
 * The VMCB holds segment attributes as VMRUN loads them; the power-on
 * values follow KVM's SVM conventions (code segment not accessed, SS and TR
 * as a read/write data segment and a busy 16-bit TSS) so that
 * KVM_GET_SREGS reads the same on minikvm as on kvm_amd.
 */
void svm_vcpu_reset(struct mkvm_vcpu *vcpu)
{
	struct kvm_sregs *s = &vcpu->arch.sregs;

	s->cs.type = MKVM_SEG_TYPE_CODE_RX;
	s->ss.type = MKVM_SEG_TYPE_DATA_RW;
	s->tr.type = MKVM_SEG_TYPE_TSS16_BUSY;
}

const struct mkvm_backend svm_backend = {
	.name = "AMD SVM",
	.exits = svm_exit_handlers,
	.nr_exits = SVM_EXIT_MAX,
	.exit_prefix = "svm",
	.probe = svm_probe,
	.setup = svm_setup,
	.unsetup = svm_unsetup,
	.cpu_enable = svm_cpu_enable,
	.cpu_disable = svm_cpu_disable,
	.vcpu_reset = svm_vcpu_reset,
	.vcpu_init_event = svm_vcpu_init_event,
	.vm_init = svm_vm_init,
	.vm_destroy = svm_vm_destroy,
	.vcpu_create = svm_vcpu_create,
	.vcpu_free = svm_vcpu_free,
	.vcpu_load_state = svm_vcpu_load_state,
	.vcpu_save_state = svm_vcpu_save_state,
	.vcpu_save_regs = svm_vcpu_save_regs,
	.vcpu_run = svm_vcpu_run,
	.map_gfn = svm_npt_map,
	.map_huge = svm_npt_map_huge,
	.unmap_range = svm_npt_unmap_range,
	.msr_access = svm_msr_access,
	.protect_range = svm_npt_protect_range,
};
