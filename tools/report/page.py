"""build/matrix/index.html: the matrix for people, one static file, inline CSS, no script, no external request."""
import datetime
import html
import os


CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d1d1f; }
h1 { font-size: 1.5em; margin: 0 0 .2em; }
.verdict { font-weight: bold; padding: .1em .5em; border-radius: 4px; }
.verdict.pass { background: #c8e6c9; } .verdict.fail { background: #ffcdd2; }
table { border-collapse: collapse; }
#matrix th, #matrix td { border: 1px solid #ccc; padding: .25em .5em; vertical-align: top; }
#matrix thead th { background: #f2f2f2; }
#matrix tbody th { text-align: left; font-weight: normal; max-width: 28em; }
#matrix tbody th small { color: #666; display: block; }
td.pass { background: #c8e6c9; } td.fail { background: #ef9a9a; } td.skip { background: #fff3c4; }
td.none { background: #eee; color: #888; }
td details { position: relative; }
td summary { cursor: pointer; font-weight: bold; }
td details[open] > div { position: absolute; z-index: 2; left: 0; top: 1.6em; background: #fff;
  border: 1px solid #888; box-shadow: 0 2px 8px rgba(0,0,0,.25); padding: .5em; width: max-content;
  max-width: 60em; }
.counts th, .counts td { border: 1px solid #ddd; padding: .1em .4em; font-size: 13px; }
.counts tr.diff td { background: #ffcdd2; font-weight: bold; }
.hint { display: block; color: #444; font-size: 11px; max-width: 16em; }
.legend span { padding: 0 .4em; margin-right: .4em; border-radius: 3px; }
.rule { color: #555; font-size: 12px; }
.lines { display: flex; flex-wrap: wrap; gap: 1em; margin-top: 1.5em; }
.line { border: 1px solid #ccc; border-radius: 6px; padding: .6em .9em; min-width: 22em; max-width: 40em; }
.line h2 { font-size: 1.15em; margin: 0 0 .3em; }
.line dt { font-weight: bold; margin-top: .4em; } .line dd { margin: 0 0 0 1em; }
.error { color: #b71c1c; font-weight: bold; }
code { font-size: 12px; }
"""


def scenario_skip_reason(s):
    return next((r.get("skip_reason") for r in s["runs"] if "skip_reason" in r), "")


def _e(text):
    return html.escape(str(text), quote=True)


def _measured(values):
    distinct = sorted(set(values))
    if len(distinct) == 1:
        return f"{distinct[0]}" + (f" (\u00d7{len(values)})" if len(values) > 1 else "")
    return ", ".join(str(v) for v in values)


def _cell(line, name, s, duration):
    if s is None:
        return f'<td class="none" data-line="{_e(line)}" data-scenario="{_e(name)}" data-status="none">-</td>'
    status = s["status"]
    body = []
    if duration is not None:
        body.append(f"<p>{len(s['runs'])} runs in {duration:.1f} s</p>")
    if status == "skip":
        body.append(f"<p><b>skipped:</b> {_e(scenario_skip_reason(s))}</p>")
    rows = {}
    for run in s["runs"]:
        for c in run.get("classes", []):
            key = (c["role"], c["region"], c["counter"])
            row = rows.setdefault(key, {"expected": c["expected"], "measured": [], "ok": True,
                                        "rule": c.get("rule", "")})
            row["measured"].append(c["measured"])
            row["ok"] &= bool(c.get("ok", True))
    if rows:
        body.append('<table class="counts"><tr><th>role</th><th>region</th><th>class</th>'
                    "<th>expected</th><th>measured</th></tr>")
        for (role, region, counter), row in rows.items():
            cls = "" if row["ok"] else ' class="diff"'
            body.append(f"<tr{cls}><td>{_e(role)}</td><td>{_e(region)}</td><td>{_e(counter)}</td>"
                        f"<td>{_e(row['expected'])}</td><td>{_e(_measured(row['measured']))}</td></tr>"
                        f'<tr{cls}><td colspan="5" class="rule">{_e(row["rule"])}</td></tr>')
        body.append("</table>")
    problems = [p for run in s["runs"] for p in run.get("problems", [])]
    if problems:
        body.append("<p><b>differences:</b></p><ul>" + "".join(f"<li>{_e(p)}</li>" for p in problems) + "</ul>")
    hint = ""
    if status == "skip":
        hint = scenario_skip_reason(s)
    elif status == "fail":
        diffs = [f"{role} {counter} {_measured(row['measured'])}, expected {row['expected']}"
                 for (role, _, counter), row in rows.items() if not row["ok"]]
        hint = "; ".join(diffs) or (problems[0] if problems else "")
    if len(hint) > 60:
        hint = hint[:57] + "..."
    hint = f'<small class="hint">{_e(hint)}</small>' if hint else ""
    return (f'<td class="{_e(status)}" data-line="{_e(line)}" data-scenario="{_e(name)}" '
            f'data-status="{_e(status)}"><details><summary>{_e(status)}</summary><div>'
            + "".join(body) + f"</div></details>{hint}</td>")


def _line_card(line, r, here):
    parts = [f'<section class="line" data-line="{_e(line)}"><h2>{_e(line)}</h2><dl>']
    parts.append(f"<dt>package</dt><dd>{_e(r.get('package') or '-')} {_e(r.get('package_version', ''))}"
                 f"<br>kernel {_e(r.get('kernel_release') or '-')}</dd>")
    b = r.get("build", {})
    if b:
        parts.append(f"<dt>module build</dt><dd>{_e(b.get('status'))}, {_e(b.get('compiler') or '?')}, "
                     f"{_e(b.get('toolchain'))}</dd>")
    t = r.get("timings", {})
    if t:
        parts.append("<dt>timings</dt><dd>" + ", ".join(f"{_e(k.replace('_', ' '))} {v:.0f} s" for k, v in t.items())
                     + "</dd>")
    if "error" in r:
        parts.append(f'<dt>error</dt><dd class="error">{_e(r["error"])}</dd>')
    status = r.get("status") or {}
    probes = status.get("probes", [])
    if probes:
        parts.append("<dt>probes placed</dt><dd>" + "<br>".join(
            f"{_e(p['name'])}: <code>{_e(p['symbol'] if p['state'] == 'active' else 'absent')}</code>"
            for p in probes) + "</dd>")
    hidden = [c for c in status.get("classes", []) if c.get("state") != "observed"]
    if hidden:
        parts.append("<dt>classes not observed directly</dt><dd>" + "<br>".join(
            f"{_e(c['name'])}: {_e(c['state'])}: {_e(c.get('how', ''))}" for c in hidden) + "</dd>")
    elif status:
        parts.append("<dt>classes not observed directly</dt><dd>none</dd>")
    v = r.get("versions", {})
    if v:
        parts.append("<dt>versions</dt><dd>" + "<br>".join(f"{_e(k)}: {_e(x)}" for k, x in v.items()) + "</dd>")
    d = r.get("dir")
    if d is not None:
        rel = os.path.relpath(d, here)
        parts.append("<dt>files</dt><dd>" + " ".join(
            f'<a href="{_e(rel)}/{f}">{f}</a>' for f in ("console.log", "check.tap", "build.log", "result.json"))
            + "</dd>")
    parts.append("</dl></section>")
    return "".join(parts)


def render(results, names, here="."):
    lines = list(results)
    counts = {"pass": 0, "fail": 0, "skip": 0}
    for r in results.values():
        for s in r["scenarios"].values():
            counts[s["status"]] = counts.get(s["status"], 0) + 1
    bad = counts["fail"] > 0 or any("error" in r for r in results.values())
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>cowprobe kernel matrix</title><style>", CSS, "</style></head><body>",
           "<h1>cowprobe kernel matrix</h1>",
           f'<p><span id="verdict" class="verdict {"fail" if bad else "pass"}">{"FAIL" if bad else "PASS"}</span> '
           f"{len(lines)} kernel lines, {len(names)} scenarios: {counts['pass']} pass, {counts['fail']} fail, "
           f"{counts['skip']} skip. Generated {now}.</p>",
           '<p class="legend"><span class="verdict pass">pass</span><span style="background:#ef9a9a">fail'
           '</span><span style="background:#fff3c4">skip</span><span style="background:#eee">not run</span>'
           "Click a cell for the expected and measured counts per class, with the rule.</p>",
           '<table id="matrix"><thead><tr><th>scenario</th>']
    for line in lines:
        out.append(f'<th data-line="{_e(line)}">{_e(line)}<br><small>'
                   f"{_e(results[line].get('kernel_release') or 'no result')}</small></th>")
    out.append("</tr></thead><tbody>")
    for name in names:
        summary = next((r["scenarios"][name].get("summary", "") for r in results.values()
                        if name in r["scenarios"]), "")
        out.append(f'<tr data-scenario="{_e(name)}"><th>{_e(name)}<small>{_e(summary)}</small></th>')
        for line in lines:
            r = results[line]
            out.append(_cell(line, name, r["scenarios"].get(name), r.get("durations", {}).get(name)))
        out.append("</tr>")
    out.append('</tbody></table><div class="lines">')
    for line in lines:
        out.append(_line_card(line, results[line], here))
    out.append("</div></body></html>\n")
    return "\n".join(out)
