#!/bin/sh
# cowprobed in the guest, with --track-all:
#  1. N (10,000) short-lived processes writing 4 CoW pages each give N exit
#     records in the journal with no seq gap, or, if the kernel dropped some,
#     exactly STATUS's exits_dropped accounted for as gaps;
#  2. kill -9 of the daemon mid-burst leaves a journal whose every line
#     parses and whose numbering has no hole up to the kill; a restart
#     continues the epoch;
#  3. rmmod + insmod while it runs: the epoch ends, a new one begins, and
#     records keep coming;
#  4. cowprobe history --pid finds a record, through the daemon and from the
#     journal; cowprobe check --daemon runs a scenario through it;
#  5. a stopped daemon with a small socket buffer overflows: the journal's
#     gaps add up to the module's exits_dropped;
#  6. processes the module refuses at max_procs get no exit record: the
#     journal's "refused" lines add up to STATUS's refused_procs (the
#     module is then loaded again as it was, for the tests after this one);
#     SIGTERM stops it cleanly.
set -u
N=${COWPROBED_TEST_COUNT:-10000}
tmp=/tmp/50-daemon
J=$tmp/exits.jsonl
S=$tmp/cowprobed.sock
LOG=$tmp/cowprobed.log
rm -rf "$tmp" && mkdir -p "$tmp"
dpid=""

