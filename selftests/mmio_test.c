// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmio_test - MMIO exits (KVM_EXIT_MMIO) from long-mode guest code.
 *
 * Guest-physical addresses outside every memory slot, and writes to a
 * read-only slot, exit with phys_addr, len, is_write and, for writes, the
 * data (arch/x86/kvm/x86.c emulator_read_write(); Documentation/virt/kvm/
 * api.rst, KVM_EXIT_MMIO).  The data the host puts into kvm_run->mmio.data
 * for a read lands in the guest's destination on the next KVM_RUN.  Each
 * instruction form is one exit:
 *	mov r->m and m->r of 1, 2, 4 and 8 bytes, mov imm8/imm32 -> m,
 *	movzx/movsx from 1 and 2 bytes, stos (no REP), movs RAM->MMIO and
 *	MMIO->RAM;
 * and a read-only slot reads normally but writes exit as MMIO writes,
 * leaving the memory unchanged.  REP STOS, REP MOVS (RAM->MMIO) and REP
 * MOVS (MMIO->RAM) of 8 elements: the elements arrive in order, one
 * element per exit on KVM 6.1 (x86 emulator string instructions run one
 * iteration per emulation; counted and printed, not asserted).  An MMIO
 * instruction that straddles two guest pages backed by non-adjacent
 * guest-physical pages is decoded from both (the hypervisor must walk the
 * guest's page tables for each byte it fetches, not assume contiguity).
 * Without KVM_CREATE_IRQCHIP there is no local APIC in the kernel: the
 * APIC page (0xfee00000) is ordinary MMIO.
 *
 * An access that straddles a page boundary is split there, as KVM's
 * emulator_read_write() splits it (one fragment per page): a part in RAM is
 * done in memory (a store's before the exit), each part in MMIO is one
 * exit of its own gpa and length, in address order, and a load's register
 * gets the bytes of both parts: mmio_split (RAM then MMIO with a
 * base + index * 8 + disp operand, MMIO then RAM, MMIO on both sides,
 * STOSQ, MOVSQ either way), mmio_split_ioapic (the part past RAM is the
 * in-kernel I/O APIC's: no exit) and mmio_split_legacy (32-bit SIB and
 * 16-bit BX+SI / BP+DI addressing, DS and SS bases, in protected mode).
 */
#include <string.h>

#include "minikvm/kvm_util.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define MMIO_GPA	0xc0000000ULL	/* no slot here */
#define RO_GPA		0x8000000ULL	/* a read-only slot of one page */
#define RO_SLOT		1

/* One expected exit: at MMIO_GPA + off, @len bytes, @data (written by the
 * guest, or supplied by the host for a read). */
struct mmio_exit {
	uint64_t off;
	uint8_t len;
	bool is_write;
	uint64_t data;
};

static const struct mmio_exit mmio_exits[] = {
	{ 0x00, 1, true, 0x11 },			/* mov %al, m */
	{ 0x10, 2, true, 0x2233 },			/* mov %ax, m */
	{ 0x20, 4, true, 0x44556677 },			/* mov %eax, m */
	{ 0x30, 8, true, 0x8899aabbccddeeffULL },	/* mov %rax, m */
	{ 0x40, 1, true, 0x5a },			/* movb $imm8, m */
	{ 0x50, 4, true, 0x12345678 },			/* movl $imm32, m */
	{ 0x60, 8, true, 0xfffffffffffffffeULL },	/* movq $-2, m */
	{ 0x70, 1, true, 0x7e },			/* stosb */
	{ 0x78, 8, true, 0x0102030405060708ULL },	/* stosq */
	{ 0x80, 1, true, 0xc3 },			/* movsb RAM->MMIO */
	{ 0x100, 1, false, 0x91 },			/* mov m, %al */
	{ 0x110, 2, false, 0x9293 },			/* mov m, %ax */
	{ 0x120, 4, false, 0x94959697 },		/* mov m, %eax */
	{ 0x130, 8, false, 0x98999a9b9c9d9e9fULL },	/* mov m, %rax */
	{ 0x140, 1, false, 0x80 },			/* movzbl */
	{ 0x150, 1, false, 0x80 },			/* movsbq */
	{ 0x160, 2, false, 0x8001 },			/* movzwl */
	{ 0x170, 2, false, 0x8001 },			/* movswq */
	{ 0x180, 1, false, 0xd4 },			/* movsb MMIO->RAM */
};

#define M(off)	((volatile void *)(MMIO_GPA + (off)))

static uint8_t guest_ram_byte;

static void guest_writes(void)
{
	uint64_t rax = 0x8899aabbccddeeffULL;
	void *rdi;

	asm volatile("movb %b0, (%1)" : : "a"(0x11), "r"(M(0x00)) : "memory");
	asm volatile("movw %w0, (%1)" : : "a"(0x2233), "r"(M(0x10)) : "memory");
	asm volatile("movl %k0, (%1)" : : "a"(0x44556677), "r"(M(0x20)) : "memory");
	asm volatile("movq %0, (%1)" : : "a"(rax), "r"(M(0x30)) : "memory");
	asm volatile("movb $0x5a, (%0)" : : "r"(M(0x40)) : "memory");
	asm volatile("movl $0x12345678, (%0)" : : "r"(M(0x50)) : "memory");
	asm volatile("movq $-2, (%0)" : : "r"(M(0x60)) : "memory");
	rdi = (void *)M(0x70);
	asm volatile("stosb" : "+D"(rdi) : "a"(0x7e) : "memory");
	GUEST_ASSERT_EQ(rdi, M(0x71));
	rdi = (void *)M(0x78);
	asm volatile("stosq" : "+D"(rdi) : "a"(0x0102030405060708ULL) : "memory");
	guest_ram_byte = 0xc3;
	rdi = (void *)M(0x80);
	asm volatile("movsb" : "+D"(rdi) : "S"(&guest_ram_byte) : "memory");
	GUEST_ASSERT_EQ(rdi, M(0x81));
}

static void guest_reads(void)
{
	uint64_t v;
	void *rdi;

	v = 0xffffffffffffffffULL;
	asm volatile("movb (%1), %b0" : "+a"(v) : "r"(M(0x100)) : "memory");
	GUEST_ASSERT_EQ(v, 0xffffffffffffff91ULL);
	v = 0xffffffffffffffffULL;
	asm volatile("movw (%1), %w0" : "+a"(v) : "r"(M(0x110)) : "memory");
	GUEST_ASSERT_EQ(v, 0xffffffffffff9293ULL);
	v = 0xffffffffffffffffULL;
	asm volatile("movl (%1), %k0" : "+a"(v) : "r"(M(0x120)) : "memory");
	GUEST_ASSERT_EQ(v, 0x94959697);		/* 32-bit writes zero-extend */
	asm volatile("movq (%1), %0" : "=a"(v) : "r"(M(0x130)) : "memory");
	GUEST_ASSERT_EQ(v, 0x98999a9b9c9d9e9fULL);
	v = ~0ULL;
	asm volatile("movzbl (%1), %k0" : "+r"(v) : "r"(M(0x140)) : "memory");
	GUEST_ASSERT_EQ(v, 0x80);
	asm volatile("movsbq (%1), %0" : "=r"(v) : "r"(M(0x150)) : "memory");
	GUEST_ASSERT_EQ(v, 0xffffffffffffff80ULL);
	v = ~0ULL;
	asm volatile("movzwl (%1), %k0" : "+r"(v) : "r"(M(0x160)) : "memory");
	GUEST_ASSERT_EQ(v, 0x8001);
	asm volatile("movswq (%1), %0" : "=r"(v) : "r"(M(0x170)) : "memory");
	GUEST_ASSERT_EQ(v, 0xffffffffffff8001ULL);
	guest_ram_byte = 0;
	rdi = &guest_ram_byte;
	asm volatile("movsb" : "+D"(rdi) : "S"(M(0x180)) : "memory");
	GUEST_ASSERT_EQ(guest_ram_byte, 0xd4);
}

static void guest_mmio(void)
{
	guest_writes();
	guest_reads();
	GUEST_DONE();
}

/* Creates the VM with the MMIO page mapped into the guest. */
static struct kvm_vm *create(struct kvm_vcpu **vcpu, void *guest_code)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);

	virt_map(vm, MMIO_GPA, MMIO_GPA, PAGE_SIZE_4K);
	return vm;
}

