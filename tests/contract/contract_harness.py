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
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterable

import requests

from tests.support import REPO_ROOT, database_url, free_port, source_binary

HERE = Path(__file__).resolve().parent
SVIX_SPEC = REPO_ROOT / "scripts" / "openapi" / "svix-openapi.json"

# Bounded: a fixed seed and this many examples per operation and phase (override with CONTRACT_MAX_EXAMPLES).
SEED = 20261204
MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "15"))
FOUR_CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"


@dataclasses.dataclass
class Server:
    base_url: str
    admin_token: str
    jwt_secret: str
    database: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 80) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "<no server log>"

    def api(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        headers.setdefault("Authorization", f"Bearer {token or self.admin_token}")
        return requests.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)

    def json(self, method: str, path: str, body=None, token: str | None = None, expect=(200, 201, 202)) -> dict:
        response = self.api(method, path, token, json=body)
        assert response.status_code in expect, f"{method} {path}: {response.status_code} {response.text[:300]}"
        return response.json() if response.content else {}

    def app_token(self, app_id: str) -> str:
        out = subprocess.run([str(source_binary()), "token", "create", "--app", app_id,
                              "--jwt-secret", self.jwt_secret], check=True, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        return out.stdout.strip().splitlines()[-1].strip()

    def stop(self) -> int | None:
        if self.process.poll() is not None:
            return self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
            return None


def start_server(workdir: Path) -> Server:
    path = source_binary()
    if not path.is_file():
        raise RuntimeError(f"hookbird binary not found at {path} (set HOOKBIRD_BIN or run `swift build`)")
    port = free_port()
    token = "hbadmin_" + secrets.token_hex(16)
    jwt_secret = secrets.token_hex(32)
    database = database_url(workdir)
    log_path = workdir / "server.log"
    # `--role api`: no delivery engine, so nothing is sent anywhere and what the fuzzer creates stays put.
    cmd = [str(path), "serve", "--host", "127.0.0.1", "--port", str(port), "--database", database,
           "--admin-token", token, "--jwt-secret", jwt_secret, "--role", "api", "--log-level", "warning"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    server = Server(f"http://127.0.0.1:{port}", token, jwt_secret, database, process, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"hookbird exited with {process.returncode}:\n{server.log_tail()}")
        try:
            if requests.get(server.base_url + "/api/v1/health", timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"hookbird did not become healthy:\n{server.log_tail()}")


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
