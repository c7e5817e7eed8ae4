"""The websocket kit's own tests (kit_tests/), run inside bakes of each channel layer.

kit_tests/ is copied into each bake as tests/kit/ and run there with pytest, on
three version sets: the lowest versions the bake's pyproject.toml admits (on
this Python), this virtualenv's, and the newest releases on Python 3.12. The
lowest and highest virtualenvs are built once, with pip, under
KIT_VENV_CACHE (default ~/.cache/channels-starter-kit), keyed by what they
install; the lowest starts as a copy of this virtualenv (pip then changes only
what the lowest versions pin). kit_tests/conftest.py picks the tests that fit each bake's layer.

Each layer's own modules (the ones kit_tests/conftest.py gives that layer, and
those that need a layer across processes) run on every version set. The kit's
general modules run on every layer with this virtualenv's versions, on the
redis bake with the lowest and on the redis-pubsub bake with the highest: each
general module meets each version set, and each Redis layer on one of the
extremes as well as on this virtualenv's versions.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kit_tests.conftest import IN_MEMORY, MODULE_LAYERS
from tests.baking import COMBINATIONS, TEMPLATE_DIR, bake

KIT_TESTS_DIR = TEMPLATE_DIR / "kit_tests"
LAYERS = ["in-memory", "redis", "redis-pubsub"]
# The lowest versions the bake admits (its pyproject.toml), and the lowest
# redis-py that channels-redis 4.3 accepts (redis>=4.6).
LOWEST = [
    "django==5.2",
    "channels==4.3.0",
    "daphne==4.2.2",
    "channels-redis==4.3.0",
    "redis==4.6.0",
    "uvicorn==0.35.0",
]
HIGHEST_PYTHON = "3.12"
VERSION_SETS = ["lowest", "current", "highest"]
# The bakes that run the whole kit on each version set; the others run their
# layer's own modules (own_modules) on it.
WHOLE_KIT = {"lowest": ["redis"], "current": LAYERS, "highest": ["redis-pubsub"]}
# Modules that skip on an in-process layer: another process reaches sockets
# through Redis.
CROSS_PROCESS_MODULES = ["test_user_sockets.py"]
VENV_CACHE = Path(
    os.environ.get("KIT_VENV_CACHE") or Path.home() / ".cache" / "channels-starter-kit"
)
# Packages whose versions each run reports.
REPORTED = ["django", "channels", "daphne", "channels-redis", "redis", "uvicorn"]


def second_python(version):
    """A python`version` that runs: pyenv's, else one on PATH; None if neither.

    pyenv's shim on PATH fails unless that version is selected, so each
    candidate is tried."""
    pyenv = Path.home() / ".pyenv" / "versions"
    candidates = [
        *sorted(pyenv.glob(f"{version}.*/bin/python{version}"), reverse=True),
        shutil.which(f"python{version}"),
    ]
    for candidate in filter(None, candidates):
        works = subprocess.run(
            [str(candidate), "-c", "import venv"], capture_output=True, timeout=30
        )
        if works.returncode == 0:
            return str(candidate)
    return None


def require_python(version):
    python = second_python(version)
    if python is None:
        message = f"Python {version} is not installed (pyenv install {version})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return python


def venv_key(python, requirements_text, constraints):
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    digest = hashlib.sha256(
        "\n".join([version, requirements_text, *constraints]).encode()
    ).hexdigest()
    return digest[:16]


def installed(venv_python):
    """What the virtualenv of `venv_python` holds: its distributions' names and
    versions (none when it is None)."""
    if venv_python is None:
        return []
    return sorted(
        path.name
        for path in Path(venv_python).parent.parent.glob("lib/python*/site-packages/*")
        if path.name.endswith(".dist-info")
    )


def build_venv(name, python, bake_dir, constraints, base=None):
    """A virtualenv with the bake and its dev tools; built once, then reused.

    With `base` (another of these virtualenvs, on the same Python) it starts as a
    copy of that one, and pip changes only what differs: most packages are
    then neither fetched nor installed again."""
    pyproject = (bake_dir / "pyproject.toml").read_text()
    key = venv_key(python, pyproject, [*constraints, *installed(base)])
    directory = VENV_CACHE / f"{name}-{key}"
    venv_python = directory / "bin" / "python"
    if (directory / ".complete").exists():
        return venv_python
    building = directory.with_name(directory.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.parent.mkdir(parents=True, exist_ok=True)
    if base is None:
        subprocess.run([python, "-m", "venv", str(building)], check=True, timeout=120)
    else:
        shutil.copytree(Path(base).parent.parent, building, symlinks=True)
    command = [
        str(building / "bin" / "python"),
        *("-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
        "-e",
        f"{bake_dir}[dev]",
    ]
    if constraints:
        constraints_file = building / "constraints.txt"
        constraints_file.write_text("\n".join(constraints) + "\n")
        command += ["-c", str(constraints_file)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    # Run only as `python -m ...`, a virtualenv works under another name.
    shutil.rmtree(directory, ignore_errors=True)
    building.rename(directory)
    (directory / ".complete").write_text("")
    return venv_python


def highest_venv(redis_bake):
    """The highest version set: the newest releases on HIGHEST_PYTHON, with a Redis
    bake's dependencies (tests/test_versions.py builds on it too)."""
    return build_venv("highest", require_python(HIGHEST_PYTHON), redis_bake, [])


