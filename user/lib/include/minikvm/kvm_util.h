/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm_util.h - the userspace side of /dev/minikvm (and /dev/kvm).
 *
 * Objects mirror the kernel's: a struct kvm_vm owns a VM file descriptor,
 * the guest memory regions registered with KVM_SET_USER_MEMORY_REGION and
 * its vCPUs; a struct kvm_vcpu owns a vCPU descriptor and its mmaped
 * struct kvm_run.  Functions named __foo() return the raw ioctl result
 * (-1 with errno set) for negative tests; foo() asserts success and names
 * the failing ioctl.  The device comes from $MINIKVM_DEV (default
 * /dev/minikvm), so one static binary runs against minikvm and real KVM.
 */
#ifndef MINIKVM_KVM_UTIL_H
#define MINIKVM_KVM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "test_util.h"

#define KVM_DEV_DEFAULT		"/dev/minikvm"	/* used when $MINIKVM_DEV is unset */
#define KVM_DEV_ENV		"MINIKVM_DEV"	/* environment variable naming the device */

#define PAGE_SIZE_4K		4096UL

/* One guest memory slot as registered with the kernel. */
struct kvm_mem_region {
	struct kvm_userspace_memory_region region;	/* what the kernel was told */
	void *host_mem;			/* start of our mmap, NULL if not ours */
	size_t mmap_size;		/* length of that mapping */
	struct kvm_mem_region *next;	/* next region of the same VM */
};

struct kvm_vm;

/* One virtual CPU. */
struct kvm_vcpu {
	struct kvm_vm *vm;		/* the VM it belongs to */
	uint32_t id;			/* the id passed to KVM_CREATE_VCPU */
	int fd;				/* vCPU file descriptor */
	struct kvm_run *run;		/* mmap of the vCPU fd, run_size bytes */
	size_t run_size;		/* KVM_GET_VCPU_MMAP_SIZE */
	struct kvm_vcpu *next;		/* next vCPU of the same VM */
	bool retry_eintr;		/* vcpu_run() re-enters after -EINTR */
	int stats_fd;			/* kept open for minikvm-stat, or -1 */
};

/* One virtual machine. */
struct kvm_vm {
	int kvm_fd;			/* the device fd the VM was created from */
	int fd;				/* VM file descriptor */
	unsigned long type;		/* the KVM_CREATE_VM argument */
	struct kvm_mem_region *regions;	/* memory slots added through us */
	struct kvm_vcpu *vcpus;		/* vCPUs added through us */
	unsigned int nr_vcpus;
	unsigned int seq;		/* 1 for the process's first VM, 2... */
	int stats_fd;			/* kept open for minikvm-stat, or -1 */

	/* Guest execution (x86_vm.c, x86_paging.c); all 0 until set up. */
	uint64_t pgd;			/* gpa of the PML4 */
	uint64_t phys_next;		/* next free page of the page allocator */
	uint64_t phys_end;		/* end of the allocator's range */
	uint64_t gdt;			/* gpa (= gva) of the GDT */
	uint64_t idt;			/* gpa (= gva) of the IDT */
	uint64_t tss;			/* gpa (= gva) of the 64-bit TSS */
	uint64_t elf_end;		/* end of the highest loaded ELF segment */
};

/* --- device (kvm_dev.c) --- */

/* Makes @path the device for this process, overriding $MINIKVM_DEV. */
void kvm_dev_set_path(const char *path);

/* Returns the device path: the override, else $MINIKVM_DEV, else the default. */
const char *kvm_dev_path(void);

/* Returns true if the basename of @path contains "minikvm". */
bool kvm_path_is_minikvm(const char *path);

/* Returns true when the tests talk to minikvm, false for real KVM. */
bool kvm_dev_is_minikvm(void);

/* True when the device under test is real KVM of kernel 6.12 or newer
 * (processor.h host_kernel_at_least()): for the uAPI details that changed
 * since 6.1 (Documentation/testing.md, "Kernel matrix"). */
bool kvm_dev_is_kvm_6_12(void);

/* Opens the device read-write; returns the fd or -1 with errno. */
int __open_kvm_dev(void);

/* Opens the device, skipping the test (exit 4) if it is missing. */
int open_kvm_dev(void);

/* Skips the whole program ("1..0 # SKIP") unless the device can be opened. */
void kvm_require_dev(void);

