"""Scenario tests: the official `svix` Python SDK (2.9.1) pointed at Hookbird.

Each test is written the way a Svix user would exercise the API; the expected
behaviour follows shared/reference/svix-api-subset.md.
"""

from __future__ import annotations

import pytest
from svix import Svix, SvixOptions
from svix.api import (
    ApplicationIn,
    ApplicationListOptions,
    ApplicationPatch,
    EndpointHeadersIn,
    EndpointHeadersPatchIn,
    EndpointIn,
    EndpointListOptions,
    EndpointPatch,
    EndpointSecretRotateIn,
    EventTypeIn,
    EventTypeListOptions,
    EventTypePatch,
    MessageAttemptListByEndpointOptions,
    MessageAttemptListByMsgOptions,
    MessageCreateOptions,
    MessageGetOptions,
    MessageIn,
    MessageListOptions,
    Ordering,
)
from svix.exceptions import HttpError, HTTPValidationError

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OTHER_SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
# Well-formed ids that nothing in the database has.
MISSING_APP_ID = "app_2ZZZZZZZZZZZZZZZZZZZZZZZZZZ"
MISSING_EP_ID = "ep_2ZZZZZZZZZZZZZZZZZZZZZZZZZZ"
MISSING_MSG_ID = "msg_2ZZZZZZZZZZZZZZZZZZZZZZZZZZ"
# Endpoint URLs point at a closed loopback port: nothing here ever sends
# traffic off the machine, even once Hookbird delivers webhooks.
HOOK = "http://127.0.0.1:9"


def http_status(excinfo: pytest.ExceptionInfo) -> int:
    return excinfo.value.status_code


@pytest.fixture
def event_type(svix_client: Svix, unique) -> str:
    name = unique("invoice.paid")
    svix_client.event_type.create(EventTypeIn(name=name, description="An invoice was paid"))
    return name


@pytest.fixture
def app(svix_client: Svix, unique):
    return svix_client.application.create(ApplicationIn(name="Acme Inc", uid=unique("acme")))


# --------------------------------------------------------------------------- health


def test_health(svix_client: Svix):
    assert svix_client.health.get() is None


# --------------------------------------------------------------------------- applications


def test_create_application_with_uid(svix_client: Svix, unique):
    uid = unique("acme")
    app = svix_client.application.create(
        ApplicationIn(name="Acme Inc", uid=uid, metadata={"plan": "pro"})
    )
    assert app.id.startswith("app_")
    assert app.name == "Acme Inc"
    assert app.uid == uid
    assert app.metadata == {"plan": "pro"}
    assert app.created_at is not None and app.updated_at is not None


def test_get_or_create_returns_existing_application(svix_client: Svix, unique):
    uid = unique("acme")
    first = svix_client.application.get_or_create(ApplicationIn(name="Acme Inc", uid=uid))
    second = svix_client.application.get_or_create(ApplicationIn(name="Other name", uid=uid))
    assert second.id == first.id
    assert second.name == "Acme Inc"  # the existing app is returned, not updated


def test_create_duplicate_uid_conflicts(svix_client: Svix, app):
    with pytest.raises(HttpError) as excinfo:
        svix_client.application.create(ApplicationIn(name="Copy", uid=app.uid))
    assert http_status(excinfo) == 409


def test_get_application_by_id_and_uid(svix_client: Svix, app):
    by_id = svix_client.application.get(app.id)
    by_uid = svix_client.application.get(app.uid)
    assert by_id.id == app.id and by_id.uid == app.uid and by_id.name == app.name
    assert by_uid.id == app.id


def test_update_application(svix_client: Svix, app):
    updated = svix_client.application.upsert(
        app.id, ApplicationIn(name="Acme Corp", uid=app.uid, metadata={"tier": "gold"})
    )
    assert updated.id == app.id
    assert updated.name == "Acme Corp"
    assert updated.metadata == {"tier": "gold"}
    assert svix_client.application.get(app.id).name == "Acme Corp"


def test_patch_application(svix_client: Svix, unique):
    app = svix_client.application.create(
        ApplicationIn(name="Acme Inc", uid=unique("acme"), metadata={"plan": "pro"})
    )
    patched = svix_client.application.patch(app.id, ApplicationPatch(name="Acme Renamed"))
    assert patched.id == app.id
    assert patched.name == "Acme Renamed"
    assert patched.uid == app.uid  # untouched fields keep their value
    assert patched.metadata == {"plan": "pro"}

    patched = svix_client.application.patch(app.id, ApplicationPatch(metadata={"plan": "free"}))
    assert patched.name == "Acme Renamed"
    assert patched.metadata == {"plan": "free"}


