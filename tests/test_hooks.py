"""The hooks: bad answers stop generation with one clear line and leave nothing."""

import importlib.util
import itertools
import json
import os
import shlex
import stat
import subprocess
import sys
import tomllib

import pytest

from tests.baking import (
    PROJECT_TEMPLATE_DIR,
    RUFF,
    TEMPLATE_DIR,
    bake,
    bake_cli,
    run_in,
)


def load_hook(name):
    spec = importlib.util.spec_from_file_location(
        name, TEMPLATE_DIR / "hooks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre_gen = load_hook("pre_gen_project")
post_gen = load_hook("post_gen_project")


@pytest.mark.parametrize(
    ("slug", "rule"),
    [
        ("My-Project", "lowercase Python identifier"),
        ("1chat", "lowercase Python identifier"),
        ("chat app", "lowercase Python identifier"),
        ("class", "lowercase Python identifier"),
        ("caf\u00e9", "lowercase Python identifier"),
        ("django", "would shadow"),
        ("channels", "would shadow"),
        ("daphne", "would shadow"),
        ("test", "would shadow"),
        ("config", "would shadow"),
        ("realtime", "would shadow"),
        ("chat", "would shadow"),
        ("tasks", "would shadow"),
        ("asyncio", "would shadow"),
    ],
)
def test_bad_slugs_are_refused_with_the_rule(slug, rule):
    [error] = pre_gen.slug_errors(slug)
    assert repr(slug) in error
    assert rule in error


@pytest.mark.parametrize("slug", ["chatroom", "my_project2", "_private"])
def test_good_slugs_pass(slug):
    assert pre_gen.slug_errors(slug) == []


def test_a_bad_slug_stops_the_bake_with_one_clear_line_and_leaves_nothing(tmp_path):
    result = bake_cli(tmp_path, "project_slug=Bad-Slug")
    assert result.returncode != 0
    first_line = result.stderr.strip().splitlines()[0]
    assert first_line.startswith("ERROR: project_slug 'Bad-Slug' must be")
    assert list(tmp_path.iterdir()) == []


def test_a_bad_email_stops_the_bake(tmp_path):
    result = bake_cli(tmp_path, "author_email=nobody")
    assert result.returncode != 0
    assert "author_email 'nobody' is not an email address" in result.stderr
    assert list(tmp_path.iterdir()) == []


def bake_cli_with_replays_in(tmp_path, *arguments):
    """The cookiecutter command, its replay files in tmp_path/replay (not ~)."""
    config = tmp_path / "cookiecutterrc.yaml"
    config.write_text(
        f"replay_dir: {tmp_path / 'replay'}\n"
        f"cookiecutters_dir: {tmp_path / 'cookiecutters'}\n"
    )
    return subprocess.run(
        [sys.executable, "-m", "cookiecutter", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COOKIECUTTER_CONFIG": str(config)},
    )


def test_a_bad_answer_names_the_rule_and_a_rerun_that_keeps_every_answer(tmp_path):
    out = tmp_path / "out"
    answers = ["project_name=Ada's Chat", "channel_layer=redis", "author_email=nobody"]
    result = bake_cli_with_replays_in(
        tmp_path, str(TEMPLATE_DIR), "--no-input", "-o", str(out), *answers
    )
    assert result.returncode != 0
    assert not out.exists() or list(out.iterdir()) == []
    lines = result.stderr.splitlines()
    # The hook's lines come first: the answer and its rule, then how to re-run.
    assert lines[0] == (
        "ERROR: author_email 'nobody' is not an email address "
        "(one @, text on both sides, no spaces)."
    )
    assert lines[1].startswith("Nothing was generated. To run again")
    [rerun] = [line.strip() for line in lines if " --no-input " in line]
    replay = tmp_path / "replay" / f"{TEMPLATE_DIR.name}.json"
    assert f"fix it in {replay} " in result.stderr
    assert f"cookiecutter --replay-file {replay} {TEMPLATE_DIR}" in result.stderr
    # cookiecutter's traceback comes after all of them, never between.
    advice_end = next(i for i, line in enumerate(lines) if "traceback follows" in line)
    assert not any("Traceback" in line for line in lines[: advice_end + 1])

    # The printed command, with only the bad answer fixed, bakes the other answers.
    command = shlex.split(rerun)
    assert command[:2] == ["cookiecutter", str(TEMPLATE_DIR)]
    command = [
        "author_email=ada@example.com" if word == "author_email=nobody" else word
        for word in command[1:]
    ]
    fixed = bake_cli_with_replays_in(tmp_path, *command)
    assert fixed.returncode == 0, fixed.stderr
    project = out / "ada_s_chat"
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["authors"][0]["email"] == "ada@example.com"
    assert (project / "config" / "channel_layer.py").read_text().count("redis") > 0


def test_the_replay_file_reruns_once_the_bad_answer_is_fixed(tmp_path):
    """cookiecutter saves the answers before the hooks run: `--replay-file` reuses them."""
    out = tmp_path / "out"
    failed = bake_cli_with_replays_in(
        tmp_path,
        str(TEMPLATE_DIR),
        "--no-input",
        "-o",
        str(out),
        "project_name=Replayed",
        "author_email=nobody",
    )
    assert failed.returncode != 0
    replay = tmp_path / "replay" / f"{TEMPLATE_DIR.name}.json"
    saved = json.loads(replay.read_text())
    assert saved["cookiecutter"]["author_email"] == "nobody"
    saved["cookiecutter"]["author_email"] = "ada@example.com"
    replay.write_text(json.dumps(saved))
    result = bake_cli_with_replays_in(
        tmp_path, "--replay-file", str(replay), str(TEMPLATE_DIR), "-o", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert (out / "replayed" / "manage.py").is_file()


def test_every_optional_file_in_the_table_exists_in_the_template():
    for _, files in post_gen.OPTION_FILES:
        for source in files:
            assert (PROJECT_TEMPLATE_DIR / source).is_file(), source


def choices():
    """{option: its answers} for every prompt that offers a list."""
    context = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
    return {
        option: answers
        for option, answers in context.items()
        if isinstance(answers, list) and not option.startswith("_")
    }


def every_answer_set():
    options = choices()
    return [
        dict(zip(options, values, strict=True))
        for values in itertools.product(*options.values())
    ]


def test_every_row_names_real_options_and_answers():
    options = choices()
    assert set(options) == {"channel_layer", "database"}
    for conditions, _ in post_gen.OPTION_FILES:
        for option, allowed in conditions.items():
            assert allowed <= set(options[option]), (option, allowed)


@pytest.mark.parametrize(
    "answers", every_answer_set(), ids=lambda answers: "-".join(answers.values())
)
def test_only_the_chosen_files_are_kept_under_their_final_names(tmp_path, answers):
    for _, files in post_gen.OPTION_FILES:
        for source in files:
            (tmp_path / source).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / source).write_text(source)
    post_gen.apply_options(tmp_path, answers)
    left = {
        str(path.relative_to(tmp_path)): path.read_text()
        for path in tmp_path.rglob("*")
        if path.is_file()
    }
    kept = post_gen.kept_files(answers)
    assert left == {target: source for source, target in kept.items()}
    # Each answer set gets one file for each final name that any answers need.
    targets = {
        target for _, files in post_gen.OPTION_FILES for target in files.values()
    }
    always = {"config/channel_layer.py", "config/database.py", "tests/settings.py"}
    always |= {"tests/database.py", ".github/workflows/ci.yml", "chat/presence.py"}
    assert always <= set(left) <= targets
    assert len(kept) == len(set(kept.values()))


def test_a_choice_outside_the_list_stops_the_bake_and_leaves_nothing(tmp_path):
    result = bake_cli(tmp_path, "database=mysql")
    assert result.returncode != 0
    assert "mysql" in result.stderr.strip().splitlines()[-1]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "name",
    [
        'The "Quoted" Chat',
        "Ada's Chat",
        "Back\\slash Chat",
        "Caf\u00e9 \u00dcber \u65e5\u672c",
    ],
    ids=["quotes", "apostrophe", "backslash", "non-ascii"],
)
def test_awkward_project_names_bake_into_valid_python_and_toml(tmp_path, name):
    project = bake(
        tmp_path,
        project_name=name,
        project_slug="awkward",
        description=f"About {name}",
        author_name=name,
    )
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == f"About {name}"
    assert pyproject["project"]["authors"][0]["name"] == name
    printed = run_in(
        project,
        sys.executable,
        "-c",
        "import os; os.environ['DJANGO_SECRET_KEY'] = 'x' * 50;"
        "from config import settings; print(settings.PROJECT_NAME)",
    )
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.strip() == name
    assert run_in(project, *RUFF, "check", ".").returncode == 0


def test_the_slug_derived_from_a_non_ascii_name_is_an_identifier(tmp_path):
    project = bake(tmp_path, project_name="Caf\u00e9 Chat!")
    assert project.name == "cafe_chat"


def test_the_env_file_gets_a_fresh_secret_and_stays_private(tmp_path):
    first = bake(tmp_path / "one")
    second = bake(tmp_path / "two")
    secrets = []
    for project in (first, second):
        env_file = project / ".env"
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
        [line] = [
            line
            for line in env_file.read_text().splitlines()
            if line.startswith("DJANGO_SECRET_KEY=")
        ]
        secrets.append(line.split("=", 1)[1])
        assert ".env" in (project / ".gitignore").read_text().splitlines()
        example = (project / ".env.example").read_text()
        assert "DJANGO_SECRET_KEY=\n" in example
    assert len(secrets[0]) >= 50
    assert secrets[0] != secrets[1]


def cruft_context(repo_dir, template):
    return {
        "project_slug": "realtime_app",
        "_template": template,
        "_repo_dir": str(repo_dir),
        "_output_dir": "/somewhere",
        "_checkout": None,
        "_template_version": "3.0.0",
    }


def git_repository(directory):
    identity = ["-c", "user.name=T", "-c", "user.email=t@example.com"]
    run_in(directory, "git", "init", "--quiet")
    (directory / "cookiecutter.json").write_text("{}")
    run_in(directory, "git", "add", "-A")
    run_in(directory, "git", *identity, "commit", "--quiet", "-m", "template")
    return run_in(directory, "git", "rev-parse", "HEAD").stdout.strip()


def test_cruft_state_of_a_local_checkout_relative_to_the_shell(tmp_path):
    template = tmp_path / "templates" / "channels-starter"
    template.mkdir(parents=True)
    commit = git_repository(template)
    context = cruft_context("channels-starter", "channels-starter")
    state = post_gen.cruft_state(context, tmp_path / "templates")
    assert state["template"] == str(template)
    assert state["commit"] == commit
    assert state["directory"] is None
    answers = state["context"]["cookiecutter"]
    assert answers["_commit"] == commit and answers["_template"] == str(template)
    assert not {"_repo_dir", "_output_dir", "_checkout"} & set(answers)
    assert "note" not in state
    (template / "cookiecutter.json").write_text('{"changed": 1}')
    assert (
        "uncommitted" in post_gen.cruft_state(context, tmp_path / "templates")["note"]
    )


def test_cruft_state_of_a_remote_template_keeps_its_address(tmp_path):
    clone = tmp_path / "clone"
    clone.mkdir()
    commit = git_repository(clone)
    state = post_gen.cruft_state(cruft_context(clone, "gh:owner/channels-starter"), "/")
    assert state["template"] == "https://github.com/owner/channels-starter.git"
    assert state["commit"] == commit


def test_cruft_state_without_git_says_the_commit_is_unknown(tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    state = post_gen.cruft_state(cruft_context(copy, str(copy)), "/")
    assert state["commit"] is None
    assert state["template"] == str(copy)
    assert "v3.0.0" in state["note"] and "commit" in state["note"]
    # A copy inside another repository is no checkout of the template either.
    git_repository(tmp_path)
    (tmp_path / "copy" / "cookiecutter.json").write_text("{}")
    state = post_gen.cruft_state(cruft_context(copy, str(copy)), "/")
    assert state["commit"] is None


def test_under_cruft_the_hook_writes_crufts_own_values():
    context = {
        "project_slug": "x",
        "_template": "https://e.org/t.git",
        "_commit": "abc",
    }
    state = post_gen.cruft_state(context, "/")
    assert (state["template"], state["commit"]) == ("https://e.org/t.git", "abc")
