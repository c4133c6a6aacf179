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
#include <asm/fpu/types.h>

#include "decode.h"

/*
 * Guest MAXPHYADDR while userspace has set no guest CPUID, or one without
 * leaf 80000008H: KVM assumes 36 bits in that case, and so does minikvm
 * (Intel SDM Vol. 3A, "Physical Address Space"; CPUID leaf 80000008H
 * absent).  Otherwise it is that leaf's EAX[7:0] (cpuid.c).
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
/*
 * The part of an MMIO access in one page that userspace handles, as KVM's
 * struct kvm_mmio_fragment: an access that straddles a page boundary has
 * one per page (emulate.c, mkvm_mmio_split()).
 */
struct mkvm_x86_mmio_frag {
	u64 gpa;		/* its first byte */
	u8 off;			/* where its bytes sit in the operand */
	u8 len;			/* 1 to 8 */
};

struct mkvm_x86_pending {
	u32 exit_reason;	/* KVM_EXIT_IO or _MMIO; 0: nothing pending */
	u64 next_rip;		/* where the guest resumes */
	u8 io_size;		/* IN: bytes into RAX */
	u8 str_size;		/* INS/OUTS: element size, 0: not a string */
	bool str_in;		/* INS: the element goes to ES:rDI */
	bool rep;		/* INS/OUTS with REP: rCX counts down */
	u8 addr_size;		/* INS/OUTS: address size */
	struct mkvm_insn insn;	/* MMIO: the decoded instruction */
	u64 movs_dst;		/* MMIO read by MOVS: where the data goes */
	u8 nr_frags;		/* MMIO: fragments for userspace, 0 to 2 */
	u8 cur_frag;		/* MMIO: the one kvm_run shows */
	struct mkvm_x86_mmio_frag frags[2];
	/*
	 * MMIO: the operand's bytes, little-endian: a store's data; a load's
	 * bytes from RAM and the in-kernel devices at once, from userspace
	 * fragment by fragment.
	 */
	u8 data[8];
};

/* The guest's MTRRs (msr.c): stored and validated, not applied. */
#define MKVM_NR_VAR_MTRR	8	/* variable ranges, as KVM */
#define MKVM_NR_FIXED_MTRR	11
struct mkvm_x86_mtrr {
	u64 def_type;			/* IA32_MTRR_DEF_TYPE */
	u64 fixed[MKVM_NR_FIXED_MTRR];	/* 64K_00000 ... 4K_F8000 */
	u64 var[2 * MKVM_NR_VAR_MTRR];	/* PHYSBASE0, PHYSMASK0, ... */
};

/*
 * A guest CPUID table as KVM_SET_CPUID2 gave it (cpuid.c), entries in
 * userspace's order.  Immutable once set: a new KVM_SET_CPUID2 replaces it.
 */
struct mkvm_x86_cpuid {
	u32 nent;
	struct kvm_cpuid_entry2 entries[];
};

/*
 * Debugging (debug.c): the guest's own debug registers, and what userspace
 * asked with KVM_SET_GUEST_DEBUG.  While userspace's hardware breakpoints
 * (USE_HW_BP) are in the debug registers, the guest's stay here.
 */
struct mkvm_x86_debug {
	u64 db[4];		/* the guest's DR0-DR3 */
	u64 dr6, dr7;		/* the guest's DR6 and DR7 */
	u32 control;		/* KVM_GUESTDBG_* in effect; 0: not debugged */
	u64 user_db[4];		/* USE_HW_BP: userspace's DR0-DR3 ... */
	u64 user_dr7;		/* ... and DR7 */
	u64 singlestep_rip;	/* SINGLESTEP: linear RIP it was asked at */
	int inject;		/* INJECT_DB/_BP: vector for the next entry, -1 */
	u8 bp_len;		/* length of the INT3 of the last #BP exit */
};

