// SPDX-License-Identifier: GPL-2.0-only
/*
 * The exit trace: MINIKVM_GET_EXIT_TRACE_FD on a vCPU fd returns an fd
 * whose ring gets one struct minikvm_trace_record per VM exit (and per
 * refused VM entry) of that vCPU while the fd is open.  Userspace reads
 * records with read(), or maps the ring: page 0 is struct
 * minikvm_trace_header (the only page that may be mapped writable, for
 * userspace to advance tail), records follow from page 1, read-only.
 *
 * Also defines the minikvm:* tracepoints (trace_events.h).
 *
 * Writer: the vCPU thread alone, inside KVM_RUN.  mkvm_trace_exit() keeps
 * the exit's record in the vCPU at the exit; mkvm_trace_exit_done() adds
 * the handling cycles and writes it to the ring at the next VM entry
 * (interrupts off) or at KVM_RUN's return.  The ring is found through
 * vcpu->trace under rcu_read_lock() (or with interrupts off, at an entry);
 * closing the fd clears that pointer
 * and waits for a grace period before freeing the ring, so a close while
 * the vCPU runs is safe.  The kernel keeps its own head and lost and only
 * reads tail from the shared header: whatever userspace writes there can
 * lose records but never send a write outside the ring.
 *
 * When no fd is open, an exit costs one predicted-not-taken test of
 * vcpu->trace (mkvm_stat_exit()) and one of vcpu->trace_ring.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/tsc.h>

#include "compat.h"
#include "minikvm.h"

#define CREATE_TRACE_POINTS
#include "trace_events.h"

#define MKVM_TRACE_DEFAULT_RECORDS	4096
#define MKVM_TRACE_MAX_RECORDS		(1U << 20)
#define MKVM_TRACE_VERSION		1

/* A vCPU's ring; lives from the fd's creation to its release. */
struct mkvm_trace {
	struct mkvm_vcpu *vcpu;		/* (c) the fd holds a ref on its VM */
	void *buf;			/* (c) vmalloc_user: header + records */
	unsigned long size;		/* (c) bytes of buf, whole pages */
	struct minikvm_trace_header *hdr;	/* (c) page 0 of buf */
	struct minikvm_trace_record *recs;	/* (c) page 1 on */
	u32 mask;			/* (c) nr_records - 1 */
	u64 head, lost;			/* the writer's own copies */
	struct mutex read_lock;		/* serialises read() */
};

/* Serialises opening and closing of trace fds (vcpu->trace). */
static DEFINE_MUTEX(mkvm_trace_lock);

/* Append @rec to @t, or count it lost when the ring is full. */
static void mkvm_trace_push(struct mkvm_trace *t,
			    const struct minikvm_trace_record *rec)
{
	/* Pairs with userspace's release of tail: its reads are done. */
	u64 tail = smp_load_acquire(&t->hdr->tail);

	if (t->head - tail > t->mask) {
		/* Full, or a tail userspace put out of range: drop newest. */
		WRITE_ONCE(t->hdr->lost, ++t->lost);
		return;
	}
	t->recs[t->head & t->mask] = *rec;
	/* The record is in place before head says so. */
	smp_store_release(&t->hdr->head, ++t->head);
}

/*
 * The explanation of a refused entry that the checker put in kvm_run's
 * exit union; @text gets its text (NUL-terminated) or "".  Return: the
 * rule, 0 when there is no explanation.
 */
static u32 mkvm_trace_fail_rule(struct mkvm_vcpu *vcpu, char *text)
{
	const struct minikvm_fail_entry *fe =
		(const void *)&vcpu->run->fail_entry;

	BUILD_BUG_ON(sizeof(*fe) > sizeof(vcpu->run->padding));
	text[0] = '\0';
	/* The page is shared with userspace: read each field once. */
	if (READ_ONCE(fe->magic) != MINIKVM_FAIL_ENTRY_MAGIC)
		return 0;
	memcpy(text, fe->text, MINIKVM_FAIL_ENTRY_TEXT_SIZE);
	text[MINIKVM_FAIL_ENTRY_TEXT_SIZE - 1] = '\0';
	return READ_ONCE(fe->rule);
}

/*
 * A refused entry going back to userspace: the record's flag and rule,
 * and the minikvm_entry_failed event.
 */
