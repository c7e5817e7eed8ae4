"""Finish the baked project: keep the files the chosen options need, write a local .env
and .cruft.json (where the project came from, for `cruft update`).

Runs inside the generated project directory, offline. The logic is plain
functions so that the template's tests can import and exercise it.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

# The files only some answers keep, each with the name it is kept under: a row
# applies when every option it names has one of the listed answers. Files no
# applying row keeps are deleted; every other file is kept as it is.
REDIS_LAYERS = {"redis", "redis-pubsub"}
OPTION_FILES = [
    (
        {"channel_layer": {"in-memory"}},
        {
            "config/channel_layer_in_memory.py": "config/channel_layer.py",
            "realtime_kit/memory_layer.py": "realtime_kit/memory_layer.py",
            "tests/settings_in_memory.py": "tests/settings.py",
            "deploy/compose_in_memory.yaml": "compose.yaml",
            "chat/presence_memory.py": "chat/presence.py",
        },
    ),
    (
        {"channel_layer": {"redis"}},
        {
            "config/channel_layer_redis.py": "config/channel_layer.py",
            "realtime_kit/redis_layer.py": "realtime_kit/redis_layer.py",
            "deploy/compose_redis.yaml": "compose.yaml",
        },
    ),
    (
        {"channel_layer": {"redis-pubsub"}},
        {
            "config/channel_layer_redis_pubsub.py": "config/channel_layer.py",
            "deploy/compose_redis_pubsub.yaml": "compose.yaml",
        },
    ),
    (
        {"channel_layer": REDIS_LAYERS},
        {
            "config/redis_servers.py": "config/redis_servers.py",
            "config/apps_redis.py": "config/apps.py",
            "config/checks_redis.py": "config/checks.py",
            "tests/settings_redis.py": "tests/settings.py",
            "tests/redis_server.py": "tests/redis_server.py",
            "tests/test_redis_servers.py": "tests/test_redis_servers.py",
            "docs/scaling-out.md": "docs/scaling-out.md",
            "chat/presence_redis.py": "chat/presence.py",
            "chat/tests/test_presence_outage.py": "chat/tests/test_presence_outage.py",
        },
    ),
    (
        {"database": {"sqlite"}},
        {
            "config/database_sqlite.py": "config/database.py",
            "tests/database_sqlite.py": "tests/database.py",
        },
    ),
    (
        {"database": {"postgresql"}},
        {
            "config/database_postgresql.py": "config/database.py",
            "tests/database_postgresql.py": "tests/database.py",
            "tests/postgres_server.py": "tests/postgres_server.py",
            "tests/test_postgresql.py": "tests/test_postgresql.py",
        },
    ),
    # The CI workflow's services: what the two options need, together.
    (
        {"database": {"sqlite"}, "channel_layer": {"in-memory"}},
        {".github/workflows/ci_plain.yml": ".github/workflows/ci.yml"},
    ),
    (
        {"database": {"sqlite"}, "channel_layer": REDIS_LAYERS},
        {".github/workflows/ci_redis.yml": ".github/workflows/ci.yml"},
    ),
    (
        {"database": {"postgresql"}, "channel_layer": {"in-memory"}},
        {".github/workflows/ci_postgresql.yml": ".github/workflows/ci.yml"},
    ),
    (
        {"database": {"postgresql"}, "channel_layer": REDIS_LAYERS},
        {".github/workflows/ci_postgresql_redis.yml": ".github/workflows/ci.yml"},
    ),
]


def kept_files(answers):
    """{source: target} for every row of OPTION_FILES that `answers` meet."""
    kept = {}
    for conditions, files in OPTION_FILES:
        if all(answers[option] in allowed for option, allowed in conditions.items()):
            kept.update(files)
    return kept


def apply_options(project_dir, answers):
    """Keep the chosen options' files under their final names; delete the others'."""
    kept = kept_files(answers)
    optional = {source for _, files in OPTION_FILES for source in files}
    for source in sorted(optional - set(kept)):
        (project_dir / source).unlink()
    for source, target in kept.items():
        (project_dir / source).rename(project_dir / target)


# .env is for the machine it is written on, a developer's: what it sets
# there, over .env.example's values.
DEVELOPMENT_VALUES = {"DJANGO_DEBUG": "true"}


def write_env_file(project_dir):
    """Write .env from .env.example: a fresh secret key, debug on. It is git-ignored."""
    example = (project_dir / ".env.example").read_text(encoding="utf-8")
    values = {**DEVELOPMENT_VALUES, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    lines = []
    for line in example.splitlines():
        name = line.partition("=")[0]
        lines.append(f"{name}={values[name]}" if name in values else line)
    env_file = project_dir / ".env"
    env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env_file.chmod(0o600)


# Cookiecutter's own abbreviations (cookiecutter.config.BUILTIN_ABBREVIATIONS).
ABBREVIATIONS = {
    "gh": "https://github.com/{0}.git",
    "gl": "https://gitlab.com/{0}.git",
    "bb": "https://bitbucket.org/{0}",
}
# Context entries that describe one machine's run of cookiecutter, not the
# project: cruft's own .cruft.json has none of them.
MACHINE_KEYS = ("_output_dir", "_repo_dir", "_checkout")
UNKNOWN_COMMIT_NOTE = (
    "Made from a template that was not a git checkout: the commit is unknown and"
    ' `cruft update` cannot work out what changed. Set "commit" to the template'
    " commit this project was made from (the tag v{version} of the template"
    " repository), then delete this note."
)
UNCOMMITTED_NOTE = (
    'Made from a template checkout with uncommitted changes on top of "commit":'
    " `cruft update` will treat those changes as the project's own."
)


def git(directory, *args):
    """The output of `git -C directory args`, or None when git fails or is missing."""
    try:
        result = subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def template_address(template):
    """The template as git can clone it: cookiecutter's abbreviations expanded."""
    prefix, _, rest = template.partition(":")
    if prefix in ABBREVIATIONS and rest and not rest.startswith("//"):
        return ABBREVIATIONS[prefix].format(rest)
    return template


