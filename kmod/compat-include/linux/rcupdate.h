/* SPDX-License-Identifier: GPL-2.0 */
/* Shims so that cowprobe is written against the newest RCU API. */
#ifndef _COWPROBE_COMPAT_LINUX_RCUPDATE_H
#define _COWPROBE_COMPAT_LINUX_RCUPDATE_H

#include_next <linux/rcupdate.h>
#include <linux/version.h>

/*
 * 6.2 made call_rcu() lazy (batched for seconds) under CONFIG_RCU_LAZY and
 * added call_rcu_hurry() for callbacks that must not wait: before, call_rcu()
 * never waited.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define call_rcu_hurry call_rcu
#endif

#endif /* _COWPROBE_COMPAT_LINUX_RCUPDATE_H */
