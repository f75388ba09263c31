#!/bin/sh
# cowprobe stats while a watched tree forks and exits as fast as it can: every
# dump of the tracked tasks is interrupted by that churn now and then
# (NLM_F_DUMP_INTR), and the library must retry until one goes through, not
# fail with "Interrupted system call".
set -u
N=${STATS_BUSY_COUNT:-2000} # under max_procs (4096), exited records included
out=/tmp/70-stats-busy
mkdir -p "$out"
say() { echo "70-stats-busy: $*"; }

cowprobe stat --json -- cowprobe-forkburst --count "$N" --jobs 8 >"$out/stat.json" 2>"$out/stat.err" &
spid=$!
sleep 1
reads=0 failed=0
while kill -0 "$spid" 2>/dev/null; do
	if cowprobe stats >/dev/null 2>"$out/stats.err"; then
		reads=$((reads + 1))
	else
		failed=$((failed + 1))
		say "cowprobe stats failed: $(cat "$out/stats.err")"
	fi
done
wait "$spid"
rc=$?
say "$reads reads of $N churning processes, $failed failed; stat exit $rc"
[ "$rc" = 0 ] || { say "FAIL: cowprobe stat: $(cat "$out/stat.err")"; exit 1; }
# a bound, not a count: how many reads fit in the burst depends on speed, but
# a burst this long always has room for some
[ "$reads" -ge 3 ] || { say "FAIL: only $reads reads during the burst"; exit 1; }
[ "$failed" = 0 ] || { say "FAIL: $failed reads failed"; exit 1; }
# every child was counted (the burst's parent keeps its own comm)
procs=$(grep -c '"comm": "cpburst"' "$out/stat.json")
[ "$procs" = "$N" ] || { say "FAIL: $procs cpburst processes in stat's JSON, want $N"; exit 1; }
