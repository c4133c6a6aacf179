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
 */
#ifndef MINIKVM_H
#define MINIKVM_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <linux/kvm.h>

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

struct mkvm_vm;

/* One guest-physical memory slot, as userspace registered it. */
struct mkvm_memslot {
	u32 id;			/* (c) slot number within the address space */
	u32 flags;		/* (s) KVM_MEM_* */
	u64 base_gfn;		/* (s) first guest frame */
	u64 npages;		/* (c) size in 4 KiB pages */
	u64 userspace_addr;	/* (c) host virtual address of guest frame 0 */
};

struct mkvm_vcpu {
	struct mkvm_vm *vm;	/* (c) owning VM; the vCPU fd holds a ref */
	u32 id;			/* (c) KVM_CREATE_VCPU argument (APIC ID) */
	struct mutex mutex;	/* (c) serialises the vCPU's ioctls */
	struct kvm_run *run;	/* (c) mmap page 0, shared with userspace */
	struct page *pio_page;	/* (c) mmap page 1, I/O string data */
	struct mkvm_x86_state arch;	/* (u) architectural register state */
	int last_cpu;		/* (u) physical CPU of the last VM-entry */
	void *be;		/* (c) backend state (VMCB/VMCS...) */
};

struct mkvm_vm {
	struct kref ref;	/* (a) VM fd + one per vCPU fd */
	struct mm_struct *mm;	/* (c) creator's mm; other mms get -EIO */

	struct mutex lock;	/* (c) serialises vCPU creation */
	struct mkvm_vcpu *vcpus[MKVM_MAX_VCPUS];	/* (v) published last */
	unsigned int nr_vcpus;	/* (v) */

	struct mutex slots_lock;	/* (c) serialises memslot updates */
	struct xarray slots;	/* (s) id -> struct mkvm_memslot */
	u64 nr_slot_pages;	/* (s) sum of npages over all slots */

	/*
	 * Guest pages pinned for nested paging: gfn -> struct page, tagged
	 * MKVM_PIN_WRITABLE when pinned for writing.  Changed with slots_lock
	 * held, like the backend's tables that map them.
	 */
	struct xarray pinned;	/* (s) */
	atomic_t tlb_gen;	/* (a) bumped when mappings go away */
	void *be;		/* (c) backend state (nested page tables...) */
};

#define MKVM_PIN_WRITABLE	XA_MARK_1

/*
 * struct mkvm_backend - what a vendor backend provides.  One const instance
 * per vendor, at the end of its main file; every op is mandatory (checked at
 * load) unless marked optional.  Context is given per op.
 */
struct mkvm_backend {
	const char *name;
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
	 * Move the architectural state in (before the first entry of a
	 * KVM_RUN) and out (when KVM_RUN returns).
	 */
	void (*vcpu_load_state)(struct mkvm_vcpu *vcpu);
	void (*vcpu_save_state)(struct mkvm_vcpu *vcpu);
	/*
	 * Map guest frame @gfn to the pinned host @page in the nested page
	 * tables (NPT/EPT), read-only unless @writable; 0 or -ENOMEM.  Drop
	 * the mappings of guest frames [gfn, gfn + npages).  Both with
	 * slots_lock held.
	 */
	int (*map_gfn)(struct mkvm_vm *vm, u64 gfn, struct page *page,
		       bool writable);
	void (*unmap_range)(struct mkvm_vm *vm, u64 gfn, u64 npages);
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
int mkvm_pin_gfn(struct mkvm_vm *vm, struct mkvm_memslot *slot, u64 gfn,
		 bool write, struct page **page, bool *writable);

/* kmod/run.c */
long mkvm_vcpu_ioctl_run(struct mkvm_vcpu *vcpu);

/* kmod/vcpu.c */
int mkvm_vcpu_create(struct mkvm_vm *vm, u32 id);
void mkvm_vcpu_free(struct mkvm_vcpu *vcpu);

#endif /* MINIKVM_H */
