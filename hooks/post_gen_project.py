"""Finish the baked project: keep the files the chosen options need, write a local .env.

Runs inside the generated project directory, offline. The logic is plain
functions so that the template's tests can import and exercise it.
"""

import secrets
import sys
from pathlib import Path

# The files only some channel layers keep, each with the name it is kept
# under; the files no chosen layer keeps are deleted. Every other file is kept
# as it is.
LAYER_FILES = {
    "in-memory": {
        "config/channel_layer_in_memory.py": "config/channel_layer.py",
        "tests/settings_in_memory.py": "tests/settings.py",
        "deploy/compose_in_memory.yaml": "compose.yaml",
    },
    "redis": {
        "config/channel_layer_redis.py": "config/channel_layer.py",
        "tests/settings_redis.py": "tests/settings.py",
        "tests/redis_server.py": "tests/redis_server.py",
        "tests/test_redis_layer.py": "tests/test_redis_layer.py",
        "chat/tests/test_outage_redis.py": "chat/tests/test_outage_redis.py",
        "deploy/compose_redis.yaml": "compose.yaml",
    },
    "redis-pubsub": {
        "config/channel_layer_redis_pubsub.py": "config/channel_layer.py",
        "tests/settings_redis.py": "tests/settings.py",
        "tests/redis_server.py": "tests/redis_server.py",
        "tests/test_redis_pubsub_layer.py": "tests/test_redis_pubsub_layer.py",
        "chat/tests/test_outage_redis_pubsub.py": (
            "chat/tests/test_outage_redis_pubsub.py"
        ),
        "deploy/compose_redis_pubsub.yaml": "compose.yaml",
    },
}


def apply_options(project_dir, answers):
    """Keep the chosen layer's files under their final names; delete the others'."""
    kept = LAYER_FILES[answers["channel_layer"]]
    unused = {source for files in LAYER_FILES.values() for source in files}
    for source in sorted(unused - set(kept)):
        (project_dir / source).unlink()
    for source, target in kept.items():
        (project_dir / source).rename(project_dir / target)


# .env is for the machine it is written on, a developer's: what it sets
# there, over .env.example's values.
DEVELOPMENT_VALUES = {"DJANGO_DEBUG": "true"}


def write_env_file(project_dir):
    """Write .env from .env.example: a fresh secret key, debug on. It is git-ignored."""
    example = (project_dir / ".env.example").read_text(encoding="utf-8")
    values = {**DEVELOPMENT_VALUES, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    lines = []
    for line in example.splitlines():
        name = line.partition("=")[0]
        lines.append(f"{name}={values[name]}" if name in values else line)
    env_file = project_dir / ".env"
    env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env_file.chmod(0o600)


def next_steps(slug, channel_layer):
    steps = f"\nCreated {slug}/. Next:\n  cd {slug}\n"
    if channel_layer != "in-memory":
        steps += (
            "  redis-server --daemonize yes  # the channel layer needs a Redis;"
            " or set REDIS_URL in .env to yours\n"
        )
    return steps + (
        "  make run    # virtualenv, dependencies, database, server on http://127.0.0.1:8000/\n"
        "  make test   # the project's tests; they start what they need\n"
    )


def main(project_dir, answers):
    apply_options(project_dir, answers)
    write_env_file(project_dir)
    print(next_steps(answers["project_slug"], answers["channel_layer"]))
    return 0


# Cookiecutter fills in the answers below before running this file.
# fmt: off
if __name__ == "__main__":
    sys.exit(
        main(
            Path.cwd(),
            {
                "project_slug": {{ cookiecutter.project_slug|tojson }},
                "channel_layer": {{ cookiecutter.channel_layer|tojson }},
            },
        )
    )
# fmt: on
