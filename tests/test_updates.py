"""Projects stay current: `cruft update` from a local clone of this repository, offline.

A clone at HEAD is baked twice, with `cruft create` and with plain cookiecutter
(whose post-gen hook writes .cruft.json); each bake becomes a git repository
and is changed as a user would. A new template commit in the clone then changes
the kit, a sample, the settings and .env.example: `cruft update -y` (the README's
command) must take it with no conflict and keep the user's edits. A second
commit changes a line the user changed too: the update must report the conflict
and keep both sides.
"""

import json
import os
import subprocess
import sys
import time

import pytest

from tests.baking import TEMPLATE_DIR

SAMPLE = "{{cookiecutter.project_slug}}"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}
# The user's edits, each (file, line before, line after).
USER_EDITS = [
    ("config/settings.py", 'TIME_ZONE = "UTC"', 'TIME_ZONE = "Europe/Paris"'),
    (
        "config/settings.py",
        '    "notifications",\n]',
        '    "notifications",\n    "shop",\n]',
    ),
    (
        "echo/consumers.py",
        '"""A synchronous consumer: its handlers run in a worker thread',
        '"""Our echo, a synchronous consumer: its handlers run in a worker thread',
    ),
]
# The template's next commit, each (file under the template, before, after).
TEMPLATE_CHANGES = [
    ("realtime_kit/__init__.py", '__version__ = "1.1.1"', '__version__ = "1.1.2"'),
    (
        "realtime_kit/close_codes.py",
        "INTERNAL_ERROR = 4011  # RFC 6455 1011: the channel layer failed",
        "INTERNAL_ERROR = 4011  # RFC 6455 1011: the channel layer or database failed",
    ),
    (
        "chat/consumers.py",
        '"""Chat rooms on channel-layer groups, as in the Channels tutorial (part 3).',
        '"""Chat rooms on channel-layer groups, after the Channels tutorial (part 3).',
    ),
    (
        "config/settings.py",
        'CHAT_MAX_MESSAGE_LENGTH = env_number("CHAT_MAX_MESSAGE_LENGTH", 2000)',
        'CHAT_MAX_MESSAGE_LENGTH = env_number("CHAT_MAX_MESSAGE_LENGTH", 2000)\n'
        'CHAT_HISTORY_LENGTH = env_number("CHAT_HISTORY_LENGTH", 50)',
    ),
    (
        ".env.example",
        "CHAT_MAX_MESSAGE_LENGTH=2000",
        "CHAT_MAX_MESSAGE_LENGTH=2000\n"
        "# Chat messages a newcomer to a room is shown.\nCHAT_HISTORY_LENGTH=50",
    ),
]
TAKEN_FILES = {
    "realtime_kit/__init__.py",
    "realtime_kit/close_codes.py",
    "chat/consumers.py",
    "config/settings.py",
    ".env.example",
    ".cruft.json",
}
# The conflicting commit: the line the user changed, changed differently.
TEMPLATE_CONFLICT = (
    "echo/consumers.py",
    '"""A synchronous consumer: its handlers run in a worker thread',
    '"""A sync consumer: Channels runs its handlers in a worker thread',
)


