#!/bin/sh
# README "cowprobe check": the kernel's own counters are cross-checked. A run
# of child-writes reports minflt, ok, with the kernel's minor faults at least
# cowprobe's write faults (more than none); a ksm run that passed reports
# cow_ksm the same way where /proc/vmstat has it.
set -u
out=/tmp/88-crosschecks
mkdir -p "$out"
say() { echo "88-crosschecks: $*"; }
fail() {
	say "FAIL: $*"
	exit 1
}
cowprobe check --json child-writes ksm >"$out/check.json" 2>"$out/check.err" ||
	fail "check child-writes ksm: $(cat "$out/check.err")"
# per cross-check: scenario name kernel ok ours status (a run's keys are
# sorted: its crosschecks come before its scenario and status)
awk '
function val() { v = $2; sub(/,$/, "", v); gsub(/"/, "", v); return v }
/"kernel": / { k = val() }
/"name": / { n = val() }
/"ok": / { o = val() }
/"ours": / { buf = buf n " " k " " o " " val() "\n" }
/"scenario": / { sc = val() }
/"status": / && sc != "" {
	m = split(buf, l, "\n")
	for (i = 1; i < m; i++)
		print sc, l[i], val()
	buf = ""
	sc = ""
}
' "$out/check.json" >"$out/cross.txt"
# want SCENARIO NAME: one such cross-check, ok, kernel >= ours > 0
want() {
	line=$(grep "^$1 $2 " "$out/cross.txt" | head -n 1)
	[ -n "$line" ] || fail "no $2 cross-check in $1's run: $(cat "$out/cross.txt")"
	set -- $line
	[ "$4" = true ] && [ "$3" -ge "$5" ] && [ "$5" -gt 0 ] ||
		fail "$1's $2 cross-check: kernel $3, cowprobe $5, ok $4"
	say "$1: $2 kernel $3 >= cowprobe $5"
}
want child-writes minflt
if grep -q '^cow_ksm ' /proc/vmstat && grep -q '^ksm .* pass$' "$out/cross.txt"; then
	want ksm cow_ksm
else
	say "ksm: no cow_ksm cross-check to read (no cow_ksm in /proc/vmstat, or the run skipped)"
fi
say "ok"
