// SPDX-License-Identifier: GPL-2.0-only
/*
 * lifecycle_test - a VM's life ends cleanly however its process ends it.
 * fd_lifetime_test covers a few close orders and the fork() child;
 * run_errors_test KVM_RUN from another process; hw_enable_test and
 * hotplug_test the hardware.  The cases:
 *
 *  kill_during_run	a child runs two vCPU threads in guests that spin
 *			without exits and is killed (SIGKILL) while they are
 *			in KVM_RUN, three times: it dies of the signal, the
 *			module's reference count (/sys/module/NAME/refcnt,
 *			NAME the module behind the device: minikvm,
 *			kvm_amd or kvm_intel, whose fops own the fds) goes
 *			back to what it was, and a new VM runs
 *			(virt/kvm/kvm_main.c kvm_vcpu_release(),
 *			kvm_vm_release())
 *  close_orders	every order (120) of closing the device fd, the VM
 *			fd, the vCPU fd and a vCPU stats fd
 *			(KVM_GET_STATS_FD) and unmapping the vCPU's kvm_run,
 *			once with a vCPU that never ran and once after a
 *			KVM_RUN: after each step what is left still works
 *			(KVM_GET_API_VERSION, KVM_CHECK_EXTENSION,
 *			KVM_GET_REGS, a stats header read, the kvm_run
 *			page), and after the last one no fd and no module
 *			reference is left
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define CODE_GPA	0x5000
#define NR_KILLS	3

/* The module whose fops own the device's fds, or NULL if unknown. */
static const char *dev_module(void)
{
	static const char *const kvm_vendors[] = { "kvm_amd", "kvm_intel" };
	char path[64];
	unsigned int i;

	if (kvm_dev_is_minikvm())
		return "minikvm";
	for (i = 0; i < ARRAY_SIZE(kvm_vendors); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s", kvm_vendors[i]);
		if (!access(path, F_OK))
			return kvm_vendors[i];
	}
	return NULL;
}

/* The module's reference count, or -1 if it cannot be read. */
static long module_refcnt(const char *mod)
{
	char path[64];
	long n = -1;
	FILE *f;

	if (!mod)
		return -1;
	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", mod);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/* Waits up to 5 s for the module's reference count to be @want. */
static void expect_refcnt(const char *mod, long want, const char *when)
{
	struct timespec t = { 0, 10 * 1000 * 1000 };
	long n = module_refcnt(mod);
	int i;

	if (want < 0)
		return;
	for (i = 0; i < 500 && n != want; i++) {
		nanosleep(&t, NULL);
		n = module_refcnt(mod);
	}
	TEST_ASSERT(n == want, "%s: %s refcnt %ld, was %ld", when, mod, n, want);
}

/* How many fds this process has open. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	TEST_ASSERT(d, "opendir /proc/self/fd");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

/* A real-mode guest that halts at once: KVM_EXIT_HLT. */
static struct kvm_vm *create_hlt_vm(struct kvm_vcpu **vcpu)
{
	static const uint8_t hlt = 0xf4;

	return vm_create_with_code(vcpu, X86_MODE_REAL, CODE_GPA, &hlt, 1);
}

static void run_hlt_vm(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_hlt_vm(&vcpu);

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_HLT);
	kvm_vm_free(vm);
}

/* --- kill_during_run --- */

static void guest_spin_forever(void)
{
	for (;;)
		asm volatile("pause");
}

static void *spin_thread(void *arg)
{
	vcpu_run(arg);
	TEST_FAIL("KVM_RUN of an endless guest returned");
	return NULL;
}

/* The child: two vCPUs in KVM_RUN, then "r" on @fd, then wait to die. */
static void spin_child(int fd)
{
	struct kvm_vcpu *vcpu[2];
	struct kvm_vm *vm;
	pthread_t t[2];
	int i;

	vm = vm_create_with_one_vcpu(&vcpu[0], guest_spin_forever);
	vcpu[1] = vm_vcpu_add_long_mode(vm, 1, guest_spin_forever);
	for (i = 0; i < 2; i++)
		TEST_ASSERT(!pthread_create(&t[i], NULL, spin_thread, vcpu[i]),
			    "pthread_create");
	TEST_ASSERT(write(fd, "r", 1) == 1, "write");
	for (;;)
		pause();
}

static void kill_during_run(void)
{
	const char *mod = dev_module();
	long refs;
	int fds, i;

	/* First a VM: whatever the library opens once (an exit log) is open. */
	run_hlt_vm();
	refs = module_refcnt(mod);
	fds = open_fds();

	ksft_print_msg("module %s, refcnt %ld\n", mod ? mod : "?", refs);
	for (i = 0; i < NR_KILLS; i++) {
		struct timespec t = { 0, 200 * 1000 * 1000 };
		int p[2], status;
		pid_t pid;
		char c;

		TEST_ASSERT(!pipe(p), "pipe");
		fflush(stdout);
		pid = fork();
		TEST_ASSERT(pid >= 0, "fork");
		if (!pid) {
			close(p[0]);
			spin_child(p[1]);
		}
		close(p[1]);
		TEST_ASSERT(read(p[0], &c, 1) == 1, "the child did not start");
		close(p[0]);
		nanosleep(&t, NULL);	/* both threads deep in KVM_RUN */
		TEST_ASSERT(!kill(pid, SIGKILL), "kill");
		TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
		TEST_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			    "child status 0x%x", status);
		expect_refcnt(mod, refs, "after the kill");
	}
	TEST_ASSERT_EQ(open_fds(), fds);
	run_hlt_vm();
	expect_refcnt(mod, refs, "after a new VM");
}

