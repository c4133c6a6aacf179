// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's FPU, shared by both backends: its x87/SSE/AVX register state,
 * XCR0, the XSETBV instruction and the ioctls KVM_GET/SET_FPU,
 * KVM_GET/SET_XSAVE, KVM_GET_XSAVE2 and KVM_GET/SET_XCRS.
 *
 * The state lives in a guest fpstate of the kernel's own FPU code, the
 * facility KVM uses (arch/x86/kernel/fpu/core.c: fpu_alloc_guest_fpstate(),
 * fpu_swap_kvm_fpstate(), the uabi copies; exported GPL in 6.1 and 6.12).
 * KVM_RUN swaps it in once, in place of the task's user state, and back
 * when it returns.  In between, the guest's registers are the task's FPU
 * registers: a context switch or a kernel_fpu_begin() saves them into the
 * guest fpstate and sets TIF_NEED_FPU_LOAD, and the entry path loads them
 * back (mkvm_x86_fpu_enter()).  Every XSAVE component the host enables is
 * thus kept without minikvm knowing their layout.
 *
 * XCR0 is not part of the VMCB or the VMCS: the guest's value is written
 * with XSETBV right before the entry, interrupts off, and the host's right
 * after the exit (SDM Vol. 1, "Managing State Using the XSAVE Feature
 * Set"; AMD APM Vol. 2, "Extended Control Registers").
 *
 * Context: process context, vCPU mutex held; mkvm_x86_fpu_enter/leave
 * with interrupts off around the VM entry.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>
#include <asm/thread_info.h>
#include <asm/trapnr.h>

#include "minikvm.h"

/*
 * XCR0 bits (SDM Vol. 1, "XSAVE-Supported Features and State-Component
 * Bitmaps"): x87, SSE, AVX (YMM upper halves), and AVX-512's three
 * components: opmask, ZMM0-15 upper halves, ZMM16-31.  MPX, PKRU and AMX
 * are not offered (their CR4 bits or MSRs are not virtualized).
 */
#define XCR0_X87	BIT_ULL(0)
#define XCR0_SSE	BIT_ULL(1)
#define XCR0_YMM	BIT_ULL(2)
#define XCR0_AVX512	(BIT_ULL(5) | BIT_ULL(6) | BIT_ULL(7))
#define MKVM_XCR0_KNOWN	(XCR0_X87 | XCR0_SSE | XCR0_YMM | XCR0_AVX512)
#define CPUID_1_ECX_XSAVE	26

/* Bytes 512-575 of an XSAVE image: the header; XSTATE_BV its first u64. */
#define XSAVE_LEGACY_SIZE	512
#define XSAVE_HEADER_SIZE	64

static u64 mkvm_host_xcr0 __ro_after_init;
/* What any guest may have in XCR0: known to minikvm and enabled by the host. */
u64 mkvm_x86_xcr0_supported __ro_after_init;
/* Standard-format offset and size of each component (CPUID.(0DH, i)). */
static u32 xsave_offset[8] __ro_after_init, xsave_size[8] __ro_after_init;

/**
 * mkvm_x86_fpu_setup() - read the host's XCR0 and XSAVE layout
 *
 * Module load.  Without XSAVE (or with the kernel's noxsave) no guest gets
 * XSAVE: mkvm_x86_xcr0_supported stays 0.
 */
void __init mkvm_x86_fpu_setup(void)
{
	u32 eax, ebx, ecx, edx;
	u64 xcr0;
	int i;

	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return;
	mkvm_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	xcr0 = mkvm_host_xcr0 & MKVM_XCR0_KNOWN;
	/* AVX needs SSE, AVX-512 needs AVX and comes whole (see below). */
	if ((xcr0 & (XCR0_X87 | XCR0_SSE)) != (XCR0_X87 | XCR0_SSE))
		return;
	if (!(xcr0 & XCR0_YMM) || (xcr0 & XCR0_AVX512) != XCR0_AVX512)
		xcr0 &= ~XCR0_AVX512;
	for (i = 2; i < ARRAY_SIZE(xsave_offset); i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx);
		xsave_size[i] = eax;
		xsave_offset[i] = ebx;
	}
	mkvm_x86_xcr0_supported = xcr0;
}

/**
 * mkvm_x86_xsave_size() - bytes an XSAVE image of @xcr0's components takes
 * @xcr0: the components
 *
 * Standard format: the legacy area and header, then each component at its
 * fixed offset (SDM Vol. 1, "XSAVE Area"), as CPUID.(0DH, 0).EBX reports
 * it for the XCR0 in force.
 */
