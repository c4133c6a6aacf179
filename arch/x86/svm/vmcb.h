/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Virtual Machine Control Block, as AMD APM Vol. 2, Appendix B "Layout
 * of VMCB" defines it: a 1 KiB control area followed by the state-save
 * area, in one 4 KiB page.  Offsets are checked at compile time against
 * the manual's tables; exit codes follow Appendix C "SVM Intercept Exit
 * Codes".
 */
#ifndef MINIKVM_VMCB_H
#define MINIKVM_VMCB_H

/* Also built in userspace by the unit test of svm_check.c (see svm_check.h). */
#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <asm/page.h>
#endif

/* Intercept vector 3, control area offset 00Ch (Table B-1). */
#define SVM_ICPT_CR4_WRITE		BIT(16 + 4)	/* in intercept_cr */
#define SVM_ICPT_INTR			BIT(0)
#define SVM_ICPT_NMI			BIT(1)
#define SVM_ICPT_SMI			BIT(2)
#define SVM_ICPT_INIT			BIT(3)
#define SVM_ICPT_VINTR			BIT(4)	/* virtual interrupt taken */
#define SVM_ICPT_CPUID			BIT(18)
#define SVM_ICPT_IRET			BIT(20)
#define SVM_ICPT_INVD			BIT(22)
#define SVM_ICPT_HLT			BIT(24)
#define SVM_ICPT_INVLPGA		BIT(26)
#define SVM_ICPT_IOIO_PROT		BIT(27)
#define SVM_ICPT_MSR_PROT		BIT(28)
#define SVM_ICPT_TASK_SWITCH		BIT(29)
#define SVM_ICPT_SHUTDOWN		BIT(31)

/* Intercept vector 4, control area offset 010h (Table B-1). */
#define SVM_ICPT_VMRUN			BIT(0)	/* VMRUN must be intercepted */
#define SVM_ICPT_VMMCALL		BIT(1)
#define SVM_ICPT_VMLOAD			BIT(2)
#define SVM_ICPT_VMSAVE			BIT(3)
#define SVM_ICPT_STGI			BIT(4)
#define SVM_ICPT_CLGI			BIT(5)
#define SVM_ICPT_SKINIT			BIT(6)
#define SVM_ICPT_MONITOR		BIT(10)
#define SVM_ICPT_MWAIT			BIT(11)
#define SVM_ICPT_XSETBV			BIT(13)

/* TLB_CONTROL, offset 05Ch (Table B-1, "TLB Flush"). */
#define SVM_TLB_CONTROL_NONE		0
#define SVM_TLB_CONTROL_FLUSH_ALL	1	/* all ASIDs */
#define SVM_TLB_CONTROL_FLUSH_ASID	3	/* this guest's ASID */

/* The virtual interrupt control, offset 060h. */
#define SVM_V_TPR_MASK			0xf	/* CR8 of the guest */
#define SVM_V_IRQ			BIT(8)	/* a virtual interrupt pending */
#define SVM_V_INTR_PRIO_MASK		(0xf << 16)
#define SVM_V_IGN_TPR			BIT(20)
#define SVM_V_INTR_MASKING		BIT(24)

/* INTERRUPT_SHADOW, offset 068h bit 0: the STI / MOV SS shadow. */
#define SVM_INT_SHADOW			BIT(0)

/* Nested paging enable, offset 090h bit 0. */
#define SVM_NESTED_CTL_NP_ENABLE	BIT(0)

/* EXITINFO1 of an IOIO intercept (APM Vol. 2, "IOIO Intercepts"). */
#define SVM_IOIO_TYPE_IN		BIT(0)
#define SVM_IOIO_STR			BIT(2)
#define SVM_IOIO_REP			BIT(3)
#define SVM_IOIO_SZ8			BIT(4)
#define SVM_IOIO_SZ16			BIT(5)
#define SVM_IOIO_SZ32			BIT(6)
#define SVM_IOIO_PORT_SHIFT		16

/* EXITINFO1 of a nested page fault (APM Vol. 2, "Nested Page Fault"). */
#define SVM_NPF_PRESENT			BIT_ULL(0)
#define SVM_NPF_WRITE			BIT_ULL(1)
#define SVM_NPF_FETCH			BIT_ULL(4)

/*
 * EXITINFO1 of a CR write intercept, with decode assists (APM Vol. 2,
 * "Decode Assists"): bit 63 says it was a MOV, bits 3:0 name its GPR.
 */
#define SVM_CR_EXITINFO_MOV		BIT_ULL(63)
#define SVM_CR_EXITINFO_GPR		0xfULL

