// SPDX-License-Identifier: GPL-2.0-only
/*
 * exit_log.c - unit tests of the differential-run log (user/lib/exit_log.c):
 * the line written for each kind of KVM_RUN return, what is left out
 * (KVM_EXIT_INTR, -EINTR, the data of an IN or MMIO read), and the bounds
 * on data_offset.  The vCPU and its kvm_run are built by hand: no device.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "minikvm/kvm_util.h"

#define RUN_SIZE	(2 * PAGE_SIZE_4K)

static char log_path[] = "/tmp/exit_log_unit.XXXXXX";
static long log_read;		/* bytes of the log already checked */
static struct kvm_vm vm = { .kvm_fd = -1, .fd = -1, .seq = 2 };
static struct kvm_vcpu vcpu = { .vm = &vm, .id = 3, .fd = -1,
				.run_size = RUN_SIZE };
static union {
	struct kvm_run run;
	char bytes[RUN_SIZE];
} area;

/* The text the log gained since the last call ("" if none). */
static const char *new_lines(void)
{
	static char buf[4096];
	FILE *f = fopen(log_path, "r");
	size_t n;

	assert_non_null(f);
	assert_int_equal(fseek(f, log_read, SEEK_SET), 0);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	log_read += n;
	fclose(f);
	return buf;
}

static int reset_run(void **state)
{
	(void)state;
	memset(&area, 0, sizeof(area));
	vcpu.run = &area.run;
	new_lines();
	return 0;
}

static void test_io_out_and_in(void **state)
{
	struct kvm_run *run = &area.run;

	(void)state;
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = KVM_EXIT_IO_OUT;
	run->io.size = 2;
	run->io.port = 0x80;
	run->io.count = 2;
	run->io.data_offset = PAGE_SIZE_4K;
	memcpy(area.bytes + PAGE_SIZE_4K, "\x01\x02\xab\xcd", 4);
	exit_log_record(&vcpu, 0, 0);
	assert_string_equal(new_lines(),
			    "- vm2 vcpu3 IO out port 0x80 size 2 count 2 data 01 02 ab cd\n");

	/* An IN's data is whatever was there before: not logged. */
	run->io.direction = KVM_EXIT_IO_IN;
	exit_log_record(&vcpu, 0, 0);
	assert_string_equal(new_lines(), "- vm2 vcpu3 IO in port 0x80 size 2 count 2\n");
}

static void test_io_bad_data_offset(void **state)
{
	struct kvm_run *run = &area.run;

	(void)state;
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = KVM_EXIT_IO_OUT;
	run->io.size = 4;
	run->io.port = 0x3f8;
	run->io.count = 1;
	run->io.data_offset = RUN_SIZE - 2;	/* 4 bytes would run past */
	exit_log_record(&vcpu, 0, 0);
	assert_string_equal(new_lines(), "- vm2 vcpu3 IO out port 0x3f8 size 4 count 1\n");
}

static void test_mmio(void **state)
{
	struct kvm_run *run = &area.run;

	(void)state;
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = 0xfee00030;
	run->mmio.len = 4;
	run->mmio.is_write = 1;
	memcpy(run->mmio.data, "\x11\x22\x33\x44", 4);
	exit_log_record(&vcpu, 0, 0);
	assert_string_equal(new_lines(),
			    "- vm2 vcpu3 MMIO write 0xfee00030 len 4 data 11 22 33 44\n");
	run->mmio.is_write = 0;
	exit_log_record(&vcpu, 0, 0);
	assert_string_equal(new_lines(), "- vm2 vcpu3 MMIO read 0xfee00030 len 4\n");
}

static void test_plain_reasons(void **state)
{
	struct kvm_run *run = &area.run;

	(void)state;
	run->exit_reason = KVM_EXIT_HLT;
	exit_log_record(&vcpu, 0, 0);
	run->exit_reason = KVM_EXIT_SHUTDOWN;
	exit_log_record(&vcpu, 0, 0);
	run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_entry_failure_reason = 0x21;
	run->fail_entry.cpu = 1;		/* the CPU is left out */
	exit_log_record(&vcpu, 0, 0);
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->internal.ndata = 1;		/* debug words are left out */
	exit_log_record(&vcpu, 0, 0);
	run->exit_reason = 200;
	exit_log_record(&vcpu, 0, 0);
	assert_string_equal(new_lines(),
			    "- vm2 vcpu3 HLT\n"
			    "- vm2 vcpu3 SHUTDOWN\n"
			    "- vm2 vcpu3 FAIL_ENTRY reason 0x21\n"
			    "- vm2 vcpu3 INTERNAL_ERROR suberror 1\n"
			    "- vm2 vcpu3 reason 200\n");
}

static void test_left_out_and_errors(void **state)
{
	struct kvm_run *run = &area.run;

	(void)state;
	run->exit_reason = KVM_EXIT_INTR;
	exit_log_record(&vcpu, 0, 0);
	exit_log_record(&vcpu, -1, EINTR);
	assert_string_equal(new_lines(), "");
	exit_log_record(&vcpu, -1, EBADF);
	assert_string_equal(new_lines(), "- vm2 vcpu3 error EBADF\n");
}

static void test_case_name(void **state)
{
	struct kvm_run *run = &area.run;

	(void)state;
	kvm_test_case_name = "some_case";
	run->exit_reason = KVM_EXIT_HLT;
	exit_log_record(&vcpu, 0, 0);
	kvm_test_case_name = "-";
	assert_string_equal(new_lines(), "some_case vm2 vcpu3 HLT\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_io_out_and_in, reset_run),
		cmocka_unit_test_setup(test_io_bad_data_offset, reset_run),
		cmocka_unit_test_setup(test_mmio, reset_run),
		cmocka_unit_test_setup(test_plain_reasons, reset_run),
		cmocka_unit_test_setup(test_left_out_and_errors, reset_run),
		cmocka_unit_test_setup(test_case_name, reset_run),
	};
	int fd = mkstemp(log_path), r;

	if (fd < 0)
		return 1;
	close(fd);
	setenv("MINIKVM_EXIT_LOG", log_path, 1);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(log_path);
	return r;
}
