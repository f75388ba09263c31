#!/usr/bin/env python3
"""The table, bench.json and bench.png of tools/bench/run.

    tools/bench/report.py DIR

Reads DIR/LINE.CLOCK.txt (bench-guest's RESULT and HITS lines), prints per
clock a table of the median over rounds and its ratio to mode "off", writes
DIR/bench.json and, when gnuplot is installed, DIR/bench.png (the ratios).
"""
import json
import pathlib
import shutil
import statistics
import subprocess
import sys

MODES = ["off", "idle", "stat", "maps", "track_all", "delayacct", "bpftrace"]
WORKLOADS = {
    "fork-write": "fork + child writes (per fork)",
    "storm": "fork/exit storm (per process)",
    "threads": "threads writing (per fork)",
}
UNIT = {"icount": "guest instructions", "wall": "guest ns (wall clock, TCG)"}


def parse(path):
    results, faults, hits, kernel = {}, {}, {}, None
    for line in path.read_text(errors="replace").splitlines():
        f = line.split()
        if not f:
            continue
        if f[0] == "BENCH":
            kernel = dict(kv.split("=", 1) for kv in f[1:] if "=" in kv).get("kernel")
        elif f[0] == "RESULT" and len(f) == 5 and f[4].isdigit():
            results.setdefault(f[3], {}).setdefault(f[2], []).append(int(f[4]))
        elif f[0] == "FAULTS" and len(f) == 5:
            faults.setdefault(f[3], {}).setdefault(f[2], []).append(float(f[4]))
        elif f[0] == "HITS" and len(f) == 5:
            h = hits.setdefault(f[2], {"probe_hits": 0, "wp_faults": 0})
            h["probe_hits"] += int(f[3])
            h["wp_faults"] += int(f[4])
    return kernel, results, faults, hits


def main():
    out = pathlib.Path(sys.argv[1])
    report = {
        "method": "median over rounds of each run's median sample; ratio to mode off in the "
        "same boot. icount: QEMU -icount shift=0,sleep=off, one vCPU, 1 ns of guest time per "
        "guest instruction (instructions, not cycles)",
        "lines": {},
    }
    # LINE.CLOCK.txt of tools/bench/run only (not daemon-burst.LINE.txt)
    files = sorted(p for clock in UNIT for p in out.glob(f"*.{clock}.txt"))
    if not files:
        sys.exit(f"bench: no results in {out}")
    for path in files:
        line, clock = path.name[: -len(".txt")].rsplit(".", 1)
        kernel, results, faults, hits = parse(path)
        entry = report["lines"].setdefault(line, {"kernel": kernel})
        table = entry.setdefault(clock, {"unit": UNIT.get(clock, clock), "workloads": {}})
        for w, by_mode in results.items():
            base = statistics.median(by_mode["off"]) if "off" in by_mode else None
            table["workloads"][w] = {
                m: {
                    "median": statistics.median(v),
                    "rounds": len(v),
                    "spread": (max(v) - min(v)) / statistics.median(v) if v else None,
                    "ratio": statistics.median(v) / base if base else None,
                    "faults_per_unit": faults.get(w, {}).get(m),
                }
                for m, v in by_mode.items()
            }
        if hits:
            entry["probe_hits_per_fault"] = {
                w: {**h, "per_fault": h["probe_hits"] / h["wp_faults"] if h["wp_faults"] else None}
                for w, h in hits.items()
            }
    (out / "bench.json").write_text(json.dumps(report, indent=2) + "\n")

    for clock in ("icount", "wall"):
        lines = [ln for ln, e in report["lines"].items() if clock in e]
        if not lines:
            continue
        print(f"\n{UNIT[clock]} per unit, and the ratio to off (same boot)")
        head = f"{'workload':<12} {'mode':<10}" + "".join(f" {ln:>22}" for ln in lines)
        print(head)
        for w in WORKLOADS:
            for m in MODES:
                cells = []
                for ln in lines:
                    r = report["lines"][ln][clock]["workloads"].get(w, {}).get(m)
                    cells.append(f"{r['median']:>13,.0f} ({r['ratio']:.3f})" if r and r["ratio"] else f"{'-':>22}")
                if any(c.strip() != "-" for c in cells):
                    print(f"{w:<12} {m:<10}" + "".join(f" {c:>22}" for c in cells))
    for ln, e in report["lines"].items():
        for w, h in e.get("probe_hits_per_fault", {}).items():
            if h["per_fault"] is not None:
                print(f"{ln} {w}: {h['probe_hits']} probe hits for {h['wp_faults']} tracked wp faults "
                      f"({h['per_fault']:.2f} per fault)")
    for ln, e in report["lines"].items():
        for w, by_mode in e.get("icount", {}).get("workloads", {}).items():
            off = (by_mode.get("off") or {}).get("faults_per_unit")
            if not off:
                continue
            base = statistics.median(off)
            odd = {m: r["faults_per_unit"] for m, r in by_mode.items()
                   if r.get("faults_per_unit")
                   and any(abs(x / base - 1) > 0.02 for x in r["faults_per_unit"])}
            if odd:
                print(f"{ln} {w}: page faults per unit differ from off's {base:.2f} in "
                      + ", ".join(f"{m} (rounds: {' '.join(f'{x:.2f}' for x in v)})" for m, v in odd.items())
                      + ": the workload took another path there (who ran first after fork), "
                      "so those rows cost more for that, not for the module")
    print(f"\nbench: {out / 'bench.json'}")
    chart(out, report)


def chart(out, report):
    if not shutil.which("gnuplot"):
        print("bench: gnuplot not installed (tools/setup-deps installs it): no chart")
        return
    lines = [ln for ln, e in report["lines"].items() if "icount" in e]
    rows = []
    for w in WORKLOADS:
        for m in MODES[1:]:
            vals = []
            for ln in lines:
                r = report["lines"][ln]["icount"]["workloads"].get(w, {}).get(m)
                vals.append(f"{r['ratio']:.4f}" if r and r["ratio"] else "NaN")
            if any(v != "NaN" for v in vals):
                rows.append(f'"{w}\\n{m}" ' + " ".join(vals))
    if not rows:
        return
    data = out / "bench.dat"
    data.write_text("x " + " ".join(f'"{ln}"' for ln in lines) + "\n" + "\n".join(rows) + "\n")
    plots = ", ".join(
        f"'{data}' using {i + 2}:xtic(1) title columnheader({i + 2})" for i in range(len(lines))
    )
    script = f"""
set terminal pngcairo size 1400,700 font ",11" noenhanced
set output '{out / "bench.png"}'
set title "cowprobe: guest instructions relative to the module unloaded (QEMU -icount, median of rounds)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "ratio to off"
set yrange [0.95:*]
set grid ytics
set key top left
set bmargin 5
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2
plot {plots}
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    print(f"bench: {out / 'bench.png'}")


if __name__ == "__main__":
    main()
