/* SPDX-License-Identifier: GPL-2.0 */
/* What netlink.c (the family, its ops) shares with get.c (GET and its dump). */
#ifndef _COWPROBE_NETLINK_H
#define _COWPROBE_NETLINK_H

#include <net/genetlink.h>
#include "cowprobe.h"
#include "nl-gen.h"

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

/*
 * An operation whose do and dump take different attributes has their union
 * as its policy (see netlink.c): refuses, in words, any attribute of
 * attrs (parsed with that union, of maxattr) that policy lacks.
 */
static inline int cp_nl_attrs_only(struct nlattr **attrs, unsigned int maxattr,
				   const struct nla_policy *policy,
				   unsigned int policy_max,
				   struct netlink_ext_ack *extack)
{
	unsigned int i;

	for (i = 1; i <= maxattr; i++) {
		if (attrs[i] && (i > policy_max || !policy[i].type)) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[i],
					    "attribute not valid in this request (do and dump take different ones)");
			return -EINVAL;
		}
	}
	return 0;
}

/* the last attribute of GET's union policy (a constant: no max()) */
#define CP_GET_MAXATTR							\
	((ARRAY_SIZE(cowprobe_get_do_nl_policy) >			\
	  ARRAY_SIZE(cowprobe_get_dump_nl_policy) ?			\
	  ARRAY_SIZE(cowprobe_get_do_nl_policy) :			\
	  ARRAY_SIZE(cowprobe_get_dump_nl_policy)) - 1)

int cp_nl_get(struct sk_buff *skb, struct genl_info *info);
int cp_nl_get_start(struct netlink_callback *cb);
int cp_nl_get_done(struct netlink_callback *cb);
int cp_nl_get_dump(struct sk_buff *skb, struct netlink_callback *cb);

#endif /* _COWPROBE_NETLINK_H */
