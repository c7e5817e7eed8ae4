"""Typed reads of environment variables; a local .env file fills in any not already set.

Real environment variables always win over .env, so a deployment never reads a
developer's file by accident. See .env.example for every variable.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def read_env_file(path):
    """Set each KEY=VALUE line of `path` that the environment does not set yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ImproperlyConfigured(f"{path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        os.environ.setdefault(key.strip(), value)


def env_str(name, default=None):
    value = os.environ.get(name) or default
    if not value:
        raise ImproperlyConfigured(
            f"Set the environment variable {name} (see .env.example)."
        )
    return value


def env_optional(name):
    """The variable's value, or None when it is unset or empty."""
    return (os.environ.get(name) or "").strip() or None


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use true or false.")


def env_list(name, default):
    """A comma-separated list; empty items are dropped."""
    value = os.environ.get(name, default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_number(name, default, kind=int):
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return kind(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a number of type {kind.__name__}."
        ) from None


# DJANGO_ENV_FILE names another file, e.g. one a deployment keeps outside the code.
read_env_file(Path(os.environ.get("DJANGO_ENV_FILE") or BASE_DIR / ".env"))
