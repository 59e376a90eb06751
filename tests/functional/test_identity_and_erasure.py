"""Identity and erasure (docs/data-model.md): one email or phone per contact, one resolution rule for the lookup
API and the consumer, audited merges of two known contacts, deletion that lets nothing old re-attach, and erasure
with a suppression list that a resending source cannot get past."""

from __future__ import annotations

import base64
import contextlib
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import aws, logs
from chalicelib.contacts import identifiers
from chalicelib.contacts.record import ContactRecord
from chalicelib.errors import Retryable
from chalicelib.events.models import Event, Identity
from chalicelib.messages import ContactMergeMsg, EventMsg
from chalicelib.services.consumer import Consumer
from chalicelib.services.consumer.applying import ContactWriter
from chalicelib.services.consumer.planning import Work
from tests.conftest import NOW, SITE_KEY, SITE_ORIGIN
from tests.fakes import fake_ports


def put(api, external_id: str, body: dict[str, Any]) -> tuple[int, Any]:
    return api.json("PUT", f"/v1/contacts/{external_id}", body)


def send(api, *events: dict[str, Any]) -> None:
    status, body = api.json("POST", "/v1/events", {"events": list(events)})
    assert status == 202 and body["accepted"] == len(events), body
    api.drain()


def track(api, path: str, body: dict[str, Any]) -> None:
    token = base64.b64encode(f"{SITE_KEY}:".encode()).decode()
    response = api.call(
        "POST", path, body, key=None, headers={"Authorization": f"Basic {token}", "Origin": SITE_ORIGIN}
    )
    assert response.status_code == 200, response.body
    api.drain()


def order(api, **fields: Any) -> None:
    body = {"status": "DELIVERED", "date": "2026-11-20T10:00:00Z", "totalCost": 50, "currency": "USD", **fields}
    status, accepted = api.json("POST", "/v1/orders", {"orders": [body]})
    assert status == 202 and accepted["accepted"] == 1, accepted
    api.drain()


def card(api, external_id: str) -> dict[str, Any]:
    status, body = api.json("GET", f"/v1/contacts/{external_id}")
    assert status == 200, body
    return body


def logins(api, external_id: str) -> int:
    return card(api, external_id)["aggregates"]["eventCounts"].get("Login", {}).get("last1d", 0)


def activity(api, external_id: str) -> list[str]:
    status, body = api.json("GET", f"/v1/contacts/{external_id}/activity?limit=100")
    assert status == 200, body
    return [e["eventId"] for e in body["events"]]


def merge(api, into: str, source: str) -> tuple[int, Any]:
    status, body = api.json("POST", f"/v1/contacts/{into}/merge", {"from": source})
    api.drain()
    return status, body


def login(event_id: str, **identity: str) -> dict[str, Any]:
    return {"type": "Login", "eventId": event_id, "timestamp": "2026-11-27T11:00:00Z", **identity}


def save_duplicate(api, external_id: str, email: str, created_at: str) -> None:
    """A contact stored before emails were unique (or by a racing write): straight into the store."""
    rec = ContactRecord(
        key=f"x#{external_id}", profile={"email": email}, created_at=created_at, updated_at="2026-11-27T11:00:00Z"
    )
    api.stores.contacts.save(rec, None)


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure(stream=stream)
    yield stream
    logs.configure()


# --- one email, one contact ------------------------------------------------------------------------------------


def test_a_put_giving_a_second_contact_a_held_email_is_a_409_naming_the_holder(api):
    put(api, "u-1", {"email": "ann@example.com"})

    status, body = put(api, "u-2", {"email": "Ann@Example.com"})

    assert status == 409 and body["error"]["code"] == "conflict"
    assert body["error"]["details"][0]["path"] == "email" and "'u-1'" in body["error"]["details"][0]["message"]
    assert api.json("GET", "/v1/contacts/u-2")[0] == 404, "nothing is written"


def test_a_phone_is_held_by_one_contact_too(api):
    put(api, "u-1", {"phone": "+380501234567"})

    status, body = put(api, "u-2", {"firstName": "Bob", "phone": "+380501234567"})

    assert status == 409 and body["error"]["details"][0]["path"] == "phone"


