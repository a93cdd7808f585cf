"""Helpers for the CLI suite (tests/cli): run `hookbird <noun> <verb>` as a process against one server.

The server process and the scriptable receiver are the shared ones (tests/support); the CLI is the same binary
(HOOKBIRD_BIN), run once per command with `subprocess.run`.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support import Hookbird, binary_path, clean_env

CLI_TIMEOUT_S = 120.0


@dataclass
class Run:
    """One finished CLI process."""

    args: list[str]
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    def lines(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.strip()]


class CLI:
    """Runs `hookbird …` against one server; `--url`/`--token` come from the environment unless given."""

    def __init__(self, server: Hookbird) -> None:
        self.server = server

    def env(self, **extra: str) -> dict[str, str]:
        env = clean_env()
        env["HOOKBIRD_URL"] = self.server.base_url
        env["HOOKBIRD_TOKEN"] = self.server.token
        env.update(extra)
        return env

    def run(self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None,
            expect: int | None = 0) -> Run:
        cmd = [str(binary_path()), *args]
        # Bytes, not text=True: universal newlines would turn the progress bar's "\r" into "\n".
        proc = subprocess.run(cmd, capture_output=True, env=env or self.env(),
                              input=stdin.encode() if stdin is not None else None, timeout=CLI_TIMEOUT_S)
        run = Run(list(args), proc.returncode, proc.stdout.decode(), proc.stderr.decode())
        if expect is not None and proc.returncode != expect:
            pytest.fail(f"`hookbird {' '.join(args)}` exited {proc.returncode}, expected {expect}\n"
                        f"--- stdout ---\n{run.stdout}\n--- stderr ---\n{run.stderr}", pytrace=False)
        return run

    def json(self, *args: str) -> Any:
        return self.run(*args, "--json").json
