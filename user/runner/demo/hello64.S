/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hello64.S - minikvm-run's 64-bit demo guest: an ELF executable started
 * in long mode at _start (minikvm-run's default for ELF files) that prints
 * "hello from the 64-bit guest" on COM1 with one REP OUTSB, then halts.
 * Linked at 0x200000, inside the 4 MiB that minikvm-run identity maps.
 */
#define COM1		0x3f8

	.code64
	.text
	.globl	_start
_start:
	cld
	leaq	message(%rip), %rsi
	movq	$message_len, %rcx
	movw	$COM1, %dx
	rep outsb
1:	hlt
	jmp	1b

	.section .rodata
message:
	.ascii	"hello from the 64-bit guest\n"
	.set	message_len, . - message
