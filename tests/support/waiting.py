"""Waiting without blind sleeps, and the small utilities every harness needs: free ports, log tails, unique names."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import pytest


def poll(predicate: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    """Polls predicate() until it returns something truthy or `timeout` elapses; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.02, message: str = "") -> Any:
    """Polls predicate() until it returns something truthy; fails the test with `message` at the deadline."""
    value = poll(predicate, timeout, interval)
    if not value:
        pytest.fail(f"timed out after {timeout:.1f} s: {message or predicate}", pytrace=False)
    return value


def free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 80) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "<no server log>"


def unique(prefix: str) -> str:
    """unique("acme") -> "acme-1f2e3d4c5b": names and uids that never clash across tests."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
