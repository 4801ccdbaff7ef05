# tests/boot/lib.sh: the fast QEMU tier's machinery, sourced by fast.sh and
# demo.sh. The Debian kernel + a hand-built initramfs (busybox-static, the
# drivers, the static cloudseed, guest-init.sh as /init), booted under TCG.
#   csboot_setup               build everything (cached), set up $CSB_WORK
#   csboot_httpd DIR           HTTP server on 127.0.0.1 for guestfwd; sets HTTP_PORT
#   csboot_boot NAME ARGS...   one boot; see its comment
#   csboot_mkcidata OUT DIR    a cidata FAT image of DIR's seed files
#   csboot_show                print the decoded /run of the last boot
#   csboot_cleanup             stop what we started, remove $CSB_WORK
# shellcheck shell=bash

CSB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CSB_CACHE=${CLOUDSEED_CACHE:-/var/cache/cloudseed-test}
CSB_TIMEOUT=${CSBOOT_TIMEOUT:-240} # hard limit per boot, s (a boot takes ~10)
CSB_PIDS=()
# The machine (tests/boot/arm64.sh sets these for qemu-system-aarch64 -M virt).
CSB_QEMU=${CSB_QEMU:-qemu-system-x86_64}
CSB_MACHINE=${CSB_MACHINE:-"-machine pc -accel tcg -cpu qemu64"}
CSB_CONSOLE=${CSB_CONSOLE:-ttyS0,115200}

csb_log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# Drivers in modules.dep order: virtio (NIC, disk, entropy) always; the PIIX
# IDE/ATAPI path that QEMU's -cdrom uses on -machine pc only for boots that
# have one (its probe costs ~2 s under TCG). af_packet is built in. vfat and
# its code pages let the guest kernel mount what `cloudseed mkcidata` wrote.
CSB_DRIVERS="virtio_pci virtio_net virtio_blk virtio_rng vfat nls_cp437 nls_utf8 nls_ascii"
CSB_DRIVERS_ATA="ata_piix sr_mod"

