/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The x86 instruction decoder behind KVM_EXIT_MMIO, shared by the VMX and
 * SVM backends: it reads the bytes of the guest instruction that touched
 * MMIO (a nested-paging fault outside every memory slot, or a write to a
 * read-only slot) and says what the access was: its width, its direction,
 * the register or immediate involved, the instruction length, and the
 * parts of the memory operand's effective address (mkvm_insn_ea()), which
 * locates the operand's bytes when they straddle a page boundary.
 *
 * Only the moves a guest uses to reach device registers are known: MOV in
 * its memory forms, MOVZX, MOVSX, MOVSXD, MOVNTI, STOS and MOVS.  Anything
 * else is -EOPNOTSUPP and the caller reports KVM_EXIT_INTERNAL_ERROR.
 *
 * Pure functions of their arguments: no allocation, no global state, any
 * context.  The same source builds in the kernel module and in the cmocka
 * unit test (selftests/unit/decode_test.c), hence the one block below.
 */
#ifndef MINIKVM_DECODE_H
#define MINIKVM_DECODE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stdint.h>
typedef uint8_t u8;
typedef uint64_t u64;
typedef int64_t s64;
#endif
#include <linux/errno.h>

/* Longest legal instruction (SDM Vol. 2A, "Instruction Format"). */
#define MKVM_INSN_MAX_LEN	15

/* Execution modes mkvm_decode() knows: the default operand/address size. */
#define MKVM_MODE_16		16	/* real, virtual-8086, 16-bit protected */
#define MKVM_MODE_32		32	/* 32-bit protected or compatibility */
#define MKVM_MODE_64		64	/* 64-bit: EFER.LMA and CS.L */

/* General-purpose register numbers, as ModRM/REX encode them. */
enum mkvm_gpr {
	MKVM_RAX, MKVM_RCX, MKVM_RDX, MKVM_RBX,
	MKVM_RSP, MKVM_RBP, MKVM_RSI, MKVM_RDI,
	MKVM_R8, MKVM_R9, MKVM_R10, MKVM_R11,
	MKVM_R12, MKVM_R13, MKVM_R14, MKVM_R15,
	MKVM_NR_GPRS
};

/* Segment registers, as the Sreg field encodes them (and KVM's VCPU_SREG_*). */
enum mkvm_seg {
	MKVM_SEG_ES, MKVM_SEG_CS, MKVM_SEG_SS,
	MKVM_SEG_DS, MKVM_SEG_FS, MKVM_SEG_GS,
};

/* No base or index register in the effective address. */
#define MKVM_EA_NONE		0xff

/* What the instruction does with its memory operand. */
enum mkvm_insn_op {
	MKVM_INSN_LOAD,		/* MOV/MOVZX/MOVSX/MOVSXD reg <- [mem] */
	MKVM_INSN_STORE_REG,	/* MOV/MOVNTI [mem] <- reg */
	MKVM_INSN_STORE_IMM,	/* MOV [mem] <- imm */
	MKVM_INSN_STOS,		/* STOS [ES:rDI] <- rAX, one element */
	MKVM_INSN_MOVS,		/* MOVS [ES:rDI] <- [seg:rSI], one element */
};

/**
 * struct mkvm_insn - one decoded MMIO instruction
 * @len: instruction length in bytes, 1 to 15: what RIP advances by
 * @op: enum mkvm_insn_op
 * @size: bytes of memory the instruction (one element of a string
 *	instruction) reads or writes: 1, 2, 4 or 8
 * @reg_size: LOAD: bytes of @reg written, wider than @size for MOVZX/MOVSX;
 *	STORE_REG, STOS: equal to @size; otherwise 0
 * @addr_size: address size in bytes, 2, 4 or 8: the width of rSI, rDI and
 *	rCX that a string instruction steps
 * @reg: register operand, enum mkvm_gpr: LOAD destination, STORE_REG
 *	source, MKVM_RAX for STOS; otherwise 0
 * @high_byte: @reg (0-3) stands for AH, CH, DH or BH, bits 15:8 of it
 * @sign_extend: MOVSX/MOVSXD: the loaded value is sign-extended to @reg_size
 *	(else zero-extended)
 * @is_read: the instruction reads memory (LOAD, MOVS)
 * @is_write: the instruction writes memory (STORE_*, STOS, MOVS)
 * @rep: STOS/MOVS with a REP (F3) or REPNE (F2) prefix: rCX counts
 * @seg: segment of the memory operand, enum mkvm_seg: an override prefix
 *	or the default (SS for a rBP/rSP base, else DS); ES for STOS; for MOVS
 *	the source's, the destination's being ES
 * @imm: STORE_IMM: the value stored, zero-extended from @size bytes
 * @ea_base: base register of a ModRM operand, enum mkvm_gpr, or
 *	MKVM_EA_NONE (disp only, RIP-relative, moffs, string instructions)
 * @ea_index: index register, enum mkvm_gpr, or MKVM_EA_NONE
 * @ea_scale: what @ea_index is multiplied by: 1, 2, 4 or 8
 * @ea_rip: RIP-relative (64-bit mode, ModRM mod 00 r/m 101): the
 *	displacement is added to the next instruction's RIP
 * @ea_disp: displacement, sign-extended; a moffs offset, zero-extended
 */
struct mkvm_insn {
	u8 len;
	u8 op;
	u8 size;
	u8 reg_size;
	u8 addr_size;
	u8 reg;
	bool high_byte;
	bool sign_extend;
	bool is_read;
	bool is_write;
	bool rep;
	u8 seg;
	u64 imm;
	u8 ea_base;
	u8 ea_index;
	u8 ea_scale;
	bool ea_rip;
	s64 ea_disp;
};

int mkvm_decode(const u8 *bytes, unsigned int avail, unsigned int mode,
		struct mkvm_insn *insn);
int mkvm_decode_mov_to_cr(const u8 *bytes, unsigned int avail,
			  unsigned int mode, u8 *cr, u8 *gpr, u8 *len);
u64 mkvm_insn_store_value(const struct mkvm_insn *insn,
			  const u64 gprs[MKVM_NR_GPRS]);
u64 mkvm_insn_ea(const struct mkvm_insn *insn,
		 const u64 gprs[MKVM_NR_GPRS], u64 rip);
void mkvm_insn_complete_load(const struct mkvm_insn *insn,
			     u64 gprs[MKVM_NR_GPRS], u64 data);

#endif /* MINIKVM_DECODE_H */