@pytest.fixture(scope="module")
def kit_bakes(tmp_path_factory):
    """One bake per layer (SQLite), with kit_tests/ copied in as tests/kit/."""
    bakes = {}
    for layer in LAYERS:
        project = bake(tmp_path_factory.mktemp(f"kit-{layer}"), **COMBINATIONS[layer])
        shutil.copytree(
            KIT_TESTS_DIR,
            project / "tests" / "kit",
            ignore=shutil.ignore_patterns("__pycache__", "ruff.toml"),
        )
        bakes[layer] = project
    return bakes


@pytest.fixture(scope="module")
def pythons(kit_bakes):
    """pythons(version_set): the interpreter of that version set's virtualenv."""
    built = {}

    def get(version_set):
        if version_set not in built:
            started = time.monotonic()
            if version_set == "current":
                built[version_set] = sys.executable
            elif version_set == "lowest":
                # This Python: from a copy of this virtualenv, when it is one.
                in_venv = sys.prefix != sys.base_prefix
                built[version_set] = build_venv(
                    "lowest",
                    sys.executable,
                    kit_bakes["redis"],
                    LOWEST,
                    base=sys.executable if in_venv else None,
                )
            else:
                built[version_set] = highest_venv(kit_bakes["redis"])
            seconds = time.monotonic() - started
            print(f"\n{version_set} venv ready in {seconds:.1f} s")
        return built[version_set]

    return get


def own_modules(layer):
    """The kit's modules about `layer`: those kit_tests/conftest.py runs on it
    alone or with the other Redis layer, and the cross-process ones."""
    modules = [module for module, layers in MODULE_LAYERS.items() if layer in layers]
    if layer != IN_MEMORY:
        modules += CROSS_PROCESS_MODULES
    return modules


def versions(python):
    code = (
        "import importlib.metadata as m, sys;"
        f"print(sys.version.split()[0], *(p + '=' + m.version(p) for p in {REPORTED}))"
    )
    return subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def clean_environment():
    """This environment, less what would point the bake's tests elsewhere."""
    environment = dict(os.environ)
    for name in ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "TEST_REDIS_URL"):
        environment.pop(name, None)
    return environment


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("version_set", VERSION_SETS)
def test_the_kit_passes_its_tests(kit_bakes, pythons, version_set, layer):
    python = pythons(version_set)
    tests = ["tests/kit"]
    if layer not in WHOLE_KIT[version_set]:
        tests = [f"tests/kit/{module}" for module in own_modules(layer)]
    started = time.monotonic()
    result = subprocess.run(
        [str(python), "-m", "pytest", *tests, "-q", "-p", "no:cacheprovider"],
        cwd=kit_bakes[layer],
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=400,
    )
    seconds = time.monotonic() - started
    summary = result.stdout.strip().splitlines()[-1:] or ["(no output)"]
    print(f"\n{version_set} {layer}: {summary[0]} in {seconds:.1f} s")
    print(f"  {versions(python)}")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def test_the_database_outage_layer_on_postgresql(tmp_path, require_postgresql):
    """The one kit test that needs a PostgreSQL bake, on this virtualenv."""
    require_postgresql()
    project = bake(tmp_path, **COMBINATIONS["postgresql"])
    shutil.copytree(
        KIT_TESTS_DIR,
        project / "tests" / "kit",
        ignore=shutil.ignore_patterns("__pycache__", "ruff.toml"),
    )
    environment = clean_environment()
    environment.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/kit/test_database_outage.py", "-q"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and " skipped" not in result.stdout
