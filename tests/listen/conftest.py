"""Fixtures for the `hookbird listen` suite (tests/listen); `receiver` and `servers` are the shared fixtures (the
root conftest.py), `Listener` is tests/support's."""

from __future__ import annotations

from typing import Callable, Iterator

import pytest

from tests.support import Listener, ServerFactory


@pytest.fixture
def make_server(servers: ServerFactory) -> ServerFactory:
    """make_server(flags): a started server, stopped after the test."""
    return servers


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
