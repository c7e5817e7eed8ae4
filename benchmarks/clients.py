"""Load clients (the `websockets` library) for one scenario; run in their own process.

    python clients.py echo --base ws://127.0.0.1:8000 --origin http://127.0.0.1:8000

prints one JSON object with the scenario's figures. Every loop is bounded in
both time (--seconds) and count. With --cookie every socket sends that Cookie
header (a logged-in session); with --user every chat message received must
name that user (the server resolved the session), or it counts as a bad answer.
"""

import argparse
import asyncio
import contextlib
import json
import time
import uuid
from pathlib import Path

from websockets.asyncio.client import connect

MAX_ROUND_TRIPS = 500_000
MAX_BROADCASTS = 20_000
MAX_CONNECTS = 20_000
DRAIN_SECONDS = 5


def open_socket(args, path):
    return connect(
        args.base + path,
        origin=args.origin,
        additional_headers={"Cookie": args.cookie} if args.cookie else None,
        compression=None,
        ping_interval=None,
        open_timeout=30,
        close_timeout=5,
        max_queue=None,
    )


def percentile(sorted_values, fraction):
    if not sorted_values:
        return 0.0
    return sorted_values[
        min(len(sorted_values) - 1, int(len(sorted_values) * fraction))
    ]


def rate_and_latency(latencies, elapsed):
    latencies.sort()
    return {
        "per_second": len(latencies) / elapsed if elapsed else 0.0,
        "count": len(latencies),
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


async def round_trips(sockets, payload, seconds, check):
    """Each socket sends `payload` and awaits the answer, in a loop; checks answers."""
    latencies = []
    deadline = time.perf_counter() + seconds
    bad = 0

    async def loop(ws):
        nonlocal bad
        while time.perf_counter() < deadline and len(latencies) < MAX_ROUND_TRIPS:
            start = time.perf_counter()
            await ws.send(payload)
            answer = await ws.recv()
            while is_presence(answer):  # who is in the room: not an answer
                answer = await ws.recv()
            latencies.append(time.perf_counter() - start)
            if not check(answer):
                bad += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(ws) for ws in sockets))
    result = rate_and_latency(latencies, time.perf_counter() - started)
    result["bad_answers"] = bad
    return result


async def echo(args):
    payload = "x" * 64
    sockets = [await open_socket(args, "/ws/echo/") for _ in range(args.connections)]
    try:
        return await round_trips(sockets, payload, args.seconds, payload.__eq__)
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))


def is_presence(text):
    """A chat.presence frame: the baked project's chat says who is in the room."""
    return text.startswith("{") and json.loads(text).get("type") == "chat.presence"


def is_chat_message(text, message="hello", user=None):
    content = json.loads(text)
    return (
        content.get("type") == "chat.message"
        and content.get("message") == message
        and (user is None or content.get("user") == user)
    )


async def chat_round_trip(args):
    """Each connection alone in its room: send a message, await its broadcast."""
    run = uuid.uuid4().hex[:8]
    sockets = [
        await open_socket(args, f"/ws/chat/rt-{run}-{i}/")
        for i in range(args.connections)
    ]
    payload = json.dumps({"message": "hello"})

    def check(text):
        return is_chat_message(text, user=args.user)

    try:
        return await round_trips(sockets, payload, args.seconds, check)
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))


async def broadcast(args):
    """One member sends to a room of N, at most --window messages ahead of delivery.

    The window keeps the backlog of every member under the channel layer's
    capacity, so a lost message is a real loss, not a full queue by design.
    """
    members = args.connections
    path = f"/ws/chat/bcast-{uuid.uuid4().hex[:8]}/"
    sockets = [await open_socket(args, path) for _ in range(members)]
    delivered_to = {}  # sequence number -> members that received it
    complete = 0
    progress = asyncio.Event()
    total = 0
    bad = 0
    last_delivery = 0.0

    async def receive(ws):
        nonlocal complete, total, bad, last_delivery
        async for text in ws:
            content = json.loads(text)
            if content.get("type") == "chat.presence":
                continue
            sequence = int(content["message"])
            if args.user is not None and content.get("user") != args.user:
                bad += 1
            total += 1
            last_delivery = time.perf_counter()
            count = delivered_to.get(sequence, 0) + 1
            delivered_to[sequence] = count
            if count == members:
                complete += 1
                progress.set()

    receivers = [asyncio.create_task(receive(ws)) for ws in sockets]
    sender = sockets[0]
    sent = 0
    started = time.perf_counter()
    deadline = started + args.seconds
    try:
        while time.perf_counter() < deadline and sent < MAX_BROADCASTS:
            while sent - complete >= args.window:
                progress.clear()
                try:
                    await asyncio.wait_for(progress.wait(), DRAIN_SECONDS)
                except TimeoutError:
                    break
            if sent - complete >= args.window:
                break  # messages were lost: the window never reopens
            await sender.send(json.dumps({"message": str(sent)}))
            sent += 1
        drain_deadline = time.perf_counter() + DRAIN_SECONDS
        while total < sent * members:
            remaining = drain_deadline - time.perf_counter()
            if remaining <= 0:
                break
            progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(progress.wait(), remaining)
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))
        for task in receivers:
            task.cancel()
    elapsed = (last_delivery or time.perf_counter()) - started
    return {
        "per_second": total / elapsed if elapsed > 0 else 0.0,
        "messages": sent,
        "deliveries": total,
        "lost": sent * members - total,
        "bad_answers": bad,
    }


async def connect_rate(args):
    """Open and close echo sockets from --connections concurrent openers."""
    opened = 0
    failed = 0
    deadline = time.perf_counter() + args.seconds

    async def opener():
        nonlocal opened, failed
        while time.perf_counter() < deadline and opened + failed < MAX_CONNECTS:
            try:
                ws = await open_socket(args, "/ws/echo/")
            except Exception:  # counted, not raised
                failed += 1
                continue
            opened += 1
            await ws.close()

    started = time.perf_counter()
    await asyncio.gather(*(opener() for _ in range(args.connections)))
    elapsed = time.perf_counter() - started
    return {"per_second": opened / elapsed, "opened": opened, "failed": failed}


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def idle_memory(args):
    """Server RSS growth per idle chat connection (rooms of 10), after a settle."""
    run = uuid.uuid4().hex[:8]
    before = rss_kib(args.server_pid)
    sockets = []
    try:
        for i in range(args.connections):
            path = f"/ws/chat/idle-{run}-{i // 10}/"
            sockets.append(await open_socket(args, path))
        await asyncio.sleep(1.0)
        after = rss_kib(args.server_pid)
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))
    return {
        "per_connection_kib": (after - before) / args.connections,
        "connections": len(sockets),
        "rss_before_kib": before,
        "rss_after_kib": after,
    }


SCENARIOS = {
    "echo": echo,
    "chat_round_trip": chat_round_trip,
    "broadcast": broadcast,
    "connect_rate": connect_rate,
    "idle_memory": idle_memory,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--base", required=True, help="ws://host:port")
    parser.add_argument("--origin", required=True)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--window", type=int, default=20)
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--cookie", help="Cookie header of every socket")
    parser.add_argument("--user", help="the user every chat message must name")
    args = parser.parse_args(argv)
    result = asyncio.run(SCENARIOS[args.scenario](args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
