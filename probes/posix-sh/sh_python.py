"""edgeprobe POSIX-sh probe: the python metrics where the device has no Node, as probes/python.ts finds and ranks them.

Finds the interpreters the agent would find (--python, pyenv versions, python3 on PATH, python3 and python3.X
in /usr/bin and /usr/local/bin, the pyenv shim), runs probes/assets/inspect_python.py in each (its source in
EDGEPROBE_INSPECT_PY), rates them with the agent's ranking and Django support table (EDGEPROBE_DJANGO_SUPPORT
and EDGEPROBE_DJANGO_CURRENT_LTS, from src/facts/django-support.ts), and prints three lines, the bodies of three
JSON objects: metrics, unmeasured reasons, details. The python metric ids (EDGEPROBE_METRICS_python) and the
system program directories (EDGEPROBE_SYSTEM_BIN_DIRS) come from the TypeScript too, through the sh probe's
assembler. Runs on any Python 3; nothing written to disk (-B), each interpreter bounded in time.

Usage: python3 -c "$SRC" [--python PATH] [--timeout SECONDS]
"""
import json
import os
import re
import subprocess
import sys

PYTHON_NAME = re.compile(r"^python3(\.\d+)?$")


def version_parts(text):
    out = []
    for part in re.split(r"[.+-]", text):
        m = re.match(r"^\d+", part)
        out.append(int(m.group(0)) if m else 0)
    return out


def compare_versions(a, b):
    pa, pb = version_parts(a), version_parts(b)
    for i in range(max(len(pa), len(pb))):
        x = pa[i] if i < len(pa) else 0
        y = pb[i] if i < len(pb) else 0
        if x != y:
            return -1 if x < y else 1
    return 0


def python_minor(version):
    m = re.match(r"^(\d+)\.(\d+)", version.strip())
    return "%s.%s" % (m.group(1), m.group(2)) if m else None


def max_django_for(version, table):
    minor = python_minor(version)
    if minor is None:
        return None, None, '"%s" is not a Python version' % version
    supporting = [d for d in table if minor in d["python"]]
    if supporting:
        lts = [d for d in supporting if d["lts"]]
        return supporting[-1]["series"], (lts[-1]["series"] if lts else None), None
    known = [p for d in table for p in d["python"]]
    newest = known[0]
    for p in known:
        if compare_versions(p, newest) > 0:
            newest = p
    if compare_versions(minor, newest) > 0:
        return None, None, ("Python %s is newer than every Django release in edgeprobe's support table (up to Django %s); update edgeprobe"
                            % (minor, table[-1]["series"]))
    return None, None, "no Django release supports Python %s" % minor


