/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x86_guest.h - what guest code (plain C run in long mode by
 * vm_create_with_one_vcpu()) uses: privileged instructions as inline
 * functions and the frame an exception handler receives.
 *
 * Everything here is safe in a guest: no libc, no TLS, no syscalls.
 */
#ifndef MINIKVM_X86_GUEST_H
#define MINIKVM_X86_GUEST_H

#include <stdint.h>

/* Exception vectors (SDM Vol. 3A, 6.3.1 "Exceptions and Interrupts"). */
#define DE_VECTOR	0
#define DB_VECTOR	1
#define BP_VECTOR	3
#define UD_VECTOR	6
#define NM_VECTOR	7
#define DF_VECTOR	8
#define TS_VECTOR	10
#define NP_VECTOR	11
#define SS_VECTOR	12
#define GP_VECTOR	13
#define PF_VECTOR	14
#define MF_VECTOR	16
#define AC_VECTOR	17
#define XM_VECTOR	19

#define GUEST_NR_VECTORS	256	/* vectors with a library stub: all */

/*
 * What the library's exception stub (x86_exception.S) saved: the general
 * registers, the vector, the error code (0 if the CPU pushed none) and the
 * frame the CPU pushed.  A handler may change any of it, e.g. advance rip
 * past the faulting instruction; IRETQ resumes with what is here.
 */
struct ex_regs {
	uint64_t rax, rcx, rdx, rbx;	/* 0x00 */
	uint64_t rbp, rsi, rdi;		/* 0x20 */
	uint64_t r8, r9, r10, r11;	/* 0x38 */
	uint64_t r12, r13, r14, r15;	/* 0x58 */
	uint64_t vector;		/* 0x78 */
	uint64_t error_code;		/* 0x80 */
	uint64_t rip, cs, rflags;	/* 0x88 */
	uint64_t rsp, ss;		/* 0xa0 */
};

typedef void (*guest_exception_handler_t)(struct ex_regs *regs);

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void hlt(void)
{
	asm volatile("hlt" : : : "memory");
}

static inline void guest_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *eax,
			       uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
	asm volatile("cpuid"
		     : "=a"(*eax), "=b"(*ebx), "=c"(*ecx), "=d"(*edx)
		     : "a"(leaf), "c"(subleaf) : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return lo | ((uint64_t)hi << 32);
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
		     "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint64_t get_cr0(void)
{
	uint64_t v;

	asm volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline uint64_t get_cr3(void)
{
	uint64_t v;

	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline uint64_t get_cr4(void)
{
	uint64_t v;

	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

#endif /* MINIKVM_X86_GUEST_H */
