"""A webhook receiver for bench/isolation.sh that answers each request after a delay taken from its path.

    python3 bench/delay_receiver.py PORT

POST /d/<milliseconds>/<anything>: notes the receipt (time, `webhook-id`, path) when the request has been read, then
answers `200` after <milliseconds>. Plain asyncio on one thread, HTTP/1.1 keep-alive, no dependencies: thousands of
requests may wait at once without a thread each.

GET /count: deliveries received so far. GET /stats: JSON with received, distinct (id, path) pairs, requests in flight now and at
most (overall and per path). GET /receipts: JSON list of [webhook-id, path, receipt time in µs since the epoch,
answer time in µs or null]. POST /reset: forget everything.
"""

import asyncio
import json
import sys
import time

receipts = []  # [id, path, received_us, answered_us]
in_flight = 0
max_in_flight = 0
path_in_flight: dict[str, int] = {}
path_max: dict[str, int] = {}


def now_us() -> int:
    return time.time_ns() // 1000


def reset() -> None:
    global receipts, in_flight, max_in_flight, path_in_flight, path_max
    receipts = []
    max_in_flight = in_flight
    path_max = dict(path_in_flight)


def stats() -> dict:
    ids = {(r[0], r[1]) for r in receipts}  # a message fanned out to several endpoints has one id
    return {
        "received": len(receipts),
        "distinct_ids": len(ids),
        "in_flight": in_flight,
        "max_in_flight": max_in_flight,
        "max_in_flight_per_path": max(path_max.values(), default=0),
        "path_max": path_max,
    }


async def respond(writer: asyncio.StreamWriter, status: str, body: bytes, ctype: str = "application/json") -> None:
    writer.write(
        f"HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body
    )
    await writer.drain()


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    global in_flight, max_in_flight
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
            length = int(headers.get("content-length", "0"))
            if length:
                await reader.readexactly(length)
            if method == "POST" and path.startswith("/d/"):
                received = now_us()
                delay_ms = int(path.split("/")[2])
                record = [headers.get("webhook-id", ""), path, received, None]
                receipts.append(record)
                in_flight += 1
                max_in_flight = max(max_in_flight, in_flight)
                path_in_flight[path] = path_in_flight.get(path, 0) + 1
                path_max[path] = max(path_max.get(path, 0), path_in_flight[path])
                try:
                    if delay_ms:
                        await asyncio.sleep(delay_ms / 1000)
                    await respond(writer, "200 OK", b"")
                    record[3] = now_us()
                finally:
                    in_flight -= 1
                    path_in_flight[path] -= 1
            elif path == "/count":
                await respond(writer, "200 OK", str(len(receipts)).encode(), "text/plain")
            elif path == "/stats":
                await respond(writer, "200 OK", json.dumps(stats()).encode())
            elif path == "/receipts":
                await respond(writer, "200 OK", json.dumps(receipts).encode())
            elif path == "/reset":
                reset()
                await respond(writer, "200 OK", b"{}")
            else:
                await respond(writer, "404 Not Found", b"")
            if headers.get("connection", "").lower() == "close":
                return
    except (ConnectionError, asyncio.CancelledError):
        return
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096, limit=1 << 20)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
