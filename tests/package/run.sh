#!/bin/bash
# apt: debhelper dpkg-dev lintian rpm fakeroot make man-db groff-base cpio zstd file systemd
# The package suite: the .deb and the RPM are built from a clean copy of the
# checkout (tracked files + vendor/, no network in the build) and checked:
#   docs           tests/package/docs.sh (man pages, --help, README agree)
#   readonly-root  the shipped tmpfiles.d snippet, applied to an image root,
#                  makes cloud-init's 91_kernel_cmdline_url.cfg a symlink into /run
#   deb            `dpkg-buildpackage -us -uc -b` builds cloudseed_<ver>_<arch>.deb
#   deb-contents   binary, initramfs-tools hook + script, dracut module and
#                  its conf, man pages, docs; every Makefile FILES entry
#   deb-trigger    DEBIAN/triggers: activate-noawait update-initramfs
#   lintian        no errors
#   repro          a second clean build in another directory: the .deb and
#                  the binary are byte-identical (SOURCE_DATE_EPOCH, remapped paths)
#   install-remove in a throwaway copy of the Debian 12 root
#                  (tests/lib/debroot.sh): dpkg -i runs update-initramfs through
#                  the trigger and the initramfs holds cloudseed; dpkg --purge
#                  runs it again and the next initramfs holds no cloudseed
#   deb-arm64      the arm64 .deb cross-built (`dpkg-buildpackage -a arm64`):
#                  a static aarch64 binary, lintian without errors
#   rpm            `rpmbuild -bb` of rpm/cloudseed.spec; `rpm -qlp` file list
#                  (Fedora layout) and `rpm -qp --scripts` scriptlets
#   tests/package/run.sh [CASE...]
# Root is needed for install-remove (chroot, overlayfs).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ALL="docs readonly-root deb deb-contents deb-trigger lintian repro install-remove deb-arm64 rpm"
CASES=${*:-$ALL}
W=$(mktemp -d /tmp/cloudseed-pkg.XXXXXX)
trap 'rm -rf "$W"' EXIT
pass=0 nfail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; nfail=$((nfail + 1)); }
want() { [[ " $CASES " == *" $1 "* ]]; }
arch=$(dpkg --print-architecture)
ver=$(dpkg-parsechangelog -S Version)
upver=${ver%%-*}

# the checkout's tracked (and new, unignored) files + vendor/, as a source tree
srctree() { # DIR
  mkdir -p "$1/cloudseed-$upver"
  git ls-files -co --exclude-standard | grep -v '^vendor/' | tar -cf - -T - | tar -xf - -C "$1/cloudseed-$upver"
  cp -a vendor "$1/cloudseed-$upver/"
}
debbuild() { # DIR -> DIR/cloudseed_<ver>_<arch>.deb
  tests/package/build-deb.sh "$1" > /dev/null 2>&1
}
deb=$W/a/cloudseed_${ver}_$arch.deb

if want docs; then
  out=$(tests/package/docs.sh 2>&1); rc=$?
  printf '%s\n' "$out" | sed -n 's/^\(PASS\|FAIL\)/  docs: \1/p'
  [ $rc = 0 ] && ok "docs ($(tail -1 <<< "$out"))" || bad "docs ($(tail -1 <<< "$out"))"
fi

if want readonly-root; then
  img=$W/img; mkdir -p "$img/etc/cloud/cloud.cfg.d"
  l=/etc/cloud/cloud.cfg.d/91_kernel_cmdline_url.cfg
  if command -v systemd-tmpfiles > /dev/null; then
    systemd-tmpfiles --root="$img" --create - < readonly-root/cloudseed-readonly-root.conf 2> "$W/tmpfiles.err"
    [ -L "$img$l" ] && [ "$(readlink "$img$l")" = /run/cloud-init/91_kernel_cmdline_url.cfg ] &&
      ok "readonly-root: systemd-tmpfiles --root makes $l -> /run/cloud-init/" ||
      bad "readonly-root: no symlink at $l ($(cat "$W/tmpfiles.err"))"
    # var-lib-cloud.mount's mount point: systemd cannot create it on a ro root
    [ -d "$img/var/lib/cloud" ] && ok "readonly-root: the snippet creates /var/lib/cloud" ||
      bad "readonly-root: no /var/lib/cloud"
  else
    bad "readonly-root: systemd-tmpfiles missing"
  fi
