#!/bin/bash
# apt: dosfstools mtools genisoimage e2fsprogs xfsprogs btrfs-progs debootstrap debian-archive-keyring util-linux
# Differential suite "identify": the REAL ds-identify -- Debian 12's 22.4.2
# and Debian 13's 25.1.4 (from the tests/lib/debroot.sh chroots) and Debian
# sid's newest cloud-init (apt-get download into a private apt dir, cached) --
# on a fake root (PATH_ROOT: DMI tree, /proc/cmdline, the image's
# /etc/cloud, blkid output of real images made here), against
# `cloudseed __identify` given the same inputs. Each version's outcome must
# equal cloudseed's for that version, and cloudseed's combined decision must
# be that common outcome, or stand aside when the versions disagree (or a
# check needs what cloudseed cannot see, which each case states).
# For 22.4.2, cloud-init=disabled is the generator's job: its last-value
# rule is applied here (ds-identify 22.4.2 itself ignores the word).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CACHE=${CLOUDSEED_CACHE:-/var/cache/cloudseed-test}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" = 0 ]; exit; }

nice cargo build --locked -q || { bad "cargo build"; finish; }
BIN=$ROOT/target/debug/cloudseed
W=$(mktemp -d /tmp/cloudseed-identify.XXXXXX)
trap 'rm -rf "$W"' EXIT

# 22.4.2's detect_virt asks systemd-detect-virt (faked below) only when the
# host has /run/systemd; 23.x+ look under PATH_ROOT.
[ -d /run/systemd ] || { bad "this host has no /run/systemd: 22.4.2 would not ask systemd-detect-virt"; finish; }

# --- the three real scripts -------------------------------------------------
declare -A SCRIPT
for s in bookworm trixie; do
  r=$(tests/lib/debroot.sh "$s") || { bad "debroot $s"; finish; }
  SCRIPT[$s]=$r/usr/lib/cloud-init/ds-identify
done
sid_script() { # Debian sid's cloud-init .deb, fetched once a day into the cache
  local d=$CACHE/ds-identify-sid A
  mkdir -p "$d"
  exec 8>"$d.lock"; flock 8
  if [ -s "$d/ds-identify" ] && [ -z "$(find "$d/ds-identify" -mmin +1440)" ]; then
    echo "$d/ds-identify"; return 0
  fi
  A=$W/apt
  mkdir -p $A/etc/apt/{sources.list.d,preferences.d,apt.conf.d,trusted.gpg.d} \
    $A/var/lib/apt/lists/partial $A/var/cache/apt/archives/partial $A/var/lib/dpkg
  : > $A/var/lib/dpkg/status
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main" \
    > $A/etc/apt/sources.list
  cat > $A/etc/apt/apt.conf <<EOF
Dir "$A/";
Dir::State::status "$A/var/lib/dpkg/status";
Debug::NoLocking "1";
APT::Architecture "amd64";
APT::Sandbox::User "root";
Acquire::Languages "none";
Acquire::Check-Valid-Until "false";
Acquire::IndexTargets::deb::DEP-11::DefaultEnabled "false";
Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled "false";
Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled "false";
Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled "false";
EOF
  (cd $A && APT_CONFIG=$A/etc/apt/apt.conf apt-get -qq update && APT_CONFIG=$A/etc/apt/apt.conf apt-get -qq download cloud-init) >&2 || return 1
  dpkg-deb --fsys-tarfile $A/cloud-init_*.deb | tar -xO ./usr/lib/cloud-init/ds-identify > "$d/ds-identify.new" || return 1
  dpkg-deb -f $A/cloud-init_*.deb Version > "$d/version"
  mv "$d/ds-identify.new" "$d/ds-identify"
  echo "$d/ds-identify"
}
SCRIPT[sid]=$(sid_script) || { bad "download of Debian sid's cloud-init"; finish; }
echo "# ds-identify: bookworm $(cat "${SCRIPT[bookworm]%/usr/lib/cloud-init/ds-identify}/usr/lib/python3/dist-packages/cloudinit/version.py" | sed -n 's/^__VERSION__ = //p'), trixie $(sed -n 's/^__VERSION__ = //p' "${SCRIPT[trixie]%/usr/lib/cloud-init/ds-identify}/usr/lib/python3/dist-packages/cloudinit/version.py"), sid $(cat "$CACHE/ds-identify-sid/version" 2>/dev/null)"
CLOUD_CFG=${SCRIPT[bookworm]%/usr/lib/cloud-init/ds-identify}/etc/cloud/cloud.cfg