/* Runs to the next exit: KVM_EXIT_MMIO at @gpa of @len; serves a read. */
static void expect_mmio_at(struct kvm_vcpu *vcpu, uint64_t gpa, uint8_t len,
			   bool is_write, uint64_t data)
{
	struct kvm_run *run = vcpu->run;
	uint64_t got = 0;

	vcpu_run(vcpu);
	if (run->exit_reason == KVM_EXIT_IO) {
		struct ucall uc;

		if (get_ucall(vcpu, &uc) == UCALL_ABORT)
			REPORT_GUEST_ASSERT(vcpu, uc);
	}
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MMIO);
	TEST_ASSERT(run->mmio.phys_addr == gpa && run->mmio.len == len &&
		    run->mmio.is_write == is_write,
		    "exit at 0x%llx len %u %s, expected 0x%llx len %u %s",
		    run->mmio.phys_addr, run->mmio.len,
		    run->mmio.is_write ? "write" : "read",
		    (unsigned long long)gpa, len, is_write ? "write" : "read");
	if (is_write) {
		memcpy(&got, run->mmio.data, len);
		TEST_ASSERT_EQ(got, data);
	} else {
		memcpy(run->mmio.data, &data, len);
	}
}

/* Runs to the next exit and checks it against @e; serves a read. */
static void expect_mmio(struct kvm_vcpu *vcpu, const struct mmio_exit *e)
{
	expect_mmio_at(vcpu, MMIO_GPA + e->off, e->len, e->is_write, e->data);
}

