/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x86_exception.S - guest-side entry stubs for all 256 vectors: the
 * exceptions (0-31) and interrupts (32-255).
 *
 * Runs in the guest, in 64-bit mode, ring 0, entered through a 64-bit
 * interrupt gate (interrupts off).  The CPU has aligned RSP to 16 and
 * pushed SS, RSP, RFLAGS, CS, RIP and, for some vectors, an error code
 * (SDM Vol. 3A, 6.14.2 "64-Bit Mode Stack Frame").  Each stub pushes a 0
 * error code where the CPU pushes none, then its vector; the common part
 * saves the general registers so that the stack is a struct ex_regs
 * (x86_guest.h), calls guest_exception_dispatch(regs) and returns with
 * IRETQ to whatever regs->rip / regs->rsp then say.
 *
 * guest_ex_stubs[] holds the 256 stub addresses for the IDT.
 */

/* Vectors for which the CPU pushes an error code: #DF #TS #NP #SS #GP #PF
 * #AC #CP #VC #SX (SDM Vol. 3A, table 6-1). */
#define HAS_ERROR_CODE(v) \
	((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || \
	 (v) == 29 || (v) == 30)

	.text
	.code64

.macro EX_STUB vec
	.p2align 4
guest_ex_stub_\vec:
	.if !HAS_ERROR_CODE(\vec)
	pushq	$0
	.endif
	pushq	$\vec
	jmp	guest_ex_common
.endm

	.altmacro
	.set	vec, 0
	.rept	256
	EX_STUB	%vec
	.set	vec, vec + 1
	.endr

guest_ex_common:
	/* struct ex_regs, from the lowest address: rax rcx rdx rbx rbp rsi
	 * rdi r8-r15 vector error_code, then the CPU's frame.  7 words are
	 * on the stack, 15 more make it 16-byte aligned for the call. */
	pushq	%r15
	pushq	%r14
	pushq	%r13
	pushq	%r12
	pushq	%r11
	pushq	%r10
	pushq	%r9
	pushq	%r8
	pushq	%rdi
	pushq	%rsi
	pushq	%rbp
	pushq	%rbx
	pushq	%rdx
	pushq	%rcx
	pushq	%rax
	movq	%rsp, %rdi
	cld
	call	guest_exception_dispatch
	popq	%rax
	popq	%rcx
	popq	%rdx
	popq	%rbx
	popq	%rbp
	popq	%rsi
	popq	%rdi
	popq	%r8
	popq	%r9
	popq	%r10
	popq	%r11
	popq	%r12
	popq	%r13
	popq	%r14
	popq	%r15
	addq	$16, %rsp	/* vector, error code */
	iretq

.macro EX_STUB_ADDR vec
	.quad	guest_ex_stub_\vec
.endm

	.section .rodata
	.p2align 3
	.globl	guest_ex_stubs
guest_ex_stubs:
	.set	vec, 0
	.rept	256
	EX_STUB_ADDR %vec
	.set	vec, vec + 1
	.endr

	.section .note.GNU-stack, "", @progbits
