// SPDX-License-Identifier: GPL-2.0
/* cowprobe: count copy-on-write faults per process and thread. */
#include <linux/module.h>
#include <net/genetlink.h>
#include "cowprobe.h"

unsigned int max_procs = 4096;
module_param(max_procs, uint, 0444);
MODULE_PARM_DESC(max_procs, "process records held at once, exited ones included");

unsigned int max_threads = 16384;
module_param(max_threads, uint, 0444);
MODULE_PARM_DESC(max_threads, "live threads tracked at once");

unsigned int max_regions = 4;
module_param(max_regions, uint, 0444);
MODULE_PARM_DESC(max_regions, "address regions counted apart per process (1-64)");

unsigned int max_maps = 8;
module_param(max_maps, uint, 0444);
MODULE_PARM_DESC(max_maps,
		 "mapping buckets per process, for watches with COWPROBE_WATCH_F_MAPS (0-64; 0: none)");

bool cp_unprivileged;
module_param_named(unprivileged, cp_unprivileged, bool, 0644);
MODULE_PARM_DESC(unprivileged,
		 "lab mode: users may watch processes they could ptrace, without CAP_NET_ADMIN");

unsigned int max_user_procs = 256;
module_param(max_user_procs, uint, 0644);
MODULE_PARM_DESC(max_user_procs,
		 "lab mode: process records one user's watches may hold");

static int __init cp_init(void)
{
	int err;

	if (!max_procs || !max_threads || !max_regions || max_regions > 64 ||
	    max_maps > 64) {
		pr_err("max_procs and max_threads must be positive, max_regions 1 to 64, max_maps 0 to 64\n");
		return -EINVAL;
	}

	err = cp_track_init();
	if (err)
		return err;
	cp_arm_choose();
	err = cp_probes_init();
	if (err)
		goto err_track;
	cp_arm_init();
	err = cp_lifecycle_init();
	if (err)
		goto err_arm;
	err = cp_netlink_init();
	if (err) {
		pr_err("cannot register the generic netlink family: %d\n", err);
		goto err_lifecycle;
	}
	pr_info("version %s loaded (max_procs=%u max_threads=%u%s)\n",
		COWPROBE_VERSION, max_procs, max_threads,
		cp_unprivileged ? ", lab mode" : "");
	return 0;

err_lifecycle:
	cp_lifecycle_exit();
err_arm:
	cp_arm_exit();
	cp_probes_exit();
err_track:
	cp_track_exit();
	return err;
}

static void __exit cp_exit(void)
{
	/* no exit record may be in the making when the family goes */
	cp_lifecycle_exit();
	cp_netlink_exit();
	cp_arm_exit();
	cp_probes_exit();
	cp_track_exit();
}

module_init(cp_init);
module_exit(cp_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Count copy-on-write faults per process over generic netlink");
MODULE_VERSION(COWPROBE_VERSION);
MODULE_ALIAS_GENL_FAMILY(COWPROBE_GENL_NAME);
