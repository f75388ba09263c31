#!/bin/sh
# cowprobe top against a known workload: fork-bench under cowprobe stat (a
# parent forking children that each write 4 MiB) must show up with copies/s
# above zero in --batch (N frames, no escape codes), without a terminal, with
# --pid, and full screen under tmux (read with capture-pane; s re-sorts, a
# resize re-cuts every line). q, ^C and SIGTERM must end it with the terminal
# as it was (stty settings, main screen, cursor). --all must show a process
# started after it and switch track_all off again.
set -u
tmp=/tmp/60-top
rm -rf "$tmp" && mkdir -p "$tmp"
export TERM=screen
tmux_sock=cowprobe-top
stat_pid=""
wl=""

say() { echo "60-top: $*"; }
t() { tmux -L "$tmux_sock" "$@"; }
cleanup() {
	t kill-server 2>/dev/null
	[ -n "$wl" ] && kill "$wl" 2>/dev/null
	[ -n "$stat_pid" ] && wait "$stat_pid" 2>/dev/null
}
fail() {
	say "FAIL: $*"
	for f in "$tmp"/*.err "$tmp"/*.rc; do
		[ -s "$f" ] && say "$(basename "$f"): $(cat "$f")"
	done
	cleanup
	exit 1
}
# copies/s in the row of pid $1 with comm $2 in file $3 (last match), or empty
copies_rate() {
	awk -v pid="$1" -v comm="$2" '$1 == pid && $3 == comm { r = $4 } END { print r }' "$3"
}
# the highest copies/s of pid $1 and of its children, comm $2, in file $3 (a
# child's row may be marked X, exited), or empty
tree_rate() {
	awk -v pid="$1" -v comm="$2" '($1 == pid || $2 == pid) {
		c = $3; r = $4; if (c == "X") { c = $4; r = $5 }
		if (c == comm && (best == "" || r + 0 > best + 0)) best = r
	} END { print best }' "$3"
}
positive() { awk -v v="$1" 'BEGIN { exit !(v + 0 > 0) }'; }
. "$(dirname "$0")/wait.lib"
# drawn SESSION: top's first frame is on the alternate screen (so it reads
# keys raw and takes signals through its signalfd, both set up before)
drawn() {
	[ "$(t display -p -t "$1" '#{alternate_on}')" = 1 ] && t capture-pane -p -t "$1" | grep -q '^cowprobe top - '
}
# restored SESSION: the main screen and the cursor back
restored() { [ "$(t display -p -t "$1" '#{alternate_on} #{cursor_flag}')" = "0 1" ]; }
# kill_server SESSION: its server, and wait until it has exited (a new
# session meanwhile meets the dying one: "server exited unexpectedly")
server_gone() { ! kill -0 "$srv" 2>/dev/null || grep -q '^[0-9]* (.*) Z' "/proc/$srv/stat" 2>/dev/null; }
kill_server() {
	srv=$(t display -p -t "$1" '#{pid}')
	t kill-server
	wait_for 30 server_gone || fail "tmux server $srv still there 30 s after kill-server"
}

# Errors: one line each, before anything runs.
cowprobe top --interval 0 >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" = 2 ] || fail "--interval 0: exit $rc, want 2"
grep -q "interval must be" "$tmp/err" || fail "--interval 0 said: $(cat "$tmp/err")"

cowprobe stat -o "$tmp/stat.txt" -- cowprobe-workload fork-bench --mib 4 --iterations 1000000 \
	>"$tmp/workload.out" &
stat_pid=$!
i=0
while [ -z "$wl" ] && [ $i -lt 100 ]; do
	for d in /proc/[0-9]*; do
		[ "$(sed -n 's/^PPid:[[:space:]]*//p' "$d/status" 2>/dev/null)" = "$stat_pid" ] || continue
		[ "$(cat "$d/comm" 2>/dev/null)" = cowprobe-worklo ] && wl=${d#/proc/}
	done
	[ -n "$wl" ] || { sleep 0.1; i=$((i + 1)); }
done
[ -n "$wl" ] || fail "fork-bench did not start under cowprobe stat"
say "workload: fork-bench pid $wl under cowprobe stat pid $stat_pid"
# until it forks: its buffer is filled, and each fork costs it a copy or two
# (its stack, written while a child shares it)
copying() { cowprobe stats --pid "$wl" --json 2>/dev/null | grep -q '"copies": [1-9]'; }
wait_for 30 copying || fail "fork-bench copied nothing in 30 s"
say "workload: copying after ${waited_ms} ms"

# --batch: exactly N plain frames, no escape codes, the workload's row.
cowprobe top --batch --iterations 2 --interval 1 >"$tmp/batch.txt" 2>"$tmp/batch.err"
rc=$?
[ "$rc" = 0 ] || fail "top --batch exit $rc: $(cat "$tmp/batch.err")"
frames=$(grep -c '^cowprobe top - ' "$tmp/batch.txt")
say "batch: $frames frames, $(wc -l <"$tmp/batch.txt") lines; first lines of the last frame:"
awk '/^cowprobe top - /{n++} n==2' "$tmp/batch.txt" | head -n 9
[ "$frames" = 2 ] || fail "top --batch --iterations 2 printed $frames frames"
esc=$(printf '\033')
grep -q "$esc" "$tmp/batch.txt" && fail "top --batch wrote escape codes"
# the children copy all the time, the parent only as it forks: a child that
# takes the whole interval leaves the parent's row at 0
rate=$(tree_rate "$wl" cowprobe-worklo "$tmp/batch.txt")
say "batch: highest copies/s of pid $wl and its children: ${rate:-no row}"
positive "${rate:-0}" || fail "top --batch: no row of $wl or its children with copies/s > 0"

# --pid: only that tree. Without a terminal: said once, then batch frames.
cowprobe top --iterations 1 --pid "$wl" --sort pid </dev/null >"$tmp/nontty.txt" 2>"$tmp/nontty.err"
rc=$?
[ "$rc" = 0 ] || fail "top without a terminal: exit $rc: $(cat "$tmp/nontty.err")"
grep -q "not a terminal" "$tmp/nontty.err" || fail "no 'not a terminal' note: $(cat "$tmp/nontty.err")"
grep -q ", tree of $wl" "$tmp/nontty.txt" || fail "--pid $wl: header does not name the tree"
[ -n "$(copies_rate "$wl" cowprobe-worklo "$tmp/nontty.txt")" ] || fail "--pid $wl: no row for $wl"
others=$(awk -v r="$wl" '$1 ~ /^[0-9]+$/ && $1 != r && $2 != r' "$tmp/nontty.txt" | wc -l)
[ "$others" = 0 ] || fail "--pid $wl: $others rows outside the tree"

# Full screen under tmux.
cat >"$tmp/run-top.sh" <<EOF
stty -g >$tmp/stty.before
cowprobe top --interval 1 --sort pid 2>$tmp/tmux.err
rc=\$?
stty -g >$tmp/stty.after
echo \$rc >$tmp/top.rc
exec sleep 600
EOF
t new-session -d -s top -x 120 -y 40 "sh $tmp/run-top.sh" || fail "tmux new-session failed"
rate=""
i=0
while [ $i -lt 30 ]; do
	sleep 1
	i=$((i + 1))
	t capture-pane -p -t top >"$tmp/screen.txt" || fail "tmux capture-pane failed"
	rate=$(copies_rate "$wl" cowprobe-worklo "$tmp/screen.txt")
	positive "${rate:-0}" && break
done
say "tmux screen after ${i}s (120x40):"
sed -n '1,12p' "$tmp/screen.txt"
say "tmux: pid $wl copies/s: ${rate:-no row}"
positive "${rate:-0}" || fail "top under tmux: no row for $wl with copies/s > 0"
[ "$(t display -p -t top '#{alternate_on} #{cursor_flag}')" = "1 0" ] ||
	fail "top under tmux: not on the alternate screen with the cursor hidden"
lines=$(grep -c . "$tmp/screen.txt")
[ "$lines" -le 40 ] || fail "top drew $lines lines on a 40-line screen"

# s: next sort key (pid -> copies), redrawn at once.
t send-keys -t top s
sorted_by_copies() { t capture-pane -p -t top | grep -q '^sort: copies'; }
wait_for 30 sorted_by_copies || fail "key s did not switch to sort: copies"
say "key s: sort: copies after $waited_ms ms"

# SIGWINCH: a smaller window, every line cut to it.
t resize-window -t top -x 60 -y 12 || fail "tmux resize-window failed"
# the old frame as tmux cut it, until top paints another
t capture-pane -p -t top >"$tmp/stale.txt"
repainted() {
	t capture-pane -p -t top >"$tmp/small.txt" && ! cmp -s "$tmp/stale.txt" "$tmp/small.txt"
}
wait_for 30 repainted || fail "top drew nothing in the 30 s after the resize"
say "tmux screen after resize to 60x12 (repainted after ${waited_ms} ms):"
cat "$tmp/small.txt"
long=$(awk 'length($0) > 60' "$tmp/small.txt" | wc -l)
[ "$long" = 0 ] || fail "$long lines wider than 60 columns after the resize"
grep -q '^cowprobe top - ' "$tmp/small.txt" || fail "no header after the resize"
grep -q '^\.\.\. [0-9]* more process' "$tmp/small.txt" || say "note: every row fit in 12 lines"

# q: top exits 0 and the terminal is as it was.
t send-keys -t top q
# top.rc is written after stty.after
wait_for 30 test -s "$tmp/top.rc" || fail "top did not exit within 30 s of q"
[ "$(cat "$tmp/top.rc")" = 0 ] || fail "top exit $(cat "$tmp/top.rc") after q: $(cat "$tmp/tmux.err")"
cmp -s "$tmp/stty.before" "$tmp/stty.after" ||
	fail "terminal settings changed: $(cat "$tmp/stty.before") -> $(cat "$tmp/stty.after")"
# tmux reads what top wrote last on its own time
wait_for 30 restored top
state=$(t display -p -t top '#{alternate_on} #{cursor_flag}')
[ "$state" = "0 1" ] || fail "after q: alternate screen/cursor flags '$state', want '0 1'"
t capture-pane -p -t top | grep -q '^cowprobe top - ' && fail "top's frame left on the main screen"
say "q: exit 0, stty unchanged, main screen and cursor back"

# SIGTERM restores the terminal too.
kill_server top
cat >"$tmp/run-top2.sh" <<EOF
stty -g >$tmp/stty2.before
sh -c 'echo \$\$ >$tmp/top2.pid; exec cowprobe top --interval 1'
rc=\$?
stty -g >$tmp/stty2.after
echo \$rc >$tmp/top2.rc
exec sleep 600
EOF
t new-session -d -s top2 -x 100 -y 30 "sh $tmp/run-top2.sh" || fail "tmux new-session failed"
wait_for 30 drawn top2 || fail "second top drew no frame within 30 s"
[ -s "$tmp/top2.pid" ] || fail "second top did not start"
kill "$(cat "$tmp/top2.pid")"
wait_for 30 test -s "$tmp/top2.rc"
[ "$(cat "$tmp/top2.rc" 2>/dev/null)" = 0 ] || fail "top after SIGTERM: exit '$(cat "$tmp/top2.rc" 2>/dev/null)'"
cmp -s "$tmp/stty2.before" "$tmp/stty2.after" || fail "terminal settings changed after SIGTERM"
wait_for 30 restored top2
[ "$(t display -p -t top2 '#{alternate_on} #{cursor_flag}')" = "0 1" ] ||
	fail "after SIGTERM: still on the alternate screen or cursor hidden"
say "SIGTERM: exit 0, terminal restored"

# ^C is a key while the terminal is raw: it quits as q does.
cat >"$tmp/run-top3.sh" <<EOF
stty -g >$tmp/stty3.before
cowprobe top --interval 1
rc=\$?
stty -g >$tmp/stty3.after
echo \$rc >$tmp/top3.rc
exec sleep 600
EOF
t new-session -d -s top3 -x 100 -y 30 "sh $tmp/run-top3.sh" || fail "tmux new-session failed"
wait_for 30 drawn top3 || fail "third top drew no frame within 30 s"
t send-keys -t top3 C-c
wait_for 30 test -s "$tmp/top3.rc"
[ "$(cat "$tmp/top3.rc" 2>/dev/null)" = 0 ] || fail "top after ^C: exit '$(cat "$tmp/top3.rc" 2>/dev/null)'"
cmp -s "$tmp/stty3.before" "$tmp/stty3.after" || fail "terminal settings changed after ^C"
wait_for 30 restored top3
[ "$(t display -p -t top3 '#{alternate_on} #{cursor_flag}')" = "0 1" ] ||
	fail "after ^C: still on the alternate screen or cursor hidden"
say "^C: exit 0, terminal restored"

t kill-server
kill "$wl"
wait "$stat_pid"
say "cowprobe stat of the workload (killed at the end):"
head -n 6 "$tmp/stat.txt"
tail -n 4 "$tmp/stat.txt"
stat_pid=""
wl=""

# --all: track_all on while top runs, so a shell forking in a loop started
# after it shows up (as "exe": busybox runs its applets through
# /proc/self/exe); off again when it ends.
cowprobe top --all --batch --iterations 3 --interval 1 >"$tmp/all.txt" 2>"$tmp/all.err" &
top_pid=$!
track_all_on() { cowprobe status --json | grep -q '"track_all": true'; }
wait_for 30 track_all_on || fail "top --all: track_all not on within 30 s"
sh -c 'end=$(($(date +%s) + 3)); while [ "$(date +%s)" -lt "$end" ]; do (:); done' &
loop=$!
wait "$loop"
wait "$top_pid"
rc=$?
[ "$rc" = 0 ] || fail "top --all exit $rc"
grep -q 'track_all on' "$tmp/all.txt" || fail "top --all: header does not say track_all on"
rate=$(awk -v pid="$loop" '$1 == pid && $4 + 0 > r + 0 { r = $4 } END { print r }' "$tmp/all.txt")
say "--all: highest copies/s of the forking shell (pid $loop): ${rate:-no row}"
positive "${rate:-0}" || { cat "$tmp/all.txt"; fail "top --all: no row for $loop with copies/s > 0"; }
cowprobe status --json | grep -q '"track_all": false' || fail "track_all still on after top --all"
say "ok"