csb_base_initramfs() { # prints the path of the cached base archive
  local kroot=$1 kver=$2 key dir stage m
  key=$( { cat "$CSB_ROOT/tests/boot/guest-init.sh"; echo "$kver $CSB_DRIVERS / $CSB_DRIVERS_ATA"; sha256sum /bin/busybox; } |
    sha256sum | cut -c1-16)
  dir=$CSB_CACHE/fast/$kver-$key
  mkdir -p "$CSB_CACHE/fast"
  exec 8> "$CSB_CACHE/fast/.lock"
  flock 8 # another suite may be building the same archive
  if [ -s "$dir/base.cpio.gz" ]; then echo "$dir/base.cpio.gz"; exec 8>&-; return; fi
  csb_log "building the base initramfs in $dir"
  rm -rf "$dir"; mkdir -p "$dir"
  stage=$dir/stage
  mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc/csboot,lib/modules,proc,sys,dev,run,tmp}
  cp /bin/busybox "$stage/bin/busybox"
  ln -s busybox "$stage/bin/sh"
  install -m 0755 "$CSB_ROOT/tests/boot/guest-init.sh" "$stage/init"
  # Two load lists: modules.ata holds only what modules lacks.
  local group list
  for group in "modules:$CSB_DRIVERS" "modules.ata:$CSB_DRIVERS $CSB_DRIVERS_ATA"; do
    list=${group%%:*}
    # shellcheck disable=SC2086
    for m in $(for d in ${group#*:}; do modprobe -d "$kroot" -S "$kver" --show-depends "$d"; done |
               awk '$1 == "insmod" && !seen[$2]++ {print $2}'); do
      grep -qx "${m##*/}" "$stage/etc/csboot/modules" 2> /dev/null && continue
      cp "$m" "$stage/lib/modules/"
      basename "$m" >> "$stage/etc/csboot/$list"
    done
  done
  (cd "$stage" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$dir/base.cpio.gz.tmp"
  mv "$dir/base.cpio.gz.tmp" "$dir/base.cpio.gz"
  rm -rf "$stage"
  exec 8>&-
  echo "$dir/base.cpio.gz"
}

csboot_setup() {
  for tool in qemu-system-x86_64 nc cpio busybox modprobe python3; do
    command -v "$tool" > /dev/null || { echo "missing $tool (see the # apt: line)" >&2; return 1; }
  done
  # The initramfs has no libc: Debian's busybox package is dynamic, busybox-static is not.
  if ldd /bin/busybox > /dev/null 2>&1; then
    echo "/bin/busybox is dynamically linked: install busybox-static" >&2; return 1
  fi
  CSB_WORK=$(mktemp -d /tmp/cloudseed-boot.XXXXXX)
  csb_log "building cloudseed"
  CSB_BIN=$("$CSB_ROOT/tests/lib/build.sh") || return 1
  local kdir kroot
  read -r kdir CSB_KVER < <("$CSB_ROOT/tests/lib/kernel.sh") || return 1
  CSB_KERNEL=$kdir/vmlinux
  kroot=$kdir/root
  local base
  base=$(csb_base_initramfs "$kroot" "$CSB_KVER") || return 1
  # The kernel unpacks concatenated archives in order: the cached base, then
  # this build's binary.
  mkdir -p "$CSB_WORK/bin-stage/usr/sbin" "$CSB_WORK/bin-stage/usr/lib/cloudseed"
  cp "$CSB_BIN" "$CSB_WORK/bin-stage/usr/sbin/cloudseed"
  install -m 0755 "$CSB_ROOT/dracut/modules.d/50cloudseed/cloudseed-initrd.sh" \
    "$CSB_WORK/bin-stage/usr/lib/cloudseed/cloudseed-initrd"
  # Each archive must start 4-byte aligned: pad the base with zeros.
  local pad=$(((4 - $(stat -c %s "$base") % 4) % 4))
  { cat "$base"; head -c "$pad" /dev/zero
    (cd "$CSB_WORK/bin-stage" && find . | cpio -o -H newc -R 0:0 --quiet); } > "$CSB_WORK/initrd"
  csb_log "kernel $CSB_KVER, initramfs $(du -k "$CSB_WORK/initrd" | cut -f1) KiB"
}

csboot_cleanup() {
  local p
  for p in "${CSB_PIDS[@]}"; do kill "$p" 2> /dev/null && wait "$p" 2> /dev/null; done
  CSB_PIDS=()
  [ -n "${CSB_NETNS:-}" ] && ip netns del "$CSB_NETNS" 2> /dev/null
  if [ -n "${CSBOOT_KEEP:-}" ]; then echo "kept $CSB_WORK" >&2
  elif [ -n "${CSB_WORK:-}" ]; then rm -rf "$CSB_WORK"; fi
  return 0
}

# csboot_httpd DIR: serves DIR on 127.0.0.1:<free port>; sets HTTP_PORT and
# HTTP_LOG (one line per request path). Waits for the port file, no sleep.
csboot_httpd() {
  local dir=$1 pf=$CSB_WORK/httpd.port i
  HTTP_LOG=$CSB_WORK/httpd.log
  rm -f "$pf"; : > "$HTTP_LOG"
  if [ -f "$CSB_ROOT/tests/support/httpd.py" ]; then
    python3 "$CSB_ROOT/tests/support/httpd.py" --root "$dir" --port-file "$pf" --log "$HTTP_LOG" \
      2>> "$CSB_WORK/httpd.err" &
  else
    python3 - "$dir" "$pf" "$HTTP_LOG" 2>> "$CSB_WORK/httpd.err" <<'PY' &
import functools, http.server, os, sys
root, port_file, log = sys.argv[1:4]
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        with open(log, "a") as f:
            f.write(self.path.split("?")[0] + "\n")
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(H, directory=root))
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_port))
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
PY
  fi
  CSB_PIDS+=($!)
  for i in $(seq 100); do
    [ -s "$pf" ] && break
    kill -0 "${CSB_PIDS[-1]}" 2> /dev/null || { echo "http server died" >&2; return 1; }
    sleep 0.05 # bounded poll for the port file, not a synchronisation sleep
  done
  [ -s "$pf" ] || { echo "http server did not start" >&2; return 1; }
  HTTP_PORT=$(cat "$pf")
}

