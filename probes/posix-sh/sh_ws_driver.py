"""edgeprobe POSIX-sh probe: the WebSocket load driver of its streaming tiers.

The phases of the Node agent's driver (probes/lib/streaming/driver.ts), with its clients, windows, warm-ups and
deadlines, in asyncio and the standard library only. It arrives as the source text EDGEPROBE_WS_DRIVER_SRC and
is loaded by sh_ws_client.py.

Why a Protocol and not asyncio streams: a Django Channels consumer spends about 100 microseconds on an echo and
the driver shares the device's CPUs with it. A chunk of echoes is parsed in one loop and answered with one write,
and a frame to send is masked once per phase, so the driver costs a few microseconds per message and the figure
is the server's. Each phase reports the driver's own CPU share so that a driver-bound figure shows as one.
"""
import asyncio
import base64
import json
import os
import struct
import time

OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x2, 0x8, 0x9, 0xA


class PhaseError(Exception):
    pass


def masked_frame(payload, opcode=OP_BINARY):
    """A client frame (RFC 6455 5.3: clients mask). One mask per frame built; a phase reuses its frame, which
    the server unmasks at the same cost as a fresh one, so that the driver's CPU is not spent on masking."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    mask = os.urandom(4)
    key = (mask * (n // 4 + 1))[:n]
    body = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big") if n else b""
    return header + mask + body


class Connection(asyncio.Protocol):
    """One client: the upgrade, then unmasked server frames parsed in bulk and handed to `on_frames`."""

    def __init__(self, port):
        loop = asyncio.get_running_loop()
        self.port, self.transport, self.buffer, self.upgraded = port, None, bytearray(), False
        self.handshake, self.lost = loop.create_future(), loop.create_future()
        self.on_frames = None

    def connection_made(self, transport):
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(("GET /echo/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (self.port, key)).encode())

    def data_received(self, data):
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[:end]).split(b"\r\n", 1)[0]
            del self.buffer[: end + 4]
            if b" 101 " not in status + b" ":
                self.fail(PhaseError("handshake refused: %r" % status[:80]))
                return
            self.upgraded = True
            self.handshake.set_result(None)
        frames = self.parse()
        if frames and self.on_frames is not None:
            self.on_frames(frames)

    def parse(self):
        """Every complete frame in the buffer; pings answered here, so that only data reaches the phases."""
        buf, pos, size, frames = self.buffer, 0, len(self.buffer), []
        while size - pos >= 2:
            opcode, n, head = buf[pos] & 0x0F, buf[pos + 1] & 0x7F, 2
            if n == 126:
                if size - pos < 4:
                    break
                n, head = (buf[pos + 2] << 8) | buf[pos + 3], 4
            elif n == 127:
                if size - pos < 10:
                    break
                n, head = int.from_bytes(buf[pos + 2: pos + 10], "big"), 10
            if size - pos < head + n:
                break
            payload = bytes(buf[pos + head: pos + head + n])
            pos += head + n
            if opcode == OP_PING:
                self.transport.write(masked_frame(payload, OP_PONG))
            elif opcode == OP_CLOSE:
                self.fail(PhaseError("the server closed the connection"))
            elif opcode != OP_PONG:
                frames.append((opcode, payload))
        del buf[:pos]
        return frames

    def fail(self, error):
        for future in (self.handshake, self.lost):
            if not future.done():
                future.set_exception(error)
                future.exception()  # retrieved here: a phase that does not wait on it must not log it
        self.close()

    def connection_lost(self, exc):
        self.fail(PhaseError("the server closed the connection"))

    def close(self):
        if self.transport is not None:
            self.transport.close()


async def connect(port, timeout):
    loop = asyncio.get_running_loop()
    _, conn = await asyncio.wait_for(loop.create_connection(lambda: Connection(port), "127.0.0.1", port), timeout)
    try:
        await asyncio.wait_for(asyncio.shield(conn.handshake), timeout)
    except BaseException:
        conn.close()
        raise
    return conn


async def open_clients(port, count, timeout):
    results = await asyncio.gather(*(connect(port, timeout) for _ in range(count)), return_exceptions=True)
    conns = [r for r in results if isinstance(r, Connection)]
    failed = [r for r in results if not isinstance(r, Connection)]
    if failed:
        for conn in conns:
            conn.close()
        raise failed[0] if isinstance(failed[0], BaseException) else PhaseError("no connection")
    return conns


def percentile(samples, p):
    """Nearest rank, as probes/lib/streaming/stats.ts."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered), max(1, -(-len(ordered) * p // 100))) - 1]


