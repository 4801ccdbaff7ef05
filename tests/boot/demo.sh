#!/bin/bash
# apt: qemu-system-x86 netcat-openbsd busybox-static cpio gzip kmod dosfstools mtools python3 ca-certificates
# The demo (README "main job"): builds cloudseed, boots a small VM twice under
# QEMU (TCG, no KVM) and prints what cloudseed wrote in the guest's /run:
#   1. a NoCloud seed on a cidata disk made by `cloudseed mkcidata`
#   2. cloud-config-url= fetched over the VM's DHCP network from an HTTP
#      server on this machine's 127.0.0.1 (QEMU guestfwd, restrict=on)
# Run as root on Debian 12 with a Rust toolchain (>= 1.81, e.g. rustup).
# The first run installs packages and fetches the Debian kernel (~1-2 min);
# later runs reuse ${CLOUDSEED_CACHE:-/var/cache/cloudseed-test} and take ~30 s.
set -uo pipefail
t0=$SECONDS
[ "$(id -u)" = 0 ] || { echo "demo: run as root (apt, QEMU's kernel cache)" >&2; exit 1; }
command -v cargo > /dev/null || { echo "demo: needs Rust >= 1.81 (https://rustup.rs)" >&2; exit 1; }

pkgs=$(sed -n 's/^# apt: //p' "$0" | head -1)
missing=()
for p in $pkgs; do dpkg -s "$p" > /dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null ||
    { echo "demo: apt-get install failed" >&2; exit 1; }
fi
rustup target list --installed 2> /dev/null | grep -qx x86_64-unknown-linux-musl ||
  rustup target add x86_64-unknown-linux-musl > /dev/null 2>&1 || true # else glibc +crt-static
# rust-src: tests/lib/build.sh rebuilds std for size, the binary within budget
rustup component list --installed 2> /dev/null | grep -q '^rust-src' ||
  rustup component add rust-src > /dev/null 2>&1 || echo "demo: rust-src unavailable, the binary will be larger" >&2

. "$(dirname "$0")/lib.sh"
trap csboot_cleanup EXIT
trap 'exit 130' INT TERM
echo "== building cloudseed, the kernel cache and the initramfs"
csboot_setup || exit 1
echo "   cloudseed $("$CSB_BIN" --version | cut -d' ' -f2) ($(stat -c %s "$CSB_BIN") bytes, static), kernel $CSB_KVER"

D=$CSB_WORK/demo
mkdir -p "$D/seed" "$D/www"
cat > "$D/seed/meta-data" << 'M'
instance-id: demo-0001
local-hostname: cloudseed-demo
M
cat > "$D/seed/user-data" << 'U'
#cloud-config
users:
  - name: demo
    ssh_authorized_keys: [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemoKeyOnlyForTheDemo demo@example" ]
runcmd:
  - [ echo, "hello from a cidata disk" ]
U
cat > "$D/www/cc.cfg" << 'C'
#cloud-config
# served from the host's 127.0.0.1 through QEMU's guestfwd
hostname: from-cloud-config-url
bootcmd:
  - [ echo, "hello from cloud-config-url" ]
C
ok=0
echo
echo "== boot 1: a cidata disk made by: cloudseed mkcidata cidata.img --user-data … --meta-data …"
csboot_mkcidata "$D/cidata.img" "$D/seed" || exit 1
csboot_boot cidata --wait block/vda -- -drive "file=$D/cidata.img,format=raw,if=virtio,readonly=on"
csboot_show
[ -s "$B_DIR/cloud-init/cloud.cfg" ] && cmp -s "$B_DIR/cloud-init/seed/nocloud/user-data" "$D/seed/user-data" && ok=$((ok + 1))

echo
echo "== boot 2: cloud-config-url=http://10.0.2.100/cc.cfg (DHCP in the guest, GET via guestfwd)"
csboot_httpd "$D/www" || exit 1
csboot_boot url --wait net/eth0 --fwd --append " cloud-config-url=http://10.0.2.100/cc.cfg"
csboot_show
echo "  host server saw: $(tr '\n' ' ' < "$HTTP_LOG")"
[ -s "$B_DIR/cloud-init/cloud.cfg" ] && grep -q '^hostname: from-cloud-config-url' "$B_DIR/cloud-init/cloud.cfg" && ok=$((ok + 1))

echo
echo "== $ok of 2 boots handed cloud-init its data; demo took $((SECONDS - t0))s"
[ "$ok" = 2 ]