# --- images -------------------------------------------------------------------
printf 'instance-id: iid-identify\n' > "$W/meta-data"
printf '#cloud-config\n{}\n' > "$W/user-data"
printf '{"uuid": "u-1"}\n' > "$W/meta_data.json"
mkimg() { # mkimg OUT vfat|iso|ext4 LABEL [FAT-SERIAL]
  local out=$1 t=$2 label=$3 serial=${4:-}
  case $t in
    vfat)
      mkfs.vfat -C "$out" 1440 -n "$label" ${serial:+-i "$serial"} >/dev/null 2>&1
      if [ "${label,,}" = config-2 ]; then
        mmd -i "$out" ::/openstack ::/openstack/latest && mcopy -i "$out" "$W/meta_data.json" ::/openstack/latest/
      else
        mcopy -i "$out" "$W/meta-data" "$W/user-data" ::/
      fi ;;
    iso)
      local d; d=$(mktemp -d "$W/iso.XXXX")
      if [ "${label,,}" = config-2 ]; then
        mkdir -p "$d/openstack/latest"; cp "$W/meta_data.json" "$d/openstack/latest/"
      else
        cp "$W/meta-data" "$W/user-data" "$d/"
      fi
      genisoimage -quiet -V "$label" -r -J -o "$out" "$d" ;;
    ext4) mkfs.ext4 -q -F -L "$label" "$out" 4M >/dev/null 2>&1 ;;
    xfs) truncate -s 300M "$out"; mkfs.xfs -q -f -L "$label" "$out" >/dev/null 2>&1 ;;
    btrfs) truncate -s 120M "$out"; mkfs.btrfs -q -f -L "$label" "$out" >/dev/null 2>&1 ;;
    swap) truncate -s 4M "$out"; mkswap -L "$label" "$out" >/dev/null 2>&1 ;;
    # something neither blkid nor cloudseed names: a non-zero, non-filesystem start
    blank) head -c 1M /dev/urandom > "$out" ;;
  esac
}

# --- one case -------------------------------------------------------------------
# Globals set by each case: CMDLINE VIRT DMI (lines key=value) CFG (text of
# cloud.cfg.d/90_case.cfg, "" for none) DICFG (ds-identify.cfg, "" for none)
# DEVS (specs "type:label[:serial]") WANT (cloudseed's combined decision:
# "enabled:A,B" | "disabled" | "unknown").
run_ds_identify() { # SUITE ROOTDIR -> "list:..." | "disabled" | "nolist" | "error:N"
  local script=$1 r=$2 rc out
  rm -rf "$r/run"; mkdir -p "$r/run/systemd"
  env -i PATH="$W/bin:/usr/sbin:/usr/bin:/sbin:/bin" PATH_ROOT="$r" DI_LOG=stderr \
    SYSTEMD_VIRTUALIZATION="vm:$VIRT" FAKE_VIRT="$VIRT" FAKE_BLKID="$r.blkid" \
    sh "$script" >/dev/null 2>"$r.log"
  rc=$?
  case $rc in
    0) out=$(sed -n 's/^datasource_list: \[ \(.*\) \]$/\1/p' "$r/run/cloud-init/cloud.cfg" 2>/dev/null | tr -d ' ')
       if [ -n "$out" ]; then echo "list:$out"; else echo nolist; fi ;;
    1|2) echo disabled ;;
    *) echo "error:$rc" ;;
  esac
}

