#!/bin/sh
# cyclictest's max latency without the module, and with it while `cowprobe
# stats` dumps a watched tree of RT_TREE (default 4,096) idle processes in a
# loop and the tree is then unwatched. A report, not a bound: under TCG the
# guest's clock and scheduling are emulated, so both numbers are large and
# noisy; what matters is their comparison on one machine in one boot.
# Failed: cyclictest missing or not running, the tree not watched, the
# UNWATCH refused, records left behind.
set -u
fail=0
t=/tmp/70-rt
mkdir -p "$t"
n=${RT_TREE:-4096}
dur=${RT_SECONDS:-20}
say() { echo "rt: $*"; }
bad() { say "FAIL: $*"; fail=1; }
. "$(dirname "$0")/wait.lib"
# the largest "Max:" of cyclictest's per-thread summary lines
maxlat() { sed -n 's/.*Max: *\([0-9]*\).*/\1/p' "$1" | sort -n | tail -n 1; }
cyc() { cyclictest -m -q -p 90 -i 1000 -t "$(nproc)" -a -D "$dur" >"$1" 2>&1; }

command -v cyclictest >/dev/null || { say "FAIL: cyclictest is not in the guest"; exit 1; }
say "kernel $(uname -r), preempt: $(uname -v | grep -o 'PREEMPT[_A-Z]*' | head -n 1)"

rmmod cowprobe || { say "FAIL: rmmod"; exit 1; }
cyc "$t/off.txt"
off=$(maxlat "$t/off.txt")
say "without the module: max ${off:-?} us over ${dur}s"
[ -n "$off" ] || { bad "cyclictest gave no figures: $(head -n 5 "$t/off.txt")"; }

insmod /lib/modules/cowprobe.ko max_procs=$((n + 64)) || { say "FAIL: insmod max_procs=$((n + 64))"; insmod /lib/modules/cowprobe.ko; exit 1; }
start=$(date +%s)
cp-ctl crowd "$n" >"$t/crowd.out" &
i=0
until grep -q ready "$t/crowd.out" 2>/dev/null || [ $i -ge 1200 ]; do sleep 0.5; i=$((i + 1)); done
crowd=$(sed -n 's/^crowd \([0-9]*\) ready.*/\1/p' "$t/crowd.out")
[ -n "$crowd" ] || { bad "the tree did not start: $(cat "$t/crowd.out")"; exit 1; }
say "tree: $(cat "$t/crowd.out") in $(($(date +%s) - start))s; $(cp-ctl tree "$crowd")"

cyc "$t/on.txt" &
cpid=$!
sleep 1
dumps=0
end=$(($(date +%s) + dur / 2))
while [ "$(date +%s)" -lt "$end" ]; do
	cowprobe stats >/dev/null 2>&1 && dumps=$((dumps + 1))
done
cp-ctl unwatch "$crowd" >"$t/unwatch.out"
urc=$?
wait "$cpid"
on=$(maxlat "$t/on.txt")
say "with the module, $dumps dumps of $((n + 1)) records and an UNWATCH of the tree: max ${on:-?} us over ${dur}s ($(tr '\n' ' ' <"$t/unwatch.out"))"
[ "$urc" = 0 ] || bad "UNWATCH of the tree: $(cat "$t/unwatch.out")"
[ -n "$on" ] || bad "cyclictest gave no figures with the module"
[ "$dumps" -gt 0 ] || bad "no dump went through"
kill "$crowd"
wait
# the crowd's children end after their parent, on their own time
wait_for 30 no_records
st=$(cp-ctl status)
no_records || bad "records left 30 s after the tree was killed: $st"
say "no records left after ${waited_ms} ms"
say "cyclictest max latency: without the module ${off:-?} us, with it (dumps + UNWATCH of a $n-process tree) ${on:-?} us"
rmmod cowprobe && insmod /lib/modules/cowprobe.ko || bad "reload with the defaults"
[ "$fail" = 0 ] && say PASS || say FAIL
exit "$fail"
