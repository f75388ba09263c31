#!/bin/sh
# Loaded and idle, the module's kprobes are disabled (the kernel's own list,
# /sys/kernel/debug/kprobes/list, says [DISABLED]); a WATCH arms them before
# its first record, track_all=1 arms them, and they are disarmed again when
# the last tracked thread is gone. STATUS reports armed and armings, and the
# bytes of one process and one thread record, which times max_procs and
# max_threads must be what the module said it preallocated at load.
set -u
say() { echo "87-arming: $*"; }
fail() {
	say "FAIL: $*"
	exit 1
}
armed() { cowprobe status --json | sed -n 's/.*"armed": \([a-z]*\).*/\1/p' | head -n 1; }
armings() { cowprobe status --json | sed -n 's/.*"armings": \([0-9]*\).*/\1/p' | head -n 1; }
# the kernel's list of the module's placed probes (by the symbols STATUS
# names), and how many of them it shows disabled
ours() {
	[ -r /sys/kernel/debug/kprobes/list ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
	for s in $(cowprobe status --json | sed -n 's/.*"symbol": "\([^"]*\)".*/\1/p'); do
		grep " $s+0x" /sys/kernel/debug/kprobes/list
	done
}
klist() {
	total=$(ours | grep -c .)
	off=$(ours | grep -c DISABLED)
	echo "${total:-0} ${off:-0}"
}
# disarming runs in a work item disarm_delay_ms (2 s) after the last thread
# record goes; wait up to 10 s
wait_idle() {
	i=0
	while [ "$(armed)" != false ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

rmmod cowprobe && insmod /lib/modules/cowprobe.ko || fail "reload"
[ "$(armed)" = false ] || fail "armed right after load, with nothing tracked: $(cowprobe status)"
set -- $(klist)
say "loaded, idle: armed $(armed), $1 kprobes of cowprobe listed, $2 disabled"
[ "$1" -gt 0 ] || fail "no kprobe of cowprobe in /sys/kernel/debug/kprobes/list"
[ "$1" = "$2" ] || fail "idle, but $(($1 - $2)) of $1 kprobes enabled: $(ours)"
a0=$(armings)

st=$(cowprobe status --json)
js() { echo "$st" | sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" | head -n 1; }
pb=$(js proc_bytes) tb=$(js thread_bytes) lp=$(js limit_procs) lt=$(js limit_threads)
kib=$(( (lp * pb + lt * tb) / 1024 ))
said=$(dmesg | sed -n 's/.*cowprobe: \([0-9]*\) KiB preallocated.*/\1/p' | tail -n 1)
say "records: $pb bytes per process, $tb per thread; $lp x $pb + $lt x $tb = $kib KiB, load said $said KiB"
[ "${pb:-0}" -gt 0 ] && [ "${tb:-0}" -gt 0 ] || fail "STATUS without record sizes: $st"
[ "$kib" = "$said" ] || fail "STATUS's record sizes give $kib KiB, the module preallocated $said KiB"
cowprobe status | grep -q "^memory: *$kib KiB preallocated" || fail "cowprobe status does not show the memory: $(cowprobe status)"

# a watched program sees the probes armed; its counts are whole
cowprobe stat --json -o /tmp/87-stat.json -- sh -c 'cowprobe status --json >/tmp/87-inside.json; grep -c DISABLED /sys/kernel/debug/kprobes/list >/tmp/87-disabled; true' ||
	fail "cowprobe stat"
inside=$(sed -n 's/.*"armed": \([a-z]*\).*/\1/p' /tmp/87-inside.json | head -n 1)
say "inside cowprobe stat: armed $inside, $(cat /tmp/87-disabled) kprobes disabled"
[ "$inside" = true ] || fail "not armed while a tree is watched"
[ "$(cat /tmp/87-disabled)" = 0 ] || fail "a kprobe still disabled while a tree is watched"
grep -q '"copies": [1-9]' /tmp/87-stat.json || fail "no copies counted under stat: $(cat /tmp/87-stat.json)"
wait_idle
set -- $(klist)
a1=$(armings)
say "after stat: armed $(armed), $2 of $1 disabled, armings $a0 -> $a1"
[ "$(armed)" = false ] || fail "still armed after the watched tree ended"
[ "$1" = "$2" ] || fail "idle again, but $(($1 - $2)) kprobes enabled"
[ "$a1" = $((a0 + 1)) ] || fail "armings rose by $((a1 - a0)), want 1"

# track_all from sysfs arms at once and disarms when cleared
echo 1 >/sys/module/cowprobe/parameters/track_all
[ "$(armed)" = true ] || fail "track_all=1 did not arm"
echo 0 >/sys/module/cowprobe/parameters/track_all
wait_idle
[ "$(armed)" = false ] || fail "track_all=0 left the probes armed"
say "track_all on/off: armed and disarmed"

# loaded with track_all=1: armed from the start
rmmod cowprobe && insmod /lib/modules/cowprobe.ko track_all=1 || fail "reload track_all=1"
[ "$(armed)" = true ] || fail "loaded with track_all=1 but not armed"
rmmod cowprobe && insmod /lib/modules/cowprobe.ko || fail "reload"
say PASS