def run(*command, cwd, check=True, timeout=300, env=None):
    environment = {**os.environ, **GIT_IDENTITY, **(env or {})}
    for name in ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "TEST_REDIS_URL"):
        environment.pop(name, None)
    result = subprocess.run(
        command,
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check:
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


def cruft(*args, cwd):
    return run(sys.executable, "-m", "cruft", *args, cwd=cwd, check=False)


def replace(path, before, after):
    text = path.read_text(encoding="utf-8")
    assert text.count(before) == 1, f"{before!r} is not once in {path}"
    path.write_text(text.replace(before, after), encoding="utf-8")


def commit_all(directory, message):
    run("git", "add", "-A", cwd=directory)
    run("git", "commit", "--quiet", "-m", message, cwd=directory)
    return run("git", "rev-parse", "HEAD", cwd=directory).stdout.strip()


def changed_files(project):
    """{path: status} of the working tree against the last commit."""
    status = run("git", "status", "--porcelain", "-uall", cwd=project).stdout
    return {line[3:]: line[:2].strip() for line in status.splitlines()}


@pytest.fixture(scope="module")
def template_clone(tmp_path_factory):
    """A clone of this repository at HEAD: the template users bake from."""
    clone = tmp_path_factory.mktemp("template") / "channels-starter"
    run("git", "clone", "--quiet", str(TEMPLATE_DIR), str(clone), cwd=TEMPLATE_DIR)
    return clone


@pytest.fixture(scope="module")
def bakes(template_clone, tmp_path_factory):
    """{"cruft": project, "cookiecutter": project}, each a git repository."""
    made_by_cruft = tmp_path_factory.mktemp("cruft-bake")
    created = cruft(
        "create", str(template_clone), "--no-input", "--output-dir", str(made_by_cruft),
        cwd=made_by_cruft,
    )  # fmt: skip
    assert created.returncode == 0, created.stdout + created.stderr
    made_by_cookiecutter = tmp_path_factory.mktemp("cookiecutter-bake")
    run(
        sys.executable, "-m", "cookiecutter", str(template_clone), "--no-input",
        "-o", str(made_by_cookiecutter), cwd=made_by_cookiecutter,
    )  # fmt: skip
    projects = {
        "cruft": made_by_cruft / "realtime_app",
        "cookiecutter": made_by_cookiecutter / "realtime_app",
    }
    for project in projects.values():
        run("git", "init", "--quiet", cwd=project)
        commit_all(project, "Baked")
    return projects


def test_both_bakes_record_where_they_came_from(template_clone, bakes):
    head = run("git", "rev-parse", "HEAD", cwd=template_clone).stdout.strip()
    states = {}
    for made_by, project in bakes.items():
        state = json.loads((project / ".cruft.json").read_text())
        print(f"\n.cruft.json written by {made_by}:\n{json.dumps(state, indent=2)}")
        assert state["template"] == str(template_clone)
        assert state["commit"] == head
        assert state["context"]["cookiecutter"]["_commit"] == head
        assert "note" not in state
        states[made_by] = state
    answers = {
        made_by: {
            key: value
            for key, value in state["context"]["cookiecutter"].items()
            if not key.startswith("_")
        }
        for made_by, state in states.items()
    }
    assert answers["cruft"] == answers["cookiecutter"]
    version = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())[
        "_template_version"
    ]
    for state in states.values():
        assert state["context"]["cookiecutter"]["_template_version"] == version
    for project in bakes.values():
        checked = cruft("check", cwd=project)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        diff = cruft("diff", "--exit-code", cwd=project)
        assert diff.returncode == 0, "a fresh bake differs:\n" + diff.stdout


