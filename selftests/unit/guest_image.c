// SPDX-License-Identifier: GPL-2.0-only
/*
 * guest_image.c - unit tests of the host side of guest execution that
 * need no device: loading an ELF file's PT_LOAD segments into guest memory
 * (user/lib/elf.c), and decoding ucalls from a kvm_run and guest memory
 * (user/lib/ucall.c).  The ELF file is written here by hand; the VM is a
 * struct over a buffer standing in for slot 0, the vCPU a struct over a
 * buffer standing in for its kvm_run mapping.
 */
#include <elf.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define MEM_SIZE	(4UL << 20)

static struct kvm_vm vm;
static struct kvm_mem_region slot0;
static uint8_t *mem;

static int fake_vm(void **state)
{
	(void)state;
	mem = aligned_alloc(PAGE_SIZE_4K, MEM_SIZE);
	assert_non_null(mem);
	memset(mem, 0xcc, MEM_SIZE);	/* so that zeroing shows */
	vm = (struct kvm_vm){ .kvm_fd = -1, .fd = -1 };
	slot0 = (struct kvm_mem_region){
		.region = { .slot = 0, .memory_size = MEM_SIZE,
			    .userspace_addr = (uintptr_t)mem },
	};
	vm_mem_region_link(&vm, &slot0);
	return 0;
}

static int free_vm(void **state)
{
	(void)state;
	free(mem);
	return 0;
}

/* --- ELF --- */

#define TEXT_VADDR	0x10000
#define DATA_VADDR	0x20010	/* not page aligned, as .data often is */
#define DATA_MEMSZ	0x100	/* 4 bytes from the file, the rest is .bss */

static const char text[16] = "guest code here";
static const char data[4] = "DATA";

/* Writes a minimal static x86-64 executable; returns its path. */
static char *write_elf(void)
{
	static char path[64];
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph[3];
		char text[16];
		char data[4];
	} f;
	int fd;

	memset(&f, 0, sizeof(f));
	memcpy(f.eh.e_ident, ELFMAG, SELFMAG);
	f.eh.e_ident[EI_CLASS] = ELFCLASS64;
	f.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	f.eh.e_ident[EI_VERSION] = EV_CURRENT;
	f.eh.e_type = ET_EXEC;
	f.eh.e_machine = EM_X86_64;
	f.eh.e_version = EV_CURRENT;
	f.eh.e_entry = TEXT_VADDR;
	f.eh.e_phoff = offsetof(typeof(f), ph);
	f.eh.e_ehsize = sizeof(Elf64_Ehdr);
	f.eh.e_phentsize = sizeof(Elf64_Phdr);
	f.eh.e_phnum = 3;
	f.ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
				.p_offset = offsetof(typeof(f), text),
				.p_vaddr = TEXT_VADDR, .p_paddr = TEXT_VADDR,
				.p_filesz = 16, .p_memsz = 16, .p_align = 16 };
	f.ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE,
				.p_offset = offsetof(typeof(f), text),
				.p_vaddr = 0x300000, .p_filesz = 16, .p_memsz = 16 };
	f.ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W,
				.p_offset = offsetof(typeof(f), data),
				.p_vaddr = DATA_VADDR, .p_paddr = DATA_VADDR,
				.p_filesz = 4, .p_memsz = DATA_MEMSZ, .p_align = 4 };
	memcpy(f.text, text, sizeof(text));
	memcpy(f.data, data, sizeof(data));

	strcpy(path, "/tmp/minikvm-unit-elf-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, &f, sizeof(f)), sizeof(f));
	close(fd);
	return path;
}

struct seen {
	unsigned int n;
	uint64_t vaddr[4], memsz[4];
};

static int count_load(void *ctx, uint64_t vaddr, const void *d,
		      uint64_t filesz, uint64_t memsz)
{
	struct seen *s = ctx;

	(void)d;
	(void)filesz;
	s->vaddr[s->n] = vaddr;
	s->memsz[s->n++] = memsz;
	return 0;
}

static void test_elf_segments(void **state)
{
	char *path = write_elf();
	struct seen s = { 0 };
	uint64_t end;

	(void)state;
	assert_int_equal(kvm_elf_for_each_load(path, count_load, &s, &end), 0);
	assert_int_equal(s.n, 2);	/* PT_NOTE skipped */
	assert_int_equal(s.vaddr[0], TEXT_VADDR);
	assert_int_equal(s.vaddr[1], DATA_VADDR);
	assert_int_equal(s.memsz[1], DATA_MEMSZ);
	assert_int_equal(end, DATA_VADDR + DATA_MEMSZ);
	unlink(path);
}

