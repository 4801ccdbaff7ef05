#!/usr/bin/env python3
"""Checks the README's security notes against the source tree.

    check.py ROOT   (README.md and src/ under ROOT)

Within the "## Security notes" section, every claim unit (a table cell, a
bullet, a paragraph) is read left to right:
  - a backticked `src/...` path must exist (it becomes the current file);
  - a backticked CONSTANT after it must be defined in that file
    (`const`/`static NAME`);
  - a backticked function (`name`, `Type::name`) must be a `fn name` there;
  - a backticked `impl ...` must appear verbatim there;
  - a double-quoted "text" after a path must appear verbatim there.
In the limits table ("| Limit | Value | Where |"), the constants a row
names are evaluated (integer expressions, `<<`, `*`, other constants,
`Duration::from_secs/from_millis`) and must equal the values the Value
cell gives, in order (KiB, MiB, s, ms, plain numbers).
Line-number references ("line ~254") are refused: name a function.
Prints one PASS/FAIL line per check and `N passed, M failed`."""

import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "."
readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
passed = failed = 0


def result(ok, what, why=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {what}")
    else:
        failed += 1
        print(f"FAIL {what}: {why}")


m = re.search(r"^## Security notes\n(.*?)(?=^## )", readme, re.S | re.M)
if not m:
    result(False, "security notes", "no '## Security notes' section in README.md")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1)
section = m.group(1)

for lm in re.finditer(r"\blines? ~?\d+", section):
    result(False, "no line numbers", f"'{lm.group(0)}': name a function instead")

sources = {}


def source(path):
    if path not in sources:
        full = os.path.join(root, path)
        sources[path] = open(full, encoding="utf-8").read() if os.path.isfile(full) else None
    return sources[path]


def all_sources():
    for d, _, files in os.walk(os.path.join(root, "src")):
        for f in files:
            if f.endswith(".rs"):
                yield open(os.path.join(d, f), encoding="utf-8").read()


def const_expr(name, prefer):
    """The initialiser of `const NAME`, from `prefer` first, else any file."""
    pat = re.compile(r"\b(?:const|static)\s+" + re.escape(name) + r"\s*:[^=]*=\s*([^;]+);")
    texts = ([prefer] if prefer else []) + list(all_sources())
    for t in texts:
        mm = pat.search(t or "")
        if mm:
            return mm.group(1).strip()
    return None


def evaluate(expr, prefer, depth=0):
    """(number, unit) with unit 'ms' for durations, '' otherwise; None if unknown."""
    if depth > 5:
        return None
    e = expr.replace("_", "") if re.fullmatch(r"[\d_]+", expr.strip()) else expr
    mm = re.fullmatch(r"Duration::from_(secs|millis)\((\d+)\)", e.strip())
    if mm:
        return (int(mm.group(2)) * (1000 if mm.group(1) == "secs" else 1), "ms")

    def sub(k):
        inner = const_expr(k.group(0), prefer)
        if inner is None:
            raise ValueError(k.group(0))
        v = evaluate(inner, prefer, depth + 1)
        if v is None or v[1]:
            raise ValueError(k.group(0))
        return str(v[0])

    try:
        py = re.sub(r"\b[A-Z][A-Z0-9_]+\b", sub, e)
        py = re.sub(r"\bas\s+\w+", "", py)
        if not re.fullmatch(r"[\d\s()+*<>-]+", py):
            return None
        return (int(eval(py)), "")
    except (ValueError, SyntaxError):
        return None


UNITS = {"KiB": (1024, ""), "MiB": (1 << 20, ""), "bytes": (1, ""), "s": (1000, "ms"), "ms": (1, "ms")}


def values(cell):
    """Numbers with units in a Value cell, in order; parentheses ignored."""
    cell = re.sub(r"\([^)]*\)", "", cell)
    out = []
    for mm in re.finditer(r"(\d+)\s*(KiB|MiB|bytes|ms|s)?\b", cell):
        n, unit = int(mm.group(1)), mm.group(2)
        mult, kind = UNITS.get(unit, (1, ""))
        out.append((n * mult, kind))
    return out


def check_unit(text, label):
    """Backticked references in one claim unit, left to right."""
    current = None
    for tok in re.finditer(r"`([^`]+)`|\"([^\"]+)\"", text):
        code, quoted = tok.group(1), tok.group(2)
        if code and re.fullmatch(r"src/[\w/.-]+", code):
            ok = source(code) is not None
            result(ok, f"file {code}", "does not exist")
            current = code if ok else None
            continue
        if current is None:
            continue
        src = source(current)
        if quoted is not None:
            result(quoted in src, f'{current} "{quoted}"', "text not found")
        elif re.fullmatch(r"[A-Z][A-Z0-9_]+", code):
            ok = re.search(r"\b(?:const|static)\s+" + code + r"\b", src) is not None
            result(ok, f"{current} {code}", "no such const or static")
        elif re.fullmatch(r"(?:[A-Z]\w*::)?[a-z_][a-z0-9_]*", code):
            name = code.split("::")[-1]
            ok = re.search(r"\bfn\s+" + name + r"\b", src) is not None
            result(ok, f"{current} {code}", "no such function")
        elif code.startswith("impl "):
            result(code in src, f"{current} {code}", "not found")


units = []
limits = []
for block in re.split(r"\n\s*\n", section):
    lines = block.strip("\n").split("\n")
    if lines and lines[0].startswith("|"):
        cells_of = lambda row: [c.strip() for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))]
        header = cells_of(lines[0])
        for row in lines[2:]:
            cells = cells_of(row)
            for c in cells:
                units.append(c)
            if header[:3] == ["Limit", "Value", "Where"] and len(cells) >= 3:
                limits.append(cells)
    else:
        # Bullets are units of their own.
        for item in re.split(r"\n(?=- )", block):
            units.append(item)

for u in units:
    check_unit(u, u[:40])

if not limits:
    result(False, "limits table", "no '| Limit | Value | Where |' table")
for limit, value, where in (c[:3] for c in limits):
    consts = re.findall(r"`([A-Z][A-Z0-9_]+)`", where)
    paths = re.findall(r"`(src/[\w/.-]+)`", where)
    want = values(value)
    if not consts or not want:
        continue
    prefer = source(paths[0]) if paths else None
    for i, name in enumerate(consts):
        if i >= len(want):
            break
        expr = const_expr(name, prefer)
        got = evaluate(expr, prefer) if expr else None
        ok = got == want[i]
        result(ok, f"limit {limit!r}: {name} = {value}", f"the source says {expr!r} = {got}, the README {want[i]}")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
