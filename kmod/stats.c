// SPDX-License-Identifier: GPL-2.0-only
/*
 * Binary statistics: KVM_GET_STATS_FD on a VM or vCPU fd returns a
 * read-only fd laid out exactly as KVM's (struct kvm_stats_header, the id
 * string, struct kvm_stats_desc entries each followed by a name of
 * MKVM_STATS_NAME_SIZE bytes, then the data block of u64s), so that tools
 * written for KVM's stats read minikvm's.
 *
 * The descriptors are built once at module load from the chosen backend's
 * exit table: after the KVM-named counters, each exit code with a handler
 * gets a counter "exit_<vendor>_<code name>" and a log2 histogram
 * "exit_<vendor>_<code name>_hist" of the cycles from its VM exit to the
 * next VM entry (or to KVM_RUN's return, when the exit goes to userspace:
 * userspace's own time is not minikvm's), and a last "other" slot takes
 * every exit code without a handler and refused VM entries.
 *
 * The module parameter "stats" (default Y, writable at run time in
 * /sys/module/minikvm/parameters/stats) switches the per-exit part off: no
 * TSC reads, no histograms, no per-code counters, so that what they cost
 * can be measured (Documentation/benchmarks.md); the counters KVM keeps
 * ("exits", "io_exits"...) go on.  An open exit trace (kmod/trace.c) needs
 * the timing and keeps it on for its vCPU.
 *
 * Context: process context.  Counters are plain u64s written by the vCPU's
 * ioctls under its mutex; reads take no lock and may see torn or old values,
 * as KVM's do.  A stats fd holds a reference on its VM (and so its vCPUs).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/ctype.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "minikvm.h"
#include "trace_events.h"

DEFINE_STATIC_KEY_TRUE(mkvm_stats_key);

static int mkvm_stats_param_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int r = kstrtobool(val, &on);

	if (r)
		return r;
	if (on)
		static_branch_enable(&mkvm_stats_key);
	else
		static_branch_disable(&mkvm_stats_key);
	return 0;
}

static int mkvm_stats_param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%c\n",
			  static_key_enabled(&mkvm_stats_key) ? 'Y' : 'N');
}

static const struct kernel_param_ops mkvm_stats_param_ops = {
	.set = mkvm_stats_param_set,
	.get = mkvm_stats_param_get,
};
module_param_cb(stats, &mkvm_stats_param_ops, NULL, 0644);
MODULE_PARM_DESC(stats,
		 "per-exit statistics: timing, histograms, per-code counters (default Y)");

/*
 * One descriptor as it appears in the file: the uAPI struct's fixed fields,
 * then its name.  offsetof, not sizeof: the kernel's own view of the struct
 * embeds name[KVM_STATS_NAME_SIZE] on newer kernels (6.12; on 6.1, as in
 * userspace, it is a flexible
 * array), so sizeof() counts the name twice there.
 */
#define MKVM_DESC_SIZE	(offsetof(struct kvm_stats_desc, name) + MKVM_STATS_NAME_SIZE)

#define MKVM_STAT_COUNTER	(KVM_STATS_TYPE_CUMULATIVE | \
				 KVM_STATS_UNIT_NONE | KVM_STATS_BASE_POW10)
#define MKVM_STAT_INSTANT	(KVM_STATS_TYPE_INSTANT | \
				 KVM_STATS_UNIT_NONE | KVM_STATS_BASE_POW10)
#define MKVM_STAT_CYCLES_HIST	(KVM_STATS_TYPE_LOG_HIST | \
				 KVM_STATS_UNIT_CYCLES | KVM_STATS_BASE_POW10)

/* A fixed statistic: name, flags, offset in the data block. */
struct mkvm_stat_def {
	const char *name;
	u32 flags;
	u32 offset;
	u16 size;
};

#define VCPU_STAT(n)	{ #n, MKVM_STAT_COUNTER, \
			  offsetof(struct mkvm_vcpu_stat, n), 1 }
