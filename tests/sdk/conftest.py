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

from tests.support import Hookbird, unique as unique_name


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
    server.stop_shared()


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