/*
 * Events for the guest (events.c), KVM's userspace-irqchip model.  Between
 * two KVM_RUNs this is the whole truth (the backend loads it before the
 * first entry and saves it after the last exit).  An "injected" event goes
 * in at the next entry whatever the guest's state; it was given by
 * userspace (KVM_INTERRUPT, KVM_SET_SREGS, KVM_SET_VCPU_EVENTS), queued by
 * the hypervisor (an exception), or its delivery was cut short by an exit
 * (IDT-vectoring information, EXITINTINFO).  A pending NMI waits until NMIs
 * are not blocked.  The backends turn the choice of mkvm_x86_event_next()
 * into EVENTINJ / VM-entry interruption information.
 */
struct mkvm_x86_events {
	bool exc_injected;	/* exception exc_nr at the next entry */
	bool exc_has_err;
	u8 exc_nr;
	u32 exc_err;
	bool irq_injected;	/* external interrupt irq_nr at the next entry */
	bool irq_soft;		/* ... as INT n (KVM_SET_VCPU_EVENTS soft) */
	u8 irq_nr;
	bool nmi_injected;	/* NMI at the next entry */
	u8 nmi_pending;		/* NMIs waiting, at most one (process_nmi) */
	bool nmi_masked;	/* NMIs blocked until the next IRET */
	u8 shadow;		/* KVM_X86_SHADOW_INT_*: STI / MOV SS shadow */
};

/* What mkvm_x86_event_next() chose for the next entry. */
enum mkvm_x86_event_type {
	MKVM_EVENT_NONE,
	MKVM_EVENT_EXC,		/* hardware exception, error code if has_err */
	MKVM_EVENT_NMI,
	MKVM_EVENT_IRQ,		/* external interrupt */
	MKVM_EVENT_SOFT_IRQ,	/* INT n */
};

struct mkvm_x86_event {
	enum mkvm_x86_event_type type;
	u8 vector;
	bool has_err;
	u32 err;
};

struct mkvm_x86_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;		/* interrupt_bitmap kept all zero */
	struct mkvm_x86_events ev;	/* events.c */
	struct mkvm_x86_pending pending;
	struct mkvm_x86_mtrr mtrr;
	u64 tsc_aux;			/* the guest's IA32_TSC_AUX */
	u64 ucode_rev;			/* IA32_UCODE_REV (msr.c) */
	u64 hwcr;			/* AMD's HWCR (msr.c) */
	u64 host_tsc_aux;		/* the host's, while the guest's is in */
	/* Guest CPUID and time (cpuid.c, msr.c), kept across INIT. */
	struct mkvm_x86_cpuid *cpuid;	/* KVM_SET_CPUID2's; NULL: default */
	u8 maxphyaddr;			/* guest MAXPHYADDR, from cpuid */
	u64 tsc_offset;			/* guest TSC = host TSC + tsc_offset */
	struct mkvm_x86_debug dbg;
	/* fpu.c: x87/SSE/AVX registers, kept across INIT, and XCR0. */
	struct fpu_guest fpu;
	u64 xcr0;
};

u64 mkvm_x86_max_gfn(void);
bool mkvm_x86_is_canonical(u64 addr);
bool mkvm_x86_pat_valid(u64 pat);
bool mkvm_x86_efer_valid(u64 efer);
bool mkvm_x86_efer_guest_valid(const struct mkvm_x86_state *st, u64 efer);
bool mkvm_x86_cr4_valid(const struct mkvm_x86_state *st, u64 cr4, u64 efer);
bool mkvm_x86_gpa_legal(const struct mkvm_x86_state *st, u64 gpa);
void mkvm_x86_reset(struct mkvm_x86_state *st, bool bsp);
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
struct mkvm_vm;
/* debug.c */
#define MKVM_DR6_RESET		0xffff0ff0ULL	/* DR6 after RESET, no bit set */
#define MKVM_DR7_RESET		0x400ULL	/* DR7 after RESET */
#define MKVM_DR7_ENABLED	0xffULL		/* L0-L3, G0-G3 */
void mkvm_x86_debug_reset(struct mkvm_x86_debug *dbg, bool init);
int mkvm_x86_set_guest_debug(struct mkvm_vcpu *vcpu, void __user *argp);
int mkvm_x86_get_debugregs(struct mkvm_vcpu *vcpu, void __user *argp);
int mkvm_x86_set_debugregs(struct mkvm_vcpu *vcpu, void __user *argp);
u64 mkvm_x86_user_rflags(const struct mkvm_x86_state *st);
void mkvm_x86_set_user_rflags(struct mkvm_x86_state *st, u64 rflags);
u32 mkvm_x86_debug_intercepts(const struct mkvm_x86_state *st);
void mkvm_x86_debug_regs(const struct mkvm_x86_state *st, u64 *db, u64 *dr7);
void mkvm_x86_debug_save(struct mkvm_x86_state *st, const u64 *db, u64 dr7,
			 u64 dr6);
