// SPDX-License-Identifier: GPL-2.0-only
/*
 * The exits both vendors finish in software on the vCPU's architectural
 * state: string port I/O (INS/OUTS, one element per exit) and MMIO (an
 * access outside every memory slot, or a write to a read-only one, decoded
 * with decode.c into KVM_EXIT_MMIO).  Also the guest page walk and guest
 * memory access they need.
 *
 * Context: process context, vCPU mutex held, current->mm is the VM's; the
 * backend has saved the guest state into vcpu->arch before calling in and
 * loads it back afterwards.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/uaccess.h>

#include "minikvm.h"
#include "decode.h"
#include "entry_check.h"

#define PTE_P		BIT_ULL(0)
#define PTE_PS		BIT_ULL(7)
#define PTE_ADDR	GENMASK_ULL(51, 12)
#define X86_EFLAGS_DF_BIT	10

/* Copy guest-physical memory, slots_lock held; -EFAULT outside the slots. */
static int mkvm_guest_rw_locked(struct mkvm_vm *vm, u64 gpa, void *buf,
				unsigned int len, bool write)
{
	struct mkvm_memslot *slot;
	unsigned long hva;
	int r = -EFAULT;

	lockdep_assert_held(&vm->slots_lock);
	slot = mkvm_gfn_to_slot(vm, gpa >> PAGE_SHIFT);
	if (slot && (!write || !(slot->flags & KVM_MEM_READONLY)) &&
	    (gpa & ~PAGE_MASK) + len <= PAGE_SIZE) {
		hva = slot->userspace_addr +
		      ((gpa >> PAGE_SHIFT) - slot->base_gfn) * PAGE_SIZE +
		      (gpa & ~PAGE_MASK);
		if (write) {
			r = copy_to_user((void __user *)hva, buf, len);
			mkvm_mark_page_dirty(slot, gpa >> PAGE_SHIFT);
		} else {
			r = copy_from_user(buf, (void __user *)hva, len);
		}
		r = r ? -EFAULT : 0;
	}
	return r;
}

static int mkvm_read_pte(struct mkvm_vm *vm, u64 gpa, u64 *pte, bool wide)
{
	u32 pte32;

	if (wide)
		return mkvm_guest_rw_locked(vm, gpa, pte, 8, false);
	if (mkvm_guest_rw_locked(vm, gpa, &pte32, 4, false))
		return -EFAULT;
	*pte = pte32;
	return 0;
}

/*
 * Linear to guest-physical address through the guest's own paging: none,
 * 32-bit, PAE or 4-level (SDM Vol. 3A, "Paging").  Large pages included;
 * access rights are not checked (the hardware already did for the access
 * that exited).  The VM's slots_lock held.  Return: 0 or -EFAULT for a
 * non-present mapping.
 */
static int mkvm_gva_to_gpa_locked(struct mkvm_vcpu *vcpu, u64 gva, u64 *gpa)
{
	const struct kvm_sregs *s = &vcpu->arch.sregs;
	struct mkvm_vm *vm = vcpu->vm;
	int level, levels, bits = 9;
	bool wide = true;
	u64 table, pte;

	if (!(s->cr0 & X86_CR0_PG)) {
		*gpa = (u32)gva;
		return 0;
	}
	if (s->efer & EFER_LMA) {
		levels = 4;
		table = s->cr3 & PTE_ADDR;
	} else if (s->cr4 & X86_CR4_PAE) {
		/* The four PDPTEs sit at CR3[31:5]. */
		gva = (u32)gva;
		if (mkvm_read_pte(vm, (s->cr3 & GENMASK_ULL(31, 5)) +
				  (gva >> 30) * 8, &pte, true) ||
		    !(pte & PTE_P))
			return -EFAULT;
		levels = 2;
		table = pte & PTE_ADDR;
	} else {
		gva = (u32)gva;
		levels = 2;
		bits = 10;
		wide = false;
		table = s->cr3 & GENMASK_ULL(31, 12);
	}
	for (level = levels; level >= 1; level--) {
		unsigned int shift = PAGE_SHIFT + bits * (level - 1);
		u64 idx = (gva >> shift) & ((1ULL << bits) - 1);

		if (mkvm_read_pte(vm, table + idx * (wide ? 8 : 4), &pte, wide) ||
		    !(pte & PTE_P))
			return -EFAULT;
		if (level == 1 || (pte & PTE_PS)) {
			u64 base = pte & PTE_ADDR & ~((1ULL << shift) - 1);

			/* 4 MiB pages keep PA bits 39:32 in PDE bits 20:13. */
			if (!wide && level == 2)
				base = (pte & GENMASK_ULL(31, 22)) |
				       ((pte >> 13) & 0xff) << 32;
			*gpa = base | (gva & ((1ULL << shift) - 1));
			return 0;
		}
		table = pte & PTE_ADDR;
	}
	return -EFAULT;
}

static int mkvm_gva_to_gpa(struct mkvm_vcpu *vcpu, u64 gva, u64 *gpa)
{
	int r;

	mutex_lock(&vcpu->vm->slots_lock);
	r = mkvm_gva_to_gpa_locked(vcpu, gva, gpa);
	mutex_unlock(&vcpu->vm->slots_lock);
	return r;
}

/*
 * Read or write guest memory at a linear address, page by page: one walk
 * of the guest's page tables for each page, all under one slots_lock.
 */
