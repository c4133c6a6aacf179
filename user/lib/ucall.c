// SPDX-License-Identifier: GPL-2.0-only
/*
 * ucall.c - guest-to-host calls over port I/O (see ucall.h).
 *
 * The guest half runs in the guest: no libc, no stack protector (the
 * library is built with -fno-stack-protector), nothing but the OUT that
 * hands the host the address of a struct ucall on the guest's stack.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

/* --- guest side --- */

/* Hands @uc to the host; the host may read it until the guest runs again. */
static void ucall_out(struct ucall *uc)
{
	outl(UCALL_PORT, (uint32_t)(uintptr_t)uc);
}

void ucall(uint64_t cmd, int nargs, ...)
{
	struct ucall uc;
	va_list ap;
	int i;

	uc.cmd = cmd;
	uc.nargs = nargs < 0 ? 0 : nargs > UCALL_MAX_ARGS ? UCALL_MAX_ARGS : nargs;
	uc.flags = 0;
	uc.file = uc.expr = uc.line = 0;
	va_start(ap, nargs);
	for (i = 0; i < UCALL_MAX_ARGS; i++)
		uc.args[i] = i < (int)uc.nargs ? va_arg(ap, uint64_t) : 0;
	va_end(ap);
	ucall_out(&uc);
}

void ucall_assert(const char *file, int line, const char *expr,
		  bool has_values, uint64_t a, uint64_t b)
{
	struct ucall uc;

	uc.cmd = UCALL_ABORT;
	uc.nargs = has_values ? 2 : 0;
	uc.flags = has_values ? UCALL_F_VALUES : 0;
	uc.args[0] = a;
	uc.args[1] = b;
	uc.args[2] = uc.args[3] = 0;
	uc.file = (uintptr_t)file;
	uc.expr = (uintptr_t)expr;
	uc.line = line;
	/* The host does not resume an aborted guest; if it does, stop here. */
	for (;;)
		ucall_out(&uc);
}

/* --- host side --- */

uint64_t get_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	struct kvm_run *run = vcpu->run;
	struct ucall copy;
	uint64_t gpa;
	uint32_t gva;

	if (run->exit_reason != KVM_EXIT_IO || run->io.port != UCALL_PORT ||
	    run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 ||
	    run->io.count != 1)
		return UCALL_NONE;
	memcpy(&gva, vcpu_io_data(vcpu), sizeof(gva));
	TEST_ASSERT(__addr_gva2gpa(vcpu->vm, gva, &gpa) &&
		    __addr_gpa2hva(vcpu->vm, gpa + sizeof(copy) - 1),
		    "ucall struct at gva 0x%x is not in guest memory", gva);
	memcpy(&copy, addr_gpa2hva(vcpu->vm, gpa), sizeof(copy));
	if (uc)
		*uc = copy;
	return copy.cmd;
}

/* Copies the NUL-terminated guest string at @gva into @buf, or "?". */
static const char *guest_str(struct kvm_vcpu *vcpu, uint64_t gva, char *buf,
			     size_t len)
{
	uint64_t gpa;
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		const char *c;

		if (!__addr_gva2gpa(vcpu->vm, gva + i, &gpa))
			break;
		c = __addr_gpa2hva(vcpu->vm, gpa);
		if (!c || !*c)
			break;
		buf[i] = *c;
	}
	buf[i] = '\0';
	return i ? buf : "?";
}

const char *ucall_abort_format(struct kvm_vcpu *vcpu, const struct ucall *uc,
			       char *buf, size_t len)
{
	char file[128], expr[256];
	int n;

	n = snprintf(buf, len, "%s:%llu: %s",
		     guest_str(vcpu, uc->file, file, sizeof(file)),
		     (unsigned long long)uc->line,
		     guest_str(vcpu, uc->expr, expr, sizeof(expr)));
	if ((uc->flags & UCALL_F_VALUES) && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, " (0x%llx vs 0x%llx)",
			 (unsigned long long)uc->args[0],
			 (unsigned long long)uc->args[1]);
	return buf;
}

const char *ucall_printf_str(struct kvm_vcpu *vcpu, const struct ucall *uc,
			     char *buf, size_t len)
{
	size_t n;

	guest_str(vcpu, uc->args[0], buf, len);
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')	/* the host adds its own */
		buf[n - 1] = '\0';
	return buf;
}

uint64_t vcpu_run_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	char line[UCALL_PRINTF_MAX];
	struct ucall tmp;
	uint64_t cmd;

	if (!uc)
		uc = &tmp;
	do {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		cmd = get_ucall(vcpu, uc);
		if (cmd == UCALL_PRINTF)
			ksft_print_msg("guest: %s\n",
				       ucall_printf_str(vcpu, uc, line, sizeof(line)));
	} while (cmd == UCALL_PRINTF);
	if (cmd == UCALL_NONE) {
		kvm_run_dump(stdout, vcpu->run, "#   ");
		TEST_FAIL("vCPU %u: port I/O exit that is not a ucall", vcpu->id);
	}
	if (cmd == UCALL_ABORT)
		REPORT_GUEST_ASSERT(vcpu, *uc);
	return cmd;
}

void vcpu_run_expect_sync(struct kvm_vcpu *vcpu, uint64_t value)
{
	struct ucall uc;
	uint64_t cmd = vcpu_run_ucall(vcpu, &uc);

	TEST_ASSERT(cmd == UCALL_SYNC, "expected UCALL_SYNC(0x%llx), got ucall %llu",
		    (unsigned long long)value, (unsigned long long)cmd);
	TEST_ASSERT_EQ(uc.args[1], value);
}

void vcpu_run_expect_done(struct kvm_vcpu *vcpu)
{
	uint64_t cmd = vcpu_run_ucall(vcpu, NULL);

	TEST_ASSERT(cmd == UCALL_DONE, "expected UCALL_DONE, got ucall %llu",
		    (unsigned long long)cmd);
}
