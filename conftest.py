"""The fixtures every pytest suite shares; the harness behind them is tests/support (see its __init__.py). A suite's
own conftest.py adds its fixtures, or overrides one of these (tests/inbound shares one receiver per session)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.support import Receiver, ServerFactory, stable_copy


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def make_receiver() -> Iterator[Callable[..., Receiver]]:
    """make_receiver(host="127.0.0.1", port=0): more receivers, closed after the test."""
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


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[ServerFactory]:
    """Starts dedicated servers: servers({"--flag": "value"}); they are stopped after the test."""
    factory = ServerFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.cleanup()


@pytest.fixture(scope="session")
def hookbird_binary() -> Iterator[Path]:
    """A private copy of the hookbird binary for the whole run (a rebuild cannot swap it mid-test)."""
    tmp = Path(tempfile.mkdtemp(prefix="hookbird-bin-"))
    try:
        yield stable_copy(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