static void mkvm_trace_entry_failed(struct mkvm_vcpu *vcpu, bool traced)
{
	char text[MINIKVM_FAIL_ENTRY_TEXT_SIZE];
	u32 rule;

	if (!traced && !trace_minikvm_entry_failed_enabled())
		return;
	rule = mkvm_trace_fail_rule(vcpu, text);
	vcpu->trace_rec.flags |= MINIKVM_TRACE_FAILED_ENTRY;
	vcpu->trace_rec.rule = rule;
	trace_minikvm_entry_failed(vcpu->id,
				   vcpu->run->fail_entry.hardware_entry_failure_reason,
				   rule, text);
}

/**
 * mkvm_trace_exit_done() - the handling of the traced exit is over
 * @vcpu: the vCPU
 * @cycles: from the exit to now
 * @user: KVM_RUN returns for this exit (vcpu->run->exit_reason is set)
 *
 * Called by mkvm_stat_exit_done() when an exit is pending in the trace or
 * when KVM_RUN returns, and by KVM_RUN alone for a refused entry while
 * statistics are off; may run with interrupts off (at VM entry).
 */
void mkvm_trace_exit_done(struct mkvm_vcpu *vcpu, u64 cycles, bool user)
{
	struct minikvm_trace_record *rec = &vcpu->trace_rec;
	struct mkvm_trace *ring = vcpu->trace_ring;
	struct mkvm_trace *t;

	vcpu->trace_ring = NULL;
	rec->cycles = cycles;
	rec->flags = 0;
	rec->kvm_exit_reason = 0;
	rec->rule = 0;
	rec->vcpu_id = vcpu->id;
	if (user) {
		rec->flags = MINIKVM_TRACE_USERSPACE;
		rec->kvm_exit_reason = vcpu->run->exit_reason;
		if (rec->kvm_exit_reason == KVM_EXIT_FAIL_ENTRY)
			mkvm_trace_entry_failed(vcpu, ring);
	}
	if (!ring)
		return;
	/*
	 * Not if the ring of the exit was closed (and maybe another opened).
	 * At a VM entry interrupts are off, which the closer's
	 * synchronize_rcu() waits for as for rcu_read_lock(): no need for it.
	 */
	if (!user) {
		t = rcu_dereference_sched(vcpu->trace);
		if (t == ring)
			mkvm_trace_push(t, rec);
		return;
	}
	rcu_read_lock();
	t = rcu_dereference(vcpu->trace);
	if (t == ring)
		mkvm_trace_push(t, rec);
	rcu_read_unlock();
}

static ssize_t mkvm_trace_read(struct file *filp, char __user *buf,
			       size_t size, loff_t *ppos)
{
	struct mkvm_trace *t = filp->private_data;
	const size_t rsize = sizeof(struct minikvm_trace_record);
	u64 head, tail, n, i;
	ssize_t r = 0;

	if (size < rsize)
		return -EINVAL;
	mutex_lock(&t->read_lock);
	/* Pairs with the writer's release: the records up to head are in. */
	head = smp_load_acquire(&t->hdr->head);
	tail = READ_ONCE(t->hdr->tail);
	/* A tail userspace broke through the mapping: skip to what is kept. */
	if (head - tail > (u64)t->mask + 1)
		tail = head - t->mask - 1;
	n = min_t(u64, head - tail, size / rsize);
	for (i = 0; i < n; i++) {
		if (copy_to_user(buf + r, &t->recs[(tail + i) & t->mask],
				 rsize)) {
			if (!r)
				r = -EFAULT;
			break;
		}
		r += rsize;
	}
	if (r > 0)	/* copies done before the writer may reuse the slots */
		smp_store_release(&t->hdr->tail, tail + r / rsize);
	mutex_unlock(&t->read_lock);
	return r;
}

/*
 * mmap: any range of pages from offset 0.  Records must not be written by
 * userspace, so a mapping that includes them is read-only for good
 * (VM_MAYWRITE cleared); the header page alone may be mapped writable.
 */
static int mkvm_trace_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct mkvm_trace *t = filp->private_data;
	unsigned long len = vma->vm_end - vma->vm_start;

	if (vma->vm_pgoff >= t->size >> PAGE_SHIFT ||
	    len > t->size - (vma->vm_pgoff << PAGE_SHIFT))
		return -EINVAL;
	if (vma->vm_pgoff + (len >> PAGE_SHIFT) > 1) {
		if (vma->vm_flags & VM_WRITE)
			return -EPERM;
		mkvm_vm_flags_clear(vma, VM_MAYWRITE);
	}
	return remap_vmalloc_range(vma, t->buf, vma->vm_pgoff);
}