static void mmio_forms(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create(&vcpu, guest_mmio);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mmio_exits); i++)
		expect_mmio(vcpu, &mmio_exits[i]);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static void guest_readonly(void)
{
	volatile uint64_t *p = (volatile uint64_t *)RO_GPA;

	GUEST_ASSERT_EQ(*p, 0x1122334455667788ULL);
	*p = 0xdeadbeefcafef00dULL;
	/* The write went to the host, not to memory. */
	GUEST_ASSERT_EQ(*p, 0x1122334455667788ULL);
	((volatile uint8_t *)p)[9] = 0x99;
	GUEST_DONE();
}

static void readonly_slot_writes(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_readonly);
	struct kvm_mem_region *r;
	uint64_t data = 0;

	TEST_REQUIRE(vm_check_cap(vm, KVM_CAP_READONLY_MEM));
	r = vm_userspace_mem_region_add(vm, RO_SLOT, KVM_MEM_READONLY, RO_GPA,
					PAGE_SIZE_4K);
	*(uint64_t *)r->host_mem = 0x1122334455667788ULL;
	virt_map(vm, RO_GPA, RO_GPA, PAGE_SIZE_4K);

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MMIO);
	TEST_ASSERT_EQ(vcpu->run->mmio.phys_addr, RO_GPA);
	TEST_ASSERT_EQ(vcpu->run->mmio.len, 8);
	TEST_ASSERT_EQ(vcpu->run->mmio.is_write, 1);
	memcpy(&data, vcpu->run->mmio.data, 8);
	TEST_ASSERT_EQ(data, 0xdeadbeefcafef00dULL);

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MMIO);
	TEST_ASSERT_EQ(vcpu->run->mmio.phys_addr, RO_GPA + 9);
	TEST_ASSERT_EQ(vcpu->run->mmio.len, 1);
	TEST_ASSERT_EQ(vcpu->run->mmio.is_write, 1);
	TEST_ASSERT_EQ(vcpu->run->mmio.data[0], 0x99);
	vcpu_run_expect_done(vcpu);
	TEST_ASSERT_EQ(*(uint64_t *)r->host_mem, 0x1122334455667788ULL);
	TEST_ASSERT_EQ(((uint8_t *)r->host_mem)[9], 0);
	kvm_vm_free(vm);
}

