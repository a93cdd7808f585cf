"""Retry exhaustion, automatic disabling, operational webhooks, resend and recover."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import standardwebhooks

from delivery_harness import iso_ago
from tests.support import Hookbird, Receiver, Respond, wait_until


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class OpFeed:
    """The operational webhooks a receiver path got, verified with the op endpoint's secret."""

    def __init__(self, receiver: Receiver, path: str, secret: str) -> None:
        self.receiver, self.path, self.secret = receiver, path, secret

    def events(self) -> list[dict]:
        out = []
        for r in self.receiver.received(self.path):
            body = standardwebhooks.Webhook(self.secret).verify(r.body, r.headers)  # raises if badly signed
            out.append(body)
        return out

    def wait(self, type_: str, timeout: float = 10, **data: str) -> dict:
        def find():
            for e in self.events():
                if e.get("type") == type_ and all(e.get("data", {}).get(k) == v for k, v in data.items()):
                    return e
            return None

        return wait_until(find, timeout, 0.05, f"operational webhook {type_} {data}; got "
                          f"{[(e.get('type'), e.get('data', {}).get('endpointId')) for e in self.events()]}")

    def of_type(self, type_: str, **data: str) -> list[dict]:
        return [e for e in self.events()
                if e.get("type") == type_ and all(e.get("data", {}).get(k) == v for k, v in data.items())]


def test_exhaustion_failing_disable_and_operational_webhooks(servers, receiver: Receiver) -> None:
    # Five retries (six attempts): `failing` after the 4th failure, `exhausted` after the 6th; --disable-after 0s
    # disables the endpoint when the second message exhausts.
    server = servers({"--retry-schedule": "100ms,100ms,100ms,100ms,100ms", "--disable-after": "0s"})
    op = server.api("POST", "/operational-webhook/endpoint", 201, json={"url": receiver.url("/ops")}).json()
    op_secret = server.api("GET", f"/operational-webhook/endpoint/{op['id']}/secret", 200).json()["key"]
    assert op_secret.startswith("whsec_")
    ops = OpFeed(receiver, "/ops", op_secret)

    receiver.script("/dead", Respond(500, b"down"))
    app = server.create_app()
    ep = server.create_endpoint(app, receiver.url("/dead"), uid="dead-endpoint")["id"]

    created = ops.wait("endpoint.created", endpointId=ep)
    assert created["data"]["appId"] == app and created["data"]["endpointUid"] == "dead-endpoint"
    assert "appUid" in created["data"]
    assert "timestamp" in created

    m1 = server.send(app, payload={"n": 1}, eventId="evt-one")["id"]
    attempts = server.wait_attempts(app, m1, 6, timeout=10)
    assert len(attempts) == 6 and all(a["status"] == 2 and a["responseStatusCode"] == 500 for a in attempts)
    wait_until(lambda: server.settled(app, ep), 5, message="first delivery failed")

    failing = ops.wait("message.attempt.failing", msgId=m1)
    exhausted = ops.wait("message.attempt.exhausted", msgId=m1)
    for event in (failing, exhausted):
        data = event["data"]
        assert data["appId"] == app and data["endpointId"] == ep and data["msgEventId"] == "evt-one"
        assert set(data["lastAttempt"]) >= {"id", "responseStatusCode", "timestamp"}
        assert data["lastAttempt"]["responseStatusCode"] == 500
    assert exhausted["data"]["lastAttempt"]["id"] == attempts[-1]["id"]
    assert failing["data"]["lastAttempt"]["id"] == attempts[3]["id"], "failing must follow the 4th failed attempt"
    assert server.endpoint(app, ep)["disabled"] is False, "one exhausted message must not disable the endpoint"

    m2 = server.send(app, payload={"n": 2})["id"]
    server.wait_attempts(app, m2, 6, timeout=10)
    ops.wait("message.attempt.exhausted", msgId=m2)
    wait_until(lambda: server.endpoint(app, ep)["disabled"] is True, 5, message="disabled after 2 exhaustions")
    disabled = ops.wait("endpoint.disabled", endpointId=ep)
    assert disabled["data"]["appId"] == app
    assert disabled["data"].get("failSince"), disabled
    assert parse_time(disabled["data"]["failSince"]) <= datetime.now(timezone.utc)

    # Each op event is sent once, and nothing more goes to the disabled endpoint.
    time.sleep(0.5)
    assert len(ops.of_type("endpoint.disabled", endpointId=ep)) == 1
    assert len(ops.of_type("message.attempt.exhausted", msgId=m1)) == 1
    assert len(ops.of_type("message.attempt.failing", msgId=m1)) == 1
    n = len(receiver.received("/dead"))
    server.send(app, payload={"n": 3})
    time.sleep(0.8)
    assert len(receiver.received("/dead")) == n == 12

    # A message that succeeds on its 5th attempt (after `failing`) sends `message.attempt.recovered`.
    receiver.script("/recovering", Respond(500), Respond(500), Respond(500), Respond(500), Respond(200))
    ep_rec = server.create_endpoint(app, receiver.url("/recovering"))["id"]
    m_rec = server.send(app, payload={"n": "recovering"})["id"]
    ops.wait("message.attempt.failing", msgId=m_rec, endpointId=ep_rec)
    recovered = ops.wait("message.attempt.recovered", msgId=m_rec, endpointId=ep_rec)
    rec_attempts = server.wait_attempts(app, m_rec, 5)
    assert recovered["data"]["lastAttempt"]["id"] == rec_attempts[-1]["id"]
    assert recovered["data"]["lastAttempt"]["responseStatusCode"] == 200
    assert ops.of_type("message.attempt.exhausted", msgId=m_rec) == []

    # A 410 disables at once and says so.
    receiver.script("/gone-op", Respond(410))
    ep_gone = server.create_endpoint(app, receiver.url("/gone-op"))["id"]
    m_gone = server.send(app, payload={"n": "gone"})["id"]
    gone = ops.wait("endpoint.disabled", endpointId=ep_gone)
    assert gone["data"]["appId"] == app
    assert len(server.attempts_for_msg(app, m_gone, endpoint_id=ep_gone)) == 1

    # endpoint.updated on re-enable, endpoint.deleted on delete.
    server.api("PATCH", f"/app/{app}/endpoint/{ep}", 200, json={"disabled": False})
    ops.wait("endpoint.updated", endpointId=ep)
    server.api("DELETE", f"/app/{app}/endpoint/{ep}", 204)
    ops.wait("endpoint.deleted", endpointId=ep)