def test_a_contact_may_send_its_own_email_again(api):
    put(api, "u-1", {"email": "ann@example.com"})

    assert put(api, "u-1", {"email": "ann@example.com", "firstName": "Ann"})[0] == 200


def test_an_email_a_contact_gave_up_can_be_taken(api):
    put(api, "u-1", {"email": "ann@example.com"})
    put(api, "u-1", {"email": "anna@example.com"})

    assert put(api, "u-2", {"email": "ann@example.com"})[0] == 201


def test_the_lookup_names_the_contact_an_email_resolves_to(api):
    put(api, "u-1", {"email": "ann@example.com"})

    _, body = api.json("GET", "/v1/contacts?email=ANN@example.com")

    assert body["resolvesTo"] == "u-1" and [c["externalId"] for c in body["contacts"]] == ["u-1"]


def test_an_email_nobody_holds_resolves_to_no_contact(api):
    _, body = api.json("GET", "/v1/contacts?email=nobody@example.com")

    assert body == {"contacts": [], "resolvesTo": None}


def test_with_duplicates_the_lookup_resolves_to_the_contact_created_first_and_lists_it_first(api):
    # GIVEN two contacts holding one email from before the rule, the later-created one updated last
    save_duplicate(api, "u-new", "ann@example.com", "2026-11-20T00:00:00Z")
    save_duplicate(api, "u-old", "ann@example.com", "2026-11-01T00:00:00Z")
    # WHEN the email is looked up
    _, body = api.json("GET", "/v1/contacts?email=ann@example.com")
    # THEN it resolves to the one created first, listed first
    assert body["resolvesTo"] == "u-old"
    assert [c["externalId"] for c in body["contacts"]] == ["u-old", "u-new"]


def test_with_duplicates_an_email_only_event_goes_where_the_lookup_says(api):
    save_duplicate(api, "u-new", "ann@example.com", "2026-11-20T00:00:00Z")
    save_duplicate(api, "u-old", "ann@example.com", "2026-11-01T00:00:00Z")

    send(api, login("e-1", email="ann@example.com"))

    assert (logins(api, "u-old"), logins(api, "u-new")) == (1, 0)


def test_an_email_only_order_goes_to_the_contact_holding_the_email(api):
    put(api, "u-1", {"email": "ann@example.com"})

    order(api, externalOrderId="o-1", email="ann@example.com")

    assert card(api, "u-1")["aggregates"]["orderCount"] == 1


def test_an_identify_does_not_give_a_contact_an_email_another_holds(api):
    put(api, "u-1", {"email": "ann@example.com"})
    put(api, "u-2", {"firstName": "Bob"})

    track(api, "/v1/identify", {"userId": "u-2", "traits": {"email": "ann@example.com", "lastName": "Lee"}})

    bob = card(api, "u-2")
    assert (bob["email"], bob["lastName"]) == (None, "Lee"), "the other traits still apply"


# --- merging two known contacts ----------------------------------------------------------------------------------


def test_a_merge_is_accepted_with_what_it_will_do_and_applied_by_the_consumer(api):
    put(api, "u-1", {"email": "ann@example.com"})
    put(api, "u-2", {"email": "ann.old@example.com"})

    status, body = api.json("POST", "/v1/contacts/u-1/merge", {"from": "u-2"})

    assert status == 202 and (body["externalId"], body["from"], body["status"]) == ("u-1", "u-2", "queued")
    assert any("alias" in effect for effect in body["effects"])
    assert api.json("GET", "/v1/contacts/u-2")[0] == 200, "queued: nothing changed yet"
    api.drain()
    assert api.json("GET", "/v1/contacts/u-2")[0] == 404


def test_a_merge_folds_the_other_contacts_aggregates_and_activity_into_the_target(api):
    put(api, "u-1", {})
    put(api, "u-2", {})
    send(api, login("e-1", externalId="u-1"), login("e-2", externalId="u-2"))
    order(api, externalOrderId="o-2", externalId="u-2", totalCost=30)

    merge(api, "u-1", "u-2")

    assert logins(api, "u-1") == 2 and card(api, "u-1")["aggregates"]["orderCount"] == 1
    assert {"e-1", "e-2"} <= set(activity(api, "u-1"))


