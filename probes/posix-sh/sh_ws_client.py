"""edgeprobe POSIX-sh probe: the streaming tiers where the device has no Node.

Each tier's server is the Node agent's own (probes/lib/streaming/setup.ts): the stdlib asyncio echo server
(EDGEPROBE_WS_SERVER_SRC) for the python tier, and for the channels tier the same throwaway Django project
(EDGEPROBE_CHANNELS_PROJECT, JSON path -> text) with its AsyncWebsocketConsumer on the in-memory channel layer,
started by its serve.py under daphne (or uvicorn), as the Node agent starts it. The driver
(EDGEPROBE_WS_DRIVER_SRC, sh_ws_driver.py) runs the agent's phases with the agent's load plan
(probes/lib/streaming/plan.ts), and EDGEPROBE_WS_VALIDITY_SRC (sh_ws_validity.py) judges whether the figures can be
trusted; the metric ids come from EDGEPROBE_METRICS_streaming. Each server runs in a
session of its own holding a lifeline pipe (fd 3), and is killed with its group when its tier ends, when
this helper ends (SIGTERM included) or, through the lifeline, when it dies; the project is removed.
LifelineServer comes from sh_server_group.py, which the assembler puts before this text.

Usage: python3 -c "$SRC" --available BYTES|unknown --cpus N --duration S --seconds S [--tiers python,channels] [--asgi NAME]
Prints three lines, the bodies of three JSON objects: metrics, unmeasured reasons, details.
"""
import asyncio
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types

MiB = 1024 * 1024
MEMORY_FLOOR_BYTES, LOW_MEMORY_BYTES, CHANNELS_MEMORY_BYTES = 64 * MiB, 128 * MiB, 192 * MiB
CONNECTION_COST_BYTES = 160 * 1024
MAX_IDLE, MIN_IDLE = 256, 8
# Shares of one tier's time, as phaseSchedule in plan.ts: the sustained stream gets the most.
SHARES = {"latency": 0.15, "idle": 0.15, "small": 0.15, "large": 0.15, "sustained": 0.4}
STREAM_BITS_PER_SECOND = 2000000  # the agent's default --stream-bitrate (2 Mbit/s)
CONNECT_TIMEOUT = 10.0


