"""Refuse answers that would give a broken project, before any file is written.

Runs inside the freshly created project directory; when it exits non-zero,
cookiecutter removes that directory again, so nothing is left behind.
The checks are plain functions so that the template's tests can import them.
"""

import keyword
import re
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
            f"author_email {answers['author_email']!r} is not an email address."
        )
    return errors


def main(answers):
    errors = answer_errors(answers)
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    return 1 if errors else 0


# Cookiecutter fills in the answers below before running this file.
# fmt: off
if __name__ == "__main__":
    sys.exit(
        main(
            {
                "project_name": {{ cookiecutter.project_name|tojson }},
                "project_slug": {{ cookiecutter.project_slug|tojson }},
                "author_email": {{ cookiecutter.author_email|tojson }},
            }
        )
    )
# fmt: on
