"""Each folder keeps to its role: the kit imports no app, no app imports another.

An app is then deleted as its folder, its INSTALLED_APPS line and its lines in
config/, and realtime_kit/ serves any app you add.
"""

import ast
from pathlib import Path

import pytest
from django.apps import apps

PROJECT_DIR = Path(__file__).resolve().parent.parent


def project_apps():
    """The apps whose code lives in this project, but the kit, which they build on,
    and config, the settings package that puts them together."""
    return sorted(
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).parent == PROJECT_DIR
        and config.name not in {"realtime_kit", "config"}
    )


def imports_of(package):
    """(file, top-level module) for every absolute import under `package`."""
    for path in sorted((PROJECT_DIR / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module]
            else:
                continue
            for module in modules:
                yield path.relative_to(PROJECT_DIR), module.partition(".")[0]


def test_the_kit_imports_no_app():
    found = [(path, module) for path, module in imports_of("realtime_kit")]
    assert found
    assert [(p, m) for p, m in found if m in project_apps()] == []


@pytest.mark.parametrize("app", project_apps())
def test_an_app_imports_no_other_app(app):
    others = set(project_apps()) - {app}
    assert [(p, m) for p, m in imports_of(app) if m in others] == []
