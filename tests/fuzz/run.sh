#!/bin/bash
# Fuzzes every parser of untrusted bytes for a short, bounded budget and
# fails on any crash. A crash input is kept under target/fuzz-work/artifacts/;
# commit it to tests/fuzz/regressions/<target>/ (replayed here and by
# tests/mutation.rs) once the bug is fixed.
#
#   tests/fuzz/run.sh                      every target, ~6 s each (~80 s)
#   tests/fuzz/run.sh dns fat              only these targets
#   FUZZ_SECONDS=600 tests/fuzz/run.sh     the long run (10 min per target)
#   FUZZ_RUNS=1000000 tests/fuzz/run.sh    a fixed number of executions each
#   FUZZ_SANITIZER=address tests/fuzz/run.sh   with ASan (3x slower; the
#                                          crate has no unsafe outside sys.rs)
#
# Needs a nightly toolchain (or RUSTC_BOOTSTRAP=1 on stable) and cargo-fuzz,
# which it installs with `cargo install cargo-fuzz --locked` if missing.
# apt: dosfstools mtools genisoimage xorriso
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
seconds=${FUZZ_SECONDS:-6}
runs=${FUZZ_RUNS:-}
sanitizer=${FUZZ_SANITIZER:-none}
work=${FUZZ_WORK:-$root/target/fuzz-work}
pass=0 fail=0

result() { # ok? name [reason]
  if [ "$1" = 0 ]; then echo "PASS $2"; pass=$((pass + 1))
  else echo "FAIL $2: $3"; fail=$((fail + 1)); fi
}

if ! cargo fuzz --version > /dev/null 2>&1; then
  echo "installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked >&2 || { result 1 fuzz-setup "cargo install cargo-fuzz failed"; echo "$pass passed, $fail failed"; exit 1; }
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi

if ! "${fuzz[@]}" build --fuzz-dir tests/fuzz -O -s "$sanitizer" >&2; then
  result 1 fuzz-build "cargo fuzz build failed"
  echo "$pass passed, $fail failed"; exit 1
fi
bindir=$here/target/x86_64-unknown-linux-gnu/release
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <("${fuzz[@]}" list --fuzz-dir tests/fuzz)

# Seed corpora: committed seeds plus real images made by the real tools.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$work/corpus" "$work/artifacts"
make_images() { # out-dir
  local o=$1 s=$scratch/src
  mkdir -p "$s/nc" "$s/cd/openstack/latest"
  printf 'instance-id: fuzz\nlocal-hostname: f\n' > "$s/nc/meta-data"
  printf '#cloud-config\nhostname: fuzz\n' > "$s/nc/user-data"
  printf 'version: 2\nethernets:\n  e:\n    dhcp4: true\n' > "$s/nc/network-config"
  printf '#cloud-config\n{}\n' > "$s/nc/vendor-data"
  printf '{"uuid": "u-1", "hostname": "h"}\n' > "$s/cd/openstack/latest/meta_data.json"
  if command -v mkfs.vfat > /dev/null && command -v mcopy > /dev/null; then
    for spec in "cidata 64" "CIDATA 128" "config-2 64" "other 64"; do
      set -- $spec
      mkfs.vfat -n "$1" -C "$o/fat-$1.img" "$2" > /dev/null 2>&1 || continue
      if [ "$1" = config-2 ]; then
        mmd -i "$o/fat-$1.img" ::openstack ::openstack/latest
        mcopy -i "$o/fat-$1.img" "$s/cd/openstack/latest/meta_data.json" ::openstack/latest/
      else
        mcopy -i "$o/fat-$1.img" "$s"/nc/* ::
      fi
    done
  fi
  if command -v genisoimage > /dev/null; then
    genisoimage -quiet -no-pad -V cidata -J -R -o "$o/iso-jr.iso" "$s/nc" 2> /dev/null
    genisoimage -quiet -no-pad -V cidata -J -o "$o/iso-j.iso" "$s/nc" 2> /dev/null
    genisoimage -quiet -no-pad -V cidata -o "$o/iso-plain.iso" "$s/nc" 2> /dev/null
    genisoimage -quiet -no-pad -V config-2 -R -o "$o/iso-cd.iso" "$s/cd" 2> /dev/null
  fi
  if command -v xorriso > /dev/null; then
    xorriso -as mkisofs -quiet -no-pad -V cidata -R -J -o "$o/iso-xorriso.iso" "$s/nc" 2> /dev/null
  fi
}
case " ${targets[*]} " in *" fat "*|*" iso9660 "*) mkdir -p "$scratch/img"; make_images "$scratch/img" ;; esac
for t in "${targets[@]}"; do
  corpus=$work/corpus/$t
  mkdir -p "$corpus"
  [ -d "$here/seeds/$t" ] && cp -n "$here/seeds/$t"/* "$corpus"/ 2> /dev/null
  # Committed fixtures of other suites are good seeds too (fat12-cluster1.img
  # once made fatfs panic); the tiny FAT32 seeds serve the fat target as well.
  fx=$root/tests/fixtures
  case $t in
    fat) cp -n "$scratch"/img/fat-* "$fx"/volumes/*.img "$here"/seeds/fat32/* "$corpus"/ 2> /dev/null ;;
    iso9660) cp -n "$scratch"/img/iso-* "$fx"/volumes/*.iso "$corpus"/ 2> /dev/null ;;
    dhcp) cp -n "$fx"/dhcp/*.bin "$corpus"/ 2> /dev/null ;;
    dhcpv6) cp -n "$fx"/dhcpv6/*/*.bin "$corpus"/ 2> /dev/null ;;
    ra) cp -n "$fx"/ra/*.bin "$corpus"/ 2> /dev/null ;;
    netlink) cp -n "$fx"/netlink/*.bin "$corpus"/ 2> /dev/null ;;
  esac
  bin=$bindir/$t
  log=$work/$t.log
  # Known crashers first: each must now run clean.
  if [ -d "$here/regressions/$t" ] && ls "$here/regressions/$t"/* > /dev/null 2>&1; then
    if ! "$bin" -rss_limit_mb=2048 "$here/regressions/$t"/* > "$log.regress" 2>&1; then
      result 1 "fuzz-$t-regressions" "a committed regression input crashes (see $log.regress)"
      continue
    fi
  fi
  limit=(-max_total_time="$seconds")
  [ -n "$runs" ] && limit=(-runs="$runs")
  max_len=4096
  case $t in fat|iso9660) max_len=200000 ;; fat32) max_len=13312 ;; esac
  "$bin" "${limit[@]}" -max_len=$max_len -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$t-" "$corpus" > "$log" 2>&1
  rc=$?
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -1)
  if [ $rc = 0 ]; then
    result 0 "fuzz-$t (${execs:-?} executions)"
  else
    crash=$(ls -t "$work/artifacts/$t-"* 2> /dev/null | head -1)
    result 1 "fuzz-$t" "exit $rc after ${execs:-?} executions; input ${crash:-?}; log $log"
    grep -m3 -E "panicked at|ERROR: libFuzzer" "$log" | sed 's/^/    /'
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
