/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * loop64.S - a long-mode guest for minikvm-run that never stops: CPUID
 * (handled in the kernel) then OUT to port 0x80 (an exit to minikvm-run,
 * which logs and ignores it), forever.  Something for minikvm-stat to
 * watch: exits, io_exits and, on minikvm, exit_svm_cpuid/exit_vmx_cpuid
 * and exit_*_ioio/io_instruction keep growing until the runner is killed.
 * Linked at 0x200000, inside the 4 MiB that minikvm-run identity maps.
 */
#define POST_PORT	0x80	/* the PC's POST code port: nothing there */

	.code64
	.text
	.globl	_start
_start:
	xorl	%esi, %esi
1:	xorl	%eax, %eax	/* CPUID leaf 0 */
	xorl	%ecx, %ecx
	cpuid
	movl	%esi, %eax
	outb	%al, $POST_PORT
	incl	%esi
	jmp	1b
