/* SPDX-License-Identifier: GPL-2.0 */
/* What netlink.c (the family, its ops) shares with get.c (GET and its dump). */
#ifndef _COWPROBE_NETLINK_H
#define _COWPROBE_NETLINK_H

#include <net/genetlink.h>
#include "cowprobe.h"

extern struct genl_family cp_family;

static inline void cp_caller_of(struct cp_caller *c, struct sk_buff *skb)
{
	cp_caller_init(c, netlink_capable(skb, CAP_NET_ADMIN));
}

/*
 * The kernel marks the missing attribute; say it in words too. The local is
 * not called __info: GENL_REQ_ATTR_CHECK() declares one of that name, which
 * would be initialized from itself.
 */
#define cp_require(info, attr) ({					\
	struct genl_info *__cp_info = (info);				\
	bool __missing = GENL_REQ_ATTR_CHECK(__cp_info, attr);		\
									\
	if (__missing)							\
		NL_SET_ERR_MSG_MOD(__cp_info->extack,			\
				   "missing required attribute " #attr);\
	__missing;							\
})

int cp_nl_get(struct sk_buff *skb, struct genl_info *info);
int cp_nl_get_start(struct netlink_callback *cb);
int cp_nl_get_done(struct netlink_callback *cb);
int cp_nl_get_dump(struct sk_buff *skb, struct netlink_callback *cb);

#endif /* _COWPROBE_NETLINK_H */
