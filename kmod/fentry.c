// SPDX-License-Identifier: GPL-2.0
/*
 * The two probes every tracked write fault hits, do_wp_page and the
 * new-anon-rmap function, on the function's fentry call where the kernel
 * can hand a module the traced function's arguments there:
 *  - an ftrace direct call (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS, x86-64,
 *    6.1 on): the fentry site calls this file's trampoline, which keeps the
 *    argument registers and calls the handler. Only one direct call may sit
 *    on a function (a BPF trampoline is one), so where that fails:
 *  - an ftrace callback (CONFIG_DYNAMIC_FTRACE_WITH_ARGS): ftrace's own
 *    trampoline saves the argument registers and calls it with them.
 * A kprobe on the same place goes through ftrace too, but saves every
 * register and looks the kprobe up before calling its handler (README,
 * "Cost", has the instructions per hit of each). Where neither is there, or
 * module parameter fentry=0, probes.c places kprobes, as on 5.10;
 * fentry_direct=0 keeps the ftrace callbacks.
 */
#include <linux/ftrace.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/version.h>
#include "compat.h"
#include "cowprobe.h"

static bool fentry = true;
module_param(fentry, bool, 0444);
MODULE_PARM_DESC(fentry,
		 "hook do_wp_page and the new-anon-rmap function on their fentry call where the kernel passes their arguments there (6.1 on); 0: kprobes");

static bool fentry_direct = true;
module_param(fentry_direct, bool, 0444);
MODULE_PARM_DESC(fentry_direct,
		 "with fentry: an ftrace direct call to the module's trampoline where the function has none already (x86-64); 0: ftrace callbacks");

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

#ifdef CP_FENTRY_DIRECT
#include <asm/ibt.h>
#include <asm/nospec-branch.h>

/* call depth tracking (retbleed=stuff) came in 6.2 */
#ifndef CALL_DEPTH_ACCOUNT
#define CALL_DEPTH_ACCOUNT ""
#endif

/*
 * The trampolines, as in samples/ftrace/ftrace-direct-multi.c. Called from
 * the fentry site (or from ftrace's trampoline, which returns into them with
 * the same stack, when another ftrace user shares the function): [rsp] is
 * where the traced function goes on, [rsp + 8] where it returns to. They
 * keep the traced function's argument registers; the others a C call may
 * clobber are clobbered by the fentry call already. rmap's takes its
 * arguments 1 and 2 (vma, address) and the return address, as the callback
 * below.
 */
asm("	.pushsection	.text, \"ax\", @progbits\n"
"	.type	cp_direct_wp, @function\n"
"	.globl	cp_direct_wp\n"
"cp_direct_wp:\n"
	ASM_ENDBR
"	pushq	%rbp\n"
"	movq	%rsp, %rbp\n"
	CALL_DEPTH_ACCOUNT
"	pushq	%rdi\n"
"	call	cp_wp_start\n"
"	popq	%rdi\n"
"	leave\n"
	ASM_RET
"	.size	cp_direct_wp, .-cp_direct_wp\n"
"	.type	cp_direct_rmap, @function\n"
"	.globl	cp_direct_rmap\n"
"cp_direct_rmap:\n"
	ASM_ENDBR
"	pushq	%rbp\n"
"	movq	%rsp, %rbp\n"
	CALL_DEPTH_ACCOUNT
"	pushq	%rdi\n"
"	pushq	%rsi\n"
"	pushq	%rdx\n"
"	pushq	%rcx\n"
"	pushq	%r8\n"
"	pushq	%r9\n"
"	movq	%rsi, %rdi\n"
"	movq	%rdx, %rsi\n"
"	movq	16(%rbp), %rdx\n"
"	call	cp_rmap_new\n"
"	popq	%r9\n"
"	popq	%r8\n"
"	popq	%rcx\n"
"	popq	%rdx\n"
"	popq	%rsi\n"
"	popq	%rdi\n"
"	leave\n"
	ASM_RET
"	.size	cp_direct_rmap, .-cp_direct_rmap\n"
"	.popsection\n"
);

#define CP_TRAMP_WP ((unsigned long)cp_direct_wp)
#define CP_TRAMP_RMAP ((unsigned long)cp_direct_rmap)
#else /* no direct calls: callbacks only */
#define CP_TRAMP_WP 0UL
#define CP_TRAMP_RMAP 0UL
#endif

/* how a role's hook is on: not, its direct call, its callback */
enum cp_fentry_on { CP_FENTRY_OFF, CP_FENTRY_ON_DIRECT, CP_FENTRY_ON_CALLBACK };

