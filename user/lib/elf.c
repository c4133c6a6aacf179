// SPDX-License-Identifier: GPL-2.0-only
/*
 * elf.c - loading an ELF executable's PT_LOAD segments into guest memory
 * (see x86_vm.h), with libelf.
 *
 * The test loads its own image (/proc/self/exe): linked static and not
 * position independent, its segments go to their link addresses, gva ==
 * gpa, so a guest function's address in the host is its address in the
 * guest.  Bytes come from the file, not from the running process: the
 * guest starts with the image's initial .data and a zeroed .bss.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minikvm/x86_vm.h"

/* Reads @len bytes at @off of @fd into a new buffer; asserts. */
static void *read_at(int fd, uint64_t off, uint64_t len)
{
	char *buf = malloc(len ? len : 1);
	uint64_t done = 0;

	TEST_ASSERT(buf, "out of memory");
	while (done < len) {
		ssize_t r = pread(fd, buf + done, len - done, off + done);

		TEST_ASSERT(r > 0, "reading ELF segment at 0x%llx",
			    (unsigned long long)(off + done));
		done += r;
	}
	return buf;
}

int kvm_elf_for_each_load(const char *path, kvm_elf_load_fn load, void *ctx,
			  uint64_t *end)
{
	GElf_Ehdr ehdr;
	GElf_Phdr ph;
	size_t n, i;
	Elf *elf;
	int fd, ret = 0;

	*end = 0;
	TEST_ASSERT(elf_version(EV_CURRENT) != EV_NONE, "libelf: %s",
		    elf_errmsg(-1));
	fd = open(path, O_RDONLY);
	TEST_ASSERT(fd >= 0, "open %s", path);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	TEST_ASSERT(elf && elf_kind(elf) == ELF_K_ELF, "%s is not ELF: %s",
		    path, elf_errmsg(-1));
	TEST_ASSERT(gelf_getehdr(elf, &ehdr) &&
		    ehdr.e_ident[EI_CLASS] == ELFCLASS64 &&
		    ehdr.e_machine == EM_X86_64 && ehdr.e_type == ET_EXEC,
		    "%s is not an x86-64 ELF executable (static, no PIE)", path);
	TEST_ASSERT(!elf_getphdrnum(elf, &n), "libelf: %s", elf_errmsg(-1));

	for (i = 0; i < n && !ret; i++) {
		void *data;

		TEST_ASSERT(gelf_getphdr(elf, i, &ph), "libelf: %s",
			    elf_errmsg(-1));
		if (ph.p_type != PT_LOAD)
			continue;
		TEST_ASSERT(ph.p_filesz <= ph.p_memsz &&
			    ph.p_vaddr + ph.p_memsz >= ph.p_vaddr,
			    "bad PT_LOAD %zu of %s", i, path);
		data = read_at(fd, ph.p_offset, ph.p_filesz);
		ret = load(ctx, ph.p_vaddr, data, ph.p_filesz, ph.p_memsz);
		free(data);
		if (ph.p_vaddr + ph.p_memsz > *end)
			*end = ph.p_vaddr + ph.p_memsz;
	}
	elf_end(elf);
	close(fd);
	return ret;
}

/* load() callback: copies one segment to gpa == vaddr. */
static int load_phys(void *ctx, uint64_t vaddr, const void *data,
		     uint64_t filesz, uint64_t memsz)
{
	struct kvm_vm *vm = ctx;
	char *hva;

	/* Both ends must be backed, and by the same slot's contiguous memory:
	 * check that the last byte translates to where the first one says. */
	hva = addr_gpa2hva(vm, vaddr);
	TEST_ASSERT(!memsz || __addr_gpa2hva(vm, vaddr + memsz - 1) ==
		    hva + memsz - 1, "ELF segment 0x%llx+0x%llx is not inside "
		    "one memory slot", (unsigned long long)vaddr,
		    (unsigned long long)memsz);
	memcpy(hva, data, filesz);
	memset(hva + filesz, 0, memsz - filesz);
	return 0;
}

void kvm_vm_elf_load_phys(struct kvm_vm *vm, const char *path)
{
	uint64_t end;

	kvm_elf_for_each_load(path, load_phys, vm, &end);
	vm->elf_end = end;
}

/* load() callback: maps one segment gva == gpa. */
static int map_segment(void *ctx, uint64_t vaddr, const void *data,
		       uint64_t filesz, uint64_t memsz)
{
	(void)data;
	(void)filesz;
	if (memsz)
		virt_map(ctx, vaddr, vaddr, memsz);
	return 0;
}

#define ELF_ALLOC_ALIGN	(1ULL << 20)	/* allocator starts at the next MiB */

void kvm_vm_elf_load(struct kvm_vm *vm, const char *path)
{
	struct kvm_mem_region *slot0 = memslot_find(vm, 0);
	uint64_t end;

	kvm_vm_elf_load_phys(vm, path);
	if (!vm->phys_end) {
		TEST_ASSERT(slot0 && !slot0->region.guest_phys_addr,
			    "the page allocator needs slot 0 at gpa 0");
		vm_phy_pages_init(vm, (vm->elf_end + ELF_ALLOC_ALIGN - 1) &
				      ~(ELF_ALLOC_ALIGN - 1),
				  slot0->region.memory_size);
	}
	virt_pgd_alloc(vm);
	kvm_elf_for_each_load(path, map_segment, vm, &end);
}