def executable(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def real(path):
    try:
        return os.path.realpath(path)
    except OSError:
        return path


def find_executable(names, dirs):
    for d in dirs:
        for name in names:
            path = "%s/%s" % (d, name)
            if executable(path):
                return path
    return None


def discover(explicit):
    by_real, order, notes = {}, [], []

    def add(path, source, alias_of=None):
        if not executable(path):
            return
        shim = "/shims/" in path
        venv = os.path.exists(os.path.join(os.path.dirname(os.path.dirname(path)), "pyvenv.cfg"))
        key = alias_of or (path if venv else real(path))
        existing = by_real.get(key)
        if existing:
            if path not in existing["aliases"] and existing["path"] != path:
                existing["aliases"].append(path)
            if source not in existing["sources"]:
                existing["sources"].append(source)
            if existing["shim"] and not shim:
                existing["aliases"] = [a for a in existing["aliases"] if a != path]
                existing["aliases"].insert(0, existing["path"])
                existing["path"] = path
                existing["shim"] = False
            return
        by_real[key] = {"path": path, "aliases": [], "sources": [source], "shim": shim}
        order.append(key)

    if explicit:
        if executable(explicit):
            add(explicit, "--python")
        else:
            notes.append("--python %s is not an executable file" % explicit)
    root = os.environ.get("PYENV_ROOT") or os.path.join(os.path.expanduser("~"), ".pyenv")
    active = os.environ.get("PYENV_VERSION")
    if active is None:
        try:
            with open(os.path.join(root, "version")) as f:
                active = f.read()
        except OSError:
            active = None
    first = [v for v in re.split(r"[\s:]+", active or "") if v]
    active = first[0] if first and first[0] != "system" else None
    try:
        versions = os.listdir(os.path.join(root, "versions"))
    except OSError:
        versions = []
    import functools
    versions.sort(key=functools.cmp_to_key(compare_versions))
    for v in versions:
        add("%s/versions/%s/bin/python3" % (root, v), "pyenv")
    shim_target = real("%s/versions/%s/bin/python3" % (root, active)) if active and active in versions else None
    path_dirs = [d for d in os.environ.get("PATH", "").split(":") if d.startswith("/")]
    on_path = find_executable(["python3"], path_dirs)
    if on_path:
        add(on_path, "PATH", shim_target if "/shims/" in on_path else None)
    for d in ("/usr/bin", "/usr/local/bin"):
        try:
            names = [n for n in os.listdir(d) if PYTHON_NAME.match(n)]
        except OSError:
            names = []
        names.sort(key=lambda n: (len(n), version_parts(n[6:] or "0")))
        for name in names:
            add("%s/%s" % (d, name), d)
    add("%s/shims/python3" % root, "pyenv shim", shim_target)
    return [by_real[k] for k in order], notes


def capable(cap, reason):
    if cap.get("ok"):
        return {"available": True, "version": cap.get("value"), "reason": None}
    return {"available": False, "version": None, "reason": reason(cap.get("error") or "failed")}


def inspect(candidate, script, timeout, debian, table):
    base = {"path": candidate["path"], "aliases": candidate["aliases"], "sources": candidate["sources"]}
    try:
        proc = subprocess.run([candidate["path"], "-E", "-B", "-"], input=script.encode(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return dict(base, ok=False, error="did not finish the inspection within %.1f s and was killed" % timeout)
    except OSError as exc:
        return dict(base, ok=False, error="could not be started (%s)" % exc)
    line = next((l for l in proc.stdout.decode("utf-8", "replace").split("\n") if l.startswith("EDGEPROBE_PYTHON ")), None)
    if line is None:
        return dict(base, ok=False, error="printed no inspection report")
    try:
        data = json.loads(line[len("EDGEPROBE_PYTHON "):])
    except ValueError:
        return dict(base, ok=False, error="printed a malformed inspection report")
    version = data.get("version") or ""
    if not re.match(r"^\d+\.\d+\.\d+$", version) or data.get("bits") not in (32, 64):
        return dict(base, ok=False, error="inspection report has no valid version or bitness")
    minor = python_minor(version) or version
    exe = data.get("executable") or ""
    system_python = debian and (exe.startswith("/usr/bin/") or candidate["path"].startswith("/usr/bin/"))
    series, lts, why = max_django_for(version, table)

    def venv_reason(error):
        if "ensurepip" in error:
            if system_python:
                return "ensurepip is missing, so `python3 -m venv` fails (Debian/Ubuntu split it out: apt install python%s-venv)" % minor
            return "ensurepip is missing, so `python3 -m venv` cannot install pip (%s)" % error
        return "venv is not usable: %s" % error

    packages = data.get("packages") or {}
    packages = dict((k, packages.get(k) if isinstance(packages.get(k), str) else None)
                    for k in ("django", "channels", "daphne", "uvicorn", "channels_redis", "gunicorn", "redis", "twisted", "cryptography"))
    headers = data.get("headers") or {}
    return dict(
        base, ok=True, version=version, implementation=data.get("implementation"), executable=exe, bits=data["bits"],
        machine=data.get("machine"), platformTag=data.get("platformTag"), libc=data.get("libc"),
        inVirtualenv=bool(data.get("inVirtualenv")), prefix=data.get("prefix") or "",
        maxDjango=series, maxDjangoLts=lts, maxDjangoReason=why,
        venv=capable(data.get("venv") or {}, venv_reason),
        pip=capable(data.get("pip") or {}, lambda e: ("pip is not installed (apt install python3-pip, or use a venv): %s" % e) if system_python else "pip is not importable: %s" % e),
        ssl=capable(data.get("ssl") or {}, lambda e: "the ssl module does not load, so pip cannot reach PyPI over HTTPS (%s)" % e),
        sqliteVersion=(data.get("sqlite") or {}).get("value") if (data.get("sqlite") or {}).get("ok") else None,
        headers={"available": True, "path": headers.get("value"), "reason": None} if headers.get("ok") else
        {"available": False, "path": None, "reason": ("no Python.h (apt install python%s-dev)" % minor) if system_python else "no Python.h (%s)" % (headers.get("error") or "not found")},
        missingModules=data.get("missingModules") or [], packages=packages,
        asgiServer="daphne" if packages["daphne"] else "uvicorn" if packages["uvicorn"] else None,
    )


def rank(i, current_lts):
    max_django = version_parts(i["maxDjango"]) if i["maxDjango"] else [0, 0]
    version = version_parts(i["version"])
    return [
        1 if i["maxDjango"] is not None and compare_versions(i["maxDjango"], current_lts) >= 0 else 0,
        1 if i["venv"]["available"] else 0,
        (1 if i["packages"]["django"] else 0) + (1 if i["packages"]["channels"] else 0) + (1 if i["asgiServer"] else 0),
        1 if i["pip"]["available"] else 0,
        1 if i["ssl"]["available"] else 0,
        (max_django + [0, 0])[0], (max_django + [0, 0])[1],
        (version + [0, 0, 0])[0], (version + [0, 0, 0])[1], (version + [0, 0, 0])[2],
        1 if "--python" in i["sources"] else 0,
    ]


def main():
    args = sys.argv[1:]
    explicit = args[args.index("--python") + 1] if "--python" in args and args.index("--python") + 1 < len(args) else None
    timeout = float(args[args.index("--timeout") + 1]) if "--timeout" in args else 15.0
    script = os.environ.get("EDGEPROBE_INSPECT_PY", "")
    table = json.loads(os.environ.get("EDGEPROBE_DJANGO_SUPPORT") or "[]")
    current_lts = os.environ.get("EDGEPROBE_DJANGO_CURRENT_LTS", "")
    metric_ids = os.environ.get("EDGEPROBE_METRICS_python", "").split()
    system_bin_dirs = [p for p in os.environ.get("EDGEPROBE_SYSTEM_BIN_DIRS", "").split(":") if p]
    m, u, d = {}, {}, {}
    if not script or not table or not current_lts or not metric_ids or not system_bin_dirs:
        u["*"] = "the Python inspection helpers did not come with this sh probe"
    else:
        debian = os.path.exists("/etc/debian_version")
        candidates, notes = discover(explicit)
        results = [inspect(c, script, timeout, debian, table) for c in candidates]
        interpreters, by_exe = [], {}
        for r in results:
            if r["ok"]:
                key = "%s\0%s" % (r["prefix"], real(r["executable"] or r["path"]))
                same = by_exe.get(key)
                if same:
                    same["aliases"].extend([r["path"]] + r["aliases"])
                    for s in r["sources"]:
                        if s not in same["sources"]:
                            same["sources"].append(s)
                    continue
                by_exe[key] = r
            interpreters.append(r)
        working = sorted([i for i in interpreters if i["ok"]], key=lambda i: rank(i, current_lts), reverse=True)
        failed = [i for i in interpreters if not i["ok"]]
        best = working[0] if working else None
        path_dirs = [p for p in os.environ.get("PATH", "").split(":") if p.startswith("/")]
        dirs = []
        for p in path_dirs + system_bin_dirs:
            if p not in dirs:
                dirs.append(p)
        compiler = find_executable(["cc", "gcc", "clang"], dirs)
        m["python.found"] = best is not None
        m["python.interpreter_count"] = len(working)
        m["python.compiler_available"] = compiler is not None
        if best is None:
            why = (notes[0] if notes else "no python3 on PATH, in /usr/bin, /usr/local/bin or pyenv") if not candidates else \
                "no working interpreter: " + "; ".join("%s: %s" % (f["path"], f["error"]) for f in failed)
            for key in metric_ids:
                if key not in m:
                    u[key] = why
        else:
            m["python.version"] = best["version"]
            m["python.path"] = best["path"]
            m["python.bits"] = best["bits"]
            m["python.venv_available"] = best["venv"]["available"]
            m["python.pip_available"] = best["pip"]["available"]
            m["python.ssl_available"] = best["ssl"]["available"]
            m["python.sqlite_version"] = best["sqliteVersion"]
            if best["sqliteVersion"] is None:
                u["python.sqlite_version"] = "the sqlite3 module does not load"
            m["python.headers_available"] = best["headers"]["available"]
            m["python.build_tools_available"] = best["headers"]["available"] and compiler is not None
            m["python.max_django"] = best["maxDjango"]
            if best["maxDjango"] is None:
                u["python.max_django"] = best["maxDjangoReason"] or "no Django release supports this Python"
            for key, pkg in (("python.django_version", "django"), ("python.channels_version", "channels"), ("python.daphne_version", "daphne"),
                             ("python.uvicorn_version", "uvicorn"), ("python.channels_redis_version", "channels_redis")):
                m[key] = best["packages"][pkg]
                if m[key] is None:
                    u[key] = "%s is not installed for %s" % (pkg, best["path"])
            m["python.asgi_server"] = best["asgiServer"]
            if best["asgiServer"] is None:
                u["python.asgi_server"] = "neither daphne nor uvicorn is installed for %s" % best["path"]
            if not best["venv"]["available"] and best["venv"]["reason"]:
                d["venvWarning"] = best["venv"]["reason"]
        d["best"] = best["path"] if best else None
        d["interpreters"] = working + failed
        d["compiler"] = {"path": compiler} if compiler else None
        if notes:
            d["discoveryNote"] = "; ".join(notes)
    body = lambda o: json.dumps(o, separators=(",", ":"))[1:-1]
    print(body(m))
    print(body(u))
    print(body(d))


if __name__ == "__main__":
    main()