def _walk_apps(svix_client: Svix, order: Ordering | None):
    seen, pages, iterator = [], 0, None
    while True:
        page = svix_client.application.list(
            ApplicationListOptions(limit=3, iterator=iterator, order=order)
        )
        pages += 1
        assert len(page.data) <= 3
        seen.extend(a.id for a in page.data)
        if page.done:
            return seen, pages
        assert len(page.data) == 3, "a page that is not the last one must be full"
        assert page.iterator, "a page that is not done must carry an iterator"
        iterator = page.iterator
        assert pages < 500, "pagination does not terminate"


def test_list_applications_paginates(svix_client: Svix, unique):
    mine = [
        svix_client.application.create(ApplicationIn(name=f"Paged {i}", uid=unique(f"paged{i}"))).id
        for i in range(7)
    ]

    seen, pages = _walk_apps(svix_client, order=None)
    assert pages >= 3
    assert len(seen) == len(set(seen)), "an application was listed twice"
    assert seen == sorted(seen), "default order must be ascending (oldest first)"
    for app_id in mine:
        assert seen.count(app_id) == 1

    seen_desc, _ = _walk_apps(svix_client, order=Ordering.DESCENDING)
    assert seen_desc == list(reversed(seen))


# --------------------------------------------------------------------------- event types


def test_event_type_lifecycle(svix_client: Svix, unique):
    name = unique("user.signup")
    created = svix_client.event_type.create(
        EventTypeIn(name=name, description="A user signed up")
    )
    assert created.name == name
    assert created.description == "A user signed up"
    assert created.deprecated is False
    assert not created.archived

    with pytest.raises(HttpError) as excinfo:
        svix_client.event_type.create(EventTypeIn(name=name, description="again"))
    assert http_status(excinfo) == 409

    names = _all_event_type_names(svix_client, EventTypeListOptions(limit=250))
    assert name in names
    assert names == sorted(names), "event types are listed by name, ascending"

    got = svix_client.event_type.get(name)
    assert got.name == name and got.description == "A user signed up"

    patched = svix_client.event_type.patch(
        name, EventTypePatch(description="A new user signed up", deprecated=True)
    )
    assert patched.description == "A new user signed up"
    assert patched.deprecated is True

    svix_client.event_type.delete(name)  # archives it
    assert svix_client.event_type.get(name).archived is True
    assert name not in _all_event_type_names(svix_client, EventTypeListOptions(limit=250))
    assert name in _all_event_type_names(
        svix_client, EventTypeListOptions(limit=250, include_archived=True)
    )


def _all_event_type_names(svix_client: Svix, options: EventTypeListOptions) -> list[str]:
    names, pages = [], 0
    while True:
        page = svix_client.event_type.list(options)
        names.extend(et.name for et in page.data)
        pages += 1
        if page.done or pages > 100:
            return names
        options.iterator = page.iterator


# --------------------------------------------------------------------------- endpoints


def test_create_endpoint_with_event_types_and_secret(svix_client: Svix, app, event_type):
    ep = svix_client.endpoint.create(
        app.id,
        EndpointIn(
            url=f"{HOOK}/webhooks",
            description="main",
            event_types=[event_type],
            secret=SECRET,
        ),
    )
    assert ep.id.startswith("ep_")
    assert ep.url == f"{HOOK}/webhooks"
    assert ep.description == "main"
    assert ep.event_types == [event_type]
    assert not ep.disabled

    assert svix_client.endpoint.get(app.id, ep.id).url == ep.url
    listed = svix_client.endpoint.list(app.id, EndpointListOptions(limit=10))
    assert [e.id for e in listed.data] == [ep.id]
    assert listed.done is True

    assert svix_client.endpoint.get_secret(app.id, ep.id).key == SECRET


def test_endpoint_without_secret_gets_generated_one(svix_client: Svix, app):
    ep = svix_client.endpoint.create(app.id, EndpointIn(url=f"{HOOK}/gen"))
    assert ep.description == ""
    assert svix_client.endpoint.get_secret(app.id, ep.id).key.startswith("whsec_")


def test_endpoint_with_unknown_event_type_is_rejected(svix_client: Svix, app, unique):
    with pytest.raises(HTTPValidationError) as excinfo:
        svix_client.endpoint.create(
            app.id,
            EndpointIn(url=f"{HOOK}/x", event_types=[unique("no.such.type")]),
        )
    assert http_status(excinfo) == 422
    assert excinfo.value.detail, "a 422 must say what was wrong"
    assert any("eventTypes" in d.loc for d in excinfo.value.detail)