u64 mkvm_x86_debug_entry_dr6(const struct mkvm_x86_state *st);
u64 mkvm_x86_dr6_db(u64 dr6, u64 cause);
int mkvm_x86_debug_exit(struct mkvm_vcpu *vcpu, u8 vector, u64 dr6, u64 dr7);
int mkvm_x86_debug_step(struct mkvm_vcpu *vcpu);
/* events.c */
void mkvm_x86_queue_exception(struct mkvm_vcpu *vcpu, u8 nr, bool has_err,
			      u32 err);
int mkvm_x86_event_next(struct mkvm_vcpu *vcpu, bool nmi_blocked,
			bool irq_blocked, struct mkvm_x86_event *ev);
void mkvm_x86_event_interrupted(struct mkvm_vcpu *vcpu,
				const struct mkvm_x86_event *ev);
bool mkvm_x86_irq_window_wanted(struct mkvm_vcpu *vcpu);
bool mkvm_x86_irq_window_exit(struct mkvm_vcpu *vcpu, bool if_set,
			      bool shadow);
bool mkvm_x86_ready_for_interrupt(struct mkvm_vcpu *vcpu);
long mkvm_vcpu_interrupt(struct mkvm_vcpu *vcpu, void __user *argp);
long mkvm_vcpu_nmi(struct mkvm_vcpu *vcpu);
long mkvm_vcpu_get_events(struct mkvm_vcpu *vcpu, void __user *argp);
long mkvm_vcpu_set_events(struct mkvm_vcpu *vcpu, void __user *argp);

/* lapic.c: the in-kernel local APIC (KVM_CREATE_IRQCHIP) */
int mkvm_lapic_create(struct mkvm_vcpu *vcpu);
void mkvm_lapic_free(struct mkvm_vcpu *vcpu);
long mkvm_lapic_get(struct mkvm_vcpu *vcpu, void __user *argp);
long mkvm_lapic_set(struct mkvm_vcpu *vcpu, void __user *argp);
bool mkvm_lapic_mmio(struct mkvm_vcpu *vcpu, u64 gpa, bool write, void *data,
		     unsigned int len);
int mkvm_lapic_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 *val, bool write);
int mkvm_lapic_set_base(struct mkvm_vcpu *vcpu, u64 val, bool host);
int mkvm_lapic_tsc_deadline(struct mkvm_vcpu *vcpu, u64 *val, bool write,
			    bool host);
int mkvm_lapic_take_irq(struct mkvm_vcpu *vcpu);
bool mkvm_lapic_has_irq(struct mkvm_vcpu *vcpu);
unsigned int mkvm_lapic_sync(struct mkvm_vcpu *vcpu);
void mkvm_lapic_entry_check(struct mkvm_vcpu *vcpu);
int mkvm_lapic_halt(struct mkvm_vcpu *vcpu, bool if_set);
int mkvm_lapic_halt_wait(struct mkvm_vcpu *vcpu);
void mkvm_lapic_accept_events(struct mkvm_vcpu *vcpu);
int mkvm_lapic_before_entry(struct mkvm_vcpu *vcpu);
bool mkvm_lapic_uninitialized(struct mkvm_vcpu *vcpu);
int mkvm_lapic_uninit_run(struct mkvm_vcpu *vcpu);
long mkvm_lapic_get_mp_state(struct mkvm_vcpu *vcpu, void __user *argp);
long mkvm_lapic_set_mp_state(struct mkvm_vcpu *vcpu, void __user *argp);
u8 mkvm_lapic_tpr_sync(struct mkvm_vcpu *vcpu, u8 hw, u8 *last, u8 mask);
u8 mkvm_lapic_cr8(struct mkvm_vcpu *vcpu);
int mkvm_lapic_rtc_pending(struct mkvm_vcpu *vcpu, u32 dest, bool logical,
			   u8 vector);