#define REP_COUNT	8
#define REP_STOS_OFF	0x200
#define REP_MOVS_OFF	0x300
#define REP_READ_OFF	0x400

static uint16_t guest_words[REP_COUNT];

static void guest_rep(void)
{
	uint64_t count = REP_COUNT;
	void *rdi = (void *)M(REP_STOS_OFF);
	const void *rsi;
	int i;

	asm volatile("rep stosw" : "+D"(rdi), "+c"(count) : "a"(0xa55a) : "memory");
	GUEST_ASSERT_EQ(count, 0);
	GUEST_ASSERT_EQ(rdi, M(REP_STOS_OFF + 2 * REP_COUNT));

	for (i = 0; i < REP_COUNT; i++)
		guest_words[i] = 0x100 + i;
	count = REP_COUNT;
	rdi = (void *)M(REP_MOVS_OFF);
	rsi = guest_words;
	asm volatile("rep movsw" : "+D"(rdi), "+S"(rsi), "+c"(count) : : "memory");
	GUEST_ASSERT_EQ(count, 0);

	count = REP_COUNT;
	rdi = guest_words;
	rsi = (const void *)M(REP_READ_OFF);
	asm volatile("rep movsw" : "+D"(rdi), "+S"(rsi), "+c"(count) : : "memory");
	GUEST_ASSERT_EQ(count, 0);
	for (i = 0; i < REP_COUNT; i++)
		GUEST_ASSERT_EQ(guest_words[i], 0x200 + i);
	GUEST_DONE();
}

/*
 * Serves the MMIO exits of one REP instruction on words at @off: writes
 * must carry @write_base + i (or 0xa55a when @write_base is 0), reads get
 * 0x200 + i.  Several elements may come in one exit (len 2 * n).  Stops at
 * the first exit outside the range; returns how many exits it served.
 */
static unsigned int serve_rep(struct kvm_vcpu *vcpu, uint64_t off, bool write,
			      uint16_t write_base)
{
	struct kvm_run *run = vcpu->run;
	unsigned int done = 0, exits = 0, i;
	uint16_t w;

	while (done < REP_COUNT) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MMIO);
		TEST_ASSERT(run->mmio.phys_addr == MMIO_GPA + off + 2 * done &&
			    run->mmio.is_write == write && run->mmio.len % 2 == 0 &&
			    run->mmio.len && done + run->mmio.len / 2 <= REP_COUNT,
			    "element %u: exit at 0x%llx len %u %s", done,
			    run->mmio.phys_addr, run->mmio.len,
			    run->mmio.is_write ? "write" : "read");
		for (i = 0; i < run->mmio.len / 2; i++, done++) {
			if (write) {
				memcpy(&w, run->mmio.data + 2 * i, 2);
				TEST_ASSERT_EQ(w, write_base ? write_base + done : 0xa55a);
			} else {
				w = 0x200 + done;
				memcpy(run->mmio.data + 2 * i, &w, 2);
			}
		}
		exits++;
	}
	return exits;
}

static void mmio_rep_string(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create(&vcpu, guest_rep);
	unsigned int stos, movs_w, movs_r;

	stos = serve_rep(vcpu, REP_STOS_OFF, true, 0);
	movs_w = serve_rep(vcpu, REP_MOVS_OFF, true, 0x100);
	movs_r = serve_rep(vcpu, REP_READ_OFF, false, 0);
	vcpu_run_expect_done(vcpu);
	ksft_print_msg("%u words: rep stosw %u exits, rep movsw to MMIO %u, "
		       "from MMIO %u\n", REP_COUNT, stos, movs_w, movs_r);
	kvm_vm_free(vm);
}

