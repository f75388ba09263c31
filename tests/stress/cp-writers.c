// SPDX-License-Identifier: GPL-2.0
/*
 * cp-writers: many writers at once on shared copy-on-write pages, and the
 * module's totals compared with what the memory model says, exactly.
 *
 *   cp-writers [--procs P] [--threads T] [--pages N]
 *
 * The process watches itself (WATCH with children), fills a private anonymous
 * buffer of N pages (MADV_NOHUGEPAGE) and registers it as region "shared".
 * Then P writer processes and one process with T writer threads start; all
 * wait on one pipe and are let go together. Each writer process writes every
 * page; the threads split the pages between them (page i to thread i % T).
 * The parent maps every page until the end, so each of those writes finds
 * the page shared and copies it:
 *   each writer process: N copies and N wp faults in the region;
 *   the threads' process: N copies and N wp faults in the region;
 *   the parent: none.
 * Also checked: no reuses and no other outcome in the region, the nmissed of
 * every probe unchanged (kretprobe instances enough for the writers).
 * Prints one figure line; exit status 0 when every count is exact.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "cpnl.h"

static char *buf;
static long page;
static unsigned int npages, nthreads;
static int go_fd;

struct thr {
	pthread_t t;
	unsigned int idx;
};

static void wait_go(void)
{
	char c;

	/* EOF when the parent closes the write end: everyone at once */
	while (read(go_fd, &c, 1) > 0)
		;
}

static void *thread_writer(void *arg)
{
	struct thr *t = arg;
	unsigned int i;

	wait_go();
	for (i = t->idx; i < npages; i += nthreads)
		buf[(size_t)i * page] = (char)(t->idx + 1);
	return NULL;
}

struct tree {
	uint32_t root;
	unsigned int n, bad_region;
	uint64_t region_copies, region_faults, region_reuses, region_other;
	uint64_t copies, faults;
	unsigned int writers_exact, partial;
	unsigned int per_proc_pages;
};

static void tree_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct tree *t = arg;
	struct cpnl_proc p;

	cpnl_parse_proc(nlh, &p);
	t->n++;
	t->copies += p.c[COWPROBE_C_COPIES];
	t->faults += p.c[COWPROBE_C_WP_FAULTS];
	if (p.flags & COWPROBE_PROC_F_PARTIAL)
		t->partial++;
	if (!p.has_region || strcmp(p.region, "shared")) {
		t->bad_region++;
		return;
	}
	t->region_copies += p.rc[COWPROBE_C_COPIES];
	t->region_faults += p.rc[COWPROBE_C_WP_FAULTS];
	t->region_reuses += p.rc[COWPROBE_C_REUSES];
	t->region_other += p.rc[COWPROBE_C_OTHER] + p.rc[COWPROBE_C_ZERO_FILLS];
	if (p.pid != t->root && p.rc[COWPROBE_C_COPIES] == t->per_proc_pages &&
	    p.rc[COWPROBE_C_WP_FAULTS] == t->per_proc_pages)
		t->writers_exact++;
}

