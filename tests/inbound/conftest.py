"""Fixtures for the end-to-end inbound-gateway suite (tests/inbound).

The helpers (this suite's server flags and API, provider signers) live in inbound_harness.py, on the shared harness
(tests/support; `hookbird_binary` is the root conftest.py's). The receiver is shared by the whole session here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from inbound_harness import DELIVERY_TIMEOUT_S, Env, Hookbird
from tests.support import Receiver, ServerFactory


@pytest.fixture(scope="session")
def hb(hookbird_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hookbird]:
    """The shared server (no --trusted-proxy). Tests that share it do not interfere: each has its own app,
    endpoint path and sources."""
    server = Hookbird(tmp_path_factory.mktemp("inbound-shared"), name="shared", binary=hookbird_binary)
    server.start()
    yield server
    server.stop_shared(exit_zero=False)


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    r = Receiver(wait_timeout=DELIVERY_TIMEOUT_S)
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def env(hb: Hookbird, receiver: Receiver) -> Env:
    """A fresh application on the shared server whose endpoint is a fresh path of the shared receiver."""
    return Env(hb, receiver)


@pytest.fixture
def servers(hookbird_binary: Path, tmp_path: Path) -> Iterator[ServerFactory]:
    """Starts dedicated servers: servers({"--flag": "value"}); they are stopped after the test."""
    factory = ServerFactory(tmp_path, Hookbird, binary=hookbird_binary)
    try:
        yield factory
    finally:
        factory.cleanup()