def test_a_merge_keeps_the_targets_values_and_takes_the_others_where_it_has_none(api):
    api.json("POST", "/v1/fields", {"name": "tier", "type": "string"})
    api.json("POST", "/v1/fields", {"name": "shoeSize", "type": "number"})
    put(api, "u-1", {"firstName": "Ann", "fields": {"tier": "gold"}, "channels": [{"type": "telegram", "value": "1"}]})
    put(
        api,
        "u-2",
        {
            "firstName": "Annie",
            "lastName": "Lee",
            "fields": {"tier": "silver", "shoeSize": 38},
            "channels": [{"type": "telegram", "value": "1"}, {"type": "viber", "value": "v-2"}],
        },
    )

    merge(api, "u-1", "u-2")

    ann = card(api, "u-1")
    assert (ann["firstName"], ann["lastName"]) == ("Ann", "Lee")
    assert ann["fields"] == {"tier": "gold", "shoeSize": 38}
    assert [(c["type"], c["value"]) for c in ann["channels"]] == [("telegram", "1"), ("viber", "v-2")]


def test_later_events_for_a_merged_contact_land_on_the_target(api):
    put(api, "u-1", {})
    put(api, "u-2", {})
    merge(api, "u-1", "u-2")

    send(api, login("e-9", externalId="u-2"))

    assert logins(api, "u-1") == 1 and "e-9" in activity(api, "u-1")
    status, body = api.json("GET", "/v1/contacts/u-2")
    assert status == 404 and "merged into 'u-1'" in body["error"]["message"]


def test_a_merge_brings_the_other_contacts_anonymous_ids_along(api):
    put(api, "u-1", {})
    put(api, "u-2", {})
    send(api, login("e-1", externalId="u-2", anonymousId="anon-2"))

    merge(api, "u-1", "u-2")
    send(api, login("e-2", anonymousId="anon-2"))

    assert "anon-2" in card(api, "u-1")["anonymousIds"] and "e-2" in activity(api, "u-1")


def test_the_other_contacts_email_still_finds_the_merged_contact(api):
    put(api, "u-1", {"email": "ann@example.com"})
    put(api, "u-2", {"email": "ann.old@example.com"})
    merge(api, "u-1", "u-2")

    send(api, login("e-1", email="ann.old@example.com"))

    assert logins(api, "u-1") == 1
    assert api.json("GET", "/v1/contacts?email=ann.old@example.com")[1]["resolvesTo"] == "u-1"


def test_a_merge_is_recorded_on_the_targets_card(api):
    put(api, "u-1", {})
    put(api, "u-2", {})

    response = api.call("POST", "/v1/contacts/u-1/merge", {"from": "u-2"}, headers={"X-Request-Id": "req-merge"})
    api.drain()

    assert response.status_code == 202
    (entry,) = card(api, "u-1")["mergeHistory"]
    assert (entry["from"], entry["by"], entry["requestId"]) == ("u-2", "test secret", "req-merge")
    assert entry["requestedAt"] and entry["mergedAt"] and entry["keyPrefix"]


def test_a_merge_delivered_twice_folds_once(api):
    put(api, "u-1", {})
    put(api, "u-2", {})
    send(api, login("e-2", externalId="u-2"))
    message = ContactMergeMsg(target="u-1", source="u-2", by="ops", requestedAt=NOW.isoformat())

    api.stores.publisher.publish([message, message])
    api.drain()
    api.stores.publisher.publish([message])
    api.drain()

    assert logins(api, "u-1") == 1 and len(card(api, "u-1")["mergeHistory"]) == 1


