// SPDX-License-Identifier: GPL-2.0-only
/*
 * decode_test.c - unit tests of the MMIO instruction decoder of the kernel
 * module (arch/x86/decode.c, linked in from its source).  No device needed.
 *
 * A table of encodings in 16-, 32- and 64-bit mode, with the length, width,
 * direction, register, immediate, extension, segment and REP the decoder
 * must find.  Rows named by AT&T assembly were checked against GNU as and
 * objdump; rows in [brackets] are hand-made encodings as cannot emit
 * (ignored prefixes, prefixes in unusual order, undefined forms).  Every
 * row that decodes is also decoded from each truncation of its bytes, which
 * must ask for more, and from its bytes followed by others, which must not
 * change the result; all reads end at an inaccessible page, so a byte read
 * past what the decoder was given crashes the test.  Then the helpers that
 * move the data between the access and the registers, and the effective
 * address of the memory operand in every addressing form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../arch/x86/decode.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Row flags. */
#define F_HI	0x01	/* high_byte */
#define F_SX	0x02	/* sign_extend */
#define F_REP	0x04	/* rep */

struct row {
	const char *text;	/* the instruction; [hand-made] */
	unsigned int mode;
	u8 bytes[20];
	unsigned int n;		/* bytes given to the decoder */
	int ret;
	/* Expected when ret is 0. */
	u8 len;			/* 0: n */
	u8 op;
	u8 size;
	u8 reg_size;
	u8 reg;
	u8 asz;			/* 0: the mode's default */
	u8 seg;			/* 1 + enum mkvm_seg; 0: DS */
	unsigned int flags;
	u64 imm;
};

#define M16	MKVM_MODE_16
#define M32	MKVM_MODE_32
#define M64	MKVM_MODE_64

#define B(...)		.bytes = { __VA_ARGS__ },			\
			.n = sizeof((u8[]){ __VA_ARGS__ })
#define LD(sz, rsz, r)	.op = MKVM_INSN_LOAD, .size = (sz),		\
			.reg_size = (rsz), .reg = MKVM_##r
#define ST(sz, r)	.op = MKVM_INSN_STORE_REG, .size = (sz),	\
			.reg_size = (sz), .reg = MKVM_##r
#define IM(sz, v)	.op = MKVM_INSN_STORE_IMM, .size = (sz), .imm = (v)
#define STOS(sz)	.op = MKVM_INSN_STOS, .size = (sz), .reg_size = (sz), \
			.reg = MKVM_RAX, SEG(ES)
#define MOVS(sz)	.op = MKVM_INSN_MOVS, .size = (sz)
#define SEG(s)		.seg = 1 + MKVM_SEG_##s
#define ASZ(a)		.asz = (a)
#define FL(f)		.flags = (f)
#define ERR(e)		.ret = -(e)

