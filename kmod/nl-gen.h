/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/cowprobe.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_COWPROBE_GEN_H
#define _LINUX_COWPROBE_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/cowprobe.h>

extern const struct nla_policy cowprobe_watch_nl_policy[COWPROBE_A_WATCH_FLAGS + 1];
extern const struct nla_policy cowprobe_unwatch_nl_policy[COWPROBE_A_PID + 1];
extern const struct nla_policy cowprobe_get_do_nl_policy[COWPROBE_A_PID + 1];
extern const struct nla_policy cowprobe_get_dump_nl_policy[COWPROBE_A_ROOT + 1];
extern const struct nla_policy cowprobe_reset_nl_policy[COWPROBE_A_PID + 1];
extern const struct nla_policy cowprobe_region_add_nl_policy[COWPROBE_A_REGION_NAME + 1];
extern const struct nla_policy cowprobe_config_nl_policy[COWPROBE_A_TRACK_ALL + 1];

#endif /* _LINUX_COWPROBE_GEN_H */