#define CODE_GVA	0x5000000000ULL	/* three pages, scattered in gpa */

static const uint8_t write_imm[] = { 0xc7, 0x07, 0x78, 0x56, 0x34, 0x12, /* movl $0x12345678, (%rdi) */
				     0xc3 };				/* ret */
static const uint8_t read_rax[] = { 0x48, 0x8b, 0x07,	/* mov (%rdi), %rax */
				    0xc3 };		/* ret */
#define WRITE_AT	(CODE_GVA + 0x1000 - 3)	/* 3 bytes on each page */
#define READ_AT		(CODE_GVA + 0x2000 - 2)	/* 2 bytes, then 1 and RET */

static void guest_straddle(void)
{
	void (*write_fn)(volatile void *) = (void *)WRITE_AT;
	uint64_t (*read_fn)(volatile void *) = (void *)READ_AT;

	write_fn(M(0x500));
	GUEST_ASSERT_EQ(read_fn(M(0x508)), 0x1122334455667788ULL);
	GUEST_DONE();
}

static void insn_across_pages(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create(&vcpu, guest_straddle);
	static const struct mmio_exit w = { 0x500, 4, true, 0x12345678 };
	static const struct mmio_exit r = { 0x508, 8, false, 0x1122334455667788ULL };
	uint64_t page[3];
	unsigned int i;

	/* Pages 0, 1, 2 of the code at gpas in the order 2, 0, 1, apart. */
	for (i = 0; i < 3; i++) {
		page[(i + 2) % 3] = vm_phy_pages_alloc(vm, 1);
		vm_phy_pages_alloc(vm, 1);	/* a gap */
	}
	for (i = 0; i < 3; i++)
		virt_pg_map(vm, CODE_GVA + i * PAGE_SIZE_4K, page[i]);
	memcpy(addr_gva2hva(vm, WRITE_AT), write_imm, 3);
	memcpy(addr_gva2hva(vm, WRITE_AT + 3), write_imm + 3, sizeof(write_imm) - 3);
	memcpy(addr_gva2hva(vm, READ_AT), read_rax, 2);
	memcpy(addr_gva2hva(vm, READ_AT + 2), read_rax + 2, sizeof(read_rax) - 2);

	expect_mmio(vcpu, &w);
	expect_mmio(vcpu, &r);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static void guest_apic_page(void)
{
	GUEST_ASSERT_EQ(*(volatile uint32_t *)(APIC_DEFAULT_BASE + 0x30), 0x50014);
	*(volatile uint32_t *)(APIC_DEFAULT_BASE + 0xb0) = 0;	/* EOI */
	GUEST_DONE();
}

static void apic_page_is_mmio(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_apic_page);
	struct kvm_run *run = vcpu->run;
	uint32_t v = 0x50014;	/* what a local APIC version register says */

	virt_map(vm, APIC_DEFAULT_BASE, APIC_DEFAULT_BASE, PAGE_SIZE_4K);
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MMIO);
	TEST_ASSERT_EQ(run->mmio.phys_addr, APIC_DEFAULT_BASE + 0x30);
	TEST_ASSERT_EQ(run->mmio.len, 4);
	TEST_ASSERT_EQ(run->mmio.is_write, 0);
	memcpy(run->mmio.data, &v, 4);
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MMIO);
	TEST_ASSERT_EQ(run->mmio.phys_addr, APIC_DEFAULT_BASE + 0xb0);
	TEST_ASSERT_EQ(run->mmio.is_write, 1);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/* --- accesses that straddle a page boundary (split as KVM splits them) --- */

