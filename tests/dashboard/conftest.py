"""Fixtures for the dashboard suite (tests/dashboard); the helpers are in dashboard_harness.py, and `receiver` is
the shared fixture (the root conftest.py)."""

from __future__ import annotations

from typing import Iterator

import pytest

from dashboard_harness import start_server
from tests.support import Hookbird


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hookbird]:
    """One server per test module; each test makes its own applications."""
    hookbird = start_server(tmp_path_factory.mktemp("dashboard"))
    yield hookbird
    hookbird.stop_shared()
