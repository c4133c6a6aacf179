// SPDX-License-Identifier: GPL-2.0-only
/*
 * proc.c - minikvm-stat: finding the VMs of running processes and taking
 * their statistics.
 *
 * A process's fds are listed in /proc/PID/fd; VM, vCPU and stats fds are
 * anonymous inodes whose link names say what they are:
 *
 *	minikvm			real KVM
 *	minikvm-vm		kvm-vm
 *	minikvm-vcpu:N		kvm-vcpu:N
 *	minikvm-vm-stats	kvm-vm-stats
 *	minikvm-vcpu-stats:N	kvm-vcpu-stats:N
 *
 * The statistics come, in this order of preference, from:
 *  1. stats fds the process holds, copied with pidfd_getfd() (needs ptrace
 *     access to it: root, or the same user under ptrace_scope 0).  The
 *     selftest library keeps them open with $MINIKVM_STATS_FDS=1.
 *  2. KVM_GET_STATS_FD on a copy of its VM and vCPU fds.  Both minikvm and
 *     KVM answer -EIO to any ioctl from a process other than the VM's
 *     creator (KVM: kvm_vm_ioctl() compares kvm->mm with current->mm), so
 *     today this only helps a hypervisor that lifts that rule for stats.
 *  3. real KVM's debugfs directory /sys/kernel/debug/kvm/PID-FD: one file
 *     per statistic, the vCPUs' summed, no histograms (what kvm_stat reads).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "stat.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open	434	/* x86-64, Linux 5.3 */
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd	438	/* x86-64, Linux 5.6 */
#endif

#define KVM_DEBUGFS	"/sys/kernel/debug/kvm"

enum fd_kind { FD_VM, FD_VCPU, FD_VM_STATS, FD_VCPU_STATS };

/* One VM-related fd of the watched process. */
struct vm_fd {
	int fd;			/* its number in the watched process */
	enum fd_kind kind;
	unsigned int id;	/* vCPU id, for FD_VCPU and FD_VCPU_STATS */
	bool minikvm;
};

static const struct {
	const char *name;	/* after "anon_inode:" and "minikvm-"/"kvm-" */
	enum fd_kind kind;
	bool has_id;		/* followed by ":N" */
} fd_names[] = {
	{ "vm", FD_VM, false },
	{ "vcpu", FD_VCPU, true },
	{ "vm-stats", FD_VM_STATS, false },
	{ "vcpu-stats", FD_VCPU_STATS, true },
};

/* Classifies link target @link; false if it is no VM-related fd. */
static bool classify(const char *link, struct vm_fd *f)
{
	const char *p = link;
	size_t i, len;
	char *end;

	if (strncmp(p, "anon_inode:", 11))
		return false;
	p += 11;
	f->minikvm = !strncmp(p, "minikvm-", 8);
	if (f->minikvm)
		p += 8;
	else if (!strncmp(p, "kvm-", 4))
		p += 4;
	else
		return false;
	for (i = 0; i < sizeof(fd_names) / sizeof(fd_names[0]); i++) {
		len = strlen(fd_names[i].name);
		if (strncmp(p, fd_names[i].name, len))
			continue;
		f->kind = fd_names[i].kind;
		f->id = 0;
		if (!fd_names[i].has_id && p[len] == '\0')
			return true;
		if (fd_names[i].has_id && p[len] == ':') {
			f->id = strtoul(p + len + 1, &end, 10);
			if (*end == '\0')
				return true;
		}
	}
	return false;
}

/* Lists @pid's VM-related fds into *@fds; their number or -errno. */
static int list_vm_fds(pid_t pid, struct vm_fd **fds)
{
	char path[300], link[128];
	struct vm_fd f, *grown;
	struct dirent *de;
	int n = 0;
	ssize_t len;
	DIR *d;

	*fds = NULL;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid,
			 de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			continue;	/* closed meanwhile */
		link[len] = '\0';
		if (!classify(link, &f))
			continue;
		f.fd = atoi(de->d_name);
		grown = realloc(*fds, (n + 1) * sizeof(**fds));
		if (!grown) {
			closedir(d);
			return -ENOMEM;
		}
		*fds = grown;
		(*fds)[n++] = f;
	}
	closedir(d);
	return n;
}

static bool has_vm(const struct vm_fd *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (fds[i].kind == FD_VM || fds[i].kind == FD_VCPU)
			return true;
	return false;
}

int proc_list_vms(pid_t **pids)
{
	struct vm_fd *fds;
	struct dirent *de;
	pid_t pid, *grown;
	int n = 0, nfds;
	DIR *d = opendir("/proc");

	*pids = NULL;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid = atoi(de->d_name);
		if (pid <= 0 || pid == getpid())
			continue;
		nfds = list_vm_fds(pid, &fds);
		if (nfds > 0 && has_vm(fds, nfds)) {
			grown = realloc(*pids, (n + 1) * sizeof(**pids));
			if (grown) {
				*pids = grown;
				(*pids)[n++] = pid;
			}
		}
		free(fds);
	}
	closedir(d);
	return n;
}

/* A copy of the watched process's fd @fd in ours: fd or -errno. */
static int grab_fd(int pidfd, int fd)
{
	int r = syscall(SYS_pidfd_getfd, pidfd, fd, 0);

	return r < 0 ? -errno : r;
}

