"""JourneyStore: a journey begins only as the re-entry rules allow (and one of two racing begins wins), ends and
reaches its goal once, is listed newest first a page at a time; a parked wait is listed until it expires and
taken once; a task run's step is recorded once with its counters; variants count their sends and clicks."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.ports import JourneyStore, Ports
from chalicelib.workflows.journeys import Journey, Park, StepRecord

T0 = "2026-11-27T11:00:00.000Z"
T1 = "2026-11-27T11:30:00.000Z"
T2 = "2026-11-27T11:45:00.000Z"  # the clock is at 12:00
LATER = "2026-11-27T13:00:00.000Z"


@pytest.fixture
def journeys(wired: Ports) -> JourneyStore:
    return wired.journeys


def journey(execution: str = "ex-1", started_at: str = T0, **changes: Any) -> Journey:
    built = Journey(
        workflow_id="welcome",
        contact_key="x#ann",
        execution=execution,
        revision=2,
        status="running",
        started_at=started_at,
    )
    return replace(built, **changes)


def begin(store: JourneyStore, j: Journey, skip: bool = False, once: bool = False, since: str | None = None) -> bool:
    return store.begin(j, skip_if_inside=skip, once=once, not_since=since)


# --- begin ---------------------------------------------------------------------------------------------------------


def test_a_first_journey_begins_as_the_first_entry(journeys: JourneyStore) -> None:
    assert begin(journeys, journey(), skip=True, once=True, since=T2) is True

    assert journeys.journey("welcome", "x#ann") == journey(entries=1)
    assert journeys.journey("welcome", "x#bob") is None


def test_skip_if_inside_refuses_while_the_journey_runs(journeys: JourneyStore) -> None:
    begin(journeys, journey("ex-1"))

    assert begin(journeys, journey("ex-2", T1), skip=True) is False
    assert journeys.journey("welcome", "x#ann") == journey("ex-1")


def test_skip_if_inside_lets_a_contact_in_again_once_the_journey_ended(journeys: JourneyStore) -> None:
    begin(journeys, journey("ex-1"))
    journeys.end("welcome", "x#ann", "ex-1", "finished", T1)

    assert begin(journeys, journey("ex-2", T2), skip=True) is True
    assert journeys.journey("welcome", "x#ann") == journey("ex-2", T2, entries=2)


def test_without_skip_if_inside_a_running_journey_is_replaced_and_entries_count(journeys: JourneyStore) -> None:
    begin(journeys, journey("ex-1"))
    begin(journeys, journey("ex-2", T1))

    assert begin(journeys, journey("ex-3", T2)) is True
    stored = journeys.journey("welcome", "x#ann")
    assert stored is not None and (stored.execution, stored.entries) == ("ex-3", 3)


def test_once_refuses_any_second_journey(journeys: JourneyStore) -> None:
    begin(journeys, journey("ex-1"), once=True)
    journeys.end("welcome", "x#ann", "ex-1", "finished", T1)

    assert begin(journeys, journey("ex-2", T2), once=True) is False
    assert journeys.journey("welcome", "x#ann") == journey("ex-1", status="finished", ended_at=T1)


def test_not_since_refuses_when_the_last_journey_started_after_it(journeys: JourneyStore) -> None:
    begin(journeys, journey("ex-1", T1))

    assert begin(journeys, journey("ex-2", T2), since=T0) is False
    assert begin(journeys, journey("ex-2", T2), since=T1) is True  # started at the bound: allowed
    stored = journeys.journey("welcome", "x#ann")
    assert stored is not None and (stored.execution, stored.entries) == ("ex-2", 2)


def test_the_same_execution_name_again_is_a_duplicate(journeys: JourneyStore) -> None:
    begin(journeys, journey("ex-1"))
    journeys.end("welcome", "x#ann", "ex-1", "finished", T1)

    assert begin(journeys, journey("ex-1", T2)) is False
    stored = journeys.journey("welcome", "x#ann")
    assert stored is not None and (stored.status, stored.entries) == ("finished", 1)


@pytest.fixture
def reads_meet(journeys: JourneyStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the adapter, each worker thread's first read waits for the other's: both begins read the empty record
    before either writes, the race the conditional write must settle."""
    from chalicelib.storage.dynamo import Table

    meet = threading.Barrier(2, timeout=10)
    seen = threading.local()
    read = Table.get

    def get(self: Table, *args: Any, **kwargs: Any) -> Any:
        found = read(self, *args, **kwargs)
        if threading.current_thread() is not threading.main_thread() and not getattr(seen, "met", False):
            seen.met = True
            meet.wait()
        return found

    monkeypatch.setattr(Table, "get", get)