static int mkvm_guest_linear_rw(struct mkvm_vcpu *vcpu, u64 gva, void *buf,
				unsigned int len, bool write)
{
	struct mkvm_vm *vm = vcpu->vm;
	int r = 0;

	mutex_lock(&vm->slots_lock);
	while (len) {
		unsigned int n = min_t(unsigned int, len,
				       PAGE_SIZE - (gva & ~PAGE_MASK));
		u64 gpa;

		r = mkvm_gva_to_gpa_locked(vcpu, gva, &gpa);
		if (!r)
			r = mkvm_guest_rw_locked(vm, gpa, buf, n, write);
		if (r)
			break;
		gva += n;
		buf += n;
		len -= n;
	}
	mutex_unlock(&vm->slots_lock);
	return r ? -EFAULT : 0;
}

/* The GPRs in decode.c's architectural order, and back. */
static void mkvm_gprs_get(const struct kvm_regs *r, u64 g[MKVM_NR_GPRS])
{
	g[MKVM_RAX] = r->rax; g[MKVM_RCX] = r->rcx; g[MKVM_RDX] = r->rdx;
	g[MKVM_RBX] = r->rbx; g[MKVM_RSP] = r->rsp; g[MKVM_RBP] = r->rbp;
	g[MKVM_RSI] = r->rsi; g[MKVM_RDI] = r->rdi; g[MKVM_R8] = r->r8;
	g[MKVM_R9] = r->r9; g[MKVM_R10] = r->r10; g[MKVM_R11] = r->r11;
	g[MKVM_R12] = r->r12; g[MKVM_R13] = r->r13; g[MKVM_R14] = r->r14;
	g[MKVM_R15] = r->r15;
}

static void mkvm_gprs_set(struct kvm_regs *r, const u64 g[MKVM_NR_GPRS])
{
	r->rax = g[MKVM_RAX]; r->rcx = g[MKVM_RCX]; r->rdx = g[MKVM_RDX];
	r->rbx = g[MKVM_RBX]; r->rsp = g[MKVM_RSP]; r->rbp = g[MKVM_RBP];
	r->rsi = g[MKVM_RSI]; r->rdi = g[MKVM_RDI]; r->r8 = g[MKVM_R8];
	r->r9 = g[MKVM_R9]; r->r10 = g[MKVM_R10]; r->r11 = g[MKVM_R11];
	r->r12 = g[MKVM_R12]; r->r13 = g[MKVM_R13]; r->r14 = g[MKVM_R14];
	r->r15 = g[MKVM_R15];
}

/* Code size of the vCPU's current mode (SDM Vol. 1, "Operating Modes"). */
static unsigned int mkvm_cpu_mode(const struct kvm_sregs *s)
{
	if ((s->efer & EFER_LMA) && s->cs.l)
		return MKVM_MODE_64;
	if ((s->cr0 & X86_CR0_PE) && s->cs.db)
		return MKVM_MODE_32;
	return MKVM_MODE_16;
}

/* The bits an address of @addr_size bytes uses. */
static u64 mkvm_addr_mask(unsigned int addr_size)
{
	return addr_size == 8 ? ~0ULL : (1ULL << (addr_size * 8)) - 1;
}

/* How a string instruction moves rSI/rDI: down when RFLAGS.DF is set. */
static s64 mkvm_string_step(const struct kvm_regs *r, unsigned int size)
{
	return (r->rflags >> X86_EFLAGS_DF_BIT) & 1 ? -(s64)size : size;
}

/* A register's low @size bytes changed by @delta, upper bits as x86 does. */
static u64 mkvm_reg_add(u64 reg, s64 delta, unsigned int size)
{
	u64 mask = mkvm_addr_mask(size);
	u64 val = (reg + delta) & mask;

	return size == 2 ? (reg & ~mask) | val : val;
}

static struct kvm_segment *mkvm_seg(struct kvm_sregs *s, unsigned int seg)
{
	switch (seg) {
	case MKVM_SEG_ES: return &s->es;
	case MKVM_SEG_CS: return &s->cs;
	case MKVM_SEG_SS: return &s->ss;
	case MKVM_SEG_FS: return &s->fs;
	case MKVM_SEG_GS: return &s->gs;
	default: return &s->ds;
	}
}

/* Linear address of seg:offset, 64-bit mode ignoring bases but FS/GS. */
static u64 mkvm_linear(struct mkvm_vcpu *vcpu, unsigned int seg, u64 off)
{
	struct kvm_sregs *s = &vcpu->arch.sregs;

	if (mkvm_cpu_mode(s) == MKVM_MODE_64 &&
	    seg != MKVM_SEG_FS && seg != MKVM_SEG_GS)
		return off;
	return mkvm_seg(s, seg)->base + off;
}

static int mkvm_internal_error(struct mkvm_vcpu *vcpu, u32 suberror)
{
	vcpu->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	vcpu->run->internal.suberror = suberror;
	vcpu->run->internal.ndata = 0;
	return 0;
}

/*
 * The segment override among the prefixes of the instruction at CS:RIP
 * (else @dflt), and its address size in bytes: the mode's, switched by
 * 0x67 (SDM Vol. 1, "Address-Size Attribute").
 */
