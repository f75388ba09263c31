/* SPDX-License-Identifier: GPL-2.0 */
/* Shims so that cowprobe is written against the newest genetlink API. */
#ifndef _COWPROBE_COMPAT_NET_GENETLINK_H
#define _COWPROBE_COMPAT_NET_GENETLINK_H

#include_next <net/genetlink.h>
#include <linux/version.h>

#ifndef GENL_REQ_ATTR_CHECK
#define GENL_REQ_ATTR_CHECK(info, attr) ({				\
	struct genl_info *__info = (info);				\
	bool __missing = !__info->attrs[attr];				\
									\
	if (__missing)							\
		NL_SET_ERR_MSG_ATTR(__info->extack, NULL,		\
				    "missing required attribute");	\
	__missing;							\
})
#endif

/* 6.2 moved the parsed attributes of a dump request into a struct genl_info */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define cp_genl_dump_attrs(cb) (genl_dumpit_info(cb)->attrs)
#else
#define cp_genl_dump_attrs(cb) (genl_dumpit_info(cb)->info.attrs)
#endif

#endif /* _COWPROBE_COMPAT_NET_GENETLINK_H */