@pytest.mark.usefixtures("atomic_requests", "reads_meet")  # requests atomic, as on DynamoDB (moto's are not)
def test_of_two_concurrent_begins_for_one_contact_exactly_one_wins(journeys: JourneyStore) -> None:
    with ThreadPoolExecutor(2) as pool:
        won = list(pool.map(lambda n: begin(journeys, journey(f"ex-{n}", T1), skip=True), range(2)))

    assert won.count(True) == 1
    stored = journeys.journey("welcome", "x#ann")
    assert stored is not None and stored.execution == f"ex-{won.index(True)}" and stored.entries == 1
    assert [j.execution for j in journeys.executions("welcome", 10)[0]] == [stored.execution]


@pytest.mark.usefixtures("atomic_requests")
def test_concurrent_begins_that_may_both_win_count_both_entries(journeys: JourneyStore, reads_meet: None) -> None:
    begin(journeys, journey("ex-0", T0))  # the main thread's reads never wait

    with ThreadPoolExecutor(2) as pool:
        won = list(pool.map(lambda n: begin(journeys, journey(f"ex-{n}", T1)), range(1, 3)))

    assert won == [True, True]
    stored = journeys.journey("welcome", "x#ann")
    assert stored is not None and stored.entries == 3
    assert sorted(j.execution for j in journeys.executions("welcome", 10)[0]) == ["ex-0", "ex-1", "ex-2"]


def test_a_contacts_journeys_in_every_workflow(journeys: JourneyStore) -> None:
    begin(journeys, journey())
    begin(journeys, journey(workflow_id="winback", execution="ex-w"))
    begin(journeys, journey(contact_key="x#anna", execution="ex-a"))

    found = sorted(journeys.journeys_of("x#ann"), key=lambda j: j.workflow_id)
    assert [(j.workflow_id, j.execution) for j in found] == [("welcome", "ex-1"), ("winback", "ex-w")]
    assert journeys.journeys_of("x#nobody") == []


# --- end, execution ARN, goal --------------------------------------------------------------------------------------


def test_a_journey_ends_once(journeys: JourneyStore) -> None:
    begin(journeys, journey())

    assert journeys.end("welcome", "x#ann", "ex-1", "stopped", T1) is True
    assert journeys.end("welcome", "x#ann", "ex-1", "failed", T2) is False
    assert journeys.journey("welcome", "x#ann") == journey(status="stopped", ended_at=T1)


def test_ending_another_execution_changes_nothing(journeys: JourneyStore) -> None:
    begin(journeys, journey("ex-2"))

    assert journeys.end("welcome", "x#ann", "ex-1", "finished", T1) is False
    assert journeys.end("welcome", "x#bob", "ex-2", "finished", T1) is False
    assert journeys.journey("welcome", "x#ann") == journey("ex-2")


def test_the_execution_arn_is_set_on_its_own_journey_only(journeys: JourneyStore) -> None:
    begin(journeys, journey("ex-2"))

    journeys.set_execution_arn("welcome", "x#ann", "ex-1", "arn:old")
    assert journeys.journey("welcome", "x#ann") == journey("ex-2")
    journeys.set_execution_arn("welcome", "x#ann", "ex-2", "arn:new")
    assert journeys.journey("welcome", "x#ann") == journey("ex-2", execution_arn="arn:new")


def test_the_goal_is_reached_once(journeys: JourneyStore) -> None:
    begin(journeys, journey())

    assert journeys.reach_goal("welcome", "x#ann", "ex-other", T1) is False
    assert journeys.reach_goal("welcome", "x#ann", "ex-1", T1) is True
    assert journeys.reach_goal("welcome", "x#ann", "ex-1", T2) is False
    assert journeys.journey("welcome", "x#ann") == journey(goal_at=T1)


# --- executions ----------------------------------------------------------------------------------------------------


def test_executions_are_listed_newest_first_a_page_at_a_time(journeys: JourneyStore) -> None:
    starts = [f"2026-11-27T10:0{n}:00.000Z" for n in range(7)]
    for n, at in enumerate(starts):
        begin(journeys, journey(f"ex-{n}", at, contact_key=f"x#c{n % 3}"))
    begin(journeys, journey("ex-other", T1, workflow_id="winback"))

    pages: list[list[str]] = []
    page, cursor = journeys.executions("welcome", 3)
    pages.append([j.execution for j in page])
    while cursor is not None:
        page, cursor = journeys.executions("welcome", 3, cursor)
        pages.append([j.execution for j in page])

    assert pages == [["ex-6", "ex-5", "ex-4"], ["ex-3", "ex-2", "ex-1"], ["ex-0"]]


