"""Fixtures for the process-level end-to-end suite.

Unlike tests/sdk (one shared server per session), these tests start, kill,
restart and reconfigure their own `hookbird` processes: durability under
kill -9, JWT/auth modes, generated secrets, TLS, configuration, signals,
/metrics and /openapi.json.

Environment:
  HOOKBIRD_BIN            path to the server binary (default .build/debug/hookbird,
                          relative paths are resolved against the repository root)
  HOOKBIRD_E2E_BACKTRACE  set to 1 to keep Swift's crash backtracer on in the
                          servers the tests start (slow; off by default)

The binary is copied once per session into a temp dir (the shared
`hookbird_binary` fixture, the root conftest.py), so a rebuild that relinks
.build/debug/hookbird while the suite runs cannot swap the binary under a
test (e.g. between the kill -9 and the restart).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from hookbird_e2e import ProcessRegistry


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A fresh temp dir (databases, logs, certs), removed after the test."""
    path = Path(tempfile.mkdtemp(prefix="hookbird-e2e-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def hb(hookbird_binary: Path, workdir: Path) -> Iterator[ProcessRegistry]:
    """Starts hookbird processes for one test; any still running at the end is stopped."""
    registry = ProcessRegistry(hookbird_binary, workdir)
    try:
        yield registry
    finally:
        registry.cleanup()