def plan_load(available, open_files):
    """planLoad of plan.ts: the load follows the effective available memory and the open-file limit."""
    plan = {"latencyClients": 4, "throughputClients": 4, "small": 64, "large": 16 * 1024, "smallWindow": 32,
            "largeWindow": 8, "idle": MAX_IDLE, "streamFrame": 16 * 1024, "scaledDown": []}
    avail = available if available is not None else 256 * MiB
    if available is None:
        plan["scaledDown"].append("effective available memory unknown: planned for 256 MiB")
    if avail < MEMORY_FLOOR_BYTES:
        plan["refuse"] = "only %d MiB of memory available; the streaming load test needs at least %d MiB" % (avail // MiB, MEMORY_FLOOR_BYTES // MiB)
        return plan
    if avail < CHANNELS_MEMORY_BYTES:
        plan["channelsRefused"] = "only %d MiB of memory available; a Django Channels server needs at least %d MiB to be measured safely" % (
            avail // MiB, CHANNELS_MEMORY_BYTES // MiB)
    if avail < LOW_MEMORY_BYTES:
        plan.update(latencyClients=2, throughputClients=2, large=4 * 1024, largeWindow=4, smallWindow=16, streamFrame=4 * 1024)
        plan["scaledDown"].append("%d MiB available (< %d MiB): 2 clients, 4 KiB large payloads and stream frames" % (avail // MiB, LOW_MEMORY_BYTES // MiB))
    conns = max(MIN_IDLE, min(MAX_IDLE, int(avail * 0.1 // CONNECTION_COST_BYTES)))
    if conns < MAX_IDLE:
        plan["scaledDown"].append("%d idle connections (a tenth of %d MiB at %d KiB each)" % (conns, avail // MiB, CONNECTION_COST_BYTES // 1024))
    if open_files is not None and conns > open_files - 64:
        conns = max(MIN_IDLE, open_files - 64)
        plan["scaledDown"].append("%d idle connections (open-file limit %d)" % (conns, open_files))
    plan["idle"] = conns
    return plan


def load_module(name, variable):
    """A helper that arrived as source text in the environment (nothing is written on the device)."""
    module = types.ModuleType(name)
    exec(compile(os.environ[variable], "<%s>" % name, "exec"), module.__dict__)
    return module


def rss_bytes(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


class Server(LifelineServer):
    """A tier's server, started the way probes/lib/streaming/servers.ts starts it (LifelineServer: sh_server_group.py)."""

    def __init__(self, name, argv, cwd, env, stdin_text, start_seconds):
        self.name, self.port, self.lines = name, None, []
        started = time.monotonic()
        self.spawn(argv, cwd, env, subprocess.PIPE if stdin_text else subprocess.DEVNULL, subprocess.PIPE)
        if stdin_text:
            self.proc.stdin.write(stdin_text.encode())
            self.proc.stdin.close()
        self.stderr = []
        threading.Thread(target=self.read_stdout, daemon=True).start()
        threading.Thread(target=self.read_stderr, daemon=True).start()
        while self.port is None:
            if self.proc.poll() is not None or time.monotonic() > started + start_seconds:
                why = "exited before listening (code %s)" % self.proc.returncode if self.proc.poll() is not None else "did not listen within %d s" % start_seconds
                self.stop()
                raise RuntimeError("%s server %s%s" % (name, why, (": " + " | ".join(self.stderr[-3:])) if self.stderr else ""))
            time.sleep(0.02)
        self.start_ms = round((time.monotonic() - started) * 1000)

    def read_stdout(self):
        for raw in self.proc.stdout:
            words = raw.decode(errors="replace").split()
            if words[:1] == ["LISTENING"] and len(words) > 1 and words[1].isdigit():
                self.port = int(words[1])

    def read_stderr(self):
        for raw in self.proc.stderr:
            self.stderr = (self.stderr + [raw.decode(errors="replace").strip()])[-6:]


def python_server(start_seconds):
    return Server("python", [sys.executable, "-", "--edgeprobe-streaming-python", "--lifeline"], None, dict(os.environ),
                  os.environ["EDGEPROBE_WS_SERVER_SRC"], start_seconds)


def channels_server(project, asgi, start_seconds):
    """The agent's Channels project (channelsProjectFiles in setup.ts) written into `project`, served by its serve.py."""
    for path, text in json.loads(os.environ["EDGEPROBE_CHANNELS_PROJECT"]).items():
        target = os.path.join(project, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as f:
            f.write(text)
    env = dict(os.environ, EDGEPROBE_CHANNEL_LAYER="memory", PYTHONDONTWRITEBYTECODE="1")
    return Server("channels", [sys.executable, "-B", "serve.py", asgi, "--lifeline"], project, env, None, start_seconds)


def pick_asgi(wanted):
    """--asgi-server, else daphne, else uvicorn with a WebSocket library: pickAsgiServer's order."""
    found = lambda name: importlib.util.find_spec(name) is not None
    usable = {"daphne": found("daphne"), "uvicorn": found("uvicorn") and (found("websockets") or found("wsproto"))}
    if wanted in usable:
        return (wanted, None) if usable[wanted] else (None, "%s is not importable by %s (with websockets or wsproto for uvicorn)" % (wanted, sys.executable))
    for name in ("daphne", "uvicorn"):
        if usable[name]:
            return name, None
    return None, "neither daphne nor uvicorn (with websockets or wsproto) is importable by %s" % sys.executable


def channels_missing():
    missing = [name for name in ("django", "channels") if importlib.util.find_spec(name) is None]
    return "%s not importable by %s" % (" and ".join(missing), sys.executable) if missing else None


async def measure_tier(driver, server, plan, seconds):
    """The agent's phases in its order (measureTier in tiers.ts), then the identity check."""
    port, pid = server.port, server.proc.pid
    result = {"server": {"pid": pid, "port": port, "startMs": server.start_ms}}
    cpu_before = driver.cpu_seconds(pid)
    result["latency"] = await driver.latency_phase(port, plan["latencyClients"], plan["small"], seconds * SHARES["latency"], CONNECT_TIMEOUT)
    result["idle"] = await driver.idle_phase(port, plan["idle"], seconds * SHARES["idle"], CONNECT_TIMEOUT, lambda: rss_bytes(pid))
    result["throughputSmall"] = await driver.throughput_phase(port, plan["throughputClients"], plan["small"], plan["smallWindow"],
                                                              seconds * SHARES["small"], CONNECT_TIMEOUT, pid)
    result["throughputLarge"] = await driver.throughput_phase(port, plan["throughputClients"], plan["large"], plan["largeWindow"],
                                                              seconds * SHARES["large"], CONNECT_TIMEOUT, pid)
    result["sustained"] = await driver.sustained_phase(port, STREAM_BITS_PER_SECOND, plan["streamFrame"], seconds * SHARES["sustained"], CONNECT_TIMEOUT)
    result["identity"] = await driver.identify(port, CONNECT_TIMEOUT)
    cpu_after = driver.cpu_seconds(pid)
    result["server"].update(rssAfterBytes=rss_bytes(pid), cpuSeconds=None if None in (cpu_before, cpu_after) else round(cpu_after - cpu_before, 2))
    return result


def check_answering_server(tier, result):
    """The server that answered must be the tier's own and must have echoed every message the driver got back."""
    served_by = result["identity"].get("served_by")
    expected = "django-channels" if tier == "channels" else "python-asyncio"
    if served_by != expected:
        raise RuntimeError('the server that answered says it is "%s", not %s' % (served_by, expected))
    got = sum(result[p]["echoes"] for p in ("latency", "idle", "throughputSmall", "throughputLarge")) + result["sustained"]["framesEchoed"]
    echoed = result["identity"].get("echoed")
    if not isinstance(echoed, int) or echoed < got:
        raise RuntimeError("the server echoed %s messages but the driver received %d: something else answered" % (echoed, got))


def driver_note(result):
    """Where the Python driver, not the server, may have set the pace of the 64 B phase, the details say so."""
    small = result["throughputSmall"]
    driver, server = small.get("driverCpuShare"), small.get("serverCpuShare")
    if driver is None or driver < 0.85:
        return None
    return ("the Python driver used %.0f %% of a core during the 64 B throughput phase (the server %s): the figure may be the "
            "driver's limit, a lower bound of the server's" % (driver * 100, "not measured" if server is None else "%.0f %%" % (server * 100)))


def put_tier(tier, result, ids, m, u):
    """Each figure under the catalogue's id for this tier (the agent's putTier)."""
    small, large, latency, idle, sustained = (result[p] for p in ("throughputSmall", "throughputLarge", "latency", "idle", "sustained"))
    figures = {
        "messages_per_second": small["messagesPerSecond"], "messages_per_cpu_second": small["messagesPerCpuSecond"],
        "bytes_per_second": large["bytesPerSecond"],
        "p50_ms": latency["p50Ms"], "p95_ms": latency["p95Ms"], "p99_ms": latency["p99Ms"],
        "bytes_per_connection": idle["bytesPerConnection"], "sustained_bytes_per_second": sustained["achievedBytesPerSecond"],
        "sustained_late_frames": sustained["lateFrames"], "sustained_jitter_ms": sustained["jitterMs"],
    }
    for figure, value in figures.items():
        metric = "streaming.%s_%s" % (tier, figure)
        if metric in ids:
            m[metric] = value
            if value is None:
                u[metric] = ("the server's CPU time was not readable from /proc, or the phase was too short" if figure == "messages_per_cpu_second"
                             else "the phase produced no sample")


def tier_ids(tier, ids):
    """The catalogue ids of one tier; channels_redis's are not the channels tier's."""
    prefix = "streaming.%s_" % tier
    return [i for i in ids if i.startswith(prefix) and not i[len(prefix):].startswith("redis_")]


def why_not(tier, plan, asgi_wanted):
    if tier == "channels":
        if plan.get("channelsRefused"):
            return plan["channelsRefused"], None
        missing = channels_missing()
        if missing:
            return missing, None
        asgi, why = pick_asgi(asgi_wanted)
        return why, asgi
    return None, None


def run_tiers(opts, ids, project, running, m, u, d):
    try:
        import resource
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        open_files = None if limit == resource.RLIM_INFINITY else limit
    except (ImportError, ValueError, OSError):
        open_files = None
    plan = plan_load(opts["available"], open_files)
    d["plan"] = {k: v for k, v in plan.items() if k != "scaledDown"}
    if plan["scaledDown"]:
        d["scaledDown"] = plan["scaledDown"]
    if plan.get("refuse"):
        return plan["refuse"]
    driver = load_module("sh_ws_driver", "EDGEPROBE_WS_DRIVER_SRC")
    validity = load_module("sh_ws_validity", "EDGEPROBE_WS_VALIDITY_SRC")
    before = validity.snapshot()
    # The Node agent shares --duration evenly over the tiers it runs, its node tier included: each tier here gets
    # the same time, so that both agents measure a tier over phases of the same length.
    seconds = opts["duration"] / (1 + len(opts["tiers"]))
    deadline = time.monotonic() + opts["seconds"]
    d["tierSeconds"], d["tiers"], results = round(seconds, 2), {}, {}
    for tier in opts["tiers"]:
        why, asgi = why_not(tier, plan, opts["asgi"])
        if why is None and deadline - time.monotonic() < seconds + 5:
            why = "out of time: the sh probe's time ran out before this tier"
        if why is not None:
            d["tiers"][tier] = {"skipped": why}
            for metric in tier_ids(tier, ids):
                u[metric] = why
            continue
        try:
            start_seconds = max(5.0, min(60.0, deadline - time.monotonic() - seconds))
            running.append(channels_server(project, asgi, start_seconds) if tier == "channels" else python_server(start_seconds))
            result = asyncio.run(measure_tier(driver, running[-1], plan, seconds))
            check_answering_server(tier, result)
        except Exception as exc:
            d["tiers"][tier] = {"error": str(exc)}
            for metric in tier_ids(tier, ids):
                u[metric] = "failed: %s" % exc
            continue
        finally:
            while running:
                running[-1].stop()
                running.pop()
        results[tier] = result
        d["tiers"][tier] = dict(result, **({"asgiServer": asgi} if asgi else {}))
        note = driver_note(result)
        if note:
            d.setdefault("driverBound", {})[tier] = note
        put_tier(tier, result, ids, m, u)
    put_cross_tier(results, m, u)
    # After every server has stopped and been reaped, so that their CPU time counts as this probe's own.
    judged = validity.judge(before, validity.snapshot(), opts["cpus"])
    d["validity"], d["suspect"], m["streaming.suspect"] = judged, judged["suspect"], judged["suspect"]
    if judged["suspect"]:
        d["resultSuspect"] = "results are suspect: %s" % "; ".join(judged["reasons"])
    return None


def put_cross_tier(results, m, u):
    """streaming.bytes_per_connection is the Python side's cost of a connection: the channels tier's, else the python tier's."""
    source = next((t for t in ("channels", "python") if t in results and results[t]["idle"]["bytesPerConnection"] is not None), None)
    m["streaming.bytes_per_connection"] = results[source]["idle"]["bytesPerConnection"] if source else None
    if source is None:
        u["streaming.bytes_per_connection"] = "no Python tier measured the cost of an idle connection"
    opened = [r["idle"]["opened"] for r in results.values()]
    m["streaming.idle_connections"] = max(opened) if opened else None
    m["streaming.sustained_target_bytes_per_second"] = STREAM_BITS_PER_SECOND // 8 if results else None
    for metric in ("streaming.idle_connections", "streaming.sustained_target_bytes_per_second"):
        if m[metric] is None:
            u[metric] = "no tier was measured"


def leave(*_):
    """timeout(1) ends this helper with SIGTERM: leave through the finally blocks, which stop the server's group and
    remove the project. timeout sends a second SIGTERM to its process group; ignored, so that it cannot cut that
    clean-up short."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(143)


def main():
    args, opts = sys.argv[1:], {"available": None, "duration": 20.0, "tiers": ["python", "channels"], "asgi": "", "seconds": 120.0,
                         "cpus": float(os.cpu_count() or 1)}
    for key, value in zip(args[::2], args[1::2]):
        name = key[2:]
        try:
            if name == "available":
                opts[name] = int(value) if value.isdigit() else None
            elif name in ("duration", "seconds", "cpus"):
                opts[name] = max(1.0, float(value))
            elif name == "tiers":
                opts[name] = [t for t in value.split(",") if t in ("python", "channels")]
            elif name == "asgi":
                opts[name] = value
        except ValueError:
            pass
    ids = set(os.environ.get("EDGEPROBE_METRICS_streaming", "").split())
    m, u, d = {}, {}, {"python": sys.executable, "driver": "asyncio clients of this interpreter (the sh probe); the Node agent's use ws in Node"}
    project = tempfile.mkdtemp(prefix="edgeprobe-streaming-")
    running = []
    signal.signal(signal.SIGTERM, leave)
    try:
        why = run_tiers(opts, ids, project, running, m, u, d)
    except Exception as exc:
        why = "the streaming helper failed: %s" % exc
    finally:
        while running:
            running[-1].stop()
            running.pop()
        shutil.rmtree(project, ignore_errors=True)
    if why:
        cross = ("streaming.bytes_per_connection", "streaming.idle_connections", "streaming.sustained_target_bytes_per_second")
        for metric in [i for tier in opts["tiers"] for i in tier_ids(tier, ids)] + [i for i in cross if i not in m]:
            u.setdefault(metric, why)
    body = lambda o: json.dumps(o, separators=(",", ":"))[1:-1]
    print(body(m))
    print(body(u))
    print(body(d))


if __name__ == "__main__":
    main()
