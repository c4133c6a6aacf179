// SPDX-License-Identifier: GPL-2.0-only
/*
 * Decoder of the x86 instructions that reach MMIO, for KVM_EXIT_MMIO.
 *
 * The hardware reports the faulting guest-physical address, but not where
 * the operand starts: the decoder parses prefixes, opcode, ModRM, SIB,
 * displacement and immediate to learn the instruction's length, the width
 * and direction of the access, the register or immediate that supplies or
 * receives the data, and the parts of the operand's effective address, from
 * which mkvm_insn_ea() computes it (emulate.c splits an access that
 * straddles a page boundary with it).
 *
 * Context: any; pure functions of their arguments, no allocation, no global
 * state.  Built into the kernel module and into a userspace unit test.
 *
 * The encoding rules are those of Intel SDM Vol. 2A, Chapter 2
 * "Instruction Format", cited by section below; the instructions' pages are
 * in Vol. 2B (MOV, MOVNTI, MOVS, MOVSX/MOVSXD, MOVZX, STOS).
 */
#include "decode.h"

/* Legacy prefixes (SDM Vol. 2A, "Instruction Prefixes"). */
#define PFX_LOCK		0xf0
#define PFX_REPNE		0xf2
#define PFX_REP			0xf3
#define PFX_OPSIZE		0x66
#define PFX_ADDRSIZE		0x67
#define PFX_ES			0x26
#define PFX_CS			0x2e
#define PFX_SS			0x36
#define PFX_DS			0x3e
#define PFX_FS			0x64
#define PFX_GS			0x65

/* REX prefix, 0100WRXB, 64-bit mode only (SDM Vol. 2A, "REX Prefixes"). */
#define REX_MASK		0xf0
#define REX_BASE		0x40
#define REX_W			0x08	/* 64-bit operand size */
#define REX_R			0x04	/* extends ModRM.reg */
#define REX_X			0x02	/* extends SIB.index */
#define REX_B			0x01	/* extends ModRM.rm and SIB.base */

#define OPCODE_ESCAPE		0x0f	/* two-byte opcode map */

/* Decoding state: a cursor over the instruction's bytes and its prefixes. */
struct decoder {
	const u8 *bytes;
	unsigned int avail;	/* bytes the caller could supply */
	unsigned int pos;	/* next byte to read */
	unsigned int mode;	/* MKVM_MODE_* */
	u8 rex;			/* REX prefix before the opcode, or 0 */
	u8 rep;			/* last of F2/F3, or 0 */
	bool lock;
	bool opsize_pfx;
	bool addrsize_pfx;
	int seg;		/* segment override honoured, or -1 */
	u8 opsize;		/* operand size in bytes, after prefixes */
};

/*
 * Take @n bytes, little-endian, into @val.  A 16th byte is beyond any
 * instruction (-EINVAL); running out of what the caller supplied before that
 * asks it for more (-ENODATA).
 */
static int fetch(struct decoder *d, unsigned int n, u64 *val)
{
	unsigned int i;

	if (d->pos + n > MKVM_INSN_MAX_LEN)
		return -EINVAL;
	if (d->pos + n > d->avail)
		return -ENODATA;
	*val = 0;
	for (i = 0; i < n; i++)
		*val |= (u64)d->bytes[d->pos + i] << (8 * i);
	d->pos += n;
	return 0;
}

static int fetch_byte(struct decoder *d, u8 *byte)
{
	u64 val;
	int ret;

	ret = fetch(d, 1, &val);
	*byte = val;
	return ret;
}

/*
 * Consume the prefixes and return the opcode's first byte in @opcode.
 * A REX prefix counts only right before the opcode; one followed by a legacy
 * prefix is ignored, and CS/DS/ES/SS overrides are ignored in 64-bit mode
 * (SDM Vol. 2A, "REX Prefixes" and "Segment Override Prefixes in 64-Bit
 * Mode").  Of repeated prefixes of one group, the last wins.
 */
