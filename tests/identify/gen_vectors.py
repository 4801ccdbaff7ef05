#!/usr/bin/env python3
"""Dev-time generator of tests/identify/vectors.json (CI only reads the JSON).

Runs cloud-init's own ds-identify unit tests (tests/unittests/test_ds_identify.py
at the upstream commit given) with their assertions, records every call they
make to the real tools/ds-identify (files, mocks, environment), runs the same
inputs through the 22.4.2, 25.1.4 and upstream scripts (each with its own
built-in default policy), and writes each case as cloudseed Facts plus the
three outcomes. Cases whose inputs cloudseed cannot see are kept, marked
"visible": false with the reason.

usage: gen_vectors.py CLOUD_INIT_GIT_DIR [COMMIT] > tests/identify/vectors.json
"""
import copy
import inspect
import json
import os
import subprocess
import sys
import tempfile
import types

GIT = sys.argv[1]
COMMIT = sys.argv[2] if len(sys.argv) > 2 else "HEAD"
VERSIONS = {"22.4.2-release": "22.4.2", "25.1.4": "25.1.4", "upstream": COMMIT}
# Debian 12's shipped script (22.4.2-1+deb12u4: maybe=none) from the
# tests/lib/debroot.sh chroot; 25.1.4's chroot copy equals the tag.
DEB12 = os.environ.get("DEB12_DS_IDENTIFY",
                       "/var/cache/cloudseed-test/root-bookworm/usr/lib/cloud-init/ds-identify")


def git_show(rev, path):
    return subprocess.run(
        ["git", "--git-dir", GIT, "show", f"{rev}:{path}"],
        check=True, capture_output=True).stdout


WORK = tempfile.mkdtemp(prefix="dsid-vectors-")
SCRIPTS = {}
for name, rev in VERSIONS.items():
    p = os.path.join(WORK, "ds-identify." + name)
    with open(p, "wb") as f:
        f.write(git_show(rev, "tools/ds-identify"))
    SCRIPTS[name] = p
SCRIPTS["22.4.2"] = DEB12
UPSTREAM_SHA = subprocess.run(
    ["git", "--git-dir", GIT, "rev-parse", COMMIT], check=True,
    capture_output=True, text=True).stdout.strip()


