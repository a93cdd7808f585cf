"""Fixtures for the end-to-end delivery suite (tests/delivery).

The helpers (the scriptable `Receiver`, the `Hookbird` process wrapper, polling helpers) live in
delivery_harness.py; see its docstring.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest

from delivery_harness import SHUTDOWN_TIMEOUT_S, Hookbird, Receiver, ServerFactory


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def hookbird(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hookbird]:
    """A shared server with the fast flags, for tests that do not interfere (each uses its own app)."""
    server = Hookbird(tmp_path_factory.mktemp("shared"), name="shared")
    server.start()
    yield server
    code = server.stop()
    if code is None:
        pytest.fail(f"shared hookbird did not exit within {SHUTDOWN_TIMEOUT_S} s of SIGTERM\n{server.log_tail()}",
                    pytrace=False)
    if code != 0:
        pytest.fail(f"shared hookbird exited with {code} after SIGTERM\n{server.log_tail()}", pytrace=False)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[ServerFactory]:
    """Starts dedicated servers: servers({"--flag": "value"}); they are stopped after the test."""
    factory = ServerFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.cleanup()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def make_receiver() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(host: str = "127.0.0.1", port: int = 0) -> Receiver:
        r = Receiver(host, port)
        made.append(r)
        return r

    try:
        yield make
    finally:
        for r in made:
            r.close()
