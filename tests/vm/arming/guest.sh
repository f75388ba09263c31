#!/bin/sh
# One vCPU, the module loaded with its defaults: idle_disarm's default (-1)
# disarms the probes while nothing is tracked here (TCG's run-time patching
# crashes only guests of more than one vCPU: README "Cost"). Checks against
# STATUS and the kernel's own /sys/kernel/debug/kprobes/list: disarmed at
# load, armed inside a cowprobe stat, disarmed after; 100 stat runs each arm
# and disarm once under a fault load, without a crash; and scenarios exact
# with the probes armed and disarmed around every run.
set -u
say() { echo "arming-1cpu: $*"; }
fail() {
	say "FAIL: $*"
	exit 1
}
js() { cowprobe status --json | sed -n "s/.*\"$1\": \([a-z0-9]*\).*/\1/p" | head -n 1; }
# ours, klist
. "$(dirname "$0")/kprobes.lib"
# the disarm runs disarm_delay_ms after the last record went: wait for it
idle() {
	n=0
	while [ "$(js armed)" != false ]; do
		n=$((n + 1))
		[ $n -le 100 ] || return 1
		sleep 0.1
	done
}

[ "$(nproc)" = 1 ] || fail "run with one vCPU, not $(nproc)"
set -- $(klist)
say "loaded: armed $(js armed), armings $(js armings), $2 of $1 kprobes disabled"
[ "$(js armed)" = false ] && [ "$(js armings)" = 0 ] || fail "armed at load on one vCPU: $(cowprobe status)"
[ "$1" -gt 0 ] && [ "$2" = "$1" ] || fail "$2 of $1 kprobes disabled at load: $(ours)"

cowprobe stat --json -o /tmp/arm-stat.json -- sh -c 'grep -c DISABLED /sys/kernel/debug/kprobes/list >/tmp/arm-in; true' ||
	fail "cowprobe stat"
grep -q '"copies": [1-9]' /tmp/arm-stat.json || fail "no copies counted: $(cat /tmp/arm-stat.json)"
idle || fail "still armed 10 s after the stat"
set -- $(klist)
say "inside stat: $(cat /tmp/arm-in) disabled; after: armed $(js armed), armings $(js armings), $2 of $1 disabled"
[ "$(cat /tmp/arm-in)" = 0 ] || fail "a kprobe disabled while a tree was watched"
[ "$(js armings)" = 1 ] && [ "$2" = "$1" ] || fail "not disarmed after the stat: $(ours)"

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
say PASS