def test_op_webhook_filter_types(servers, receiver: Receiver) -> None:
    server = servers()
    op = server.api("POST", "/operational-webhook/endpoint", 201,
                    json={"url": receiver.url("/ops-filtered"), "filterTypes": ["endpoint.deleted"]}).json()
    secret = server.api("GET", f"/operational-webhook/endpoint/{op['id']}/secret", 200).json()["key"]
    ops = OpFeed(receiver, "/ops-filtered", secret)
    app = server.create_app()
    ep = server.create_endpoint(app, receiver.url("/x"))["id"]
    server.api("DELETE", f"/app/{app}/endpoint/{ep}", 204)
    ops.wait("endpoint.deleted", endpointId=ep)
    time.sleep(0.5)
    assert [e["type"] for e in ops.events()] == ["endpoint.deleted"]


def test_resend_is_one_manual_attempt_and_recover_resends_failed(hookbird: Hookbird, receiver: Receiver) -> None:
    receiver.script("/rr", Respond(500, b"nope"))
    app = hookbird.create_app()
    ep = hookbird.create_endpoint(app, receiver.url("/rr"))["id"]
    m1 = hookbird.send(app, payload={"n": 1})["id"]
    m2 = hookbird.send(app, payload={"n": 2})["id"]
    # Shared server: 3 retries of 200 ms, so 4 scheduled attempts each, then failed.
    hookbird.wait_attempts(app, m1, 4)
    hookbird.wait_attempts(app, m2, 4)
    wait_until(lambda: hookbird.settled(app, ep), 5, message="both deliveries failed")

    # Resend to a still-failing endpoint: exactly one manual attempt, never retried.
    r = hookbird.api("POST", f"/app/{app}/msg/{m1}/endpoint/{ep}/resend", 202)
    assert r.json() == {}
    attempts = hookbird.wait_attempts(app, m1, 5)
    manual = [a for a in attempts if a["triggerType"] == 1]
    assert len(manual) == 1 and manual[0]["status"] == 2 and manual[0]["responseStatusCode"] == 500
    time.sleep(1.0)  # three retry periods
    assert len(hookbird.attempts_for_msg(app, m1)) == 5, "a failed manual attempt was retried"
    assert len(receiver.received("/rr")) == 9

    # Resend to a healthy endpoint: delivered, success recorded as manual.
    receiver.script("/rr", Respond(200, b"ok now"))
    hookbird.api("POST", f"/app/{app}/msg/{m1}/endpoint/{ep}/resend", 202)
    attempts = hookbird.wait_attempts(app, m1, 6)
    assert attempts[-1]["triggerType"] == 1 and attempts[-1]["status"] == 0
    assert receiver.received("/rr")[-1].header("webhook-id") == m1

    # Recover: m2 failed and never succeeded -> re-sent once; m1 already succeeded -> not re-sent.
    before = len(receiver.received("/rr"))
    r = hookbird.api("POST", f"/app/{app}/endpoint/{ep}/recover", 202, json={"since": iso_ago(300)})
    task = r.json()
    assert task["id"].startswith("qtask_") and task["task"] == "endpoint.recover", task
    assert task["status"] in ("running", "finished") and "updatedAt" in task
    if "count" in task:
        assert task["count"] == 1, task
    got = receiver.wait_for("/rr", before + 1)
    assert got[-1].header("webhook-id") == m2
    m2_attempts = hookbird.wait_attempts(app, m2, 5)
    assert m2_attempts[-1]["triggerType"] == 1 and m2_attempts[-1]["status"] == 0
    time.sleep(0.8)
    assert len(receiver.received("/rr")) == before + 1, "recover sent more than the one failed message"

    # Recovering again: nothing left to recover.
    again = hookbird.api("POST", f"/app/{app}/endpoint/{ep}/recover", 202, json={"since": iso_ago(300)}).json()
    if "count" in again:
        assert again["count"] == 0, again
    time.sleep(0.5)
    assert len(receiver.received("/rr")) == before + 1


