"""Starts the throwaway project under daphne or uvicorn on 127.0.0.1, on a free port.

Usage: python3 serve.py daphne|uvicorn [--lifeline]
Prints "LISTENING <port>" on stdout once the socket listens. With --lifeline, file descriptor 3 is a pipe
held by the agent: when it reaches end of file (the agent exited, however it died) the server removes its project directory
and exits, so that nothing outlives the agent.
"""
import os
import shutil
import socket
import stat
import sys
import threading

PROJECT_DIR = os.path.dirname(os.path.abspath(__file__))


def watch_lifeline():
    try:
        while os.read(3, 4096):
            pass
    except OSError:
        pass
    if os.path.basename(PROJECT_DIR).startswith("edgeprobe-"):
        shutil.rmtree(PROJECT_DIR, ignore_errors=True)
    os._exit(0)


def raise_fd_limit():
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and hard > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass


def announce(port):
    sys.stdout.write("LISTENING %d\n" % port)
    sys.stdout.flush()


def run_daphne():
    from daphne.server import Server  # installs Twisted's asyncio reactor before anything else uses it
    from twisted.internet import reactor

    from edgeprobe_echo.asgi import application

    server = None

    def ready():
        def report():
            if server.listening_addresses:
                announce(server.listening_addresses[0][1])
            else:
                reactor.callLater(0.05, report)

        reactor.callLater(0, report)

    server = Server(
        application=application,
        endpoints=["tcp:port=0:interface=127.0.0.1"],
        signal_handlers=True,
        verbosity=0,
        websocket_handshake_timeout=10,
        ready_callable=ready,
    )
    server.run()


def run_uvicorn():
    import uvicorn

    from edgeprobe_echo.asgi import application

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    config = uvicorn.Config(application, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    announce(sock.getsockname()[1])
    server.run(sockets=[sock])


if __name__ == "__main__":
    try:
        mode = os.fstat(3).st_mode if "--lifeline" in sys.argv else 0
        if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            threading.Thread(target=watch_lifeline, daemon=True).start()
    except OSError:
        pass  # no fd 3
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edgeprobe_echo.settings")
    raise_fd_limit()
    kind = sys.argv[1] if len(sys.argv) > 1 else "daphne"
    os.environ["EDGEPROBE_ASGI_SERVER"] = kind
    if kind == "daphne":
        run_daphne()
    elif kind == "uvicorn":
        run_uvicorn()
    else:
        sys.stderr.write("unknown ASGI server %r\n" % kind)
        sys.exit(2)