#define PG		PAGE_SIZE_4K
#define LO_RAM		(MMIO_GPA - PG)		/* RAM, slot 2; MMIO after it */
#define HI_RAM		(MMIO_GPA + 2 * PG)	/* RAM, slot 3; MMIO before it */
#define LO_SLOT		2
#define HI_SLOT		3
#define IOAPIC_GPA	0xfec00000ULL
#define IOAPIC_RAM	(IOAPIC_GPA - PG)	/* RAM, slot 2, below the I/O APIC */

static uint64_t split_movs_var;

/*
 * RAM then MMIO, MMIO then RAM, MMIO on both sides: stores, and loads whose
 * register gets the bytes of both pages; STOS and MOVS elements likewise.
 * The host side (mmio_split()) lists the exits.
 */
static void guest_split(void)
{
	uint64_t v, rdi, rsi;

	/* 8 bytes at LO_RAM + 0xffd (base + index * 8 + disp): 3 + 5. */
	asm volatile("movq %0, 0x10(%1,%2,8)"
		     : : "a"(0x1122334455667788ULL), "b"(LO_RAM + 0x105),
		       "c"(0x1ddULL) : "memory");
	GUEST_ASSERT_EQ(*(volatile uint32_t *)(LO_RAM + 0xffc) >> 8, 0x667788);
	asm volatile("movq 0x10(%1,%2,8), %0"
		     : "=d"(v) : "b"(LO_RAM + 0x105), "c"(0x1ddULL) : "memory");
	GUEST_ASSERT_EQ(v, 0xa1a2a3a4a5667788ULL);

	/* 8 bytes at HI_RAM - 2: 2 in MMIO, then 6 in RAM. */
	*(volatile uint64_t *)(HI_RAM - 2) = 0x1122334455667788ULL;
	GUEST_ASSERT_EQ(*(volatile uint64_t *)HI_RAM, 0x112233445566ULL);
	v = *(volatile uint64_t *)(HI_RAM - 2);
	GUEST_ASSERT_EQ(v, 0x112233445566b1b2ULL);

	/* Both pages MMIO: a store of 2 + 2 bytes, a load of 3 + 5. */
	*(volatile uint32_t *)(MMIO_GPA + PG - 2) = 0x11223344;
	v = *(volatile uint64_t *)(MMIO_GPA + PG - 3);
	GUEST_ASSERT_EQ(v, 0xd1d2d3d4d5c1c2c3ULL);

	/* STOSQ at LO_RAM + 0xffc: 4 + 4. */
	rdi = LO_RAM + 0xffc;
	asm volatile("stosq" : "+D"(rdi) : "a"(0x0102030405060708ULL)
		     : "memory");
	GUEST_ASSERT_EQ(rdi, MMIO_GPA + 4);
	GUEST_ASSERT_EQ(*(volatile uint32_t *)(LO_RAM + 0xffc), 0x05060708);

	/* MOVSQ from RAM to LO_RAM + 0xffe: 2 + 6. */
	split_movs_var = 0x8877665544332211ULL;
	rdi = LO_RAM + 0xffe;
	rsi = (uint64_t)&split_movs_var;
	asm volatile("movsq" : "+D"(rdi), "+S"(rsi) : : "memory");
	GUEST_ASSERT_EQ(rdi, MMIO_GPA + 6);
	GUEST_ASSERT_EQ(*(volatile uint16_t *)(LO_RAM + 0xffe), 0x2211);

	/* MOVSQ from HI_RAM - 4 (4 MMIO + 4 RAM) to RAM. */
	rdi = (uint64_t)&split_movs_var;
	rsi = HI_RAM - 4;
	asm volatile("movsq" : "+D"(rdi), "+S"(rsi) : : "memory");
	GUEST_ASSERT_EQ(rsi, HI_RAM + 4);
	GUEST_ASSERT_EQ(split_movs_var, 0x33445566e1e2e3e4ULL);
	GUEST_DONE();
}

