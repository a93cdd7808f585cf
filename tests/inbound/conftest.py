"""Fixtures for the end-to-end inbound-gateway suite (tests/inbound).

The helpers (server process, recording receiver, provider signers) live in inbound_harness.py; see its docstring.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import pytest

from inbound_harness import SHUTDOWN_TIMEOUT_S, Env, Hookbird, Receiver, stable_binary_copy


@pytest.fixture(scope="session")
def inbound_binary() -> Iterator[Path]:
    """A private copy of the server binary for the whole run (a rebuild cannot swap it mid-test)."""
    tmp = Path(tempfile.mkdtemp(prefix="hookbird-inbound-bin-"))
    try:
        yield stable_binary_copy(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def hb(inbound_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hookbird]:
    """The shared server (no --trusted-proxy). Tests that share it do not interfere: each has its own app,
    endpoint path and sources."""
    server = Hookbird(inbound_binary, tmp_path_factory.mktemp("inbound-shared"), name="shared")
    server.start()
    yield server
    code = server.stop()
    if code is None:
        pytest.fail(f"shared hookbird did not exit within {SHUTDOWN_TIMEOUT_S} s of SIGTERM\n{server.log_tail()}",
                    pytrace=False)


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def env(hb: Hookbird, receiver: Receiver) -> Env:
    """A fresh application on the shared server whose endpoint is a fresh path of the shared receiver."""
    return Env(hb, receiver)


@pytest.fixture
def servers(inbound_binary: Path, tmp_path: Path) -> Iterator[Callable[..., Hookbird]]:
    """Starts dedicated servers: servers({"--flag": "value"}); they are stopped after the test."""
    made: list[Hookbird] = []

    def make(flags: dict[str, str | None] | None = None) -> Hookbird:
        server = Hookbird(inbound_binary, tmp_path, flags, name=f"hookbird{len(made)}")
        made.append(server)
        return server.start()

    try:
        yield make
    finally:
        for server in made:
            if server.process is not None and server.process.poll() is None:
                if server.stop() is None:
                    server.kill9()