static unsigned int mkvm_string_prefixes(struct mkvm_vcpu *vcpu,
					 unsigned int dflt, u8 *addr_size)
{
	static const u8 prefix_seg[] = {
		[0x26] = MKVM_SEG_ES + 1, [0x2e] = MKVM_SEG_CS + 1,
		[0x36] = MKVM_SEG_SS + 1, [0x3e] = MKVM_SEG_DS + 1,
		[0x64] = MKVM_SEG_FS + 1, [0x65] = MKVM_SEG_GS + 1,
	};
	unsigned int mode = mkvm_cpu_mode(&vcpu->arch.sregs);
	u8 bytes[MKVM_INSN_MAX_LEN];
	unsigned int i, seg = dflt;
	u64 rip = mkvm_linear(vcpu, MKVM_SEG_CS, vcpu->arch.regs.rip);
	bool a67 = false;

	if (!mkvm_guest_linear_rw(vcpu, rip, bytes, sizeof(bytes), false)) {
		for (i = 0; i < sizeof(bytes); i++) {
			u8 b = bytes[i];

			if (b < sizeof(prefix_seg) && prefix_seg[b])
				seg = prefix_seg[b] - 1;
			else if (b == 0x67)
				a67 = true;
			else if (b != 0x66 && b != 0xf2 && b != 0xf3 &&
				 b != 0xf0 && !(mode == MKVM_MODE_64 &&
						(b & 0xf0) == 0x40))
				break;
		}
	}
	if (mode == MKVM_MODE_64)
		*addr_size = a67 ? 4 : 8;
	else if (mode == MKVM_MODE_32)
		*addr_size = a67 ? 2 : 4;
	else
		*addr_size = a67 ? 4 : 2;
	return seg;
}

static int mkvm_x86_pio_in_kernel_saved(struct mkvm_vcpu *vcpu);

/**
 * mkvm_x86_string_io() - INS/OUTS as KVM_EXIT_IO, one element per exit
 * @vcpu: the vCPU, its state saved in vcpu->arch
 * @port: I/O port
 * @size: element size
 * @in: INS rather than OUTS
 * @rep: with a REP prefix
 * @next_rip: RIP after the instruction
 *
 * OUTS reads its element from seg:rSI (DS unless overridden) now; INS
 * writes its element to ES:rDI when the next KVM_RUN completes it.  rSI or
 * rDI moves on, and with REP rCX counts down, at completion, so that
 * userspace sees them as before the element, as on KVM; RIP stays on the
 * instruction until rCX reaches 0 (SDM Vol. 2B, "INS/INSB/INSW/INSD",
 * "OUTS/OUTSB/OUTSW/OUTSD").
 *
 * Return: 1 to re-enter (REP with rCX already 0, or an element the
 * in-kernel PIC took), 0 for userspace, or -EFAULT.
 */
int mkvm_x86_string_io(struct mkvm_vcpu *vcpu, u16 port, u8 size, bool in,
		       bool rep, u64 next_rip)
{
	struct mkvm_x86_state *st = &vcpu->arch;
	struct kvm_regs *r = &st->regs;
	u64 val = 0;
	u8 addr_size;
	unsigned int seg = mkvm_string_prefixes(vcpu, MKVM_SEG_DS, &addr_size);
	u64 mask = mkvm_addr_mask(addr_size);

	if (rep && !(r->rcx & mask)) {
		r->rip = next_rip;
		return 1;
	}
	if (!in &&
	    mkvm_guest_linear_rw(vcpu, mkvm_linear(vcpu, seg, r->rsi & mask),
				 &val, size, false))
		return mkvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION);

	mkvm_x86_exit_io(st, vcpu->run, page_address(vcpu->pio_page), port,
			 size, in, val, next_rip);
	/*
	 * The registers move at completion, from their values then, as KVM
	 * shows them: userspace sees rCX/rSI/rDI as before the element and
	 * may change them (KVM's userspace_io_test changes rCX).
	 */
	st->pending.io_size = 0;
	st->pending.str_size = size;
	st->pending.str_in = in;
	st->pending.rep = rep;
	st->pending.addr_size = addr_size;
	return mkvm_x86_pio_in_kernel_saved(vcpu);
}

/* Up to 15 instruction bytes at CS:RIP, as many as are readable. */
static unsigned int mkvm_fetch_insn(struct mkvm_vcpu *vcpu, u8 *bytes)
{
	u64 rip = mkvm_linear(vcpu, MKVM_SEG_CS, vcpu->arch.regs.rip);
	unsigned int avail = 0;

	while (avail < MKVM_INSN_MAX_LEN) {
		unsigned int n = min_t(unsigned int, MKVM_INSN_MAX_LEN - avail,
				       PAGE_SIZE - ((rip + avail) & ~PAGE_MASK));

		if (mkvm_guest_linear_rw(vcpu, rip + avail, bytes + avail, n,
					 false))
			break;
		avail += n;
	}
	return avail;
}

/**
 * mkvm_x86_write_cr4() - a guest's MOV to CR4, intercepted
 * @vcpu: the vCPU, its state saved in vcpu->arch
 * @gpr: the source register, enum mkvm_gpr, when the hardware reports it;
 *	 else -1 and the instruction is decoded
 * @len: the instruction's length when known, else 0
 * @gp: out: the value is refused: the caller injects #GP(0), RIP stays
 *
 * CR4 is intercepted so that a guest can set only the bits minikvm allows
 * (mkvm_x86_cr4_valid()): left to the hardware, the guest could turn on
 * any feature the host has (CR4.OSXSAVE, then XCR0; CR4.PKE, then PKRU).
 * The caller flushes the guest's TLB when CR4 changed.  Outside 64-bit
 * mode the source is 32 bits wide (SDM Vol. 2B, "MOV—Move to/from Control
 * Registers").
 *
 * Return: 1 to enter the guest again; 0 for KVM_EXIT_INTERNAL_ERROR (an
 * instruction that is not MOV to CR4 or cannot be read).
 */