static int decode_prefixes(struct decoder *d, u8 *opcode)
{
	u8 b;
	int ret;

	for (;;) {
		ret = fetch_byte(d, &b);
		if (ret)
			return ret;
		switch (b) {
		case PFX_LOCK:
			d->lock = true;
			break;
		case PFX_REPNE:
		case PFX_REP:
			d->rep = b;
			break;
		case PFX_OPSIZE:
			d->opsize_pfx = true;
			break;
		case PFX_ADDRSIZE:
			d->addrsize_pfx = true;
			break;
		case PFX_ES:
		case PFX_CS:
		case PFX_SS:
		case PFX_DS:
			/* Bits 4:3 of these four are the Sreg number. */
			if (d->mode != MKVM_MODE_64)
				d->seg = (b >> 3) & 3;
			break;
		case PFX_FS:
			d->seg = MKVM_SEG_FS;
			break;
		case PFX_GS:
			d->seg = MKVM_SEG_GS;
			break;
		default:
			if (d->mode == MKVM_MODE_64 &&
			    (b & REX_MASK) == REX_BASE) {
				d->rex = b;
				continue;
			}
			*opcode = b;
			return 0;
		}
		d->rex = 0;	/* a legacy prefix after REX voids it */
	}
}

/*
 * Operand and address sizes from the mode, 66/67 and REX.W (SDM Vol. 2A,
 * "Operand-Size and Address-Size Attributes" and Table "Effective Operand-
 * and Address-Size Attributes in 64-Bit Mode": REX.W wins over 66).
 */
static void set_sizes(struct decoder *d, struct mkvm_insn *insn)
{
	switch (d->mode) {
	case MKVM_MODE_16:
		d->opsize = d->opsize_pfx ? 4 : 2;
		insn->addr_size = d->addrsize_pfx ? 4 : 2;
		break;
	case MKVM_MODE_32:
		d->opsize = d->opsize_pfx ? 2 : 4;
		insn->addr_size = d->addrsize_pfx ? 2 : 4;
		break;
	default:
		if (d->rex & REX_W)
			d->opsize = 8;
		else
			d->opsize = d->opsize_pfx ? 2 : 4;
		insn->addr_size = d->addrsize_pfx ? 4 : 8;
		break;
	}
}

/*
 * The base and index of the 16-bit addressing forms, by ModRM r/m (SDM Vol.
 * 2A, Table "16-Bit Addressing Forms with the ModR/M Byte").
 */
static const u8 ea16_base[8] = {
	MKVM_RBX, MKVM_RBX, MKVM_RBP, MKVM_RBP,
	MKVM_RSI, MKVM_RDI, MKVM_RBP, MKVM_RBX,
};

static const u8 ea16_index[8] = {
	MKVM_RSI, MKVM_RDI, MKVM_RSI, MKVM_RDI,
	MKVM_EA_NONE, MKVM_EA_NONE, MKVM_EA_NONE, MKVM_EA_NONE,
};

/* A displacement of @n bytes (0, 1, 2 or 4), sign-extended into @disp. */
static int fetch_disp(struct decoder *d, unsigned int n, s64 *disp)
{
	u64 val;
	int ret;

	ret = fetch(d, n, &val);
	if (ret)
		return ret;
	*disp = n ? (s64)(val << (64 - 8 * n)) >> (64 - 8 * n) : 0;
	return 0;
}

