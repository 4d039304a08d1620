#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make mutants: single edits of the product that each break a documented promise, applied one
at a time to a scratch copy of the tree, rebuilt, and tested; every edit must make a test fail.

The edits live next to the code they change, in a MUTANTS file in each source directory
(launcher/MUTANTS, common/MUTANTS, probe/MUTANTS). One stanza each, separated by blank lines:

    id:    short-name
    why:   the promise the edit breaks (what a user would lose)
    file:  launcher/ident.c
    from:  exact text that occurs once in the file (\\n and \\t for newline and tab, \\\\
           for a backslash, so C's "\\n" is \\\\n; the spaces after the colon only align)
    to:    what it becomes
    tests: t-launch.sh unit:test_claim ...   (black-box files under tests/, or unit:NAME)

An edit whose `from` no longer occurs exactly once is an error: the list must move with the
code. The tests named must pass on the unmutated copy first, or nothing would be proved.
Usage: tests/mutants.py [ID...]   (BUILD, PCIPASS_MUST_WORK as for the other tests)"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEYS = ("id", "why", "file", "from", "to", "tests")


def unescape(text):
    """\\n a newline, \\t a tab, \\\\ a backslash (C's "\\n" is written \\\\n); any other
    backslash stays as it is."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in "nt\\":
            out.append({"n": "\n", "t": "\t", "\\": "\\"}[text[i + 1]])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def load():
    mutants = []
    for d in sorted(os.listdir(ROOT)):
        path = os.path.join(ROOT, d, "MUTANTS")
        if not os.path.isfile(path):
            continue
        with open(path) as f:
            stanzas = f.read().split("\n\n")
        for n, text in enumerate(stanzas):
            m = {}
            for line in text.splitlines():
                if not line.strip() or line.startswith("#"):
                    continue
                key, sep, value = line.partition(":")
                if not sep or key.strip() not in KEYS:
                    sys.exit(f"{path}: stanza {n + 1}: expected one of {', '.join(KEYS)}, got {line!r}")
                # spaces after the colon only align the values: a tab that belongs to the code
                # is written \t
                m[key.strip()] = value.lstrip(" ")
            if not m:
                continue
            missing = [k for k in KEYS if k not in m]
            if missing:
                sys.exit(f"{path}: stanza {n + 1}: missing {', '.join(missing)}")
            for k in ("from", "to"):
                m[k] = unescape(m[k])
            m["tests"] = m["tests"].split()
            m["list"] = path
            mutants.append(m)
    ids = [m["id"] for m in mutants]
    dups = {i for i in ids if ids.count(i) > 1}
    if dups:
        sys.exit(f"mutants: ids given twice: {', '.join(sorted(dups))}")
    return mutants


def run(cmd, cwd, env, log):
    with open(log, "a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        return subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT).returncode


def test_fails(test, src, env, log):
    """True when the test fails (a 'not ok', a non-zero exit or a failed unit test)."""
    if test.startswith("unit:"):
        name = test[5:]
        if run(["make", "-s", f"build/tests/{name}"], src, env, log) != 0:
            return True
        return run([f"build/tests/{name}"], src, env, log) != 0
    results = os.path.join(src, "build", "results")
    open(results, "w").close()
    e = dict(env, RESULTS=results)
    st = run(["bash", f"tests/{test}"], src, e, log)
    with open(results) as f:
        fails = sum(1 for line in f if line.strip() == "fail")
    return st != 0 or fails > 0


def main():
    mutants = load()
    only = set(sys.argv[1:])
    if only:
        unknown = only - {m["id"] for m in mutants}
        if unknown:
            sys.exit(f"mutants: no mutant {', '.join(sorted(unknown))}")
        mutants = [m for m in mutants if m["id"] in only]
    work = os.path.join(ROOT, os.environ.get("BUILD", "build"), "mutants")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    src = os.path.join(work, "src")
    log = os.path.join(work, "log")
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for f in files:
        if not f:
            continue
        f = f.decode()
        if not os.path.exists(os.path.join(ROOT, f)) or os.path.islink(os.path.join(ROOT, f)):
            continue
        os.makedirs(os.path.join(src, os.path.dirname(f)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, f), os.path.join(src, f))
    # a test file ends at its first failure (tests/lib.sh failt): a kill needs no more
    env = dict(os.environ, BUILD="build", PCIPASS_FAIL_FAST="1")
    env.pop("RESULTS", None)
    # each edit must still match its code, before anything is built
    for m in mutants:
        with open(os.path.join(src, m["file"])) as f:
            n = f.read().count(m["from"])
        if n != 1:
            sys.exit(f"{m['list']}: mutant {m['id']}: its 'from' occurs {n} times in {m['file']}, "
                     "expected once (update the list with the code)")
    if run(["make", "-s", "all"], src, env, log) != 0:
        sys.exit(f"mutants: the unmutated copy does not build; see {log}")
    tests = sorted({t for m in mutants for t in m["tests"]})
    for t in tests:
        if test_fails(t, src, env, log):
            sys.exit(f"mutants: {t} fails on the unmutated copy; see {log}")
    survived = []
    start = time.monotonic()
    for m in mutants:
        path = os.path.join(src, m["file"])
        with open(path) as f:
            orig = f.read()
        with open(path, "w") as f:
            f.write(orig.replace(m["from"], m["to"]))
        t0 = time.monotonic()
        if run(["make", "-s", "all"], src, env, log) != 0:
            # a compiler is no test: an edit that does not build says nothing
            verdict, by = "BROKEN", None
        else:
            by = next((t for t in m["tests"] if test_fails(t, src, env, log)), None)
            verdict = "killed" if by else "SURVIVED"
        with open(path, "w") as f:
            f.write(orig)
        os.utime(path)  # newer than the mutant's objects: the next build recompiles it
        print(f"{verdict:8} {m['id']:28} {time.monotonic() - t0:5.1f}s  {by or ' '.join(m['tests'])}"
              f"  ({m['why']})", flush=True)
        if not by:
            survived.append(m["id"] + (" (does not build)" if verdict == "BROKEN" else ""))
    print(f"mutants: {len(mutants) - len(survived)} killed, {len(survived)} survived "
          f"({time.monotonic() - start:.0f} s; log {log})")
    if survived:
        print("mutants: survived: " + " ".join(survived))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
