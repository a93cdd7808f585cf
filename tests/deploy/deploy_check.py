"""The checks of tests/deploy/debootstrap-test.sh, inside the minimal Debian it made.

Runs `hookbird --help`, then `hookbird serve` on SQLite on loopback (as deploy/Dockerfile configures it: the
database in /var/lib/hookbird; some settings from a --config YAML file there, the rest from HOOKBIRD_* variables),
waits for /api/v1/health, creates an application and an endpoint through the API pointing at a receiver in this
process (outside the root; loopback is shared), posts a message and checks that the receiver got it once, signed
the Standard Webhooks way with the endpoint's secret. Then SIGTERM, and the server must exit 0. Standard library
only, so it runs with the system's python3 before any venv exists.

With --unit (and strace and systemd-analyze installed), `serve` runs under strace, and every system call it made
and every socket family it opened must be allowed by the unit's SystemCallFilter= and RestrictAddressFamilies=
(the groups expanded by `systemd-analyze syscall-filter`): the unit's sandbox cannot be started here (systemd is not
PID 1), so this is how its filter is checked against what the binary does when it starts, serves, delivers and stops.

    python3 tests/deploy/deploy_check.py --runner RUN_IN_ROOT --root ROOTFS [--unit deploy/hookbird.service]

RUN_IN_ROOT is the script debootstrap-test.sh writes: `RUN_IN_ROOT ROOTFS [NAME=VALUE...] COMMAND...` runs COMMAND
in the root as user hookbird.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

TOKEN = "deploy-check-admin-token-0123456789"
HEALTH_TIMEOUT_S = 30.0
DELIVERY_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fail(message: str, log: Path | None = None) -> None:
    print(f"FAIL: {message}", file=sys.stderr)
    if log is not None and log.exists():
        print(f"--- server output ({log}) ---", file=sys.stderr)
        print(log.read_text(errors="replace")[-8000:], file=sys.stderr)
    sys.exit(1)


class Receiver:
    """A webhook receiver on loopback that keeps every request it gets and answers 204."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self) -> list[tuple[str, dict[str, str], bytes]]:
        with self.lock:
            return list(self.requests)