int main(int argc, char **argv)
{
	unsigned int procs = 32, i;
	struct cpnl_status s0, s1;
	int go[2], ready[2];
	struct tree tree;
	struct cpnl_msg m;
	struct cpnl c;
	pid_t *pids;
	int err, ok = 1, status;
	char ch;

	nthreads = 32;
	npages = 64;
	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strcmp(argv[i], "--procs") && i + 1 < (unsigned int)argc)
			procs = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--threads") && i + 1 < (unsigned int)argc)
			nthreads = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--pages") && i + 1 < (unsigned int)argc)
			npages = (unsigned int)atoi(argv[++i]);
		else
			cpnl_die("usage: cp-writers [--procs P] [--threads T] [--pages N]");
	}
	if (!nthreads || npages < nthreads)
		cpnl_die("cp-writers: want at least one thread and pages >= threads");
	setvbuf(stdout, NULL, _IOLBF, 0);
	page = sysconf(_SC_PAGESIZE);
	if ((err = cpnl_open(&c)))
		cpnl_die("cannot open the cowprobe family: %s", strerror(-err));
	if ((err = cpnl_status(&c, &s0)))
		cpnl_die("STATUS: %s", strerror(-err));
	buf = mmap(NULL, (size_t)npages * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		cpnl_die("mmap: %s", strerror(errno));
	madvise(buf, (size_t)npages * page, MADV_NOHUGEPAGE);
	memset(buf, 0x5a, (size_t)npages * page);
	if ((err = cpnl_watch(&c, (uint32_t)getpid(), COWPROBE_WATCH_F_CHILDREN)))
		cpnl_die("WATCH self: %s (%s)", strerror(-err), c.extack);
	if ((err = cpnl_region_add(&c, (uint32_t)getpid(), (uintptr_t)buf,
				   (uintptr_t)buf + (size_t)npages * page, "shared")))
		cpnl_die("REGION_ADD: %s (%s)", strerror(-err), c.extack);
	if (pipe(go) || pipe(ready))
		cpnl_die("pipe: %s", strerror(errno));
	go_fd = go[0];
	pids = calloc(procs + 1, sizeof(*pids));
	for (i = 0; i <= procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			cpnl_die("fork: %s", strerror(errno));
		if (pids[i])
			continue;
		close(go[1]);
		close(ready[0]);
		if (i < procs) { /* a writer process */
			if (write(ready[1], "r", 1) != 1)
				_exit(3);
			wait_go();
			for (unsigned int p = 0; p < npages; p++)
				buf[(size_t)p * page] = (char)i;
			_exit(0);
		}
		/* the threads' process */
		struct thr *t = calloc(nthreads, sizeof(*t));

		for (unsigned int k = 0; k < nthreads; k++) {
			t[k].idx = k;
			if (pthread_create(&t[k].t, NULL, thread_writer, &t[k]))
				_exit(4);
			if (write(ready[1], "r", 1) != 1)
				_exit(3);
		}
		for (unsigned int k = 0; k < nthreads; k++)
			pthread_join(t[k].t, NULL);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	for (i = 0; i < procs + nthreads; i++)
		if (read(ready[0], &ch, 1) != 1)
			cpnl_die("a writer did not start");
	close(go[1]); /* go */
	for (i = 0; i <= procs; i++) {
		if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			printf("writers: FAIL: writer %u ended with status 0x%x\n", i, status);
			ok = 0;
		}
	}

	memset(&tree, 0, sizeof(tree));
	tree.root = (uint32_t)getpid();
	tree.per_proc_pages = npages;
	cpnl_msg_init(&m, c.family, NLM_F_DUMP, COWPROBE_CMD_GET, COWPROBE_GENL_VERSION);
	cpnl_put_u32(&m, COWPROBE_A_ROOT, tree.root);
	if ((err = cpnl_call(&c, &m, tree_cb, &tree)))
		cpnl_die("dump: %s (%s)", strerror(-err), c.extack);
	if ((err = cpnl_status(&c, &s1)))
		cpnl_die("STATUS: %s", strerror(-err));
	cpnl_unwatch(&c, tree.root);

	uint64_t want = (uint64_t)(procs + 1) * npages;

	printf("writers: %u processes + %u threads on %u shared pages: %u records, region "
	       "copies %llu (want %llu), wp faults %llu (want %llu), reuses %llu, other %llu; "
	       "%u of %u writer processes exact; %u partial; whole tree %llu copies; "
	       "nmissed %llu -> %llu\n",
	       procs, nthreads, npages, tree.n, (unsigned long long)tree.region_copies,
	       (unsigned long long)want, (unsigned long long)tree.region_faults,
	       (unsigned long long)want, (unsigned long long)tree.region_reuses,
	       (unsigned long long)tree.region_other, tree.writers_exact, procs + 1,
	       tree.partial, (unsigned long long)tree.copies, (unsigned long long)s0.nmissed,
	       (unsigned long long)s1.nmissed);
	if (tree.n != procs + 2) {
		printf("writers: FAIL: %u records, want %u\n", tree.n, procs + 2);
		ok = 0;
	}
	if (tree.bad_region) {
		printf("writers: FAIL: %u records without the region\n", tree.bad_region);
		ok = 0;
	}
	if (tree.region_copies != want || tree.region_faults != want || tree.region_reuses ||
	    tree.region_other || tree.writers_exact != procs + 1 || tree.partial) {
		printf("writers: FAIL: region totals not exact\n");
		ok = 0;
	}
	if (s1.nmissed != s0.nmissed) {
		printf("writers: FAIL: nmissed rose by %llu (maxactive too low for %u writers)\n",
		       (unsigned long long)(s1.nmissed - s0.nmissed), procs + nthreads);
		ok = 0;
	}
	printf("writers: %s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