/* Returns KVM_CHECK_EXTENSION(@cap) on fd @fd, raw. */
int __kvm_check_cap_fd(int fd, long cap);

/* Returns KVM_CHECK_EXTENSION(@cap) on a fresh device fd, asserting success. */
int kvm_check_cap(long cap);

/* Returns KVM_GET_API_VERSION, asserting success. */
int kvm_api_version(void);

/* Returns KVM_GET_VCPU_MMAP_SIZE, asserting success. */
int kvm_vcpu_mmap_size(void);

/* --- ioctl wrappers (kvm_dev.c) --- */

/* Runs ioctl(@fd, @cmd, @arg) and asserts it did not fail, naming @cmd. */
long kvm_ioctl_checked(int fd, unsigned long cmd, unsigned long arg,
		       const char *file, int line);

#define __kvm_ioctl(fd, cmd, arg)	ioctl((fd), (cmd), (arg))
#define kvm_ioctl(fd, cmd, arg)						\
	kvm_ioctl_checked((fd), (cmd), (unsigned long)(arg), __FILE__, __LINE__)
#define __vm_ioctl(vm, cmd, arg)	ioctl((vm)->fd, (cmd), (arg))
#define vm_ioctl(vm, cmd, arg)		kvm_ioctl((vm)->fd, (cmd), (arg))
#define __vcpu_ioctl(vcpu, cmd, arg)	ioctl((vcpu)->fd, (cmd), (arg))
#define vcpu_ioctl(vcpu, cmd, arg)	kvm_ioctl((vcpu)->fd, (cmd), (arg))

/* Returns the name of KVM ioctl @cmd ("KVM_RUN"), or NULL if unknown. */
const char *kvm_ioctl_name(unsigned long cmd);

/* Returns the name of capability @cap ("KVM_CAP_USER_MEMORY"), or NULL. */
const char *kvm_cap_name(long cap);

/* The capabilities minikvm-run --info reports, terminated by -1. */
extern const long kvm_common_caps[];

/* --- VM (kvm_vm.c) --- */

/* Creates a VM of type 0 on a new device fd; skips if there is no device. */
struct kvm_vm *vm_create(void);

/* Creates a VM of type @type; asserts success. */
struct kvm_vm *vm_create_type(unsigned long type);

/* Issues KVM_CREATE_VM(@type) on @kvm_fd; returns the new fd or -1. */
int __kvm_create_vm(int kvm_fd, unsigned long type);

/* Closes every vCPU and the VM, unmaps what we mapped and frees @vm. */
void kvm_vm_free(struct kvm_vm *vm);

/* Returns KVM_CHECK_EXTENSION(@cap) on the VM fd, asserting success. */
int vm_check_cap(struct kvm_vm *vm, long cap);

/* Issues KVM_SET_USER_MEMORY_REGION as given; returns the raw result. */
int __vm_set_user_memory_region(struct kvm_vm *vm, uint32_t slot,
				uint32_t flags, uint64_t gpa, uint64_t size,
				void *hva);

/* Like __vm_set_user_memory_region() but asserts success. */
void vm_set_user_memory_region(struct kvm_vm *vm, uint32_t slot,
			       uint32_t flags, uint64_t gpa, uint64_t size,
			       void *hva);

/* Maps @size bytes of anonymous memory and registers them as slot @slot at
 * @gpa with @flags; returns the tracked region. */
struct kvm_mem_region *vm_userspace_mem_region_add(struct kvm_vm *vm,
						   uint32_t slot, uint32_t flags,
						   uint64_t gpa, uint64_t size);

/* Returns the tracked region of slot @slot, or NULL. */
struct kvm_mem_region *memslot_find(struct kvm_vm *vm, uint32_t slot);

/* Moves tracked slot @slot to @gpa (KVM_MR_MOVE); asserts success. */
void vm_mem_region_move(struct kvm_vm *vm, uint32_t slot, uint64_t gpa);

/* Changes the flags of tracked slot @slot; asserts success. */
void vm_mem_region_set_flags(struct kvm_vm *vm, uint32_t slot, uint32_t flags);

/* Deletes tracked slot @slot (size 0) and unmaps its memory; asserts. */
void vm_mem_region_delete(struct kvm_vm *vm, uint32_t slot);

/* Adds @r to @vm's list without any ioctl (the caller registered it). */
void vm_mem_region_link(struct kvm_vm *vm, struct kvm_mem_region *r);

