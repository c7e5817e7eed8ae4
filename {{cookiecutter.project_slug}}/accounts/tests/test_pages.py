"""Signup, login and logout pages, and the nav that says who is logged in."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 42"


def test_signup_creates_the_user_and_logs_them_in(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "ada", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert get_user_model().objects.filter(username="ada").exists()
    home = client.get("/")
    assert b'id="current-user">ada<' in home.content


def test_signup_refuses_a_weak_password(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "bob", "password1": "12345678", "password2": "12345678"},
    )
    assert response.status_code == 200
    assert b"too common" in response.content
    assert not get_user_model().objects.filter(username="bob").exists()


def test_login_and_logout(client):
    get_user_model().objects.create_user("ada", password=PASSWORD)
    response = client.post(
        "/accounts/login/", {"username": "ada", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert b'id="current-user">ada<' in client.get("/").content
    assert client.get("/accounts/logout/").status_code == 405  # POST only
    assert client.post("/accounts/logout/").status_code == 302
    assert b'href="/accounts/login/"' in client.get("/").content


def test_the_admin_is_there(client):
    assert client.get("/admin/").status_code == 302  # to its login page


def test_the_user_model_is_the_projects_own():
    assert get_user_model()._meta.label == "accounts.User"
