"""Fixtures for the end-to-end delivery suite (tests/delivery); `receiver`, `make_receiver` and `servers` are the
shared ones (the root conftest.py, on tests/support)."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.support import Hookbird


@pytest.fixture(scope="session")
def hookbird(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hookbird]:
    """A shared server with the fast flags, for tests that do not interfere (each uses its own app)."""
    server = Hookbird(tmp_path_factory.mktemp("shared"), name="shared")
    server.start()
    yield server
    server.stop_shared()
