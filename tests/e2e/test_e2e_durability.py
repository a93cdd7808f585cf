"""Durability: kill -9 the server while messages are being created.

What a user relies on: once `POST /api/v1/app/{app}/msg` has answered 202,
the message exists, whatever happens to the process afterwards. So we send
messages from 16 threads, SIGKILL the server at a random point while
requests are in flight, restart it on the same SQLite file and check that

  * every acknowledged message is readable by id and by eventId, with the
    exact payload we sent;
  * every stored message (acknowledged or not) is intact: its payload is
    exactly one of the payloads we sent, no duplicates;
  * after a clean shutdown the database passes `PRAGMA integrity_check`.

This is repeated at 3 random kill points on the same database, for the
default durability (full) and for --durability normal (which still promises
to survive a crash of the process). On PostgreSQL (HOOKBIRD_TEST_DATABASE=postgres)
the server restarts on the same PostgreSQL database; --durability and the
integrity check are SQLite's, so only the default case runs, without it.
"""

from __future__ import annotations

import json
import random
import secrets
import signal
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from hookbird_e2e import ON_POSTGRES, auth, create_app, list_all

THREADS = 16
MESSAGES_PER_ROUND = 300
ROUNDS = 3


def _payload(rng: random.Random, round_no: int, i: int) -> dict:
    text_len = rng.randint(0, 3000)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 éü€日本😀\"\\\n\t"
    return {
        "round": round_no,
        "i": i,
        "nonce": uuid.uuid4().hex,
        "text": "".join(rng.choice(alphabet) for _ in range(text_len)),
        "nested": {"list": [rng.randint(-10**12, 10**12) for _ in range(rng.randint(0, 20))],
                   "flag": rng.random() < 0.5, "none": None, "float": 1.5},
    }


class _Round:
    """One burst of concurrent message creates, killed part-way."""

    def __init__(self, base_url: str, token: str, app_id: str, round_no: int,
                 rng: random.Random) -> None:
        self.url = f"{base_url}/api/v1/app/{app_id}/msg"
        self.headers = {**auth(token), "content-type": "application/json"}
        self.round_no = round_no
        self.lock = threading.Lock()
        self.acked: dict[str, str] = {}        # eventId -> msg id (202 received)
        self.sent: dict[str, dict] = {}        # eventId -> payload (request attempted)
        self.failed: dict[str, str] = {}       # eventId -> error (no 202)
        self.bad_acks: list[str] = []          # 202 whose body does not match the request
        self.local = threading.local()
        self.bodies = []
        for i in range(MESSAGES_PER_ROUND):
            event_id = f"r{round_no}-{i}-{uuid.uuid4().hex[:8]}"
            body = {"eventType": "durability.test", "eventId": event_id,
                    "payload": _payload(rng, round_no, i)}
            self.bodies.append(body)

    def _session(self) -> requests.Session:
        s = getattr(self.local, "session", None)
        if s is None:
            s = self.local.session = requests.Session()
        return s

    def send(self, body: dict) -> None:
        event_id = body["eventId"]
        with self.lock:
            self.sent[event_id] = body["payload"]
        try:
            r = self._session().post(self.url, data=json.dumps(body), headers=self.headers,
                                     timeout=(5, 30))
        except requests.RequestException as e:
            with self.lock:
                self.failed[event_id] = type(e).__name__
            return
        with self.lock:
            if r.status_code == 202:
                try:
                    out = r.json()
                    assert out["eventId"] == event_id and out["id"].startswith("msg_")
                    self.acked[event_id] = out["id"]
                except Exception as e:  # noqa: BLE001 - record, assert later
                    self.bad_acks.append(f"{event_id}: {e!r} body={r.text[:200]!r}")
            else:
                self.failed[event_id] = f"HTTP {r.status_code}: {r.text[:200]}"

    def acked_count(self) -> int:
        with self.lock:
            return len(self.acked)