static void mmio_split(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_split);
	struct kvm_mem_region *hi;

	vm_userspace_mem_region_add(vm, LO_SLOT, 0, LO_RAM, PG);
	hi = vm_userspace_mem_region_add(vm, HI_SLOT, 0, HI_RAM, PG);
	virt_map(vm, LO_RAM, LO_RAM, 4 * PG);

	/* RAM then MMIO: the 5 bytes past the boundary, each way. */
	expect_mmio_at(vcpu, MMIO_GPA, 5, true, 0x1122334455ULL);
	expect_mmio_at(vcpu, MMIO_GPA, 5, false, 0xa1a2a3a4a5ULL);
	/* MMIO then RAM: the RAM part is written before the exit. */
	expect_mmio_at(vcpu, HI_RAM - 2, 2, true, 0x7788);
	TEST_ASSERT_EQ(*(uint64_t *)hi->host_mem, 0x112233445566ULL);
	expect_mmio_at(vcpu, HI_RAM - 2, 2, false, 0xb1b2);
	/* Both MMIO: one exit per page, in order. */
	expect_mmio_at(vcpu, MMIO_GPA + PG - 2, 2, true, 0x3344);
	expect_mmio_at(vcpu, MMIO_GPA + PG, 2, true, 0x1122);
	expect_mmio_at(vcpu, MMIO_GPA + PG - 3, 3, false, 0xc1c2c3);
	expect_mmio_at(vcpu, MMIO_GPA + PG, 5, false, 0xd1d2d3d4d5ULL);
	/* STOS, MOVS to MMIO, MOVS from MMIO. */
	expect_mmio_at(vcpu, MMIO_GPA, 4, true, 0x01020304);
	expect_mmio_at(vcpu, MMIO_GPA, 6, true, 0x887766554433ULL);
	expect_mmio_at(vcpu, HI_RAM - 4, 4, false, 0xe1e2e3e4);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/*
 * With KVM_CREATE_IRQCHIP, the part past the boundary is the in-kernel
 * I/O APIC's: no exit.  Its IOREGSEL (offset 0) keeps the low byte written.
 */
static void guest_split_ioapic(void)
{
	volatile uint64_t *p = (volatile uint64_t *)(IOAPIC_GPA - 4);

	*p = 0x000000ab55667788ULL;
	GUEST_ASSERT_EQ(*(volatile uint32_t *)(IOAPIC_GPA - 4), 0x55667788);
	GUEST_ASSERT_EQ(*(volatile uint32_t *)IOAPIC_GPA, 0xab);
	GUEST_ASSERT_EQ(*p, 0xab55667788ULL);
	GUEST_DONE();
}

static void mmio_split_ioapic(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create();

	vm_userspace_mem_region_add(vm, 0, 0, 0, GUEST_MEM_SIZE);
	kvm_vm_elf_load(vm, "/proc/self/exe");
	vm_init_long_mode(vm);
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0);
	vcpu = vm_vcpu_add_long_mode(vm, 0, guest_split_ioapic);
	vm_userspace_mem_region_add(vm, LO_SLOT, 0, IOAPIC_RAM, PG);
	virt_map(vm, IOAPIC_RAM, IOAPIC_RAM, 2 * PG);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/*
 * The same split from 32-bit and 16-bit protected mode (x86_modes.c: no
 * paging, slot 0 ends at 4 MiB, MMIO above): the effective address of
 * 32-bit base + index * scale + disp8 and of the 16-bit forms, plus the
 * segment's base (DS, or SS for a BP base), locates the bytes.
 */
#define LEGACY_CODE	0x8000
#define LEGACY_MMIO	0x400000ULL

static const uint8_t split32_code[] = {
	0x89, 0x44, 0x8b, 0xf0,		/* mov %eax,-0x10(%ebx,%ecx,4) */
	0x8b, 0x54, 0x8b, 0xf0,		/* mov -0x10(%ebx,%ecx,4),%edx */
	0x89, 0x86, 0xfe, 0x0f, 0x00, 0x00, /* mov %eax,0xffe(%esi) */
	0x8b, 0xbe, 0xfd, 0x0f, 0x00, 0x00, /* mov 0xffd(%esi),%edi */
	0xf4,				/* hlt */
};