fi

need_deb=""
for c in deb deb-contents deb-trigger lintian repro install-remove; do want $c && need_deb=1; done
if [ -n "$need_deb" ] || want rpm; then
  make -s vendor || { bad "make vendor"; echo "$pass passed, $nfail failed"; exit 1; }
fi
if [ -n "$need_deb" ]; then
  t0=$SECONDS
  if debbuild "$W/a" && [ -f "$deb" ]; then
    ok "deb: $(basename "$deb"), $(stat -c %s "$deb") bytes, built in $((SECONDS - t0))s"
  else
    bad "deb: dpkg-buildpackage failed, last lines:"; tail -15 "$W/a/build.log" | sed 's/^/    /'
  fi
fi

if want deb-contents && [ -f "$deb" ]; then
  list=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's,^\./,/,')
  missing=""
  for f in /usr/sbin/cloudseed /usr/share/man/man8/cloudseed.8.gz /usr/share/man/man7/cloudseed-cmdline.7.gz \
           /usr/share/doc/cloudseed/copyright /usr/share/doc/cloudseed/README.md.gz \
           $(make -s -f - print-files <<< 'include Makefile
print-files: ; @for f in $(FILES) $(PKG_FILES); do r=$${f#*:}; echo $${r#*:}; done' | sed 's,/man/\(.*\)$,/man/\1.gz,'); do
    grep -qx -- "$f" <<< "$list" || missing="$missing $f"
  done
  x=$W/x; mkdir -p "$x"; dpkg-deb -x "$deb" "$x"
  file "$x/usr/sbin/cloudseed" | grep -q 'statically linked' || missing="$missing (binary not static)"
  [ -x "$x/usr/share/initramfs-tools/hooks/cloudseed" ] || missing="$missing (hook not executable)"
  "$x/usr/sbin/cloudseed" --version > /dev/null 2>&1 || [ "$arch" != amd64 ] || missing="$missing (binary does not run)"
  [ -z "$missing" ] && ok "deb-contents: $(grep -c . <<< "$list") entries, binary $(stat -c %s "$x/usr/sbin/cloudseed") bytes" ||
    bad "deb-contents: missing$missing"
fi

if want deb-trigger && [ -f "$deb" ]; then
  trig=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./triggers 2> /dev/null)
  grep -qx 'activate-noawait update-initramfs' <<< "$trig" &&
    ! dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -qE '\./(postinst|postrm)$' &&
    ok "deb-trigger: activate-noawait update-initramfs, no maintainer scripts" ||
    bad "deb-trigger: triggers file is [$trig]"
fi

if want lintian && [ -f "$deb" ]; then
  lintian --fail-on error "$W/a/cloudseed_${ver}_$arch.changes" > "$W/lintian.log" 2>&1; rc=$?
  out=$(grep -v 'running with root privileges' "$W/lintian.log")
  [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /'
  [ "$rc" = 0 ] && ok "lintian: no errors ($(grep -c '^W:' <<< "$out") warnings)" || bad "lintian: rc $rc"
fi

if want repro && [ -f "$deb" ]; then
  # another directory (a longer path, so nothing path-sized lines up by luck),
  # another time: only SOURCE_DATE_EPOCH may reach the output
  b=$W/b/another/build/dir
  mkdir -p "$b"
  if debbuild "$b"; then
    b1=$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/sbin/cloudseed | sha256sum | cut -c1-16)
    b2=$(dpkg-deb --fsys-tarfile "$b/cloudseed_${ver}_$arch.deb" | tar -xOf - ./usr/sbin/cloudseed | sha256sum | cut -c1-16)
    if cmp -s "$deb" "$b/cloudseed_${ver}_$arch.deb" && [ "$b1" = "$b2" ]; then
      ok "repro: two clean builds, .deb $(sha256sum < "$deb" | cut -c1-16) and binary $b1 identical"
    else
      bad "repro: .deb or binary differs (binary $b1 vs $b2)"
      command -v diffoscope > /dev/null && diffoscope "$deb" "$b/cloudseed_${ver}_$arch.deb" | head -40
    fi
  else
    bad "repro: second build failed"
  fi
fi

# Inside `unshare -m`: $1 = lower root, $2 = work dir, $3 = the .deb
install_remove() {
  local lower=$1 w=$2 deb=$3 r=$2/root kver
  mkdir -p "$r" "$w/upper" "$w/ovl"
  mount -t overlay overlay -o "lowerdir=$lower,upperdir=$w/upper,workdir=$w/ovl" "$r" 2> /dev/null ||
    { echo "overlayfs unavailable, copying the root" >&2; cp -a "$lower/." "$r/"; }
  mount -t proc proc "$r/proc" && mount -t sysfs sys "$r/sys" && mount --bind /dev "$r/dev" || return 1
  # a small, fast initramfs: what the package adds does not depend on MODULES
  printf 'MODULES=list\nCOMPRESS=gzip\n' > "$r/etc/initramfs-tools/conf.d/zz-pkgtest"
  kver=$(ls "$r/lib/modules" | head -1)
  cp "$deb" "$r/tmp/cloudseed.deb"
  echo "--- dpkg -i"
  chroot "$r" dpkg -i /tmp/cloudseed.deb || return 1
  echo "--- lsinitramfs after install"
  chroot "$r" lsinitramfs "/boot/initrd.img-$kver" | grep cloudseed
  echo "--- dpkg --purge"
  chroot "$r" dpkg --purge cloudseed || return 1
  echo "--- lsinitramfs after purge"
  chroot "$r" lsinitramfs "/boot/initrd.img-$kver" | grep cloudseed
  echo "--- end"
}
if want install-remove && [ -f "$deb" ]; then
  if lower=$(tests/lib/debroot.sh bookworm 2> "$W/debroot.log"); then
    t0=$SECONDS
    unshare -m --propagation private bash -c "$(declare -f install_remove); install_remove \"\$@\"" _ \
      "$lower" "$W/ir" "$deb" > "$W/ir.log" 2>&1
    rc=$?
    after_i=$(sed -n '/^--- lsinitramfs after install/,/^---/p' "$W/ir.log")
    after_p=$(sed -n '/^--- lsinitramfs after purge/,/^---/p' "$W/ir.log")
    f=""
    [ $rc = 0 ] || f="$f; install/purge failed (rc $rc)"
    [ "$(grep -c 'update-initramfs: Generating' "$W/ir.log")" -ge 2 ] || f="$f; update-initramfs did not run on install and on purge"
    grep -qx 'usr/sbin/cloudseed' <<< "$after_i" || f="$f; initramfs after install lacks usr/sbin/cloudseed"
    grep -qx 'scripts/init-premount/cloudseed' <<< "$after_i" || f="$f; initramfs after install lacks scripts/init-premount/cloudseed"
    grep -q cloudseed <<< "$(sed '1d;$d' <<< "$after_p")" && f="$f; initramfs after purge still has: $(sed '1d;$d' <<< "$after_p" | tr '\n' ' ')"
    if [ -z "$f" ]; then ok "install-remove: trigger ran update-initramfs twice; cloudseed in, then out ($((SECONDS - t0))s)"
    else bad "install-remove:${f#;}"; sed 's/^/    /' "$W/ir.log" | tail -30; fi
  else
    bad "install-remove: no Debian 12 root (tests/lib/debroot.sh bookworm)"; tail -5 "$W/debroot.log"
  fi
fi

if want deb-arm64; then
  t0=$SECONDS
  if adeb=$(tests/package/build-deb.sh "$W/arm64" arm64 2> "$W/arm64.err") && [ -f "$adeb" ]; then
    x=$W/xa; mkdir -p "$x"; dpkg-deb -x "$adeb" "$x"
    lintian --fail-on error "${adeb%.deb}.changes" > "$W/lintian-arm64.log" 2>&1; lrc=$?
    if [ "$(dpkg-deb -f "$adeb" Architecture)" = arm64 ] &&
       file "$x/usr/sbin/cloudseed" | grep -q 'ARM aarch64.*statically linked' && [ $lrc = 0 ]; then
      ok "deb-arm64: $(basename "$adeb"), binary $(stat -c %s "$x/usr/sbin/cloudseed") bytes, lintian clean, in $((SECONDS - t0))s"
    else
      bad "deb-arm64: arch $(dpkg-deb -f "$adeb" Architecture), $(file -b "$x/usr/sbin/cloudseed" | cut -c1-60), lintian rc $lrc"
      grep -v 'root privileges' "$W/lintian-arm64.log" | sed 's/^/    /'
    fi
  else
    bad "deb-arm64: the cross build failed"; sed 's/^/    /' "$W/arm64.err" | tail -15
  fi
fi

if want rpm; then
  t0=$SECONDS
  top=$W/rpm; mkdir -p "$top/SOURCES"
  srctree "$top/src" && tar -C "$top/src" -czf "$top/SOURCES/cloudseed-$upver.tar.gz" "cloudseed-$upver"
  # --nodeps: BuildRequires are checked against the RPM database, empty on Debian
  if nice rpmbuild -bb --nodeps --define "_topdir $top" rpm/cloudseed.spec > "$top/build.log" 2>&1 &&
     rpmf=$(ls "$top"/RPMS/*/cloudseed-"$upver"-*.rpm 2> /dev/null | head -1) && [ -n "$rpmf" ]; then
    ok "rpm: $(basename "$rpmf") built in $((SECONDS - t0))s"
    ql=$(rpm -qlp "$rpmf" 2> /dev/null)
    missing=""
    for f in /usr/sbin/cloudseed /usr/lib/dracut/modules.d/50cloudseed/module-setup.sh \
             /usr/lib/dracut/modules.d/50cloudseed/cloudseed.service /usr/lib/dracut/modules.d/50cloudseed/cloudseed-initrd.sh \
             /usr/lib/dracut/modules.d/50cloudseed/cloudseed-hook.sh /usr/lib/dracut/dracut.conf.d/50-cloudseed.conf \
             /usr/share/man/man8/cloudseed.8 /usr/share/man/man7/cloudseed-cmdline.7; do
      grep -qE -- "^$f(\.gz)?$" <<< "$ql" || missing="$missing $f"
    done
    # every dracut file the Makefile installs is in the RPM
    for f in $(make -s -f - print-files <<< 'include Makefile
print-files: ; @for f in $(FILES) $(PKG_FILES); do r=$${f#*:}; echo $${r#*:}; done' | grep dracut); do
      grep -qx -- "$f" <<< "$ql" || missing="$missing $f"
    done
    grep -q initramfs-tools <<< "$ql" && missing="$missing (ships initramfs-tools files)"
    [ -z "$missing" ] && ok "rpm -qlp: Fedora layout, $(grep -c . <<< "$ql") paths" || bad "rpm -qlp: missing$missing"
    sc=$(rpm -qp --scripts "$rpmf" 2> /dev/null)
    if grep -q '^posttrans scriptlet' <<< "$sc" && grep -q '^postuninstall scriptlet' <<< "$sc" &&
       [ "$(grep -c 'dracut -f --regenerate-all' <<< "$sc")" = 2 ] && grep -q '"$1" -eq 0' <<< "$sc"; then
      # the scriptlets are valid sh and do nothing without dracut
      s1=$(awk '/^posttrans scriptlet/{on=1;next} /scriptlet/{on=0} on' <<< "$sc")
      s2=$(awk '/^postuninstall scriptlet/{on=1;next} /scriptlet/{on=0} on' <<< "$sc")
      if sh -n <<< "$s1" && sh -n <<< "$s2"; then
        ok "rpm -qp --scripts: posttrans regenerates the initrds, postun only on removal (\$1 = 0)"
      else bad "rpm scriptlets: sh -n fails"; fi
    else
      bad "rpm -qp --scripts: unexpected:"; sed 's/^/    /' <<< "$sc"
    fi
  else
    bad "rpm: rpmbuild failed, last lines:"; tail -15 "$top/build.log" | sed 's/^/    /'
  fi
fi

echo "$pass passed, $nfail failed"
[ "$nfail" = 0 ]
