/* SPDX-License-Identifier: GPL-2.0 */
/* Shims so that cowprobe is written against the newest ftrace API. */
#ifndef _COWPROBE_COMPAT_LINUX_FTRACE_H
#define _COWPROBE_COMPAT_LINUX_FTRACE_H

#include_next <linux/ftrace.h>
#include <linux/version.h>

/*
 * The direct-call functions that take an ftrace_ops came in 5.16 as
 * register_ftrace_direct_multi() and unregister_ftrace_direct_multi();
 * 6.5 gave them the plain names (which had taken an address until then)
 * and unregister the choice of keeping the filter, which the _multi one
 * always kept.
 */
#if defined(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS) && \
	LINUX_VERSION_CODE >= KERNEL_VERSION(5, 16, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
static inline int cp_register_ftrace_direct(struct ftrace_ops *ops,
					    unsigned long addr)
{
	return register_ftrace_direct_multi(ops, addr);
}

static inline int cp_unregister_ftrace_direct(struct ftrace_ops *ops,
					      unsigned long addr,
					      bool free_filters)
{
	int err = unregister_ftrace_direct_multi(ops, addr);

	if (free_filters)
		ftrace_free_filter(ops);
	return err;
}

#define register_ftrace_direct cp_register_ftrace_direct
#define unregister_ftrace_direct cp_unregister_ftrace_direct
#endif

#endif /* _COWPROBE_COMPAT_LINUX_FTRACE_H */
