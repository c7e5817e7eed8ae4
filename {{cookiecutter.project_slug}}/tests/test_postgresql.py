"""The project on PostgreSQL: the tests' own server, migrations, the async ORM."""

import os
from urllib.parse import urlsplit

import pytest
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from tests.clients import open_websocket, served_at

pytestmark = pytest.mark.django_db(transaction=True)


class Signup(AsyncJsonWebsocketConsumer):
    """Creates a user per message through the async ORM and answers the count."""

    async def receive_json(self, content, **kwargs):
        users = get_user_model().objects
        await users.acreate(username=content["username"])
        await self.send_json({"users": await users.acount()})


@pytest.fixture
def signup_path():
    with served_at("/ws/test/signup/", Signup) as url_path:
        yield url_path


def test_the_tests_run_on_the_run_s_own_postgresql_database():
    assert connection.vendor == "postgresql"
    server = urlsplit(os.environ["DATABASE_URL"])
    assert connection.settings_dict["PORT"] in (server.port, str(server.port))
    assert connection.settings_dict["NAME"].startswith("test_")
    with connection.cursor() as cursor:
        cursor.execute("select current_database()")
        assert cursor.fetchone()[0] == connection.settings_dict["NAME"]


def test_every_migration_was_applied():
    applied = MigrationRecorder(connection).applied_migrations()
    assert ("auth", "0001_initial") in applied
    assert ("sessions", "0001_initial") in applied


async def test_an_async_consumer_writes_and_reads_through_the_orm(signup_path):
    async with (
        open_websocket(signup_path) as ada,
        open_websocket(signup_path) as grace,
    ):
        await ada.send_json_to({"username": "ada"})
        assert await ada.receive_json_from(timeout=5) == {"users": 1}
        await grace.send_json_to({"username": "grace"})
        assert await grace.receive_json_from(timeout=5) == {"users": 2}
    assert await get_user_model().objects.filter(username="grace").aexists()