/* Returns the host address backing @gpa in address space 0, or NULL. */
void *__addr_gpa2hva(const struct kvm_vm *vm, uint64_t gpa);

/* Like __addr_gpa2hva() but asserts that @gpa is backed. */
void *addr_gpa2hva(const struct kvm_vm *vm, uint64_t gpa);

/* --- vCPU (kvm_vcpu.c) --- */

/* Issues KVM_CREATE_VCPU(@id) on the VM; returns the fd or -1. */
int __vm_create_vcpu_fd(struct kvm_vm *vm, unsigned long id);

/* Creates vCPU @id, maps its kvm_run and tracks it; asserts success. */
struct kvm_vcpu *vm_vcpu_add(struct kvm_vm *vm, uint32_t id);

/* Returns the tracked vCPU @id, or NULL. */
struct kvm_vcpu *vcpu_find(struct kvm_vm *vm, uint32_t id);

/* Unmaps and closes @vcpu and forgets it. */
void vcpu_free(struct kvm_vcpu *vcpu);

/* Raw KVM_GET_REGS / KVM_SET_REGS / KVM_GET_SREGS / KVM_SET_SREGS. */
int __vcpu_regs_get(struct kvm_vcpu *vcpu, struct kvm_regs *regs);
int __vcpu_regs_set(struct kvm_vcpu *vcpu, const struct kvm_regs *regs);
int __vcpu_sregs_get(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs);
int __vcpu_sregs_set(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs);

/*
 * The asserting forms are macros so that a failure names the caller's file
 * and line; the compound literals keep the argument types checked.
 */

/* KVM_GET_REGS into @regs; asserts success. */
#define vcpu_regs_get(vcpu, regs)					\
	((void)vcpu_ioctl(vcpu, KVM_GET_REGS, (struct kvm_regs *){ (regs) }))

/* KVM_SET_REGS from @regs; asserts success. */
#define vcpu_regs_set(vcpu, regs)					\
	((void)vcpu_ioctl(vcpu, KVM_SET_REGS, (const struct kvm_regs *){ (regs) }))

/* KVM_GET_SREGS into @sregs; asserts success. */
#define vcpu_sregs_get(vcpu, sregs)					\
	((void)vcpu_ioctl(vcpu, KVM_GET_SREGS, (struct kvm_sregs *){ (sregs) }))

/* KVM_SET_SREGS from @sregs; asserts success. */
#define vcpu_sregs_set(vcpu, sregs)					\
	((void)vcpu_ioctl(vcpu, KVM_SET_SREGS, (const struct kvm_sregs *){ (sregs) }))

/*
 * Events: KVM_INTERRUPT with vector @vec, KVM_NMI, KVM_GET/SET_VCPU_EVENTS;
 * the raw forms for negative tests.
 */
#define __vcpu_irq_inject(vcpu, vec)					\
	__vcpu_ioctl(vcpu, KVM_INTERRUPT, &(struct kvm_interrupt){ .irq = (vec) })
#define vcpu_irq_inject(vcpu, vec)					\
	((void)vcpu_ioctl(vcpu, KVM_INTERRUPT,				\
			  &(struct kvm_interrupt){ .irq = (vec) }))
#define vcpu_nmi(vcpu)	((void)vcpu_ioctl(vcpu, KVM_NMI, 0))
#define __vcpu_events_set(vcpu, ev)					\
	__vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, (const struct kvm_vcpu_events *){ (ev) })
#define vcpu_events_get(vcpu, ev)					\
	((void)vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, (struct kvm_vcpu_events *){ (ev) }))
#define vcpu_events_set(vcpu, ev)					\
	((void)vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, (const struct kvm_vcpu_events *){ (ev) }))

/* --- running (kvm_run.c) --- */

/* Issues KVM_RUN once; returns the raw result (-1 with errno). */
int __vcpu_run(struct kvm_vcpu *vcpu);

/*
 * Issues KVM_RUN and asserts success; with vcpu->retry_eintr, runs again
 * after -EINTR.  On minikvm before it has KVM_RUN, skips the test.
 */
void vcpu_run(struct kvm_vcpu *vcpu);

/*
 * For tests that call __vcpu_run() and expect it to fail (-EINTR): skips
 * the test if @ret/@err (KVM_RUN's result and errno) say that minikvm has
 * no KVM_RUN yet, as vcpu_run() does.  Temporary, see kvm_run.c.
 */
void vcpu_run_skip_if_missing(int ret, int err);