def is_local_path(template):
    return "://" not in template and not template.startswith("git@")


def template_origin(context, working_dir):
    """{"template", "commit", "directory", "note"} of this bake, offline.

    Under `cruft create` (and cruft's own re-bakes) the context already has
    `_template` and `_commit`. Under plain cookiecutter, `_repo_dir` is the
    template's directory (a clone of a remote one, or the local path as typed,
    relative to the directory cookiecutter was started in: `working_dir`)."""
    if context.get("_commit"):
        return {"template": context["_template"], "commit": context["_commit"]}
    template = template_address(context["_template"])
    repo_dir = Path(working_dir, context["_repo_dir"]).resolve()
    origin = {"template": template, "commit": None, "directory": None}
    # A checkout of the template, not a copy inside some other repository.
    if git(repo_dir, "ls-files", "--error-unmatch", "cookiecutter.json") is None:
        version = context.get("_template_version", "?")
        origin["note"] = UNKNOWN_COMMIT_NOTE.format(version=version)
        if is_local_path(template):
            origin["template"] = str(repo_dir)
        return origin
    origin["commit"] = git(repo_dir, "rev-parse", "HEAD")
    if is_local_path(template):
        # As cruft records a local template: the absolute path of its checkout.
        origin["template"] = git(repo_dir, "rev-parse", "--show-toplevel")
        origin["directory"] = git(repo_dir, "rev-parse", "--show-prefix").rstrip("/")
        origin["directory"] = origin["directory"] or None
    if git(repo_dir, "status", "--porcelain", "--untracked-files=no", "."):
        origin["note"] = UNCOMMITTED_NOTE
    return origin


def cruft_state(context, working_dir):
    """The content of .cruft.json, in the form `cruft create` writes."""
    origin = template_origin(context, working_dir)
    answers = {k: v for k, v in context.items() if k not in MACHINE_KEYS}
    answers["_template"] = origin["template"]
    answers["_commit"] = origin["commit"]
    state = {
        "template": origin["template"],
        "commit": origin["commit"],
        "checkout": context.get("_checkout"),
        "context": {"cookiecutter": answers},
        "directory": origin.get("directory"),
    }
    if origin.get("note"):
        state["note"] = origin["note"]
    return state


def write_cruft_file(project_dir, context, working_dir):
    """Write .cruft.json as cruft does (`cruft create` then writes its own over it)."""
    text = json.dumps(
        cruft_state(context, working_dir),
        ensure_ascii=False,
        indent=2,
        separators=(",", ": "),
    )
    (project_dir / ".cruft.json").write_text(text + "\n", encoding="utf-8")


def next_steps(slug, channel_layer, database):
    steps = f"\nCreated {slug}/. Next:\n  cd {slug}\n"
    if database == "postgresql":
        steps += (
            "  # A PostgreSQL server (Debian: sudo apt install postgresql; macOS:\n"
            "  # brew install postgresql@17 && brew services start postgresql@17), a\n"
            "  # role that may create databases (Debian: sudo -u postgres createuser\n"
            "  # --createdb --pwprompt $USER), then:\n"
            f"  createdb {slug}\n"
            "  # and in .env: DATABASE_URL=postgresql://USER:PASSWORD@127.0.0.1:5432/"
            f"{slug}\n"
        )
    if channel_layer != "in-memory":
        steps += (
            "  make redis   # in a terminal of its own: a private Redis on"
            " 127.0.0.1:6379, .env's REDIS_URL\n"
            "  # (or a Redis of your own: Debian: sudo apt install redis-server;\n"
            "  # macOS: brew install redis && brew services start redis; or set\n"
            "  # REDIS_URL in .env to yours)\n"
        )
    return steps + (
        "  make run    # virtualenv, dependencies, database, server on http://127.0.0.1:8000/\n"
        "  make test   # the project's tests; they start what they need\n"
    )


def main(project_dir, answers, context):
    apply_options(project_dir, answers)
    write_env_file(project_dir)
    # cookiecutter starts this hook in the project directory; a template path
    # typed relative is relative to the shell's directory, PWD.
    write_cruft_file(project_dir, context, os.environ.get("PWD", os.getcwd()))
    # On stderr: cruft re-bakes the template to diff it, and `cruft diff`'s
    # output must stay a patch.
    print(
        next_steps(
            answers["project_slug"], answers["channel_layer"], answers["database"]
        ),
        file=sys.stderr,
    )
    return 0


# Cookiecutter fills in the answers below before running this file.
# fmt: off
if __name__ == "__main__":
    sys.exit(
        main(
            Path.cwd(),
            {
                "project_slug": {{ cookiecutter.project_slug|tojson }},
                "channel_layer": {{ cookiecutter.channel_layer|tojson }},
                "database": {{ cookiecutter.database|tojson }},
            },
            json.loads({{ cookiecutter|tojson|tojson }}),
        )
    )
# fmt: on
