// SPDX-License-Identifier: GPL-2.0
/*
 * cp-bench: the workloads of make bench, each printing one figure, the
 * median over SAMPLES of guest nanoseconds per unit (under tools/vm/run
 * --icount: guest instructions per unit).
 *
 *   cp-bench fork-write [--pages N] [--forks F] [--samples S]
 *       fork, the child writes N pages (4 KiB, THP off) and exits, the
 *       parent waits; F forks per sample; unit: one fork (N CoW faults)
 *   cp-bench storm [--procs P] [--samples S]
 *       P children that exit at once, forked one after another and reaped;
 *       unit: one process (its fork and exit)
 *   cp-bench threads [--threads T] [--pages N] [--forks F] [--samples S]
 *       fork, the child's T threads write N pages between them; unit: one
 *       fork
 *
 * Output: "cp-bench WORKLOAD ns_per_unit=X units_per_s=Y samples=S
 * faults_per_unit=F", F the page faults (minor, this process and its
 * children) per unit over the samples: a run whose F differs from another's
 * took another path (who ran first after fork), not a slower one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned int pages = 1024, forks = 5, samples = 7, procs = 500, threads = 8;
static char *buf;
static long page;

static void die(const char *what)
{
	fprintf(stderr, "cp-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die("a child failed");
}

static void fill(void)
{
	size_t len = (size_t)pages * (size_t)page;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	if (madvise(buf, len, MADV_NOHUGEPAGE))
		die("madvise");
	memset(buf, 1, len);
}

static void write_pages(unsigned int first, unsigned int step)
{
	for (unsigned int p = first; p < pages; p += step)
		buf[(size_t)p * (size_t)page] = 2;
}

static void *thread_writer(void *arg)
{
	write_pages((unsigned int)(uintptr_t)arg, threads);
	return NULL;
}

static void child_threads(void)
{
	pthread_t t[1024];

	for (unsigned int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, thread_writer, (void *)(uintptr_t)i))
			_exit(3);
	for (unsigned int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	_exit(0);
}

/* one sample: ns per unit */
static double sample(const char *workload)
{
	uint64_t t0 = now_ns();
	unsigned int units;

	if (!strcmp(workload, "storm")) {
		static pid_t pids[100000];

		units = procs;
		for (unsigned int i = 0; i < procs; i++) {
			pids[i] = fork();
			if (pids[i] < 0)
				die("fork");
			if (!pids[i])
				_exit(0);
		}
		for (unsigned int i = 0; i < procs; i++)
			reap(pids[i]);
	} else {
		units = forks;
		for (unsigned int i = 0; i < forks; i++) {
			pid_t pid = fork();

			if (pid < 0)
				die("fork");
			if (!pid) {
				if (!strcmp(workload, "threads"))
					child_threads();
				write_pages(0, 1);
				_exit(0);
			}
			reap(pid);
		}
	}
	return (double)(now_ns() - t0) / units;
}

/* minor page faults so far of this process and its reaped children */
static long minflt(void)
{
	struct rusage self, children;

	if (getrusage(RUSAGE_SELF, &self) || getrusage(RUSAGE_CHILDREN, &children))
		die("getrusage");
	return self.ru_minflt + children.ru_minflt;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	const char *workload;
	double v[101];
	long faults;

	if (argc < 2)
		goto usage;
	workload = argv[1];
	for (int i = 2; i < argc; i++) {
		unsigned int *opt = NULL;

		if (!strcmp(argv[i], "--pages"))
			opt = &pages;
		else if (!strcmp(argv[i], "--forks"))
			opt = &forks;
		else if (!strcmp(argv[i], "--samples"))
			opt = &samples;
		else if (!strcmp(argv[i], "--procs"))
			opt = &procs;
		else if (!strcmp(argv[i], "--threads"))
			opt = &threads;
		if (!opt || i + 1 >= argc)
			goto usage;
		*opt = (unsigned int)strtoul(argv[++i], NULL, 10);
	}
	if (strcmp(workload, "fork-write") && strcmp(workload, "storm") &&
	    strcmp(workload, "threads"))
		goto usage;
	if (!samples || samples > 101 || !forks || !pages || !procs || procs > 100000 ||
	    !threads || threads > 1024)
		goto usage;
	page = sysconf(_SC_PAGESIZE);
	if (strcmp(workload, "storm"))
		fill();
	sample(workload); /* warm-up: page tables, caches, the first exec's faults */
	faults = minflt();
	for (unsigned int s = 0; s < samples; s++)
		v[s] = sample(workload);
	faults = minflt() - faults;
	qsort(v, samples, sizeof(v[0]), cmp);
	printf("cp-bench %s ns_per_unit=%.0f units_per_s=%.0f samples=%u faults_per_unit=%.2f\n",
	       workload, v[samples / 2], 1e9 / v[samples / 2], samples,
	       (double)faults / ((double)samples * (strcmp(workload, "storm") ? forks : procs)));
	return 0;
usage:
	fprintf(stderr, "usage: cp-bench fork-write|storm|threads [--pages N] [--forks F] "
			"[--samples S] [--procs P] [--threads T]\n");
	return 2;
}
