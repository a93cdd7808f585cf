"""`hookbird listen` against a real server and a real local receiver.

Each test starts its own server; the listener is the real binary as a subprocess, forwarding to a threading
http.server that verifies the Standard Webhooks signature with the `standardwebhooks` library against the secret
of the stream endpoint.
"""

from __future__ import annotations

import json
import subprocess
import time

import requests
from standardwebhooks.webhooks import Webhook

from listen_harness import FAST_RETRIES, SLOW_RETRIES
from tests.support import Respond, binary_path, free_port, unique, wait_until


def setup_app(server, *event_types: str) -> str:
    app = server.create_app("listen")
    for name in event_types:
        server.create_event_type(name)
    return app


def stream_endpoint(server, app: str, name: str) -> dict:
    return server.endpoint(app, name)


def verify(received, secret: str) -> dict:
    """The payload of a received webhook, after checking its signature."""
    headers = {k: v for k, v in received.headers.items() if k.startswith("webhook-")}
    return Webhook(secret).verify(received.body, headers)


def ids(received) -> list[str]:
    return [r.header("webhook-id") for r in received]


def test_forwards_signed_webhooks_and_filters_event_types(make_server, receiver, listeners):
    server = make_server(FAST_RETRIES)
    app = setup_app(server, "order.created", "order.paid", "user.signup")
    listener = listeners(server, app, receiver.url("/hooks"), "--event-types", "order.created,order.paid",
                         token_in_env=True).start()

    endpoint = stream_endpoint(server, app, listener.name)
    assert endpoint["url"] == f"hookbird-listen://{endpoint['id']}"
    assert sorted(endpoint["filterTypes"]) == ["order.created", "order.paid"]
    secret = server.secret(app, endpoint["id"])
    assert any(secret in line for line in listener.lines), "the listener prints the signing secret"

    created = server.send(app, "order.created", {"order": 1})
    skipped = server.send(app, "user.signup", {"user": 2})
    paid = server.send(app, "order.paid", {"order": 1, "paid": True})

    got = receiver.wait_for("/hooks", 2, timeout=15)
    assert sorted(ids(got)) == sorted([created["id"], paid["id"]])
    for received in got:
        payload = verify(received, secret)
        expected = {created["id"]: {"order": 1}, paid["id"]: {"order": 1, "paid": True}}[received.header("webhook-id")]
        assert payload == expected
        assert received.header("content-type") == "application/json"

    # One line per webhook: time, event type, message id, local status and duration.
    for msg, event_type in ((created["id"], "order.created"), (paid["id"], "order.paid")):
        line = listener.wait_line(lambda l, m=msg: m in l and " -> " in l, message=f"no line for {msg}")
        assert f"  {event_type}  {msg}  -> 200 (" in line and line.endswith(" ms)")

    # The attempts are ordinary attempts of the endpoint.
    attempts = server.wait_attempts(app, created["id"], 1)
    assert attempts[0]["responseStatusCode"] == 200
    assert attempts[0]["response"] == "ok"
    assert attempts[0]["endpointId"] == endpoint["id"]

    time.sleep(0.5)
    assert skipped["id"] not in ids(receiver.received("/hooks"))
    assert len(listener.event_lines()) == 2


def test_messages_wait_while_the_listener_is_away(make_server, receiver, listeners):
    server = make_server(SLOW_RETRIES)
    app = setup_app(server, "thing.happened")
    listener = listeners(server, app, receiver.url("/hooks")).start()
    endpoint = stream_endpoint(server, app, listener.name)
    secret = server.secret(app, endpoint["id"])

    first = server.send(app, "thing.happened", {"n": 0})
    receiver.wait_for("/hooks", 1, timeout=15)
    # Its line is printed once the outcome is reported: stopping earlier would make it wait for a retry as well.
    listener.wait_line(lambda l: f"{first['id']}  -> 200" in l)

    # A clean stop (SIGTERM), then messages while it is away: each fails its first attempt and waits for a retry
    # a minute later. (The server learns that the stream is gone when it next writes to it, so the first one may
    # read "listener disconnected".)
    assert listener.stop() == 0
    assert listener.lines[-1] == "stopped"
    away = [server.send(app, "thing.happened", {"n": n}) for n in range(1, 4)]
    for message in away:
        attempts = server.wait_attempts(app, message["id"], 1, timeout=15)
        assert attempts[0]["responseStatusCode"] == 0
        assert attempts[0]["response"] in ("listener not connected", "listener disconnected")

    # Back under the same name: everything that waited arrives at once, not a minute later.
    started = time.monotonic()
    listener.start()
    for message in away:
        listener.wait_line(lambda l, m=message["id"]: f"{m}  -> 200" in l, timeout=15)
    assert time.monotonic() - started < 15
    assert any("connected (3 waiting, sent now)" == line for line in listener.lines)

    # Killed abruptly this time; what is sent meanwhile waits as well.
    listener.kill9()
    more = [server.send(app, "thing.happened", {"n": n}) for n in range(4, 7)]
    for message in more:
        server.wait_attempts(app, message["id"], 1, timeout=30)
    listener.start()
    for message in more:
        listener.wait_line(lambda l, m=message["id"]: f"{m}  -> 200" in l, timeout=30)
    got = receiver.received("/hooks")

    # None lost, none twice, all signed. (Delivery is at least once: a listener stopped after forwarding a webhook
    # but before reporting its outcome gets it again; hence the waits for each line above.)
    expected = [first["id"]] + [m["id"] for m in away + more]
    assert sorted(ids(got)) == sorted(expected)
    for received in got:
        verify(received, secret)
    wait_until(lambda: server.settled(app, endpoint["id"]), 15, message="deliveries still pending")
    time.sleep(0.5)
    assert len(receiver.received("/hooks")) == 7