#define VM_STAT(n, f)	{ #n, f, offsetof(struct mkvm_vm_stat, n), 1 }

static const struct mkvm_stat_def mkvm_vcpu_stat_defs[] = {
	VCPU_STAT(exits),
	VCPU_STAT(io_exits),
	VCPU_STAT(mmio_exits),
	VCPU_STAT(halt_exits),
	VCPU_STAT(irq_exits),
	VCPU_STAT(signal_exits),
	VCPU_STAT(irq_injections),
	VCPU_STAT(nmi_injections),
	VCPU_STAT(irq_window_exits),
	VCPU_STAT(nmi_window_exits),
	VCPU_STAT(request_irq_exits),
	VCPU_STAT(pf_fixed),
	{ "guest_cycles_hist", MKVM_STAT_CYCLES_HIST,
	  offsetof(struct mkvm_vcpu_stat, guest_hist), MKVM_STATS_HIST_BUCKETS },
};

static const struct mkvm_stat_def mkvm_vm_stat_defs[] = {
	VM_STAT(pages_pinned, MKVM_STAT_INSTANT),
	VM_STAT(pages_4k, MKVM_STAT_INSTANT),
	VM_STAT(pages_2m, MKVM_STAT_INSTANT),
	VM_STAT(remote_tlb_flush_requests, MKVM_STAT_COUNTER),
	VM_STAT(memslot_updates, MKVM_STAT_COUNTER),
};

/* What a stats fd shows besides the data: built at load, then constant. */
struct mkvm_stats_layout {
	struct kvm_stats_header header;
	void *desc;		/* num_desc descriptors of MKVM_DESC_SIZE */
	size_t data_size;	/* bytes of the data block */
};

static struct mkvm_stats_layout mkvm_vm_layout, mkvm_vcpu_layout;

/* Exit code -> slot in exit_count[]; mkvm_nr_exit_slots - 1 is "other". */
static u16 *mkvm_exit_slot;
static unsigned int mkvm_nr_exit_slots;

static u64 *mkvm_stat_exit_hist(struct mkvm_vcpu_stat *stat, unsigned int slot)
{
	return &stat->exit_count[mkvm_nr_exit_slots +
				 slot * MKVM_STATS_HIST_BUCKETS];
}

/**
 * mkvm_exit_name() - the manual's name of exit @code ("CPUID", "IOIO")
 * @code: index in the backend's exit table, or MKVM_STAT_EXIT_OTHER
 *
 * Return: the name, "unknown" for a code the table does not name, or
 * "FAILED_ENTRY" for MKVM_STAT_EXIT_OTHER (refused entries).
 */
const char *mkvm_exit_name(u64 code)
{
	unsigned int max = mkvm_be->nr_exits;
	const char *name = NULL;

	if (code == MKVM_STAT_EXIT_OTHER)
		return "FAILED_ENTRY";
	if (code < max)
		name = mkvm_be->exits[array_index_nospec(code, max)].name;
	return name ?: "unknown";
}

/**
 * mkvm_stat_exit() - count, trace and record a VM exit
 * @vcpu: the vCPU, right after mkvm_stat_leave()
 * @code: the exit's index in the backend's exit table (VMX: the basic
 *	exit reason), or MKVM_STAT_EXIT_OTHER for a refused entry
 * @reason: the full hardware code (VMX: exit reason; SVM: EXITCODE)
 * @info1: VMX: exit qualification; SVM: EXITINFO1
 * @info2: VMX: guest-physical address for EPT violations and
 *	misconfigurations, else VM-exit interruption information;
 *	SVM: EXITINFO2
 * @rip: the guest's RIP at the exit
 *
 * The time from the exit to the next entry is added to the code's
 * histogram by mkvm_stat_exit_done().  The minikvm_exit tracepoint and the
 * exit trace ring (kmod/trace.c) see the exit here; when both are off,
 * that costs a patched-out jump and one predicted branch.
 */