def api(base: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {TOKEN}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, {"raw": raw.decode(errors="replace")}


def verify_signature(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks: v1,<base64 HMAC-SHA256 of "id.timestamp.body"> under the secret after whsec_."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [part.split(",", 1)[1] for part in headers["webhook-signature"].split() if part.startswith("v1,")]
    return any(hmac.compare_digest(expected, g) for g in given)


def unit_settings(unit: Path, name: str) -> tuple[list[str], list[str]]:
    """The allowed and the denied (`~`) items of every `name=` line of a systemd unit."""
    allowed: list[str] = []
    denied: list[str] = []
    for line in unit.read_text().splitlines():
        if line.startswith(f"{name}="):
            value = line.split("=", 1)[1].strip()
            if value.startswith("~"):
                denied += value[1:].split()
            else:
                allowed += value.split()
    return allowed, denied


def expand_syscalls(items: list[str], seen: dict[str, set[str]]) -> set[str]:
    """System call names of a SystemCallFilter= list, groups (@name) expanded by `systemd-analyze syscall-filter`."""
    names: set[str] = set()
    for item in items:
        if not item.startswith("@"):
            names.add(item)
            continue
        if item not in seen:
            seen[item] = set()
            out = subprocess.run(["systemd-analyze", "syscall-filter", item], capture_output=True, text=True,
                                 check=True).stdout
            members = [line.strip() for line in out.splitlines()[1:]
                       if line.strip() and not line.strip().startswith("#")]
            seen[item] = expand_syscalls(members, seen)
        names |= seen[item]
    return names


def traced_hookbird_pid(tracer: int, binary: Path) -> int | None:
    """The pid of the hookbird process under the strace process `tracer` (found by walking its children)."""
    pending = [tracer]
    while pending:
        pid = pending.pop()
        try:
            if os.path.realpath(f"/proc/{pid}/exe") == str(binary.resolve()):
                return pid
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    pending += [int(child) for child in f.read().split()]
        except OSError:
            continue
    return None


def check_syscalls(trace: Path, unit: Path, log: Path) -> None:
    """Fails if the traced server made a system call, or opened a socket family, that the unit does not allow."""
    calls: set[str] = set()
    families: set[str] = set()
    started = False
    call = re.compile(r"^\d+\s+([a-z0-9_]+)\(")
    family = re.compile(r"^\d+\s+socket(?:pair)?\((AF_[A-Z0-9]+)")
    # MemoryDenyWriteExecute= refuses memory both writable and executable, and making memory executable later.
    executable = re.compile(r"^\d+\s+(mmap|mprotect|pkey_mprotect)\(.*PROT_EXEC")
    writable_code: list[str] = []
    for line in trace.read_text(errors="replace").splitlines():
        if not started:
            # What runs before (unshare, bash, chroot, env) is not the service.
            started = 'execve("/usr/local/bin/hookbird"' in line
            continue
        if match := call.match(line):
            calls.add(match.group(1))
        if match := family.match(line):
            families.add(match.group(1))
        if (match := executable.match(line)) and ("PROT_WRITE" in line or match.group(1) != "mmap"):
            writable_code.append(line)
    if not started:
        fail(f"strace saw no execve of /usr/local/bin/hookbird ({trace})", log)
    allowed, denied = unit_settings(unit, "SystemCallFilter")
    groups: dict[str, set[str]] = {}
    permitted = expand_syscalls(allowed, groups) - expand_syscalls(denied, groups)
    refused = sorted(calls - permitted)
    if refused:
        fail(f"hookbird made system calls that {unit}'s SystemCallFilter= refuses: {', '.join(refused)}", log)
    allowed_families, _ = unit_settings(unit, "RestrictAddressFamilies")
    if families - set(allowed_families):
        fail(f"hookbird opened sockets of {sorted(families - set(allowed_families))}, which {unit}'s "
             f"RestrictAddressFamilies= refuses", log)
    if writable_code and "MemoryDenyWriteExecute=yes" in unit.read_text().splitlines():
        fail(f"hookbird mapped writable or late executable memory, which MemoryDenyWriteExecute=yes refuses: "
             f"{writable_code[:3]}", log)
    print(f"ok: the {len(calls)} system calls and the socket families ({', '.join(sorted(families))}) the server "
          f"used are all allowed by {unit}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runner", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--unit", help="check the server's system calls against this systemd unit's filters")
    args = parser.parse_args()
    runner = [args.runner, args.root]
    rootfs = Path(args.root)
    logs = Path(tempfile.mkdtemp(prefix="hookbird-deploy-"))

    # 1. --help, with no Swift anywhere in the root.
    started = time.monotonic()
    help_run = subprocess.run([*runner, "/usr/local/bin/hookbird", "--help"], capture_output=True, text=True,
                              timeout=60)
    if help_run.returncode != 0 or "serve" not in help_run.stdout:
        fail(f"hookbird --help exited {help_run.returncode}\nstdout: {help_run.stdout}\nstderr: {help_run.stderr}")
    print(f"ok: hookbird --help ({time.monotonic() - started:.2f} s): {help_run.stdout.splitlines()[0]}")

    # 2. serve, configured through the environment as the Dockerfile does it.
    receiver = Receiver()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = logs / "serve.log"
    # Part of it from a config file (read with the YAML parser compiled in): without egress-allow from the file, the
    # SSRF guard would block the receiver on loopback and nothing would be delivered.
    config = rootfs / "var/lib/hookbird/hookbird.yaml"
    config.write_text("egress-allow: 127.0.0.0/8\nretry-schedule: [1s, 1s]\nport: 1\n")  # port: the environment wins
    os.chown(config, 10001, 10001)
    env = [
        "HOOKBIRD_HOST=127.0.0.1",
        f"HOOKBIRD_PORT={port}",
        "HOOKBIRD_DATABASE=sqlite:/var/lib/hookbird/hookbird.sqlite",
        f"HOOKBIRD_ADMIN_TOKEN={TOKEN}",
        "HOOKBIRD_CONFIG=/var/lib/hookbird/hookbird.yaml",
        "SWIFT_BACKTRACE=enable=no",
    ]
    trace: Path | None = None
    tracer: list[str] = []
    if args.unit:
        if shutil.which("strace") and shutil.which("systemd-analyze"):
            trace = logs / "serve.strace"
            tracer = ["strace", "-f", "-qq", "-o", str(trace)]
        else:
            print(f"skip: strace or systemd-analyze missing; the server's system calls are not checked against "
                  f"{args.unit}")
    with open(log, "wb") as out:
        server = subprocess.Popen([*tracer, *runner, *env, "/usr/local/bin/hookbird", "serve"],
                                  stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    try:
        started = time.monotonic()
        while True:
            if server.poll() is not None:
                fail(f"hookbird serve exited {server.returncode} before answering /api/v1/health", log)
            try:
                with urllib.request.urlopen(base + "/api/v1/health", timeout=2) as response:
                    if 200 <= response.status < 300:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() - started > HEALTH_TIMEOUT_S:
                fail(f"no answer from {base}/api/v1/health within {HEALTH_TIMEOUT_S} s", log)
            time.sleep(0.1)
        print(f"ok: /api/v1/health answered {response.status} after {time.monotonic() - started:.2f} s")

        database = rootfs / "var/lib/hookbird/hookbird.sqlite"
        if not database.exists():
            fail(f"no SQLite file at {database}", log)
        owner = database.stat()
        if (owner.st_uid, owner.st_gid) != (10001, 10001):
            fail(f"{database} is owned by {owner.st_uid}:{owner.st_gid}, not hookbird (10001:10001)", log)
        print("ok: the database is /var/lib/hookbird/hookbird.sqlite, owned by hookbird")

        # 3. An application, an endpoint at the receiver, a message; the receiver gets it signed.
        status, app = api(base, "POST", "/api/v1/app", {"name": "deploy check"})
        if status != 201 or not app:
            fail(f"POST /api/v1/app: {status} {app}", log)
        endpoint_url = f"http://127.0.0.1:{receiver.port}/hook"
        status, endpoint = api(base, "POST", f"/api/v1/app/{app['id']}/endpoint",
                               {"url": endpoint_url, "description": "receiver outside the root"})
        if status != 201 or not endpoint:
            fail(f"POST endpoint: {status} {endpoint}", log)
        status, secret = api(base, "GET", f"/api/v1/app/{app['id']}/endpoint/{endpoint['id']}/secret")
        if status != 200 or not secret:
            fail(f"GET endpoint secret: {status} {secret}", log)
        payload = {"check": "debootstrap", "at": time.time()}
        started = time.monotonic()
        status, message = api(base, "POST", f"/api/v1/app/{app['id']}/msg",
                              {"eventType": "deploy.checked", "payload": payload})
        if status != 202 or not message:
            fail(f"POST message: {status} {message}", log)

        while not receiver.received():
            if time.monotonic() - started > DELIVERY_TIMEOUT_S:
                fail(f"the receiver got nothing within {DELIVERY_TIMEOUT_S} s", log)
            if server.poll() is not None:
                fail(f"hookbird serve exited {server.returncode} before delivering", log)
            time.sleep(0.05)
        path, headers, body = receiver.received()[0]
        if path != "/hook" or headers.get("webhook-id") != message["id"]:
            fail(f"unexpected request: {path} {headers}", log)
        if json.loads(body) != payload:
            fail(f"the body is {body!r}, not the payload {payload}", log)
        if not verify_signature(secret["key"], headers, body):
            fail(f"the signature {headers.get('webhook-signature')} does not verify with the endpoint's secret", log)
        print(f"ok: message {message['id']} delivered to the receiver in {time.monotonic() - started:.2f} s, "
              "signature verified")
        time.sleep(0.5)
        if len(receiver.received()) != 1:
            fail(f"the receiver got {len(receiver.received())} requests, not 1", log)

        # 4. A graceful stop (under strace, the signal goes to the traced server, not to strace).
        target = server.pid
        if trace is not None:
            target = traced_hookbird_pid(server.pid, rootfs / "usr/local/bin/hookbird") or server.pid
        os.kill(target, signal.SIGTERM)
        try:
            code = server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            fail("hookbird serve did not stop within 40 s of SIGTERM", log)
        if code != 0:
            fail(f"hookbird serve exited {code} after SIGTERM", log)
        print("ok: SIGTERM, exit 0")
        if trace is not None:
            check_syscalls(trace, Path(args.unit), log)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        receiver.server.shutdown()


if __name__ == "__main__":
    main()
