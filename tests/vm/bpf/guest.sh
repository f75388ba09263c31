#!/bin/sh
# One vCPU (run-time arming on), bpftrace in the guest. The kernel allows
# one ftrace direct call per function; a BPF fentry program (bpftrace's
# kfunc) is one. Checks both orders on do_wp_page:
#  1. bpftrace first: cowprobe's arming finds the function taken (-EBUSY),
#     hooks it with an ftrace callback instead (fentry.c), scenarios exact,
#     and bpftrace goes on counting;
#  2. cowprobe armed first (direct calls): bpftrace's kfunc cannot attach,
#     as the README says; once cowprobe disarms (nothing tracked), it can.
set -u
say() { echo "bpf-direct: $*"; }
fail() {
	say "FAIL: $*"
	exit 1
}
# js, hook, idle
. "$(dirname "$0")/kprobes.lib"
# bpftrace OUT: kfunc:do_wp_page counted per comm, in the background; back
# once its trampoline is on do_wp_page (ftrace's enabled_functions)
bt() {
	bpftrace -e 'kfunc:do_wp_page { @[comm] = count(); }' >"$1" 2>&1 &
	btpid=$!
	n=0
	until grep -A1 '^do_wp_page ' $t/enabled_functions | grep -q 'direct-->bpf_trampoline'; do
		n=$((n + 1))
		kill -0 $btpid 2>/dev/null || fail "bpftrace exited: $(cat "$1")"
		[ $n -le 600 ] || fail "no BPF trampoline on do_wp_page within 300 s: $(cat "$1")"
		sleep 0.5
	done
}

[ "$(nproc)" = 1 ] || fail "run with one vCPU, not $(nproc)"
mount -t tracefs none /sys/kernel/tracing 2>/dev/null
t=/sys/kernel/tracing
[ "$(js armed)" = false ] || fail "armed at load on one vCPU"
say "loaded: do_wp_page=$(hook do_wp_page) new_anon_rmap=$(hook new_anon_rmap)"
[ "$(hook do_wp_page)" = direct ] || fail "do_wp_page hook $(hook do_wp_page), want direct"

# 1. bpftrace's trampoline first
bt /tmp/bt1
grep -A1 '^do_wp_page ' $t/enabled_functions | grep -q 'direct-->bpf_trampoline' ||
	fail "no BPF trampoline on do_wp_page: $(grep -A1 '^do_wp_page ' $t/enabled_functions)"
cowprobe check --repeat 1 child-writes threads remote zero-page ||
	fail "scenarios with do_wp_page taken by a BPF trampoline"
say "with bpftrace on do_wp_page: do_wp_page=$(hook do_wp_page) new_anon_rmap=$(hook new_anon_rmap)"
if [ "$(hook do_wp_page)" != ftrace ] || [ "$(hook new_anon_rmap)" != direct ]; then
	fail "hooks do_wp_page=$(hook do_wp_page) new_anon_rmap=$(hook new_anon_rmap), want ftrace and direct"
fi
dmesg | grep -q 'no direct call on do_wp_page (-16): an ftrace callback' ||
	fail "no log of the fallback: $(dmesg | grep cowprobe)"
kill -INT $btpid
wait $btpid
counted=$(sed -n 's/^@\[.*\]: \([0-9]*\)$/\1/p' /tmp/bt1 | awk '{ s += $1 } END { print s + 0 }')
say "bpftrace counted $counted do_wp_page calls beside cowprobe"
[ "$counted" -gt 0 ] || fail "bpftrace counted nothing: $(cat /tmp/bt1)"

# 2. cowprobe's direct calls first
idle || fail "still armed after the scenarios"
rmmod cowprobe || fail "rmmod"
insmod /lib/modules/cowprobe.ko || fail "insmod"
# long enough for bpftrace to try, short enough to wait out
cowprobe stat -o /dev/null -- sleep 15 &
st=$!
n=0
until [ "$(js armed)" = true ]; do
	n=$((n + 1))
	[ $n -le 100 ] || fail "not armed inside the stat"
	sleep 0.1
done
[ "$(hook do_wp_page)" = direct ] || fail "do_wp_page hook $(hook do_wp_page) while armed, want direct"
timeout 120 bpftrace -e 'kfunc:do_wp_page { @ = count(); } interval:s:1 { exit(); }' >/tmp/bt2 2>&1
grep -q 'Error attaching probe: kfunc:.*do_wp_page' /tmp/bt2 ||
	fail "bpftrace's kfunc attached beside cowprobe's direct call: $(cat /tmp/bt2)"
say "while armed (direct): bpftrace's kfunc refused, as documented"
wait $st || fail "cowprobe stat"
idle || fail "still armed after the stat"
bt /tmp/bt3
grep -q 'Error' /tmp/bt3 && fail "bpftrace's kfunc refused once cowprobe disarmed: $(cat /tmp/bt3)"
grep -q '^Attaching [1-9][0-9]* probe' /tmp/bt3 || fail "bpftrace did not say it attached: $(cat /tmp/bt3)"
# copies under a comm of its own: a shell that forks and writes; the BPF
# program runs in the fault, so its count is in the map when the shell is done
sh -c 'printf cpbt-cow >/proc/self/comm; i=0; while [ $i -lt 5 ]; do (:) & wait; i=$((i + 1)); done'
kill -INT $btpid
wait $btpid
counted=$(sed -n 's/^@\[cpbt-cow\]: \([0-9]*\)$/\1/p' /tmp/bt3)
say "disarmed: bpftrace's kfunc attached ($(grep -o '^Attaching [0-9]* probes*' /tmp/bt3), its trampoline on do_wp_page) and counted ${counted:-no} do_wp_page calls of cpbt-cow"
[ "${counted:-0}" -gt 0 ] || fail "bpftrace's kfunc counted no do_wp_page of cpbt-cow: $(cat /tmp/bt3)"
say PASS
