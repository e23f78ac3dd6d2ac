"""edgeprobe POSIX-sh probe: the Python streaming tier where the device has no Node.

Starts the stdlib-asyncio WebSocket echo server (probes/assets/streaming/ws_echo_server.py, whose source
arrives in the EDGEPROBE_WS_SERVER_SRC environment variable) on 127.0.0.1 and drives it with asyncio
clients of its own, in the phases and with the load plan of the Node agent's streaming probe
(probes/lib/streaming/plan.ts): latency (one message in flight per client), idle connections (server RSS growth),
pipelined small and large echoes. Nothing but the standard library; nothing written to disk; the server
dies with this process (lifeline pipe) and every phase is bounded in time.

Usage: python3 -c "$SRC" --available BYTES|unknown --duration SECONDS
Prints three lines, the bodies of three JSON objects: metrics, unmeasured reasons, details.
"""
import asyncio
import base64
import json
import os
import struct
import subprocess
import sys
import time

MiB = 1024 * 1024
MEMORY_FLOOR_BYTES = 64 * MiB
LOW_MEMORY_BYTES = 128 * MiB
CONNECTION_COST_BYTES = 160 * 1024
MAX_IDLE, MIN_IDLE = 256, 8
SHARES = {"latency": 0.15, "idle": 0.15, "small": 0.15, "large": 0.15}
PREFIX = "streaming.python_"