bool mkvm_lapic_accept_pic(struct mkvm_vcpu *vcpu);
void mkvm_lapic_kick(struct mkvm_vcpu *vcpu);

/* pic.c: the legacy PIC pair (8259A), part of KVM_CREATE_IRQCHIP */
struct mkvm_vm;
int mkvm_pic_create(struct mkvm_vm *vm);
void mkvm_pic_free(struct mkvm_vm *vm);
int mkvm_pic_set_irq(struct mkvm_vm *vm, unsigned int pin, bool level);
int mkvm_pic_get_state(struct mkvm_vm *vm, int chip, struct kvm_pic_state *s);
int mkvm_pic_set_state(struct mkvm_vm *vm, int chip,
		       const struct kvm_pic_state *s);
bool mkvm_pic_pio(struct mkvm_vm *vm, u16 port, u8 size, bool in, void *data);
bool mkvm_pic_has_extint(struct mkvm_vcpu *vcpu);
int mkvm_pic_take_extint(struct mkvm_vcpu *vcpu);

/*
 * An interrupt message to the local APICs: an ICR's fields, or an I/O
 * APIC redirection entry's (SDM Vol. 3A, "Interrupt Command Register
 * (ICR)"; 82093AA I/O APIC datasheet, "I/O Redirection Table Registers").
 */
enum {
	MKVM_APIC_DM_FIXED = 0, MKVM_APIC_DM_LOWEST = 1, MKVM_APIC_DM_SMI = 2,
	MKVM_APIC_DM_NMI = 4, MKVM_APIC_DM_INIT = 5, MKVM_APIC_DM_STARTUP = 6,
	MKVM_APIC_DM_EXTINT = 7,
};

enum {
	MKVM_APIC_SH_NONE, MKVM_APIC_SH_SELF, MKVM_APIC_SH_ALL,
	MKVM_APIC_SH_OTHERS,
};

struct mkvm_apic_irq {
	u32 dest;		/* physical or logical destination */
	u8 vector;
	u8 delivery_mode;	/* MKVM_APIC_DM_* */
	u8 shorthand;		/* MKVM_APIC_SH_* (I/O APIC: none) */
	bool logical;		/* destination mode */
	bool level_trig;	/* trigger mode */
	bool assert;		/* level (I/O APIC: always asserted) */
};

int mkvm_lapic_deliver(struct mkvm_vm *vm, struct mkvm_vcpu *src,
		       const struct mkvm_apic_irq *irq,
		       unsigned long *accepted);

/* irqchip.c: the VM's I/O APIC and the routing of GSIs (KVM_IRQ_LINE) */
int mkvm_irqchip_create(struct mkvm_vm *vm);
void mkvm_irqchip_free(struct mkvm_vm *vm);
long mkvm_irqchip_ioctl(struct mkvm_vm *vm, unsigned int ioctl,
			void __user *argp);
bool mkvm_ioapic_mmio(struct mkvm_vcpu *vcpu, u64 gpa, bool write,
		      void *data, unsigned int len);
void mkvm_ioapic_eoi(struct mkvm_vcpu *vcpu, u8 vector, bool level);
void mkvm_ioapic_rtc_restore(struct mkvm_vcpu *vcpu);

/* cpuid.c */
enum { MKVM_EAX, MKVM_EBX, MKVM_ECX, MKVM_EDX };
extern bool mkvm_x86_tsc_aux_supported;
void mkvm_x86_cpuid_init(void);
void mkvm_x86_cpuid(struct mkvm_vcpu *vcpu, u64 cr4, u32 *eax, u32 *ebx,
		    u32 *ecx, u32 *edx);
