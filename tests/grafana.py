#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/grafana.py - checks of the Grafana dashboard (contrib/grafana/pcipass.json), run by
tests/t-grafana.sh. Each command prints one line per problem and exits 1 when there is one.

  lint DASH                 its shape: the template variables, one datasource (the variable),
                            standard panels each with queries that aggregate and filter by the
                            variables
  rules DASH OUT            every query (and variable query) as recording rules, Grafana's
                            variables substituted: group "all" (every host and model) and group
                            "sel" (SEL_INSTANCE and SEL_MODEL chosen), for `promtool check rules`
  names DASH PROM...        every metric a query names is one each textfile has a TYPE line for,
                            every label it selects or groups by one those series carry
  cases DASH FLEET RULES OUT  a `promtool test rules` file: the fleet's real textfiles as input
                            series, and each query's expected numbers worked out here from each
                            host's `pcipass-probe --list --json` (never from the textfiles)

FLEET (JSON, written by t-grafana.sh): {"end": MINUTES, "evals": [MINUTES...], "hosts": [{
"instance": NAME, "ok": the probe's exit was 0, "list": --list --json file, "proms": [[FROM,
FILE]...] (the textfile written at minute FROM), "launch_failures": [[FROM, COUNT]...] (what
<state_dir>/stats held), "stale_from": MINUTE the timer stopped, or null}]}."""
import json
import re
import sys
from collections import Counter

DS_UIDS = ("${datasource}", "$datasource")
PANEL_TYPES = ("stat", "table", "bargauge", "timeseries", "row")
# Grafana's values for its own variables in the checks (t-grafana.sh's header says why these)
BUILTIN = {"__rate_interval": "5m", "__interval": "5m", "__range": "1h"}
SEL_INSTANCE = ("h1", "h3")
SEL_MODEL = ("Atlas-800", "Atlas-300")
GROUPS = {"all": (None, None), "sel": (SEL_INSTANCE, SEL_MODEL)}
# What PromQL may name besides metrics; anything else followed by "(" is not a function here.
FUNCS = {"sum", "count", "max", "min", "avg", "group", "increase", "rate", "time", "vector",
         "clamp_min", "round", "abs", "topk", "bottomk"}
KEYWORDS = {"or", "and", "unless", "bool", "offset"}
AGGREGATING = re.compile(r"\b(sum|count|max|min|avg|group)\s*(\b(by|without)\s*\([^)]*\)\s*)?\(")
SELECTOR = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*\{([^}]*)\}")
MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
LABEL_VALUES = re.compile(r"^label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\)$", re.S)

problems = []


def bad(what):
    problems.append(what)


def done():
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


def no_dup_keys(pairs):
    keys = [k for k, _ in pairs]
    for k in set(keys):
        if keys.count(k) > 1:
            bad(f"dashboard: the key {k!r} twice in one object")
    return dict(pairs)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f, object_pairs_hook=no_dup_keys)


def panels(dash):
    """Every panel, those inside collapsed rows too."""
    for p in dash.get("panels", []):
        yield p
        yield from p.get("panels", [])


def variables(dash):
    return {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}


def var_query(v):
    q = v.get("query")
    return q.get("query", "") if isinstance(q, dict) else q


def queries(dash):
    """(key, title, expr): each query target, and each query variable as `group by (LABEL)` of
    its selector (what label_values() asks Prometheus). key names its recording rule."""
    for p in panels(dash):
        for t in p.get("targets", []):
            yield f"p{p.get('id')}_{t.get('refId')}", p.get("title", ""), t.get("expr", "")
    for name, v in variables(dash).items():
        if v.get("type") == "query":
            m = LABEL_VALUES.match(var_query(v) or "")
            if m:
                yield f"var_{name}", "$" + name, f"group by ({m.group(2)}) ({m.group(1)})"


def substitute(expr, instance, model):
    """expr as Grafana sends it: a variable's All is its allValue .*, a choice of several the
    regex (a|b); $X, ${X}, ${X:fmt} and [[X]] alike. None when a variable is not one we know."""
    values = dict(BUILTIN, instance="(" + "|".join(instance) + ")" if instance else ".*",
                  model="(" + "|".join(model) + ")" if model else ".*")
    unknown = []

    def one(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name not in values:
            unknown.append(name)
            return m.group(0)
        return values[name]
    out = re.sub(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)(?::\w+)?\]\]|\$(\w+)", one, expr)
    return None if unknown else out


def strip_strings(expr):
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)


def lint(path):
    dash = load(path)
    if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < 36:
        bad(f"dashboard: schemaVersion {dash.get('schemaVersion')!r}, expected 36 or later")
    for k in ("title", "uid"):
        if not dash.get(k):
            bad(f"dashboard: no {k}")
    if "__inputs" in dash:
        bad("dashboard: __inputs (a datasource asked for at import): the datasource variable does that")
    # every datasource named anywhere is the variable's: a uid of one Grafana's would not import
    def walk(v, where):
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "datasource":
                    uid = x.get("uid") if isinstance(x, dict) else x
                    kind = x.get("type", "prometheus") if isinstance(x, dict) else "prometheus"
                    if uid not in DS_UIDS or kind != "prometheus":
                        bad(f"dashboard: {where}: datasource {json.dumps(x)}, expected the variable ${{datasource}}")
                else:
                    walk(x, f"{where}.{k}")
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, f"{where}[{i}]")
    walk(dash, "")
    vs = variables(dash)
    ds = vs.get("datasource", {})
    if ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        bad("dashboard: no variable datasource of type datasource, query prometheus")
    want = {"instance": "label_values(pcipass_probe_success, instance)",
            "model": 'label_values(pcipass_devices{instance=~"$instance"}, model)'}
    for name, q in want.items():
        v = vs.get(name, {})
        if v.get("type") != "query" or var_query(v) != q:
            bad(f"dashboard: variable {name}: expected a query variable {q}")
        if v.get("multi") is not True or v.get("includeAll") is not True or v.get("allValue") != ".*":
            bad(f"dashboard: variable {name}: expected multi, includeAll and allValue .*")
    for what in ("id", "title"):
        for i, n in Counter(p.get(what) for p in panels(dash)).items():
            if n > 1:
                bad(f"dashboard: panel {what} {i!r} {n} times (the tests tell panels apart by both)")
    for p in panels(dash):
        name = f"panel {p.get('id')} ({p.get('title')!r})"
        if p.get("type") not in PANEL_TYPES:
            bad(f"dashboard: {name}: type {p.get('type')!r}, expected one of {', '.join(PANEL_TYPES)}")
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "xywh") or g["x"] + g["w"] > 24:
            bad(f"dashboard: {name}: gridPos {g}, expected x, y, w, h within 24 columns")
        if p.get("type") == "row":
            continue
        ts = p.get("targets") or []
        if not ts:
            bad(f"dashboard: {name}: no targets")
        refs = Counter(t.get("refId") for t in ts)
        for r, n in refs.items():
            if not r or n > 1:
                bad(f"dashboard: {name}: refId {r!r} {n} times")
        for t in ts:
            expr = t.get("expr")
            if not isinstance(expr, str) or not expr.strip() or t.get("hide"):
                bad(f"dashboard: {name}: target {t.get('refId')}: no expr (or hidden)")
                continue
            if not AGGREGATING.search(expr):
                bad(f"dashboard: {name}: {expr}: expected an aggregation (sum, count, max by ...)")
            check_filters(name, expr)
    done()


def check_filters(name, expr, model_labelled=None):
    """Every pcipass metric is selected with instance=~"$instance" (and model=~"$model" when it
    has a model label, model_labelled naming those): a panel that ignores the chosen hosts or
    models would show the others'."""
    for m in re.finditer(r"\b(pcipass_[A-Za-z0-9_:]*)\s*(\{[^}]*\})?", expr):
        metric, inside = m.group(1), m.group(2) or ""
        if 'instance=~"$instance"' not in inside:
            bad(f'dashboard: {name}: {expr}: {metric} not selected with instance=~"$instance"')
        if model_labelled and metric in model_labelled and 'model=~"$model"' not in inside:
            bad(f'dashboard: {name}: {expr}: {metric} has a model label, not selected with model=~"$model"')