/* Adds the statistics read from stats fd @sfd as a vCPU set or the VM's. */
static int add_stats(struct proc_snap *snap, int sfd, const struct vm_fd *f)
{
	struct stat_set set, *grown;
	char src[24];
	int r;

	if (f->kind == FD_VM || f->kind == FD_VM_STATS) {
		r = stat_set_read_fd(&set, sfd, "vm");
		if (!r) {
			stat_set_merge(&snap->vm, &set);
			stat_set_free(&set);
		}
		return r;
	}
	snprintf(src, sizeof(src), "vcpu%u", f->id);
	r = stat_set_read_fd(&set, sfd, src);
	if (r)
		return r;
	grown = realloc(snap->vcpu, (snap->nr_vcpu_sets + 1) * sizeof(set));
	if (!grown) {
		stat_set_free(&set);
		return -ENOMEM;
	}
	snap->vcpu = grown;
	snap->vcpu[snap->nr_vcpu_sets++] = set;
	stat_set_merge(&snap->total, &set);
	return 0;
}

/*
 * Reads the stats fds (@stats_fds) or the VM/vCPU fds' stats of @fds.
 * Returns how many sets were read, or -errno of the first failure.
 */
static int read_via_fds(struct proc_snap *snap, int pidfd,
			const struct vm_fd *fds, int n, bool stats_fds)
{
	int i, fd, sfd, r, got = 0;

	for (i = 0; i < n; i++) {
		bool is_stats = fds[i].kind == FD_VM_STATS ||
				fds[i].kind == FD_VCPU_STATS;

		if (is_stats != stats_fds)
			continue;
		fd = grab_fd(pidfd, fds[i].fd);
		if (fd == -EBADF)
			continue;	/* closed since we listed it */
		if (fd < 0)
			return fd;
		sfd = fd;
		if (!stats_fds) {
			sfd = ioctl(fd, KVM_GET_STATS_FD, NULL);
			if (sfd < 0) {
				r = -errno;
				close(fd);
				return r;
			}
		}
		r = add_stats(snap, sfd, &fds[i]);
		if (sfd != fd)
			close(sfd);
		close(fd);
		if (r)
			return r;
		got++;
	}
	return got;
}

/* Real KVM's debugfs files of the VM whose fd is @fd: sets read or -errno. */
static int read_debugfs(struct proc_snap *snap, pid_t pid, int fd)
{
	char dir[96], path[sizeof(dir) + 256], buf[32];
	struct dirent *de;
	ssize_t len;
	int f, got = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), KVM_DEBUGFS "/%d-%d", (int)pid, fd);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_type != DT_REG)
			continue;	/* ".", "..", vcpuN/ */
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = open(path, O_RDONLY);
		if (f < 0)
			continue;
		len = read(f, buf, sizeof(buf) - 1);
		close(f);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		/* Counters only: debugfs shows no descriptor, so no type. */
		stat_set_add_counter(&snap->total, de->d_name,
				     KVM_STATS_TYPE_CUMULATIVE,
				     strtoull(buf, NULL, 10));
		got = 1;
	}
	closedir(d);
	return got;
}

static void read_comm(pid_t pid, char *comm, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	snprintf(comm, len, "?");
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	n = read(fd, comm, len - 1);
	close(fd);
	if (n <= 0)
		return;
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

int proc_snap_take(pid_t pid, struct proc_snap *snap, char *err,
		   size_t errlen)
{
	struct vm_fd *fds = NULL;
	struct timespec ts;
	int n, i, pidfd, r;

	memset(snap, 0, sizeof(*snap));
	snap->pid = pid;
	read_comm(pid, snap->comm, sizeof(snap->comm));
	n = list_vm_fds(pid, &fds);
	if (n == -ENOENT) {
		snprintf(err, errlen, "no such process");
		return -ESRCH;
	}
	if (n < 0) {
		snprintf(err, errlen, "cannot list its fds: %s", strerror(-n));
		return n;
	}
	if (!has_vm(fds, n)) {
		free(fds);
		snprintf(err, errlen, "has no minikvm or KVM VM open");
		return -ENOENT;
	}
	snap->hv = fds[0].minikvm ? "minikvm" : "KVM";
	snprintf(snap->vm.src, sizeof(snap->vm.src), "vm");
	snprintf(snap->total.src, sizeof(snap->total.src), "total");
	for (i = 0; i < n; i++) {
		snap->nr_vms += fds[i].kind == FD_VM;
		snap->nr_vcpus += fds[i].kind == FD_VCPU;
	}

	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		r = -errno;
		snprintf(err, errlen, "pidfd_open: %s", strerror(-r));
		goto out;
	}
	snap->how = "its stats fds";
	r = read_via_fds(snap, pidfd, fds, n, true);
	if (r == 0) {
		snap->how = "KVM_GET_STATS_FD";
		r = read_via_fds(snap, pidfd, fds, n, false);
	}
	close(pidfd);
	if (r == -EPERM) {
		snprintf(err, errlen,
			 "pidfd_getfd: permission denied (needs ptrace access to the process)");
		goto out;
	}
	if (r <= 0 && !fds[0].minikvm) {
		snap->how = "debugfs (VM totals, no histograms)";
		for (i = 0; i < n; i++)
			if (fds[i].kind == FD_VM &&
			    read_debugfs(snap, pid, fds[i].fd) > 0)
				r = 1;
	}
	if (r <= 0) {
		snprintf(err, errlen,
			 "cannot read its statistics (%s): the process holds no stats fd%s",
			 r ? strerror(-r) : "no stats",
			 fds[0].minikvm ?
			 "; start it with MINIKVM_STATS_FDS=1 (selftest library, minikvm-run)" :
			 " and KVM's debugfs is not mounted");
		r = r ? r : -ENODATA;
		goto out;
	}
	r = 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snap->time = ts.tv_sec + ts.tv_nsec / 1e9;
out:
	free(fds);
	if (r)
		proc_snap_free(snap);
	snap->pid = pid;
	return r;
}