def test_a_success_resets_the_disable_clock(servers, receiver: Receiver) -> None:
    server = servers({"--retry-schedule": "50ms,50ms", "--disable-after": "0s"})
    app = server.create_app()
    ep = server.create_endpoint(app, receiver.url("/flip"))["id"]

    receiver.script("/flip", Respond(500))
    m1 = server.send(app, payload={"n": 1})["id"]
    server.wait_attempts(app, m1, 3)
    wait_until(lambda: server.settled(app, ep), 5, message="m1 exhausted")

    receiver.script("/flip", Respond(200))
    m2 = server.send(app, payload={"n": 2})["id"]
    wait_until(lambda: server.stats(app, ep)["success"] == 1, 5, message="m2 delivered")
    assert len(server.attempts_for_msg(app, m2)) == 1

    # One exhaustion since the success: still enabled.
    receiver.script("/flip", Respond(500))
    m3 = server.send(app, payload={"n": 3})["id"]
    server.wait_attempts(app, m3, 3)
    wait_until(lambda: server.settled(app, ep), 5, message="m3 exhausted")
    assert server.endpoint(app, ep)["disabled"] is False, "disabled although a success came between the exhaustions"

    # A second one: disabled.
    m4 = server.send(app, payload={"n": 4})["id"]
    server.wait_attempts(app, m4, 3)
    wait_until(lambda: server.endpoint(app, ep)["disabled"] is True, 5, message="disabled after 2 exhaustions")