int mkvm_x86_write_cr4(struct mkvm_vcpu *vcpu, int gpr, unsigned int len,
		       bool *gp)
{
	struct mkvm_x86_state *st = &vcpu->arch;
	unsigned int mode = mkvm_cpu_mode(&st->sregs);
	u64 g[MKVM_NR_GPRS], val;

	*gp = false;
	if (gpr < 0 || !len) {
		u8 bytes[MKVM_INSN_MAX_LEN], cr, reg, n;
		unsigned int avail = mkvm_fetch_insn(vcpu, bytes);

		if (mkvm_decode_mov_to_cr(bytes, avail, mode, &cr, &reg, &n) ||
		    cr != 4)
			return mkvm_internal_error(vcpu,
						   KVM_INTERNAL_ERROR_EMULATION);
		gpr = reg;
		len = n;
	}
	mkvm_gprs_get(&st->regs, g);
	val = g[gpr & (MKVM_NR_GPRS - 1)];
	if (mode != MKVM_MODE_64)
		val = (u32)val;
	if (!mkvm_x86_cr4_valid(st, val, st->sregs.efer)) {
		*gp = true;
		return 1;
	}
	st->sregs.cr4 = val;
	st->regs.rip += len;
	return 1;
}

/* A linear address as the mode forms it: 32 bits outside 64-bit mode. */
static u64 mkvm_linear_trunc(struct mkvm_vcpu *vcpu, u64 la)
{
	return mkvm_cpu_mode(&vcpu->arch.sregs) == MKVM_MODE_64 ? la : (u32)la;
}

/* How many of the @len bytes at linear address @la lie in @la's page. */
static unsigned int mkvm_page_part(u64 la, unsigned int len)
{
	return min_t(u64, len, PAGE_SIZE - (la & ~PAGE_MASK));
}

/* Is guest-physical @gpa writable RAM (a slot, not read-only)? */
static bool mkvm_gpa_writable(struct mkvm_vm *vm, u64 gpa)
{
	struct mkvm_memslot *slot;
	bool ok;

	mutex_lock(&vm->slots_lock);
	slot = mkvm_gfn_to_slot(vm, gpa >> PAGE_SHIFT);
	ok = slot && !(slot->flags & KVM_MEM_READONLY);
	mutex_unlock(&vm->slots_lock);
	return ok;
}

/*
 * MOVS with one side MMIO: which side the faulting address @gpa is on.  If
 * it is in ES:rDI's element (on either page of it), the guest writes MMIO
 * with data read now from seg:rSI into @p->data; else it reads MMIO and the
 * data goes to ES:rDI at completion.  Return: the linear address of the
 * MMIO side's element, or -EFAULT in @err (a page that does not translate,
 * or the other side not RAM: both sides MMIO, which KVM's emulator would
 * do as a read exit then a write exit, is not emulated).
 */
static u64 mkvm_movs_side(struct mkvm_vcpu *vcpu, struct mkvm_x86_pending *p,
			  u64 gpa, int *err)
{
	struct mkvm_insn *insn = &p->insn;
	struct kvm_regs *r = &vcpu->arch.regs;
	u64 mask = mkvm_addr_mask(insn->addr_size);
	u64 dst = mkvm_linear_trunc(vcpu, mkvm_linear(vcpu, MKVM_SEG_ES,
						      r->rdi & mask));
	u64 src = mkvm_linear_trunc(vcpu, mkvm_linear(vcpu, insn->seg,
						      r->rsi & mask));
	unsigned int n = mkvm_page_part(dst, insn->size);
	u64 d0, d1;

	*err = -EFAULT;
	if (mkvm_gva_to_gpa(vcpu, dst, &d0))
		return 0;
	d1 = d0;
	if (n < insn->size &&
	    mkvm_gva_to_gpa(vcpu, mkvm_linear_trunc(vcpu, dst + n), &d1))
		return 0;
	insn->is_write = gpa - d0 < n || (n < insn->size &&
					  gpa - d1 < insn->size - n);
	insn->is_read = !insn->is_write;
	if (insn->is_write &&
	    mkvm_guest_linear_rw(vcpu, src, p->data, insn->size, false))
		return 0;
	if (insn->is_read && (!mkvm_gpa_writable(vcpu->vm, d0) ||
			      !mkvm_gpa_writable(vcpu->vm, d1)))
		return 0;
	*err = 0;
	return insn->is_write ? dst : src;
}

