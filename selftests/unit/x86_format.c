// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86_format.c - unit tests of the register decoding that minikvm-run and
 * failure messages print (user/lib/processor.c).  No device needed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "minikvm/processor.h"

static void test_seg_types(void **state)
{
	char b[64];

	(void)state;
	assert_string_equal(x86_seg_type_name(true, 0xb, b, sizeof(b)), "code RX accessed");
	assert_string_equal(x86_seg_type_name(true, 0xa, b, sizeof(b)), "code RX");
	assert_string_equal(x86_seg_type_name(true, 0xc, b, sizeof(b)), "code X conforming");
	assert_string_equal(x86_seg_type_name(true, 0x3, b, sizeof(b)), "data RW accessed");
	assert_string_equal(x86_seg_type_name(true, 0x4, b, sizeof(b)), "data R expand-down");
	assert_string_equal(x86_seg_type_name(false, 0xb, b, sizeof(b)), "TSS busy");
	assert_string_equal(x86_seg_type_name(false, 0x3, b, sizeof(b)), "TSS16 busy");
	assert_string_equal(x86_seg_type_name(false, 0x2, b, sizeof(b)), "LDT");
}

static void test_bits(void **state)
{
	char b[128];

	(void)state;
	assert_string_equal(x86_bits_format(0x60000010, x86_cr0_bit_names, b, sizeof(b)),
			    "ET NW CD");
	assert_string_equal(x86_bits_format(0, x86_cr0_bit_names, b, sizeof(b)), "none");
	assert_string_equal(x86_bits_format(EFER_LME | EFER_LMA | (1ULL << 63),
					    x86_efer_bit_names, b, sizeof(b)),
			    "LME LMA bit63");
	/* A short buffer is cut, never overrun. */
	memset(b, 'x', sizeof(b));
	x86_bits_format(0xffffffffffffffffULL, x86_cr4_bit_names, b, 8);
	assert_int_equal(strlen(b), 7);
}

static void test_seg_format(void **state)
{
	struct kvm_segment cs = {
		.base = 0xffff0000, .limit = 0xffff, .selector = 0xf000,
		.type = 0xb, .present = 1, .s = 1,
	};
	char b[256];

	(void)state;
	assert_string_equal(x86_seg_format(&cs, b, sizeof(b)),
			    "sel=f000 base=00000000ffff0000 limit=0000ffff type=b "
			    "(code RX accessed) s=1 dpl=0 p=1 db=0 l=0 g=0 avl=0 "
			    "unusable=0");
}

/* The sregs dump names the pending interrupt and decodes the APIC base. */
static void test_sregs_dump(void **state)
{
	struct kvm_sregs s = { .cr0 = X86_CR0_RESET,
			       .apic_base = APIC_DEFAULT_BASE | APIC_BASE_ENABLE |
					    APIC_BASE_BSP };
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	s.interrupt_bitmap[0x20 / 64] |= 1ULL << (0x20 % 64);
	x86_sregs_dump(f, &s, "> ");
	fclose(f);
	assert_non_null(strstr(out, "> cr0=0000000060000010 (ET NW CD)\n"));
	assert_non_null(strstr(out, "(base fee00000 BSP enabled)"));
	assert_non_null(strstr(out, "> pending interrupts: 0x20\n"));
	free(out);
}

/* Feature names match whole words of a /proc/cpuinfo flags line only. */
static void test_cpuinfo_flags(void **state)
{
	const char *flags = " fpu vme pcid sse xsave xsaveopt smep\n";

	(void)state;
	assert_int_equal(cpuinfo_flags_have(flags, "fpu"), 1);
	assert_int_equal(cpuinfo_flags_have(flags, "xsave"), 1);
	assert_int_equal(cpuinfo_flags_have(flags, "smep"), 1);
	assert_int_equal(cpuinfo_flags_have(flags, "pcid"), 1);
	assert_int_equal(cpuinfo_flags_have(flags, "xsaveopt"), 1);
	assert_int_equal(cpuinfo_flags_have(flags, "save"), 0);
	assert_int_equal(cpuinfo_flags_have(flags, "smap"), 0);
	assert_int_equal(cpuinfo_flags_have(flags, "sse2"), 0);
	assert_int_equal(cpuinfo_flags_have("", "fpu"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seg_types),
		cmocka_unit_test(test_bits),
		cmocka_unit_test(test_seg_format),
		cmocka_unit_test(test_sregs_dump),
		cmocka_unit_test(test_cpuinfo_flags),
	};

	return cmocka_run_group_tests_name("x86_format", tests, NULL, NULL);
}