u32 mkvm_x86_xsave_size(u64 xcr0)
{
	u32 size = XSAVE_LEGACY_SIZE + XSAVE_HEADER_SIZE;
	int i;

	for (i = 2; i < ARRAY_SIZE(xsave_offset); i++)
		if ((xcr0 & mkvm_x86_xcr0_supported & BIT_ULL(i)))
			size = max(size, xsave_offset[i] + xsave_size[i]);
	return size;
}

/**
 * mkvm_x86_guest_xcr0_allowed() - the XCR0 bits this vCPU's guest may set
 * @vcpu: the vCPU
 *
 * Those its CPUID announces: CPUID.1:ECX.XSAVE, then CPUID.(0DH, 0)
 * EDX:EAX (SDM Vol. 1, "Enumeration of CPU Support for XSAVE Instructions
 * and XSAVE-Supported Features"), within what minikvm supports: the
 * vCPU's own CPUID (KVM_SET_CPUID2) or the default one.
 */
u64 mkvm_x86_guest_xcr0_allowed(struct mkvm_vcpu *vcpu)
{
	u32 eax = 0xd, ebx, ecx = 0, edx;

	if (!mkvm_x86_guest_has(&vcpu->arch, 1, 0, MKVM_ECX, CPUID_1_ECX_XSAVE))
		return 0;
	mkvm_x86_cpuid(vcpu, 0, &eax, &ebx, &ecx, &edx);
	return (((u64)edx << 32) | eax) & mkvm_x86_xcr0_supported;
}

/*
 * May XCR0 hold @xcr0?  SDM Vol. 1, "Extended Control Register (XCR0)" and
 * Vol. 2D "XSETBV": bit 0 set; AVX (bit 2) only with SSE (bit 1); the
 * three AVX-512 bits together and only with AVX; no bit the processor (here
 * the guest's CPUID) does not support.  KVM lets bit 0 through even when
 * the guest has no XSAVE at all (its reset value).
 */
static bool mkvm_xcr0_valid(struct mkvm_vcpu *vcpu, u64 xcr0)
{
	u64 allowed = mkvm_x86_guest_xcr0_allowed(vcpu) | XCR0_X87;

	if (!(xcr0 & XCR0_X87) || (xcr0 & ~allowed))
		return false;
	if ((xcr0 & XCR0_YMM) && !(xcr0 & XCR0_SSE))
		return false;
	if ((xcr0 & XCR0_AVX512) &&
	    (!(xcr0 & XCR0_YMM) || (xcr0 & XCR0_AVX512) != XCR0_AVX512))
		return false;
	return true;
}

/**
 * mkvm_x86_xsetbv() - the guest executed XSETBV (always an exit)
 * @vcpu: the vCPU
 * @cr4: the guest's CR4
 * @cpl: its current privilege level
 * @rcx: ECX, the XCR's index
 * @rax: EAX, the low half of the value
 * @rdx: EDX, the high half
 *
 * SDM Vol. 2D, "XSETBV", and AMD APM Vol. 3, "XSETBV": #UD without
 * CR4.OSXSAVE (the hardware checks that before the exit; kept here for
 * safety); #GP(0) at CPL > 0, for an XCR other than XCR0 or a value XCR0
 * may not hold.  The new XCR0 is loaded at the next entry.
 *
 * Return: 0 to move past the instruction, else the exception vector to
 * inject (X86_TRAP_UD, or X86_TRAP_GP with error code 0).
 */
int mkvm_x86_xsetbv(struct mkvm_vcpu *vcpu, u64 cr4, unsigned int cpl,
		    u64 rcx, u64 rax, u64 rdx)
{
	u64 xcr0 = (u32)rax | ((u64)(u32)rdx << 32);

	if (!(cr4 & X86_CR4_OSXSAVE))
		return X86_TRAP_UD;
	if (cpl || (u32)rcx != XCR_XFEATURE_ENABLED_MASK ||
	    !mkvm_xcr0_valid(vcpu, xcr0))
		return X86_TRAP_GP;
	vcpu->arch.xcr0 = xcr0;
	return 0;
}

/**
 * mkvm_x86_fpu_create() - a new vCPU's FPU state, as after RESET
 * @vcpu: the vCPU
 *
 * FCW 037FH, MXCSR 1F80H, every XSAVE component in its initial state, XCR0
 * 1 (SDM Vol. 3A, "Processor States Following Power-up, Reset, or INIT").
 * Return: 0 or -ENOMEM.
 */
int mkvm_x86_fpu_create(struct mkvm_vcpu *vcpu)
{
	if (!fpu_alloc_guest_fpstate(&vcpu->arch.fpu))
		return -ENOMEM;
	vcpu->arch.xcr0 = XCR0_X87;
	return 0;
}

void mkvm_x86_fpu_free(struct mkvm_vcpu *vcpu)
{
	if (vcpu->arch.fpu.fpstate)
		fpu_free_guest_fpstate(&vcpu->arch.fpu);
}

