#!/bin/sh
# Each limit at its cap: the module reloaded with max_procs=8 max_threads=16
# max_regions=2, then with maxactive=1. Refusals counted in STATUS, trees marked
# partial, region requests refused with a message, and nothing left after
# the trees are unwatched. Reloaded with the defaults at the end.
set -u
fail=0
t=/tmp/40-limits
mkdir -p "$t"
say() { echo "limits: $*"; }
bad() { say "FAIL: $*"; fail=1; }
. "$(dirname "$0")/wait.lib"
val() { cp-ctl status | tr ' ' '\n' | sed -n "s/^$1=//p"; }

rmmod cowprobe || { say "FAIL: rmmod"; exit 1; }
insmod /lib/modules/cowprobe.ko max_procs=8 max_threads=16 max_regions=2 ||
	{ say "FAIL: insmod with small limits"; insmod /lib/modules/cowprobe.ko; exit 1; }
cp-ctl status | sed 's/^/limits: start: /'

# max_procs: a watched root with 20 children
rp0=$(val refused_procs)
cp-ctl crowd 20 >"$t/crowd.out" &
i=0
until grep -q ready "$t/crowd.out" 2>/dev/null || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
crowd=$(sed -n 's/^crowd \([0-9]*\) ready.*/\1/p' "$t/crowd.out")
[ -n "$crowd" ] || bad "crowd did not start: $(cat "$t/crowd.out")"
tree=$(cp-ctl tree "$crowd")
rp1=$(val refused_procs)
say "max_procs=8: 21 processes: $tree; refused_procs $rp0 -> $rp1"
[ "$((rp1 - rp0))" -ge 13 ] || bad "max_procs: refused_procs rose by $((rp1 - rp0)), want >= 13"
case "$tree" in records=[0-8]\ *) ;; *) bad "max_procs: more records than the cap: $tree" ;; esac
case "$tree" in *partial=0*) bad "[rule:partial-on-refused-proc] no record of the tree marked partial though 13 of its processes were refused" ;; esac

# max_regions: two accepted, the third refused with a message
for n in 1 2 3; do
	cp-ctl region "$crowd" $((n * 65536)) $((n * 65536 + 4096)) "r$n" >"$t/region$n.out"
	echo "$?" >>"$t/region$n.out"
	say "max_regions=2: region $n: $(head -n 1 "$t/region$n.out")"
done
[ "$(tail -n 1 "$t/region1.out")$(tail -n 1 "$t/region2.out")" = 00 ] || bad "max_regions: the first two regions refused"
grep -q 'extack "[^"]' "$t/region3.out" && [ "$(tail -n 1 "$t/region3.out")" != 0 ] ||
	bad "max_regions: the third region not refused with a message"
kill "$crowd"
wait
cp-ctl unwatch "$crowd" >/dev/null

# max_threads: a process with 30 threads
rt0=$(val refused_threads)
cp-ctl threads 30 >"$t/threads.out"
rt1=$(val refused_threads)
sed 's/^/limits: max_threads=16: /' "$t/threads.out"
say "max_threads=16: refused_threads $rt0 -> $rt1"
[ "$((rt1 - rt0))" -ge 15 ] || bad "max_threads: refused_threads rose by $((rt1 - rt0)), want >= 15"
grep -q '^while running: records=1 partial=1' "$t/threads.out" || bad "max_threads: the process not marked partial"

# maxactive=1: writers at once. do_wp_page is a plain kprobe (no instances),
# so maxactive bounds only the huge-page kretprobes: the 4 KiB writers stay
# exact and no probe misses. Alone: with max_procs=8 the writers' tree (6
# records) would fold its exited writers into the root, whose region counts
# it does not keep.
rmmod cowprobe || bad "rmmod before maxactive=1"
insmod /lib/modules/cowprobe.ko maxactive=1 || bad "insmod maxactive=1"
cp-writers --procs 4 --threads 4 --pages 32 >"$t/writers.out"
wrc=$?
sed 's/^/limits: maxactive=1: /' "$t/writers.out"
[ "$wrc" = 0 ] || bad "maxactive=1: the writers' counts are not exact, or a probe missed"
wait_for 30 no_records
left=$(cp-ctl status)
say "after (${waited_ms} ms): $left"
no_records || bad "records left 30 s after every tree was unwatched: $left"
rmmod cowprobe || bad "rmmod after the limits"
insmod /lib/modules/cowprobe.ko || { say "FAIL: insmod with the defaults"; exit 1; }
[ "$fail" = 0 ] && say PASS || say FAIL
exit "$fail"
