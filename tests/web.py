"""A small HTTP client with cookies and Django's CSRF token, for live servers."""

import http.cookiejar
import re
import urllib.parse
import urllib.request


class WebClient:
    """What a browser keeps between requests to one live server: its cookies."""

    def __init__(self, server):
        self.server = server
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies)
        )

    def get(self, path):
        with self.opener.open(self.server.http_url + path, timeout=10) as response:
            return response.read().decode()

    def post_form(self, path, fields, form_page=None):
        """POST `fields` to `path` as the form on `form_page` (default `path`) would."""
        page = self.get(form_page or path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields})
        request = urllib.request.Request(
            self.server.http_url + path,
            data=body.encode(),
            headers={"Referer": self.server.http_url + (form_page or path)},
        )
        with self.opener.open(request, timeout=10) as response:
            return response.read().decode()

    def cookie_header(self):
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)