def test_failing_local_answers_are_retried(make_server, receiver, listeners):
    server = make_server(FAST_RETRIES)
    app = setup_app(server, "thing.happened")
    receiver.script("/hooks", Respond(500, b"boom"), Respond(503, b"later"), Respond(200, b"fine"))
    listener = listeners(server, app, receiver.url("/hooks")).start()

    message = server.send(app, "thing.happened", {"n": 1})
    attempts = server.wait_attempts(app, message["id"], 3, timeout=20)
    assert [a["responseStatusCode"] for a in attempts] == [500, 503, 200]
    assert [a["response"] for a in attempts] == ["boom", "later", "fine"]
    assert [a["status"] for a in attempts] == [2, 2, 0]
    for status in (500, 503, 200):
        listener.wait_line(lambda l, s=status: f"{message['id']}  -> {status} (" in l)
    assert ids(receiver.received("/hooks")) == [message["id"]] * 3

    # An unreachable local URL is a failed attempt too, with the error as its response.
    assert listener.stop() == 0
    unreachable = listeners(server, app, f"http://127.0.0.1:{free_port()}/hooks", name=listener.name).start()
    other = server.send(app, "thing.happened", {"n": 2})
    attempts = server.wait_attempts(app, other["id"], 1, timeout=20)
    assert attempts[0]["responseStatusCode"] == 0
    assert attempts[0]["response"].startswith("listener: ")
    unreachable.wait_line(lambda l: f"{other['id']}  -> error:" in l)


def test_api_errors_and_reregistration(make_server, receiver, listeners):
    server = make_server(FAST_RETRIES)
    app = setup_app(server, "thing.happened")

    r = server.api("POST", "/app/app_nope/listen", json={})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = server.api("POST", f"/app/{app}/listen", json={"eventTypes": ["no.such.type"]})
    assert r.status_code == 422
    # The ordinary endpoint routes keep refusing the listener scheme.
    r = server.api("POST", f"/app/{app}/endpoint", json={"url": "hookbird-listen://ep_x"})
    assert r.status_code == 422

    ordinary = server.create_endpoint(app, receiver.url("/plain"), uid="plain")
    r = server.api("GET", f"/app/{app}/listen/{ordinary['id']}/stream")
    assert r.status_code == 409 and r.json()["code"] == "not_a_stream_endpoint"
    r = server.api("POST", f"/app/{app}/listen", json={"uid": "plain"})
    assert r.status_code == 409

    # Registration is idempotent by uid: the same endpoint, 201 then 200, filters replaced.
    name = unique("listen")
    first = server.api("POST", f"/app/{app}/listen", 201, json={"uid": name, "eventTypes": ["thing.happened"]}).json()
    again = server.api("POST", f"/app/{app}/listen", 200, json={"uid": name}).json()
    assert first["endpointId"] == again["endpointId"] and first["secret"] == again["secret"]
    assert first["eventTypes"] == ["thing.happened"] and again.get("eventTypes") is None
    assert again["streamUrl"] == f"/api/v1/app/{app}/listen/{first['endpointId']}/stream"

    r = server.api("POST", f"/app/{app}/listen/{first['endpointId']}/result", json={"token": "nope", "status": 200})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = server.api("POST", f"/app/{app}/listen/{first['endpointId']}/result", json={"token": "nope"})
    assert r.status_code == 422

    # A bad token ends `hookbird listen` with the server's code and detail and a non-zero status.
    # (The right token is in HOOKBIRD_TOKEN: the flag wins over the environment.)
    listener = listeners(server, app, receiver.url("/hooks"), "--token", "wrong", token_in_env=True)
    listener.start(wait_connected=False)
    assert listener.process.wait(timeout=20) != 0
    listener.wait_line(lambda l: "401" in l and "authentication_failed" in l)


