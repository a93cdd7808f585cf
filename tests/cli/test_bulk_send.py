"""`hookbird message send --file` in bulk (issue 21): many runs of large files at every concurrency, each line stored
exactly once (checked through the API); a send stopped half-way (lines failing, the server killed, Ctrl-C) says
which lines are stored and which are not; and the same file sent again stores only what is missing, reporting the
rest as already sent, with exit code 0 once every line is stored.

Written against the release binary (scripts/release.sh), where a miscompiled task group once crashed or silently
dropped results (the debug build never showed it)."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from cli_harness import CLI, CLI_TIMEOUT_S
from tests.support import Hookbird, binary_path

LINES = 1000
RUNS = 20


def stored_payloads(server: Hookbird, app: str) -> list[dict]:
    """Every message of the application, through the API (newest first, 250 a page)."""
    payloads: list[dict] = []
    iterator = None
    while True:
        params = {"limit": 250, **({"iterator": iterator} if iterator else {})}
        page = server.api("GET", f"/app/{app}/msg", 200, params=params).json()
        payloads += [m["payload"] for m in page["data"]]
        if page["done"]:
            return payloads
        iterator = page["iterator"]


def assert_each_stored_once(server: Hookbird, app: str, count: int) -> None:
    ns = sorted(p["n"] for p in stored_payloads(server, app))
    missing = sorted(set(range(count)) - set(ns))
    twice = sorted({n for n in ns if ns.count(n) > 1}) if len(ns) != len(set(ns)) else []
    assert ns == list(range(count)), f"{len(ns)} stored for {count} lines; missing {missing[:20]}, twice {twice[:20]}"


def write_file(path: Path, count: int, *, event_id_every: int = 0, tag: str = "", bad: set[int] = frozenset()) -> None:
    """`count` messages with payload {"n": i}; every `event_id_every`-th line (from the first) has an eventId; the
    lines of `bad` (0-based) have an event type the server refuses."""
    lines = []
    for n in range(count):
        body: dict = {"eventType": "bad type!" if n in bad else "bulk.item", "payload": {"n": n, "tag": tag}}
        if event_id_every and n % event_id_every == 0:
            body["eventId"] = f"{tag}-{n}"
        lines.append(json.dumps(body))
    path.write_text("\n".join(lines) + "\n")


def line_numbers(text: str) -> set[int]:
    """The line numbers of `lines 1-3, 7` (or `line 7`)."""
    numbers: set[int] = set()
    for part in re.sub(r"^lines? ", "", text.strip()).split(", "):
        first, _, last = part.partition("-")
        numbers.update(range(int(first), int(last or first) + 1))
    return numbers


def report(stderr: str, label: str) -> set[int]:
    """The line numbers stderr gives after `label: ` (empty when the label is absent)."""
    match = re.search(rf"^{re.escape(label)}: (lines? [\d, -]+)$", stderr, re.M)
    return line_numbers(match.group(1)) if match else set()


def send_until(cli: CLI, app: str, path: Path, total: int, done_at_least: int,
               act: Callable[[subprocess.Popen], None], *extra: str) -> subprocess.Popen:
    """Starts `message send --file … --progress` and calls `act(process)` once its progress bar shows
    `done_at_least` lines done; returns the process, which may still be running."""
    cmd = [str(binary_path()), "message", "send", app, "--file", str(path), "--progress", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli.env())
    seen = b""
    deadline = time.monotonic() + CLI_TIMEOUT_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 0.5)
        if ready:
            chunk = os.read(proc.stderr.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
            counts = re.findall(rb"\]\s+(\d+)/" + str(total).encode(), seen)
            if counts and int(counts[-1]) >= done_at_least:
                act(proc)
                break
    else:
        proc.kill()
        pytest.fail(f"the send did not reach {done_at_least} lines within {CLI_TIMEOUT_S} s", pytrace=False)
    proc.progress_seen = seen  # type: ignore[attr-defined]
    return proc


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    stdout, stderr = proc.communicate(timeout=CLI_TIMEOUT_S)
    seen = getattr(proc, "progress_seen", b"")
    return proc.returncode, stdout.decode(), (seen + stderr).decode()


# --------------------------------------------------------------------------
# Many runs of a large file
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bulk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hookbird]:
    """A server of their own for the many runs, on an SQLite file without an fsync per commit (`--durability
    normal`, ignored on PostgreSQL): these runs are about the client, and 60 000 fsyncs would take minutes."""
    server = Hookbird(tmp_path_factory.mktemp("bulk"), {"--durability": "normal"}, name="bulk")
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize("concurrency", [1, 4, 64])
def test_twenty_runs_of_a_thousand_lines_store_each_line_once(bulk_server: Hookbird, tmp_path: Path,
                                                              concurrency: int) -> None:
    cli = CLI(bulk_server)
    for run in range(RUNS):
        app = cli.server.create_app(f"bulk-c{concurrency}")
        path = tmp_path / f"run{run}.jsonl"
        # A new file each run; every third line has an eventId, the others go with an idempotency key.
        write_file(path, LINES, event_id_every=3, tag=f"c{concurrency}r{run}")
        result = cli.run("message", "send", app, "--file", str(path), "--concurrency", str(concurrency), expect=None)
        assert result.code == 0, f"run {run}: exit {result.code}\n{result.stdout}\n{result.stderr[-2000:]}"
        assert result.stdout.strip() == f"sent {LINES} of {LINES} message(s) to {app}", f"run {run}"
        assert result.stderr == "", f"run {run}: {result.stderr[-2000:]}"
        assert_each_stored_once(cli.server, app, LINES)


# --------------------------------------------------------------------------
# A file that was partly sent, sent again
# --------------------------------------------------------------------------


def test_failed_lines_are_listed_and_the_file_sent_again_stores_only_the_rest(cli: CLI, tmp_path: Path) -> None:
    app = cli.server.create_app("bulk-failed")
    path = tmp_path / "m.jsonl"
    # Every line has an eventId, so the file may change between runs; lines 50 and 150 are refused.
    write_file(path, 200, event_id_every=1, tag="f", bad={49, 149})
    first = cli.run("message", "send", app, "--file", str(path), expect=1)
    assert first.stdout.strip() == f"sent 198 of 200 message(s) to {app}, 2 failed"
    assert re.search(r"^error: lines 50, 150: 422 validation_error: body.eventType", first.stderr, re.M), first.stderr
    assert report(first.stderr, "stored") == set(range(1, 201)) - {50, 150}
    assert report(first.stderr, "failed") == {50, 150}
    assert "send the file again for the rest" in first.stderr

    # The same file again: the stored lines are already sent, not failures; the two bad ones still fail.
    again = cli.run("message", "send", app, "--file", str(path), expect=1)
    assert again.stdout.strip() == f"sent 0 of 200 message(s) to {app}, 198 already sent, 2 failed"
    assert report(again.stderr, "failed") == {50, 150}

    # Fixed: the two are sent, the rest reported already sent, exit 0; each line is stored once.
    write_file(path, 200, event_id_every=1, tag="f")
    fixed = cli.run("message", "send", app, "--file", str(path), "--json")
    stored = [json.loads(line) for line in fixed.lines()]
    assert [m["payload"]["n"] for m in stored] == list(range(200)), "--json prints every stored line in order"
    assert fixed.stderr == ""
    assert_each_stored_once(cli.server, app, 200)
    assert cli.run("message", "send", app, "--file", str(path)).stdout.strip() == (
        f"sent 0 of 200 message(s) to {app}, 200 already sent"
    )

    # An eventId already used by another message is a failure that says so.
    path.write_text(json.dumps({"eventType": "bulk.item", "payload": {"n": -1}, "eventId": "f-7"}) + "\n")
    other = cli.run("message", "send", app, "--file", str(path), expect=1)
    assert re.search(r"^error: line 1: 409 conflict: eventId f-7 is already used by msg_\S+, whose event type or "
                     r"payload differs$", other.stderr, re.M), other.stderr


def test_lines_without_event_id_are_sent_once_per_file(cli: CLI, tmp_path: Path) -> None:
    app = cli.server.create_app("bulk-keys")
    path = tmp_path / "m.jsonl"
    write_file(path, 30, tag="k")
    assert cli.run("message", "send", app, "--file", str(path)).stdout.strip() == f"sent 30 of 30 message(s) to {app}"
    # Again: each line's Idempotency-Key (file digest + line number) is answered as before.
    again = cli.run("message", "send", app, "--file", str(path), "--concurrency", "8")
    assert again.stdout.strip() == f"sent 0 of 30 message(s) to {app}, 30 already sent" and again.stderr == ""
    assert_each_stored_once(cli.server, app, 30)
    # From standard input the same.
    piped = cli.run("message", "send", app, "--file", "-", stdin=path.read_text())
    assert piped.stdout.strip() == f"sent 0 of 30 message(s) to {app}, 30 already sent"

    # --no-idempotency-keys: stored again. A changed file is another file: its lines are new.
    assert cli.run("message", "send", app, "--file", str(path), "--no-idempotency-keys").stdout.strip() == (
        f"sent 30 of 30 message(s) to {app}"
    )
    assert len(stored_payloads(cli.server, app)) == 60
    path.write_text(path.read_text() + "\n")
    assert cli.run("message", "send", app, "--file", str(path)).stdout.strip() == f"sent 30 of 30 message(s) to {app}"
    assert cli.run("message", "send", app, "--no-idempotency-keys", expect=64).stderr


def test_a_send_stopped_by_ctrl_c_lists_the_lines_and_the_file_sent_again_completes(cli: CLI, tmp_path: Path) -> None:
    total = 3000
    app = cli.server.create_app("bulk-sigint")
    path = tmp_path / "m.jsonl"
    write_file(path, total, event_id_every=2, tag="i")
    proc = send_until(cli, app, path, total, 200, lambda p: p.send_signal(signal.SIGINT), "--concurrency", "2")
    code, stdout, stderr = finish(proc)
    assert code == 130, f"exit {code}\n{stdout}\n{stderr[-2000:]}"
    match = re.fullmatch(rf"sent (\d+) of {total} message\(s\) to {app}, (\d+) not sent \(interrupted\)", stdout.strip())
    assert match, stdout
    sent = int(match.group(1))
    reported = report(stderr, "stored")
    in_flight = report(stderr, "interrupted in flight (may or may not be stored)")
    not_sent = report(stderr, "not sent (interrupted)")
    assert len(reported) == sent >= 200 and len(in_flight) <= 2
    assert reported | in_flight | not_sent == set(range(1, total + 1)) and not (reported & not_sent)
    assert "send the file again for the rest" in stderr
    # What the report says is stored is stored, what it says was not sent is not.
    stored = {p["n"] + 1 for p in stored_payloads(cli.server, app)}
    assert reported <= stored and not (stored & not_sent)

    again = cli.run("message", "send", app, "--file", str(path))
    match = re.fullmatch(rf"sent (\d+) of {total} message\(s\) to {app}, (\d+) already sent", again.stdout.strip())
    assert match, again.stdout
    assert int(match.group(1)) + int(match.group(2)) == total and int(match.group(2)) >= sent
    assert_each_stored_once(cli.server, app, total)


def test_a_server_killed_half_way_then_the_file_sent_again(servers, tmp_path: Path) -> None:
    total = 2000
    server: Hookbird = servers()
    cli = CLI(server)
    app = server.create_app("bulk-kill")
    path = tmp_path / "m.jsonl"
    write_file(path, total, event_id_every=4, tag="x")
    proc = send_until(cli, app, path, total, 300, lambda _: server.kill9())
    code, stdout, stderr = finish(proc)
    assert code == 1, f"exit {code}\n{stdout}\n{stderr[-2000:]}"
    match = re.fullmatch(rf"sent (\d+) of {total} message\(s\) to {app}, (\d+) failed", stdout.strip())
    assert match, stdout
    reported, failed = report(stderr, "stored"), report(stderr, "failed")
    assert len(reported) == int(match.group(1)) >= 300 and reported | failed == set(range(1, total + 1))
    assert re.search(r"^error: lines [\d, -]+: unreachable: cannot reach .*: connection refused$", stderr, re.M), (
        stderr[-2000:]
    )

    server.start()  # the same database
    again = cli.run("message", "send", app, "--file", str(path), "--concurrency", "16")
    match = re.fullmatch(rf"sent (\d+) of {total} message\(s\) to {app}, (\d+) already sent", again.stdout.strip())
    assert match, again.stdout
    assert int(match.group(2)) >= len(reported)
    assert_each_stored_once(server, app, total)