/*
 * Split the MMIO access of @p->insn at linear address @la page by page, as
 * KVM's emulator_read_write() does (x86.c, one fragment per page, at most
 * two here: an operand is at most 8 bytes): each page's part is done in
 * guest memory if a slot takes it (a read, or a write to a writable slot),
 * else by the in-kernel local APIC or I/O APIC if the address is theirs and
 * no slot covers it, else it becomes a fragment for userspace in
 * @p->frags, in address order.  A store's data is in @p->data; a load's
 * RAM and in-kernel bytes land there now.  Like KVM, a write's RAM part is
 * written now, whichever side of the boundary it is on.
 *
 * Each page is translated by the guest page walk, except that the page
 * whose offset is that of the faulting @gpa takes @gpa, as KVM does with
 * the address of the fault (emulator_read_write_onepage()); string
 * instructions always walk (KVM walks for REP ones, their fault being only
 * the first element's).  An operand that is not where the fault says (no
 * page has the fault's offset: a decoder error, or a fault on the guest's
 * own page tables) is done where the walk says, as in KVM, whose emulator
 * trusts its own walk.  A page the walk does not find (the guest changed
 * its tables since the fault) is -EFAULT and the caller reports
 * KVM_EXIT_INTERNAL_ERROR, where KVM would inject the #PF: a difference only
 * a guest racing its own page tables sees.  Both walks happen before any
 * access, so an error leaves memory untouched.
 *
 * Return: 0 or -EFAULT.
 */
static int mkvm_mmio_split(struct mkvm_vcpu *vcpu, struct mkvm_x86_pending *p,
			   u64 la, u64 gpa, bool string)
{
	struct mkvm_vm *vm = vcpu->vm;
	bool write = p->insn.is_write, mmio[2] = {}, in_slot[2] = {};
	unsigned int len[2], nr, i, off;
	u64 fgpa[2];
	int r = 0;

	len[0] = mkvm_page_part(la, p->insn.size);
	len[1] = p->insn.size - len[0];
	nr = len[1] ? 2 : 1;
	mutex_lock(&vm->slots_lock);
	for (i = 0; i < nr && !r; i++) {
		u64 page_la = i ? mkvm_linear_trunc(vcpu, la + len[0]) : la;

		if (!string && (page_la & ~PAGE_MASK) == (gpa & ~PAGE_MASK))
			fgpa[i] = gpa;
		else
			r = mkvm_gva_to_gpa_locked(vcpu, page_la, &fgpa[i]);
	}
	for (i = 0, off = 0; i < nr && !r; off += len[i], i++) {
		if (!mkvm_guest_rw_locked(vm, fgpa[i], p->data + off, len[i],
					  write))
			continue;
		mmio[i] = true;
		in_slot[i] = mkvm_gfn_to_slot(vm, fgpa[i] >> PAGE_SHIFT);
	}
	mutex_unlock(&vm->slots_lock);
	if (r)
		return r;

	for (i = 0, off = 0; i < nr; off += len[i], i++) {
		if (!mmio[i])
			continue;
		/* The LAPIC first: a guest may move its page over the I/O APIC's. */
		if (!in_slot[i] &&
		    (mkvm_lapic_mmio(vcpu, fgpa[i], write, p->data + off,
				     len[i]) ||
		     mkvm_ioapic_mmio(vcpu, fgpa[i], write, p->data + off,
				      len[i])))
			continue;
		p->frags[p->nr_frags++] = (struct mkvm_x86_mmio_frag) {
			.gpa = fgpa[i], .off = off, .len = len[i],
		};
	}
	return 0;
}

/* KVM_EXIT_MMIO for the pending access's current fragment. */
static void mkvm_mmio_frag_exit(struct mkvm_vcpu *vcpu)
{
	const struct mkvm_x86_pending *p = &vcpu->arch.pending;
	const struct mkvm_x86_mmio_frag *f = &p->frags[p->cur_frag];
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = f->gpa;
	run->mmio.len = f->len;
	run->mmio.is_write = p->insn.is_write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (p->insn.is_write)
		memcpy(run->mmio.data, p->data + f->off, f->len);
}

/**
 * mkvm_x86_mmio() - an access outside the slots (or a write to a read-only
 * one) as KVM_EXIT_MMIO
 * @vcpu: the vCPU, its state saved in vcpu->arch
 * @gpa: the faulting guest-physical address
 * @fetched: instruction bytes the CPU already fetched (decode assists), or
 *	     NULL; too few of them to decode, and the bytes are read again
 * @nfetched: how many
 *
 * Decodes the instruction at CS:RIP (decode.c) and computes its operand's
 * linear address: the segment's base (in 64-bit mode only FS's and GS's:
 * SDM Vol. 3A, "Segmentation in IA-32e Mode") plus the effective address,
 * 32 bits outside 64-bit mode.  The access is split at a page boundary as
 * KVM splits it (mkvm_mmio_split()): the RAM part is done in guest memory,
 * each MMIO part is one KVM_EXIT_MMIO, in address order, the next one
 * prepared when KVM_RUN completes the previous (mkvm_x86_complete_exit()).
 * A store's data goes to userspace now; a load completes on the last
 * fragment's KVM_RUN, its register getting the RAM bytes and the MMIO bytes
 * together.  STOS and MOVS are one element per exit like string I/O; for
 * MOVS the faulting address says which side is MMIO (the other is guest
 * RAM, read now or written at completion), and that side's element is split
 * the same way.  What the decoder does not know ends in
 * KVM_EXIT_INTERNAL_ERROR (emulation), as does a page the guest's tables no
 * longer map.
 *
 * Return: 0; the access may be all done in the kernel (RAM, LAPIC,
 * I/O APIC), pending with no fragment: see mkvm_x86_mmio_in_kernel().
 */
