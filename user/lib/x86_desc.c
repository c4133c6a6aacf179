// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86_desc.c - segment, system and gate descriptors (see x86_vm.h).
 *
 * Encodings from SDM Vol. 3A, 3.4.5 "Segment Descriptors" (figure 3-8),
 * 7.2.3 "TSS Descriptor in 64-bit mode" and 6.14.1 "64-Bit Mode IDT"
 * (figure 6-8); APM Vol. 2, 4.8 "Long-Mode Segment Descriptors".
 * struct kvm_segment holds the limit in bytes: with G set the descriptor
 * holds it in 4 KiB units.
 */
#include "minikvm/x86_vm.h"

#define DESC_TYPE_SHIFT		40
#define DESC_S			(1ULL << 44)
#define DESC_DPL_SHIFT		45
#define DESC_P			(1ULL << 47)
#define DESC_AVL		(1ULL << 52)
#define DESC_L			(1ULL << 53)
#define DESC_DB			(1ULL << 54)
#define DESC_G			(1ULL << 55)

#define GATE_TYPE_INTR64	0xe	/* 64-bit interrupt gate */

uint64_t x86_seg_desc_encode(const struct kvm_segment *seg)
{
	uint32_t limit = seg->g ? seg->limit >> 12 : seg->limit;
	uint64_t base = seg->base;
	uint64_t d;

	d = (limit & 0xffffULL) | ((uint64_t)(limit >> 16 & 0xf) << 48);
	d |= (base & 0xffffffULL) << 16 | (base >> 24 & 0xffULL) << 56;
	d |= (uint64_t)(seg->type & 0xf) << DESC_TYPE_SHIFT;
	d |= (uint64_t)(seg->dpl & 3) << DESC_DPL_SHIFT;
	d |= seg->s ? DESC_S : 0;
	d |= seg->present ? DESC_P : 0;
	d |= seg->avl ? DESC_AVL : 0;
	d |= seg->l ? DESC_L : 0;
	d |= seg->db ? DESC_DB : 0;
	d |= seg->g ? DESC_G : 0;
	return d;
}

void x86_seg_desc_decode(uint64_t desc, struct kvm_segment *seg)
{
	uint32_t limit = (desc & 0xffff) | ((desc >> 48 & 0xf) << 16);

	seg->base = (desc >> 16 & 0xffffff) | ((desc >> 56 & 0xff) << 24);
	seg->type = desc >> DESC_TYPE_SHIFT & 0xf;
	seg->s = !!(desc & DESC_S);
	seg->dpl = desc >> DESC_DPL_SHIFT & 3;
	seg->present = !!(desc & DESC_P);
	seg->avl = !!(desc & DESC_AVL);
	seg->l = !!(desc & DESC_L);
	seg->db = !!(desc & DESC_DB);
	seg->g = !!(desc & DESC_G);
	seg->limit = seg->g ? (limit << 12) | 0xfff : limit;
}

void x86_sys_desc64_encode(const struct kvm_segment *seg, uint64_t out[2])
{
	out[0] = x86_seg_desc_encode(seg);
	out[1] = seg->base >> 32;
}

void x86_idt_gate64_encode(uint64_t handler, uint16_t sel, unsigned int ist,
			   unsigned int dpl, uint64_t out[2])
{
	out[0] = (handler & 0xffff) | (uint64_t)sel << 16 |
		 (uint64_t)(ist & 7) << 32 |
		 (uint64_t)GATE_TYPE_INTR64 << DESC_TYPE_SHIFT |
		 (uint64_t)(dpl & 3) << DESC_DPL_SHIFT | DESC_P |
		 (handler >> 16 & 0xffff) << 48;
	out[1] = handler >> 32;
}

/* A present, flat, ring-0 code or data segment. */
static void flat(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .s = 1, .g = 1, .db = 1,
	};
}

void x86_flat_code64(struct kvm_segment *s)
{
	flat(s, GDT_SEL_CODE64, 0xb);	/* execute/read, accessed */
	s->l = 1;
	s->db = 0;			/* L with D set is reserved */
}

void x86_flat_code32(struct kvm_segment *s)
{
	flat(s, GDT_SEL_CODE32, 0xb);
}

void x86_flat_code16(struct kvm_segment *s)
{
	flat(s, GDT_SEL_CODE16, 0xb);
	s->limit = 0xffff;
	s->g = 0;
	s->db = 0;
}

void x86_flat_data(struct kvm_segment *s, uint16_t sel, bool big)
{
	flat(s, sel, 0x3);		/* read/write, accessed */
	if (!big) {
		s->limit = 0xffff;
		s->g = 0;
		s->db = 0;
	}
}

void x86_gdt_write_flat(uint64_t *gdt)
{
	struct kvm_segment s;

	x86_flat_code64(&s);
	gdt[GDT_SEL_CODE64 / 8] = x86_seg_desc_encode(&s);
	x86_flat_data(&s, GDT_SEL_DATA, true);
	gdt[GDT_SEL_DATA / 8] = x86_seg_desc_encode(&s);
	x86_flat_code32(&s);
	gdt[GDT_SEL_CODE32 / 8] = x86_seg_desc_encode(&s);
	x86_flat_code16(&s);
	gdt[GDT_SEL_CODE16 / 8] = x86_seg_desc_encode(&s);
	x86_flat_data(&s, GDT_SEL_DATA16, false);
	gdt[GDT_SEL_DATA16 / 8] = x86_seg_desc_encode(&s);
}
