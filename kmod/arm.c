// SPDX-License-Identifier: GPL-2.0
/*
 * Probes armed only while something can fault into a record: a live tracked
 * thread, track_all, or a WATCH in progress. Loaded and idle, the module
 * costs the machine's CoW faults nothing (its kprobes are disabled: no int3,
 * no ftrace callback).
 *
 * Arming sleeps (kprobe_mutex, text patching), so it is done in process
 * context: a WATCH holds the probes armed before it creates the first record,
 * and turning track_all on arms them before the flag is set. Disarming is
 * decided wherever the last thread record goes (under cp_lock, in the exit
 * tracepoint) and done by a work item, which looks again under cp_arm_mutex:
 * nothing can create a record while no thread is tracked, track_all is off
 * and no WATCH holds the probes, so what it sees stays true while it works.
 */
#include <linux/kprobes.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include "cowprobe.h"

static DEFINE_MUTEX(cp_arm_mutex);
static bool cp_armed;		/* under cp_arm_mutex */
static bool cp_arm_live;	/* probes placed and not yet being removed */
static atomic_t cp_arm_holds = ATOMIC_INIT(0);
static atomic64_t cp_arm_count = ATOMIC64_INIT(0);

static bool cp_arm_wanted(void)
{
	return atomic_read(&cp_nr_threads) || READ_ONCE(cp_track_all) ||
	       atomic_read(&cp_arm_holds);
}

static void cp_arm_set(bool on)
{
	lockdep_assert_held(&cp_arm_mutex);
	if (cp_armed == on)
		return;
	cp_probes_enable(on);
	cp_armed = on;
	if (on)
		atomic64_inc(&cp_arm_count);
}

static void cp_disarm_fn(struct work_struct *work)
{
	mutex_lock(&cp_arm_mutex);
	if (cp_arm_live && !cp_arm_wanted())
		cp_arm_set(false);
	mutex_unlock(&cp_arm_mutex);
}

static DECLARE_WORK(cp_disarm_work, cp_disarm_fn);

void cp_arm_hold(void)
{
	atomic_inc(&cp_arm_holds);
	mutex_lock(&cp_arm_mutex);
	if (cp_arm_live)
		cp_arm_set(true);
	mutex_unlock(&cp_arm_mutex);
}

/* process context: disarmed now if nothing else wants the probes */
void cp_arm_unhold(void)
{
	atomic_dec(&cp_arm_holds);
	mutex_lock(&cp_arm_mutex);
	if (cp_arm_live && !cp_arm_wanted())
		cp_arm_set(false);
	mutex_unlock(&cp_arm_mutex);
}

/* any context (the last thread record went under cp_lock): check later */
void cp_arm_idle(void)
{
	if (READ_ONCE(cp_arm_live) && !cp_arm_wanted())
		schedule_work(&cp_disarm_work);
}

bool cp_arm_state(u64 *count)
{
	*count = atomic64_read(&cp_arm_count);
	return READ_ONCE(cp_armed);
}

/* After the probes are placed, disabled. */
void cp_arm_init(void)
{
	mutex_lock(&cp_arm_mutex);
	cp_arm_live = true;
	if (cp_arm_wanted())
		cp_arm_set(true);
	mutex_unlock(&cp_arm_mutex);
}

/*
 * Before the probes are removed: no work item left behind. Called once the
 * tracepoints and the family are gone, so only the records' removal (after
 * this, stopped by cp_arm_live) could schedule it; a sysfs write of
 * track_all still may come, and sleeps instead of scheduling.
 */
void cp_arm_exit(void)
{
	mutex_lock(&cp_arm_mutex);
	cp_arm_live = false;
	mutex_unlock(&cp_arm_mutex);
	cancel_work_sync(&cp_disarm_work);
}

/* track_all from sysfs: armed before it is set, disarmed after it is cleared */
static int cp_track_all_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int err = kstrtobool(val, &on);

	if (err)
		return err;
	cp_set_track_all(on);
	return 0;
}

void cp_set_track_all(bool on)
{
	cp_arm_hold();
	WRITE_ONCE(cp_track_all, on);
	cp_arm_unhold();
}

static const struct kernel_param_ops cp_track_all_ops = {
	.set = cp_track_all_set,
	.get = param_get_bool,
};

bool cp_track_all;
module_param_cb(track_all, &cp_track_all_ops, &cp_track_all, 0644);
MODULE_PARM_DESC(track_all,
		 "track every process created from now on, not only watched trees");
