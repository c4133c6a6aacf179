/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exit trace of minikvm (MINIKVM_GET_EXIT_TRACE_FD, <linux/minikvm.h>):
 * open a vCPU's ring, map it, consume its records, name the vendor's exit
 * reasons and print records.  kvm_trace.c.
 */
#ifndef MINIKVM_KVM_TRACE_H
#define MINIKVM_KVM_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/minikvm.h>

#include "minikvm/kvm_util.h"

/* A mapped ring: header page (read-write), records (read-only). */
struct kvm_trace {
	int fd;
	struct minikvm_trace_header *hdr;
	const struct minikvm_trace_record *recs;
	size_t recs_size;		/* bytes mapped at recs */
};

/* MINIKVM_GET_EXIT_TRACE_FD with @cfg; the raw result (-1 with errno). */
int __vcpu_get_exit_trace_fd(struct kvm_vcpu *vcpu,
			     const struct minikvm_trace_config *cfg);
/* The same with nr_records @nr and the rest 0; asserts, returns the fd. */
int vcpu_get_exit_trace_fd(struct kvm_vcpu *vcpu, uint32_t nr);

/* Maps header and records of trace fd @fd into @t; asserts. */
void kvm_trace_map(struct kvm_trace *t, int fd);
/* Unmaps @t (the fd stays open). */
void kvm_trace_unmap(struct kvm_trace *t);
/* Copies the oldest record to @rec and consumes it; false when empty. */
bool kvm_trace_next(struct kvm_trace *t, struct minikvm_trace_record *rec);

/*
 * The manual's name of @reason ("CPUID", "IOIO"), for MINIKVM_TRACE_VMX
 * (basic exit reason, bits 15:0) or _SVM (EXITCODE); NULL when unknown.
 */
const char *kvm_trace_reason_name(uint32_t vendor, uint64_t reason);

/*
 * One line for @rec: microseconds since TSC @tsc0 (with @tsc_khz), vCPU,
 * reason name, info1, info2, RIP, "kernel" or "user:IO"..., cycles.
 */
void kvm_trace_print(FILE *f, const struct minikvm_trace_record *rec,
		     uint32_t vendor, uint64_t tsc0, uint64_t tsc_khz);

#endif /* MINIKVM_KVM_TRACE_H */
