"""Shared fixtures for the end-to-end suite.

One real `hookbird serve` process (tests/support's `Hookbird`, with none of the fast delivery flags) is started per
test session, on a free loopback port, with a throw-away SQLite database and a random admin token. Every test talks
to it over HTTP, either through the official `svix` Python SDK or through plain `requests`.

Environment:
  HOOKBIRD_BIN   path to the server binary (default: .build/debug/hookbird,
                 relative paths are resolved against the repository root).
"""

from __future__ import annotations

import secrets
from typing import Iterator

import pytest
import requests
from svix import Svix, SvixOptions

from tests.support import SHUTDOWN_TIMEOUT_S, Hookbird, unique as unique_name


class HookbirdServer(Hookbird):
    """The session's server, with an SDK client of it."""

    svix: Svix


@pytest.fixture(scope="session")
def hookbird(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HookbirdServer]:
    server = HookbirdServer(tmp_path_factory.mktemp("hookbird"), {"--jwt-secret": secrets.token_hex(32)},
                            base_flags={})
    server.start()
    server.svix = Svix(server.token, SvixOptions(server_url=server.base_url, retry_schedule=[]))
    yield server

    code = server.stop()
    if code is None:
        pytest.fail(
            f"hookbird did not exit within {SHUTDOWN_TIMEOUT_S:.0f} s of SIGTERM (killed).\n"
            f"--- server log ---\n{server.log_tail(60)}",
            pytrace=False,
        )
    if code != 0:
        pytest.fail(
            f"hookbird exited with code {code} after SIGTERM (expected 0).\n"
            f"--- server log ---\n{server.log_tail(60)}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def svix_client(hookbird: HookbirdServer) -> Svix:
    return hookbird.svix


@pytest.fixture(scope="session")
def base_url(hookbird: HookbirdServer) -> str:
    return hookbird.base_url


@pytest.fixture(scope="session")
def admin_token(hookbird: HookbirdServer) -> str:
    return hookbird.token


@pytest.fixture
def http(hookbird: HookbirdServer) -> Iterator[requests.Session]:
    """A plain requests session that sends the admin token."""
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {hookbird.token}"
        yield s


@pytest.fixture
def unique():
    """unique("acme") -> "acme-1f2e3d4c5b": names/uids that never clash across tests."""
    return unique_name
