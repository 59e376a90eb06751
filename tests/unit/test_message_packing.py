"""Consecutive events travel packed, many to a queue message; everything else keeps its place."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.events.models import Event, Identity
from chalicelib.identity.commands import AliasCommand
from chalicelib.messages import PACK_EVENTS, AliasMsg, EventMsg, EventsMsg, QueueMessage, pack, parse_message

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def single(n: int, size: int = 0) -> EventMsg:
    return EventMsg(
        event=Event(
            eventId=f"e{n}",
            type="Login",
            identity=Identity(externalId="u-1"),
            timestamp=NOW,
            receivedAt=NOW,
            properties={"pad": "x" * size} if size else {},
        )
    )


def alias() -> AliasMsg:
    return AliasMsg(command=AliasCommand(externalId="u-1", previousId="anon-1", messageId="a1", timestamp=NOW))


def event_ids(messages: list[QueueMessage]) -> list[list[str]]:
    out = []
    for m in messages:
        if isinstance(m, EventsMsg):
            out.append([e.eventId for e in m.events])
        elif isinstance(m, EventMsg):
            out.append([m.event.eventId])
        else:
            out.append([m.kind])
    return out


def test_consecutive_events_share_one_message():
    assert event_ids(pack([single(1), single(2), single(3)])) == [["e1", "e2", "e3"]]


def test_other_messages_keep_their_place_between_runs():
    assert event_ids(pack([single(1), single(2), alias(), single(3)])) == [["e1", "e2"], ["alias"], ["e3"]]


def test_a_pack_holds_at_most_its_event_cap():
    packed = pack([single(n) for n in range(PACK_EVENTS + 5)])
    assert [len(ids) for ids in event_ids(packed)] == [PACK_EVENTS, 5]


def test_a_pack_stays_under_the_queue_message_size():
    packed = pack([single(n, size=15_000) for n in range(30)])
    assert len(packed) > 1 and all(len(m.body()) < 256 * 1024 for m in packed)


def test_a_packed_message_reads_back_as_sent():
    (packed,) = pack([single(1), single(2)])
    assert parse_message(packed.body()) == packed
