"""Settings come from the environment, safely by default."""

import os

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_list, env_number, env_str, read_env_file
from tests.processes import PROJECT_DIR, run_python


def output_of(arguments, environment):
    """The stripped output of this interpreter on `arguments`, which must succeed."""
    status, output, errors = run_python(arguments, environment)
    assert status == 0, errors
    return output.strip()


def settings_without_environment(expression, **variables):
    """Evaluate `expression` on the settings, with no .env and no DJANGO_*,
    DATABASE_* or WEBSOCKET_* set but `variables`."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO", "DATABASE_", "WEBSOCKET"))
    }
    environment["DJANGO_ENV_FILE"] = str(PROJECT_DIR / "no-such-file")
    environment["DJANGO_SECRET_KEY"] = "s" * 50
    environment.update(variables)
    code = f"from config import settings; print({expression})"
    return output_of(["-c", code], environment)


def test_debug_is_off_unless_asked_for():
    assert settings_without_environment("settings.DEBUG") == "False"
    hosts = settings_without_environment("settings.ALLOWED_HOSTS")
    assert hosts == "['localhost', '127.0.0.1', '[::1]']"


def test_daphne_comes_first_so_runserver_serves_websockets():
    assert settings.INSTALLED_APPS[0] == "daphne"
    assert settings.ASGI_APPLICATION == "config.asgi.application"


def test_a_missing_secret_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("DJANGO_TEST_SECRET", raising=False)
    with pytest.raises(ImproperlyConfigured, match="DJANGO_TEST_SECRET"):
        env_str("DJANGO_TEST_SECRET")


@pytest.mark.parametrize(("word", "value"), [("true", True), ("0", False)])
def test_booleans_are_read_from_words(monkeypatch, word, value):
    monkeypatch.setenv("DJANGO_TEST_FLAG", word)
    assert env_bool("DJANGO_TEST_FLAG", default=not value) is value


def test_a_word_that_is_not_a_boolean_is_refused(monkeypatch):
    monkeypatch.setenv("DJANGO_TEST_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="not a boolean"):
        env_bool("DJANGO_TEST_FLAG", default=False)


def test_lists_and_numbers(monkeypatch):
    monkeypatch.setenv("DJANGO_TEST_LIST", " a.example, ,b.example ")
    monkeypatch.setenv("DJANGO_TEST_NUMBER", "x")
    assert env_list("DJANGO_TEST_LIST", "") == ["a.example", "b.example"]
    with pytest.raises(ImproperlyConfigured, match="DJANGO_TEST_NUMBER"):
        env_number("DJANGO_TEST_NUMBER", 1)


def test_the_env_file_never_overrides_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DJANGO_TEST_A", "from-environment")
    monkeypatch.delenv("DJANGO_TEST_B", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("# comment\nDJANGO_TEST_A=file\nDJANGO_TEST_B='quoted'\n")
    read_env_file(env_file)
    assert os.environ["DJANGO_TEST_A"] == "from-environment"
    assert os.environ.pop("DJANGO_TEST_B") == "quoted"


def test_the_deployment_checklist_passes_behind_tls():
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": "k" * 10 + "-deployment-check-" + "q7Z" * 12,
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "true",
        "DJANGO_ALLOWED_HOSTS": "example.com",
    }
    output_of(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], environment
    )


HSTS = (
    "settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
    " settings.SECURE_HSTS_PRELOAD, settings.SECURE_SSL_REDIRECT"
)


def test_https_starts_hsts_short_without_subdomains_or_preload():
    assert settings_without_environment(HSTS, DJANGO_HTTPS="true") == (
        "3600 False False True"
    )
    # Without it, Django's defaults: no HSTS, no redirect.
    names = "('SECURE_HSTS_SECONDS', 'SECURE_SSL_REDIRECT')"
    unset = f"[hasattr(settings, name) for name in {names}]"
    assert settings_without_environment(unset) == "[False, False]"


def test_hsts_subdomains_and_preload_are_opt_in():
    opted_in = settings_without_environment(
        HSTS,
        DJANGO_HTTPS="true",
        DJANGO_HSTS_SECONDS="31536000",
        DJANGO_HSTS_INCLUDE_SUBDOMAINS="true",
        DJANGO_HSTS_PRELOAD="true",
    )
    assert opted_in == "31536000 True True True"


def test_the_hsts_header_behind_tls(tmp_path):
    """What a browser gets over https, through the whole middleware stack (behind
    a proxy, `manage.py serve` sets the scheme: tests/test_forwarded_proto.py)."""
    code = (
        "import django; django.setup();"
        "from django.test import Client;"
        "response = Client().get('/', secure=True, HTTP_HOST='example.com');"
        "print(response.status_code, response.headers['Strict-Transport-Security'])"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_HTTPS": "true",
        "DJANGO_ALLOWED_HOSTS": "example.com",
    }
    assert output_of(["-c", code], environment) == "200 max-age=3600"


def test_database_connections_are_kept_only_when_asked():
    database = 'settings.DATABASES["default"]'
    expression = f'{database}["CONN_MAX_AGE"], {database}["CONN_HEALTH_CHECKS"]'
    assert settings_without_environment(expression) == "0 False"
    kept = settings_without_environment(
        expression, DATABASE_CONN_MAX_AGE="60", DATABASE_CONN_HEALTH_CHECKS="true"
    )
    assert kept == "60 True"
