#!/bin/sh
# Who may see and change what (README "Safety"): a user without
# CAP_NET_ADMIN sees only the records of processes it could ptrace, cannot
# join the exit records' group, changes tracking only in lab mode
# (unprivileged=1), within max_user_procs and, for UNWATCH, RESET and
# REGION_ADD, on trees it watched itself; a non-dumpable process of its uid
# stays hidden; root of a user namespace is not root here; pids are read and
# written in the caller's pid namespace (a parent outside reads 0); the
# family lives in the initial network namespace only.
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
# the shell su starts writes its pid and execs the daemon: that pid is the
# daemon's (su's, which $! gives, is not: killing it left the daemon running
# past the part, and a second run in the same boot found its socket taken)
rm -f "$out/nb.pid"
as_nobody "echo \$\$ >$out/nb.pid; exec cowprobed --journal $out/nb.jsonl --socket $out/nb.sock" 2>"$out/daemon.err" &
su_job=$!
wait_for 30 test -s "$out/nb.pid" || fail "nobody's cowprobed did not start"
dpid=$(cat "$out/nb.pid")
# it logs the refusal and waits for the module (or dies): up to 30 s
refused_or_gone() { grep -q 'Operation not permitted' "$out/daemon.err" || ! kill -0 "$dpid" 2>/dev/null; }
wait_for 30 refused_or_gone
kill "$dpid" 2>/dev/null
# gone: exited (a zombie until the wait below reaps it)
gone() { ! grep -qs '^State:[[:space:]]*[^Z]' "/proc/$dpid/status"; }
wait_for 30 gone || fail "nobody's cowprobed ($dpid) outlived its kill"
wait "$su_job" 2>/dev/null
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
# 7. root of a user namespace is not root here: uid 0 there, but no
# CAP_NET_ADMIN in the initial user namespace, so no watch without lab mode
[ "$(unshare -Ur id -u 2>&1)" = 0 ] || fail "unshare -Ur gives no root of a user namespace: $(unshare -Ur id -u 2>&1)"
if unshare -Ur cowprobe stat -- true 2>"$out/userns.err"; then
	fail "root of a user namespace could watch without lab mode"
fi
grep -q 'CAP_NET_ADMIN' "$out/userns.err" || fail "root of a user namespace: want a refusal, got: $(cat "$out/userns.err")"
say "stat as root of a user namespace: $(cat "$out/userns.err")"

# 8. nobody's two processes in root's tree: the dumpable one is seen, the
# one nobody could not ptrace (not dumpable: its program is not readable by
# nobody) stays hidden
mkdir -p "$out/nd"
cp /bin/busybox "$out/nd/sleep"
chmod 0711 "$out/nd/sleep"
rm -f "$out/d.pid" "$out/nd.pid"
cowprobe stat -o "$out/nd.txt" -- su -s /bin/sh nobody -c \
	"sleep 600 & echo \$! >$out/d.pid; $out/nd/sleep 601 & echo \$! >$out/nd.pid; wait" &
spid=$!
# until both have exec'd (asleep in sleep) and root sees their records
i=0
until [ -s "$out/nd.pid" ] && [ -s "$out/d.pid" ] &&
	d=$(cat "$out/d.pid") && nd=$(cat "$out/nd.pid") &&
	[ "$(cut -d' ' -f3 "/proc/$d/stat" 2>/dev/null)" = S ] &&
	[ "$(cut -d' ' -f3 "/proc/$nd/stat" 2>/dev/null)" = S ] &&
	cowprobe stats --json >"$out/nd-root.json" 2>&1 &&
	grep -q "\"pid\": $d," "$out/nd-root.json" && grep -q "\"pid\": $nd," "$out/nd-root.json"; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "nobody's two sleeps in root's tree not seen by root after 30 s"
	sleep 0.1
done
as_nobody "cat /proc/$d/environ" >/dev/null 2>&1 || fail "nobody cannot read its dumpable sleep's environ"
as_nobody "cat /proc/$nd/environ" >/dev/null 2>&1 &&
	fail "nobody reads the 0711 sleep's environ: it is dumpable, the test proves nothing"
as_nobody "cowprobe stats --json" >"$out/nd-nobody.json" 2>&1 || fail "stats as nobody: $(cat "$out/nd-nobody.json")"
grep -q "\"pid\": $d," "$out/nd-nobody.json" || fail "nobody does not see its own dumpable process $d"
grep -q "\"pid\": $nd," "$out/nd-nobody.json" && fail "nobody sees its non-dumpable process $nd in a dump"
as_nobody "cowprobe stats --pid $d" >/dev/null 2>&1 || fail "nobody cannot read its dumpable process $d by pid"
as_nobody "cowprobe stats --pid $nd" >/dev/null 2>"$out/nd-get.err" && fail "nobody read its non-dumpable process $nd by pid"
grep -q 'not tracked' "$out/nd-get.err" || fail "GET of the non-dumpable $nd: want 'not tracked', got: $(cat "$out/nd-get.err")"
say "nobody sees its dumpable $d in root's tree, not its non-dumpable $nd (dump and GET)"

# 9. lab mode: UNWATCH, RESET and REGION_ADD only on trees the caller
# watched itself: refused on root's tree (its root, nobody's shell, and $d
# are nobody's and visible), done on a tree nobody watches
echo 1 >"$params/unprivileged"
r=$(cut -d' ' -f4 "/proc/$d/stat")
for req in "unwatch $r" "reset $d" "region $d 0x1000 0x2000 x"; do
	as_nobody "cp-ctl $req" >"$out/ctl.txt" 2>&1 && fail "lab mode: nobody's $req of root's tree succeeded"
	grep -q 'EPERM.*not watched by you' "$out/ctl.txt" ||
		fail "lab mode: nobody's $req of root's tree: want EPERM, not watched by you; got: $(cat "$out/ctl.txt")"
done
as_nobody "sleep 600 & p=\$!; cp-ctl watch \$p && cp-ctl region \$p 0x1000 0x2000 x && cp-ctl reset \$p &&
	cp-ctl unwatch \$p; rc=\$?; kill \$p; exit \$rc" >"$out/own.txt" 2>&1 ||
	fail "lab mode: nobody could not change a tree it watched: $(cat "$out/own.txt")"
echo 0 >"$params/unprivileged"
kill "$d" "$nd"
wait "$spid"
say "lab mode: nobody's UNWATCH, RESET, REGION_ADD refused on root's tree, done on its own"

# 10. a parent outside the caller's pid namespace reads 0: the namespace's
# init, in root's tree, seen from inside
cowprobe stat -o "$out/pidns-outer.txt" -- unshare -pf sh -c "cowprobe stats --json >$out/pidns.json" ||
	fail "stat of unshare -pf"
pp=$(awk '/"pid": / { pid = $2 } /"ppid": / && pid == "1," { print $2 }' "$out/pidns.json")
[ "$pp" = "0," ] || fail "the pid namespace's init: ppid '$pp' from inside, want 0 (its parent is outside)"
say "from inside a pid namespace its init's parent reads 0"

# 11. the family lives in the initial network namespace only
unshare -n true || fail "unshare -n"
unshare -n cowprobe status >"$out/netns.txt" 2>&1 && fail "cowprobe status answered in a network namespace of its own"
grep -q 'no generic netlink family "cowprobe"' "$out/netns.txt" ||
	fail "in a network namespace: want no cowprobe family, got: $(cat "$out/netns.txt")"
say "in a network namespace of its own: $(head -n 1 "$out/netns.txt")"
say "ok"