void mkvm_stat_exit(struct mkvm_vcpu *vcpu, u64 code, u64 reason, u64 info1,
		    u64 info2, u64 rip)
{
	unsigned int slot = mkvm_nr_exit_slots - 1;
	unsigned int max = mkvm_be->nr_exits;

	vcpu->stat->exits++;
	if (mkvm_stat_timing(vcpu)) {
		if (code < max)
			slot = mkvm_exit_slot[array_index_nospec(code, max)];
		vcpu->stat->exit_count[slot]++;
		vcpu->stat_hist = mkvm_stat_exit_hist(vcpu->stat, slot);
	}
	if (trace_minikvm_exit_enabled())
		trace_minikvm_exit(vcpu->id, reason, mkvm_exit_name(code),
				   info1, info2, rip);
	if (unlikely(rcu_access_pointer(vcpu->trace)))
		mkvm_trace_exit(vcpu, reason, info1, info2, rip);
}

/**
 * mkvm_stat_exit_done() - the exit being handled is over
 * @vcpu: the vCPU, with an exit pending (stat_hist set)
 * @tsc: the TSC now: the next VM entry, or KVM_RUN's return
 * @user: KVM_RUN returns to userspace for this exit
 */
void mkvm_stat_exit_done(struct mkvm_vcpu *vcpu, u64 tsc, bool user)
{
	u64 cycles = tsc - vcpu->stat_exit_tsc;

	if (vcpu->stat_hist)
		mkvm_stat_hist_add(vcpu->stat_hist, cycles);
	vcpu->stat_hist = NULL;
	/* A TSC behind the exit's (another CPU's): as for the histogram. */
	if (unlikely(vcpu->trace_ring) || user)
		mkvm_trace_exit_done(vcpu, (s64)cycles < 0 ? 0 : cycles, user);
}

/* A vCPU's zeroed statistics block, sized for the backend's exit table. */
struct mkvm_vcpu_stat *mkvm_vcpu_stat_alloc(void)
{
	return kvzalloc(mkvm_vcpu_layout.data_size, GFP_KERNEL_ACCOUNT);
}

static void mkvm_desc_set(struct mkvm_stats_layout *l, unsigned int i,
			  const char *name, u32 flags, u32 offset, u16 size)
{
	struct kvm_stats_desc *d = l->desc + i * MKVM_DESC_SIZE;

	d->flags = flags;
	d->exponent = 0;
	d->size = size;
	d->offset = offset;
	d->bucket_size = 0;	/* only linear histograms have one */
	strscpy(d->name, name, MKVM_STATS_NAME_SIZE);
}

static int mkvm_layout_alloc(struct mkvm_stats_layout *l, unsigned int n,
			     size_t data_size)
{
	struct kvm_stats_header *h = &l->header;

	l->desc = kcalloc(n, MKVM_DESC_SIZE, GFP_KERNEL);
	if (!l->desc)
		return -ENOMEM;
	h->flags = 0;
	h->name_size = MKVM_STATS_NAME_SIZE;
	h->num_desc = n;
	h->id_offset = sizeof(*h);
	h->desc_offset = h->id_offset + MKVM_STATS_NAME_SIZE;
	h->data_offset = h->desc_offset + n * MKVM_DESC_SIZE;
	l->data_size = data_size;
	return 0;
}

static void mkvm_defs_set(struct mkvm_stats_layout *l,
			  const struct mkvm_stat_def *defs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		mkvm_desc_set(l, i, defs[i].name, defs[i].flags,
			      defs[i].offset, defs[i].size);
}

/* "exit_svm_" + the code's name in lower case (+ "_hist"). */
static void mkvm_exit_stat_name(char *buf, const char *name, bool hist)
{
	char *p;

	snprintf(buf, MKVM_STATS_NAME_SIZE, "exit_%s_%s%s",
		 mkvm_be->exit_prefix ?: "hw", name, hist ? "_hist" : "");
	for (p = buf; *p; p++)
		*p = tolower(*p);
}

