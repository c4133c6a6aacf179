// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm-run - a small VMM for /dev/minikvm (or /dev/kvm).
 *
 * Reports what the device offers (--info), what the host offers and who
 * owns virtualization (--check, check.c), or runs a guest and shows its
 * exits (--guest, guest.c).  Each action is one entry of the actions table
 * below, and options only fill struct run_opts, so a new action or option
 * is one table line plus its function.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minikvm/kvm_util.h"
#include "runner.h"

/* What the user asked for; filled by parse_args(). */
static struct run_opts opts;

/* An action selected by a long option; exactly one runs. */
struct action {
	const char *name;
	int (*fn)(const struct run_opts *opts);
	const char *help;
};

static const struct action actions[] = {
	{ "info", run_info, "print the device's API version, mmap size, "
			    "capabilities and a new vCPU's reset state" },
	{ "check", run_check, "what this host offers for VMX/SVM, whether minikvm "
			      "can run here (exit 0) or not (1), who owns "
			      "virtualization now" },
	{ "guest", run_guest, "FILE: run a flat binary or an ELF image, print "
			      "its serial port (0x3f8) and its exits" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: minikvm-run ACTION [OPTIONS]\n\nactions:\n");
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		fprintf(f, "  --%-10s %s\n", actions[i].name, actions[i].help);
	fprintf(f, "\noptions:\n"
		   "  --dev PATH       device to use (default: $%s, else %s)\n"
		   "  --mode MODE      real, prot16, prot32, paging32, pae or long\n"
		   "                   (default: real for a flat binary, long for ELF)\n"
		   "  --load-addr A    gpa of a flat binary, 0x4000-0xffff (default 0x8000)\n"
		   "  --max-exits N    stop after N exits (exit status 3)\n"
		   "  --quiet          no line per exit on stderr\n"
		   "  --stats          after the run, the vCPU's and the VM's non-zero\n"
		   "                   statistics on stderr (KVM_GET_STATS_FD)\n"
		   "  --trace          after the run, the exit sequence on stderr, a line\n"
		   "                   per exit: time, vCPU, reason, info1/2, RIP, kernel\n"
		   "                   or user:REASON, handling cycles (minikvm only)\n"
		   "  --help           this text\n", KVM_DEV_ENV, KVM_DEV_DEFAULT);
}

/* Fills opts from the command line; returns the chosen action or NULL. */
static const struct action *parse_args(int argc, char **argv)
{
	enum { OPT_DEV = 256, OPT_HELP, OPT_ACTION, OPT_GUEST, OPT_MODE,
	       OPT_LOAD_ADDR, OPT_MAX_EXITS, OPT_QUIET, OPT_STATS, OPT_TRACE };
	static const struct option long_opts[] = {
		{ "dev", required_argument, NULL, OPT_DEV },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "info", no_argument, NULL, OPT_ACTION },
		{ "check", no_argument, NULL, OPT_ACTION },
		{ "guest", required_argument, NULL, OPT_GUEST },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "load-addr", required_argument, NULL, OPT_LOAD_ADDR },
		{ "max-exits", required_argument, NULL, OPT_MAX_EXITS },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "trace", no_argument, NULL, OPT_TRACE },
		{ NULL, 0, NULL, 0 },
	};
	const struct action *chosen = NULL;
	int c, idx;

	while ((c = getopt_long(argc, argv, "h", long_opts, &idx)) != -1) {
		switch (c) {
		case OPT_DEV:
			opts.dev = optarg;
			break;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			exit(0);
		case OPT_GUEST:
			opts.guest = optarg;
			__attribute__((fallthrough));	/* --guest is also the action */
		case OPT_ACTION:
			for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
				if (!strcmp(actions[i].name, long_opts[idx].name))
					chosen = &actions[i];
			break;
		case OPT_MODE:
			opts.mode = optarg;
			break;
		case OPT_LOAD_ADDR:
			opts.load_addr = strtoull(optarg, NULL, 0);
			break;
		case OPT_MAX_EXITS:
			opts.max_exits = strtoul(optarg, NULL, 0);
			break;
		case OPT_QUIET:
			opts.quiet = true;
			break;
		case OPT_STATS:
			opts.stats = true;
			break;
		case OPT_TRACE:
			opts.trace = true;
			break;
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "minikvm-run: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		exit(2);
	}
	return chosen;
}

int main(int argc, char **argv)
{
	const struct action *action = parse_args(argc, argv);

	if (!action) {
		usage(stderr);
		return 2;
	}
	if (opts.dev)
		kvm_dev_set_path(opts.dev);
	return action->fn(&opts);
}