bool mkvm_x86_guest_has(const struct mkvm_x86_state *st, u32 leaf, u32 sub,
			int reg, int bit);
bool mkvm_x86_supported_has(u32 leaf, u32 sub, int reg, int bit);
bool mkvm_x86_guest_has_tsc_aux(const struct mkvm_x86_state *st);
long mkvm_x86_get_supported_cpuid(struct kvm_cpuid2 __user *argp);
long mkvm_x86_set_cpuid2(struct mkvm_vcpu *vcpu,
			 struct kvm_cpuid2 __user *argp);
long mkvm_x86_get_cpuid2(struct mkvm_vcpu *vcpu,
			 struct kvm_cpuid2 __user *argp);
void mkvm_x86_cpuid_free(struct mkvm_x86_state *st);

/* fpu.c */
extern u64 mkvm_x86_xcr0_supported;
void mkvm_x86_fpu_setup(void);
u32 mkvm_x86_xsave_size(u64 xcr0);
u64 mkvm_x86_guest_xcr0_allowed(struct mkvm_vcpu *vcpu);
int mkvm_x86_xsetbv(struct mkvm_vcpu *vcpu, u64 cr4, unsigned int cpl,
		    u64 rcx, u64 rax, u64 rdx);
int mkvm_x86_fpu_create(struct mkvm_vcpu *vcpu);
void mkvm_x86_fpu_free(struct mkvm_vcpu *vcpu);
void mkvm_x86_fpu_load(struct mkvm_vcpu *vcpu);
void mkvm_x86_fpu_put(struct mkvm_vcpu *vcpu);
bool mkvm_x86_fpu_enter(struct mkvm_vcpu *vcpu, u64 cr4);
void mkvm_x86_fpu_leave(bool xcr0_loaded);
long mkvm_x86_fpu_ioctl(struct mkvm_vcpu *vcpu, unsigned int ioctl,
			void __user *argp);

/* msr.c */
int mkvm_x86_msr_common(struct mkvm_vcpu *vcpu, u32 msr, u64 *val,
			bool write);
long mkvm_x86_get_msr_index_list(struct kvm_msr_list __user *argp);
long mkvm_x86_msrs_ioctl(struct mkvm_vcpu *vcpu, struct kvm_msrs __user *argp,
			 bool write);
u64 mkvm_x86_guest_tsc(const struct mkvm_x86_state *st);
void mkvm_x86_tsc_aux_load_guest(struct mkvm_vcpu *vcpu);
void mkvm_x86_tsc_aux_load_host(struct mkvm_vcpu *vcpu);

/* emulate.c */
int mkvm_x86_string_io(struct mkvm_vcpu *vcpu, u16 port, u8 size, bool in,
		       bool rep, u64 next_rip);
int mkvm_x86_mmio(struct mkvm_vcpu *vcpu, u64 gpa, const u8 *fetched,
		  unsigned int nfetched);
bool mkvm_x86_complete_needs_all(const struct mkvm_vcpu *vcpu);
int mkvm_x86_complete_exit(struct mkvm_vcpu *vcpu);
int mkvm_x86_pio_in_kernel(struct mkvm_vcpu *vcpu);
int mkvm_x86_tdp_fault(struct mkvm_vcpu *vcpu, u64 gpa, bool write,
		       const u8 *fetched, unsigned int nfetched);
int mkvm_x86_exit_unhandled(struct mkvm_vcpu *vcpu, u64 reason);
struct mkvm_entry_rule;
int mkvm_x86_fail_entry(struct mkvm_vcpu *vcpu, u64 hw_reason, u32 rule_id,
			const struct mkvm_entry_rule *rule);
int mkvm_x86_write_cr4(struct mkvm_vcpu *vcpu, int gpr, unsigned int len,
		       bool *gp);

#endif /* MINIKVM_X86_H */
