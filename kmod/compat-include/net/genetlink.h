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

/*
 * 6.1 added resv_start_op: commands from it on get their reserved header
 * bytes checked and, without a policy of their own, reject every attribute.
 * Before 6.1 no command had either check, which is what cowprobe asks for
 * all of its commands (resv_start_op lies past the last one). The member is
 * not there to set: let the initializer land on the family id instead, which
 * genl_register_family() always assigns before anything reads it.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#define resv_start_op id
#endif

/* 6.2 moved the parsed attributes of a dump request into a struct genl_info */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define cp_genl_dump_attrs(cb) (genl_dumpit_info(cb)->attrs)
#else
#define cp_genl_dump_attrs(cb) (genl_dumpit_info(cb)->info.attrs)
#endif

/*
 * Who may join a multicast group: GENL_MCAST_CAP_NET_ADMIN where the kernel
 * has it (6.7, and stable backports such as 6.1.0-57); before, only the
 * stricter CAP_SYS_ADMIN bit.
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define CP_MCGRP_ADMIN .flags = GENL_MCAST_CAP_NET_ADMIN
#else
#define CP_MCGRP_ADMIN .cap_sys_admin = 1
#endif

#endif /* _COWPROBE_COMPAT_NET_GENETLINK_H */