static struct {
	struct ftrace_ops ops;		/* the callback */
	struct ftrace_ops direct;	/* the direct call: no func until on */
	unsigned long tramp;		/* its trampoline; 0: none */
	const char *symbol;
	bool filtered;
	bool no_direct;			/* it failed: the callback from then on */
	enum cp_fentry_on on;
} cp_fentry[CP_NR_PROBES] = {
	[CP_PROBE_WP] = { .ops = { .func = cp_fentry_wp },
			  .tramp = CP_TRAMP_WP },
	[CP_PROBE_RMAP] = { .ops = { .func = cp_fentry_rmap },
			    .tramp = CP_TRAMP_RMAP },
};

static void cp_fentry_free(enum cp_role r)
{
	ftrace_free_filter(&cp_fentry[r].ops);
	if (fentry_direct && cp_fentry[r].tramp)
		ftrace_free_filter(&cp_fentry[r].direct);
}

/* The hook for role r on symbol, not yet enabled; or -errno. */
int cp_fentry_place(enum cp_role r, char *symbol)
{
	int err;

	if (!fentry || !cp_fentry[r].ops.func)
		return -EOPNOTSUPP;
	cp_fentry[r].symbol = symbol;
	cp_fentry[r].no_direct = !fentry_direct || !cp_fentry[r].tramp;
	/* fails with -EINVAL where the symbol is not an ftrace location */
	err = ftrace_set_filter(&cp_fentry[r].ops, symbol, strlen(symbol), 1);
	if (!err && !cp_fentry[r].no_direct)
		err = ftrace_set_filter(&cp_fentry[r].direct, symbol,
					strlen(symbol), 1);
	if (err) {
		cp_fentry_free(r);
		return err;
	}
	cp_fentry[r].filtered = true;
	return 0;
}

#ifdef CP_FENTRY_DIRECT
/* the filter stays: the next arming registers the same function again */
static int cp_direct_on(enum cp_role r, bool on)
{
	if (on)
		return register_ftrace_direct(&cp_fentry[r].direct,
					      cp_fentry[r].tramp);
	return unregister_ftrace_direct(&cp_fentry[r].direct,
					cp_fentry[r].tramp, false);
}
#else
static int cp_direct_on(enum cp_role r, bool on)
{
	return -EOPNOTSUPP;
}
#endif

/*
 * On: the direct call, unless it failed once (-EBUSY: the function has
 * another, such as a BPF trampoline), then the callback. Off: whichever.
 * Both wait for every task to leave the trampolines (ftrace_shutdown).
 */
int cp_fentry_enable(enum cp_role r, bool on)
{
	bool is_on = cp_fentry[r].on != CP_FENTRY_OFF;
	int err;

	if (is_on == on)
		return 0;
	if (!on) {
		if (cp_fentry[r].on == CP_FENTRY_ON_DIRECT)
			err = cp_direct_on(r, false);
		else
			err = unregister_ftrace_function(&cp_fentry[r].ops);
		if (!err)
			cp_fentry[r].on = CP_FENTRY_OFF;
		return err;
	}
	if (!cp_fentry[r].no_direct) {
		err = cp_direct_on(r, true);
		if (!err) {
			cp_fentry[r].on = CP_FENTRY_ON_DIRECT;
			return 0;
		}
		pr_info("no direct call on %s (%d): an ftrace callback\n",
			cp_fentry[r].symbol, err);
		cp_fentry[r].no_direct = true;
	}
	err = register_ftrace_function(&cp_fentry[r].ops);
	if (!err)
		cp_fentry[r].on = CP_FENTRY_ON_CALLBACK;
	return err;
}

/* How role r is hooked, or will be when armed. */
enum cowprobe_probe_hook cp_fentry_hook(enum cp_role r)
{
	if (cp_fentry[r].on == CP_FENTRY_ON_DIRECT ||
	    (cp_fentry[r].on == CP_FENTRY_OFF && !cp_fentry[r].no_direct))
		return COWPROBE_PROBE_HOOK_DIRECT;
	return COWPROBE_PROBE_HOOK_FTRACE;
}

void cp_fentry_remove(enum cp_role r)
{
	if (!cp_fentry[r].filtered)
		return;
	cp_fentry_enable(r, false);
	cp_fentry_free(r);
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

enum cowprobe_probe_hook cp_fentry_hook(enum cp_role r)
{
	return COWPROBE_PROBE_HOOK_NONE;
}

void cp_fentry_remove(enum cp_role r)
{
}

#endif