def plan_load(available, open_files):
    plan = {"latencyClients": 4, "throughputClients": 4, "small": 64, "large": 16 * 1024, "smallWindow": 32,
            "largeWindow": 8, "idle": MAX_IDLE, "scaledDown": []}
    avail = available if available is not None else 256 * MiB
    if available is None:
        plan["scaledDown"].append("effective available memory unknown: planned for 256 MiB")
    if avail < MEMORY_FLOOR_BYTES:
        plan["refuse"] = "only %d MiB of memory available; the streaming load test needs at least %d MiB" % (avail // MiB, MEMORY_FLOOR_BYTES // MiB)
        return plan
    if avail < LOW_MEMORY_BYTES:
        plan.update(latencyClients=2, throughputClients=2, large=4 * 1024, largeWindow=4, smallWindow=16)
        plan["scaledDown"].append("%d MiB available (< %d MiB): 2 clients, 4 KiB large payloads" % (avail // MiB, LOW_MEMORY_BYTES // MiB))
    conns = max(MIN_IDLE, min(MAX_IDLE, int(avail * 0.1 // CONNECTION_COST_BYTES)))
    if conns < MAX_IDLE:
        plan["scaledDown"].append("%d idle connections (a tenth of %d MiB at %d KiB each)" % (conns, avail // MiB, CONNECTION_COST_BYTES // 1024))
    if open_files is not None and conns > open_files - 64:
        conns = max(MIN_IDLE, open_files - 64)
        plan["scaledDown"].append("%d idle connections (open-file limit %d)" % (conns, open_files))
    plan["idle"] = conns
    return plan


class Client:
    """One WebSocket client connection (RFC 6455): masked frames out, unmasked frames in."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port, timeout):
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(("GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (port, key)).encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            writer.close()
            raise ConnectionError("handshake refused: %r" % head[:80])
        return cls(reader, writer)

    def send(self, payload, opcode=0x2):
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        mask = os.urandom(4)
        key = (mask * (n // 4 + 1))[:n]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big") if n else b""
        self.writer.write(header + mask + masked)

    async def receive(self):
        first = await self.reader.readexactly(2)
        n = first[1] & 0x7F
        if n == 126:
            n = struct.unpack("!H", await self.reader.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
        return first[0] & 0x0F, await self.reader.readexactly(n)

    def close(self):
        try:
            self.writer.close()
        except Exception:
            pass


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def rss_bytes(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


async def latency_phase(port, clients, payload, seconds):
    rtts = []
    deadline = time.monotonic() + seconds

    async def one():
        c = await Client.connect(port, 5)
        try:
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                c.send(payload)
                await c.receive()
                rtts.append((time.perf_counter() - t0) * 1000.0)
        finally:
            c.close()

    await asyncio.wait_for(asyncio.gather(*(one() for _ in range(clients))), seconds + 10)
    return sorted(rtts)


async def throughput_phase(port, clients, payload, window, seconds):
    counts = [0]
    deadline = time.monotonic() + seconds
    started = time.monotonic()

    async def one():
        c = await Client.connect(port, 5)
        in_flight = 0
        try:
            for _ in range(window):
                c.send(payload)
                in_flight += 1
            await c.writer.drain()
            while in_flight > 0:
                await c.receive()
                in_flight -= 1
                if time.monotonic() < deadline:
                    counts[0] += 1
                    c.send(payload)
                    in_flight += 1
                    if in_flight >= window:
                        await c.writer.drain()
        finally:
            c.close()

    await asyncio.wait_for(asyncio.gather(*(one() for _ in range(clients))), seconds + 15)
    return counts[0] / max(0.001, min(time.monotonic(), deadline) - started)


async def idle_phase(port, connections, seconds, pid):
    before = rss_bytes(pid)
    opened = []
    deadline = time.monotonic() + seconds
    try:
        for _ in range(connections):
            if time.monotonic() > deadline:
                break
            opened.append(await Client.connect(port, 5))
        await asyncio.sleep(max(0.2, min(1.0, deadline - time.monotonic())))
        after = rss_bytes(pid)
    finally:
        for c in opened:
            c.close()
    if before is None or after is None or not opened:
        return len(opened), None
    return len(opened), max(0, (after - before) // len(opened))


async def run(server_src, available, seconds):
    m, u, d = {}, {}, {"clients": "python asyncio (the sh probe); the Node agent's figures use Node clients"}
    try:
        import resource
        open_files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        open_files = None if open_files == resource.RLIM_INFINITY else open_files
    except Exception:
        open_files = None
    plan = plan_load(available, open_files)
    d["plan"] = {k: v for k, v in plan.items() if k != "scaledDown"}
    if plan["scaledDown"]:
        d["scaledDown"] = plan["scaledDown"]
    if plan.get("refuse"):
        return m, {"*": plan["refuse"]}, d
    lifeline_r, lifeline_w = os.pipe()
    # The server watches file descriptor 3: when this process ends, however it ends, the pipe closes and so does the server.
    server = subprocess.Popen([sys.executable, "-", "--lifeline"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, pass_fds=(3,), close_fds=True,
                              preexec_fn=lambda: os.dup2(lifeline_r, 3))
    try:
        server.stdin.write(server_src.encode())
        server.stdin.close()
        line = server.stdout.readline().decode().strip()
        if not line.startswith("LISTENING "):
            return m, {"*": "the Python echo server did not start"}, d
        port = int(line.split()[1])
        d["serverPid"] = server.pid
        small, large = os.urandom(plan["small"]), os.urandom(plan["large"])
        rtts = await latency_phase(port, plan["latencyClients"], small, seconds * SHARES["latency"])
        for p in (50, 95, 99):
            value = percentile(rtts, p)
            m[PREFIX + "p%d_ms" % p] = round(value, 3) if value is not None else None
        d["latencySamples"] = len(rtts)
        opened, per_conn = await idle_phase(port, plan["idle"], seconds * SHARES["idle"], server.pid)
        m[PREFIX + "bytes_per_connection"] = per_conn
        m["streaming.bytes_per_connection"] = per_conn
        m["streaming.idle_connections"] = opened
        if per_conn is None:
            u[PREFIX + "bytes_per_connection"] = u["streaming.bytes_per_connection"] = "server RSS not readable from /proc"
        rate = await throughput_phase(port, plan["throughputClients"], small, plan["smallWindow"], seconds * SHARES["small"])
        m[PREFIX + "messages_per_second"] = round(rate, 1)
        rate = await throughput_phase(port, plan["throughputClients"], large, plan["largeWindow"], seconds * SHARES["large"])
        m[PREFIX + "bytes_per_second"] = round(rate * plan["large"])
    finally:
        os.close(lifeline_w)
        os.close(lifeline_r)
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return m, u, d


def main():
    args = sys.argv[1:]
    available = None
    seconds = 20.0
    if "--available" in args:
        value = args[args.index("--available") + 1]
        available = int(value) if value.isdigit() else None
    if "--duration" in args:
        seconds = max(1.0, float(args[args.index("--duration") + 1]))
    server_src = os.environ.get("EDGEPROBE_WS_SERVER_SRC", "")
    try:
        if not server_src:
            m, u, d = {}, {"*": "the Python echo server is not part of this build"}, {}
        else:
            # The node agent gives the python tier a share of the streaming time; here it is the only tier.
            m, u, d = asyncio.run(run(server_src, available, seconds * 0.6))
    except Exception as exc:
        m, u, d = {}, {"*": "the Python streaming tier failed: %s" % exc}, {}
    body = lambda o: json.dumps(o, separators=(",", ":"))[1:-1]
    print(body(m))
    print(body(u))
    print(body(d))


if __name__ == "__main__":
    main()
