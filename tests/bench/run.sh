#!/bin/bash
# Size, memory and speed of cloudseed, measured, printed as a table and
# written into the "Latest run" section of BENCHMARKS.md (with the date and
# the machine). Nothing here asserts on time; the hard budgets are the
# stripped static binary sizes, checked by tests/bench/size.sh for x86_64 and
# aarch64: the plain stable build (what packages get) <= 600 KiB, the tuned
# build (tests/lib/build.sh) <= 450 KiB. Over either, this command exits 1.
# size.sh also writes the per-crate/per-function "Size breakdown" section.
#
#   tests/bench/run.sh                 everything (~3-5 min on 2 cores)
#   BENCH_QUICK=1 tests/bench/run.sh   fewer runs per figure
#   BENCH_NO_WRITE=1 tests/bench/run.sh   print only, leave BENCHMARKS.md alone
#
# Root is needed for the no-op path on the real /sys/class/block (it opens
# the machine's block devices read-only) and for tests/bench/net.sh.
# apt: hyperfine time cpio gzip zstd busybox-static dosfstools mtools genisoimage python3 binutils
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
budget_kib=450 # the tuned build's; tests/bench/size.sh checks all four builds
quick=${BENCH_QUICK:-}
runs_fast=300 runs_scan=30 runs_io=15 runs_rss=5
[ -n "$quick" ] && { runs_fast=30 runs_scan=3 runs_io=3 runs_rss=2; }

bin=$("$root/tests/lib/build.sh") || { echo "FAIL bench: build failed"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rows=() # "figure|value|how"
row() { rows+=("$1|$2|$3"); printf '%-44s %-22s %s\n' "$1" "$2" "$3"; }
kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

# Median wall time in seconds of a command (hyperfine if present, else a loop).
median() { # runs command...
  local n=$1; shift
  if command -v hyperfine > /dev/null; then
    hyperfine -N --style none --warmup $((n / 10 + 1)) --runs "$n" \
      --export-json "$work/h.json" -- "$(printf '%q ' "$@")" > /dev/null 2>&1 || { echo nan; return; }
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$work/h.json"
  else
    local i t0 t1 ts=()
    for ((i = 0; i < n; i++)); do
      t0=$(date +%s%N); "$@" > /dev/null 2>&1; t1=$(date +%s%N)
      ts+=($(((t1 - t0))))
    done
    printf '%s\n' "${ts[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.9f\n", a[int((NR + 1) / 2)] / 1e9 }'
  fi
}
ms() { awk -v s="$1" 'BEGIN { printf "%.2f ms", s * 1000 }'; }
tool=$(command -v hyperfine > /dev/null && echo "hyperfine -N" || echo "date +%s%N loop")

echo "cloudseed benchmarks: $bin"
printf '%-44s %-22s %s\n' figure value "how measured"