def test_patch_endpoint(svix_client: Svix, app):
    ep = svix_client.endpoint.create(app.id, EndpointIn(url=f"{HOOK}/a"))
    patched = svix_client.endpoint.patch(
        app.id, ep.id, EndpointPatch(url=f"{HOOK}/b", disabled=True)
    )
    assert patched.id == ep.id
    assert patched.url == f"{HOOK}/b"
    assert patched.disabled is True


def test_rotate_endpoint_secret(svix_client: Svix, app):
    ep = svix_client.endpoint.create(app.id, EndpointIn(url=f"{HOOK}/r", secret=SECRET))

    rotated = svix_client.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn())
    assert rotated.key.startswith("whsec_")
    assert rotated.key != SECRET
    assert svix_client.endpoint.get_secret(app.id, ep.id).key == rotated.key

    chosen = svix_client.endpoint.rotate_secret(
        app.id, ep.id, EndpointSecretRotateIn(key=OTHER_SECRET)
    )
    assert chosen.key == OTHER_SECRET
    assert svix_client.endpoint.get_secret(app.id, ep.id).key == OTHER_SECRET


def _lower_keys(d: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in d.items()}


def test_endpoint_headers(svix_client: Svix, app):
    ep = svix_client.endpoint.create(app.id, EndpointIn(url=f"{HOOK}/h"))

    empty = svix_client.endpoint.get_headers(app.id, ep.id)
    assert empty.headers == {} and empty.sensitive == []

    svix_client.endpoint.set_headers(
        app.id,
        ep.id,
        EndpointHeadersIn(headers={"X-Tenant": "acme", "Authorization": "Bearer s3cr3t"}),
    )
    got = svix_client.endpoint.get_headers(app.id, ep.id)
    assert _lower_keys(got.headers) == {"x-tenant": "acme"}, "sensitive values must not be echoed"
    assert [s.lower() for s in got.sensitive] == ["authorization"]

    svix_client.endpoint.patch_headers(
        app.id,
        ep.id,
        EndpointHeadersPatchIn(headers={"X-Region": "eu"}, delete_headers=["X-Tenant"]),
    )
    got = svix_client.endpoint.get_headers(app.id, ep.id)
    assert _lower_keys(got.headers) == {"x-region": "eu"}
    assert [s.lower() for s in got.sensitive] == ["authorization"]


def test_endpoint_stats_for_new_endpoint(svix_client: Svix, app):
    ep = svix_client.endpoint.create(app.id, EndpointIn(url=f"{HOOK}/s"))
    stats = svix_client.endpoint.get_stats(app.id, ep.id)
    assert (stats.success, stats.pending, stats.sending, stats.fail, stats.canceled) == (0, 0, 0, 0, 0)


def test_delete_endpoint(svix_client: Svix, app):
    ep = svix_client.endpoint.create(app.id, EndpointIn(url=f"{HOOK}/d"))
    svix_client.endpoint.delete(app.id, ep.id)
    with pytest.raises(HttpError) as excinfo:
        svix_client.endpoint.get(app.id, ep.id)
    assert http_status(excinfo) == 404
    assert svix_client.endpoint.list(app.id).data == []


# --------------------------------------------------------------------------- messages


def test_create_message_and_get_it(svix_client: Svix, app, event_type, unique):
    event_id = unique("evt")
    payload = {"invoice": "inv_1", "amount": 100, "paid": True, "lines": [1, 2]}
    msg = svix_client.message.create(
        app.id, MessageIn(event_type=event_type, event_id=event_id, payload=payload)
    )
    assert msg.id.startswith("msg_")
    assert msg.event_type == event_type
    assert msg.event_id == event_id
    assert msg.payload == {}  # the SDK asks with_content=false
    assert msg.timestamp is not None

    by_id = svix_client.message.get(app.id, msg.id, MessageGetOptions(with_content=True))
    assert by_id.id == msg.id
    assert by_id.payload == payload

    by_event_id = svix_client.message.get(app.id, event_id)
    assert by_event_id.id == msg.id
    assert by_event_id.payload == {}


def test_create_message_with_content(svix_client: Svix, app, event_type):
    payload = {"hello": "world"}
    msg = svix_client.message.create(
        app.id,
        MessageIn(event_type=event_type, payload=payload, channels=["project_1"]),
        MessageCreateOptions(with_content=True),
    )
    assert msg.payload == payload
    assert msg.channels == ["project_1"]
    assert msg.event_id is None