/*
 * Parse ModRM, SIB and displacement of an instruction whose r/m operand
 * must be memory; return ModRM.reg extended by REX.R in @reg, and set the
 * operand's segment and effective-address parts.  Register forms (mod 11b)
 * touch no memory: -EOPNOTSUPP.
 *
 * 16-bit addressing: SDM Vol. 2A, 2.1.5 "Addressing-Mode Encoding of ModR/M
 * and SIB Bytes", Table "16-Bit Addressing Forms with the ModR/M Byte":
 * mod 00 r/m 110 is disp16 alone; BP-based forms default to SS.  32/64-bit
 * addressing: Tables "32-Bit Addressing Forms with the ModR/M Byte" and
 * "... with the SIB Byte": r/m 100 brings a SIB byte; a SIB index of 100
 * (without REX.X) is no index; a base of 101 with mod 00 means disp32 and
 * no base (RIP-relative when it is ModRM's r/m in 64-bit mode, 2.2.1.6
 * "RIP-Relative Addressing").  REX.B plays no part in those two special
 * cases ("Special Cases of REX Encodings"), so R12 needs a SIB and R13 a
 * displacement; REX.X extends the index, REX.B the base.  rSP/rBP bases
 * default to SS (SDM Vol. 1, "Default Segment Selection Rules").
 */
static int decode_modrm(struct decoder *d, struct mkvm_insn *insn, u8 *reg)
{
	u8 modrm, mod, rm, base, sib;
	unsigned int disp;
	u8 def_seg = MKVM_SEG_DS;
	int ret;

	ret = fetch_byte(d, &modrm);
	if (ret)
		return ret;
	mod = modrm >> 6;
	rm = modrm & 7;
	*reg = ((modrm >> 3) & 7) | (d->rex & REX_R ? 8 : 0);
	if (mod == 3)
		return -EOPNOTSUPP;

	insn->ea_base = MKVM_EA_NONE;
	insn->ea_index = MKVM_EA_NONE;
	insn->ea_scale = 1;
	if (insn->addr_size == 2) {
		if (mod == 0 && rm == 6) {
			disp = 2;
		} else {
			disp = mod == 2 ? 2 : mod;
			insn->ea_base = ea16_base[rm];
			insn->ea_index = ea16_index[rm];
		}
		if (rm == 2 || rm == 3 || (rm == 6 && mod != 0))
			def_seg = MKVM_SEG_SS;
	} else {
		base = rm;
		if (rm == 4) {
			u8 index;

			ret = fetch_byte(d, &sib);
			if (ret)
				return ret;
			base = sib & 7;
			index = ((sib >> 3) & 7) | (d->rex & REX_X ? 8 : 0);
			if (index != MKVM_RSP)
				insn->ea_index = index;
			insn->ea_scale = 1 << (sib >> 6);
		}
		if (mod == 0 && base == 5) {
			disp = 4;
			insn->ea_rip = rm == 5 && d->mode == MKVM_MODE_64;
		} else {
			disp = mod == 2 ? 4 : mod;
			insn->ea_base = base | (d->rex & REX_B ? 8 : 0);
			if (!(d->rex & REX_B) && (base == 4 || base == 5))
				def_seg = MKVM_SEG_SS;
		}
	}
	insn->seg = d->seg < 0 ? def_seg : d->seg;
	return fetch_disp(d, disp, &insn->ea_disp);
}

/*
 * The register operand of a ModRM instruction.  A byte register 4-7 is
 * AH, CH, DH, BH without REX and SPL, BPL, SIL, DIL with any REX (SDM Vol.
 * 2A, "Byte-Register Addressing" under "REX Prefixes").
 */
static void set_reg(struct decoder *d, struct mkvm_insn *insn, u8 reg,
		    u8 reg_size)
{
	insn->reg_size = reg_size;
	if (reg_size == 1 && !d->rex && reg >= 4 && reg < 8) {
		insn->reg = reg - 4;
		insn->high_byte = true;
	} else {
		insn->reg = reg;
	}
}

