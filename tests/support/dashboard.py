"""`DashboardClient` drives a server's dashboard with `requests` the way a browser does: it keeps cookies, reads the
CSRF token out of each page's forms and posts forms without following redirects, so each test can look at statuses,
cookies and `Location` headers (tests/dashboard, tests/cluster)."""

from __future__ import annotations

import html
import re

import requests

from tests.support.process import Hookbird

CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def csrf_of(page: str) -> str:
    match = CSRF.search(page)
    assert match, f"no CSRF field in page:\n{page[:2000]}"
    return html.unescape(match.group(1))


class DashboardClient:
    """A cookie-keeping client of one server's dashboard."""

    def __init__(self, server: Hookbird) -> None:
        self.base = server.base_url
        self.http = requests.Session()

    def url(self, path: str) -> str:
        return self.base + path

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        return self.http.get(self.url(path), timeout=10, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        return self.http.post(self.url(path), data=data, timeout=10, **kwargs)

    def sign_in(self, token: str) -> requests.Response:
        page = self.get("/dashboard/login")
        assert page.status_code == 200, page.text
        return self.post("/dashboard/login", {"csrf": csrf_of(page.text), "token": token})

    def submit(self, page_path: str, action: str, fields: dict | None = None) -> requests.Response:
        """Posts a form of the page at `page_path` with that page's CSRF token."""
        page = self.get(page_path)
        assert page.status_code == 200, f"{page_path}: {page.status_code}"
        return self.post(action, {"csrf": csrf_of(page.text), **(fields or {})})