v22_generator_disables() { # 22.4.2's cloud-init-generator: the last " cloud-init=" value
  local c=" $CMDLINE " tok
  tok=${c##* cloud-init=}
  [ "$tok" = "$c" ] && return 1
  tok=${tok%% *}
  [ "$tok" = disabled ]
}

# A ds-identify outcome with the NoCloud family spelled as cloudseed writes it.
nocloud_spelling() { sed -E 's/(^list:|,)(nocloud-net|nocloud|NoCloudNet)(,|$)/\1NoCloud\3/g' <<< "$1"; }
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

case_() {
  local name=$1
  local r=$W/$name img imgs=() n=0 spec line t label serial
  mkdir -p "$r/sys/class/dmi/id" "$r/proc" "$r/etc/cloud/cloud.cfg.d" "$r/dev"
  while IFS= read -r line; do
    [ -n "$line" ] && printf '%s\n' "${line#*=}" > "$r/sys/class/dmi/id/${line%%=*}"
  done <<< "$DMI"
  printf '%s\n' "$CMDLINE" > "$r/proc/cmdline"
  cp "$CLOUD_CFG" "$r/etc/cloud/cloud.cfg"
  [ -n "$CFG" ] && printf '%s' "$CFG" > "$r/etc/cloud/cloud.cfg.d/90_case.cfg"
  [ -n "$CFG2" ] && printf '%s' "$CFG2" > "$r/etc/cloud/cloud.cfg.d/100_late.cfg"
  [ -n "$DICFG" ] && printf '%s' "$DICFG" > "$r/etc/cloud/ds-identify.cfg"
  : > "$r.blkid"
  for spec in $DEVS; do
    IFS=: read -r t label serial <<< "$spec"
    img=$W/$name.$n.img
    mkimg "$img" "$t" "$label" "$serial"
    imgs+=(--device "$img")
    # blkid's view of the real image, named as a disk would be
    blkid -c /dev/null -o export "$img" | sed "s|^DEVNAME=.*|DEVNAME=/dev/vd$(printf "\\x$(printf %x $((98 + n)))")|" >> "$r.blkid"
    echo >> "$r.blkid"
    n=$((n + 1))
  done
  local got v ours want_v real
  got=$("$BIN" __identify --sys-dir "$r/sys" --proc-dir "$r/proc" --root "$r" --cmdline "$CMDLINE" --virt "$VIRT" --arch x86_64 "${imgs[@]}")
  # cloudseed's facts for each image are blkid's LABEL and UUID
  local i=0 L U want_fs
  for spec in $DEVS; do
    img=$W/$name.$i.img; i=$((i + 1))
    [ "${spec%%:*}" = blank ] && continue
    L=$(blkid -c /dev/null -s LABEL -o value "$img"); U=$(blkid -c /dev/null -s UUID -o value "$img")
    want_fs="\"device\":\"$img\",\"fstype\":\"$(blkid -c /dev/null -s TYPE -o value "$img")\",\"label\":\"$L\",\"uuid\":\"$U\""
    if grep -qF "$want_fs" <<< "$got"; then ok "$name: ${spec%%:*} label '$L' uuid '$U' as blkid"
    else bad "$name: blkid says {$want_fs}, cloudseed $(grep -o "\"device\":\"$img\"[^}]*" <<< "$got")"; fi
  done
  local -A reals
  for s in bookworm trixie sid; do
    reals[$s]=$(run_ds_identify "${SCRIPT[$s]}" "$r")
    if [ "$s" = bookworm ] && v22_generator_disables; then reals[$s]=disabled; fi
  done
  for s in bookworm trixie sid; do
    case $s in bookworm) v=v22 ;; trixie) v=v25 ;; sid) v=upstream ;; esac
    ours=$(json_field "$v" <<< "$got")
    real=${reals[$s]}
    if [ "$ours" = "$real" ]; then ok "$name [$s]: $real"
    elif [ "$ours" = unknown ]; then ok "$name [$s]: $real; cloudseed stands aside (it cannot see an input)"
    else bad "$name [$s]: ds-identify $real, cloudseed $ours"; fi
  done
  # cloudseed's decision: the common outcome, or stand aside
  local dec list
  dec=$(json_field decision <<< "$got")
  list=$(sed -n 's/.*"datasource_list":\[\([^]]*\)\].*/\1/p' <<< "$got" | tr -d '"')
  case $dec in enabled) dec="enabled:$list" ;; esac
  if [ "$WANT" = "*" ]; then ok "$name: cloudseed $dec"
  elif [ "$dec" = "$WANT" ]; then ok "$name: cloudseed $dec"
  else bad "$name: cloudseed $dec, want $WANT ($(json_field reason <<< "$got"))"; fi
  if [ "$dec" != unknown ] && [ "$dec" != disabled ]; then
    for s in bookworm trixie sid; do
      # 23.x+ copies ds=nocloud-net/nocloud as spelled; cloudseed writes the
      # NoCloud family as `NoCloud` (src/identify/mod.rs handed_off_name)
      [ "$(nocloud_spelling "${reals[$s]}")" = "list:${list}" ] ||
        bad "$name: cloudseed hands off [$list] but $s says ${reals[$s]}"
      # with the hand-off in /run (its list and the cached result), each
      # version keeps it: same exit, same list
      rm -rf "$r/run"; mkdir -p "$r/run/cloud-init" "$r/run/systemd"
      printf 'datasource_list: [ %s ]\n' "${list//,/, }" > "$r/run/cloud-init/cloud.cfg"
      echo 0 > "$r/run/cloud-init/.ds-identify.result"
      env -i PATH="$W/bin:/usr/sbin:/usr/bin:/sbin:/bin" PATH_ROOT="$r" DI_LOG=stderr \
        SYSTEMD_VIRTUALIZATION="vm:$VIRT" FAKE_VIRT="$VIRT" FAKE_BLKID="$r.blkid" \
        sh "${SCRIPT[$s]}" >/dev/null 2>"$r.log"
      local rc=$? kept
      kept=$(sed -n 's/^datasource_list: \[ \(.*\) \]$/\1/p' "$r/run/cloud-init/cloud.cfg" | tr -d ' ')
      if [ "$rc" = 0 ] && [ "list:$kept" = "list:$list" ]; then ok "$name [$s] with the hand-off: exit 0, list:$kept"
      else bad "$name [$s] with the hand-off: exit $rc, list:$kept, alone ${reals[$s]}"; fi
    done
  fi
}