/* MOV r/m,r (88, 89) and MOV r,r/m (8A, 8B): SDM Vol. 2B, "MOV". */
static int decode_mov_modrm(struct decoder *d, struct mkvm_insn *insn,
			    u8 opcode)
{
	u8 reg;
	int ret;

	ret = decode_modrm(d, insn, &reg);
	if (ret)
		return ret;
	insn->size = opcode & 1 ? d->opsize : 1;
	insn->op = opcode & 2 ? MKVM_INSN_LOAD : MKVM_INSN_STORE_REG;
	set_reg(d, insn, reg, insn->size);
	return 0;
}

/*
 * MOV r/m8,imm8 (C6 /0) and MOV r/m,imm16/32 (C7 /0): the immediate
 * follows the displacement; with REX.W imm32 is sign-extended to 64 bits.
 * Other ModRM.reg values are XABORT/XBEGIN or undefined.
 */
static int decode_mov_imm(struct decoder *d, struct mkvm_insn *insn,
			  u8 opcode)
{
	unsigned int imm_size;
	u8 reg;
	int ret;

	ret = decode_modrm(d, insn, &reg);
	if (ret)
		return ret;
	if ((reg & 7) != 0)
		return -EOPNOTSUPP;
	insn->size = opcode & 1 ? d->opsize : 1;
	imm_size = insn->size == 8 ? 4 : insn->size;
	ret = fetch(d, imm_size, &insn->imm);
	if (ret)
		return ret;
	if (insn->size == 8 && (insn->imm & 0x80000000))
		insn->imm |= 0xffffffff00000000ULL;
	insn->op = MKVM_INSN_STORE_IMM;
	return 0;
}

/*
 * MOV AL/rAX,moffs (A0, A1) and MOV moffs,AL/rAX (A2, A3): no ModRM, an
 * offset of the address size follows the opcode, 8 bytes in 64-bit mode
 * unless 67 (SDM Vol. 2B, "MOV", note on moffs).
 */
static int decode_mov_moffs(struct decoder *d, struct mkvm_insn *insn,
			    u8 opcode)
{
	u64 moffs;
	int ret;

	ret = fetch(d, insn->addr_size, &moffs);
	if (ret)
		return ret;
	insn->ea_disp = moffs;
	insn->size = opcode & 1 ? d->opsize : 1;
	insn->op = opcode & 2 ? MKVM_INSN_STORE_REG : MKVM_INSN_LOAD;
	insn->reg = MKVM_RAX;
	insn->reg_size = insn->size;
	insn->seg = d->seg < 0 ? MKVM_SEG_DS : d->seg;
	return 0;
}

/*
 * MOVS (A4, A5) and STOS (AA, AB): no operand bytes.  The destination is
 * always ES:rDI; a segment override applies to MOVS's source (SDM Vol. 2B,
 * "MOVS/MOVSB/MOVSW/MOVSD/MOVSQ").  F2 and F3 both repeat them, as KVM
 * treats them: REPNE is defined only for CMPS/SCAS.
 */
static int decode_string(struct decoder *d, struct mkvm_insn *insn,
			 u8 opcode)
{
	insn->size = opcode & 1 ? d->opsize : 1;
	insn->rep = d->rep != 0;
	if (opcode == 0xaa || opcode == 0xab) {
		insn->op = MKVM_INSN_STOS;
		insn->reg = MKVM_RAX;
		insn->reg_size = insn->size;
		insn->seg = MKVM_SEG_ES;
	} else {
		insn->op = MKVM_INSN_MOVS;
		insn->seg = d->seg < 0 ? MKVM_SEG_DS : d->seg;
	}
	return 0;
}

/*
 * MOVZX (0F B6, 0F B7), MOVSX (0F BE, 0F BF) and MOVSXD (63, 64-bit mode):
 * a byte, word or (MOVSXD with REX.W) doubleword source widened into a
 * register of the operand size (SDM Vol. 2B, "MOVZX", "MOVSX/MOVSXD").
 * MOVSXD without REX.W moves a word or doubleword unchanged, as the SDM
 * documents it (KVM's emulator reads a doubleword whatever the size).
 */