def rules(path, out):
    dash = load(path)
    groups = []
    for g, (inst, model) in GROUPS.items():
        rs = []
        for key, title, expr in queries(dash):
            e = substitute(expr, inst, model)
            if e is None:
                bad(f"dashboard: {title}: {expr}: a variable other than $instance, $model, $__rate_interval, $__interval, $__range")
                continue
            rs.append({"record": f"grafana_{g}_{key}", "expr": e})
        groups.append({"name": f"grafana_{g}", "rules": rs})
    with open(out, "w") as f:
        json.dump({"groups": groups}, f, indent=1)
    done()


def read_prom(path):
    """{metric: set of label names}, from TYPE lines and samples; samples as (name, labels, value)."""
    metrics, samples = {}, []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"# TYPE (\S+) ", line)
            if m:
                metrics.setdefault(m.group(1), set())
            if not line or line.startswith("#"):
                continue
            m = re.match(r"([A-Za-z_:][A-Za-z0-9_:]*)(\{.*\})? (\S+)$", line)
            if not m:
                bad(f"{path}: not a sample line: {line}")
                continue
            labels = m.group(2) or ""
            metrics.setdefault(m.group(1), set()).update(x.group(1) for x in MATCHER.finditer(labels))
            samples.append((m.group(1), labels, m.group(3)))
    return metrics, samples


