"""Every named combination bakes into a project that passes its own gates."""

import os
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from tests.baking import COMBINATIONS, PROJECT_TEMPLATE_DIR, RUFF, run_in
from tests.test_ci_workflow import CI_BAKE

LEFTOVER = re.compile(r"\{[{%#][^}]*cookiecutter|cookiecutter\.")


@pytest.fixture(params=sorted(COMBINATIONS))
def project(request, baked, require_postgresql):
    if COMBINATIONS[request.param].get("database") == "postgresql":
        require_postgresql()
    return baked(request.param)


def uses_postgresql(project):
    return "psycopg" in (project / "pyproject.toml").read_text()


@pytest.fixture
def project_environment(project, request):
    """The environment for the bake's own commands: its settings, and for a
    PostgreSQL bake the template suite's private server (never the machine's)."""
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environment.pop("DATABASE_URL", None)
    if uses_postgresql(project):
        environment["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    return environment


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


def test_django_checks_and_migrations_are_clean(project, project_environment):
    checked = run_in(
        project,
        *(sys.executable, "manage.py", "check", "--fail-level", "WARNING"),
        env=project_environment,
    )
    assert checked.returncode == 0, checked.stderr
    migrations = run_in(
        project,
        *(sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"),
        env=project_environment,
    )
    assert migrations.returncode == 0, migrations.stdout + migrations.stderr
    # makemigrations checks the history on the database: it must have reached it.
    assert "Got an error checking a consistent migration history" not in (
        migrations.stderr
    )


def test_migrations_apply_to_the_chosen_database(project, project_environment):
    migrated = run_in(
        project,
        *(sys.executable, "manage.py", "migrate", "--no-input"),
        env={**project_environment, "DJANGO_DEBUG": "false"},
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    vendor = run_in(
        project,
        *(sys.executable, "manage.py", "shell", "-c"),
        "from django.db import connection; print(connection.vendor)",
        env=project_environment,
    )
    expected = "postgresql" if uses_postgresql(project) else "sqlite"
    assert vendor.stdout.strip().splitlines()[-1] == expected, vendor.stderr


# Two bakes' suites run elsewhere, each once: the default bake's in
# tests/test_readme.py, as the README's `make test` on this Python, in the
# virtualenv `make run` made, whose versions are this virtualenv's (both resolve
# the newest that the bake admits; see the test of the tools below); and the CI
# workflow's bake's in tests/test_ci_workflow.py, as its `make test` step on a
# second Python with the Django of its matrix entry (the suite runs once per
# Django/Python pair, as tests/test_versions.py says).
SUITE_RUN_HERE = sorted(set(COMBINATIONS) - {"in-memory", CI_BAKE})


@pytest.mark.parametrize("project", SUITE_RUN_HERE, indirect=True)
def test_the_projects_own_suite_passes(project):
    # No DATABASE_URL or TEST_REDIS_URL: the suite starts its own servers.
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "TEST_REDIS_URL"}
    }
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
    "in-memory": "realtime_kit.memory_layer.MemoryChannelLayer",
    "redis": "realtime_kit.redis_layer.RedisChannelLayer",
    "redis-pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}
REDIS_TEST_FILES = {
    "in-memory": set(),
    "redis": {"redis_server.py", "test_redis_servers.py"},
    "redis-pubsub": {"redis_server.py", "test_redis_servers.py"},
}
# Each bake holds only its own layer's kit module.
LAYER_KIT_FILES = {
    "in-memory": {"memory_layer.py"},
    "redis": {"redis_layer.py"},
    "redis-pubsub": set(),
}


@pytest.mark.parametrize("name", sorted(LAYER_BACKENDS))
def test_the_layer_matches_the_answer(baked, name):
    project = baked(name)
    answers = {"channel_layer": name} if name != "in-memory" else {}
    assert COMBINATIONS[name] == answers
    text = (project / "config" / "channel_layer.py").read_text()
    assert f'"BACKEND": "{LAYER_BACKENDS[name]}"' in text
    assert sorted(
        path.name for path in (project / "config").glob("channel_layer*")
    ) == ["channel_layer.py"]
    tests = {path.name for path in (project / "tests").glob("*redis*")}
    assert tests == REDIS_TEST_FILES[name]
    kit = {path.name for path in (project / "realtime_kit").glob("*_layer.py")}
    assert kit == LAYER_KIT_FILES[name]
    uses_redis = name != "in-memory"
    assert ("channels-redis" in (project / "pyproject.toml").read_text()) == uses_redis
    assert ("REDIS_URL=" in (project / ".env.example").read_text()) == uses_redis


DATABASE_FILES = {
    "sqlite": {"database.py", "test_static_files.py"},
    "postgresql": {
        "database.py",
        "postgres_server.py",
        "test_postgresql.py",
        "test_static_files.py",
    },
}


def workflow(project):
    return yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())