def test_two_opposite_merges_in_one_batch_leave_exactly_one_contact_with_both(api):
    put(api, "u-1", {})
    put(api, "u-2", {})
    send(api, login("e-1", externalId="u-1"), login("e-2", externalId="u-2"))

    api.stores.publisher.publish(
        [
            ContactMergeMsg(target="u-1", source="u-2", by="ops", requestedAt=NOW.isoformat()),
            ContactMergeMsg(target="u-2", source="u-1", by="ops", requestedAt=NOW.isoformat()),
        ]
    )
    api.drain()

    alive = [x for x in ("u-1", "u-2") if api.json("GET", f"/v1/contacts/{x}")[0] == 200]
    assert len(alive) == 1 and logins(api, alive[0]) == 2


def test_merging_a_contact_into_itself_is_a_400(api):
    put(api, "u-1", {})

    status, body = api.json("POST", "/v1/contacts/u-1/merge", {"from": "u-1"})

    assert status == 400 and body["error"]["details"][0]["path"] == "from"


def test_merging_an_unknown_contact_is_a_404_naming_from(api):
    put(api, "u-1", {})

    status, body = api.json("POST", "/v1/contacts/u-1/merge", {"from": "nobody"})

    assert status == 404 and body["error"]["details"][0]["path"] == "from"


def test_a_put_on_a_merged_external_id_is_a_409_naming_the_target(api):
    put(api, "u-1", {})
    put(api, "u-2", {})
    merge(api, "u-1", "u-2")

    status, body = put(api, "u-2", {"firstName": "Bob"})

    assert status == 409 and "'u-1'" in body["error"]["message"]


def test_an_alias_between_two_known_contacts_merges_nothing(api):
    put(api, "u-1", {})
    put(api, "u-2", {})
    send(api, login("e-2", externalId="u-2"))

    track(api, "/v1/alias", {"previousId": "u-2", "userId": "u-1"})

    assert logins(api, "u-2") == 1 and card(api, "u-1")["mergeHistory"] == []


def test_a_merge_killed_at_any_write_ends_as_one_that_never_crashed():
    def run(crash_at: int | None) -> tuple[Any, ...]:
        ports = fake_ports()
        seed = [
            EventMsg(event=_event("e-1", "u-1")),
            EventMsg(event=_event("e-2", "u-2", anonymous="anon-2")),
        ]
        assert Consumer(ports).process([(f"s{n}", m.body()) for n, m in enumerate(seed)]) == []
        batch = [("m1", ContactMergeMsg(target="u-1", source="u-2", by="ops", requestedAt=NOW.isoformat()).body())]
        if crash_at is not None:
            with contextlib.suppress(_Crash):
                Consumer(_fused(ports, crash_at)).process(batch)
        assert Consumer(ports).process(batch) == []  # the redelivery
        target, source, link = (ports.contacts.load(k) for k in ("x#u-1", "x#u-2", "a#anon-2"))
        assert target is not None and source is not None and link is not None
        return (
            target.aggs["counters"],
            sorted(target.merged),
            len(target.merge_history),
            source.kind,
            source.merged_into,
            link.merged_into,
            sorted(e.eventId for e in ports.events.activity("x#u-1", 100)[0]),
        )

    clean = run(None)
    for crash_at in range(12):
        assert run(crash_at) == clean, f"crashed at write {crash_at}"


# --- deletion and erasure ------------------------------------------------------------------------------------------


def test_erase_deletes_an_order_placed_while_anonymous(api):
    send(
        api,
        {
            "type": "Order Completed",
            "anonymousId": "anon-1",
            "eventId": "w-1",
            "properties": {"order_id": "o-1", "total": 30, "currency": "USD"},
        },
    )
    track(api, "/v1/identify", {"userId": "u-1", "anonymousId": "anon-1"})
    assert card(api, "u-1")["aggregates"]["orderCount"] == 1

    status, body = api.json("DELETE", "/v1/contacts/u-1?erase=true")

    assert status == 200 and body["ordersDeleted"] == 1
    assert api.json("GET", "/v1/orders/o-1")[0] == 404


def test_erase_deletes_the_events_of_merged_anonymous_profiles(api):
    send(api, login("a-1", anonymousId="anon-1"))
    track(api, "/v1/identify", {"userId": "u-1", "anonymousId": "anon-1"})

    api.json("DELETE", "/v1/contacts/u-1?erase=true")

    assert [api.stores.events.activity(k, 10)[0] for k in ("x#u-1", "a#anon-1")] == [[], []]
    assert api.stores.contacts.load("a#anon-1") is None


