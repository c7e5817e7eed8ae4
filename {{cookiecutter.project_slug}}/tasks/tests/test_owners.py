"""Tasks belong to whoever started them; each owner runs a few at most."""

import pytest
from django.contrib.auth import get_user_model

from tests.clients import anonymous_browser, logged_in_browser, open_websocket

pytestmark = pytest.mark.django_db(transaction=True)


async def reply_of_type(client, *types):
    """The first message of one of `types`; progress of earlier tasks is skipped."""
    while True:
        reply = await client.receive_json_from()
        if reply["type"] in types:
            return reply
        assert reply["type"] == "task.progress", reply


async def start(client, steps=500):
    await client.send_json_to({"action": "start", "steps": steps})
    return (await reply_of_type(client, "task.started"))["task_id"]


async def error_for(client, content):
    await client.send_json_to(content)
    return (await reply_of_type(client, "error"))["error"]


@pytest.mark.parametrize("action", ["watch", "cancel"])
async def test_another_owners_task_answers_as_an_unknown_id(action):
    mine, theirs = await anonymous_browser(), await anonymous_browser()
    async with (
        open_websocket("/ws/tasks/", cookie=mine) as owner,
        open_websocket("/ws/tasks/", cookie=theirs) as other,
    ):
        task_id = await start(owner)
        error = await error_for(other, {"action": action, "task_id": task_id})
        unknown = await error_for(other, {"action": action, "task_id": "0" * 32})
        assert error == unknown.replace("0" * 32, task_id)
        await owner.send_json_to({"action": "watch", "task_id": task_id})
        assert (await owner.receive_json_from())["task_id"] == task_id  # no error


async def test_a_user_watches_and_cancels_their_task_from_another_browser():
    user = await get_user_model().objects.acreate(username="ada")
    laptop, phone = await logged_in_browser(user), await logged_in_browser(user)
    async with (
        open_websocket("/ws/tasks/", cookie=laptop.cookie) as on_laptop,
        open_websocket("/ws/tasks/", cookie=phone.cookie) as on_phone,
    ):
        task_id = await start(on_laptop)
        await on_phone.send_json_to({"action": "cancel", "task_id": task_id})
        reply = await reply_of_type(on_phone, "task.cancelled", "error")
        assert reply == {"type": "task.cancelled", "task_id": task_id}


async def test_a_socket_with_neither_login_nor_session_cannot_start_a_task():
    async with open_websocket("/ws/tasks/") as client:
        error = await error_for(client, {"action": "start", "steps": 1})
    assert "open the /tasks/ page first" in error


async def test_an_owner_runs_at_most_task_max_per_owner_tasks(settings):
    settings.TASK_MAX_PER_OWNER = 2
    greedy, other = await anonymous_browser(), await anonymous_browser()
    async with (
        open_websocket("/ws/tasks/", cookie=greedy) as client,
        open_websocket("/ws/tasks/", cookie=other) as bystander,
    ):
        first = await start(client)
        await start(client)
        error = await error_for(client, {"action": "start", "steps": 1})
        assert "(TASK_MAX_PER_OWNER)" in error
        # Nobody else is locked out,
        await start(bystander)
        # and a cancelled task frees a place.
        await client.send_json_to({"action": "cancel", "task_id": first})
        await reply_of_type(client, "task.cancelled")
        await start(client)


def test_the_tasks_page_gives_an_anonymous_browser_a_session(client, settings):
    response = client.get("/tasks/")
    assert response.cookies[settings.SESSION_COOKIE_NAME].value
