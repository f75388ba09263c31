#!/bin/sh
# cowprobe stats while a watched tree forks and exits as fast as it can: every
# dump of the tracked tasks is interrupted by that churn now and then
# (NLM_F_DUMP_INTR), and the library must retry until one goes through, not
# fail with "Interrupted system call".
set -u
N=${STATS_BUSY_COUNT:-2000} # under max_procs (4096), exited records included
out=/tmp/70-stats-busy
mkdir -p "$out"
rm -f "$out/enough" "$out/churned"
say() { echo "70-stats-busy: $*"; }
. "$(dirname "$0")/wait.lib"

# N processes, then more in bursts of 100 until the reads below have had 3
# during the churn (3,500 in all at most: with their exited records still
# under max_procs)
cat >"$out/churn.sh" <<EOF
cowprobe-forkburst --count $N --jobs 8 || exit 1
n=$N
while [ ! -e $out/enough ] && [ \$n -lt 3500 ]; do
	cowprobe-forkburst --count 100 --jobs 8 || exit 1
	n=\$((n + 100))
done
echo \$n >$out/churned
EOF
cowprobe stat --json -- sh "$out/churn.sh" >"$out/stat.json" 2>"$out/stat.err" &
spid=$!
churning() { cowprobe stats 2>/dev/null | grep -q cpburst; }
wait_for 30 churning || say "no cpburst process in a dump within 30 s"
reads=0 failed=0
while kill -0 "$spid" 2>/dev/null; do
	if cowprobe stats >/dev/null 2>"$out/stats.err"; then
		reads=$((reads + 1))
		[ "$reads" = 3 ] && : >"$out/enough"
	else
		failed=$((failed + 1))
		say "cowprobe stats failed: $(cat "$out/stats.err")"
	fi
done
wait "$spid"
rc=$?
churned=$(cat "$out/churned" 2>/dev/null)
say "$reads reads of ${churned:-?} churning processes, $failed failed; stat exit $rc"
[ "$rc" = 0 ] || { say "FAIL: cowprobe stat: $(cat "$out/stat.err")"; exit 1; }
[ "$reads" -ge 3 ] || { say "FAIL: only $reads reads while $churned processes churned"; exit 1; }
[ "$failed" = 0 ] || { say "FAIL: $failed reads failed"; exit 1; }
# every child was counted (the bursts' parents keep their own comm)
procs=$(grep -c '"comm": "cpburst"' "$out/stat.json")
[ "$procs" = "$churned" ] || { say "FAIL: $procs cpburst processes in stat's JSON, want $churned"; exit 1; }