def test_after_a_plain_delete_a_recreated_contact_has_no_old_activity(api):
    put(api, "u-1", {})
    send(api, login("e-1", externalId="u-1"))
    order(api, externalOrderId="o-1", externalId="u-1")
    api.json("DELETE", "/v1/contacts/u-1")

    put(api, "u-1", {})

    assert activity(api, "u-1") == [] and card(api, "u-1")["aggregates"]["orderCount"] == 0


def test_after_a_plain_delete_an_old_anonymous_id_does_not_bring_the_contact_back(api):
    track(api, "/v1/identify", {"userId": "u-1", "anonymousId": "anon-1"})
    api.json("DELETE", "/v1/contacts/u-1")

    send(api, login("e-1", anonymousId="anon-1"))

    assert api.json("GET", "/v1/contacts/u-1")[0] == 404


def test_a_plain_delete_suppresses_nothing(api):
    put(api, "u-1", {})
    api.json("DELETE", "/v1/contacts/u-1")

    send(api, login("e-1", externalId="u-1"))

    assert logins(api, "u-1") == 1


def test_after_erase_events_for_the_external_id_are_dropped(api):
    put(api, "u-1", {})
    api.json("DELETE", "/v1/contacts/u-1?erase=true")

    send(api, login("e-1", externalId="u-1"))

    assert api.json("GET", "/v1/contacts/u-1")[0] == 404
    assert api.stores.events.activity("x#u-1", 10)[0] == []


def test_after_erase_email_only_events_and_orders_are_dropped(api):
    put(api, "u-1", {"email": "ann@example.com"})
    api.json("DELETE", "/v1/contacts/u-1?erase=true")

    send(api, login("e-1", email="ann@example.com"))
    order(api, externalOrderId="o-1", email="ann@example.com")

    assert api.stores.contacts.load("e#ann@example.com") is None
    assert api.json("GET", "/v1/orders/o-1")[0] == 404


def test_after_erase_the_anonymous_visitor_is_not_tracked_again(api):
    track(api, "/v1/identify", {"userId": "u-1", "anonymousId": "anon-1"})
    api.json("DELETE", "/v1/contacts/u-1?erase=true")

    track(api, "/v1/track", {"event": "Product Viewed", "anonymousId": "anon-1", "properties": {"product_id": "p"}})

    assert api.stores.contacts.load("a#anon-1") is None


def test_after_erase_an_identify_does_not_bring_the_person_back(api):
    put(api, "u-1", {"email": "ann@example.com"})
    api.json("DELETE", "/v1/contacts/u-1?erase=true")

    track(api, "/v1/identify", {"userId": "u-1", "traits": {"email": "ann@example.com"}})

    assert api.json("GET", "/v1/contacts/u-1")[0] == 404


def test_a_dropped_record_is_logged_without_the_identifier(api, log_lines):
    put(api, "u-1", {"email": "ann@example.com"})
    api.json("DELETE", "/v1/contacts/u-1?erase=true")

    send(api, login("e-1", email="ann@example.com"))

    lines = [json.loads(line) for line in log_lines.getvalue().splitlines() if line.strip()]
    dropped = [r for r in lines if r["message"].startswith("dropped")]
    assert len(dropped) == 1 and dropped[0]["kinds"] == ["event"]
    assert "ann@example.com" not in log_lines.getvalue().split("dropped", 1)[1]


def test_after_erase_the_email_is_dropped_even_where_an_older_merge_left_a_link_for_it(api):
    # GIVEN u-2 merged into u-1 (u-2's email b@ links to u-1), then u-9 took b@ and was erased
    put(api, "u-1", {"email": "a@example.com"})
    put(api, "u-2", {"email": "b@example.com"})
    merge(api, "u-1", "u-2")
    put(api, "u-9", {"email": "b@example.com"})
    api.json("DELETE", "/v1/contacts/u-9?erase=true")
    # WHEN an event names only b@
    send(api, login("e-1", email="b@example.com"))
    # THEN it is dropped, not applied to u-1 through the old link
    assert logins(api, "u-1") == 0