/* --- close_orders --- */

enum res { R_DEV, R_VM, R_VCPU, R_STATS, R_RUN, NR_RES };

static const char *const res_names[NR_RES] = {
	"dev", "vm", "vcpu", "stats", "run",
};

struct held {
	int fd[NR_RES];		/* R_RUN: unused */
	struct kvm_run *run;
	size_t run_size;
	bool open[NR_RES];
	bool ran;
};

/* Everything still held works. */
static void check_held(const struct held *h, const char *when)
{
	struct kvm_stats_header hdr;
	struct kvm_regs regs;

	if (h->open[R_DEV])
		TEST_ASSERT(ioctl(h->fd[R_DEV], KVM_GET_API_VERSION, 0) == 12,
			    "%s: KVM_GET_API_VERSION", when);
	if (h->open[R_VM])
		TEST_ASSERT(ioctl(h->fd[R_VM], KVM_CHECK_EXTENSION,
				  KVM_CAP_USER_MEMORY) == 1,
			    "%s: KVM_CHECK_EXTENSION", when);
	if (h->open[R_VCPU])
		TEST_ASSERT(!ioctl(h->fd[R_VCPU], KVM_GET_REGS, &regs),
			    "%s: KVM_GET_REGS", when);
	if (h->open[R_STATS])
		TEST_ASSERT(pread(h->fd[R_STATS], &hdr, sizeof(hdr), 0) ==
			    sizeof(hdr), "%s: stats header", when);
	if (h->open[R_RUN] && h->ran)
		TEST_ASSERT(h->run->exit_reason == KVM_EXIT_HLT,
			    "%s: kvm_run exit_reason %u", when,
			    h->run->exit_reason);
}

static void release(struct held *h, enum res r)
{
	if (r == R_RUN)
		TEST_ASSERT(!munmap(h->run, h->run_size), "munmap");
	else
		TEST_ASSERT(!close(h->fd[r]), "close %s", res_names[r]);
	h->open[r] = false;
}

/* One VM, its resources let go in the order @order. */
static void close_in_order(const enum res order[NR_RES], bool ran,
			   const char *mod, long refs, int fds)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_hlt_vm(&vcpu);
	struct held h = { .ran = ran };
	char when[80];
	int i;

	if (ran) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_HLT);
	}
	h.fd[R_DEV] = vm->kvm_fd;
	h.fd[R_VM] = vm->fd;
	h.fd[R_VCPU] = vcpu->fd;
	h.fd[R_STATS] = vcpu_get_stats_fd(vcpu);
	h.run = vcpu->run;
	h.run_size = vcpu->run_size;
	for (i = 0; i < NR_RES; i++)
		h.open[i] = true;
	/* The library lets go of nothing but the guest's memory. */
	vm->kvm_fd = vm->fd = vcpu->fd = -1;
	vcpu->run = NULL;

	check_held(&h, "before");
	for (i = 0; i < NR_RES; i++) {
		release(&h, order[i]);
		snprintf(when, sizeof(when), "after %s (step %d)",
			 res_names[order[i]], i + 1);
		check_held(&h, when);
	}
	expect_refcnt(mod, refs, "after all");
	TEST_ASSERT_EQ(open_fds(), fds);
	kvm_vm_free(vm);
}

/* Calls close_in_order() for every permutation of order[k..]. */
static unsigned int permute(enum res order[NR_RES], int k, bool ran,
			    const char *mod, long refs, int fds)
{
	unsigned int n = 0;
	int i;

	if (k == NR_RES) {
		close_in_order(order, ran, mod, refs, fds);
		return 1;
	}
	for (i = k; i < NR_RES; i++) {
		enum res tmp = order[k];

		order[k] = order[i];
		order[i] = tmp;
		n += permute(order, k + 1, ran, mod, refs, fds);
		order[i] = order[k];
		order[k] = tmp;
	}
	return n;
}

static void close_orders(void)
{
	enum res order[NR_RES] = { R_DEV, R_VM, R_VCPU, R_STATS, R_RUN };
	const char *mod = dev_module();
	unsigned int n;
	long refs;
	int fds;

	run_hlt_vm();	/* as in kill_during_run() */
	refs = module_refcnt(mod);
	fds = open_fds();
	n = permute(order, 0, false, mod, refs, fds);
	n += permute(order, 0, true, mod, refs, fds);
	ksft_print_msg("%u orders, module %s refcnt %ld\n", n,
		       mod ? mod : "?", refs);
	TEST_ASSERT_EQ(n, 240);
	run_hlt_vm();
}

static const struct kvm_test tests[] = {
	KVM_TEST(kill_during_run),
	KVM_TEST(close_orders),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
