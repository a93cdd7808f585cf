"""The `hookbird` binary under test: HOOKBIRD_BIN (default .build/debug/hookbird; a relative path is resolved against
the repository root), either as it is or as a private copy that a rebuild cannot swap under a running test."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = ".build/debug/hookbird"
BINARY_WAIT_S = 120.0
COPY_WAIT_S = 300.0


def clean_env() -> dict[str, str]:
    """The test process's environment without HOOKBIRD_* variables, and Swift's crash backtracer off (it takes
    seconds per crash and only adds noise to the logs) unless the caller sets SWIFT_BACKTRACE."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKBIRD_")}
    env.setdefault("SWIFT_BACKTRACE", "enable=no")
    return env


def source_binary() -> Path:
    raw = os.environ.get("HOOKBIRD_BIN", DEFAULT_BIN)
    path = Path(raw)
    return path if path.is_absolute() else REPO_ROOT / path


def binary_path() -> Path:
    """HOOKBIRD_BIN; others rebuild the binary now and then, so wait a while if it is briefly missing."""
    path = source_binary()
    deadline = time.monotonic() + BINARY_WAIT_S
    while not (path.is_file() and os.access(path, os.X_OK)):
        if time.monotonic() > deadline:
            pytest.fail(f"hookbird binary not found at {path} (set HOOKBIRD_BIN)", pytrace=False)
        time.sleep(1)
    return path


def stable_copy(dest_dir: Path, env: dict[str, str] | None = None, timeout: float = COPY_WAIT_S) -> Path:
    """A private copy of the binary in `dest_dir`, taken once its size and mtime have been steady for a second and
    checked with `--version` (a copy cannot change under a kill -9 and restart)."""
    path = source_binary()
    deadline = time.monotonic() + timeout
    previous, stable_since = None, None
    while True:
        try:
            st = path.stat()
            ok = stat.S_ISREG(st.st_mode) and os.access(path, os.X_OK) and st.st_size > 0
            sig = (st.st_size, st.st_mtime_ns) if ok else None
        except OSError:
            sig = None
        if sig is not None and sig == previous:
            stable_since = stable_since or time.monotonic()
            if time.monotonic() - stable_since >= 1.0:
                copy = dest_dir / "hookbird"
                try:
                    shutil.copy2(path, copy)
                    r = subprocess.run([str(copy), "--version"], capture_output=True, timeout=60,
                                       env=env or clean_env(), stdin=subprocess.DEVNULL)
                    if r.returncode == 0:
                        return copy
                except (OSError, subprocess.SubprocessError):
                    pass
                stable_since = None  # being relinked: wait for it to settle again
        else:
            stable_since = None
        previous = sig
        if time.monotonic() > deadline:
            pytest.fail(f"hookbird binary at {path} missing or still changing after {timeout:.0f} s "
                        f"(set HOOKBIRD_BIN or build it)", pytrace=False)
        time.sleep(0.2)
