#!/bin/sh
# Netlink fuzz: cp-fuzz sends FUZZ_COUNT (default 100,000) random and mutated
# messages, half as root, half as uid 65534, and checks errnos, permissions,
# a victim's counters and the records' baseline (see tests/stress/cp-fuzz.c).
# The seed is printed; FUZZ_SEED replays a run.
set -u
seed=${FUZZ_SEED:-$(( $(date +%s) % 100000 ))}
count=${FUZZ_COUNT:-100000}
echo "fuzz: cp-fuzz --seed $seed --count $count"
start=$(date +%s)
cp-fuzz --seed "$seed" --count "$count"
rc=$?
echo "fuzz: took $(($(date +%s) - start))s"
cowprobe status >/dev/null 2>/tmp/fuzz-status.err || { echo "fuzz: FAIL: cowprobe status after: $(cat /tmp/fuzz-status.err)"; rc=1; }
[ "$rc" = 0 ] && echo "fuzz: PASS" || echo "fuzz: FAIL (replay: FUZZ_SEED=$seed)"
exit "$rc"
