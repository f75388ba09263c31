// SPDX-License-Identifier: GPL-2.0
/*
 * cp-ctl: single requests for the stress scripts, with the errno and the
 * extack message of a refusal printed.
 *
 *   cp-ctl status                 one line: key=value for the STATUS figures
 *   cp-ctl watch PID [children]   WATCH
 *   cp-ctl unwatch PID            UNWATCH, and how long it took (ns)
 *   cp-ctl region PID START END [NAME]
 *   cp-ctl tree ROOT              records, partial ones, live threads, copies
 *   cp-ctl crowd N                watch itself with children, fork N idle
 *                                 children, print "crowd PID ready", then wait
 *                                 for SIGTERM (the children die with it)
 * Exit status: 0, or 1 when the request failed (errno and message on stdout).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "cpnl.h"

static int result(struct cpnl *c, const char *what, int err)
{
	if (!err) {
		printf("%s: ok\n", what);
		return 0;
	}
	printf("%s: %s (errno %d) extack \"%s\"\n", what, strerrorname_np(-err) ?: "?", -err,
	       c->extack);
	return 1;
}

struct tree {
	unsigned int n, partial, exited, live_threads;
	uint64_t copies, faults;
};

static void tree_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct tree *t = arg;
	struct cpnl_proc p;

	cpnl_parse_proc(nlh, &p);
	t->n++;
	t->partial += !!(p.flags & COWPROBE_PROC_F_PARTIAL);
	t->exited += !!(p.flags & COWPROBE_PROC_F_EXITED);
	t->copies += p.c[COWPROBE_C_COPIES];
	t->faults += p.c[COWPROBE_C_WP_FAULTS];
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void on_term(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct cpnl_status s;
	struct cpnl_msg m;
	struct cpnl c;
	int err;

	if (argc < 2)
		cpnl_die("usage: cp-ctl status|watch|unwatch|region|tree|crowd ...");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((err = cpnl_open(&c))) {
		printf("open: %s\n", strerror(-err));
		return 1;
	}
	if (!strcmp(argv[1], "status")) {
		if ((err = cpnl_status(&c, &s)))
			return result(&c, "status", err);
		printf("nr_procs=%u nr_threads=%u refused_procs=%llu refused_threads=%llu "
		       "nmissed=%llu track_all=%u\n",
		       s.nr_procs, s.nr_threads, (unsigned long long)s.refused_procs,
		       (unsigned long long)s.refused_threads, (unsigned long long)s.nmissed,
		       s.track_all);
		return 0;
	}
	if (!strcmp(argv[1], "watch") && argc >= 3)
		return result(&c, "watch",
			      cpnl_watch(&c, (uint32_t)atoi(argv[2]),
					 argc > 3 && !strcmp(argv[3], "children") ?
						 COWPROBE_WATCH_F_CHILDREN :
						 0));
	if (!strcmp(argv[1], "unwatch") && argc >= 3) {
		uint64_t t0 = now_ns();

		err = cpnl_unwatch(&c, (uint32_t)atoi(argv[2]));
		printf("unwatch took %llu ns\n", (unsigned long long)(now_ns() - t0));
		return result(&c, "unwatch", err);
	}
	if (!strcmp(argv[1], "region") && argc >= 5)
		return result(&c, "region",
			      cpnl_region_add(&c, (uint32_t)atoi(argv[2]),
					      strtoull(argv[3], NULL, 0),
					      strtoull(argv[4], NULL, 0),
					      argc > 5 ? argv[5] : NULL));
	if (!strcmp(argv[1], "tree") && argc >= 3) {
		struct tree t = {0};

		cpnl_msg_init(&m, c.family, NLM_F_DUMP, COWPROBE_CMD_GET, COWPROBE_GENL_VERSION);
		cpnl_put_u32(&m, COWPROBE_A_ROOT, (uint32_t)atoi(argv[2]));
		if ((err = cpnl_call(&c, &m, tree_cb, &t)))
			return result(&c, "tree", err);
		printf("records=%u partial=%u exited=%u copies=%llu wp_faults=%llu\n", t.n,
		       t.partial, t.exited, (unsigned long long)t.copies,
		       (unsigned long long)t.faults);
		return 0;
	}
	if (!strcmp(argv[1], "crowd") && argc >= 3) {
		int n = atoi(argv[2]), i, made = 0;
		sigset_t set;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_BLOCK, &set, NULL);
		signal(SIGCHLD, SIG_IGN);
		if ((err = cpnl_watch(&c, (uint32_t)getpid(), COWPROBE_WATCH_F_CHILDREN)))
			return result(&c, "watch", err);
		for (i = 0; i < n; i++) {
			pid_t p = fork();

			if (p == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				signal(SIGTERM, on_term);
				for (;;)
					pause();
			}
			if (p > 0)
				made++;
		}
		printf("crowd %d ready: %d children\n", getpid(), made);
		sigwait(&set, &sig);
		return 0;
	}
	cpnl_die("cp-ctl: unknown or incomplete command '%s'", argv[1]);
	return 2;
}