def names(path, proms):
    dash = load(path)
    per_file = [read_prom(p)[0] for p in proms]
    labels = {}
    for metrics in per_file:
        for k, v in metrics.items():
            labels.setdefault(k, set()).update(v)
    model_labelled = {k for k, v in labels.items() if "model" in v}
    for key, title, expr in queries(dash):
        if not key.startswith("var_"):
            check_filters(title, expr, model_labelled)
        used = set()
        for m in SELECTOR.finditer(expr):
            for x in MATCHER.finditer(m.group(2)):
                if x.group(1) not in labels.get(m.group(1), set()) | {"instance", "job"}:
                    bad(f"dashboard: {title}: {expr}: label {x.group(1)} is not on {m.group(1)}")
        rest = strip_strings(SELECTOR.sub(r"\1", expr))
        rest = re.sub(r"\[[^\]]*\]", "", rest)
        grouped = [w.strip() for g in GROUPING.finditer(rest) for w in g.group(2).split(",") if w.strip()]
        rest = GROUPING.sub("", rest)
        for m in IDENT.finditer(rest):
            word = m.group(0)
            called = rest[m.end():].lstrip().startswith("(")
            if word in KEYWORDS:
                continue
            if called:
                if word not in FUNCS:
                    bad(f"dashboard: {title}: {expr}: {word}() is not a PromQL function this test knows")
                continue
            used.add(word)
            for p, metrics in zip(proms, per_file):
                if word not in metrics:
                    bad(f"dashboard: {title}: {expr}: {word} is not a metric pcipass-probe --prom wrote ({p})")
        have = set().union(*(labels.get(w, set()) for w in used)) | {"instance", "job"}
        for w in grouped:
            if w not in have:
                bad(f"dashboard: {title}: {expr}: grouped by {w}, a label none of {', '.join(sorted(used))} has")
    done()


# --- the expected numbers, from each host's --list --json --------------------------------------

def fleet_facts(fleet):
    hosts = []
    for h in fleet["hosts"]:
        with open(h["list"]) as f:
            lst = json.load(f)
        # a failing probe writes no device series: what its inventory says no longer counts
        devs = lst["devices"] if h["ok"] else []
        hosts.append(dict(h, disabled=lst["disabled"], devices=devs))
    return hosts


def step_value(steps, minute):
    """The value of [[FROM, VALUE]...] at minute, or None before the first."""
    v = None
    for start, x in steps:
        if start <= minute:
            v = x
    return v


def stamp(h, minute):
    """Seconds on promtool's clock when h's textfile was written, as of minute: every minute
    while its timer runs, then never again."""
    stop = h["stale_from"]
    return 60 * (minute if stop is None else min(minute, stop))


def increase(h, minute, window):
    if step_value(h["launch_failures"], minute) is None:
        return None
    first = step_value(h["launch_failures"], minute - window)
    if first is None:
        first = step_value(h["launch_failures"], 0)
    return step_value(h["launch_failures"], minute) - first


