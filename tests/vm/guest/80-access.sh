#!/bin/sh
# Who may see and change what (README "Safety"): a user without
# CAP_NET_ADMIN sees only the records of processes it could ptrace, cannot
# join the exit records' group, changes tracking only in lab mode
# (unprivileged=1) and within max_user_procs; pids are read and written in
# the caller's pid namespace.
set -u
out=/tmp/80-access
mkdir -p "$out"
chmod 1777 "$out"
say() { echo "80-access: $*"; }
fail() {
	say "FAIL: $*"
	echo 0 >/sys/module/cowprobe/parameters/unprivileged
	exit 1
}
params=/sys/module/cowprobe/parameters
grep -q '^nobody:' /etc/passwd 2>/dev/null || echo 'nobody:x:65534:65534:nobody:/tmp:/bin/sh' >>/etc/passwd
grep -q '^nogroup:' /etc/group 2>/dev/null || echo 'nogroup:x:65534:' >>/etc/group
as_nobody() { su -s /bin/sh nobody -c "$*"; }
. "$(dirname "$0")/wait.lib"

# 1. a tree root watches is invisible to nobody, in a dump and by pid
cowprobe stat -o "$out/root.txt" -- sleep 600 &
spid=$!
# until stat has forked it and its record is there (a loaded debug guest
# can take seconds); killed below once nobody has been refused
watched_sleep() { cowprobe stats --json 2>/dev/null | grep -q '"comm": "sleep"'; }
wait_for 30 watched_sleep || fail "no watched sleep after 30 s"
victim=$(pidof sleep | cut -d' ' -f1)
[ -n "$victim" ] || fail "no watched sleep found"
cowprobe stats --json >"$out/stats-root.json" || fail "stats as root"
grep -q '"comm": "sleep"' "$out/stats-root.json" || fail "root does not see the watched sleep"
as_nobody "cowprobe stats --json" >"$out/stats-nobody.json" 2>"$out/stats-nobody.err" ||
	fail "stats as nobody: $(cat "$out/stats-nobody.err")"
grep -q '"comm": "sleep"' "$out/stats-nobody.json" && fail "nobody sees root's process in a dump"
if as_nobody "cowprobe stats --pid $victim" >"$out/get.txt" 2>"$out/get.err"; then
	fail "nobody read root's process $victim by pid"
fi
grep -q 'not tracked' "$out/get.err" || fail "GET of root's process: want 'not tracked', got: $(cat "$out/get.err")"
say "a dump as nobody lists none of root's records; GET of pid $victim answers: $(cat "$out/get.err")"
kill "$victim"
wait "$spid"

# 2. outside lab mode nobody changes nothing, and is told what to do
echo 0 >"$params/unprivileged"
if as_nobody "cowprobe stat -- true" 2>"$out/stat-denied.err"; then
	fail "nobody could watch without lab mode"
fi
grep -q 'unprivileged=1' "$out/stat-denied.err" || fail "refusal does not say how: $(cat "$out/stat-denied.err")"
say "stat as nobody without lab mode: $(cat "$out/stat-denied.err")"

# 3. the exit records' group is for administrators
as_nobody "cowprobed --journal $out/nb.jsonl --socket $out/nb.sock" 2>"$out/daemon.err" &
dpid=$!
# it logs the refusal and waits for the module (or dies): up to 30 s
refused_or_gone() { grep -q 'Operation not permitted' "$out/daemon.err" || ! kill -0 "$dpid" 2>/dev/null; }
wait_for 30 refused_or_gone
kill "$dpid" 2>/dev/null
wait "$dpid" 2>/dev/null
grep -q 'Operation not permitted' "$out/daemon.err" ||
	fail "cowprobed as nobody joined the exits group: $(cat "$out/daemon.err")"
say "cowprobed as nobody: $(grep -m1 'exits' "$out/daemon.err")"

# 4. lab mode: nobody measures its own program, exactly as root would
echo 1 >"$params/unprivileged"
as_nobody "cowprobe stat --json -o $out/lab.json -- cowprobe-workload child-writes --pages 64 --writes 16" ||
	fail "stat as nobody in lab mode"
n=$(grep -c '"pid":' "$out/lab.json")
[ "$n" -ge 2 ] || fail "lab-mode stat listed $n processes, want parent and child"
status=$(cowprobe status --json)
echo "$status" | grep -q '"unprivileged": true' || fail "STATUS does not show lab mode"
say "lab mode: nobody's stat of child-writes listed $n processes"

# 5. the per-user limit: a tree past it is marked partial, refusals counted
before=$(cowprobe status --json | sed -n 's/.*"refused_procs": \([0-9]*\).*/\1/p')
echo 4 >"$params/max_user_procs"
as_nobody "cowprobe stat --json -o $out/limit.json -- cowprobe-forkburst --count 10 --jobs 1" ||
	fail "stat as nobody at the limit"
after=$(cowprobe status --json | sed -n 's/.*"refused_procs": \([0-9]*\).*/\1/p')
echo 256 >"$params/max_user_procs"
procs=$(grep -c '"pid":' "$out/limit.json")
[ "$procs" -le 4 ] || fail "$procs records for a user limited to 4"
grep -q '"partial": true' "$out/limit.json" || fail "the tree past the user limit is not marked partial"
[ "$((after - before))" -ge 7 ] || fail "refused_procs rose by $((after - before)), want >= 7 (11 processes, 4 allowed)"
say "max_user_procs=4: $procs records, tree partial, $((after - before)) refused"
echo 0 >"$params/unprivileged"

# 6. a pid namespace: stat works there and shows its pids
unshare -pf --mount-proc cowprobe stat --json -o "$out/ns.json" -- \
	cowprobe-workload child-writes --pages 64 --writes 16 || fail "stat in a pid namespace"
pids=$(sed -n 's/.*"pid": \([0-9]*\).*/\1/p' "$out/ns.json" | tr '\n' ' ')
n=$(echo $pids | wc -w)
[ "$n" = 2 ] || fail "stat in a pid namespace listed $n processes ($pids), want 2"
for p in $pids; do
	[ "$p" -gt 0 ] && [ "$p" -lt 100 ] || fail "pid $p is not the namespace's (want small pids): $pids"
done
copies=$(sed -n 's/.*"copies": \([0-9]*\).*/\1/p' "$out/ns.json" | sort -n | tail -n 1)
[ "$copies" -ge 16 ] || fail "the child copied $copies pages in the namespace, want >= 16"
say "in a pid namespace: processes $pids, the child's copies $copies (>= 16 written)"
say "ok"
