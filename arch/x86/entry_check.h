/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the two software checkers of refused VM entries share
 * (arch/x86/vmx/vmx_check.c, arch/x86/svm/svm_check.c): a rule's name and
 * manual section, and the text minikvm puts into kvm_run's fail_entry.
 *
 * Pure C, no hardware access, any context: the checkers work on a snapshot
 * of the state the entry tried to load, and build unchanged in the kernel
 * module and in the cmocka unit tests (selftests/unit), hence the block of
 * types below.
 */
#ifndef MINIKVM_ENTRY_CHECK_H
#define MINIKVM_ENTRY_CHECK_H

#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#include <linux/minikvm.h>

/* One rule of the manual: a short name and where the manual states it. */
struct mkvm_entry_rule {
	const char *name;
	const char *section;
};

/*
 * "<name> (<section>)" into @buf (NUL-terminated, cut to @size), or a
 * plain sentence when @rule is NULL: no rule found.
 */
void mkvm_entry_rule_text(char *buf, size_t size,
			  const struct mkvm_entry_rule *rule);

#endif /* MINIKVM_ENTRY_CHECK_H */