/**
 * mkvm_x86_fpu_load() - KVM_RUN starts: the guest's FPU state in
 * @vcpu: the vCPU
 *
 * The task's user FPU state is saved and the guest's loaded; until
 * mkvm_x86_fpu_put() the kernel saves and restores the guest's state as
 * if it were the task's own.
 */
void mkvm_x86_fpu_load(struct mkvm_vcpu *vcpu)
{
	fpu_swap_kvm_fpstate(&vcpu->arch.fpu, true);
}

/* KVM_RUN returns: the guest's state saved, the task's back. */
void mkvm_x86_fpu_put(struct mkvm_vcpu *vcpu)
{
	fpu_swap_kvm_fpstate(&vcpu->arch.fpu, false);
}

/**
 * mkvm_x86_fpu_enter() - right before the VM entry, interrupts off
 * @vcpu: the vCPU
 * @cr4: the guest's CR4 for this entry
 *
 * Reloads the guest's registers if something saved them since KVM_RUN
 * began (a context switch, a kernel_fpu_begin()), then the guest's XCR0,
 * which applies only with the guest's CR4.OSXSAVE (SDM Vol. 1, "Enabling
 * the XSAVE Feature Set and XSAVE-Enabled Features").
 *
 * Return: whether XCR0 was changed: pass it to mkvm_x86_fpu_leave().
 */
bool mkvm_x86_fpu_enter(struct mkvm_vcpu *vcpu, u64 cr4)
{
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	if (!(cr4 & X86_CR4_OSXSAVE) || vcpu->arch.xcr0 == mkvm_host_xcr0)
		return false;
	xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->arch.xcr0);
	return true;
}

/* Right after the exit, interrupts still off: the host's XCR0 back. */
void mkvm_x86_fpu_leave(bool xcr0_loaded)
{
	if (xcr0_loaded)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, mkvm_host_xcr0);
}

/*
 * KVM_GET_FPU / KVM_SET_FPU: struct kvm_fpu mirrors the FXSAVE image
 * (SDM Vol. 2A, "FXSAVE", table "Layout of the 64-bit-mode FXSAVE64 Map"),
 * ST/MM and XMM registers, FCW, FSW, the abridged tag word, FOP, FIP and
 * FDP.  Like KVM, MXCSR is neither reported (0) nor written.
 */
static long mkvm_x86_get_fpu(struct mkvm_vcpu *vcpu, void __user *argp)
{
	const struct fxregs_state *fx = &vcpu->arch.fpu.fpstate->regs.fxsave;
	struct kvm_fpu fpu = {};

	memcpy(fpu.fpr, fx->st_space, sizeof(fpu.fpr));
	fpu.fcw = fx->cwd;
	fpu.fsw = fx->swd;
	fpu.ftwx = fx->twd;
	fpu.last_opcode = fx->fop;
	fpu.last_ip = fx->rip;
	fpu.last_dp = fx->rdp;
	memcpy(fpu.xmm, fx->xmm_space, sizeof(fpu.xmm));
	return copy_to_user(argp, &fpu, sizeof(fpu)) ? -EFAULT : 0;
}

static long mkvm_x86_set_fpu(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct fpstate *fps = vcpu->arch.fpu.fpstate;
	struct fxregs_state *fx = &fps->regs.fxsave;
	struct kvm_fpu fpu;

	if (copy_from_user(&fpu, argp, sizeof(fpu)))
		return -EFAULT;
	memcpy(fx->st_space, fpu.fpr, sizeof(fpu.fpr));
	fx->cwd = fpu.fcw;
	fx->swd = fpu.fsw;
	fx->twd = fpu.ftwx;
	fx->fop = fpu.last_opcode;
	fx->rip = fpu.last_ip;
	fx->rdp = fpu.last_dp;
	memcpy(fx->xmm_space, fpu.xmm, sizeof(fpu.xmm));
	/*
	 * XRSTOR initializes a component whose XSTATE_BV bit is clear (SDM
	 * Vol. 1, "Operation of XRSTOR"): mark x87 and SSE as holding data,
	 * or what was just written would be dropped at the next entry.
	 */
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		fps->regs.xsave.header.xfeatures |= XCR0_X87 | XCR0_SSE;
	return 0;
}

/*
 * KVM_GET_XSAVE (4 KiB) and KVM_GET_XSAVE2 (KVM_CAP_XSAVE2 bytes, the same
 * here): the standard-format XSAVE image of the components the guest may
 * enable, x87 and SSE always (KVM's rule).
 */