/* EVENTINJ, offset 0A8h (APM Vol. 2, "Event Injection"). */
#define SVM_EVTINJ_VEC_MASK		0xff
#define SVM_EVTINJ_TYPE_MASK		(7 << 8)
#define SVM_EVTINJ_TYPE_INTR		(0 << 8)
#define SVM_EVTINJ_TYPE_NMI		(2 << 8)
#define SVM_EVTINJ_TYPE_EXEPT		(3 << 8)
#define SVM_EVTINJ_TYPE_SOFT		(4 << 8)	/* INTn */
#define SVM_EVTINJ_VALID_ERR		BIT(11)
#define SVM_EVTINJ_VALID		BIT(31)

/* Exit codes (APM Vol. 2, Appendix C). */
#define SVM_EXIT_WRITE_CR4		0x014
#define SVM_EXIT_EXCP_BASE		0x040
#define SVM_EXIT_EXCP_DB		0x041	/* #DB, vector 1 */
#define SVM_EXIT_EXCP_BP		0x043	/* #BP, vector 3 */
#define SVM_EXIT_EXCP_AC		0x051	/* #AC, vector 17 */
#define SVM_EXIT_INTR			0x060
#define SVM_EXIT_NMI			0x061
#define SVM_EXIT_SMI			0x062
#define SVM_EXIT_INIT			0x063
#define SVM_EXIT_VINTR			0x064
#define SVM_EXIT_CPUID			0x072
#define SVM_EXIT_IRET			0x074
#define SVM_EXIT_INVD			0x076
#define SVM_EXIT_HLT			0x078
#define SVM_EXIT_INVLPGA		0x07a
#define SVM_EXIT_IOIO			0x07b
#define SVM_EXIT_MSR			0x07c
#define SVM_EXIT_TASK_SWITCH		0x07d
#define SVM_EXIT_SHUTDOWN		0x07f
#define SVM_EXIT_VMRUN			0x080
#define SVM_EXIT_VMMCALL		0x081
#define SVM_EXIT_VMLOAD			0x082
#define SVM_EXIT_VMSAVE			0x083
#define SVM_EXIT_STGI			0x084
#define SVM_EXIT_CLGI			0x085
#define SVM_EXIT_SKINIT			0x086
#define SVM_EXIT_MONITOR		0x08a
#define SVM_EXIT_MWAIT			0x08b
#define SVM_EXIT_XSETBV			0x08d
#define SVM_EXIT_NPF			0x400
#define SVM_EXIT_INVALID		((u64)-1)	/* VMRUN refused the state */
#define SVM_EXIT_MAX			0x401	/* size of the handler table */

/* A segment register in the save area (APM Vol. 2, Table B-2). */
struct vmcb_seg {
	u16 selector;		/* +0 */
	u16 attrib;		/* +2: descriptor bits 55:52 and 47:40, packed */
	u32 limit;		/* +4: byte-granular, already expanded */
	u64 base;		/* +8 */
} __packed;

/* Packed attribute bits (APM Vol. 2, "Segment State in the VMCB"). */
#define SVM_SEG_TYPE_MASK		0x000f
#define SVM_SEG_S			BIT(4)
#define SVM_SEG_DPL_SHIFT		5
#define SVM_SEG_P			BIT(7)
#define SVM_SEG_AVL			BIT(8)
#define SVM_SEG_L			BIT(9)
#define SVM_SEG_DB			BIT(10)
#define SVM_SEG_G			BIT(11)

/* Control area: offsets 000h-3FFh (APM Vol. 2, Table B-1). */
struct vmcb_control {
	u32 intercept_cr;		/* 000h: 15:0 reads, 31:16 writes */
	u32 intercept_dr;		/* 004h */
	u32 intercept_exceptions;	/* 008h */
	u32 intercept_misc1;		/* 00Ch: vector 3 */
	u32 intercept_misc2;		/* 010h: vector 4 */
	u32 intercept_misc3;		/* 014h: vector 5 */
	u8 reserved_018[0x03c - 0x018];
	u16 pause_filter_thresh;	/* 03Ch */
	u16 pause_filter_count;		/* 03Eh */
	u64 iopm_base_pa;		/* 040h */
	u64 msrpm_base_pa;		/* 048h */
	u64 tsc_offset;			/* 050h */
	u32 asid;			/* 058h */
	u8 tlb_control;			/* 05Ch */
	u8 reserved_05d[3];
	u32 int_ctl;			/* 060h: V_TPR, V_IRQ, V_INTR_MASKING */
	u32 int_vector;			/* 064h */
	u32 int_state;			/* 068h: bit 0 interrupt shadow */
	u32 reserved_06c;
	u64 exit_code;			/* 070h */
	u64 exit_info_1;		/* 078h */
	u64 exit_info_2;		/* 080h */
	u32 exit_int_info;		/* 088h: EXITINTINFO */
	u32 exit_int_info_err;		/* 08Ch */
	u64 nested_ctl;			/* 090h: NP_ENABLE */
	u64 avic_vapic_bar;		/* 098h */
	u64 ghcb_gpa;			/* 0A0h */
	u32 event_inj;			/* 0A8h: EVENTINJ */
	u32 event_inj_err;		/* 0ACh */
	u64 nested_cr3;			/* 0B0h: N_CR3 */
	u64 virt_ext;			/* 0B8h: LBR virtualization, VMSAVE/VMLOAD virt. */
	u32 clean;			/* 0C0h: VMCB clean bits */
	u32 reserved_0c4;
	u64 next_rip;			/* 0C8h: nRIP (with NRIPS) */
	u8 insn_len;			/* 0D0h: bytes fetched (decode assists) */
	u8 insn_bytes[15];		/* 0D1h */
	u8 reserved_0e0[0x400 - 0x0e0];
} __packed;

