/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VMX world switch: guest general-purpose registers in, VMLAUNCH or
 * VMRESUME, guest registers out at the VM-exit landing point (HOST_RIP),
 * and the call into the host's NMI handler after an NMI exit (Intel SDM
 * Vol. 3C, "VMLAUNCH/VMRESUME", "VM Entries", "Loading Host State",
 * "Conventions" for VMfail).  Contracts in vmx_regs.h.
 */
#include <linux/linkage.h>
#include <linux/version.h>
#include <asm/asm.h>
#include <asm/ibt.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

#include "vmx_regs.h"
#include "vmcs.h"

/*
 * The entry that runs the NMI handler without an IST stack switch: KVM's
 * own, exported for this use (renamed in Linux 6.3).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define VMX_HOST_NMI_ENTRY	asm_exc_nmi_kvm_vmx
#else
#define VMX_HOST_NMI_ENTRY	asm_exc_nmi_noist
#endif

	.text

/* int __vmx_vcpu_run(struct vmx_gprs *gprs (rdi), bool resume (esi)) */
SYM_FUNC_START(__vmx_vcpu_run)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi		/* 0(%rsp): gprs; HOST_RSP points here */

	/* A VM exit lands with RSP = HOST_RSP: this very stack slot. */
	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jna	.Lfail_early

	/* CF = resume; the MOVs below leave the flags alone. */
	bt	$0, %esi
	UNWIND_HINT_SAVE

	mov	VMX_GPR_RAX(%rdi), %rax
	mov	VMX_GPR_RCX(%rdi), %rcx
	mov	VMX_GPR_RDX(%rdi), %rdx
	mov	VMX_GPR_RBX(%rdi), %rbx
	mov	VMX_GPR_RBP(%rdi), %rbp
	mov	VMX_GPR_RSI(%rdi), %rsi
	mov	VMX_GPR_R8(%rdi),  %r8
	mov	VMX_GPR_R9(%rdi),  %r9
	mov	VMX_GPR_R10(%rdi), %r10
	mov	VMX_GPR_R11(%rdi), %r11
	mov	VMX_GPR_R12(%rdi), %r12
	mov	VMX_GPR_R13(%rdi), %r13
	mov	VMX_GPR_R14(%rdi), %r14
	mov	VMX_GPR_R15(%rdi), %r15
	mov	VMX_GPR_RDI(%rdi), %rdi

	jc	.Lvmresume
.Lvmlaunch:
	vmlaunch
	jmp	.Lvmfail
.Lvmresume:
	vmresume
	jmp	.Lvmfail

	_ASM_EXTABLE(.Lvmlaunch, .Lvmfail)
	_ASM_EXTABLE(.Lvmresume, .Lvmfail)

SYM_INNER_LABEL(vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	/* RSP is HOST_RSP again; every GPR but RSP is the guest's. */
	push	%rdi
	mov	8(%rsp), %rdi	/* gprs */
	mov	%rax, VMX_GPR_RAX(%rdi)
	mov	%rcx, VMX_GPR_RCX(%rdi)
	mov	%rdx, VMX_GPR_RDX(%rdi)
	mov	%rbx, VMX_GPR_RBX(%rdi)
	mov	%rbp, VMX_GPR_RBP(%rdi)
	mov	%rsi, VMX_GPR_RSI(%rdi)
	mov	%r8,  VMX_GPR_R8(%rdi)
	mov	%r9,  VMX_GPR_R9(%rdi)
	mov	%r10, VMX_GPR_R10(%rdi)
	mov	%r11, VMX_GPR_R11(%rdi)
	mov	%r12, VMX_GPR_R12(%rdi)
	mov	%r13, VMX_GPR_R13(%rdi)
	mov	%r14, VMX_GPR_R14(%rdi)
	mov	%r15, VMX_GPR_R15(%rdi)
	pop	VMX_GPR_RDI(%rdi)
	xor	%eax, %eax
	jmp	.Lout

.Lvmfail:
	/* Nothing ran: the registers hold guest values, cleared below. */
	mov	$1, %eax
	jmp	.Lout
.Lfail_early:
	mov	$1, %eax

.Lout:
	/* Guest values must not steer host speculation (return stack). */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE

	/* Leave no guest value in a register the host does not restore. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$8, %rsp	/* gprs */
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(__vmx_vcpu_run)

/*
 * void vmx_do_nmi_irqoff(void): build the frame an NMI would have pushed
 * (SS, RSP, RFLAGS, CS, and RIP through the CALL) on a 16-byte aligned
 * stack, as the CPU does in 64-bit mode (SDM Vol. 3A, "64-Bit Mode Stack
 * Frame"), and call the handler; its IRET returns here and unblocks NMIs.
 */
SYM_FUNC_START(vmx_do_nmi_irqoff)
	push	%rbp
	mov	%rsp, %rbp
	and	$-16, %rsp
	push	$__KERNEL_DS
	push	%rbp
	pushf
	push	$__KERNEL_CS
	call	VMX_HOST_NMI_ENTRY
	leave
	RET
SYM_FUNC_END(vmx_do_nmi_irqoff)

/*
 * void vmx_do_interrupt_irqoff(unsigned long entry (rdi)): the same for an
 * external interrupt acknowledged on VM exit: its IDT entry point is
 * called with the frame the CPU would have pushed.
 */
SYM_FUNC_START(vmx_do_interrupt_irqoff)
	push	%rbp
	mov	%rsp, %rbp
	and	$-16, %rsp
	push	$__KERNEL_DS
	push	%rbp
	pushf
	push	$__KERNEL_CS
	CALL_NOSPEC rdi
	leave
	RET
SYM_FUNC_END(vmx_do_interrupt_irqoff)