# ---- stubs for what the test module imports ---------------------------------
def mod(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


class ProcessExecutionError(Exception):
    def __init__(self, exit_code, stdout, stderr):
        super().__init__(exit_code)
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr


def subp(args, update_env=None, capture=True):
    env = dict(os.environ)
    env.update(update_env or {})
    r = subprocess.run(args, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise ProcessExecutionError(r.returncode, r.stdout, r.stderr)
    return r.stdout, r.stderr


def load_text_file(p):
    with open(p, "rb") as f:
        return f.read().decode("utf-8", "replace")


def populate_dir(path, files):
    os.makedirs(path, exist_ok=True)
    for name, content in files.items():
        # as upstream: "/abs" names stay inside `path` (os.path.join would escape it)
        p = os.path.sep.join([path, name])
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as fp:
            fp.write(content if isinstance(content, bytes) else content.encode())


def populate_dir_with_ts(path, data):
    import time
    populate_dir(path, {k: v[0] for k, v in data.items()})
    now = time.time()
    for k, (_c, mt) in data.items():
        ts = now + mt if mt else now
        os.utime(os.path.sep.join([path, k]), (ts, ts))


def dir2dict(startdir, prefix=None, filter=None):
    out = {}
    for root, _d, files in os.walk(startdir):
        for f in files:
            p = os.path.join(root, f)
            out[p[len(prefix or startdir):]] = load_text_file(p)
    return out


class _Mark:
    def __getattr__(self, name):
        def deco_factory(*a, **k):
            def deco(f):
                if name == "parametrize":
                    f.__dict__.setdefault("_params", []).append(a)
                return f
            return deco
        return deco_factory


class _Param:
    def __init__(self, *values, **kw):
        self.values = values


pytest = mod("pytest", mark=_Mark(), fixture=lambda *a, **k: (a[0] if a and callable(a[0]) else (lambda f: f)),
             param=_Param, raises=None)
mod("yaml")
import yaml as _y  # noqa: E402  (the real one when installed)
del sys.modules["yaml"]
try:
    import yaml  # noqa: F401
except ImportError:
    pass
ci = mod("cloudinit")
ci.atomic_helper = mod("cloudinit.atomic_helper", json_dumps=lambda x: json.dumps(x, default=str))
ci.subp = mod("cloudinit.subp", subp=subp, ProcessExecutionError=ProcessExecutionError)
ci.util = mod("cloudinit.util", load_text_file=load_text_file)
srcs = mod("cloudinit.sources")
ci.sources = srcs
srcs.DataSourceIBMCloud = mod("cloudinit.sources.DataSourceIBMCloud", IBM_CONFIG_UUID="9796-932E")
srcs.DataSourceOracle = mod("cloudinit.sources.DataSourceOracle", CHASSIS_ASSET_TAG="OracleCloud.com")
srcs.DataSourceSmartOS = mod("cloudinit.sources.DataSourceSmartOS",
                             METADATA_SOCKFILE="/native/.zonecontrol/metadata.sock")
mod("tests")
mod("tests.helpers", cloud_init_project_dir=lambda p: SCRIPTS["upstream"])
mod("tests.unittests")
mod("tests.unittests.helpers", dir2dict=dir2dict, populate_dir=populate_dir,
    populate_dir_with_ts=populate_dir_with_ts)

src = git_show(COMMIT, "tests/unittests/test_ds_identify.py").decode()
T = types.ModuleType("test_ds_identify")
T.__file__ = "test_ds_identify.py"
exec(compile(src, "test_ds_identify.py", "exec"), T.__dict__)


def load_cfg(text):
    try:
        import yaml
        return yaml.safe_load(text)
    except ImportError:
        # the only shape ds-identify writes
        for line in text.splitlines():
            if line.startswith("datasource_list: ["):
                inner = line[len("datasource_list: ["):].rstrip().rstrip("]")
                return {"datasource_list": [x.strip() for x in inner.split(",") if x.strip()]}
        return {}


# ---- running one recorded call through each script ---------------------------
def run(script, kw, rootd):
    files = dict(kw.get("files") or {})
    files.setdefault("etc/cloud/cloud.cfg", T.DEFAULT_CLOUD_CONFIG)
    populate_dir(rootd, files)
    if kw.get("ts_files"):
        populate_dir_with_ts(rootd, kw["ts_files"])
    head = ["DI_MAIN=noop", "DEBUG_LEVEL=2", "DI_LOG=stderr", f"PATH_ROOT='{rootd}'",
            f"PATH_DI_ENV='{rootd}/ds-identify-env'", ". " + script]
    # each script keeps its own built-in default policy unless the test set one
    if kw.get("policy_dmi", T.DI_DEFAULT_POLICY) != T.DI_DEFAULT_POLICY:
        head.append('DI_DEFAULT_POLICY="%s"' % kw["policy_dmi"])
    if kw.get("policy_no_dmi", T.DI_DEFAULT_POLICY_NO_DMI) != T.DI_DEFAULT_POLICY_NO_DMI:
        head.append('DI_DEFAULT_POLICY_NO_DMI="%s"' % kw["policy_no_dmi"])
    mocks = kw.get("mocks") or []
    lines = []
    written = {m["name"] for m in mocks}
    uname = "Linux"
    for m in mocks:
        if m["name"] == "uname":
            uname = m["out"].split(" ")[0]
    if script in (SCRIPTS["22.4.2"], SCRIPTS["22.4.2-release"]):
        # 22.4.2 runs `uname -snrvmo`, the tests mock `uname -svm`: same facts, its format
        mocks = copy.deepcopy(mocks)
        given = [m for m in mocks if m["name"] == "uname"]
        if not given:
            given = [{"name": "uname", "out": T.UNAME_MYSYS}]
            mocks.append(given[0])
        for m in given:
            w = m["out"].split()
            m["out"] = " ".join([w[0], "host", "1.0"] + w[1:-1] + [w[-1], "GNU/Linux"])
        written = {m["name"] for m in mocks}
    for m in mocks + [d for d in default_mocks() if d["name"] not in written and d["name"] not in (kw.get("no_mocks") or [])]:
        dd = {"out": None, "err": None, "ret": 0, "RET": None}
        dd.update(m)
        lines.append(T.SHELL_MOCK_TMPL % {k: ("_unset" if v is None else v) for k, v in dd.items()})
    func = kw.get("func", "main")
    body = "\n".join(head + [""] + lines + [func + " " + " ".join('"%s"' % a for a in kw.get("args") or [])]) + "\n"
    wrap = os.path.join(rootd, "_shwrap")
    with open(wrap, "w") as f:
        f.write(body)
    env = dict(os.environ)
    env.update(kw.get("env_vars") or {})
    r = subprocess.run(["sh", "-c", ". " + wrap], env=env, capture_output=True, text=True)
    runpath = "run" if uname == "Linux" else "var/run"
    out = os.path.join(rootd, runpath, "cloud-init/cloud.cfg")
    cfg = load_cfg(load_text_file(out)) if os.path.exists(out) else None
    if r.returncode in (1, 2):
        return "disabled"
    if r.returncode != 0:
        return "error:%d" % r.returncode
    if isinstance(cfg, dict) and isinstance(cfg.get("datasource_list"), list):
        return "list:" + ",".join(str(x) for x in cfg["datasource_list"])
    return "nolist"


def default_mocks():
    return copy.deepcopy([
        T.MOCK_NOT_LXD_DATASOURCE,
        {"name": "detect_virt", "RET": "none", "ret": 1},
        {"name": "uname", "out": T.UNAME_MYSYS},
        {"name": "blkid", "out": T.BLKID_EFI_ROOT},
        {"name": "ovf_vmware_transport_guestinfo", "out": "No value found", "ret": 1},
        {"name": "dmi_decode", "ret": 1, "err": "No dmidecode program. ERROR."},
        {"name": "is_disabled", "ret": 1},
        {"name": "get_kenv_field", "ret": 1, "err": "No kenv program. ERROR."},
    ])


# ---- the facts cloudseed would have --------------------------------------------
ROOT_FILES = None  # filled from the Rust list below
DMI_FILES = ["bios_date", "bios_release", "bios_vendor", "bios_version", "board_asset_tag", "board_name",
             "board_serial", "board_vendor", "board_version", "chassis_asset_tag", "chassis_serial",
             "chassis_type", "chassis_vendor", "chassis_version", "product_family", "product_name",
             "product_serial", "product_uuid", "product_version", "sys_vendor"]
HARMLESS_MOCKS = {"detect_virt_env",  # no such function in ds-identify
                  "dmi_decode", "get_kenv_field", "is_disabled", "ovf_vmware_transport_guestinfo"}


def root_file_list():
    v = ["etc/cloud/cloud-init.disabled", "var/lib/cloud/instance/manual-clean",
         "var/lib/cloud/seed/opennebula/meta-data", "var/lib/cloud/seed/azure/ovf-env.xml",
         "var/lib/cloud/seed/ovf/ovf-env.xml", "var/lib/cloud/data/seed/bigstep/url",
         "var/lib/cloud/seed/config_drive/openstack/latest/meta_data.json",
         "root/provisioningConfiguration.cfg", "root/swinstall.log", "var/run/scaleway", "etc/vultr"]
    for n in ["nocloud", "nocloud-net", "ec2", "AliYun"]:
        for f in ["meta-data", "user-data"]:
            v.append(f"var/lib/cloud/seed/{n}/{f}")
            if n.startswith("nocloud"):
                v.append(f"writable/system-data/var/lib/cloud/seed/{n}/{f}")
    for d in ["usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin", "bin"]:
        for t in ["vmware-rpctool", "vmtoolsd"]:
            v.append(f"{d}/{t}")
    return v


def to_facts(kw):
    why = []
    files = dict(kw.get("files") or {})
    files.update({k: v[0] for k, v in (kw.get("ts_files") or {}).items()})
    files.setdefault("etc/cloud/cloud.cfg", T.DEFAULT_CLOUD_CONFIG)
    mocks = {m["name"]: m for m in default_mocks() if m["name"] not in (kw.get("no_mocks") or [])}
    for m in kw.get("mocks") or []:
        mocks[m["name"]] = m
    f = {"cmdline": "", "dmi": [], "virt": None, "container": None, "arch": "x86_64", "filesystems": [],
         "cloud_cfg": None, "cloud_cfg_d": [], "ds_identify_cfg": None, "root_files": [],
         "hypervisor_uuid": None, "virtio_ports": [], "cloud_info": None}
    text = lambda v: v.decode() if isinstance(v, bytes) else v
    for p, v in sorted(files.items()):
        v = text(v)
        p = p.lstrip("/")
        if p == "proc/cmdline":
            f["cmdline"] = v
        elif p.startswith("sys/class/dmi/id/"):
            f["dmi"].append([p.rsplit("/", 1)[1], v])
        elif p == "sys/hypervisor/uuid":
            f["hypervisor_uuid"] = v
        elif p.startswith("sys/class/virtio-ports/") and p.endswith("/name"):
            f["virtio_ports"].append(v.strip())
        elif p == "etc/cloud/cloud.cfg":
            f["cloud_cfg"] = v
        elif p.startswith("etc/cloud/cloud.cfg.d/"):
            n = p.rsplit("/", 1)[1]
            if n.endswith(".cfg") and not n.startswith(".") and "/" not in p[len("etc/cloud/cloud.cfg.d/"):]:
                f["cloud_cfg_d"].append([n, v])
        elif p == "etc/cloud/ds-identify.cfg":
            f["ds_identify_cfg"] = v
        elif p == "etc/sysconfig/cloud-info":
            f["cloud_info"] = v
        elif p in root_file_list():
            f["root_files"].append(p)
        elif p.startswith("var/lib/cloud/seed/config_drive/openstack/") and p.endswith("/meta_data.json") \
                and p.split("/")[-2][:1] == "2" and len(p.split("/")[-2]) == 10:
            f["root_files"].append("var/lib/cloud/seed/config_drive/openstack/2???-??-??/meta_data.json")
        elif p.startswith("writable/system-data/"):
            pass
        elif p.endswith("/.keep") or p.startswith("run/systemd/"):
            pass  # directory placeholders
        elif p.startswith("dev/") and not p.startswith("dev/sr"):
            pass  # no check reads a device node other than a CD's
        elif p.startswith("dev/sr") or p.startswith("sys/class/block/"):
            if "an OVF CD's contents" not in why:
                why.append("an OVF CD's contents")
        elif p.startswith("var/lib/cloud/seed/") or p.startswith("var/lib/cloud/data/"):
            pass  # other seed files: no check looks at them
        else:
            why.append("file /" + p)
        if p.startswith("writable/system-data/") and "writable/system-data" not in f["root_files"]:
            f["root_files"].append("writable/system-data")
    if kw.get("ts_files"):
        why.append("file timestamps")
    # DMI: without the sysfs directory every field is dmidecode's answer
    if not f["dmi"] and "dmi_decode" in mocks and mocks["dmi_decode"].get("ret", 0) == 0:
        f["dmi"] = [[k, mocks["dmi_decode"].get("RET") or ""] for k in DMI_FILES]
    for name, m in mocks.items():
        if name == "detect_virt":
            f["virt"] = m.get("RET")
        elif name == "uname":
            words = m["out"].split()
            if words[0] != "Linux":
                why.append("a %s kernel" % words[0])
            f["arch"] = words[-1]
        elif name == "blkid":
            if m.get("ret", 0) != 0:
                why.append("blkid failing")
            dev = None
            for line in (m.get("out") or "").splitlines():
                if line.startswith("DEVNAME="):
                    dev = {"device": line[8:], "fstype": "", "label": "", "uuid": ""}
                    f["filesystems"].append(dev)
                elif dev is not None and "=" in line:
                    k, v = line.split("=", 1)
                    if k == "TYPE":
                        dev["fstype"] = v
                    elif k == "LABEL":
                        dev["label"] = v
                    elif k == "UUID":
                        dev["uuid"] = v
                    elif k == "LABEL_FATBOOT":
                        why.append("LABEL_FATBOOT")
            # a device blkid shows with nothing on it has no label or UUID
            for d in f["filesystems"]:
                if not d["fstype"] and (d["label"] or d["uuid"]):
                    d["fstype"] = "unknown"
            f["filesystems"] = [d for d in f["filesystems"] if d["fstype"]]
        elif name == "dscheck_LXD" and m.get("ret") == 1:
            pass  # cloudseed's own LXD check answers for these inputs
        elif name == "is_socket_file" and m.get("ret") == 1:
            pass
        elif name == "is_ibm_provisioning":
            if m.get("ret", 0) == 0:
                f["root_files"].append("root/provisioningConfiguration.cfg")
            else:
                f["root_files"] = [x for x in f["root_files"] if not x.startswith("root/")]
        elif name == "vmware_has_rpctool" and m.get("ret", 0) != 0:
            pass
        elif name == "vmware_has_vmtoolsd" and m.get("ret", 0) != 0:
            pass
        elif name == "ovf_vmware_transport_guestinfo" and m.get("ret", 0) == 0:
            why.append("VMware guestinfo")
        elif name in HARMLESS_MOCKS:
            pass
        else:
            why.append("mocks %s" % name)
    if "detect_virt" not in mocks:
        env = kw.get("env_vars") or {}
        if "run/systemd" in " ".join(files) and "SYSTEMD_VIRTUALIZATION" in env:
            f["virt"] = env["SYSTEMD_VIRTUALIZATION"].split(":", 1)[-1]
            # 22.4.2 ignores the variable and asks the generating host's systemd-detect-virt
            why.append("virt from SYSTEMD_VIRTUALIZATION, which 22.4.2 ignores")
        elif subprocess.run(["sh", "-c", "command -v virt-what"], capture_output=True).returncode != 0:
            f["virt"] = "unavailable"  # no systemd dir, no virt-what: 23.x+'s DI_VIRT
            why.append("virt from the generating host (22.4.2 runs its systemd-detect-virt)")
        else:
            why.append("virt from the host's own tools")
    for k in (kw.get("env_vars") or {}):
        if k != "SYSTEMD_VIRTUALIZATION":
            why.append("env %s" % k)
    if kw.get("func", "main") != "main" or kw.get("args"):
        why.append("calls %s %s" % (kw.get("func", "main"), " ".join(kw.get("args") or [])))
    if kw.get("policy_dmi", T.DI_DEFAULT_POLICY) != T.DI_DEFAULT_POLICY or \
            kw.get("policy_no_dmi", T.DI_DEFAULT_POLICY_NO_DMI) != T.DI_DEFAULT_POLICY_NO_DMI:
        why.append("a built-in default policy changed")
    if f["virt"] in ("container-other", "lxc", "lxc-libvirt", "systemd-nspawn", "docker", "rkt", "jail"):
        f["container"] = f["virt"]
        why.append("a container")
    return f, sorted(set(why))


# ---- record every call the upstream tests make ----------------------------------
CALLS = []
_orig_call = T.DsIdentifyBase.call


def recording_call(self, rootd, **kw):
    CALLS.append((self._case_name, copy.deepcopy(kw)))
    return _orig_call(self, rootd, **kw)


T.DsIdentifyBase.call = recording_call
_orig_ts = T.populate_dir_with_ts if hasattr(T, "populate_dir_with_ts") else None


def ts_recorder(path, data):
    CALLS_TS[path] = copy.deepcopy(data)
    populate_dir_with_ts(path, data)


CALLS_TS = {}
T.populate_dir_with_ts = ts_recorder

ran = 0
for cname, cls in sorted(vars(T).items()):
    if not (inspect.isclass(cls) and issubclass(cls, T.DsIdentifyBase)):
        continue
    for mname, meth in sorted(vars(cls).items()):
        if not mname.startswith("test_") or not callable(meth):
            continue
        params = inspect.signature(meth).parameters
        names = [p for p in params if p != "self"]
        sets = [()]
        for argnames, values in meth.__dict__.get("_params", []):
            argnames = [a.strip() for a in argnames.split(",")] if isinstance(argnames, str) else list(argnames)
            vals = [v.values if isinstance(v, _Param) else (v if len(argnames) > 1 else (v,)) for v in values]
            sets = [s + tuple(zip(argnames, v)) for s in sets for v in vals]
        for i, s in enumerate(sets):
            kwargs = dict(s)
            if any(n not in kwargs and n != "tmp_path" for n in names):
                continue
            tmp = tempfile.mkdtemp(dir=WORK)
            if "tmp_path" in names:
                import pathlib
                kwargs["tmp_path"] = pathlib.Path(tmp)
            obj = cls()
            obj._case_name = "%s.%s%s" % (cname, mname, ("[%s]" % ",".join(str(v) for _, v in s)) if s else "")
            before = len(CALLS)
            try:
                import contextlib
                with contextlib.redirect_stdout(sys.stderr):
                    meth(obj, **kwargs)
            except Exception as e:  # the upstream assertion failing is worth knowing
                print("upstream test failed: %s: %r" % (obj._case_name, e), file=sys.stderr)
            for j in range(before, len(CALLS)):
                rootd = os.path.join(tmp)
                if rootd in CALLS_TS:
                    CALLS[j][1]["ts_files"] = CALLS_TS[rootd]
            ran += 1

cases = []
seen = set()
for name, kw in CALLS:
    key = json.dumps(kw, sort_keys=True, default=str)
    if key in seen:
        continue
    seen.add(key)
    facts, why = to_facts(kw)
    expect = {}
    for v, script in SCRIPTS.items():
        rootd = tempfile.mkdtemp(dir=WORK)
        expect[v] = run(script, kw, rootd)
    if facts["cloud_cfg"] == T.DEFAULT_CLOUD_CONFIG:
        facts["cloud_cfg"] = None
        facts["default_cloud_cfg"] = True
    else:
        facts["default_cloud_cfg"] = False
    cases.append({"name": name, "visible": not why, "why": "; ".join(why), "facts": facts,
                  "expect_v22": expect["22.4.2"], "expect_v22_release": expect["22.4.2-release"],
                  "expect_v25": expect["25.1.4"],
                  "expect_upstream": expect["upstream"]})

json.dump({"upstream_commit": UPSTREAM_SHA, "default_cloud_cfg": T.DEFAULT_CLOUD_CONFIG, "cases": cases}, sys.stdout, indent=1, sort_keys=True, default=str)
print()
print("%d test runs, %d calls, %d distinct cases" % (ran, len(CALLS), len(cases)), file=sys.stderr)
