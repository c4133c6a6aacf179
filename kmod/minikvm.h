/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * minikvm core: the objects behind /dev/minikvm and the contract between the
 * vendor-neutral core (kmod/) and the VMX/SVM backends (arch/x86/{vmx,svm}).
 *
 * Object model, mirroring KVM's uAPI:
 *   /dev/minikvm fd  --KVM_CREATE_VM-->  VM fd (struct mkvm_vm)
 *   VM fd            --KVM_CREATE_VCPU-> vCPU fd (struct mkvm_vcpu)
 * A VM lives while any of its fds (its own or a vCPU's) is open; vCPUs live
 * as long as their VM.  Every fd pins the module.
 *
 * Legend for struct members, as in bhyve: how a member is initialised and
 * what protects it.
 *   (c) set at creation, constant afterwards
 *   (v) protected by mkvm_vm.lock
 *   (s) protected by mkvm_vm.slots_lock
 *   (u) protected by mkvm_vcpu.mutex (the vCPU ioctl lock)
 *   (a) atomic / refcount
 *   (r) RCU: written under mkvm_trace_lock, read by the vCPU thread
 */
#ifndef MINIKVM_H
#define MINIKVM_H

#include <linux/jump_label.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <linux/kvm.h>
#include <linux/minikvm.h>
#include <linux/bitops.h>
#include <linux/rcupdate.h>
#include <asm/msr.h>

#include "x86.h"

/* Limits reported through KVM_CHECK_EXTENSION. */
#define MKVM_MAX_VCPUS		64	/* KVM_CAP_MAX_VCPUS */
#define MKVM_MAX_VCPU_IDS	1024	/* KVM_CAP_MAX_VCPU_ID: ids are below it */
#define MKVM_USER_MEM_SLOTS	32764	/* KVM_CAP_NR_MEMSLOTS, as KVM on x86 */
#define MKVM_ADDRESS_SPACES	1	/* no SMM: one guest-physical space */
/* Largest slot, in pages; KVM keeps page counts in 31 bits too. */
#define MKVM_MEM_MAX_NR_PAGES	((1UL << 31) - 1)

/* The vCPU mmap area: page 0 is struct kvm_run, page 1 the PIO data page. */
#define MKVM_VCPU_MMAP_PAGES	(KVM_PIO_PAGE_OFFSET + 1)

/* Binary statistics (kmod/stats.c): KVM's name size, log2 histogram size. */
#define MKVM_STATS_NAME_SIZE	48	/* KVM_STATS_NAME_SIZE, NUL included */
#define MKVM_STATS_HIST_BUCKETS	32	/* bucket i: [2^(i-1), 2^i), the last open */

struct mkvm_vm;
struct mkvm_trace;

/* One guest-physical memory slot, as userspace registered it. */
struct mkvm_memslot {
	u32 id;			/* (c) slot number within the address space */
	u32 flags;		/* (s) KVM_MEM_* */
	u64 base_gfn;		/* (s) first guest frame */
	u64 npages;		/* (c) size in 4 KiB pages */
	u64 userspace_addr;	/* (c) host virtual address of guest frame 0 */
	/*
	 * KVM_MEM_LOG_DIRTY_PAGES (kmod/dirty_log.c): one bit per page,
	 * written since the last KVM_GET_DIRTY_LOG, then as many bits again
	 * for the copy that ioctl returns; NULL while the slot is not logged.
	 */
	unsigned long *dirty_bitmap;	/* (s) */
};

/*
 * A vCPU's statistics, the data block of its stats fd (KVM_GET_STATS_FD).
 * Written only by the vCPU's own ioctls, under mkvm_vcpu.mutex, as plain
 * u64s; the stats fd reads them without a lock (a reader may see a value
 * torn or a little old, as KVM allows).  Counters with KVM's names and
 * meanings first; then, for each exit reason the backend handles and a last
 * "other" slot, a counter (exit_count[slot]) and after all of them a log2
 * histogram of the cycles its handling took (mkvm_stat_exit_hist()).
 */
struct mkvm_vcpu_stat {
	u64 exits;		/* VM exits (and refused VM entries) */
	u64 io_exits;		/* returns to userspace with KVM_EXIT_IO */
	u64 mmio_exits;		/* returns to userspace with KVM_EXIT_MMIO */
	u64 halt_exits;		/* HLT exits (to userspace, or lapic.c's) */
	u64 irq_exits;		/* exits for a host external interrupt */
	u64 signal_exits;	/* KVM_RUN ended by a pending signal */
	u64 irq_injections;	/* external interrupts injected */
	/* Events (arch/x86/events.c) */
	u64 nmi_injections;	/* NMIs injected */
	u64 irq_window_exits;	/* interrupt-window exits (VINTR on SVM) */
	u64 nmi_window_exits;	/* NMI-window exits (IRET on SVM) */
	u64 request_irq_exits;	/* returns with KVM_EXIT_IRQ_WINDOW_OPEN */
	u64 pf_fixed;		/* nested page faults that mapped guest memory */
	u64 guest_hist[MKVM_STATS_HIST_BUCKETS];	/* cycles per guest entry */
	u64 exit_count[];	/* per exit reason slot, then the histograms */
};

/* VM statistics, the data block of the VM's stats fd; (s) like the slots. */
struct mkvm_vm_stat {
	u64 pages_pinned;	/* guest pages pinned (and mapped) right now */
	u64 pages_4k;		/* 4 KiB leaves in the NPT/EPT right now */
	u64 pages_2m;		/* 2 MiB leaves in the NPT/EPT right now */
	u64 remote_tlb_flush_requests;	/* mappings dropped: TLBs flushed */
	u64 memslot_updates;	/* successful KVM_SET_USER_MEMORY_REGION */
};

/*
 * Where a vCPU's registers are current: the backend moves them between
 * vcpu->arch and its VMCB/VMCS only when someone needs them on the other
 * side (mkvm_vcpu_sync_arch(), mkvm_vcpu_sync_be()), so that a KVM_RUN
 * that returns for a port I/O and comes back moves a dozen registers, not
 * the whole state.
 *  ARCH: vcpu->arch holds everything; the backend's copy is stale.
 *  REGS: vcpu->arch holds the "run registers" (kvm_regs, CR8, the STI/MOV SS
 *        shadow: what KVM_RUN's completion of an exit and kvm_run's
 *        if_flag/cr8 need); the backend holds the rest (segments, control
 *        and debug registers...).  KVM_RUN leaves a vCPU so.
 *  BE:   the backend holds everything, as while the guest runs.
 *  BOTH: vcpu->arch holds everything, and the backend still holds the same
 *        but for the run registers, which alone may have changed since: an
 *        MMIO exit, emulated from vcpu->arch.  Entering loads just those;
 *        a save (to change more) makes it ARCH.
 */
enum mkvm_state_home {
	MKVM_STATE_ARCH,
	MKVM_STATE_REGS,
	MKVM_STATE_BE,
	MKVM_STATE_BOTH,
};

struct mkvm_vcpu {
	struct mkvm_vm *vm;	/* (c) owning VM; the vCPU fd holds a ref */
	u32 id;			/* (c) KVM_CREATE_VCPU argument (APIC ID) */
	struct mutex mutex;	/* (c) serialises the vCPU's ioctls */
	struct kvm_run *run;	/* (c) mmap page 0, shared with userspace */
	struct page *pio_page;	/* (c) mmap page 1, I/O string data */
	struct mkvm_x86_state arch;	/* (u) architectural register state */
	enum mkvm_state_home state;	/* (u) where arch's registers are current */
	int last_cpu;		/* (u) physical CPU of the last VM-entry */
	/*
	 * Guest mode, for kicks (kmod/kick.c): the CPU the vCPU is entering
	 * or running the guest on, -1 outside guest mode; and the
	 * mkvm_vm.tlb_gen its guest TLB was last flushed for.
	 */
	int guest_cpu;		/* (a) */
	int tlb_gen;		/* (u) */
	/* The in-kernel local APIC (arch/x86/lapic.c), NULL without irqchip. */
	struct mkvm_lapic *lapic;	/* (c) */
	void *be;		/* (c) backend state (VMCB/VMCS...) */
	struct mkvm_vcpu_stat *stat;	/* (u) written under mutex only */
	u64 stat_entry_tsc;	/* (u) TSC at the last VM entry */
	u64 stat_exit_tsc;	/* (u) TSC at the last VM exit */
	u64 *stat_hist;		/* (u) histogram of the exit being handled, or NULL */
	char stats_id[MKVM_STATS_NAME_SIZE];	/* (c) "kvm-PID/vcpu-ID" */
	/* The exit trace (kmod/trace.c): the ring while its fd is open. */
	struct mkvm_trace __rcu *trace;	/* (r) */
	/*
	 * The exit being handled, to be written to trace_ring once its
	 * handling ends (mkvm_stat_exit_done()); NULL: none.  Compared, not
	 * dereferenced: the ring may have been closed meanwhile.
	 */
	struct mkvm_trace *trace_ring;	/* (u) */
	struct minikvm_trace_record trace_rec;	/* (u) */
};

struct mkvm_vm {
	struct kref ref;	/* (a) VM fd + one per vCPU fd */
	struct mm_struct *mm;	/* (c) creator's mm; other mms get -EIO */

	struct mutex lock;	/* (c) serialises vCPU creation */
	struct mkvm_vcpu *vcpus[MKVM_MAX_VCPUS];	/* (v) published last */
	unsigned int nr_vcpus;	/* (v) */
	bool irqchip;		/* (v) KVM_CREATE_IRQCHIP done */
	u32 bsp_vcpu_id;	/* (v) KVM_SET_BOOT_CPU_ID, 0 by default */
	/* Its I/O APIC (arch/x86/irqchip.c): set once, before any vCPU. */
	struct mkvm_ioapic *ioapic;	/* (v) */
	struct mkvm_pic *pic;	/* (v) PIC pair (arch/x86/pic.c), set before any vCPU */

	struct mutex slots_lock;	/* (c) serialises memslot updates */
	struct xarray slots;	/* (s) id -> struct mkvm_memslot */
	struct mkvm_memslot *last_slot;	/* (s) mkvm_gfn_to_slot()'s last find */
	u64 nr_slot_pages;	/* (s) sum of npages over all slots */

	/*
	 * Guest pages pinned for nested paging: gfn -> struct page, tagged
	 * MKVM_PIN_WRITABLE when pinned for writing.  Changed with slots_lock
	 * held, like the backend's tables that map them.
	 */
	struct xarray pinned;	/* (s) */
	/*
	 * Guest ranges pinned as one 2 MiB page (kmod/memslot.c): gfn >>
	 * MKVM_HUGE_SHIFT -> the range's first struct page (the 512 pages
	 * are one folio's, in order), tagged MKVM_PIN_WRITABLE likewise; their
	 * frames are never in @pinned.  huge_pages: the array pinning them
	 * uses, allocated at the first use.
	 */
	struct xarray huge;	/* (s) */
	struct page **huge_pages;	/* (s) */
	atomic_t tlb_gen;	/* (a) bumped when mappings go away or lose W */
	void *be;		/* (c) backend state (nested page tables...) */
	struct mkvm_vm_stat stat;	/* (s) */
	char stats_id[MKVM_STATS_NAME_SIZE];	/* (c) "kvm-PID" */
	/* A new vCPU's TSC offset: its TSC counts from the VM's creation. */
	u64 tsc_offset;		/* (c) */
};

#define MKVM_PIN_WRITABLE	XA_MARK_1

/* A 2 MiB page: 512 frames, the size a PDE maps in NPT and EPT. */
#define MKVM_HUGE_SHIFT		9
#define MKVM_HUGE_PAGES		(1UL << MKVM_HUGE_SHIFT)

/*
 * One entry of a backend's exit table, indexed by the hardware exit code:
 * the handler and the code's name as the manual spells it (SVM_EXIT_ or
 * EXIT_REASON_ without the prefix).  The dispatcher, the statistics
 * ("exit_svm_cpuid") and the traces all use this one table.
 */
struct mkvm_exit_handler {
	int (*fn)(struct mkvm_vcpu *vcpu);
	const char *name;
};

/*
 * struct mkvm_backend - what a vendor backend provides.  One const instance
 * per vendor, at the end of its main file; every op is mandatory (checked at
 * load) unless marked optional.  Context is given per op.
 */
struct mkvm_backend {
	const char *name;
	/*
	 * The exit table (see struct mkvm_exit_handler), its size, and the
	 * short vendor name used in statistic names ("svm", "vmx").
	 */
	const struct mkvm_exit_handler *exits;
	unsigned int nr_exits;
	const char *exit_prefix;
	/* Can this machine run the backend?  Logs the reason when not. */
	int (*probe)(void);
	/* Allocate / free per-CPU areas for all possible CPUs. Process context. */
	int (*setup)(void);
	void (*unsetup)(void);
	/*
	 * Switch virtualization on / off on the calling CPU.  Called with
	 * preemption or interrupts disabled.  cpu_enable returns -EBUSY when
	 * another hypervisor already owns the CPU, and must then leave it as
	 * it found it.  cpu_disable only undoes a successful cpu_enable.
	 */
	int (*cpu_enable)(void);
	void (*cpu_disable)(void);
	/*
	 * Optional: the vendor's conventions for the power-on state, applied
	 * after mkvm_x86_reset().  vCPU creation, process context.
	 */
	void (*vcpu_reset)(struct mkvm_vcpu *vcpu);
	/*
	 * Optional: INIT the vCPU (mkvm_x86_init_event() and the vendor's
	 * state), its state in vcpu->arch; loads it into the vCPU as
	 * vcpu_load_state does, and leaves vcpu->state ARCH (both copies
	 * agree, and the caller may change vcpu->arch further).  Without it:
	 * mkvm_x86_init_event() and vcpu_reset.  Process context, vCPU mutex
	 * held.
	 */
	void (*vcpu_init_event)(struct mkvm_vcpu *vcpu);
	/*
	 * Running guests: the ops below come all together or not at all (a
	 * backend without them has no KVM_RUN).
	 * Per-VM and per-vCPU hardware state.  Process context.
	 */
	int (*vm_init)(struct mkvm_vm *vm);
	void (*vm_destroy)(struct mkvm_vm *vm);
	int (*vcpu_create)(struct mkvm_vcpu *vcpu);
	void (*vcpu_free)(struct mkvm_vcpu *vcpu);
	/*
	 * Enter the guest once and handle the exit.  Process context with the
	 * vCPU mutex held; preemption is the backend's business.  Return: 1 to
	 * enter again, 0 to return to userspace with vcpu->run filled in, or
	 * a negative errno for KVM_RUN.
	 */
	int (*vcpu_run)(struct mkvm_vcpu *vcpu);
	/*
	 * Move the architectural state (see enum mkvm_state_home), setting
	 * vcpu->state.  vcpu_load_state: all of vcpu->arch into the vCPU
	 * (BE); from REGS or BOTH, only the run registers, the rest being
	 * current there already.  vcpu_save_state: all of it back into
	 * vcpu->arch (ARCH); from REGS, the run registers go in first; from
	 * ARCH or BOTH, nothing.  vcpu_save_regs: from BE, the run registers only (REGS),
	 * at the end of KVM_RUN.
	 */
	void (*vcpu_load_state)(struct mkvm_vcpu *vcpu);
	void (*vcpu_save_state)(struct mkvm_vcpu *vcpu);
	void (*vcpu_save_regs)(struct mkvm_vcpu *vcpu);
	/*
	 * Optional: KVM_RUN's thread takes the vCPU before its first entry
	 * and leaves it after the last exit, so that host state the backend
	 * switches once per KVM_RUN goes back before userspace (and before a
	 * context switch: the backend's business) sees it.
	 */
	void (*vcpu_load)(struct mkvm_vcpu *vcpu);
	void (*vcpu_put)(struct mkvm_vcpu *vcpu);
	/*
	 * Map guest frame @gfn to the pinned host @page in the nested page
	 * tables (NPT/EPT), read-only unless @writable; 0 or -ENOMEM.
	 * map_huge: map the 512 guest frames from @gfn (2 MiB aligned) with
	 * one 2 MiB leaf to the pinned pages from @page (2 MiB aligned
	 * physically), replacing a page table there (the caller pinned the
	 * whole range: what that table maps are these pages), flushing the
	 * TLBs before the table is freed; 0 or -ENOMEM.  unmap_range: drop
	 * the mappings of guest frames [gfn, gfn + npages) (a 2 MiB leaf
	 * that overlaps the range goes whole); the caller flushes the TLBs.
	 * All with slots_lock held.  Each keeps mkvm_vm_stat.pages_4k and
	 * pages_2m.
	 */
	int (*map_gfn)(struct mkvm_vm *vm, u64 gfn, struct page *page,
		       bool writable);
	int (*map_huge)(struct mkvm_vm *vm, u64 gfn, struct page *page,
			bool writable);
	void (*unmap_range)(struct mkvm_vm *vm, u64 gfn, u64 npages);
	/*
	 * Host-initiated (KVM_GET/SET_MSRS) access to an MSR the backend
	 * keeps (syscall MSRs, SYSENTER_*, PAT), between runs, vCPU mutex
	 * held: read into or write *val.  0, -EINVAL refused, -EIO.  Comes
	 * with the run ops.
	 */
	int (*msr_access)(struct mkvm_vcpu *vcpu, u32 msr, u64 *val,
			  bool write);
	/*
	 * Make the mappings of guest frames [gfn, gfn + npages) read-only
	 * (dirty logging); the next write faults.  A 2 MiB leaf that overlaps
	 * the range is dropped instead: the next accesses fault and map 4 KiB
	 * leaves.  slots_lock held; the caller flushes the TLBs
	 * (mkvm_flush_remote_tlbs()).
	 */
	void (*protect_range)(struct mkvm_vm *vm, u64 gfn, u64 npages);
};

extern const struct mkvm_backend *mkvm_be;
extern const struct mkvm_backend vmx_backend;
extern const struct mkvm_backend svm_backend;

/* kmod/hw.c: virtualization on while VMs exist. */
int mkvm_hw_init(void);
void mkvm_hw_exit(void);
int mkvm_hw_get(void);
void mkvm_hw_put(void);
int mkvm_percpu_pages_alloc(struct page *__percpu *pages);
void mkvm_percpu_pages_free(struct page *__percpu *pages);

/* kmod/main.c */
long mkvm_check_extension(long cap);

/* kmod/vm.c */
int mkvm_vm_create(unsigned long type);
void mkvm_vm_get(struct mkvm_vm *vm);
void mkvm_vm_put(struct mkvm_vm *vm);

/* kmod/memslot.c */
int mkvm_set_memory_region(struct mkvm_vm *vm,
			   const struct kvm_userspace_memory_region *mem);
void mkvm_memslots_free(struct mkvm_vm *vm);
struct mkvm_memslot *mkvm_gfn_to_slot(struct mkvm_vm *vm, u64 gfn);
bool mkvm_any_pinned(struct mkvm_vm *vm, u64 gfn, u64 last);
int mkvm_pin_gfn(struct mkvm_vm *vm, struct mkvm_memslot *slot, u64 gfn,
		 bool write, struct page **page, bool *writable, bool *huge);

/* kmod/dirty_log.c */
int mkvm_dirty_log_enable(struct mkvm_vm *vm, struct mkvm_memslot *slot);
void mkvm_dirty_log_disable(struct mkvm_memslot *slot);
void mkvm_mark_page_dirty(struct mkvm_memslot *slot, u64 gfn);
int mkvm_get_dirty_log(struct mkvm_vm *vm, const struct kvm_dirty_log *log);

/* kmod/kick.c */
void mkvm_flush_remote_tlbs(struct mkvm_vm *vm);

/*
 * The backends' run paths call these with interrupts off (SVM: GIF clear
 * too), right before and right after the hardware's VM entry.  Entering:
 * the vCPU announces the CPU it is in guest mode on, then (full barrier)
 * reads mkvm_vm.tlb_gen; mkvm_flush_remote_tlbs() bumps tlb_gen, then (full
 * barrier) reads guest_cpu.  So either the kicker sees the vCPU in guest
 * mode and interrupts its CPU (the interrupt makes it exit: SVM's INTR
 * intercept, VMX's external-interrupt exiting), or the vCPU sees the new
 * generation and flushes its guest TLB before entering.  Return: true when
 * the backend must flush the vCPU's guest TLB before this entry.
 */
static inline bool mkvm_guest_mode_enter(struct mkvm_vcpu *vcpu)
{
	int gen;

	/* Full barrier: guest_cpu visible before tlb_gen is read. */
	smp_store_mb(vcpu->guest_cpu, smp_processor_id());
	/* An interrupt for the guest since it was chosen? (lapic.c) */
	if (vcpu->lapic)
		mkvm_lapic_entry_check(vcpu);
	gen = atomic_read(&vcpu->vm->tlb_gen);
	if (gen == vcpu->tlb_gen)
		return false;
	vcpu->tlb_gen = gen;
	return true;
}

/* Right after the VM exit, interrupts still off: no kick needed any more. */
static inline void mkvm_guest_mode_exit(struct mkvm_vcpu *vcpu)
{
	/* Release: the guest's accesses are over when a kicker reads -1. */
	smp_store_release(&vcpu->guest_cpu, -1);
}

/* kmod/run.c */
long mkvm_vcpu_ioctl_run(struct mkvm_vcpu *vcpu);

/* All of the vCPU's registers into vcpu->arch, to be read or changed. */
static inline void mkvm_vcpu_sync_arch(struct mkvm_vcpu *vcpu)
{
	if (vcpu->state != MKVM_STATE_ARCH)
		mkvm_be->vcpu_save_state(vcpu);
}

/* All of the vCPU's registers into the VMCB/VMCS, to enter the guest. */
static inline void mkvm_vcpu_sync_be(struct mkvm_vcpu *vcpu)
{
	if (vcpu->state != MKVM_STATE_BE)
		mkvm_be->vcpu_load_state(vcpu);
}

/* kmod/stats.c */
int mkvm_stats_init(void);
void mkvm_stats_exit(void);
struct mkvm_vcpu_stat *mkvm_vcpu_stat_alloc(void);
int mkvm_vm_stats_fd(struct mkvm_vm *vm);
int mkvm_vcpu_stats_fd(struct mkvm_vcpu *vcpu);
void mkvm_stat_exit(struct mkvm_vcpu *vcpu, u64 code, u64 reason, u64 info1,
		    u64 info2, u64 rip);
void mkvm_stat_exit_done(struct mkvm_vcpu *vcpu, u64 tsc, bool user);
const char *mkvm_exit_name(u64 code);

/* Exit code for mkvm_stat_exit() of an exit no table names (VMfail...). */
#define MKVM_STAT_EXIT_OTHER	U64_MAX

/* kmod/trace.c */
int mkvm_vcpu_trace_fd(struct mkvm_vcpu *vcpu,
		       struct minikvm_trace_config __user *argp);
void mkvm_trace_exit_done(struct mkvm_vcpu *vcpu, u64 cycles, bool user);

/**
 * mkvm_trace_exit() - keep the record of the VM exit just taken
 * @vcpu: the vCPU, with a ring open (vcpu->trace set)
 * @reason: VMX: the exit reason, all 32 bits; SVM: EXITCODE
 * @info1: VMX: exit qualification; SVM: EXITINFO1
 * @info2: VMX: guest-physical address or interruption info; SVM: EXITINFO2
 * @rip: the guest's RIP at the exit
 *
 * Called by mkvm_stat_exit() after mkvm_stat_leave() set stat_exit_tsc;
 * mkvm_trace_exit_done() completes the record and writes it to the ring.
 */
static inline void mkvm_trace_exit(struct mkvm_vcpu *vcpu, u64 reason,
				   u64 info1, u64 info2, u64 rip)
{
	struct minikvm_trace_record *rec = &vcpu->trace_rec;

	/* The pointer is only compared later: no dereference, no lock. */
	vcpu->trace_ring = rcu_access_pointer(vcpu->trace);
	rec->tsc = vcpu->stat_exit_tsc;
	rec->reason = reason;
	rec->info1 = info1;
	rec->info2 = info2;
	rec->rip = rip;
}

/* Counts @cycles in log2 histogram @hist: bucket fls64(cycles), KVM's rule. */
static inline void mkvm_stat_hist_add(u64 *hist, u64 cycles)
{
	/* A TSC behind the one read before (another CPU's): count as 0. */
	if ((s64)cycles < 0)
		cycles = 0;
	hist[min_t(unsigned int, fls64(cycles), MKVM_STATS_HIST_BUCKETS - 1)]++;
}

/*
 * Per-exit timing and histograms: on unless the "stats" module parameter
 * switched them off (kmod/stats.c), and always while the vCPU's exit trace
 * is open (its records carry the cycles).
 */
DECLARE_STATIC_KEY_TRUE(mkvm_stats_key);

static inline bool mkvm_stat_timing(struct mkvm_vcpu *vcpu)
{
	return static_branch_likely(&mkvm_stats_key) ||
	       rcu_access_pointer(vcpu->trace);
}

/*
 * The backends' run paths call these right around the hardware's VM entry,
 * interrupts off.  mkvm_stat_enter() closes the handling of the previous
 * exit and starts the guest's time; mkvm_stat_leave() ends it, and the
 * handling time of the exit (mkvm_stat_exit()) starts.  A switch of the
 * timing in between costs at most one odd histogram sample.
 */
static inline void mkvm_stat_enter(struct mkvm_vcpu *vcpu)
{
	u64 tsc;

	if (!mkvm_stat_timing(vcpu))
		return;
	tsc = rdtsc();
	/* mkvm_stat_exit_done(), inline: the hot path. */
	if (vcpu->stat_hist) {
		u64 cycles = tsc - vcpu->stat_exit_tsc;

		mkvm_stat_hist_add(vcpu->stat_hist, cycles);
		vcpu->stat_hist = NULL;
		if (unlikely(vcpu->trace_ring))
			mkvm_trace_exit_done(vcpu, (s64)cycles < 0 ? 0 : cycles,
					     false);
	}
	vcpu->stat_entry_tsc = tsc;
}

static inline void mkvm_stat_leave(struct mkvm_vcpu *vcpu)
{
	u64 tsc;

	if (!mkvm_stat_timing(vcpu))
		return;
	tsc = rdtsc();
	mkvm_stat_hist_add(vcpu->stat->guest_hist, tsc - vcpu->stat_entry_tsc);
	vcpu->stat_exit_tsc = tsc;
}

/* kmod/vcpu.c */
int mkvm_vcpu_create(struct mkvm_vm *vm, u32 id);
void mkvm_vcpu_free(struct mkvm_vcpu *vcpu);

#endif /* MINIKVM_H */
