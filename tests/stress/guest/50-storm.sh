#!/bin/sh
# Unload and reload under a fork storm: STORM_CYCLES (default 100) rmmod +
# insmod of cowprobe.ko while untracked shell loops fork, a watched
# `cowprobe stat` tree forks (restarted whenever the module took it away),
# `cowprobe top --batch` and `cowprobe stats` read, and every other cycle
# loads with track_all=1. The CLI failing while the module is away is
# expected; the kernel staying clean (checked by the suite and by init after
# the last rmmod) and a working module at the end are the test. So is the
# CLI between unloads: a stat that exits 0 must report its whole tree (21
# processes, none partial, copies counted), and every 10th cycle waits (up
# to 120 s) for one such stat before it unloads again, so at least one in
# ten cycles has a stat through. Not one per cycle: a stat outlasts the
# 0.1 s a cycle leaves the module loaded, and waiting in every cycle would
# make every unload land just after a finished stat.
set -u
cycles=${STORM_CYCLES:-100}
t=/tmp/50-storm
mkdir -p "$t"
say() { echo "storm: $*"; }
. "$(dirname "$0")/wait.lib"
# stat_through: a stat got through since the cycle's insmod (oks: the count before)
stat_through() { [ "$(grep -c '^ok' "$t/stat.log")" -gt "$oks" ]; }
: >"$t/stat.log"

# untracked fork storm
(while :; do sh -c ':' & sh -c ':' & wait; done) >/dev/null 2>&1 &
bg="$!"
# a watched tree forking: restarted after each unload. ok: exit 0 and the
# report right (the JSON's process keys are at indent 6, totals' at 4);
# wrong: exit 0 with a report that is not.
(while :; do
	rm -f "$t/stat.json"
	if cowprobe stat --json -o "$t/stat.json" -- \
		sh -c 'i=0; while [ $i -lt 20 ]; do (:) & wait; i=$((i + 1)); done' >/dev/null 2>&1; then
		n=$(grep -c '^      "pid": ' "$t/stat.json" 2>/dev/null)
		partial=$(grep -c '"partial": true' "$t/stat.json" 2>/dev/null)
		copies=$(sed -n '/^  "totals"/,/^  }/s/^    "copies": \([0-9]*\).*/\1/p' "$t/stat.json" 2>/dev/null)
		if [ "$n" = 21 ] && [ "$partial" = 0 ] && [ "${copies:-0}" -gt 0 ]; then
			echo ok
		else
			echo "wrong: $n processes, $partial partial, ${copies:-no} copies"
			cp "$t/stat.json" "$t/wrong.json" 2>/dev/null
		fi
	else
		echo failed
	fi
done) >>"$t/stat.log" 2>/dev/null &
bg="$bg $!"
(while :; do cowprobe top --batch --interval 0.2 --iterations 50 >/dev/null 2>&1 || sleep 0.2; done) &
bg="$bg $!"
(while :; do cowprobe stats >/dev/null 2>&1; cowprobe status >/dev/null 2>&1 || sleep 0.1; done) &
bg="$bg $!"

start=$(date +%s)
busy=0 done_cycles=0 fail=0 waits=0
i=1
while [ $i -le "$cycles" ]; do
	tries=0
	until rmmod cowprobe 2>/dev/null; do
		busy=$((busy + 1))
		tries=$((tries + 1))
		[ $tries -lt 50 ] || { say "FAIL: rmmod refused 50 times in cycle $i"; fail=1; break 2; }
		sleep 0.05
	done
	args=""
	[ $((i % 2)) = 0 ] && args="track_all=1"
	oks=$(grep -c '^ok' "$t/stat.log")
	insmod /lib/modules/cowprobe.ko $args || { say "FAIL: insmod $args in cycle $i"; fail=1; break; }
	sleep 0.1
	if [ $((i % 10)) = 0 ]; then
		wait_for 120 stat_through ||
			{ say "FAIL: no cowprobe stat got through within 120 s of cycle $i's insmod"; fail=1; break; }
		waits=$((waits + 1))
	fi
	done_cycles=$i
	[ $((i % 10)) = 0 ] && say "cycle $i, $(($(date +%s) - start))s"
	i=$((i + 1))
done
took=$(($(date +%s) - start))
# shellcheck disable=SC2086
kill $bg 2>/dev/null
# the loops' last children (a stat tree, a top) end on their own
wait
i=0
while pidof cowprobe >/dev/null && [ $i -lt 60 ]; do sleep 0.5; i=$((i + 1)); done
grep -q '^cowprobe ' /proc/modules || insmod /lib/modules/cowprobe.ko || fail=1
echo 0 >/sys/module/cowprobe/parameters/track_all 2>/dev/null
ok=$(grep -c '^ok' "$t/stat.log")
failed=$(grep -c '^failed' "$t/stat.log")
wrong=$(grep -c '^wrong' "$t/stat.log")
say "$done_cycles of $cycles unload/reload cycles in ${took}s; rmmod busy $busy times; cowprobe stat under the storm: $ok ran through with a right report, $failed cut off by an unload, $wrong exited 0 with a wrong one"
[ "$wrong" = 0 ] || { say "FAIL: cowprobe stat exited 0 with a wrong report: $(grep -m 1 '^wrong' "$t/stat.log"): $(head -c 600 "$t/wrong.json")"; fail=1; }
[ "$ok" -ge "$waits" ] && [ "$ok" -ge $((cycles / 10)) ] ||
	{ say "FAIL: $ok stats through in $cycles cycles, want one every 10th cycle at least ($((cycles / 10)))"; fail=1; }
cowprobe status >"$t/status.txt" 2>&1 || { say "FAIL: cowprobe status after the storm: $(cat "$t/status.txt")"; fail=1; }
cowprobe stat -- sh -c ':' 2>"$t/final-stat.txt" || { say "FAIL: cowprobe stat after the storm"; fail=1; }
st=$(cp-ctl status)
say "after: $st"
case "$st" in nr_procs=0\ nr_threads=0\ *) ;; *) say "FAIL: records left after the storm"; fail=1 ;; esac
[ "$done_cycles" = "$cycles" ] || fail=1
[ "$fail" = 0 ] && say PASS || say FAIL
exit "$fail"
