"""Fixtures for the end-to-end delivery suite (tests/delivery); `receiver`, `make_receiver` and `servers` are the
shared ones (the root conftest.py, on tests/support)."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.support import SHUTDOWN_TIMEOUT_S, Hookbird


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