static long mkvm_x86_get_xsave(struct mkvm_vcpu *vcpu, void __user *argp)
{
	unsigned int size = vcpu->arch.fpu.uabi_size;
	void *buf;
	long r = 0;

	if (size > sizeof(struct kvm_xsave))
		return -EINVAL;
	buf = kzalloc(sizeof(struct kvm_xsave), GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	fpu_copy_guest_fpstate_to_uabi(&vcpu->arch.fpu, buf, size,
				       mkvm_x86_guest_xcr0_allowed(vcpu) |
				       XCR0_X87 | XCR0_SSE, 0);
	if (copy_to_user(argp, buf, sizeof(struct kvm_xsave)))
		r = -EFAULT;
	kfree(buf);
	return r;
}

/*
 * KVM_SET_XSAVE: the kernel's copy validates what KVM validates (-EINVAL):
 * XSTATE_BV only with components minikvm supports, XCOMP_BV and the rest
 * of the header zero (standard format), MXCSR's reserved bits clear.
 */
static long mkvm_x86_set_xsave(struct mkvm_vcpu *vcpu, void __user *argp)
{
	u32 pkru = 0;	/* no PKRU: refused in XSTATE_BV */
	void *buf;
	long r;

	buf = memdup_user(argp, vcpu->arch.fpu.uabi_size);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	r = fpu_copy_uabi_to_guest_fpstate(&vcpu->arch.fpu, buf,
					   mkvm_x86_xcr0_supported | XCR0_X87 |
					   XCR0_SSE, &pkru);
	kfree(buf);
	return r;
}

/* KVM_GET_XCRS: XCR0 alone, or nothing without XSAVE on the host. */
static long mkvm_x86_get_xcrs(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_xcrs *xcrs = kzalloc(sizeof(*xcrs), GFP_KERNEL_ACCOUNT);
	long r = 0;

	if (!xcrs)
		return -ENOMEM;
	if (boot_cpu_has(X86_FEATURE_XSAVE)) {
		xcrs->nr_xcrs = 1;
		xcrs->xcrs[0].xcr = XCR_XFEATURE_ENABLED_MASK;
		xcrs->xcrs[0].value = vcpu->arch.xcr0;
	}
	if (copy_to_user(argp, xcrs, sizeof(*xcrs)))
		r = -EFAULT;
	kfree(xcrs);
	return r;
}

/*
 * KVM_SET_XCRS, with KVM's rules: -EINVAL without XSAVE on the host, for
 * flags, more than KVM_MAX_XCRS entries, or an XCR0 XSETBV would refuse.
 * The first entry for XCR0 is used; entries for other XCRs are ignored.
 */
static long mkvm_x86_set_xcrs(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_xcrs *xcrs;
	long r = 0;
	u32 i;

	xcrs = memdup_user(argp, sizeof(*xcrs));
	if (IS_ERR(xcrs))
		return PTR_ERR(xcrs);
	if (!boot_cpu_has(X86_FEATURE_XSAVE) || xcrs->flags ||
	    xcrs->nr_xcrs > KVM_MAX_XCRS) {
		r = -EINVAL;
		goto out;
	}
	for (i = 0; i < xcrs->nr_xcrs; i++) {
		if (xcrs->xcrs[i].xcr != XCR_XFEATURE_ENABLED_MASK)
			continue;
		if (mkvm_xcr0_valid(vcpu, xcrs->xcrs[i].value))
			vcpu->arch.xcr0 = xcrs->xcrs[i].value;
		else
			r = -EINVAL;
		break;
	}
out:
	kfree(xcrs);
	return r;
}

/**
 * mkvm_x86_fpu_ioctl() - the vCPU ioctls of the FPU
 * @vcpu: the vCPU, its mutex held, not running (its FPU state in memory)
 * @ioctl: KVM_GET/SET_FPU, KVM_GET/SET_XSAVE, KVM_GET_XSAVE2,
 *	   KVM_GET/SET_XCRS
 * @argp: the user's structure
 *
 * Return: 0, -EFAULT, -ENOMEM, or -EINVAL as KVM for bad contents.
 */
long mkvm_x86_fpu_ioctl(struct mkvm_vcpu *vcpu, unsigned int ioctl,
			void __user *argp)
{
	switch (ioctl) {
	case KVM_GET_FPU:
		return mkvm_x86_get_fpu(vcpu, argp);
	case KVM_SET_FPU:
		return mkvm_x86_set_fpu(vcpu, argp);
	case KVM_GET_XSAVE:
	case KVM_GET_XSAVE2:
		return mkvm_x86_get_xsave(vcpu, argp);
	case KVM_SET_XSAVE:
		return mkvm_x86_set_xsave(vcpu, argp);
	case KVM_GET_XCRS:
		return mkvm_x86_get_xcrs(vcpu, argp);
	case KVM_SET_XCRS:
		return mkvm_x86_set_xcrs(vcpu, argp);
	}
	return -EINVAL;
}