def _check_everything(base_url: str, token: str, app_id: str, sent: dict[str, dict],
                      acked: dict[str, str], context: str) -> None:
    # 1. Every acknowledged message is there, by id and by eventId, intact.
    lost, wrong = [], []
    with requests.Session() as s:
        s.headers.update(auth(token))
        for event_id, msg_id in acked.items():
            r = s.get(f"{base_url}/api/v1/app/{app_id}/msg/{msg_id}",
                      params={"with_content": "true"}, timeout=30)
            if r.status_code != 200:
                lost.append(f"{msg_id} ({event_id}): HTTP {r.status_code} {r.text[:120]}")
                continue
            m = r.json()
            if m["payload"] != sent[event_id] or m["eventId"] != event_id \
                    or m["eventType"] != "durability.test":
                wrong.append(f"{msg_id}: stored {json.dumps(m)[:200]}")
        # by eventId, for a sample (the path accepts the eventId too)
        for event_id in list(acked)[:: max(1, len(acked) // 25)]:
            r = s.get(f"{base_url}/api/v1/app/{app_id}/msg/{event_id}", timeout=30)
            if r.status_code != 200 or r.json()["id"] != acked[event_id]:
                lost.append(f"by eventId {event_id}: HTTP {r.status_code} {r.text[:120]}")
    assert not lost, (f"{context}: {len(lost)} of {len(acked)} acknowledged (202) messages "
                      f"are missing after kill -9 + restart:\n" + "\n".join(lost[:20]))
    assert not wrong, f"{context}: acknowledged messages changed:\n" + "\n".join(wrong[:20])

    # 2. Every stored message is one we sent, intact, exactly once.
    stored = list_all(base_url, f"/api/v1/app/{app_id}/msg", token,
                      params={"with_content": "true"})
    ids = [m["id"] for m in stored]
    event_ids = [m.get("eventId") for m in stored]
    assert len(set(ids)) == len(ids), f"{context}: duplicate message ids in the list"
    assert len(set(event_ids)) == len(event_ids), f"{context}: duplicate eventIds in the list"
    corrupt = [m["id"] for m in stored
               if m.get("eventId") not in sent or m["payload"] != sent[m["eventId"]]]
    assert not corrupt, f"{context}: stored messages whose payload is not what was sent: {corrupt[:20]}"
    missing_from_list = set(acked.values()) - set(ids)
    assert not missing_from_list, (f"{context}: acknowledged messages readable by id but "
                                   f"absent from the list: {sorted(missing_from_list)[:20]}")


def _integrity_check(db_path) -> None:
    con = sqlite3.connect(str(db_path), timeout=30)
    try:
        result = con.execute("PRAGMA integrity_check").fetchall()
        assert result == [("ok",)], f"PRAGMA integrity_check: {result}"
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "messages" in tables:
            cols = {r[1] for r in con.execute("PRAGMA table_info(messages)")}
            if "payload" in cols:
                bad = []
                for msg_id, payload in con.execute("SELECT rowid, payload FROM messages"):
                    try:
                        if isinstance(payload, bytes):
                            payload = payload.decode()
                        json.loads(payload)
                    except (ValueError, TypeError, AttributeError) as e:
                        bad.append(f"row {msg_id}: {e}")
                assert not bad, f"messages rows with a payload that is not valid JSON: {bad[:10]}"
    finally:
        con.close()


@pytest.mark.parametrize("durability", [
    "default(full)",
    pytest.param("normal", marks=pytest.mark.skipif(ON_POSTGRES, reason="--durability is SQLite's synchronous mode")),
])
def test_kill9_during_concurrent_creates_loses_no_acknowledged_message(hb, workdir, durability):
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    db = workdir / "durable.sqlite"
    token = "hbadmin_" + secrets.token_hex(16)
    extra = ["--admin-token", token]
    if durability == "normal":
        extra += ["--durability", "normal"]

    server = hb.serve(db, *extra)
    app_id = create_app(server.base_url, token, "durability")["id"]

    all_sent: dict[str, dict] = {}
    all_acked: dict[str, str] = {}
    for round_no in range(ROUNDS):
        kill_after = rng.randint(15, 150)
        burst = _Round(server.base_url, token, app_id, round_no, rng)
        executor = ThreadPoolExecutor(max_workers=THREADS)
        try:
            futures = [executor.submit(burst.send, body) for body in burst.bodies]
            deadline = time.monotonic() + 60
            while burst.acked_count() < kill_after and not all(f.done() for f in futures):
                assert time.monotonic() < deadline, (
                    f"only {burst.acked_count()} messages acknowledged in 60 s "
                    f"(failures: {list(burst.failed.items())[:5]})\n{server.logs()}")
                time.sleep(0.001)
            server.kill9()
            killed_at = burst.acked_count()
        finally:
            executor.shutdown(wait=True)
        for f in futures:
            f.result()  # surface unexpected exceptions from the workers

        context = (f"durability={durability} round={round_no} seed={seed} "
                   f"killed after {killed_at} acks")
        assert server.proc.returncode == -signal.SIGKILL, context
        assert not burst.bad_acks, f"{context}: malformed 202 responses: {burst.bad_acks[:5]}"
        assert burst.failed, (f"{context}: every request finished before the kill, so nothing "
                              f"was in flight; the test did not test anything")
        unexpected = {k: v for k, v in burst.failed.items() if v.startswith("HTTP")}
        assert not unexpected, f"{context}: non-202 answers before the kill: {list(unexpected.items())[:5]}"

        all_sent.update(burst.sent)
        all_acked.update(burst.acked)
        print(f"{context}: acked={len(burst.acked)} failed={len(burst.failed)} "
              f"not-attempted={MESSAGES_PER_ROUND - len(burst.sent)}")

        server = hb.serve(db, *extra)
        _check_everything(server.base_url, token, app_id, all_sent, all_acked, context)

    code = server.signal_and_wait(signal.SIGTERM)
    assert code == 0, f"SIGTERM after the last round: {code}\n{server.logs()}"
    if not ON_POSTGRES:  # PostgreSQL's own crash safety is not ours to check
        _integrity_check(db)
