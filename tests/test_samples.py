"""The baked README's walkthroughs, on fresh bakes: add an app, remove each sample."""

import re
import shlex
import subprocess
import sys

from tests.baking import RUFF, bake, run_in

BLOCK = re.compile(r"```(\w+)(?: file=(\S+))?\n(.*?)```", flags=re.DOTALL)


def section(readme, title):
    return readme.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def apply_diff(path, diff):
    """Insert a diff block's + lines after its first context line."""
    context = [line[1:] for line in diff.splitlines() if not line.startswith("+")]
    added = [line[1:] for line in diff.splitlines() if line.startswith("+")]
    lines = path.read_text().splitlines()
    at = lines.index(context[0]) + 1
    lines[at:at] = added
    following = lines[at + len(added) : at + len(added) + len(context) - 1]
    assert following == context[1:], (path, diff)
    path.write_text("\n".join(lines) + "\n")


def assert_gates_pass(project, *test_paths):
    for command in (
        (*RUFF, "check", "."),
        (*RUFF, "format", "--check", "."),
        (sys.executable, "manage.py", "check", "--fail-level", "WARNING"),
        (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *test_paths),
    ):
        result = run_in(project, *command)
        assert result.returncode == 0, (command, result.stdout[-3000:], result.stderr)
    return result.stdout


def test_adding_an_app_as_the_readme_says(tmp_path):
    """The whole walkthrough: every block run or written as the README says, then
    the gates and the new app's tests; the page is served and linked."""
    project = bake(tmp_path)
    steps = BLOCK.findall(
        section((project / "docs" / "add-an-app.md").read_text(), "Add your own app")
    )
    kinds = [kind for kind, _, _ in steps]
    assert kinds[0] == "sh" and kinds[-1] == "sh"
    assert kinds.count("diff") == 5 and "html" in kinds
    for kind, file, body in steps:
        if kind == "sh":
            # .venv/bin/python is the project's venv: this suite's interpreter here.
            command = body.replace(".venv/bin/python", shlex.quote(sys.executable))
            subprocess.run(["bash", "-c", command], cwd=project, check=True)
        elif kind == "diff":
            apply_diff(project / file, body)
        else:
            (project / file).write_text(body)
    written = {file for _, file, _ in steps if file}
    assert {"poll/models.py", "poll/consumers.py", "poll/views.py"} <= written
    assert "poll/templates/poll/index.html" in written
    assert list((project / "poll" / "migrations").glob("0001_*.py"))
    output = assert_gates_pass(project, "poll")
    assert "2 passed" in output
    page = run_in(
        project,
        sys.executable,
        "-c",
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.settings';"
        "django.setup(); from django.test.utils import setup_test_environment;"
        "setup_test_environment(); from django.test import Client;"
        "from django.core.management import call_command;"
        "call_command('migrate', verbosity=0);"
        "r = Client().get('/poll/'); print(r.status_code);"
        "print(b'reconnectingSocket(' in r.content, b'href=\"/poll/\"' in r.content);"
        # The Content-Security-Policy runs only scripts that carry its nonce.
        "import re; tags = re.findall(rb'<script[^>]*>', r.content);"
        "print(bool(tags) and all(b'nonce=' in tag for tag in tags))",
    )
    assert page.stdout.split() == ["200", "True", "True", "True"], page.stderr[-2000:]


# What the README's "Remove a sample" table says to delete, as line filters.
SAMPLE_LINES = {
    "config/settings.py": lambda app, line: line.strip() == f'"{app}",',
    "config/routing.py": lambda app, line: f"{app}_routing" in line,
    "config/urls.py": lambda app, line: f'include("{app}.urls")' in line,
    "templates/base.html": lambda app, line: f"'{app}:" in line,
    "templates/home.html": lambda app, line: f"'{app}:" in line,
}


# Removed in this order from one bake, each on top of the last: the samples with
# the longest tests first, so that each run of what is left is shorter.
SAMPLES = ["tasks", "chat", "notifications", "echo"]


def names_of(sample):
    """What code or a template would hold to use `sample`: an import, a dotted
    path ("chat.consumers"), a URL namespace ("chat:room"), a template ("chat/")."""
    return re.compile(
        rf"^\s*(?:from|import)\s+{sample}\b|[\"']{sample}[.:/]\w", flags=re.MULTILINE
    )


def test_no_sample_names_another(tmp_path):
    """Each sample stands alone, as the README's table says: removing them one
    after another (below) then proves each removal alone."""
    project = bake(tmp_path)
    for sample in SAMPLES:
        files = [
            path
            for path in (project / sample).rglob("*")
            if path.suffix in {".py", ".html", ".js"}
        ]
        assert files, sample
        for other in set(SAMPLES) - {sample}:
            for path in files:
                found = names_of(other).search(path.read_text())
                assert not found, (path.relative_to(project), found.group())
    # The pattern finds what it looks for.
    assert names_of("chat").search('from chat.rooms import x\nurl("chat:room")')
    assert names_of("chat").search('{% include "chat/room.html" %}')
    assert not names_of("chat").search("a chat room, a chatty socket")


def test_removing_the_samples_as_the_readme_says(tmp_path):
    """Each sample removed as the README's table says, one after another from one
    bake: after each removal the gates pass and every test left passes."""
    project = bake(tmp_path)
    table = section((project / "README.md").read_text(), "Remove a sample")
    assert "`make format`" in table  # ruff format, then ruff check --fix:
    for removed, app in enumerate(SAMPLES, 1):
        print(f"removing {app}, after {SAMPLES[: removed - 1]}")  # shown on failure
        assert f"| {app} | `{app}/` |" in table
        subprocess.run(["rm", "-r", app], cwd=project, check=True)
        for name, belongs_to_app in SAMPLE_LINES.items():
            path = project / name
            lines = path.read_text().splitlines(keepends=True)
            path.write_text(
                "".join(line for line in lines if not belongs_to_app(app, line))
            )
        for command in ((*RUFF, "format", "."), (*RUFF, "check", "--fix", ".")):
            assert run_in(project, *command).returncode == 0, (app, command)
        output = assert_gates_pass(project)
        assert re.search(r"\b\d+ passed\b", output), (app, output[-2000:])
        print(f"  {output.strip().splitlines()[-1]}")