def test_duplicate_event_id_conflicts(svix_client: Svix, app, event_type, unique):
    event_id = unique("evt")
    svix_client.message.create(app.id, MessageIn(event_type=event_type, event_id=event_id, payload={"n": 1}))
    with pytest.raises(HttpError) as excinfo:
        svix_client.message.create(app.id, MessageIn(event_type=event_type, event_id=event_id, payload={"n": 2}))
    assert http_status(excinfo) == 409


def test_list_messages(svix_client: Svix, app, unique):
    paid, failed = unique("invoice.paid"), unique("invoice.failed")
    sent = {
        svix_client.message.create(app.id, MessageIn(event_type=paid, payload={"i": 1})).id: paid,
        svix_client.message.create(app.id, MessageIn(event_type=failed, payload={"i": 2})).id: failed,
        svix_client.message.create(app.id, MessageIn(event_type=paid, payload={"i": 3})).id: paid,
    }

    listed = svix_client.message.list(app.id)
    assert listed.done is True
    assert {m.id for m in listed.data} == set(sent)
    assert all(m.payload == {} for m in listed.data)
    assert all(m.event_type == sent[m.id] for m in listed.data)

    with_content = svix_client.message.list(app.id, MessageListOptions(with_content=True))
    assert sorted(m.payload["i"] for m in with_content.data) == [1, 2, 3]

    only_paid = svix_client.message.list(app.id, MessageListOptions(event_types=[paid]))
    assert {m.id for m in only_paid.data} == {i for i, t in sent.items() if t == paid}

    both = svix_client.message.list(app.id, MessageListOptions(event_types=[paid, failed]))
    assert {m.id for m in both.data} == set(sent)

    first_page = svix_client.message.list(app.id, MessageListOptions(limit=2))
    assert len(first_page.data) == 2 and first_page.done is False
    rest = svix_client.message.list(app.id, MessageListOptions(limit=2, iterator=first_page.iterator))
    assert rest.done is True
    assert {m.id for m in first_page.data + rest.data} == set(sent)


def test_message_attempt_lists_are_empty_without_deliveries(svix_client: Svix, app, event_type, unique):
    # The endpoint subscribes to a different event type than the message, so no
    # delivery is ever made to it: both attempt lists are empty.
    ep = svix_client.endpoint.create(
        app.id, EndpointIn(url=f"{HOOK}/attempts", event_types=[event_type])
    )
    msg = svix_client.message.create(
        app.id, MessageIn(event_type=unique("not.subscribed"), payload={"x": 1})
    )

    by_msg = svix_client.message_attempt.list_by_msg(
        app.id, msg.id, MessageAttemptListByMsgOptions(limit=10)
    )
    assert by_msg.data == [] and by_msg.done is True

    by_ep = svix_client.message_attempt.list_by_endpoint(
        app.id, ep.id, MessageAttemptListByEndpointOptions(limit=10)
    )
    assert by_ep.data == [] and by_ep.done is True


# --------------------------------------------------------------------------- errors


def test_wrong_token_is_rejected(base_url: str):
    intruder = Svix("not-the-admin-token", SvixOptions(server_url=base_url, retry_schedule=[]))
    with pytest.raises(HttpError) as excinfo:
        intruder.application.list()
    assert http_status(excinfo) == 401


def test_unknown_ids_are_404(svix_client: Svix, app):
    for call in (
        lambda: svix_client.application.get(MISSING_APP_ID),
        lambda: svix_client.application.get("no-such-app-uid"),
        lambda: svix_client.endpoint.list(MISSING_APP_ID),
        lambda: svix_client.message.create(MISSING_APP_ID, MessageIn(event_type="a.b", payload={})),
        lambda: svix_client.endpoint.get(app.id, MISSING_EP_ID),
        lambda: svix_client.message.get(app.id, MISSING_MSG_ID),
        lambda: svix_client.event_type.get("no.such.event.type.anywhere"),
    ):
        with pytest.raises(HttpError) as excinfo:
            call()
        assert http_status(excinfo) == 404


def test_delete_application(svix_client: Svix, unique):
    uid = unique("doomed")
    app = svix_client.application.create(ApplicationIn(name="Doomed", uid=uid))
    ep = svix_client.endpoint.create(app.id, EndpointIn(url=f"{HOOK}/doomed"))

    svix_client.application.delete(app.id)

    for call in (
        lambda: svix_client.application.get(app.id),
        lambda: svix_client.application.get(uid),
        lambda: svix_client.endpoint.get(app.id, ep.id),
    ):
        with pytest.raises(HttpError) as excinfo:
            call()
        assert http_status(excinfo) == 404

    # Deleting frees the uid for a new application.
    again = svix_client.application.create(ApplicationIn(name="Reborn", uid=uid))
    assert again.id != app.id
