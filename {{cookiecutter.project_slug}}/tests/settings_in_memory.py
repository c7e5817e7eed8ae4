"""Settings for the tests: the project's own, with a throwaway key when none is set."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-never-use-this-key-" + "x" * 40)

from config.settings import *  # noqa: F403

TASK_STEP_SECONDS = 0.01