static void test_elf_load_phys(void **state)
{
	char *path = write_elf();
	unsigned int i;

	(void)state;
	kvm_vm_elf_load_phys(&vm, path);
	assert_memory_equal(mem + TEXT_VADDR, text, sizeof(text));
	assert_int_equal(mem[TEXT_VADDR + 16], 0xcc);	/* past memsz: untouched */
	assert_memory_equal(mem + DATA_VADDR, data, sizeof(data));
	for (i = sizeof(data); i < DATA_MEMSZ; i++)
		assert_int_equal(mem[DATA_VADDR + i], 0);	/* .bss */
	assert_int_equal(mem[DATA_VADDR + DATA_MEMSZ], 0xcc);
	assert_int_equal(vm.elf_end, DATA_VADDR + DATA_MEMSZ);
	unlink(path);
}

/* With mapping: gva == gpa for every page of each segment, page tables
 * from the next MiB after the image. */
static void test_elf_load_mapped(void **state)
{
	char *path = write_elf();
	uint64_t gpa;

	(void)state;
	kvm_vm_elf_load(&vm, path);
	assert_int_equal(vm.pgd, 0x100000);
	assert_true(__addr_gva2gpa(&vm, TEXT_VADDR + 5, &gpa));
	assert_int_equal(gpa, TEXT_VADDR + 5);
	assert_true(__addr_gva2gpa(&vm, DATA_VADDR + DATA_MEMSZ - 1, &gpa));
	assert_int_equal(gpa, DATA_VADDR + DATA_MEMSZ - 1);
	assert_false(__addr_gva2gpa(&vm, TEXT_VADDR + 0x1000, &gpa));
	assert_false(__addr_gva2gpa(&vm, 0x300000, &gpa));	/* the note */
	unlink(path);
}

/* --- ucalls --- */

#define UC_GPA		0x5000	/* the guest's struct ucall ... */
#define UC_GVA		0x7ff0a000 /* ... as the guest sees it */
#define STR_GPA		0x6000
#define STR_GVA		0x7ff0b000

static uint8_t run_area[2 * 4096] __attribute__((aligned(4096)));
static struct kvm_vcpu vcpu;

/* A vCPU whose last exit was OUT of @gva (4 bytes) to @port. */
static void fake_out(uint16_t port, uint8_t size, uint32_t gva)
{
	struct kvm_run *run = (struct kvm_run *)run_area;

	memset(run_area, 0, sizeof(run_area));
	vcpu = (struct kvm_vcpu){ .vm = &vm, .fd = -1, .run = run,
				  .run_size = sizeof(run_area) };
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = KVM_EXIT_IO_OUT;
	run->io.port = port;
	run->io.size = size;
	run->io.count = 1;
	run->io.data_offset = 4096;
	memcpy(run_area + 4096, &gva, 4);
}

static int fake_guest(void **state)
{
	fake_vm(state);
	vm_phy_pages_init(&vm, 0x100000, MEM_SIZE);
	virt_pgd_alloc(&vm);
	virt_pg_map(&vm, UC_GVA, UC_GPA);
	virt_pg_map(&vm, STR_GVA, STR_GPA);
	strcpy((char *)mem + STR_GPA, "guest.c");
	strcpy((char *)mem + STR_GPA + 0x10, "x == y");
	return 0;
}

static void test_ucall_sync(void **state)
{
	struct ucall *guest_uc = (struct ucall *)(mem + UC_GPA + 0x40);
	struct ucall uc;

	(void)state;
	memset(guest_uc, 0, sizeof(*guest_uc));
	guest_uc->cmd = UCALL_SYNC;
	guest_uc->nargs = 2;
	guest_uc->args[1] = 0xabcdef;
	fake_out(UCALL_PORT, 4, UC_GVA + 0x40);
	assert_int_equal(get_ucall(&vcpu, &uc), UCALL_SYNC);
	assert_int_equal(uc.args[1], 0xabcdef);
	assert_int_equal(uc.nargs, 2);
	assert_int_equal(get_ucall(&vcpu, NULL), UCALL_SYNC);
}