class CpuMeter:
    """CPU seconds per wall second of this driver and of the server process over a phase."""

    def __init__(self, server_pid):
        self.pid, self.wall, self.own, self.server = server_pid, time.monotonic(), time.process_time(), cpu_seconds(server_pid)

    def shares(self):
        wall = max(1e-6, time.monotonic() - self.wall)
        server = cpu_seconds(self.pid)
        return {
            "driverCpuShare": round((time.process_time() - self.own) / wall, 3),
            "serverCpuShare": round((server - self.server) / wall, 3) if server is not None and self.server is not None else None,
        }


def cpu_seconds(pid):
    """CPU seconds of a process, every thread together: the nanoseconds of /proc/<pid>/task/<tid>/schedstat (a
    10 ms tick is too coarse for a phase of a second that gets a fraction of a core), else /proc/<pid>/stat's ticks;
    processCpuSeconds in servers.ts."""
    try:
        return sum(int(open("/proc/%d/task/%s/schedstat" % (pid, tid)).read().split()[0]) for tid in os.listdir("/proc/%d/task" % pid)) / 1e9
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


async def latency_phase(port, clients, size, seconds, timeout):
    """Each client keeps exactly one message in flight; round trips after a short warm-up count."""
    conns = await open_clients(port, clients, timeout)
    frame, start = masked_frame(os.urandom(size)), time.perf_counter()
    warm_end, end = start + min(0.25, seconds * 0.1), start + seconds
    samples, state = [], {"echoes": 0}
    try:
        loops = []
        for conn in conns:
            done, sent = asyncio.get_running_loop().create_future(), [0.0]

            def on_frames(frames, conn=conn, done=done, sent=sent):
                now = time.perf_counter()
                if any(len(p) != size for _, p in frames):
                    done.done() or done.set_exception(PhaseError("an echo of the wrong size"))
                    return
                state["echoes"] += len(frames)
                if sent[0] >= warm_end:
                    samples.append((now - sent[0]) * 1000.0)
                if now >= end:
                    done.done() or done.set_result(None)
                else:
                    sent[0] = time.perf_counter()
                    conn.transport.write(frame)

            conn.on_frames = on_frames
            sent[0] = time.perf_counter()
            conn.transport.write(frame)
            loops.append(asyncio.wait([done, conn.lost], return_when=asyncio.FIRST_COMPLETED))
        await asyncio.wait_for(asyncio.gather(*loops), seconds + max(2.0, seconds))
    except asyncio.TimeoutError:
        raise PhaseError("the server stopped answering during the latency phase")
    finally:
        for conn in conns:
            conn.close()
    rounded = lambda v: None if v is None else round(v, 3)
    return {"clients": clients, "samples": len(samples), "p50Ms": rounded(percentile(samples, 50)), "p95Ms": rounded(percentile(samples, 95)),
            "p99Ms": rounded(percentile(samples, 99)), "echoes": state["echoes"]}


