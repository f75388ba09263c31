"""The matrix as a KCIDB v5.3 report: checkouts (kernel packages), builds (module builds), tests (scenarios).

Field names and rules follow kcidb-io's schema (kcidb_io/schema/v05_03.py): ids are "ORIGIN:...", no
property may be null, test paths are dot-separated [a-zA-Z0-9_-] names.
"""
import re

ORIGIN = "cowprobe"
STATUS = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}


def _clean(value):
    """Drops None values: KCIDB allows a property to be missing, never null."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value if v is not None]
    return value


def _stamp(started):
    return re.sub(r"[^0-9]", "", started)[:14] or "0"


def _classes(s):
    """Expected and measured counts per class over the runs, with the rule."""
    classes = {}
    for run in s["runs"]:
        for c in run.get("classes", []):
            key = (c["role"], c["region"], c["counter"])
            entry = classes.setdefault(key, {"role": c["role"], "region": c["region"], "counter": c["counter"],
                                             "expected": c["expected"], "measured": [], "rule": c.get("rule", "")})
            entry["measured"].append(c["measured"])
    return list(classes.values())


def _differences(s):
    rows = []
    for run in s["runs"]:
        for c in run.get("classes", []):
            if not c.get("ok", True):
                rows.append(f"run {run.get('iteration')}: {c['role']} {c['region']} {c['counter']}: "
                            f"expected {c['expected']}, measured {c['measured']} ({c.get('rule', '')})")
        rows += [f"run {run.get('iteration')}: {p}" for p in run.get("problems", [])]
    return "\n".join(rows)[:16384]


def report(results):
    checkouts, builds, tests = {}, [], []
    for line, r in results.items():
        base = r.get("artifacts", {}).get("base_url", "")
        suite = r.get("entry", {}).get("suite", "")
        pkg, ver = r.get("package") or f"unresolved-{line}", r.get("package_version", "")
        checkout_id = f"{ORIGIN}:{pkg}={ver}" if ver else f"{ORIGIN}:{pkg}"
        checkouts.setdefault(checkout_id, {
            "id": checkout_id,
            "origin": ORIGIN,
            "tree_name": "local" if suite == "local" else f"debian-{suite.replace('host', 'bookworm') or 'unknown'}",
            "comment": f"{pkg} {ver}".strip(),
            "start_time": r.get("started"),
            "valid": bool(r.get("package")),
            "misc": {"package": pkg, "package_version": ver, "kernel_release": r.get("kernel_release"),
                     "line": line},
        })
        b = r.get("build", {})
        build_id = f"{ORIGIN}:{line}:{r.get('kernel_release') or 'none'}:{_stamp(r.get('started', ''))}"
        builds.append({
            "id": build_id,
            "checkout_id": checkout_id,
            "origin": ORIGIN,
            "comment": f"cowprobe.ko {r.get('versions', {}).get('cowprobe', '')} for {r.get('kernel_release')}",
            "start_time": r.get("started"),
            "duration": r.get("timings", {}).get("build"),
            "architecture": b.get("architecture", "x86_64"),
            "compiler": b.get("compiler") or None,
            "command": b.get("command"),
            "config_name": line,
            "log_url": base + "build.log" if base else None,
            "status": b.get("status", "MISS"),
            "misc": {"toolchain": b.get("toolchain"), "cowprobe_version": r.get("versions", {}).get("cowprobe"),
                     "timings": r.get("timings")},
        })
        environment = {"comment": f"QEMU {r.get('run', {}).get('accelerator', 'tcg').upper()}, "
                                  f"{r.get('run', {}).get('cpus', 2)} vCPUs, {r.get('run', {}).get('memory_mb', 1024)} MB",
                       "misc": {"qemu": r.get("versions", {}).get("qemu")}}
        for name, s in r["scenarios"].items():
            misc = {"line": line, "kernel_release": r.get("kernel_release"), "runs": len(s["runs"]),
                    "classes": _classes(s)}
            if s["status"] == "skip":
                misc["skip_reason"] = next((x.get("skip_reason") for x in s["runs"] if "skip_reason" in x), "")
            test = {
                "id": f"{build_id}:{name}",
                "build_id": build_id,
                "origin": ORIGIN,
                "path": "cowprobe." + re.sub(r"[^a-zA-Z0-9_-]", "_", name),
                "comment": s.get("summary"),
                "status": STATUS[s["status"]],
                "duration": r.get("durations", {}).get(name),
                "log_url": base + "console.log" if base else None,
                "environment": environment,
                "misc": misc,
            }
            if s["status"] == "fail":
                test["log_excerpt"] = _differences(s) or None
            tests.append(test)
        if "error" in r:
            tests.append({
                "id": f"{build_id}:run",
                "build_id": build_id,
                "origin": ORIGIN,
                "path": "cowprobe",
                "status": "ERROR",
                "log_excerpt": r["error"][:16384],
                "log_url": base + "console.log" if base else None,
                "environment": environment,
            })
    return _clean({"version": {"major": 5, "minor": 3}, "checkouts": list(checkouts.values()),
                   "builds": builds, "tests": tests})