static int decode_movx(struct decoder *d, struct mkvm_insn *insn,
		       unsigned int src_size, bool sign_extend)
{
	u8 reg;
	int ret;

	ret = decode_modrm(d, insn, &reg);
	if (ret)
		return ret;
	insn->op = MKVM_INSN_LOAD;
	insn->size = src_size < d->opsize ? src_size : d->opsize;
	insn->sign_extend = sign_extend;
	set_reg(d, insn, reg, d->opsize);
	return 0;
}

/*
 * MOVNTI m32/m64,r (NP 0F C3 /r): a store with a non-temporal hint of 32
 * bits, or 64 with REX.W, in every mode; a 66, F2 or F3 prefix makes it
 * undefined (SDM Vol. 2B, "MOVNTI").
 */
static int decode_movnti(struct decoder *d, struct mkvm_insn *insn)
{
	u8 reg;
	int ret;

	if (d->opsize_pfx || d->rep)
		return -EOPNOTSUPP;
	ret = decode_modrm(d, insn, &reg);
	if (ret)
		return ret;
	insn->op = MKVM_INSN_STORE_REG;
	insn->size = d->rex & REX_W ? 8 : 4;
	set_reg(d, insn, reg, insn->size);
	return 0;
}

/* The two-byte opcode map (0F xx) entries the decoder knows. */
static int decode_0f(struct decoder *d, struct mkvm_insn *insn)
{
	u8 opcode;
	int ret;

	ret = fetch_byte(d, &opcode);
	if (ret)
		return ret;
	switch (opcode) {
	case 0xb6:
	case 0xb7:
	case 0xbe:
	case 0xbf:
		return decode_movx(d, insn, opcode & 1 ? 2 : 1, opcode & 8);
	case 0xc3:
		return decode_movnti(d, insn);
	default:
		return -EOPNOTSUPP;
	}
}

/* Dispatch on the first opcode byte (SDM Vol. 2D, "Opcode Map"). */
static int decode_opcode(struct decoder *d, struct mkvm_insn *insn, u8 opcode)
{
	switch (opcode) {
	case 0x88 ... 0x8b:
		return decode_mov_modrm(d, insn, opcode);
	case 0xc6:
	case 0xc7:
		return decode_mov_imm(d, insn, opcode);
	case 0xa0 ... 0xa3:
		return decode_mov_moffs(d, insn, opcode);
	case 0xa4:
	case 0xa5:
	case 0xaa:
	case 0xab:
		return decode_string(d, insn, opcode);
	case 0x63:	/* ARPL outside 64-bit mode */
		if (d->mode != MKVM_MODE_64)
			return -EOPNOTSUPP;
		return decode_movx(d, insn, 4, true);
	case OPCODE_ESCAPE:
		return decode_0f(d, insn);
	default:
		return -EOPNOTSUPP;
	}
}

/**
 * mkvm_decode() - decode the instruction that made an MMIO access
 * @bytes: the instruction's bytes, from the guest's RIP
 * @avail: how many of @bytes are valid; more than 15 are never read
 * @mode: MKVM_MODE_16, MKVM_MODE_32 or MKVM_MODE_64, the code segment's
 *	default size (64 with EFER.LMA and CS.L; else 32 with CS.D in
 *	protected mode; 16 in real and virtual-8086 mode)
 * @insn: filled on success, left in an unspecified state on failure
 *
 * Return: 0; -ENODATA if @avail ends inside an instruction shorter than 16
 * bytes (fetch more and retry); -EINVAL for an instruction longer than 15
 * bytes (#GP on hardware) or a bad @mode; -EOPNOTSUPP for an instruction
 * the decoder does not know, a form without a memory operand, or one
 * hardware rejects with #UD (LOCK on any of these moves).
 */
int mkvm_decode(const u8 *bytes, unsigned int avail, unsigned int mode,
		struct mkvm_insn *insn)
{
	struct decoder d = {
		.bytes = bytes, .avail = avail, .mode = mode, .seg = -1,
	};
	u8 opcode;
	int ret;

