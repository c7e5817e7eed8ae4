"""A bake's CI workflow, run here as GitHub would run it, on a second Python; then
its pre-commit hooks, with no network at all.

One bake with both services (PostgreSQL and Redis) runs every `run:` step of
its .github/workflows/ci.yml in order, in a checkout without .env, with the
job's environment; the services are the template suite's private servers. The
step `make install PYTHON=python` builds the bake's own .venv on Python 3.13
(or 3.12), the next step installs the Django of that Python's matrix entry, and
`make test` then runs the bake's whole suite on it: that bake's only run of its
suite (tests/test_bake.py runs the other bakes').
"""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from tests.baking import COMBINATIONS, bake

SECOND_PYTHONS = ("python3.13", "python3.12")
CI_BAKE = "postgresql-redis"


def second_python():
    """The interpreter itself (not a pyenv shim) of SECOND_PYTHON when set, else of
    python3.13 or 3.12 on PATH, else pyenv's; None when there is none."""
    candidates = [os.environ.get("SECOND_PYTHON")]
    candidates += [shutil.which(name) for name in SECOND_PYTHONS]
    for name in SECOND_PYTHONS:
        version = name.removeprefix("python")
        candidates += sorted(
            Path.home().glob(f".pyenv/versions/{version}.*/bin/{name}")
        )
    for candidate in filter(None, candidates):
        found = subprocess.run(
            [
                candidate,
                "-c",
                "import sys; print(sys.version_info >= (3, 12), sys.executable)",
            ],
            capture_output=True,
            text=True,
        )
        ok, _, executable = found.stdout.strip().partition(" ")
        if found.returncode == 0 and ok == "True":
            return executable
    return None


def require(thing, message):
    if thing:
        return thing
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def matrix_entry(job, python):
    """The job's matrix entry for `python`'s version, as GitHub would pick it."""
    version = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    [entry] = [
        entry
        for entry in job["strategy"]["matrix"]["include"]
        if entry["python-version"] == version
    ]
    return entry


def expand(value, matrix):
    """`value` with each ${{ matrix.NAME }} replaced as GitHub Actions would."""
    return re.sub(
        r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}", lambda m: matrix[m.group(1)], value
    )


def run(command, cwd, env, timeout=900):
    started = time.monotonic()
    result = subprocess.run(
        ["bash", "-e", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    result.seconds = time.monotonic() - started
    return result


@pytest.fixture(scope="module")
def ci_run(tmp_path_factory, require_postgresql, postgres_url, redis_url):
    """(project, [(step, result)]): every step of the bake's workflow, in order."""
    python = require(second_python(), "no Python 3.12 or 3.13 found (SECOND_PYTHON)")
    require_postgresql()
    directory = tmp_path_factory.mktemp("ci")
    project = bake(directory, **COMBINATIONS[CI_BAKE])
    (project / ".env").unlink()  # git-ignored: a CI checkout has none
    job = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())["jobs"][
        "test"
    ]
    services = {"DATABASE_URL": postgres_url, "TEST_REDIS_URL": redis_url}
    # setup-python's `python`, first on PATH.
    bin_dir = directory / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(python)
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV", *services}
    }
    environment["PATH"] = f"{bin_dir}{os.pathsep}{environment['PATH']}"
    matrix = matrix_entry(job, python)
    environment.update({k: expand(v, matrix) for k, v in job["env"].items()})
    environment.update(services)
    results = []
    for step in [step for step in job["steps"] if "run" in step]:
        step_environment = {
            **environment,
            **{k: expand(v, matrix) for k, v in step.get("env", {}).items()},
        }
        result = run(expand(step["run"], matrix), project, step_environment)
        results.append((step["run"], result))
        if result.returncode != 0:
            break
    return project, results, matrix


def test_every_step_of_the_ci_workflow_passes_on_a_second_python(ci_run):
    project, results, matrix = ci_run
    for step, result in results:
        assert result.returncode == 0, (step, result.stdout[-3000:], result.stderr)
    steps = [step for step, _ in results]
    assert steps[0].startswith("make install PYTHON=")
    assert "make lint" in steps
    assert "make check" in steps
    assert "make test" in steps
    tested = dict(results)["make test"].stdout
    assert re.search(r"\b\d+ passed\b", tested), tested[-2000:]
    assert " skipped" not in tested.splitlines()[-1], tested[-2000:]
    versions = subprocess.run(
        [
            *(project / ".venv/bin/python", "-c"),
            "import sys, django; print(*sys.version_info[:2], django.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # Python 3.12 or 3.13, with the Django of its matrix entry.
    assert versions[:2] in (["3", "12"], ["3", "13"])
    assert Requirement(matrix["django"]).specifier.contains(versions[2]), versions
    print(
        "CI steps on Python {}.{}: ".format(*versions[:2])
        + ", ".join(f"{step} {result.seconds:.0f}s" for step, result in results)
    )


def offline(*command):
    """`command` in a new network namespace: only a loopback, and that one down."""
    namespace = ["unshare", "--net"] if os.geteuid() == 0 else ["unshare", "-rn"]
    return [*namespace, "--", *command]


def test_pre_commit_passes_with_no_network(ci_run, tmp_path):
    project, results, _ = ci_run
    assert all(result.returncode == 0 for _, result in results)
    require(shutil.which("unshare"), "unshare (util-linux) is not installed")
    interfaces = subprocess.run(
        offline("cat", "/proc/net/dev"), capture_output=True, text=True, check=True
    ).stdout
    assert re.findall(r"^\s*(\w+):", interfaces, flags=re.MULTILINE) == ["lo"]

    environment = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    for command in (["git", "init", "-q"], ["git", "add", "-A"]):
        subprocess.run(command, cwd=project, check=True, env=environment)
    hooks = subprocess.run(
        offline(".venv/bin/pre-commit", "run", "--all-files"),
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert hooks.returncode == 0, hooks.stdout + hooks.stderr
    passed = re.findall(r"^(.+?)\.{3,}Passed$", hooks.stdout, flags=re.MULTILINE)
    assert len(passed) >= 9, hooks.stdout
    assert "Failed" not in hooks.stdout

    # The same run with a hook from a remote repository fails there: the
    # namespace really has no network.
    remote = tmp_path / "remote.yaml"
    remote.write_text(
        "repos:\n"
        "  - repo: https://github.com/pre-commit/pre-commit-hooks\n"
        "    rev: v6.0.0\n"
        "    hooks:\n"
        "      - id: check-toml\n"
    )
    fetched = subprocess.run(
        offline(".venv/bin/pre-commit", "run", "--all-files", "-c", str(remote)),
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fetched.returncode != 0
    assert "github.com" in fetched.stdout + fetched.stderr