static const uint8_t split16_code[] = {
	0x66, 0x89, 0x00,		/* mov %eax,(%bx,%si) */
	0x66, 0x8b, 0x08,		/* mov (%bx,%si),%ecx */
	0x66, 0x89, 0x4b, 0x10,		/* mov %ecx,0x10(%bp,%di) */
	0xf4,				/* hlt */
};

static void mmio_split_legacy(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_vm *vm;

	/* 32-bit: 0x3ff002 + 0x403 * 4 - 0x10 = 0x3ffffe, 2 + 2 bytes. */
	vm = vm_create_with_code(&vcpu, X86_MODE_PROT32, LEGACY_CODE,
				 split32_code, sizeof(split32_code));
	vcpu_regs_get(vcpu, &regs);
	regs.rax = 0x11223344;
	regs.rbx = 0x3ff002;
	regs.rcx = 0x403;
	regs.rsi = LEGACY_MMIO;
	vcpu_regs_set(vcpu, &regs);
	expect_mmio_at(vcpu, LEGACY_MMIO, 2, true, 0x1122);
	TEST_ASSERT_EQ(*(uint16_t *)addr_gpa2hva(vm, LEGACY_MMIO - 2), 0x3344);
	expect_mmio_at(vcpu, LEGACY_MMIO, 2, false, 0xbeef);
	expect_mmio_at(vcpu, LEGACY_MMIO + 0xffe, 2, true, 0x3344);
	expect_mmio_at(vcpu, LEGACY_MMIO + PG, 2, true, 0x1122);
	expect_mmio_at(vcpu, LEGACY_MMIO + 0xffd, 3, false, 0xaabbcc);
	expect_mmio_at(vcpu, LEGACY_MMIO + PG, 1, false, 0xdd);
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT_EQ(regs.rdx, 0xbeef3344);
	TEST_ASSERT_EQ(regs.rdi, 0xddaabbcc);
	TEST_ASSERT_EQ(regs.rip, LEGACY_CODE + sizeof(split32_code));
	kvm_vm_free(vm);

	/*
	 * 16-bit: DS base 0x3f8000 + BX 0x7ff0 + SI 0xe, and SS base
	 * 0x3f7000 + BP 0x8fe0 + DI 0xe + 0x10: both 0x3ffffe.
	 */
	vm = vm_create_with_code(&vcpu, X86_MODE_PROT16, LEGACY_CODE,
				 split16_code, sizeof(split16_code));
	vcpu_sregs_get(vcpu, &sregs);
	sregs.ds.base = 0x3f8000;
	sregs.ss.base = 0x3f7000;
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_regs_get(vcpu, &regs);
	regs.rax = 0x11223344;
	regs.rbx = 0x7ff0;
	regs.rsi = 0xe;
	regs.rbp = 0x8fe0;
	regs.rdi = 0xe;
	vcpu_regs_set(vcpu, &regs);
	expect_mmio_at(vcpu, LEGACY_MMIO, 2, true, 0x1122);
	TEST_ASSERT_EQ(*(uint16_t *)addr_gpa2hva(vm, LEGACY_MMIO - 2), 0x3344);
	expect_mmio_at(vcpu, LEGACY_MMIO, 2, false, 0xbeef);
	expect_mmio_at(vcpu, LEGACY_MMIO, 2, true, 0xbeef);
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT_EQ(regs.rcx, 0xbeef3344);
	TEST_ASSERT_EQ(regs.rip, LEGACY_CODE + sizeof(split16_code));
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(mmio_forms),
	KVM_TEST(mmio_rep_string),
	KVM_TEST(insn_across_pages),
	KVM_TEST(apic_page_is_mmio),
	KVM_TEST(readonly_slot_writes),
	KVM_TEST(mmio_split),
	KVM_TEST(mmio_split_ioapic),
	KVM_TEST(mmio_split_legacy),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
