# edgeprobe: what a Django deployment needs from this Python interpreter.
# Run once per interpreter by probes/python.ts (python -E -B - < this file). Prints one line,
# "EDGEPROBE_PYTHON <json>", and nothing else on stdout. Written so that any Python from 2.7 on can
# run it: an old interpreter still reports its version, so the report can say why it is too old.
# It imports nothing it reports on except the stdlib modules it checks; package versions come from
# installed metadata, so Django is never imported (that would be slow on small boards).
import json
import os
import platform
import struct
import sys

PACKAGES = ('django', 'channels', 'daphne', 'uvicorn', 'channels_redis', 'gunicorn', 'redis',
            'twisted', 'cryptography')


def error_text(exc):
    text = '%s: %s' % (type(exc).__name__, exc)
    return text[:300]


def check(fn):
    """(True, value) or (False, reason)."""
    try:
        return True, fn()
    except BaseException as exc:  # noqa: B902 - a broken module may raise anything, even SystemExit
        return False, error_text(exc)


def normalise(name):
    out = []
    for ch in name.lower():
        out.append('_' if ch in '-.' else ch)
    return ''.join(out)


def scan_metadata(wanted):
    """Versions from *.dist-info / *.egg-info folders on sys.path (works without importlib.metadata)."""
    found = {}
    for entry in sys.path:
        if not entry or not os.path.isdir(entry):
            continue
        try:
            names = os.listdir(entry)
        except OSError:
            continue
        for name in names:
            for suffix in ('.dist-info', '.egg-info'):
                if not name.endswith(suffix):
                    continue
                stem = name[:-len(suffix)]
                # "Django-3.2.19" or "channels_redis-4.0.0" or "Django-3.2.19.egg-info" (Debian, no -pyX.Y)
                parts = stem.split('-')
                if len(parts) < 2:
                    continue
                key = normalise(parts[0])
                if key in wanted and key not in found:
                    found[key] = parts[1]
    return found


def package_versions():
    wanted = set(normalise(p) for p in PACKAGES)
    result = dict((p, None) for p in PACKAGES)
    try:
        from importlib import metadata  # Python 3.8+
        for p in PACKAGES:
            try:
                result[p] = metadata.version(p)
            except Exception:
                pass
        missing = set(normalise(p) for p in PACKAGES if result[p] is None)
    except Exception:
        missing = wanted
    if missing:
        scanned = scan_metadata(missing)
        for p in PACKAGES:
            if result[p] is None and normalise(p) in scanned:
                result[p] = scanned[normalise(p)]
    return result


def platform_tag():
    try:
        import sysconfig
        plat = sysconfig.get_platform()
    except Exception:
        from distutils.util import get_platform
        plat = get_platform()
    return plat.replace('-', '_').replace('.', '_')


def venv_status():
    import venv  # noqa: F401
    import ensurepip
    version = getattr(ensurepip, 'version', None)
    return version() if version else 'unknown'


def pip_version():
    import pip
    return getattr(pip, '__version__', 'unknown')


def ssl_version():
    import ssl
    return ssl.OPENSSL_VERSION


def sqlite_version():
    import sqlite3
    return sqlite3.sqlite_version


def headers():
    import sysconfig
    include = sysconfig.get_paths().get('include') or sysconfig.get_config_var('INCLUDEPY')
    path = os.path.join(include, 'Python.h')
    if not os.path.isfile(path):
        raise IOError('no %s' % path)
    return path


def main():
    info = sys.version_info
    out = {
        'schema': 1,
        'version': '%d.%d.%d' % (info[0], info[1], info[2]),
        'releaseLevel': info[3],
        'implementation': platform.python_implementation().lower(),
        'executable': sys.executable,
        'prefix': sys.prefix,
        'inVirtualenv': getattr(sys, 'base_prefix', sys.prefix) != sys.prefix or hasattr(sys, 'real_prefix'),
        'bits': struct.calcsize('P') * 8,
        'machine': platform.machine(),
    }
    ok, value = check(platform_tag)
    out['platformTag'] = value if ok else None
    ok, value = check(platform.libc_ver)
    out['libc'] = ('%s %s' % value).strip() if ok and value and value[0] else None
    try:
        import sysconfig
        out['soabi'] = sysconfig.get_config_var('SOABI')
    except Exception:
        out['soabi'] = None
    for key, fn in (('venv', venv_status), ('pip', pip_version), ('ssl', ssl_version),
                    ('sqlite', sqlite_version), ('headers', headers)):
        ok, value = check(fn)
        out[key] = {'ok': ok, 'value': value if ok else None, 'error': None if ok else value}
    missing = []
    for module in ('zlib', 'ctypes', 'bz2', 'lzma', 'asyncio', 'uuid'):
        ok, _ = check(lambda m=module: __import__(m))
        if not ok:
            missing.append(module)
    out['missingModules'] = missing
    ok, value = check(package_versions)
    out['packages'] = value if ok else {}
    sys.stdout.write('EDGEPROBE_PYTHON ' + json.dumps(out) + '\n')


main()
