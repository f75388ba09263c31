"""Merges result directories: matrix.json, KTAP and logs per line, kcidb.json, index.html and the table."""
import json
import pathlib
import shutil
import subprocess

from . import kcidb, page


def load(directories):
    """The result.json of each directory, keyed by line, in the order given."""
    results = {}
    for d in directories:
        d = pathlib.Path(d)
        f = d / "result.json"
        if not f.exists():
            # a line job that died before writing its result still counts
            name = d.name
            results[name] = {"line": name, "kernel_release": "", "package": "", "package_version": "",
                             "status": None, "scenarios": {}, "durations": {}, "timings": {},
                             "error": f"no result.json in {d}", "dir": d}
            continue
        r = json.loads(f.read_text())
        r["dir"] = d
        results[r["line"]] = r
    return results


def failed(r):
    return "error" in r or any(s["status"] == "fail" for s in r["scenarios"].values())


def matrix_json(results):
    """build/matrix.json as before the split: per line package, release, STATUS, scenarios (and error)."""
    matrix = {}
    for line, r in results.items():
        entry = {"kernel_release": r["kernel_release"], "package": r["package"],
                 "package_version": r["package_version"], "status": r["status"], "scenarios": r["scenarios"]}
        if "error" in r:
            entry["error"] = r["error"]
        matrix[line] = entry
    return matrix


def scenario_names(results):
    names = []
    for r in results.values():
        for n in r["scenarios"]:
            if n not in names:
                names.append(n)
    return names


def skip_reason(s):
    return next((r.get("skip_reason") for r in s["runs"] if "skip_reason" in r), "")


def table(results, out):
    lines = list(results)
    names = scenario_names(results)
    width = max([len(n) for n in names] + [10])
    print(f"{'scenario':<{width}} " + " ".join(f"{l:>8}" for l in lines))
    for n in names:
        cells = [f"{(results[l]['scenarios'][n]['status'] if n in results[l]['scenarios'] else '-'):>8}"
                 for l in lines]
        print(f"{n:<{width}} " + " ".join(cells))
    for l, r in results.items():
        if "error" in r:
            print(f"{l}: {r['error']}")
        if r.get("status"):
            probes = r["status"].get("probes", [])
            placed = ", ".join(f"{p['name']}={p['symbol'] if p['state'] == 'active' else 'absent'}" for p in probes)
            print(f"{l} ({r['package']} {r['package_version']}): {placed}")
            for c in r["status"].get("classes", []):
                if c["state"] != "observed":
                    print(f"  {c['name']}: {c['state']}: {c['how']}")
    for l, r in results.items():
        for n, s in r["scenarios"].items():
            if s["status"] == "skip":
                print(f"skip {l} {n}: {skip_reason(s)}")


def skips_wrong(results):
    """tools/check-skips on each line's check.tap: the lines whose skips are not those expected."""
    tool = pathlib.Path(__file__).resolve().parent.parent / "check-skips"
    wrong = []
    for line, r in results.items():
        if not (r["dir"] / "check.tap").exists():
            continue  # no result at all: the line's error says so
        p = subprocess.run([tool, line, r["dir"] / "check.tap", r["dir"] / "scenarios.list"],
                           capture_output=True, text=True, check=False)
        print((p.stdout + p.stderr).rstrip())
        if p.returncode != 0:
            wrong.append(line)
    return wrong


def run(directories, out, json_path):
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results = load(directories)
    for line, r in results.items():
        for src, dst in (("check.tap", f"{line}.tap"), ("console.log", f"{line}.log")):
            if (r["dir"] / src).exists() and (r["dir"] / src).resolve() != (out / dst).resolve():
                shutil.copyfile(r["dir"] / src, out / dst)
    pathlib.Path(json_path).write_text(json.dumps(matrix_json(results), indent=2) + "\n")
    (out / "kcidb.json").write_text(json.dumps(kcidb.report(results), indent=2) + "\n")
    (out / "index.html").write_text(page.render(results, scenario_names(results), out))
    table(results, out)
    bad = any(failed(r) for r in results.values())
    bad = bool(skips_wrong(results)) or bad
    print("matrix: " + ("FAIL" if bad else "PASS") +
          f" ({json_path}, {out}/kcidb.json, {out}/index.html, {out}/LINE.tap)")
    return 1 if bad else 0
