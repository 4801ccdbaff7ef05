#!/bin/bash
# apt: debootstrap debian-archive-keyring
# debroot.sh SUITE : builds (once) a cached Debian root with cloud-init and
# prints its path: ${CLOUDSEED_CACHE:-/var/cache/cloudseed-test}/root-SUITE.
# The root is rebuilt when it is missing or when this script changed (the
# script's hash is stored beside it). Callers must never modify the root:
# copy it (cp -a / overlayfs) first. Progress goes to stderr, the path to stdout.
#   bookworm: systemd, udev, ifupdown, openssh, cloud-init 22.4.2, the kernel,
#             initramfs-tools and busybox (the full QEMU boot tier boots it)
#   trixie:   minbase + cloud-init 25.1.4 + ifupdown (chroot interop only)
set -euo pipefail
SUITE=${1:?usage: debroot.sh bookworm|trixie}
MIRROR=http://deb.debian.org/debian
SECMIRROR=http://deb.debian.org/debian-security
CACHE=${CLOUDSEED_CACHE:-/var/cache/cloudseed-test}
ROOT=$CACHE/root-$SUITE
case $SUITE in
  bookworm)
    PKGS="systemd-sysv udev dbus kmod e2fsprogs zstd iproute2 ifupdown isc-dhcp-client
          openssh-server cloud-init linux-image-amd64 initramfs-tools busybox" ;;
  # ifupdown: gives cloud-init's ENI renderer something to render for
  trixie) PKGS="cloud-init iproute2 ifupdown" ;;
  *) echo "debroot.sh: unknown suite $SUITE" >&2; exit 2 ;;
esac
log() { printf '[%(%H:%M:%S)T] debroot %s: %s\n' -1 "$SUITE" "$*" >&2; }

mkdir -p "$CACHE"
# one builder per suite at a time; a second caller waits and reuses the result
if [ -z "${DEBROOT_IN_NS:-}" ]; then
  exec 9>"$ROOT.lock"
  flock 9
fi
HASH=$( { sha256sum < "$0"; echo "$SUITE"; } | sha256sum | cut -d' ' -f1)
if [ -z "${DEBROOT_IN_NS:-}" ] && [ -x "$ROOT/usr/bin/cloud-init" ] && [ "$(cat "$ROOT.hash" 2>/dev/null)" = "$HASH" ]; then
  echo "$ROOT"
  exit 0
fi

TMP=$ROOT.new
if [ -z "${DEBROOT_IN_NS:-}" ]; then
  # build in a private mount namespace: the chroot's /proc, /sys, /dev and
  # /dev/pts mounts can neither propagate to the host nor outlive the build
  t0=$SECONDS
  DEBROOT_IN_NS=1 unshare -m --propagation private bash "$0" "$SUITE" >&2
  rm -rf "$ROOT"
  mv "$TMP" "$ROOT"
  echo "$HASH" > "$ROOT.hash"
  log "ready in $((SECONDS - t0)) s, $(du -sh "$ROOT" | cut -f1)"
  echo "$ROOT"
  exit 0
fi

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  mounted=()
}
trap cleanup EXIT
mnt() { mount "$@"; mounted+=("${*: -1}"); }
in_root() { LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive chroot "$TMP" "$@"; }

t0=$SECONDS
for m in dev/pts dev sys proc; do mountpoint -q "$TMP/$m" 2>/dev/null && umount -l "$TMP/$m"; done
rm -rf "$TMP"
log "debootstrap --variant=minbase $SUITE"
debootstrap --variant=minbase "$SUITE" "$TMP" "$MIRROR" >&2
log "debootstrap done in $((SECONDS - t0)) s"
cat > "$TMP/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECMIRROR $SUITE-security main
EOF
# no docs/man pages: smaller root, faster image builds
cat > "$TMP/etc/dpkg/dpkg.cfg.d/01-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
mnt -t proc proc "$TMP/proc"
mnt -t sysfs sysfs "$TMP/sys"
mnt --bind /dev "$TMP/dev"
mnt -t devpts -o newinstance,ptmxmode=0666 devpts "$TMP/dev/pts"
# never start daemons inside the build root
printf '#!/bin/sh\nexit 101\n' > "$TMP/usr/sbin/policy-rc.d"
chmod 0755 "$TMP/usr/sbin/policy-rc.d"
in_root apt-get -q update >&2
in_root apt-get -q -y dist-upgrade >&2
# first: installing cloud-init in one go trips over the virtual package
# python3-cffi-backend-api-* on bookworm
in_root apt-get -q -y install --no-install-recommends python3-cffi-backend >&2
# shellcheck disable=SC2086
in_root apt-get -q -y install --no-install-recommends $PKGS >&2
in_root apt-get clean
rm -rf "$TMP"/var/lib/apt/lists/* "$TMP/usr/sbin/policy-rc.d"
cleanup
log "packages done in $((SECONDS - t0)) s: $(in_root dpkg-query -W -f='${Version}' cloud-init) cloud-init"