def test_server_shutdown_ends_the_stream(make_server, receiver, listeners):
    server = make_server(FAST_RETRIES)
    app = setup_app(server, "thing.happened")
    listener = listeners(server, app, receiver.url("/hooks")).start()
    count = len(listener.lines)
    started = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - started < 8, "an open listener stream must not hold the shutdown up"
    listener.wait_line(lambda l: "reconnecting" in l, after=count)

    # The listener comes back by itself when the server does.
    server.start()
    listener.wait_line(lambda l: l.startswith("connected"), after=count, timeout=40)
    message = server.send(app, "thing.happened", {"n": 1})
    got = receiver.wait_for("/hooks", 1, timeout=15)
    assert ids(got) == [message["id"]]
    assert json.loads(got[0].body) == {"n": 1}


def test_stopping_finishes_the_webhooks_in_flight(make_server, receiver, listeners):
    server = make_server(SLOW_RETRIES)
    app = setup_app(server, "thing.happened")
    receiver.script("/hooks", Respond(200, b"slow but fine", delay=1.5))
    listener = listeners(server, app, receiver.url("/hooks")).start()
    message = server.send(app, "thing.happened", {"n": 1})
    receiver.wait_for("/hooks", 1, timeout=15)

    # SIGTERM while the local receiver is still answering: the answer is forwarded and reported, then it stops.
    assert listener.stop() == 0
    assert listener.lines[-1] == "stopped"
    assert f"{message['id']}  -> 200" in listener.lines[-2]
    attempts = server.wait_attempts(app, message["id"], 1)
    assert [(a["responseStatusCode"], a["response"]) for a in attempts] == [(200, "slow but fine")]


def test_a_second_listener_with_the_same_name_takes_over(make_server, receiver, listeners):
    server = make_server(FAST_RETRIES)
    app = setup_app(server, "thing.happened")
    first = listeners(server, app, receiver.url("/first")).start()
    second = listeners(server, app, receiver.url("/second"), name=first.name).start()
    # The first one stops rather than taking the endpoint back and forth.
    assert first.process.wait(timeout=15) != 0
    first.wait_line(lambda l: "took over" in l and "--name" in l)
    message = server.send(app, "thing.happened", {"n": 1})
    second.wait_line(lambda l: f"{message['id']}  -> 200" in l)
    assert ids(receiver.received("/second")) == [message["id"]]
    assert receiver.received("/first") == []


def test_app_scoped_tokens_listen_to_their_application_only(make_server, receiver, listeners):
    jwt_secret = "s" * 40
    server = make_server({**FAST_RETRIES, "--jwt-secret": jwt_secret})
    app = setup_app(server, "thing.happened")
    other = setup_app(server)
    token = subprocess.run(
        [str(binary_path()), "token", "create", "--app", app, "--jwt-secret", jwt_secret],
        check=True, capture_output=True, text=True, timeout=30,
    ).stdout.strip()

    r = requests.post(f"{server.base_url}/api/v1/app/{other}/listen", json={}, timeout=10,
                      headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404 and r.json()["code"] == "not_found"

    listener = listeners(server, app, receiver.url("/hooks"), "--token", token, token_in_env=True).start()
    message = server.send(app, "thing.happened", {"n": 1})
    listener.wait_line(lambda l: f"{message['id']}  -> 200" in l)


def test_the_stream_is_server_sent_events_with_heartbeats(make_server):
    server = make_server(FAST_RETRIES)
    app = setup_app(server, "thing.happened")
    registered = server.api("POST", f"/app/{app}/listen", 201, json={"uid": unique("raw")}).json()
    with server.http.get(server.base_url + registered["streamUrl"], stream=True, timeout=30) as r:
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/event-stream"
        lines = r.iter_lines(decode_unicode=True)
        assert next(lines) == "event: ready"
        assert json.loads(next(lines).removeprefix("data: ")) == {"endpointId": registered["endpointId"], "expedited": 0}
        assert next(lines) == ""
        started = time.monotonic()
        assert next(lines) == ": heartbeat"  # every 15 s while idle
        assert 10 < time.monotonic() - started < 25