def test_a_listed_execution_shows_what_happened_to_it(journeys: JourneyStore) -> None:
    begin(journeys, journey("ex-1", T0))
    journeys.set_execution_arn("welcome", "x#ann", "ex-1", "arn:1")
    journeys.reach_goal("welcome", "x#ann", "ex-1", T1)
    journeys.end("welcome", "x#ann", "ex-1", "finished", T1)
    begin(journeys, journey("ex-2", T2))

    listed, _ = journeys.executions("welcome", 10)

    assert listed == [
        journey("ex-2", T2, entries=2),
        journey("ex-1", T0, status="finished", ended_at=T1, execution_arn="arn:1", goal_at=T1),
    ]


def test_a_cursor_of_another_listing_is_invalid(journeys: JourneyStore) -> None:
    for n in range(3):
        begin(journeys, journey(f"ex-{n}", contact_key=f"x#c{n}"))
    _, cursor = journeys.executions("welcome", 1)
    assert cursor is not None

    with pytest.raises(InvalidInput):
        journeys.executions("winback", 1, cursor)
    with pytest.raises(InvalidInput):
        journeys.executions("welcome", 1, "not-a-cursor")


# --- scheduled occasions ------------------------------------------------------------------------------------------


def test_an_occasion_is_claimed_once_per_workflow(journeys: JourneyStore) -> None:
    assert journeys.claim_occasion("welcome", "schedule:2026-11-27") is True
    assert journeys.claim_occasion("welcome", "schedule:2026-11-27") is False

    assert journeys.claim_occasion("welcome", "schedule:2026-11-28") is True
    assert journeys.claim_occasion("digest", "schedule:2026-11-27") is True


@pytest.mark.usefixtures("atomic_requests")
def test_of_concurrent_claims_exactly_one_wins(journeys: JourneyStore) -> None:
    with ThreadPoolExecutor(8) as pool:
        claimed = list(pool.map(lambda _: journeys.claim_occasion("welcome", "schedule:2026-11-27"), range(8)))

    assert claimed.count(True) == 1


# --- parked waits --------------------------------------------------------------------------------------------------


def park(token: str = "token-1", expires_at: str = LATER, **changes: Any) -> Park:
    built = Park(
        contact_key="x#ann",
        event="Order Completed",
        token=token,
        workflow_id="welcome",
        execution="ex-1",
        block="await",
        expires_at=expires_at,
        where=({"property": "total", "op": "gte", "value": 10},),
        match_property="cartId",
        match_value="c-1",
    )
    return replace(built, **changes)


def test_a_parked_wait_is_listed_for_its_contact_and_event(journeys: JourneyStore) -> None:
    journeys.park(park())
    journeys.park(park("token-2", event="Signed Up"))
    journeys.park(park("token-3", contact_key="x#bob"))

    assert journeys.parked("x#ann", "Order Completed") == [park()]
    assert journeys.parked("x#ann", "Cart Updated") == []


def test_parking_the_same_token_again_changes_nothing(journeys: JourneyStore) -> None:
    journeys.park(park())
    journeys.park(park(block="other"))

    assert journeys.parked("x#ann", "Order Completed") == [park()]


def test_an_expired_park_is_not_listed(journeys: JourneyStore) -> None:
    journeys.park(park("token-1", expires_at="2026-11-27T12:00:00.000Z"))  # the clock's time: expired
    journeys.park(park("token-2", expires_at="2026-11-27T12:00:01.000Z"))

    assert [p.token for p in journeys.parked("x#ann", "Order Completed")] == ["token-2"]


def test_keys_holding_the_separator_never_meet(journeys: JourneyStore) -> None:
    journeys.park(park(contact_key="a#b", event="c"))

    assert journeys.parked("a", "b#c") == []
    assert len(journeys.parked("a#b", "c")) == 1


def test_a_park_is_taken_once(journeys: JourneyStore) -> None:
    journeys.park(park())

    assert journeys.unpark(park()) is True
    assert journeys.unpark(park()) is False
    assert journeys.parked("x#ann", "Order Completed") == []


@pytest.mark.usefixtures("atomic_requests")
def test_of_concurrent_unparks_exactly_one_takes_the_park(journeys: JourneyStore) -> None:
    journeys.park(park())

    with ThreadPoolExecutor(8) as pool:
        taken = list(pool.map(lambda _: journeys.unpark(park()), range(8)))

    assert taken.count(True) == 1