mkdir -p "$W/bin"
cat > "$W/bin/blkid" <<'EOF'
#!/bin/sh
cat "$FAKE_BLKID"
EOF
cat > "$W/bin/systemd-detect-virt" <<'EOF'
#!/bin/sh
echo "$FAKE_VIRT"
[ "$FAKE_VIRT" != none ]
EOF
chmod +x "$W/bin/blkid" "$W/bin/systemd-detect-virt"

QEMU='sys_vendor=QEMU
product_name=Standard PC (Q35 + ICH9, 2009)
chassis_asset_tag=
product_serial=
product_uuid=7a3d2a1e-0c4b-4b7e-9d0b-3f0e8f1c2d3e
board_name='
reset() { CMDLINE="BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro"; VIRT=kvm; DMI=$QEMU; CFG=""; CFG2=""; DICFG=""; DEVS=""; WANT=""; }

reset; WANT=disabled; case_ no-source
reset; DEVS="vfat:cidata"; WANT="enabled:NoCloud,None"; case_ cidata-vfat
reset; DEVS="iso:CIDATA"; WANT="enabled:NoCloud,None"; case_ cidata-iso-upper
reset; DEVS="iso:config-2"; WANT="enabled:ConfigDrive,None"; case_ config2-iso
reset; DEVS="vfat:cidata iso:config-2"; WANT="enabled:ConfigDrive,NoCloud,None"; case_ cidata-and-config2-default-list
reset; CMDLINE="$CMDLINE ci.ds=OpenStack"; DEVS="iso:config-2"; WANT="enabled:OpenStack,None"; case_ ci-ds-openstack-with-config2
reset; CMDLINE="$CMDLINE ds=MAAS"; DEVS="vfat:cidata"; WANT=unknown; case_ ds-maas-with-cidata
reset; CFG=$'datasource_list: [ Ec2, None ]\n'; DEVS="vfat:cidata"; WANT="enabled:Ec2,None"; case_ image-list-ec2-with-cidata
reset; CFG=$'datasource_list: [ ConfigDrive, NoCloud, None ]\n'; DEVS="vfat:cidata iso:config-2"; WANT="enabled:ConfigDrive,NoCloud,None"; case_ image-list-configdrive-nocloud
reset; CFG=$'datasource_list: [ NoCloud, ConfigDrive ]\n'; DEVS="iso:config-2 vfat:cidata"; WANT="enabled:NoCloud,ConfigDrive,None"; case_ image-list-nocloud-first
reset; CFG=$'datasource_list: [ \'NoCloud\', "ConfigDrive", None ] # ours\n'; DEVS="iso:config-2"; WANT="enabled:ConfigDrive,None"; case_ image-list-quoted-commented
reset; CFG=$'datasource_list:\n  - Ec2\n  - None\n'; DEVS="vfat:cidata"; WANT="enabled:NoCloud,None"; case_ image-list-block-style-ignored
reset; VIRT=xen; DMI='sys_vendor=Xen
product_name=HVM domU'; DEVS="vfat:config-2:9796932E"; WANT="enabled:IBMCloud,None"; case_ ibmcloud-config2-xen
reset; DEVS="vfat:config-2:9796932E"; WANT="enabled:ConfigDrive,None"; case_ ibm-uuid-config2-on-kvm
reset; CMDLINE="$CMDLINE cloud-init=disabled"; DEVS="vfat:cidata"; WANT=disabled; case_ cloud-init-disabled
reset; CMDLINE="$CMDLINE cloud-init=disabled cloud-init=enabled"; DEVS="vfat:cidata"; WANT=disabled; case_ cloud-init-disabled-then-enabled
reset; CMDLINE="$CMDLINE xcloud-init=disabledx"; DEVS="vfat:cidata"; WANT=disabled; case_ cloud-init-disabled-substring
reset; CMDLINE="$CMDLINE cc: { 'datasource_list': [ 'NoCloud', 'None' ] } end_cc"; DEVS="vfat:cidata iso:config-2"; WANT="enabled:NoCloud,None"; case_ cc-datasource-list
reset; CMDLINE="$CMDLINE cc: { 'datasource_list': [ 'NoCloud' ] } end_cc"; DEVS="vfat:cidata"; WANT=unknown; case_ cc-single-entry
reset; CMDLINE="$CMDLINE cloud-config-url=http://10.0.2.2/cc ip=dhcp"; WANT=disabled; case_ cloud-config-url-alone
reset; CMDLINE="$CMDLINE ds=nocloud;s=http://10.0.2.2/seed/"; WANT=enabled:NoCloud,None; case_ ds-nocloud-seedfrom
reset; DMI='sys_vendor=Google
product_name=Google Compute Engine'; WANT="enabled:GCE,None"; case_ gce-dmi
reset; DMI='sys_vendor=Amazon EC2
product_name=t3.micro
product_uuid=EC2E1916-9099-7CAF-FD21-012345ABCDEF
product_serial=ec2e1916-9099-7caf-fd21-012345abcdef'; VIRT=amazon; WANT="enabled:Ec2,None"; case_ ec2-dmi
reset; DMI='sys_vendor=OpenStack Foundation
product_name=OpenStack Nova'; DEVS="iso:config-2"; WANT="enabled:ConfigDrive,None"; case_ openstack-nova-with-config2
reset; DMI='sys_vendor=OpenStack Foundation
product_name=OpenStack Nova'; WANT="enabled:OpenStack,None"; case_ openstack-nova-dmi
reset; DICFG=$'policy: search,found=first,maybe=none,notfound=disabled\n'; DEVS="vfat:cidata iso:config-2"; WANT="enabled:ConfigDrive,None"; case_ ds-identify-cfg-found-first
reset; CMDLINE="$CMDLINE ci.di.policy=disabled"; DEVS="vfat:cidata"; WANT=disabled; case_ policy-disabled
reset; DEVS="ext4:cidata"; WANT="enabled:NoCloud,None"; case_ cidata-on-ext4
reset; DEVS="ext4:rootfs vfat:cidata"; WANT="enabled:NoCloud,None"; case_ ext4-root-and-cidata
reset; DEVS="xfs:CONTEXT"; WANT="enabled:OpenNebula,None"; case_ opennebula-context-on-xfs
reset; DEVS="btrfs:root swap:swp iso:config-2"; WANT="enabled:ConfigDrive,None"; case_ btrfs-swap-and-config2
reset; DEVS="blank:x vfat:cidata"; WANT=unknown; case_ unreadable-device-stands-aside
reset; DEVS="vfat:data vfat:cidata"; WANT="enabled:NoCloud,None"; case_ other-vfat-and-cidata
reset; DMI='sys_vendor=Hetzner
product_name=vServer'; DEVS="vfat:cidata"; WANT="enabled:NoCloud,Hetzner,None"; case_ hetzner-and-cidata
# how each generation reads the image's config
reset; CFG=$'datasource_list: [NoCloud,None]\n'; DEVS="vfat:cidata"; WANT="enabled:NoCloud,None"; case_ cfg-no-spaces
reset; CFG=$'"datasource_list": [ Ec2, None ]\n'; DEVS="vfat:cidata"; WANT=unknown; case_ cfg-quoted-key
reset; CFG=$'system_info:\n   datasource_list: [ Ec2, None ]\n'; DEVS="vfat:cidata"; WANT="enabled:Ec2,None"; case_ cfg-indented
reset; CFG=$'datasource_list: [ Ec2, None ]'; DEVS="vfat:cidata"; WANT=unknown; case_ cfg-no-final-newline
reset; CFG=$'datasource_list: [ Ec2, None ]\n'; CFG2=$'datasource_list: [ NoCloud, None ]\n'; DEVS="vfat:cidata"; WANT="enabled:Ec2,None"; case_ cfg-glob-order-100-before-90
reset; CFG=$'datasource_list: [ ]\n'; DEVS="vfat:cidata"; WANT="enabled:NoCloud,None"; case_ cfg-empty-list
reset; CFG=$'datasource_list: [ NoCloud, ConfigDrive ] # see http://x:80/\n'; DEVS="iso:config-2"; WANT="enabled:ConfigDrive,None"; case_ cfg-comment-with-colon
reset; CFG=$'datasource:\n  MAAS:\n    metadata_url: http://10.0.0.1:5240/MAAS/metadata/\n'; WANT=unknown; case_ cfg-maas-installed
reset; CFG=$'datasource:\n  NoCloud:\n    seedfrom: http://10.0.0.1/seed/\n'; WANT=unknown; case_ cfg-nocloud-seedfrom
reset; CFG=$'datasource:\n  NoCloud:\n    user-data: |\n      #cloud-config\n    meta-data: {instance-id: x}\n'; WANT="enabled:NoCloud,None"; case_ cfg-nocloud-inline
reset; DICFG=$'datasource: Ec2\n'; DEVS="vfat:cidata"; WANT="enabled:Ec2,None"; case_ ds-identify-cfg-datasource
reset; DICFG=$'policy: search,found=all,maybe=all,notfound=disabled\n'; DMI='sys_vendor=Amazon EC2
product_name=t3.micro'; VIRT=amazon; CMDLINE="$CMDLINE ci.datasource.ec2.strict_id=warn"; WANT=unknown; case_ ec2-maybe-warn
# Random machines from pools of tricky tokens and config lines, with a fixed
# seed (IDENTIFY_SEED, IDENTIFY_RANDOM cases): every version must agree with
# cloudseed's port of it, and any list cloudseed hands off must be theirs.
RANDOM=${IDENTIFY_SEED:-20261201}
TOKS=("ci.ds=NoCloud" "ds=nocloud" "ds=nocloud-net;s=http://h/" "cloud-init=disabled" "cloud-init=enabled"
  "ci.di.policy=search,found=first" "ci.di.policy=enabled" "ci.di.policy=maybe=all" "ci.di.policy=report"
  "cc: {'datasource_list': ['ConfigDrive', 'None']} end_cc" "cc: datasource_list: [ Ec2 ] end_cc"
  "vultr" "scaleway" "ci.datasource.ec2.strict_id=false" "ds" "ci.ds=" "ci.datasource=GCE;x"
  "cloud-config-url=http://h/cc" "iqn.2004-05.com.ubuntu:maas" "ip=dhcp")
