"""`Listener`: one `hookbird listen` subprocess whose output lines are collected by a reader thread, so tests can
wait for a line instead of sleeping (tests/listen, tests/cluster)."""

from __future__ import annotations

import subprocess
import threading
import time
from typing import Callable

import pytest

from tests.support.binary import binary_path, clean_env
from tests.support.process import Hookbird, kill9, terminate
from tests.support.waiting import unique


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
        env = clean_env()
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
        return None if self.process is None else terminate(self.process, timeout)

    def kill9(self) -> None:
        kill9(self.process)
