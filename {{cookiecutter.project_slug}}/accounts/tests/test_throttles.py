"""Password guessing and signups are throttled per client address and per account,
on a real `manage.py serve` (accounts/throttles.py).

Measured before the fix: 5.6-7 password checks/s from one address without
end, no log line; 20 signups in 4.9 s.
"""

import time

import pytest

from tests.live_server import LiveServer
from tests.web import WebClient

pytestmark = pytest.mark.live

PASSWORD = "a long enough passphrase 42"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("serve") / "serve.log", server="serve")
    live.start()
    WebClient(live, "10.22.0.1").submit(
        "/accounts/signup/",
        {"username": "ada", "password1": PASSWORD, "password2": PASSWORD},
    )
    yield live
    live.stop()


def log_lines(server, text):
    return [line for line in server.log().splitlines() if text in line]


def test_guesses_from_one_address_stop_after_ten_with_a_warning_each(server):
    guesser = WebClient(server, "10.22.1.1")
    statuses = []
    started = time.monotonic()
    for number in range(30):
        # A different account each time: only the per-address throttle applies.
        status, page = guesser.submit(
            "/accounts/login/", {"username": f"u{number}", "password": "guess"}
        )
        statuses.append(status)
    elapsed = time.monotonic() - started
    checked = statuses.count(200)
    print(f"password checks from one address: {checked} of 30 in {elapsed:.1f} s")
    assert statuses == [200] * 10 + [429] * 20
    assert "Too many failed logins. Try again in 1 minute(s)." in page
    failures = log_lines(server, "Login failed for ")
    assert len([line for line in failures if "from 10.22.1.1" in line]) == 10
    assert all(" WARNING " in line for line in failures)
    throttled = log_lines(
        server, "Login refused without a password check: address 10.22.1.1"
    )
    assert len(throttled) == 1  # one line per window, not one per refusal
    assert "Traceback" not in server.log()


def test_an_account_is_locked_after_five_failures_from_any_addresses(server):
    for number in range(5):
        status, _ = WebClient(server, f"10.22.2.{number}").submit(
            "/accounts/login/", {"username": "ada", "password": "wrong"}
        )
        assert status == 200
    # Even the right password, from a fresh address, waits for the window.
    status, page = WebClient(server, "10.22.2.99").submit(
        "/accounts/login/", {"username": "ADA", "password": PASSWORD}
    )
    assert status == 429
    assert "Too many failed logins" in page
    # Another account from the same addresses is not held back.
    status, _ = WebClient(server, "10.22.2.0").submit(
        "/accounts/login/", {"username": "someone", "password": "wrong"}
    )
    assert status == 200


def test_signups_from_one_address_stop_after_twenty(server):
    client = WebClient(server, "10.22.3.1")
    statuses = []
    started = time.monotonic()
    for number in range(22):
        status, page = client.submit(
            "/accounts/signup/",
            {"username": f"s{number}", "password1": PASSWORD, "password2": PASSWORD},
        )
        statuses.append(status)
        client = WebClient(server, "10.22.3.1")  # logged out again
    elapsed = time.monotonic() - started
    print(f"signups from one address: {statuses.count(302)} in {elapsed:.1f} s")
    assert statuses == [302] * 20 + [429] * 2
    assert "Too many signups from your address" in page
    assert len(log_lines(server, "Signup refused: address 10.22.3.1")) == 1
