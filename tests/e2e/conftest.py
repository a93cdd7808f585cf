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

The binary is copied once per session into a temp dir, so a rebuild that
relinks .build/debug/hookbird while the suite runs cannot swap the binary
under a test (e.g. between the kill -9 and the restart).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

from hookbird_e2e import DEFAULT_BIN, REPO_ROOT, ProcessRegistry, clean_env

BINARY_WAIT_S = 300.0


def _source_binary() -> Path:
    raw = os.environ.get("HOOKBIRD_BIN", DEFAULT_BIN)
    path = Path(raw)
    return path if path.is_absolute() else REPO_ROOT / path


def _stable_binary(path: Path, timeout: float) -> Path:
    """Wait until the binary exists, is executable and its size/mtime stop changing."""
    deadline = time.monotonic() + timeout
    previous = None
    stable_since = None
    while time.monotonic() < deadline:
        try:
            st = path.stat()
            ok = stat.S_ISREG(st.st_mode) and os.access(path, os.X_OK) and st.st_size > 0
            sig = (st.st_size, st.st_mtime_ns) if ok else None
        except OSError:
            sig = None
        if sig is not None and sig == previous:
            if stable_since is None:
                stable_since = time.monotonic()
            if time.monotonic() - stable_since >= 1.0:
                return path
        else:
            stable_since = None
        previous = sig
        time.sleep(0.2)
    pytest.fail(f"hookbird binary at {path} missing or still changing after {timeout:.0f} s "
                f"(set HOOKBIRD_BIN or build it)", pytrace=False)


@pytest.fixture(scope="session")
def hookbird_binary() -> Iterator[Path]:
    """A private copy of the hookbird binary that answers --version."""
    source = _source_binary()
    tmp = Path(tempfile.mkdtemp(prefix="hookbird-e2e-bin-"))
    try:
        copy = tmp / "hookbird"
        for attempt in range(5):
            _stable_binary(source, BINARY_WAIT_S)
            try:
                shutil.copy2(source, copy)
                r = subprocess.run([str(copy), "--version"], capture_output=True, text=True,
                                   timeout=60, env=clean_env(), stdin=subprocess.DEVNULL)
                if r.returncode == 0:
                    break
            except (OSError, subprocess.SubprocessError):
                pass
            time.sleep(2)  # being relinked: give the linker a moment, then retry
        else:
            pytest.fail(f"could not get a working copy of {source}", pytrace=False)
        yield copy
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
