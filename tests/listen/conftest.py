"""Fixtures for the `hookbird listen` suite (tests/listen); the helpers live in listen_harness.py."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest

from listen_harness import Hookbird, Listener, Receiver


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., Hookbird]]:
    started: list[Hookbird] = []

    def make(flags: dict[str, str | None]) -> Hookbird:
        server = Hookbird(tmp_path / f"server{len(started)}", flags, name=f"hookbird{len(started)}")
        started.append(server)
        return server.start()

    yield make
    for server in started:
        if server.stop() is None:
            server.kill9()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def listeners() -> Iterator[Callable[..., Listener]]:
    made: list[Listener] = []

    def make(*args, **kwargs) -> Listener:
        listener = Listener(*args, **kwargs)
        made.append(listener)
        return listener

    yield make
    for listener in made:
        if listener.stop() is None:
            listener.kill9()