csb_free_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# csboot_boot NAME [options] [-- qemu args...]
#   --append TEXT   extra kernel cmdline      --wait LIST  csboot.wait= (e.g. block/vda)
#   --fwd           guestfwd 10.0.2.100:80 -> 127.0.0.1:$HTTP_PORT (one nc per connection)
#   --dead-nic      a second virtio NIC on a UDP socket nobody answers
#   --dead-nic-first  the same NIC, but first on the PCI bus (eth0)
#   --tap NS:TAP    eth0 is tap device TAP in network namespace NS, QEMU runs there
# Results: $CSB_WORK/NAME/{serial.log,run/...,meta}; sets B_RC (the failure
# policy's verdict: 0 = boot goes on, 1 = stop it; "none" if it never ran), B_WALL (s, QEMU wall clock), B_CS (s, cloudseed in
# the guest), B_DIR (the decoded /run), B_DONE (yes if the guest finished).
csboot_boot() {
  local name=$1; shift
  local append="" wait="" fwd="" dead="" tap="" extra=()
  while [ $# -gt 0 ]; do
    case $1 in
      --append) append="$append $2"; shift 2 ;;
      --wait) wait=$2; shift 2 ;;
      --fwd) fwd=1; shift ;;
      --dead-nic) dead=second; shift ;;
      --dead-nic-first) dead=first; shift ;;
      --tap) tap=$2; shift 2 ;;
      --) shift; extra=("$@"); break ;;
      *) echo "csboot_boot: bad option $1" >&2; return 2 ;;
    esac
  done
  local d=$CSB_WORK/$name a
  rm -rf "$d"; mkdir -p "$d"
  for a in "${extra[@]}"; do [ "$a" = -cdrom ] && append="$append csboot.ata"; done
  local net="user,id=n0,restrict=on"
  [ -n "$fwd" ] && net="$net,guestfwd=tcp:10.0.2.100:80-cmd:nc 127.0.0.1 $HTTP_PORT"
  local inns=()
  [ -n "$tap" ] && net="tap,id=n0,ifname=${tap#*:},script=no,downscript=no" inns=(ip netns exec "${tap%%:*}")
  local args=(
    $CSB_MACHINE -smp 2 -m 512
    -nodefaults -no-user-config -display none -monitor none -serial stdio -no-reboot
    -kernel "$CSB_KERNEL" -initrd "$CSB_WORK/initrd"
    -append "console=$CSB_CONSOLE panic=1 csboot.wait=${wait}${append}"
    -netdev "$net"
  )
  # UDP to a port nobody listens on: the NIC has carrier, nothing answers.
  # NICs get PCI slots (hence eth0, eth1) in command-line order.
  local deadnic=(-netdev "socket,id=n1,udp=127.0.0.1:$(csb_free_port),localaddr=127.0.0.1:$(csb_free_port)"
    -device virtio-net-pci,netdev=n1,romfile=)
  [ "$dead" = first ] && args+=("${deadnic[@]}")
  args+=(-device virtio-net-pci,netdev=n0,romfile=)
  [ "$dead" = second ] && args+=("${deadnic[@]}")
  args+=(-device virtio-rng-pci)
  args+=("${extra[@]}")
  printf '%q ' "$CSB_QEMU" "${args[@]}" > "$d/cmd"
  local t0=${EPOCHREALTIME/./} rc=0
  "${inns[@]}" timeout -k 5 "$CSB_TIMEOUT" "$CSB_QEMU" "${args[@]}" < /dev/null > "$d/serial.log" 2>&1 || rc=$?
  local ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
  B_WALL=$(printf '%d.%01d' $((ms / 1000)) $((ms % 1000 / 100)))
  B_DIR=$d/run B_META=$d/meta
  python3 - "$d/serial.log" "$B_DIR" > "$d/meta" <<'PY'
import base64, hashlib, os, sys
log, out = sys.argv[1:3]
cur, chunks, meta = None, [], []
for raw in open(log, "rb").read().decode("utf-8", "replace").splitlines():
    line = raw.strip("\r")
    i = line.find("CSBOOT ")
    j = line.find("CSB64 ")
    if j >= 0 and cur:
        chunks.append(line[j + 6:].strip())
    elif i >= 0:
        words = line[i + 7:].split()
        if words[:1] == ["FILE"]:
            cur, chunks = words[1:4], []
        elif words[:1] == ["END"] and cur:
            path, mode, digest = cur
            data = base64.b64decode("".join(chunks))
            ok = hashlib.sha256(data).hexdigest() == digest
            dst = os.path.join(out, path)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "wb") as f:
                f.write(data)
            meta.append(f"FILE {path} {mode} {'ok' if ok else 'corrupt'}")
            cur = None
        else:
            meta.append(" ".join(words))
os.makedirs(out, exist_ok=True)
print("\n".join(meta))
PY
  B_RC=$(sed -n 's/^RC \([0-9]*\) .*/\1/p' "$d/meta"); B_RC=${B_RC:-none}
  local u0 u1
  u0=$(sed -n 's/^START uptime=//p' "$d/meta")
  u1=$(sed -n 's/^RC [0-9]* uptime=//p' "$d/meta")
  B_CS=$( [ -n "$u0" ] && [ -n "$u1" ] && awk -v a="$u0" -v b="$u1" 'BEGIN {printf "%.2f", b - a}' || echo "?")
  B_DONE=no; grep -qx DONE "$d/meta" && B_DONE=yes
  B_QEMU_RC=$rc
  return 0
}

