// SPDX-License-Identifier: GPL-2.0-only
/*
 * The explanation text of a refused VM entry (see entry_check.h).
 *
 * Context: any; a pure function.  Built into the module and into the unit
 * tests.
 */
#ifdef __KERNEL__
#include <linux/kernel.h>
#else
#include <stdio.h>
#endif

#include "entry_check.h"

void mkvm_entry_rule_text(char *buf, size_t size,
			  const struct mkvm_entry_rule *rule)
{
	if (!size)
		return;
	if (rule)
		snprintf(buf, size, "%s (%s)", rule->name, rule->section);
	else
		snprintf(buf, size,
			 "no rule found: the checker sees nothing the manual forbids in this state");
}
