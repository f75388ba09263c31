#!/bin/sh
# The kernel's own mm selftests as a workload nobody here wrote: `cow` and
# `ksm_functional_tests` from linux-source-6.12, under `cowprobe stat` with
# huge pages reserved, then `cow` again with track_all on. Reported: their
# case counts, cowprobe's processes and copies, nmissed. Failed: a selftest
# that fails a case or has an error, exits non-zero, or passes fewer cases
# than it passes on this line (MM_MIN_PASS, from tests/stress/mm-min-pass:
# a case that stopped running is a loss too), a run cowprobe could not watch,
# nmissed rising, records left behind.
#
# MM_TRACK_ALL=with-stat: track_all is on during the runs under cowprobe
# stat, and cow does not run a third time. For the debug line, where KASAN
# makes one cow run take about 200 s: the module's paths are the same (a
# watched tree inside a machine tracked whole), in one run instead of two.
set -u
fail=0
t=/tmp/60-mm
mkdir -p "$t"
say() { echo "mm: $*"; }
bad() { say "FAIL: $*"; fail=1; }
nmissed() { cp-ctl status | tr ' ' '\n' | sed -n 's/^nmissed=//p'; }
. /root/stress/kselftest.lib
. /root/stress/wait.lib

command -v cow >/dev/null || { say "FAIL: the cow selftest is not in the guest (tests/stress/build-mm-selftests)"; exit 1; }
echo "${MM_HUGEPAGES:-128}" >/proc/sys/vm/nr_hugepages
say "huge pages: $(cat /proc/sys/vm/nr_hugepages) of $(($(grep Hugepagesize /proc/meminfo | awk '{print $2}') / 1024)) MiB; THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo none)"

with_stat=0
[ "${MM_TRACK_ALL:-}" = with-stat ] && with_stat=1
[ "$with_stat" = 1 ] && echo 1 >/sys/module/cowprobe/parameters/track_all
for test in cow ksm_functional_tests; do
	m0=$(nmissed)
	start=$(date +%s)
	cowprobe stat --json -o "$t/$test.json" -- "$test" >"$t/$test.out" 2>&1
	rc=$?
	m1=$(nmissed)
	tot=$(ksft_verdict "$test" "$t/$test.out" "$rc" "$(ksft_min_pass "$test")" 2>"$t/$test.why")
	verdict=$?
	procs=$(grep -c '"comm":' "$t/$test.json" 2>/dev/null)
	copies=$(sed -n '/^  "totals": {/,/^  }/s/^ *"copies": \([0-9]*\).*/\1/p' "$t/$test.json" 2>/dev/null)
	say "$test under cowprobe stat$([ "$with_stat" = 1 ] && echo ' with track_all on'): exit $rc in $(($(date +%s) - start))s; $tot; $procs processes, $copies copies; nmissed $m0 -> $m1"
	if [ "$verdict" != 0 ]; then
		bad "$(cat "$t/$test.why")"
		grep -a '^not ok' "$t/$test.out" | grep -v '# SKIP' | head -n 20
		[ -n "$tot" ] || tail -n 20 "$t/$test.out"
	fi
	[ "$m1" = "$m0" ] || bad "$test: nmissed rose"
	[ -s "$t/$test.json" ] || bad "$test: cowprobe stat wrote no report"
done

# cow again, every process tracked by track_all
if [ "$with_stat" = 0 ]; then
	echo 1 >/sys/module/cowprobe/parameters/track_all
	m0=$(nmissed)
	start=$(date +%s)
	cow >"$t/cow-all.out" 2>&1
	rc=$?
	m1=$(nmissed)
	tot=$(ksft_verdict "cow under track_all" "$t/cow-all.out" "$rc" "$(ksft_min_pass cow)" 2>"$t/cow-all.why")
	verdict=$?
	say "cow under track_all: exit $rc in $(($(date +%s) - start))s; $tot; $(cp-ctl status); nmissed $m0 -> $m1"
	[ "$verdict" = 0 ] || bad "$(cat "$t/cow-all.why")"
	[ "$m1" = "$m0" ] || bad "cow under track_all: nmissed rose"
fi
echo 0 >/sys/module/cowprobe/parameters/track_all
# the last processes tracked go as they exit, on their own time
wait_for 30 no_records
st=$(cp-ctl status)
if no_records; then
	say "no records left after ${waited_ms} ms"
else
	bad "[rule:track-all-left] records left 30 s after track_all went off and cow ended: $st"
	cowprobe stats 2>&1 | head -n 20
fi
echo 0 >/proc/sys/vm/nr_hugepages
[ "$fail" = 0 ] && say PASS || say FAIL
exit "$fail"
