"""The template repository holds itself to the rules it gives the projects."""

from tests.baking import RUFF, TEMPLATE_DIR, run_in


def test_the_template_is_ruff_clean_and_formatted():
    checked = run_in(TEMPLATE_DIR, *RUFF, "check", ".")
    assert checked.returncode == 0, checked.stdout
    formatted = run_in(TEMPLATE_DIR, *RUFF, "format", "--check", ".")
    assert formatted.returncode == 0, formatted.stdout
