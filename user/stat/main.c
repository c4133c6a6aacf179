// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm-stat - live statistics of running minikvm (and KVM) VMs, in the
 * manner of Linux's tools/kvm/kvm_stat: every counter's total and rate,
 * and for minikvm each hardware exit reason's count and handling latency
 * from its log2 cycle histogram.
 *
 *	minikvm-stat [-p PID] [-d SECONDS] [-1] [-c] [-a] [--dump] [--log]
 *
 * Without -p it watches every process with a VM open.  Where the numbers
 * come from, and what the watched process must allow, is in proc.c.  The
 * output is plain text: on a terminal each refresh redraws the screen,
 * elsewhere (--log, or a pipe) refreshes follow one another with a
 * timestamp, for logs.  SIGINT or SIGTERM end it cleanly.
 *
 * Exit status: 0, or 1 if no VM could be read (no process, no
 * permission, no statistics), 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stat.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: minikvm-stat [OPTIONS]\n"
		"  -p, --pid PID       watch this process (default: every process with a VM)\n"
		"  -d, --delay SECS    refresh interval (default 1; fractions allowed)\n"
		"  -1, --once          one snapshot, then exit (for scripts)\n"
		"  -c, --vcpus         per-vCPU breakdown of the counters\n"
		"  -a, --all           show zero counters too\n"
		"  -D, --dump          machine-readable dump of every statistic\n"
		"                      (SOURCE NAME TYPE UNIT BUCKET_SIZE VALUES...;\n"
		"                      scripts/exit-histogram draws it)\n"
		"  -l, --log           plain text for logs: no screen clearing\n"
		"  -h, --help\n"
		"minikvm VMs are readable when their process runs with\n"
		"MINIKVM_STATS_FDS=1 (selftest library, minikvm-run); real KVM VMs\n"
		"also through KVM's debugfs.  Needs ptrace access to the process.\n");
}

struct watched {
	pid_t pid;
	struct proc_snap prev;
	bool have_prev;
	bool gone;
};

/* Sleeps @secs unless a signal arrives first. */
static void nap(double secs)
{
	struct timespec ts = { (time_t)secs,
			       (long)((secs - (time_t)secs) * 1e9) };

	while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "delay", required_argument, NULL, 'd' },
		{ "once", no_argument, NULL, '1' },
		{ "vcpus", no_argument, NULL, 'c' },
		{ "all", no_argument, NULL, 'a' },
		{ "dump", no_argument, NULL, 'D' },
		{ "log", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct show_opts o = { false, false };
	bool once = false, dump = false, log = !isatty(STDOUT_FILENO);
	struct watched *w = NULL;
	struct proc_snap now;
	double delay = 1;
	pid_t pid = 0, *pids;
	unsigned int nw = 0, i, shown, rounds = 0;
	char err[256], *end;
	int c, n, r, status = 1;

	while ((c = getopt_long(argc, argv, "p:d:1caDlh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pid = strtol(optarg, &end, 10);
			if (*end || pid <= 0) {
				fprintf(stderr, "minikvm-stat: bad pid '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd':
			delay = strtod(optarg, &end);
			if (*end || delay < 0.01 || delay > 86400) {
				fprintf(stderr, "minikvm-stat: bad delay '%s'\n", optarg);
				return 2;
			}
			break;
		case '1':
			once = true;
			break;
		case 'c':
			o.vcpus = true;
			break;
		case 'a':
			o.all = true;
			break;
		case 'D':
			dump = true;
			break;
		case 'l':
			log = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	while (!stop) {
		/* The processes to show: -p's, or whoever has a VM now. */
		if (pid) {
			pids = malloc(sizeof(*pids));
			n = pids ? 1 : 0;
			if (pids)
				pids[0] = pid;
		} else {
			n = proc_list_vms(&pids);
		}
		if (!log && !dump && rounds)
			fputs("\033[H\033[2J", stdout);
		if (log && !dump && !once) {
			time_t t = time(NULL);
			char buf[32];

			strftime(buf, sizeof(buf), "%F %T", localtime(&t));
			printf("=== %s\n", buf);
		}
		if (n <= 0 && !pid)
			fprintf(stderr, "minikvm-stat: no process has a minikvm or KVM VM open\n");
		for (shown = 0, i = 0; i < (unsigned int)(n > 0 ? n : 0); i++) {
			struct watched *cur = NULL;
			unsigned int k;

			for (k = 0; k < nw; k++)
				if (w[k].pid == pids[i])
					cur = &w[k];
			if (!cur) {
				struct watched *grown = realloc(w, (nw + 1) * sizeof(*w));

				if (!grown)
					break;
				w = grown;
				cur = &w[nw++];
				memset(cur, 0, sizeof(*cur));
				cur->pid = pids[i];
			}
			r = proc_snap_take(pids[i], &now, err, sizeof(err));
			if (r) {
				if (!cur->gone || once)
					fprintf(stderr, "minikvm-stat: pid %d: %s\n",
						(int)pids[i], err);
				cur->gone = true;
				continue;
			}
			cur->gone = false;
			if (dump)
				dump_snap(stdout, &now);
			else
				show_snap(stdout, &now,
					  cur->have_prev ? &cur->prev : NULL, &o);
			if (cur->have_prev)
				proc_snap_free(&cur->prev);
			cur->prev = now;
			cur->have_prev = true;
			shown++;
			if (!dump && i + 1 < (unsigned int)n)
				putchar('\n');
		}
		free(pids);
		fflush(stdout);
		if (shown)
			status = 0;
		rounds++;
		if (once)
			break;
		/* -p PID: stop once it is gone (or unreadable), not repeat that. */
		if (pid && !shown)
			break;
		nap(delay);
	}
	for (i = 0; i < nw; i++)
		if (w[i].have_prev)
			proc_snap_free(&w[i].prev);
	free(w);
	return status;
}