# --- steps, counters, history ----------------------------------------------------------------------------------------


def step(seq: int, execution: str = "ex-1") -> StepRecord:
    entries = ({"block": "check", "branch": "yes"}, {"block": "send", "branch": "next", "detail": {"message": "m-1"}})
    return StepRecord(execution=execution, seq=seq, at=T1, entries=entries)


COUNTS = {"check": {"entered": 1, "exit:yes": 1}, "send": {"entered": 1, "exit:next": 1, "failed": 0}}


def test_a_step_is_recorded_once_with_its_counters(journeys: JourneyStore) -> None:
    assert journeys.record_step("welcome", step(1), COUNTS) is True
    assert journeys.record_step("welcome", step(1), COUNTS) is False

    assert journeys.history("ex-1") == [step(1)]
    assert journeys.counts("welcome").counts == {
        "check": {"entered": 1, "exit:yes": 1},
        "send": {"entered": 1, "exit:next": 1},
    }


def test_counters_add_up_across_steps_and_outside_them(journeys: JourneyStore) -> None:
    journeys.record_step("welcome", step(1), COUNTS)
    journeys.record_step("welcome", step(1, "ex-2"), COUNTS)
    journeys.add_counts("welcome", {"check": {"exit:no": 2}, "await": {"exit:timeout": 1}})

    assert journeys.counts("welcome").counts == {
        "check": {"entered": 2, "exit:yes": 2, "exit:no": 2},
        "send": {"entered": 2, "exit:next": 2},
        "await": {"exit:timeout": 1},
    }
    assert journeys.counts("winback").counts == {}


def test_history_lists_an_executions_steps_in_order(journeys: JourneyStore) -> None:
    for seq in (3, 1, 12, 2):
        journeys.record_step("welcome", step(seq), {})
    journeys.record_step("welcome", step(1, "ex-2"), {})

    assert [s.seq for s in journeys.history("ex-1")] == [1, 2, 3, 12]
    assert journeys.history("ex-none") == []


# --- variants ------------------------------------------------------------------------------------------------------


def test_variants_count_sends_and_clicks(journeys: JourneyStore) -> None:
    journeys.variant_sent("welcome", "pick", "a", "x#ann", T0)
    journeys.variant_sent("welcome", "pick", "a", "x#bob", T0)
    journeys.variant_sent("welcome", "pick", "b", "x#ann", T1)
    journeys.variant_clicked("welcome", "pick", "a")
    journeys.variant_sent("welcome", "other", "a", "x#ann", T1)

    assert journeys.variants("welcome", "pick") == {"a": (2, 1), "b": (1, 0)}
    assert journeys.variants("welcome", "none") == {}


def test_a_contacts_recent_variants_keep_the_last_send(journeys: JourneyStore) -> None:
    journeys.variant_sent("welcome", "pick", "a", "x#ann", T0)
    journeys.variant_sent("welcome", "pick", "b", "x#ann", T1)
    journeys.variant_sent("welcome", "pick", "a", "x#ann", T2)
    journeys.variant_sent("welcome", "pick", "c", "x#bob", T2)

    assert journeys.recent_variants("welcome", "pick", "x#ann") == {"a": T2, "b": T1}
    assert journeys.recent_variants("welcome", "other", "x#ann") == {}


# --- the adapter alone ---------------------------------------------------------------------------------------------


def test_a_transaction_that_met_another_is_tried_again(stores: Ports, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError

    from chalicelib.storage.journeys import DynamoJourneyStore

    store = stores.journeys
    assert isinstance(store, DynamoJourneyStore)
    client = store.table.client
    send = client.transact_write_items
    cancelled: list[int] = []

    def once_in_conflict(**kwargs: Any) -> Any:
        if not cancelled:
            cancelled.append(1)
            reasons = [{"Code": "TransactionConflict"}] + [{"Code": "None"}] * (len(kwargs["TransactItems"]) - 1)
            error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
            raise ClientError({"Error": error, "CancellationReasons": reasons}, "TransactWriteItems")  # type: ignore[typeddict-unknown-key]
        return send(**kwargs)

    monkeypatch.setattr(client, "transact_write_items", once_in_conflict)
    monkeypatch.setattr(store.table, "sleep", lambda _: None)

    assert store.record_step("welcome", step(1), COUNTS) is True
    assert cancelled == [1]
    assert store.counts("welcome").counts["check"] == {"entered": 1, "exit:yes": 1}
