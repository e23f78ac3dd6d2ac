"""edgeprobe POSIX-sh probe: the django probe where the device has no Node.

The Node agent's django probe (probes/django.ts, probes/lib/django/) in Python: the same project (its files
arrive as JSON in EDGEPROBE_DJANGO_PROJECT) and serve.py, servers, plan, ladder rules and figures, driven by
threads of this interpreter; the metric ids from EDGEPROBE_METRICS_django; the benchmark from
EDGEPROBE_CPYTHON_BENCH_SRC. Servers die with this process (lifeline pipe, process group); the project is
removed on the way out, SIGTERM included; every phase is bounded in time. LifelineServer comes from
sh_server_group.py, which the assembler puts before this text.

Usage: python3 -c "$SRC" --available BYTES --cpus N --duration S --target MS --seconds S [--asgi NAME]
Prints three lines, the bodies of three JSON objects: metrics, unmeasured reasons, details.
"""
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

MiB = 1024 * 1024
LADDER = (1, 2, 4, 8, 16, 32, 64)
MODEST, GROWTH, RUNS = 4, 200, 4
ASSUMED_WORKER, LOW_MEMORY, SHARE = 96 * MiB, 512 * MiB, 0.5
PATHS = ("/page/", "/orm/", "/json/")


def percentile(samples, p):
    if not samples:
        return None
    ordered = sorted(samples)
    return round(ordered[min(len(ordered), max(1, -(-len(ordered) * p // 100))) - 1], 2)


def plan_workers(available, cpus, worker_bytes, source):
    notes, avail = [], available if available is not None else 256 * MiB
    if available is None:
        notes.append("effective available memory unknown: planned for 256 MiB")
    wanted, fit = max(1, int(round(cpus))), int(avail * SHARE // worker_bytes)
    plan = {"workers": min(wanted, fit), "maxConcurrency": 64, "refuse": None, "scaledDown": notes}
    if fit < 1:
        plan.update(workers=0, refuse="only %d MiB of memory available: one worker (%d MiB, %s) needs more than half of it" % (avail // MiB, worker_bytes // MiB, source))
    elif fit < wanted:
        notes.append("%d workers instead of %d: half of %d MiB holds %d of %d MiB (%s)" % (plan["workers"], wanted, avail // MiB, fit, worker_bytes // MiB, source))
    if avail < LOW_MEMORY and fit >= 1:
        plan["maxConcurrency"] = 16
        notes.append("at most 16 concurrent clients: %d MiB available (< %d MiB)" % (avail // MiB, LOW_MEMORY // MiB))
    return plan


def memory_of(pid):
    for name in ("smaps_rollup", "smaps"):
        try:
            with open("/proc/%d/%s" % (pid, name)) as f:
                fields = [line.split() for line in f if line.startswith(("Rss:", "Pss:"))]
            if fields:
                total = lambda key: sum(int(x[1]) for x in fields if x[0] == key) * 1024
                return {"pid": pid, "rssBytes": total("Rss:"), "pssBytes": total("Pss:")}
        except (OSError, ValueError, IndexError):
            pass
    return None


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def step(port, concurrency, seconds, max_requests=None):
    """Closed-loop keep-alive clients, one thread each; failures counted by kind, never raised."""
    lock, lat, kinds, workers = threading.Lock(), [], {}, {}
    state = {"issued": 0, "errors": 0, "abandoned": False}
    end = time.monotonic() + seconds

    def more():
        with lock:
            if state["abandoned"] or time.monotonic() >= end or (max_requests is not None and state["issued"] >= max_requests):
                return False
            state["issued"] += 1
            return True

    def client(index):
        conn, turn = None, index
        while more():
            path, turn = PATHS[turn % len(PATHS)], turn + 1
            t0 = time.monotonic()
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", path, headers={"Host": "127.0.0.1"})
                res = conn.getresponse()
                res.read()  # a connection the server closes (gunicorn's sync workers) reopens on the next request
                kind = None if res.status == 200 else "HTTP %d" % res.status
                worker = res.getheader("X-Edgeprobe-Worker")
            except Exception as exc:
                kind, worker = type(exc).__name__, None
                conn = conn and conn.close()
            with lock:
                if kind is None:
                    lat.append((time.monotonic() - t0) * 1000)
                    if worker:
                        workers[worker] = workers.get(worker, 0) + 1
                    continue
                kinds[kind] = kinds.get(kind, 0) + 1
                state["errors"] += 1
                if state["errors"] >= 20 and state["errors"] > len(lat):
                    state["abandoned"] = True
            time.sleep(0.01)
        if conn:
            conn.close()

    started, threads = time.monotonic(), [threading.Thread(target=client, args=(i,), daemon=True) for i in range(concurrency)]
    [t.start() for t in threads]
    [t.join(seconds + 15) for t in threads]
    elapsed = time.monotonic() - started
    return {"concurrency": concurrency, "elapsedMs": round(elapsed * 1000), "ok": len(lat), "errors": state["errors"], "errorKinds": kinds,
            "requestsPerSecond": round(len(lat) / elapsed, 1) if elapsed > 0 else 0, "p50Ms": percentile(lat, 50), "p95Ms": percentile(lat, 95),
            "p99Ms": percentile(lat, 99), "maxMs": round(max(lat), 2) if lat else None, "workers": workers, "abandoned": state["abandoned"]}


class Crashed(Exception):
    """A server exited, lost a worker or did not start: an error for its kind, never a low figure."""


class Server(LifelineServer):
    """serve.py, dying when this process does (LifelineServer: sh_server_group.py)."""

    def __init__(self, project, env, name, workers, start_seconds):
        self.name, self.workers, self.port, self.pids, self.exit = name, workers, None, [], None
        spawned = time.monotonic()
        self.spawn([sys.executable, "-B", "serve.py", name, str(workers), "--lifeline"], project, env, subprocess.DEVNULL, subprocess.DEVNULL)
        threading.Thread(target=self.read_lines, daemon=True).start()
        deadline = spawned + start_seconds
        label = "%s (%d worker%s)" % (name, workers, "" if workers == 1 else "s")
        while self.port is None:
            self.check_start(label, deadline, "did not listen")
            time.sleep(0.01)
        self.cold_start_ms = None
        while self.cold_start_ms is None:
            self.check_start(label, deadline, "answered no request with 200")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=max(0.1, deadline - time.monotonic()))
                conn.request("GET", "/json/", headers={"Host": "127.0.0.1", "Connection": "close"})
                status = conn.getresponse().status
                conn.close()
                if status != 200:
                    raise Crashed("%s answered its first request with HTTP %d" % (label, status))
                self.cold_start_ms = round((time.monotonic() - spawned) * 1000)
            except (OSError, http.client.HTTPException):
                time.sleep(0.02)
        while len(self.pids) < workers:
            self.check_start(label, deadline, "started %d of %d workers" % (len(self.pids), workers))
            time.sleep(0.02)

    def read_lines(self):
        for words in (raw.decode(errors="replace").split() for raw in self.proc.stdout):
            if words[:1] == ["LISTENING"]:
                self.port = int(words[1])
            elif words[:1] == ["WORKER"]:
                self.pids.append(int(words[1]))

    def check_start(self, label, deadline, late):
        if self.proc.poll() is not None:
            raise Crashed("%s exited before it served (code %s)" % (label, self.proc.returncode))
        if time.monotonic() > deadline:
            self.stop()
            raise Crashed("%s %s in time" % (label, late))

    def check_alive(self, phase):
        code = self.proc.poll()
        if code is not None:
            raise Crashed("%s exited during the %s (%s)" % (self.name, phase, "SIG%s" % signal.Signals(-code).name[3:] if code < 0 else "code %d" % code))
        for pid in self.pids:
            if not alive(pid):
                raise Crashed("%s worker %d died during the %s" % (self.name, pid, phase))


def run_server(ctx, name, workers, plan, growth, seconds):
    deadline = time.monotonic() + seconds
    server = Server(ctx["project"], ctx["env"], name, workers, max(1, min(60, seconds - ctx["step"] * 2)))
    try:
        warmup = step(server.port, 2 * workers, ctx["step"] * 2, 60 * workers)
        server.check_alive("warm-up")
        memory = [m for m in map(memory_of, server.pids) if m]
        master = None if server.proc.pid in server.pids else memory_of(server.proc.pid)
        ladder, end = [], "reached the top of the ladder"
        for c in [c for c in LADDER if c <= plan["maxConcurrency"]]:
            if time.monotonic() + ctx["step"] > deadline:
                end = "out of time before %d clients" % c
                break
            s = step(server.port, c, ctx["step"])
            ladder.append(s)
            server.check_alive("load step at %d clients" % c)
            if s["abandoned"] or s["ok"] == 0 or (c >= MODEST and (s["errors"] > 0 or s["p95Ms"] is None or s["p95Ms"] > ctx["target"])):
                end = "stopped after %d clients" % c
                break
        grown = None
        if growth:
            pid = (server.pids or [server.proc.pid])[0]
            before = memory_of(pid)
            g = step(server.port, 1, max(0, min(deadline - time.monotonic() - 0.5, max(ctx["step"] * 8, 15))), GROWTH)
            server.check_alive("memory-growth phase")
            after = memory_of(pid)
            grown = {"requests": g["ok"], "errors": g["errors"], "before": before, "after": after, "growthBytes": None}
            if g["ok"] < GROWTH:
                grown["reason"] = "only %d of %d requests answered in the time allowed" % (g["ok"], GROWTH)
            elif before and after:
                grown["growthBytes"] = after["pssBytes"] - before["pssBytes"]
        answering = set(w for s in ladder for w in s["workers"])
        errors = sum(s["errors"] for s in [warmup] + ladder) + (grown["errors"] if grown else 0)
        return {"server": name, "workers": workers, "pid": server.proc.pid, "coldStartMs": server.cold_start_ms, "workerMemory": memory,
                "masterMemory": master, "warmup": warmup, "ladder": ladder, "ladderEnd": end, "growth": grown,
                "workersAnswering": len(answering), "errors": errors}
    finally:
        server.stop()


def at_target(ladder, target):
    return max([s for s in ladder if s["errors"] == 0 and not s["abandoned"] and s["p95Ms"] is not None and s["p95Ms"] <= target], key=lambda s: s["concurrency"], default=None)


def missed(ladder, target):
    first = ladder[0] if ladder else None
    if not first:
        return "no load step ran"
    if first["ok"] == 0 or first["errors"] > 0:
        return "requests failed at %d client (%s)" % (first["concurrency"], ", ".join("%d × %s" % (n, k) for k, n in first["errorKinds"].items()))
    return "even one client waited longer than the %d ms target: p95 %s ms" % (target, first["p95Ms"])


def peak(ladder):
    return max([s["requestsPerSecond"] for s in ladder if s["errors"] == 0 and not s["abandoned"] and s["ok"] > 0], default=None)


def record(kind, outcome, target, available, ids, m, u):
    """The figures of one server kind, as probes/lib/django/figures.ts records them."""
    put = lambda figure, value, why: (m.__setitem__("django.%s_%s" % (kind, figure), value), value is None and u.__setitem__("django.%s_%s" % (kind, figure), why))
    one, many, kind_ids = outcome.get("one"), outcome.get("many"), [i for i in ids if i.startswith("django.%s_" % kind)]
    if outcome.get("skipped") or not one:
        why = outcome.get("skipped") or "failed: %s" % outcome.get("oneError")
        for i in kind_ids:
            m[i], u[i] = None, why
        if outcome.get("server"):
            put("server", outcome["server"], why)
        return
    put("server", one["server"], "")
    s = at_target(one["ladder"], target)
    put("requests_per_second", s and s["requestsPerSecond"], missed(one["ladder"], target))
    put("cold_start_ms", one["coldStartMs"], "not measured")
    w = (one["workerMemory"] or [None])[0]
    put("worker_rss_bytes", w and w["rssBytes"], "the worker's smaps_rollup could not be read")
    put("worker_pss_bytes", w and w["pssBytes"], "the worker's smaps_rollup could not be read")
    put("worker_growth_bytes", one["growth"] and one["growth"]["growthBytes"], (one["growth"] or {}).get("reason", "the growth phase did not run"))
    put("workers_fit", available // w["pssBytes"] if w and available and w["pssBytes"] > 0 else None, "effective available memory unknown")
    multi = many or (one if outcome.get("manySkipped") else None)
    if multi is None:
        for f in ("workers", "workers_requests_per_second", "scaling_ratio", "concurrency", "p50_ms", "p95_ms", "p99_ms", "modest_load_p95_ms", "master_pss_bytes"):
            put(f, None, "the multi-worker run failed: %s" % outcome.get("manyError"))
    else:
        s, why = at_target(multi["ladder"], target), missed(multi["ladder"], target)
        put("workers", multi["workers"], "")
        put("workers_requests_per_second", s and s["requestsPerSecond"], why)
        for f, key in (("concurrency", "concurrency"), ("p50_ms", "p50Ms"), ("p95_ms", "p95Ms"), ("p99_ms", "p99Ms")):
            put(f, s and s[key], why)
        modest = [x for x in multi["ladder"] if x["concurrency"] == MODEST]
        put("modest_load_p95_ms", modest[0]["p95Ms"] if modest and modest[0]["errors"] == 0 else None, "no error-free step at %d clients" % MODEST)
        p1, pn = peak(one["ladder"]), peak(many["ladder"]) if many else None
        put("scaling_ratio", round(pn / p1, 2) if p1 and pn else None, outcome.get("manySkipped") or "a run had no error-free load step")
        master = multi["masterMemory"]
        daphne = one["server"] == "daphne"
        put("master_pss_bytes", None if daphne or not master else master["pssBytes"],
            "daphne has no master process: N daphne processes share one socket under a process manager" if daphne else "one worker runs without a supervising process")
    put("errors", one["errors"] + (many["errors"] if many else 0), "")


def install_hint(package):
    return "sudo apt install %s" % package[1] if sys.executable.startswith("/usr/bin/") and os.path.exists("/etc/debian_version") else "%s -m pip install %s" % (sys.executable, package[0])


def measure_kind(ctx, kind, name, details):
    outcome = {"kind": kind, "server": name, "one": None, "oneError": None, "many": None, "manyError": None, "manySkipped": None}
    first = plan_workers(ctx["available"], 1, ASSUMED_WORKER, "assumed before measuring")
    if first["refuse"]:
        outcome["skipped"] = first["refuse"]
        return outcome
    for many in (False, True):
        seconds = (ctx["deadline"] - time.monotonic()) / max(1, ctx["runs"])
        ctx["runs"] -= 1
        if many:
            rss = (outcome["one"]["workerMemory"] or [{}])[0].get("rssBytes")
            plan = plan_workers(ctx["available"], ctx["cpus"], int(rss * 1.2) if rss else ASSUMED_WORKER, "the measured worker RSS plus 20 %" if rss else "assumed")
            details[kind + "Plan"] = plan
            if plan["workers"] <= 1:
                outcome["manySkipped"] = "one effective CPU: the one-worker run is the multi-worker run" if max(1, round(ctx["cpus"])) == 1 else "memory for one worker only"
                return outcome
        try:
            outcome["many" if many else "one"] = run_server(ctx, name, plan["workers"] if many else 1, plan if many else first, not many, seconds)
        except Crashed as exc:
            outcome["manyError" if many else "oneError"] = str(exc)
            if not many:
                return outcome
    return outcome


def python_run(args, cwd, env, timeout, src=None):
    result = subprocess.run([sys.executable, "-B"] + args, cwd=cwd, env=env, input=src, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    lines = result.stdout.decode(errors="replace").strip().splitlines()
    if result.returncode != 0 or not lines:
        raise RuntimeError("exit %d: %s" % (result.returncode, result.stderr.decode(errors="replace").strip()[-300:]))
    return lines[-1]


def measure(opts, project, m, u, d):
    ids = os.environ.get("EDGEPROBE_METRICS_django", "").split()
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1", DJANGO_SETTINGS_MODULE="edgeprobe_site.settings", EDGEPROBE_DB=os.path.join(project, "db.sqlite3"))
    for key in ("EDGEPROBE_DJANGO_PROJECT", "EDGEPROBE_CPYTHON_BENCH_SRC", "EDGEPROBE_METRICS_django", "PYTHONPATH", "PYTHONHOME"):
        env.pop(key, None)
    try:
        bench = json.loads(python_run(["-", "1.0"], project, env, 30, os.environ.get("EDGEPROBE_CPYTHON_BENCH_SRC", "").encode()))
        m["django.cpython_score"] = bench["operations_per_second"]
        d["cpythonBenchmark"] = bench
    except Exception as exc:
        u["django.cpython_score"] = "the benchmark failed under %s: %s" % (sys.executable, exc)
    for name, text in json.loads(os.environ.get("EDGEPROBE_DJANGO_PROJECT", "{}")).items():
        path = os.path.join(project, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    modules = json.loads(python_run(["serve.py", "inspect"], project, env, 30))["modules"]
    d["modules"] = modules
    if not modules.get("django"):
        return "Django is not installed for %s (%s)" % (sys.executable, install_hint(("Django gunicorn uvicorn", "python3-django gunicorn python3-uvicorn")))
    python_run(["serve.py", "migrate"], project, env, 120)
    m["django.latency_target_ms"] = opts["target"]
    ctx = {"project": project, "env": env, "target": opts["target"], "available": opts["available"], "cpus": opts["cpus"],
           "step": max(0.3, opts["duration"] / RUNS / len(LADDER)), "deadline": time.monotonic() + opts["seconds"] - 15, "runs": RUNS}
    order = ["uvicorn", "daphne"] if opts["asgi"] == "uvicorn" else ["daphne", "uvicorn"]
    asgi = [s for s in order if modules.get(s)]
    picks = {"wsgi": ("gunicorn", None) if modules.get("gunicorn") else (None, "no WSGI server: gunicorn is not installed for %s (%s)" % (sys.executable, install_hint(("gunicorn", "gunicorn")))),
             "asgi": (asgi[0], None) if asgi else (None, "no ASGI server: neither daphne nor uvicorn is installed for %s (%s)" % (sys.executable, install_hint(("uvicorn", "python3-uvicorn"))))}
    for index, kind in enumerate(("wsgi", "asgi")):
        ctx["runs"] = 2 * (2 - index)
        name, why = picks[kind]
        outcome = measure_kind(ctx, kind, name, d) if name else {"kind": kind, "server": None, "skipped": why}
        record(kind, outcome, opts["target"], opts["available"], ids, m, u)
        d[kind] = outcome
    return None


def main():
    args, opts = sys.argv[1:], {"available": None, "cpus": float(os.cpu_count() or 1), "duration": 24.0, "target": 100.0, "seconds": 150.0, "asgi": ""}
    for key, value in zip(args[::2], args[1::2]):
        if key[2:] in opts:
            try:
                opts[key[2:]] = type(opts[key[2:]] or "")(value) if key != "--available" else int(value)
            except ValueError:
                pass
    m, u, d = {}, {}, {"python": sys.executable, "driver": "threads of this interpreter (http.client keep-alive)"}
    project = tempfile.mkdtemp(prefix="edgeprobe-django-")
    # timeout(1) ends this helper with SIGTERM: leave through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        why = measure(opts, project, m, u, d)
    except Exception as exc:
        why = "the django helper failed: %s" % exc
    finally:
        shutil.rmtree(project, ignore_errors=True)
    for metric in os.environ.get("EDGEPROBE_METRICS_django", "").split():
        if why and metric not in m:
            u[metric] = why
    body = lambda o: json.dumps(o, separators=(",", ":"))[1:-1]
    print(body(m))
    print(body(u))
    print(body(d))


if __name__ == "__main__":
    main()