say() { echo "50-daemon: $*"; }
now() { cut -d' ' -f1 /proc/uptime; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
cleanup() {
	[ -n "$dpid" ] && kill -TERM "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	dpid=""
	# part 6 failed with the module at max_procs=32: the scripts after this
	# one want it as it was
	if [ -n "${lp0:-}" ] && [ "$(kstat limit_procs)" != "$lp0" ]; then
		rmmod cowprobe && insmod /lib/modules/cowprobe.ko max_procs="$lp0"
	fi
}
fail() {
	say "FAIL: $*"
	tail -n 20 "$LOG" | sed 's/^/50-daemon: log: /'
	cleanup
	exit 1
}
# The daemon's status, pretty JSON: field NAME (first match, any depth).
dstatus() { cowprobed --status --socket "$S" 2>/dev/null; }
field() { sed -n "s/^ *\"$1\": \([0-9a-z]*\),\{0,1\}$/\1/p" | head -n 1; }
kstat() { cowprobe status --json | field "$1"; }
start_daemon() {
	cowprobed --journal "$J" --socket "$S" --track-all "$@" >>"$LOG" 2>&1 &
	dpid=$!
	i=0
	while [ $i -lt 150 ]; do
		[ "$(dstatus | field joined)" = true ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "cowprobed did not join the exits group within 15 s"
}
# Waits until the daemon has journaled every record the module made.
settle() {
	i=0
	while [ $i -lt 300 ]; do
		st=$(dstatus)
		last=$(echo "$st" | field last_seq)
		kseq=$(echo "$st" | sed -n '/"kernel"/,/}/p' | field seq)
		[ -n "$last" ] && [ "$last" = "$kseq" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	fail "the journal did not catch up with the module (journal seq $last, module seq $kseq)"
}
count() { cat "$J"* 2>/dev/null | grep -c "\"comm\":\"$1\""; }
# Numbering check over the journal, independent of cowprobe's own reader:
# within an epoch each exit's seq follows the last, or a gap line names it.
# Prints: records gaps missed(seq+overflow) restart_missed unloaded epochs bad
audit() {
	cat "$J" | awk '
	function num(k) {
		if (match($0, "\"" k "\":[0-9]+")) return substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3) + 0
		return -1
	}
	/^\{"type":"epoch"/ { epochs++; first_max = num("kernel_seq") + 1; last = -1; next_ok = -1; next }
	/^\{"type":"gap"/ {
		if ($0 ~ /"reason":"unloaded"/) { unloaded++; last = -1; first_max = -1; next }
		gaps++
		if ($0 ~ /"reason":"restart"/) rmissed += num("missed"); else missed += num("missed")
		next_ok = num("next_seq"); next
	}
	/^\{"type":"exit"/ {
		s = num("seq"); records++
		if (s != next_ok && ((last >= 0 && s != last + 1) || (last < 0 && first_max >= 0 && s > first_max))) {
			bad++; if (bad <= 5) print "seq " s " after " last > "/dev/stderr"
		}
		last = s; next_ok = -1; first_max = -1; next
	}
	{ bad++; print "not a journal line: " substr($0, 1, 80) > "/dev/stderr" }
	END { printf "%d %d %d %d %d %d %d\n", records, gaps, missed, rmissed, unloaded, epochs, bad }'
}
parses() { cowprobe history --journal "$J" --json >/dev/null 2>"$tmp/parse.err"; }

t0=$(now)
start_daemon

# 1. N processes, every exit journaled.
d0=$(kstat exits_dropped)
r0=$(kstat refused_procs)
t1=$(now)
cowprobe-forkburst --count "$N" --pages 4 --jobs 2 --comm cpburst || fail "cowprobe-forkburst failed"
burst=$(elapsed "$t1")
settle
d1=$(kstat exits_dropped)
r1=$(kstat refused_procs)
dropped=$((d1 - d0))
refused=$((r1 - r0))
got=$(count cpburst)
set -- $(audit)
records=$1 gaps=$2 missed=$3 bad=$7
say "burst: $N processes in ${burst}s: $got journal records, $gaps gaps, $missed missed; kernel: $dropped dropped, $refused refused"
[ "$bad" = 0 ] || fail "$bad exit records out of sequence without a gap line"
[ "$refused" = 0 ] || fail "the module refused $refused processes (max_procs): they have no record"
[ "$missed" = "$dropped" ] || fail "gaps account for $missed lost records, the module dropped $dropped"
if [ "$dropped" = 0 ]; then
	[ "$got" = "$N" ] || fail "$got records of cpburst, want $N"
	[ "$gaps" = 0 ] || fail "$gaps gaps without a drop"
else
	[ "$got" -le "$N" ] && [ $((got + dropped)) -ge "$N" ] ||
		fail "$got records of cpburst with $dropped dropped, want $N"
fi

# 2. kill -9 mid-burst, restart.
cowprobe-forkburst --count 2000 --pages 2 --comm cpkill &
bpid=$!
i=0
while [ "$(count cpkill)" -lt 300 ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$(count cpkill)" -ge 300 ] || fail "$(count cpkill) cpkill records within 30 s, want 300 before the kill"
# a zombie passes kill -0: the state, not Z
case "$(sed 's/.*) //' "/proc/$bpid/stat" 2>/dev/null)" in
"" | Z*) fail "the cpkill burst ended before the kill: not mid-burst" ;;
esac
kill -9 "$dpid"
wait "$dpid" 2>/dev/null
dpid=""
before=$(count cpkill)
wait "$bpid" || fail "cowprobe-forkburst (kill phase) failed"
[ "$(tail -c 1 "$J" | od -An -c | tr -d ' ')" = '\n' ] || fail "the journal ends in a torn line after kill -9"
parses || fail "the journal does not parse after kill -9: $(cat "$tmp/parse.err")"
set -- $(audit)
[ "$7" = 0 ] || fail "after kill -9: $7 exit records out of sequence"
lines_at_kill=$(cat "$J" | wc -l)
start_daemon
grep -q "continuing epoch 1" "$LOG" || fail "the restarted daemon did not continue epoch 1"
cowprobe-forkburst --count 200 --pages 2 --comm cpafter || fail "cowprobe-forkburst (after restart) failed"
settle
set -- $(audit)
[ "$7" = 0 ] || fail "after the restart: $7 exit records out of sequence"
after=$(count cpafter)
[ "$after" = 200 ] || fail "$after records of cpafter after the restart, want 200"
say "kill -9 after $before of 2000 cpkill records: $lines_at_kill whole lines, numbering intact; restarted: epoch continued, $after of 200 records, $4 lost in the killed daemon's socket"

# 3. rmmod + insmod under the daemon.
rmmod cowprobe || fail "rmmod cowprobe failed"
i=0
until grep -q '"reason":"unloaded"' "$J" || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
grep -q '"reason":"unloaded"' "$J" || fail "no unloaded gap in the journal after rmmod"
insmod /lib/modules/cowprobe.ko || fail "insmod failed"
i=0
until [ "$(dstatus | field joined)" = true ] || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$(dstatus | field epoch)" = 2 ] || fail "no epoch 2 after insmod (daemon: $(dstatus | field epoch))"
[ "$(kstat track_all)" = true ] || fail "track_all is not on again after insmod"
cowprobe-forkburst --count 300 --pages 2 --comm cpreload || fail "cowprobe-forkburst (reload) failed"
settle
reload=$(count cpreload)
set -- $(audit)
[ "$7" = 0 ] || fail "after the reload: $7 exit records out of sequence"
[ "$reload" = 300 ] || fail "$reload records of cpreload after insmod, want 300"
grep "unloaded or reloaded" "$LOG" && fail "the daemon saw a reload that did not happen"
grep -q "the cowprobe family was unregistered" "$LOG" || fail "nlctrl's notice of rmmod was not seen"
say "rmmod + insmod: epoch 1 ended, epoch 2 began ($6 epoch lines, $5 unloaded), $reload of 300 records after"

# 4. history, through the daemon and from the files.
p=$(grep '"comm":"cpreload"' "$J" | tail -n 1 | sed -n 's/.*"pid":\([0-9]*\),.*/\1/p')
[ -n "$p" ] || fail "no cpreload pid in the journal"
cowprobe history --pid "$p" --socket "$S" >"$tmp/h.txt" 2>&1 || fail "cowprobe history --pid $p: $(cat "$tmp/h.txt")"
grep -q " $p .*cpreload" "$tmp/h.txt" || fail "cowprobe history --pid $p did not show it: $(cat "$tmp/h.txt")"
cowprobe history --pid "$p" --journal "$J" --json >"$tmp/h.json" || fail "history --journal failed"
grep -q '"count": 1,' "$tmp/h.json" || fail "history --journal --pid $p: $(head -c 300 "$tmp/h.json")"
n=$(cowprobe history --comm cpreload --since 10m --json --socket "$S" | field count)
[ "$n" = 300 ] || fail "history --comm cpreload --since 10m: $n records, want 300"
cowprobe history --since yesterday >/dev/null 2>"$tmp/err" && fail "--since yesterday was accepted"
grep -q "bad time" "$tmp/err" || fail "--since yesterday said: $(cat "$tmp/err")"
say "history: --pid $p found through the daemon and in the journal; --comm --since: $n"
cowprobe check --daemon --socket "$S" child-writes >"$tmp/check.txt" 2>&1 ||
	fail "cowprobe check --daemon child-writes: $(cat "$tmp/check.txt")"
grep -q "^child-writes: pass" "$tmp/check.txt" || fail "check --daemon said: $(cat "$tmp/check.txt")"
say "check --daemon: $(grep '^child-writes' "$tmp/check.txt")"
cowprobe check --daemon --socket "$S" no-such-scenario >"$tmp/check.txt" 2>&1 &&
	fail "check --daemon of an unknown scenario succeeded"
grep -q "unknown scenario 'no-such-scenario'" "$tmp/check.txt" ||
	fail "check --daemon of an unknown scenario said: $(cat "$tmp/check.txt")"

# 5. Overflow: a stopped daemon with a 64 KiB socket buffer.
kill -TERM "$dpid"
wait "$dpid"
dpid=""
start_daemon --receive-buffer 64K
settle
set -- $(audit)
gaps0=$2 missed0=$3
d0=$(kstat exits_dropped)
kill -STOP "$dpid"
cowprobe-forkburst --count 300 --pages 2 --comm cpflood || fail "cowprobe-forkburst (flood) failed"
kill -CONT "$dpid"
settle
d1=$(kstat exits_dropped)
flood=$(count cpflood)
set -- $(audit)
[ "$7" = 0 ] || fail "after the overflow: $7 exit records out of sequence"
dropped=$((d1 - d0)) fgaps=$(($2 - gaps0)) fmissed=$(($3 - missed0))
say "overflow: $flood of 300 cpflood records, $fgaps gaps for $fmissed missed; kernel: $dropped dropped"
[ "$dropped" -gt 0 ] || fail "no drop with a 64 KiB buffer and a stopped daemon"
[ "$fmissed" = "$dropped" ] || fail "gaps account for $fmissed lost records, the module dropped $dropped"
grep -q '"reason":"overflow"' "$J" || fail "no overflow gap in the journal"
[ "$flood" -le 300 ] && [ $((flood + dropped)) -ge 300 ] || fail "$flood cpflood records with $dropped dropped"

# 6. Refused at the module's limit: 64 processes alive at once, 32 records.
lp0=$(kstat limit_procs)
# reload MAX_PROCS EPOCH: the module again, the daemon joined in that epoch
reload() {
	rmmod cowprobe && insmod /lib/modules/cowprobe.ko max_procs="$1" || fail "reload with max_procs=$1"
	i=0
	until [ "$(dstatus | field epoch)" = "$2" ] && [ "$(dstatus | field joined)" = true ]; do
		i=$((i + 1))
		[ $i -le 300 ] || fail "the daemon did not join the reloaded module (epoch $2) within 30 s (daemon: epoch $(dstatus | field epoch), joined $(dstatus | field joined))"
		sleep 0.1
	done
}
reload 32 3
pids=""
i=0
while [ $i -lt 64 ]; do
	sleep 2 &
	pids="$pids $!"
	i=$((i + 1))
done
wait $pids
r1=$(kstat refused_procs)
i=0
while :; do
	jr=$(cat "$J"* | grep '"type":"refused"' | sed -n 's/.*"procs":\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
	[ "$jr" = "$r1" ] && break
	i=$((i + 1))
	[ $i -le 50 ] || break
	sleep 0.2
done
say "refused: 64 alive at max_procs=32: the module refused $r1, the journal's refused lines say $jr"
[ "$r1" -gt 0 ] || fail "nothing refused with 64 processes alive and max_procs=32"
[ "$jr" = "$r1" ] || fail "refused lines add up to $jr, STATUS refused_procs is $r1"
grep -q "the module refused [0-9]* processes" "$LOG" || fail "the daemon's log does not say it"
# the tests after this one want the module as loaded, not at max_procs=32
reload "$lp0" 4
[ "$(kstat limit_procs)" = "$lp0" ] || fail "max_procs $(kstat limit_procs) after the reload, want $lp0 as before"

# SIGTERM: a clean stop, the socket removed.
kill -TERM "$dpid"
wait "$dpid"
rc=$?
dpid=""
[ "$rc" = 0 ] || fail "cowprobed exited $rc after SIGTERM"
[ -e "$S" ] && fail "the socket is still there after SIGTERM"
[ "$(kstat track_all)" = false ] || fail "track_all still on after the daemon stopped"
parses || fail "the final journal does not parse: $(cat "$tmp/parse.err")"
say "ok: $(wc -l <"$J") journal lines in $(elapsed "$t0")s"
