"""Runs the django probe's throwaway project: inspect, migrate, or serve it on 127.0.0.1 on a free port.

Usage: python3 serve.py inspect
       python3 serve.py migrate
       python3 serve.py gunicorn|uvicorn|daphne WORKERS [--lifeline]

Serving prints "LISTENING <port>" as soon as the socket listens, before the server or Django is imported:
connections wait in the kernel's backlog until a worker accepts them, so the agent's first request times the
whole cold start. Then "WORKER <pid>" once per worker process. With --lifeline, file descriptor 3 is a pipe
held by the agent: at its end of file (the agent exited, however it died) the project directory is removed
and the whole process group is killed, so that nothing outlives the agent.
"""
import json
import os
import shutil
import signal
import socket
import stat
import sys
import threading
import time

PROJECT_DIR = os.path.dirname(os.path.abspath(__file__))
SERVERS = ("gunicorn", "uvicorn", "daphne")


def announce(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def others_in_my_group():
    """Pids of the other processes of this process group (Linux /proc: field 5 of stat is the group)."""
    me, group, pids = os.getpid(), os.getpgrp(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and int(fields[2]) == group:
            pids.append(int(entry))
    return pids


def end_everything():
    # Only a group leader (the agent starts it so) may take its group down; anyone else just leaves.
    leader = os.getpgrp() == os.getpid()
    if leader:
        # The workers go first, so that none of them writes into the project (a database journal, a .pyc)
        # while it is being removed: a file written then would leave the directory behind.
        for pid in others_in_my_group():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    if os.path.basename(PROJECT_DIR).startswith("edgeprobe-"):
        shutil.rmtree(PROJECT_DIR, ignore_errors=True)
    if leader:
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os._exit(0)


def watch_lifeline():
    try:
        while os.read(3, 4096):
            pass
    except OSError:
        pass
    end_everything()


def start_lifeline():
    try:
        mode = os.fstat(3).st_mode if "--lifeline" in sys.argv else 0
    except OSError:
        return
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        threading.Thread(target=watch_lifeline, daemon=True).start()


def exit_with_parent():
    """A worker whose supervising process died exits too, instead of serving on as an orphan."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def version_of(name):
    try:
        from importlib import metadata

        return metadata.version(name)
    except Exception:
        pass
    try:
        module = __import__(name)
        return str(getattr(module, "__version__", "unknown"))
    except Exception:
        return None


def inspect():
    import importlib.util
    import platform

    found = {}
    for name in ("django", "gunicorn", "uvicorn", "daphne", "httptools", "uvloop", "h11"):
        found[name] = version_of(name) if importlib.util.find_spec(name) else None
    announce(json.dumps({"python": platform.python_version(), "implementation": platform.python_implementation(), "modules": found}))


def migrate():
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        # Readers do not wait for the writer: the usual setting for SQLite under several workers.
        cursor.execute("PRAGMA journal_mode=WAL")
    announce("MIGRATED")


def listen():
    # IPPROTO_TCP rather than 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and without it
    # a keep-alive client waits out the delayed ACK (40 ms) on every response written in two parts.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sock.set_inheritable(True)
    announce("LISTENING %d" % sock.getsockname()[1])
    return sock


def run_gunicorn(sock, workers):
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):
        def load_config(self):
            settings = {
                "bind": ["fd://%d" % sock.fileno()],
                "workers": workers,
                "worker_class": "sync",
                "accesslog": None,
                "loglevel": "warning",
                "timeout": 30,
                "graceful_timeout": 2,
                "post_worker_init": lambda worker: announce("WORKER %d" % os.getpid()),
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self):
            from edgeprobe_site.wsgi import application

            return application

    Application().run()


def uvicorn_config(workers):
    import uvicorn

    return uvicorn.Config("edgeprobe_site.asgi:application", lifespan="off", log_level="warning", access_log=False, workers=workers)


def uvicorn_worker(sockets=None):
    """The target of each worker uvicorn's supervisor spawns (a fresh interpreter that imports this file)."""
    import uvicorn

    exit_with_parent()
    announce("WORKER %d" % os.getpid())
    uvicorn.Server(uvicorn_config(1)).run(sockets=sockets)


def run_uvicorn(sock, workers):
    import uvicorn

    if workers == 1:
        announce("WORKER %d" % os.getpid())
        uvicorn.Server(uvicorn_config(1)).run(sockets=[sock])
        return
    from uvicorn.supervisors import Multiprocess

    Multiprocess(uvicorn_config(workers), target=uvicorn_worker, sockets=[sock]).run()


def daphne_serve(endpoint):
    from daphne.server import Server  # installs Twisted's asyncio reactor before anything else uses it

    from edgeprobe_site.asgi import application

    Server(application=application, endpoints=[endpoint], signal_handlers=True, verbosity=0).run()


def run_daphne(sock, workers):
    endpoint = "fd:fileno=%d" % sock.fileno()
    if workers == 1:
        announce("WORKER %d" % os.getpid())
        daphne_serve(endpoint)
        return
    # daphne has no workers of its own: the Channels deployment docs run several daphne processes on one
    # shared socket under a process manager. This process is that manager.
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            exit_with_parent()
            announce("WORKER %d" % os.getpid())
            daphne_serve(endpoint)
            os._exit(0)
        children.append(pid)
    while children:
        try:
            pid, _status = os.wait()
        except ChildProcessError:
            break
        if pid in children:
            children.remove(pid)


def serve(kind, workers):
    sock = listen()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edgeprobe_site.settings")
    {"gunicorn": run_gunicorn, "uvicorn": run_uvicorn, "daphne": run_daphne}[kind](sock, workers)


def main():
    start_lifeline()
    if PROJECT_DIR not in sys.path:
        sys.path.insert(0, PROJECT_DIR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edgeprobe_site.settings")
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "inspect":
        inspect()
    elif mode == "migrate":
        migrate()
    elif mode in SERVERS and len(sys.argv) > 2 and sys.argv[2].isdigit() and int(sys.argv[2]) >= 1:
        serve(mode, int(sys.argv[2]))
    else:
        sys.stderr.write("usage: serve.py inspect | migrate | gunicorn|uvicorn|daphne WORKERS [--lifeline]\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
