#!/bin/sh
# Process lifecycle edge cases: exec in a watched tree, pid reuse (pid_max
# lowered so a fork burst wraps it), threads ending out of order (reverse, and
# the leader first), and a watched root that is a thread, not a process.
set -u
fail=0
t=/tmp/30-lifecycle
mkdir -p "$t"
say() { echo "lifecycle: $*"; }
bad() { say "FAIL: $*"; fail=1; }
. "$(dirname "$0")/wait.lib"
st() { cp-ctl status | awk '{ print $1, $2 }'; }
base=$(st)

# exec: one record, the exit status of the new image
cowprobe stat --json -o "$t/exec.json" -- sh -c 'exec sh -c "x=1; exit 7"'
rc=$?
n=$(grep -c '"pid":' "$t/exec.json")
say "exec: exit $rc, $n process records"
[ "$rc" = 7 ] || bad "exec: exit status $rc, want 7"
[ "$n" = 1 ] || bad "exec: $n process records, want 1"

# pid reuse: 1,000 processes through a pid space of 400
old=$(cat /proc/sys/kernel/pid_max)
echo 400 >/proc/sys/kernel/pid_max || say "cannot lower pid_max"
cowprobe stat --json -o "$t/reuse.json" -- cowprobe-forkburst --count 1000 --jobs 8 >/dev/null
rc=$?
echo "$old" >/proc/sys/kernel/pid_max
n=$(grep -c '"comm": "cpburst"' "$t/reuse.json")
# process objects' own keys are at indent 6 (threads name theirs "tid")
distinct=$(grep '^      "pid": ' "$t/reuse.json" | sort -u | wc -l)
say "pid reuse: stat exit $rc, $n cpburst records over $distinct distinct pids (pid_max 400)"
[ "$rc" = 0 ] || bad "pid reuse: cowprobe stat exit $rc"
[ "$n" = 1000 ] || bad "pid reuse: $n records, want 1000 (a record lost or merged on a reused pid)"
[ "$distinct" -lt 1000 ] || say "note: no pid was reused"

# threads ending in reverse order, then with the leader first
for mode in reverse leader-first; do
	arg=""
	[ "$mode" = leader-first ] && arg=leader-first
	cp-ctl threads 24 $arg >"$t/threads-$mode.out"
	rc=$?
	sed "s/^/lifecycle: threads $mode: /" "$t/threads-$mode.out"
	[ "$rc" = 0 ] || bad "threads $mode: cp-ctl exit $rc"
	grep -q '^after the last thread: records=1 partial=0 exited=1' "$t/threads-$mode.out" ||
		bad "threads $mode: the record did not end as one exited, complete process"
done

# a thread's id given to WATCH as the root
cp-ctl thread-root >"$t/thread-root.out"
rc=$?
sed 's/^/lifecycle: /' "$t/thread-root.out"
[ "$rc" = 0 ] || bad "[rule:thread-root] a WATCH of a thread id must be refused, or undone by an UNWATCH of the same id, and leave no record"
if grep -q '^watch of a thread id as root: ok' "$t/thread-root.out"; then
	say "thread-root: WATCH accepted a thread id"
else
	grep -q 'extack ""' "$t/thread-root.out" && bad "thread-root: refused without an extack message"
fi

# the threads' processes end on their own time: up to 30 s
at_base() { [ "$(st)" = "$base" ]; }
wait_for 30 at_base
now=$(st)
say "records before: $base, after: $now (nr_procs nr_threads), ${waited_ms} ms after the last test"
[ "$now" = "$base" ] || bad "records not back to the baseline after 30 s"
[ "$fail" = 0 ] && say PASS || say FAIL
exit "$fail"
