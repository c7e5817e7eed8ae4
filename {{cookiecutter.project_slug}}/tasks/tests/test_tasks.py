"""Jobs' owners and quotas, the lost state, and the task itself, with no worker:
the jobs started here stay queued, and the task runs in the test's own loop."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.utils import timezone

from tasks import jobs
from tasks.models import Job
from tests.clients import anonymous_browser, logged_in_browser, open_websocket

pytestmark = pytest.mark.django_db(transaction=True)


async def start(client, steps=5):
    await client.send_json_to({"action": "start", "steps": steps})
    reply = await client.receive_json_from()
    assert reply["type"] == "task.started", reply
    return reply["task_id"]


async def error_for(client, content):
    await client.send_json_to(content)
    reply = await client.receive_json_from()
    assert reply["type"] == "error", reply
    return reply["error"]


async def test_watch_answers_the_state_at_once_and_the_task_runs_every_step(browser):
    async with open_websocket("/ws/tasks/", cookie=browser) as client:
        task_id = await start(client, 3)
        await client.send_json_to({"action": "watch", "task_id": task_id})
        queued = await client.receive_json_from()
        assert queued == {"type": "task.progress", "task_id": task_id} | {
            "step": 0,
            "total": 3,
        }
        await jobs.run_job.acall(task_id)  # as a worker would, in this process
        messages = [await client.receive_json_from() for _ in range(4)]
        assert await client.receive_nothing(timeout=0.05)
    assert [m.get("step") for m in messages] == [1, 2, 3, None]
    assert messages[-1] == {"type": "task.done", "task_id": task_id}


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


async def test_a_user_cancels_their_task_from_another_browser_and_watchers_hear():
    user = await get_user_model().objects.acreate(username="ada")
    laptop, phone = await logged_in_browser(user), await logged_in_browser(user)
    async with (
        open_websocket("/ws/tasks/", cookie=laptop.cookie) as on_laptop,
        open_websocket("/ws/tasks/", cookie=phone.cookie) as on_phone,
    ):
        task_id = await start(on_laptop)
        await on_phone.send_json_to({"action": "cancel", "task_id": task_id})
        cancelled = {"type": "task.cancelled", "task_id": task_id}
        assert await on_phone.receive_json_from() == cancelled
        assert await on_laptop.receive_json_from() == cancelled
        await jobs.run_job.acall(task_id)  # a worker taking it now does nothing
        assert await on_laptop.receive_nothing(timeout=0.05)


async def test_a_socket_with_neither_login_nor_session_cannot_start_a_task():
    async with open_websocket("/ws/tasks/") as client:
        error = await error_for(client, {"action": "start", "steps": 1})
    assert "open /tasks/ first" in error


async def test_an_owner_runs_at_most_task_max_per_owner_jobs(settings):
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
        await start(bystander)  # nobody else is locked out,
        await client.send_json_to({"action": "cancel", "task_id": first})
        assert (await client.receive_json_from())["type"] == "task.cancelled"
        await start(client)  # and a cancelled job frees a place


async def test_sessions_of_one_address_run_at_most_task_max_per_address_jobs(settings):
    settings.TASK_MAX_PER_ADDRESS = 3
    for expected in ("task.started",) * 3 + ("error",):
        async with open_websocket("/ws/tasks/", cookie=await anonymous_browser()) as c:
            await c.send_json_to({"action": "start", "steps": 1})
            reply = await c.receive_json_from()
            assert reply["type"] == expected
    assert "(TASK_MAX_PER_ADDRESS)" in reply["error"]


def test_the_database_refuses_a_slot_taken_twice():
    """What makes a quota hold against concurrent starts (two server processes:
    the template's tests/test_live_tasks.py)."""
    fields = {"owner": "session.x", "address": "192.0.2.1", "total": 1}
    first = Job.objects.create(owner_slot=0, address_slot=0, **fields)
    with pytest.raises(IntegrityError):
        Job.objects.create(owner_slot=0, address_slot=1, **fields)
    Job.objects.filter(pk=first.pk).update(status="done")  # an ended job frees it
    Job.objects.create(owner_slot=0, address_slot=0, **fields)


async def test_a_job_no_worker_took_for_task_lost_seconds_is_waiting(browser, settings):
    settings.TASK_POLL_SECONDS = 0.1
    async with open_websocket("/ws/tasks/", cookie=browser) as client:
        task_id = await start(client)
        await client.send_json_to({"action": "watch", "task_id": task_id})
        assert "waiting" not in await client.receive_json_from()
        queued = timezone.now() - timedelta(seconds=settings.TASK_LOST_SECONDS + 1)
        await Job.objects.filter(pk=task_id).aupdate(created=queued)
        waiting = await client.receive_json_from(timeout=2)
        assert waiting == {"type": "task.progress", "task_id": task_id} | {
            "step": 0,
            "total": 5,
            "waiting": True,
        }
        await jobs.run_job.acall(task_id)  # a worker takes it: no longer waiting
        assert "waiting" not in await client.receive_json_from()


async def test_a_running_job_whose_worker_went_silent_is_lost(browser, settings):
    async with open_websocket("/ws/tasks/", cookie=browser) as client:
        task_id = await start(client)
        silent = timezone.now() - timedelta(seconds=settings.TASK_LOST_SECONDS + 1)
        await Job.objects.filter(pk=task_id).aupdate(status="running", heartbeat=silent)
        await client.send_json_to({"action": "watch", "task_id": task_id})
        lost = await client.receive_json_from()
    assert lost["type"] == "task.lost" and lost["error"]
    assert await Job.objects.filter(pk=uuid.UUID(task_id), status="lost").aexists()


def test_make_clean_db_deletes_jobs_that_ended_over_a_day_ago():
    fields = {"owner": "session.x", "address": "192.0.2.1", "total": 1}
    for slot, status in enumerate(["done", "lost", "queued"]):
        Job.objects.create(owner_slot=slot, address_slot=slot, status=status, **fields)
    Job.objects.update(created=timezone.now() - timedelta(days=2))
    recent = Job.objects.create(owner_slot=3, address_slot=3, status="done", **fields)
    jobs.delete_ended_jobs(days=1)
    left = Job.objects.order_by("created").values_list("status", flat=True)
    assert (
        list(left) == ["queued", "done"] and Job.objects.filter(pk=recent.pk).exists()
    )


async def test_a_step_longer_than_task_lost_seconds_is_not_lost(browser, settings):
    """The worker beats beside the steps: a slow step is not a dead worker."""
    # A beat every 0.33 s: a loaded machine may delay one, not three in a row.
    settings.TASK_LOST_SECONDS, settings.TASK_STEP_SECONDS = 1, 2.5
    async with open_websocket("/ws/tasks/", cookie=browser) as client:
        task_id = await start(client, 1)
        running = asyncio.create_task(jobs.run_job.acall(task_id))
        await asyncio.sleep(1.8)  # the step runs on, well past TASK_LOST_SECONDS
        await client.send_json_to({"action": "watch", "task_id": task_id})
        assert (await client.receive_json_from())["type"] == "task.progress"
        await running
        rest = [await client.receive_json_from(timeout=2) for _ in range(2)]
    assert [m["type"] for m in rest] == ["task.progress", "task.done"]
