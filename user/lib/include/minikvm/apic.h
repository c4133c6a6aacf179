/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The local APIC as guest code sees it (Intel SDM Vol. 3A, "Advanced
 * Programmable Interrupt Controller (APIC)"): register offsets in the xAPIC
 * page, x2APIC MSR numbers, ICR and LVT bits, and xAPIC accessors for the
 * default APIC base, identity-mapped by the test VMs.
 */
#ifndef MINIKVM_APIC_H
#define MINIKVM_APIC_H

#include <stdint.h>

#define APIC_GPA	0xfee00000ULL	/* default IA32_APIC_BASE */
#define APIC_BASE_EN	(1ULL << 11)	/* IA32_APIC_BASE global enable */
#define APIC_BASE_EXTD	(1ULL << 10)	/* IA32_APIC_BASE x2APIC mode */

#define APIC_ID		0x20
#define APIC_LVR	0x30
#define APIC_TPR	0x80
#define APIC_PPR	0xa0
#define APIC_EOI	0xb0
#define APIC_SVR	0xf0
#define APIC_ISR	0x100
#define APIC_IRR	0x200
#define APIC_ESR	0x280
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_LVTT	0x320
#define APIC_LVT0	0x350
#define APIC_LVT1	0x360
#define APIC_LVTERR	0x370
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0

#define X2APIC_MSR(off)	(0x800 + ((off) >> 4))
#define X2APIC_SELF_IPI	0x83f

/* ICR: delivery mode (bits 10:8), destination mode, level, shorthand. */
#define ICR_LOWEST	(1U << 8)
#define ICR_NMI		(4U << 8)
#define ICR_INIT	(5U << 8)
#define ICR_STARTUP	(6U << 8)
#define ICR_LOGICAL	(1U << 11)
#define ICR_ASSERT	(1U << 14)
#define ICR_LEVEL	(1U << 15)
#define ICR_SELF	(1U << 18)
#define ICR_ALL		(2U << 18)	/* all including self */

#define LVT_MASKED	(1U << 16)
#define LVT_PERIODIC	(1U << 17)	/* timer mode 01b */
#define LVT_DEADLINE	(2U << 17)	/* timer mode 10b: TSC-deadline */

/* Guest code: xAPIC registers by MMIO at the default base. */
static inline uint32_t apic_read(uint32_t off)
{
	return *(volatile uint32_t *)(APIC_GPA + off);
}

static inline void apic_write(uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(APIC_GPA + off) = v;
}

#endif /* MINIKVM_APIC_H */