	if (mode != MKVM_MODE_16 && mode != MKVM_MODE_32 &&
	    mode != MKVM_MODE_64)
		return -EINVAL;
	*insn = (struct mkvm_insn){
		.ea_base = MKVM_EA_NONE, .ea_index = MKVM_EA_NONE,
		.ea_scale = 1,
	};

	ret = decode_prefixes(&d, &opcode);
	if (ret)
		return ret;
	set_sizes(&d, insn);
	ret = decode_opcode(&d, insn, opcode);
	if (ret)
		return ret;
	/* LOCK on a MOV, MOVS or STOS is #UD ("LOCK" in SDM Vol. 2A). */
	if (d.lock)
		return -EOPNOTSUPP;

	insn->len = d.pos;
	insn->is_read = insn->op == MKVM_INSN_LOAD ||
			insn->op == MKVM_INSN_MOVS;
	insn->is_write = insn->op != MKVM_INSN_LOAD;
	return 0;
}

/**
 * mkvm_decode_mov_to_cr() - decode MOV CRn, r (0F 22 /r)
 * @bytes: the instruction's bytes, from its first prefix
 * @avail: how many of them the caller has
 * @mode: MKVM_MODE_16, _32 or _64
 * @cr: out: the control register, ModRM.reg extended by REX.R
 * @gpr: out: the source, enum mkvm_gpr: ModRM.rm extended by REX.B
 * @len: out: the instruction's length
 *
 * For a backend that intercepts the write but is not told the register
 * (SVM without decode assists).  The mod field is ignored: the operand is
 * always a register (SDM Vol. 2B, "MOV—Move to/from Control Registers").
 *
 * Return: 0, -ENODATA for more bytes, -EOPNOTSUPP for another instruction
 * or a LOCK prefix (AMD's alternate encoding of CR8 is not offered).
 */
int mkvm_decode_mov_to_cr(const u8 *bytes, unsigned int avail,
			  unsigned int mode, u8 *cr, u8 *gpr, u8 *len)
{
	struct decoder d = {
		.bytes = bytes, .avail = avail, .mode = mode, .seg = -1,
	};
	u8 opcode, modrm;
	int ret;

	if (mode != MKVM_MODE_16 && mode != MKVM_MODE_32 &&
	    mode != MKVM_MODE_64)
		return -EINVAL;
	ret = decode_prefixes(&d, &opcode);
	if (!ret && opcode != OPCODE_ESCAPE)
		ret = -EOPNOTSUPP;
	if (!ret)
		ret = fetch_byte(&d, &opcode);
	if (!ret && opcode != 0x22)
		ret = -EOPNOTSUPP;
	if (!ret)
		ret = fetch_byte(&d, &modrm);
	if (ret)
		return ret;
	if (d.lock)
		return -EOPNOTSUPP;
	*cr = ((modrm >> 3) & 7) | (d.rex & REX_R ? 8 : 0);
	*gpr = (modrm & 7) | (d.rex & REX_B ? 8 : 0);
	*len = d.pos;
	return 0;
}

/* The low @size bytes of @val. */
static u64 low_bytes(u64 val, unsigned int size)
{
	return size >= 8 ? val : val & ((1ULL << (8 * size)) - 1);
}

/**
 * mkvm_insn_store_value() - the data a store writes to memory
 * @insn: a decoded STORE_REG, STORE_IMM or STOS
 * @gprs: the guest's registers, indexed by enum mkvm_gpr
 *
 * Return: the value, zero-extended from @insn->size bytes; 0 for a LOAD or
 * MOVS, whose data comes from memory.
 */
