# Runs inside a lab board (streamed to Debian's python3 over SSH): the resident memory of a small Django +
# Channels project's worker under daphne, uvicorn and gunicorn, idle and warmed, and of the redis-server and
# nginx services the board runs. RSS and PSS come from /proc/PID/smaps_rollup. Prints one JSON object.
#
# "idle": the worker has started and answered one request (so the project is imported, as a deployed worker
# is once it has served its health check). "warmed": after WARM_REQUESTS more requests spread over the views.
# Nothing here measures speed: under emulation, times say nothing about a Pi.
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

WARM_REQUESTS = 300
START_TIMEOUT_S = 300

SETTINGS = '''
SECRET_KEY = "lab-calibration-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "calib.urls"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions",
                  "django.contrib.messages", "django.contrib.staticfiles", "channels"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", "django.contrib.sessions.middleware.SessionMiddleware",
              "django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware", "django.contrib.messages.middleware.MessageMiddleware"]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": False,
              "OPTIONS": {"context_processors": ["django.template.context_processors.request"]}}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
STATIC_URL = "/static/"
USE_TZ = True
WSGI_APPLICATION = "calib.wsgi.application"
ASGI_APPLICATION = "calib.asgi.application"
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
'''

URLS = '''
from django.http import JsonResponse, HttpResponse
from django.template import engines
from django.urls import path

PAGE = engines["django"].from_string(
    "<ul>{% for row in rows %}<li>{{ row.name|title }}: {{ row.value|floatformat:2 }}</li>{% endfor %}</ul>")

def health(request):
    return HttpResponse("ok")

def data(request):
    n = int(request.GET.get("n", "50"))
    return JsonResponse({"rows": [{"id": i, "name": f"sensor-{i}", "value": i * 0.5} for i in range(n)]})

def page(request):
    rows = [{"name": f"sensor {i}", "value": i / 3} for i in range(100)]
    return HttpResponse(PAGE.render({"rows": rows}, request))

urlpatterns = [path("health", health), path("data", data), path("page", page)]
'''

WSGI = '''
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calib.settings")
from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
'''

ASGI = '''
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calib.settings")
from django.core.asgi import get_asgi_application
django_asgi = get_asgi_application()
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path

class Echo(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data)

application = ProtocolTypeRouter({"http": django_asgi, "websocket": URLRouter([path("ws", Echo.as_asgi())])})
'''


def smaps_rollup(pid):
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                values[parts[0][:-1]] = int(parts[1]) * 1024
    return {"rssBytes": values.get("Rss"), "pssBytes": values.get("Pss"),
            "privateBytes": (values.get("Private_Clean", 0) + values.get("Private_Dirty", 0)),
            "swapBytes": values.get("Swap", 0)}


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def spare_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as response:
        return response.read()


def wait_ready(port, proc):
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            get(port, "/health")
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("server did not answer in time")


def warm(port):
    paths = ["/health", "/data?n=10", "/data?n=200", "/page"]
    for i in range(WARM_REQUESTS):
        get(port, paths[i % len(paths)])


SERVERS = {
    # One worker each, as a small board would run them; the measured process is the one that runs Django.
    "gunicorn": lambda port: ["gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", "calib.wsgi:application"],
    "uvicorn": lambda port: ["uvicorn", "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "calib.asgi:application"],
    "daphne": lambda port: ["daphne", "-b", "127.0.0.1", "-p", str(port), "calib.asgi:application"],
}

# Debian's python3-daphne and python3-uvicorn ship the modules; run them as `python3 -m` where no script exists.
MODULE_FALLBACK = {"uvicorn": ["python3", "-m", "uvicorn"], "daphne": ["python3", "-m", "daphne"], "gunicorn": ["python3", "-m", "gunicorn"]}


def server_command(name, port):
    argv = SERVERS[name](port)
    if shutil.which(argv[0]) is None:
        argv = MODULE_FALLBACK[name] + argv[1:]
    return argv


def measure_server(name, project):
    port = spare_port()
    argv = server_command(name, port)
    env = dict(os.environ, PYTHONPATH=project, DJANGO_SETTINGS_MODULE="calib.settings", PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.Popen(argv, cwd=project, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_ready(port, proc)
        worker = proc.pid
        if name == "gunicorn":
            kids = children(proc.pid)
            worker = kids[0] if kids else proc.pid
        time.sleep(1)
        idle = smaps_rollup(worker)
        master_idle = smaps_rollup(proc.pid) if worker != proc.pid else None
        warm(port)
        time.sleep(1)
        warmed = smaps_rollup(worker)
        result = {"command": " ".join(argv), "workerPid": worker, "idle": idle, "warmed": warmed, "warmRequests": WARM_REQUESTS}
        if master_idle is not None:
            result["master"] = smaps_rollup(proc.pid)
        return result
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def service_pids(unit):
    out = subprocess.run(["systemctl", "show", "-p", "MainPID", "--value", unit], capture_output=True, text=True, timeout=30).stdout.strip()
    main = int(out) if out.isdigit() and out != "0" else None
    return main


def measure_services():
    result = {}
    redis = service_pids("redis-server.service")
    if redis:
        result["redis-server"] = {"pid": redis, "idle": smaps_rollup(redis), "note": "Debian's default configuration, empty data set"}
    nginx = service_pids("nginx.service")
    if nginx:
        workers = children(nginx)
        per_worker = [smaps_rollup(w) for w in workers]
        result["nginx"] = {
            "masterPid": nginx, "master": smaps_rollup(nginx), "workers": len(workers), "perWorker": per_worker,
            "totalPssBytes": smaps_rollup(nginx)["pssBytes"] + sum(w["pssBytes"] for w in per_worker),
            "note": "Debian's default configuration (worker_processes auto: one per CPU), idle",
        }
    return result


def versions():
    import django
    found = {"django": django.get_version(), "python": platform.python_version()}
    for module in ("channels", "daphne", "uvicorn", "gunicorn"):
        try:
            found[module] = __import__(module).__version__
        except Exception:  # noqa: BLE001 - a missing version string is recorded as such
            found[module] = None
    for program, args in (("redis-server", ["--version"]), ("nginx", ["-v"])):
        done = subprocess.run([program] + args, capture_output=True, text=True, timeout=30)
        found[program] = (done.stdout + done.stderr).strip()
    return found


def main():
    project = tempfile.mkdtemp(prefix="edgeprobe-calib-")
    try:
        os.makedirs(os.path.join(project, "calib"))
        for name, text in (("__init__.py", ""), ("settings.py", SETTINGS), ("urls.py", URLS), ("wsgi.py", WSGI), ("asgi.py", ASGI)):
            with open(os.path.join(project, "calib", name), "w") as f:
                f.write(text)
        servers = {}
        for name in SERVERS:
            try:
                servers[name] = measure_server(name, project)
            except Exception as err:  # noqa: BLE001 - reported per server, the others still run
                servers[name] = {"error": str(err)}
        report = {
            "machine": platform.machine(),
            "userlandBits": 64 if sys.maxsize > 2**32 else 32,
            "pageSize": os.sysconf("SC_PAGE_SIZE"),
            "memTotalBytes": os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"),
            "versions": versions(),
            "servers": servers,
            "services": measure_services(),
        }
        print(json.dumps(report))
    finally:
        shutil.rmtree(project, ignore_errors=True)


main()
