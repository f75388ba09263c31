#!/bin/sh
# The reproducer behind idle_disarm's exception (README "Cost"): no cowprobe,
# the kernel's own kprobe events enabled and disabled in a loop beside a
# process-spawning loop. A two-vCPU TCG guest dies within seconds (a call to 0
# at the probed entry); a one-vCPU guest does not. Not a test (it crashes):
#   tools/vm/run --kernel 6.12 --cpus 2 --no-module \
#     --add tests/vm/arming/kprobe-events-toggle.sh:/root/t.sh -- sh /root/t.sh 400
N=${1:-400}
mount -t tracefs none /sys/kernel/tracing 2>/dev/null
cd /sys/kernel/tracing || exit 1
echo 'p:cpt_rmap folio_add_new_anon_rmap' >>kprobe_events || exit 1
echo 'p:cpt_wp do_wp_page' >>kprobe_events || exit 1
( while :; do cat /proc/meminfo >/dev/null; done ) &
bg=$!
i=0
while [ $i -lt $N ]; do
	echo 1 >events/kprobes/cpt_rmap/enable
	echo 1 >events/kprobes/cpt_wp/enable
	/bin/true
	echo 0 >events/kprobes/cpt_wp/enable
	echo 0 >events/kprobes/cpt_rmap/enable
	/bin/true
	i=$((i + 1))
	[ $((i % 50)) = 0 ] && echo "toggle: $i"
done
kill $bg
echo "toggle: done $N"
