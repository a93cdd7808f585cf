"""Nothing acknowledged is lost: kill -9 right after a 200 from /webhook, restart on the same database, and every
acknowledged event is a message that reaches the endpoint; the dedupe record survives too."""

from __future__ import annotations

from inbound_harness import BY_NAME, DELIVERY_TIMEOUT_S, Env
from tests.support import Receiver, Respond, wait_until

STRIPE = BY_NAME["stripe"]
EVENTS = 25


def test_kill_9_right_after_200_loses_nothing(servers, receiver: Receiver) -> None:
    hb = servers()
    env = Env(hb, receiver)
    receiver.script(env.path, Respond(delay=0.5))  # keep some deliveries in flight when the process dies
    key = STRIPE.new_key()
    source = env.source(STRIPE, [key])
    url = hb.webhook_url(source["uid"])

    acked: dict[str, tuple[str, object]] = {}  # msgId -> (req id, payload)
    events = []
    for _ in range(EVENTS):
        event = STRIPE.event()
        r = hb.post_webhook(source["uid"], event.body, STRIPE.headers([key], event, url))
        assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
        acked[r.json()["msgId"]] = (r.json()["id"], event.payload)
        events.append(event)
    hb.kill9()  # immediately after the last 200
    delivered_before = {g.header("webhook-id") for g in env.deliveries()}

    hb.start()
    for msg_id, (req_id, payload) in acked.items():
        msg = hb.message(env.app, msg_id)
        assert msg["payload"] == payload and msg["eventType"] == "invoice.paid"
        stored = hb.stored_request(source["id"], req_id)
        assert stored["verdict"] == "accepted" and stored["msgId"] == msg_id

    def all_delivered() -> bool:
        return set(acked) <= {g.header("webhook-id") for g in env.deliveries()}

    wait_until(all_delivered, DELIVERY_TIMEOUT_S + EVENTS * 0.5,
               message=f"every acknowledged message delivered after restart "
                       f"(delivered before the kill: {len(delivered_before & set(acked))}/{EVENTS})")
    for got in env.deliveries():
        env.verify_forwarded(got)

    # The dedupe record survived the crash: Stripe retrying the last event is a duplicate, not a second message.
    last = events[-1]
    r = hb.post_webhook(source["uid"], last.body, STRIPE.headers([key], last, url))
    assert r.status_code == 200 and r.json()["status"] == "duplicate", r.text
    assert len(hb.messages(env.app)) == EVENTS