# ---------------------------------------------------------------- size
size=$(stat -c %s "$bin")
over=0
[ "$size" -gt $((budget_kib * 1024)) ] && over=1
variant="${bin#"$root"/}"
case $variant in target/static/*) variant="$variant (musl, core and alloc rebuilt for size)" ;; esac
row "static binary, stripped" "$(kib "$size")" "stat of $variant; budget ${budget_kib} KiB$([ $over = 1 ] && echo ': OVER BUDGET')"
cpio_of() { # file -> cpio newc archive on stdout, holding it as /usr/bin/<name>
  local d=$work/cpio.$RANDOM
  mkdir -p "$d/usr/bin"; cp "$1" "$d/usr/bin/"
  (cd "$d" && find usr | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible 2> /dev/null || find usr | LC_ALL=C sort | cpio -o -H newc --quiet)
  rm -rf "$d"
}
cpio_of "$bin" > "$work/cs.cpio"
row "initramfs bytes added, gzip -9" "$(kib "$(gzip -9c "$work/cs.cpio" | wc -c)")" "cpio newc of the binary, compressed"
row "initramfs bytes added, zstd -19" "$(kib "$(zstd -19 -q -c "$work/cs.cpio" | wc -c)")" "cpio newc of the binary, compressed"
bb=$(command -v busybox || true)
if [ -n "$bb" ] && file -L "$bb" 2> /dev/null | grep -q 'statically linked'; then
  cpio_of "$bb" > "$work/bb.cpio"
  row "busybox-static (whole), gzip -9" "$(kib "$(gzip -9c "$work/bb.cpio" | wc -c)")" "$(kib "$(stat -Lc %s "$bb")") raw; $bb"
  row "busybox-static (whole), zstd -19" "$(kib "$(zstd -19 -q -c "$work/bb.cpio" | wc -c)")" "same"
else
  row "busybox-static" "n/a" "no static busybox installed"
fi
row "Ignition (reference)" "22 MiB" "published size, not measured here"
row "Afterburn (reference)" "8 MiB" "published size, not measured here"

# ---------------------------------------------------------------- images
src=$work/src
mkdir -p "$src/small" "$src/big" "$src/other"
printf 'instance-id: bench\n' > "$src/small/meta-data"
printf '#cloud-config\nhostname: bench\n' > "$src/small/user-data"
cp "$src/small/meta-data" "$src/big/"
# 16 MiB of user-data, exactly the cap: printable, incompressible enough.
head -c $((12 << 20)) /dev/urandom | base64 -w 76 | head -c $((16 << 20)) > "$src/big/user-data"
cp "$src/small/"* "$src/other/"
mkfat() { # out label kib srcdir
  mkfs.vfat -n "$2" -C "$1" "$3" > /dev/null 2>&1 && mcopy -i "$1" "$4"/* ::/
}
mkfat "$work/fat.img" cidata 256 "$src/small"
mkfat "$work/fat-other.img" other 256 "$src/other"
mkfat "$work/fat-big.img" cidata 20000 "$src/big"
genisoimage -quiet -V cidata -R -J -o "$work/iso.img" "$src/small"
genisoimage -quiet -V cidata -R -J -o "$work/iso-big.img" "$src/big"
head -c $((1 << 20)) /dev/zero > "$work/empty.img"
# The run dir on tmpfs, as /run is in the initramfs: on a disk filesystem
# the report's fsync alone costs milliseconds on a busy machine.
rd=$work/run
if [ -d /dev/shm ] && shm=$(mktemp -d /dev/shm/cloudseed-bench.XXXXXX); then
  rd=$shm/run
  trap 'rm -rf "$work" "$shm"' EXIT
fi

# ---------------------------------------------------------------- RSS
rss() { # median peak RSS in KiB of command, over runs_rss runs
  local i vals=()
  for ((i = 0; i < runs_rss; i++)); do
    vals+=("$(/usr/bin/time -v "$@" 2>&1 > /dev/null | sed -nE 's/.*Maximum resident set size \(kbytes\): ([0-9]+)/\1/p')")
  done
  printf '%s\n' "${vals[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
run=("$bin" run --no-network --cmdline quiet --run-dir "$rd")
how="median of $runs_rss, /usr/bin/time -v"
row "peak RSS, no-op (real /sys/class/block)" "$(rss "${run[@]}") KiB" "$how"
row "peak RSS, FAT seed" "$(rss "${run[@]}" --device "$work/fat.img") KiB" "$how"
row "peak RSS, ISO seed" "$(rss "${run[@]}" --device "$work/iso.img") KiB" "$how"
row "peak RSS, 16 MiB user-data (FAT)" "$(rss "${run[@]}" --device "$work/fat-big.img") KiB" "$how"
row "peak RSS, 16 MiB user-data (ISO)" "$(rss "${run[@]}" --device "$work/iso-big.img") KiB" "$how"

# ---------------------------------------------------------------- no-op time
t_noop=$(median $runs_fast "${run[@]}")
t_true=$(median $runs_fast /bin/true)
ndev=$(ls /sys/class/block 2> /dev/null | wc -l)
row "no-op run (real /sys: $ndev block devices)" "$(ms "$t_noop")" "median of $runs_fast, $tool; cmdline 'quiet', --no-network, run dir on $(df --output=fstype "$rd" 2> /dev/null | tail -1)"
link=$(file -L /bin/true 2> /dev/null | grep -q 'statically linked' && echo static || echo "dynamic: ld.so + libc")
row "/bin/true ($link)" "$(ms "$t_true")" "median of $runs_fast, $tool"
row "no-op / true" "$(awk -v a="$t_noop" -v b="$t_true" 'BEGIN { printf "%.1fx", a / b }')" "ratio of the medians"

# ---------------------------------------------------------------- scan cost
mkdir -p "$work/devs"
kinds=(fat.img iso.img fat-other.img empty.img)
for n in 1 16 64 256; do
  args=()
  for ((i = 0; i < n; i++)); do
    k=${kinds[$((i % 4))]}
    cp "$work/$k" "$work/devs/$i-$k" 2> /dev/null || true
    args+=(--device "$work/devs/$i-$k")
  done
  t=$(median $runs_scan "${run[@]}" "${args[@]}")
  eval "t_scan_$n=$t"
  row "scan $n device(s) (FAT, ISO, other, empty)" "$(ms "$t")" "$(awk -v t="$t" -v n=$n 'BEGIN { printf "%.3f ms/device", t * 1000 / n }') incl. start and hand-off; median of $runs_scan"
done
# The hand-off and process start are in every run: the slope is the scan.
row "scan cost per device (marginal)" "$(awk -v a="$t_scan_256" -v b="$t_scan_16" 'BEGIN { printf "%.3f ms", (a - b) * 1000 / 240 }')" "(t(256) - t(16)) / 240"

# ---------------------------------------------------------------- throughput
for fs in fat iso; do
  t_big=$(median $runs_io "$bin" probe "$work/$fs-big.img")
  t_small=$(median $runs_io "$bin" probe "$work/$fs.img")
  row "$fs read, 16 MiB user-data" "$(awk -v a="$t_big" -v b="$t_small" 'BEGIN { d = a - b; if (d <= 0) d = a; printf "%.0f MiB/s", 16 / d }')" \
    "probe (reads, writes nothing): 16 MiB / (median big - median small), $(ms "$t_big") vs $(ms "$t_small"), median of $runs_io"
done
t=$(median $runs_io "${run[@]}" --device "$work/fat-big.img")
row "run with 16 MiB user-data (FAT), whole" "$(ms "$t")" "read + SHA-256 for the report + hand-off write to $(df --output=fstype "$rd" 2> /dev/null | tail -1); median of $runs_io"
t=$(median $runs_io "$bin" run --no-network --cmdline quiet --run-dir "$work/disk-run" --device "$work/fat-big.img")
row "same, run dir on $(df --output=fstype "$work" | tail -1)" "$(ms "$t")" "fsync reaches a disk; median of $runs_io"

# ---------------------------------------------------------------- phase 2
# The two-phase split (hooks): `run --stage` before the root mount, then
# `handoff --root` after it, on the boot's critical path between the root
# mount and switch_root. Timed: one `handoff` process (state read,
# identification against a root's /etc/cloud, rename of the staged seed,
# cloud.cfg, report merge); the stage before each is not timed.
mkdir -p "$work/root/etc/cloud/cloud.cfg.d"
printf 'datasource_list: [ NoCloud, ConfigDrive, OpenStack, Ec2, None ]\n' > "$work/root/etc/cloud/cloud.cfg.d/90_dpkg.cfg"
for i in $(seq 40); do printf ' - module_%s\n' "$i"; done | sed '1i cloud_init_modules:' > "$work/root/etc/cloud/cloud.cfg"
ts=()
for ((i = 0; i < runs_scan; i++)); do
  rm -rf "$rd"
  "$bin" run --stage --no-network --cmdline quiet --run-dir "$rd" --device "$work/fat.img" > /dev/null 2>&1
  t0=$(date +%s%N)
  "$bin" handoff --root "$work/root" --run-dir "$rd" > /dev/null 2>&1
  t1=$(date +%s%N)
  ts+=($((t1 - t0)))
done
t_p2=$(printf '%s\n' "${ts[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.9f\n", a[int((NR + 1) / 2)] / 1e9 }')
row "phase 2: handoff --root (FAT seed staged)" "$(ms "$t_p2")" "after the root mount: one process, median of $runs_scan, date +%s%N; the stage is not timed"
t_one=$(median $runs_scan "${run[@]}" --device "$work/fat.img")
row "one-shot run, FAT seed (both phases)" "$(ms "$t_one")" "for comparison; median of $runs_scan, $tool"

# ---------------------------------------------------------------- network
net_out=""
if [ -x "$here/net.sh" ] && [ "$(id -u)" = 0 ]; then
  net_out=$("$here/net.sh" 2>&1 | tail -n 40)
  echo "$net_out"
elif [ -x "$here/net.sh" ]; then
  net_out="tests/bench/net.sh needs root: not run"
else
  net_out="tests/bench/net.sh not present: network path not measured"
fi

# ---------------------------------------------------------------- report
cpu=$(sed -nE 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
machine="$(nproc) CPUs ($cpu), kernel $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $machine"
if [ -z "${BENCH_NO_WRITE:-}" ]; then
  {
    echo "<!-- latest-run:begin (written by tests/bench/run.sh) -->"
    echo "Run on $machine; binary ${bin#"$root"/} at commit $(git -C "$root" rev-parse --short HEAD 2> /dev/null)."
    echo
    echo "| Figure | Value | How measured |"
    echo "|---|---|---|"
    for r in "${rows[@]}"; do echo "| ${r//|/ | } |"; done
    echo
    echo "Network path (tests/bench/net.sh):"
    echo
    echo '```'
    echo "$net_out"
    echo '```'
    echo "<!-- latest-run:end -->"
  } > "$work/section.md"
  python3 - "$root/BENCHMARKS.md" "$work/section.md" << 'EOF'
import re, sys
path, section = sys.argv[1], open(sys.argv[2]).read().rstrip("\n")
try:
    text = open(path).read()
except FileNotFoundError:
    text = "# Benchmarks\n\n## Latest run\n\n<!-- latest-run:begin --><!-- latest-run:end -->\n"
new, n = re.subn(r"<!-- latest-run:begin.*?<!-- latest-run:end -->", lambda m: section, text, flags=re.S)
if n == 0:
    new = text.rstrip("\n") + "\n\n## Latest run\n\n" + section + "\n"
open(path, "w").write(new)
EOF
  echo "wrote the latest run into BENCHMARKS.md"
fi
size_out=$("$here/size.sh" 2>&1); size_rc=$?
printf '%s\n' "$size_out" | sed -n '/^| build /,/^$/p'
printf '%s\n' "$size_out" | grep '^FAIL' || true
if [ $over = 1 ] || [ $size_rc != 0 ]; then
  echo "FAIL bench: over a size budget (tuned x86_64 $(kib "$size"), budget ${budget_kib} KiB; tests/bench/size.sh rc $size_rc)"
  exit 1
fi
echo "PASS bench"
