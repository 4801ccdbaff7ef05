#!/usr/bin/env python3
"""Where the bytes of an unstripped cloudseed go, per crate and per function.

    bloat.py BINARY [--top N] [--markdown]

Reads `nm -S -C` (symbol sizes) and `size -A` (section sizes). A symbol is
attributed to the crate its demangled path starts with (generic code
instantiated in cloudseed is counted under the crate that defines it, as
cargo-bloat does); symbols without a Rust path are musl's C library.
Section bytes no symbol covers (ELF headers, .eh_frame, string literals
merged by the linker, padding) are shown as "(no symbol)".
"""
import re
import subprocess
import sys
from collections import Counter

KNOWN = ("std", "core", "alloc", "cloudseed", "fatfs", "miniserde", "rustix", "httparse",
         "log", "linux_raw_sys", "itoa", "zmij", "byteorder", "bitflags", "gimli", "addr2line",
         "miniz_oxide", "rustc_demangle", "object", "memchr", "adler2", "hashbrown", "panic_abort",
         "std_detect", "compiler_builtins", "errno", "libc")
# std's backtrace symbolizer and its crates, counted under one name
SYMBOLIZER = ("gimli", "addr2line", "miniz_oxide", "rustc_demangle", "object", "adler2", "memchr")


def crate_of(name):
    if any(k in name for k in ("backtrace_rs", "gimli::", "addr2line::", "rustc_demangle::", "miniz_oxide::")):
        return "std backtrace symbolizer (gimli, addr2line, miniz_oxide, rustc_demangle)"
    if "libunwind::" in name or name.startswith(("_Unwind", "__unw", "unw_")):
        return "libunwind (C++, the prebuilt std's unwinder)"
    n = name
    # <T as Trait>::f and <impl Trait for T>: the implementing type's crate, else the trait's
    m = re.match(r"^<(?:impl )?(?:[&*]|mut |const |dyn )*([A-Za-z_][A-Za-z0-9_]*)::", n)
    if m:
        n = m.group(1) + "::"
    m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)::", n)
    if not m:
        return "musl libc (C)" if re.match(r"^[A-Za-z_.$][A-Za-z0-9_.$]*$", name) else "other"
    c = m.group(1)
    if c in SYMBOLIZER:
        return "std backtrace symbolizer (gimli, addr2line, miniz_oxide, rustc_demangle)"
    if c in ("core", "alloc"):
        return "core + alloc"
    return c if c in KNOWN else "other Rust (" + c + ")"


def main():
    args = sys.argv[1:]
    top = 25
    md = "--markdown" in args
    if "--top" in args:
        top = int(args[args.index("--top") + 1])
    binary = [a for a in args if not a.startswith("--") and not a.isdigit()][0]
    out = subprocess.run(["nm", "-S", "-C", "--size-sort", binary], capture_output=True, text=True,
                         check=True).stdout
    crates, funcs = Counter(), Counter()
    for line in out.splitlines():
        parts = line.split(" ", 3)
        if len(parts) < 4 or parts[2] not in "tTrRdDbBVvWw":
            continue
        if parts[2] in "bB":  # .bss takes no file space
            continue
        size, name = int(parts[1], 16), parts[3]
        name = re.sub(r"::h[0-9a-f]{16}$", "", name)
        crates[crate_of(name)] += size
        funcs[name] += size
    sec = subprocess.run(["size", "-A", binary], capture_output=True, text=True, check=True).stdout
    alloc = 0
    for line in sec.splitlines():
        p = line.split()
        if len(p) == 3 and p[0].startswith(".") and p[0] not in (".bss", ".tbss", ".comment") \
                and not p[0].startswith((".debug", ".symtab", ".strtab")):
            alloc += int(p[1])
    crates["(no symbol: headers, unwind tables, merged literals, padding)"] = max(0, alloc - sum(crates.values()))
    total = sum(crates.values())
    if md:
        print("| crate | KiB | share |\n|---|---:|---:|")
        for c, s in crates.most_common():
            print(f"| {c} | {s / 1024:.1f} | {100 * s / total:.0f}% |")
        print(f"| **loaded sections** | **{total / 1024:.1f}** | |")
        print(f"\n| largest functions and data (top {top}) | KiB |\n|---|---:|")
        for f, s in funcs.most_common(top):
            f = f.replace("|", "\\|")
            if len(f) > 110:
                f = f[:107] + "..."
            print(f"| `{f}` | {s / 1024:.1f} |")
    else:
        for c, s in crates.most_common():
            print(f"{s / 1024:9.1f} KiB  {c}")
        print(f"{total / 1024:9.1f} KiB  total loaded sections")
        for f, s in funcs.most_common(top):
            print(f"{s / 1024:9.1f} KiB  {f[:140]}")


main()