# Helpers for assertions on the decoded /run. Each failure is appended to
# $FAILS; a case passes when it has none.
fail() { FAILS="${FAILS:+$FAILS; }$*"; }
expect_file() { [ -f "$B_DIR/$1" ] || fail "no /run/$1"; }
expect_no() { [ ! -e "$B_DIR/$1" ] || fail "/run/$1 exists"; }
expect_same() { cmp -s "$B_DIR/$1" "$2" || fail "/run/$1 differs from $(basename "$2")"; }
expect_grep() { grep -qE -- "$2" "$B_DIR/$1" 2> /dev/null || fail "/run/$1 lacks /$2/"; }
expect_mode() { grep -q "^FILE $1 $2 " "$B_META" || fail "/run/$1 mode not $2"; }
expect_meta() { grep -qE -- "$1" "$B_META" || fail "guest did not report /$1/"; }
expect_no_meta() { ! grep -qE -- "$1" "$B_META" || fail "guest reported /$1/"; }

# csboot_mkcidata OUT DIR: `cloudseed mkcidata` from DIR/{user-data,meta-data}
# (+ vendor-data, network-config if present). Falls back to mkfs.vfat + mcopy
# only while the subcommand says it is not built; any other failure fails.
csboot_mkcidata() {
  local out=$1 dir=$2 args=() f msg
  args=(--user-data "$dir/user-data" --meta-data "$dir/meta-data")
  [ -f "$dir/vendor-data" ] && args+=(--vendor-data "$dir/vendor-data")
  [ -f "$dir/network-config" ] && args+=(--network-config "$dir/network-config")
  if msg=$("$CSB_BIN" mkcidata "$out" "${args[@]}" 2>&1); then return 0; fi
  if [[ $msg != *"not built"* && $msg != *unsupported* ]]; then
    echo "cloudseed mkcidata: $msg" >&2; return 1
  fi
  echo "note: cloudseed mkcidata is not built yet; using mkfs.vfat + mcopy" >&2
  rm -f "$out"
  mkfs.vfat -n CIDATA -C "$out" 2048 > /dev/null || return 1
  for f in user-data meta-data vendor-data network-config; do
    [ -f "$dir/$f" ] && { mcopy -i "$out" "$dir/$f" :: || return 1; }
  done
  return 0
}

# csboot_show: what cloudseed wrote under the guest's /run, file by file.
csboot_show() {
  local f rel mode
  echo "  cloudseed in the guest: ${B_CS}s, verdict $B_RC; the boot took ${B_WALL}s"
  while read -r _ rel mode _; do
    f=$B_DIR/$rel
    echo "  --- /run/$rel (mode $mode, $(stat -c %s "$f") bytes)"
    if [[ $rel == *.json ]]; then
      python3 -m json.tool "$f" | sed 's/^/  | /'
    elif grep -qI . "$f" || [ ! -s "$f" ]; then
      sed 's/^/  | /' "$f"
    else
      echo "  | (binary)"
    fi
  done < <(grep '^FILE ' "$B_META")
  grep -E '^(ADDR|ROUTE) ' "$B_META" | sed 's/^/  network left: /'
  return 0
}

# csboot_run_cases TITLE: runs case_<name> for every name in $CASES and
# prints PASS/FAIL per case (a failed case's serial log and decoded /run are
# kept under $LOGDIR/<case>), then the boot times under TITLE and the
# "N passed, M failed" line; returns non-zero on any failure. A case sets
# FAILS (empty: passed), B_WALL and B_CS ("-": no boot time to show). The
# caller defines csboot_time_row CASE (one line of the times table) and may
# define csboot_before_case.
csboot_run_cases() {
  local title=$1 CASE times=()
  for CASE in $CASES; do
    if ! declare -F "case_$CASE" > /dev/null; then
      echo "FAIL $CASE: no such case"; nfail=$((nfail + 1)); continue
    fi
    FAILS=""
    if declare -F csboot_before_case > /dev/null; then csboot_before_case; fi
    "case_$CASE"
    [ "$B_CS" = - ] || times+=("$(csboot_time_row "$CASE")")
    if [ -z "$FAILS" ]; then
      echo "PASS $CASE (${B_WALL}s)"; pass=$((pass + 1))
    else
      echo "FAIL $CASE: $FAILS"; nfail=$((nfail + 1))
      rm -rf "${LOGDIR:?}/$CASE"; mkdir -p "$LOGDIR"
      [ -d "$CSB_WORK/$CASE" ] && cp -r "$CSB_WORK/$CASE" "$LOGDIR/$CASE"
      echo "     serial log, decoded /run: $LOGDIR/$CASE/"
    fi
  done
  if [ ${#times[@]} -gt 0 ]; then
    echo "$title"
    printf '  %s\n' "${times[@]}"
  fi
  echo "$pass passed, $nfail failed"
  [ "$nfail" = 0 ]
}
