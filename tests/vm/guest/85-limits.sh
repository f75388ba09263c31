#!/bin/sh
# The module's limits at their caps, with the module reloaded small:
# a watched tree with more processes over its life than max_procs keeps exact
# totals (exited members fold into the root), one with more live processes
# is marked partial with the refusals counted, a pid reused after an exited
# record is watched again, and nothing is left held afterwards. stat --maps
# at max_maps=1 puts the rest in [other]; at exec the buckets are emptied;
# stats shows the buckets of a running stat --maps.
set -u
out=/tmp/85-limits
mkdir -p "$out"
say() { echo "85-limits: $*"; }
reload() {
	rmmod cowprobe || return 1
	# shellcheck disable=SC2086
	insmod /lib/modules/cowprobe.ko $1
}
fail() {
	say "FAIL: $*"
	reload ""
	exit 1
}
num() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" | head -n 1; }

reload "max_procs=64 max_threads=64" || fail "reload with small limits"

# 1. 300 sequential processes through a 64-record pool: none lost
N=300
cowprobe stat --json -o "$out/fold.json" -- \
	sh -c "i=0; while [ \$i -lt $N ]; do /bin/true; i=\$((i + 1)); done" ||
	fail "stat of $N processes"
records=$(grep -c '"comm":' "$out/fold.json")
folded=$(sed -n '/"folded"/,/}/p' "$out/fold.json" | num processes)
folded=${folded:-0}
total=$((records + folded))
# the shell and its N children; true exits before the next fork, so no
# fork ever finds the pool empty
[ "$total" = $((N + 1)) ] || fail "$records records + $folded folded = $total processes, want $((N + 1))"
grep -q '"partial": true' "$out/fold.json" && fail "the tree is marked partial, though nothing was refused"
st=$(cowprobe status --json)
say "$N processes through max_procs=64: $records records + $folded folded, status folded_procs $(echo "$st" | num folded_procs)"

# 2. more live processes than records: partial, refusals counted. Each
# child lives 10 s, longer than forking all 100 takes on the debug line under
# a loaded host (with 3 s the first ones exited there before the last were
# forked: their records were folded to make room and nothing was refused).
before=$(cowprobe status --json | num refused_procs)
cowprobe stat --json -o "$out/full.json" -- \
	sh -c 'i=0; while [ $i -lt 100 ]; do sleep 10 & i=$((i + 1)); done; wait' ||
	fail "stat of 100 live processes"
after=$(cowprobe status --json | num refused_procs)
grep -q '"partial": true' "$out/full.json" || fail "a tree refused children is not marked partial"
[ "$after" -gt "$before" ] || fail "refused_procs did not rise ($before -> $after)"
say "100 processes at once with max_procs=64: partial, $((after - before)) refused"

# 3. nothing held once the trees are unwatched
sleep 1
st=$(cowprobe status --json)
[ "$(echo "$st" | num nr_procs)" = 0 ] || fail "records left held: $(echo "$st" | num nr_procs)"
[ "$(echo "$st" | num nr_threads)" = 0 ] || fail "threads left held: $(echo "$st" | num nr_threads)"

# 4. a compiler clone named for a role whose handlers read arguments is
# refused at load, with a log line, and the module loads without that probe
reload "probe_hugetlb_wp=hugetlb_wp.isra.0" || fail "load with a clone named for hugetlb_wp"
dmesg | grep -q 'refusing hugetlb_wp.isra.0 for hugetlb_wp' || fail "no log line for the refused clone"
line=$(cowprobe status | grep '^hugetlb_wp ')
case "$line" in
*absent*"Invalid argument"*) ;;
*) fail "hugetlb_wp: want absent with EINVAL, got: $line" ;;
esac
say "probe_hugetlb_wp=hugetlb_wp.isra.0: refused (EINVAL), logged, module loaded"

reload "" || fail "reload with the default limits"
# 5. stat --maps at max_maps=1: each process has one named bucket and the
# overflow one, [other], and a process that did not exec (the child) has
# its counters in its buckets exactly (the workload's own process exec'd:
# its faults before the exec are counted, their buckets were emptied)
reload "max_maps=1" || fail "load with max_maps=1"
cowprobe stat --maps --json -o "$out/maps1.json" -- cowprobe-workload child-writes --pages 64 --writes 16 ||
	fail "stat --maps at max_maps=1"
