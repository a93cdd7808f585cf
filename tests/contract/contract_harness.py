"""What tests/contract shares: a real `hookbird serve`, a schemathesis run against it, and its failures read back.

A run is the schemathesis CLI (the one from PyPI, pinned in scripts/test.sh) with a fixed seed and a bounded number
of examples per operation, `--continue-on-failure`, and an NDJSON report; `Run.failures` reads every failed check
back from the report with its request and response, so a test can hold each one against its list of accepted
deviations and fail on anything else (5xx included: `not_a_server_error` is among the checks of every run).
"""

from __future__ import annotations

import base64
import dataclasses
import glob
import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterable

import requests

from tests.support import REPO_ROOT, Hookbird, binary_path

HERE = Path(__file__).resolve().parent
SVIX_SPEC = REPO_ROOT / "scripts" / "openapi" / "svix-openapi.json"

# Bounded: a fixed seed and this many examples per operation and phase (override with CONTRACT_MAX_EXAMPLES).
SEED = 20261204
MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "15"))
FOUR_CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"


class Server(Hookbird):
    """tests/support's `hookbird serve`, with `--role api` (no delivery engine, so nothing is sent anywhere and what
    the fuzzer creates stays put) and a JWT secret for app-scoped tokens; `request` and `json` take whole paths and
    any token."""

    def __init__(self, workdir: Path) -> None:
        self.jwt_secret = secrets.token_hex(32)
        super().__init__(workdir, {"--jwt-secret": self.jwt_secret, "--role": "api", "--log-level": "warning"},
                         base_flags={})

    @property
    def admin_token(self) -> str:
        return self.token

    def request(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        headers.setdefault("Authorization", f"Bearer {token or self.admin_token}")
        return requests.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)

    def json(self, method: str, path: str, body=None, token: str | None = None, expect=(200, 201, 202)) -> dict:
        response = self.request(method, path, token, json=body)
        assert response.status_code in expect, f"{method} {path}: {response.status_code} {response.text[:300]}"
        return response.json() if response.content else {}

    def app_token(self, app_id: str) -> str:
        out = subprocess.run([str(binary_path()), "token", "create", "--app", app_id, "--jwt-secret", self.jwt_secret],
                             check=True, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        return out.stdout.strip().splitlines()[-1].strip()

    def stop(self, timeout: float = 15.0) -> int | None:
        return super().stop(timeout)


def start_server(workdir: Path) -> Server:
    return Server(workdir).start()


# ---------------------------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Failure:
    """One failed check of one request."""

    check: str
    code: str
    title: str
    operation: str  # "GET /api/v1/health" (the document's path template)
    status: int | None
    request_method: str
    request_uri: str
    request_body: str
    response_body: str
    message: str

    def describe(self) -> str:
        return (f"{self.code} {self.title} [{self.check}] on {self.operation}: got {self.status}\n"
                f"    {self.message.splitlines()[0] if self.message else ''}\n"
                f"    request: {self.request_method} {self.request_uri} {self.request_body[:300]}\n"
                f"    response: {self.response_body[:300]}")


@dataclasses.dataclass(frozen=True)
class Accepted:
    """A failure the test lets through, and why. `match` narrows it further (the failure's response, request…)."""

    operation: str
    check: str
    status: int | None
    reason: str
    match: Callable[[Failure], bool] | None = None

    def covers(self, failure: Failure) -> bool:
        if self.operation != failure.operation and not re.fullmatch(self.operation, failure.operation):
            return False
        if self.check != failure.check or (self.status is not None and self.status != failure.status):
            return False
        return self.match is None or self.match(failure)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict) and "$base64" in value:
        return base64.b64decode(value["$base64"]).decode("utf-8", "replace")
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


