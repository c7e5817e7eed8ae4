"""Checks of where Redis is: `manage.py check` refuses contradictions.

One Redis (REDIS_URL) or Sentinel (REDIS_SENTINELS with REDIS_SENTINEL_MASTER):
config/redis_servers.py reads them, docs/scaling-out.md explains them.
https://docs.djangoproject.com/en/5.2/topics/checks/
"""

from django.core import checks

from config import redis_servers

SENTINEL_HINT = (
    "Set REDIS_SENTINELS=host:port,host:port,... and REDIS_SENTINEL_MASTER to the"
    " name in the sentinels' `sentinel monitor NAME ...` line; or neither, and"
    " REDIS_URL alone for one Redis."
)


@checks.register()
def check_redis_servers(app_configs, **kwargs):
    sentinels = redis_servers.REDIS_SENTINELS
    master = redis_servers.REDIS_SENTINEL_MASTER
    problems = []
    if sentinels and not master:
        message = (
            "REDIS_SENTINELS is set but REDIS_SENTINEL_MASTER is not: the"
            " sentinels cannot be asked for a primary without its name."
        )
        problems.append(checks.Error(message, hint=SENTINEL_HINT, id="config.E001"))
    if redis_servers.BAD_SENTINELS:
        bad = ", ".join(repr(entry) for entry in redis_servers.BAD_SENTINELS)
        message = f"REDIS_SENTINELS has entries that are not host:port: {bad}."
        hint = "Write each sentinel as host:port (IPv6: [::1]:26379), comma-separated."
        problems.append(checks.Error(message, hint=hint, id="config.E002"))
    if master and not sentinels:
        message = (
            "REDIS_SENTINEL_MASTER is set but REDIS_SENTINELS is not: the"
            " project would use REDIS_URL and never ask a sentinel."
        )
        problems.append(checks.Error(message, hint=SENTINEL_HINT, id="config.E003"))
    if sentinels and redis_servers.REDIS_URL_SET:
        message = (
            "REDIS_URL is set but ignored: with REDIS_SENTINELS the"
            " sentinels name the Redis server."
        )
        hint = "Leave REDIS_URL empty (in .env too) where REDIS_SENTINELS is set."
        problems.append(checks.Warning(message, hint=hint, id="config.W001"))
    if redis_servers.REDIS_SENTINEL_PASSWORD and not sentinels:
        message = "REDIS_SENTINEL_PASSWORD is set but ignored: REDIS_SENTINELS is not."
        problems.append(checks.Warning(message, id="config.W002"))
    return problems
