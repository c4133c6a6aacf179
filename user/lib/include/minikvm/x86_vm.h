/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x86_vm.h - the host side of running guest code: guest page tables,
 * descriptor tables, loading the test's own ELF image, and vCPUs set up
 * for long mode (or, from a few bytes of code, for the older modes).
 *
 * Memory layout of a VM made by vm_create_with_one_vcpu():
 *
 *	slot 0, gpa 0 .. GUEST_MEM_SIZE, anonymous memory
 *	  the PT_LOAD segments of /proc/self/exe at their link addresses
 *	  (static non-PIE: from 0x400000), mapped gva == gpa;
 *	  above them, page by page from the page allocator: page tables,
 *	  GDT, IDT, TSS, stacks, whatever the test asks for.
 *
 * Guest functions are ordinary C functions of the test binary; the guest
 * runs a copy of the image taken when the VM was made, so globals change
 * on either side independently (sync_global_to_guest() copies one over).
 */
#ifndef MINIKVM_X86_VM_H
#define MINIKVM_X86_VM_H

#include <stdint.h>
#include <string.h>

#include "kvm_util.h"
#include "x86_guest.h"

#define GUEST_MEM_SIZE		(32UL << 20)	/* slot 0 of a long-mode VM */
#define GUEST_STACK_PAGES	8		/* per vCPU */

/* Selectors of the library's GDT (entry index * 8, RPL 0). */
#define GDT_SEL_CODE64		0x08
#define GDT_SEL_DATA		0x10
#define GDT_SEL_CODE32		0x18
#define GDT_SEL_CODE16		0x20
#define GDT_SEL_DATA16		0x28
#define GDT_SEL_TSS		0x30	/* 16 bytes in long mode */
#define GDT_ENTRIES		8

/* Page-table entry bits (SDM Vol. 3A, 4.5 "4-Level Paging", tables 4-14
 * to 4-20; APM Vol. 2, 5.3 "Long-Mode Page Translation"). */
#define PTE_P		(1ULL << 0)	/* present */
#define PTE_RW		(1ULL << 1)	/* writable */
#define PTE_US		(1ULL << 2)	/* user */
#define PTE_A		(1ULL << 5)	/* accessed */
#define PTE_D		(1ULL << 6)	/* dirty */
#define PTE_PS		(1ULL << 7)	/* large page (PDPTE, PDE) */
#define PTE_NX		(1ULL << 63)	/* no execute */
#define PTE_ADDR_MASK	0x000ffffffffff000ULL	/* bits 51:12 */

/* --- guest-physical page allocator and page tables (x86_paging.c) --- */

/* Gives the page allocator [@start, @end) of guest-physical memory. */
void vm_phy_pages_init(struct kvm_vm *vm, uint64_t start, uint64_t end);

/* Returns the gpa of @n zeroed contiguous pages; asserts there is room. */
uint64_t vm_phy_pages_alloc(struct kvm_vm *vm, unsigned int n);

/* Allocates the PML4 (once). */
void virt_pgd_alloc(struct kvm_vm *vm);

/* Maps 4 KiB page @gva to @gpa with @flags (PTE_*, P added); allocates the
 * intermediate tables.  Remapping a mapped page replaces it. */
void virt_pg_map_flags(struct kvm_vm *vm, uint64_t gva, uint64_t gpa,
		       uint64_t flags);

/* Maps @gva to @gpa writable (virt_pg_map_flags(..., PTE_RW)). */
void virt_pg_map(struct kvm_vm *vm, uint64_t gva, uint64_t gpa);

/* Maps @size bytes (rounded out to pages) from @gva to @gpa, writable. */
void virt_map(struct kvm_vm *vm, uint64_t gva, uint64_t gpa, uint64_t size);

/* Walks the guest's 4-level tables: stores the gpa of @gva in *@gpa and
 * returns true, or returns false if @gva is not mapped.  Large pages too. */
bool __addr_gva2gpa(const struct kvm_vm *vm, uint64_t gva, uint64_t *gpa);

/* Returns the gpa of @gva; asserts that it is mapped. */
uint64_t addr_gva2gpa(const struct kvm_vm *vm, uint64_t gva);

/* Returns the host address behind guest-virtual @gva; asserts. */
void *addr_gva2hva(const struct kvm_vm *vm, uint64_t gva);

/* Returns a pointer to the PTE (level 1) of @gva, or NULL if unmapped. */
uint64_t *vm_get_pte(const struct kvm_vm *vm, uint64_t gva);

/* Copies global @g of the host into the guest's copy of the image. */
#define sync_global_to_guest(vm, g)					\
	memcpy(addr_gva2hva((vm), (uint64_t)(uintptr_t)&(g)), &(g), sizeof(g))

/* Copies the guest's copy of global @g back into the host's. */
#define sync_global_from_guest(vm, g)					\
	memcpy(&(g), addr_gva2hva((vm), (uint64_t)(uintptr_t)&(g)), sizeof(g))

/* --- descriptors (x86_desc.c) --- */

/* Returns the 8-byte code/data descriptor for @seg (SDM Vol. 3A, 3.4.5
 * "Segment Descriptors"); the limit is in bytes as in struct kvm_segment. */
uint64_t x86_seg_desc_encode(const struct kvm_segment *seg);

/* Fills @seg (base, limit in bytes, attributes) from descriptor @desc;
 * selector and unusable are left alone. */
void x86_seg_desc_decode(uint64_t desc, struct kvm_segment *seg);

/* Writes the 16-byte long-mode system descriptor (TSS, LDT) for @seg into
 * @out (SDM Vol. 3A, 7.2.3 "TSS Descriptor in 64-bit mode"). */
void x86_sys_desc64_encode(const struct kvm_segment *seg, uint64_t out[2]);

