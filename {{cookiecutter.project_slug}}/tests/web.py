"""A browser-like HTTP client for live servers: cookies, CSRF, a client address."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class WebClient:
    """Pages and forms of a live server; `address` is sent as X-Forwarded-For
    (believed from 127.0.0.1 by `manage.py serve`)."""

    def __init__(self, server, address=None):
        self.server = server
        self.address = address
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirects()
        )

    def request(self, path, data=None, headers=None):
        """(status, body) of a GET, or of a POST when `data` is given."""
        headers = dict(headers or {})
        if self.address:
            headers["X-Forwarded-For"] = self.address
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        if body is not None:
            headers["Referer"] = self.server.http_url + path
            headers["Origin"] = self.server.origin
        request = urllib.request.Request(
            self.server.http_url + path, data=body, headers=headers
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def submit(self, path, fields):
        """Fill in and post the form of `path`, as a browser would."""
        _, page = self.request(path)
        token = CSRF_INPUT.search(page)[1]
        return self.request(path, {"csrfmiddlewaretoken": token, **fields})

    def cookie(self, name):
        return next((c.value for c in self.cookies if c.name == name), None)
