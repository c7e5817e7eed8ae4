"""Where Redis is: REDIS_URL or Sentinel, and the checks that refuse contradictions."""

import os

import pytest

from config.redis_servers import parse_address
from tests.processes import PROJECT_DIR, run_python

SENTINELS = "10.0.0.1:26379,sentinel-2:26380,[::1]:26381"


def run_project(arguments, **variables):
    """Run this interpreter on `arguments` in the project, on the production
    settings, with no .env and no REDIS_* but `variables`; (exit code, output)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("REDIS_")}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    environment["DJANGO_ENV_FILE"] = str(PROJECT_DIR / "no-such-file")
    environment["DJANGO_SECRET_KEY"] = "s" * 50
    environment.update(variables)
    status, output, errors = run_python(arguments, environment)
    return status, output + errors


def setting(expression, **variables):
    code = f"from config import settings; print({expression})"
    status, output = run_project(["-c", code], **variables)
    assert status == 0, output
    return output.strip()


@pytest.mark.parametrize(
    ("entry", "address"),
    [
        ("10.0.0.1:26379", ("10.0.0.1", 26379)),
        ("sentinel-2:26380", ("sentinel-2", 26380)),
        ("[::1]:26381", ("::1", 26381)),
        ("sentinel-2", None),
        (":26379", None),
        ("host:port", None),
        ("host:70000", None),
    ],
)
def test_sentinel_addresses_are_host_and_port(entry, address):
    assert parse_address(entry) == address


def test_one_redis_by_default():
    host = setting("settings.REDIS_HOST", REDIS_URL="redis://10.0.0.9:6390/2")
    assert host == "{'address': 'redis://10.0.0.9:6390/2'}"
    backend = setting("settings.CACHES['default']['BACKEND']")
    assert backend == "django.core.cache.backends.redis.RedisCache"


def test_sentinels_switch_the_layer_and_the_cache():
    variables = {
        "REDIS_SENTINELS": SENTINELS,
        "REDIS_SENTINEL_MASTER": "primary",
        "REDIS_PASSWORD": "p1",
        "REDIS_SENTINEL_PASSWORD": "p2",
    }
    layer = setting(
        "settings.CHANNEL_LAYERS['default']['CONFIG']['hosts']", **variables
    )
    assert (
        "'sentinels': [('10.0.0.1', 26379), ('sentinel-2', 26380), ('::1', 26381)]"
        in layer
    )
    assert "'master_name': 'primary'" in layer
    assert "'password': 'p2'" in layer  # the sentinels'
    assert "'password': 'p1'" in layer  # the servers'
    assert "address" not in layer
    cache = setting("settings.CACHES['default']", **variables)
    assert "'BACKEND': 'django_redis.cache.RedisCache'" in cache
    assert "'LOCATION': ['redis://primary/0']" in cache
    assert "django_redis.pool.SentinelConnectionFactory" in cache


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"REDIS_SENTINELS": SENTINELS}, "config.E001"),
        (
            {"REDIS_SENTINELS": "10.0.0.1:26379,oops", "REDIS_SENTINEL_MASTER": "p"},
            "config.E002",
        ),
        ({"REDIS_SENTINEL_MASTER": "primary"}, "config.E003"),
        (
            {
                "REDIS_SENTINELS": SENTINELS,
                "REDIS_SENTINEL_MASTER": "primary",
                "REDIS_URL": "redis://127.0.0.1:6379/0",
            },
            "config.W001",
        ),
        ({"REDIS_SENTINEL_PASSWORD": "p2"}, "config.W002"),
    ],
)
def test_check_refuses_contradictions(variables, expected):
    status, output = run_project(
        ["manage.py", "check", "--fail-level", "WARNING"], **variables
    )
    assert status != 0
    assert expected in output
    assert "Traceback" not in output


def test_check_passes_a_consistent_sentinel_setup():
    status, output = run_project(
        ["manage.py", "check", "--fail-level", "WARNING"],
        REDIS_SENTINELS=SENTINELS,
        REDIS_SENTINEL_MASTER="primary",
    )
    assert status == 0, output
