"""edgeprobe streaming probe: a WebSocket echo server on asyncio and the standard library only.

RFC 6455 handshake and framing (masking, 7/16/64-bit lengths, fragmentation, ping/pong, close), no
third-party modules: the ceiling a Python ASGI server can approach on this CPU.

Usage: python3 - [--max-payload BYTES] [--lifeline] < ws_echo_server.py
Listens on 127.0.0.1 on a free port and prints "LISTENING <port>" on stdout. With --lifeline it exits
when file descriptor 3 (a pipe held by the agent) reaches end of file, so it never outlives the agent.
A text message "edgeprobe:identify" is answered with a JSON identity and the count of echoes so far.
"""
import asyncio
import base64
import hashlib
import json
import os
import platform
import signal
import stat
import struct
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEADER = 16384
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

state = {"echoed": 0, "connections": 0, "open": 0}
max_payload = 16 * 1024 * 1024


def unmask(mask, data):
    n = len(data)
    if n == 0:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


def frame(opcode, payload):
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return header + payload


class EchoProtocol(asyncio.Protocol):
    def __init__(self):
        self.transport = None
        self.buffer = bytearray()
        self.upgraded = False
        self.fragments = None
        self.fragment_opcode = None
        self.closing = False

    def connection_made(self, transport):
        self.transport = transport
        state["connections"] += 1
        state["open"] += 1

    def connection_lost(self, exc):
        state["open"] -= 1

    # Back-pressure: stop reading while the peer does not read our echoes.
    def pause_writing(self):
        self.transport.pause_reading()

    def resume_writing(self):
        self.transport.resume_reading()

    def data_received(self, data):
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEADER:
                    self.reject(b"431 Request Header Fields Too Large")
                return
            request = bytes(self.buffer[:end]).decode("latin-1")
            del self.buffer[: end + 4]
            if not self.handshake(request):
                return
        self.parse_frames()

    def reject(self, status):
        self.transport.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        self.transport.close()
        self.buffer.clear()

    def handshake(self, request):
        lines = request.split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or parts[0] != "GET":
            self.reject(b"400 Bad Request")
            return False
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        key = headers.get("sec-websocket-key", "")
        upgrade = headers.get("upgrade", "").lower() == "websocket"
        connection = "upgrade" in [t.strip().lower() for t in headers.get("connection", "").split(",")]
        if not (upgrade and connection and key):
            self.reject(b"400 Bad Request")
            return False
        if headers.get("sec-websocket-version") != "13":
            self.transport.write(b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n")
            self.transport.close()
            return False
        accept = base64.b64encode(hashlib.sha1(key.encode("latin-1") + GUID).digest())
        self.transport.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        self.upgraded = True
        return True

    def fail(self, code):
        if not self.closing:
            self.closing = True
            self.transport.write(frame(OP_CLOSE, struct.pack("!H", code)))
        self.transport.close()
        self.buffer.clear()

    def parse_frames(self):
        buf = self.buffer
        while not self.closing:
            if len(buf) < 2:
                return
            b0, b1 = buf[0], buf[1]
            fin, opcode, masked, length = b0 & 0x80, b0 & 0x0F, b1 & 0x80, b1 & 0x7F
            if b0 & 0x70:
                return self.fail(1002)  # no extension was negotiated
            if not masked:
                return self.fail(1002)  # clients must mask (RFC 6455 5.1)
            offset = 2
            if length == 126:
                if len(buf) < 4:
                    return
                length = struct.unpack_from("!H", buf, 2)[0]
                offset = 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length = struct.unpack_from("!Q", buf, 2)[0]
                offset = 10
            if length > max_payload:
                return self.fail(1009)
            if len(buf) < offset + 4 + length:
                return
            mask = bytes(buf[offset: offset + 4])
            payload = unmask(mask, bytes(buf[offset + 4: offset + 4 + length]))
            del buf[: offset + 4 + length]
            if opcode >= 0x8:
                if not fin or length > 125:
                    return self.fail(1002)
                if opcode == OP_PING:
                    self.transport.write(frame(OP_PONG, payload))
                elif opcode == OP_CLOSE:
                    self.closing = True
                    self.transport.write(frame(OP_CLOSE, payload[:2]))
                    self.transport.close()
                    return
                elif opcode != OP_PONG:
                    return self.fail(1002)
                continue
            if opcode == OP_CONT:
                if self.fragments is None:
                    return self.fail(1002)
                self.fragments.append(payload)
                if sum(len(p) for p in self.fragments) > max_payload:
                    return self.fail(1009)
                if fin:
                    whole, kind = b"".join(self.fragments), self.fragment_opcode
                    self.fragments = self.fragment_opcode = None
                    self.message(kind, whole)
            elif opcode in (OP_TEXT, OP_BINARY):
                if self.fragments is not None:
                    return self.fail(1002)
                if fin:
                    self.message(opcode, payload)
                else:
                    self.fragments, self.fragment_opcode = [payload], opcode
            else:
                return self.fail(1002)

    def message(self, opcode, payload):
        if opcode == OP_TEXT:
            try:
                text = payload.decode("utf-8")
            except UnicodeDecodeError:
                return self.fail(1007)
            if text == "edgeprobe:identify":
                identity = {
                    "served_by": "python-asyncio",
                    "python": platform.python_version(),
                    "pid": os.getpid(),
                    "echoed": state["echoed"],
                    "connections": state["connections"],
                }
                self.transport.write(frame(OP_TEXT, json.dumps(identity).encode("utf-8")))
                return
        state["echoed"] += 1
        self.transport.write(frame(opcode, payload))


def raise_fd_limit():
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else max(soft, 65536), hard))
    except (ImportError, ValueError, OSError):
        pass


async def main(lifeline):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def finish(*_args):
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, finish)
        except (NotImplementedError, RuntimeError):
            pass

    def lifeline_readable():
        try:
            data = os.read(3, 4096)
        except OSError:
            data = b""
        if not data:
            finish()

    if lifeline:
        loop.add_reader(3, lifeline_readable)

    server = await loop.create_server(EchoProtocol, host="127.0.0.1", port=0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write("LISTENING %d\n" % port)
    sys.stdout.flush()
    await stop
    server.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--max-payload" in args:
        max_payload = int(args[args.index("--max-payload") + 1])
    lifeline = False
    if "--lifeline" in args:
        try:
            mode = os.fstat(3).st_mode
            lifeline = stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
        except OSError:
            pass
    raise_fd_limit()
    asyncio.run(main(lifeline))
