/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The SVM world switch: VMSAVE host, VMLOAD guest, VMRUN, VMSAVE guest,
 * VMLOAD host, with the guest's general-purpose registers swapped in and
 * out around VMRUN (APM Vol. 2, "VMRUN Instruction", "#VMEXIT",
 * "VMSAVE and VMLOAD Instructions").  Contract in svm_regs.h.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

#include "svm_regs.h"

	.text

/* void __svm_vmrun(struct svm_gprs *gprs (rdi), u64 vmcb_pa (rsi), u64 host_pa (rdx)) */
SYM_FUNC_START(__svm_vmrun)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi		/* 16(%rsp) after the next two: gprs */
	push	%rdx		/*  8(%rsp): host_pa */
	push	%rsi		/*  0(%rsp): vmcb_pa */

	/* The host's FS/GS/TR/LDTR, KernelGsBase, STAR... go to host_pa. */
	mov	%rdx, %rax
	vmsave	%rax

	/* Guest registers; RDI last, it holds the pointer. */
	mov	SVM_GPR_RBX(%rdi), %rbx
	mov	SVM_GPR_RCX(%rdi), %rcx
	mov	SVM_GPR_RDX(%rdi), %rdx
	mov	SVM_GPR_RSI(%rdi), %rsi
	mov	SVM_GPR_RBP(%rdi), %rbp
	mov	SVM_GPR_R8(%rdi),  %r8
	mov	SVM_GPR_R9(%rdi),  %r9
	mov	SVM_GPR_R10(%rdi), %r10
	mov	SVM_GPR_R11(%rdi), %r11
	mov	SVM_GPR_R12(%rdi), %r12
	mov	SVM_GPR_R13(%rdi), %r13
	mov	SVM_GPR_R14(%rdi), %r14
	mov	SVM_GPR_R15(%rdi), %r15
	mov	SVM_GPR_RDI(%rdi), %rdi

	/* RAX = VMCB: VMLOAD and VMRUN take it there; #VMEXIT restores it. */
	mov	0(%rsp), %rax
	vmload	%rax
	/*
	 * With V_INTR_MASKING, the host's RFLAGS.IF as VMRUN saves it decides
	 * whether physical interrupts reach the guest's intercept (APM Vol. 2,
	 * "Virtual Interrupt Masking"): set it, GIF=0 still keeps them from
	 * the host until STGI, and clear it again after #VMEXIT.
	 */
	sti
	vmrun	%rax
	cli
	vmsave	%rax

	/* Store the guest's registers. */
	push	%rdi
	mov	24(%rsp), %rdi	/* gprs: above guest rdi, vmcb_pa, host_pa */
	mov	%rbx, SVM_GPR_RBX(%rdi)
	mov	%rcx, SVM_GPR_RCX(%rdi)
	mov	%rdx, SVM_GPR_RDX(%rdi)
	mov	%rsi, SVM_GPR_RSI(%rdi)
	mov	%rbp, SVM_GPR_RBP(%rdi)
	mov	%r8,  SVM_GPR_R8(%rdi)
	mov	%r9,  SVM_GPR_R9(%rdi)
	mov	%r10, SVM_GPR_R10(%rdi)
	mov	%r11, SVM_GPR_R11(%rdi)
	mov	%r12, SVM_GPR_R12(%rdi)
	mov	%r13, SVM_GPR_R13(%rdi)
	mov	%r14, SVM_GPR_R14(%rdi)
	mov	%r15, SVM_GPR_R15(%rdi)
	pop	SVM_GPR_RDI(%rdi)

	/* The host's VMSAVE state back, GS base first among it. */
	mov	8(%rsp), %rax
	vmload	%rax

	/* Guest values must not steer host speculation (return stack). */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT

	/* Leave no guest value in a register the host does not restore. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$24, %rsp	/* vmcb_pa, host_pa, gprs */
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(__svm_vmrun)
