#!/bin/sh
# Netlink fuzz: cp-fuzz sends FUZZ_COUNT (default 100,000) random and mutated
# messages, half as root, half as uid 65534, and checks errnos, permissions,
# a victim's counters and the records' baseline (see tests/stress/cp-fuzz.c).
# The seed is printed with the command that replays the run (FUZZ_SEED and
# FUZZ_COUNT on the same kernel line): first, in case the kernel dies, and
# again when it fails.
set -u
seed=${FUZZ_SEED:-$(( $(date +%s) % 100000 ))}
count=${FUZZ_COUNT:-100000}
# tests/stress/run passes its --kernel and --cpus
replay="FUZZ_SEED=$seed FUZZ_COUNT=$count tests/stress/run --kernel ${STRESS_KERNEL:-LINE} --cpus ${STRESS_CPUS:-2} fuzz"
echo "fuzz: cp-fuzz --seed $seed --count $count (replay: $replay)"
start=$(date +%s)
cp-fuzz --seed "$seed" --count "$count"
rc=$?
echo "fuzz: took $(($(date +%s) - start))s"
cowprobe status >/dev/null 2>/tmp/fuzz-status.err || { echo "fuzz: FAIL: cowprobe status after: $(cat /tmp/fuzz-status.err)"; rc=1; }
[ "$rc" = 0 ] && echo "fuzz: PASS" || echo "fuzz: FAIL (replay: $replay)"
exit "$rc"