int mkvm_x86_mmio(struct mkvm_vcpu *vcpu, u64 gpa, const u8 *fetched,
		  unsigned int nfetched)
{
	struct mkvm_x86_state *st = &vcpu->arch;
	unsigned int mode = mkvm_cpu_mode(&st->sregs);
	struct mkvm_x86_pending p = { .exit_reason = KVM_EXIT_MMIO };
	u8 bytes[MKVM_INSN_MAX_LEN];
	u64 g[MKVM_NR_GPRS], val, la;
	bool string;
	int r = -ENODATA;

	st->pending.exit_reason = 0;
	if (fetched && nfetched && nfetched <= MKVM_INSN_MAX_LEN)
		r = mkvm_decode(fetched, nfetched, mode, &p.insn);
	if (r == -ENODATA)
		r = mkvm_decode(bytes, mkvm_fetch_insn(vcpu, bytes), mode,
				&p.insn);
	if (r)
		return mkvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION);

	mkvm_gprs_get(&st->regs, g);
	string = p.insn.op == MKVM_INSN_STOS || p.insn.op == MKVM_INSN_MOVS;
	if (p.insn.op == MKVM_INSN_MOVS) {
		la = mkvm_movs_side(vcpu, &p, gpa, &r);
	} else {
		la = mkvm_linear_trunc(vcpu, mkvm_linear(vcpu, p.insn.seg,
				       mkvm_insn_ea(&p.insn, g, st->regs.rip)));
		val = mkvm_insn_store_value(&p.insn, g);
		memcpy(p.data, &val, sizeof(p.data));
	}
	if (!r)
		r = mkvm_mmio_split(vcpu, &p, la, gpa, string);
	if (r)
		return mkvm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION);

	p.next_rip = st->regs.rip + p.insn.len;
	if (string) {
		u64 mask = mkvm_addr_mask(p.insn.addr_size);
		s64 step = mkvm_string_step(&st->regs, p.insn.size);

		/* A MOVS read writes ES:rDI at completion, from this rDI. */
		p.movs_dst = mkvm_linear(vcpu, MKVM_SEG_ES, st->regs.rdi & mask);
		st->regs.rdi = mkvm_reg_add(st->regs.rdi, step,
					    p.insn.addr_size);
		if (p.insn.op == MKVM_INSN_MOVS)
			st->regs.rsi = mkvm_reg_add(st->regs.rsi, step,
						    p.insn.addr_size);
		if (p.insn.rep) {
			st->regs.rcx = mkvm_reg_add(st->regs.rcx, -1,
						    p.insn.addr_size);
			if (st->regs.rcx & mask)
				p.next_rip = st->regs.rip;
		}
	}
	st->pending = p;
	if (p.nr_frags)
		mkvm_mmio_frag_exit(vcpu);
	return 0;
}

/*
 * The access mkvm_x86_mmio() prepared, if it left nothing for userspace
 * (every part in RAM, the in-kernel APIC's page (lapic.c) or the I/O
 * APIC's (irqchip.c)): the instruction completed as on the next KVM_RUN.
 * Return: 1 when handled (enter again), 0 (userspace), or -EFAULT.
 */
static int mkvm_x86_mmio_in_kernel(struct mkvm_vcpu *vcpu)
{
	const struct mkvm_x86_pending *p = &vcpu->arch.pending;

	if (p->exit_reason != KVM_EXIT_MMIO || p->nr_frags)
		return 0;
	if (mkvm_x86_complete_exit(vcpu))
		return -EFAULT;
	vcpu->run->exit_reason = KVM_EXIT_UNKNOWN;
	return 1;
}

/*
 * Does an in-kernel device (the PIC pair, pic.c) take the port I/O element
 * mkvm_x86_exit_io() prepared for userspace?  It works on the PIO page's
 * data alone.
 */
static bool mkvm_x86_pio_device(struct mkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	return vcpu->vm->pic &&
	       mkvm_pic_pio(vcpu->vm, run->io.port, run->io.size,
			    run->io.direction == KVM_EXIT_IO_IN,
			    page_address(vcpu->pio_page));
}

/* The element is done: completed as on the next KVM_RUN. */
static int mkvm_x86_pio_done(struct mkvm_vcpu *vcpu)
{
	if (mkvm_x86_complete_exit(vcpu))
		return -EFAULT;
	vcpu->run->exit_reason = KVM_EXIT_UNKNOWN;
	return 1;
}

/* As mkvm_x86_pio_in_kernel(), the vCPU's state already in vcpu->arch. */
static int mkvm_x86_pio_in_kernel_saved(struct mkvm_vcpu *vcpu)
{
	return mkvm_x86_pio_device(vcpu) ? mkvm_x86_pio_done(vcpu) : 0;
}

/**
 * mkvm_x86_pio_in_kernel() - after mkvm_x86_exit_io() for an IN or OUT:
 * done in the kernel if an in-kernel device has the port
 * @vcpu: the vCPU, its state still in the VMCB/VMCS
 *
 * Only the PIC pair's ports, with an irqchip; the instruction is completed
 * as on the next KVM_RUN.  Return: 1 when handled (enter again), 0 for
 * userspace (KVM_EXIT_IO stays prepared), or -EFAULT.
 */