static const struct row rows[] = {
	/* 64-bit mode: MOV r/m,r (89, 88) and the register operand. */
	{ "mov %eax,(%rdi)", M64, B(0x89, 0x07), ST(4, RAX) },
	{ "mov %rax,(%rdi)", M64, B(0x48, 0x89, 0x07), ST(8, RAX) },
	{ "mov %ax,(%rdi)", M64, B(0x66, 0x89, 0x07), ST(2, RAX) },
	{ "mov %al,(%rdi)", M64, B(0x88, 0x07), ST(1, RAX) },
	{ "mov %ah,(%rdi)", M64, B(0x88, 0x27), ST(1, RAX), FL(F_HI) },
	{ "mov %bh,(%rsi)", M64, B(0x88, 0x3e), ST(1, RBX), FL(F_HI) },
	{ "mov %spl,(%rdi)", M64, B(0x40, 0x88, 0x27), ST(1, RSP) },
	{ "mov %dil,(%rax)", M64, B(0x40, 0x88, 0x38), ST(1, RDI) },
	{ "mov %r8b,(%rax)", M64, B(0x44, 0x88, 0x00), ST(1, R8) },
	{ "mov %r12b,(%rdi)", M64, B(0x44, 0x88, 0x27), ST(1, R12) },
	{ "mov %spl,(%r15)", M64, B(0x41, 0x88, 0x27), ST(1, RSP) },
	{ "mov %r15,0x10(%rbx)", M64, B(0x4c, 0x89, 0x7b, 0x10), ST(8, R15) },
	{ "mov %r9d,(%r12)", M64, B(0x45, 0x89, 0x0c, 0x24), ST(4, R9) },
	{ "mov %ecx,0x0(%r13)", M64, B(0x41, 0x89, 0x4d, 0x00), ST(4, RCX) },
	{ "mov %edx,0x12345678(%rip)", M64,
	  B(0x89, 0x15, 0x78, 0x56, 0x34, 0x12), ST(4, RDX) },
	{ "mov %esi,0x1000(,%rcx,4)", M64,
	  B(0x89, 0x34, 0x8d, 0x00, 0x10, 0x00, 0x00), ST(4, RSI) },
	{ "mov %edi,0x11223344", M64,
	  B(0x89, 0x3c, 0x25, 0x44, 0x33, 0x22, 0x11), ST(4, RDI) },
	{ "mov %eax,-0x8(%rbp)", M64, B(0x89, 0x45, 0xf8), ST(4, RAX), SEG(SS) },
	{ "mov %eax,0x8(%rsp)", M64, B(0x89, 0x44, 0x24, 0x08), ST(4, RAX),
	  SEG(SS) },
	{ "mov %eax,(%rsp)", M64, B(0x89, 0x04, 0x24), ST(4, RAX), SEG(SS) },
	{ "mov %eax,0x100(%rax,%rbx,8)", M64,
	  B(0x89, 0x84, 0xd8, 0x00, 0x01, 0x00, 0x00), ST(4, RAX) },
	{ "mov %eax,(%r12,%r13,2)", M64, B(0x43, 0x89, 0x04, 0x6c), ST(4, RAX) },
	{ "mov %eax,(%rbp,%r13,1)", M64, B(0x42, 0x89, 0x44, 0x2d, 0x00),
	  ST(4, RAX), SEG(SS) },
	{ "mov %eax,0x0(%r13,%rbp,1)", M64, B(0x41, 0x89, 0x44, 0x2d, 0x00),
	  ST(4, RAX) },
	{ "mov %eax,(%eax)", M64, B(0x67, 0x89, 0x00), ST(4, RAX), ASZ(4) },
	{ "mov %eax,0x10(%eip)", M64, B(0x67, 0x89, 0x05, 0x10, 0, 0, 0),
	  ST(4, RAX), ASZ(4) },

	/* 64-bit mode: segment overrides, only FS and GS honoured. */
	{ "mov %eax,%fs:(%rax)", M64, B(0x64, 0x89, 0x00), ST(4, RAX),
	  SEG(FS) },
	{ "mov %eax,%gs:0x10(%rbp)", M64, B(0x65, 0x89, 0x45, 0x10),
	  ST(4, RAX), SEG(GS) },
	{ "mov %eax,%ds:0x0(%rbp)", M64, B(0x3e, 0x89, 0x45, 0x00),
	  ST(4, RAX), SEG(SS) },
	{ "mov %eax,%es:(%rax)", M64, B(0x26, 0x89, 0x00), ST(4, RAX) },
	{ "[fs then ds: ds ignored]", M64, B(0x64, 0x3e, 0x89, 0x00),
	  ST(4, RAX), SEG(FS) },
	{ "[fs then gs: the last wins]", M64, B(0x64, 0x65, 0x89, 0x00),
	  ST(4, RAX), SEG(GS) },

	/* 64-bit mode: MOV r,r/m (8B, 8A). */
	{ "mov (%rdi),%eax", M64, B(0x8b, 0x07), LD(4, 4, RAX) },
	{ "mov (%rdi),%rax", M64, B(0x48, 0x8b, 0x07), LD(8, 8, RAX) },
	{ "mov (%rdi),%ax", M64, B(0x66, 0x8b, 0x07), LD(2, 2, RAX) },
	{ "mov (%rdi),%al", M64, B(0x8a, 0x07), LD(1, 1, RAX) },
	{ "mov (%rdi),%ch", M64, B(0x8a, 0x2f), LD(1, 1, RCX), FL(F_HI) },
	{ "mov (%rdi),%dh", M64, B(0x8a, 0x37), LD(1, 1, RDX), FL(F_HI) },
	{ "mov (%rdi),%sil", M64, B(0x40, 0x8a, 0x37), LD(1, 1, RSI) },
	{ "mov (%rdi),%bpl", M64, B(0x40, 0x8a, 0x2f), LD(1, 1, RBP) },
	{ "mov (%rdi),%r11d", M64, B(0x44, 0x8b, 0x1f), LD(4, 4, R11) },
	{ "mov 0x7fffffff(%rip),%r14", M64,
	  B(0x4c, 0x8b, 0x35, 0xff, 0xff, 0xff, 0x7f), LD(8, 8, R14) },

	/* 64-bit mode: REX placement and its interplay with 66. */
	{ "[66 then REX.W: REX.W wins]", M64, B(0x66, 0x48, 0x8b, 0x07),
	  LD(8, 8, RAX) },
	{ "[REX.W then 66: REX ignored]", M64, B(0x48, 0x66, 0x8b, 0x07),
	  LD(2, 2, RAX) },
	{ "[REX.R then 66: reg not extended]", M64, B(0x44, 0x66, 0x89, 0x07),
	  ST(2, RAX) },
	{ "[REX.W then REX.R: the last wins]", M64, B(0x48, 0x44, 0x89, 0x07),
	  ST(4, R8) },
	{ "[REX then 66 on a byte store: AH again]", M64,
	  B(0x40, 0x66, 0x88, 0x27), ST(1, RAX), FL(F_HI) },
	{ "[F3 on MOV (XRELEASE): ignored]", M64, B(0xf3, 0x89, 0x07),
	  ST(4, RAX) },

	/* 64-bit mode: MOV r/m,imm (C6 /0, C7 /0). */
	{ "movb $0x12,(%rdi)", M64, B(0xc6, 0x07, 0x12), IM(1, 0x12) },
	{ "movw $0x1234,(%rdi)", M64, B(0x66, 0xc7, 0x07, 0x34, 0x12),
	  IM(2, 0x1234) },
	{ "movl $0x12345678,(%rdi)", M64,
	  B(0xc7, 0x07, 0x78, 0x56, 0x34, 0x12), IM(4, 0x12345678) },
	{ "movq $0xffffffffffffffff,(%rdi)", M64,
	  B(0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff), IM(8, ~0ULL) },
	{ "movq $0x7fffffff,(%rdi)", M64,
	  B(0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0x7f), IM(8, 0x7fffffff) },
	{ "movq $0xffffffff80000000,(%rdi)", M64,
	  B(0x48, 0xc7, 0x07, 0x00, 0x00, 0x00, 0x80),
	  IM(8, 0xffffffff80000000ULL) },
	{ "movl $0x80000000,0x10(%rip)", M64,
	  B(0xc7, 0x05, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80),
	  IM(4, 0x80000000) },
	{ "movb $0xff,-0x1(%rbp,%rcx,1)", M64,
	  B(0xc6, 0x44, 0x0d, 0xff, 0xff), IM(1, 0xff), SEG(SS) },
	{ "movq $0x1,%gs:0x0", M64,
	  B(0x65, 0x48, 0xc7, 0x04, 0x25, 0, 0, 0, 0, 0x01, 0, 0, 0),
	  IM(8, 1), SEG(GS) },
	{ "movw $0x8001,0x12345678(%r8,%r9,8)", M64,
	  B(0x66, 0x43, 0xc7, 0x84, 0xc8, 0x78, 0x56, 0x34, 0x12, 0x01, 0x80),
	  IM(2, 0x8001) },
	{ "[15 bytes: F3 64 67 REX.W C7 SIB disp32 imm32]", M64,
	  B(0xf3, 0x64, 0x67, 0x48, 0xc7, 0x84, 0x88,
	    0x44, 0x33, 0x22, 0x11, 0x78, 0x56, 0x34, 0x12),
	  IM(8, 0x12345678), SEG(FS), ASZ(4) },

	/* 64-bit mode: MOV with moffs (A0-A3), 8-byte offset unless 67. */
	{ "movabs 0x1122334455667788,%eax", M64,
	  B(0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	  LD(4, 4, RAX) },
	{ "movabs 0x1122334455667788,%al", M64,
	  B(0xa0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	  LD(1, 1, RAX) },
	{ "movabs %rax,0x1122334455667788", M64,
	  B(0x48, 0xa3, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	  ST(8, RAX) },
	{ "movabs %ax,0x1122334455667788", M64,
	  B(0x66, 0xa3, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	  ST(2, RAX) },
	{ "movabs %al,0x1122334455667788", M64,
	  B(0xa2, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	  ST(1, RAX) },
	{ "addr32 mov 0x11223344,%eax", M64,
	  B(0x67, 0xa1, 0x44, 0x33, 0x22, 0x11), LD(4, 4, RAX), ASZ(4) },
	{ "movabs %fs:0x10,%al", M64, B(0x64, 0xa0, 0x10, 0, 0, 0, 0, 0, 0, 0),
	  LD(1, 1, RAX), SEG(FS) },
	{ "[REX.B on A1: still rAX]", M64,
	  B(0x49, 0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	  LD(8, 8, RAX) },

	/* 64-bit mode: MOVZX, MOVSX, MOVSXD. */
	{ "movzbl (%rdi),%eax", M64, B(0x0f, 0xb6, 0x07), LD(1, 4, RAX) },
	{ "movzwl (%rdi),%eax", M64, B(0x0f, 0xb7, 0x07), LD(2, 4, RAX) },
	{ "movzbq (%rdi),%r8", M64, B(0x4c, 0x0f, 0xb6, 0x07), LD(1, 8, R8) },
	{ "movzbw (%rdi),%ax", M64, B(0x66, 0x0f, 0xb6, 0x07), LD(1, 2, RAX) },
	{ "movzwq (%rdi),%rax", M64, B(0x48, 0x0f, 0xb7, 0x07),
	  LD(2, 8, RAX) },
	{ "[66 0F B7: movzww]", M64, B(0x66, 0x0f, 0xb7, 0x07), LD(2, 2, RAX) },
	{ "movzbl (%rdi),%esi", M64, B(0x0f, 0xb6, 0x37), LD(1, 4, RSI) },
	{ "movsbl (%rdi),%eax", M64, B(0x0f, 0xbe, 0x07), LD(1, 4, RAX),
	  FL(F_SX) },
	{ "movswl (%rdi),%eax", M64, B(0x0f, 0xbf, 0x07), LD(2, 4, RAX),
	  FL(F_SX) },
	{ "movsbq (%rdi),%rax", M64, B(0x48, 0x0f, 0xbe, 0x07),
	  LD(1, 8, RAX), FL(F_SX) },
	{ "movswq 0x10(%rsi),%r10", M64, B(0x4c, 0x0f, 0xbf, 0x56, 0x10),
	  LD(2, 8, R10), FL(F_SX) },
	{ "movsbw (%rdi),%ax", M64, B(0x66, 0x0f, 0xbe, 0x07), LD(1, 2, RAX),
	  FL(F_SX) },
	{ "movslq (%rdi),%rax", M64, B(0x48, 0x63, 0x07), LD(4, 8, RAX),
	  FL(F_SX) },
	{ "movslq 0x1234(%rbx,%rdi,2),%r13", M64,
	  B(0x4c, 0x63, 0xac, 0x7b, 0x34, 0x12, 0x00, 0x00), LD(4, 8, R13),
	  FL(F_SX) },
	{ "movsxd (%rdi),%eax", M64, B(0x63, 0x07), LD(4, 4, RAX), FL(F_SX) },
	{ "[66 63: movsxd (%rdi),%ax]", M64, B(0x66, 0x63, 0x07),
	  LD(2, 2, RAX), FL(F_SX) },

	/* 64-bit mode: MOVNTI. */
	{ "movnti %eax,(%rdi)", M64, B(0x0f, 0xc3, 0x07), ST(4, RAX) },
	{ "movnti %r8,(%rdi)", M64, B(0x4c, 0x0f, 0xc3, 0x07), ST(8, R8) },

	/* 64-bit mode: STOS and MOVS, one element each. */
	{ "stos %al,%es:(%rdi)", M64, B(0xaa), STOS(1) },
	{ "stos %eax,%es:(%rdi)", M64, B(0xab), STOS(4) },
	{ "stos %rax,%es:(%rdi)", M64, B(0x48, 0xab), STOS(8) },
	{ "stos %ax,%es:(%rdi)", M64, B(0x66, 0xab), STOS(2) },
	{ "rep stos %eax,%es:(%rdi)", M64, B(0xf3, 0xab), STOS(4), FL(F_REP) },
	{ "rep stos %rax,%es:(%rdi)", M64, B(0xf3, 0x48, 0xab), STOS(8),
	  FL(F_REP) },
	{ "addr32 rep stos %al,%es:(%edi)", M64, B(0x67, 0xf3, 0xaa), STOS(1),
	  FL(F_REP), ASZ(4) },
	{ "[repne stosb: repeats like rep]", M64, B(0xf2, 0xaa), STOS(1),
	  FL(F_REP) },
	{ "[fs override on stos: destination stays ES]", M64, B(0x64, 0xaa),
	  STOS(1) },
	{ "movsb %ds:(%rsi),%es:(%rdi)", M64, B(0xa4), MOVS(1) },
	{ "movsl %ds:(%rsi),%es:(%rdi)", M64, B(0xa5), MOVS(4) },
	{ "movsq %ds:(%rsi),%es:(%rdi)", M64, B(0x48, 0xa5), MOVS(8) },
	{ "rep movsq %ds:(%rsi),%es:(%rdi)", M64, B(0xf3, 0x48, 0xa5), MOVS(8),
	  FL(F_REP) },
	{ "movsw %fs:(%rsi),%es:(%rdi)", M64, B(0x64, 0x66, 0xa5), MOVS(2),
	  SEG(FS) },

	/* 32-bit mode. */
	{ "mov %eax,(%edi)", M32, B(0x89, 0x07), ST(4, RAX) },
	{ "mov %ax,(%edi)", M32, B(0x66, 0x89, 0x07), ST(2, RAX) },
	{ "mov %ah,(%edi)", M32, B(0x88, 0x27), ST(1, RAX), FL(F_HI) },
	{ "mov %dl,(%ebx)", M32, B(0x88, 0x13), ST(1, RDX) },
	{ "mov 0x12345678,%ecx", M32, B(0x8b, 0x0d, 0x78, 0x56, 0x34, 0x12),
	  LD(4, 4, RCX) },
	{ "movl $0x1,0x10(%ebp)", M32, B(0xc7, 0x45, 0x10, 0x01, 0, 0, 0),
	  IM(4, 1), SEG(SS) },
	{ "movw $0xbeef,(%ecx)", M32, B(0x66, 0xc7, 0x01, 0xef, 0xbe),
	  IM(2, 0xbeef) },
	{ "mov 0x11223344,%eax", M32, B(0xa1, 0x44, 0x33, 0x22, 0x11),
	  LD(4, 4, RAX) },
	{ "mov %al,0x11223344", M32, B(0xa2, 0x44, 0x33, 0x22, 0x11),
	  ST(1, RAX) },
	{ "addr16 mov 0x1234,%eax", M32, B(0x67, 0xa1, 0x34, 0x12),
	  LD(4, 4, RAX), ASZ(2) },
	{ "addr16 mov %eax,(%bx,%si)", M32, B(0x67, 0x89, 0x00), ST(4, RAX),
	  ASZ(2) },
	{ "addr16 mov %eax,0x10(%bp)", M32, B(0x67, 0x89, 0x46, 0x10),
	  ST(4, RAX), SEG(SS), ASZ(2) },
	{ "mov %eax,0x4(%esp)", M32, B(0x89, 0x44, 0x24, 0x04), ST(4, RAX),
	  SEG(SS) },
	{ "mov %eax,(%esp)", M32, B(0x89, 0x04, 0x24), ST(4, RAX), SEG(SS) },
	{ "mov %eax,0x10(,%ebp,2)", M32,
	  B(0x89, 0x04, 0x6d, 0x10, 0x00, 0x00, 0x00), ST(4, RAX) },
	{ "mov %cs:(%eax),%eax", M32, B(0x2e, 0x8b, 0x00), LD(4, 4, RAX),
	  SEG(CS) },
	{ "mov %eax,%es:(%eax)", M32, B(0x26, 0x89, 0x00), ST(4, RAX),
	  SEG(ES) },
	{ "mov %eax,%ss:(%eax)", M32, B(0x36, 0x89, 0x00), ST(4, RAX),
	  SEG(SS) },
	{ "mov %eax,%ds:0x0(%ebp)", M32, B(0x3e, 0x89, 0x45, 0x00),
	  ST(4, RAX), SEG(DS) },
	{ "mov %eax,%gs:(%eax)", M32, B(0x65, 0x89, 0x00), ST(4, RAX),
	  SEG(GS) },
	{ "movzbl (%esi),%ecx", M32, B(0x0f, 0xb6, 0x0e), LD(1, 4, RCX) },
	{ "movsbw (%edi),%ax", M32, B(0x66, 0x0f, 0xbe, 0x07), LD(1, 2, RAX),
	  FL(F_SX) },
	{ "movswl (%edi),%edx", M32, B(0x0f, 0xbf, 0x17), LD(2, 4, RDX),
	  FL(F_SX) },
	{ "movnti %eax,(%ecx)", M32, B(0x0f, 0xc3, 0x01), ST(4, RAX) },
	{ "rep movsl %ds:(%esi),%es:(%edi)", M32, B(0xf3, 0xa5), MOVS(4),
	  FL(F_REP) },
	{ "rep stos %eax,%es:(%di)", M32, B(0x67, 0xf3, 0xab), STOS(4),
	  FL(F_REP), ASZ(2) },
	{ "stos %ax,%es:(%edi)", M32, B(0x66, 0xab), STOS(2) },

	/* 16-bit mode. */
	{ "mov %ax,(%bx)", M16, B(0x89, 0x07), ST(2, RAX) },
	{ "mov %eax,(%bx)", M16, B(0x66, 0x89, 0x07), ST(4, RAX) },
	{ "mov (%si),%al", M16, B(0x8a, 0x04), LD(1, 1, RAX) },
	{ "mov (%bx,%di),%dh", M16, B(0x8a, 0x31), LD(1, 1, RDX), FL(F_HI) },
	{ "mov 0x1234,%ax", M16, B(0xa1, 0x34, 0x12), LD(2, 2, RAX) },
	{ "mov %cx,0x1234", M16, B(0x89, 0x0e, 0x34, 0x12), ST(2, RCX) },
	{ "mov 0x10(%bp),%ax", M16, B(0x8b, 0x46, 0x10), LD(2, 2, RAX),
	  SEG(SS) },
	{ "mov 0x1234(%bp,%si),%ax", M16, B(0x8b, 0x82, 0x34, 0x12),
	  LD(2, 2, RAX), SEG(SS) },
	{ "mov (%bp,%di),%ax", M16, B(0x8b, 0x03), LD(2, 2, RAX), SEG(SS) },
	{ "mov 0x0(%bp),%ax", M16, B(0x8b, 0x46, 0x00), LD(2, 2, RAX),
	  SEG(SS) },
	{ "mov -0x2(%bx,%si),%sp", M16, B(0x8b, 0x60, 0xfe), LD(2, 2, RSP) },
	{ "movw $0x1234,(%bx)", M16, B(0xc7, 0x07, 0x34, 0x12), IM(2, 0x1234) },
	{ "movl $0x12345678,(%bx)", M16,
	  B(0x66, 0xc7, 0x07, 0x78, 0x56, 0x34, 0x12), IM(4, 0x12345678) },
	{ "movb $0x55,0x1234(%bx)", M16, B(0xc6, 0x87, 0x34, 0x12, 0x55),
	  IM(1, 0x55) },
	{ "addr32 mov %ax,(%eax)", M16, B(0x67, 0x89, 0x00), ST(2, RAX),
	  ASZ(4) },
	{ "addr32 mov %eax,(%eax)", M16, B(0x67, 0x66, 0x89, 0x00),
	  ST(4, RAX), ASZ(4) },
	{ "addr32 mov %ax,0x12345678(,%eax,4)", M16,
	  B(0x67, 0x89, 0x04, 0x85, 0x78, 0x56, 0x34, 0x12), ST(2, RAX),
	  ASZ(4) },
	{ "addr32 mov 0x12345678,%al", M16,
	  B(0x67, 0xa0, 0x78, 0x56, 0x34, 0x12), LD(1, 1, RAX), ASZ(4) },
	{ "movzbw (%bx),%ax", M16, B(0x0f, 0xb6, 0x07), LD(1, 2, RAX) },
	{ "movzbl (%bx),%eax", M16, B(0x66, 0x0f, 0xb6, 0x07), LD(1, 4, RAX) },
	{ "movswl (%bx),%eax", M16, B(0x66, 0x0f, 0xbf, 0x07), LD(2, 4, RAX),
	  FL(F_SX) },
	{ "movnti %eax,(%bx)", M16, B(0x0f, 0xc3, 0x07), ST(4, RAX) },
	{ "mov %es:(%di),%al", M16, B(0x26, 0x8a, 0x05), LD(1, 1, RAX),
	  SEG(ES) },
	{ "mov %cs:0x1234,%al", M16, B(0x2e, 0xa0, 0x34, 0x12), LD(1, 1, RAX),
	  SEG(CS) },
	{ "rep stos %al,%es:(%di)", M16, B(0xf3, 0xaa), STOS(1), FL(F_REP) },
	{ "rep movsw %ds:(%si),%es:(%di)", M16, B(0xf3, 0xa5), MOVS(2),
	  FL(F_REP) },
	{ "stos %eax,%es:(%di)", M16, B(0x66, 0xab), STOS(4) },
	{ "rep stos %eax,%es:(%di)", M16, B(0x66, 0xf3, 0xab), STOS(4),
	  FL(F_REP) },

	/* Unsupported: other instructions, register forms, #UD forms. */
	{ "[lock mov %eax,(%rdi)]", M64, B(0xf0, 0x89, 0x07), ERR(EOPNOTSUPP) },
	{ "[lock stosb]", M64, B(0xf0, 0xaa), ERR(EOPNOTSUPP) },
	{ "mov %eax,%ebx", M64, B(0x89, 0xc3), ERR(EOPNOTSUPP) },
	{ "{load} mov %ebx,%eax", M64, B(0x8b, 0xc3), ERR(EOPNOTSUPP) },
	{ "movzbl %al,%eax", M64, B(0x0f, 0xb6, 0xc0), ERR(EOPNOTSUPP) },
	{ "[C7 /0 register form]", M64, B(0xc7, 0xc0, 1, 0, 0, 0),
	  ERR(EOPNOTSUPP) },
	{ "[C6 /1]", M64, B(0xc6, 0x0f, 0x12), ERR(EOPNOTSUPP) },
	{ "[C7 /7: XBEGIN]", M64, B(0xc7, 0xf8, 0, 0, 0, 0), ERR(EOPNOTSUPP) },
	{ "add %eax,(%rdi)", M64, B(0x01, 0x07), ERR(EOPNOTSUPP) },
	{ "orl $0x1,(%rdi)", M64, B(0x83, 0x0f, 0x01), ERR(EOPNOTSUPP) },
	{ "xchg %eax,(%rdi)", M64, B(0x87, 0x07), ERR(EOPNOTSUPP) },
	{ "test %eax,(%rdi)", M64, B(0x85, 0x07), ERR(EOPNOTSUPP) },
	{ "cmpsb %es:(%rdi),%ds:(%rsi)", M64, B(0xa6), ERR(EOPNOTSUPP) },
	{ "lods %ds:(%rsi),%al", M64, B(0xac), ERR(EOPNOTSUPP) },
	{ "nop", M64, B(0x90), ERR(EOPNOTSUPP) },
	{ "ud2", M64, B(0x0f, 0x0b), ERR(EOPNOTSUPP) },
	{ "vmovdqa (%rdi),%xmm0", M64, B(0xc5, 0xf9, 0x6f, 0x07),
	  ERR(EOPNOTSUPP) },
	{ "[66 0F C3: movnti has no 16-bit form]", M64,
	  B(0x66, 0x0f, 0xc3, 0x07), ERR(EOPNOTSUPP) },
	{ "[F3 0F C3]", M64, B(0xf3, 0x0f, 0xc3, 0x07), ERR(EOPNOTSUPP) },
	{ "[movnti register form]", M64, B(0x0f, 0xc3, 0xc0),
	  ERR(EOPNOTSUPP) },
	{ "[48 in 32-bit mode: dec %eax]", M32, B(0x48, 0x89, 0x07),
	  ERR(EOPNOTSUPP) },
	{ "arpl %ax,(%edi)", M32, B(0x63, 0x07), ERR(EOPNOTSUPP) },
	{ "[63 in 16-bit mode: arpl]", M16, B(0x63, 0x07), ERR(EOPNOTSUPP) },

	/* Truncated and over-long input, bad mode. */
	{ "[empty]", M64, .n = 0, ERR(ENODATA) },
	{ "[REX alone]", M64, B(0x48), ERR(ENODATA) },
	{ "[prefixes alone]", M64, B(0x66, 0x67, 0xf3), ERR(ENODATA) },
	{ "[escape alone]", M32, B(0x0f), ERR(ENODATA) },
	{ "[mov without its moffs]", M64, B(0xa1, 0x11, 0x22, 0x33, 0x44),
	  ERR(ENODATA) },
	{ "[15 prefixes]", M64,
	  B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x66, 0x66, 0x66, 0x89, 0x07), ERR(EINVAL) },
	{ "[14 prefixes: ModRM would be the 16th byte]", M64,
	  B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x66, 0x66, 0x89, 0x07), ERR(EINVAL) },
	{ "[16 bytes: 5 prefixes, C7, SIB, disp32, imm32]", M64,
	  B(0x26, 0xf3, 0x64, 0x67, 0x48, 0xc7, 0x84, 0x88,
	    0x44, 0x33, 0x22, 0x11, 0x78, 0x56, 0x34, 0x12), ERR(EINVAL) },
	{ "[mode 8]", 8, B(0x89, 0x07), ERR(EINVAL) },
};

/* Pages whose second is inaccessible: a read past the input faults. */
static u8 *guard;
static long page_size;

static int setup(void **state)
{
	(void)state;
	page_size = sysconf(_SC_PAGESIZE);
	guard = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard == MAP_FAILED)
		return -1;
	return mprotect(guard + page_size, page_size, PROT_NONE);
}

static int teardown(void **state)
{
	(void)state;
	return munmap(guard, 2 * page_size);
}

/* Decode @n bytes of @bytes placed right before the inaccessible page. */
static int decode_at_end(const u8 *bytes, unsigned int n, unsigned int mode,
			 struct mkvm_insn *insn)
{
	u8 *p = guard + page_size - n;

	memcpy(p, bytes, n);
	return mkvm_decode(p, n, mode, insn);
}

/* Fail naming the row when @got is not @want. */
#define EXPECT(r, what, got, want)					\
	do {								\
		unsigned long long g_ = (got), w_ = (want);		\
									\
		if (g_ != w_)						\
			fail_msg("%s (%u-bit): %s is %#llx, want %#llx",	\
				 (r)->text, (r)->mode, what, g_, w_);	\
	} while (0)

#define EXPECT_RET(r, what, got, want)					\
	do {								\
		int g_ = (got), w_ = (want);				\
									\
		if (g_ != w_)						\
			fail_msg("%s (%u-bit): %s %d, want %d", (r)->text, \
				 (r)->mode, what, g_, w_);		\
	} while (0)

#define EXPECT_FIELD(r, insn, field, want)				\
	EXPECT(r, #field, (insn)->field, want)

static void check_insn(const struct row *r, const struct mkvm_insn *insn)
{
	EXPECT_FIELD(r, insn, len, r->len ? r->len : r->n);
	EXPECT_FIELD(r, insn, op, r->op);
	EXPECT_FIELD(r, insn, size, r->size);
	EXPECT_FIELD(r, insn, reg_size, r->reg_size);
	EXPECT_FIELD(r, insn, reg, r->reg);
	EXPECT_FIELD(r, insn, addr_size, r->asz ? r->asz : r->mode / 8);
	EXPECT_FIELD(r, insn, seg, r->seg ? r->seg - 1 : MKVM_SEG_DS);
	EXPECT_FIELD(r, insn, high_byte, !!(r->flags & F_HI));
	EXPECT_FIELD(r, insn, sign_extend, !!(r->flags & F_SX));
	EXPECT_FIELD(r, insn, rep, !!(r->flags & F_REP));
	EXPECT_FIELD(r, insn, imm, r->imm);
	EXPECT_FIELD(r, insn, is_read,
		     r->op == MKVM_INSN_LOAD || r->op == MKVM_INSN_MOVS);
	EXPECT_FIELD(r, insn, is_write, r->op != MKVM_INSN_LOAD);
}

static void check_row(const struct row *r)
{
	struct mkvm_insn insn, again;
	u8 padded[MKVM_INSN_MAX_LEN + 8];
	unsigned int i;

	EXPECT_RET(r, "returns", decode_at_end(r->bytes, r->n, r->mode, &insn),
	       r->ret);
	if (r->ret)
		return;
	check_insn(r, &insn);

	/* Every truncation asks for more bytes. */
	for (i = 0; i < insn.len; i++)
		EXPECT_RET(r, "returns, truncated,",
		       decode_at_end(r->bytes, i, r->mode, &again), -ENODATA);

	/* Whatever follows the instruction is not part of it. */
	memcpy(padded, r->bytes, insn.len);
	memset(padded + insn.len, 0x0f, sizeof(padded) - insn.len);
	EXPECT_RET(r, "returns, followed by more bytes,",
	       mkvm_decode(padded, sizeof(padded), r->mode, &again), 0);
	check_insn(r, &again);
}

static void test_table(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++)
		check_row(&rows[i]);
	print_message("# decode: %zu table rows\n",
		      ARRAY_SIZE(rows));
}

/* Decode @bytes (64-bit mode unless @mode) and assert success. */
static struct mkvm_insn decode_ok(unsigned int mode, const u8 *bytes,
				  unsigned int n)
{
	struct mkvm_insn insn;

	assert_int_equal(mkvm_decode(bytes, n, mode, &insn), 0);
	return insn;
}

#define DECODE(mode, ...)						\
	decode_ok(mode, (const u8[]){ __VA_ARGS__ },			\
		  sizeof((u8[]){ __VA_ARGS__ }))

static void init_gprs(u64 *gprs)
{
	unsigned int i;

	for (i = 0; i < MKVM_NR_GPRS; i++)
		gprs[i] = 0x1111111111111111ULL * i + 0x0102030405060708ULL;
}

/* The value a store writes: register bytes, AH..BH, immediates, STOS. */
static void test_store_value(void **state)
{
	u64 gprs[MKVM_NR_GPRS] = { 0 };
	struct mkvm_insn insn;

	(void)state;
	gprs[MKVM_RAX] = 0x8877665544332211ULL;
	gprs[MKVM_RBX] = 0xa0b0c0d0e0f0a1b1ULL;
	gprs[MKVM_R9] = 0xfedcba9876543210ULL;

	insn = DECODE(M64, 0x88, 0x07);			/* mov %al,(%rdi) */
	assert_int_equal(mkvm_insn_store_value(&insn, gprs), 0x11);
	insn = DECODE(M64, 0x88, 0x3f);			/* mov %bh,(%rdi) */
	assert_int_equal(mkvm_insn_store_value(&insn, gprs), 0xa1);
	insn = DECODE(M64, 0x40, 0x88, 0x3f);		/* mov %dil,(%rdi) */
	gprs[MKVM_RDI] = 0x1234;
	assert_int_equal(mkvm_insn_store_value(&insn, gprs), 0x34);
	insn = DECODE(M64, 0x66, 0x89, 0x07);		/* mov %ax,(%rdi) */
	assert_int_equal(mkvm_insn_store_value(&insn, gprs), 0x2211);
	insn = DECODE(M64, 0x44, 0x89, 0x0f);		/* mov %r9d,(%rdi) */
	assert_int_equal(mkvm_insn_store_value(&insn, gprs), 0x76543210);
	insn = DECODE(M64, 0x4c, 0x89, 0x0f);		/* mov %r9,(%rdi) */
	assert_int_equal(mkvm_insn_store_value(&insn, gprs),
			 0xfedcba9876543210ULL);
	insn = DECODE(M64, 0x48, 0xc7, 0x07, 0xfe, 0xff, 0xff, 0xff);
	assert_int_equal(mkvm_insn_store_value(&insn, gprs),
			 0xfffffffffffffffeULL);
	insn = DECODE(M64, 0xc7, 0x07, 0xfe, 0xff, 0xff, 0xff);
	assert_int_equal(mkvm_insn_store_value(&insn, gprs), 0xfffffffe);
	insn = DECODE(M64, 0x66, 0xab);			/* stosw */
	assert_int_equal(mkvm_insn_store_value(&insn, gprs), 0x2211);
	insn = DECODE(M64, 0x48, 0xab);			/* stosq */
	assert_int_equal(mkvm_insn_store_value(&insn, gprs),
			 0x8877665544332211ULL);
	/* movabs %al,moffs */
	insn = DECODE(M64, 0xa2, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11);
	assert_int_equal(mkvm_insn_store_value(&insn, gprs), 0x11);
	insn = DECODE(M64, 0x8b, 0x07);			/* a load */
	assert_int_equal(mkvm_insn_store_value(&insn, gprs), 0);
	insn = DECODE(M64, 0xa5);			/* movsl */
	assert_int_equal(mkvm_insn_store_value(&insn, gprs), 0);
}

/* Load @data with @insn into registers from init_gprs(); return @reg. */
static u64 load(const struct mkvm_insn *insn, u64 data, enum mkvm_gpr reg)
{
	u64 gprs[MKVM_NR_GPRS], before[MKVM_NR_GPRS];
	unsigned int i;

	init_gprs(gprs);
	memcpy(before, gprs, sizeof(gprs));
	mkvm_insn_complete_load(insn, gprs, data);
	for (i = 0; i < MKVM_NR_GPRS; i++)
		if (i != reg)
			assert_int_equal(gprs[i], before[i]);
	return gprs[reg];
}

/*
 * The destination-register rules (SDM Vol. 1, "General-Purpose Registers
 * in 64-Bit Mode"): 8- and 16-bit writes keep the other bits, AH..BH are
 * bits 15:8, 32-bit writes zero-extend; MOVZX/MOVSX widen first.  Bytes of
 * @data above the access size are ignored.
 */
static void test_complete_load(void **state)
{
	struct mkvm_insn insn;
	u64 rax, rcx;

	(void)state;
	rax = 0x0102030405060708ULL;
	rcx = rax + 0x1111111111111111ULL;

	insn = DECODE(M64, 0x8a, 0x07);			/* mov (%rdi),%al */
	assert_int_equal(load(&insn, 0xffab, MKVM_RAX),
			 (rax & ~0xffULL) | 0xab);
	insn = DECODE(M64, 0x8a, 0x27);			/* mov (%rdi),%ah */
	assert_int_equal(load(&insn, 0xffab, MKVM_RAX),
			 (rax & ~0xff00ULL) | 0xab00);
	insn = DECODE(M64, 0x8a, 0x2f);			/* mov (%rdi),%ch */
	assert_int_equal(load(&insn, 0xcd, MKVM_RCX),
			 (rcx & ~0xff00ULL) | 0xcd00);
	insn = DECODE(M64, 0x40, 0x8a, 0x27);		/* mov (%rdi),%spl */
	assert_int_equal(load(&insn, 0xcd, MKVM_RSP),
			 ((rax + 4 * 0x1111111111111111ULL) & ~0xffULL) | 0xcd);
	insn = DECODE(M64, 0x66, 0x8b, 0x07);		/* mov (%rdi),%ax */
	assert_int_equal(load(&insn, 0xffffbeef, MKVM_RAX),
			 (rax & ~0xffffULL) | 0xbeef);
	insn = DECODE(M64, 0x8b, 0x07);			/* mov (%rdi),%eax */
	assert_int_equal(load(&insn, 0xdeadbeefcafef00dULL, MKVM_RAX),
			 0xcafef00d);
	insn = DECODE(M32, 0x8b, 0x07);			/* 32-bit mode too */
	assert_int_equal(load(&insn, 0x80000000, MKVM_RAX), 0x80000000);
	insn = DECODE(M64, 0x48, 0x8b, 0x07);		/* mov (%rdi),%rax */
	assert_int_equal(load(&insn, 0xdeadbeefcafef00dULL, MKVM_RAX),
			 0xdeadbeefcafef00dULL);
	insn = DECODE(M16, 0x8b, 0x07);			/* mov (%bx),%ax */
	assert_int_equal(load(&insn, 0x8001, MKVM_RAX),
			 (rax & ~0xffffULL) | 0x8001);

	insn = DECODE(M64, 0x0f, 0xb6, 0x07);		/* movzbl */
	assert_int_equal(load(&insn, 0x1ff, MKVM_RAX), 0xff);
	insn = DECODE(M64, 0x66, 0x0f, 0xb6, 0x07);	/* movzbw */
	assert_int_equal(load(&insn, 0x80, MKVM_RAX),
			 (rax & ~0xffffULL) | 0x80);
	insn = DECODE(M64, 0x48, 0x0f, 0xb7, 0x07);	/* movzwq */
	assert_int_equal(load(&insn, 0x12348000, MKVM_RAX), 0x8000);
	insn = DECODE(M64, 0x0f, 0xbe, 0x07);		/* movsbl */
	assert_int_equal(load(&insn, 0x80, MKVM_RAX), 0xffffff80);
	insn = DECODE(M64, 0x0f, 0xbe, 0x07);
	assert_int_equal(load(&insn, 0x17f, MKVM_RAX), 0x7f);
	insn = DECODE(M64, 0x66, 0x0f, 0xbe, 0x07);	/* movsbw */
	assert_int_equal(load(&insn, 0xfe, MKVM_RAX),
			 (rax & ~0xffffULL) | 0xfffe);
	insn = DECODE(M64, 0x48, 0x0f, 0xbf, 0x07);	/* movswq */
	assert_int_equal(load(&insn, 0x8000, MKVM_RAX),
			 0xffffffffffff8000ULL);
	insn = DECODE(M64, 0x48, 0x63, 0x07);		/* movslq */
	assert_int_equal(load(&insn, 0x80000000, MKVM_RAX),
			 0xffffffff80000000ULL);
	insn = DECODE(M64, 0x48, 0x63, 0x07);
	assert_int_equal(load(&insn, 0xffffffff7fffffffULL, MKVM_RAX),
			 0x7fffffff);
	insn = DECODE(M64, 0x63, 0x07);			/* movsxd to %eax */
	assert_int_equal(load(&insn, 0x80000000, MKVM_RAX), 0x80000000);
	/* movabs moffs,%al */
	insn = DECODE(M64, 0xa0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11);
	assert_int_equal(load(&insn, 0x5a, MKVM_RAX), (rax & ~0xffULL) | 0x5a);
	insn = DECODE(M64, 0x4c, 0x8b, 0x3f);		/* mov (%rdi),%r15 */
	assert_int_equal(load(&insn, 42, MKVM_R15), 42);

	/* Anything but a load leaves the registers alone. */
	insn = DECODE(M64, 0x89, 0x07);
	assert_int_equal(load(&insn, 0, MKVM_RAX), rax);
	insn = DECODE(M64, 0xa5);
	assert_int_equal(load(&insn, 0, MKVM_RAX), rax);
}

/* MOV CRn, r: the control register, the source and the length. */
static void check_mov_cr(unsigned int mode, const uint8_t *b, unsigned int n,
			 int ret, uint8_t cr, uint8_t gpr)
{
	uint8_t got_cr = 0xff, got_gpr = 0xff, len = 0;

	assert_int_equal(mkvm_decode_mov_to_cr(b, n, mode, &got_cr, &got_gpr,
					       &len), ret);
	if (ret)
		return;
	assert_int_equal(got_cr, cr);
	assert_int_equal(got_gpr, gpr);
	assert_int_equal(len, n);
}

/*
 * Effective addresses (mkvm_insn_ea()): every ModRM/SIB form in 16-, 32-
 * and 64-bit addressing, RIP-relative, moffs, string instructions, the
 * address-size override and wrap-around.  The registers hold EA_GPRS unless
 * a row sets one (.set/.val); RIP is EA_RIP unless .rip.  Rows checked
 * against GNU as like those above.
 */
#define EA_RAX	0x0000100000001000ULL
#define EA_RCX	0x0000000000000020ULL
#define EA_RDX	0x0000000000000300ULL
#define EA_RBX	0x0000aaaa00004000ULL
#define EA_RSP	0x0000000000007ff0ULL
#define EA_RBP	0x0000000000006000ULL
#define EA_RSI	0x0000000000000050ULL
#define EA_RDI	0xffffffff80000080ULL
#define EA_R8	0x0000000000008000ULL
#define EA_R9	0x0000000000000900ULL
#define EA_R12	0x000000000000c000ULL
#define EA_R13	0x00000000000d0000ULL
#define EA_RIP	0x0000000000401000ULL

static const u64 ea_gprs[MKVM_NR_GPRS] = {
	[MKVM_RAX] = EA_RAX, [MKVM_RCX] = EA_RCX, [MKVM_RDX] = EA_RDX,
	[MKVM_RBX] = EA_RBX, [MKVM_RSP] = EA_RSP, [MKVM_RBP] = EA_RBP,
	[MKVM_RSI] = EA_RSI, [MKVM_RDI] = EA_RDI, [MKVM_R8] = EA_R8,
	[MKVM_R9] = EA_R9, [MKVM_R10] = 0xa0000, [MKVM_R11] = 0xb0000,
	[MKVM_R12] = EA_R12, [MKVM_R13] = EA_R13, [MKVM_R14] = 0xe0000,
	[MKVM_R15] = 0xf0000,
};

struct ea_row {
	const char *text;
	unsigned int mode;
	u8 bytes[16];
	unsigned int n;
	u64 ea;
	u8 seg;			/* 1 + enum mkvm_seg; 0: DS */
	u8 set;			/* 1 + enum mkvm_gpr set to .val; 0: none */
	u64 val;
	u64 rip;		/* 0: EA_RIP */
};

#define SET(r, v)	.set = 1 + MKVM_##r, .val = (v)

static const struct ea_row ea_rows[] = {
	/* 64-bit addressing. */
	{ "mov (%rdi),%eax", M64, B(0x8b, 0x07), EA_RDI },
	{ "mov (%rax),%eax", M64, B(0x8b, 0x00), EA_RAX },
	{ "mov 0x10(%rbx,%rsi,4),%eax", M64, B(0x8b, 0x44, 0xb3, 0x10),
	  EA_RBX + EA_RSI * 4 + 0x10 },
	{ "mov 0x12345678(%rax,%rcx,8),%edx", M64,
	  B(0x8b, 0x94, 0xc8, 0x78, 0x56, 0x34, 0x12),
	  EA_RAX + EA_RCX * 8 + 0x12345678 },
	{ "mov -0x8(%rbp),%rax", M64, B(0x48, 0x8b, 0x45, 0xf8),
	  EA_RBP - 8, SEG(SS) },
	{ "mov -0x80000000(%rbp),%eax", M64,
	  B(0x8b, 0x85, 0x00, 0x00, 0x00, 0x80), EA_RBP - 0x80000000ULL,
	  SEG(SS) },
	{ "mov %eax,-0x10(%rsp)", M64, B(0x89, 0x44, 0x24, 0xf0),
	  EA_RSP - 0x10, SEG(SS) },
	{ "mov (%rdx,%rdx,1),%eax", M64, B(0x8b, 0x04, 0x12), EA_RDX * 2 },
	{ "mov 0x10(,%rcx,8),%eax", M64,
	  B(0x8b, 0x04, 0xcd, 0x10, 0x00, 0x00, 0x00), EA_RCX * 8 + 0x10 },
	{ "mov 0x100,%eax", M64, B(0x8b, 0x04, 0x25, 0x00, 0x01, 0x00, 0x00),
	  0x100 },
	{ "mov -0x100,%eax", M64, B(0x8b, 0x04, 0x25, 0x00, 0xff, 0xff, 0xff),
	  0xffffffffffffff00ULL },
	{ "[mov (%rax,%riz,2),%eax]", M64, B(0x8b, 0x04, 0x60), EA_RAX },
	{ "mov (%r12),%eax", M64, B(0x41, 0x8b, 0x04, 0x24), EA_R12 },
	{ "mov 0x0(%r13),%eax", M64, B(0x41, 0x8b, 0x45, 0x00), EA_R13 },
	{ "mov (%rax,%r12,2),%eax", M64, B(0x42, 0x8b, 0x04, 0x60),
	  EA_RAX + EA_R12 * 2 },
	{ "mov %eax,0x8(%r8,%r9,2)", M64, B(0x43, 0x89, 0x44, 0x48, 0x08),
	  EA_R8 + EA_R9 * 2 + 8 },
	{ "mov %r9,(%r13,%rbp,8)", M64, B(0x4d, 0x89, 0x4c, 0xed, 0x00),
	  EA_R13 + EA_RBP * 8 },
	{ "mov (%rsp,%rbp,1),%eax", M64, B(0x8b, 0x04, 0x2c),
	  EA_RSP + EA_RBP, SEG(SS) },
	{ "mov %fs:0x8(%rsi),%eax", M64, B(0x64, 0x8b, 0x46, 0x08),
	  EA_RSI + 8, SEG(FS) },
	{ "mov -0x1(%rax),%eax, wrapping", M64, B(0x8b, 0x40, 0xff),
	  0xffffffffffffffffULL, 0, SET(RAX, 0) },
	{ "mov 0x10(%rax,%rcx,8),%eax, wrapping", M64,
	  B(0x8b, 0x44, 0xc8, 0x10), 0x8, 0, SET(RAX, 0xfffffffffffffef8ULL) },
	{ "mov 0x20(%rip),%eax", M64, B(0x8b, 0x05, 0x20, 0x00, 0x00, 0x00),
	  EA_RIP + 6 + 0x20 },
	{ "mov -0x10(%rip),%rax", M64,
	  B(0x48, 0x8b, 0x05, 0xf0, 0xff, 0xff, 0xff), EA_RIP + 7 - 0x10 },
	{ "movl $0x1,0x10(%rip)", M64,
	  B(0xc7, 0x05, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00),
	  EA_RIP + 10 + 0x10 },
	{ "movabs 0x1122334455667788,%eax", M64,
	  B(0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	  0x1122334455667788ULL },
	{ "movabs %al,0xfffffffffffffff0", M64,
	  B(0xa2, 0xf0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
	  0xfffffffffffffff0ULL },
	{ "stos %eax,%es:(%rdi)", M64, B(0xab), EA_RDI, SEG(ES) },
	{ "movsl %ds:(%rsi),%es:(%rdi)", M64, B(0xa5), EA_RSI },
	{ "movsq %gs:(%rsi),%es:(%rdi)", M64, B(0x65, 0x48, 0xa5), EA_RSI,
	  SEG(GS) },
	/* 64-bit mode, 32-bit addressing (0x67). */
	{ "mov (%edi),%eax", M64, B(0x67, 0x8b, 0x07), (uint32_t)EA_RDI },
	{ "mov 0x10(%ebx,%esi,4),%eax", M64, B(0x67, 0x8b, 0x44, 0xb3, 0x10),
	  (uint32_t)(EA_RBX + EA_RSI * 4 + 0x10) },
	{ "mov -0x1(%eax),%eax, wrapping", M64, B(0x67, 0x8b, 0x40, 0xff),
	  0xffffffff, 0, SET(RAX, 0x100000000ULL) },
	{ "mov 0x10(%eip),%eax", M64,
	  B(0x67, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00), EA_RIP + 7 + 0x10 },
	{ "mov 0x10(%eip),%eax, wrapping", M64,
	  B(0x67, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00), 0x7, .rip = 0xfffffff0 },
	{ "addr32 mov 0x11223344,%eax", M64,
	  B(0x67, 0xa1, 0x44, 0x33, 0x22, 0x11), 0x11223344 },
	{ "addr32 stos %al,%es:(%edi)", M64, B(0x67, 0xaa), (uint32_t)EA_RDI,
	  SEG(ES) },
	/* 32-bit mode. */
	{ "mov 0x10(%ebx,%esi,4),%eax", M32, B(0x8b, 0x44, 0xb3, 0x10),
	  (uint32_t)(EA_RBX + EA_RSI * 4 + 0x10) },
	{ "mov 0x12345678,%ecx (no RIP-relative)", M32,
	  B(0x8b, 0x0d, 0x78, 0x56, 0x34, 0x12), 0x12345678 },
	{ "mov -0x4(%ebp),%eax", M32, B(0x8b, 0x45, 0xfc),
	  (uint32_t)(EA_RBP - 4), SEG(SS) },
	{ "mov 0x8(,%edx,2),%eax", M32,
	  B(0x8b, 0x04, 0x55, 0x08, 0x00, 0x00, 0x00), EA_RDX * 2 + 8 },
	{ "mov -0x1(%eax),%eax, wrapping", M32, B(0x8b, 0x40, 0xff),
	  0xffffffff, 0, SET(RAX, 0) },
	{ "mov 0x20(%eax,%ecx,8),%eax, wrapping", M32,
	  B(0x8b, 0x44, 0xc8, 0x20), 0x10, 0, SET(RAX, 0xfffffef0) },
	{ "mov %es:(%edi),%eax", M32, B(0x26, 0x8b, 0x07), (uint32_t)EA_RDI,
	  SEG(ES) },
	{ "mov 0x11223344,%eax", M32, B(0xa1, 0x44, 0x33, 0x22, 0x11),
	  0x11223344 },
	{ "stos %al,%es:(%edi)", M32, B(0xaa), (uint32_t)EA_RDI, SEG(ES) },
	/* 32-bit mode, 16-bit addressing (0x67). */
	{ "mov (%bx,%si),%eax", M32, B(0x67, 0x8b, 0x00),
	  (uint16_t)(EA_RBX + EA_RSI) },
	{ "addr16 mov 0x1234,%ecx", M32, B(0x67, 0x8b, 0x0e, 0x34, 0x12),
	  0x1234 },
	{ "addr16 mov 0x1234,%eax", M32, B(0x67, 0xa1, 0x34, 0x12), 0x1234 },
	/* 16-bit mode: every 16-bit form. */
	{ "mov (%bx,%si),%ax", M16, B(0x8b, 0x00), (uint16_t)(EA_RBX + EA_RSI) },
	{ "mov (%bx,%di),%ax", M16, B(0x8b, 0x01), (uint16_t)(EA_RBX + EA_RDI) },
	{ "mov 0x10(%bp,%si),%ax", M16, B(0x8b, 0x42, 0x10),
	  (uint16_t)(EA_RBP + EA_RSI + 0x10), SEG(SS) },
	{ "mov -0x10(%bp,%di),%ax", M16, B(0x8b, 0x43, 0xf0),
	  (uint16_t)(EA_RBP + EA_RDI - 0x10), SEG(SS) },
	{ "mov (%si),%ax", M16, B(0x8b, 0x04), (uint16_t)EA_RSI },
	{ "mov (%di),%ax", M16, B(0x8b, 0x05), (uint16_t)EA_RDI },
	{ "mov 0x1234,%cx", M16, B(0x8b, 0x0e, 0x34, 0x12), 0x1234 },
	{ "mov 0x2(%bp),%ax", M16, B(0x8b, 0x46, 0x02), EA_RBP + 2, SEG(SS) },
	{ "mov (%bx),%ax", M16, B(0x8b, 0x07), (uint16_t)EA_RBX },
	{ "mov 0x1234(%bx,%si),%ax", M16, B(0x8b, 0x80, 0x34, 0x12),
	  (uint16_t)(EA_RBX + EA_RSI + 0x1234) },
	{ "mov -0x7ffe(%bp),%ax", M16, B(0x8b, 0x86, 0x02, 0x80),
	  (uint16_t)(EA_RBP - 0x7ffe), SEG(SS) },
	{ "mov 0x8000(%bx),%ax, wrapping", M16, B(0x8b, 0x87, 0x00, 0x80),
	  0x1000, 0, SET(RBX, 0x9000) },
	{ "mov 0x1(%bx,%si),%ax, wrapping", M16, B(0x8b, 0x40, 0x01),
	  (uint16_t)(EA_RBX + 0x10000), 0, SET(RSI, 0xffff) },
	{ "mov %ds:(%bp),%ax", M16, B(0x3e, 0x8b, 0x46, 0x00), EA_RBP },
	{ "mov 0x1234,%al", M16, B(0xa0, 0x34, 0x12), 0x1234 },
	{ "movsb %ds:(%si),%es:(%di)", M16, B(0xa4), (uint16_t)EA_RSI },
	/* 16-bit mode, 32-bit addressing (0x67). */
	{ "mov 0x10(%ebx,%esi,4),%ax", M16,
	  B(0x67, 0x8b, 0x44, 0xb3, 0x10),
	  (uint32_t)(EA_RBX + EA_RSI * 4 + 0x10) },
	{ "addr32 mov 0x12345678,%ecx", M16,
	  B(0x67, 0x66, 0x8b, 0x0d, 0x78, 0x56, 0x34, 0x12), 0x12345678 },
	{ "addr32 stos %al,%es:(%edi)", M16, B(0x67, 0xaa), (uint32_t)EA_RDI,
	  SEG(ES) },
};

static void test_effective_address(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ea_rows); i++) {
		const struct ea_row *r = &ea_rows[i];
		struct mkvm_insn insn;
		u64 gprs[MKVM_NR_GPRS], ea;

		memcpy(gprs, ea_gprs, sizeof(gprs));
		if (r->set)
			gprs[r->set - 1] = r->val;
		if (mkvm_decode(r->bytes, r->n, r->mode, &insn))
			fail_msg("%s (%u-bit): does not decode", r->text,
				 r->mode);
		if (insn.len != r->n)
			fail_msg("%s (%u-bit): length %u, want %u", r->text,
				 r->mode, insn.len, r->n);
		ea = mkvm_insn_ea(&insn, gprs, r->rip ? r->rip : EA_RIP);
		if (ea != r->ea)
			fail_msg("%s (%u-bit): EA %#llx, want %#llx", r->text,
				 r->mode, (unsigned long long)ea,
				 (unsigned long long)r->ea);
		if (insn.seg != (r->seg ? r->seg - 1 : MKVM_SEG_DS))
			fail_msg("%s (%u-bit): segment %u, want %u", r->text,
				 r->mode, insn.seg,
				 r->seg ? r->seg - 1 : MKVM_SEG_DS);
	}
	print_message("# decode: %zu effective-address rows\n",
		      ARRAY_SIZE(ea_rows));
}

#define MOV_CR(mode, ret, cr, gpr, ...)					\
	check_mov_cr(mode, (const uint8_t[]){ __VA_ARGS__ },		\
		     sizeof((const uint8_t[]){ __VA_ARGS__ }), ret, cr, gpr)

static void test_mov_to_cr(void **state)
{
	(void)state;
	MOV_CR(M64, 0, 4, MKVM_RAX, 0x0f, 0x22, 0xe0);	/* mov %rax,%cr4 */
	MOV_CR(M64, 0, 4, MKVM_RDI, 0x0f, 0x22, 0xe7);	/* mov %rdi,%cr4 */
	MOV_CR(M64, 0, 4, MKVM_R9, 0x41, 0x0f, 0x22, 0xe1); /* mov %r9,%cr4 */
	MOV_CR(M64, 0, 8, MKVM_RAX, 0x44, 0x0f, 0x22, 0xc0); /* mov %rax,%cr8 */
	MOV_CR(M64, 0, 0, MKVM_RBX, 0x0f, 0x22, 0xc3);	/* mov %rbx,%cr0 */
	MOV_CR(M32, 0, 4, MKVM_RCX, 0x0f, 0x22, 0xe1);	/* mov %ecx,%cr4 */
	MOV_CR(M32, 0, 4, MKVM_RCX, 0x0f, 0x22, 0x21);	/* mod is ignored */
	MOV_CR(M16, 0, 4, MKVM_RAX, 0x66, 0x0f, 0x22, 0xe0); /* 66 ignored */
	/* Outside 64-bit mode 0x41 is INC %ecx, not REX. */
	MOV_CR(M32, -EOPNOTSUPP, 0, 0, 0x41, 0x0f, 0x22, 0xe1);
	MOV_CR(M64, -EOPNOTSUPP, 0, 0, 0x0f, 0x20, 0xe0);  /* mov %cr4,%rax */
	MOV_CR(M64, -EOPNOTSUPP, 0, 0, 0xf0, 0x0f, 0x22, 0xc0); /* LOCK */
	MOV_CR(M64, -ENODATA, 0, 0, 0x0f, 0x22);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_store_value),
		cmocka_unit_test(test_complete_load),
		cmocka_unit_test(test_mov_to_cr),
		cmocka_unit_test(test_effective_address),
	};

	return cmocka_run_group_tests_name("decode", tests, setup, teardown);
}