/* State-save area: offsets 400h and up (APM Vol. 2, Table B-2). */
struct vmcb_save {
	struct vmcb_seg es;		/* 400h */
	struct vmcb_seg cs;		/* 410h */
	struct vmcb_seg ss;		/* 420h */
	struct vmcb_seg ds;		/* 430h */
	struct vmcb_seg fs;		/* 440h */
	struct vmcb_seg gs;		/* 450h */
	struct vmcb_seg gdtr;		/* 460h: selector/attrib unused */
	struct vmcb_seg ldtr;		/* 470h */
	struct vmcb_seg idtr;		/* 480h */
	struct vmcb_seg tr;		/* 490h */
	u8 reserved_4a0[0x4cb - 0x4a0];
	u8 cpl;				/* 4CBh */
	u32 reserved_4cc;
	u64 efer;			/* 4D0h */
	u8 reserved_4d8[0x548 - 0x4d8];
	u64 cr4;			/* 548h */
	u64 cr3;			/* 550h */
	u64 cr0;			/* 558h */
	u64 dr7;			/* 560h */
	u64 dr6;			/* 568h */
	u64 rflags;			/* 570h */
	u64 rip;			/* 578h */
	u8 reserved_580[0x5d8 - 0x580];
	u64 rsp;			/* 5D8h */
	u64 s_cet;			/* 5E0h */
	u64 ssp;			/* 5E8h */
	u64 isst_addr;			/* 5F0h */
	u64 rax;			/* 5F8h */
	u64 star;			/* 600h */
	u64 lstar;			/* 608h */
	u64 cstar;			/* 610h */
	u64 sfmask;			/* 618h */
	u64 kernel_gs_base;		/* 620h */
	u64 sysenter_cs;		/* 628h */
	u64 sysenter_esp;		/* 630h */
	u64 sysenter_eip;		/* 638h */
	u64 cr2;			/* 640h */
	u8 reserved_648[0x668 - 0x648];
	u64 g_pat;			/* 668h */
	u64 dbgctl;			/* 670h */
	u64 br_from;			/* 678h */
	u64 br_to;			/* 680h */
	u64 last_excp_from;		/* 688h */
	u64 last_excp_to;		/* 690h */
} __packed;

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
} __packed;

/* Offsets as printed in the manual's tables. */
static_assert(sizeof(struct vmcb_control) == 0x400);
static_assert(offsetof(struct vmcb_control, iopm_base_pa) == 0x040);
static_assert(offsetof(struct vmcb_control, asid) == 0x058);
static_assert(offsetof(struct vmcb_control, exit_code) == 0x070);
static_assert(offsetof(struct vmcb_control, nested_ctl) == 0x090);
static_assert(offsetof(struct vmcb_control, event_inj) == 0x0a8);
static_assert(offsetof(struct vmcb_control, nested_cr3) == 0x0b0);
static_assert(offsetof(struct vmcb_control, next_rip) == 0x0c8);
static_assert(offsetof(struct vmcb_control, insn_bytes) == 0x0d1);
static_assert(offsetof(struct vmcb, save.tr) == 0x490);
static_assert(offsetof(struct vmcb, save.cpl) == 0x4cb);
static_assert(offsetof(struct vmcb, save.efer) == 0x4d0);
static_assert(offsetof(struct vmcb, save.cr4) == 0x548);
static_assert(offsetof(struct vmcb, save.rip) == 0x578);
static_assert(offsetof(struct vmcb, save.rsp) == 0x5d8);
static_assert(offsetof(struct vmcb, save.rax) == 0x5f8);
static_assert(offsetof(struct vmcb, save.cr2) == 0x640);
static_assert(offsetof(struct vmcb, save.g_pat) == 0x668);
static_assert(sizeof(struct vmcb) <= PAGE_SIZE);

#endif /* MINIKVM_VMCB_H */
