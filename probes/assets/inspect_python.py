# edgeprobe: what a Django deployment needs from this Python interpreter.
# Run once per interpreter by probes/python.ts (python -E -B - < this file). Prints one line,
# "EDGEPROBE_PYTHON <json>", and nothing else on stdout. With the argument --identity (python -E -B -
# --identity) it reports only what the interpreter is and which packages it has, the rest as not inspected,
# and says so in "inspection". Written so that any Python from 2.7 on can
# run it: an old interpreter still reports its version, so the report can say why it is too old.
# A device may hold a dozen interpreters and each runs this, so it imports the modules whose loading it
# reports on and, where a cheaper source gives the same answer, nothing more: not `platform` (before
# Python 3.9 its uname() forks `uname -p` through a shell), not importlib.metadata (email, zipfile, csv
# and pathlib, to read one header per package), and never Django (slow on small boards).
import os
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


def metadata_version(path):
    """The Version header of a dist-info/egg-info folder, or of an egg-info file, as importlib.metadata reads it."""
    files = (os.path.join(path, 'METADATA'), os.path.join(path, 'PKG-INFO')) if os.path.isdir(path) else (path,)
    for name in files:
        try:
            handle = open(name, 'rb')
        except (IOError, OSError):
            continue
        try:
            for raw in handle:
                line = raw.decode('utf-8', 'replace').rstrip('\r\n')
                if not line:
                    break  # the headers end at the first blank line
                if line.lower().startswith('version:'):
                    return line[len('version:'):].strip()
        finally:
            handle.close()
        return None
    return None


def package_versions():
    """The first *.dist-info / *.egg-info of each package along sys.path, and its Version header: the search
    importlib.metadata.version() makes (which needs Python 3.8; this runs on any)."""
    wanted = dict((normalise(p), p) for p in PACKAGES)
    result = dict((p, None) for p in PACKAGES)
    for entry in sys.path:
        if len(wanted) == 0:
            break
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
                # "Django-3.2.19", "channels_redis-4.0.0", "Django-3.2.19.egg-info" (Debian, no -pyX.Y), or
                # "mysite.egg-info" (a development install): the name is what comes before the first "-".
                parts = name[:-len(suffix)].split('-')
                key = normalise(parts[0])
                if key not in wanted:
                    continue
                version = metadata_version(os.path.join(entry, name))
                if version is None and len(parts) >= 2:
                    version = parts[1]
                if version is not None:
                    result[wanted.pop(key)] = version
    return result


def implementation():
    impl = getattr(sys, 'implementation', None)  # 3.3+
    if impl is not None:
        return impl.name
    import platform
    return platform.python_implementation().lower()


def libc():
    """The C library the interpreter runs on, as platform.libc_ver() gives it from 3.8 on: glibc answers
    confstr; otherwise (musl, or no glibc) platform scans the executable."""
    try:
        parts = os.confstr('CS_GNU_LIBC_VERSION').split(None, 1)
        if len(parts) == 2:
            return '%s %s' % (parts[0], parts[1])
    except (AttributeError, ValueError, OSError):
        pass
    import platform
    value = platform.libc_ver()
    return ('%s %s' % value).strip() if value and value[0] else None


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


NOT_INSPECTED = {'ok': False, 'value': None, 'error': 'not inspected'}


def capabilities(out, identity_only):
    """The checks that import what they check. --identity leaves them out: each costs an interpreter
    milliseconds of imports (pip alone brings typing), and a probe with many interpreters asks them all
    only of those that can turn out best."""
    out['inspection'] = 'identity' if identity_only else 'full'
    if identity_only:
        out['platformTag'] = None
        out['soabi'] = None
        for key in ('venv', 'pip', 'ssl', 'sqlite', 'headers'):
            out[key] = NOT_INSPECTED
        out['missingModules'] = []
        return
    ok, value = check(platform_tag)
    out['platformTag'] = value if ok else None
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


def to_json(value):
    """json.dumps(value) for what this script prints (dicts, lists, text, integers, booleans, None), without
    importing json: its decoder brings re and enum, which most Python 3 interpreters otherwise never load
    here, and those imports were a fifth of an identity-only inspection. Anything else raises TypeError."""
    if value is None:
        return 'null'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if type(value) is int:
        return str(value)
    if type(value) is str:
        out = ['"']
        for ch in value:
            code = ord(ch)
            if ch == '"' or ch == '\\':
                out.append('\\' + ch)
            elif 0x20 <= code < 0x7f:
                out.append(ch)
            elif code < 0x10000:
                out.append('\\u%04x' % code)
            else:  # a UTF-16 surrogate pair, as json.dumps writes it
                code -= 0x10000
                out.append('\\u%04x\\u%04x' % (0xd800 | (code >> 10), 0xdc00 | (code & 0x3ff)))
        out.append('"')
        return ''.join(out)
    if type(value) is dict:
        return '{' + ', '.join(to_json(k) + ': ' + to_json(v) for k, v in value.items()) + '}'
    if type(value) in (list, tuple):
        return '[' + ', '.join(to_json(v) for v in value) + ']'
    raise TypeError('not encoded by hand: %s' % type(value).__name__)


def report_text(out):
    """Python 2 keeps text as bytes (json decodes them as UTF-8), and an unexpected type goes to json too."""
    if sys.version_info[0] >= 3:
        try:
            return to_json(out)
        except TypeError:
            pass
    import json
    return json.dumps(out)


def main():
    info = sys.version_info
    out = {
        'schema': 1,
        'version': '%d.%d.%d' % (info[0], info[1], info[2]),
        'releaseLevel': info[3],
        'implementation': implementation(),
        'executable': sys.executable,
        'prefix': sys.prefix,
        'inVirtualenv': getattr(sys, 'base_prefix', sys.prefix) != sys.prefix or hasattr(sys, 'real_prefix'),
        'bits': struct.calcsize('P') * 8,
        # platform.machine() is this field of uname(2); platform would also fork `uname -p` for it.
        'machine': os.uname()[4],
    }
    ok, value = check(libc)
    out['libc'] = value if ok else None
    capabilities(out, sys.argv[1:2] == ['--identity'])
    ok, value = check(package_versions)
    out['packages'] = value if ok else {}
    sys.stdout.write('EDGEPROBE_PYTHON ' + report_text(out) + '\n')


main()