int mkvm_x86_pio_in_kernel(struct mkvm_vcpu *vcpu)
{
	int r;

	if (!mkvm_x86_pio_device(vcpu))
		return 0;
	mkvm_be->vcpu_save_state(vcpu);
	r = mkvm_x86_pio_done(vcpu);
	mkvm_be->vcpu_load_state(vcpu);
	return r;
}

/**
 * mkvm_x86_tdp_fault() - a fault in the nested page tables (SVM nested page
 * fault, VMX EPT violation)
 * @vcpu: the vCPU, its state in the VMCB/VMCS
 * @gpa: the guest-physical address the guest reached
 * @write: the access was a write
 * @fetched: instruction bytes the CPU supplied (decode assists), or NULL
 * @nfetched: how many
 *
 * Inside a memory slot the frame is pinned and mapped (read-only for a
 * read-only slot, or while the host page is not writable), with its whole
 * 2 MiB-aligned range in one 2 MiB leaf when mkvm_pin_gfn() pinned that as
 * one (a THP or hugetlb page behind it, no dirty logging); outside every
 * slot, or for a write to a read-only slot, the access is MMIO and goes to
 * userspace as KVM_EXIT_MMIO.
 *
 * Return: 1 to enter the guest again, 0 for userspace, or a negative errno.
 */
int mkvm_x86_tdp_fault(struct mkvm_vcpu *vcpu, u64 gpa, bool write,
		       const u8 *fetched, unsigned int nfetched)
{
	struct mkvm_vm *vm = vcpu->vm;
	u64 gfn = gpa >> PAGE_SHIFT;
	struct mkvm_memslot *slot;
	struct page *page;
	bool writable, huge, all;
	int r;

	mutex_lock(&vm->slots_lock);
	slot = mkvm_gfn_to_slot(vm, gfn);
	if (!slot || (write && (slot->flags & KVM_MEM_READONLY))) {
		mutex_unlock(&vm->slots_lock);
		mkvm_be->vcpu_save_state(vcpu);
		r = mkvm_x86_mmio(vcpu, gpa, fetched, nfetched);
		all = mkvm_x86_complete_needs_all(vcpu);
		if (!r)
			r = mkvm_x86_mmio_in_kernel(vcpu);
		/*
		 * Only the run registers changed (the instruction, or its
		 * completion in the kernel): the next entry, after userspace,
		 * loads just those; handled here, they go back now, for the
		 * exit handler's caller looks at RIP.  Not for REP STOS/MOVS,
		 * whose completion may end a shadow without moving RIP.
		 */
		if (vcpu->state == MKVM_STATE_ARCH && !all)
			vcpu->state = MKVM_STATE_BOTH;
		if (r)
			mkvm_be->vcpu_load_state(vcpu);
		return r;
	}
	r = mkvm_pin_gfn(vm, slot, gfn, write, &page, &writable, &huge);
	if (!r && huge)
		r = mkvm_be->map_huge(vm, gfn & ~(u64)(MKVM_HUGE_PAGES - 1),
				      page, writable);
	else if (!r)
		r = mkvm_be->map_gfn(vm, gfn, page, writable);
	mutex_unlock(&vm->slots_lock);
	if (r)
		return r;
	vcpu->stat->pf_fixed++;
	return 1;
}

/**
 * mkvm_x86_exit_unhandled() - an exit minikvm has no handler for
 * @vcpu: the vCPU
 * @reason: the vendor's exit code (SVM) or exit reason (VMX)
 *
 * KVM's report for it: KVM_EXIT_INTERNAL_ERROR, UNEXPECTED_EXIT_REASON,
 * with the raw reason and the physical CPU in data[].  Return: 0.
 */
int mkvm_x86_exit_unhandled(struct mkvm_vcpu *vcpu, u64 reason)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON;
	run->internal.ndata = 2;
	run->internal.data[0] = reason;
	run->internal.data[1] = vcpu->last_cpu;
	return 0;
}

/*
 * minikvm's explanation overlays kvm_run.fail_entry (include/uapi/linux/
 * minikvm.h): KVM's two fields first, and all of it inside the exit union.
 */
static_assert(offsetof(struct minikvm_fail_entry, cpu) ==
	      offsetof(struct kvm_run, fail_entry.cpu) -
	      offsetof(struct kvm_run, fail_entry));
static_assert(sizeof(struct minikvm_fail_entry) <=
	      sizeof(((struct kvm_run *)0)->padding));
static_assert(offsetof(struct kvm_run, padding) ==
	      offsetof(struct kvm_run, fail_entry));

/**
 * mkvm_x86_fail_entry() - report a VM entry the hardware refused
 * @vcpu: the vCPU
 * @hw_reason: VMX: the VM-instruction error or the exit reason; SVM: the
 *	exit code (VMEXIT_INVALID)
 * @rule_id: MINIKVM_RULE_* the software checker found, 0: none
 * @rule: its name and manual section, NULL for none
 *
 * KVM_EXIT_FAIL_ENTRY as KVM fills it, plus minikvm's explanation (magic,
 * rule, text) in the rest of the union, and one ratelimited dmesg line.
 * Return: 0, to userspace.
 */
