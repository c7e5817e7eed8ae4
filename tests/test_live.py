"""The baked project's contract, on a real daphne, through a real websocket client."""

import asyncio
import json
import urllib.error
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.servers import Daphne
from tests.sockets import nothing_arrives

FAST_TASKS = {"TASK_STEP_SECONDS": "0.02"}


@pytest.fixture(scope="module")
def server(baked, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("live") / "daphne.log"
    daphne = Daphne(baked("in-memory"), log_path, env=FAST_TASKS).start()
    yield daphne
    daphne.stop()


def websocket(server, path, origin="default"):
    origin = server.origin if origin == "default" else origin
    return connect(f"{server.ws_url}{path}", origin=origin, open_timeout=10)


async def receive_json(socket):
    return json.loads(await asyncio.wait_for(socket.recv(), 5))


async def test_echo_sends_text_as_text_and_bytes_as_bytes(server):
    async with websocket(server, "/ws/echo/") as socket:
        await socket.send("h\u00e9llo")
        assert await socket.recv() == "h\u00e9llo"
        await socket.send(b"\x00\xff")
        assert await socket.recv() == b"\x00\xff"


async def test_chat_keeps_each_senders_order_and_rooms_apart(server):
    async with (
        websocket(server, "/ws/chat/alpha/") as ann,
        websocket(server, "/ws/chat/alpha/") as ben,
        websocket(server, "/ws/chat/alpha/") as cat,
        websocket(server, "/ws/chat/beta/") as outsider,
    ):
        senders = {"ann": ann, "ben": ben, "cat": cat}
        for number in range(20):
            for name, socket in senders.items():
                await socket.send(json.dumps({"message": f"{name}-{number}"}))
        for socket in senders.values():
            received = [(await receive_json(socket))["message"] for _ in range(60)]
            for name in senders:
                mine = [m for m in received if m.startswith(name)]
                assert mine == [f"{name}-{n}" for n in range(20)]
        assert await nothing_arrives(outsider)


async def test_a_task_reports_every_step_then_done(server):
    async with websocket(server, "/ws/tasks/") as socket:
        await socket.send(json.dumps({"action": "start", "steps": 3}))
        started = await receive_json(socket)
        assert started["type"] == "task.started"
        task_id = started["task_id"]
        rest = [await receive_json(socket) for _ in range(4)]
        assert [(m["type"], m.get("step")) for m in rest] == [
            ("task.progress", 1),
            ("task.progress", 2),
            ("task.progress", 3),
            ("task.done", None),
        ]
        assert {m["task_id"] for m in rest} == {task_id}


@pytest.mark.parametrize(
    ("path", "bad_frame", "good_frame"),
    [
        ("/ws/chat/errors/", "not json", {"message": "fine"}),
        ("/ws/chat/errors/", b"\x00", {"message": "fine"}),
        (
            "/ws/tasks/",
            '{"action": "start", "steps": 0}',
            {"action": "start", "steps": 1},
        ),
        ("/ws/tasks/", "[]", {"action": "start", "steps": 1}),
    ],
    ids=["chat-not-json", "chat-binary", "tasks-bad-steps", "tasks-not-object"],
)
async def test_bad_input_gets_an_error_and_the_connection_lives_on(
    server, path, bad_frame, good_frame
):
    async with websocket(server, path) as socket:
        await socket.send(bad_frame)
        reply = await receive_json(socket)
        assert reply["type"] == "error"
        assert reply["error"]
        await socket.send(json.dumps(good_frame))
        assert (await receive_json(socket))["type"] != "error"
    assert "Traceback" not in server.log()


@pytest.mark.parametrize(
    "origin", ["http://evil.example", None], ids=["foreign", "missing"]
)
async def test_other_origins_get_403(server, origin):
    with pytest.raises(InvalidStatus) as refused:
        async with websocket(server, "/ws/echo/", origin=origin):
            pass
    assert refused.value.response.status_code == 403


async def test_an_unknown_path_gets_403_and_a_warning_without_traceback(server):
    with pytest.raises(InvalidStatus) as refused:
        async with websocket(server, "/ws/wp-admin/probe/"):
            pass
    assert refused.value.response.status_code == 403
    await asyncio.sleep(0.2)
    log = server.log()
    about_probe = [line for line in log.splitlines() if "/ws/wp-admin/probe/" in line]
    assert len([line for line in about_probe if " WARNING " in line]) == 1
    assert "Traceback" not in log
    assert " ERROR " not in log


def test_pages_are_served_and_unknown_pages_are_404(server):
    for path in ("/", "/chat/", "/chat/lobby/"):
        with urllib.request.urlopen(server.http_url + path, timeout=10) as response:
            assert response.status == 200
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(server.http_url + "/no-such-page/", timeout=10)
    assert missing.value.code == 404
