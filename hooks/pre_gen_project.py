"""Refuse answers that would give a broken project, before any file is written.

Runs inside the freshly created project directory, after the last prompt; when it
exits non-zero, cookiecutter removes that directory again, so nothing is left
behind. Each bad answer gets one line (the answer, the rule), then a command
that runs again with every answer kept, to fix only the bad one; cookiecutter
then adds its own traceback, which no hook can prevent. The checks and the
message are plain functions so that the template's tests can import them.
"""

import json
import keyword
import os
import re
import shlex
import sys

# Top-level modules the generated project imports or ships: a project named
# like one of them would shadow it on sys.path.
PROJECT_PACKAGES = {
    "accounts",
    "chat",
    "config",
    "echo",
    "notifications",
    "realtime",
    "tasks",
    "tests",
}
THIRD_PARTY_MODULES = {
    "asgiref",
    "autobahn",
    "channels",
    "channels_redis",
    "csp",
    "daphne",
    "dj_database_url",
    "django",
    "msgpack",
    "psycopg",
    "pytest",
    "pytest_django",
    "redis",
    "servestatic",
    "twisted",
    "websockets",
}
SLUG_PATTERN = re.compile(r"[a-z_][a-z0-9_]*\Z")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\Z")


def slug_errors(slug):
    """Return the rules `slug` breaks, each as one sentence."""
    if not SLUG_PATTERN.match(slug) or keyword.iskeyword(slug):
        return [
            f"project_slug {slug!r} must be a lowercase Python identifier "
            "(letters, digits and underscores, not starting with a digit, "
            "not a keyword)."
        ]
    # sys.stdlib_module_names leaves out the regression-test package "test".
    standard = set(sys.stdlib_module_names) | {"test"}
    shadowed = PROJECT_PACKAGES | THIRD_PARTY_MODULES | standard
    if slug in shadowed:
        return [
            f"project_slug {slug!r} would shadow the module {slug!r} that the project "
            "imports; choose another name."
        ]
    return []


def answer_errors(answers):
    """Return every rule the answers break, in prompt order."""
    errors = []
    if not answers["project_name"].strip():
        errors.append("project_name must not be empty.")
    errors.extend(slug_errors(answers["project_slug"]))
    if not EMAIL_PATTERN.match(answers["author_email"]):
        errors.append(
            f"author_email {answers['author_email']!r} is not an email address "
            "(one @, text on both sides, no spaces)."
        )
    return errors


def prompted_answers(context):
    """The answers to the prompts (the context's public keys), in prompt order."""
    answers = {
        key: value
        for key, value in context.items()
        if not key.startswith("_") and isinstance(value, str)
    }
    try:
        with open(os.path.join(context["_repo_dir"], "cookiecutter.json")) as file:
            order = list(json.load(file))
    except (OSError, ValueError):
        order = []
    return dict(sorted(answers.items(), key=lambda item: _position(order, item[0])))


def _position(order, key):
    return (order.index(key), key) if key in order else (len(order), key)


def replay_file(context):
    """Where cookiecutter saved these answers before this hook ran."""
    replay_dir = "~/.cookiecutter_replay"
    # The user's config (COOKIECUTTER_CONFIG, ~/.cookiecutterrc) may move it;
    # an unreadable config or another cookiecutter leaves the default.
    try:
        from cookiecutter.config import get_user_config

        replay_dir = get_user_config()["replay_dir"]
    except Exception:
        pass
    name = os.path.basename(os.path.abspath(context["_repo_dir"]))
    return os.path.join(replay_dir, f"{name}.json")


def rerun_advice(context):
    """How to run again with every answer kept: the command, and the replay file."""
    answers = [f"{key}={value}" for key, value in prompted_answers(context).items()]
    command = shlex.join(
        [
            "cookiecutter",
            context["_template"],
            "--no-input",
            "-o",
            context["_output_dir"],
            *answers,
        ]
    )
    replay = shlex.quote(replay_file(context))
    template = shlex.quote(context["_template"])
    return (
        "Nothing was generated. To run again without typing every answer, fix "
        "the answer above in this command and run it:\n"
        f"  {command}\n"
        f"or fix it in {replay} (your answers, saved by cookiecutter) and run:\n"
        f"  cookiecutter --replay-file {replay} {template}\n"
        "(cookiecutter's own traceback follows; the lines above are the reason.)"
    )


def main(context):
    errors = answer_errors(context)
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    if errors:
        print(rerun_advice(context), file=sys.stderr)
    return 1 if errors else 0


# Cookiecutter fills in the answers below before running this file.
# fmt: off
if __name__ == "__main__":
    sys.exit(main(json.loads({{ cookiecutter|tojson|tojson }})))
# fmt: on