/*
 * Differential runs (exit_log.c): with $MINIKVM_EXIT_LOG set, appends one
 * normalized line describing what KVM_RUN returned (@ret, @err = errno)
 * to that file.  __vcpu_run() calls it after every KVM_RUN.
 */
void exit_log_record(struct kvm_vcpu *vcpu, int ret, int err);

/* The test case running in this process (test_list.c), "-" outside one. */
extern const char *kvm_test_case_name;

/* Returns the name of exit reason @reason ("KVM_EXIT_IO") or "unknown". */
const char *vcpu_exit_reason_str(uint32_t reason);

/* Prints the exit reason and the fields that reason fills, as comments
 * starting with @prefix. */
void kvm_run_dump(FILE *f, const struct kvm_run *run, const char *prefix);

/* Reports an unexpected exit reason of @vcpu, dumping kvm_run and the
 * registers, and fails the test. */
void vcpu_exit_reason_fail(struct kvm_vcpu *vcpu, uint32_t want,
			   const char *file, int line)
	__attribute__((noreturn));

/* Asserts that @vcpu's last exit was @reason, dumping kvm_run if not. */
#define TEST_ASSERT_KVM_EXIT_REASON(vcpu, reason)			\
	do {								\
		if ((vcpu)->run->exit_reason != (reason))		\
			vcpu_exit_reason_fail((vcpu), (reason), __FILE__, \
					      __LINE__);		\
	} while (0)

/* Returns the PIO data of the last KVM_EXIT_IO (kvm_run + data_offset). */
void *vcpu_io_data(struct kvm_vcpu *vcpu);

/* --- binary statistics (kvm_stats.c), as KVM selftests' --- */

/* KVM_GET_STATS_FD on the VM / vCPU fd: raw (-1 with errno), or asserting. */
int __vm_get_stats_fd(struct kvm_vm *vm);
int vm_get_stats_fd(struct kvm_vm *vm);
int __vcpu_get_stats_fd(struct kvm_vcpu *vcpu);
int vcpu_get_stats_fd(struct kvm_vcpu *vcpu);

/*
 * With $MINIKVM_STATS_FDS set (non-empty), vm_create*() and vm_vcpu_add()
 * keep a stats fd of each VM and vCPU open until it is freed, so that
 * minikvm-stat, in another process, can take a copy (pidfd_getfd()) and
 * read it: minikvm and KVM both refuse KVM_GET_STATS_FD on a VM or vCPU fd
 * from a process other than the VM's creator.  Returns @fd_of's stats fd,
 * or -1 when the variable is unset or the ioctl fails.
 */
int stats_fd_for_watchers(int fd_of);

/* Reads the header at offset 0 of @stats_fd; asserts. */
void read_stats_header(int stats_fd, struct kvm_stats_header *header);

/* Bytes of one descriptor: the struct and its name_size-long name. */
size_t get_stats_descriptor_size(const struct kvm_stats_header *header);

/* Reads all descriptors (free() the result); asserts. */
struct kvm_stats_desc *read_stats_descriptors(int stats_fd,
					      const struct kvm_stats_header *header);

/* Returns descriptor @index of the block @descs. */
struct kvm_stats_desc *get_stats_descriptor(struct kvm_stats_desc *descs,
					    unsigned int index,
					    const struct kvm_stats_header *header);

/* Reads up to @max_elements values of statistic @desc into @data; asserts. */
void read_stat_data(int stats_fd, const struct kvm_stats_header *header,
		    const struct kvm_stats_desc *desc, uint64_t *data,
		    size_t max_elements);

/* Reads up to @max_elements values of the statistic named @name; returns
 * how many, or -1 when there is no such statistic. */
int __stats_get(int stats_fd, const char *name, uint64_t *data,
		size_t max_elements);

/* The first value of statistic @name of @vm / @vcpu; asserts it exists. */
uint64_t vm_get_stat(struct kvm_vm *vm, const char *name);
uint64_t vcpu_get_stat(struct kvm_vcpu *vcpu, const char *name);

/* Prints every statistic of @stats_fd with a non-zero value, a line each
 * starting with @prefix; a histogram as its sample count and its non-empty
 * buckets, "2^K:N" for N values in [2^K, 2^(K+1)) ("+": and above). */
void stats_print(FILE *f, int stats_fd, const char *prefix);

#endif /* MINIKVM_KVM_UTIL_H */