# per process: pid root copies buckets' copies wp_faults buckets' wp_faults
# named other (pretty JSON: the process's keys at depth 3, its mappings' at 5)
awk '
function val() { v = $2; sub(/,$/, "", v); return v + 0 }
{ t = $0; sub(/^ */, "", t) }
t ~ /^[]}]/ {
	depth--
	if (depth == 2 && inproc && t ~ /^[}]/)
		print pid, root, pc, sc, pw, sw, named, other
}
depth == 1 && t ~ /^"processes": \[/ { inproc = 1 }
depth == 1 && t ~ /^"[a-z_]*": / && t !~ /^"processes"/ { inproc = 0 }
inproc && depth == 3 && t ~ /^"/ { inm = (t ~ /^"mappings": \[/) }
inproc && depth == 3 && t ~ /^"pid": / { pid = val() }
inproc && depth == 3 && t ~ /^"root": / { root = val() }
inproc && depth == 3 && t ~ /^"copies": / { pc = val() }
inproc && depth == 3 && t ~ /^"wp_faults": / { pw = val() }
inproc && depth == 2 && t ~ /^[{]/ { sc = sw = named = other = 0 }
inm && depth == 5 && t ~ /^"copies": / { sc += val() }
inm && depth == 5 && t ~ /^"wp_faults": / { sw += val() }
inm && depth == 5 && t ~ /^"name": "\[other\]"/ { other++ }
inm && depth == 5 && t ~ /^"name": / && t !~ /"\[other\]"/ { named++ }
t ~ /[[{]$/ { depth++ }
' "$out/maps1.json" >"$out/maps1.sums"
[ "$(wc -l <"$out/maps1.sums")" = 2 ] || fail "max_maps=1: $(wc -l <"$out/maps1.sums") processes, want 2: $(cat "$out/maps1.sums")"
while read -r pid root pc sc pw sw named other; do
	[ "$named" -le 1 ] || fail "max_maps=1: $named named buckets in process $pid"
	[ "$other" = 1 ] || fail "max_maps=1: no [other] bucket in process $pid, which faulted in more than one mapping"
	[ "$pid" = "$root" ] && continue
	[ "$pc" = "$sc" ] && [ "$pw" = "$sw" ] ||
		fail "max_maps=1: the buckets of the child $pid hold $sc copies, $sw faults; the process $pc, $pw"
done <"$out/maps1.sums"
say "max_maps=1: per process (pid root copies, in buckets, faults, in buckets, named, [other]): $(tr '\n' ';' <"$out/maps1.sums")"

reload "" || fail "reload with the default limits"

# 6. stat --maps: at exec the buckets are emptied (the shell that execs the
# workload leaves no busybox bucket behind), and stats shows the buckets of
# a stat --maps still running
cowprobe stat --maps --json -o "$out/exec.json" -- sh -c 'exec cowprobe-workload child-writes --pages 64 --writes 16' ||
	fail "stat --maps of sh -c exec"
grep -q '"name": ' "$out/exec.json" || fail "stat --maps of sh -c exec: no mappings at all"
grep '"name": ' "$out/exec.json" | grep busybox && fail "a bucket of the shell's busybox survived the exec"
rm -f "$out/running.pid"
cowprobe stat --maps -o "$out/running.txt" -- sh -c \
	"cowprobe-workload child-writes --pages 64 --writes 16 && echo \$\$ >$out/running.pid && exec sleep 600" &
spid=$!
i=0
# a record with buckets: "mappings": [ with entries (an empty one prints [])
until cowprobe stats --json >"$out/running.json" 2>&1 && grep -q '"mappings": \[$' "$out/running.json"; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "stats shows no mappings of a running stat --maps after 30 s: $(head -c 300 "$out/running.json")"
	sleep 0.1
done
say "at exec no bucket of the shell is left; stats shows $(grep -c '"name": ' "$out/running.json") buckets of a running stat --maps"
i=0
until [ -s "$out/running.pid" ]; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "the shell under the running stat --maps wrote no pid in 30 s"
	sleep 0.1
done
kill "$(cat "$out/running.pid")"
wait "$spid"
say "ok"
