"""The default bake's own suite on each supported Django, each on its Python.

The same pairs as the bake's CI matrix (.github/workflows/ci_*.yml): Django 5.2
LTS on Python 3.11, 6.0 on 3.12 and 6.1 on 3.13. Each suite runs once in the
template's tests: 5.2/3.11 in tests/test_readme.py (`make test`), 6.1/3.13 in
tests/test_ci_workflow.py (the workflow's own steps), and the rest here, in
virtualenvs built once and cached as tests/test_kit.py builds its own.
"""

import subprocess
import sys
import time

import pytest
import yaml
from packaging.requirements import Requirement

from tests.baking import PROJECT_TEMPLATE_DIR
from tests.test_kit import (
    HIGHEST_PYTHON,
    build_venv,
    clean_environment,
    highest_venv,
    require_python,
)

WORKFLOW = PROJECT_TEMPLATE_DIR / ".github" / "workflows" / "ci_plain.yml"
MATRIX = yaml.safe_load(WORKFLOW.read_text())["jobs"]["test"]["strategy"]["matrix"][
    "include"
]


def venv_for(entry, project, baked):
    """This virtualenv when it is the entry's; else one built for the entry: on
    the kit's Python for the newest releases, a copy of that virtualenv with the
    entry's Django (it also holds the Redis layer's packages, which the default
    bake never imports; tests/test_readme.py installs exactly its own)."""
    here = "{}.{}".format(*sys.version_info[:2])
    if entry["python-version"] == here:
        return sys.executable
    python = require_python(entry["python-version"])
    name = f"matrix-py{entry['python-version']}"
    base = None
    if entry["python-version"] == HIGHEST_PYTHON:
        base = highest_venv(baked("redis"))
    return build_venv(name, python, project, [entry["django"]], base=base)


def test_the_matrix_names_each_supported_python_once():
    assert [entry["python-version"] for entry in MATRIX] == ["3.11", "3.12", "3.13"]


# Run elsewhere: this virtualenv's pair (test_readme.py) and the workflow's own
# second Python (test_ci_workflow.py picks 3.13 first).
COVERED_ELSEWHERE = {"{}.{}".format(*sys.version_info[:2]), "3.13"}
HERE = [entry for entry in MATRIX if entry["python-version"] not in COVERED_ELSEWHERE]


@pytest.mark.parametrize(
    "entry", HERE, ids=[f"{e['django']}-py{e['python-version']}" for e in HERE]
)
def test_the_bakes_suite_passes_on(entry, baked):
    project = baked("in-memory")
    python = venv_for(entry, project, baked)
    django = subprocess.run(
        [
            str(python),
            "-c",
            "import django, sys; print(django.__version__, sys.version)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert Requirement(entry["django"]).specifier.contains(django[0]), django
    assert django[1].startswith(entry["python-version"] + "."), django
    started = time.monotonic()
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    seconds = time.monotonic() - started
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"\nDjango {django[0]} on Python {django[1]}: {summary} ({seconds:.0f} s)")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " skipped" not in summary