LINES=("datasource_list: [ NoCloud, None ]" "datasource_list: [ Ec2 ]" " datasource_list : [ ConfigDrive, NoCloud ]"
  "'datasource_list': [ 'NoCloud' ]" "datasource_list:" "  - NoCloud" "# datasource_list: [ Ec2 ]"
  "datasource_list: [ NoCloud, ConfigDrive ] # c: d" "datasource:" "  NoCloud:" "    seedfrom: http://x/"
  "    user-data: x" "    meta-data: y" "MAAS: {}" "datasource_list: \"[ Ec2 ]\"" "strict_id: false"
  "datasource_list: [ Azure, OpenStack, None ]" "datasource_list: [ None ]" "datasource_list: [ OpenStack ]"
  "datasource_list: [ 'ConfigDrive', \"NoCloud\", ]" "x: datasource_list: [ Ec2 ]" "	datasource_list:	[ NoCloud ]")
DEVPOOL=("vfat:cidata" "iso:CIDATA" "iso:config-2" "vfat:CONFIG-2" "vfat:config-2:9796932E" "ext4:METADATA" "xfs:CONTEXT" "vfat:cloudmd" "ext4:root")
DMIS=("$QEMU" $'sys_vendor=Hetzner\nproduct_name=vServer' $'sys_vendor=OpenStack Foundation\nproduct_name=OpenStack Nova'
  $'sys_vendor=Xen\nproduct_name=HVM domU' $'sys_vendor=Amazon EC2\nproduct_name=m5.large\nproduct_uuid=EC2AB000-0000-0000-0000-000000000000')
VIRTS=(kvm kvm xen amazon none qemu)
# no $(...) around these: bash reseeds RANDOM in every subshell
pick() { local -n a=$1; R=${a[RANDOM % ${#a[@]}]}; }
lines() { local n=$((RANDOM % 4)) i; R=""
  for ((i = 0; i < n; i++)); do pick LINES; L+="$R"$'\n'; done
  R=$L; L=""; [ $((RANDOM % 5)) = 0 ] && R=${R%$'\n'}; return 0; }
L=""
for ((k = 0; k < ${IDENTIFY_RANDOM:-40}; k++)); do
  reset; WANT="*"
  for ((j = RANDOM % 3; j > 0; j--)); do pick TOKS; CMDLINE+=" $R"; done
  lines; CFG=$R; if [ $((RANDOM % 3)) = 0 ]; then lines; CFG2=$R; fi
  pick DMIS; DMI=$R; pick VIRTS; VIRT=$R
  for ((j = RANDOM % 3; j > 0; j--)); do pick DEVPOOL; DEVS+=" $R"; done
  [ $((RANDOM % 6)) = 0 ] && DICFG=$'policy: search,found=first,maybe=all,notfound=disabled\n'
  case_ "random-$k"
done
finish