def expected(title, ref, hosts, insts, models, minute):
    """[(labels, value)] the query should give, or None for a query this table does not know."""
    chosen = [h for h in hosts if insts is None or h["instance"] in insts]

    def devs():
        """(instance, device, state) of each device chosen; pcipass_devices counts an
        unreleased device as free (the launcher may claim it)"""
        for h in chosen:
            for d in h["devices"]:
                if models is None or d["model"] in models:
                    state = "claimed" if d["state"] == "claimed" else "free"
                    yield h["instance"], d, state

    def tally(key):
        c = Counter(key(i, d, s) for i, d, s in devs())
        return [(dict(k), v) for k, v in c.items()]
    unreleased = [(i, d) for i, d, s in devs() if s == "free" and d["released"] is False]
    total = {
        ("Free devices", "A"): sum(1 for _, _, s in devs() if s == "free"),
        ("Claimed devices", "A"): sum(1 for _, _, s in devs() if s == "claimed"),
        ("Unreleased devices", "A"): len(unreleased),
        ("Hosts reporting", "A"): len(chosen),
        ("Probes failing", "A"): sum(1 for h in chosen if not h["ok"]),
        ("Oldest probe", "A"): max(60 * minute - stamp(h, minute) for h in chosen),
        ("Custom devices disabled", "A"): sum(1 for h in chosen if h["disabled"]),
        ("Launch failures", "A"): sum(increase(h, minute, 60) or 0 for h in chosen),
    }
    if (title, ref) in total:
        return [({}, total[(title, ref)])]
    per_host = {
        "A": lambda h: 1 if h["ok"] else 0,
        "B": lambda h: 60 * minute - stamp(h, minute),
        "C": lambda h: 1 if h["disabled"] else 0,
        "D": lambda h: increase(h, minute, 60),
    }
    if title in ("Devices per model", "Devices per model over time") and ref == "A":
        return tally(lambda i, d, s: (("model", d["model"]), ("state", s)))
    if (title, ref) == ("Devices per host and model", "A"):
        return tally(lambda i, d, s: (("instance", i), ("model", d["model"]), ("state", s)))
    if (title, ref) == ("Devices to release", "A"):
        return [({"instance": i, "address": d["address"], "model": d["model"]}, 1) for i, d in unreleased]
    if title == "Hosts" and ref in per_host:
        return [({"instance": h["instance"]}, per_host[ref](h)) for h in chosen
                if per_host[ref](h) is not None]
    if (title, ref) == ("Launch failures over time", "A"):
        return [({"instance": h["instance"]}, increase(h, minute, 5)) for h in chosen
                if increase(h, minute, 5) is not None]
    if title == "$instance":
        return [({"instance": h["instance"]}, 1) for h in hosts]
    if title == "$model":
        return [({"model": m}, 1) for m in sorted({d["model"] for h in chosen for d in h["devices"]})]
    return None


def series_text(name, labels, extra):
    inner = ",".join(f'{k}="{v}"' for k, v in extra.items())
    if labels:
        inner += "," + labels[1:-1]
    return f"{name}{{{inner}}}"


def cases(path, fleet_path, rules_name, out):
    dash = load(path)
    with open(fleet_path) as f:
        fleet = json.load(f)
    hosts = fleet_facts(fleet)
    end = fleet["end"]
    # increase() over a window the series do not fill is extrapolated: no exact number to expect
    if min(fleet["evals"]) < 60 or max(fleet["evals"]) > end:
        bad(f"{fleet_path}: evals {fleet['evals']}: expected minutes 60 to {end}")
    inputs = []
    for h in hosts:
        files = [(start, read_prom(p)[1]) for start, p in h["proms"]]
        keys = []
        for _, samples in files:
            for name, labels, _ in samples:
                if (name, labels) not in keys:
                    keys.append((name, labels))
        for name, labels in keys:
            values = []
            for minute in range(end + 1):
                if name == "pcipass_probe_timestamp_seconds":
                    values.append(str(stamp(h, minute)))
                    continue
                samples = step_value(files, minute)
                v = [x for n, lb, x in samples if (n, lb) == (name, labels)]
                values.append(v[0] if v else "_")
            inputs.append({"series": series_text(name, labels, {"instance": h["instance"], "job": "node"}),
                           "values": " ".join(values)})
    tests = []
    for g, (insts, models) in GROUPS.items():
        for key, title, _ in queries(dash):
            ref = key.rsplit("_", 1)[1] if key.startswith("p") else ""
            for minute in fleet["evals"]:
                want = expected(title, ref, hosts, insts, models, minute)
                if want is None:
                    bad(f"dashboard: {title} ({key}): t-grafana has no expected numbers for this query")
                    break
                rec = f"grafana_{g}_{key}"
                tests.append({"expr": rec, "eval_time": f"{minute}m", "exp_samples": [
                    {"labels": rec + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(lb.items())) + "}",
                     "value": v} for lb, v in want]})
    with open(out, "w") as f:
        json.dump({"rule_files": [rules_name], "evaluation_interval": "1m", "tests": [
            {"interval": "1m", "input_series": inputs, "promql_expr_test": tests}]}, f, indent=1)
    done()


def main():
    cmd, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    table = {"lint": (lint, 1), "rules": (rules, 2), "cases": (cases, 4)}
    if cmd == "names" and args:
        names(args[0], args[1:])
    elif cmd in table and len(args) == table[cmd][1]:
        table[cmd][0](*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
