"""Helpers for the `hookbird listen` suite (tests/listen).

The server process (`Hookbird`) and the scriptable local receiver (`Receiver`) are the delivery suite's
(tests/delivery/delivery_harness.py); this module adds `Listener`, a `hookbird listen` subprocess whose output
lines are collected by a reader thread, so tests can wait for a line instead of sleeping.

Environment:
  HOOKBIRD_BIN   path to the hookbird binary (default: .build/debug/hookbird).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))

from delivery_harness import Hookbird, Receiver, binary_path, free_port, unique, wait_until  # noqa: E402

__all__ = ["Hookbird", "Listener", "Receiver", "binary_path", "free_port", "unique", "wait_until"]


class Listener:
    """One `hookbird listen` process forwarding an application's webhooks to `forward_to`."""

    def __init__(self, server: Hookbird, app: str, forward_to: str, *extra: str, name: str | None = None,
                 token_in_env: bool = False) -> None:
        self.server = server
        self.app = app
        self.forward_to = forward_to
        self.extra = list(extra)
        self.name = name or unique("listen")
        self.token_in_env = token_in_env
        self.lines: list[str] = []
        self._lock = threading.Condition()
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def command(self) -> list[str]:
        cmd = [str(binary_path()), "listen", "--app", self.app, "--forward-to", self.forward_to,
               "--url", self.server.base_url, "--name", self.name, *self.extra]
        if not self.token_in_env:
            cmd += ["--token", self.server.token]
        return cmd

    def start(self, wait_connected: bool = True) -> "Listener":
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKBIRD_")}
        env.setdefault("SWIFT_BACKTRACE", "enable=no")
        if self.token_in_env:
            env["HOOKBIRD_TOKEN"] = self.server.token
        self.starts += 1
        first_line = len(self.lines)
        self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, bufsize=1, env=env)
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        if wait_connected:
            self.wait_line(lambda line: line.startswith("connected"), after=first_line, timeout=20,
                           message="the listener did not connect")
        return self

    def _read(self, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))
                self._lock.notify_all()

    def wait_line(self, predicate: Callable[[str], bool], *, after: int = 0, timeout: float = 15.0,
                  message: str = "") -> str:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for line in self.lines[after:]:
                    if predicate(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"{message or 'no matching line'} within {timeout:.0f} s; listen output:\n"
                                + "\n".join(self.lines[-40:]) + f"\n--- server log ---\n{self.server.log_tail(30)}",
                                pytrace=False)
                self._lock.wait(left)

    def event_lines(self) -> list[str]:
        with self._lock:
            return [line for line in self.lines if " -> " in line]

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM and wait: the exit code, or None if it had to be killed."""
        proc = self.process
        if proc is None or proc.poll() is not None:
            return None if proc is None else proc.returncode
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
            return None

    def kill9(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


# Retries far apart: a message that waited for a listener arrives only if reconnecting makes it due at once.
SLOW_RETRIES = {"--retry-schedule": "1m,1m,1m,1m", "--request-timeout": "5s"}
# Retries within a second, for the tests that watch failing attempts being retried.
FAST_RETRIES = {"--retry-schedule": "300ms,300ms,300ms", "--request-timeout": "5s"}
