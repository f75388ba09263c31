#!/bin/sh
# One vCPU, the module loaded with its defaults: idle_disarm's default (-1)
# disarms the probes while nothing is tracked here (TCG's run-time patching
# crashes only guests of more than one vCPU: README "Cost"). Checks against
# STATUS and the kernel's own /sys/kernel/debug/kprobes/list: disarmed at
# load, armed inside a cowprobe stat, disarmed after; 100 stat runs each arm
# and disarm once under a fault load, without a crash; and scenarios exact
# with the probes armed and disarmed around every run. Then scenarios again
# after reloads with fentry_direct=0 (do_wp_page and new-anon-rmap as ftrace
# callbacks instead of direct calls, as where another direct call sits on
# the function) and with fentry=0 (kprobes, what 5.10 has).
set -u
say() { echo "arming-1cpu: $*"; }
fail() {
	say "FAIL: $*"
	exit 1
}
# ours, fentries, klist, js, hook, idle
. "$(dirname "$0")/kprobes.lib"
hooks() { echo "do_wp_page=$(hook do_wp_page) new_anon_rmap=$(hook new_anon_rmap) wp_page_reuse=$(hook wp_page_reuse)"; }

[ "$(nproc)" = 1 ] || fail "run with one vCPU, not $(nproc)"
say "hooks: $(hooks)"
# reuse: inline and notrace on 6.1 and 6.12, so an int3 kprobe
[ "$(hooks)" = "do_wp_page=direct new_anon_rmap=direct wp_page_reuse=kprobe" ] ||
	fail "hooks $(hooks), want ftrace direct calls for do_wp_page and new_anon_rmap"
set -- $(klist)
say "loaded: armed $(js armed), armings $(js armings), $2 of $1 probes disabled (kprobes and ftrace callbacks)"
[ "$(js armed)" = false ] && [ "$(js armings)" = 0 ] || fail "armed at load on one vCPU: $(cowprobe status)"
[ "$1" -gt 0 ] && [ "$2" = "$1" ] || fail "$2 of $1 probes disabled at load: $(ours) $(fentries)"

cowprobe stat --json -o /tmp/arm-stat.json -- sh -c '. "$1"; klist >/tmp/arm-in; true' - "$(dirname "$0")/kprobes.lib" ||
	fail "cowprobe stat"
grep -q '"copies": [1-9]' /tmp/arm-stat.json || fail "no copies counted: $(cat /tmp/arm-stat.json)"
idle || fail "still armed 10 s after the stat"
set -- $(klist)
say "inside stat: $(cut -d" " -f2 /tmp/arm-in) of $(cut -d" " -f1 /tmp/arm-in) disabled; after: armed $(js armed), armings $(js armings), $2 of $1 disabled"
[ "$(cut -d' ' -f2 /tmp/arm-in)" = 0 ] || fail "a probe disabled while a tree was watched: $(cat /tmp/arm-in)"
[ "$(js armings)" = 1 ] && [ "$2" = "$1" ] || fail "not disarmed after the stat: $(ours) $(fentries)"

# 100 runs, each waited out: exactly one arming each
echo 0 >/sys/module/cowprobe/parameters/disarm_delay_ms
(while :; do cat /proc/meminfo >/dev/null; done) &
load=$!
i=0
while [ $i -lt 100 ]; do
	cowprobe stat -o /dev/null -- /bin/true || fail "stat $i"
	idle || fail "still armed after stat $i"
	i=$((i + 1))
done
kill $load
say "100 stat runs under a fault load: armings $(js armings)"
[ "$(js armings)" = 101 ] || fail "armings $(js armings) after 1 + 100 runs, want 101"

# every scenario run arms the probes (a WATCH) and disarms them after
cowprobe check --repeat 1 child-writes parent-after-wait parent-writes-child-alive several-children \
	threads zero-page file-private remote || fail "scenarios with run-time arming"
say "scenarios exact; armings $(js armings)"

# ftrace callbacks, as where the function has a direct call already
scenarios="child-writes parent-after-wait parent-writes-child-alive several-children threads zero-page file-private remote"
rmmod cowprobe && insmod /lib/modules/cowprobe.ko fentry_direct=0 || fail "reload with fentry_direct=0"
say "fentry_direct=0: hooks: $(hooks)"
[ "$(hooks)" = "do_wp_page=ftrace new_anon_rmap=ftrace wp_page_reuse=kprobe" ] ||
	fail "hooks $(hooks) with fentry_direct=0, want ftrace callbacks"
set -- $(klist)
[ "$(js armed)" = false ] && [ "$1" -gt 0 ] && [ "$2" = "$1" ] ||
	fail "fentry_direct=0: $2 of $1 probes disabled at load: $(ours) $(fentries)"
# shellcheck disable=SC2086 # one word per scenario
cowprobe check --repeat 1 $scenarios || fail "scenarios with ftrace callbacks (fentry_direct=0)"
idle || fail "fentry_direct=0: still armed after the scenarios"
set -- $(klist)
say "fentry_direct=0: scenarios exact; after: armings $(js armings), $2 of $1 probes disabled"
[ "$2" = "$1" ] || fail "fentry_direct=0: not disarmed after the scenarios: $(ours) $(fentries)"

# the same with kprobes only, as where the kernel gives callbacks no arguments
rmmod cowprobe && insmod /lib/modules/cowprobe.ko fentry=0 || fail "reload with fentry=0"
say "fentry=0: hooks: $(hooks)"
[ "$(hooks)" = "do_wp_page=kprobe new_anon_rmap=kprobe wp_page_reuse=kprobe" ] ||
	fail "hooks $(hooks) with fentry=0, want kprobes"
set -- $(klist)
[ "$(js armed)" = false ] && [ "$1" -gt 0 ] && [ "$2" = "$1" ] || fail "fentry=0: $2 of $1 probes disabled at load: $(ours)"
# shellcheck disable=SC2086 # one word per scenario
cowprobe check --repeat 1 $scenarios || fail "scenarios with kprobes (fentry=0)"
idle || fail "fentry=0: still armed after the scenarios"
set -- $(klist)
say "fentry=0: scenarios exact; after: armings $(js armings), $2 of $1 probes disabled"
[ "$2" = "$1" ] || fail "fentry=0: not disarmed after the scenarios: $(ours)"
say PASS
