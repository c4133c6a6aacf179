/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel APIs that differ between the kernels minikvm builds against
 * (Documentation/testing.md, "Kernel matrix": Debian's 6.1 and the 6.12 of
 * bookworm-backports).  Each difference is one wrapper here, named after
 * what it does, so that the rest of the module reads the same on every
 * kernel.  Each is chosen by a Kbuild probe of the kernel's headers
 * (MKVM_HAVE_*, see Kbuild), not by LINUX_VERSION_CODE: stable series get
 * such changes backported.
 */
#ifndef MKVM_COMPAT_H
#define MKVM_COMPAT_H

#include <linux/mm.h>
#include <linux/syscore_ops.h>

/* vm_flags became read-only, with helpers to change them, in 6.3. */
#ifdef MKVM_HAVE_VM_FLAGS_CLEAR
#define mkvm_vm_flags_clear(vma, flags)	vm_flags_clear(vma, flags)
#else
#define mkvm_vm_flags_clear(vma, flags)	((vma)->vm_flags &= ~(flags))
#endif

/*
 * Since 6.10 the kernel's view of kvm_run names the flag immediate_exit__unsafe
 * (userspace may change it at any time: read it once).
 */
#ifdef MKVM_HAVE_IMMEDIATE_EXIT_UNSAFE
#define mkvm_immediate_exit(run)	READ_ONCE((run)->immediate_exit__unsafe)
#else
#define mkvm_immediate_exit(run)	READ_ONCE((run)->immediate_exit)
#endif

/*
 * System-core suspend/resume callbacks.  Newer kernels register a struct
 * syscore (ops plus a data pointer handed to each callback) with
 * register_syscore(); Debian's 6.12.117 has that too, backported
 * (MKVM_HAVE_STRUCT_SYSCORE).
 * Older kernels register the struct syscore_ops itself, whose callbacks
 * take no argument.
 *
 * MKVM_SYSCORE(name, suspend, resume) defines the static object @name for
 * the callbacks int suspend(void) and void resume(void);
 * mkvm_syscore_register(&name) and mkvm_syscore_unregister(&name) add and
 * remove it.
 */
#ifdef MKVM_HAVE_STRUCT_SYSCORE
#define MKVM_SYSCORE(name, suspend_fn, resume_fn)			\
static int name##_suspend(void *data) { return suspend_fn(); }	\
static void name##_resume(void *data) { resume_fn(); }		\
static const struct syscore_ops name##_ops = {			\
	.suspend = name##_suspend,					\
	.resume = name##_resume,					\
};									\
static struct syscore name = { .ops = &name##_ops }
#define mkvm_syscore_register(s)	register_syscore(s)
#define mkvm_syscore_unregister(s)	unregister_syscore(s)
#else
#define MKVM_SYSCORE(name, suspend_fn, resume_fn)			\
static struct syscore_ops name = {					\
	.suspend = suspend_fn,						\
	.resume = resume_fn,						\
}
#define mkvm_syscore_register(s)	register_syscore_ops(s)
#define mkvm_syscore_unregister(s)	unregister_syscore_ops(s)
#endif

#endif /* MKVM_COMPAT_H */
