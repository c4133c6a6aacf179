/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hello16.S - minikvm-run's demo guest: 16-bit real-mode code that prints
 * "hello from the guest" on the serial port (COM1, 0x3f8), waiting for the
 * transmitter before each character as a real 16550 needs, then halts.
 *
 * Linked at 0x8000 (minikvm-run's default --load-addr for a flat binary)
 * and turned into a flat binary by the build; CS = DS = 0.
 */
#define COM1		0x3f8
#define COM1_LSR	(COM1 + 5)	/* line status register */
#define LSR_THRE	0x20		/* transmit holding register empty */

	.code16
	.text
	.globl	_start
_start:
	cld
	movw	$message, %si
next:
	lodsb
	testb	%al, %al
	jz	done
	movb	%al, %bl
	movw	$COM1_LSR, %dx
wait:
	inb	%dx, %al
	testb	$LSR_THRE, %al
	jz	wait
	movb	%bl, %al
	movw	$COM1, %dx
	outb	%al, %dx
	jmp	next
done:
	hlt
	jmp	done

message:
	.asciz	"hello from the guest\n"
