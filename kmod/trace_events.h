/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * minikvm's tracepoints, system "minikvm": one event per VM entry, per VM
 * exit (its vendor code decoded with the backend's exit table), per return
 * of KVM_RUN to userspace and per refused VM entry.  Usable from ftrace
 * (events/minikvm/ in tracefs), perf and trace-cmd.  Each tracepoint sits
 * behind its own static key: while disabled it costs a patched-out jump.
 *
 * Names are copied into fixed-size arrays (not __string) so that the events
 * read the same on every kernel the module builds for.
 *
 * This header is read several times by the tracing macros; kmod/trace.c
 * defines the events (CREATE_TRACE_POINTS), other files only call them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM minikvm

#if !defined(MKVM_TRACE_EVENTS_H) || defined(TRACE_HEADER_MULTI_READ)
#define MKVM_TRACE_EVENTS_H

#include <linux/kvm.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

/* Room for the longest exit name of either manual, NUL included. */
#define MKVM_TRACE_NAME_SIZE	32

TRACE_EVENT(minikvm_entry,
	TP_PROTO(u32 vcpu_id, u64 rip),
	TP_ARGS(vcpu_id, rip),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u64, rip)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->rip = rip;
	),
	TP_printk("vcpu %u rip 0x%llx", __entry->vcpu_id, __entry->rip)
);

TRACE_EVENT(minikvm_exit,
	TP_PROTO(u32 vcpu_id, u64 reason, const char *name, u64 info1,
		 u64 info2, u64 rip),
	TP_ARGS(vcpu_id, reason, name, info1, info2, rip),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u64, reason)
		__array(char, name, MKVM_TRACE_NAME_SIZE)
		__field(u64, info1)
		__field(u64, info2)
		__field(u64, rip)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->reason = reason;
		strscpy(__entry->name, name, MKVM_TRACE_NAME_SIZE);
		__entry->info1 = info1;
		__entry->info2 = info2;
		__entry->rip = rip;
	),
	TP_printk("vcpu %u reason %s (0x%llx) rip 0x%llx info1 0x%llx info2 0x%llx",
		  __entry->vcpu_id, __entry->name, __entry->reason,
		  __entry->rip, __entry->info1, __entry->info2)
);

TRACE_EVENT(minikvm_userspace_exit,
	TP_PROTO(u32 vcpu_id, u32 exit_reason),
	TP_ARGS(vcpu_id, exit_reason),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u32, exit_reason)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->exit_reason = exit_reason;
	),
	TP_printk("vcpu %u reason %s (%u)", __entry->vcpu_id,
		  /* The KVM_EXIT_* minikvm returns, named as in KVM's trace. */
		  __print_symbolic(__entry->exit_reason,
				   { KVM_EXIT_UNKNOWN, "UNKNOWN" },
				   { KVM_EXIT_EXCEPTION, "EXCEPTION" },
				   { KVM_EXIT_IO, "IO" },
				   { KVM_EXIT_HLT, "HLT" },
				   { KVM_EXIT_MMIO, "MMIO" },
				   { KVM_EXIT_SHUTDOWN, "SHUTDOWN" },
				   { KVM_EXIT_FAIL_ENTRY, "FAIL_ENTRY" },
				   { KVM_EXIT_INTR, "INTR" },
				   { KVM_EXIT_INTERNAL_ERROR, "INTERNAL_ERROR" }),
		  __entry->exit_reason)
);

TRACE_EVENT(minikvm_entry_failed,
	TP_PROTO(u32 vcpu_id, u64 hw_reason, u32 rule, const char *text),
	TP_ARGS(vcpu_id, hw_reason, rule, text),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u64, hw_reason)
		__field(u32, rule)
		__array(char, text, MINIKVM_FAIL_ENTRY_TEXT_SIZE)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->hw_reason = hw_reason;
		__entry->rule = rule;
		strscpy(__entry->text, text, MINIKVM_FAIL_ENTRY_TEXT_SIZE);
	),
	TP_printk("vcpu %u hardware reason 0x%llx rule %u: %s",
		  __entry->vcpu_id, __entry->hw_reason, __entry->rule,
		  __entry->text)
);

#endif /* MKVM_TRACE_EVENTS_H */

/* Out of tree: define_trace.h finds this header through -I$(src). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH kmod
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace_events
#include <trace/define_trace.h>
