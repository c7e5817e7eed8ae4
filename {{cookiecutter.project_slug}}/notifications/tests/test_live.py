"""Notifications on a real daphne: sign up, open the page's socket, send yourself one."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect

from tests.sockets import receive_json

pytestmark = pytest.mark.live


class Visitor:
    """A browser without JavaScript: cookies, and forms posted with their CSRF token."""

    def __init__(self, server):
        self.server = server
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies)
        )

    def get(self, path):
        with self.opener.open(self.server.http_url + path, timeout=10) as response:
            return response.read().decode()

    def post(self, path, fields, token=True):
        if token:
            fields = {**fields, "csrfmiddlewaretoken": self.cookie("csrftoken")}
        request = urllib.request.Request(
            self.server.http_url + path,
            data=urllib.parse.urlencode(fields).encode(),
        )
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.url
        except urllib.error.HTTPError as error:
            return error.code, error.url

    def cookie(self, name):
        return next(c.value for c in self.cookies if c.name == name)

    def sign_up(self, username):
        page = self.get("/accounts/signup/")
        assert re.search(r'name="csrfmiddlewaretoken"', page)
        password = "a long and unusual passphrase 7"
        status, url = self.post(
            "/accounts/signup/",
            {"username": username, "password1": password, "password2": password},
        )
        assert (status, urllib.parse.urlsplit(url).path) == (200, "/")

    def socket(self, path):
        return connect(
            self.server.ws_url + path,
            origin=self.server.origin,
            additional_headers={"Cookie": f"sessionid={self.cookie('sessionid')}"},
        )


async def test_the_form_sends_to_my_socket_over_a_real_server(daphne_server):
    me = Visitor(daphne_server)
    await sync_to_async(me.sign_up)("live_ada")
    page = await sync_to_async(me.get)("/notifications/")
    assert 'id="notify-form"' in page
    async with me.socket("/ws/notifications/") as socket:
        status, _ = await sync_to_async(me.post)(
            "/notifications/send/", {"message": "over the wire"}
        )
        assert status == 204
        assert await receive_json(socket) == {
            "type": "notification",
            "message": "over the wire",
        }
    assert "Traceback" not in daphne_server.log()


def test_the_form_refuses_a_post_without_its_csrf_token(daphne_server):
    me = Visitor(daphne_server)
    me.sign_up("live_grace")
    status, _ = me.post("/notifications/send/", {"message": "x"}, token=False)
    assert status == 403