static int mkvm_trace_release(struct inode *inode, struct file *filp)
{
	struct mkvm_trace *t = filp->private_data;
	struct mkvm_vcpu *vcpu = t->vcpu;

	mutex_lock(&mkvm_trace_lock);
	RCU_INIT_POINTER(vcpu->trace, NULL);
	mutex_unlock(&mkvm_trace_lock);
	/* A vCPU thread inside mkvm_trace_exit_done() is done with it. */
	synchronize_rcu();
	vfree(t->buf);
	kfree(t);
	mkvm_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations mkvm_trace_fops = {
	.owner = THIS_MODULE,
	.read = mkvm_trace_read,
	.mmap = mkvm_trace_mmap,
	.release = mkvm_trace_release,
	.llseek = noop_llseek,
};

/* A ring for @nr records: header page, then the records in whole pages. */
static struct mkvm_trace *mkvm_trace_alloc(struct mkvm_vcpu *vcpu, u32 nr)
{
	struct mkvm_trace *t;

	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return NULL;
	t->size = PAGE_SIZE +
		  PAGE_ALIGN((unsigned long)nr * sizeof(struct minikvm_trace_record));
	t->buf = vmalloc_user(t->size);
	if (!t->buf) {
		kfree(t);
		return NULL;
	}
	t->vcpu = vcpu;
	t->hdr = t->buf;
	t->recs = t->buf + PAGE_SIZE;
	t->mask = nr - 1;
	mutex_init(&t->read_lock);
	t->hdr->version = MKVM_TRACE_VERSION;
	t->hdr->record_size = sizeof(struct minikvm_trace_record);
	t->hdr->nr_records = nr;
	t->hdr->vendor = mkvm_be == &vmx_backend ? MINIKVM_TRACE_VMX :
						   MINIKVM_TRACE_SVM;
	t->hdr->tsc_khz = tsc_khz;
	return t;
}

/**
 * mkvm_vcpu_trace_fd() - MINIKVM_GET_EXIT_TRACE_FD on a vCPU fd
 * @vcpu: the vCPU
 * @argp: struct minikvm_trace_config
 *
 * Process context, without the vCPU mutex: a ring can be opened while the
 * vCPU runs.  Return: the new fd (close-on-exec), -EFAULT,
 * -EINVAL for a bad configuration, -EBUSY when the vCPU already has a
 * trace fd, -ENOMEM.
 */
int mkvm_vcpu_trace_fd(struct mkvm_vcpu *vcpu,
		       struct minikvm_trace_config __user *argp)
{
	struct minikvm_trace_config cfg;
	struct mkvm_trace *t;
	struct file *file;
	int fd, r;

	if (copy_from_user(&cfg, argp, sizeof(cfg)))
		return -EFAULT;
	if (cfg.flags || cfg.reserved[0] || cfg.reserved[1] || cfg.reserved[2])
		return -EINVAL;
	if (!cfg.nr_records)
		cfg.nr_records = MKVM_TRACE_DEFAULT_RECORDS;
	if (!is_power_of_2(cfg.nr_records) ||
	    cfg.nr_records > MKVM_TRACE_MAX_RECORDS)
		return -EINVAL;

	/* Held to the end: a second caller sees either no ring or ours. */
	mutex_lock(&mkvm_trace_lock);
	r = -EBUSY;
	if (rcu_access_pointer(vcpu->trace))
		goto out_unlock;
	r = -ENOMEM;
	t = mkvm_trace_alloc(vcpu, cfg.nr_records);
	if (!t)
		goto out_unlock;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto err_free;
	}
	/*
	 * Read-write so that the header page can be mapped shared and
	 * writable (mmap wants FMODE_WRITE for that); there is no write().
	 */
	file = anon_inode_getfile("minikvm-exit-trace", &mkvm_trace_fops, t,
				  O_RDWR);
	if (IS_ERR(file)) {
		r = PTR_ERR(file);
		put_unused_fd(fd);
		goto err_free;
	}
	mkvm_vm_get(vcpu->vm);
	rcu_assign_pointer(vcpu->trace, t);
	fd_install(fd, file);
	mutex_unlock(&mkvm_trace_lock);
	return fd;

err_free:
	vfree(t->buf);
	kfree(t);
out_unlock:
	mutex_unlock(&mkvm_trace_lock);
	return r;
}