def test_updates_keep_the_users_edits_and_report_conflicts(template_clone, bakes):
    for project in bakes.values():
        (project / "shop").mkdir()
        (project / "shop" / "__init__.py").write_text("")
        (project / "shop" / "apps.py").write_text(
            "from django.apps import AppConfig\n\n\n"
            "class ShopConfig(AppConfig):\n    name = 'shop'\n"
        )
        for path, before, after in USER_EDITS:
            replace(project / path, before, after)
        commit_all(project, "The user's own changes")

    for path, before, after in TEMPLATE_CHANGES:
        replace(template_clone / SAMPLE / path, before, after)
    new_commit = commit_all(template_clone, "Kit 1.1.2, a chat setting")

    for made_by, project in bakes.items():
        behind = cruft("check", cwd=project)
        assert behind.returncode == 1, behind.stdout
        # `cruft diff`: how the project departs from the template it came from.
        diff = cruft("diff", cwd=project)
        assert diff.stdout.startswith("diff --git"), diff.stdout
        assert '-TIME_ZONE = "Europe/Paris"\n+TIME_ZONE = "UTC"' in diff.stdout

        updated = cruft("update", "-y", cwd=project)
        changed = changed_files(project)
        print(f"\ncruft update -y on the {made_by} bake: exit {updated.returncode}")
        print(f"  files changed: {sorted(changed)}")
        rejects = sorted(project.rglob("*.rej"))
        print(f"  conflicts: {rejects or 'none'}")
        assert updated.returncode == 0, updated.stdout + updated.stderr
        assert set(changed) == TAKEN_FILES, updated.stdout + updated.stderr
        assert not rejects
        for path in TAKEN_FILES:
            assert "<<<<<<<" not in (project / path).read_text(encoding="utf-8")
        for path, _, after in [*USER_EDITS, *TEMPLATE_CHANGES]:
            assert after in (project / path).read_text(encoding="utf-8"), path
        state = json.loads((project / ".cruft.json").read_text())
        assert state["commit"] == new_commit
        assert cruft("check", cwd=project).returncode == 0
        commit_all(project, "cruft update: kit 1.1.2")

    project = bakes["cookiecutter"]
    kit = run(
        sys.executable, "-c", "import realtime_kit; print(realtime_kit.__version__)",
        cwd=project,
    )  # fmt: skip
    assert kit.stdout.strip() == "1.1.2"
    run(sys.executable, "manage.py", "check", cwd=project)
    started = time.monotonic()
    suite = run(
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        cwd=project, check=False, timeout=900,
    )  # fmt: skip
    summary = suite.stdout.strip().splitlines()[-1:]
    print(
        f"\nthe updated bake's suite: {summary} in {time.monotonic() - started:.0f} s"
    )
    assert suite.returncode == 0, suite.stdout[-6000:] + suite.stderr[-3000:]

    path, before, after = TEMPLATE_CONFLICT
    replace(template_clone / SAMPLE / path, before, after)
    commit_all(template_clone, "Echo's docstring reworded")
    conflicted = cruft("update", "-y", cwd=project)
    output = conflicted.stdout + conflicted.stderr
    changed = changed_files(project)
    rejects = sorted(project.rglob("*.rej"))
    text = (project / path).read_text(encoding="utf-8")
    print(f"\ncruft update -y over the user's line: exit {conflicted.returncode}")
    print(f"  files changed: {changed}")
    print(f"  conflicts: {rejects or [p for p in changed if changed[p] == 'UU']}")
    print("  " + "\n  ".join(output.strip().splitlines()))
    print(text[text.find("<<<<<<<") : text.find(">>>>>>>")].rstrip())
    # Reported: cruft exits 0 ("Good work!") but passes on git's own words,
    # and the file is left unmerged (or, without git's three-way merge, a .rej).
    assert "with conflicts" in output or rejects or conflicted.returncode != 0
    assert changed.get(path) == "UU" or rejects
    # Neither side lost: the user's line stays; the template's is beside it.
    user_line = USER_EDITS[2][2]
    assert user_line in text
    template_side = text + "".join(r.read_text() for r in rejects)
    assert after in template_side


def test_the_kits_version_is_one_command_away(baked):
    project = baked("in-memory")
    printed = run(
        sys.executable, "-c", "import realtime_kit; print(realtime_kit.__version__)",
        cwd=project,
    ).stdout.strip()  # fmt: skip
    changelog = (project / "realtime_kit" / "CHANGELOG.md").read_text()
    newest = next(line for line in changelog.splitlines() if line.startswith("## "))
    assert newest == f"## {printed}"
    readme = (project / "README.md").read_text()
    assert 'python -c "import realtime_kit; print(realtime_kit.__version__)"' in readme


def test_a_bake_of_a_copy_that_is_not_git_says_so(template_clone, tmp_path):
    """A zip or a copy has no commit: .cruft.json says what to set instead."""
    copy = tmp_path / "channels-starter-copy"
    copy.mkdir()
    archive = tmp_path / "template.tar"
    run("git", "archive", "-o", str(archive), "HEAD", cwd=template_clone)
    run("tar", "-x", "-f", str(archive), "-C", str(copy), cwd=tmp_path)
    # Typed relative to the shell's directory, as `cookiecutter channels-starter-copy`.
    run(
        sys.executable, "-m", "cookiecutter", copy.name, "--no-input", "-o", "out",
        cwd=tmp_path, env={"PWD": str(tmp_path)},
    )  # fmt: skip
    state = json.loads((tmp_path / "out/realtime_app/.cruft.json").read_text())
    print(f"\n.cruft.json of a bake from a copy:\n{json.dumps(state, indent=2)}")
    assert state["template"] == str(copy)
    assert state["commit"] is None
    assert "not a git checkout" in state["note"] and "v3.0.0" in state["note"]


def test_the_readme_documents_the_update_tested_here(baked):
    readme = (baked("in-memory") / "README.md").read_text()
    section = readme.split("## Update your project\n")[1].split("\n## ")[0]
    for words in [
        ".venv/bin/cruft check",
        ".venv/bin/cruft diff",
        ".venv/bin/cruft update",
        "`cruft update -y`",
        "with conflicts",
        "both modified",
        ".rej",
        "realtime_kit/",
        ".env.example",
        "docs/upgrading.md",
    ]:
        assert words in section, words
    assert (baked("in-memory") / "docs" / "upgrading.md").exists()