def test_erasing_one_of_two_contacts_holding_an_email_leaves_it_to_the_other(api):
    save_duplicate(api, "u-old", "ann@example.com", "2026-11-01T00:00:00Z")
    save_duplicate(api, "u-new", "ann@example.com", "2026-11-20T00:00:00Z")
    api.json("DELETE", "/v1/contacts/u-old?erase=true")

    send(api, login("e-1", email="ann@example.com"))

    assert logins(api, "u-new") == 1


def test_the_suppression_list_holds_digests_not_identifiers(api):
    put(api, "u-1", {"email": "ann@example.com", "phone": "+380501234567"})
    track(api, "/v1/identify", {"userId": "u-1", "anonymousId": "anon-1"})

    _, body = api.json("DELETE", "/v1/contacts/u-1?erase=true")

    items = aws.dynamodb().scan(TableName=api.stores.settings.meta_table)["Items"]
    stored = json.dumps(items)
    assert body["identifiersSuppressed"] == 4
    assert not any(value in stored for value in ("u-1", "ann@example.com", "380501234567", "anon-1"))
    assert identifiers.digest("e#ann@example.com") in stored


def test_an_explicit_put_brings_an_erased_person_back(api):
    put(api, "u-1", {"email": "ann@example.com"})
    api.json("DELETE", "/v1/contacts/u-1?erase=true")

    assert put(api, "u-1", {"email": "ann@example.com"})[0] == 201
    send(api, login("e-1", externalId="u-1"), login("e-2", email="ann@example.com"))

    assert logins(api, "u-1") == 2


def test_an_import_row_does_not_bring_an_erased_person_back(api):
    put(api, "u-1", {})
    api.json("DELETE", "/v1/contacts/u-1?erase=true")

    _, started = api.json("POST", "/v1/imports/contacts", {"contacts": [{"externalId": "u-1", "firstName": "Ann"}]})
    api.drain()

    _, status = api.json("GET", started["statusUrl"])
    assert status["failed"] == 1 and "erasure" in status["errors"][0]["errors"][0]["message"]
    assert api.json("GET", "/v1/contacts/u-1")[0] == 404


def test_an_erasure_during_a_batch_in_flight_fails_the_write_so_the_retry_drops_it():
    # GIVEN a batch planned before the erasure (its work holds an event for u-1), and the erasure done meanwhile
    ports = fake_ports()
    ports.suppressions.suppress([identifiers.digest("x#u-1")], NOW.isoformat())
    work = Work(key="x#u-1", record_ids=["m1"], events=[_event("e-1", "u-1")])
    # WHEN the contact write is applied
    with pytest.raises(Retryable):
        ContactWriter(ports).apply(work)
    # THEN nothing was written
    assert ports.contacts.load("x#u-1") is None and ports.events.activity("x#u-1", 10)[0] == []


# --- helpers for the unit-level tests ------------------------------------------------------------------------------


def _event(event_id: str, external_id: str, anonymous: str | None = None) -> Event:
    return Event(
        eventId=event_id,
        type="Login",
        identity=Identity(externalId=external_id, anonymousId=anonymous),
        timestamp=NOW - timedelta(minutes=5),
        receivedAt=NOW,
    )


class _Crash(BaseException):
    """The process died."""


def _fused(ports, crash_at: int):
    """``ports`` whose writes (contacts, merges, events) raise ``_Crash`` at write number ``crash_at``."""
    count = [0]

    def wrap(call):
        def write(*args, **kwargs):
            n = count[0]
            count[0] += 1
            if n == crash_at:
                raise _Crash(f"at write {n}")
            return call(*args, **kwargs)

        return write

    for port, methods in {"contacts": ("save",), "merges": ("retire",), "events": ("insert", "move_all")}.items():
        target = getattr(ports, port)
        for method in methods:
            setattr(target, method, wrap(getattr(target, method)))
    return ports
