"""The recording webhook receiver every suite uses: a threading `http.server` on a free loopback port (IPv4 or
IPv6) that records every request and can be scripted per path (status sequences, delays, Retry-After, redirects,
connection resets, a trickled body).
"""

from __future__ import annotations

import dataclasses
import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclasses.dataclass
class Respond:
    """Answer with `status` after `delay` seconds."""

    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    delay: float = 0.0


@dataclasses.dataclass
class Reset:
    """Read the request, then close the socket with an RST and no response."""


@dataclasses.dataclass
class Stream:
    """Answer `status` at once, then trickle a chunked body: `chunk` every `interval` seconds for `duration` seconds."""

    status: int = 200
    chunk: bytes = b"y" * 1000
    duration: float = 5.0
    interval: float = 0.01


def redirect(location: str, status: int = 302) -> Respond:
    return Respond(status=status, body=b"", headers={"Location": location})


@dataclasses.dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names (last value wins)
    raw_headers: list[tuple[str, str]]
    body: bytes
    at: float  # time.monotonic() when the request was read
    wall: float  # time.time() when the request was read
    done_at: float | None = None  # when the answer began to be written (None: reset, or still in progress)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A scriptable webhook receiver on a free loopback port (IPv4 or IPv6).

    `script(path, *actions)`: answers the requests to `path` with the actions in order; the last one repeats.
    Paths without a script get 200 "ok". `wait_for` gives up after `wait_timeout` seconds unless told otherwise.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, wait_timeout: float = 10.0) -> None:
        self.host = host
        self.wait_timeout = wait_timeout
        self._lock = threading.Condition()
        self.requests: list[Received] = []
        self.connections = 0  # TCP connections accepted, requests or not
        self._scripts: dict[str, list[Any]] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def setup(self) -> None:
                super().setup()
                with receiver._lock:
                    receiver.connections += 1

            def do_POST(self) -> None:
                self._handle()

            def do_GET(self) -> None:
                self._handle()

            def do_PUT(self) -> None:
                self._handle()

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                record = Received(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    raw_headers=list(self.headers.items()),
                    body=body,
                    at=time.monotonic(),
                    wall=time.time(),
                )
                action = receiver._record_and_next_action(record)
                if isinstance(action, Reset):
                    self.close_connection = True
                    try:
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        self.connection.close()
                    except OSError:
                        pass
                    return
                if isinstance(action, Stream):
                    self._stream(action, record)
                    return
                assert isinstance(action, Respond)
                if action.delay:
                    time.sleep(action.delay)
                # Taken before the answer is written: the sender cannot have it earlier, so a request it sends on
                # the slot this answer frees is read after this time (taken after the write, a thread switch could
                # put it after that next request's `at`, and count one request too many in flight).
                answering = time.monotonic()
                try:
                    self.send_response(action.status)
                    for name, value in action.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(action.body)))
                    self.end_headers()
                    self.wfile.write(action.body)
                    self.wfile.flush()
                except OSError:
                    return
                receiver._answered(record, answering)

            def _stream(self, action: Stream, record: Received) -> None:
                self.close_connection = True
                try:
                    self.send_response(action.status)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.wfile.flush()
                    until = time.monotonic() + action.duration
                    while time.monotonic() < until:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(action.chunk), action.chunk))
                        self.wfile.flush()
                        time.sleep(action.interval)
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except OSError:
                    return
                receiver._answered(record, time.monotonic())

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 256
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

        self._server = Server((host, port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"receiver-{self.port}", daemon=True)
        self._thread.start()

    # -- scripting ---------------------------------------------------------

    def script(self, path: str, *actions: Any) -> None:
        with self._lock:
            self._scripts[path] = list(actions)

    def _record_and_next_action(self, record: Received) -> Any:
        with self._lock:
            self.requests.append(record)
            self._lock.notify_all()
            path = record.path.split("?", 1)[0]
            actions = self._scripts.get(path)
            if not actions:
                return Respond()
            return actions.pop(0) if len(actions) > 1 else actions[0]

    def _answered(self, record: Received, at: float) -> None:
        with self._lock:
            record.done_at = at
            self._lock.notify_all()

    # -- inspection --------------------------------------------------------

    def url(self, path: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def received(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if path is None or r.path.split("?", 1)[0] == path]

    def wait_for(self, path: str | None, count: int, timeout: float | None = None) -> list[Received]:
        timeout = self.wait_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                got = [r for r in self.requests if path is None or r.path.split("?", 1)[0] == path]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(
                        f"receiver got {len(got)} request(s) on {path or 'any path'} within {timeout:.1f} s, "
                        f"expected {count}",
                        pytrace=False,
                    )
                self._lock.wait(min(left, 0.1))

    def peak_in_flight(self, path: str, assumed_duration: float) -> int:
        """The most requests to `path` that were being answered at once (a request still unanswered, or reset,
        counts as taking `assumed_duration` seconds)."""
        got = self.received(path)
        events = sorted([(r.at, 1) for r in got] + [(r.done_at or r.at + assumed_duration, -1) for r in got])
        in_flight = peak = 0
        for _, change in events:
            in_flight += change
            peak = max(peak, in_flight)
        return peak

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
