// SPDX-License-Identifier: GPL-2.0
/*
 * The two probes every tracked write fault hits, do_wp_page and the
 * new-anon-rmap function, as ftrace callbacks where the kernel passes a
 * traced function's arguments to them (CONFIG_DYNAMIC_FTRACE_WITH_ARGS,
 * 6.1 on): the function's fentry call reaches the callback through a
 * trampoline that saves the argument registers only. A kprobe on the same
 * place goes through ftrace too, but saves every register and looks the
 * kprobe up before calling its handler: about twice the instructions per
 * hit (README, "Cost"). Where this is not available, or module parameter
 * fentry=0, probes.c places kprobes, as on 5.10.
 */
#include <linux/ftrace.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include "compat.h"
#include "cowprobe.h"

static bool fentry = true;
module_param(fentry, bool, 0444);
MODULE_PARM_DESC(fentry,
		 "hook do_wp_page and the new-anon-rmap function with ftrace callbacks where the kernel passes them arguments (6.1 on); 0: kprobes");

#ifdef CP_FENTRY_ARGS

/* 6.1 has no accessor: its x86 ftrace_regs is a pt_regs */
#ifndef ftrace_regs_get_argument
#define ftrace_regs_get_argument(fregs, n) \
	regs_get_kernel_argument(&(fregs)->regs, n)
#endif

/*
 * No ftrace_test_recursion_trylock() (about 20 instructions a hit): the
 * callbacks cannot recurse. Neither calls the function it hooks, or
 * anything that faults on user memory or adds an anonymous page; what they
 * call is this module's lookups and counters, and RCU-sched (account.h)
 * keeps preemption off while they read records. Both functions run in task
 * context only, with RCU watching (page faults, GUP).
 */
static void cp_fentry_wp(unsigned long ip, unsigned long parent_ip,
			 struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	cp_wp_start((struct vm_fault *)ftrace_regs_get_argument(fregs, 0));
}

static void cp_fentry_rmap(unsigned long ip, unsigned long parent_ip,
			   struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	/* parent_ip: where the call returns, as a kprobe reads off the stack */
	cp_rmap_new((struct vm_area_struct *)ftrace_regs_get_argument(fregs, 1),
		    ftrace_regs_get_argument(fregs, 2), parent_ip);
}

static struct {
	struct ftrace_ops ops;
	bool filtered;
	bool on;
} cp_fentry[CP_NR_PROBES] = {
	[CP_PROBE_WP] = { .ops = { .func = cp_fentry_wp } },
	[CP_PROBE_RMAP] = { .ops = { .func = cp_fentry_rmap } },
};

/* The ftrace callback for role r on symbol, not yet enabled; or -errno. */
int cp_fentry_place(enum cp_role r, char *symbol)
{
	int err;

	if (!fentry || !cp_fentry[r].ops.func)
		return -EOPNOTSUPP;
	/* fails with -EINVAL where the symbol is not an ftrace location */
	err = ftrace_set_filter(&cp_fentry[r].ops, symbol, strlen(symbol), 1);
	if (err) {
		ftrace_free_filter(&cp_fentry[r].ops);
		return err;
	}
	cp_fentry[r].filtered = true;
	return 0;
}

int cp_fentry_enable(enum cp_role r, bool on)
{
	int err;

	if (cp_fentry[r].on == on)
		return 0;
	err = on ? register_ftrace_function(&cp_fentry[r].ops) :
		   unregister_ftrace_function(&cp_fentry[r].ops);
	if (!err)
		cp_fentry[r].on = on;
	return err;
}

void cp_fentry_remove(enum cp_role r)
{
	if (!cp_fentry[r].filtered)
		return;
	cp_fentry_enable(r, false);
	ftrace_free_filter(&cp_fentry[r].ops);
	cp_fentry[r].filtered = false;
}

#else /* no arguments for ftrace callbacks: kprobes only */

int cp_fentry_place(enum cp_role r, char *symbol)
{
	return -EOPNOTSUPP;
}

int cp_fentry_enable(enum cp_role r, bool on)
{
	return -EOPNOTSUPP;
}

void cp_fentry_remove(enum cp_role r)
{
}

#endif