u64 mkvm_insn_store_value(const struct mkvm_insn *insn,
			  const u64 gprs[MKVM_NR_GPRS])
{
	switch (insn->op) {
	case MKVM_INSN_STORE_REG:
	case MKVM_INSN_STOS:
		if (insn->high_byte)
			return (gprs[insn->reg] >> 8) & 0xff;
		return low_bytes(gprs[insn->reg], insn->size);
	case MKVM_INSN_STORE_IMM:
		return insn->imm;
	default:
		return 0;
	}
}

/**
 * mkvm_insn_ea() - the effective address of the instruction's memory operand
 * @insn: a decoded instruction
 * @gprs: the guest's registers, indexed by enum mkvm_gpr
 * @rip: the instruction's RIP (its first prefix); RIP-relative addressing
 *	adds the displacement to the next instruction's, @rip + @insn->len
 *
 * Base + index * scale + displacement, or the moffs offset, as the ModRM
 * and SIB bytes say (SDM Vol. 2A, 2.1.5 "Addressing-Mode Encoding of ModR/M
 * and SIB Bytes"; Vol. 1, 3.7.5 "Specifying an Offset"); for STOS, rDI; for
 * MOVS, rSI, the source that @insn->seg names.  The sum wraps at the
 * address size (Vol. 1, 3.3.7 "Address Calculations in 64-Bit Mode": a
 * 32-bit or 16-bit address is truncated, the 16-bit forms adding 16-bit
 * registers).  Not the linear address: the segment base is the caller's.
 *
 * Return: the effective address, zero-extended from @insn->addr_size bytes.
 */
u64 mkvm_insn_ea(const struct mkvm_insn *insn,
		 const u64 gprs[MKVM_NR_GPRS], u64 rip)
{
	u64 ea;

	switch (insn->op) {
	case MKVM_INSN_STOS:
		ea = gprs[MKVM_RDI];
		break;
	case MKVM_INSN_MOVS:
		ea = gprs[MKVM_RSI];
		break;
	default:
		ea = insn->ea_disp;
		if (insn->ea_rip)
			ea += rip + insn->len;
		if (insn->ea_base < MKVM_NR_GPRS)
			ea += gprs[insn->ea_base];
		if (insn->ea_index < MKVM_NR_GPRS)
			ea += gprs[insn->ea_index] * insn->ea_scale;
		break;
	}
	return low_bytes(ea, insn->addr_size);
}

/**
 * mkvm_insn_complete_load() - write the data a LOAD read into its register
 * @insn: a decoded LOAD; anything else leaves @gprs alone
 * @gprs: the guest's registers, indexed by enum mkvm_gpr
 * @data: what the memory read returned, in its low @insn->size bytes
 *
 * The data is zero- or sign-extended to @insn->reg_size, then written as
 * a register of that size is: an 8-bit or 16-bit destination keeps the
 * register's other bits, AH..BH being bits 15:8; a 32-bit destination is
 * zero-extended to 64 bits (SDM Vol. 1, "General-Purpose Registers in
 * 64-Bit Mode").
 */
void mkvm_insn_complete_load(const struct mkvm_insn *insn,
			     u64 gprs[MKVM_NR_GPRS], u64 data)
{
	u64 *reg = &gprs[insn->reg];
	unsigned int shift;
	u64 val;

	if (insn->op != MKVM_INSN_LOAD)
		return;
	shift = 64 - 8 * insn->size;
	if (insn->sign_extend)
		val = (u64)((s64)(data << shift) >> shift);
	else
		val = low_bytes(data, insn->size);

	switch (insn->reg_size) {
	case 1:
		if (insn->high_byte)
			*reg = (*reg & ~0xff00ULL) | (val & 0xff) << 8;
		else
			*reg = (*reg & ~0xffULL) | (val & 0xff);
		break;
	case 2:
		*reg = (*reg & ~0xffffULL) | (val & 0xffff);
		break;
	case 4:
		*reg = val & 0xffffffff;
		break;
	default:
		*reg = val;
		break;
	}
}
