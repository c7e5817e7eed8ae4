"""Bake the template into a directory, as `cookiecutter <template> --no-input` would."""

import subprocess
import sys
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
PROJECT_TEMPLATE_DIR = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"

RUFF = (sys.executable, "-m", "ruff")

# Named option sets: each option varied once (see STYLE.md), and the database
# with every layer, since a layer's tests and the database's share the settings
# and the CI workflow; every one is baked and gated by the tests.
COMBINATIONS = {
    "in-memory": {},
    "redis": {"channel_layer": "redis"},
    "redis-pubsub": {"channel_layer": "redis-pubsub"},
    "postgresql": {"database": "postgresql"},
    "postgresql-redis": {"database": "postgresql", "channel_layer": "redis"},
    "postgresql-redis-pubsub": {
        "database": "postgresql",
        "channel_layer": "redis-pubsub",
    },
}


def bake(output_dir, **answers):
    """Bake with `answers` over the defaults; return the project directory."""
    return Path(
        cookiecutter(
            str(TEMPLATE_DIR),
            no_input=True,
            extra_context=answers,
            output_dir=str(output_dir),
        )
    )


def bake_cli(output_dir, *answers):
    """Bake through the command line, as a user would; answers are key=value."""
    return subprocess.run(
        [
            *(sys.executable, "-m", "cookiecutter", str(TEMPLATE_DIR)),
            *("--no-input", "-o", str(output_dir), *answers),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_in(project_dir, *command, timeout=300, env=None):
    """Run `command` in the baked project with this interpreter's tools."""
    return subprocess.run(
        command,
        cwd=project_dir,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