def test_the_database_and_the_ci_services_match_the_answers(project):
    database = "postgresql" if uses_postgresql(project) else "sqlite"
    settings = (project / "config" / "database.py").read_text()
    assert "dj_database_url.parse(" in settings
    assert ('DEFAULT_URL = "postgresql://' in settings) == (database == "postgresql")
    tests = {
        path.name
        for pattern in ("*database*", "*postgres*", "test_static_files.py")
        for path in (project / "tests").glob(pattern)
    }
    assert tests == DATABASE_FILES[database]
    assert [path.name for path in (project / "config").glob("database*")] == [
        "database.py"
    ]
    assert [path.name for path in (project / ".github" / "workflows").iterdir()] == [
        "ci.yml"
    ]
    uses_redis = "channels-redis" in (project / "pyproject.toml").read_text()
    job = workflow(project)["jobs"]["test"]
    services, variables = set(), {"DJANGO_SECRET_KEY"}
    if database == "postgresql":
        services.add("postgres")
        variables.add("DATABASE_URL")
    if uses_redis:
        services.add("redis")
        variables.add("TEST_REDIS_URL")
    assert set(job.get("services", {})) == services
    assert set(job["env"]) == variables
    # Copied without rendering: GitHub's ${{ }} expressions arrive as written.
    sources = PROJECT_TEMPLATE_DIR.glob(".github/workflows/ci_*.yml")
    baked_workflow = (project / ".github" / "workflows" / "ci.yml").read_bytes()
    assert baked_workflow in {source.read_bytes() for source in sources}
    assert b"${{ matrix.python-version }}" in baked_workflow


ACTIONLINT = str(Path(sys.executable).parent / "actionlint")


def test_actionlint_passes_the_ci_workflow(project):
    workflow_file = ".github/workflows/ci.yml"
    result = run_in(project, ACTIONLINT, "-no-color", workflow_file, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    # It really checked the file: a broken copy fails.
    broken = project.parent / "broken-workflow"
    (broken / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    text = (project / ".github" / "workflows" / "ci.yml").read_text()
    (broken / ".github" / "workflows" / "ci.yml").write_text(
        text.replace("runs-on:", "runs-onn:")
    )
    failed = run_in(broken, ACTIONLINT, "-no-color", workflow_file, timeout=60)
    assert failed.returncode == 1 and "runs-onn" in failed.stdout, failed.stdout


def settings_table(project):
    readme = (project / "docs" / "settings.md").read_text()
    table = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    return {
        name
        for row in table.splitlines()
        if row.startswith("| `")
        for name in re.findall(r"`([A-Z][A-Z_]+)`", row.split("|")[1])
    }


def test_every_setting_read_from_the_environment_is_documented(project):
    names = set()
    for path in project.rglob("*.py"):
        if "tests" in path.relative_to(project).parts:
            continue
        names |= set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', path.read_text()))
    example = (project / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z_]+)=", example, flags=re.MULTILINE))
    assert {"DATABASE_URL", "DJANGO_HSTS_PRELOAD", "DJANGO_STATIC_ROOT"} <= names
    assert names <= documented, names - documented
    # The README's settings table lists the same variables, and the file that
    # names another .env.
    assert settings_table(project) == documented | {"DJANGO_ENV_FILE"}


ORDINARY_TEST = '''\
"""A test module as people write them: a docstring longer than the line length allows, by a few words."""


def test_unpacking():
    status, reason = divmod(200, 1)
    assert status == 200, "a long message that no formatter can wrap, however much it tries to"
'''


def test_make_format_leaves_ordinary_code_lint_clean(project):
    """A long docstring or string, an unused unpacked name: `make format`'s tools
    leave them, so `make lint` must accept them."""
    (project / "tests" / "test_ordinary.py").write_text(ORDINARY_TEST)
    try:
        for command in ("format", "check --fix", "check"):
            result = run_in(project, *RUFF, *command.split(), "tests/test_ordinary.py")
            assert result.returncode == 0, (command, result.stdout)
    finally:
        (project / "tests" / "test_ordinary.py").unlink()
