#!/bin/sh
# Process lifecycle edge cases: exec in a watched tree, pid reuse (pid_max
# lowered so a fork burst wraps it, and a watched process's pid given to an
# untracked one), threads ending out of order (reverse, and the leader
# first), and a watched root that is a thread, not a process.
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
pid_max0=$(cat /proc/sys/kernel/pid_max)
echo 400 >/proc/sys/kernel/pid_max || say "cannot lower pid_max"
cowprobe stat --json -o "$t/reuse.json" -- cowprobe-forkburst --count 1000 --jobs 8 >/dev/null
rc=$?
echo "$pid_max0" >/proc/sys/kernel/pid_max
n=$(grep -c '"comm": "cpburst"' "$t/reuse.json")
# process objects' own keys are at indent 6 (threads name theirs "tid")
distinct=$(grep '^      "pid": ' "$t/reuse.json" | sort -u | wc -l)
say "pid reuse: stat exit $rc, $n cpburst records over $distinct distinct pids (pid_max 400)"
[ "$rc" = 0 ] || bad "pid reuse: cowprobe stat exit $rc"
[ "$n" = 1000 ] || bad "pid reuse: $n records, want 1000 (a record lost or merged on a reused pid)"
[ "$distinct" -lt 1000 ] || say "note: no pid was reused"

# pid reuse, forced: a watched process exits (its record stays until the
# watch ends), then an untracked process is made to get its pid (pid_max 400
# again; forks until one lands on it: ns_last_pid needs CHECKPOINT_RESTORE,
# which the debug line lacks) and forks and writes. Neither the tree nor
# the module's count of records may change while it lives or when it exits.
rm -f "$t/hold" "$t/hold2" "$t/old.pid" "$t/new.pid"
old=""
mkfifo "$t/hold" "$t/hold2"
echo 400 >/proc/sys/kernel/pid_max || say "cannot lower pid_max"
sh -c 'read x <"$1"; sh -c "echo \$\$ >$2; (:)"; read x <"$1"' - "$t/hold" "$t/old.pid" &
root=$!
cp-ctl watch "$root" children >"$t/reuse-watch.out" || bad "pid reuse: $(cat "$t/reuse-watch.out")"
echo >"$t/hold"
# old_gone: the watched child wrote its pid (old) and has exited
old_gone() { [ -s "$t/old.pid" ] && old=$(cat "$t/old.pid") && [ ! -e "/proc/$old" ]; }
wait_for 60 old_gone || { bad "pid reuse: the watched child did not come and go within 60 s"; old=""; }
tree0=$(cp-ctl tree "$root") n0=$(cp-ctl status | awk '{ print $1 }')
new="" tries=0
while [ -n "$old" ] && [ $tries -lt 1000 ]; do
	tries=$((tries + 1))
	sh -c '[ $$ = "$1" ] || exit 0
		printf cpreuse >/proc/self/comm
		i=0; while [ $i -lt 20 ]; do (:) & wait; i=$((i + 1)); done
		echo $$ >"$2"; read x <"$3"' - "$old" "$t/new.pid" "$t/hold2" &
	new=$!
	[ "$new" = "$old" ] && break
	wait "$new"
	new=""
done
echo "$pid_max0" >/proc/sys/kernel/pid_max
if [ -z "$new" ]; then
	bad "pid reuse: pid $old not given again in $tries forks (pid_max 400)"
else
	wait_for 60 test -s "$t/new.pid" ||
		bad "pid reuse: the untracked process on pid $old did not get going within 60 s"
	tree1=$(cp-ctl tree "$root") n1=$(cp-ctl status | awk '{ print $1 }')
	echo >"$t/hold2"
	wait "$new"
	tree2=$(cp-ctl tree "$root") n2=$(cp-ctl status | awk '{ print $1 }')
	say "pid reuse forced: pid $old watched, then untracked after $tries forks; tree: $tree0 / alive: $tree1 / exited: $tree2; module: $n0 / $n1 / $n2"
	[ "$tree1" = "$tree0" ] && [ "$tree2" = "$tree0" ] ||
		bad "pid reuse: the watched tree changed while an untracked process had pid $old"
	[ "$n1" = "$n0" ] && [ "$n2" = "$n0" ] || bad "pid reuse: the untracked process on pid $old got a record"
fi
echo >"$t/hold"
wait "$root"
cp-ctl unwatch "$root" >/dev/null || bad "pid reuse: unwatch $root"

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
