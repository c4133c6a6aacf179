/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kernel_shim.h - the few kernel macros that module sources built into the
 * unit tests expect from kernel headers (force-included by the Makefile
 * for those objects only).
 */
#ifndef MINIKVM_UNIT_KERNEL_SHIM_H
#define MINIKVM_UNIT_KERNEL_SHIM_H

#include <assert.h>
#include <stddef.h>

#ifndef BIT
#define BIT(n)		(1UL << (n))
#endif
#ifndef __packed
#define __packed	__attribute__((packed))
#endif
#ifndef PAGE_SIZE
#define PAGE_SIZE	4096UL
#endif

#endif /* MINIKVM_UNIT_KERNEL_SHIM_H */
