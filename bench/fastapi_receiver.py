"""The seed design Hookbird's `/webhook/{source}` replaces, for bench/inbound.sh.

A FastAPI receiver for Stripe-signed events: POST /webhook reads the raw body, verifies `Stripe-Signature`
(`t=…,v1=…`, HMAC-SHA256 over `{t}.{body}` keyed with the whole `whsec_` string, constant-time compare, 300 s
tolerance), parses the JSON for the event `id`, and inserts (id, received_at, body) into SQLite (WAL,
`synchronous=FULL` like Hookbird's default durability, one connection per process, one commit per request). A repeat
of an id is answered `200 {"status": "duplicate"}` (UNIQUE(id)); a new one `200 {"status": "accepted", "id": …}`.

    BENCH_SECRET=whsec_bench_secret BENCH_DB=/tmp/fastapi.sqlite \
        uvicorn fastapi_receiver:app --host 127.0.0.1 --port 18192 --workers 1 --log-level warning

GET /health answers 200 once the database is open.
"""

import hashlib
import hmac
import json
import os
import sqlite3
import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

SECRET = os.environ.get("BENCH_SECRET", "whsec_bench_secret").encode()
DB_PATH = os.environ.get("BENCH_DB", "fastapi-receiver.sqlite")
TOLERANCE = 300

app = FastAPI()


def _open() -> sqlite3.Connection:
    db = sqlite3.connect(DB_PATH, timeout=10.0, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA busy_timeout=10000")
    db.execute(
        "CREATE TABLE IF NOT EXISTS events (id TEXT NOT NULL UNIQUE, received_at REAL NOT NULL, body BLOB NOT NULL)"
    )
    return db


DB = _open()  # one connection per (worker) process


def _refuse(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"code": code, "detail": detail}, status_code=status)


def _verify(header: str | None, body: bytes, now: float) -> str | None:
    """None when the signature is good, otherwise why it is not."""
    if not header:
        return "missing Stripe-Signature"
    timestamp, signatures = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        return "malformed Stripe-Signature"
    try:
        t = int(timestamp)
    except ValueError:
        return "malformed timestamp"
    if abs(now - t) > TOLERANCE:
        return "timestamp outside the tolerance"
    expected = hmac.new(SECRET, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        return "no matching signature"
    return None


@app.get("/health")
async def health() -> dict:
    return {"status": "ok"}


@app.post("/webhook")
async def webhook(request: Request) -> JSONResponse:
    body = await request.body()
    now = time.time()
    reason = _verify(request.headers.get("stripe-signature"), body, now)
    if reason is not None:
        return _refuse(401, "invalid_signature", reason)
    try:
        event = json.loads(body)
        event_id = event["id"]
        if not isinstance(event_id, str):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return _refuse(400, "invalid_payload", "body is not a JSON event with an id")
    try:
        # Autocommit: the INSERT is its own transaction, committed (WAL fsync'd, synchronous=FULL) before it returns.
        DB.execute("INSERT INTO events (id, received_at, body) VALUES (?, ?, ?)", (event_id, now, body))
    except sqlite3.IntegrityError:
        return JSONResponse({"status": "duplicate", "id": event_id})
    return JSONResponse({"status": "accepted", "id": event_id})
