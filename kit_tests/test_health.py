"""/healthz and /readyz, through the project's real ASGI application."""

import json
import logging

import pytest
from channels.testing import HttpCommunicator
from django.test import override_settings

from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def get(path, host=b"unknown.example"):
    """GET `path` with a Host that no setting allows, as a probe by address would."""
    communicator = HttpCommunicator(application, "GET", path, headers=[(b"host", host)])
    response = await communicator.get_response(timeout=10)
    return response["status"], json.loads(response["body"])


async def test_healthz_answers_without_touching_anything():
    assert await get("/healthz") == (200, {"status": "ok"})


async def test_readyz_round_trips_the_layer_and_touches_cache_and_database():
    assert await get("/readyz") == (200, {"status": "ready"})


async def test_readyz_names_what_failed_with_one_warning_each(tmp_path, caplog):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    broken_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(not_a_directory / "cache"),
        }
    }
    with override_settings(CACHES=broken_cache):
        status, body = await get("/readyz")
    assert (status, body) == (503, {"status": "unavailable", "failed": ["cache"]})
    lines = [r for r in caplog.records if r.name == "realtime_kit.health"]
    assert len(lines) == 1
    assert lines[0].levelno == logging.WARNING
    assert lines[0].getMessage().startswith("Not ready: cache failed")
    assert lines[0].exc_info is None


async def test_other_paths_still_reach_django():
    communicator = HttpCommunicator(
        application, "GET", "/healthz/", headers=[(b"host", b"localhost")]
    )
    response = await communicator.get_response(timeout=10)
    assert response["status"] == 404
