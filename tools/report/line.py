"""One kernel line's result directory: result.json and check.tap from what tools/matrix --line left there."""
import json
import os
import pathlib
import platform
import subprocess
import sys


def _command_output(args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=False).stdout
    except OSError:
        return ""


def _compiler(module):
    """The compiler that built the module, from its .comment section."""
    text = _command_output(["readelf", "-p", ".comment", module]) if module and os.path.exists(module) else ""
    for row in text.splitlines():
        if "GCC:" in row or "clang" in row:
            return row.split("]", 1)[-1].strip()
    return ""


def _entry(repo, line):
    """The line's fields in tools/kernel/lines, unexpanded."""
    for row in (repo / "tools/kernel/lines").read_text().splitlines():
        parts = row.split()
        if parts and parts[0] == line:
            return dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    return {}


def _parse_guest(text):
    """STATUS and one check result per scenario from the guest's output channel."""
    status, scenarios, durations, complete = None, {}, {}, "@@END@@" in text
    if "@@STATUS@@" in text:
        body = text.split("@@STATUS@@", 1)[1].split("@@CHECK@@", 1)[0].split("@@END@@", 1)[0]
        status = json.loads(body)
    for chunk in text.split("@@CHECK@@")[1:]:
        head, _, body = chunk.partition("\n")
        name, t0, t1 = head.split()
        check = json.loads(body.split("@@END@@", 1)[0])
        for s in check["scenarios"]:
            scenarios[s["name"]] = s
        durations[name] = round(float(t1) - float(t0), 2)
    return status, scenarios, durations, complete


def _artifact_base(directory):
    """Where the directory's files can be fetched from: the GitLab job's artifacts, else the file itself."""
    job = os.environ.get("CI_JOB_URL")
    project = os.environ.get("CI_PROJECT_DIR")
    if job and project:
        try:
            rel = directory.resolve().relative_to(pathlib.Path(project).resolve())
            return f"{job}/artifacts/raw/{rel.as_posix()}/"
        except ValueError:
            pass
    return directory.resolve().as_uri() + "/"


def _tap(entry):
    tap = ["KTAP version 1", f"1..{len(entry['scenarios'])}", f"# kernel {entry['kernel_release']}"]
    for i, (name, s) in enumerate(entry["scenarios"].items(), 1):
        if s["status"] == "skip":
            reason = next((r.get("skip_reason", "") for r in s["runs"] if "skip_reason" in r), "")
            tap.append(f"ok {i} {name} # SKIP {reason}")
        else:
            tap.append(f"{'ok' if s['status'] == 'pass' else 'not ok'} {i} {name}")
    if "error" in entry:
        tap.append(f"# error: {entry['error']}")
    return "\n".join(tap) + "\n"


def write(directory, args, repo):
    """Writes result.json and check.tap into directory; returns 0 when the line ran and passed."""
    marks = [float(m) for m in args.marks.split()]
    timings = {"fetch": marks[1] - marks[0], "build": marks[2] - marks[1],
               "boot_and_check": marks[3] - marks[2], "total": marks[3] - marks[0]}
    build_ok = args.build_rc == "0"
    result = {
        "line": args.line,
        "entry": _entry(repo, args.line),
        "kernel_release": args.kver,
        "package": args.package,
        "package_version": args.package_version,
        "started": args.started,
        "finished": args.finished,
        "timings": {k: round(v, 2) for k, v in timings.items()},
        "build": {
            "status": "PASS" if build_ok else ("MISS" if args.build_rc == "fetch" else "FAIL"),
            "compiler": _compiler(args.module),
            "architecture": platform.machine(),
            "toolchain": args.buildroot or "host",
            "command": "tools/kernel/build-module KDIR OUTDIR" + (f" {args.buildroot}" if args.buildroot else ""),
            "log": "build.log",
        },
        "run": {"rc": args.rc, "repeat": args.repeat, "accelerator": args.accelerator or "tcg", "cpus": 2, "memory_mb": 1024},
        "versions": {
            "cowprobe": _command_output(["git", "-C", str(repo), "describe", "--always", "--dirty"]).strip(),
            "qemu": _command_output(["qemu-system-x86_64", "--version"]).split("\n")[0],
            "kernel_package": f"{args.package} {args.package_version}".strip(),
        },
        "artifacts": {"base_url": _artifact_base(directory),
                      "files": ["result.json", "check.tap", "console.log", "build.log", "fetch.log"]},
        "status": None,
        "scenarios": {},
        "durations": {},
    }
    guest = directory / "guest.out"
    try:
        status, scenarios, durations, complete = _parse_guest(guest.read_text(errors="replace")
                                                            if guest.exists() else "")
        result.update(status=status, scenarios=scenarios, durations=durations)
        if not build_ok:
            log = "fetch.log" if args.build_rc == "fetch" else "build.log"
            result["error"] = f"the module was not built ({args.build_rc}); see {directory / log}"
        elif status is None or not complete:
            result["error"] = f"no complete result from the guest; see {directory / 'console.log'}"
    except (ValueError, IndexError) as e:
        result["error"] = f"unreadable result from the guest ({e}); see {directory / 'console.log'}"
    if "error" not in result and args.rc != "0":
        # a check that fails exits 1 and says which scenario; anything else
        # (an oops after the check, a timeout) must not pass unseen
        if not any(s["status"] == "fail" for s in result["scenarios"].values()):
            result["error"] = f"the VM run exited {args.rc} with no failed scenario; see {directory / 'console.log'}"
    (directory / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    (directory / "check.tap").write_text(_tap(result))
    failed = "error" in result or any(s["status"] == "fail" for s in result["scenarios"].values())
    word = "FAILED" if failed else "done"
    print(f"matrix: {args.line}: {word} in {timings['total']:.0f} s; {directory}", file=sys.stderr)
    return 1 if failed else 0
