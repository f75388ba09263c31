// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/cowprobe.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "nl-gen.h"

#include <uapi/linux/cowprobe.h>

/* COWPROBE_CMD_WATCH - do */
const struct nla_policy cowprobe_watch_nl_policy[COWPROBE_A_WATCH_FLAGS + 1] = {
	[COWPROBE_A_PID] = NLA_POLICY_MIN(NLA_U32, 1),
	[COWPROBE_A_WATCH_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x3),
};

/* COWPROBE_CMD_UNWATCH - do */
const struct nla_policy cowprobe_unwatch_nl_policy[COWPROBE_A_PID + 1] = {
	[COWPROBE_A_PID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* COWPROBE_CMD_GET - do */
const struct nla_policy cowprobe_get_do_nl_policy[COWPROBE_A_PID + 1] = {
	[COWPROBE_A_PID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* COWPROBE_CMD_GET - dump */
const struct nla_policy cowprobe_get_dump_nl_policy[COWPROBE_A_ROOT + 1] = {
	[COWPROBE_A_ROOT] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* COWPROBE_CMD_RESET - do */
const struct nla_policy cowprobe_reset_nl_policy[COWPROBE_A_PID + 1] = {
	[COWPROBE_A_PID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* COWPROBE_CMD_REGION_ADD - do */
const struct nla_policy cowprobe_region_add_nl_policy[COWPROBE_A_REGION_NAME + 1] = {
	[COWPROBE_A_PID] = NLA_POLICY_MIN(NLA_U32, 1),
	[COWPROBE_A_REGION_START] = { .type = NLA_U64, },
	[COWPROBE_A_REGION_END] = { .type = NLA_U64, },
	[COWPROBE_A_REGION_NAME] = { .type = NLA_NUL_STRING, .len = 15, },
};

/* COWPROBE_CMD_CONFIG - do */
const struct nla_policy cowprobe_config_nl_policy[COWPROBE_A_TRACK_ALL + 1] = {
	[COWPROBE_A_TRACK_ALL] = NLA_POLICY_MAX(NLA_U32, 1),
};
