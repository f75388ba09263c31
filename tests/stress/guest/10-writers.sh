#!/bin/sh
# 64 writers at once (32 processes, 32 threads of one more process) on shared
# copy-on-write pages: the region totals exact and nmissed unchanged
# (cp-writers checks both); four rounds, the last on twice the pages.
set -u
fail=0
for pages in 64 64 64 128; do
	cp-writers --procs 32 --threads 32 --pages "$pages" >/tmp/writers.out
	rc=$?
	cat /tmp/writers.out
	[ "$rc" = 0 ] || fail=1
done
cowprobe status --json >/tmp/writers-status.json 2>&1 || { echo "writers: FAIL: cowprobe status"; fail=1; }
echo "writers: nmissed per probe: $(grep -o '"nmissed": [0-9]*' /tmp/writers-status.json | awk '{print $2}' | tr '\n' ' ')"
[ "$fail" = 0 ] && echo "writers: PASS" || echo "writers: FAIL"
exit "$fail"
