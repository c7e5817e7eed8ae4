"""Members of a chat room that read nothing, on the production server (uvicorn).

They are closed with 4013 within WEBSOCKET_SEND_TIMEOUT_SECONDS plus the 2 s
grace (realtime/serving.py), the server's memory stays bounded, and a member
that reads gets every message, in order.
"""

import asyncio
import json
import re
import socket
import struct
import threading
import time

import pytest
from websockets.asyncio.client import connect

from tests.live_server import LiveServer

pytestmark = pytest.mark.live

SEND_TIMEOUT = 1.0
GRACE = 2.0
WINDOW = 20  # messages a sender may have on their way to the room
TCP_CLOSE = 7  # tcpi_state of a reset connection (linux/tcp_states.h)


def memory_kb(pid, field):
    """VmRSS (now) or VmHWM (peak) of a process, in kB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


class RawMember:
    """A websocket client on a plain socket, with a receive buffer of a few kB,
    that reads only when told to."""

    def __init__(self, server, path):
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.socket.connect(("127.0.0.1", server.port))
        self.socket.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                f"Sec-WebSocket-Version: 13\r\nOrigin: {server.origin}\r\n\r\n"
            ).encode()
        )
        response = b""
        while not response.endswith(b"\r\n\r\n"):  # byte by byte: no frame taken
            response += self.socket.recv(1)
        assert response.startswith(b"HTTP/1.1 101"), response
        self.address = f"127.0.0.1:{self.socket.getsockname()[1]}"

    def gone(self):
        """True once the server dropped the connection, without reading from it."""
        info = self.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
        return info[0] == TCP_CLOSE

    def exactly(self, size):
        data = b""
        while len(data) < size:
            chunk = self.socket.recv(size - len(data))
            if not chunk:
                raise ConnectionError("closed before a close frame")
            data += chunk
        return data

    def close_code(self):
        """Read every frame until the close frame; its code."""
        self.socket.settimeout(5)
        while True:
            first, second = self.exactly(2)
            length = second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self.exactly(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self.exactly(8))
            payload = self.exactly(length)
            if first & 0x0F == 0x8:
                return struct.unpack("!H", payload[:2])[0]

    def close(self):
        self.socket.close()


async def reading_member(url, origin, expected, received, joined):
    async with connect(url, origin=origin, max_size=None) as member:
        joined.set()
        while len(received) < expected:
            received.append(json.loads(await asyncio.wait_for(member.recv(), 20)))


async def sender(url, origin, name, count, size, joined):
    """Sends `count` messages tagged "<name> <i>", at most WINDOW of them not yet
    back from the room: senders faster than the server delivers would overflow
    every member's channel, the readers' too."""
    async with connect(url, origin=origin, max_size=None) as member:
        joined.set()
        echoed = asyncio.Semaphore(WINDOW)

        async def drain():
            async for text in member:
                if json.loads(text)["message"].startswith(name + " "):
                    echoed.release()

        draining = asyncio.create_task(drain())
        for index in range(count):
            await asyncio.wait_for(echoed.acquire(), 20)
            tag = f"{name} {index} "
            await member.send(json.dumps({"message": tag + "x" * (size - len(tag))}))
        for _ in range(WINDOW):
            await asyncio.wait_for(echoed.acquire(), 20)
        draining.cancel()


async def room_traffic(server, path, senders, count, size):
    """Every sender sends `count` messages; what one reading member received."""
    url, origin = server.ws_url + path, server.origin
    received = []
    joined = [asyncio.Event() for _ in range(senders + 1)]
    reader = asyncio.create_task(
        reading_member(url, origin, senders * count, received, joined[0])
    )
    await joined[0].wait()
    tasks = [
        asyncio.create_task(sender(url, origin, f"s{n}", count, size, joined[n + 1]))
        for n in range(senders)
    ]
    await asyncio.wait_for(asyncio.gather(reader, *tasks), 120)
    return received


class PeakMemory:
    """The server's RSS, sampled every 20 ms while in use: before, peak, after."""

    def __init__(self, pid):
        self.pid = pid
        self.before = memory_kb(pid, "VmRSS")
        self.peak = self.before
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self):
        while self.running:
            self.peak = max(self.peak, memory_kb(self.pid, "VmRSS"))
            time.sleep(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.running = False
        self.thread.join()


def run_scenario(server, slow=3, senders=2, count=600, size=2000, room="slow"):
    """`slow` members that never read, one that reads once it is told it is too
    slow, and the room's traffic from `senders`."""
    path = f"/ws/chat/{room}/"
    never = [RawMember(server, path) for _ in range(slow)]
    late = RawMember(server, path)
    result = {"addresses": [member.address for member in never]}

    def traffic():
        result["received"] = asyncio.run(
            room_traffic(server, path, senders, count, size)
        )

    with PeakMemory(server.process.pid) as memory:
        started = time.monotonic()
        sending = threading.Thread(target=traffic)
        sending.start()
        deadline = started + 30
        result["late_code"] = None
        while time.monotonic() < deadline:
            if f"a send to {late.address} waited" in server.log():
                result["late_code"] = late.close_code()
                break
            time.sleep(0.05)
        # The others were told at the same time: they are gone within the grace.
        told = time.monotonic()
        while time.monotonic() < told + GRACE + 1 and not all(m.gone() for m in never):
            time.sleep(0.05)
        result["gone_after"] = time.monotonic() - started
        sending.join()
        result["sent_for"] = time.monotonic() - started
    after = memory_kb(server.process.pid, "VmRSS")
    result["gone"] = [member.gone() for member in never]
    result["rss_kb"] = (memory.before, memory.peak, after)
    for member in [*never, late]:
        member.close()
    return result


@pytest.fixture
def production_server(tmp_path):
    server = LiveServer(
        tmp_path / "serve.log",
        env={
            "WEBSOCKET_SEND_TIMEOUT_SECONDS": str(SEND_TIMEOUT),
            "WEBSOCKET_RATE_LIMIT": "0",
        },
        server="serve",
    )
    server.start()
    yield server
    server.stop()


def in_order(received, senders, count):
    by_sender = {f"s{n}": [] for n in range(senders)}
    for message in received:
        name, index, _ = message["message"].split(" ", 2)
        by_sender[name].append(int(index))
    return all(indexes == list(range(count)) for indexes in by_sender.values())


def test_members_that_read_nothing_are_closed_and_a_reader_gets_everything(
    production_server,
):
    # 2,000 messages of 2,000 characters: 4 MB for each member, more than the
    # kernel's buffers hold for a socket that reads nothing (4 MB at most).
    result = run_scenario(production_server, slow=3, senders=2, count=1000)
    log = production_server.log()
    assert len(result["received"]) == 2000
    assert in_order(result["received"], senders=2, count=1000)
    assert result["late_code"] == 4013
    assert all(result["gone"]), log
    for address in result["addresses"]:
        warnings = [
            line
            for line in log.splitlines()
            if address in line and re.search(r"\bWARNING\b.*4013 \(too slow\)", line)
        ]
        assert len(warnings) == 1, log
    before, peak, _after = result["rss_kb"]
    # Four members that read nothing, 4 MB each: the server holds at most
    # 64 KiB of it each, and their channel's 100 messages.
    assert peak - before < 10_000, result["rss_kb"]
    assert "Traceback" not in log
    assert " ERROR " not in log