@dataclasses.dataclass
class Run:
    returncode: int
    output: str
    report: Path
    seconds: float

    def events(self) -> Iterable[dict]:
        with open(self.report) as f:
            for line in f:
                yield json.loads(line)

    def failures(self) -> list[Failure]:
        found: dict[tuple, Failure] = {}
        for event in self.events():
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished["recorder"]
            cases = recorder.get("cases", {})
            for case_id, checks in recorder.get("checks", {}).items():
                for check in checks:
                    if check.get("status") != "failure":
                        continue
                    info = (check.get("failure_info") or {}).get("failure") or {}
                    interaction = recorder.get("interactions", {}).get(case_id) or {}
                    request = interaction.get("request") or {}
                    response = interaction.get("response") or {}
                    case = (cases.get(case_id) or {}).get("value") or {}
                    operation = info.get("operation") or recorder.get("label", "")
                    if not re.match(r"^[A-Z]+ /", operation) and case.get("method") and case.get("path"):
                        operation = f"{case['method']} {case['path']}"
                    failure = Failure(
                        check=check.get("name", ""), code=info.get("code", ""), title=info.get("title", ""),
                        operation=operation, status=response.get("status_code"),
                        request_method=request.get("method", ""), request_uri=request.get("uri", ""),
                        request_body=_text(request.get("body")), response_body=_text(response.get("content")),
                        message=info.get("message", ""))
                    found.setdefault((failure.check, failure.operation, failure.status, failure.response_body[:200],
                                      failure.request_uri, failure.request_body[:200]), failure)
        return list(found.values())

    def errors(self) -> list[str]:
        """Errors schemathesis met (network errors, a schema it could not use), one line each."""
        out = []
        for event in self.events():
            for kind in ("NonFatalError", "FatalError"):
                error = event.get(kind)
                if error:
                    value = error.get("value") or {}
                    out.append(f"{error.get('label', '')}: {value.get('type', '')} {value.get('message', '')}".strip())
        return out

    def responses(self) -> Iterable[tuple[str, int | None, str]]:
        """(request line, status, body) of every request the run made."""
        for event in self.events():
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            for interaction in finished["recorder"].get("interactions", {}).values():
                request = interaction.get("request") or {}
                response = interaction.get("response") or {}
                yield (f"{request.get('method')} {request.get('uri')}", response.get("status_code"),
                       _text(response.get("content")))

    def requests_made(self) -> int:
        return sum(1 for _ in self.responses())


def run_schemathesis(schema: str, server: Server, token: str, checks: str, workdir: Path, name: str,
                     parameters: dict[str, str] | None = None, auth_scheme: str | None = None,
                     extra: Iterable[str] = ()) -> Run:
    """Runs schemathesis against the server with `schema` (a URL or file)."""
    report_dir = workdir / f"report-{name}"
    config = workdir / f"schemathesis-{name}.toml"
    lines = [
        "[generation]",
        "# Text only: a body is JSON, and a NUL byte in a header or URL says nothing about the API.",
        "allow-x00 = false",
        "[[operations]]",
        'include-path = "/api/v1/app/{app_id}/listen/{endpoint_id}/stream"',
        "# The stream never ends by itself: read its first event (`ready`) and stop.",
        "max-stream-events = 1",
        "request-timeout = 10",
    ]
    if auth_scheme:
        # Through the document's security scheme, so that schemathesis knows the header is the credential (and
        # leaves it out, or spoils it, for its authentication checks).
        lines = [f"[auth.openapi.{auth_scheme}]", f'bearer = "{token}"'] + lines
    if parameters:
        lines.append("[parameters]")
        lines += [f'"{key}" = "{value}"' for key, value in parameters.items()]
    config.write_text("\n".join(lines) + "\n")
    exe = Path(sys.executable).parent / "schemathesis"
    cmd = [str(exe), "--config-file", str(config), "run", schema, "--url", server.base_url,
           *([] if auth_scheme else ["--header", f"Authorization: Bearer {token}"]), "--checks", checks, "--seed", str(SEED),
           "--max-examples", str(MAX_EXAMPLES), "--continue-on-failure", "--workers", "1",
           "--request-timeout", "20", "--no-color", "--report", "ndjson", "--report-dir", str(report_dir),
           "--generation-database", "none", "--suppress-health-check", "all", *extra]
    env = dict(os.environ, SCHEMATHESIS_HOOKS="st_hooks", PYTHONPATH=str(HERE))
    started = time.monotonic()
    completed = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=1800)
    seconds = time.monotonic() - started
    (workdir / f"schemathesis-{name}.txt").write_text(completed.stdout + completed.stderr)
    reports = sorted(glob.glob(str(report_dir / "*.ndjson")))
    assert reports, f"schemathesis wrote no report:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    return Run(completed.returncode, completed.stdout + completed.stderr, Path(reports[-1]), seconds)


def summary(run: Run, failures: list[Failure]) -> str:
    counts: dict[str, int] = {}
    for failure in failures:
        counts[failure.check] = counts.get(failure.check, 0) + 1
    return f"{run.requests_made()} requests in {run.seconds:.0f} s; failures by check: {counts or 'none'}"
