"""Fixtures for the CLI suite (tests/cli); the helpers live in cli_harness.py, and `receiver` and `servers` are the
shared fixtures (the root conftest.py)."""

from __future__ import annotations

from typing import Iterator

import pytest

from cli_harness import CLI
from tests.support import Hookbird


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hookbird]:
    """A shared server with the delivery suite's fast retry flags; each test uses its own application."""
    hookbird = Hookbird(tmp_path_factory.mktemp("cli"), name="cli")
    hookbird.start()
    yield hookbird
    hookbird.stop_shared()


@pytest.fixture
def cli(server: Hookbird) -> CLI:
    return CLI(server)
