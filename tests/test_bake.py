"""Every named combination bakes into a project that passes its own gates."""

import os
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version

import pytest
from packaging.requirements import Requirement

from tests.baking import COMBINATIONS, PROJECT_TEMPLATE_DIR, RUFF, run_in

LEFTOVER = re.compile(r"\{[{%#][^}]*cookiecutter|cookiecutter\.")


@pytest.fixture(params=sorted(COMBINATIONS))
def project(request, baked):
    return baked(request.param)


def baked_files(project):
    return [
        path
        for path in project.rglob("*")
        if path.is_file() and path.name != ".env" and "__pycache__" not in path.parts
    ]


def test_no_template_leftovers(project):
    for path in baked_files(project):
        text = path.read_text(errors="replace")
        assert not LEFTOVER.search(text), path


def test_ruff_check_and_format_are_clean(project):
    checked = run_in(project, *RUFF, "check", ".")
    assert checked.returncode == 0, checked.stdout
    formatted = run_in(project, *RUFF, "format", "--check", ".")
    assert formatted.returncode == 0, formatted.stdout


def test_django_checks_and_migrations_are_clean(project):
    checked = run_in(
        project, sys.executable, "manage.py", "check", "--fail-level", "WARNING"
    )
    assert checked.returncode == 0, checked.stderr
    migrations = run_in(
        project, sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"
    )
    assert migrations.returncode == 0, migrations.stdout + migrations.stderr


def test_the_projects_own_suite_passes(project):
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = run_in(
        project,
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        env=environment,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", result.stdout)
    assert " skipped" not in result.stdout.splitlines()[-1], result.stdout[-2000:]


def test_the_pre_commit_configuration_is_valid(project):
    result = run_in(
        project,
        *(sys.executable, "-m", "pre_commit", "validate-config"),
        ".pre-commit-config.yaml",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_django_templates_and_static_files_are_copied_byte_for_byte(project):
    sources = sorted(
        path
        for folder in ("templates", "*/templates", "static")
        for path in PROJECT_TEMPLATE_DIR.glob(f"{folder}/**/*.*")
    )
    assert len({source.parent.name for source in sources}) >= 4, sources
    for source in sources:
        relative = source.relative_to(PROJECT_TEMPLATE_DIR)
        assert (project / relative).read_bytes() == source.read_bytes(), relative


def test_the_tools_that_test_bakes_satisfy_the_projects_requirements(project):
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    requirements = pyproject["project"]["dependencies"]
    requirements += pyproject["project"]["optional-dependencies"]["dev"]
    for line in requirements:
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate():
            continue
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            pytest.fail(f"{requirement.name} is not installed for the template's tests")
        assert requirement.specifier.contains(installed, prereleases=True), line


LAYER_BACKENDS = {
    "in-memory": "realtime.memory_layer.MemoryChannelLayer",
    "redis": "channels_redis.core.RedisChannelLayer",
    "redis-pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}
REDIS_TEST_FILES = {
    "in-memory": set(),
    "redis": {"redis_server.py", "test_redis_layer.py"},
    "redis-pubsub": {"redis_server.py", "test_redis_pubsub_layer.py"},
}


@pytest.mark.parametrize("name", sorted(LAYER_BACKENDS))
def test_the_layer_matches_the_answer(baked, name):
    project = baked(name)
    text = (project / "config" / "channel_layer.py").read_text()
    assert f'"BACKEND": "{LAYER_BACKENDS[name]}"' in text
    assert sorted(
        path.name for path in (project / "config").glob("channel_layer*")
    ) == ["channel_layer.py"]
    tests = {path.name for path in (project / "tests").glob("*redis*")}
    assert tests == REDIS_TEST_FILES[name]
    uses_redis = name != "in-memory"
    assert ("channels-redis" in (project / "pyproject.toml").read_text()) == uses_redis
    assert ("REDIS_URL=" in (project / ".env.example").read_text()) == uses_redis


def test_every_setting_read_from_the_environment_is_documented(project):
    names = set()
    for path in project.rglob("*.py"):
        if "tests" in path.relative_to(project).parts:
            continue
        names |= set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', path.read_text()))
    example = (project / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z_]+)=", example, flags=re.MULTILINE))
    assert names
    assert names <= documented, names - documented