static void test_ucall_abort_message(void **state)
{
	struct ucall *guest_uc = (struct ucall *)(mem + UC_GPA);
	struct ucall uc;
	char msg[256];

	(void)state;
	memset(guest_uc, 0, sizeof(*guest_uc));
	guest_uc->cmd = UCALL_ABORT;
	guest_uc->file = STR_GVA;
	guest_uc->expr = STR_GVA + 0x10;
	guest_uc->line = 42;
	guest_uc->flags = UCALL_F_VALUES;
	guest_uc->args[0] = 1;
	guest_uc->args[1] = 2;
	fake_out(UCALL_PORT, 4, UC_GVA);
	assert_int_equal(get_ucall(&vcpu, &uc), UCALL_ABORT);
	assert_string_equal(ucall_abort_format(&vcpu, &uc, msg, sizeof(msg)),
			    "guest.c:42: x == y (0x1 vs 0x2)");
	uc.flags = 0;
	uc.expr = 0x12345000;		/* unmapped: printed as "?" */
	assert_string_equal(ucall_abort_format(&vcpu, &uc, msg, sizeof(msg)),
			    "guest.c:42: ?");
}

/* Exits that are not a 4-byte OUT to the ucall port are not ucalls. */
static void test_not_ucalls(void **state)
{
	struct kvm_run *run;

	(void)state;
	fake_out(UCALL_PORT + 1, 4, UC_GVA);
	assert_int_equal(get_ucall(&vcpu, NULL), UCALL_NONE);
	fake_out(UCALL_PORT, 2, UC_GVA);
	assert_int_equal(get_ucall(&vcpu, NULL), UCALL_NONE);
	fake_out(UCALL_PORT, 4, UC_GVA);
	run = vcpu.run;
	run->io.direction = KVM_EXIT_IO_IN;
	assert_int_equal(get_ucall(&vcpu, NULL), UCALL_NONE);
	run->io.direction = KVM_EXIT_IO_OUT;
	run->exit_reason = KVM_EXIT_MMIO;
	assert_int_equal(get_ucall(&vcpu, NULL), UCALL_NONE);
}

/* The guest's printf, run on the host: it is plain C. */
static void test_guest_snprintf(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(guest_snprintf(buf, sizeof(buf), "%d %i %u", -5, 7, 3000000000u), 15);
	assert_string_equal(buf, "-5 7 3000000000");
	guest_snprintf(buf, sizeof(buf), "%x %X %08x %4d", 0xabc, 0xabc, 0x12, -3);
	assert_string_equal(buf, "abc ABC 00000012   -3");
	guest_snprintf(buf, sizeof(buf), "%lx %llu %zu %p", 0xffffffffffffffffUL,
		       18446744073709551615ULL, (size_t)12, (void *)0x1000);
	assert_string_equal(buf, "ffffffffffffffff 18446744073709551615 12 0x1000");
	guest_snprintf(buf, sizeof(buf), "%s %c %%", "str", 'q');
	assert_string_equal(buf, "str q %");
	guest_snprintf(buf, sizeof(buf), "%05d %ld", -42, (long)INT64_MIN);
	assert_string_equal(buf, "-0042 -9223372036854775808");
	/* Truncation keeps the terminator and reports the full length. */
	assert_int_equal(guest_snprintf(buf, 4, "abcdef"), 6);
	assert_string_equal(buf, "abc");
}

static void test_exit_reason_names(void **state)
{
	(void)state;
	assert_string_equal(vcpu_exit_reason_str(KVM_EXIT_IO), "KVM_EXIT_IO");
	assert_string_equal(vcpu_exit_reason_str(KVM_EXIT_SHUTDOWN), "KVM_EXIT_SHUTDOWN");
	assert_string_equal(vcpu_exit_reason_str(KVM_EXIT_NOTIFY), "KVM_EXIT_NOTIFY");
	assert_string_equal(vcpu_exit_reason_str(1000), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_segments),
		cmocka_unit_test_setup_teardown(test_elf_load_phys, fake_vm, free_vm),
		cmocka_unit_test_setup_teardown(test_elf_load_mapped, fake_vm, free_vm),
		cmocka_unit_test_setup_teardown(test_ucall_sync, fake_guest, free_vm),
		cmocka_unit_test_setup_teardown(test_ucall_abort_message, fake_guest, free_vm),
		cmocka_unit_test_setup_teardown(test_not_ucalls, fake_guest, free_vm),
		cmocka_unit_test(test_guest_snprintf),
		cmocka_unit_test(test_exit_reason_names),
	};

	return cmocka_run_group_tests_name("guest_image", tests, NULL, NULL);
}
