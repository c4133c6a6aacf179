/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ucall.h - calls from guest code to the test on the host ("ucalls").
 *
 * Guest code (plain C in the test file, run in long mode by
 * vm_create_with_one_vcpu()) fills a struct ucall on its own stack and
 * executes one 32-bit OUT to UCALL_PORT whose data is the guest-virtual
 * address of that struct (every guest address the library sets up is below
 * 4 GiB).  The OUT exits to the host with KVM_EXIT_IO; get_ucall() finds
 * the struct through the guest page tables and copies it out.  Running the
 * vCPU again resumes the guest after the OUT.
 *
 *	guest				host
 *	GUEST_SYNC(n)			get_ucall() == UCALL_SYNC, uc.args[1] == n
 *	GUEST_ASSERT(cond)		UCALL_ABORT: file, line, expression
 *	GUEST_ASSERT_EQ(a, b)		UCALL_ABORT with both values
 *	GUEST_DONE()			UCALL_DONE
 *	GUEST_PRINTF(fmt, ...)		UCALL_PRINTF: args[0] = gva of the text
 *
 * The guest half (ucall(), ucall_assert(), guest_printf()) runs without
 * libc: it must not call anything that uses TLS, locks or syscalls.
 */
#ifndef MINIKVM_UCALL_H
#define MINIKVM_UCALL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UCALL_PORT	0x5c4	/* I/O port of every ucall; not a PC device port */
#define UCALL_MAX_ARGS	4

enum ucall_cmd {
	UCALL_NONE,	/* the exit was not a ucall */
	UCALL_SYNC,	/* args[0] = "hello", args[1] = the guest's value */
	UCALL_ABORT,	/* a guest assertion failed; see the fields below */
	UCALL_DONE,	/* the guest finished */
	UCALL_PRINTF,	/* args[0] = gva of a NUL-terminated line, args[1] = length */
};

#define UCALL_PRINTF_MAX	256	/* bytes of one GUEST_PRINTF, NUL included */

/* ucall.flags for UCALL_ABORT. */
#define UCALL_F_VALUES	(1U << 0)	/* args[0], args[1] are compared values */

/*
 * What the guest hands over.  Pointers are guest-virtual addresses; the
 * host copy rewrites none of them.  The layout is shared by guest and host
 * code of the same binary, so it needs no packing or versioning.
 */
struct ucall {
	uint64_t cmd;			/* enum ucall_cmd */
	uint64_t args[UCALL_MAX_ARGS];
	uint32_t nargs;			/* how many args are meaningful */
	uint32_t flags;			/* UCALL_F_* */
	uint64_t file;			/* UCALL_ABORT: gva of __FILE__ */
	uint64_t expr;			/* UCALL_ABORT: gva of the condition text */
	uint64_t line;			/* UCALL_ABORT: __LINE__ */
};

/* --- guest side --- */

/* Reports @cmd with @nargs (at most UCALL_MAX_ARGS) 64-bit arguments. */
void ucall(uint64_t cmd, int nargs, ...);

/* Reports a failed assertion; @has_values says whether @a/@b mean anything. */
void ucall_assert(const char *file, int line, const char *expr,
		  bool has_values, uint64_t a, uint64_t b);

/* snprintf for guest code (guest_print.c): %d %i %u %x %X %p %s %c %%,
 * '0' flag, width, l/ll/z; returns the length the whole output needs. */
int guest_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int guest_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Formats like guest_snprintf() and hands the text to the host. */
void guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define GUEST_PRINTF(fmt, ...)	guest_printf(fmt, ##__VA_ARGS__)
#define GUEST_SYNC(arg)		ucall(UCALL_SYNC, 2, (uint64_t)"hello", (uint64_t)(arg))
#define GUEST_DONE()		ucall(UCALL_DONE, 0)

#define GUEST_ASSERT(cond)						\
	do {								\
		if (!(cond))						\
			ucall_assert(__FILE__, __LINE__, #cond, false, 0, 0); \
	} while (0)

#define GUEST_ASSERT_EQ(a, b)						\
	do {								\
		uint64_t __ga = (uint64_t)(a), __gb = (uint64_t)(b);	\
		if (__ga != __gb)					\
			ucall_assert(__FILE__, __LINE__, #a " == " #b, true, \
				     __ga, __gb);			\
	} while (0)

/* Reports a failure unconditionally, naming @what. */
#define GUEST_FAIL(what)	ucall_assert(__FILE__, __LINE__, what, false, 0, 0)

/* --- host side --- */

struct kvm_vcpu;

/*
 * If the vCPU's last exit was a ucall, copies the guest's struct into @uc
 * (when non-NULL) and returns its command; else returns UCALL_NONE.
 */
uint64_t get_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);

/*
 * Writes "file:line: expr" and, with values, "(0x.. vs 0x..)" for the
 * UCALL_ABORT @uc of @vcpu's guest into @buf.
 */
const char *ucall_abort_format(struct kvm_vcpu *vcpu, const struct ucall *uc,
			       char *buf, size_t len);

/* Copies the text of UCALL_PRINTF @uc out of @vcpu's guest into @buf. */
const char *ucall_printf_str(struct kvm_vcpu *vcpu, const struct ucall *uc,
			     char *buf, size_t len);

/* Fails the test with the guest's assertion message. */
#define REPORT_GUEST_ASSERT(vcpu, uc)					\
	do {								\
		char __msg[512];					\
		TEST_FAIL("guest assertion failed: %s",			\
			  ucall_abort_format((vcpu), &(uc), __msg,	\
					     sizeof(__msg)));		\
	} while (0)

/*
 * Runs @vcpu until its next exit, asserts that it is a ucall, fails the
 * test on UCALL_ABORT, and returns the command (uc filled if non-NULL).
 * GUEST_PRINTF lines are printed ("# guest: ...") and the vCPU run on.
 */
uint64_t vcpu_run_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);

/* Runs @vcpu and asserts that the guest reached UCALL_SYNC with @value. */
void vcpu_run_expect_sync(struct kvm_vcpu *vcpu, uint64_t value);

/* Runs @vcpu and asserts that the guest reached GUEST_DONE(). */
void vcpu_run_expect_done(struct kvm_vcpu *vcpu);

#endif /* MINIKVM_UCALL_H */