/* Slots for the exit codes with a handler, in code order, then "other". */
static int mkvm_exit_slots_init(void)
{
	unsigned int code, slot = 0;

	mkvm_exit_slot = kcalloc(max(mkvm_be->nr_exits, 1U),
				 sizeof(*mkvm_exit_slot), GFP_KERNEL);
	if (!mkvm_exit_slot)
		return -ENOMEM;
	for (code = 0; code < mkvm_be->nr_exits; code++)
		if (mkvm_be->exits[code].fn)
			slot++;
	mkvm_nr_exit_slots = slot + 1;
	slot = 0;
	for (code = 0; code < mkvm_be->nr_exits; code++)
		mkvm_exit_slot[code] = mkvm_be->exits[code].fn ? slot++ :
				       mkvm_nr_exit_slots - 1;
	return 0;
}

static int mkvm_vcpu_layout_init(void)
{
	const unsigned int nfixed = ARRAY_SIZE(mkvm_vcpu_stat_defs);
	const u32 counts = offsetof(struct mkvm_vcpu_stat, exit_count);
	const u32 hists = counts + mkvm_nr_exit_slots * sizeof(u64);
	struct mkvm_stats_layout *l = &mkvm_vcpu_layout;
	char name[MKVM_STATS_NAME_SIZE];
	unsigned int code, slot, i;
	int r;

	r = mkvm_layout_alloc(l, nfixed + 2 * mkvm_nr_exit_slots,
			      hists + mkvm_nr_exit_slots *
			      MKVM_STATS_HIST_BUCKETS * sizeof(u64));
	if (r)
		return r;
	mkvm_defs_set(l, mkvm_vcpu_stat_defs, nfixed);
	for (code = 0; code <= mkvm_be->nr_exits; code++) {
		const char *cname = "other";

		if (code < mkvm_be->nr_exits) {
			if (!mkvm_be->exits[code].fn)
				continue;
			cname = mkvm_be->exits[code].name ?: "unnamed";
		}
		slot = code < mkvm_be->nr_exits ? mkvm_exit_slot[code] :
		       mkvm_nr_exit_slots - 1;
		i = nfixed + 2 * slot;
		mkvm_exit_stat_name(name, cname, false);
		mkvm_desc_set(l, i, name, MKVM_STAT_COUNTER,
			      counts + slot * sizeof(u64), 1);
		mkvm_exit_stat_name(name, cname, true);
		mkvm_desc_set(l, i + 1, name, MKVM_STAT_CYCLES_HIST,
			      hists + slot * MKVM_STATS_HIST_BUCKETS *
			      sizeof(u64), MKVM_STATS_HIST_BUCKETS);
	}
	return 0;
}

/**
 * mkvm_stats_init() - build the VM and vCPU stats layouts for the backend
 *
 * Module load, after the backend is chosen.  Return: 0 or -ENOMEM.
 */
int mkvm_stats_init(void)
{
	int r;

	r = mkvm_exit_slots_init();
	if (r)
		return r;
	r = mkvm_vcpu_layout_init();
	if (r)
		goto err_slots;
	r = mkvm_layout_alloc(&mkvm_vm_layout, ARRAY_SIZE(mkvm_vm_stat_defs),
			      sizeof(struct mkvm_vm_stat));
	if (r)
		goto err_vcpu;
	mkvm_defs_set(&mkvm_vm_layout, mkvm_vm_stat_defs,
		      ARRAY_SIZE(mkvm_vm_stat_defs));
	return 0;

err_vcpu:
	kfree(mkvm_vcpu_layout.desc);
err_slots:
	kfree(mkvm_exit_slot);
	return r;
}

void mkvm_stats_exit(void)
{
	kfree(mkvm_vm_layout.desc);
	kfree(mkvm_vcpu_layout.desc);
	kfree(mkvm_exit_slot);
}