/* Writes a 64-bit interrupt gate to @handler into @out (SDM Vol. 3A,
 * 6.14.1 "64-Bit Mode IDT"). */
void x86_idt_gate64_encode(uint64_t handler, uint16_t sel, unsigned int ist,
			   unsigned int dpl, uint64_t out[2]);

/* The library's flat segments: 64-bit code, data, 32- and 16-bit code
 * and data (base 0, 4 GiB or 64 KiB limit), selectors GDT_SEL_*. */
void x86_flat_code64(struct kvm_segment *s);
void x86_flat_code32(struct kvm_segment *s);
void x86_flat_code16(struct kvm_segment *s);
void x86_flat_data(struct kvm_segment *s, uint16_t sel, bool big);

/* Writes the flat segments' descriptors into @gdt at their selectors
 * (everything but the TSS, which only long-mode VMs have). */
void x86_gdt_write_flat(uint64_t *gdt);

/* --- ELF (elf.c) --- */

/* Called with one PT_LOAD segment: link address, file bytes, sizes. */
typedef int (*kvm_elf_load_fn)(void *ctx, uint64_t vaddr, const void *data,
			       uint64_t filesz, uint64_t memsz);

/*
 * Calls @load for each PT_LOAD segment of the ELF file @path; stops at and
 * returns the first non-zero result, else 0.  Asserts the file is an
 * x86-64 ELF executable.  Stores the highest segment end in *@end.
 */
int kvm_elf_for_each_load(const char *path, kvm_elf_load_fn load, void *ctx,
			  uint64_t *end);

/* Copies the PT_LOAD segments of @path into guest memory at gpa == their
 * link address (zeroing the rest up to the memory size) and records the
 * end in vm->elf_end.  Page tables are not touched. */
void kvm_vm_elf_load_phys(struct kvm_vm *vm, const char *path);

/* kvm_vm_elf_load_phys(), then maps each segment gva == gpa; when the
 * page allocator is not set up yet, gives it the rest of slot 0 (at gpa 0)
 * from the next MiB after the image. */
void kvm_vm_elf_load(struct kvm_vm *vm, const char *path);

/* --- long mode (x86_vm.c) --- */

/*
 * Creates a VM with slot 0 of GUEST_MEM_SIZE, the test's image, page
 * tables, GDT, IDT and TSS, and one vCPU 0 about to call @guest_code in
 * long mode with a fresh stack (arguments: vcpu_args_set()).  If
 * @guest_code returns, that is GUEST_DONE().  Returns the VM, the vCPU in
 * *@vcpu.
 */
struct kvm_vm *vm_create_with_one_vcpu(struct kvm_vcpu **vcpu,
				       void *guest_code);

/* Sets up the tables of a long-mode VM whose image is already loaded. */
void vm_init_long_mode(struct kvm_vm *vm);

/* Adds vCPU @id about to call @guest_code in long mode, with a stack of
 * GUEST_STACK_PAGES of its own. */
struct kvm_vcpu *vm_vcpu_add_long_mode(struct kvm_vm *vm, uint32_t id,
				       void *guest_code);

/* Gives a vCPU without CPUID entries (KVM's, before KVM_SET_CPUID2) leaves
 * 0x80000000/0x80000001 with LM, NX and SYSCALL, which KVM 6.12 wants before
 * KVM_SET_SREGS sets EFER.LME/LMA/NXE; other vCPUs are left alone. */
void vcpu_cpuid_allow_long_mode(struct kvm_vcpu *vcpu);

/* Fills @sregs for 64-bit mode with @vm's tables (CR0.PG/PE/MP/NE/WP,
 * CR4.PAE/OSFXSR/OSXMMEXCPT, EFER.LME/LMA, flat segments, TR). */
void vm_long_mode_sregs(struct kvm_vm *vm, struct kvm_sregs *sregs);

/* Loads up to 6 integer arguments into RDI, RSI, RDX, RCX, R8, R9. */
void vcpu_args_set(struct kvm_vcpu *vcpu, unsigned int n, ...);

/* Makes the guest's exception @vector (< GUEST_NR_VECTORS) call @handler
 * (NULL: report the exception as a failed guest assertion). */
void vm_install_exception_handler(struct kvm_vm *vm, unsigned int vector,
				  guest_exception_handler_t handler);

/* --- older modes from a few bytes of code (x86_modes.c) --- */

enum x86_guest_mode {
	X86_MODE_REAL,		/* CS:IP = 0:@gpa */
	X86_MODE_PROT16,	/* CR0.PE, 16-bit code/data segments */
	X86_MODE_PROT32,	/* CR0.PE, flat 32-bit segments */
	X86_MODE_PAGING32,	/* + CR0.PG, 2-level tables, 4 MiB identity pages */
	X86_MODE_PAE,		/* + CR4.PAE, 3-level tables, 2 MiB identity pages */
	X86_MODE_LONG,		/* + EFER.LME/LMA, 64-bit code segment */
	X86_MODE_NR,
};

/* Returns "real", "prot16", ... */
const char *x86_guest_mode_name(enum x86_guest_mode mode);

/*
 * Creates a VM with slot 0 of 4 MiB at gpa 0, copies @code (@len bytes)
 * to gpa @gpa (below 64 KiB) and adds vCPU 0 in @mode about to execute it
 * with the stack pointer at @gpa (growing down).  Paging modes identity map
 * the first 4 MiB with large pages; the GDT and page tables live in the
 * first 16 KiB, so @gpa must be at least 0x4000.
 */
struct kvm_vm *vm_create_with_code(struct kvm_vcpu **vcpu,
				   enum x86_guest_mode mode, uint64_t gpa,
				   const void *code, size_t len);

#endif /* MINIKVM_X86_VM_H */