int mkvm_x86_fail_entry(struct mkvm_vcpu *vcpu, u64 hw_reason, u32 rule_id,
			const struct mkvm_entry_rule *rule)
{
	/* The exit union, of which KVM's fail_entry is the first 12 bytes. */
	struct minikvm_fail_entry *fe = (void *)vcpu->run->padding;

	vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	memset(fe, 0, sizeof(*fe));
	fe->hardware_entry_failure_reason = hw_reason;
	fe->cpu = vcpu->last_cpu;
	fe->rule = rule ? rule_id : 0;
	fe->magic = MINIKVM_FAIL_ENTRY_MAGIC;
	mkvm_entry_rule_text(fe->text, sizeof(fe->text), rule);
	pr_info_ratelimited("vCPU %u: VM entry refused, hardware reason %#llx: %s\n",
			    vcpu->id, hw_reason, fe->text);
	return 0;
}

/**
 * mkvm_x86_complete_needs_all() - does completing the pending exit need
 * more than the run registers (enum mkvm_state_home)?
 * @vcpu: the vCPU
 *
 * String I/O and a MOVS that read MMIO reach guest memory through the
 * segments and the guest's paging; a REP STOS/MOVS may end its interrupt
 * shadow without moving RIP, which only a whole load tells VMX.
 */
bool mkvm_x86_complete_needs_all(const struct mkvm_vcpu *vcpu)
{
	const struct mkvm_x86_pending *p = &vcpu->arch.pending;

	return (p->exit_reason == KVM_EXIT_IO && p->str_size) ||
	       (p->exit_reason == KVM_EXIT_MMIO &&
		(p->insn.op == MKVM_INSN_MOVS || p->insn.op == MKVM_INSN_STOS));
}

/**
 * mkvm_x86_complete_exit() - finish the instruction userspace handled
 * @vcpu: the vCPU, its state in vcpu->arch
 *
 * An IN writes its data into AL/AX/EAX (a 32-bit IN clears RAX's upper
 * half, as a 32-bit register write does; SDM Vol. 1, "General-Purpose
 * Registers in 64-Bit Mode"); an INS writes it to ES:rDI; an MMIO load
 * writes its bytes into its register (those from RAM read at the exit,
 * those of the fragment kvm_run shows from kvm_run's data).  Then RIP moves
 * on.  An MMIO access split in two fragments (mkvm_mmio_split()) is not
 * done after the first: as KVM's complete_emulated_mmio(), the second is
 * prepared in kvm_run instead, and KVM_RUN returns to userspace with it.
 *
 * Return: 0; 1 when another KVM_EXIT_MMIO is ready for userspace; or
 * -EFAULT when an INS or MOVS target went away meanwhile.
 */
int mkvm_x86_complete_exit(struct mkvm_vcpu *vcpu)
{
	struct mkvm_x86_state *st = &vcpu->arch;
	const void *data = page_address(vcpu->pio_page);
	struct kvm_regs *r = &st->regs;
	struct mkvm_x86_pending p = st->pending;
	u64 val = 0, g[MKVM_NR_GPRS];

	st->pending.exit_reason = 0;
	if (p.exit_reason == KVM_EXIT_IO && p.io_size) {
		memcpy(&val, data, p.io_size);
		r->rax = p.io_size == 4 ? val :
			 (r->rax & ~((1ULL << (p.io_size * 8)) - 1)) | val;
	} else if (p.exit_reason == KVM_EXIT_IO && p.str_size) {
		u64 mask = mkvm_addr_mask(p.addr_size);
		s64 step = mkvm_string_step(r, p.str_size);

		if (p.str_in) {
			if (mkvm_guest_linear_rw(vcpu,
						 mkvm_linear(vcpu, MKVM_SEG_ES,
							     r->rdi & mask),
						 (void *)data, p.str_size, true))
				return -EFAULT;
			r->rdi = mkvm_reg_add(r->rdi, step, p.addr_size);
		} else {
			r->rsi = mkvm_reg_add(r->rsi, step, p.addr_size);
		}
		/* REP: RIP stays on the instruction until rCX reaches 0. */
		if (p.rep) {
			r->rcx = mkvm_reg_add(r->rcx, -1, p.addr_size);
			if (r->rcx & mask)
				return 0;
		}
	} else if (p.exit_reason == KVM_EXIT_MMIO) {
		/* The fragment userspace handled; then the next, if any. */
		if (p.cur_frag < p.nr_frags) {
			const struct mkvm_x86_mmio_frag *f =
				&p.frags[p.cur_frag];

			if (!p.insn.is_write)
				memcpy(p.data + f->off, vcpu->run->mmio.data,
				       f->len);
			if (++p.cur_frag < p.nr_frags) {
				st->pending = p;
				mkvm_mmio_frag_exit(vcpu);
				return 1;
			}
		}
		if (p.insn.op == MKVM_INSN_MOVS && p.insn.is_read &&
		    mkvm_guest_linear_rw(vcpu, p.movs_dst, p.data,
					 p.insn.size, true))
			return -EFAULT;
		if (p.insn.op == MKVM_INSN_LOAD) {
			memcpy(&val, p.data, sizeof(val));
			mkvm_gprs_get(r, g);
			mkvm_insn_complete_load(&p.insn, g, val);
			mkvm_gprs_set(r, g);
		}
	} else if (!p.exit_reason) {
		return 0;
	}
	r->rip = p.next_rip;
	/*
	 * The instruction is done: an STI/MOV SS shadow covered it and ends
	 * (SDM Vol. 3A, "Interrupt and Exception Handling", blocking by STI
	 * and MOV SS lasts one instruction), as when KVM completes it.
	 */
	st->ev.shadow = 0;
	return 0;
}