/*
 * The file is header, id, descriptors, data, back to back; a read may start
 * and end anywhere in it.  Return: bytes copied, 0 at or past the end.
 */
static ssize_t mkvm_stats_read(const struct mkvm_stats_layout *l,
			       const char *id, const void *data,
			       char __user *buf, size_t size, loff_t *ppos)
{
	const struct kvm_stats_header *h = &l->header;
	const struct {
		const void *src;
		size_t len;
	} parts[] = {
		{ h, sizeof(*h) },
		{ id, MKVM_STATS_NAME_SIZE },
		{ l->desc, (size_t)h->num_desc * MKVM_DESC_SIZE },
		{ data, l->data_size },
	};
	loff_t pos = *ppos, start = 0;
	size_t done = 0, n;
	unsigned int i;

	if (pos < 0)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(parts) && done < size; i++) {
		loff_t end = start + parts[i].len;

		if (pos < end) {
			n = min_t(u64, end - pos, size - done);
			if (copy_to_user(buf + done,
					 parts[i].src + (pos - start), n))
				return -EFAULT;
			done += n;
			pos += n;
		}
		start = end;
	}
	*ppos = pos;
	return done;
}

static ssize_t mkvm_vm_stats_read(struct file *filp, char __user *buf,
				  size_t size, loff_t *ppos)
{
	struct mkvm_vm *vm = filp->private_data;

	return mkvm_stats_read(&mkvm_vm_layout, vm->stats_id, &vm->stat,
			       buf, size, ppos);
}

static ssize_t mkvm_vcpu_stats_read(struct file *filp, char __user *buf,
				    size_t size, loff_t *ppos)
{
	struct mkvm_vcpu *vcpu = filp->private_data;

	return mkvm_stats_read(&mkvm_vcpu_layout, vcpu->stats_id, vcpu->stat,
			       buf, size, ppos);
}

static int mkvm_vm_stats_release(struct inode *inode, struct file *filp)
{
	mkvm_vm_put(filp->private_data);
	return 0;
}

static int mkvm_vcpu_stats_release(struct inode *inode, struct file *filp)
{
	struct mkvm_vcpu *vcpu = filp->private_data;

	mkvm_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations mkvm_vm_stats_fops = {
	.owner = THIS_MODULE,
	.read = mkvm_vm_stats_read,
	.release = mkvm_vm_stats_release,
	.llseek = noop_llseek,
};

static const struct file_operations mkvm_vcpu_stats_fops = {
	.owner = THIS_MODULE,
	.read = mkvm_vcpu_stats_read,
	.release = mkvm_vcpu_stats_release,
	.llseek = noop_llseek,
};

/*
 * A read-only, close-on-exec fd that pread() works on (anon inodes are not
 * created with FMODE_PREAD).  @vm gains the reference the fd's release
 * drops; the caller's own reference keeps it alive meanwhile.
 */
static int mkvm_stats_fd(struct mkvm_vm *vm, const char *name,
			 const struct file_operations *fops, void *priv)
{
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = anon_inode_getfile(name, fops, priv, O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	mkvm_vm_get(vm);
	file->f_mode |= FMODE_PREAD;
	fd_install(fd, file);
	return fd;
}

/* KVM_GET_STATS_FD on a VM fd.  Return: the fd or a negative errno. */
int mkvm_vm_stats_fd(struct mkvm_vm *vm)
{
	return mkvm_stats_fd(vm, "minikvm-vm-stats", &mkvm_vm_stats_fops, vm);
}

/* KVM_GET_STATS_FD on a vCPU fd.  Return: the fd or a negative errno. */
int mkvm_vcpu_stats_fd(struct mkvm_vcpu *vcpu)
{
	char name[32];

	snprintf(name, sizeof(name), "minikvm-vcpu-stats:%u", vcpu->id);
	return mkvm_stats_fd(vcpu->vm, name, &mkvm_vcpu_stats_fops, vcpu);
}
