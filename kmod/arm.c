// SPDX-License-Identifier: GPL-2.0
/*
 * Probes armed only while something can fault into a record: a live tracked
 * thread, track_all, or a WATCH in progress. Loaded and idle, the module
 * costs the machine's CoW faults nothing (its kprobes are disabled: no int3,
 * no ftrace callback). Module parameter idle_disarm: 1 on, 0 off (armed at
 * load, never toggled), -1 (default) on except where run-time text patching
 * is known to crash (cp_arm_choose()).
 *
 * Arming sleeps (kprobe_mutex, text patching), so it is done in process
 * context: a WATCH holds the probes armed before it creates the first record,
 * and turning track_all on arms them before the flag is set. Disarming is
 * asked for wherever the last thread record goes (under cp_lock, in the exit
 * tracepoint) or a WATCH or track_all lets go, and done by a delayed work
 * item disarm_delay_ms later, which looks again under cp_arm_mutex: nothing
 * can create a record while no thread is tracked, track_all is off and no
 * WATCH holds the probes, so what it sees stays true while it works. The
 * delay keeps back-to-back runs (a test suite, a shell loop of cowprobe stat)
 * from patching the probed functions' text twice per run: each patching is a
 * cross-modification of code other CPUs run. Before 6.1 the probes, once
 * armed, stay armed: one 5.10 guest under TCG died while its probes were
 * toggled for every scenario run (a guest of two CPUs: see below).
 */
#include <linux/cpumask.h>
#include <linux/kprobes.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#ifdef CONFIG_X86
#include <asm/hypervisor.h>
#endif
#include "compat.h"
#include "cowprobe.h"

static int idle_disarm = -1;
module_param(idle_disarm, int, 0444);
MODULE_PARM_DESC(idle_disarm,
		 "disable the kprobes while nothing is tracked: 1 on, 0 off, -1 (default) on unless an unknown hypervisor with more than one CPU (QEMU's TCG)");

/* What idle_disarm resolved to at load; read by probes.c's registration. */
bool cp_idle_disarm;

/*
 * Guests of QEMU's TCG with more than one vCPU die with a call to 0 at a
 * probed function's entry while a kprobe there is armed or disarmed under a
 * fault load, and not only this module's: the kernel's own kprobe events
 * toggled on folio_add_new_anon_rmap crash them the same way, within
 * seconds (2026-12-07, 6.12, README "Cost"); a guest of one vCPU does not.
 * TCG announces a hypervisor but none the kernel knows: there, with more
 * than one CPU, the probes are armed at load and never toggled.
 */
void cp_arm_choose(void)
{
	bool risky = false;

#ifdef CONFIG_X86
	risky = boot_cpu_has(X86_FEATURE_HYPERVISOR) &&
		hypervisor_is_type(X86_HYPER_NATIVE) && num_possible_cpus() > 1;
#endif
	cp_idle_disarm = idle_disarm < 0 ? !risky : idle_disarm > 0;
	if (idle_disarm < 0 && risky)
		pr_info("probes armed at load and never toggled: %u CPUs under an unknown hypervisor (QEMU's TCG crashes while kprobes are toggled); idle_disarm=1 overrides\n",
			num_possible_cpus());
}

static unsigned int disarm_delay_ms = 2000;
module_param(disarm_delay_ms, uint, 0644);
MODULE_PARM_DESC(disarm_delay_ms,
		 "idle this long (ms) before the probes are disarmed");

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
	if (!CP_DISARM_OK)
		return;
	mutex_lock(&cp_arm_mutex);
	if (cp_arm_live && !cp_arm_wanted())
		cp_arm_set(false);
	mutex_unlock(&cp_arm_mutex);
}

static DECLARE_DELAYED_WORK(cp_disarm_work, cp_disarm_fn);

static void cp_disarm_later(void)
{
	/* from the last idle moment on: a pending one starts over */
	mod_delayed_work(system_wq, &cp_disarm_work,
			 msecs_to_jiffies(READ_ONCE(disarm_delay_ms)));
}

void cp_arm_hold(void)
{
	atomic_inc(&cp_arm_holds);
	if (!cp_idle_disarm)
		return;
	mutex_lock(&cp_arm_mutex);
	if (cp_arm_live)
		cp_arm_set(true);
	mutex_unlock(&cp_arm_mutex);
}

/* process context; under the mutex, so that cp_arm_exit() cancels it */
void cp_arm_unhold(void)
{
	atomic_dec(&cp_arm_holds);
	if (!cp_idle_disarm)
		return;
	mutex_lock(&cp_arm_mutex);
	if (cp_arm_live && !cp_arm_wanted())
		cp_disarm_later();
	mutex_unlock(&cp_arm_mutex);
}

/* any context (the last thread record went under cp_lock): check later */
void cp_arm_idle(void)
{
	if (cp_idle_disarm && READ_ONCE(cp_arm_live) && !cp_arm_wanted())
		cp_disarm_later();
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
	if (!cp_idle_disarm) {
		/* registered enabled: armed from load on, never toggled */
		cp_armed = true;
		atomic64_inc(&cp_arm_count);
	} else if (cp_arm_wanted()) {
		cp_arm_set(true);
	}
	mutex_unlock(&cp_arm_mutex);
}

/*
 * Before the probes are removed: no work item left behind. Called once the
 * tracepoints and the family are gone, so only the records' removal (after
 * this, stopped by cp_arm_live) could schedule it; a sysfs write of
 * track_all still may come: it schedules under the mutex, before
 * cp_arm_live is cleared, so the cancel below finds it.
 */
void cp_arm_exit(void)
{
	mutex_lock(&cp_arm_mutex);
	cp_arm_live = false;
	mutex_unlock(&cp_arm_mutex);
	cancel_delayed_work_sync(&cp_disarm_work);
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