async def throughput_phase(port, clients, size, window, seconds, timeout, server_pid):
    """Each client keeps `window` messages in flight and sends one more per echo; echoes after a warm-up and
    before the deadline count. The echoes still in flight then arrive uncounted, so that their work does not
    spill into the next phase."""
    conns = await open_clients(port, clients, timeout)
    frame = masked_frame(os.urandom(size))
    loop = asyncio.get_running_loop()
    drained, state = loop.create_future(), {"counted": 0, "echoes": 0, "sent": 0, "failure": None}
    meter, start = CpuMeter(server_pid), time.perf_counter()
    warm_end, end = start + min(0.3, seconds * 0.15), start + seconds
    # The server's CPU time over the counted window (serverCpuWindow in driver.ts): other load on the device takes
    # the server's core away, not its CPU time per message, so echoes per CPU second hold wherever it runs.
    cpu_at_warm_end = []
    warm_timer = loop.call_later(warm_end - start, lambda: cpu_at_warm_end.append(cpu_seconds(server_pid)))
    try:
        for conn in conns:
            def on_frames(frames, conn=conn):
                now, n = time.perf_counter(), len(frames)
                if any(len(p) != size for _, p in frames):
                    state["failure"] = "an echo of the wrong size"
                state["echoes"] += n
                if warm_end <= now < end:
                    state["counted"] += n
                if now < end:
                    conn.transport.write(frame * n)
                    state["sent"] += n
                elif state["echoes"] >= state["sent"] and not drained.done():
                    drained.set_result(None)

            conn.on_frames = on_frames
            conn.transport.write(frame * window)
            state["sent"] += window
        await asyncio.sleep(max(0.0, end - time.perf_counter()))
        warm_timer.cancel()
        cpu_at_end, shares = cpu_seconds(server_pid), meter.shares()
        if state["echoes"] < state["sent"]:
            await asyncio.wait([drained] + [c.lost for c in conns], timeout=max(1.0, seconds * 0.5), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for conn in conns:
            conn.close()
    lost = [c.lost for c in conns if c.lost.done()]
    if state["failure"] or lost:
        raise PhaseError(state["failure"] or "the server closed a connection during the throughput phase")
    rate = state["counted"] / max(1e-6, end - warm_end)
    warm_cpu = cpu_at_warm_end[0] if cpu_at_warm_end else None
    used = None if warm_cpu is None or cpu_at_end is None else cpu_at_end - warm_cpu
    result = {"clients": clients, "window": window, "payloadBytes": size, "measuredMs": round((end - warm_end) * 1000),
              "messagesPerSecond": round(rate, 1), "bytesPerSecond": round(rate * size), "echoes": state["echoes"],
              "serverCpuSeconds": None if used is None else round(used, 3),
              "messagesPerCpuSecond": round(state["counted"] / used, 1) if used else None}
    result.update(shares)
    return result


async def idle_phase(port, connections, seconds, timeout, read_rss):
    """Opens up to `connections` clients, 16 at a time within 70 % of the phase, one echo on each so that the
    server holds its full per-connection state, then reads how much the server's RSS grew per connection."""
    before = await median_rss(read_rss)
    start, opened, echoes = time.monotonic(), [], [0]
    try:
        while len(opened) < connections and time.monotonic() < start + seconds * 0.7:
            opened += await open_clients(port, min(16, connections - len(opened)), timeout)
        probe, loop = masked_frame(b"*" * 16), asyncio.get_running_loop()
        waits = []
        for conn in opened:
            got = loop.create_future()

            def on_frames(frames, got=got):
                echoes[0] += len(frames)
                got.done() or got.set_result(None)

            conn.on_frames = on_frames
            conn.transport.write(probe)
            waits.append(asyncio.wait([got, conn.lost], return_when=asyncio.FIRST_COMPLETED))
        await asyncio.wait([asyncio.ensure_future(w) for w in waits], timeout=max(1.0, seconds * 0.3))
        await asyncio.sleep(min(0.25, max(0.05, seconds * 0.1)))
        after = await median_rss(read_rss)
    finally:
        for conn in opened:
            conn.close()
    per = max(0, round((after - before) / len(opened))) if before is not None and after is not None and opened else None
    return {"requested": connections, "opened": len(opened), "rssBeforeBytes": before, "rssAfterBytes": after, "bytesPerConnection": per,
            "echoes": echoes[0]}


async def median_rss(read_rss):
    samples = []
    for i in range(3):
        value = read_rss()
        if value is not None:
            samples.append(value)
        if i < 2:
            await asyncio.sleep(0.04)
    return percentile(samples, 50)


async def identify(port, timeout):
    """Every tier's server answers "edgeprobe:identify" with a JSON tag and the number of frames it echoed."""
    conn = await connect(port, timeout)
    answer = asyncio.get_running_loop().create_future()
    conn.on_frames = lambda frames: answer.done() or answer.set_result(frames[0][1])
    try:
        conn.transport.write(masked_frame(b"edgeprobe:identify", OP_TEXT))
        return json.loads((await asyncio.wait_for(answer, timeout)).decode("utf-8"))
    finally:
        conn.close()


async def sustained_phase(port, bits_per_second, frame_bytes, seconds, timeout):
    """One client sends `frame_bytes` frames on a fixed schedule that makes `bits_per_second`; each echo is
    matched to its frame by the index in its first four bytes. A frame echoed more than one interval after it
    was due, or never, is late; jitter is RFC 3550's with the scheduled times as send timestamps."""
    conn = await connect(port, timeout)
    frame_bytes = max(8, frame_bytes)
    interval = frame_bytes * 8.0 / bits_per_second
    count = max(1, int(seconds // interval))
    template, loop = os.urandom(frame_bytes), asyncio.get_running_loop()
    scheduled, received, all_echoed, bad = [], {}, loop.create_future(), []

    def on_frames(frames):
        now = time.perf_counter()
        for _, payload in frames:
            index = int.from_bytes(payload[:4], "big") if len(payload) == frame_bytes else -1
            if not 0 <= index < len(scheduled):
                bad.append(index)
            elif index not in received:
                received[index] = now
        if len(received) == count and not all_echoed.done():
            all_echoed.set_result(None)

    conn.on_frames = on_frames
    start = time.perf_counter()
    try:
        for i in range(count):
            due = start + i * interval
            if due - time.perf_counter() > 0.001:
                await asyncio.sleep(due - time.perf_counter())
            if conn.lost.done():
                break
            scheduled.append(due)
            conn.transport.write(masked_frame(i.to_bytes(4, "big") + template[4:]))
        grace = max(0.5, 2 * interval)
        await asyncio.wait([all_echoed, conn.lost], timeout=max(0.0, start + count * interval + grace - time.perf_counter()),
                           return_when=asyncio.FIRST_COMPLETED)
    finally:
        conn.close()
    if bad or (conn.lost.done() and len(received) < count):
        raise PhaseError("an echo did not match any frame sent" if bad else "the server closed the connection during the sustained stream")
    return summarise_sustained(scheduled, received, start, count * interval, interval, frame_bytes)


def summarise_sustained(scheduled, received, start, duration, interval, frame_bytes):
    """probes/lib/streaming/stats.ts summariseSustained, over seconds instead of milliseconds."""
    late = lost = 0
    delays, jitter, pairs, previous, last = [], 0.0, 0, None, start
    for index, due in enumerate(scheduled):
        if index not in received:
            late, lost = late + 1, lost + 1
            continue
        arrived = received[index]
        delays.append((arrived - due) * 1000.0)
        late += 1 if arrived - due > interval else 0
        last = max(last, arrived)
        if previous is not None:
            jitter += (abs((arrived - previous[1]) - (due - previous[0])) * 1000.0 - jitter) / 16
            pairs += 1
        previous = (due, arrived)
    elapsed = max(duration, last - start)
    echoed_bytes = (len(scheduled) - lost) * frame_bytes
    return {"framesScheduled": len(scheduled), "framesEchoed": len(scheduled) - lost, "lateFrames": late, "lostFrames": lost,
            "achievedBytesPerSecond": round(echoed_bytes / elapsed) if elapsed > 0 else 0,
            "targetBytesPerSecond": round(frame_bytes / interval), "jitterMs": round(jitter, 3) if pairs else None,
            "delayP50Ms": None if not delays else round(percentile(delays, 50), 3),
            "delayP99Ms": None if not delays else round(percentile(delays, 99), 3), "intervalMs": round(interval * 1000, 3)}
