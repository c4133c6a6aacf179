/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x86 architectural vCPU state shared by the VMX and SVM backends: the
 * registers userspace reads and writes with KVM_GET/SET_REGS and
 * KVM_GET/SET_SREGS, their power-on values and their validity rules.
 *
 * The state is kept in KVM's uAPI layout so the ioctls are plain copies; a
 * backend loads it into its VMCS/VMCB before VM-entry.
 */
#ifndef MINIKVM_X86_H
#define MINIKVM_X86_H

#include <linux/types.h>
#include <linux/kvm.h>

#include "decode.h"

/*
 * Guest MAXPHYADDR while userspace has set no guest CPUID: KVM assumes 36
 * bits in that case, and so does minikvm (Intel SDM Vol. 3A, "Physical
 * Address Space"; CPUID leaf 80000008H absent).
 */
#define MKVM_DEFAULT_MAXPHYADDR	36

/* KVM_GET_REGS reports RDX = family/model/stepping 0x600 with no CPUID. */

/* Segment type codes (SDM Vol. 3A, "Segment Descriptor Types"). */
#define MKVM_SEG_TYPE_DATA_RW		0x2
#define MKVM_SEG_TYPE_DATA_RW_ACC	0x3
#define MKVM_SEG_TYPE_CODE_RX		0xa
#define MKVM_SEG_TYPE_CODE_RX_ACC	0xb
#define MKVM_SEG_TYPE_LDT		0x2
#define MKVM_SEG_TYPE_TSS16_BUSY	0x3
#define MKVM_SEG_TYPE_TSS32_BUSY	0xb
#define MKVM_RESET_RDX		0x600

/*
 * An exit userspace is handling: the next KVM_RUN finishes the instruction
 * (RIP past it; for an IN, the data into RAX) before entering the guest.
 */
struct mkvm_x86_pending {
	u32 exit_reason;	/* KVM_EXIT_IO or _MMIO; 0: nothing pending */
	u64 next_rip;		/* where the guest resumes */
	u8 io_size;		/* IN: bytes into RAX */
	u8 ins_size;		/* INS: bytes to ES:rDI */
	u8 addr_size;		/* INS: address size */
	struct mkvm_insn insn;	/* MMIO: the decoded instruction */
	u64 movs_dst;		/* MMIO read by MOVS: where the data goes */
};

/* The guest's MTRRs (msr.c): stored and validated, not applied. */
#define MKVM_NR_VAR_MTRR	8	/* variable ranges, as KVM */
#define MKVM_NR_FIXED_MTRR	11
struct mkvm_x86_mtrr {
	u64 def_type;			/* IA32_MTRR_DEF_TYPE */
	u64 fixed[MKVM_NR_FIXED_MTRR];	/* 64K_00000 ... 4K_F8000 */
	u64 var[2 * MKVM_NR_VAR_MTRR];	/* PHYSBASE0, PHYSMASK0, ... */
};

struct mkvm_x86_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;		/* interrupt_bitmap kept all zero */
	int pending_irq;		/* external interrupt to inject, or -1 */
	struct mkvm_x86_pending pending;
	struct mkvm_x86_mtrr mtrr;
	u64 tsc_aux;			/* the guest's IA32_TSC_AUX */
	u64 host_tsc_aux;		/* the host's, while the guest's is in */
};

u64 mkvm_x86_max_gfn(void);
bool mkvm_x86_is_canonical(u64 addr);
bool mkvm_x86_pat_valid(u64 pat);
bool mkvm_x86_efer_valid(u64 efer);
bool mkvm_x86_cr4_valid(u64 cr4, u64 efer);
void mkvm_x86_reset(struct mkvm_x86_state *st, u32 vcpu_id);
void mkvm_x86_init_event(struct mkvm_x86_state *st, u32 vcpu_id);
void mkvm_x86_set_regs(struct mkvm_x86_state *st,
		       const struct kvm_regs *regs);
void mkvm_x86_get_sregs(const struct mkvm_x86_state *st,
			struct kvm_sregs *sregs);
int mkvm_x86_set_sregs(struct mkvm_x86_state *st,
		       const struct kvm_sregs *sregs);
void mkvm_x86_exit_io(struct mkvm_x86_state *st, struct kvm_run *run,
		      void *pio_data, u16 port, u8 size, bool in, u64 out_val,
		      u64 next_rip);

struct mkvm_vcpu;
/* cpuid.c */
extern bool mkvm_x86_tsc_aux_offered;
void mkvm_x86_cpuid_init(void);
void mkvm_x86_cpuid(struct mkvm_vcpu *vcpu, u64 cr4, u32 *eax, u32 *ebx,
		    u32 *ecx, u32 *edx);
bool mkvm_x86_cpuid_has(u32 leaf, unsigned int reg, unsigned int bit);

/* msr.c */
int mkvm_x86_msr_common(struct mkvm_vcpu *vcpu, u32 msr, u64 *val,
			bool write);
void mkvm_x86_tsc_aux_load_guest(struct mkvm_vcpu *vcpu);
void mkvm_x86_tsc_aux_load_host(struct mkvm_vcpu *vcpu);

/* emulate.c */
int mkvm_x86_string_io(struct mkvm_vcpu *vcpu, u16 port, u8 size, bool in,
		       bool rep, u64 next_rip);
int mkvm_x86_mmio(struct mkvm_vcpu *vcpu, u64 gpa, const u8 *fetched,
		  unsigned int nfetched);
int mkvm_x86_complete_exit(struct mkvm_vcpu *vcpu);
int mkvm_x86_tdp_fault(struct mkvm_vcpu *vcpu, u64 gpa, bool write,
		       const u8 *fetched, unsigned int nfetched);
int mkvm_x86_exit_unhandled(struct mkvm_vcpu *vcpu, u64 reason);
struct mkvm_entry_rule;
int mkvm_x86_fail_entry(struct mkvm_vcpu *vcpu, u64 hw_reason, u32 rule_id,
			const struct mkvm_entry_rule *rule);
int mkvm_x86_write_cr4(struct mkvm_vcpu *vcpu, int gpr, unsigned int len,
		       bool *gp);

#endif /* MINIKVM_X86_H */
